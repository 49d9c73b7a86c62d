package bot

import (
	"strings"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"
)

// Command is a bot command found in a message.
type Command struct {
	Name string // lower case, without "/" and "@botname"
	Args string // the rest of the text after the command, trimmed
}

// ParseCommand finds the first bot_command entity of a message. Telegram
// counts entity offsets in UTF-16 code units, so the text is converted
// before slicing: "привет /help" or "🙂 /help" would be cut in the wrong
// place with byte offsets. "/cmd@otherbot" is a command for another bot in a
// group and is ignored; "/cmd@ourbot" is ours.
func ParseCommand(text string, entities []models.MessageEntity, botUsername string) (Command, bool) {
	if len(entities) == 0 {
		return Command{}, false
	}
	units := utf16.Encode([]rune(text))
	for _, e := range entities {
		if e.Type != models.MessageEntityTypeBotCommand {
			continue
		}
		if e.Offset < 0 || e.Length < 2 || e.Offset+e.Length > len(units) {
			return Command{}, false
		}
		word := string(utf16.Decode(units[e.Offset : e.Offset+e.Length]))
		if !strings.HasPrefix(word, "/") {
			return Command{}, false
		}
		name := word[1:]
		if at := strings.IndexByte(name, '@'); at >= 0 {
			if !strings.EqualFold(name[at+1:], botUsername) {
				return Command{}, false
			}
			name = name[:at]
		}
		if name == "" {
			return Command{}, false
		}
		rest := string(utf16.Decode(units[e.Offset+e.Length:]))
		return Command{Name: strings.ToLower(name), Args: strings.TrimSpace(rest)}, true
	}
	return Command{}, false
}
