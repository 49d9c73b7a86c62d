// Package handlers is the product: what cairbot does for each command,
// button and conversation step. Each feature is a type of its own (People,
// Chores, Rota, Money, …, listed in Features) holding only the small store
// interfaces it uses, declared in its file, over the shared Base. Handlers
// never touch HTTP: they render text with the user's localizer and send
// through the one Sender.
package handlers

import (
	"context"
	"errors"
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

// Menus are built from the route table, which lives in the bot package.
type Menus interface {
	// MainMenu is the reply keyboard of a role, in the localizer's language.
	MainMenu(role store.Role, loc *locales.Localizer) *models.ReplyKeyboardMarkup
	// Commands are the commands a role may use, with localized descriptions.
	Commands(role store.Role, loc *locales.Localizer) []models.BotCommand
}

// step returns the conversation's step, "" when none.
func (r *Request) step() string {
	if r.Conv == nil {
		return ""
	}
	return r.Conv.Step
}
