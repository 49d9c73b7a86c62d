package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/store"
)

// roundRobin is the reverse proxy in front of several bot processes: one
// webhook address, each request to the next process in turn. It notes
// which process got each chat's updates.
type roundRobin struct {
	mu       sync.Mutex
	backends []*httputil.ReverseProxy
	next     int
	served   map[int64]map[int]int // chat → process index → updates posted to it
}

func newRoundRobin(t *testing.T) (*roundRobin, *httptest.Server) {
	rr := &roundRobin{served: map[int64]map[int]int{}}
	srv := httptest.NewServer(rr)
	t.Cleanup(srv.Close)
	return rr, srv
}

func (rr *roundRobin) add(addr string) {
	u, _ := url.Parse("http://" + addr)
	rr.mu.Lock()
	defer rr.mu.Unlock()
	rr.backends = append(rr.backends, httputil.NewSingleHostReverseProxy(u))
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rr.mu.Lock()
	if len(rr.backends) == 0 {
		rr.mu.Unlock()
		http.Error(w, "no backend yet", http.StatusBadGateway)
		return
	}
	i := rr.next % len(rr.backends)
	rr.next++
	b := rr.backends[i]
	rr.mu.Unlock()
	// Peek at the chat, as a proxy's access log would show the path only:
	// the test's own bookkeeping.
	body, _ := httputil.DumpRequest(req, true)
	if _, raw, ok := strings.Cut(string(body), "\r\n\r\n"); ok {
		var upd models.Update
		if json.Unmarshal([]byte(raw), &upd) == nil {
			chat := int64(0)
			switch {
			case upd.Message != nil:
				chat = upd.Message.Chat.ID
			case upd.CallbackQuery != nil:
				chat = upd.CallbackQuery.From.ID
			}
			rr.mu.Lock()
			if rr.served[chat] == nil {
				rr.served[chat] = map[int]int{}
			}
			rr.served[chat][i]++
			rr.mu.Unlock()
		}
	}
	b.ServeHTTP(w, req)
}

// servedBy says how many of a chat's updates each process got.
func (rr *roundRobin) servedBy(chat int64) map[int]int {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	out := map[int]int{}
	for k, v := range rr.served[chat] {
		out[k] = v
	}
	return out
}

// Two `cairbot run` processes in webhook mode behind one address, sharing
// PostgreSQL and Redis, updates posted to each in turn: one chat's answers
// still come in order, a conversation begun on one process goes on on the
// other, and reminders due at once (worked by both processes' job queues)
// reach each resident exactly once.
func TestTwoWebhookProcessesShareTheLoad(t *testing.T) {
	t.Parallel()
	rr, lb := newRoundRobin(t)
	r := newRig(t, "WEBHOOK_URL="+lb.URL+"/telegram/webhook", "WEBHOOK_SECRET=two_processes-secret")
	a := r.start([]string{"run"})
	b := r.start([]string{"run"})
	rr.add(a.addr)
	rr.add(b.addr)
	r.waitUntil(10*time.Second, "the webhook set", func() bool { return r.tg.WebhookURL() != "" })

	// Per-chat order: five messages sent at once, answered in order.
	people := r.residents(12, 720000, "en")
	u := user(people[0])
	sends := []struct{ text, want string }{
		{"/mydata", "🔒 What the bot keeps about you:"},
		{"/cancel", "There is nothing to stop."},
		{"/language", "🌐 Choose your language:"},
		{"/help", "❓ What you can do:"},
		{"ofpra", "ℹ️ OFPRA: the French office for the protection of refugees and stateless people."},
	}
	for _, s := range sends {
		r.tg.SendText(u, s.text)
	}
	msgs := r.tg.WaitMessages(t, u.ID, len(sends), 20*time.Second)
	for i, s := range sends {
		if !strings.HasPrefix(msgs[i].Text, s.want) {
			t.Fatalf("answer %d = %q, want it to start with %q", i+1, msgs[i].Text, s.want)
		}
	}
	if got := rr.servedBy(u.ID); got[0] == 0 || got[1] == 0 {
		t.Fatalf("the resident's updates went to one process only: %v", got)
	}

	// One conversation across both processes: staff move a resident to
	// another room in six steps, each posted to the other process.
	_, staff := r.member(store.RoleStaff, "Staff A", "en", 720100)
	before := rr.servedBy(staff.ID)
	r.tg.SendText(staff, "/residents")
	menu := r.waitButton(staff, 0, "resident:a:room")
	r.press(staff, menu, "resident:a:room")
	r.waitMessage(staff, 2, 10*time.Second)
	r.tg.SendText(staff, "Resident 001")
	pick := r.waitButton(staff, 2, "resident:")
	r.tg.PressButton(staff, pick.ID, pick.InlineKeyboard[0][0].CallbackData)
	if got := r.waitMessage(staff, 4, 10*time.Second).Text; got != "🚪 Resident 001 is in room 101. What is his new room?" {
		t.Fatalf("room question = %q", got)
	}
	r.tg.SendText(staff, "305")
	confirm := r.waitButton(staff, 4, "resident:ok")
	r.press(staff, confirm, "resident:ok")
	if got := r.waitMessage(staff, 6, 10*time.Second).Text; !strings.HasPrefix(got, "✅ Saved.") {
		t.Fatalf("after confirming: %q", got)
	}
	if n := r.count(`SELECT count(*) FROM people WHERE id = $1 AND room = '305'`, people[1].ID); n != 1 {
		t.Fatalf("the room was not changed")
	}
	after := rr.servedBy(staff.ID)
	if after[0]-before[0] == 0 || after[1]-before[1] == 0 {
		t.Fatalf("the conversation did not cross processes: %v", after)
	}

	// Reminders due together, worked by both processes: each once.
	ctx := context.Background()
	coord := r.person(store.NewPerson{Role: store.RoleCoordinator, DisplayName: "Coordinator", Language: "fr"}, 720200)
	now := time.Now()
	for _, p := range people[2:] {
		if _, err := r.st.CreateAppointment(ctx, store.NewAppointment{
			CentreID: r.centre.ID, PersonID: p.ID, CoordinatorID: coord.ID, Kind: "siao",
			At: now.Add(24*time.Hour + 3*time.Second), Place: "SIAO 75",
		}, []store.ReminderSpec{{Kind: store.ReminderToResident, Offset: 24 * time.Hour}}, now); err != nil {
			t.Fatal(err)
		}
	}
	r.waitUntil(60*time.Second, "every reminder sent", func() bool {
		return r.count(`SELECT count(*) FROM outbox WHERE kind = $1 AND state = 'sent'`, store.OutboxAppointmentReminder) == len(people)-2
	})
	r.waitSettled(store.OutboxAppointmentNotice, 30*time.Second)
	for _, p := range people[2:] {
		// the appointment's notice, then its reminder: two, never three
		if got := len(r.tg.Messages(*p.TelegramID)); got != 2 {
			t.Errorf("%s got %d messages, want the notice and one reminder: %q", p.DisplayName, got, texts(r.tg.Messages(*p.TelegramID)))
		}
	}
}

func texts(ms []telegramtest.SentMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Text
	}
	return out
}
