package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

var (
	alice = User{ID: 1001, FirstName: "Alice", Username: "alice", LanguageCode: "en"}
	boris = User{ID: 1002, FirstName: "Борис", LastName: "Петров", LanguageCode: "ru"}
)

// --- helpers ---------------------------------------------------------------

type apiResp struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

func methodURL(s *Server, method string) string {
	return s.URL() + "/bot" + s.Token() + "/" + method
}

func readResp(t *testing.T, resp *http.Response) (int, apiResp) {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var r apiResp
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if !r.OK && r.ErrorCode != resp.StatusCode {
		t.Errorf("error_code %d differs from HTTP status %d", r.ErrorCode, resp.StatusCode)
	}
	return resp.StatusCode, r
}

// postMultipart posts fields (and files: field -> filename:content) as multipart/form-data.
func postMultipart(t *testing.T, target string, fields map[string]string, files map[string][2]string) (int, apiResp) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for k, f := range files {
		fw, err := w.CreateFormFile(k, f[0])
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write([]byte(f[1]))
	}
	_ = w.Close()
	resp, err := http.Post(target, w.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	return readResp(t, resp)
}

func call(t *testing.T, s *Server, method string, fields map[string]string) (int, apiResp) {
	t.Helper()
	return postMultipart(t, methodURL(s, method), fields, nil)
}

func getUpdates(t *testing.T, s *Server, fields map[string]string) []models.Update {
	t.Helper()
	status, r := call(t, s, "getUpdates", fields)
	if status != http.StatusOK || !r.OK {
		t.Fatalf("getUpdates: %d %s", status, r.Description)
	}
	var ups []models.Update
	if err := json.Unmarshal(r.Result, &ups); err != nil {
		t.Fatal(err)
	}
	return ups
}

func updateIDs(ups []models.Update) []int64 {
	var ids []int64
	for _, u := range ups {
		ids = append(ids, u.ID)
	}
	return ids
}

func newBot(t *testing.T, s *Server, opts ...bot.Option) *bot.Bot {
	t.Helper()
	all := append([]bot.Option{
		bot.WithServerURL(s.URL()),
		bot.WithSkipGetMe(),
		bot.WithErrorsHandler(func(error) {}),
		bot.WithDefaultHandler(func(context.Context, *bot.Bot, *models.Update) {}),
	}, opts...)
	b, err := bot.New(s.Token(), all...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runPolling starts b.Start and stops it (waiting for it) at cleanup, before
// the server closes.
func runPolling(t *testing.T, b *bot.Bot) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Start(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func echoHandler(ctx context.Context, b *bot.Bot, upd *models.Update) {
	if upd.Message != nil {
		_, _ = b.SendMessage(ctx, &bot.SendMessageParams{ChatID: upd.Message.Chat.ID, Text: "echo: " + upd.Message.Text})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// recordingTB captures Fatalf/Errorf instead of failing the real test.
type recordingTB struct {
	testing.TB
	mu   sync.Mutex
	msgs []string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Errorf(format string, args ...any) { r.Fatalf(format, args...) }
func (r *recordingTB) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// --- tests -----------------------------------------------------------------

func TestDefaultsAndGetMe(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	if s.Token() != DefaultToken || s.BotUsername() != DefaultBotUsername || s.BotID() != DefaultBotID {
		t.Fatalf("defaults: %q %q %d", s.Token(), s.BotUsername(), s.BotID())
	}
	// Without WithSkipGetMe, bot.New calls getMe against the fake.
	b, err := bot.New(s.Token(), bot.WithServerURL(s.URL()))
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	me, err := b.GetMe(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if !me.IsBot || me.Username != DefaultBotUsername || me.ID != DefaultBotID {
		t.Fatalf("getMe = %+v", me)
	}
	if got := len(s.CallsTo("getme")); got != 2 {
		t.Fatalf("CallsTo(getme) = %d calls, want 2", got)
	}

	custom := New(t, Options{Token: "42:abc", BotUsername: "@other_bot", BotID: 42})
	b2, err := bot.New("42:abc", bot.WithServerURL(custom.URL()))
	if err != nil {
		t.Fatal(err)
	}
	me, err = b2.GetMe(ctxT(t))
	if err != nil || me.Username != "other_bot" || me.ID != 42 {
		t.Fatalf("custom getMe = %+v, %v", me, err)
	}
}

func TestProtocolErrors(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	s.AddChat(alice.ID)
	tests := []struct {
		name     string
		url      string
		fields   map[string]string
		status   int
		descPart string
	}{
		{"wrong token", s.URL() + "/bot999:nope/sendMessage", map[string]string{"chat_id": "1001", "text": "x"}, 401, "Unauthorized"},
		{"unknown method", methodURL(s, "sendTelepathy"), nil, 404, "Not Found"},
		{"no bot prefix", s.URL() + "/sendMessage", nil, 404, "Not Found"},
		{"missing method", s.URL() + "/bot" + s.Token() + "/", nil, 404, "Not Found"},
		{"missing chat_id", methodURL(s, "sendMessage"), map[string]string{"text": "x"}, 400, "Bad Request: chat_id is empty"},
		{"unknown chat", methodURL(s, "sendMessage"), map[string]string{"chat_id": "777", "text": "x"}, 400, "Bad Request: chat not found"},
		{"chat by unknown username", methodURL(s, "sendMessage"), map[string]string{"chat_id": "@nobody", "text": "x"}, 400, "Bad Request: chat not found"},
		{"malformed reply_markup", methodURL(s, "sendMessage"), map[string]string{"chat_id": "1001", "text": "x", "reply_markup": `{"inline_keyboard":[[`}, 400, "can't parse reply keyboard markup JSON object"},
		{"reply_markup without keyboard", methodURL(s, "sendMessage"), map[string]string{"chat_id": "1001", "text": "x", "reply_markup": `{}`}, 400, "can't parse reply keyboard markup"},
		{"malformed entities", methodURL(s, "sendMessage"), map[string]string{"chat_id": "1001", "text": "x", "entities": `[{`}, 400, "can't parse entities JSON object"},
		{"unsupported parse_mode", methodURL(s, "sendMessage"), map[string]string{"chat_id": "1001", "text": "x", "parse_mode": "BBCode"}, 400, "unsupported parse_mode"},
		{"method name is case-insensitive", methodURL(s, "SENDMESSAGE"), map[string]string{"chat_id": "1001", "text": "x"}, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, r := postMultipart(t, tc.url, tc.fields, nil)
			if status != tc.status {
				t.Fatalf("status = %d (%s), want %d", status, r.Description, tc.status)
			}
			if tc.status == 200 {
				if !r.OK {
					t.Fatalf("ok = false: %s", r.Description)
				}
				return
			}
			if r.OK || r.ErrorCode != tc.status || !strings.Contains(r.Description, tc.descPart) {
				t.Fatalf("answer = %+v, want error %d containing %q", r, tc.status, tc.descPart)
			}
		})
	}
	var wrongToken []Call
	for _, c := range s.Calls() {
		if c.Status == 401 {
			wrongToken = append(wrongToken, c)
		}
	}
	if len(wrongToken) != 1 || wrongToken[0].Method != "sendMessage" || wrongToken[0].Params["chat_id"] != "1001" {
		t.Fatalf("401 call not recorded as expected: %+v", wrongToken)
	}
	if msgs := s.Messages(alice.ID); len(msgs) != 1 || msgs[0].Text != "x" {
		t.Fatalf("only the valid call may create a message, got %+v", msgs)
	}
}

func TestRequestEncodings(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	s.AddChat(alice.ID)
	markup := `{"inline_keyboard":[[{"text":"Yes","callback_data":"yes"}]]}`
	post := map[string]func() (*http.Response, error){
		"multipart": func() (*http.Response, error) {
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			_ = w.WriteField("chat_id", "1001")
			_ = w.WriteField("text", "multipart")
			_ = w.WriteField("reply_markup", markup)
			_ = w.Close()
			return http.Post(methodURL(s, "sendMessage"), w.FormDataContentType(), &buf)
		},
		"urlencoded": func() (*http.Response, error) {
			return http.PostForm(methodURL(s, "sendMessage"), url.Values{"chat_id": {"1001"}, "text": {"urlencoded"}, "reply_markup": {markup}})
		},
		"json": func() (*http.Response, error) {
			body := fmt.Sprintf(`{"chat_id":1001,"text":"json","reply_markup":%s}`, markup)
			return http.Post(methodURL(s, "sendMessage"), "application/json", strings.NewReader(body))
		},
		"query": func() (*http.Response, error) {
			q := url.Values{"chat_id": {"1001"}, "text": {"query"}, "reply_markup": {markup}}
			return http.Get(methodURL(s, "sendMessage") + "?" + q.Encode())
		},
	}
	for name, do := range post {
		t.Run(name, func(t *testing.T) {
			resp, err := do()
			if err != nil {
				t.Fatal(err)
			}
			status, r := readResp(t, resp)
			if status != 200 || !r.OK {
				t.Fatalf("%d %s", status, r.Description)
			}
			var m models.Message
			if err := json.Unmarshal(r.Result, &m); err != nil {
				t.Fatal(err)
			}
			if m.Text != name || m.Chat.ID != alice.ID || m.From == nil || !m.From.IsBot || m.Date == 0 {
				t.Fatalf("message = %+v", m)
			}
			if m.ReplyMarkup == nil || m.ReplyMarkup.InlineKeyboard[0][0].CallbackData != "yes" {
				t.Fatalf("reply_markup lost: %+v", m.ReplyMarkup)
			}
		})
	}
	calls := s.CallsTo("sendMessage")
	if len(calls) != 4 {
		t.Fatalf("recorded %d sendMessage calls", len(calls))
	}
	for _, c := range calls {
		if c.Params["chat_id"] != "1001" || c.Params["reply_markup"] == "" || c.Status != 200 || c.At.IsZero() {
			t.Fatalf("call = %+v", c)
		}
	}
}

func TestSendMessageValidation(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	s.AddChat(alice.ID)
	b := newBot(t, s)
	kb := func(data string) models.ReplyMarkup {
		return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "btn", CallbackData: data}}}}
	}
	tests := []struct {
		name    string
		params  bot.SendMessageParams
		errPart string // "" = success
	}{
		{"plain", bot.SendMessageParams{Text: "hello"}, ""},
		{"empty text", bot.SendMessageParams{Text: ""}, "Bad Request: message text is empty"},
		{"whitespace text", bot.SendMessageParams{Text: " \n "}, "Bad Request: message text is empty"},
		{"4096 chars", bot.SendMessageParams{Text: strings.Repeat("я", 4096)}, ""},
		{"4096 emoji count as characters", bot.SendMessageParams{Text: strings.Repeat("😀", 4096)}, ""},
		{"4097 chars", bot.SendMessageParams{Text: strings.Repeat("a", 4097)}, "Bad Request: message is too long"},
		{"a parse_mode (cairbot sends plain text)", bot.SendMessageParams{Text: "<b>x</b>", ParseMode: models.ParseModeHTML}, "unsupported parse_mode"},
		{"callback_data 64 bytes", bot.SendMessageParams{Text: "x", ReplyMarkup: kb(strings.Repeat("d", 64))}, ""},
		{"callback_data 65 bytes", bot.SendMessageParams{Text: "x", ReplyMarkup: kb(strings.Repeat("d", 65))}, "Bad Request: BUTTON_DATA_INVALID"},
		{"callback_data 33 cyrillic letters = 66 bytes", bot.SendMessageParams{Text: "x", ReplyMarkup: kb(strings.Repeat("ж", 33))}, "BUTTON_DATA_INVALID"},
		{"callback_data empty", bot.SendMessageParams{Text: "x", ReplyMarkup: kb("")}, "Bad Request: BUTTON_DATA_INVALID"},
		{"url button", bot.SendMessageParams{Text: "x", ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "site", URL: "https://example.com"}}}}}, ""},
		{"one-byte callback_data", bot.SendMessageParams{Text: "x", ReplyMarkup: kb("d")}, ""},
		{"reply to missing message", bot.SendMessageParams{Text: "x", ReplyParameters: &models.ReplyParameters{MessageID: 999}}, "message to be replied not found"},
		{"reply to missing message allowed", bot.SendMessageParams{Text: "x", ReplyParameters: &models.ReplyParameters{MessageID: 999, AllowSendingWithoutReply: true}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.params
			p.ChatID = alice.ID
			before := len(s.Messages(alice.ID))
			m, err := b.SendMessage(ctxT(t), &p)
			after := len(s.Messages(alice.ID))
			if tc.errPart == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if after != before+1 || m.ID == 0 {
					t.Fatalf("message not stored: before %d after %d, %+v", before, after, m)
				}
				return
			}
			if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), tc.errPart) {
				t.Fatalf("err = %v, want bad request containing %q", err, tc.errPart)
			}
			if after != before {
				t.Fatalf("failed send stored a message")
			}
		})
	}
	// A button with an empty text is rejected (raw, since go-telegram always sends text).
	status, r := call(t, s, "sendMessage", map[string]string{"chat_id": "1001", "text": "x", "reply_markup": `{"inline_keyboard":[[{"text":"","callback_data":"a"}]]}`})
	if status != 400 || !strings.Contains(r.Description, "Text must be non-empty") {
		t.Fatalf("empty button text: %d %s", status, r.Description)
	}
	// An explicit empty callback_data is BUTTON_DATA_INVALID too.
	status, r = call(t, s, "sendMessage", map[string]string{"chat_id": "1001", "text": "x", "reply_markup": `{"inline_keyboard":[[{"text":"a","callback_data":""}]]}`})
	if status != 400 || r.Description != "Bad Request: BUTTON_DATA_INVALID" {
		t.Fatalf("explicit empty callback_data: %d %s", status, r.Description)
	}
	// Raw markups go-telegram would never send, each refused as Telegram does.
	for _, raw := range []struct{ markup, want string }{
		{`{"inline_keyboard":[["a"]]}`, "InlineKeyboardButton must be an Object"},
		{`{"inline_keyboard":[[{"text":"a","callback_data":null}]]}`, "BUTTON_DATA_INVALID"},
		{`{"inline_keyboard":[[{"text":"a"}]]}`, "BUTTON_DATA_INVALID"},
		{`{"inline_keyboard":[[{"text":"a","url":"not a url"}]]}`, "BUTTON_URL_INVALID"},
	} {
		status, r = call(t, s, "sendMessage", map[string]string{"chat_id": "1001", "text": "x", "reply_markup": raw.markup})
		if status != 400 || !strings.Contains(r.Description, raw.want) {
			t.Errorf("%s: %d %s, want 400 with %q", raw.markup, status, r.Description, raw.want)
		}
	}
	// A button with a game or a web app has an action.
	status, r = call(t, s, "sendMessage", map[string]string{"chat_id": "1001", "text": "x", "reply_markup": `{"inline_keyboard":[[{"text":"a","web_app":{"url":"https://example.org"}}]]}`})
	if status != 200 {
		t.Errorf("web_app button: %d %s", status, r.Description)
	}
}

func TestSendTextCommandEntitiesUTF16(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	tests := []struct {
		text string
		want []string // entity texts
		ents []models.MessageEntity
	}{
		{"/start", []string{"/start"}, []models.MessageEntity{{Type: "bot_command", Offset: 0, Length: 6}}},
		{"/help@cairbot_test_bot", []string{"/help@cairbot_test_bot"}, []models.MessageEntity{{Type: "bot_command", Offset: 0, Length: 22}}},
		{"привет /help@cairbot_test_bot", []string{"/help@cairbot_test_bot"}, []models.MessageEntity{{Type: "bot_command", Offset: 7, Length: 22}}},
		{"👋 /start now", []string{"/start"}, []models.MessageEntity{{Type: "bot_command", Offset: 3, Length: 6}}},
		{"🇫🇷 go /a_b c /x1", []string{"/a_b", "/x1"}, []models.MessageEntity{{Type: "bot_command", Offset: 8, Length: 4}, {Type: "bot_command", Offset: 15, Length: 3}}},
		{"line1\n/cmd arg", []string{"/cmd"}, []models.MessageEntity{{Type: "bot_command", Offset: 6, Length: 4}}},
		{"a/b c / d //", nil, nil},
		{"/start@ x", []string{"/start"}, []models.MessageEntity{{Type: "bot_command", Offset: 0, Length: 6}}},
		{"plain text", nil, nil},
	}
	for _, tc := range tests {
		id := s.SendText(alice, tc.text)
		ups := getUpdates(t, s, map[string]string{"offset": fmt.Sprint(id)})
		if len(ups) != 1 || ups[0].ID != id || ups[0].Message == nil {
			t.Fatalf("%q: updates = %+v", tc.text, ups)
		}
		m := ups[0].Message
		if m.Text != tc.text || m.Chat.ID != alice.ID || m.Chat.Type != models.ChatTypePrivate || m.From.ID != alice.ID || m.From.IsBot {
			t.Fatalf("%q: message = %+v", tc.text, m)
		}
		if !slices.Equal(m.Entities, tc.ents) {
			t.Errorf("%q: entities = %+v, want %+v", tc.text, m.Entities, tc.ents)
		}
		var got []string
		for _, e := range m.Entities {
			got = append(got, EntityText(m.Text, e))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q: entity texts = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestGetUpdatesOffsetConfirmation(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	u1 := s.SendText(alice, "one")
	u2 := s.SendText(alice, "two")
	u3 := s.SendText(boris, "three")
	if u2 != u1+1 || u3 != u2+1 {
		t.Fatalf("update ids not consecutive: %d %d %d", u1, u2, u3)
	}
	steps := []struct {
		name   string
		params map[string]string
		want   []int64
	}{
		{"all, unconfirmed", nil, []int64{u1, u2, u3}},
		{"same again: nothing confirmed yet", map[string]string{"offset": "0"}, []int64{u1, u2, u3}},
		{"limit", map[string]string{"limit": "2"}, []int64{u1, u2}},
		{"offset confirms u1", map[string]string{"offset": fmt.Sprint(u2)}, []int64{u2, u3}},
		{"u1 is gone forever", nil, []int64{u2, u3}},
		{"limit 1 after confirmation", map[string]string{"offset": fmt.Sprint(u2), "limit": "1"}, []int64{u2}},
		{"limit out of range means 100", map[string]string{"limit": "1000"}, []int64{u2, u3}},
		{"negative offset keeps the last one", map[string]string{"offset": "-1"}, []int64{u3}},
		{"u2 was forgotten", nil, []int64{u3}},
		{"confirm all", map[string]string{"offset": fmt.Sprint(u3 + 1)}, nil},
	}
	for _, st := range steps {
		if got := updateIDs(getUpdates(t, s, st.params)); !slices.Equal(got, st.want) {
			t.Fatalf("%s: got %v, want %v", st.name, got, st.want)
		}
	}
	if n := s.PendingUpdates(); n != 0 {
		t.Fatalf("PendingUpdates = %d", n)
	}
	// Ids keep increasing after confirmation.
	if u4 := s.SendText(alice, "four"); u4 != u3+1 {
		t.Fatalf("next id = %d, want %d", u4, u3+1)
	}
	if status, r := call(t, s, "getUpdates", map[string]string{"offset": "abc"}); status != 400 || r.OK {
		t.Fatalf("bad offset: %d %+v", status, r)
	}
}

func TestGetUpdatesLongPolling(t *testing.T) {
	t.Parallel()
	t.Run("times out with an empty list", func(t *testing.T) {
		t.Parallel()
		s := New(t, Options{})
		start := time.Now()
		ups := getUpdates(t, s, map[string]string{"timeout": "1"})
		if el := time.Since(start); el < 900*time.Millisecond || el > 3*time.Second {
			t.Fatalf("long poll took %v, want ~1s", el)
		}
		if len(ups) != 0 {
			t.Fatalf("updates = %v", ups)
		}
	})
	t.Run("returns as soon as an update arrives", func(t *testing.T) {
		t.Parallel()
		s := New(t, Options{})
		go func() {
			time.Sleep(100 * time.Millisecond)
			s.SendText(alice, "wake up")
		}()
		start := time.Now()
		ups := getUpdates(t, s, map[string]string{"timeout": "10"})
		if el := time.Since(start); el > 3*time.Second {
			t.Fatalf("long poll took %v", el)
		}
		if len(ups) != 1 || ups[0].Message.Text != "wake up" {
			t.Fatalf("updates = %+v", ups)
		}
	})
	t.Run("ends with the request context", func(t *testing.T) {
		t.Parallel()
		s := New(t, Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, methodURL(s, "getUpdates")+"?timeout=30", nil)
		start := time.Now()
		_, err := http.DefaultClient.Do(req)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		// The server side notices too: the poll is recorded and no longer waiting.
		s.WaitFor(t, 3*time.Second, "the cancelled poll to be recorded", func() bool { return len(s.CallsTo("getUpdates")) == 1 })
		if el := time.Since(start); el > 5*time.Second {
			t.Fatalf("took %v", el)
		}
		// A later update is still delivered to the next poll.
		s.SendText(alice, "after")
		if ups := getUpdates(t, s, nil); len(ups) != 1 {
			t.Fatalf("updates = %+v", ups)
		}
	})
	t.Run("overlapping long polls: the older one is terminated", func(t *testing.T) {
		t.Parallel()
		s := New(t, Options{})
		type result struct {
			status int
			r      apiResp
		}
		first := make(chan result, 1)
		go func() {
			st, r := call(t, s, "getUpdates", map[string]string{"timeout": "10"})
			first <- result{st, r}
		}()
		s.WaitFor(t, 3*time.Second, "the first poll to wait", func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.poll != nil
		})
		second := make(chan []models.Update, 1)
		go func() { second <- getUpdates(t, s, map[string]string{"timeout": "10"}) }()
		res := <-first
		if res.status != http.StatusConflict || !strings.HasPrefix(res.r.Description, "Conflict: terminated by other getUpdates request") {
			t.Fatalf("first poll = %d %q", res.status, res.r.Description)
		}
		s.SendText(alice, "for the second")
		if ups := <-second; len(ups) != 1 || ups[0].Message.Text != "for the second" {
			t.Fatalf("second poll = %+v", ups)
		}
	})
	t.Run("Close releases a waiting poll", func(t *testing.T) {
		t.Parallel()
		s := New(t, Options{})
		done := make(chan []models.Update, 1)
		go func() { done <- getUpdates(t, s, map[string]string{"timeout": "30"}) }()
		s.WaitFor(t, 3*time.Second, "the poll to wait", func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.poll != nil
		})
		s.Close()
		select {
		case ups := <-done:
			if len(ups) != 0 {
				t.Fatalf("updates = %+v", ups)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("poll not released by Close")
		}
	})
}

func TestBotPollingEndToEnd(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	b := newBot(t, s, bot.WithDefaultHandler(echoHandler))
	runPolling(t, b)

	u1 := s.SendText(alice, "hello")
	s.SendText(boris, "привет")
	msgs := s.WaitMessages(t, alice.ID, 1, 5*time.Second)
	if msgs[0].Text != "echo: hello" || msgs[0].Kind != "text" || msgs[0].ChatID != alice.ID {
		t.Fatalf("alice got %+v", msgs)
	}
	// User message took id 1, the bot's answer id 2.
	if msgs[0].ID != 2 {
		t.Fatalf("bot message id = %d, want 2", msgs[0].ID)
	}
	if m := s.WaitMessages(t, boris.ID, 1, 5*time.Second); m[0].Text != "echo: привет" {
		t.Fatalf("boris got %+v", m)
	}
	// The bot confirmed what it received.
	s.WaitFor(t, 5*time.Second, "updates to be confirmed", func() bool { return s.PendingUpdates() == 0 })

	// Group chat.
	s.SendTextInGroup(-100500, alice, "/help@cairbot_test_bot")
	gm := s.WaitMessages(t, -100500, 1, 5*time.Second)
	if gm[0].Text != "echo: /help@cairbot_test_bot" {
		t.Fatalf("group got %+v", gm)
	}

	// Redeliver: the bot sees the same update id again.
	var mu sync.Mutex
	seen := map[int64]int{}
	b.RegisterHandlerMatchFunc(func(*models.Update) bool { return true }, func(ctx context.Context, _ *bot.Bot, upd *models.Update) {
		mu.Lock()
		seen[upd.ID]++
		mu.Unlock()
	})
	u5 := s.SendText(alice, "count me")
	s.WaitFor(t, 5*time.Second, "first delivery", func() bool { mu.Lock(); defer mu.Unlock(); return seen[u5] == 1 })
	s.Redeliver(u5)
	s.Redeliver(u1) // an old, long confirmed update
	s.WaitFor(t, 5*time.Second, "redeliveries", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return seen[u5] == 2 && seen[u1] == 1
	})
	// One worker handles the updates in order: once a later one is seen,
	// no third copy is on its way.
	u6 := s.SendText(alice, "last")
	s.WaitFor(t, 5*time.Second, "the last update", func() bool { mu.Lock(); defer mu.Unlock(); return seen[u6] == 1 })
	mu.Lock()
	defer mu.Unlock()
	if seen[u5] != 2 || seen[u1] != 1 {
		t.Fatalf("seen = %v", seen)
	}
}

func TestRestartedBotGetsUnconfirmedUpdates(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	id := s.SendText(alice, "before crash")
	// A first instance reads the update but dies before confirming it.
	if ups := getUpdates(t, s, nil); len(ups) != 1 || ups[0].ID != id {
		t.Fatalf("first read = %+v", ups)
	}
	// The next instance gets it again.
	b := newBot(t, s, bot.WithDefaultHandler(echoHandler))
	runPolling(t, b)
	if msgs := s.WaitMessages(t, alice.ID, 1, 5*time.Second); msgs[0].Text != "echo: before crash" {
		t.Fatalf("got %+v", msgs)
	}
}

func TestDeliverRawUpdates(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	id := s.Deliver(models.Update{Message: &models.Message{ID: 10, Date: 1, Chat: models.Chat{ID: 555, Type: "private"}, Text: "raw"}})
	if id != 1 {
		t.Fatalf("first id = %d", id)
	}
	if got := s.Deliver(models.Update{ID: 1000, Message: &models.Message{ID: 11, Date: 1, Chat: models.Chat{ID: 555, Type: "private"}, Text: "explicit"}}); got != 1000 {
		t.Fatalf("explicit id = %d", got)
	}
	if next := s.SendText(User{ID: 555}, "auto"); next != 1001 {
		t.Fatalf("auto id after explicit = %d", next)
	}
	ups := getUpdates(t, s, nil)
	if !slices.Equal(updateIDs(ups), []int64{1, 1000, 1001}) || ups[2].Message.ID != 12 {
		t.Fatalf("updates = %v, last message id %d (want 12, after delivered 11)", updateIDs(ups), ups[2].Message.ID)
	}
	// The chat became known: the bot may answer.
	b := newBot(t, s)
	m, err := b.SendMessage(ctxT(t), &bot.SendMessageParams{ChatID: 555, Text: "ok"})
	if err != nil || m.ID != 13 {
		t.Fatalf("send to delivered chat: %+v %v", m, err)
	}

	rtb := &recordingTB{TB: t}
	s2 := New(rtb, Options{})
	s2.Redeliver(42)
	if msgs := rtb.messages(); len(msgs) != 1 || !strings.Contains(msgs[0], "Redeliver(42)") {
		t.Fatalf("Redeliver of unknown id reported %q", msgs)
	}
	if s2.SendTextInGroup(5, alice, "x") != 0 || len(rtb.messages()) != 2 {
		t.Fatalf("positive group id not reported: %q", rtb.messages())
	}
	if s2.PressButton(alice, 1, "x") != 0 || len(rtb.messages()) != 3 {
		t.Fatalf("press on missing message not reported: %q", rtb.messages())
	}
}

func TestFaultInjection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		code       int
		retryAfter int
		check      func(t *testing.T, err error)
	}{
		{"429 surfaces as TooManyRequestsError", 429, 7, func(t *testing.T, err error) {
			var tmr *bot.TooManyRequestsError
			if !errors.As(err, &tmr) || tmr.RetryAfter != 7 || !strings.Contains(tmr.Message, "Too Many Requests: retry after 7") {
				t.Fatalf("err = %#v", err)
			}
		}},
		{"403 is ErrorForbidden", 403, 0, func(t *testing.T, err error) {
			if !errors.Is(err, bot.ErrorForbidden) || !strings.Contains(err.Error(), "Forbidden: bot was blocked by the user") {
				t.Fatalf("err = %v", err)
			}
		}},
		{"500", 500, 0, func(t *testing.T, err error) {
			if err == nil || !strings.Contains(err.Error(), "500 Internal Server Error") {
				t.Fatalf("err = %v", err)
			}
		}},
		{"502", 502, 0, func(t *testing.T, err error) {
			if err == nil || !strings.Contains(err.Error(), "502 Bad Gateway") {
				t.Fatalf("err = %v", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := New(t, Options{})
			s.AddChat(alice.ID)
			s.AddChat(boris.ID)
			b := newBot(t, s)
			ctx := ctxT(t)
			s.FailNext("sendMessage", alice.ID, tc.code, tc.retryAfter, 2)
			// Other chats and other methods are not affected.
			if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: boris.ID, Text: "b"}); err != nil {
				t.Fatalf("other chat failed: %v", err)
			}
			if _, err := b.GetMe(ctx); err != nil {
				t.Fatalf("other method failed: %v", err)
			}
			for i := 0; i < 2; i++ {
				_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "a"})
				tc.check(t, err)
			}
			if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "a"}); err != nil {
				t.Fatalf("third call should pass: %v", err)
			}
			var statuses []int
			for _, c := range s.CallsTo("sendMessage") {
				statuses = append(statuses, c.Status)
			}
			if want := []int{200, tc.code, tc.code, 200}; !slices.Equal(statuses, want) {
				t.Fatalf("statuses = %v, want %v", statuses, want)
			}
			if n := len(s.Messages(alice.ID)); n != 1 {
				t.Fatalf("alice has %d messages, want 1", n)
			}
			if n := len(s.SendTimes(alice.ID)); n != 1 {
				t.Fatalf("SendTimes counts failed sends: %d", n)
			}
		})
	}
	t.Run("raw 429 body", func(t *testing.T) {
		t.Parallel()
		s := New(t, Options{})
		s.FailNext("", 0, 429, 3, 1)
		status, r := call(t, s, "getMe", nil)
		if status != 429 || r.ErrorCode != 429 || r.Parameters == nil || r.Parameters.RetryAfter != 3 || r.Description != "Too Many Requests: retry after 3" {
			t.Fatalf("%d %+v", status, r)
		}
	})
	t.Run("custom description", func(t *testing.T) {
		t.Parallel()
		s := New(t, Options{})
		s.FailNextWith("getMe", 0, 400, "Bad Request: something odd", 1)
		status, r := call(t, s, "getMe", nil)
		if status != 400 || r.Description != "Bad Request: something odd" || r.Parameters != nil {
			t.Fatalf("%d %+v", status, r)
		}
	})
}

func TestBlockAndChats(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	b := newBot(t, s)
	ctx := ctxT(t)
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "hi"}); !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "chat not found") {
		t.Fatalf("unknown chat: %v", err)
	}
	s.AddChat(alice.ID)
	m, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	s.Block(alice.ID)
	forbidden := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, bot.ErrorForbidden) {
			t.Fatalf("%s while blocked: %v", what, err)
		}
	}
	_, err = b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "again"})
	forbidden("sendMessage", err)
	_, err = b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: alice.ID, Photo: &models.InputFileUpload{Filename: "p.png", Data: bytes.NewReader(pngBytes(t, 1, 1))}})
	forbidden("sendPhoto", err)
	_, err = b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: alice.ID, MessageID: m.ID, Text: "edited"})
	forbidden("editMessageText", err)
	s.Unblock(alice.ID)
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "back"}); err != nil {
		t.Fatalf("after Unblock: %v", err)
	}
	if msgs := s.Messages(alice.ID); len(msgs) != 2 || msgs[1].Text != "back" {
		t.Fatalf("messages = %+v", msgs)
	}
	// Negative ids are groups.
	s.AddChat(-42)
	gm, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: -42, Text: "group"})
	if err != nil || gm.Chat.Type != models.ChatTypeGroup {
		t.Fatalf("group send: %+v %v", gm, err)
	}
	// A username chat id resolves to the user's private chat.
	s.SendText(alice, "hello")
	um, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: "@alice", Text: "by username"})
	if err != nil || um.Chat.ID != alice.ID {
		t.Fatalf("send by username: %+v %v", um, err)
	}
}

func TestEditAndDelete(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	b := newBot(t, s)
	ctx := ctxT(t)
	s.SendText(alice, "/menu") // user message id 1
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "A", CallbackData: "a"}, {Text: "B", CallbackData: "b"}}}}
	m, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "Pick", ReplyMarkup: kb})
	if err != nil || m.ID != 2 {
		t.Fatalf("send: %+v %v", m, err)
	}
	tests := []struct {
		name    string
		do      func() error
		errPart string
		check   func(SentMessage) bool
	}{
		{"same text and markup", func() error {
			_, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: alice.ID, MessageID: m.ID, Text: "Pick", ReplyMarkup: kb})
			return err
		}, "Bad Request: message is not modified", func(sm SentMessage) bool { return sm.Edits == 0 }},
		{"new text keeps markup when given", func() error {
			_, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: alice.ID, MessageID: m.ID, Text: "Pick one", ReplyMarkup: kb})
			return err
		}, "", func(sm SentMessage) bool {
			return sm.Edits == 1 && sm.Text == "Pick one" && len(sm.InlineKeyboard[0]) == 2
		}},
		{"same text without markup removes the keyboard", func() error {
			_, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: alice.ID, MessageID: m.ID, Text: "Pick one"})
			return err
		}, "", func(sm SentMessage) bool { return sm.Edits == 2 && sm.InlineKeyboard == nil }},
		{"markup only", func() error {
			_, err := b.EditMessageReplyMarkup(ctx, &bot.EditMessageReplyMarkupParams{ChatID: alice.ID, MessageID: m.ID, ReplyMarkup: kb})
			return err
		}, "", func(sm SentMessage) bool { return sm.Edits == 3 && sm.InlineKeyboard[0][1].CallbackData == "b" }},
		{"same markup", func() error {
			_, err := b.EditMessageReplyMarkup(ctx, &bot.EditMessageReplyMarkupParams{ChatID: alice.ID, MessageID: m.ID, ReplyMarkup: kb})
			return err
		}, "message is not modified", func(sm SentMessage) bool { return sm.Edits == 3 }},
		{"reply keyboard is not allowed in edits", func() error {
			_, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: alice.ID, MessageID: m.ID, Text: "x", ReplyMarkup: &models.ReplyKeyboardMarkup{Keyboard: [][]models.KeyboardButton{{{Text: "k"}}}}})
			return err
		}, "inline keyboard expected", nil},
		{"bad callback data in edit", func() error {
			_, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: alice.ID, MessageID: m.ID, Text: "x", ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "x", CallbackData: strings.Repeat("x", 65)}}}}})
			return err
		}, "BUTTON_DATA_INVALID", nil},
		{"user message cannot be edited", func() error {
			_, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: alice.ID, MessageID: 1, Text: "x"})
			return err
		}, "message can't be edited", nil},
		{"unknown message", func() error {
			_, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: alice.ID, MessageID: 99, Text: "x"})
			return err
		}, "message to edit not found", nil},
		{"inline message ids are unsupported", func() error {
			_, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{InlineMessageID: "abc", Text: "x"})
			return err
		}, "MESSAGE_ID_INVALID", nil},
		{"delete", func() error {
			_, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: alice.ID, MessageID: m.ID})
			return err
		}, "", func(sm SentMessage) bool { return sm.Deleted }},
		{"delete twice", func() error {
			_, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: alice.ID, MessageID: m.ID})
			return err
		}, "message to delete not found", nil},
		{"edit deleted", func() error {
			_, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: alice.ID, MessageID: m.ID, Text: "zombie"})
			return err
		}, "message to edit not found", func(sm SentMessage) bool { return sm.Text == "Pick one" }},
		{"delete the user's message", func() error {
			_, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: alice.ID, MessageID: 1})
			return err
		}, "", nil},
	}
	for _, tc := range tests {
		err := tc.do()
		if tc.errPart == "" && err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.errPart != "" && (!errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), tc.errPart)) {
			t.Fatalf("%s: err = %v, want %q", tc.name, err, tc.errPart)
		}
		if tc.check != nil {
			sm, _ := s.Message(alice.ID, m.ID)
			if !tc.check(sm) {
				t.Fatalf("%s: state = %+v", tc.name, sm)
			}
		}
	}
	// The edit result is the updated message.
	m2, _ := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "v1"})
	e, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: alice.ID, MessageID: m2.ID, Text: "v2"})
	if err != nil || e.Text != "v2" || e.EditDate == 0 || e.ID != m2.ID {
		t.Fatalf("edit result: %+v %v", e, err)
	}
	if _, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: alice.ID, MessageID: m2.ID, Text: "v2"}); !errors.Is(err, bot.ErrorBadRequest) {
		t.Fatalf("identical edit: %v", err)
	}
}

func TestPressButtonAndCallbackAnswers(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	b := newBot(t, s)
	ctx := ctxT(t)
	s.AddChat(alice.ID)
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "Yes", CallbackData: "vote:yes"}}}}
	m, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "Vote?", ReplyMarkup: kb})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: alice.ID, MessageID: m.ID, Text: "Vote now?", ReplyMarkup: kb}); err != nil {
		t.Fatal(err)
	}
	uid := s.PressButton(alice, m.ID, "vote:yes")
	ups := getUpdates(t, s, nil)
	if len(ups) != 1 || ups[0].ID != uid || ups[0].CallbackQuery == nil {
		t.Fatalf("updates = %+v", ups)
	}
	cq := ups[0].CallbackQuery
	if cq.ID == "" || cq.Data != "vote:yes" || cq.From.ID != alice.ID || cq.ChatInstance == "" {
		t.Fatalf("callback = %+v", cq)
	}
	cm := cq.Message.Message
	if cq.Message.Type != models.MaybeInaccessibleMessageTypeMessage || cm == nil || cm.ID != m.ID || cm.Text != "Vote now?" || cm.Chat.ID != alice.ID || cm.EditDate == 0 {
		t.Fatalf("callback message = %+v", cm)
	}
	if cm.ReplyMarkup == nil || cm.ReplyMarkup.InlineKeyboard[0][0].CallbackData != "vote:yes" {
		t.Fatalf("callback message markup = %+v", cm.ReplyMarkup)
	}
	if _, answered := s.CallbackAnswer(uid); answered {
		t.Fatal("answered before answerCallbackQuery")
	}

	steps := []struct {
		name    string
		params  bot.AnswerCallbackQueryParams
		errPart string
	}{
		{"text too long", bot.AnswerCallbackQueryParams{CallbackQueryID: cq.ID, Text: strings.Repeat("й", 201)}, "Bad Request: MESSAGE_TOO_LONG"},
		{"unknown id", bot.AnswerCallbackQueryParams{CallbackQueryID: "12345", Text: "x"}, "query is too old and response timeout expired or query ID is invalid"},
		{"answer with 200 chars and alert", bot.AnswerCallbackQueryParams{CallbackQueryID: cq.ID, Text: strings.Repeat("й", 200), ShowAlert: true}, ""},
		{"answer twice", bot.AnswerCallbackQueryParams{CallbackQueryID: cq.ID}, "query is too old and response timeout expired or query ID is invalid"},
	}
	for _, st := range steps {
		ok, err := b.AnswerCallbackQuery(ctx, &st.params)
		if st.errPart == "" {
			if err != nil || !ok {
				t.Fatalf("%s: %v %v", st.name, ok, err)
			}
			continue
		}
		if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), st.errPart) {
			t.Fatalf("%s: err = %v", st.name, err)
		}
	}
	text, answered := s.CallbackAnswer(uid)
	if !answered || text != strings.Repeat("й", 200) || !s.CallbackAlert(uid) {
		t.Fatalf("CallbackAnswer = %q %v", text, answered)
	}
	// Pressing on a deleted message is reported to the test.
	if _, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: alice.ID, MessageID: m.ID}); err != nil {
		t.Fatal(err)
	}
	rtb := &recordingTB{TB: t}
	s.tb = rtb
	if s.PressButton(alice, m.ID, "vote:yes") != 0 || len(rtb.messages()) != 1 {
		t.Fatalf("press on deleted message: %q", rtb.messages())
	}
}

func TestCallbackFlowWithRealBot(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	b := newBot(t, s)
	b.RegisterHandler(bot.HandlerTypeMessageText, "/start", bot.MatchTypeExact, func(ctx context.Context, b *bot.Bot, upd *models.Update) {
		_, _ = b.SendMessage(ctx, &bot.SendMessageParams{
			ChatID:      upd.Message.Chat.ID,
			Text:        "Choose",
			ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "Red", CallbackData: "color:red"}}}},
		})
	})
	b.RegisterHandler(bot.HandlerTypeCallbackQueryData, "color:", bot.MatchTypePrefix, func(ctx context.Context, b *bot.Bot, upd *models.Update) {
		cq := upd.CallbackQuery
		_, _ = b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: cq.ID, Text: "Saved"})
		_, _ = b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: cq.Message.Message.Chat.ID, MessageID: cq.Message.Message.ID, Text: "You chose " + strings.TrimPrefix(cq.Data, "color:")})
	})
	runPolling(t, b)
	s.SendText(alice, "/start")
	menu := s.WaitMessages(t, alice.ID, 1, 5*time.Second)[0]
	if menu.InlineKeyboard[0][0].Text != "Red" {
		t.Fatalf("menu = %+v", menu)
	}
	uid := s.PressButton(alice, menu.ID, menu.InlineKeyboard[0][0].CallbackData)
	s.WaitFor(t, 5*time.Second, "the edit", func() bool {
		m, _ := s.Message(alice.ID, menu.ID)
		return m.Edits == 1
	})
	m, _ := s.Message(alice.ID, menu.ID)
	if m.Text != "You chose red" || m.InlineKeyboard != nil {
		t.Fatalf("edited = %+v", m)
	}
	s.WaitFor(t, 5*time.Second, "the answer", func() bool { _, ok := s.CallbackAnswer(uid); return ok })
	if text, _ := s.CallbackAnswer(uid); text != "Saved" {
		t.Fatalf("answer = %q", text)
	}
}

func TestWebhookDelivery(t *testing.T) {
	t.Parallel()
	type hit struct {
		secret string
		ctype  string
		upd    models.Update
	}
	var (
		mu   sync.Mutex
		hits []hit
		fail = 2
	)
	wh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var upd models.Update
		_ = json.NewDecoder(r.Body).Decode(&upd)
		mu.Lock()
		defer mu.Unlock()
		hits = append(hits, hit{r.Header.Get("X-Telegram-Bot-Api-Secret-Token"), r.Header.Get("Content-Type"), upd})
		if fail > 0 {
			fail--
			w.WriteHeader([]int{http.StatusServiceUnavailable, http.StatusInternalServerError}[fail])
			return
		}
	}))
	defer wh.Close()

	s := New(t, Options{WebhookRetryDelay: 5 * time.Millisecond})
	b := newBot(t, s)
	ctx := ctxT(t)
	pending := s.SendText(alice, "queued before the webhook")

	if _, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: wh.URL, SecretToken: "bad secret!"}); !errors.Is(err, bot.ErrorBadRequest) {
		t.Fatalf("bad secret accepted: %v", err)
	}
	if ok, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: wh.URL + "/hook", SecretToken: "s3cr3t_-X"}); err != nil || !ok {
		t.Fatalf("setWebhook: %v %v", ok, err)
	}
	if s.WebhookURL() != wh.URL+"/hook" || s.WebhookSecret() != "s3cr3t_-X" {
		t.Fatalf("webhook = %q %q", s.WebhookURL(), s.WebhookSecret())
	}
	// The update queued for getUpdates moves to the webhook; it is retried until accepted.
	s.WaitFor(t, 5*time.Second, "the pending update to be accepted", func() bool { return s.PendingUpdates() == 0 })
	if got := s.WebhookStatuses(); !slices.Equal(got, []int{500, 503, 200}) {
		t.Fatalf("statuses = %v", got)
	}
	// Deliver returns after the first attempt when a webhook is set.
	next := s.SendText(alice, "via webhook")
	if got := s.WebhookStatuses(); !slices.Equal(got, []int{500, 503, 200, 200}) {
		t.Fatalf("statuses after synchronous delivery = %v", got)
	}
	mu.Lock()
	if len(hits) != 4 {
		t.Fatalf("hits = %d", len(hits))
	}
	for i, h := range hits {
		wantID := pending
		if i == 3 {
			wantID = next
		}
		if h.secret != "s3cr3t_-X" || h.ctype != "application/json" || h.upd.ID != wantID || h.upd.Message == nil {
			t.Fatalf("hit %d = %+v", i, h)
		}
	}
	mu.Unlock()

	// getUpdates conflicts while a webhook is set.
	status, r := call(t, s, "getUpdates", nil)
	if status != 409 || r.Description != "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" {
		t.Fatalf("getUpdates with webhook: %d %q", status, r.Description)
	}
	info, err := b.GetWebhookInfo(ctx)
	if err != nil || info.URL != wh.URL+"/hook" || info.PendingUpdateCount != 0 || !strings.Contains(info.LastErrorMessage, "503 Service Unavailable") || info.LastErrorDate == 0 {
		t.Fatalf("webhook info = %+v %v", info, err)
	}
	// Redeliver posts the same update again.
	s.Redeliver(next)
	mu.Lock()
	if last := hits[len(hits)-1]; last.upd.ID != next {
		t.Fatalf("redelivered %d", last.upd.ID)
	}
	mu.Unlock()

	// After deleteWebhook updates wait for getUpdates again.
	if ok, err := b.DeleteWebhook(ctx, &bot.DeleteWebhookParams{}); err != nil || !ok {
		t.Fatalf("deleteWebhook: %v %v", ok, err)
	}
	after := s.SendText(alice, "polled")
	if ups := getUpdates(t, s, nil); !slices.Equal(updateIDs(ups), []int64{after}) {
		t.Fatalf("after deleteWebhook: %v", updateIDs(ups))
	}
	if s.WebhookURL() != "" || len(s.WebhookStatuses()) != 5 {
		t.Fatalf("webhook still active: %q %v", s.WebhookURL(), s.WebhookStatuses())
	}
}

func TestWebhookGivesUpAndKeepsOrder(t *testing.T) {
	t.Parallel()
	var (
		mu  sync.Mutex
		ids []int64
	)
	wh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var upd models.Update
		_ = json.NewDecoder(r.Body).Decode(&upd)
		mu.Lock()
		ids = append(ids, upd.ID)
		mu.Unlock()
		if upd.Message.Text == "poison" {
			http.Error(w, "boom", http.StatusInternalServerError)
		}
	}))
	defer wh.Close()
	s := New(t, Options{WebhookRetryDelay: time.Millisecond, WebhookMaxAttempts: 3})
	if status, r := call(t, s, "setWebhook", map[string]string{"url": wh.URL}); status != 200 || r.Description != "Webhook was set" {
		t.Fatalf("setWebhook: %d %+v", status, r)
	}
	if _, r := call(t, s, "setWebhook", map[string]string{"url": wh.URL}); r.Description != "Webhook is already set" {
		t.Fatalf("second setWebhook: %+v", r)
	}
	p := s.SendText(alice, "poison")
	ok := s.SendText(alice, "fine")
	s.WaitFor(t, 5*time.Second, "delivery to finish", func() bool { return s.PendingUpdates() == 0 })
	mu.Lock()
	defer mu.Unlock()
	if want := []int64{p, p, p, ok}; !slices.Equal(ids, want) {
		t.Fatalf("delivery order = %v, want %v", ids, want)
	}
	if got := s.WebhookStatuses(); !slices.Equal(got, []int{500, 500, 500, 200}) {
		t.Fatalf("statuses = %v", got)
	}
}

// TestWebhookChatsInParallel: as Telegram does, a chat whose update the
// webhook keeps refusing holds up only its own later updates; other chats
// are delivered meanwhile.
func TestWebhookChatsInParallel(t *testing.T) {
	t.Parallel()
	var (
		mu      sync.Mutex
		refuse  = true
		aliceAt []int64
	)
	wh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var upd models.Update
		_ = json.NewDecoder(r.Body).Decode(&upd)
		mu.Lock()
		defer mu.Unlock()
		if upd.Message.Chat.ID == alice.ID {
			aliceAt = append(aliceAt, upd.ID)
			if refuse {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		}
	}))
	defer wh.Close()
	s := New(t, Options{WebhookRetryDelay: 5 * time.Millisecond, WebhookMaxAttempts: 1000})
	if status, _ := call(t, s, "setWebhook", map[string]string{"url": wh.URL}); status != 200 {
		t.Fatalf("setWebhook: %d", status)
	}
	a1 := s.SendText(alice, "refused for now")
	done := make(chan int64)
	go func() { done <- s.SendText(alice, "behind it") }()
	s.SendText(boris, "delivered meanwhile")
	s.WaitFor(t, 5*time.Second, "boris's update to be accepted", func() bool { return s.PendingUpdates() == 2 })
	select {
	case <-done:
		t.Fatal("alice's second update was posted before her first was accepted")
	case <-time.After(50 * time.Millisecond):
	}
	mu.Lock()
	refuse = false
	mu.Unlock()
	a2 := <-done
	s.WaitFor(t, 5*time.Second, "every update accepted", func() bool { return s.PendingUpdates() == 0 })
	mu.Lock()
	defer mu.Unlock()
	if len(aliceAt) < 3 || aliceAt[len(aliceAt)-1] != a2 || slices.Contains(aliceAt[:len(aliceAt)-1], a2) {
		t.Fatalf("alice's deliveries = %v, want %d retried until accepted, then %d", aliceAt, a1, a2)
	}
}

// TestOutage: an outage fails every matching call until it is ended, and
// only those calls.
func TestOutage(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	s.AddChat(alice.ID)
	s.AddChat(boris.ID)
	b := newBot(t, s)
	ctx := ctxT(t)
	end := s.Outage("sendMessage", alice.ID, http.StatusInternalServerError)
	for range 3 {
		if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "a"}); err == nil || !strings.Contains(err.Error(), "500") {
			t.Fatalf("during the outage: %v", err)
		}
	}
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: boris.ID, Text: "b"}); err != nil {
		t.Fatalf("other chat during the outage: %v", err)
	}
	end()
	end()
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "a"}); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
	var statuses []int
	for _, c := range s.CallsTo("sendMessage") {
		statuses = append(statuses, c.Status)
	}
	if want := []int{500, 500, 500, 200, 200}; !slices.Equal(statuses, want) {
		t.Fatalf("statuses = %v, want %v", statuses, want)
	}
}

func TestWebhookWithRealBot(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	b := newBot(t, s, bot.WithWebhookSecretToken("topsecret"), bot.WithDefaultHandler(echoHandler))
	wh := httptest.NewServer(b.WebhookHandler())
	t.Cleanup(wh.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.StartWebhook(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	if _, err := b.SetWebhook(ctxT(t), &bot.SetWebhookParams{URL: wh.URL, SecretToken: "topsecret"}); err != nil {
		t.Fatal(err)
	}
	s.SendText(alice, "ping")
	if msgs := s.WaitMessages(t, alice.ID, 1, 5*time.Second); msgs[0].Text != "echo: ping" {
		t.Fatalf("got %+v", msgs)
	}
	if got := s.WebhookStatuses(); !slices.Equal(got, []int{200}) {
		t.Fatalf("statuses = %v", got)
	}
}

func TestSetWebhookEndsLongPoll(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	type result struct {
		status int
		desc   string
	}
	res := make(chan result, 1)
	go func() {
		st, r := call(t, s, "getUpdates", map[string]string{"timeout": "10"})
		res <- result{st, r.Description}
	}()
	s.WaitFor(t, 3*time.Second, "the poll to wait", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.poll != nil
	})
	if st, r := call(t, s, "setWebhook", map[string]string{"url": "http://127.0.0.1:1/hook", "drop_pending_updates": "true"}); st != 200 || !r.OK {
		t.Fatalf("setWebhook: %d %+v", st, r)
	}
	select {
	case r := <-res:
		if r.status != 409 || !strings.Contains(r.desc, "webhook is active") {
			t.Fatalf("poll ended with %+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long poll not ended by setWebhook")
	}
	// Connection failures are recorded as status 0.
	s.SendText(alice, "nobody listens")
	if got := s.WebhookStatuses(); len(got) == 0 || got[0] != 0 {
		t.Fatalf("statuses = %v", got)
	}
	if st, r := call(t, s, "deleteWebhook", map[string]string{"drop_pending_updates": "true"}); st != 200 || r.Description != "Webhook was deleted" {
		t.Fatalf("deleteWebhook: %d %+v", st, r)
	}
	if _, r := call(t, s, "deleteWebhook", nil); r.Description != "Webhook is already deleted" {
		t.Fatalf("second deleteWebhook: %+v", r)
	}
	s.WaitFor(t, 5*time.Second, "the dropped update to be gone", func() bool { return s.PendingUpdates() == 0 })
}

func TestSetMyCommandsPerScopeAndLanguage(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	b := newBot(t, s)
	ctx := ctxT(t)
	s.AddChat(-777)
	cmds := func(names ...string) []models.BotCommand {
		var out []models.BotCommand
		for _, n := range names {
			out = append(out, models.BotCommand{Command: n, Description: "Do " + n})
		}
		return out
	}
	sets := []struct {
		name      string
		scope     models.BotCommandScope
		lang      string
		cmds      []models.BotCommand
		scopeType string
		chatID    int64
	}{
		{"default", nil, "", cmds("start", "help"), "default", 0},
		{"default ru", &models.BotCommandScopeDefault{}, "ru", cmds("start", "pomosh"), "default", 0},
		{"private chats", &models.BotCommandScopeAllPrivateChats{}, "", cmds("settings"), "all_private_chats", 0},
		{"group admins", &models.BotCommandScopeAllChatAdministrators{}, "en", cmds("ban"), "all_chat_administrators", 0},
		{"one chat", &models.BotCommandScopeChat{ChatID: -777}, "", cmds("game"), "chat", -777},
	}
	for _, st := range sets {
		if ok, err := b.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: st.cmds, Scope: st.scope, LanguageCode: st.lang}); err != nil || !ok {
			t.Fatalf("%s: setMyCommands: %v %v", st.name, ok, err)
		}
	}
	for _, st := range sets {
		got, err := b.GetMyCommands(ctx, &bot.GetMyCommandsParams{Scope: st.scope, LanguageCode: st.lang})
		if err != nil || !slices.Equal(got, st.cmds) {
			t.Errorf("%s: getMyCommands = %+v %v", st.name, got, err)
		}
		if got := s.Commands(st.scopeType, st.chatID, st.lang); !slices.Equal(got, st.cmds) {
			t.Errorf("%s: Commands(%q, %d, %q) = %+v", st.name, st.scopeType, st.chatID, st.lang, got)
		}
	}
	// No fallback between languages or scopes.
	if got, _ := b.GetMyCommands(ctx, &bot.GetMyCommandsParams{LanguageCode: "de"}); len(got) != 0 {
		t.Errorf("de commands = %+v", got)
	}
	if got := s.Commands("all_group_chats", 0, ""); got != nil {
		t.Errorf("unset scope = %+v", got)
	}
	if ok, err := b.DeleteMyCommands(ctx, &bot.DeleteMyCommandsParams{Scope: &models.BotCommandScopeAllPrivateChats{}}); err != nil || !ok {
		t.Fatal(err)
	}
	if got := s.Commands("all_private_chats", 0, ""); got != nil {
		t.Errorf("after delete = %+v", got)
	}
	errCases := []struct {
		name    string
		params  bot.SetMyCommandsParams
		errPart string
	}{
		{"uppercase command", bot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: "Start", Description: "x"}}}, "BOT_COMMAND_INVALID"},
		{"slash in command", bot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: "/start", Description: "x"}}}, "BOT_COMMAND_INVALID"},
		{"too long command", bot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: strings.Repeat("a", 33), Description: "x"}}}, "BOT_COMMAND_INVALID"},
		{"empty description", bot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: "a", Description: ""}}}, "BOT_COMMAND_DESCRIPTION_INVALID"},
		{"unknown chat scope", bot.SetMyCommandsParams{Commands: cmds("a"), Scope: &models.BotCommandScopeChat{ChatID: 123}}, "chat not found"},
		{"bad language", bot.SetMyCommandsParams{Commands: cmds("a"), LanguageCode: "russian"}, "invalid language code"},
	}
	for _, tc := range errCases {
		if _, err := b.SetMyCommands(ctx, &tc.params); !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), tc.errPart) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
	if st, r := call(t, s, "setMyCommands", map[string]string{"commands": `[{"command":`}); st != 400 || !strings.Contains(r.Description, "can't parse commands JSON object") {
		t.Errorf("malformed commands: %d %s", st, r.Description)
	}
	if st, r := call(t, s, "setMyCommands", map[string]string{"commands": `[]`, "scope": `{"type":"planet"}`}); st != 400 || !strings.Contains(r.Description, "scope") {
		t.Errorf("bad scope: %d %s", st, r.Description)
	}
	if got := s.Commands("", 0, ""); !slices.Equal(got, cmds("start", "help")) {
		t.Errorf("failed calls changed the default commands: %+v", got)
	}
}

func TestSendPhotoAndDocument(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	b := newBot(t, s)
	ctx := ctxT(t)
	s.AddChat(alice.ID)
	img := pngBytes(t, 3, 2)

	p, err := b.SendPhoto(ctx, &bot.SendPhotoParams{
		ChatID: alice.ID, Photo: &models.InputFileUpload{Filename: "chart.png", Data: bytes.NewReader(img)},
		Caption: "Chart",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Photo) != 1 || p.Photo[0].Width != 3 || p.Photo[0].Height != 2 || p.Photo[0].FileSize != len(img) || p.Caption != "Chart" {
		t.Fatalf("photo message = %+v", p)
	}
	calls := s.CallsTo("sendPhoto")
	if len(calls) != 1 || !bytes.Equal(calls[0].Files["photo"], img) || calls[0].Params["caption"] != "Chart" {
		t.Fatalf("recorded call = %+v", calls)
	}

	d, err := b.SendDocument(ctx, &bot.SendDocumentParams{
		ChatID: alice.ID, Document: &models.InputFileUpload{Filename: "report.csv", Data: strings.NewReader("a,b\n1,2\n")}, Caption: "Report",
	})
	if err != nil {
		t.Fatal(err)
	}
	if d.Document == nil || d.Document.FileName != "report.csv" || d.Document.MimeType != "text/csv" || d.Document.FileSize != 8 || d.Caption != "Report" {
		t.Fatalf("document message = %+v %+v", d, d.Document)
	}

	errCases := []struct {
		name    string
		send    func() error
		errPart string
	}{
		// cairbot only uploads: a file sent again by file_id or URL is
		// refused, not half faked.
		{"photo by file_id", func() error {
			_, err := b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: alice.ID, Photo: &models.InputFileString{Data: p.Photo[0].FileID}})
			return err
		}, "telegramtest takes uploads only"},
		{"document by URL", func() error {
			_, err := b.SendDocument(ctx, &bot.SendDocumentParams{ChatID: alice.ID, Document: &models.InputFileString{Data: "https://example.com/files/a.pdf"}})
			return err
		}, "telegramtest takes uploads only"},
		{"caption too long", func() error {
			_, err := b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: alice.ID, Photo: &models.InputFileUpload{Filename: "chart.png", Data: bytes.NewReader(img)}, Caption: strings.Repeat("c", 1025)})
			return err
		}, "message caption is too long"},
		{"a caption with a parse_mode", func() error {
			_, err := b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: alice.ID, Photo: &models.InputFileUpload{Filename: "chart.png", Data: bytes.NewReader(img)}, Caption: "<b>Chart</b>", ParseMode: models.ParseModeHTML})
			return err
		}, "unsupported parse_mode"},
		{"photo that is not a picture", func() error {
			_, err := b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: alice.ID, Photo: &models.InputFileUpload{Filename: "p.png", Data: strings.NewReader("not a picture")}})
			return err
		}, "IMAGE_PROCESS_FAILED"},
		{"photo too thin", func() error {
			_, err := b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: alice.ID, Photo: &models.InputFileUpload{Filename: "p.png", Data: bytes.NewReader(pngBytes(t, 210, 10))}})
			return err
		}, "PHOTO_INVALID_DIMENSIONS"},
		{"empty upload", func() error {
			_, err := b.SendDocument(ctx, &bot.SendDocumentParams{ChatID: alice.ID, Document: &models.InputFileUpload{Filename: "x.txt", Data: strings.NewReader("")}})
			return err
		}, "file must be non-empty"},
	}
	for _, tc := range errCases {
		if err := tc.send(); !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), tc.errPart) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
	if st, r := call(t, s, "sendPhoto", map[string]string{"chat_id": "1001"}); st != 400 || r.Description != "Bad Request: there is no photo in the request" {
		t.Errorf("missing photo: %d %s", st, r.Description)
	}
	// Editing the text of a photo is refused.
	if _, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: alice.ID, MessageID: p.ID, Text: "x"}); err == nil || !strings.Contains(err.Error(), "there is no text in the message to edit") {
		t.Errorf("edit photo text: %v", err)
	}

	msgs := s.Messages(alice.ID)
	var kinds []string
	for _, m := range msgs {
		kinds = append(kinds, m.Kind)
	}
	if want := []string{"photo", "document"}; !slices.Equal(kinds, want) {
		t.Fatalf("kinds = %v", kinds)
	}
	if msgs[0].Caption != "Chart" || msgs[0].PlainText != "Chart" || msgs[0].FileID == "" || msgs[1].FileName != "report.csv" {
		t.Fatalf("stored media = %+v", msgs)
	}
}

func TestReplyKeyboardsAndReplies(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	b := newBot(t, s)
	ctx := ctxT(t)
	s.SendText(alice, "hi") // message 1
	m, err := b.SendMessage(ctx, &bot.SendMessageParams{
		ChatID: alice.ID, Text: "Menu",
		ReplyMarkup:     &models.ReplyKeyboardMarkup{Keyboard: [][]models.KeyboardButton{{{Text: "Orders"}, {Text: "Help"}}, {{Text: "Cancel"}}}, ResizeKeyboard: true},
		ReplyParameters: &models.ReplyParameters{MessageID: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.ReplyToMessage == nil || m.ReplyToMessage.ID != 1 || m.ReplyMarkup != nil {
		t.Fatalf("reply = %+v", m)
	}
	r, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "Bye", ReplyMarkup: &models.ReplyKeyboardRemove{RemoveKeyboard: true}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "Name?", ReplyMarkup: &models.ForceReply{ForceReply: true}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.Message(alice.ID, m.ID)
	if !slices.EqualFunc(got.ReplyKeyboard, [][]string{{"Orders", "Help"}, {"Cancel"}}, slices.Equal[[]string]) || got.ReplyToMessageID != 1 {
		t.Fatalf("reply keyboard = %+v", got)
	}
	if rm, _ := s.Message(alice.ID, r.ID); !rm.RemoveKeyboard || rm.ReplyKeyboard != nil {
		t.Fatalf("remove = %+v", rm)
	}
	if fm, _ := s.Message(alice.ID, f.ID); !fm.ForceReply {
		t.Fatalf("force reply = %+v", fm)
	}
	if last, ok := s.LastMessage(alice.ID); !ok || last.ID != f.ID {
		t.Fatalf("LastMessage = %+v", last)
	}
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "x", ReplyMarkup: &models.ReplyKeyboardMarkup{Keyboard: [][]models.KeyboardButton{{{Text: ""}}}}}); !errors.Is(err, bot.ErrorBadRequest) {
		t.Fatalf("empty keyboard button accepted: %v", err)
	}
	// Snapshots are copies.
	got.ReplyKeyboard[0][0] = "mutated"
	if again, _ := s.Message(alice.ID, m.ID); again.ReplyKeyboard[0][0] != "Orders" {
		t.Fatal("Message returned shared state")
	}
}

func TestMessageIDsAndSendTimes(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	b := newBot(t, s)
	ctx := ctxT(t)
	s.SendText(alice, "one") // 1
	m1, _ := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "a"})
	s.SendText(alice, "two") // 3
	m2, _ := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "b"})
	s.SendText(boris, "other chat") // boris 1
	m3, _ := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: boris.ID, Text: "c"})
	if m1.ID != 2 || m2.ID != 4 || m3.ID != 2 {
		t.Fatalf("ids = %d %d %d, want 2 4 2", m1.ID, m2.ID, m3.ID)
	}
	if m1.Date == 0 || time.Since(time.Unix(int64(m1.Date), 0)) > time.Minute {
		t.Fatalf("date = %d", m1.Date)
	}
	times := s.SendTimes(alice.ID)
	if len(times) != 2 || times[1].Before(times[0]) {
		t.Fatalf("SendTimes = %v", times)
	}
	msgs := s.Messages(alice.ID)
	if len(msgs) != 2 || msgs[0].At != times[0] || msgs[1].Text != "b" {
		t.Fatalf("Messages = %+v", msgs)
	}
	if _, ok := s.Message(alice.ID, 1); ok {
		t.Fatal("user message reported as a bot message")
	}
	if s.Messages(424242) != nil {
		t.Fatal("unknown chat has messages")
	}
}

func TestWaitHelpersReportFailures(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	s.AddChat(alice.ID)
	b := newBot(t, s)
	if _, err := b.SendMessage(ctxT(t), &bot.SendMessageParams{ChatID: alice.ID, Text: "only one"}); err != nil {
		t.Fatal(err)
	}
	rtb := &recordingTB{TB: t}
	start := time.Now()
	got := s.WaitMessages(rtb, alice.ID, 2, 50*time.Millisecond)
	if time.Since(start) < 50*time.Millisecond || len(got) != 1 {
		t.Fatalf("WaitMessages returned %d after %v", len(got), time.Since(start))
	}
	msgs := rtb.messages()
	if len(msgs) != 1 || !strings.Contains(msgs[0], "want at least 2") || !strings.Contains(msgs[0], `"only one"`) {
		t.Fatalf("failure message = %q", msgs)
	}
	s.WaitFor(rtb, 20*time.Millisecond, "the impossible", func() bool { return false })
	if msgs := rtb.messages(); len(msgs) != 2 || !strings.Contains(msgs[1], "the impossible") {
		t.Fatalf("WaitFor message = %q", msgs)
	}
	// Success paths do not report.
	if got := s.WaitMessages(rtb, alice.ID, 1, time.Second); len(got) != 1 || len(rtb.messages()) != 2 {
		t.Fatal("successful wait reported a failure")
	}
	// A button not answered yet, then answered.
	m, _ := s.LastMessage(alice.ID)
	uid := s.PressButton(alice, m.ID, "x")
	s.WaitCallbackAnswer(rtb, uid, 20*time.Millisecond)
	if msgs := rtb.messages(); len(msgs) != 3 || !strings.Contains(msgs[2], fmt.Sprintf("button of update %d", uid)) {
		t.Fatalf("WaitCallbackAnswer message = %q", msgs)
	}
	ups := getUpdates(t, s, nil)
	if len(ups) != 1 || ups[0].CallbackQuery == nil {
		t.Fatalf("updates = %+v", ups)
	}
	if _, err := b.AnswerCallbackQuery(ctxT(t), &bot.AnswerCallbackQueryParams{CallbackQueryID: ups[0].CallbackQuery.ID, Text: "ok"}); err != nil {
		t.Fatal(err)
	}
	if text := s.WaitCallbackAnswer(rtb, uid, time.Second); text != "ok" || len(rtb.messages()) != 3 {
		t.Fatalf("answered button: %q, %q", text, rtb.messages())
	}
}

func TestConcurrentConversations(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	b := newBot(t, s, bot.WithDefaultHandler(echoHandler), bot.WithWorkers(4))
	runPolling(t, b)
	const users, perUser = 8, 15
	var wg sync.WaitGroup
	for u := 0; u < users; u++ {
		wg.Add(1)
		go func(u int) {
			defer wg.Done()
			usr := User{ID: int64(2000 + u), FirstName: fmt.Sprint("U", u)}
			for i := 0; i < perUser; i++ {
				s.SendText(usr, fmt.Sprint("m", i))
				_ = s.Calls()
				_ = s.Messages(usr.ID)
			}
		}(u)
	}
	wg.Wait()
	for u := 0; u < users; u++ {
		id := int64(2000 + u)
		msgs := s.WaitMessages(t, id, perUser, 10*time.Second)
		seen := map[int]bool{}
		texts := map[string]bool{}
		for _, m := range msgs {
			if seen[m.ID] {
				t.Fatalf("duplicate message id %d in chat %d", m.ID, id)
			}
			seen[m.ID] = true
			texts[m.Text] = true
		}
		for i := 0; i < perUser; i++ {
			if !texts[fmt.Sprint("echo: m", i)] {
				t.Fatalf("chat %d misses echo of m%d", id, i)
			}
		}
	}
}

func TestEntityText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		e    models.MessageEntity
		want string
	}{
		{"привет /help", models.MessageEntity{Offset: 7, Length: 5}, "/help"},
		{"👋 /start", models.MessageEntity{Offset: 3, Length: 6}, "/start"},
		{"😀😀x", models.MessageEntity{Offset: 2, Length: 2}, "😀"},
		{"abc", models.MessageEntity{Offset: 3, Length: 0}, ""},
		{"abc", models.MessageEntity{Offset: 2, Length: 5}, ""},
	}
	for _, tc := range tests {
		if got := EntityText(tc.text, tc.e); got != tc.want {
			t.Errorf("EntityText(%q, %+v) = %q, want %q", tc.text, tc.e, got, tc.want)
		}
	}
	if n := UTF16Len("a😀я"); n != 4 {
		t.Errorf("UTF16Len = %d", n)
	}
}

func TestLimitsRefuseWhatTelegramRefuses(t *testing.T) {
	// The limits' clock stands still: every call falls in one second.
	at := time.Now()
	s := New(t, Options{Limits: true, LimitsClock: func() time.Time { return at }})
	s.AddChat(5)
	var codes []int
	for i := 0; i < ChatBurstLimit+1; i++ {
		code, _ := call(t, s, "sendMessage", map[string]string{"chat_id": "5", "text": "x"})
		codes = append(codes, code)
	}
	if codes[ChatBurstLimit-1] != 200 || codes[ChatBurstLimit] != 429 {
		t.Fatalf("codes %v: want %d accepted then 429", codes, ChatBurstLimit)
	}
	for i := int64(100); i < 100+GlobalLimit; i++ {
		s.AddChat(i)
		call(t, s, "sendMessage", map[string]string{"chat_id": strconv.FormatInt(i, 10), "text": "x"})
	}
	if s.Limited() < 2 {
		t.Fatalf("limited %d calls; the global limit refused none", s.Limited())
	}
}

// TestHoldKeepsCallsUntilReleased: held calls take no effect until
// Release; Arrived closes once n wait at once; Most counts them; other
// methods and calls after Release go through.
func TestHoldKeepsCallsUntilReleased(t *testing.T) {
	s := New(t, Options{})
	held := s.Hold("setMyCommands", 3)
	defer held.Release()
	cmds := `[{"command":"help","description":"Help"}]`
	var wg sync.WaitGroup
	for _, lang := range []string{"en", "fr", "ar"} {
		wg.Go(func() {
			if code, r := call(t, s, "setMyCommands", map[string]string{"commands": cmds, "language_code": lang}); code != http.StatusOK {
				t.Errorf("held call %s: %d %s", lang, code, r.Description)
			}
		})
	}
	select {
	case <-held.Arrived():
	case <-time.After(10 * time.Second):
		t.Fatalf("3 calls never waited at once (at most %d)", held.Most())
	}
	if got := s.Commands("default", 0, "en"); got != nil {
		t.Fatalf("a held call took effect: %v", got)
	}
	if code, _ := call(t, s, "getMe", nil); code != http.StatusOK {
		t.Fatalf("another method was held: %d", code)
	}
	if got := held.Most(); got != 3 {
		t.Fatalf("Most = %d, want 3", got)
	}
	held.Release()
	wg.Wait()
	for _, lang := range []string{"en", "fr", "ar"} {
		if got := s.Commands("default", 0, lang); len(got) != 1 {
			t.Errorf("%s menu after release: %v", lang, got)
		}
	}
	if code, _ := call(t, s, "setMyCommands", map[string]string{"commands": cmds}); code != http.StatusOK {
		t.Fatalf("a call after release: %d", code)
	}
}

// TestSameMarkupAndCommandsParsedOnce: a keyboard or command list sent
// again is not parsed again, and what is shared does not leak between
// chats; a refused one is refused each time.
func TestSameMarkupAndCommandsParsedOnce(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	bob := User{ID: 1002, FirstName: "Bob", LanguageCode: "fr"}
	s.SendText(alice, "hi")
	s.SendText(bob, "hi")
	menu := `{"keyboard":[["💶 Balance","🧹 Chores"]],"resize_keyboard":true}`
	inline := `{"inline_keyboard":[[{"text":"✅ Present","callback_data":"a:1"}]]}`
	for _, u := range []User{alice, bob} {
		for _, mk := range []string{menu, inline} {
			if code, r := call(t, s, "sendMessage", map[string]string{"chat_id": fmt.Sprint(u.ID), "text": "x", "reply_markup": mk}); code != http.StatusOK {
				t.Fatalf("sendMessage: %d %s", code, r.Description)
			}
		}
	}
	// kept reads one of the server's parse caches' sizes under its lock.
	kept := func(size func() int) int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return size()
	}
	if n := kept(func() int { return len(s.markups) }); n != 2 {
		t.Fatalf("%d markups parsed for two keyboards sent twice", n)
	}
	a := s.Messages(alice.ID)
	a[0].ReplyKeyboard[0][0] = "changed"
	a[1].InlineKeyboard[0][0].Text = "changed"
	b := s.Messages(bob.ID)
	if b[0].ReplyKeyboard[0][0] != "💶 Balance" || b[1].InlineKeyboard[0][0].Text != "✅ Present" {
		t.Fatalf("bob's keyboards changed with alice's copy: %q %+v", b[0].ReplyKeyboard, b[1].InlineKeyboard)
	}
	if again := s.Messages(alice.ID); again[0].ReplyKeyboard[0][0] != "💶 Balance" {
		t.Fatalf("alice's kept keyboard changed through a copy: %q", again[0].ReplyKeyboard)
	}
	bad := `{"inline_keyboard":[[{"text":"no action"}]]}`
	for range 2 {
		if code, r := call(t, s, "sendMessage", map[string]string{"chat_id": fmt.Sprint(alice.ID), "text": "x", "reply_markup": bad}); code != http.StatusBadRequest {
			t.Fatalf("a button without an action: %d %s", code, r.Description)
		}
	}
	cmds := `[{"command":"balance","description":"My balance"}]`
	for _, u := range []User{alice, bob} {
		scope := fmt.Sprintf(`{"type":"chat","chat_id":%d}`, u.ID)
		if code, r := call(t, s, "setMyCommands", map[string]string{"commands": cmds, "scope": scope}); code != http.StatusOK {
			t.Fatalf("setMyCommands: %d %s", code, r.Description)
		}
	}
	if n := kept(func() int { return len(s.commandLists) }); n != 1 {
		t.Fatalf("%d command lists parsed for one list set twice", n)
	}
	got := s.Commands("chat", alice.ID, "")
	got[0].Description = "changed"
	if b := s.Commands("chat", bob.ID, ""); len(b) != 1 || b[0].Description != "My balance" {
		t.Fatalf("bob's commands: %+v", b)
	}
	if code, r := call(t, s, "setMyCommands", map[string]string{"commands": `[{"command":"Bad Command","description":"x"}]`}); code != http.StatusBadRequest {
		t.Fatalf("an invalid command: %d %s", code, r.Description)
	}
}
