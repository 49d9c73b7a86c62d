package bot

import (
	"testing"

	"github.com/go-telegram/bot/models"
)

// BenchmarkParseCommand matches a command after Cyrillic and emoji text
// with @botname, the costly case of the UTF-16 offsets.
func BenchmarkParseCommand(b *testing.B) {
	text := "привет 🙂 /help@cairbot"
	ents := []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 10, Length: 13}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, ok := ParseCommand(text, ents, "cairbot"); !ok {
			b.Fatal("no match")
		}
	}
}
