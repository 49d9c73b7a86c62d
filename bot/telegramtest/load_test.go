package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
)

// webhookBot is a bot behind a webhook that answers each text with
// `answers` sendMessage calls (none: it stays silent).
func webhookBot(t *testing.T, s *Server, answers int) {
	t.Helper()
	wh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var upd models.Update
		if err := json.NewDecoder(r.Body).Decode(&upd); err != nil || upd.Message == nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		for i := 0; i < answers; i++ {
			form := url.Values{"chat_id": {strconv.FormatInt(upd.Message.Chat.ID, 10)}, "text": {"re: " + upd.Message.Text}}
			resp, err := http.PostForm(methodURL(s, "sendMessage"), form)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}))
	t.Cleanup(wh.Close)
	if status, r := call(t, s, "setWebhook", map[string]string{"url": wh.URL}); status != http.StatusOK {
		t.Fatalf("setWebhook: %d %+v", status, r)
	}
}

func loadUsers(n int) []User {
	us := make([]User, n)
	for i := range us {
		us[i] = User{ID: int64(5000 + i), FirstName: "U" + strconv.Itoa(i)}
	}
	return us
}

func TestRunLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		answers      int
		spec         LoadSpec
		wantAnswered func(sent int) int
		wantExtra    func(sent int) int
		minSent      int
	}{
		{"burst, one answer each", 1, LoadSpec{Burst: true}, func(n int) int { return n }, func(int) int { return 0 }, 20},
		// Counts that do not depend on the machine's speed: a closed loop's
		// writers each send at least once, an open loop sends every due
		// update (late ones at once), so a loaded machine cannot fail them.
		{"closed loop", 1, LoadSpec{Closed: 5, Duration: 300 * time.Millisecond}, func(n int) int { return n }, func(int) int { return 0 }, 5},
		{"open loop", 1, LoadSpec{Rate: 100, Duration: 300 * time.Millisecond}, func(n int) int { return n }, func(int) int { return 0 }, 30},
		{"two messages per update: the second is extra", 2, LoadSpec{Burst: true}, func(n int) int { return n }, func(n int) int { return n }, 20},
		{"a silent bot: nothing answered", 0, LoadSpec{Burst: true, Wait: 200 * time.Millisecond}, func(int) int { return 0 }, func(int) int { return 0 }, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := New(t, Options{})
			webhookBot(t, s, tt.answers)
			spec := tt.spec
			spec.Users, spec.Text = loadUsers(20), "/balance"
			res, err := s.RunLoad(context.Background(), spec)
			if err != nil {
				t.Fatal(err)
			}
			if res.Sent < tt.minSent || res.Answered != tt.wantAnswered(res.Sent) || res.Extra != tt.wantExtra(res.Sent) {
				t.Fatalf("sent %d (want ≥ %d), answered %d (want %d), extra %d (want %d)", res.Sent, tt.minSent,
					res.Answered, tt.wantAnswered(res.Sent), res.Extra, tt.wantExtra(res.Sent))
			}
			if res.Answered > 0 && (res.P50 <= 0 || res.P50 > res.P99 || res.P99 > res.Max) {
				t.Fatalf("latencies p50 %v p99 %v max %v are not ordered", res.P50, res.P99, res.Max)
			}
			if got := s.Messages(5000); tt.answers > 0 && (len(got) == 0 || got[0].Text != "re: /balance") {
				t.Fatalf("the bot's answer in chat 5000: %+v", got)
			}
		})
	}
}

func TestControlHandler(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	webhookBot(t, s, 1)
	ctl := httptest.NewServer(s.ControlHandler())
	defer ctl.Close()
	body, _ := json.Marshal(LoadSpec{Users: loadUsers(3), Text: "hello", Burst: true})
	resp, err := http.Post(ctl.URL+"/load", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var res LoadResult
	err = json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || res.Sent != 3 || res.Answered != 3 {
		t.Fatalf("POST /load: %d %+v %v", resp.StatusCode, res, err)
	}
	get := func(path string) string {
		resp, err := http.Get(ctl.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got := get("/last?chat=5001"); got != "re: hello" {
		t.Fatalf("GET /last = %q, want %q", got, "re: hello")
	}
	if got := get("/webhook"); !strings.HasPrefix(got, "http://127.0.0.1:") {
		t.Fatalf("GET /webhook = %q", got)
	}
	bad, err := http.Post(ctl.URL+"/load", "application/json", strings.NewReader(`{"users":[],"text":"x","burst":true}`))
	if err != nil {
		t.Fatal(err)
	}
	bad.Body.Close()
	if bad.StatusCode != http.StatusConflict {
		t.Fatalf("a run without users: %d, want 409", bad.StatusCode)
	}
}

// A closed loop with Rotate takes the users in turn: two writers reach
// every chat, not two chats only.
func TestRunLoadRotate(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	webhookBot(t, s, 1)
	users := loadUsers(20)
	res, err := s.RunLoad(context.Background(), LoadSpec{Users: users, Text: "hi", Closed: 2, Rotate: true, Rounds: 3})
	if err != nil {
		t.Fatal(err)
	}
	chats, answers := 0, 0
	for _, u := range users {
		if n := len(s.Messages(u.ID)); n > 0 {
			chats++
			answers += n
		}
	}
	// Without Rotate the two writers would stay in two chats.
	if res.Sent != 6 || res.Answered != res.Sent || answers != res.Answered || chats != res.Sent {
		t.Fatalf("sent %d, answered %d, %d answers in %d chats: want each message in the next chat", res.Sent, res.Answered, answers, chats)
	}
}

// A Press run presses the first button of the bot's last message with a
// keyboard, with the data it carries now, and an edit answers it.
func TestRunLoadPress(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	users := loadUsers(3)
	post := func(method string, form url.Values) {
		resp, err := http.PostForm(methodURL(s, method), form)
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// The bot counts presses in the button's own data: "n:0", "n:1"…
	var mu sync.Mutex
	seen := map[string]int{}
	wh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var upd models.Update
		if err := json.NewDecoder(r.Body).Decode(&upd); err != nil || upd.CallbackQuery == nil {
			return
		}
		q := upd.CallbackQuery
		mu.Lock()
		seen[q.Data]++
		mu.Unlock()
		n, _ := strconv.Atoi(strings.TrimPrefix(q.Data, "n:"))
		next := "n:" + strconv.Itoa(n+1)
		post("editMessageText", url.Values{"chat_id": {strconv.FormatInt(q.From.ID, 10)}, "message_id": {strconv.Itoa(q.Message.Message.ID)},
			"text": {next}, "reply_markup": {`{"inline_keyboard":[[{"text":"tap","callback_data":"` + next + `"}]]}`}})
	}))
	t.Cleanup(wh.Close)
	if status, r := call(t, s, "setWebhook", map[string]string{"url": wh.URL}); status != http.StatusOK {
		t.Fatalf("setWebhook: %d %+v", status, r)
	}
	for _, u := range users {
		s.AddChat(u.ID)
		post("sendMessage", url.Values{"chat_id": {strconv.FormatInt(u.ID, 10)}, "text": {"sheet"},
			"reply_markup": {`{"inline_keyboard":[[{"text":"tap","callback_data":"n:0"}]]}`}})
		post("sendMessage", url.Values{"chat_id": {strconv.FormatInt(u.ID, 10)}, "text": {"a warning without buttons"}})
	}
	res, err := s.RunLoad(context.Background(), LoadSpec{Users: users, Press: true, Closed: 3, Rounds: 2})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// Each chat's k-th press carries the data of the bot's (k-1)-th edit:
	// n:0 three times (once a chat), then never more of n:i than of n:i-1.
	total := 0
	for i := 0; seen["n:"+strconv.Itoa(i)] > 0; i++ {
		if i > 0 && seen["n:"+strconv.Itoa(i)] > seen["n:"+strconv.Itoa(i-1)] {
			t.Fatalf("presses by data %v: more of n:%d than of n:%d", seen, i, i-1)
		}
		total += seen["n:"+strconv.Itoa(i)]
	}
	if res.Sent != 6 || res.Answered != res.Sent || seen["n:0"] != 3 || seen["n:1"] != 3 || total != res.Sent {
		t.Fatalf("sent %d, answered %d, presses by data %v: want each chat's presses to follow its edits", res.Sent, res.Answered, seen)
	}
}
