// Package telegramtest owns a fake Telegram Bot API server: the Telegram
// of the end-to-end tests, and of the sandbox (`cairbot sandbox`), which
// runs it in the cairbot process with Start instead of New.
//
// The fake is a real HTTP server (net/http/httptest) that speaks the Bot API
// protocol the way api.telegram.org does: requests are POST
// <URL>/bot<token>/<method> with multipart/form-data (urlencoded, JSON and
// query-string parameters are accepted too), answers are
// {"ok":true,"result":...} or {"ok":false,"error_code":N,"description":"..."}
// with the matching HTTP status. Point github.com/go-telegram/bot at it with
//
//	bot.New(s.Token(), bot.WithServerURL(s.URL()), bot.WithSkipGetMe())
//
// The server plays the Telegram side of a conversation: tests act as users
// (SendText, SendTextInGroup, PressButton, Deliver), the bot's answers are
// recorded (Messages, Calls, Commands, CallbackAnswer) and faults can be
// injected (FailNext, Outage, Block). Updates reach the bot through
// getUpdates (long polling, with Telegram's offset confirmation) or, once
// setWebhook was called, are POSTed to the webhook with Telegram's retry
// behaviour: one chat's updates one after another, chats in parallel.
//
// Everything is safe for concurrent use.
package telegramtest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
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

	"github.com/go-telegram/bot/models"
)

// Defaults used when the corresponding Options field is zero.
const (
	DefaultToken             = "123456:TEST-token"
	DefaultBotUsername       = "cairbot_test_bot"
	DefaultBotID       int64 = 999
	// DefaultWebhookRetryDelay is the pause before an update rejected by the
	// webhook is posted again.
	DefaultWebhookRetryDelay = 50 * time.Millisecond
	// DefaultWebhookMaxAttempts bounds how often one update is posted to a
	// failing webhook before it is dropped (Telegram gives up too).
	DefaultWebhookMaxAttempts = 10
)

// Options configures a Server. The zero value is valid.
type Options struct {
	// Token is the bot token expected in request paths (DefaultToken).
	Token string
	// LimitsClock, when set, is the time Limits counts by (time.Now when
	// nil): a test that stops it sees every call in the same second,
	// however slow the machine.
	LimitsClock func() time.Time
	// BotUsername is the bot's username, without "@" (DefaultBotUsername).
	BotUsername string
	// BotID is the bot's user id returned by getMe (DefaultBotID).
	BotID int64
	// WebhookRetryDelay is the pause between webhook attempts for an update
	// the webhook did not accept with a 2xx status (DefaultWebhookRetryDelay).
	WebhookRetryDelay time.Duration
	// WebhookMaxAttempts is how many times one update is posted to the
	// webhook before it is dropped (DefaultWebhookMaxAttempts).
	WebhookMaxAttempts int
	// OnChange, when set, is called (in a goroutine of its own) after
	// anything visible changed in a chat: a message of the bot sent,
	// edited or deleted, or a user's message. The sandbox's page listens.
	OnChange func(chatID int64)
	// BeforeUpdate, when set, is called before each update a user makes
	// (SendText, PressButton, Deliver…) is handed to the bot, outside the
	// server's lock. The bot's tests wait there until the bot has heard of
	// what they changed in its database behind its back.
	BeforeUpdate func()
	// KeepFiles keeps the bytes of uploaded photos and documents, for File.
	KeepFiles bool
	// MaxCalls, when positive, keeps only the last MaxCalls recorded calls
	// (and updates, for Redeliver), so a server running for days (the
	// sandbox) does not grow without end.
	MaxCalls int
	// Limits makes the server refuse with 429 what real Telegram refuses:
	// more than ChatBurstLimit messages to one chat within a second, or
	// more than GlobalLimit within a second over all chats.
	Limits bool
}

// The limits enforced with Options.Limits: Telegram lets a chat have a
// short burst and about one message a second, and a bot about 30 messages
// a second overall.
const (
	ChatBurstLimit = 3
	GlobalLimit    = 30
)

// Call is one recorded Bot API request.
type Call struct {
	// Method is the method name as Telegram spells it (e.g. "sendMessage")
	// for known methods, else as it appeared in the path.
	Method string
	// Params holds every non-file parameter; JSON-typed parameters
	// (reply_markup, entities, ...) are kept as the JSON text sent.
	Params map[string]string
	// Files holds uploaded file contents by form field name.
	Files map[string][]byte
	// At is when the request arrived.
	At time.Time
	// Status is the HTTP status the server answered with.
	Status int
	// Chunked is set when the body came with chunked transfer encoding
	// rather than a Content-Length (a streamed body: a write per part).
	Chunked bool
}

// Server is a fake Telegram Bot API server. Create it with New.
type Server struct {
	tb     testing.TB
	opts   Options
	ts     *httptest.Server
	client *http.Client

	closed    chan struct{}
	closeOnce sync.Once
	workers   sync.WaitGroup

	mu sync.Mutex

	calls  []Call
	faults []*fault
	slow   []*slowCall
	held   []func() // HoldNext's releases, all called by Close
	holds  []*Held
	// recent holds the send times within the last second, for Limits.
	recent       []time.Time
	recentByChat map[int64][]time.Time
	limited      int

	chats     map[int64]*chat
	blocked   map[int64]bool
	sendTimes map[int64][]time.Time
	files     map[string]fileRecord
	fileSeq   int

	callbacks     map[string]*callbackState
	callbackByUpd map[int64]*callbackState
	callbackSeq   int64
	commands      map[commandKey][]models.BotCommand

	// parsed holds what the server made of a reply_markup or a command
	// list it was sent before, by the exact text: a bot sends the same
	// main menu with every reply, and parsing it again for each, under
	// the server's lock, was a tenth of the fake's CPU in `make bench`;
	// each message kept its own copy, 30 MB of the fake's heap. What is
	// kept here is shared and never changed.
	markups      map[string]*replyMarkup
	commandLists map[string][]models.BotCommand

	// load is the load run going on (RunLoad), if any.
	load *loadState

	updates
}

// New starts a fake Bot API server. tb.Cleanup closes it, ending any
// getUpdates long poll and stopping webhook delivery.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := Start(opts)
	s.tb = tb
	tb.Cleanup(s.Close)
	return s
}

// Start starts a fake Bot API server outside a test, on a free port of
// 127.0.0.1; the caller closes it. Misuse a test would be failed for
// (pressing a button under no message) is ignored.
func Start(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.BotUsername == "" {
		opts.BotUsername = DefaultBotUsername
	}
	opts.BotUsername = strings.TrimPrefix(opts.BotUsername, "@")
	if opts.BotID == 0 {
		opts.BotID = DefaultBotID
	}
	if opts.WebhookRetryDelay <= 0 {
		opts.WebhookRetryDelay = DefaultWebhookRetryDelay
	}
	if opts.WebhookMaxAttempts <= 0 {
		opts.WebhookMaxAttempts = DefaultWebhookMaxAttempts
	}
	s := &Server{
		opts:          opts,
		closed:        make(chan struct{}),
		chats:         map[int64]*chat{},
		blocked:       map[int64]bool{},
		sendTimes:     map[int64][]time.Time{},
		files:         map[string]fileRecord{},
		callbacks:     map[string]*callbackState{},
		callbackByUpd: map[int64]*callbackState{},
		commands:      map[commandKey][]models.BotCommand{},
		markups:       map[string]*replyMarkup{},
		commandLists:  map[string][]models.BotCommand{},
	}
	s.updates.init()
	// Telegram keeps its webhook connections open, up to the webhook's
	// max_connections (at most 100); net/http's default of two idle
	// connections a host had the fake dial afresh for most updates under
	// load, a cost on both sides that Telegram does not impose.
	s.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: maxWebhookConnections}}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.workers.Add(1)
	go s.webhookWorker()
	return s
}

// maxWebhookConnections is the largest max_connections setWebhook takes.
const maxWebhookConnections = 100

// errorf fails the test the server belongs to, if any.
func (s *Server) errorf(format string, args ...any) {
	if s.tb != nil {
		s.tb.Errorf(format, args...)
	}
}

// Close shuts the server down: pending long polls return, webhook delivery
// stops, and further requests fail to connect. It is called automatically by
// tb.Cleanup and is idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.mu.Lock()
		held := s.held
		s.mu.Unlock()
		for _, release := range held {
			release() // ts.Close waits for the requests in flight
		}
		s.workers.Wait()
		s.ts.Close()
		s.client.CloseIdleConnections()
	})
}

// URL is the server's base URL, suitable for bot.WithServerURL.
func (s *Server) URL() string { return s.ts.URL }

// Token is the bot token the server accepts.
func (s *Server) Token() string { return s.opts.Token }

// BotUsername is the bot's username without "@".
func (s *Server) BotUsername() string { return s.opts.BotUsername }

// BotID is the bot's user id.
func (s *Server) BotID() int64 { return s.opts.BotID }

// BotUser is the bot's user object, as getMe returns it.
func (s *Server) BotUser() models.User {
	return models.User{
		ID:                      s.opts.BotID,
		IsBot:                   true,
		FirstName:               "Cairbot Test",
		Username:                s.opts.BotUsername,
		CanJoinGroups:           true,
		CanReadAllGroupMessages: false,
		SupportInlineQueries:    false,
	}
}

// Calls returns every request received so far, in completion order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.keptCallsLocked()
	out := make([]Call, len(kept))
	for i, c := range kept {
		out[i] = c.clone()
	}
	return out
}

// keptCallsLocked are the recorded calls, the last MaxCalls of them when
// it is set (recordLocked trims the slice only now and then).
func (s *Server) keptCallsLocked() []Call {
	if s.opts.MaxCalls > 0 && len(s.calls) > s.opts.MaxCalls {
		return s.calls[len(s.calls)-s.opts.MaxCalls:]
	}
	return s.calls
}

// CallsTo returns the recorded requests to one method (case-insensitive).
func (s *Server) CallsTo(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.keptCallsLocked() {
		if strings.EqualFold(c.Method, method) {
			out = append(out, c.clone())
		}
	}
	return out
}

func (c Call) clone() Call {
	p := make(map[string]string, len(c.Params))
	for k, v := range c.Params {
		p[k] = v
	}
	f := make(map[string][]byte, len(c.Files))
	for k, v := range c.Files {
		f[k] = bytes.Clone(v)
	}
	c.Params, c.Files = p, f
	return c
}

// --- fault injection -------------------------------------------------------

type fault struct {
	method    string
	chatID    int64
	err       apiError
	remaining int // < 0: until the outage is ended
}

// FailNext makes the next `times` calls to method (case-insensitive; "" = any
// method) whose chat_id is chatID (0 = any chat) fail with the given HTTP
// code. The description is Telegram's for that code: 429 → "Too Many
// Requests: retry after N" with parameters.retry_after = retryAfter, 403 →
// "Forbidden: bot was blocked by the user", 500 → "Internal Server Error",
// 502 → "Bad Gateway", others → "<status text>". times <= 0 means 1.
func (s *Server) FailNext(method string, chatID int64, code int, retryAfter int, times int) {
	s.failNext(method, chatID, apiError{Code: code, Description: defaultDescription(code, retryAfter), RetryAfter: retryAfter}, times)
}

// FailNextWith is FailNext with a custom description, e.g.
// FailNextWith("editMessageText", 0, 400, "Bad Request: message to edit not found", 1).
func (s *Server) FailNextWith(method string, chatID int64, code int, description string, times int) {
	s.failNext(method, chatID, apiError{Code: code, Description: description}, times)
}

func (s *Server) failNext(method string, chatID int64, e apiError, times int) {
	if times <= 0 {
		times = 1
	}
	s.addFault(&fault{method: method, chatID: chatID, err: e, remaining: times})
}

// Outage makes every call to method (case-insensitive; "" = any method)
// whose chat_id is chatID (0 = any chat) fail with the HTTP code, as
// FailNext does, for as long as Telegram is "down": until the returned
// function is called (it may be called more than once). It is for tests
// that an outage longer than the bot's retry budget loses nothing.
func (s *Server) Outage(method string, chatID int64, code int) (end func()) {
	f := &fault{method: method, chatID: chatID, err: apiError{Code: code, Description: defaultDescription(code, 0)}, remaining: -1}
	s.addFault(f)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if i := slices.Index(s.faults, f); i >= 0 {
			s.faults = slices.Delete(s.faults, i, i+1)
		}
	}
}

func (s *Server) addFault(f *fault) {
	if f.err.Code == http.StatusTooManyRequests && f.err.RetryAfter <= 0 {
		f.err.RetryAfter = 1
		f.err.Description = defaultDescription(f.err.Code, 1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

func defaultDescription(code, retryAfter int) string {
	switch code {
	case http.StatusTooManyRequests:
		return "Too Many Requests: retry after " + strconv.Itoa(retryAfter)
	case http.StatusForbidden:
		return "Forbidden: bot was blocked by the user"
	case http.StatusBadRequest:
		return "Bad Request"
	case http.StatusUnauthorized:
		return "Unauthorized"
	case http.StatusNotFound:
		return "Not Found"
	case http.StatusConflict:
		return "Conflict"
	case http.StatusInternalServerError:
		return "Internal Server Error"
	case http.StatusBadGateway:
		return "Bad Gateway"
	}
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Error " + strconv.Itoa(code)
}

// SlowNext makes the next `times` calls to method for chatID (0 = any
// chat) take effect at once but answer only after d, as Telegram does when
// it is overloaded.
func (s *Server) SlowNext(method string, chatID int64, d time.Duration, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slow = append(s.slow, &slowCall{method: method, chatID: chatID, delay: d, remaining: max(times, 1)})
}

// HoldNext makes the next call to method for chatID (0 = any chat) take
// effect at once but answer only once release is called (or the server
// closes): a test sees what the bot does while one call is in flight,
// without a clock.
func (s *Server) HoldNext(method string, chatID int64) (release func()) {
	gate := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slow = append(s.slow, &slowCall{method: method, chatID: chatID, gate: gate, remaining: 1})
	s.held = append(s.held, release)
	return release
}

type slowCall struct {
	method    string
	chatID    int64
	delay     time.Duration
	gate      <-chan struct{} // HoldNext's: the answer waits for it
	remaining int
}

func (s *Server) takeSlowLocked(method string, r *request) *slowCall {
	chatID, _ := strconv.ParseInt(r.params["chat_id"], 10, 64)
	for i, c := range s.slow {
		if (c.method != "" && !strings.EqualFold(c.method, method)) || (c.chatID != 0 && c.chatID != chatID) {
			continue
		}
		c.remaining--
		if c.remaining <= 0 {
			s.slow = append(s.slow[:i], s.slow[i+1:]...)
		}
		return c
	}
	return nil
}

// Limited is how many calls Options.Limits refused with 429.
func (s *Server) Limited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limited
}

// overLimitLocked applies Options.Limits to the methods that send a
// message.
func (s *Server) overLimitLocked(method string, r *request) *apiError {
	if !s.opts.Limits {
		return nil
	}
	switch method {
	case "sendMessage", "sendPhoto", "sendDocument":
	default:
		return nil
	}
	chatID, _ := strconv.ParseInt(r.params["chat_id"], 10, 64)
	now := time.Now()
	if s.opts.LimitsClock != nil {
		now = s.opts.LimitsClock()
	}
	since := now.Add(-time.Second)
	keep := func(ts []time.Time) []time.Time {
		i := 0
		for i < len(ts) && !ts[i].After(since) {
			i++
		}
		return ts[i:]
	}
	if s.recentByChat == nil {
		s.recentByChat = map[int64][]time.Time{}
	}
	s.recent = keep(s.recent)
	chat := keep(s.recentByChat[chatID])
	if len(chat) >= ChatBurstLimit || len(s.recent) >= GlobalLimit {
		s.recentByChat[chatID] = chat
		s.limited++
		return &apiError{Code: http.StatusTooManyRequests, Description: defaultDescription(http.StatusTooManyRequests, 1), RetryAfter: 1}
	}
	s.recent = append(s.recent, now)
	s.recentByChat[chatID] = append(chat, now)
	return nil
}

// takeFaultLocked consumes the first fault matching the call, if any.
func (s *Server) takeFaultLocked(method string, r *request) *apiError {
	chatID, _ := strconv.ParseInt(r.params["chat_id"], 10, 64)
	for i, f := range s.faults {
		if f.method != "" && !strings.EqualFold(f.method, method) {
			continue
		}
		if f.chatID != 0 && f.chatID != chatID {
			continue
		}
		if f.remaining > 0 {
			f.remaining--
			if f.remaining == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
		}
		e := f.err
		return &e
	}
	return nil
}

// --- HTTP plumbing ---------------------------------------------------------

// apiError is a Telegram error answer.
type apiError struct {
	Code        int
	Description string
	RetryAfter  int
}

func badRequest(desc string) *apiError {
	return &apiError{Code: http.StatusBadRequest, Description: "Bad Request: " + desc}
}

// withDescription is a successful result carrying Telegram's optional
// top-level "description" (setWebhook, deleteWebhook).
type withDescription struct {
	result      any
	description string
}

type request struct {
	params    map[string]string
	files     map[string][]byte
	fileNames map[string]string
}

func (r *request) str(key string) string { return r.params[key] }

func (r *request) has(key string) bool {
	if _, ok := r.params[key]; ok {
		return true
	}
	_, ok := r.files[key]
	return ok
}

func (r *request) boolean(key string) bool {
	v := strings.ToLower(strings.TrimSpace(r.params[key]))
	return v == "true" || v == "1"
}

// integer parses an integer parameter; missing means 0.
func (r *request) integer(key string) (int64, bool) {
	v := strings.TrimSpace(r.params[key])
	if v == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

const maxRequestBody = 64 << 20

// parseRequest reads parameters the way the Bot API accepts them: query
// string, urlencoded, JSON or multipart/form-data bodies.
func parseRequest(r *http.Request) (*request, error) {
	req := &request{params: map[string]string{}, files: map[string][]byte{}, fileNames: map[string]string{}}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			req.params[k] = v[0]
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return req, nil // go-telegram sends an empty multipart body for parameterless methods
	}
	mediaType, mparams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "multipart/form-data":
		form, err := multipart.NewReader(bytes.NewReader(body), mparams["boundary"]).ReadForm(maxRequestBody)
		if err != nil {
			return nil, err
		}
		defer form.RemoveAll()
		for k, v := range form.Value {
			if len(v) > 0 {
				req.params[k] = v[0]
			}
		}
		for k, fhs := range form.File {
			if len(fhs) == 0 {
				continue
			}
			f, err := fhs[0].Open()
			if err != nil {
				return nil, err
			}
			data, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				return nil, err
			}
			req.files[k] = data
			req.fileNames[k] = fhs[0].Filename
		}
	case "application/json":
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				req.params[k] = s
			} else {
				req.params[k] = string(v)
			}
		}
	default: // application/x-www-form-urlencoded or unspecified
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		for k, v := range vals {
			if len(v) > 0 {
				req.params[k] = v[0]
			}
		}
	}
	return req, nil
}

type okBody struct {
	OK          bool   `json:"ok"`
	Result      any    `json:"result"`
	Description string `json:"description,omitempty"`
}

type errParams struct {
	RetryAfter int `json:"retry_after,omitempty"`
}

type errBody struct {
	OK          bool       `json:"ok"`
	ErrorCode   int        `json:"error_code"`
	Description string     `json:"description"`
	Parameters  *errParams `json:"parameters,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data, _ = json.Marshal(errBody{ErrorCode: status, Description: "Internal Server Error: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func writeError(w http.ResponseWriter, e *apiError) int {
	b := errBody{ErrorCode: e.Code, Description: e.Description}
	if e.RetryAfter > 0 {
		b.Parameters = &errParams{RetryAfter: e.RetryAfter}
	}
	writeJSON(w, e.Code, b)
	return e.Code
}

func (s *Server) serveHTTP(w http.ResponseWriter, hr *http.Request) {
	at := time.Now()
	rest, ok := strings.CutPrefix(hr.URL.Path, "/bot")
	token, methodName, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || methodName == "" || strings.Contains(methodName, "/") {
		writeError(w, &apiError{Code: http.StatusNotFound, Description: "Not Found"})
		return
	}
	req, perr := parseRequest(hr)
	if perr != nil {
		req = &request{params: map[string]string{}, files: map[string][]byte{}}
	}
	spec, known := methodTable[strings.ToLower(methodName)]
	if known {
		methodName = spec.name
	}
	s.dispatch(w, hr, token, Call{Method: methodName, Params: req.params, Files: req.files, At: at, Chunked: len(hr.TransferEncoding) > 0}, spec, known, req, perr)
}

// dispatch answers the call and records it. A method that changes the
// server's state records its call under the same lock, so that a test
// seeing the change (a message) finds the call too.
func (s *Server) dispatch(w http.ResponseWriter, hr *http.Request, token string, call Call, spec methodSpec, known bool, req *request, perr error) {
	record := func(status int) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.recordLocked(call, status)
	}
	switch {
	case token != s.opts.Token:
		record(writeError(w, &apiError{Code: http.StatusUnauthorized, Description: "Unauthorized"}))
		return
	case !known:
		record(writeError(w, &apiError{Code: http.StatusNotFound, Description: "Not Found"}))
		return
	case perr != nil:
		record(writeError(w, badRequest("can't parse request: "+perr.Error())))
		return
	}
	s.waitIfHeld(call.Method)
	s.mu.Lock()
	if f := s.takeFaultLocked(call.Method, req); f != nil {
		s.recordLocked(call, f.Code)
		s.mu.Unlock()
		writeError(w, f)
		return
	}
	if f := s.overLimitLocked(call.Method, req); f != nil {
		s.recordLocked(call, f.Code)
		s.mu.Unlock()
		writeError(w, f)
		return
	}
	// A slow call is carried out, but its answer comes late: a client that
	// gives up first does not know the message arrived.
	slow := s.takeSlowLocked(call.Method, req)
	var (
		res  any
		aerr *apiError
	)
	status := http.StatusOK
	if spec.unlocked != nil {
		s.mu.Unlock()
		res, aerr = spec.unlocked(s, hr, req)
		if aerr != nil {
			status = aerr.Code
		}
		record(status)
	} else {
		res, aerr = spec.locked(s, req)
		if aerr != nil {
			status = aerr.Code
		}
		s.recordLocked(call, status)
		s.mu.Unlock()
	}
	if slow != nil {
		time.Sleep(slow.delay)
		if slow.gate != nil {
			<-slow.gate
		}
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	body := okBody{OK: true, Result: res}
	if wd, ok := res.(withDescription); ok {
		body.Result, body.Description = wd.result, wd.description
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) recordLocked(c Call, status int) {
	c.Status = status
	s.calls = append(s.calls, c)
	// Trimmed once it holds twice MaxCalls, not at every call: moving
	// MaxCalls calls up at each one was a tenth of the fake's CPU in
	// `make bench`. Readers see the last MaxCalls (keptCallsLocked).
	if s.opts.MaxCalls > 0 && len(s.calls) >= 2*s.opts.MaxCalls {
		s.calls = slices.Delete(s.calls, 0, len(s.calls)-s.opts.MaxCalls)
	}
	if status == http.StatusOK && changesChat[c.Method] {
		id, _ := strconv.ParseInt(c.Params["chat_id"], 10, 64)
		s.changedLocked(id)
		if s.load != nil && (c.Method == "sendMessage" || (c.Method == "editMessageText" && s.load.edits)) {
			s.load.answered(id, c.At)
		}
	}
}

// changesChat are the methods whose success changes what a chat shows.
var changesChat = map[string]bool{
	"sendMessage": true, "sendPhoto": true, "sendDocument": true,
	"editMessageText": true, "editMessageReplyMarkup": true, "deleteMessage": true,
}

// changedLocked tells Options.OnChange that a chat changed.
func (s *Server) changedLocked(chatID int64) {
	if s.opts.OnChange != nil && chatID != 0 {
		go s.opts.OnChange(chatID)
	}
}

// methodSpec describes one Bot API method. locked handlers run with s.mu
// held; unlocked ones manage locking themselves (they may block).
type methodSpec struct {
	name     string
	locked   func(s *Server, r *request) (any, *apiError)
	unlocked func(s *Server, hr *http.Request, r *request) (any, *apiError)
}

var methodTable map[string]methodSpec

func init() {
	locked := map[string]func(*Server, *request) (any, *apiError){
		"getMe":                  (*Server).getMe,
		"getWebhookInfo":         (*Server).getWebhookInfo,
		"sendMessage":            (*Server).sendMessage,
		"sendPhoto":              (*Server).sendPhoto,
		"sendDocument":           (*Server).sendDocument,
		"editMessageText":        (*Server).editMessageText,
		"editMessageReplyMarkup": (*Server).editMessageReplyMarkup,
		"deleteMessage":          (*Server).deleteMessage,
		"answerCallbackQuery":    (*Server).answerCallbackQuery,
		"setMyCommands":          (*Server).setMyCommands,
		"getMyCommands":          (*Server).getMyCommands,
		"deleteMyCommands":       (*Server).deleteMyCommands,
		"setWebhook":             (*Server).setWebhook,
		"deleteWebhook":          (*Server).deleteWebhook,
	}
	methodTable = map[string]methodSpec{}
	for name, h := range locked {
		methodTable[strings.ToLower(name)] = methodSpec{name: name, locked: h}
	}
	methodTable["getupdates"] = methodSpec{name: "getUpdates", unlocked: (*Server).getUpdates}
}
