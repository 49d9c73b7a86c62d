package telegramtest

import (
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
		var rows [][]map[string]json.RawMessage
		if err := json.Unmarshal(obj["inline_keyboard"], &rows); err != nil {
			return nil, badRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
		}
		m.inline = make([][]models.InlineKeyboardButton, 0, len(rows))
		for _, row := range rows {
			out := make([]models.InlineKeyboardButton, 0, len(row))
			for _, fields := range row {
				b, aerr := parseInlineButton(fields)
				if aerr != nil {
					return nil, aerr
				}
				out = append(out, b)
			}
			m.inline = append(m.inline, out)
		}
		key, _ := json.Marshal(m.inline)
		m.inlineKey = string(key)
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

func parseInlineButton(fields map[string]json.RawMessage) (models.InlineKeyboardButton, *apiError) {
	var b models.InlineKeyboardButton
	raw, _ := json.Marshal(fields)
	if err := json.Unmarshal(raw, &b); err != nil {
		return b, badRequest("can't parse inline keyboard button: " + err.Error())
	}
	if b.Text == "" {
		return b, badRequest("can't parse inline keyboard button: Text must be non-empty")
	}
	actions := 0
	if _, ok := fields["callback_data"]; ok {
		if b.CallbackData == "" || len(b.CallbackData) > maxCallbackData {
			return b, badRequest("BUTTON_DATA_INVALID")
		}
		actions++
	}
	if _, ok := fields["url"]; ok {
		if strings.TrimSpace(b.URL) == "" || strings.ContainsAny(b.URL, " \n\t") {
			return b, badRequest("BUTTON_URL_INVALID")
		}
		actions++
	}
	for _, k := range []string{"web_app", "login_url", "switch_inline_query", "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "callback_game"} {
		if _, ok := fields[k]; ok {
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
