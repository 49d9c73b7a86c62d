// Command faketelegram runs the project's fake Telegram Bot API server
// (bot/telegramtest) as a process of its own, for `make bench`: the bots
// under test talk to it as to api.telegram.org, and a load generator asks
// it, on a control address, to make users write and to measure the
// answers (telegramtest.Server.RunLoad), to act as one user (write, press
// a button) and to read what the bots sent (the transcript the benchmark
// counts announcements and reminders from). It only wires.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/bot/telegramtest"
)

func main() {
	control := flag.String("control", "127.0.0.1:0", "address of the control API (POST /load, GET /webhook, …)")
	limits := flag.Bool("limits", false, "refuse with 429 what Telegram refuses (3 a second per chat, 30 a second in all)")
	bots := flag.Int("bots", 1, "bots served at the API address, each with its own token, chats and limits (one per centre)")
	maxCalls := flag.Int("maxcalls", 10000, "calls kept for GET /calls (a long run must not keep every call in memory)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s := telegramtest.Start(telegramtest.Options{Limits: *limits, MaxCalls: *maxCalls})
	defer s.Close()
	ln, err := net.Listen("tcp", *control)
	if err != nil {
		fmt.Fprintln(os.Stderr, "faketelegram:", err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: controlMux(s), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	// Every bot at one address, routed by its token, as api.telegram.org.
	hub := telegramtest.StartHub(s)
	defer hub.Close()
	var extra []*telegramtest.Server
	for n := 1; n < *bots; n++ {
		b := telegramtest.Start(telegramtest.NthBot(n, telegramtest.Options{Limits: *limits, MaxCalls: *maxCalls}))
		defer b.Close()
		hub.Add(b)
		extra = append(extra, b)
	}
	// The load generator reads these two lines to find both servers.
	fmt.Printf("api %s %s\ncontrol http://%s\n", hub.URL(), s.Token(), ln.Addr())
	// Then one line per extra bot: its token and @name.
	for _, b := range extra {
		fmt.Printf("bot %s %s\n", b.Token(), b.BotUsername())
	}
	<-ctx.Done()
	_ = srv.Close()
}

// Button is an inline button as GET /messages shows it.
type Button struct {
	Text string `json:"text"`
	Data string `json:"data"`
}

// Message is a bot message as GET /messages shows it.
type Message struct {
	ID       int        `json:"id"`
	Text     string     `json:"text"`
	Keyboard [][]Button `json:"keyboard,omitempty"`
	At       time.Time  `json:"at"`
	EditedAt time.Time  `json:"edited_at,omitzero"`
}

// Call is a recorded Bot API call as GET /calls shows it.
type Call struct {
	Method    string    `json:"method"`
	ChatID    int64     `json:"chat_id"`
	MessageID int       `json:"message_id,omitempty"`
	Text      string    `json:"text,omitempty"`
	At        time.Time `json:"at"`
	Status    int       `json:"status"`
}

// controlMux adds to the fake's own control API (telegramtest.ControlHandler)
// what a scenario acted out by one user needs:
//
//	POST /send?user=ID&text=…               the user writes (answers the update id)
//	POST /press?user=ID&message=N&data=…    he presses a button under message N
//	GET  /messages?chat=ID                  the bot's messages there, edits applied
//	GET  /calls?method=M&since=UNIXNANO     calls recorded, oldest first
//	POST /chats?first=ID&count=N            private chats ID…ID+N-1 started the bot
func controlMux(s *telegramtest.Server) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", s.ControlHandler())
	// The fake's own profiles, on its control address (loopback in the
	// bench): what a run costs on Telegram's side of the machine.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("POST /chats", func(w http.ResponseWriter, r *http.Request) {
		first, err1 := strconv.ParseInt(r.URL.Query().Get("first"), 10, 64)
		count, err2 := strconv.Atoi(r.URL.Query().Get("count"))
		if err1 != nil || err2 != nil || first <= 0 || count < 0 || count > 1_000_000 {
			http.Error(w, "first and count needed", http.StatusBadRequest)
			return
		}
		for i := range int64(count) {
			s.AddChat(first + i)
		}
		writeJSON(w, map[string]int{"added": count})
	})
	user := func(r *http.Request) (telegramtest.User, bool) {
		id, err := strconv.ParseInt(r.URL.Query().Get("user"), 10, 64)
		return telegramtest.User{ID: id, FirstName: "User " + strconv.FormatInt(id, 10), LanguageCode: "en"}, err == nil && id > 0
	}
	mux.HandleFunc("POST /send", func(w http.ResponseWriter, r *http.Request) {
		u, ok := user(r)
		if !ok || r.URL.Query().Get("text") == "" {
			http.Error(w, "user and text needed", http.StatusBadRequest)
			return
		}
		writeJSON(w, map[string]int64{"update_id": s.SendText(u, r.URL.Query().Get("text"))})
	})
	mux.HandleFunc("POST /press", func(w http.ResponseWriter, r *http.Request) {
		u, ok := user(r)
		msg, err := strconv.Atoi(r.URL.Query().Get("message"))
		if !ok || err != nil {
			http.Error(w, "user and message needed", http.StatusBadRequest)
			return
		}
		if _, ok := s.Message(u.ID, msg); !ok {
			http.Error(w, "no such message", http.StatusNotFound)
			return
		}
		writeJSON(w, map[string]int64{"update_id": s.PressButton(u, msg, r.URL.Query().Get("data"))})
	})
	mux.HandleFunc("GET /messages", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.URL.Query().Get("chat"), 10, 64)
		out := []Message{}
		for _, m := range s.Messages(id) {
			out = append(out, Message{ID: m.ID, Text: m.PlainText, Keyboard: buttons(m.InlineKeyboard), At: m.At, EditedAt: m.EditedAt})
		}
		writeJSON(w, out)
	})
	mux.HandleFunc("GET /calls", func(w http.ResponseWriter, r *http.Request) {
		method := r.URL.Query().Get("method")
		since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
		out := []Call{}
		for _, c := range s.Calls() {
			if (method != "" && c.Method != method) || c.At.UnixNano() < since {
				continue
			}
			chat, _ := strconv.ParseInt(c.Params["chat_id"], 10, 64)
			msg, _ := strconv.Atoi(c.Params["message_id"])
			out = append(out, Call{Method: c.Method, ChatID: chat, MessageID: msg, Text: c.Params["text"], At: c.At, Status: c.Status})
		}
		writeJSON(w, out)
	})
	return mux
}

func buttons(kb [][]models.InlineKeyboardButton) [][]Button {
	var out [][]Button
	for _, row := range kb {
		var r []Button
		for _, b := range row {
			r = append(r, Button{Text: b.Text, Data: b.CallbackData})
		}
		out = append(out, r)
	}
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
