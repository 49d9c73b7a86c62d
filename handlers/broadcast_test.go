package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
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

// turnAfter is the staff chat's pace: while the job waits for its turn,
// the announcement's messages go on leaving (counts become after).
type turnAfter struct {
	s      *progressStore
	after  store.BroadcastCounts
	awaits []int64
}

func (w *turnAfter) AwaitTurn(ctx context.Context, chatID int64) (context.Context, error) {
	w.awaits = append(w.awaits, chatID)
	w.s.st.Counts = w.after
	return ctx, nil
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

// TestProgressCountsOnceTheStaffChatsTurnCame: the progress edit waits for
// the staff chat's pace, and the count it shows is read after that wait,
// not before (a count read before showed 1 sent when 24 were).
func TestProgressCountsOnceTheStaffChatsTurnCame(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	en := cat.Localizer("en")
	ann := store.Announcement{ID: 7, Body: "Fire drill", ProgressChatID: 500, ProgressMessageID: 3}
	for _, c := range []struct {
		name                 string
		shown                int
		before, after        store.BroadcastCounts
		wantEdit, wantReport string
		wantAwait            bool
		wantSnooze           bool
	}{
		{name: "messages leave during the wait", shown: 1,
			before: store.BroadcastCounts{Sent: 3, Pending: 17}, after: store.BroadcastCounts{Sent: 12, Pending: 8},
			wantEdit: en.T("announce.progress", "Done", "12", "Total", "20"), wantAwait: true, wantSnooze: true},
		{name: "the last leave during the wait", shown: 1,
			before: store.BroadcastCounts{Sent: 2, Pending: 18}, after: store.BroadcastCounts{Sent: 19, Unreachable: 1},
			wantEdit: en.T("announce.progress_done", "Done", "20", "Total", "20"), wantAwait: true,
			wantReport: en.T("announce.report", "Sent", "19", "Unreachable", "1", "Failed", "0")},
		{name: "nothing new to show", shown: 5,
			before: store.BroadcastCounts{Sent: 5, Pending: 15}, after: store.BroadcastCounts{Sent: 9, Pending: 11},
			wantSnooze: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := &progressStore{st: store.BroadcastStatus{Announcement: ann, Counts: c.before, Shown: c.shown}}
			turns := &turnAfter{s: st, after: c.after}
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
			if got := errors.As(err, &snooze); got != c.wantSnooze || (!got && err != nil) {
				t.Fatalf("Work: %v; want a snooze: %v", err, c.wantSnooze)
			}
			if got := len(turns.awaits) == 1 && turns.awaits[0] == ann.ProgressChatID; got != c.wantAwait {
				t.Errorf("turns awaited %v; want the staff chat's: %v", turns.awaits, c.wantAwait)
			}
			var edit string
			if len(out.edits) > 0 {
				edit, _, _ = strings.Cut(out.edits[len(out.edits)-1], "\n\n")
			}
			if len(out.edits) > 1 || edit != c.wantEdit {
				t.Errorf("edits %q; want one showing %q", out.edits, c.wantEdit)
			}
			if c.wantReport != "" && (len(out.messages) != 1 || out.messages[0] != c.wantReport) {
				t.Errorf("report %q; want %q", out.messages, c.wantReport)
			}
		})
	}
}
