package handlers

import (
	"errors"
	"strings"
	"testing"

	"github.com/aurore/cairbot/store"
)

// FuzzCallbacks feeds every action's decoder any data: decoding never
// panics, data that decodes encodes back to data that decodes to the same
// value, and data that does not decode is ErrStaleButton. The seeds are
// every action's samples, so `go test` runs them all.
func FuzzCallbacks(f *testing.F) {
	for _, a := range callbackActions {
		for _, s := range a.seeds() {
			f.Add(s)
			// and the same data garbled: cut, with a field too many
			f.Add(s[:len(s)-1])
			f.Add(s + ":1")
		}
	}
	f.Fuzz(func(t *testing.T, data string) {
		for _, a := range callbackActions {
			if _, err := a.roundTrip(data); err != nil {
				t.Errorf("%s: %v", a.prefix(), err)
			}
		}
	})
}

// TestCallbackSamplesDecode: each action decodes its own samples (a seed
// the fuzz test would otherwise only see fail), and no other action takes
// them.
func TestCallbackSamplesDecode(t *testing.T) {
	for _, a := range callbackActions {
		seeds := a.seeds()
		if len(seeds) == 0 {
			t.Errorf("%s: no sample", a.prefix())
		}
		for _, s := range seeds {
			if ok, err := a.roundTrip(s); !ok || err != nil {
				t.Errorf("%s: sample %q decodes %v, %v", a.prefix(), s, ok, err)
			}
			for _, other := range callbackActions {
				if other == a {
					continue
				}
				if ok, _ := other.roundTrip(s); ok {
					t.Errorf("%q of %s is also taken by %s", s, a.prefix(), other.prefix())
				}
			}
		}
	}
}

func TestCallbackDataOver64BytesPanics(t *testing.T) {
	a := CallbackAction[string]{Prefix: "test:long", encode: func(s string) []string { return []string{s} }}
	defer func() {
		if recover() == nil {
			t.Error("65 bytes of callback data did not panic")
		}
	}()
	a.Data(strings.Repeat("x", 64-len("test:long:")+1))
}

func TestForgedCallbackDataIsStale(t *testing.T) {
	for _, data := range []string{"", "chr", "chr:", "chr:t", "chr:t:", "chr:t:0", "chr:t:-4", "chr:t:007", "chr:t:4:5",
		"chr:tt:4", "chr:w:2026-12-07", "chr:w:20261341", "chr:mp:4:-1", "chr:mp:4:x", "chr:rgno:1", "chr:mdd:4:2026120",
		"chr:t:" + strings.Repeat("9", 70)} {
		for _, parse := range []func(string) error{parseOf(rotaTurnAction), parseOf(rotaWeekAction), parseOf(rotaPersonsAction),
			parseOf(rotaRegenNoAction), parseOf(rotaMoveDayAction)} {
			if err := parse(data); err != nil && !errors.Is(err, ErrStaleButton) {
				t.Errorf("%q: %v, want ErrStaleButton", data, err)
			}
		}
		if _, err := rotaTurnAction.Parse(data); err == nil {
			t.Errorf("%q decodes as a turn", data)
		}
	}
}

func parseOf[T any](a CallbackAction[T]) func(string) error {
	return func(s string) error { _, err := a.Parse(s); return err }
}

// TestForgedInterviewAndAppointmentDataIsStale: data the bot never writes
// — a field too many or too few, a non-canonical number, an unknown kind,
// document or answer, a slot off the half hours — answers stale.
func TestForgedInterviewAndAppointmentDataIsStale(t *testing.T) {
	for _, tc := range []struct {
		data  string
		parse func(string) error
	}{
		{"iv:p:007", parseOf(ivPersonAction)},
		{"iv:p:0", parseOf(ivPersonAction)},
		{"iv:p:4:5", parseOf(ivPersonAction)},
		{"iv:k:party", parseOf(ivKindAction)},
		{"iv:k:", parseOf(ivKindAction)},
		{"iv:d:2026127", parseOf(ivDayAction)},
		{"iv:d:20261341", parseOf(ivDayAction)},
		{"iv:t:+930", parseOf(ivTimeAction)},
		{"iv:t:0945", parseOf(ivTimeAction)},
		{"iv:t:1830", parseOf(ivTimeAction)},
		{"iv:doc:passport", parseOf(ivDocAction)},
		{"iv:docs:x", parseOf(ivDocsDoneAction)},
		{"iv:send:1", parseOf(ivSendAction)},
		{"apa:42:1:maybe", parseOf(apptAnswerAction)},
		{"apa:42:0:yes", parseOf(apptAnswerAction)},
		{"apa:42:01:yes", parseOf(apptAnswerAction)},
		{"apa:-42:1:yes", parseOf(apptAnswerAction)},
		{"apa:42:1", parseOf(apptAnswerAction)},
		{"apr:+42", parseOf(apptReplyAction)},
		{"apr", parseOf(apptReplyAction)},
		{"apc:d:42:1", parseOf(apptDetailAction)},
		{"apc:x:42", parseOf(apptCancelAskAction)},
		{"apc:xy:42:x", parseOf(apptCancelAction)},
		{"apc:xn:42", parseOf(apptCancelKeptAction)},
	} {
		if err := tc.parse(tc.data); !errors.Is(err, ErrStaleButton) {
			t.Errorf("%q: %v, want ErrStaleButton", tc.data, err)
		}
	}
}

// TestResidentButtonData: the resident buttons write the data they wrote
// before they were actions (buttons already in chats keep working), and
// data the bot never writes answers stale.
func TestResidentButtonData(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{residentActAction.Data(residentActArg{store.ChangeArrive}), "resident:a:" + store.ChangeArrive},
		{residentTodayAction.Data(noFields{}), "resident:today"},
		{residentBasisAction.Data(residentBasisArg{residentBasisNone}), "resident:b:none"},
		{residentBasisAction.Data(residentBasisArg{store.BasisFixed}), "resident:b:fixed"},
		{enrolGroupAction.Data(enrolGroupArg{42, 7}), "resident:g:16:7"},
		{enrolLeaveAction.Data(enrolGroupArg{42, 7}), "resident:x:16:7"},
		{enrolHoursAction.Data(enrolHoursArg{42, 7, 200}), "resident:h:16:7:200"},
		{rotaMemberAction.Data(rotaMemberArg{42, true}), "resident:rm:16:1"},
		{rotaMemberAction.Data(rotaMemberArg{42, false}), "resident:rm:16:0"},
		{residentOKAction.Data(noFields{}), "resident:ok"},
		{residentNoAction.Data(noFields{}), "resident:no"},
	} {
		if tc.got != tc.want {
			t.Errorf("data %q, want %q", tc.got, tc.want)
		}
	}
	for _, tc := range []struct {
		data  string
		parse func(string) error
	}{
		{"resident:a:fly", parseOf(residentActAction)},
		{"resident:a", parseOf(residentActAction)},
		{"resident:today:1", parseOf(residentTodayAction)},
		{"resident:b:half", parseOf(residentBasisAction)},
		{"resident:g:16", parseOf(enrolGroupAction)},
		{"resident:g:016:7", parseOf(enrolGroupAction)},
		{"resident:x:16:0", parseOf(enrolLeaveAction)},
		{"resident:h:16:7:150", parseOf(enrolHoursAction)},
		{"resident:h:16:7:0200", parseOf(enrolHoursAction)},
		{"resident:rm:16:2", parseOf(rotaMemberAction)},
		{"resident:rm:-16:1", parseOf(rotaMemberAction)},
		{"resident:ok:x", parseOf(residentOKAction)},
		{"resident:no:", parseOf(residentNoAction)},
	} {
		if err := tc.parse(tc.data); !errors.Is(err, ErrStaleButton) {
			t.Errorf("%q: %v, want ErrStaleButton", tc.data, err)
		}
	}
}
