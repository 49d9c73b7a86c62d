package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/store"
)

// TestRecordedLanguageWinsAtSignUp: the language staff noted comes first,
// then the phone's, then the default. Telegram has no Tigrinya interface,
// so a Tigrinya reader's phone is often in English.
func TestRecordedLanguageWinsAtSignUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		phone       string // Telegram's language_code
		record      string // --lang given by staff ("" when none)
		welcome     string
		picker      string
		preselected string
	}{
		{"tigrinya record, english phone", "en", "ti",
			"👋 እንቋዕ ብደሓን መጻእኩም፣ Yonas T.!", "🌐 ቋንቋኹም ምረጹ:", "lang:ti"},
		{"no record, english phone", "en", "",
			"👋 Welcome, Yonas T.!", "", "lang:en"},
		{"no record, unsupported phone: the default", "uk", "",
			"👋 Bienvenue, Yonas T.\u00a0!", "🌐 Choisissez votre langue\u00a0:", "lang:fr"},
		{"french record, dari phone", "fa", "fr",
			"👋 Bienvenue, Yonas T.\u00a0!", "🌐 Choisissez votre langue\u00a0:", "lang:fr"},
	}
	h := newHarness(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := telegramtest.User{ID: 31000 + int64(i), FirstName: "Y", LanguageCode: tt.phone}
			_, code := h.addPerson(store.RoleResident, "Yonas T.", "101", tt.record)
			h.tg.SendText(u, "/start "+code)
			msgs := h.tg.WaitMessages(t, u.ID, 2, 10*time.Second)
			if msgs[0].Text != tt.welcome {
				t.Fatalf("welcome = %q, want %q", msgs[0].Text, tt.welcome)
			}
			if tt.picker != "" && msgs[1].Text != tt.picker {
				t.Fatalf("picker = %q, want %q", msgs[1].Text, tt.picker)
			}
			var marked []string
			for _, row := range msgs[1].InlineKeyboard {
				for _, b := range row {
					if strings.HasPrefix(b.Text, "✅ ") {
						marked = append(marked, b.CallbackData)
					}
				}
			}
			if len(marked) != 1 || marked[0] != tt.preselected {
				t.Fatalf("preselected %v, want %s", marked, tt.preselected)
			}
		})
	}
}

// TestWrongCodesAreLimitedPerCentreAcrossAccounts: forty accounts trying
// codes at once get thirty answers at most; then even a right code waits,
// and a code already used is answered like a wrong one.
func TestWrongCodesAreLimitedPerCentreAcrossAccounts(t *testing.T) {
	t.Parallel()
	const wrong = "❌ Ce code n'est pas bon. Vérifiez-le, ou demandez à l'accueil."
	const slowed = "⏳ Trop de mauvais codes. Attendez 15 minutes, puis réessayez."
	h := newHarness(t, func(h *harness) { h.cfg.InviteCentreTries = 30 })

	// A used code gets the wrong code's answer.
	_, code := h.addPerson(store.RoleResident, "Yonas T.", "101", "fr")
	first := telegramtest.User{ID: 32000, LanguageCode: "fr"}
	h.tg.SendText(first, "/start "+code)
	h.tg.WaitMessages(t, first.ID, 2, 10*time.Second)
	thief := telegramtest.User{ID: 32001, LanguageCode: "fr"}
	h.tg.SendText(thief, "/start "+code)
	if got := h.waitText(thief, 1).Text; got != wrong {
		t.Fatalf("used code → %q, want %q", got, wrong)
	}

	// 40 more accounts, 2 guesses each, all at once: 29 more wrong-code
	// answers (30 with the thief's), the rest slowed down.
	var guessers []telegramtest.User
	for i := range 40 {
		u := telegramtest.User{ID: 32100 + int64(i), LanguageCode: "fr"}
		guessers = append(guessers, u)
		h.tg.SendText(u, "/start "+fmt.Sprintf("ZZZZZZZ%03d", i))
		h.tg.SendText(u, "/start "+fmt.Sprintf("YYYYYYY%03d", i))
	}
	counts := map[string]int{}
	for _, u := range guessers {
		for _, m := range h.tg.WaitMessages(t, u.ID, 2, 20*time.Second) {
			counts[m.Text]++
		}
	}
	if counts[wrong] != 29 || counts[slowed] != 51 || len(counts) != 2 {
		t.Fatalf("answers = %v, want 29 × wrong and 51 × slowed down", counts)
	}

	// A resident with a real code now waits too: nothing is linked.
	_, real := h.addPerson(store.RoleResident, "Abdi M.", "102", "fr")
	late := telegramtest.User{ID: 32999, LanguageCode: "fr"}
	h.tg.SendText(late, "/start "+real)
	if got := h.waitText(late, 1).Text; got != slowed {
		t.Fatalf("right code while the centre is slowed down → %q", got)
	}
	if n := h.count(`SELECT count(*) FROM people WHERE telegram_id IS NOT NULL`); n != 1 {
		t.Fatalf("%d accounts linked, want only the first", n)
	}
}
