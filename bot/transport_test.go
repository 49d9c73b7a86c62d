package bot_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/store"
)

// failedSends counts the sendMessage calls to a chat that Telegram answered
// with status.
func failedSends(h *harness, chatID int64, status int) int {
	n := 0
	for _, c := range h.tg.CallsTo("sendMessage") {
		if c.Params["chat_id"] == strconv.FormatInt(chatID, 10) && c.Status == status {
			n++
		}
	}
	return n
}

// TestTelegramOutageLosesNoReply: Telegram answers 500 to every message
// for longer than the Sender's retry budget while several people write.
// Nothing is lost or doubled: once Telegram is back, each message gets its
// one answer, in order, and no apology — in polling mode (the update is
// not confirmed) as in webhook mode (503, and Telegram posts it again).
func TestTelegramOutageLosesNoReply(t *testing.T) {
	t.Parallel()
	modes := []struct {
		name string
		opts []harnessOption
	}{
		{"polling", []harnessOption{fastRetries}},
		{"webhook", []harnessOption{fastRetries, webhookMode}},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, mode.opts...)
			users := []telegramtest.User{{ID: 40001, LanguageCode: "en"}, {ID: 40002, LanguageCode: "en"}, {ID: 40003, LanguageCode: "en"}}
			before := map[int64]int{}
			for i, u := range users {
				_, before[u.ID] = h.signUp(u, store.RoleResident, "Sami "+strconv.Itoa(i), "en")
			}

			end := h.tg.Outage("sendMessage", 0, 500)
			var wg sync.WaitGroup
			for _, u := range users {
				wg.Add(1)
				go func() {
					defer wg.Done()
					h.tg.SendText(u, "/help")
					h.tg.SendText(u, "/mydata")
				}()
			}
			// Each chat's first message is handled again after the Sender
			// gave up on it: more failed sends than one retry budget (5).
			h.tg.WaitFor(t, 20*time.Second, "more than one retry budget of failed sends in every chat", func() bool {
				for _, u := range users {
					if failedSends(h, u.ID, 500) <= 5 {
						return false
					}
				}
				return true
			})
			end()
			wg.Wait()

			for _, u := range users {
				n := before[u.ID]
				msgs := h.tg.WaitMessages(t, u.ID, n+2, 15*time.Second)
				if !strings.HasPrefix(msgs[n].Text, "❓ What you can do:") || !strings.HasPrefix(msgs[n+1].Text, "🔒") {
					t.Fatalf("chat %d after the outage: %q, want the help then the data notice", u.ID, texts(msgs[n:]))
				}
			}
			time.Sleep(300 * time.Millisecond)
			for _, u := range users {
				if got := len(h.tg.Messages(u.ID)); got != before[u.ID]+2 {
					t.Fatalf("chat %d has %d messages, want %d: %q", u.ID, got, before[u.ID]+2, texts(h.tg.Messages(u.ID)))
				}
			}
			if mode.name == "webhook" && !slices.Contains(h.tg.WebhookStatuses(), 503) {
				t.Fatalf("webhook statuses %v: no 503 asked Telegram to post again", h.tg.WebhookStatuses())
			}
		})
	}
}

// TestPaymentConfirmedDuringOutageIsRecordedOnce: staff confirm a payment
// while Telegram fails every message. The payment is written at the first
// run, its answer fails, and the update is handled again until Telegram is
// back: the payment stays single, and the confirmation staff finally see
// is the receipt number — not "button not valid", which would have them
// record it again by hand.
func TestPaymentConfirmedDuringOutageIsRecordedOnce(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct {
		name string
		opts []harnessOption
	}{
		{"polling", []harnessOption{fastRetries}},
		{"webhook", []harnessOption{fastRetries, webhookMode}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, mode.opts...)
			staffU := telegramtest.User{ID: 41001, LanguageCode: "en"}
			_, n := h.signUp(staffU, store.RoleStaff, "Claire D.", "en")
			resident, _ := h.addPerson(store.RoleResident, "Omar Hassan", "214", "ar")

			h.tg.SendText(staffU, "/payment")
			h.waitText(staffU, n+1)
			h.tg.SendText(staffU, "Omar")
			pick := h.waitText(staffU, n+2)
			if len(pick.InlineKeyboard) != 1 {
				t.Fatalf("pick = %q %+v", pick.Text, pick.InlineKeyboard)
			}
			h.tg.PressButton(staffU, pick.ID, pick.InlineKeyboard[0][0].CallbackData)
			h.waitText(staffU, n+3)
			h.tg.SendText(staffU, "12.50")
			confirm := h.waitText(staffU, n+4)

			end := h.tg.Outage("sendMessage", 0, 500)
			done := make(chan struct{})
			go func() {
				defer close(done)
				h.tg.PressButton(staffU, confirm.ID, "pay:ok")
			}()
			h.tg.WaitFor(t, 20*time.Second, "the confirmation handled again after a failed answer", func() bool {
				return failedSends(h, staffU.ID, 500) > 5
			})
			if c := h.count(`SELECT count(*) FROM ledger_entries WHERE kind = 'payment' AND person_id = $1`, resident.ID); c != 1 {
				t.Fatalf("during the outage: %d payments, want 1", c)
			}
			end()
			<-done

			got := h.waitText(staffU, n+5).Text
			want := "✅ Payment recorded: €12.50 from Omar Hassan (room 214).\n" +
				"Receipt number: " + balReceipt(h.clock.Now()) + ". He has no Telegram account yet: please write this number on a paper receipt for him."
			if got != want {
				t.Fatalf("after the outage staff got %q\nwant %q", got, want)
			}
			h.quiet(staffU, n+5)
			if c := h.count(`SELECT count(*) FROM ledger_entries WHERE kind = 'payment' AND person_id = $1 AND cents = -1250`, resident.ID); c != 1 {
				t.Fatalf("payments = %d, want 1", c)
			}
			if c := h.count(`SELECT count(*) FROM audit_log WHERE action = 'payment.record' AND subject_id = $1`, resident.ID); c != 1 {
				t.Fatalf("audit entries = %d, want 1", c)
			}
		})
	}
}

// shortLease makes an update's lease 800 ms, and the fake Telegram post a
// refused webhook update again every 50 ms without giving up.
func shortLease(h *harness) {
	h.cfg.UpdateLease = 800 * time.Millisecond
	h.cfg.ChatRate = 1000
	h.cfg.GlobalRate = 1000
	h.tgOpts.WebhookRetryDelay = 50 * time.Millisecond
	h.tgOpts.WebhookMaxAttempts = 1 << 20
}

// TestUpdateOfDeadProcessIsTakenOver: a process claimed an update and died
// without renewing its lease (simulated by a claim under another owner).
// In webhook mode the update is answered 503 while the lease runs — the
// process might be alive — and handled once it lapses, well within 10 s. In
// polling mode only one poller runs, so the lease can only be its own from
// before a crash: it is taken over at once.
func TestUpdateOfDeadProcessIsTakenOver(t *testing.T) {
	t.Parallel()
	// A long lease in polling mode shows the poller did not wait for it.
	longLease := func(h *harness) { h.cfg.UpdateLease = 5 * time.Second }
	tests := []struct {
		name        string
		opts        []harnessOption
		waitsLapse  bool // answered only after the dead lease lapsed
		wantRefused bool // the first delivery is answered 503
	}{
		{"webhook", []harnessOption{shortLease, webhookMode}, true, true},
		{"polling", []harnessOption{shortLease, longLease}, false, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tt.opts...)
			u := telegramtest.User{ID: 42001 + int64(i), LanguageCode: "en"}
			_, n := h.signUp(u, store.RoleResident, "Sami A.", "en")
			last := h.tg.SendText(u, "/help")
			h.waitText(u, n+1)

			// The next update id, as Telegram numbers them.
			dead := store.NewState(h.rdb, h.cfg.RedisPrefix, time.Minute, h.cfg.UpdateLease)
			claimed := time.Now()
			if err := dead.ClaimUpdate(context.Background(), last+1, "dead-process", false); err != nil {
				t.Fatal(err)
			}
			statusesBefore := len(h.tg.WebhookStatuses())
			if id := h.tg.SendText(u, "/mydata"); id != last+1 {
				t.Fatalf("update id %d, want %d", id, last+1)
			}
			if tt.wantRefused {
				if st := h.tg.WebhookStatuses()[statusesBefore:]; len(st) == 0 || st[0] != 503 {
					t.Fatalf("first delivery answered %v, want 503 while the lease runs", st)
				}
			}
			got := h.tg.WaitMessages(t, u.ID, n+2, 10*time.Second)[n+1]
			took := time.Since(claimed)
			if !strings.HasPrefix(got.Text, "🔒") {
				t.Fatalf("answer %q", got.Text)
			}
			switch {
			case tt.waitsLapse && took < h.cfg.UpdateLease*3/4:
				t.Fatalf("handled after %v, before the dead process's lease of %v lapsed", took, h.cfg.UpdateLease)
			case !tt.waitsLapse && took >= h.cfg.UpdateLease*3/4:
				t.Fatalf("handled after %v, want at once (the poller's own lease)", took)
			}
			h.quiet(u, n+2)
			if v := h.rdb.Get(context.Background(), h.cfg.RedisPrefix+":upd:"+strconv.FormatInt(last+1, 10)).Val(); v != "done" {
				t.Fatalf("update marked %q, want done", v)
			}
		})
	}
}

// TestRenewedLeaseIsNotTakenOver: while one process handles an update for
// longer than several leases (Telegram answering 502, the Sender backing
// off), a second process that receives the same update answers 503 each
// time — the first renews its lease — and, once the first is done, 200
// without handling it again: one answer.
func TestRenewedLeaseIsNotTakenOver(t *testing.T) {
	t.Parallel()
	// A lease of 2 s, renewed every 667 ms: shortLease's 800 ms lapsed
	// when a loaded machine (the race detector, two test packages and two
	// busy loops on 2 cores) delayed one renewal by over half a second.
	h := newHarness(t, shortLease, webhookMode, func(h *harness) {
		h.cfg.UpdateLease = 2 * time.Second
		h.cfg.SendBackoff = 600 * time.Millisecond
	})
	u := telegramtest.User{ID: 43001, LanguageCode: "en"}
	_, n := h.signUp(u, store.RoleResident, "Sami A.", "en")
	second := h.secondProcess()

	body := []byte(`{"update_id": 990001, "message": {"message_id": 900, "date": 1, "chat": {"id": 43001, "type": "private"}, "from": {"id": 43001, "first_name": "S", "language_code": "en"}, "text": "/mydata", "entities": [{"type": "bot_command", "offset": 0, "length": 7}]}}`)
	post := func(app *bot.App) int {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/telegram/webhook", bytes.NewReader(body))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", h.cfg.WebhookSecret)
		app.WebhookHandler().ServeHTTP(rec, req)
		return rec.Code
	}
	// Three failures: the first process works on the update for at least
	// 600+1200+2400 ms, over two leases.
	h.tg.FailNext("sendMessage", u.ID, 502, 0, 3)
	first := make(chan int, 1)
	started := time.Now()
	go func() { first <- post(h.app) }()
	h.tg.WaitFor(t, 5*time.Second, "the first process at work", func() bool { return failedSends(h, u.ID, 502) > 0 })

	firstDone := func(code int) {
		if code != http.StatusOK {
			t.Fatalf("first process answered %d", code)
		}
	}
	refused := 0
	var lastRefusal time.Duration
	for done := false; !done; {
		select {
		case code := <-first:
			firstDone(code)
			done = true
		case <-time.After(100 * time.Millisecond):
			switch code := post(second); code {
			case http.StatusServiceUnavailable:
				refused++
				lastRefusal = time.Since(started)
			case http.StatusOK:
				// Only right as the first finishes (a second handling
				// would show as a second answer below).
				select {
				case code := <-first:
					firstDone(code)
					done = true
				case <-time.After(2 * time.Second):
					t.Fatalf("second process answered 200 while the first held the update")
				}
			default:
				t.Fatalf("second process answered %d", code)
			}
		}
	}
	// Without renewals the lease would have lapsed one lease after the
	// claim: a refusal well after it shows the lease was renewed.
	if lastRefusal < h.cfg.UpdateLease*3/2 {
		t.Fatalf("last refusal after %v (%d refusals): the first process did not outlast its first lease of %v", lastRefusal, refused, h.cfg.UpdateLease)
	}
	if code := post(second); code != http.StatusOK {
		t.Fatalf("second process after the first finished: %d, want 200", code)
	}
	h.waitText(u, n+1)
	h.quiet(u, n+1)
}

// secondProcess starts another bot process in webhook mode on the same
// database and Redis, as a second replica behind the webhook's address.
func (h *harness) secondProcess() *bot.App { return h.otherProcess((*bot.App).Run) }

// TestWebhookServerCutsSlowBodies talks to the bot's own HTTP server, with
// a read timeout of 500 ms: a client that knows the secret but sends its
// body a few bytes at a time and then stalls is cut off well before its
// stall ends, while a normal update — even one whose handling outlasts the
// read timeout — is handled and answered 200.
func TestWebhookServerCutsSlowBodies(t *testing.T) {
	t.Parallel()
	h := newHarness(t, webhookMode, func(h *harness) {
		h.cfg.WebhookReadTimeout = 500 * time.Millisecond
		h.cfg.SendBackoff = 400 * time.Millisecond
	})
	u := telegramtest.User{ID: 44001, LanguageCode: "en"}
	_, n := h.signUp(u, store.RoleResident, "Sami A.", "en")
	var addr string
	h.tg.WaitFor(t, 5*time.Second, "the bot's HTTP server", func() bool { addr = h.app.HTTPAddr(); return addr != "" })
	update := func(id int) string {
		return `{"update_id": ` + strconv.Itoa(id) + `, "message": {"message_id": ` + strconv.Itoa(id) + `, "date": 1, "chat": {"id": 44001, "type": "private"}, "from": {"id": 44001, "first_name": "S", "language_code": "en"}, "text": "/mydata", "entities": [{"type": "bot_command", "offset": 0, "length": 7}]}}`
	}

	t.Run("slow body", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		body := update(880001)
		start := time.Now()
		_, err = io.WriteString(conn, "POST /telegram/webhook HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"+
			"X-Telegram-Bot-Api-Secret-Token: "+h.cfg.WebhookSecret+"\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body[:10])
		if err != nil {
			t.Fatal(err)
		}
		// The client stalls for 10 s; the server must not wait for it.
		_ = conn.SetReadDeadline(start.Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		took := time.Since(start)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("the server still waited for the body after %v", took)
		}
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("slow body answered %d, want 400 or a closed connection", resp.StatusCode)
			}
		}
		if took > 3*time.Second {
			t.Fatalf("cut off after %v, want about the read timeout of %v", took, h.cfg.WebhookReadTimeout)
		}
		h.quiet(u, n)
	})

	t.Run("normal and slow handling", func(t *testing.T) {
		// Telegram fails twice: handling takes 400+800 ms or more, longer
		// than the read timeout.
		h.tg.FailNext("sendMessage", u.ID, 502, 0, 2)
		start := time.Now()
		resp, err := post(addr, h.cfg.WebhookSecret, update(880002))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("update answered %d after %v", resp.StatusCode, time.Since(start))
		}
		if took := time.Since(start); took < h.cfg.WebhookReadTimeout {
			t.Fatalf("handled in %v: the test did not outlast the read timeout", took)
		}
		if got := h.waitText(u, n+1).Text; !strings.HasPrefix(got, "🔒") {
			t.Fatalf("answer %q", got)
		}
		h.quiet(u, n+1)
	})
}

func post(addr, secret, body string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/telegram/webhook", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	return http.DefaultClient.Do(req)
}

// TestTelegramRequestsCarryTheirLength: every call to Telegram leaves with
// its body whole and a Content-Length, not streamed chunk by chunk (one
// write per form part: the largest CPU cost of a reply, issue 13), and the
// form still arrives intact — text, keyboard and command menus alike.
func TestTelegramRequestsCarryTheirLength(t *testing.T) {
	t.Parallel()
	h := newHarness(t, webhookMode)
	u := telegramtest.User{ID: 40101, LanguageCode: "en"}
	_, n := h.signUp(u, store.RoleResident, "Sami", "en")
	if menu := h.waitText(u, n); len(menu.ReplyKeyboard) == 0 {
		t.Fatalf("the menu %q came without its keyboard", menu.Text)
	}
	h.tg.SendText(u, "/balance")
	if got := h.waitText(u, n+1); !strings.Contains(got.Text, "€") {
		t.Fatalf("/balance answered %q, want the balance", got.Text)
	}
	calls := 0
	for _, m := range []string{"sendMessage", "setMyCommands", "setWebhook"} {
		for _, c := range h.tg.CallsTo(m) {
			calls++
			if c.Chunked {
				t.Errorf("%s was sent chunked (params %v)", m, c.Params)
			}
		}
	}
	if calls < 3 {
		t.Fatalf("%d calls to look at, want the reply, the menus and the webhook", calls)
	}
}
