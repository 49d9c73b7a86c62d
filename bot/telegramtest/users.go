package telegramtest

import (
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// User is a Telegram user the test acts as. In a private chat the chat id
// equals the user id.
type User struct {
	ID           int64
	FirstName    string
	LastName     string
	Username     string
	LanguageCode string
}

// Model is the user as the Bot API shows it (is_bot false).
func (u User) Model() models.User {
	return models.User{
		ID:           u.ID,
		FirstName:    u.FirstName,
		LastName:     u.LastName,
		Username:     u.Username,
		LanguageCode: u.LanguageCode,
	}
}

// chat is the server's view of one chat; guarded by Server.mu.
type chat struct {
	model     models.Chat
	nextMsgID int
	msgs      []*message       // the bot's messages, in send order
	byID      map[int]*message // the bot's messages by id
	userMsgs  map[int]bool     // ids of messages from users -> deleted
	userLog   []UserMessage    // what users wrote, in order
}

// UserMessage is a message a user wrote in a chat.
type UserMessage struct {
	ID     int
	FromID int64
	Text   string
	At     time.Time
}

func (c *chat) allocID() int {
	id := c.nextMsgID
	c.nextMsgID++
	return id
}

// ensureChatLocked registers a chat (or refreshes its description).
func (s *Server) ensureChatLocked(m models.Chat) *chat {
	c := s.chats[m.ID]
	if c == nil {
		c = &chat{nextMsgID: 1, byID: map[int]*message{}, userMsgs: map[int]bool{}}
		s.chats[m.ID] = c
	}
	if m.Type == "" {
		m.Type = chatTypeFor(m.ID)
	}
	c.model = m
	return c
}

func chatTypeFor(id int64) models.ChatType {
	if id < 0 {
		return models.ChatTypeGroup
	}
	return models.ChatTypePrivate
}

func privateChat(u User) models.Chat {
	return models.Chat{ID: u.ID, Type: models.ChatTypePrivate, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username}
}

// AddChat makes a chat known to the server without any update from it, so
// the bot may send to it. Positive ids are private chats, negative ids
// groups.
func (s *Server) AddChat(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[chatID]; c != nil {
		return
	}
	m := models.Chat{ID: chatID, Type: chatTypeFor(chatID)}
	if chatID < 0 {
		m.Title = "Test group " + strconv.FormatInt(-chatID, 10)
	}
	s.ensureChatLocked(m)
}

// Block makes every send, edit or delete in the user's private chat answer
// 403 "Forbidden: bot was blocked by the user" until Unblock.
func (s *Server) Block(userID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[userID] = true
}

// Unblock undoes Block.
func (s *Server) Unblock(userID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.blocked, userID)
}

// SendText acts as u writing text to the bot in their private chat. Every
// "/command" (optionally "/command@botname") starting a word gets a
// bot_command entity, with UTF-16 offsets and lengths as Telegram computes
// them. It returns the update id.
func (s *Server) SendText(u User, text string) int64 {
	return s.sendUserText(privateChat(u), u, text)
}

// SendTextInGroup acts as u writing text in the group chatID (which must be
// negative, as Telegram group ids are). The chat has type "group". It
// returns the update id.
func (s *Server) SendTextInGroup(chatID int64, u User, text string) int64 {
	if chatID >= 0 {
		s.errorf("telegramtest: SendTextInGroup(%d): group chat ids are negative", chatID)
		return 0
	}
	return s.sendUserText(models.Chat{ID: chatID, Type: models.ChatTypeGroup, Title: "Test group " + strconv.FormatInt(-chatID, 10)}, u, text)
}

func (s *Server) sendUserText(cm models.Chat, u User, text string) int64 {
	from := u.Model()
	s.beforeUpdate()
	s.mu.Lock()
	c := s.ensureChatLocked(cm)
	msg := &models.Message{
		ID:       c.allocID(),
		From:     &from,
		Date:     int(time.Now().Unix()),
		Chat:     c.model,
		Text:     text,
		Entities: commandEntities(text),
	}
	c.userMsgs[msg.ID] = false
	c.userLog = append(c.userLog, UserMessage{ID: msg.ID, FromID: u.ID, Text: text, At: time.Now()})
	s.changedLocked(cm.ID)
	upd := &models.Update{ID: s.nextUpdateIDLocked(), Message: msg}
	wait := s.submitLocked(upd, false)
	s.mu.Unlock()
	s.waitFirst(wait)
	return upd.ID
}

// PressButton acts as u pressing an inline button carrying data under the
// bot's message messageID in u's private chat. The callback_query carries a
// fresh id, from, chat_instance, data and the message as currently stored
// (edits applied). It returns the update id; CallbackAnswer reports how the
// bot answered. The data is not checked against the message's keyboard, so
// stale or forged presses can be simulated.
func (s *Server) PressButton(u User, messageID int, data string) int64 {
	from := u.Model()
	s.beforeUpdate()
	s.mu.Lock()
	c := s.chats[u.ID]
	var m *message
	if c != nil {
		m = c.byID[messageID]
	}
	if m == nil || m.Deleted {
		s.mu.Unlock()
		s.errorf("telegramtest: PressButton: chat %d has no bot message %d", u.ID, messageID)
		return 0
	}
	s.callbackSeq++
	cbID := strconv.FormatInt(s.opts.BotID*1_000_000_000+s.callbackSeq, 10)
	upd := &models.Update{
		ID: s.nextUpdateIDLocked(),
		CallbackQuery: &models.CallbackQuery{
			ID:           cbID,
			From:         from,
			Message:      models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: s.messageModelLocked(c, m)},
			ChatInstance: strconv.FormatInt(u.ID*7919+s.opts.BotID, 10),
			Data:         data,
		},
	}
	st := &callbackState{id: cbID, updateID: upd.ID}
	s.callbacks[cbID] = st
	s.callbackByUpd[upd.ID] = st
	wait := s.submitLocked(upd, false)
	s.mu.Unlock()
	s.waitFirst(wait)
	return upd.ID
}

func isCommandChar(b byte) bool {
	return b == '_' || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
}

// commandEntities finds bot commands the way Telegram marks them: "/" at
// the start of the text or after whitespace, followed by [A-Za-z0-9_]+ and
// optionally "@username". Offsets and lengths are in UTF-16 code units.
func commandEntities(text string) []models.MessageEntity {
	var ents []models.MessageEntity
	off := 0
	wordStart := true
	for i := 0; i < len(text); {
		if text[i] == '/' && wordStart {
			j := i + 1
			for j < len(text) && isCommandChar(text[j]) {
				j++
			}
			if j > i+1 {
				if j < len(text) && text[j] == '@' {
					k := j + 1
					for k < len(text) && isCommandChar(text[k]) {
						k++
					}
					if k > j+1 {
						j = k
					}
				}
				ents = append(ents, models.MessageEntity{Type: models.MessageEntityTypeBotCommand, Offset: off, Length: j - i})
				off += j - i // the command is ASCII: one UTF-16 unit per byte
				i = j
				wordStart = false
				continue
			}
		}
		r, n := utf8.DecodeRuneInString(text[i:])
		wordStart = unicode.IsSpace(r)
		off += utf16Len(r)
		i += n
	}
	return ents
}

// utf16Len is the number of UTF-16 code units encoding r.
func utf16Len(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// EntityText returns the part of text an entity covers, converting its
// UTF-16 offset and length to a Go string slice ("" if out of range).
func EntityText(text string, e models.MessageEntity) string {
	start, end := -1, -1
	n := 0
	for i, r := range text {
		if n == e.Offset {
			start = i
		}
		if n == e.Offset+e.Length {
			end = i
			break
		}
		n += utf16Len(r)
	}
	if n == e.Offset+e.Length && end < 0 {
		end = len(text)
	}
	if start < 0 && e.Offset == n && e.Length == 0 {
		start = len(text)
	}
	if start < 0 || end < start {
		return ""
	}
	return text[start:end]
}

// UTF16Len is the length of s in UTF-16 code units, the unit of Telegram
// entity offsets and lengths.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16Len(r)
	}
	return n
}
