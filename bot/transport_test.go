package bot_test

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

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
			en := h.loc("en")
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
				if !strings.HasPrefix(msgs[n].Text, en.T("help.title")) || !strings.HasPrefix(msgs[n+1].Text, "🔒") {
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
				"Receipt number: R-2026-000001. He has no Telegram account yet: please write this number on a paper receipt for him."
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
