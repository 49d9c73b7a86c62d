package bot_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplate()
	os.Exit(code)
}

// clock is a time source tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
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
	clock   *clock
	catalog *locales.Catalog
	app     *bot.App
	cancel  context.CancelFunc
	done    chan error
	hook    *httptest.Server
	hookMu  sync.Mutex
	hookApp *bot.App
	// tgOpts configure the fake Telegram; options set them before it starts.
	tgOpts telegramtest.Options
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

func newHarness(t testing.TB, opts ...harnessOption) *harness {
	t.Helper()
	pool := storetest.NewPool(t)
	rdb, prefix := storetest.NewRedis(t)
	cfg := bot.Defaults()
	cfg.RedisPrefix = prefix
	cfg.ListenAddr = "127.0.0.1:0"
	cfg.Workers = 4
	cfg.ChatRate = 5
	cfg.Location, _ = time.LoadLocation("Europe/Paris")
	catalog, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{
		t: t, pool: pool, rdb: rdb, st: store.New(pool), cfg: cfg, catalog: catalog,
		clock: &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)},
	}
	for _, o := range opts {
		o(h)
	}
	h.tg = telegramtest.New(t, h.tgOpts)
	h.cfg.TelegramToken = h.tg.Token()
	h.cfg.TelegramAPIURL = h.tg.URL()
	h.start()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) start() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	app, err := bot.New(ctx, h.cfg, bot.Deps{Pool: h.pool, Redis: h.rdb, Log: log, Clock: h.clock.Now})
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

// quiet asserts the chat received nothing more than n messages for a while.
func (h *harness) quiet(u telegramtest.User, n int) {
	h.t.Helper()
	time.Sleep(300 * time.Millisecond)
	if got := len(h.tg.Messages(u.ID)); got != n {
		h.t.Fatalf("chat %d has %d messages, want %d: %+v", u.ID, got, n, texts(h.tg.Messages(u.ID)))
	}
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
func (h *harness) workerProcess() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	app, err := bot.New(ctx, h.cfg, bot.Deps{Pool: h.pool, Redis: h.rdb,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: h.clock.Now})
	if err != nil {
		cancel()
		h.t.Fatalf("second process: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- app.RunWorkers(ctx) }()
	h.t.Cleanup(func() { cancel(); <-done })
}

// jobTimes lists when the pending (not yet worked) jobs of a kind are due.
func (h *harness) jobTimes(kind string) []time.Time {
	h.t.Helper()
	rows, err := h.pool.Query(context.Background(), `SELECT scheduled_at FROM river_job
		WHERE kind = $1 AND state IN ('available', 'scheduled', 'retryable') ORDER BY scheduled_at`, kind)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var t time.Time
		if err := rows.Scan(&t); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, t)
	}
	return out
}

// runJobsDue makes the scheduled jobs of a kind due before `until` run now:
// River schedules on the database's clock, so tests that move the bot's
// clock move the jobs' due times along with it.
func (h *harness) runJobsDue(kind string, until time.Time) int {
	h.t.Helper()
	tag, err := h.pool.Exec(context.Background(), `UPDATE river_job SET scheduled_at = now(), state = 'available'
		WHERE kind = $1 AND state IN ('scheduled', 'retryable') AND scheduled_at <= $2`, kind, until)
	if err != nil {
		h.t.Fatal(err)
	}
	return int(tag.RowsAffected())
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
