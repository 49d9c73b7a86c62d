package bot

import (
	"testing"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"
)

// entity builds a bot_command entity for the first occurrence of cmd in text,
// with UTF-16 offsets as Telegram sends them.
func entity(text, cmd string) []models.MessageEntity {
	units := utf16.Encode([]rune(text))
	c := utf16.Encode([]rune(cmd))
	for i := 0; i+len(c) <= len(units); i++ {
		if string(utf16.Decode(units[i:i+len(c)])) == cmd {
			return []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: i, Length: len(c)}}
		}
	}
	return nil
}

func TestParseCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, cmd string
		want            Command
		ok              bool
	}{
		{"plain", "/help", "/help", Command{Name: "help"}, true},
		{"args", "/start ABCDEFGH23", "/start", Command{Name: "start", Args: "ABCDEFGH23"}, true},
		{"our bot", "/help@CairBot", "/help@CairBot", Command{Name: "help"}, true},
		{"other bot", "/help@otherbot", "/help@otherbot", Command{}, false},
		{"after cyrillic", "привет /help", "/help", Command{Name: "help"}, true},
		{"after emoji", "🙂🙂 /language", "/language", Command{Name: "language"}, true},
		{"after dari with args", "سلام /start  KX7  ", "/start", Command{Name: "start", Args: "KX7"}, true},
		{"upper case", "/HELP", "/HELP", Command{Name: "help"}, true},
		{"no entity", "help", "", Command{}, false},
		{"bad offsets", "/x", "", Command{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ents := entity(tt.text, tt.cmd)
			if tt.name == "bad offsets" {
				ents = []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 5, Length: 9}}
			}
			got, ok := ParseCommand(tt.text, ents, "cairbot")
			if ok != tt.ok || got != tt.want {
				t.Fatalf("ParseCommand(%q) = %+v, %v; want %+v, %v", tt.text, got, ok, tt.want, tt.ok)
			}
		})
	}
}
