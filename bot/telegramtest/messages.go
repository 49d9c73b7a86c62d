package telegramtest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
)

// SentMessage is the current state of a message the bot sent (edits applied).
type SentMessage struct {
	// ID is the message id (per chat, starting at 1; user messages take ids too).
	ID     int
	ChatID int64
	// Text is the text as the bot sent it.
	Text string
	// PlainText is the text as users see it: Text, or Caption for media.
	PlainText string
	// Entities are the formatting entities the bot sent explicitly
	// (entities / caption_entities; the bot uses no parse_mode).
	Entities []models.MessageEntity
	// Caption is the caption of a photo or document, as sent.
	Caption string
	// Kind is "text", "photo" or "document".
	Kind string
	// FileID is the file_id of a photo or document; FileName the document's
	// file name (from the upload or the URL).
	FileID   string
	FileName string
	// InlineKeyboard is the attached inline keyboard, if any.
	InlineKeyboard [][]models.InlineKeyboardButton
	// ReplyKeyboard holds the button texts of a reply keyboard sent with the message.
	ReplyKeyboard [][]string
	// RemoveKeyboard is set if the message carried reply_markup remove_keyboard.
	RemoveKeyboard bool
	// ForceReply is set if the message carried reply_markup force_reply.
	ForceReply bool
	// ReplyToMessageID is the message this one replies to (reply_parameters).
	ReplyToMessageID int
	// Edits counts successful editMessageText / editMessageReplyMarkup calls.
	Edits int
	// Deleted is set once deleteMessage removed the message.
	Deleted bool
	// At is when the message was sent; EditedAt when it was last edited.
	At       time.Time
	EditedAt time.Time
}

// message is a stored bot message.
type message struct {
	SentMessage
	markupKey string // canonical JSON of the inline keyboard, for "not modified"
	photo     []models.PhotoSize
	document  *models.Document
}

func (m *message) snapshot() SentMessage {
	out := m.SentMessage
	out.Entities = slices.Clone(m.Entities)
	if m.InlineKeyboard != nil {
		out.InlineKeyboard = make([][]models.InlineKeyboardButton, len(m.InlineKeyboard))
		for i, row := range m.InlineKeyboard {
			out.InlineKeyboard[i] = slices.Clone(row)
		}
	}
	if m.ReplyKeyboard != nil {
		out.ReplyKeyboard = make([][]string, len(m.ReplyKeyboard))
		for i, row := range m.ReplyKeyboard {
			out.ReplyKeyboard[i] = slices.Clone(row)
		}
	}
	return out
}

// messageModelLocked renders a stored message as the Bot API returns it.
func (s *Server) messageModelLocked(c *chat, m *message) *models.Message {
	bot := s.BotUser()
	out := &models.Message{
		ID:   m.ID,
		From: &bot,
		Date: int(m.At.Unix()),
		Chat: c.model,
	}
	if !m.EditedAt.IsZero() {
		out.EditDate = int(m.EditedAt.Unix())
	}
	switch m.Kind {
	case "text":
		out.Text = m.PlainText
		out.Entities = slices.Clone(m.Entities)
	default:
		out.Caption = m.PlainText
		out.CaptionEntities = slices.Clone(m.Entities)
		out.Photo = slices.Clone(m.photo)
		if m.document != nil {
			d := *m.document
			out.Document = &d
		}
	}
	if m.ReplyToMessageID != 0 {
		if r := c.byID[m.ReplyToMessageID]; r != nil {
			out.ReplyToMessage = &models.Message{ID: r.ID, From: &bot, Date: int(r.At.Unix()), Chat: c.model, Text: r.PlainText}
		} else {
			out.ReplyToMessage = &models.Message{ID: m.ReplyToMessageID, Date: out.Date, Chat: c.model}
		}
	}
	if len(m.InlineKeyboard) > 0 {
		snap := m.snapshot()
		out.ReplyMarkup = &models.InlineKeyboardMarkup{InlineKeyboard: snap.InlineKeyboard}
	}
	return out
}

// Messages returns the current state of every message the bot sent to the
// chat, in send order, deleted ones included (Deleted set).
func (s *Server) Messages(chatID int64) []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messagesLocked(chatID)
}

func (s *Server) messagesLocked(chatID int64) []SentMessage {
	c := s.chats[chatID]
	if c == nil {
		return nil
	}
	out := make([]SentMessage, 0, len(c.msgs))
	for _, m := range c.msgs {
		out = append(out, m.snapshot())
	}
	return out
}

// Message returns the current state of one message the bot sent.
func (s *Server) Message(chatID int64, id int) (SentMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[chatID]; c != nil {
		if m := c.byID[id]; m != nil {
			return m.snapshot(), true
		}
	}
	return SentMessage{}, false
}

// LastMessage returns the most recent message the bot sent to the chat.
func (s *Server) LastMessage(chatID int64) (SentMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[chatID]; c != nil && len(c.msgs) > 0 {
		return c.msgs[len(c.msgs)-1].snapshot(), true
	}
	return SentMessage{}, false
}

// WaitMessages waits until the bot has sent at least n messages to the chat
// (deleted ones count) and returns them all; on timeout it fails the test
// with what the chat has.
func (s *Server) WaitMessages(tb testing.TB, chatID int64, n int, timeout time.Duration) []SentMessage {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msgs := s.Messages(chatID)
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, m := range msgs {
				fmt.Fprintf(&b, "\n  #%d %s %q", m.ID, m.Kind, m.PlainText)
			}
			tb.Fatalf("telegramtest: chat %d: want at least %d bot messages within %v, have %d:%s", chatID, n, timeout, len(msgs), b.String())
			return msgs
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// WaitFor polls cond until it returns true; after timeout it fails the test
// saying what was awaited.
func (s *Server) WaitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("telegramtest: timed out after %v waiting for %s", timeout, what)
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// SendTimes returns when each successful send (sendMessage, sendPhoto,
// sendDocument) to the chat happened, in order, for rate-limit assertions.
func (s *Server) SendTimes(chatID int64) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sendTimes[chatID])
}

// --- callbacks -------------------------------------------------------------

type callbackState struct {
	id        string
	updateID  int64
	answered  bool
	text      string
	showAlert bool
	url       string
}

// CallbackAnswer reports how the bot answered the callback query created by
// PressButton (or delivered with Deliver) in update updateID.
func (s *Server) CallbackAnswer(updateID int64) (text string, answered bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.callbackByUpd[updateID]; st != nil {
		return st.text, st.answered
	}
	return "", false
}

// WaitCallbackAnswer waits until the bot answered the callback query of
// update updateID and returns the answer's text; after timeout it fails the
// test. The bot's answer to a button is proof it handled that update.
func (s *Server) WaitCallbackAnswer(tb testing.TB, updateID int64, timeout time.Duration) string {
	tb.Helper()
	s.WaitFor(tb, timeout, fmt.Sprintf("the answer to the button of update %d", updateID), func() bool {
		_, ok := s.CallbackAnswer(updateID)
		return ok
	})
	text, _ := s.CallbackAnswer(updateID)
	return text
}

// CallbackAlert reports whether the answer to the callback in updateID
// asked for an alert (show_alert).
func (s *Server) CallbackAlert(updateID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.callbackByUpd[updateID]; st != nil {
		return st.showAlert
	}
	return false
}

// --- commands --------------------------------------------------------------

type commandKey struct {
	scopeType string
	chatID    int64
	userID    int64
	lang      string
}

// Commands returns the command list set with setMyCommands for a scope type
// ("" means "default"), its chat id (0 for scopes without one) and language
// code ("" = all languages). For chat_member scopes any user matches.
func (s *Server) Commands(scopeType string, scopeChatID int64, languageCode string) []models.BotCommand {
	if scopeType == "" {
		scopeType = "default"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.commands {
		if k.scopeType == scopeType && k.chatID == scopeChatID && k.lang == languageCode {
			return slices.Clone(v)
		}
	}
	return nil
}

// --- files -----------------------------------------------------------------

type fileRecord struct {
	name string
	size int
	data []byte // with Options.KeepFiles
}

// File returns an uploaded photo's or document's name and bytes; ok only
// with Options.KeepFiles.
func (s *Server) File(fileID string) (name string, data []byte, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, found := s.files[fileID]
	if !found || rec.data == nil {
		return "", nil, false
	}
	return rec.name, rec.data, true
}

// --- transcript -------------------------------------------------------------

// Entry is one message of a chat as its user sees it: the bot's (Bot set)
// or the user's own (User set).
type Entry struct {
	Bot  *SentMessage
	User *UserMessage
}

// ID is the message id, the chat's order.
func (e Entry) ID() int {
	if e.Bot != nil {
		return e.Bot.ID
	}
	return e.User.ID
}

// Transcript returns the chat's messages in order, both sides, deleted
// messages of the bot left out.
func (s *Server) Transcript(chatID int64) []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return nil
	}
	out := make([]Entry, 0, len(c.msgs)+len(c.userLog))
	for _, m := range c.msgs {
		if !m.Deleted {
			snap := m.snapshot()
			out = append(out, Entry{Bot: &snap})
		}
	}
	for _, u := range c.userLog {
		if !c.userMsgs[u.ID] {
			u := u
			out = append(out, Entry{User: &u})
		}
	}
	slices.SortFunc(out, func(a, b Entry) int { return a.ID() - b.ID() })
	return out
}

// ForgetChats forgets every chat, message, file and recorded call, as if
// the server had just started (the sandbox's "Reset demo"). Update ids
// keep growing, so a bot that saw earlier updates takes the new ones.
func (s *Server) ForgetChats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(s.chats))
	for id := range s.chats {
		ids = append(ids, id)
	}
	s.chats = map[int64]*chat{}
	s.blocked = map[int64]bool{}
	s.sendTimes = map[int64][]time.Time{}
	s.files = map[string]fileRecord{}
	s.callbacks = map[string]*callbackState{}
	s.callbackByUpd = map[int64]*callbackState{}
	s.commands = map[commandKey][]models.BotCommand{}
	s.calls = nil
	for _, id := range ids {
		s.changedLocked(id)
	}
}
