package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/bot/telegramtest"
)

// TestChatAsThePageShowsIt: what the page draws of a chat — both sides in
// order, an edit in place of the message, a document and a photo with
// their bytes, inline buttons, and the reply keyboard of the last message
// that set or removed one.
func TestChatAsThePageShowsIt(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	tg := telegramtest.New(t, telegramtest.Options{KeepFiles: true})
	s := &Sandbox{tg: tg, clock: NewClock(time.Now, time.Time{}), cfg: bot.Config{Location: paris}, hub: newHub()}
	page := httptest.NewServer(s.routes())
	defer page.Close()
	b, err := tgbot.New(tg.Token(), tgbot.WithServerURL(tg.URL()), tgbot.WithSkipGetMe())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const chat = 4242
	u := telegramtest.User{ID: chat, FirstName: "Ahmad", LanguageCode: "fa"}
	tg.SendText(u, "/start")
	menu, err := b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: chat, Text: "سلام",
		ReplyMarkup: models.ReplyKeyboardMarkup{Keyboard: [][]models.KeyboardButton{{{Text: "🗓️ هفتهٔ من"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.EditMessageText(ctx, &tgbot.EditMessageTextParams{ChatID: chat, MessageID: menu.ID, Text: "سلام، احمد",
		ReplyMarkup: models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "✅", CallbackData: "ok"}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SendDocument(ctx, &tgbot.SendDocumentParams{ChatID: chat, Caption: "rota",
		Document: &models.InputFileUpload{Filename: "rota.csv", Data: bytes.NewReader([]byte("day,area\n"))}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SendPhoto(ctx, &tgbot.SendPhotoParams{ChatID: chat,
		Photo: &models.InputFileUpload{Filename: "map.png", Data: bytes.NewReader([]byte("\x89PNG\r\n\x1a\nfake"))}}); err != nil {
		t.Fatal(err)
	}

	res, err := http.Get(page.URL + "/api/chat/4242")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got struct {
		Messages []bubble
		Keyboard [][]string
	}
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		mine     bool
		text     string
		kind     string
		edited   bool
		inline   int
		fileName string
		file     bool
	}{
		{true, "/start", "text", false, 0, "", false},
		{false, "سلام، احمد", "text", true, 1, "", false},
		{false, "rota", "document", false, 0, "rota.csv", true},
		{false, "", "photo", false, 0, "", true},
	}
	if len(got.Messages) != len(want) {
		t.Fatalf("messages = %+v", got.Messages)
	}
	for i, w := range want {
		m := got.Messages[i]
		if m.Mine != w.mine || m.Text != w.text || m.Kind != w.kind || m.Edited != w.edited || len(m.Inline) != w.inline {
			t.Errorf("message %d = %+v, want %+v", i, m, w)
		}
		if m.FileName != w.fileName || (m.File != "") != w.file {
			t.Errorf("message %d file = %q %q, want %s", i, m.File, m.FileName, w.fileName)
		}
	}
	if len(got.Keyboard) != 1 || got.Keyboard[0][0] != "🗓️ هفتهٔ من" {
		t.Errorf("keyboard = %v", got.Keyboard)
	}
	doc, err := http.Get(page.URL + got.Messages[2].File)
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Body.Close()
	body, _ := io.ReadAll(doc.Body)
	if string(body) != "day,area\n" {
		t.Errorf("document = %q", body)
	}

	// A message removing the keyboard removes it from under the text box.
	if _, err := b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: chat, Text: "bye",
		ReplyMarkup: models.ReplyKeyboardRemove{RemoveKeyboard: true}}); err != nil {
		t.Fatal(err)
	}
	res2, err := http.Get(page.URL + "/api/chat/4242")
	if err != nil {
		t.Fatal(err)
	}
	defer res2.Body.Close()
	got.Keyboard = nil
	if err := json.NewDecoder(res2.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Keyboard != nil {
		t.Errorf("keyboard after removal = %v", got.Keyboard)
	}
}
