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

// parseReplyMarkup validates reply_markup like Telegram: JSON must parse,
// inline buttons need a text and exactly one action, callback_data must be
// 1-64 bytes (else BUTTON_DATA_INVALID, which is also what a button without
// any action gets here, since go-telegram omits an empty callback_data).
func parseReplyMarkup(raw string) (*replyMarkup, *apiError) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &obj); err != nil || obj == nil {
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	m := &replyMarkup{}
	switch {
	case obj["inline_keyboard"] != nil:
		var rows [][]json.RawMessage
		if err := json.Unmarshal(obj["inline_keyboard"], &rows); err != nil {
			return nil, badRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
		}
		m.inline = make([][]models.InlineKeyboardButton, 0, len(rows))
		for _, row := range rows {
			out := make([]models.InlineKeyboardButton, 0, len(row))
			for _, raw := range row {
				b, aerr := parseInlineButton(raw)
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
		if err := json.Compact(&key, obj["inline_keyboard"]); err != nil {
			return nil, badRequest("can't parse reply keyboard markup JSON object")
		}
		m.inlineKey = key.String()
	case obj["keyboard"] != nil:
		var rows [][]json.RawMessage
		if err := json.Unmarshal(obj["keyboard"], &rows); err != nil {
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
	case obj["remove_keyboard"] != nil:
		m.remove = string(obj["remove_keyboard"]) == "true"
	case obj["force_reply"] != nil:
		m.forceReply = string(obj["force_reply"]) == "true"
	default:
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	return m, nil
}

// buttonActions is which of a button's actions were present at all
// (go-telegram omits empty ones): decoded as raw values, they cost no map.
type buttonActions struct {
	CallbackData                 json.RawMessage `json:"callback_data"`
	URL                          json.RawMessage `json:"url"`
	WebApp                       json.RawMessage `json:"web_app"`
	LoginURL                     json.RawMessage `json:"login_url"`
	SwitchInlineQuery            json.RawMessage `json:"switch_inline_query"`
	SwitchInlineQueryCurrentChat json.RawMessage `json:"switch_inline_query_current_chat"`
	SwitchInlineQueryChosenChat  json.RawMessage `json:"switch_inline_query_chosen_chat"`
	CallbackGame                 json.RawMessage `json:"callback_game"`
}

func parseInlineButton(raw json.RawMessage) (models.InlineKeyboardButton, *apiError) {
	var b models.InlineKeyboardButton
	var has buttonActions
	if len(raw) == 0 || raw[0] != '{' {
		return b, badRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return b, badRequest("can't parse inline keyboard button: " + err.Error())
	}
	if err := json.Unmarshal(raw, &has); err != nil {
		return b, badRequest("can't parse inline keyboard button: " + err.Error())
	}
	if b.Text == "" {
		return b, badRequest("can't parse inline keyboard button: Text must be non-empty")
	}
	actions := 0
	if has.CallbackData != nil {
		if b.CallbackData == "" || len(b.CallbackData) > maxCallbackData {
			return b, badRequest("BUTTON_DATA_INVALID")
		}
		actions++
	}
	if has.URL != nil {
		if strings.TrimSpace(b.URL) == "" || strings.ContainsAny(b.URL, " \n\t") {
			return b, badRequest("BUTTON_URL_INVALID")
		}
		actions++
	}
	for _, v := range []json.RawMessage{has.WebApp, has.LoginURL, has.SwitchInlineQuery,
		has.SwitchInlineQueryCurrentChat, has.SwitchInlineQueryChosenChat, has.CallbackGame} {
		if v != nil {
			actions++
		}
	}
	if b.CopyText.Text != "" {
		actions++
	}
	if b.Pay {
		actions++
	}
	if actions == 0 {
		return b, badRequest("BUTTON_DATA_INVALID")
	}
	return b, nil
}
