package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// testCentre is a centre of the deployment with its own fake bot.
type testCentre struct {
	slug string
	n    int // its bot is the hub's n-th (telegramtest.NthBot); 0: the default
	id   int64
	tg   *telegramtest.Server
}

// withCentres gives the deployment more centres, each with a bot of its
// own added as `cairbot centre add` adds it; every bot is served by one
// fake Telegram hub, at one address, as api.telegram.org serves them.
// Without slugs the default centre's bot is the hub's only one, until a
// test adds a centre (addCentre).
func withCentres(slugs ...string) harnessOption {
	return func(h *harness) {
		h.centres = map[string]*testCentre{}
		for i, slug := range slugs {
			h.centres[slug] = &testCentre{slug: slug, n: i + 1}
		}
	}
}

func (h *harness) setUpCentres() {
	h.t.Helper()
	bots := []*telegramtest.Server{h.tg}
	for n := 1; n <= len(h.centres); n++ {
		for _, c := range h.centres {
			if c.n != n {
				continue
			}
			c.tg = telegramtest.New(h.t, telegramtest.NthBot(n, h.tgOpts))
			row, err := h.st.AddCentreBot(context.Background(), c.slug, "Centre "+c.slug, store.CentreBot{
				Token: store.Secret(c.tg.Token()), Username: c.tg.BotUsername(), WebhookSecret: store.Secret("secret-of-" + c.slug),
			})
			if err != nil {
				h.t.Fatal(err)
			}
			c.id = row.ID
			bots = append(bots, c.tg)
		}
	}
	h.hub = telegramtest.NewHub(h.t, bots...)
	h.cfg.TelegramAPIURL = h.hub.URL()
}

// centre is a centre by slug; the default centre (CENTRE) too.
func (h *harness) centre(slug string) *testCentre {
	h.t.Helper()
	if slug == h.cfg.Centre {
		return &testCentre{slug: slug, id: h.centreID(), tg: h.tg}
	}
	c, ok := h.centres[slug]
	if !ok {
		h.t.Fatalf("no centre %q", slug)
	}
	return c
}

// invite creates a person of centre c with his invite code.
func (h *harness) invite(c *testCentre, role store.Role, name, lang string) (store.Person, string) {
	h.t.Helper()
	p, code, err := h.st.CreatePersonWithInvite(context.Background(), store.NewPerson{
		CentreID: c.id, Role: role, DisplayName: name, Room: "12", Language: lang,
	}, nil, h.clock.Now().Add(14*24*time.Hour))
	if err != nil {
		h.t.Fatal(err)
	}
	return p, code
}

// signUpAt signs u up in centre c through c's bot, as signUp does for the
// default centre, and returns the update id of his /start and how many
// messages his chat with that bot has.
func (h *harness) signUpAt(c *testCentre, u telegramtest.User, role store.Role, name, lang string) (store.Person, int64, int) {
	h.t.Helper()
	p, code := h.invite(c, role, name, lang)
	upd := c.tg.SendText(u, "/start "+code)
	msgs := c.tg.WaitMessages(h.t, u.ID, 2, 10*time.Second)
	c.tg.PressButton(u, msgs[len(msgs)-1].ID, "lang:"+lang)
	c.tg.WaitMessages(h.t, u.ID, 4, 10*time.Second) // welcome, picker, privacy notice, menu
	return p, upd, 4
}

// announceFireDrill has staff member u of centre c announce a fire drill
// to everyone through c's bot; n is the number of messages in his chat
// before. It returns the text each French reader gets.
func (h *harness) announceFireDrill(c *testCentre, u telegramtest.User, n int) string {
	h.t.Helper()
	step := func(m int, prefix string) {
		msg := c.tg.WaitMessages(h.t, u.ID, m, 10*time.Second)[m-1]
		c.tg.PressButton(u, msg.ID, annButton(h.t, msg, prefix))
	}
	c.tg.SendText(u, "/announce")
	step(n+1, "ann:aud:all:")
	step(n+2, "ann:tpl:fire_drill:")
	at := storetest.Day(h.clock.Now(), 6, 14, 30)
	c.tg.SendText(u, paris(at).Format("02/01"))
	c.tg.WaitMessages(h.t, u.ID, n+4, 10*time.Second)
	c.tg.SendText(u, "14h30")
	step(n+5, "ann:send:")
	fr := h.loc("fr")
	return fr.T("announce.tpl.fire_drill", "Date", fr.F.Date(at), "Time", fr.F.Time(at))
}

// TestCentresKeepTheirPeopleApart runs three centres in one process, each
// with its own bot: every resident talks only to his centre's bot and is
// known only there, the same Telegram user in two centres is the right
// person on each bot, equal update ids of two bots are both handled, an
// invite code works only on its centre's bot, and an announcement in each
// centre reaches exactly that centre's residents, through its bot.
func TestCentresKeepTheirPeopleApart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withCentres("paris-19", "lyon"), inDaytime)
	def, paris19, lyon := h.centre(h.cfg.Centre), h.centre("paris-19"), h.centre("lyon")
	centres := []*testCentre{def, paris19, lyon}

	// Each centre's staff member signs up on his bot. The bots number
	// their updates alike: the /start of each is update 1 of its bot.
	staff := []telegramtest.User{{ID: 61001, LanguageCode: "fr"}, {ID: 61002, LanguageCode: "fr"}, {ID: 61003, LanguageCode: "fr"}}
	for i, c := range centres {
		_, upd, _ := h.signUpAt(c, staff[i], store.RoleStaff, "Staff "+c.slug, "fr")
		if upd != 1 {
			t.Fatalf("%s: staff's /start is update %d, want 1 on every bot", c.slug, upd)
		}
	}
	// A resident in each centre, and Dawit in two of them.
	residents := []telegramtest.User{{ID: 62001}, {ID: 62002}, {ID: 62003}}
	for i, c := range centres {
		h.signUpAt(c, residents[i], store.RoleResident, "Resident "+c.slug, "fr")
	}
	dawit := telegramtest.User{ID: 62009, LanguageCode: "fr"}
	dawitParis, _, _ := h.signUpAt(paris19, dawit, store.RoleResident, "Dawit P.", "fr")
	dawitLyon, _, _ := h.signUpAt(lyon, dawit, store.RoleResident, "Dawit L.", "fr")
	if dawitParis.ID == dawitLyon.ID {
		t.Fatal("one person for two centres")
	}
	fr := h.loc("fr")
	welcome := func(c *testCentre, u telegramtest.User, n int) string {
		t.Helper()
		c.tg.SendText(u, "/start")
		return c.tg.WaitMessages(t, u.ID, n, 10*time.Second)[n-1].Text
	}
	if got, want := welcome(paris19, dawit, 5), fr.T("start.welcome_back", "Name", "Dawit P."); got != want {
		t.Errorf("Dawit on Paris 19's bot: %q, want %q", got, want)
	}
	if got, want := welcome(lyon, dawit, 5), fr.T("start.welcome_back", "Name", "Dawit L."); got != want {
		t.Errorf("Dawit on Lyon's bot: %q, want %q", got, want)
	}
	// Paris 19's resident is a stranger to the default centre's bot.
	if got, want := welcome(def, residents[1], 1), fr.T("start.unknown"); got != want {
		t.Errorf("Paris 19's resident on the default bot: %q, want %q", got, want)
	}
	// A Paris 19 code typed to Lyon's bot is not found there, and links
	// nobody.
	stranger := telegramtest.User{ID: 62010, LanguageCode: "fr"}
	p, code := h.invite(paris19, store.RoleResident, "Eyob T.", "fr")
	lyon.tg.SendText(stranger, "/start "+code)
	if got := lyon.tg.WaitMessages(t, stranger.ID, 1, 10*time.Second)[0].Text; got != fr.T("start.code_invalid") {
		t.Errorf("a Paris 19 code on Lyon's bot: %q", got)
	}
	if n := h.count(`SELECT count(*) FROM people WHERE id = $1 AND telegram_id IS NOT NULL`, p.ID); n != 0 {
		t.Error("a code of one centre linked someone through another centre's bot")
	}

	// An announcement in every centre: each reaches that centre's
	// residents, through its bot, and nobody else.
	var text string // the same in every centre: French readers, one day
	for i, c := range centres {
		text = h.announceFireDrill(c, staff[i], 4)
	}
	members := map[*testCentre][]telegramtest.User{
		def:     {residents[0]},
		paris19: {residents[1], dawit},
		lyon:    {residents[2], dawit},
	}
	for i, c := range centres {
		h.tg.WaitFor(t, 60*time.Second, "the announcement of "+c.slug+" reported", func() bool {
			return len(c.tg.Messages(staff[i].ID)) >= 4+6
		})
	}
	for i, c := range centres {
		want := annReport(fr, len(members[c]), 0, 0)
		if got := c.tg.Messages(staff[i].ID)[9].Text; got != want {
			t.Errorf("%s: report = %q, want %q", c.slug, got, want)
		}
	}
	// Exactly one announcement message per member, on his centre's bot
	// only; the default bot's chat of Paris 19's resident holds only the
	// answer to his /start.
	for _, c := range centres {
		for _, other := range centres {
			for _, u := range members[other] {
				got := countAnnouncements(c.tg, u.ID, text)
				want := 0
				if c == other || (u.ID == dawit.ID && (c == paris19 || c == lyon)) {
					want = 1
				}
				if got != want {
					t.Errorf("bot of %s sent %d announcements to resident %d of %s, want %d", c.slug, got, u.ID, other.slug, want)
				}
			}
		}
	}
	// Every announcement row went to a person of the announcing centre.
	if n := h.count(`SELECT count(*) FROM outbox o JOIN people p ON p.id = o.person_id
		WHERE o.kind = 'announcement' AND o.centre_id <> p.centre_id`); n != 0 {
		t.Errorf("%d announcement rows cross centres", n)
	}
	if n := h.count(`SELECT count(*) FROM outbox WHERE kind = 'announcement' AND state = 'sent'`); n != 5 {
		t.Errorf("%d announcement messages sent, want 5 (3 residents, Dawit in two centres)", n)
	}
}

// countAnnouncements counts the messages of text a bot sent to a chat.
func countAnnouncements(tg *telegramtest.Server, chatID int64, text string) int {
	n := 0
	for _, c := range tg.CallsTo("sendMessage") {
		if c.Status == http.StatusOK && c.Params["chat_id"] == strconv.FormatInt(chatID, 10) && c.Params["text"] == text {
			n++
		}
	}
	return n
}

// TestCentreWebhooksRefuseWrongSlugOrSecret serves a centre's bot on its
// own webhook path with its own secret: a wrong path or secret (the
// default bot's included) is refused and changes nothing.
func TestCentreWebhooksRefuseWrongSlugOrSecret(t *testing.T) {
	t.Parallel()
	h := newHarness(t, webhookMode, withCentres("paris-19"))
	paris19 := h.centre("paris-19")
	h.tg.WaitFor(t, 10*time.Second, "the centre's webhook set", func() bool {
		return paris19.tg.WebhookURL() == h.cfg.WebhookURL+"/paris-19"
	})
	if got := paris19.tg.WebhookSecret(); got != "secret-of-paris-19" {
		t.Fatalf("the centre's bot has secret %q", got)
	}
	u := telegramtest.User{ID: 63001, LanguageCode: "fr"}
	p, code := h.invite(paris19, store.RoleResident, "Farid K.", "fr")
	// He has opened both bots' chats (the bots may answer him there).
	paris19.tg.AddChat(u.ID)
	h.tg.AddChat(u.ID)
	body, err := json.Marshal(models.Update{ID: 7, Message: &models.Message{
		ID: 1, Date: int(h.clock.Now().Unix()), From: &models.User{ID: u.ID, LanguageCode: "fr"},
		Chat: models.Chat{ID: u.ID, Type: models.ChatTypePrivate}, Text: "/start " + code,
		Entities: []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 0, Length: 6}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	base := h.cfg.WebhookURL
	post := func(url, secret string) int {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	refused := []struct {
		name, url, secret string
		want              int
	}{
		{"unknown slug", base + "/lyon", "secret-of-paris-19", http.StatusNotFound},
		{"the default centre's slug", base + "/" + h.cfg.Centre, h.cfg.WebhookSecret, http.StatusNotFound},
		{"wrong secret", base + "/paris-19", "not-the-secret", http.StatusUnauthorized},
		{"the default bot's secret", base + "/paris-19", h.cfg.WebhookSecret, http.StatusUnauthorized},
		{"the centre's secret on the default path", base, "secret-of-paris-19", http.StatusUnauthorized},
	}
	for _, tt := range refused {
		if got := post(tt.url, tt.secret); got != tt.want {
			t.Errorf("%s: HTTP %d, want %d", tt.name, got, tt.want)
		}
	}
	if n := h.count(`SELECT count(*) FROM people WHERE id = $1 AND telegram_id IS NOT NULL`, p.ID); n != 0 {
		t.Fatal("a refused update linked the person")
	}
	if n := len(paris19.tg.Messages(u.ID)) + len(h.tg.Messages(u.ID)); n != 0 {
		t.Fatalf("a refused update was answered (%d messages)", n)
	}
	// The right path and secret: handled, once.
	if got := post(base+"/paris-19", "secret-of-paris-19"); got != http.StatusOK {
		t.Fatalf("the centre's own webhook: HTTP %d", got)
	}
	if got := paris19.tg.WaitMessages(t, u.ID, 2, 10*time.Second)[0].Text; got != h.loc("fr").T("start.welcome", "Name", "Farid K.") {
		t.Fatalf("welcome = %q", got)
	}
	if n := h.count(`SELECT count(*) FROM people WHERE id = $1 AND telegram_id = $2`, p.ID, u.ID); n != 1 {
		t.Fatal("the person is not linked")
	}
	// The same update id on the default bot's path is another bot's
	// update: handled too, not taken for a duplicate.
	if got := post(base, h.cfg.WebhookSecret); got != http.StatusOK {
		t.Fatalf("default webhook: HTTP %d", got)
	}
	if got := h.tg.WaitMessages(t, u.ID, 1, 10*time.Second)[0].Text; got != h.loc("fr").T("start.code_invalid") {
		t.Fatalf("the default bot answered %q to a Paris 19 code", got)
	}
	// Residents write to the centre's bot through Telegram's own delivery.
	resident := telegramtest.User{ID: 63002, LanguageCode: "fr"}
	h.signUpAt(paris19, resident, store.RoleResident, "Gebre H.", "fr")
	if n := len(h.tg.Messages(resident.ID)); n != 0 {
		t.Fatalf("the default bot wrote %d messages to Paris 19's resident", n)
	}
}
