package sandbox

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/locales"
)

// The page: plain HTML, CSS and JavaScript, no build step.
//
//go:embed web
var web embed.FS

func (s *Sandbox) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(web, "web")
	mux.Handle("GET /", http.FileServerFS(static))
	mux.HandleFunc("GET /api/state", s.handleState)
	mux.HandleFunc("GET /api/chat/{tg}", s.handleChat)
	mux.HandleFunc("POST /api/send", s.handleSend)
	mux.HandleFunc("POST /api/press", s.handlePress)
	mux.HandleFunc("POST /api/clock/{how}", s.handleClock)
	mux.HandleFunc("POST /api/reset", s.handleReset)
	mux.HandleFunc("GET /api/file/{id}", s.handleFile)
	mux.HandleFunc("GET /api/events", s.handleEvents)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// handleState: the demo people and the sandbox's time.
func (s *Sandbox) handleState(w http.ResponseWriter, r *http.Request) {
	s.refreshLinked(r.Context())
	s.mu.Lock()
	people := append([]Person(nil), s.people...)
	s.mu.Unlock()
	now := s.clock.Now().In(s.cfg.Location)
	writeJSON(w, http.StatusOK, map[string]any{
		"people": people,
		"now":    now.Format(time.RFC3339),
		"clock":  now.Format("Mon 2 Jan 2006 15:04"),
		"rtl":    rtlTags(),
	})
}

// rtlTags are the languages written right to left.
func rtlTags() []string {
	var out []string
	for _, l := range locales.Languages {
		if l.RTL {
			out = append(out, l.Tag)
		}
	}
	return out
}

// person finds a demo person by his Telegram account.
func (s *Sandbox) person(tg int64) (Person, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.people {
		if p.TelegramID == tg {
			return p, true
		}
	}
	return Person{}, false
}

func (s *Sandbox) user(p Person) telegramtest.User {
	lang := p.Language
	if lang == "fa-AF" {
		lang = "fa"
	}
	first, last, _ := strings.Cut(strings.TrimSuffix(p.Name, " (demo)"), " ")
	return telegramtest.User{ID: p.TelegramID, FirstName: first, LastName: last, LanguageCode: lang}
}

// bubble is one message as the page draws it.
type bubble struct {
	ID       int                             `json:"id"`
	Mine     bool                            `json:"mine"`
	Text     string                          `json:"text"`
	Kind     string                          `json:"kind"`
	File     string                          `json:"file,omitempty"`
	FileName string                          `json:"fileName,omitempty"`
	Inline   [][]models.InlineKeyboardButton `json:"inline,omitempty"`
	Edited   bool                            `json:"edited"`
	At       string                          `json:"at"`
	Entities []models.MessageEntity          `json:"entities,omitempty"`
}

// handleChat: a person's chat with the bot, and the reply keyboard he
// has now (the last one the bot sent, unless removed since).
func (s *Sandbox) handleChat(w http.ResponseWriter, r *http.Request) {
	tg, err := strconv.ParseInt(r.PathValue("tg"), 10, 64)
	if err != nil {
		http.Error(w, "bad chat", http.StatusBadRequest)
		return
	}
	var (
		out      []bubble
		keyboard [][]string
	)
	for _, e := range s.tg.Transcript(tg) {
		if e.User != nil {
			out = append(out, bubble{ID: e.User.ID, Mine: true, Text: e.User.Text, Kind: "text",
				At: s.clockTime(e.User.At)})
			continue
		}
		m := e.Bot
		b := bubble{ID: m.ID, Text: m.PlainText, Kind: m.Kind, Inline: m.InlineKeyboard, Edited: m.Edits > 0,
			At: s.clockTime(m.At), Entities: m.Entities}
		if m.FileID != "" {
			b.File, b.FileName = "/api/file/"+m.FileID, m.FileName
		}
		switch {
		case m.ReplyKeyboard != nil:
			keyboard = m.ReplyKeyboard
		case m.RemoveKeyboard:
			keyboard = nil
		}
		out = append(out, b)
	}
	if out == nil {
		out = []bubble{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": out, "keyboard": keyboard})
}

// clockTime shows an instant of the machine's clock on the sandbox's.
func (s *Sandbox) clockTime(t time.Time) string {
	moved := s.clock.Now().Sub(time.Now())
	return t.Add(moved).In(s.cfg.Location).Format("15:04")
}

func (s *Sandbox) handleSend(w http.ResponseWriter, r *http.Request) {
	var req struct {
		TG   int64  `json:"tg"`
		Text string `json:"text"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || strings.TrimSpace(req.Text) == "" {
		http.Error(w, "bad message", http.StatusBadRequest)
		return
	}
	p, ok := s.person(req.TG)
	if !ok {
		http.Error(w, "no such demo person", http.StatusNotFound)
		return
	}
	s.tg.SendText(s.user(p), req.Text)
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Sandbox) handlePress(w http.ResponseWriter, r *http.Request) {
	var req struct {
		TG      int64  `json:"tg"`
		Message int    `json:"message"`
		Data    string `json:"data"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad press", http.StatusBadRequest)
		return
	}
	p, ok := s.person(req.TG)
	if !ok {
		http.Error(w, "no such demo person", http.StatusNotFound)
		return
	}
	if _, ok := s.tg.Message(req.TG, req.Message); !ok {
		http.Error(w, "no such message", http.StatusNotFound)
		return
	}
	upd := s.tg.PressButton(s.user(p), req.Message, req.Data)
	// The bot's answer to the button (a toast in Telegram), if it comes soon.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if text, ok := s.tg.CallbackAnswer(upd); ok {
			writeJSON(w, http.StatusOK, map[string]string{"answer": text})
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	writeJSON(w, http.StatusOK, map[string]string{})
}

func (s *Sandbox) handleClock(w http.ResponseWriter, r *http.Request) {
	to, err := s.Move(r.Context(), r.PathValue("how"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"now": to.In(s.cfg.Location).Format(time.RFC3339)})
}

func (s *Sandbox) handleReset(w http.ResponseWriter, r *http.Request) {
	if err := s.Reset(r.Context()); err != nil {
		s.log.Error("sandbox reset", "err", err)
		http.Error(w, "reset failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Sandbox) handleFile(w http.ResponseWriter, r *http.Request) {
	name, data, ok := s.tg.File(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = http.DetectContentType(data)
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", name))
	_, _ = w.Write(data)
}

// handleEvents streams what changed (server-sent events): a chat, the
// clock, a reset. The page fetches what it shows again.
func (s *Sandbox) handleEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ch, cancel := s.hub.subscribe()
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fmt.Fprint(w, ": hello\n\n")
	flusher.Flush()
	ping := time.NewTicker(20 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev, ok := <-ch:
			if !ok {
				return
			}
			fmt.Fprintf(w, "data: %s\n\n", ev)
			flusher.Flush()
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
			flusher.Flush()
		}
	}
}

// hub fans events out to the open pages; a slow page misses events, not
// the server's time (it refetches on the next one).
type hub struct {
	mu     sync.Mutex
	subs   map[chan string]struct{}
	closed bool
}

func newHub() *hub { return &hub{subs: map[chan string]struct{}{}} }

func (h *hub) subscribe() (<-chan string, func()) {
	ch := make(chan string, 64)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	h.subs[ch] = struct{}{}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
	}
}

func (h *hub) publish(ev string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		delete(h.subs, ch)
		close(ch)
	}
}
