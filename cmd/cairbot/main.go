// Command cairbot runs the bot and its administration commands. It only
// wires: configuration, connections, signals and subcommands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/sandbox"
	"github.com/aurore/cairbot/store"
)

const usage = `cairbot — Telegram assistant of the CAIR

usage:
  cairbot [run]                 run the bot (long polling, or webhook when WEBHOOK_URL is set)
  cairbot worker                run only the scheduled jobs (reminders, broadcasts), no updates
  cairbot sandbox               the bot in a browser page, without Telegram, on demo data
                                (its own database cairbot_sandbox; page on SANDBOX_ADDR or LISTEN_ADDR)
  cairbot migrate               apply database migrations
  cairbot version               print the version of this binary
  cairbot backup FILE           dump the database to FILE (pg_dump, custom format)
  cairbot restore FILE          restore a dump made by backup into DATABASE_URL (an empty database)
  cairbot people add --name NAME --role ROLE [--room ROOM] [--lang TAG]
                                create a person and print his one-time invite code and link
  cairbot people invite --id ID print a new invite code for someone not yet signed up
  cairbot people erase --id ID  erase the personal data of someone who left (balance settled)
  cairbot centre add --slug SLUG --name NAME --token TOKEN
                                add a centre with its own Telegram bot (token checked with Telegram;
                                --token - reads it from standard input)
  cairbot centre list           the centres of this deployment and their bots (no tokens)
  cairbot import residents FILE.csv [--centre SLUG]
                                create or update residents (all or nothing, see docs/examples/residents.csv)
  cairbot import classes FILE.csv [--centre SLUG]
                                create or update class groups, weekly sessions and enrolments
                                (all or nothing, see docs/examples/classes.csv)
  cairbot import chores FILE.csv [--centre SLUG]
                                create or update cleaning areas and who is on the rota
                                (all or nothing, see docs/examples/chores.csv)
  cairbot payment add --room ROOM --amount 12,50 [--id ID]
                                record a payment; the resident gets his numbered receipt
  cairbot payment reverse --receipt R-2026-000123
                                cancel a mistaken payment with a correction entry
  cairbot money settings [--rate 15] [--min-left 30] [--meals=false] [--arrival prorata|full|free]
                                show or set how the centre computes contributions
  cairbot money charges [--month 2026-12]
                                post a month's charges now (the bot does it on the 1st at 09:00)
  cairbot report attendance|contributions|chores --from YYYY-MM-DD --to YYYY-MM-DD [--format csv|png] [--out FILE]
                                the team's figures as a CSV file (French spreadsheet) or a PNG chart

Configuration comes from the environment; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// LOG_FORMAT is checked with the rest of the configuration; an
	// unknown value gives text lines until then.
	log := bot.NewLogger(os.Stderr, os.Getenv("LOG_FORMAT"), os.Getenv("LOG_LEVEL"))
	if err := run(ctx, os.Args[1:], os.Stdout, log, time.Now); err != nil {
		fmt.Fprintln(os.Stderr, "cairbot:", err)
		os.Exit(1)
	}
}

// run runs one command; clock is the time of every command and of the bot.
func run(ctx context.Context, args []string, out io.Writer, log *slog.Logger, clock func() time.Time) error {
	cmd := "run"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Fprint(out, usage)
		return nil
	}
	if cmd == "version" || cmd == "--version" {
		fmt.Fprintln(out, "cairbot", bot.BuildVersion())
		return nil
	}
	cfg, err := bot.FromEnv(os.Getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	if cmd == "sandbox" {
		if os.Getenv("LOG_LEVEL") == "" {
			// One line on start says where the page is; the rest only
			// when something goes wrong.
			log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		}
		return runSandbox(ctx, sandbox.Options{Config: cfg, Log: log, Out: out, Clock: clock})
	}
	return command(ctx, cfg, cmd, args, out, log, clock)
}

// runSandbox runs `cairbot sandbox`. It makes its demo centre with the
// import, payment and money commands, on its own database and clock.
func runSandbox(ctx context.Context, opts sandbox.Options) error {
	log := opts.Log
	opts.Command = func(ctx context.Context, cfg bot.Config, args []string, out io.Writer, clock func() time.Time) error {
		return command(ctx, cfg, args[0], args[1:], out, log, clock)
	}
	return sandbox.Run(ctx, opts)
}

// command runs one command on a configuration.
func command(ctx context.Context, cfg bot.Config, cmd string, args []string, out io.Writer, log *slog.Logger, clock func() time.Time) error {
	switch cmd {
	case "run", "worker":
		if err := cfg.RequireToken(); err != nil {
			return err
		}
		bot.ApplyMemoryLimit(cfg, log)
		metrics := bot.NewMetrics()
		pool, rdb, err := connect(ctx, cfg, log, cfg.MigrateOnStart && cmd == "run", metrics)
		if err != nil {
			return err
		}
		defer pool.Close()
		defer rdb.Close()
		log.Info("starting", "command", cmd, "version", bot.BuildVersion())
		app, err := bot.New(ctx, cfg, bot.Deps{Pool: pool, Redis: rdb, Log: log, Clock: clock, Metrics: metrics})
		if err != nil {
			return err
		}
		if cmd == "worker" {
			return app.RunWorkers(ctx)
		}
		return app.Run(ctx)
	// imports and other subcommands
	case "import":
		return importCommand(ctx, cfg, args, out, clock)
	case "payment":
		return paymentCommand(ctx, cfg, args, out, clock)
	case "money":
		return moneyCommand(ctx, cfg, args, out, clock)
	case "report":
		return reportCommand(ctx, cfg, args, out)
	case "backup":
		return backupCommand(ctx, cfg, args, out)
	case "restore":
		return restoreCommand(ctx, cfg, args, out)
	case "migrate":
		pool, rdb, err := connect(ctx, cfg, log, true, nil)
		if err != nil {
			return err
		}
		rdb.Close()
		pool.Close()
		return nil
	case "centre":
		pool, err := openDB(ctx, cfg)
		if err != nil {
			return err
		}
		defer pool.Close()
		return centreCommand(ctx, cfg, store.New(pool), args, os.Stdin, out)
	case "people":
		pool, err := openDB(ctx, cfg)
		if err != nil {
			return err
		}
		defer pool.Close()
		return peopleCommand(ctx, cfg, store.New(pool), args, out, clock)
	}
	return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
}

// openDB connects for the administration commands, migrating first (as
// the bot does at start, MIGRATE_ON_START) so that `cairbot people add` or
// an import works on a new database before the bot ever ran.
func openDB(ctx context.Context, cfg bot.Config) (*pgxpool.Pool, error) {
	pool, err := store.Open(ctx, cfg.DatabaseURL, 0)
	if err != nil {
		return nil, fmt.Errorf("%w (is PostgreSQL running? DATABASE_URL)", err)
	}
	if cfg.MigrateOnStart {
		quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		if err := store.Migrate(ctx, pool, quiet); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return pool, nil
}

// connect opens PostgreSQL and Redis; with metrics, their errors are
// counted.
func connect(ctx context.Context, cfg bot.Config, log *slog.Logger, migrate bool, metrics *bot.Metrics) (*pgxpool.Pool, *redis.Client, error) {
	var opts []store.OpenOption
	if metrics != nil {
		opts = append(opts, store.WithTracer(metrics.PostgresTracer()))
	}
	pool, err := store.Open(ctx, cfg.DatabaseURL, cfg.PoolSize(), opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (is PostgreSQL running? DATABASE_URL)", err)
	}
	if migrate {
		if err := store.Migrate(ctx, pool, log); err != nil {
			pool.Close()
			return nil, nil, err
		}
	}
	ropts, err := store.RedisOptions(cfg.RedisURL)
	if err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(ropts)
	if metrics != nil {
		rdb.AddHook(metrics.RedisHook())
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		pool.Close()
		return nil, nil, errors.Join(fmt.Errorf("redis: %w (is Redis running? REDIS_URL)", err), rdb.Close())
	}
	return pool, rdb, nil
}
