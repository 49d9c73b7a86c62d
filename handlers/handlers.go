// Package handlers is the product: what cairbot does for each command,
// button and conversation step, one file per feature. Handlers never touch
// HTTP: they read and write through the small interfaces below, render text
// with the user's localizer and send through the one Sender.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// Request is one update as a handler sees it: who sent it, in which
// language to answer, and where he stands in a conversation.
type Request struct {
	Update  *models.Update
	ChatID  int64
	UserID  int64
	From    *models.User
	Private bool

	Text    string // message text (empty for a button press)
	Command string // command name without "/" and "@bot", lower case
	Args    string // text after the command

	Callback     *models.CallbackQuery
	CallbackData string // the button's data, e.g. "lang:fa-AF"
	MessageID    int    // the bot message whose button was pressed

	Bot    Bot           // the centre's bot the update came in on (centre.go)
	Person *store.Person // nil for someone not signed up
	Loc    *locales.Localizer
	Conv   *store.Conversation // nil when not in a conversation
	Now    time.Time
}

// CentreID is the person's centre; for someone not signed up, the centre
// of the bot he wrote to (0 when no bot is known, in unit tests).
func (r *Request) CentreID() int64 {
	if r.Person == nil {
		return r.Bot.CentreID
	}
	return r.Person.CentreID
}

// Handler handles one update.
type Handler func(ctx context.Context, r *Request) error

// UserError is a failure the user can understand: the bot answers with the
// message MsgID in his language and changes nothing.
type UserError struct {
	MsgID string
	Args  []any
	// Count, when not nil, picks the plural form of MsgID.
	Count *int
}

func (e *UserError) Error() string { return "handlers: user error " + e.MsgID }

// Fail returns a UserError.
func Fail(msgID string, kv ...any) error { return &UserError{MsgID: msgID, Args: kv} }

// FailN returns a UserError whose message has plural forms chosen by count.
func FailN(msgID string, count int, kv ...any) error {
	return &UserError{MsgID: msgID, Args: kv, Count: &count}
}

// ErrForbidden means the user's role does not allow the action.
var ErrForbidden = errors.New("handlers: forbidden")

// RoleRefusal is the error for an action that needs a higher role than the
// user's. It wraps ErrForbidden and names the role needed, so that the
// refusal tells who may do it: a staff member who tries a coordinator's
// action must not read "only for the centre's staff". Action, when set, is
// the message id describing the action (a route's Describe).
type RoleRefusal struct {
	Need   store.Role
	Action string
}

func (e *RoleRefusal) Error() string { return "handlers: forbidden, needs " + string(e.Need) }

func (e *RoleRefusal) Unwrap() error { return ErrForbidden }

// Forbidden returns the refusal of an action that needs role need.
func Forbidden(need store.Role, action string) error { return &RoleRefusal{Need: need, Action: action} }

// RefusalText is the refusal shown for an action needing role need, in
// loc's language, naming the role and, when action is a message id, the
// action: "⛔ Sorry, only coordinators can do this: «Schedule …»."
func RefusalText(loc *locales.Localizer, need store.Role, action string) string {
	what := ""
	if action != "" {
		what = loc.T(action)
	}
	switch need {
	case store.RoleCoordinator:
		return loc.T("error.forbidden_coordinator", "Action", what)
	case store.RoleAdmin:
		return loc.T("error.forbidden_admin", "Action", what)
	}
	// Staff: "only for the centre's staff" is already the role needed.
	return loc.T("error.forbidden")
}

// ErrStaleButton means a pressed button is forged, too old, or does not
// belong to the conversation the user is in.
var ErrStaleButton = errors.New("handlers: stale button")

// Sender is the one way out to Telegram (rate-limited, retried).
type Sender interface {
	SendMessage(ctx context.Context, p *tgbot.SendMessageParams) (*models.Message, error)
	EditMessageText(ctx context.Context, p *tgbot.EditMessageTextParams) (*models.Message, error)
	SetMyCommands(ctx context.Context, p *tgbot.SetMyCommandsParams) error
}

// People is what the sign-up and account handlers need from storage.
type People interface {
	RedeemInviteInCentre(ctx context.Context, centreID int64, code string, telegramID int64, now time.Time) (store.Person, error)
	SetLanguage(ctx context.Context, personID int64, lang string) (bool, error)
	CreatePersonWithInvite(ctx context.Context, np store.NewPerson, actorID *int64, expires time.Time) (store.Person, string, error)
}

// Conversations stores where a user stands in a multi-step exchange.
type Conversations interface {
	SaveConversation(ctx context.Context, centreID, chatID, userID int64, c store.Conversation) (store.Conversation, error)
	ClearConversation(ctx context.Context, centreID, chatID, userID int64) error
}

// Outcomes remember what an update did (Redis, 24 h), so that its
// re-delivery — Telegram sends it again when our answer was lost in an
// outage — answers the same without doing the change twice.
type Outcomes interface {
	RememberOutcome(ctx context.Context, key, value string) error
	Outcome(ctx context.Context, key string) (string, error)
}

// Counters count tries in a time window (wrong invite codes), several
// limits checked and counted at once.
type Counters interface {
	TakeTry(ctx context.Context, window time.Duration, limits ...store.TryLimit) (blocked int, ok bool, err error)
	GiveBackTry(ctx context.Context, keys ...string) error
}

// Menus are built from the route table, which lives in the bot package.
type Menus interface {
	// MainMenu is the reply keyboard of a role, in the localizer's language.
	MainMenu(role store.Role, loc *locales.Localizer) *models.ReplyKeyboardMarkup
	// Commands are the commands a role may use, with localized descriptions.
	Commands(role store.Role, loc *locales.Localizer) []models.BotCommand
}

// Handlers holds the dependencies of every handler.
type Handlers struct {
	Send Sender
	// Bulk and Outbox send what the bot sends on its own (outbox.go).
	Bulk        BulkSender
	Outbox      OutboxStore
	People      People
	Lookup      PersonLookup
	Conv        Conversations
	Outcomes    Outcomes
	Counters    Counters
	Menus       Menus
	Catalog     *locales.Catalog
	Log         *slog.Logger
	BotUsername func() string
	InviteTTL   time.Duration
	DefaultLang string
	// Centre is the deployment's centre (CENTRE): strangers' wrong codes
	// count against it; CentreCodeTries is INVITE_CENTRE_TRIES.
	Centre          string
	CentreCodeTries int
	// Jobs inserts durable jobs; Clock is the time source (tests move it);
	// Zone is the centre's time zone (Europe/Paris).
	Jobs  Jobs
	Clock func() time.Time
	Zone  *time.Location

	// Erase removes personal data after departure, RetainAfterLeaving
	// after the person left (and once his balance is settled).
	Erase              Eraser
	RetainAfterLeaving time.Duration

	// Feature stores (small interfaces declared in each feature's file).
	Week WeekStore
	// chores
	Chores    Chores
	RotaSetup RotaSetup
	// balance and payments
	Money     Money
	Residents Residents
	// classes and attendance
	ClassStore          Classes
	AttendanceStore     Attendance
	AttendanceDrafts    AttendanceDrafts
	ClassReminderBefore time.Duration // before each class (CLASS_REMINDER_BEFORE)
	AbsenceAlertAfter   int           // unexcused absences in a row (CLASS_ABSENCE_ALERT)
	// class groups (staff)
	Enrolments Enrolments
	// appointments and interviews
	AppointmentStore   AppointmentStore
	InterviewReminders []time.Duration // before each appointment (INTERVIEW_REMINDERS)
	// announcements
	Announcements AnnouncementStore
}

// reply sends text to the chat of the request.
func (h *Handlers) reply(ctx context.Context, r *Request, text string, markup models.ReplyMarkup) (*models.Message, error) {
	m, err := h.Send.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: r.ChatID, Text: text, ReplyMarkup: markup})
	if err != nil {
		return nil, fmt.Errorf("handlers: reply: %w", err)
	}
	return m, nil
}

// replyMenu sends text with the main menu of the person's role, so the next
// step is always a button, not typing.
func (h *Handlers) replyMenu(ctx context.Context, r *Request, text string) error {
	var markup models.ReplyMarkup
	if r.Person != nil && r.Private {
		markup = h.Menus.MainMenu(r.Person.Role, r.Loc)
	}
	_, err := h.reply(ctx, r, text, markup)
	return err
}

// setStep moves the user's conversation to step with data. A concurrent
// change of the same conversation gives store.ErrConflict and nothing is
// written.
func (h *Handlers) setStep(ctx context.Context, r *Request, step string, data map[string]string) error {
	c := store.Conversation{Step: step, Data: data}
	if r.Conv != nil {
		c.Version = r.Conv.Version
	}
	saved, err := h.Conv.SaveConversation(ctx, r.CentreID(), r.ChatID, r.UserID, c)
	if err != nil {
		return err
	}
	r.Conv = &saved
	return nil
}

// endConversation forgets the user's conversation.
func (h *Handlers) endConversation(ctx context.Context, r *Request) error {
	r.Conv = nil
	return h.Conv.ClearConversation(ctx, r.CentreID(), r.ChatID, r.UserID)
}

// step returns the conversation's step, "" when none.
func (r *Request) step() string {
	if r.Conv == nil {
		return ""
	}
	return r.Conv.Step
}

// inlineRows lays buttons out in rows of n.
func inlineRows(buttons []models.InlineKeyboardButton, n int) *models.InlineKeyboardMarkup {
	var rows [][]models.InlineKeyboardButton
	for i := 0; i < len(buttons); i += n {
		end := min(i+n, len(buttons))
		rows = append(rows, buttons[i:end])
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

// maxCallbackData is Telegram's limit on a button's data, in bytes.
const maxCallbackData = 64

// cb builds a button's callback data from a prefix and arguments. Data over
// Telegram's 64 bytes is a programming mistake: it panics in tests, and the
// recover middleware turns it into an apology in production.
func cb(prefix string, args ...string) string {
	s := prefix
	for _, a := range args {
		s += ":" + a
	}
	if len(s) > maxCallbackData {
		panic(fmt.Sprintf("callback data over 64 bytes: %q", s))
	}
	return s
}
