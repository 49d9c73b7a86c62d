package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplate()
	os.Exit(code)
}

// clock is the bot's time in a test, River's included. It starts at
// storetest.Now and runs with the machine's clock, so that what waits
// seconds (a snoozed job, the pace of progress messages) waits as it
// would; tests move it forward to reach a day.
type clock struct {
	mu     sync.Mutex
	offset time.Duration // from the machine's clock
}

func newClock(start time.Time) *clock { return &clock{offset: time.Until(start)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// harness runs a real cairbot (polling or webhook) against the fake Bot API
// server, a fresh PostgreSQL database and a Redis prefix of its own.
type harness struct {
	t       testing.TB
	tg      *telegramtest.Server
	pool    *pgxpool.Pool
	rdb     *redis.Client
	st      *store.Store
	cfg     bot.Config
	begin   time.Time // the instant the test begins at (storetest.Now)
	clock   *clock
	logs    *logRecorder
	catalog *locales.Catalog
	app     *bot.App
	cancel  context.CancelFunc
	done    chan error
	probes  int
	hook    *httptest.Server
	hookMu  sync.Mutex
	hookApp *bot.App
	// tgOpts configure the fake Telegram; options set them before it starts.
	tgOpts telegramtest.Options
	// logOut, when set, gets every log line of the bot at every level
	// (captureLogs).
	logOut slog.Handler
	// deps, where an option sets them, replace the bot's connections and
	// metrics (countRoundTrips); the harness's own serve the rest.
	deps bot.Deps
	// centres are the centres with a bot of their own (withCentres).
	centres map[string]*testCentre
	// hub serves every bot at one address (withCentres); a test adds a
	// bot to it as @BotFather would make one.
	hub *telegramtest.Hub
}

type harnessOption func(*harness)

// webhookMode makes the bot take updates on its webhook instead of polling.
func webhookMode(h *harness) {
	h.hook = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.hookMu.Lock()
		app := h.hookApp
		h.hookMu.Unlock()
		if app == nil {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		app.WebhookHandler().ServeHTTP(w, r)
	}))
	h.t.Cleanup(h.hook.Close)
	h.cfg.WebhookURL = h.hook.URL + "/telegram/webhook"
	h.cfg.WebhookSecret = "s3cret_token-for-tests"
}

// fastRetries makes a Telegram outage quick to live through: the Sender
// backs off from 10 ms, the poller tries a held update again after 50 ms,
// the fake Telegram posts a refused webhook update again every 20 ms and
// never gives up, and the rate limits do not slow the retries down.
func fastRetries(h *harness) {
	h.cfg.SendBackoff = 10 * time.Millisecond
	h.cfg.RetryPause = 50 * time.Millisecond
	h.cfg.ChatRate = 1000
	h.cfg.GlobalRate = 1000
	h.tgOpts.WebhookRetryDelay = 20 * time.Millisecond
	h.tgOpts.WebhookMaxAttempts = 1 << 20
}

// inDaytime begins the test at 10:00 in Paris, on its first day or the
// next: a leader starting at night puts off its morning messages (the
// Monday rota), which would then come in the middle of the test.
func inDaytime(h *harness) {
	b := storetest.Day(h.begin, 0, 10, 0)
	if b.Before(h.begin) {
		b = storetest.Day(h.begin, 1, 10, 0)
	}
	h.begin, h.clock = b, newClock(b)
}

func newHarness(t testing.TB, opts ...harnessOption) *harness {
	t.Helper()
	pool := storetest.NewPool(t)
	rdb, prefix := storetest.NewRedis(t)
	cfg := bot.Defaults()
	cfg.RedisPrefix = prefix
	cfg.ListenAddr = "127.0.0.1:0"
	cfg.Workers = 4
	cfg.ChatRate = 5
	// Fast chats and a fast Telegram: the tests of pacing set their own
	// rates.
	cfg.ChatPerSecond = 50
	cfg.GlobalRate = 200
	cfg.Location, _ = time.LoadLocation("Europe/Paris")
	catalog, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{
		t: t, pool: pool, rdb: rdb, st: store.New(pool), cfg: cfg, catalog: catalog,
		begin: storetest.Now(t), logs: &logRecorder{},
	}
	h.clock = newClock(h.begin)
	h.tgOpts.BeforeUpdate = h.awaitPeopleChanges
	for _, o := range opts {
		o(h)
	}
	h.tg = telegramtest.New(t, h.tgOpts)
	h.cfg.TelegramToken = h.tg.Token()
	h.cfg.TelegramAPIURL = h.tg.URL()
	if h.centres != nil {
		h.setUpCentres()
	}
	h.start()
	t.Cleanup(h.stop)
	h.hurryScheduler()
	return h
}

// hurryScheduler does every 100 ms what River's scheduler does every 5 s
// (bot.ReleaseDue): the jobs due on the bot's clock run as they would,
// only sooner after a test moves the clock or a retry falls due, and the
// suite's time is no longer spent waiting for the scheduler's next round.
func (h *harness) hurryScheduler() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	h.t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				_ = bot.ReleaseDue(ctx, h.pool, h.clock.Now()) // fails only as the test ends
			}
		}
	}()
}

func (h *harness) start() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out slog.Handler
	if testing.Verbose() {
		out = slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})
	}
	if h.logOut != nil {
		out = h.logOut
	}
	log := slog.New(&logHandler{rec: h.logs, next: out})
	deps := h.deps
	if deps.Pool == nil {
		deps.Pool, deps.Redis = h.pool, h.rdb
	}
	deps.Log, deps.Clock = log, h.clock.Now
	app, err := bot.New(ctx, h.cfg, deps)
	if err != nil {
		cancel()
		h.t.Fatalf("bot.New: %v", err)
	}
	h.app, h.cancel, h.done = app, cancel, make(chan error, 1)
	// Messages the test queues itself leave through this run's job queue.
	h.st.UseOutboxScheduler(bot.NewOutboxScheduler(app.Jobs()))
	h.hookMu.Lock()
	h.hookApp = app
	h.hookMu.Unlock()
	go func() { h.done <- app.Run(ctx) }()
}

// awaitPeopleChanges waits, before each update a test makes, until the bot
// has heard of every change to people committed so far (the tests write
// them behind its back, through their own connections, as another process
// or an administrator in psql would): the bot keeps people in memory, and
// forgets them when PostgreSQL's notification arrives, a few milliseconds
// later — a person's next update could otherwise come first.
func (h *harness) awaitPeopleChanges() {
	h.hookMu.Lock()
	app := h.hookApp
	h.hookMu.Unlock()
	if app == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.AwaitPeopleChanges(ctx); err != nil {
		h.t.Errorf("the bot did not hear of the changes to people: %v", err)
	}
}

// stop shuts the bot down as SIGTERM would and waits for it.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("bot stopped with error: %v", err)
		}
	case <-time.After(40 * time.Second):
		h.t.Errorf("bot did not stop within 40s")
	}
	h.cancel = nil
	h.hookMu.Lock()
	h.hookApp = nil
	h.hookMu.Unlock()
}

func (h *harness) restart() {
	h.t.Helper()
	h.stop()
	h.start()
}

// addPerson creates a person with an invite, as `cairbot people add` does.
func (h *harness) addPerson(role store.Role, name, room, lang string) (store.Person, string) {
	h.t.Helper()
	centre, err := h.st.CentreBySlug(context.Background(), h.cfg.Centre)
	if err != nil {
		h.t.Fatal(err)
	}
	p, code, err := h.st.CreatePersonWithInvite(context.Background(), store.NewPerson{
		CentreID: centre.ID, Role: role, DisplayName: name, Room: room, Language: lang,
	}, nil, h.clock.Now().Add(14*24*time.Hour))
	if err != nil {
		h.t.Fatal(err)
	}
	return p, code
}

// signUp links a Telegram user to a new person and picks his language,
// through the bot, and returns how many messages his chat has after it.
func (h *harness) signUp(u telegramtest.User, role store.Role, name, lang string) (store.Person, int) {
	h.t.Helper()
	p, code := h.addPerson(role, name, "214", lang)
	h.tg.SendText(u, "/start "+code)
	msgs := h.tg.WaitMessages(h.t, u.ID, 2, 10*time.Second)
	picker := msgs[len(msgs)-1]
	h.tg.PressButton(u, picker.ID, "lang:"+lang)
	n := 4 // welcome, picker, privacy notice, menu
	h.tg.WaitMessages(h.t, u.ID, n, 10*time.Second)
	return p, n
}

// loc is the localizer of a language, to compare what users see.
func (h *harness) loc(tag string) *locales.Localizer { return h.catalog.Localizer(tag) }

// waitText waits for the chat's message number n (1-based) and returns it.
func (h *harness) waitText(u telegramtest.User, n int) telegramtest.SentMessage {
	h.t.Helper()
	return h.tg.WaitMessages(h.t, u.ID, n, 10*time.Second)[n-1]
}

// quiet asserts that the chat has n messages and that nothing more is on
// its way: every update of the chat is handled and no job due on the bot's
// clock is left to work.
func (h *harness) quiet(u telegramtest.User, n int) {
	h.t.Helper()
	h.probe(u)
	h.settle()
	if got := len(h.tg.Messages(u.ID)); got != n {
		h.t.Fatalf("chat %d has %d messages, want %d: %+v", u.ID, got, n, texts(h.tg.Messages(u.ID)))
	}
}

// probe returns once the bot handled every update u sent before: a chat's
// updates are handled in order, and a button the bot does not know is
// answered with answerCallbackQuery only, which adds nothing to the chat.
func (h *harness) probe(u telegramtest.User) {
	h.t.Helper()
	const data = "probe"
	msgs := h.tg.Messages(u.ID)
	var upd int64
	for i := len(msgs) - 1; i >= 0 && upd == 0; i-- {
		if !msgs[i].Deleted {
			upd = h.tg.PressButton(u, msgs[i].ID, data)
		}
	}
	if upd == 0 { // no message of the bot to press a button on
		h.probes++
		upd = h.tg.Deliver(models.Update{CallbackQuery: &models.CallbackQuery{
			ID: fmt.Sprintf("probe-%d-%d", u.ID, h.probes), From: u.Model(), Data: data,
			Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage,
				// A date, or the bot takes the message for an inaccessible one.
				Message: &models.Message{ID: 1, Date: int(h.clock.Now().Unix()), Chat: models.Chat{ID: u.ID, Type: models.ChatTypePrivate}}},
		}})
	}
	h.tg.WaitCallbackAnswer(h.t, upd, 10*time.Second)
}

// settle waits until River has worked every job due on the bot's clock:
// none is left waiting, running, or to retry by now.
func (h *harness) settle() {
	h.t.Helper()
	h.tg.WaitFor(h.t, 30*time.Second, "the jobs due worked", func() bool {
		now := h.clock.Now()
		for _, j := range h.jobs("", jobsUnfinished...) {
			if !j.ScheduledAt.After(now) {
				return false
			}
		}
		return true
	})
}

// setClock moves the bot's clock forward to t. The jobs due by then are
// made available within 100 ms (hurryScheduler).
func (h *harness) setClock(t time.Time) {
	h.t.Helper()
	d := t.Sub(h.clock.Now())
	if d < 0 {
		h.t.Fatalf("the clock cannot go back from %v to %v", h.clock.Now(), t)
	}
	h.clock.Advance(d)
}

// logRecorder keeps the messages the bot logged at INFO and above, so a
// test can learn what the bot decided when it decided to send nothing.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

// logged reports whether the bot logged msg.
func (l *logRecorder) logged(msg string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Contains(l.msgs, msg)
}

// waitLog waits until the bot logged msg.
func (h *harness) waitLog(msg string) {
	h.t.Helper()
	h.tg.WaitFor(h.t, 10*time.Second, "the log line "+msg, func() bool { return h.logs.logged(msg) })
}

// logHandler records into rec and writes to next (when verbose).
type logHandler struct {
	rec  *logRecorder
	next slog.Handler
}

func (l *logHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= slog.LevelInfo || (l.next != nil && l.next.Enabled(ctx, level))
}

func (l *logHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelInfo {
		l.rec.mu.Lock()
		l.rec.msgs = append(l.rec.msgs, r.Message)
		l.rec.mu.Unlock()
	}
	if l.next != nil && l.next.Enabled(ctx, r.Level) {
		return l.next.Handle(ctx, r)
	}
	return nil
}

func (l *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := &logHandler{rec: l.rec}
	if l.next != nil {
		out.next = l.next.WithAttrs(as)
	}
	return out
}

func (l *logHandler) WithGroup(name string) slog.Handler {
	out := &logHandler{rec: l.rec}
	if l.next != nil {
		out.next = l.next.WithGroup(name)
	}
	return out
}

func texts(ms []telegramtest.SentMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Text
	}
	return out
}

func (h *harness) count(query string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// workerProcess starts a second bot process that only works jobs, as
// `cairbot worker` does, sharing the database and Redis.
func (h *harness) workerProcess() { h.otherProcess((*bot.App).RunWorkers) }

// otherProcess starts another bot process on the same database and Redis,
// running run until the test ends.
func (h *harness) otherProcess(run func(*bot.App, context.Context) error) *bot.App {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	app, err := bot.New(ctx, h.cfg, bot.Deps{Pool: h.pool, Redis: h.rdb,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: h.clock.Now})
	if err != nil {
		cancel()
		h.t.Fatalf("second process: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- run(app, ctx) }()
	h.t.Cleanup(func() { cancel(); <-done })
	return app
}

// jobTimes lists when the pending (not yet worked) jobs of a kind are due.
func (h *harness) jobTimes(kind string) []time.Time {
	h.t.Helper()
	var out []time.Time
	for _, j := range h.jobList(river.NewJobListParams().Kinds(kind).
		States(rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRetryable).
		OrderBy(river.JobListOrderByScheduledAt, river.SortOrderAsc)) {
		out = append(out, j.ScheduledAt)
	}
	return out
}

// jobsUnfinished are the states of a job River has still to work.
var jobsUnfinished = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}

// jobList lists the jobs params selects through River's API, not SQL on
// its tables, whose layout is River's own to change. Up to 10 000 (River's
// most per page), far more than a test queues.
func (h *harness) jobList(params *river.JobListParams) []*rivertype.JobRow {
	h.t.Helper()
	res, err := h.app.Jobs().JobList(context.Background(), params.First(10_000))
	if err != nil {
		h.t.Fatal(err)
	}
	return res.Jobs
}

// jobs lists the jobs of a kind ("" for every kind) in the given states
// (every state if none), in the order they were queued.
func (h *harness) jobs(kind string, states ...rivertype.JobState) []*rivertype.JobRow {
	h.t.Helper()
	params := river.NewJobListParams()
	if kind != "" {
		params = params.Kinds(kind)
	}
	if len(states) > 0 {
		params = params.States(states...)
	}
	return h.jobList(params)
}

// jobDone reports whether the job of this id is completed.
func (h *harness) jobDone(id int64) bool {
	h.t.Helper()
	j, err := h.app.Jobs().JobGet(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return j.State == rivertype.JobStateCompleted
}

// sendJobs lists the outbox_send jobs of the outbox rows rows, in the
// given states (every state if none).
func (h *harness) sendJobs(rows []int64, states ...rivertype.JobState) []*rivertype.JobRow {
	h.t.Helper()
	var out []*rivertype.JobRow
	for _, j := range h.jobs("outbox_send", states...) {
		var args handlers.OutboxSendArgs
		if err := json.Unmarshal(j.EncodedArgs, &args); err != nil {
			h.t.Fatal(err)
		}
		if slices.Contains(rows, args.ID) {
			out = append(out, j)
		}
	}
	return out
}

// ids runs a query of one id column (our tables, e.g. outbox rows).
func (h *harness) ids(query string, args ...any) []int64 {
	h.t.Helper()
	rows, err := h.pool.Query(context.Background(), query, args...)
	if err != nil {
		h.t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// times runs a query of one time column.
func (h *harness) times(query string, args ...any) []time.Time {
	h.t.Helper()
	rows, err := h.pool.Query(context.Background(), query, args...)
	if err != nil {
		h.t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// residentAction goes, as staff u, from /residents to the screen of one
// action ("class", "rota"…) for the single resident found by query; next
// is the number of the staff chat's next message, and the screen is
// message next+3.
func (h *harness) residentAction(u telegramtest.User, next int, action, query string) telegramtest.SentMessage {
	h.t.Helper()
	h.tg.SendText(u, "/residents")
	menu := h.waitText(u, next)
	h.tg.PressButton(u, menu.ID, "resident:a:"+action)
	h.waitText(u, next+1)
	h.tg.SendText(u, query)
	pick := h.waitText(u, next+2)
	if len(pick.InlineKeyboard) != 1 {
		h.t.Fatalf("pick %q = %+v", query, pick.InlineKeyboard)
	}
	h.tg.PressButton(u, pick.ID, pick.InlineKeyboard[0][0].CallbackData)
	return h.waitText(u, next+3)
}

// centreID is the id of the deployment's default centre (CENTRE).
func (h *harness) centreID() int64 {
	h.t.Helper()
	c, err := h.st.CentreBySlug(context.Background(), h.cfg.Centre)
	if err != nil {
		h.t.Fatal(err)
	}
	return c.ID
}
