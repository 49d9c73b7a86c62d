package handlers

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

func TestParseInterviewTime(t *testing.T) {
	paris := storetest.Paris
	// A Friday, 10:00 in Paris.
	now := storetest.Next(storetest.Now(t), time.Friday, 10, 0)
	day := func(days, hh, mm int) time.Time { return storetest.Day(now, days, hh, mm) }
	// thu is the coming Thursday, 14:30: "3/12 14h30" if now is Friday
	// 27 November 2026.
	thu := day(6, 14, 30)
	thuDay := day(6, 0, 0)
	p := thu.In(paris)
	d, m, y := p.Day(), int(p.Month()), p.Year()
	dm := fmt.Sprintf("%d/%d", d, m)
	in := func(zero rune, s string) string { // s in another script's digits
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return zero + r - '0'
			}
			return r
		}, s)
	}
	// A day of this month-day already past: next year's.
	past := day(-10, 10, 0)
	// The Saturday before the clocks go back, and the hour skipped when
	// they go forward.
	autumn := storetest.NextClockChange(now, false)
	saturday := storetest.Day(autumn, -1, 10, 0)
	spring := storetest.NextClockChange(now, true)
	tests := []struct {
		text    string
		now     time.Time // zero: now
		def     *time.Time
		want    time.Time // the instant, when a time is given
		wantDay time.Time // the day, when only a day is given
		err     error
	}{
		{text: dm + " 14h30", want: thu},
		{text: p.Format("02/01/2006 15:04"), want: thu},
		{text: fmt.Sprintf("%d.%d.%02d 14h30", d, m, y%100), want: thu},
		{text: fmt.Sprintf("%d-%d-%d 14H30", d, m, y), want: thu},
		{text: p.Format("2006-01-02 15:04"), want: thu},
		{text: "le " + dm + " à 14h30", want: thu},
		{text: dm + ", 14 h 30", want: thu},
		{text: dm + " 2:30pm", want: thu},
		{text: in('۰', dm+" 14:30"), want: thu},                                // Dari/Pashto digits
		{text: in('٠', dm+" 14:30"), want: thu},                                // Arabic digits
		{text: in('০', dm+" 14:30"), want: thu},                                // Bengali digits
		{text: "\u200f" + in('۰', dm) + "\u200f \u2068۱۴:۳۰\u2069", want: thu}, // bidi marks from an RTL keyboard
		{text: "demain 10h", want: day(1, 10, 0)},
		{text: "Demain à 10h", want: day(1, 10, 0)},
		{text: "tomorrow 2pm", want: day(1, 14, 0)},
		{text: "tomorrow 12pm", want: day(1, 12, 0)},
		{text: "فردا ۱۰:۰۰", want: day(1, 10, 0)},
		{text: "завтра 10:00", want: day(1, 10, 0)},
		{text: "après-demain 9h", want: day(2, 9, 0)},
		{text: "aujourd'hui 18h", want: day(0, 18, 0)},
		{text: typedDayMonth(now) + " 11h", want: day(0, 11, 0)},
		{text: "lundi 9h", want: day(3, 9, 0)},
		{text: "Monday 9am", want: day(3, 9, 0)},
		{text: "vendredi 15h", want: day(7, 15, 0)}, // today is Friday: the next one
		{text: "jeu 14:30", want: thu},
		{text: typedDayMonth(past) + " 10h", want: past.AddDate(1, 0, 0)}, // passed this year: next year's
		{text: "14h30", def: &thuDay, want: thu},
		{text: "14:30", def: &thuDay, want: thu},
		// Across the autumn clock change: Sunday is on winter time (UTC+1),
		// Saturday still on summer time (UTC+2).
		{text: "demain 10h", now: saturday, want: storetest.Day(autumn, 0, 10, 0)},
		{text: typedDayMonth(saturday) + " 18h", now: saturday, want: storetest.Day(saturday, 0, 18, 0)},
		// A day without a time: the time is asked next.
		{text: dm, wantDay: thuDay},
		{text: "jeudi", wantDay: thuDay},
		{text: "demain", wantDay: day(1, 0, 0)},
		// Refused.
		{text: typedDayMonth(now) + " 9h", err: ErrInterviewTimePast},
		{text: "aujourd'hui 8h", err: ErrInterviewTimePast},
		{text: day(-26, 0, 0).Format("2/1/2006") + " 10h", err: ErrInterviewTimePast},
		{text: day(-1, 0, 0).Format("2/1/2006"), err: ErrInterviewTimePast},
		{text: day(2*365+6, 0, 0).Format("2/1/2006") + " 10h", err: ErrInterviewTimeFar},
		{text: "14h30", err: ErrInterviewTimeUnreadable}, // no day at all
		{text: "31/02 10h", err: ErrInterviewTimeUnreadable},
		{text: "3/13 10h", err: ErrInterviewTimeUnreadable},
		{text: dm + " 25h", err: ErrInterviewTimeUnreadable},
		{text: dm + " 14h61", err: ErrInterviewTimeUnreadable},
		{text: dm + " 13pm", err: ErrInterviewTimeUnreadable},
		{text: dm + " 14h 15h", err: ErrInterviewTimeUnreadable},
		{text: dm + " " + typedDayMonth(day(7, 0, 0)) + " 10h", err: ErrInterviewTimeUnreadable},
		{text: "demain lundi 10h", err: ErrInterviewTimeUnreadable},
		{text: "next week", err: ErrInterviewTimeUnreadable},
		{text: "bientôt", err: ErrInterviewTimeUnreadable},
		{text: "", err: ErrInterviewTimeUnreadable},
		{text: "   ", err: ErrInterviewTimeUnreadable},
		{text: spring.In(paris).Format("2/1/2006") + " 2h30", err: ErrInterviewTimeUnreadable}, // the hour skipped in spring
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			n := now
			if !tt.now.IsZero() {
				n = tt.now
			}
			got, err := ParseInterviewTime(tt.text, n, paris, tt.def)
			switch {
			case tt.err != nil:
				if !errors.Is(err, tt.err) {
					t.Fatalf("got %+v, %v; want %v", got, err, tt.err)
				}
			case err != nil:
				t.Fatalf("error %v", err)
			case !tt.want.IsZero():
				if !got.HasTime || !got.At.Equal(tt.want) {
					t.Fatalf("got %v (time %v), want %v", got.At.UTC(), got.HasTime, tt.want)
				}
			default:
				if got.HasTime || !got.Day.Equal(tt.wantDay) {
					t.Fatalf("got day %v (time %v), want day %v only", got.Day, got.HasTime, tt.wantDay)
				}
			}
		})
	}
}

func TestReminderSpecs(t *testing.T) {
	h := &Appointments{InterviewReminders: []time.Duration{48 * time.Hour, 3 * time.Hour}}
	want := []store.ReminderSpec{
		{Kind: store.ReminderToResident, Offset: 48 * time.Hour},
		{Kind: store.ReminderToResident, Offset: 3 * time.Hour},
		{Kind: store.ReminderNoAnswer, Offset: 48 * time.Hour},
	}
	if got := h.reminderSpecs(); !reflect.DeepEqual(got, want) {
		t.Fatalf("specs = %+v, want %+v", got, want)
	}
}

func TestToggleDocKeepsChecklistOrder(t *testing.T) {
	docs := ivToggleDoc(nil, "id")
	docs = ivToggleDoc(docs, "permit")
	docs = ivToggleDoc(docs, "tax")
	if want := []string{"permit", "tax", "id"}; !reflect.DeepEqual(docs, want) {
		t.Fatalf("docs = %v, want %v", docs, want)
	}
	if docs = ivToggleDoc(docs, "tax"); !reflect.DeepEqual(docs, []string{"permit", "id"}) {
		t.Fatalf("untick: %v", docs)
	}
	if docs = ivToggleDoc(docs, "forged"); !reflect.DeepEqual(docs, []string{"permit", "id"}) {
		t.Fatalf("unknown document changed the list: %v", docs)
	}
}

func TestSlots(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
		m  int
	}{
		{"0800", true, 480}, {"1430", true, 870}, {"1800", true, 1080},
		{"0730", false, 0}, {"1830", false, 0}, {"1415", false, 0}, {"1460", false, 0}, {"abcd", false, 0}, {"800", false, 0},
	} {
		m, ok := ivParseSlot(tt.in)
		if ok != tt.ok || (ok && m != tt.m) {
			t.Errorf("ivParseSlot(%q) = %d, %v", tt.in, m, ok)
		}
		if ok && ivFormatSlot(m) != tt.in {
			t.Errorf("ivFormatSlot(%d) = %q", m, ivFormatSlot(m))
		}
	}
}

func TestCleanRelayText(t *testing.T) {
	if s, ok := cleanRelayText("  Bonjour,\nà demain  "); !ok || s != "Bonjour,\nà demain" {
		t.Fatalf("got %q %v", s, ok)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("x", 1501), "a\x00b", "a\x1bb"} {
		if _, ok := cleanRelayText(bad); ok {
			t.Errorf("cleanRelayText(%q) accepted", bad)
		}
	}
	if _, ok := cleanRelayText(strings.Repeat("ب", 1500)); !ok {
		t.Error("1500 characters refused")
	}
}

// typedDayMonth is a day as staff type it: "3/12".
func typedDayMonth(t time.Time) string {
	p := t.In(storetest.Paris)
	return fmt.Sprintf("%d/%d", p.Day(), int(p.Month()))
}
