package telegramtest

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Hub serves several fake bots at one address, as api.telegram.org serves
// every bot: a request goes to the bot whose token is in its path, and an
// unknown token is refused with 401. Each bot is a Server of its own, with
// its own chats, update ids (numbered from 1 by each bot, as Telegram
// numbers them per bot), webhook and limits — Telegram's limits are per
// bot. A deployment serving many centres, each with its own bot, is tested
// against a Hub.
type Hub struct {
	ts   *httptest.Server
	mu   sync.RWMutex
	bots map[string]*Server
}

// NewHub starts a hub serving bots; tb.Cleanup closes it. The bots stay
// reachable at their own URL too.
func NewHub(tb testing.TB, bots ...*Server) *Hub {
	tb.Helper()
	h := StartHub(bots...)
	tb.Cleanup(h.Close)
	return h
}

// StartHub starts a hub outside a test; the caller closes it.
func StartHub(bots ...*Server) *Hub {
	h := &Hub{bots: map[string]*Server{}}
	for _, b := range bots {
		h.Add(b)
	}
	h.ts = httptest.NewServer(http.HandlerFunc(h.serveHTTP))
	return h
}

// Add serves one more bot, under its token.
func (h *Hub) Add(s *Server) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.bots[s.Token()] = s
}

// URL is the hub's base URL, for every bot (bot.WithServerURL,
// TELEGRAM_API_URL).
func (h *Hub) URL() string { return h.ts.URL }

// Close stops the hub (not its bots).
func (h *Hub) Close() { h.ts.Close() }

func (h *Hub) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rest, _ := strings.CutPrefix(r.URL.Path, "/bot")
	token, _, _ := strings.Cut(rest, "/")
	h.mu.RLock()
	s, ok := h.bots[token]
	h.mu.RUnlock()
	if !ok {
		writeError(w, &apiError{Code: http.StatusUnauthorized, Description: "Unauthorized"})
		return
	}
	s.serveHTTP(w, r)
}

// NthBot is the options of a hub's n-th extra bot (n from 1): its own
// token, @name and id, distinct from the default bot's and from each
// other. Tests, cmd/faketelegram and the benchmark name their bots alike.
func NthBot(n int, o Options) Options {
	o.Token = strconv.Itoa(int(DefaultBotID)+n) + ":TEST-token-" + strconv.Itoa(n)
	o.BotUsername = "cairbot_test_" + strconv.Itoa(n) + "_bot"
	o.BotID = DefaultBotID + int64(n)
	return o
}
