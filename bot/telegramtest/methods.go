package telegramtest

import (
	"bytes"
	"encoding/json"
	"image"
	_ "image/gif"  // photo dimensions
	_ "image/jpeg" // photo dimensions
	_ "image/png"  // photo dimensions
	"mime"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// Telegram limits, counted in characters (Unicode code points) of the
// visible text.
const (
	maxMessageText  = 4096
	maxCaption      = 1024
	maxCallbackText = 200
	maxCommands     = 100
	maxCommandDesc  = 256
	// An uploaded photo: at most 10 MB, width and height at most 10000
	// together, neither side more than 20 times the other.
	maxPhotoBytes = 10 << 20
	maxPhotoSides = 10000
	maxPhotoRatio = 20
)

func (s *Server) getMe(*request) (any, *apiError) {
	return s.BotUser(), nil
}

// targetChatLocked resolves chat_id to a known chat.
func (s *Server) targetChatLocked(r *request) (*chat, *apiError) {
	raw := strings.TrimSpace(r.str("chat_id"))
	if raw == "" {
		return nil, badRequest("chat_id is empty")
	}
	if id, err := strconv.ParseInt(raw, 10, 64); err == nil {
		if c := s.chats[id]; c != nil {
			return c, nil
		}
		return nil, badRequest("chat not found")
	}
	if name, ok := strings.CutPrefix(raw, "@"); ok {
		for _, c := range s.chats {
			if c.model.Username != "" && strings.EqualFold(c.model.Username, name) {
				return c, nil
			}
		}
	}
	return nil, badRequest("chat not found")
}

func (s *Server) blockedLocked(c *chat) *apiError {
	if s.blocked[c.model.ID] {
		return &apiError{Code: http.StatusForbidden, Description: "Forbidden: bot was blocked by the user"}
	}
	return nil
}

// replyTargetLocked validates reply_parameters / reply_to_message_id.
func (s *Server) replyTargetLocked(c *chat, r *request) (int, *apiError) {
	id := 0
	allowMissing := r.boolean("allow_sending_without_reply")
	if raw := r.str("reply_parameters"); raw != "" {
		var rp models.ReplyParameters
		if err := json.Unmarshal([]byte(raw), &rp); err != nil {
			return 0, badRequest("can't parse reply parameters JSON object")
		}
		id, allowMissing = rp.MessageID, rp.AllowSendingWithoutReply
	} else if v, ok := r.integer("reply_to_message_id"); ok {
		id = int(v)
	}
	if id == 0 {
		return 0, nil
	}
	if m := c.byID[id]; m != nil && !m.Deleted {
		return id, nil
	}
	if deleted, ok := c.userMsgs[id]; ok && !deleted {
		return id, nil
	}
	if allowMissing {
		return 0, nil
	}
	return 0, badRequest("message to be replied not found")
}

// storeLocked records a new bot message in c and returns it as the Bot API does.
func (s *Server) storeLocked(c *chat, m *message) *models.Message {
	now := time.Now()
	m.ID = c.allocID()
	m.ChatID = c.model.ID
	m.At = now
	c.msgs = append(c.msgs, m)
	c.byID[m.ID] = m
	s.sendTimes[c.model.ID] = append(s.sendTimes[c.model.ID], now)
	return s.messageModelLocked(c, m)
}

func applyMarkup(m *message, mk *replyMarkup) {
	if mk == nil {
		return
	}
	m.InlineKeyboard = mk.inline
	m.markupKey = mk.inlineKey
	m.ReplyKeyboard = mk.keyboard
	m.RemoveKeyboard = mk.remove
	m.ForceReply = mk.forceReply
}

func validateLinkPreview(r *request) *apiError {
	if raw := r.str("link_preview_options"); raw != "" {
		var lp models.LinkPreviewOptions
		if err := json.Unmarshal([]byte(raw), &lp); err != nil {
			return badRequest("can't parse link preview options JSON object")
		}
	}
	return nil
}

func (s *Server) sendMessage(r *request) (any, *apiError) {
	c, aerr := s.targetChatLocked(r)
	if aerr != nil {
		return nil, aerr
	}
	text := r.str("text")
	plain, ents, aerr := formatText(text, r.str("parse_mode"), r.str("entities"))
	if aerr != nil {
		return nil, aerr
	}
	if strings.TrimSpace(plain) == "" {
		return nil, badRequest("message text is empty")
	}
	if utf8.RuneCountInString(plain) > maxMessageText {
		return nil, badRequest("message is too long")
	}
	mk, aerr := s.replyMarkupLocked(r.str("reply_markup"))
	if aerr != nil {
		return nil, aerr
	}
	if aerr := validateLinkPreview(r); aerr != nil {
		return nil, aerr
	}
	replyTo, aerr := s.replyTargetLocked(c, r)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.blockedLocked(c); aerr != nil {
		return nil, aerr
	}
	m := &message{SentMessage: SentMessage{
		Kind: "text", Text: text, PlainText: plain, Entities: ents, ReplyToMessageID: replyTo,
	}}
	applyMarkup(m, mk)
	return s.storeLocked(c, m), nil
}

// captionOf validates and formats a media caption.
func captionOf(r *request) (string, []models.MessageEntity, *apiError) {
	plain, ents, aerr := formatText(r.str("caption"), r.str("parse_mode"), r.str("caption_entities"))
	if aerr != nil {
		return "", nil, aerr
	}
	if utf8.RuneCountInString(plain) > maxCaption {
		return "", nil, badRequest("message caption is too long")
	}
	return plain, ents, nil
}

// mediaLocked takes an uploaded InputFile from field. cairbot only
// uploads (the report's CSV and chart): a file sent again by file_id or by
// URL is refused, so a test fails the day the bot starts doing so.
func (s *Server) mediaLocked(r *request, field, kind string) (fileID, name string, data []byte, aerr *apiError) {
	up, ok := r.files[field]
	if !ok {
		if strings.TrimSpace(r.str(field)) != "" {
			return "", "", nil, badRequest("telegramtest takes uploads only, not a " + kind + " by file_id or URL")
		}
		return "", "", nil, badRequest("there is no " + kind + " in the request")
	}
	if len(up) == 0 {
		return "", "", nil, badRequest("file must be non-empty")
	}
	s.fileSeq++
	prefix := map[string]string{"photo": "AgACAgIAAxk-test-", "document": "BQACAgIAAxk-test-"}[kind]
	fileID = prefix + strconv.Itoa(s.fileSeq)
	name = r.fileNames[field]
	rec := fileRecord{name: name, size: len(up)}
	if s.opts.KeepFiles {
		rec.data = up
	}
	s.files[fileID] = rec
	return fileID, name, up, nil
}

// commonMIME covers types Go's builtin table lacks when /etc/mime.types is absent.
var commonMIME = map[string]string{
	".csv": "text/csv", ".txt": "text/plain", ".zip": "application/zip", ".gz": "application/gzip",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

func (s *Server) sendMedia(r *request, kind string) (any, *apiError) {
	c, aerr := s.targetChatLocked(r)
	if aerr != nil {
		return nil, aerr
	}
	fileID, name, data, aerr := s.mediaLocked(r, kind, kind)
	if aerr != nil {
		return nil, aerr
	}
	plain, ents, aerr := captionOf(r)
	if aerr != nil {
		return nil, aerr
	}
	mk, aerr := s.replyMarkupLocked(r.str("reply_markup"))
	if aerr != nil {
		return nil, aerr
	}
	replyTo, aerr := s.replyTargetLocked(c, r)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.blockedLocked(c); aerr != nil {
		return nil, aerr
	}
	m := &message{SentMessage: SentMessage{
		Kind: kind, Caption: r.str("caption"), PlainText: plain, Entities: ents,
		FileID: fileID, ReplyToMessageID: replyTo,
	}}
	size := s.files[fileID].size
	unique := "AQAD" + strings.TrimPrefix(fileID, "AgACAgIAAxk")
	switch kind {
	case "photo":
		w, h := 320, 320
		if data != nil {
			// Telegram recompresses an uploaded photo: what is not a
			// picture, or is too large or too thin, is refused.
			cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
			switch {
			case err != nil:
				return nil, badRequest("IMAGE_PROCESS_FAILED")
			case len(data) > maxPhotoBytes:
				return nil, badRequest("PHOTO_SAVE_FILE_INVALID")
			case cfg.Width+cfg.Height > maxPhotoSides || cfg.Width > maxPhotoRatio*cfg.Height || cfg.Height > maxPhotoRatio*cfg.Width:
				return nil, badRequest("PHOTO_INVALID_DIMENSIONS")
			}
			w, h = cfg.Width, cfg.Height
		}
		m.photo = []models.PhotoSize{{FileID: fileID, FileUniqueID: unique, Width: w, Height: h, FileSize: size}}
	case "document":
		m.FileName = name
		mt := commonMIME[strings.ToLower(path.Ext(name))]
		if mt == "" {
			mt = mime.TypeByExtension(path.Ext(name))
		}
		if mt == "" && len(data) > 0 {
			mt = http.DetectContentType(data)
		}
		if i := strings.IndexByte(mt, ';'); i >= 0 {
			mt = mt[:i]
		}
		m.document = &models.Document{FileID: fileID, FileUniqueID: "AgAD" + strings.TrimPrefix(fileID, "BQACAgIAAxk"), FileName: name, MimeType: mt, FileSize: int64(size)}
	}
	applyMarkup(m, mk)
	return s.storeLocked(c, m), nil
}

func (s *Server) sendPhoto(r *request) (any, *apiError)    { return s.sendMedia(r, "photo") }
func (s *Server) sendDocument(r *request) (any, *apiError) { return s.sendMedia(r, "document") }

// editTargetLocked finds the bot message addressed by chat_id + message_id.
func (s *Server) editTargetLocked(r *request, verb string) (*chat, *message, *apiError) {
	if r.str("inline_message_id") != "" {
		return nil, nil, badRequest("MESSAGE_ID_INVALID")
	}
	c, aerr := s.targetChatLocked(r)
	if aerr != nil {
		return nil, nil, aerr
	}
	id, ok := r.integer("message_id")
	if !ok || id == 0 {
		return nil, nil, badRequest("message identifier is not specified")
	}
	m := c.byID[int(id)]
	if m == nil || m.Deleted {
		if deleted, ok := c.userMsgs[int(id)]; ok && !deleted && verb == "edit" {
			return nil, nil, badRequest("message can't be edited")
		}
		return nil, nil, badRequest("message to " + verb + " not found")
	}
	if aerr := s.blockedLocked(c); aerr != nil {
		return nil, nil, aerr
	}
	return c, m, nil
}

const errNotModified = "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"

func inlineOnly(mk *replyMarkup) *apiError {
	if mk != nil && !mk.isInline() {
		return badRequest("inline keyboard expected")
	}
	return nil
}

func (s *Server) editMessageText(r *request) (any, *apiError) {
	c, m, aerr := s.editTargetLocked(r, "edit")
	if aerr != nil {
		return nil, aerr
	}
	if m.Kind != "text" {
		return nil, badRequest("there is no text in the message to edit")
	}
	plain, ents, aerr := formatText(r.str("text"), r.str("parse_mode"), r.str("entities"))
	if aerr != nil {
		return nil, aerr
	}
	if strings.TrimSpace(plain) == "" {
		return nil, badRequest("message text is empty")
	}
	if utf8.RuneCountInString(plain) > maxMessageText {
		return nil, badRequest("message is too long")
	}
	mk, aerr := s.replyMarkupLocked(r.str("reply_markup"))
	if aerr != nil {
		return nil, aerr
	}
	if aerr := inlineOnly(mk); aerr != nil {
		return nil, aerr
	}
	if aerr := validateLinkPreview(r); aerr != nil {
		return nil, aerr
	}
	newKey := ""
	if mk != nil {
		newKey = mk.inlineKey
	}
	oldEnts, _ := json.Marshal(m.Entities)
	newEnts, _ := json.Marshal(ents)
	if plain == m.PlainText && bytes.Equal(oldEnts, newEnts) && newKey == m.markupKey {
		return nil, badRequest(errNotModified)
	}
	m.Text, m.PlainText, m.Entities = r.str("text"), plain, ents
	// Like Telegram, an edit without reply_markup removes the inline keyboard.
	m.InlineKeyboard, m.markupKey = nil, ""
	if mk != nil {
		m.InlineKeyboard, m.markupKey = mk.inline, mk.inlineKey
	}
	m.Edits++
	m.EditedAt = time.Now()
	return s.messageModelLocked(c, m), nil
}

func (s *Server) editMessageReplyMarkup(r *request) (any, *apiError) {
	c, m, aerr := s.editTargetLocked(r, "edit")
	if aerr != nil {
		return nil, aerr
	}
	mk, aerr := s.replyMarkupLocked(r.str("reply_markup"))
	if aerr != nil {
		return nil, aerr
	}
	if aerr := inlineOnly(mk); aerr != nil {
		return nil, aerr
	}
	newKey := ""
	if mk != nil {
		newKey = mk.inlineKey
	}
	if newKey == m.markupKey {
		return nil, badRequest(errNotModified)
	}
	m.InlineKeyboard, m.markupKey = nil, ""
	if mk != nil {
		m.InlineKeyboard, m.markupKey = mk.inline, mk.inlineKey
	}
	m.Edits++
	m.EditedAt = time.Now()
	return s.messageModelLocked(c, m), nil
}

func (s *Server) deleteMessage(r *request) (any, *apiError) {
	c, aerr := s.targetChatLocked(r)
	if aerr != nil {
		return nil, aerr
	}
	id, ok := r.integer("message_id")
	if !ok || id == 0 {
		return nil, badRequest("message identifier is not specified")
	}
	if aerr := s.blockedLocked(c); aerr != nil {
		return nil, aerr
	}
	if m := c.byID[int(id)]; m != nil && !m.Deleted {
		m.Deleted = true
		return true, nil
	}
	if deleted, ok := c.userMsgs[int(id)]; ok && !deleted {
		c.userMsgs[int(id)] = true
		return true, nil
	}
	return nil, badRequest("message to delete not found")
}

func (s *Server) answerCallbackQuery(r *request) (any, *apiError) {
	text := r.str("text")
	if utf8.RuneCountInString(text) > maxCallbackText {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	st := s.callbacks[r.str("callback_query_id")]
	if st == nil || st.answered {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	st.answered, st.text, st.showAlert, st.url = true, text, r.boolean("show_alert"), r.str("url")
	return true, nil
}

// --- commands --------------------------------------------------------------

var (
	commandRE  = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
	languageRE = regexp.MustCompile(`^[a-z]{2}$`)
)

// scopeKeyLocked parses scope + language_code into a commands key.
func (s *Server) scopeKeyLocked(r *request) (commandKey, *apiError) {
	k := commandKey{scopeType: "default", lang: r.str("language_code")}
	if k.lang != "" && !languageRE.MatchString(k.lang) {
		return k, badRequest("invalid language code specified")
	}
	raw := strings.TrimSpace(r.str("scope"))
	if raw == "" {
		return k, nil
	}
	var sc struct {
		Type   string          `json:"type"`
		ChatID json.RawMessage `json:"chat_id"`
		UserID int64           `json:"user_id"`
	}
	if err := json.Unmarshal([]byte(raw), &sc); err != nil {
		return k, badRequest("can't parse BotCommandScope JSON object")
	}
	k.scopeType = sc.Type
	switch sc.Type {
	case "default", "all_private_chats", "all_group_chats", "all_chat_administrators":
		return k, nil
	case "chat", "chat_administrators", "chat_member":
		var id int64
		var name string
		if json.Unmarshal(sc.ChatID, &id) != nil {
			if json.Unmarshal(sc.ChatID, &name) != nil {
				return k, badRequest("can't parse BotCommandScope JSON object")
			}
			if n, err := strconv.ParseInt(name, 10, 64); err == nil {
				id = n
			}
		}
		c := s.chats[id]
		if name != "" && id == 0 {
			cr := &request{params: map[string]string{"chat_id": name}}
			c, _ = s.targetChatLocked(cr)
		}
		if c == nil {
			return k, badRequest("chat not found")
		}
		k.chatID = c.model.ID
		if sc.Type == "chat_member" {
			if sc.UserID == 0 {
				return k, badRequest("user not found")
			}
			k.userID = sc.UserID
		}
		return k, nil
	}
	return k, badRequest("unsupported bot command scope type")
}

func (s *Server) setMyCommands(r *request) (any, *apiError) {
	cmds, aerr := s.commandListLocked(r.str("commands"))
	if aerr != nil {
		return nil, aerr
	}
	k, aerr := s.scopeKeyLocked(r)
	if aerr != nil {
		return nil, aerr
	}
	if len(cmds) == 0 {
		delete(s.commands, k)
	} else {
		s.commands[k] = cmds
	}
	return true, nil
}

// commandListLocked validates a command list like Telegram, once for each
// text: a list met before is given as parsed then (shared: never changed;
// Commands gives copies). A bot sets the same list for each of its users'
// chats.
func (s *Server) commandListLocked(raw string) ([]models.BotCommand, *apiError) {
	if cmds, ok := s.commandLists[raw]; ok {
		return cmds, nil
	}
	var cmds []models.BotCommand
	if err := json.Unmarshal([]byte(raw), &cmds); err != nil {
		return nil, badRequest("can't parse commands JSON object")
	}
	if len(cmds) > maxCommands {
		return nil, badRequest("too many commands specified")
	}
	for _, c := range cmds {
		if !commandRE.MatchString(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf8.RuneCountInString(strings.TrimSpace(c.Description)); n == 0 || n > maxCommandDesc {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	if len(s.commandLists) >= maxParsed {
		clear(s.commandLists)
	}
	s.commandLists[raw] = cmds
	return cmds, nil
}

func (s *Server) getMyCommands(r *request) (any, *apiError) {
	k, aerr := s.scopeKeyLocked(r)
	if aerr != nil {
		return nil, aerr
	}
	out := s.commands[k]
	if out == nil {
		out = []models.BotCommand{}
	}
	return out, nil
}

func (s *Server) deleteMyCommands(r *request) (any, *apiError) {
	k, aerr := s.scopeKeyLocked(r)
	if aerr != nil {
		return nil, aerr
	}
	delete(s.commands, k)
	return true, nil
}
