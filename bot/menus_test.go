package bot_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/redis/go-redis/v9"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/store"
)

// linkPeople adds people of the default centre already linked to their
// Telegram accounts, as many signed-up residents are when the bot
// restarts, with chats the fake Telegram knows; ids from firstID.
func (h *harness) linkPeople(firstID int64, people []struct {
	role store.Role
	lang string
}) []store.Person {
	h.t.Helper()
	ctx := context.Background()
	out := make([]store.Person, len(people))
	for i, p := range people {
		tgID := firstID + int64(i)
		_, code := h.addPerson(p.role, fmt.Sprintf("Person %d", i), "214", p.lang)
		linked, err := h.st.RedeemInviteInCentre(ctx, h.centreID(), code, tgID, h.clock.Now())
		if err != nil {
			h.t.Fatal(err)
		}
		h.tg.AddChat(tgID)
		out[i] = linked
	}
	return out
}

// menusMarker is the Redis key of the default bot's menus fingerprint.
func (h *harness) menusMarker() string { return h.cfg.RedisPrefix + ":marker:command-menus" }

// countLog is how often the bot logged msg, over every start.
func (l *logRecorder) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

// waitLogCount waits until the bot logged msg n times.
func (h *harness) waitLogCount(msg string, n int) {
	h.t.Helper()
	h.tg.WaitFor(h.t, 20*time.Second, fmt.Sprintf("%q logged %d times", msg, n), func() bool { return h.logs.count(msg) >= n })
}

// TestCommandMenusAreSetConcurrentlyOnceServing: when the menus changed,
// the restarted bot serves updates and is ready while it sets them; it
// makes bot.MenuCalls calls at once (the fake holds them until that many
// wait), never more; every signed-up person gets the menu of his role in
// his language, the one who changed his language during the run his new
// one; and the fingerprint is remembered.
func TestCommandMenusAreSetConcurrentlyOnceServing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.waitLogCount("command menus set", 1) // the first start's
	langs := []string{"fr", "fa-AF", "ar", "ti", "en", "ps"}
	var who []struct {
		role store.Role
		lang string
	}
	for i := range 30 {
		role := store.RoleResident
		if i%10 == 0 {
			role = store.RoleStaff
		}
		who = append(who, struct {
			role store.Role
			lang string
		}{role, langs[i%len(langs)]})
	}
	people := h.linkPeople(71000, who)
	u := telegramtest.User{ID: 71900, LanguageCode: "en"}
	h.signUp(u, store.RoleResident, "Sami A.", "en")

	// A new translation: the marker no longer matches.
	h.stop()
	if err := h.rdb.Del(context.Background(), h.menusMarker()).Err(); err != nil {
		t.Fatal(err)
	}
	held := h.tg.Hold("setMyCommands", bot.MenuCalls)
	defer held.Release()
	h.start()
	select {
	case <-held.Arrived():
	case <-time.After(20 * time.Second):
		t.Fatalf("%d setMyCommands never waited at once (at most %d did): the menus are set one after another", bot.MenuCalls, held.Most())
	}
	// While the menus wait, the bot answers and is ready.
	h.probe(u)
	resp, err := http.Get("http://" + h.app.HTTPAddr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz = %d while the menus are being set", resp.StatusCode)
	}
	// The run has read everyone; now Person 2 picks another language (his
	// own menu call, made at once, is not held here: it is what the run
	// could overwrite).
	changed := people[2]
	if _, err := h.st.SetLanguage(context.Background(), changed.ID, "ru"); err != nil {
		t.Fatal(err)
	}
	if got := held.Most(); got != bot.MenuCalls {
		t.Fatalf("%d setMyCommands in flight at once, want %d", got, bot.MenuCalls)
	}
	held.Release()
	h.waitLogCount("command menus set", 2)
	if v, err := h.rdb.Get(context.Background(), h.menusMarker()).Result(); err != nil || v == "" {
		t.Fatalf("marker after a complete run: %q, %v", v, err)
	}

	wantLang := func(p store.Person) string {
		if p.ID == changed.ID {
			return "ru"
		}
		return p.Language
	}
	for _, p := range people {
		got := h.tg.Commands("chat", *p.TelegramID, "")
		names := commandNames(got)
		if p.Role == store.RoleStaff {
			if !slices.Contains(names, "invite") {
				t.Errorf("staff %d (%s): menu %v lacks /invite", p.ID, p.Language, names)
			}
			continue
		}
		// A resident's menu is the one his language's readers get before
		// signing up.
		base := wantLang(p)[:2]
		want := h.tg.Commands("all_private_chats", 0, base)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("resident %d (%s): menu %v, want the %s one %v", p.ID, wantLang(p), got, base, want)
		}
	}
}

func commandNames(cs []models.BotCommand) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Command
	}
	return out
}

// TestCommandMenusRememberedOnlyWhenEveryCallSucceeded: a run with one
// call refused leaves no fingerprint, so the next start sets the menus
// again, and that complete run leaves it.
func TestCommandMenusRememberedOnlyWhenEveryCallSucceeded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.waitLogCount("command menus set", 1)
	h.linkPeople(72000, []struct {
		role store.Role
		lang string
	}{{store.RoleResident, "fr"}, {store.RoleResident, "ar"}, {store.RoleStaff, "fr"}})
	h.stop()
	if err := h.rdb.Del(context.Background(), h.menusMarker()).Err(); err != nil {
		t.Fatal(err)
	}
	h.tg.FailNextWith("setMyCommands", 0, http.StatusBadRequest, "Bad Request: chat not found", 1)
	h.start()
	h.waitLog("command menus not all set: set again at the next start")
	if _, err := h.rdb.Get(context.Background(), h.menusMarker()).Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("marker after a run with a failed call: err %v, want none", err)
	}
	if n := h.logs.count("command menus set"); n != 1 {
		t.Fatalf("a run with a failed call logged success (%d)", n)
	}
	h.restart()
	h.waitLogCount("command menus set", 2)
	if v, err := h.rdb.Get(context.Background(), h.menusMarker()).Result(); err != nil || v == "" {
		t.Fatalf("marker after the complete run: %q, %v", v, err)
	}
}

// TestCommandMenusStopWithTheBot: a stop in the middle of setting the
// menus ends the run at once — no call after the ones in flight, no
// fingerprint — and the bot stops as it always does.
func TestCommandMenusStopWithTheBot(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.waitLogCount("command menus set", 1)
	h.linkPeople(75000, []struct {
		role store.Role
		lang string
	}{{store.RoleResident, "fr"}, {store.RoleResident, "ar"}, {store.RoleStaff, "fr"}, {store.RoleResident, "ti"}})
	h.stop()
	if err := h.rdb.Del(context.Background(), h.menusMarker()).Err(); err != nil {
		t.Fatal(err)
	}
	before := len(h.tg.CallsTo("setMyCommands"))
	held := h.tg.Hold("setMyCommands", bot.MenuCalls)
	defer held.Release()
	h.start()
	select {
	case <-held.Arrived():
	case <-time.After(20 * time.Second):
		t.Fatalf("the menus never started (%d calls waiting)", held.Most())
	}
	h.stop() // fails the test if Run does not return
	held.Release()
	h.waitLog("command menus not all set: set again at the next start")
	h.tg.WaitFor(t, 10*time.Second, "the held calls answered", func() bool {
		return len(h.tg.CallsTo("setMyCommands")) >= before+bot.MenuCalls
	})
	if got := len(h.tg.CallsTo("setMyCommands")) - before; got != bot.MenuCalls {
		t.Errorf("%d setMyCommands reached Telegram after the stop began, want only the %d in flight", got, bot.MenuCalls)
	}
	if _, err := h.rdb.Get(context.Background(), h.menusMarker()).Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("marker after a run cut by the stop: err %v, want none", err)
	}
}
