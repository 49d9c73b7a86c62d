package bot_test

import (
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
