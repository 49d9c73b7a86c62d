// Package sandbox runs cairbot without Telegram: the same bot, pipeline,
// PostgreSQL and Redis as in production, against the fake Bot API server of
// the tests (bot/telegramtest) run in the process, on a database of its
// own filled with a demo centre, with a clock that can be moved forward and
// a web page that looks like phones chatting with the bot.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/store"
)

// Database is the sandbox's own database: it never touches the real one.
const Database = "cairbot_sandbox"

// Command runs one of cairbot's command-line commands ("import",
// "payment", "money") on a configuration and a clock: the demo centre is
// made with them, so it is what an import makes.
type Command func(ctx context.Context, cfg bot.Config, args []string, out io.Writer, clock func() time.Time) error

// Options configure Run.
type Options struct {
	// Config is the environment's; the sandbox changes its database (to
	// Database, or DatabaseName), its Redis prefix and its Telegram.
	Config bot.Config
	Log    *slog.Logger
	// Out gets the one line saying where the page is.
	Out io.Writer
	// Clock is the machine's clock the sandbox's runs on top of (time.Now).
	Clock   func() time.Time
	Command Command
	// Start is the sandbox's time at start and after "Reset demo" (zero:
	// now); tests begin on their own day.
	Start time.Time
	// DatabaseName overrides Database (tests use a database of their own).
	DatabaseName string
	// Ready, when set, gets the page's address once it serves.
	Ready func(addr string)
}

// Sandbox is one running sandbox.
type Sandbox struct {
	opts  Options
	cfg   bot.Config
	log   *slog.Logger
	tg    *telegramtest.Server
	rdb   *redis.Client
	clock *Clock
	hub   *hub

	mu     sync.Mutex // guards what follows; held across a reset
	pool   *pgxpool.Pool
	st     *store.Store // with the bot's job queue
	app    *bot.App
	stop   context.CancelFunc
	done   chan error
	people []Person
}

// Run serves the sandbox until ctx ends.
func Run(ctx context.Context, opts Options) error {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	name := opts.DatabaseName
	if name == "" {
		name = Database
	}
	cfg := opts.Config
	dbURL, err := withDatabase(cfg.DatabaseURL, name)
	if err != nil {
		return err
	}
	cfg.DatabaseURL = dbURL
	cfg.RedisPrefix += "-sandbox"
	cfg.MigrateOnStart = true
	cfg.WebhookURL, cfg.WebhookSecret = "", ""
	addr := cfg.SandboxAddr
	if addr == "" {
		addr = cfg.ListenAddr
	}
	// The bot's own health server must not take the page's address.
	cfg.ListenAddr = "127.0.0.1:0"
	// Telegram's pace for one chat (1/s) would make a demo feel slow; the
	// sandbox's Telegram has no limits.
	cfg.ChatPerSecond, cfg.ChatRate = 20, 20

	s := &Sandbox{opts: opts, log: opts.Log, hub: newHub()}
	s.clock = NewClock(opts.Clock, opts.Start)
	s.tg = telegramtest.Start(telegramtest.Options{
		BotUsername: "cairbot_sandbox_bot", KeepFiles: true, MaxCalls: 1000,
		OnChange: func(chatID int64) { s.hub.publish(fmt.Sprintf(`{"chat":%d}`, chatID)) },
	})
	defer s.tg.Close()
	cfg.TelegramToken, cfg.TelegramAPIURL = s.tg.Token(), s.tg.URL()
	s.cfg = cfg

	ropts, err := store.RedisOptions(cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("sandbox: REDIS_URL: %w", err)
	}
	s.rdb = redis.NewClient(ropts)
	defer s.rdb.Close()
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("sandbox: redis: %w (is Redis running? REDIS_URL)", err)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sandbox: listen on %s (SANDBOX_ADDR or LISTEN_ADDR): %w", addr, err)
	}
	if err := s.fresh(ctx); err != nil {
		ln.Close()
		return err
	}
	defer s.shutdown()
	srv := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("sandbox page", "err", err)
		}
	}()
	page := "http://" + ln.Addr().String()
	fmt.Fprintf(opts.Out, "cairbot sandbox (no Telegram, demo data, database %s): open %s\n", name, page)
	if opts.Ready != nil {
		opts.Ready(page)
	}
	<-ctx.Done()
	s.hub.close()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return nil
}

// start opens the new database, makes the demo centre and starts the
// bot. s.mu is held or not yet shared.
func (s *Sandbox) start(ctx context.Context) error {
	pool, err := store.Open(ctx, s.cfg.DatabaseURL, s.cfg.PoolSize())
	if err != nil {
		return fmt.Errorf("sandbox: %w (is PostgreSQL running? DATABASE_URL)", err)
	}
	if err := store.Migrate(ctx, pool, s.log); err != nil {
		pool.Close()
		return err
	}
	s.pool = pool
	if err := s.makeDemo(ctx); err != nil {
		pool.Close()
		return err
	}
	people, err := s.loadPeople(ctx)
	if err != nil {
		pool.Close()
		return err
	}
	s.people = people
	actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	app, err := bot.New(actx, s.cfg, bot.Deps{Pool: pool, Redis: s.rdb, Log: s.log, Clock: s.clock.Now})
	if err != nil {
		cancel()
		pool.Close()
		return err
	}
	s.app, s.stop, s.done = app, cancel, make(chan error, 1)
	s.st = store.New(pool)
	s.st.UseOutboxScheduler(bot.NewOutboxScheduler(app.Jobs()))
	go func() { s.done <- app.Run(actx) }()
	// This week's rota now, as the Monday job would have made it.
	s.queuePeriodic(ctx, s.clock.Now().Add(-7*24*time.Hour), s.clock.Now())
	if err := s.demoAppointments(ctx); err != nil {
		s.shutdown()
		return err
	}
	return nil
}

func (s *Sandbox) dbName() string {
	if s.opts.DatabaseName != "" {
		return s.opts.DatabaseName
	}
	return Database
}

// shutdown stops the bot and closes the database; s.mu is held or no
// longer shared.
func (s *Sandbox) shutdown() {
	if s.stop == nil {
		return
	}
	s.stop()
	select {
	case err := <-s.done:
		if err != nil {
			s.log.Warn("sandbox bot stopped", "err", err)
		}
	case <-time.After(40 * time.Second):
		s.log.Warn("sandbox bot did not stop in time")
	}
	s.stop = nil
	s.pool.Close()
}

// Reset recreates the demo ("Reset demo").
func (s *Sandbox) Reset(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shutdown()
	if err := s.fresh(ctx); err != nil {
		return err
	}
	s.hub.publish(`{"reset":true}`)
	return nil
}

// fresh makes the demo anew, at each start too (the fake Telegram keeps
// its chats in memory only): a new database, the sandbox's Redis keys
// removed, Telegram's chats forgotten, the clock back to its start.
func (s *Sandbox) fresh(ctx context.Context) error {
	if err := recreateDatabase(ctx, s.opts.Config.DatabaseURL, s.dbName()); err != nil {
		return err
	}
	iter := s.rdb.Scan(ctx, 0, s.cfg.RedisPrefix+":*", 1000).Iterator()
	for iter.Next(ctx) {
		if err := s.rdb.Del(ctx, iter.Val()).Err(); err != nil {
			return fmt.Errorf("sandbox: reset redis: %w", err)
		}
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("sandbox: reset redis: %w", err)
	}
	s.tg.ForgetChats()
	s.clock.Reset()
	return s.start(ctx)
}

// withDatabase is dbURL with another database name.
func withDatabase(dbURL, name string) (string, error) {
	u, err := url.Parse(dbURL)
	if err != nil || u.Scheme == "" {
		return "", fmt.Errorf("sandbox: DATABASE_URL is not a postgres:// URL")
	}
	u.Path = "/" + name
	return u.String(), nil
}

// admin connects to the server's "postgres" database, to create or drop
// the sandbox's.
func admin(ctx context.Context, dbURL string) (*pgx.Conn, error) {
	u, err := withDatabase(dbURL, "postgres")
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w (is PostgreSQL running? DATABASE_URL)", err)
	}
	return conn, nil
}

// recreateDatabase drops the sandbox's database and creates it again.
func recreateDatabase(ctx context.Context, dbURL, name string) error {
	if err := DropDatabase(ctx, dbURL, name); err != nil {
		return err
	}
	conn, err := admin(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("sandbox: create database %s: %w", name, err)
	}
	return nil
}

// DropDatabase removes a sandbox database (tests clean up with it).
func DropDatabase(ctx context.Context, dbURL, name string) error {
	if !strings.HasPrefix(name, Database) {
		return fmt.Errorf("sandbox: refusing to drop %q, not a sandbox database", name)
	}
	conn, err := admin(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("sandbox: drop database %s: %w", name, err)
	}
	return nil
}
