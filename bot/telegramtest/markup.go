package telegramtest

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/go-telegram/bot/models"
)

// replyMarkup is a parsed and validated reply_markup parameter.
type replyMarkup struct {
	inline     [][]models.InlineKeyboardButton
	inlineKey  string // canonical JSON of inline, for "message is not modified"
	keyboard   [][]string
	remove     bool
	forceReply bool
}

func (m *replyMarkup) isInline() bool { return m != nil && m.inline != nil }

const maxCallbackData = 64

// maxParsed bounds Server.markups and Server.commandLists: a bot's
// keyboards are few (menus, a sheet per class), a fake running for days
// must not keep every one.
const maxParsed = 4096

// replyMarkupLocked is parseReplyMarkup, once for each text: a markup met
// before is given as parsed then (shared: never changed).
func (s *Server) replyMarkupLocked(raw string) (*replyMarkup, *apiError) {
	if m, ok := s.markups[raw]; ok {
		return m, nil
	}
	m, aerr := parseReplyMarkup(raw)
	if aerr != nil || m == nil {
		return m, aerr
	}
	if len(s.markups) >= maxParsed {
		clear(s.markups)
	}
	s.markups[raw] = m
	return m, nil
}

// parseReplyMarkup validates reply_markup like Telegram: JSON must parse,
// inline buttons need a text and exactly one action, callback_data must be
// 1-64 bytes (else BUTTON_DATA_INVALID, which is also what a button without
// any action gets here, since go-telegram omits an empty callback_data).
func parseReplyMarkup(raw string) (*replyMarkup, *apiError) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	// A struct, not a map: the markup is parsed for every message a bot
	// sends, and a staff member's attendance list has a button a resident.
	var obj struct {
		InlineKeyboard json.RawMessage `json:"inline_keyboard"`
		Keyboard       json.RawMessage `json:"keyboard"`
		RemoveKeyboard json.RawMessage `json:"remove_keyboard"`
		ForceReply     json.RawMessage `json:"force_reply"`
	}
	if err := json.Unmarshal([]byte(raw), &obj); err != nil {
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	m := &replyMarkup{}
	switch {
	case obj.InlineKeyboard != nil:
		var rows [][]wireButton
		if err := json.Unmarshal(obj.InlineKeyboard, &rows); err != nil {
			return nil, badRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
		}
		m.inline = make([][]models.InlineKeyboardButton, 0, len(rows))
		for _, row := range rows {
			out := make([]models.InlineKeyboardButton, 0, len(row))
			for _, w := range row {
				b, aerr := w.button()
				if aerr != nil {
					return nil, aerr
				}
				out = append(out, b)
			}
			m.inline = append(m.inline, out)
		}
		// The keyboard as sent, without its spaces, tells "not modified":
		// a bot's one encoder writes equal keyboards alike (marshalling
		// the parsed buttons again cost the fake 9 % of its CPU under load).
		var key bytes.Buffer
		if err := json.Compact(&key, obj.InlineKeyboard); err != nil {
			return nil, badRequest("can't parse reply keyboard markup JSON object")
		}
		m.inlineKey = key.String()
	case obj.Keyboard != nil:
		var rows [][]json.RawMessage
		if err := json.Unmarshal(obj.Keyboard, &rows); err != nil {
			return nil, badRequest("can't parse keyboard button: KeyboardButton must be a String or an Object")
		}
		for _, row := range rows {
			var texts []string
			for _, rb := range row {
				var text string
				if json.Unmarshal(rb, &text) != nil {
					var kb models.KeyboardButton
					if err := json.Unmarshal(rb, &kb); err != nil {
						return nil, badRequest("can't parse keyboard button: KeyboardButton must be a String or an Object")
					}
					text = kb.Text
				}
				if text == "" {
					return nil, badRequest("can't parse keyboard button: Text must be non-empty")
				}
				texts = append(texts, text)
			}
			m.keyboard = append(m.keyboard, texts)
		}
		if m.keyboard == nil {
			m.keyboard = [][]string{}
		}
	case obj.RemoveKeyboard != nil:
		m.remove = string(obj.RemoveKeyboard) == "true"
	case obj.ForceReply != nil:
		m.forceReply = string(obj.ForceReply) == "true"
	default:
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	return m, nil
}

// wireButton is an inline button as sent: an action given at all is a
// pointer that is set (go-telegram omits empty ones), so a whole keyboard
// is one decoding.
type wireButton struct {
	Text                         string                              `json:"text"`
	IconCustomEmojiID            string                              `json:"icon_custom_emoji_id"`
	Style                        string                              `json:"style"`
	URL                          *string                             `json:"url"`
	CallbackData                 *string                             `json:"callback_data"`
	WebApp                       *models.WebAppInfo                  `json:"web_app"`
	LoginURL                     *models.LoginURL                    `json:"login_url"`
	SwitchInlineQuery            *string                             `json:"switch_inline_query"`
	SwitchInlineQueryCurrentChat *string                             `json:"switch_inline_query_current_chat"`
	SwitchInlineQueryChosenChat  *models.SwitchInlineQueryChosenChat `json:"switch_inline_query_chosen_chat"`
	CopyText                     models.CopyTextButton               `json:"copy_text"`
	CallbackGame                 *models.CallbackGame                `json:"callback_game"`
	Pay                          bool                                `json:"pay"`
}

func (w wireButton) button() (models.InlineKeyboardButton, *apiError) {
	b := models.InlineKeyboardButton{Text: w.Text, IconCustomEmojiID: w.IconCustomEmojiID, Style: w.Style,
		WebApp: w.WebApp, LoginURL: w.LoginURL, SwitchInlineQueryChosenChat: w.SwitchInlineQueryChosenChat,
		CopyText: w.CopyText, CallbackGame: w.CallbackGame, Pay: w.Pay}
	if b.Text == "" {
		return b, badRequest("can't parse inline keyboard button: Text must be non-empty")
	}
	actions := 0
	if w.CallbackData != nil {
		b.CallbackData = *w.CallbackData
		if b.CallbackData == "" || len(b.CallbackData) > maxCallbackData {
			return b, badRequest("BUTTON_DATA_INVALID")
		}
		actions++
	}
	if w.URL != nil {
		b.URL = *w.URL
		if strings.TrimSpace(b.URL) == "" || strings.ContainsAny(b.URL, " \n\t") {
			return b, badRequest("BUTTON_URL_INVALID")
		}
		actions++
	}
	if w.SwitchInlineQuery != nil {
		b.SwitchInlineQuery = *w.SwitchInlineQuery
		actions++
	}
	if w.SwitchInlineQueryCurrentChat != nil {
		b.SwitchInlineQueryCurrentChat = *w.SwitchInlineQueryCurrentChat
		actions++
	}
	for _, set := range []bool{w.WebApp != nil, w.LoginURL != nil, w.SwitchInlineQueryChosenChat != nil,
		w.CallbackGame != nil, b.CopyText.Text != "", b.Pay} {
		if set {
			actions++
		}
	}
	if actions == 0 {
		return b, badRequest("BUTTON_DATA_INVALID")
	}
	return b, nil
}
