package handlers

import (
	"context"
	"errors"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// People is sign-up and the person's own account: /start and the invite
// codes, /help, /cancel, the staff's /invite, the language, /mydata, and the
// nightly erasure of people who left.
type People struct {
	Base
	People   PeopleStore
	Counters Counters
	// BotUsername is the bot's @name, for the invite links.
	BotUsername func() string
	InviteTTL   time.Duration
	DefaultLang string
	// Centre is the deployment's centre (CENTRE): strangers' wrong codes
	// count against it; CentreCodeTries is INVITE_CENTRE_TRIES.
	Centre          string
	CentreCodeTries int
	// Erase removes personal data after departure, RetainAfterLeaving
	// after the person left (and once his balance is settled).
	Erase              Eraser
	RetainAfterLeaving time.Duration
}

// Wrong invite codes are slowed down per Telegram account and per centre:
// after maxCodeTries wrong codes of one account, or CentreCodeTries of
// every account together (INVITE_CENTRE_TRIES), within codeTryWindow, codes are not even looked at until the window
// ends. The per-centre limit stops a guess spread over many accounts. Only
// counters in Redis that expire are kept — nothing about the person goes
// to the database.
const (
	maxCodeTries  = 5
	codeTryWindow = 15 * time.Minute
)

// Start signs a resident up with his one-time code (deep link or typed
// "/start CODE"), or greets someone already signed up.
func (h *People) Start(ctx context.Context, r *Request) error {
	if r.Person != nil {
		return h.replyMenu(ctx, r, r.Loc.T("start.welcome_back", "Name", r.Person.DisplayName))
	}
	if r.Args == "" {
		_, err := h.reply(ctx, r, r.Loc.T("start.unknown"), nil)
		return err
	}
	return h.redeem(ctx, r, r.Args)
}

// TextFromStranger handles plain text from someone not signed up: a typed
// code is tried, anything else gets the polite "ask at the front desk".
func (h *People) TextFromStranger(ctx context.Context, r *Request) error {
	if _, ok := store.NormalizeInviteCode(locales.StripBidi(r.Text)); ok {
		return h.redeem(ctx, r, r.Text)
	}
	_, err := h.reply(ctx, r, r.Loc.T("start.unknown"), nil)
	return err
}

func (h *People) redeem(ctx context.Context, r *Request, typed string) error {
	// Every try is counted before the code is looked at, in one round trip
	// that also checks both limits, so that a hundred accounts trying at
	// once cannot slip past them; a right code gives its try back.
	// Each centre's bot has its own budget of wrong codes.
	slug := h.Centre
	if r.Bot.Centre != "" {
		slug = r.Bot.Centre
	}
	account, centre := "badcode:"+itoa(r.UserID), "badcode:centre:"+slug
	_, ok, err := h.Counters.TakeTry(ctx, codeTryWindow,
		store.TryLimit{Key: account, Limit: maxCodeTries}, store.TryLimit{Key: centre, Limit: int64(h.CentreCodeTries)})
	if err != nil {
		return err
	}
	if !ok {
		return FailN("start.too_many_tries", int(codeTryWindow/time.Minute))
	}
	code, ok := store.NormalizeInviteCode(locales.StripBidi(typed))
	if !ok {
		return Fail("start.code_invalid")
	}
	p, err := h.People.RedeemInviteInCentre(ctx, r.Bot.CentreID, code, r.UserID, r.Now)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInviteUsed):
		// The same answer for a code used and a code that never existed:
		// a guess must not learn that it hit a real code.
		return Fail("start.code_invalid")
	case err != nil: // ErrInviteExpired, ErrAlreadyLinked: see errorMessages
		return err
	}
	if err := h.Counters.GiveBackTry(ctx, account, centre); err != nil {
		h.Log.WarnContext(ctx, "give back code try", "err", err)
	}
	r.Person = &p
	// Preselect the language staff noted on his record: Telegram has no
	// Tigrinya, Dari, Pashto or Somali interface, so his phone's language
	// is often only his second. Else his phone's, else the default.
	tag := signUpLanguage(p.Language, telegramLanguage(r), h.DefaultLang)
	r.Loc = h.Catalog.Localizer(tag)
	if _, err := h.reply(ctx, r, r.Loc.T("start.welcome", "Name", p.DisplayName), nil); err != nil {
		return err
	}
	return h.sendLanguagePicker(ctx, r, tag)
}

// signUpLanguage is the language a new resident is welcomed in and that is
// preselected in his picker: the one on his record, then his Telegram
// app's, then the deployment's default.
func signUpLanguage(record, phone, fallback string) string {
	if l, ok := locales.Lookup(record); ok {
		return l.Tag
	}
	if t, ok := locales.Match(phone); ok {
		return t
	}
	return fallback
}

func telegramLanguage(r *Request) string {
	if r.From == nil {
		return ""
	}
	return r.From.LanguageCode
}

// languageButtons names each language in its own script, with a mark on
// the current or suggested one.
func languageButtons(pick CallbackAction[langChoice], current string) *models.InlineKeyboardMarkup {
	var buttons []models.InlineKeyboardButton
	for _, l := range locales.Languages {
		label := l.Native
		if l.Tag == current {
			label = "✅ " + label
		}
		buttons = append(buttons, models.InlineKeyboardButton{Text: label, CallbackData: pick.Data(langChoice{l})})
	}
	return inlineRows(buttons, 2)
}

// PeopleStore is what the sign-up and account handlers need from storage.
type PeopleStore interface {
	RedeemInviteInCentre(ctx context.Context, centreID int64, code string, telegramID int64, now time.Time) (store.Person, error)
	SetLanguage(ctx context.Context, personID int64, lang string) (bool, error)
	CreatePersonWithInvite(ctx context.Context, np store.NewPerson, actorID *int64, expires time.Time) (store.Person, string, error)
}

// Counters count tries in a time window (wrong invite codes), several
// limits checked and counted at once.
type Counters interface {
	TakeTry(ctx context.Context, window time.Duration, limits ...store.TryLimit) (blocked int, ok bool, err error)
	GiveBackTry(ctx context.Context, keys ...string) error
}
