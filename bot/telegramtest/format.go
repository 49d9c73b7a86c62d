package telegramtest

import (
	"encoding/json"

	"github.com/go-telegram/bot/models"
)

// formatText returns the text users see and its entities. cairbot sends
// plain text only (no parse_mode anywhere), so the fake parses neither HTML
// nor MarkdownV2: a parse_mode is refused, so that the day the bot starts
// using one a test fails here, where its parsing is to be added, instead
// of users being shown markup in the sandbox.
func formatText(text, parseMode, entitiesJSON string) (string, []models.MessageEntity, *apiError) {
	if parseMode != "" {
		return "", nil, badRequest("unsupported parse_mode: cairbot sends plain text and telegramtest parses no markup")
	}
	var ents []models.MessageEntity
	if entitiesJSON != "" {
		if err := json.Unmarshal([]byte(entitiesJSON), &ents); err != nil {
			return "", nil, badRequest("can't parse entities JSON object")
		}
	}
	return text, ents, nil
}
