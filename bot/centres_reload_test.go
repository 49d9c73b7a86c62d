package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/store"
)

// addCentre adds a centre with a bot of its own while the bot runs, as
// `cairbot centre add` does: @BotFather makes the hub's n-th bot, and
// centre_bots gets its row.
func (h *harness) addCentre(slug string, n int) *testCentre {
	h.t.Helper()
	c := &testCentre{slug: slug, n: n, tg: telegramtest.New(h.t, telegramtest.NthBot(n, h.tgOpts))}
	h.hub.Add(c.tg)
	row, err := h.st.AddCentreBot(context.Background(), slug, "Centre "+slug, store.CentreBot{
		Token: store.Secret(c.tg.Token()), Username: c.tg.BotUsername(), WebhookSecret: store.Secret("secret-of-" + slug),
	})
	if err != nil {
		h.t.Fatal(err)
	}
	c.id = row.ID
	h.centres[slug] = c
	return c
}

// reload moves the bot's clock to its next reading of centre_bots, and
// waits until what it found there is served (done). The clock moves again
// while it is not: a bot just started may time its first reload from
// after the first move.
func (h *harness) reload(what string, done func() bool) {
	h.t.Helper()
	for range 5 {
		h.clock.Advance(bot.CentreBotsReload)
		deadline := time.Now().Add(4 * time.Second)
		for time.Now().Before(deadline) {
			if done() {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	h.t.Fatalf("not %s after 5 reloads", what)
}

// logged is a reload's end: the bot logged msg n times.
func (h *harness) logged(msg string, n int) func() bool {
	return func() bool { return h.logs.count(msg) >= n }
}

// TestCentreAddedWhileRunningIsPolled: in polling mode a centre added
// while the bot runs is polled at once (the database notifies the change;
// the bot's clock does not move), with its command menus; its bot given
// another token is polled under the new one; removed, its bot is no longer
// served.
func TestCentreAddedWhileRunningIsPolled(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withCentres())
	lille := h.addCentre("lille", 1)
	lille.tg.WaitFor(t, 10*time.Second, "the new bot served without a reload", h.logged("centre bot served", 1))
	u := telegramtest.User{ID: 73001, LanguageCode: "fr"}
	_, upd, n := h.signUpAt(lille, u, store.RoleResident, "Farid K.", "fr")
	if upd != 1 || n != 4 {
		t.Fatalf("sign-up on the new bot: update %d, %d messages", upd, n)
	}
	lille.tg.WaitFor(t, 10*time.Second, "the new bot's menus", func() bool {
		return len(lille.tg.Commands("all_private_chats", 0, "fa")) > 0
	})
	if got := h.tg.Messages(u.ID); len(got) != 0 {
		t.Fatalf("the default bot answered Lille's resident: %v", texts(got))
	}

	// @BotFather gives Lille another bot: the new token is polled, and
	// its resident is known there.
	other := telegramtest.New(t, telegramtest.NthBot(2, h.tgOpts))
	h.hub.Add(other)
	if _, err := h.pool.Exec(context.Background(), `UPDATE centre_bots SET token = $2, username = $3 WHERE centre_id = $1`,
		lille.id, other.Token(), other.BotUsername()); err != nil {
		t.Fatal(err)
	}
	h.reload("the other bot served", h.logged("centre bot served", 2))
	other.SendText(u, "/mydata")
	if got := other.WaitMessages(t, u.ID, 1, 10*time.Second)[0].Text; !strings.HasPrefix(got, "🔒") {
		t.Fatalf("/mydata on Lille's new bot: %q", got)
	}

	// Removed: no longer served.
	if _, err := h.pool.Exec(context.Background(), `DELETE FROM centre_bots WHERE centre_id = $1`, lille.id); err != nil {
		t.Fatal(err)
	}
	h.reload("the removed bot left", h.logged("centre bot no longer served", 1))
}

// TestCentreAddedWhileRunningGetsWebhookUpdates: in webhook mode an
// update on the path of a centre added after the start is routed to its
// bot at once (found by its slug), and the reload points the bot's
// webhook here, so Telegram's own deliveries arrive.
func TestCentreAddedWhileRunningGetsWebhookUpdates(t *testing.T) {
	t.Parallel()
	h := newHarness(t, webhookMode, withCentres())
	lille := h.addCentre("lille", 1)

	u := telegramtest.User{ID: 74001, LanguageCode: "fr"}
	_, code := h.invite(lille, store.RoleResident, "Farid K.", "fr")
	lille.tg.AddChat(u.ID)
	body, err := json.Marshal(models.Update{ID: 9001, Message: &models.Message{
		ID: 1, Date: int(h.clock.Now().Unix()), From: &models.User{ID: u.ID, LanguageCode: "fr"},
		Chat: models.Chat{ID: u.ID, Type: models.ChatTypePrivate}, Text: "/start " + code,
		Entities: []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 0, Length: 6}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, h.cfg.WebhookURL+"/lille", bytes.NewReader(body))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "secret-of-lille")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("an update of the new centre's bot: HTTP %d", resp.StatusCode)
	}
	if got, want := lille.tg.WaitMessages(t, u.ID, 1, 10*time.Second)[0].Text, h.loc("fr").T("start.welcome", "Name", "Farid K."); got != want {
		t.Fatalf("welcome = %q, want %q", got, want)
	}

	// Found by its first update, the bot may be served from the start
	// already; else the reload points its webhook here.
	h.reload("the new bot's webhook set", func() bool { return lille.tg.WebhookURL() == h.cfg.WebhookURL+"/lille" })
	if got := lille.tg.WebhookSecret(); got != "secret-of-lille" {
		t.Fatalf("the new bot's webhook secret is %q", got)
	}
	v := telegramtest.User{ID: 74002, LanguageCode: "fr"}
	h.signUpAt(lille, v, store.RoleResident, "Gebre H.", "fr")
}
