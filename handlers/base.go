package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// Base is the plumbing every feature shares, embedded in each feature's
// type: the way out to Telegram, the conversation state, the menus, the
// language files, the log, the clock and the centre's time zone, and who
// a person is. A feature's own dependencies sit beside it in its type.
type Base struct {
	Send    Sender
	Conv    Conversations
	Menus   Menus
	Catalog *locales.Catalog
	Log     *slog.Logger
	// Clock is the time source (tests move it); Zone is the centre's time
	// zone (Europe/Paris).
	Clock func() time.Time
	Zone  *time.Location
	// Lookup finds a person of a centre: the recipient of a message sent
	// on its own, the resident a staff conversation is about.
	Lookup PersonLookup
}

// reply sends text to the chat of the request.
func (h *Base) reply(ctx context.Context, r *Request, text string, markup models.ReplyMarkup) (*models.Message, error) {
	m, err := h.Send.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: r.ChatID, Text: text, ReplyMarkup: markup})
	if err != nil {
		return nil, fmt.Errorf("handlers: reply: %w", err)
	}
	return m, nil
}

// replyMenu sends text with the main menu of the person's role, so the next
// step is always a button, not typing.
func (h *Base) replyMenu(ctx context.Context, r *Request, text string) error {
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
func (h *Base) setStep(ctx context.Context, r *Request, step string, data map[string]string) error {
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
func (h *Base) endConversation(ctx context.Context, r *Request) error {
	r.Conv = nil
	return h.Conv.ClearConversation(ctx, r.CentreID(), r.ChatID, r.UserID)
}

// cancel leaves any conversation (/cancel, and ❌ in every conversation).
// It always works, whatever the step, even for someone not signed up.
func (h *Base) cancel(ctx context.Context, r *Request) error {
	had := r.Conv != nil
	if err := h.endConversation(ctx, r); err != nil {
		return err
	}
	msg := "cancel.nothing"
	if had {
		msg = "cancel.done"
	}
	return h.replyMenu(ctx, r, r.Loc.T(msg))
}

// recipient finds the person a job writes to. ok is false, with a nil
// error, when he cannot be written to — gone from the centre's records,
// never signed up, or left — since retrying would not reach him either;
// a failure to look him up is returned for River to retry.
func (h *Base) recipient(ctx context.Context, centreID, personID int64) (store.Person, bool, error) {
	p, err := h.Lookup.PersonByID(ctx, centreID, personID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Person{}, false, nil
	}
	if err != nil {
		return store.Person{}, false, err
	}
	if p.TelegramID == nil || p.Status == store.StatusLeft {
		return store.Person{}, false, nil
	}
	return p, true, nil
}

// editMessage replaces the text and buttons of the message whose button was
// pressed (paging through a list).
func (h *Base) editMessage(ctx context.Context, r *Request, text string, kb *models.InlineKeyboardMarkup) error {
	_, err := h.Send.EditMessageText(ctx, &tgbot.EditMessageTextParams{
		ChatID: r.ChatID, MessageID: r.MessageID, Text: text, ReplyMarkup: kb})
	if err != nil && strings.Contains(err.Error(), "message is not modified") {
		return nil // the same page pressed twice: it is already shown
	}
	if err != nil {
		return fmt.Errorf("handlers: edit chores list: %w", err)
	}
	return nil
}

// zoneOrUTC is the centre's clock (Europe/Paris).
func (h *Base) zoneOrUTC() *time.Location {
	if h.Zone != nil {
		return h.Zone
	}
	return time.UTC
}
