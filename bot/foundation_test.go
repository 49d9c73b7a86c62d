package bot_test

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
)

func TestSignUpInEachLanguage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		telegramLang string // the user's Telegram app language
		inviteLang   string // what staff noted at the invitation
		want         string // preselected and then chosen
		native       string
	}{
		{"dari from telegram when staff noted none", "fa", "", "fa-AF", "دری"},
		{"tigrinya from invite", "", "ti", "ti", "ትግርኛ"},
		{"unsupported app language falls back to the invite", "uk", "ps", "ps", "پښتو"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			u := telegramtest.User{ID: 5000 + int64(i), FirstName: "A", LanguageCode: tt.telegramLang}
			p, code := h.addPerson(store.RoleResident, "Ahmad K.", "214", tt.inviteLang)
			h.tg.SendText(u, "/start "+code)
			msgs := h.tg.WaitMessages(t, u.ID, 2, 10*time.Second)
			loc := h.loc(tt.want)
			if msgs[0].Text != loc.T("start.welcome", "Name", "Ahmad K.") {
				t.Fatalf("welcome = %q, want it in %s", msgs[0].Text, tt.want)
			}
			picker := msgs[1]
			if picker.Text != loc.T("language.choose") {
				t.Fatalf("picker text = %q", picker.Text)
			}
			var marked []string
			n := 0
			for _, row := range picker.InlineKeyboard {
				for _, b := range row {
					n++
					if strings.HasPrefix(b.Text, "✅ ") {
						marked = append(marked, b.CallbackData)
					}
				}
			}
			if n != 12 || len(marked) != 1 || marked[0] != "lang:"+tt.want {
				t.Fatalf("picker has %d buttons, marked %v; want 12 and lang:%s", n, marked, tt.want)
			}
			h.tg.PressButton(u, picker.ID, "lang:"+tt.want)
			msgs = h.tg.WaitMessages(t, u.ID, 4, 10*time.Second)
			if got, _ := h.tg.Message(u.ID, picker.ID); got.Text != loc.T("language.saved", "Language", tt.native) || len(got.InlineKeyboard) != 0 {
				t.Fatalf("picker after choice = %q %v", got.Text, got.InlineKeyboard)
			}
			if msgs[2].Text != loc.T("privacy.notice") {
				t.Fatalf("privacy notice = %q", msgs[2].Text)
			}
			menu := msgs[3]
			if menu.Text != loc.T("menu.main") || len(menu.ReplyKeyboard) == 0 {
				t.Fatalf("menu = %q %v", menu.Text, menu.ReplyKeyboard)
			}
			for _, row := range menu.ReplyKeyboard {
				for _, b := range row {
					if !startsWithEmoji(b) {
						t.Errorf("menu button %q has no emoji first", b)
					}
				}
			}
			var flat []string
			for _, row := range menu.ReplyKeyboard {
				flat = append(flat, row...)
			}
			for _, id := range []string{"menu.chores", "menu.balance", "menu.classes", "menu.appointments", "menu.language", "menu.help"} {
				if !slices.Contains(flat, loc.T(id)) {
					t.Errorf("menu in %s lacks %s: %v", tt.want, id, flat)
				}
			}
			if slices.Contains(flat, loc.T("menu.invite")) {
				t.Errorf("resident menu has a staff button: %v", flat)
			}
			got, err := h.st.PersonByTelegramID(context.Background(), h.centreID(), u.ID)
			if err != nil || got.ID != p.ID || got.Language != tt.want || got.OnboardedAt == nil {
				t.Fatalf("person = %+v, %v", got, err)
			}
			if _, answered := h.tg.CallbackAnswer(0); answered {
				t.Fatal("no callback 0 exists")
			}
			cmds := h.tg.Commands("chat", u.ID, "")
			if len(cmds) == 0 || cmds[0].Description == "" {
				t.Fatalf("no chat command menu for the resident: %v", cmds)
			}
			for _, c := range cmds {
				if c.Command == "invite" {
					t.Fatalf("resident's menu has a staff command: %v", cmds)
				}
			}
		})
	}
}

func startsWithEmoji(s string) bool {
	r := []rune(s)
	return len(r) > 0 && r[0] > 0x2000
}

func TestUnknownUserIsToldToAskAndNothingIsStored(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	before := h.count(`SELECT count(*) FROM people`)
	u := telegramtest.User{ID: 6001, FirstName: "X", LanguageCode: "ar"}
	h.tg.SendText(u, "hello")
	h.tg.SendText(u, "/start")
	h.tg.SendText(u, "/mydata")
	msgs := h.tg.WaitMessages(t, u.ID, 3, 10*time.Second)
	for _, m := range msgs {
		if m.Text != "👋 مرحبًا! لاستخدام هذا البوت تحتاج إلى رمز شخصي. من فضلك اطلبه من مكتب الاستقبال في المركز." {
			t.Fatalf("stranger got %q", m.Text)
		}
	}
	if after := h.count(`SELECT count(*) FROM people`); after != before {
		t.Fatalf("people rows %d → %d", before, after)
	}
	if n := h.count(`SELECT count(*) FROM people WHERE telegram_id = $1`, u.ID); n != 0 {
		t.Fatalf("stranger stored")
	}
}

func TestWrongUsedAndExpiredCodes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, code := h.addPerson(store.RoleResident, "Yonas T.", "101", "ti")

	first := telegramtest.User{ID: 7001, LanguageCode: "fr"}
	h.tg.SendText(first, "/start "+code)
	h.tg.WaitMessages(t, first.ID, 2, 10*time.Second)

	other := telegramtest.User{ID: 7002, LanguageCode: "fr"}
	cases := []struct {
		text, want string
	}{
		{"/start ZZZZZZZZZZ", "❌ Ce code n'est pas bon. Vérifiez-le, ou demandez à l'accueil."},
		{"/start abc", "❌ Ce code n'est pas bon. Vérifiez-le, ou demandez à l'accueil."},
		{"/start " + code, "❌ Ce code n'est pas bon. Vérifiez-le, ou demandez à l'accueil."}, // used: the same answer as wrong
	}
	for i, c := range cases {
		h.tg.SendText(other, c.text)
		if got := h.waitText(other, i+1).Text; got != c.want {
			t.Fatalf("%q → %q, want %q", c.text, got, c.want)
		}
	}

	_, old := h.addPerson(store.RoleResident, "Abdi M.", "102", "so")
	h.clock.Advance(15 * 24 * time.Hour)
	late := telegramtest.User{ID: 7003, LanguageCode: "so"}
	h.tg.SendText(late, "/start "+old)
	if got := h.waitText(late, 1).Text; got != "⌛ Koodhkan waqtigiisii wuu dhacay. Koodh cusub ka codso xafiiska xarunta." {
		t.Fatalf("expired code → %q", got)
	}
	if n := h.count(`SELECT count(*) FROM people WHERE telegram_id IN ($1, $2)`, other.ID, late.ID); n != 0 {
		t.Fatalf("a wrong code linked an account")
	}
}

func TestRepeatedWrongCodesAreSlowedDown(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	en := h.loc("en")
	u := telegramtest.User{ID: 7101, LanguageCode: "en"}
	for i := 1; i <= 5; i++ {
		h.tg.SendText(u, "/start WRONGWRONG")
		if got := h.waitText(u, i).Text; got != "❌ This code is not right. Please check it, or ask at the front desk." {
			t.Fatalf("try %d → %q", i, got)
		}
	}
	_, code := h.addPerson(store.RoleResident, "Rahim S.", "301", "en")
	h.tg.SendText(u, "/start "+code)
	if got := h.waitText(u, 6).Text; got != en.N("start.too_many_tries", 15) {
		t.Fatalf("sixth try → %q", got)
	}
	if n := h.count(`SELECT count(*) FROM people WHERE telegram_id = $1`, u.ID); n != 0 {
		t.Fatal("a code was accepted while slowed down")
	}
}

func TestResidentIsRefusedStaffCommand(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := telegramtest.User{ID: 8001, LanguageCode: "fa"}
	_, n := h.signUp(u, store.RoleResident, "Ahmad K.", "fa-AF")
	h.tg.SendText(u, "/invite")
	if got := h.waitText(u, n+1).Text; got != "⛔ ببخشید، این فقط برای کارمندان مرکز است." {
		t.Fatalf("resident /invite → %q", got)
	}
	// The staff menu button text, typed by hand, is refused as well.
	h.tg.SendText(u, "✉️ باشندهٔ نو")
	if got := h.waitText(u, n+2).Text; got != "⛔ ببخشید، این فقط برای کارمندان مرکز است." {
		t.Fatalf("resident staff button → %q", got)
	}
	// A forged staff button is refused and answered.
	upd := h.tg.PressButton(u, h.waitText(u, n).ID, "inv:ok")
	h.tg.WaitFor(t, 5*time.Second, "callback answered", func() bool { _, ok := h.tg.CallbackAnswer(upd); return ok })
	if text, _ := h.tg.CallbackAnswer(upd); text != "⛔ ببخشید، این فقط برای کارمندان مرکز است." {
		t.Fatalf("forged button answer = %q", text)
	}
	if got := h.count(`SELECT count(*) FROM people`); got != 1 {
		t.Fatalf("people = %d, want 1", got)
	}
}

func TestInviteConversationSurvivesRestart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	staff := telegramtest.User{ID: 9001, LanguageCode: "fr"}
	_, n := h.signUp(staff, store.RoleStaff, "Claire D.", "fr")
	h.tg.SendText(staff, "✉️ Nouveau venu")
	if got := h.waitText(staff, n+1).Text; got != "✉️ Nouveau résident. Quel est son nom\u00a0? (comme sur la liste des chambres)" {
		t.Fatalf("invite → %q", got)
	}
	h.tg.SendText(staff, "  Ahmad   Karimi ")
	if got := h.waitText(staff, n+2).Text; got != "🚪 Quelle chambre\u00a0?" {
		t.Fatalf("name → %q", got)
	}

	h.restart()

	h.tg.SendText(staff, "room 214!")
	if got := h.waitText(staff, n+3).Text; got != "❌ Le numéro de chambre doit avoir de 1 à 16 lettres ou chiffres. Écrivez-le à nouveau." {
		t.Fatalf("bad room → %q", got)
	}
	h.tg.SendText(staff, "214")
	picker := h.waitText(staff, n+4)
	if picker.Text != "🌐 Quelle langue lit-il\u00a0?" {
		t.Fatalf("room → %q", picker.Text)
	}
	h.tg.PressButton(staff, picker.ID, "inv:lang:fa-AF")
	confirm := h.waitText(staff, n+5)
	if !strings.Contains(confirm.Text, "Ahmad Karimi") || !strings.Contains(confirm.Text, "214") || !strings.Contains(confirm.Text, "دری") {
		t.Fatalf("confirm = %q", confirm.Text)
	}
	// A stale language button pressed again changes nothing.
	h.tg.PressButton(staff, picker.ID, "inv:lang:ar")
	if got := h.waitText(staff, n+6).Text; got != "Ce bouton n'est plus valable." {
		t.Fatalf("stale button → %q", got)
	}
	h.tg.PressButton(staff, confirm.ID, "inv:ok")
	done := h.waitText(staff, n+7)
	link := "https://t.me/" + h.tg.BotUsername() + "?start="
	i := strings.Index(done.Text, link)
	if i < 0 {
		t.Fatalf("created = %q", done.Text)
	}
	code := strings.Fields(done.Text[i+len(link):])[0]

	resident := telegramtest.User{ID: 9002, LanguageCode: ""}
	h.tg.SendText(resident, "/start "+code)
	msgs := h.tg.WaitMessages(t, resident.ID, 2, 10*time.Second)
	if msgs[0].Text != h.loc("fa-AF").T("start.welcome", "Name", "Ahmad Karimi") {
		t.Fatalf("new resident welcome = %q", msgs[0].Text)
	}
	if got := h.count(`SELECT count(*) FROM audit_log WHERE action = 'person.create' AND actor_id IS NOT NULL`); got != 1 {
		t.Fatalf("audit entries = %d", got)
	}
}

func TestCancelAlwaysWorks(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	staff := telegramtest.User{ID: 9101, LanguageCode: "en"}
	_, n := h.signUp(staff, store.RoleStaff, "Tom B.", "en")
	h.tg.SendText(staff, "/invite")
	h.waitText(staff, n+1)
	h.tg.SendText(staff, "/cancel")
	if got := h.waitText(staff, n+2); got.Text != "🛑 Stopped. Nothing more was changed." || len(got.ReplyKeyboard) == 0 {
		t.Fatalf("cancel → %q %v", got.Text, got.ReplyKeyboard)
	}
	h.tg.SendText(staff, "214")
	if got := h.waitText(staff, n+3).Text; got != "🤔 I did not understand. Please use the buttons below." {
		t.Fatalf("after cancel, text → %q", got)
	}
	h.tg.SendText(staff, "/cancel")
	if got := h.waitText(staff, n+4).Text; got != "There is nothing to stop." {
		t.Fatalf("second cancel → %q", got)
	}
	stranger := telegramtest.User{ID: 9102, LanguageCode: "ru"}
	h.tg.SendText(stranger, "/cancel")
	if got := h.waitText(stranger, 1).Text; got != "Нечего останавливать." {
		t.Fatalf("stranger cancel → %q", got)
	}
}

func TestRepeatedUpdateIsHandledOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := telegramtest.User{ID: 10001, LanguageCode: "en"}
	_, n := h.signUp(u, store.RoleResident, "Sami A.", "en")
	id := h.tg.SendText(u, "/mydata")
	h.waitText(u, n+1)
	h.tg.Redeliver(id)
	h.tg.Redeliver(id)
	h.quiet(u, n+1)
}

func TestFiveQuickMessagesAnsweredInOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := telegramtest.User{ID: 11001, LanguageCode: "en"}
	_, n := h.signUp(u, store.RoleResident, "Sami A.", "en")
	sends := []struct{ text, want string }{
		{"/mydata", "🔒"},
		{"/cancel", "There is nothing to stop."},
		{"/language", "🌐 Choose your language:"},
		{"/help", "❓ What you can do:"},
		{"ofpra", "ℹ️ OFPRA: the French office for the protection of refugees and stateless people. It examines asylum applications. For people who are protected, it also issues civil-status papers (birth and marriage certificates)."},
	}
	for _, s := range sends {
		h.tg.SendText(u, s.text)
	}
	msgs := h.tg.WaitMessages(t, u.ID, n+len(sends), 15*time.Second)
	for i, s := range sends {
		if got := msgs[n+i].Text; !strings.HasPrefix(got, s.want) {
			t.Fatalf("answer %d = %q, want it to start with %q (all: %q)", i, got, s.want, texts(msgs[n:]))
		}
	}
}

func TestTooManyRequestsThenDelivered(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := telegramtest.User{ID: 12001, LanguageCode: "en"}
	_, n := h.signUp(u, store.RoleResident, "Sami A.", "en")
	h.tg.FailNext("sendMessage", u.ID, 429, 1, 1)
	h.tg.SendText(u, "/help")
	got := h.waitText(u, n+1)
	if !strings.HasPrefix(got.Text, "❓ What you can do:") {
		t.Fatalf("after 429: %q", got.Text)
	}
	// The retry must come no earlier than retry_after (1 s) after the 429.
	var limited, retried time.Time
	for _, c := range h.tg.CallsTo("sendMessage") {
		if c.Params["chat_id"] != "12001" {
			continue
		}
		switch {
		case c.Status == 429:
			limited = c.At
		case !limited.IsZero() && c.Status == 200 && (retried.IsZero() || c.At.Before(retried)):
			retried = c.At
		}
	}
	if limited.IsZero() || retried.IsZero() {
		t.Fatalf("no 429 followed by a delivery in %+v", h.tg.CallsTo("sendMessage"))
	}
	if gap := retried.Sub(limited); gap < time.Second {
		t.Fatalf("retry came %v after the 429, want ≥ retry_after 1s", gap)
	}
}

func TestServerErrorsAreRetriedAndForbiddenMarksUnreachable(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := telegramtest.User{ID: 12101, LanguageCode: "en"}
	_, n := h.signUp(u, store.RoleResident, "Sami A.", "en")
	h.tg.FailNext("sendMessage", u.ID, 502, 0, 2)
	h.tg.SendText(u, "/mydata")
	if got := h.waitText(u, n+1).Text; !strings.HasPrefix(got, "🔒") {
		t.Fatalf("after two 502: %q", got)
	}
	h.tg.Block(u.ID)
	h.tg.SendText(u, "/mydata")
	h.tg.WaitFor(t, 10*time.Second, "person marked unreachable", func() bool {
		return h.count(`SELECT count(*) FROM people WHERE telegram_id = $1 AND unreachable`, u.ID) == 1
	})
	h.tg.Unblock(u.ID)
	h.tg.SendText(u, "/mydata")
	h.waitText(u, n+2)
	if h.count(`SELECT count(*) FROM people WHERE telegram_id = $1 AND unreachable`, u.ID) != 0 {
		t.Fatal("still unreachable after writing again")
	}
}

func TestCommandAfterNonLatinTextAndWithBotName(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := telegramtest.User{ID: 13001, LanguageCode: "ar"}
	_, n := h.signUp(u, store.RoleResident, "Omar H.", "ar")
	title := "❓ ما يمكنك فعله:"
	for i, text := range []string{"مرحبا /help", "/help@" + h.tg.BotUsername(), "привет 🙂 /help@" + strings.ToUpper(h.tg.BotUsername())} {
		h.tg.SendText(u, text)
		if got := h.waitText(u, n+1+i).Text; !strings.HasPrefix(got, title) {
			t.Fatalf("%q → %q", text, got)
		}
	}
	h.tg.SendText(u, "/help@some_other_bot")
	if got := h.waitText(u, n+4).Text; got != "🤔 لم أفهم. من فضلك استخدم الأزرار في الأسفل." {
		t.Fatalf("other bot's command → %q", got)
	}
}

func TestGroupChatsGetNoPersonalData(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := telegramtest.User{ID: 13101, LanguageCode: "en"}
	h.signUp(u, store.RoleResident, "Omar H.", "en")
	h.tg.SendTextInGroup(-500, u, "/mydata")
	msgs := h.tg.WaitMessages(t, -500, 1, 10*time.Second)
	if msgs[0].Text != "🔒 Please write to me in a private chat." {
		t.Fatalf("group got %q", msgs[0].Text)
	}
}

func TestCommandMenusPerLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, lang := range []string{"fr", "en", "fa", "ps", "ar", "ti", "so", "am", "bn", "ur", "ru", "tr"} {
		h.tg.WaitFor(t, 10*time.Second, "menu for "+lang, func() bool {
			return len(h.tg.Commands("all_private_chats", 0, lang)) > 0
		})
	}
	fa := h.tg.Commands("all_private_chats", 0, "fa")
	en := h.tg.Commands("all_private_chats", 0, "en")
	if fa[0].Description == en[0].Description {
		t.Fatalf("Dari menu not translated: %v", fa)
	}
	staff := telegramtest.User{ID: 13201, LanguageCode: "fr"}
	h.signUp(staff, store.RoleStaff, "Claire D.", "fr")
	found := false
	for _, c := range h.tg.Commands("chat", staff.ID, "") {
		found = found || c.Command == "invite"
	}
	if !found {
		t.Fatal("staff chat menu lacks /invite")
	}
}

func TestWebhookMode(t *testing.T) {
	t.Parallel()
	h := newHarness(t, webhookMode)
	h.tg.WaitFor(t, 10*time.Second, "webhook set", func() bool { return h.tg.WebhookURL() != "" })
	if h.tg.WebhookSecret() != h.cfg.WebhookSecret {
		t.Fatalf("secret not registered")
	}
	u := telegramtest.User{ID: 14001, LanguageCode: "ti"}
	_, n := h.signUp(u, store.RoleResident, "Yonas T.", "ti")
	h.tg.SendText(u, "/mydata")
	if got := h.waitText(u, n+1).Text; !strings.HasPrefix(got, "🔒") {
		t.Fatalf("webhook /mydata → %q", got)
	}

	post := func(secret string, body []byte) int {
		req, _ := http.NewRequest(http.MethodPost, h.cfg.WebhookURL, bytes.NewReader(body))
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	update := []byte(`{"update_id": 999001, "message": {"message_id": 1, "date": 1, "chat": {"id": 14001, "type": "private"}, "from": {"id": 14001, "first_name": "Y"}, "text": "/mydata", "entities": [{"type": "bot_command", "offset": 0, "length": 7}]}}`)
	cases := []struct {
		name   string
		secret string
		body   []byte
		want   int
	}{
		{"wrong secret", "nope", update, http.StatusUnauthorized},
		{"no secret", "", update, http.StatusUnauthorized},
		{"secret with a prefix of the right one", h.cfg.WebhookSecret[:5], update, http.StatusUnauthorized},
		{"broken body", h.cfg.WebhookSecret, []byte(`{"update_id": 5, "message": `), http.StatusBadRequest},
		{"not an update", h.cfg.WebhookSecret, []byte(`[]`), http.StatusBadRequest},
		{"too large", h.cfg.WebhookSecret, bytes.Repeat([]byte("x"), 2<<20), http.StatusRequestEntityTooLarge},
	}
	for _, c := range cases {
		if got := post(c.secret, c.body); got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}
	h.quiet(u, n+1)
	if got := post(h.cfg.WebhookSecret, update); got != http.StatusOK {
		t.Fatalf("right secret: status %d", got)
	}
	if got := len(h.tg.Messages(u.ID)); got != n+2 {
		t.Fatalf("the update was not handled before 200: %d messages", got)
	}
}

func TestNothingTakenIsLostOnStop(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := telegramtest.User{ID: 15001, LanguageCode: "en"}
	_, n := h.signUp(u, store.RoleResident, "Sami A.", "en")
	h.stop()
	h.tg.SendText(u, "/mydata")
	h.tg.SendText(u, "/help")
	h.start()
	msgs := h.tg.WaitMessages(t, u.ID, n+2, 10*time.Second)
	if !strings.HasPrefix(msgs[n].Text, "🔒") || !strings.HasPrefix(msgs[n+1].Text, "❓ What you can do:") {
		t.Fatalf("after restart: %q", texts(msgs[n:]))
	}
	h.quiet(u, n+2)
}

// TestRightToLeftTextAsSent checks the exact bytes a resident receives:
// in Arabic-script languages every value inside a sentence (a Latin name, a
// room number) is isolated so it keeps its order; Tigrinya, Amharic and
// Russian texts never carry direction marks.
func TestRightToLeftTextAsSent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tests := []struct {
		lang string
		rtl  bool
	}{
		{"ar", true}, {"fa-AF", true}, {"ps", true}, {"ur", true},
		{"ti", false}, {"am", false}, {"ru", false}, {"fr", false},
	}
	for i, tt := range tests {
		u := telegramtest.User{ID: 16000 + int64(i)}
		p, n := h.signUp(u, store.RoleResident, "Ahmad K.", tt.lang)
		h.tg.SendText(u, "/mydata")
		got := h.waitText(u, n+1).Text
		name := "Ahmad K."
		room := p.Room
		if tt.rtl {
			name = "\u2068Ahmad K.\u2069"
			room = "\u2068" + room + "\u2069"
		}
		if !strings.Contains(got, name) || !strings.Contains(got, room) {
			t.Errorf("%s: %q lacks %q / %q", tt.lang, got, name, room)
		}
		if !tt.rtl && strings.ContainsAny(got, "\u2066\u2067\u2068\u2069\u200e\u200f\u202a\u202b\u202c\u202d\u202e") {
			t.Errorf("%s is left to right but got direction marks: %q", tt.lang, got)
		}
	}
}

func TestGlossaryWordsAreExplainedInTheResidentsLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tests := []struct {
		lang, typed, term string
	}{
		{"fa-AF", "ofbra", "ofpra"},
		{"ti", "OPRA?", "ofpra"},
		{"ar", "siao", "siao"},
		{"so", "titre de sejour", "titre_sejour"},
		{"ru", "Caf", "caf"},
		{"bn", "dalo!", "dalo"},
	}
	for i, tt := range tests {
		u := telegramtest.User{ID: 17000 + int64(i)}
		_, n := h.signUp(u, store.RoleResident, "Ali", tt.lang)
		h.tg.SendText(u, tt.typed)
		if got := h.waitText(u, n+1).Text; got != h.loc(tt.lang).T("glossary."+tt.term) {
			t.Errorf("%s %q → %q, want the %s explanation", tt.lang, tt.typed, got, tt.term)
		}
	}
	u := telegramtest.User{ID: 17100}
	_, n := h.signUp(u, store.RoleResident, "Ali", "en")
	h.tg.SendText(u, "caffe latte")
	if got := h.waitText(u, n+1).Text; got != "🤔 I did not understand. Please use the buttons below." {
		t.Errorf("non-term → %q", got)
	}
}

// TestPersonalDataErasedAfterDeparture: the nightly job erases a resident
// who left more than the retention period ago with his balance settled;
// his Telegram account is unlinked, so he is a stranger to the bot again.
func TestPersonalDataErasedAfterDeparture(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := telegramtest.User{ID: 19001, LanguageCode: "en"}
	p, n := h.signUp(u, store.RoleResident, "Ahmad K.", "en")
	if _, err := h.pool.Exec(context.Background(), `UPDATE people SET status = 'left', left_on = $2 WHERE id = $1`,
		p.ID, h.clock.Now().AddDate(0, -7, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Jobs().Insert(context.Background(), handlers.PrivacyPurgeArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	h.tg.WaitFor(t, 15*time.Second, "erasure", func() bool {
		return h.count(`SELECT count(*) FROM people WHERE id = $1 AND erased_at IS NOT NULL AND telegram_id IS NULL AND display_name <> 'Ahmad K.'`, p.ID) == 1
	})
	h.tg.SendText(u, "/mydata")
	if got := h.waitText(u, n+1).Text; got != "👋 Hello! To use this bot you need a personal code. Please ask at the front desk of the centre." {
		t.Fatalf("erased resident → %q", got)
	}
}

// TestStopFinishesTheUpdateInHand: SIGTERM while a reply is being retried
// (Telegram answering 502) waits for the update to be finished — the reply
// arrives once, and the restarted bot does not handle it again.
func TestStopFinishesTheUpdateInHand(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := telegramtest.User{ID: 19101, LanguageCode: "en"}
	_, n := h.signUp(u, store.RoleResident, "Sami A.", "en")
	h.tg.FailNext("sendMessage", u.ID, 502, 0, 2)
	h.tg.SendText(u, "/mydata")
	h.tg.WaitFor(t, 10*time.Second, "the first failed send", func() bool {
		for _, c := range h.tg.CallsTo("sendMessage") {
			if c.Params["chat_id"] == "19101" && c.Status == 502 {
				return true
			}
		}
		return false
	})
	h.stop() // as SIGTERM: returns once the update in hand is finished
	if got := len(h.tg.Messages(u.ID)); got != n+1 {
		t.Fatalf("after stop the chat has %d messages, want %d (the reply delivered before exit)", got, n+1)
	}
	h.start()
	h.quiet(u, n+1)
}

// TestCommandMenusAreNotResentWhenUnchanged: a restart with the same route
// table and translations sends no setMyCommands at all.
func TestCommandMenusAreNotResentWhenUnchanged(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := telegramtest.User{ID: 19301, LanguageCode: "en"}
	h.signUp(u, store.RoleResident, "Sami A.", "en")
	h.tg.WaitFor(t, 10*time.Second, "menus remembered", func() bool {
		v, _ := h.rdb.Get(context.Background(), h.cfg.RedisPrefix+":marker:command-menus").Result()
		return v != ""
	})
	before := len(h.tg.CallsTo("setMyCommands"))
	if before < 13 {
		t.Fatalf("first start sent %d menus, want the 12 languages and the default", before)
	}
	h.restart()
	h.waitLog("command menus unchanged")
	h.probe(u) // and the restarted bot is up
	if after := len(h.tg.CallsTo("setMyCommands")); after != before {
		t.Fatalf("restart sent %d more setMyCommands", after-before)
	}
}
