package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

func TestRenderAnnouncementPicksTheReadersVersion(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	free := store.Announcement{Body: "Réunion demain.", Versions: map[string]string{"ar": "اجتماع غدًا.", "ti": "ኣኼባ ጽባሕ።"}}
	for lang, want := range map[string]string{"ar": "اجتماع غدًا.", "ti": "ኣኼባ ጽባሕ።", "fr": "Réunion demain.", "fa-AF": "Réunion demain."} {
		if got, ok := RenderAnnouncement(cat.Localizer(lang), free); !ok || got != want {
			t.Errorf("%s: %q, %v; want %q", lang, got, ok, want)
		}
	}
	tpl := store.Announcement{Template: "mail", Params: map[string]string{paramDate: "2026-12-04"}}
	ti := cat.Localizer("ti")
	got, ok := RenderAnnouncement(ti, tpl)
	if want := ti.T("announce.tpl.mail", "Date", ti.F.Date(parseISO(t, "2026-12-04"))); !ok || got != want {
		t.Errorf("ti mail = %q, want %q", got, want)
	}
	if _, ok := RenderAnnouncement(ti, store.Announcement{}); ok {
		t.Error("an empty announcement rendered")
	}
}

func TestProgressTextShowsCountsThenTheMessage(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	ar := cat.Localizer("ar")
	a := store.Announcement{Body: "Hello"}
	got := progressText(ar, a, store.BroadcastCounts{Sent: 2, Failed: 1, Pending: 9})
	want := ar.T("announce.progress", "Done", ar.F.Number(3), "Total", ar.F.Number(12)) + "\n\nHello"
	if got != want {
		t.Errorf("progress = %q, want %q", got, want)
	}
	// Arabic is written with Latin digits (docs/LANGUAGES.md).
	if want := "📤 جارٍ الإرسال: تم \u20683\u2069 من \u206812\u2069.\n\nHello"; got != want {
		t.Errorf("Arabic progress = %q, want %q", got, want)
	}
	done := progressText(ar, a, store.BroadcastCounts{Sent: 12})
	if !strings.HasPrefix(done, ar.T("announce.progress_done", "Done", ar.F.Number(12), "Total", ar.F.Number(12))) {
		t.Errorf("finished progress = %q", done)
	}
}

// progressStore is an announcement's outbox as the progress job sees it:
// its counts move on while the job waits for the staff chat's turn.
type progressStore struct {
	AnnouncementStore // only what the progress job calls is implemented
	st                store.BroadcastStatus
	claimed           bool
}

func (s *progressStore) BroadcastStatus(context.Context, int64, int64) (store.BroadcastStatus, error) {
	return s.st, nil
}

func (s *progressStore) SetProgressShown(_ context.Context, _ int64, done int) error {
	s.st.Shown = done
	return nil
}

func (s *progressStore) ClaimReport(context.Context, int64, time.Time) (bool, error) {
	claimed := !s.claimed
	s.claimed = true
	return claimed, nil
}

// staffTurns is the staff chat's pace: each TakeTurn is given the next of
// waits (0: taken at once; more: that far off, not taken). While the job
// waits for a turn it takes, the announcement's messages go on leaving
// (the counts become after).
type staffTurns struct {
	s     *progressStore
	after store.BroadcastCounts
	waits []time.Duration
	calls []int64
}

func (w *staffTurns) TakeTurn(ctx context.Context, chatID int64) (context.Context, time.Duration, error) {
	w.calls = append(w.calls, chatID)
	var wait time.Duration
	if len(w.waits) > 0 {
		wait, w.waits = w.waits[0], w.waits[1:]
	}
	if wait > 0 {
		return ctx, wait, nil
	}
	w.s.st.Counts = w.after
	return ctx, 0, nil
}

// sentTexts records what the progress job sends and edits.
type sentTexts struct{ edits, messages []string }

func (s *sentTexts) SendMessage(_ context.Context, p *tgbot.SendMessageParams) (*models.Message, error) {
	s.messages = append(s.messages, p.Text)
	return &models.Message{ID: 99}, nil
}

func (s *sentTexts) EditMessageText(_ context.Context, p *tgbot.EditMessageTextParams) (*models.Message, error) {
	s.edits = append(s.edits, p.Text)
	return &models.Message{ID: p.MessageID}, nil
}

func (s *sentTexts) SetMyCommands(context.Context, *tgbot.SetMyCommandsParams) error { return nil }

type noAuthor struct{}

func (noAuthor) PersonByID(context.Context, int64, int64) (store.Person, error) {
	return store.Person{}, store.ErrNotFound
}

// TestProgressCountsOnceTheStaffChatsTurnCame: the progress edit and the
// report wait for the staff chat's turns, and what the edit shows is
// counted once its turn came, not before (a count read before showed 1
// sent when 24 were). A turn that is far off is waited for snoozed, not
// with a worker in hand.
func TestProgressCountsOnceTheStaffChatsTurnCame(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	en := cat.Localizer("en")
	ann := store.Announcement{ID: 7, Body: "Fire drill", ProgressChatID: 500, ProgressMessageID: 3}
	progress := func(done int) string {
		return en.T("announce.progress", "Done", strconv.Itoa(done), "Total", "20")
	}
	finished := en.T("announce.progress_done", "Done", "20", "Total", "20")
	report := en.T("announce.report", "Sent", "19", "Unreachable", "1", "Failed", "0")
	sending := func(sent int) store.BroadcastCounts { return store.BroadcastCounts{Sent: sent, Pending: 20 - sent} }
	done := store.BroadcastCounts{Sent: 19, Unreachable: 1}
	for _, c := range []struct {
		name          string
		shown         int
		reported      bool
		before, after store.BroadcastCounts
		waits         []time.Duration
		wantSnooze    time.Duration // 0: none
		wantTurns     int
		wantEdits     []string
		wantReport    bool
	}{
		{name: "messages leave while the turn comes", shown: 1, before: sending(3), after: sending(12),
			wantSnooze: progressEvery, wantTurns: 1, wantEdits: []string{progress(12)}},
		{name: "the turn is far off", shown: 1, before: sending(3), after: sending(12), waits: []time.Duration{700 * time.Millisecond},
			wantSnooze: 700 * time.Millisecond, wantTurns: 1},
		{name: "nothing new to show", shown: 5, before: sending(5), after: sending(9),
			wantSnooze: progressEvery},
		{name: "the last leave while the turn comes", shown: 1, before: sending(2), after: done,
			wantTurns: 2, wantEdits: []string{finished}, wantReport: true},
		{name: "the report's turn is far off", shown: 1, before: sending(2), after: done, waits: []time.Duration{0, 800 * time.Millisecond},
			wantSnooze: 800 * time.Millisecond, wantTurns: 2, wantEdits: []string{finished}},
		{name: "finished, the end not shown yet", shown: 17, before: done, after: done,
			wantTurns: 2, wantEdits: []string{finished}, wantReport: true},
		{name: "finished and shown, the report left", shown: 20, before: done, after: done,
			wantTurns: 1, wantReport: true},
		{name: "reported", shown: 20, reported: true, before: done, after: done},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := &progressStore{st: store.BroadcastStatus{Announcement: ann, Counts: c.before, Shown: c.shown, Reported: c.reported}}
			turns := &staffTurns{s: st, after: c.after, waits: c.waits}
			out := &sentTexts{}
			h := &Announcements{
				Base: Base{Send: out, Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
					Clock: time.Now, Lookup: noAuthor{}},
				Announcements: st, DefaultLang: "en", Turns: turns,
			}
			w := &AnnounceProgressWorker{h: h}
			err := w.Work(context.Background(), &river.Job[AnnounceProgressArgs]{
				JobRow: &rivertype.JobRow{}, Args: AnnounceProgressArgs{CentreID: 1, AnnouncementID: ann.ID}})
			var snooze *river.JobSnoozeError
			switch {
			case c.wantSnooze == 0 && err != nil:
				t.Fatalf("Work: %v; want nil", err)
			case c.wantSnooze != 0 && (!errors.As(err, &snooze) || snooze.Duration != c.wantSnooze):
				t.Fatalf("Work: %v; want a snooze of %v", err, c.wantSnooze)
			}
			if len(turns.calls) != c.wantTurns {
				t.Errorf("%d turns asked for, want %d", len(turns.calls), c.wantTurns)
			}
			for _, chat := range turns.calls {
				if chat != ann.ProgressChatID {
					t.Errorf("a turn of chat %d, want the staff chat's", chat)
				}
			}
			var edits []string
			for _, e := range out.edits {
				status, _, _ := strings.Cut(e, "\n\n")
				edits = append(edits, status)
			}
			if !slices.Equal(edits, c.wantEdits) {
				t.Errorf("edits %q, want %q", edits, c.wantEdits)
			}
			if got := len(out.messages) == 1 && out.messages[0] == report; got != c.wantReport || len(out.messages) > 1 {
				t.Errorf("report %q; want it sent: %v", out.messages, c.wantReport)
			}
			if st.claimed != c.wantReport {
				t.Errorf("report claimed: %v, want %v", st.claimed, c.wantReport)
			}
		})
	}
}
