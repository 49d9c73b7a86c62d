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
