package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
)

// notify queues a plain outbox message to p, as a feature's change would.
func (h *harness) notify(p store.Person, key, msgID string, args map[string]string) int {
	h.t.Helper()
	n, err := h.st.Enqueue(context.Background(), h.clock.Now(), store.OutboxMessage{
		CentreID: p.CentreID, PersonID: p.ID, Kind: handlers.KindNotify, Key: key, MsgID: msgID, Args: args,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

// outboxRow reads the state and note of the outbox row with key.
func (h *harness) outboxRow(key string) (state, note string, attempts int) {
	h.t.Helper()
	err := h.pool.QueryRow(context.Background(), `SELECT state, note, attempts FROM outbox WHERE dedupe_key = $1`, key).
		Scan(&state, &note, &attempts)
	if err != nil {
		h.t.Fatalf("outbox row %s: %v", key, err)
	}
	return state, note, attempts
}

func (h *harness) waitOutboxState(key, want string) {
	h.t.Helper()
	h.tg.WaitFor(h.t, 20*time.Second, "outbox "+key+" "+want, func() bool {
		state, _, _ := h.outboxRow(key)
		return state == want
	})
}

func TestOutboxSendsOnceInTheRecipientsLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := telegramtest.User{ID: 31001, LanguageCode: "fa"}
	p, n := h.signUp(u, store.RoleResident, "Ahmad K.", "fa-AF")
	// Queued twice with one key: one row, one message.
	if got := h.notify(p, "test:hello", "error.busy", nil); got != 1 {
		t.Fatalf("first enqueue queued %d", got)
	}
	if got := h.notify(p, "test:hello", "error.busy", nil); got != 0 {
		t.Fatalf("second enqueue of the same key queued %d, want 0", got)
	}
	msg := h.waitText(u, n+1)
	// Written out by hand, not through the catalog.
	if want := "⏳ یک لحظه صبر کنید، هنوز روی پیام قبلی شما کار می‌کنم."; msg.Text != want {
		t.Fatalf("message = %q, want %q", msg.Text, want)
	}
	h.waitOutboxState("test:hello", "sent")
	var tgID int
	if err := h.pool.QueryRow(context.Background(), `SELECT telegram_message_id FROM outbox WHERE dedupe_key = 'test:hello'`).Scan(&tgID); err != nil {
		t.Fatal(err)
	}
	if tgID != msg.ID {
		t.Fatalf("telegram_message_id = %d, want %d", tgID, msg.ID)
	}
	h.quiet(u, n+1)
}

func TestOutboxOutcomes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cases := []struct {
		name      string
		user      int64
		prepare   func(u telegramtest.User, p store.Person)
		wantState string
		wantNote  string
		wantSent  int
	}{
		{"5xx is sent later", 31101, func(u telegramtest.User, _ store.Person) {
			h.tg.FailNext("sendMessage", u.ID, 500, 0, 1)
		}, "sent", "", 1},
		{"429 waits and is sent", 31102, func(u telegramtest.User, _ store.Person) {
			h.tg.FailNext("sendMessage", u.ID, 429, 1, 1)
		}, "sent", "", 1},
		{"403 is unreachable", 31103, func(u telegramtest.User, _ store.Person) {
			h.tg.Block(u.ID)
		}, "unreachable", "", 0},
		{"400 is refused, not retried", 31104, func(u telegramtest.User, _ store.Person) {
			h.tg.FailNext("sendMessage", u.ID, 400, 0, 1)
		}, "failed", store.NoteRefused, 0},
		{"a resident who left gets nothing", 31105, func(_ telegramtest.User, p store.Person) {
			if _, err := h.pool.Exec(context.Background(), `UPDATE people SET status = 'left' WHERE id = $1`, p.ID); err != nil {
				t.Fatal(err)
			}
		}, "unreachable", store.NoteNoAccount, 0},
	}
	type started struct {
		u    telegramtest.User
		n    int
		key  string
		want int
	}
	var all []started
	for _, c := range cases {
		u := telegramtest.User{ID: c.user, LanguageCode: "fr"}
		p, n := h.signUp(u, store.RoleResident, "Samir", "fr")
		c.prepare(u, p)
		key := "test:" + c.name
		h.notify(p, key, "error.busy", nil)
		all = append(all, started{u, n, key, c.wantSent})
	}
	for i, c := range cases {
		s := all[i]
		t.Run(c.name, func(t *testing.T) {
			// River retries on its clock: move it past the first backoff.
			h.tg.WaitFor(t, 30*time.Second, c.name, func() bool {
				h.clock.Advance(time.Second)
				state, _, _ := h.outboxRow(s.key)
				return state == c.wantState
			})
			_, note, _ := h.outboxRow(s.key)
			if note != c.wantNote {
				t.Fatalf("note = %q, want %q", note, c.wantNote)
			}
			if got := len(h.tg.Messages(s.u.ID)) - s.n; got != s.want {
				t.Fatalf("%d messages arrived, want %d", got, s.want)
			}
			if got := h.tg.Messages(s.u.ID); s.want == 1 && got[s.n].Text != "⏳ Un instant, je traite encore votre dernier message." {
				t.Fatalf("french text: %q", got[s.n].Text)
			}
		})
	}
}

// A row that a crash left in 'sending' follows its kind's rule: a plain
// notification is sent again (a duplicate beats a loss).
func TestOutboxRowLeftInDoubtIsResentWhenItsKindSaysSo(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := telegramtest.User{ID: 31201, LanguageCode: "fr"}
	p, n := h.signUp(u, store.RoleResident, "Samir", "fr")
	// Queue it while the rows cannot be sent yet, then fake the crash: the
	// row is 'sending' and its job runs again.
	h.tg.Block(u.ID)
	h.notify(p, "test:doubt", "error.busy", nil)
	h.waitOutboxState("test:doubt", "unreachable")
	h.tg.Unblock(u.ID)
	if _, err := h.pool.Exec(context.Background(), `UPDATE people SET unreachable = false WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.pool.Exec(context.Background(), `UPDATE outbox SET state = 'sending', note = '' WHERE dedupe_key = 'test:doubt'`); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := h.pool.QueryRow(context.Background(), `SELECT id FROM outbox WHERE dedupe_key = 'test:doubt'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Jobs().Insert(context.Background(), handlers.OutboxSendArgs{ID: id}, nil); err != nil {
		t.Fatal(err)
	}
	h.waitOutboxState("test:doubt", "sent")
	h.waitText(u, n+1)
	h.quiet(u, n+1)
}
