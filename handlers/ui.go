package handlers

// Small helpers every feature uses to build its screens: button rows,
// callback data, confirmations and number formatting.

import (
	"fmt"
	"strconv"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

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

// itoa formats an id for callback data and conversation data.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// copyData copies a conversation's data, to change it without touching
// the conversation the request holds until the change is saved.
func copyData(c *store.Conversation) map[string]string {
	out := map[string]string{}
	if c != nil {
		for k, v := range c.Data {
			out[k] = v
		}
	}
	return out
}

// noFields is the value of an action whose data is its prefix alone
// ("pay:ok").
type noFields struct{}

func encNoFields(noFields) []string { return nil }

func decNoFields(f []string) (noFields, bool) { return noFields{}, len(f) == 0 }

// confirmActions are the ✅/❌ buttons of a conversation's last step, for a
// feature whose buttons are actions (handlers/callback.go).
func confirmActions(loc *locales.Localizer, ok, no CallbackAction[noFields]) *models.InlineKeyboardMarkup {
	return inlineRows([]models.InlineKeyboardButton{
		{Text: loc.T("button.confirm"), CallbackData: ok.Data(noFields{})},
		{Text: loc.T("button.cancel"), CallbackData: no.Data(noFields{})},
	}, 2)
}
