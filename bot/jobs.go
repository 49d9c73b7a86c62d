package bot

import (
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/aurore/cairbot/handlers"
)

// newJobClient builds the River client: durable jobs in PostgreSQL,
// inserted in the same transaction as the data that caused them, worked by
// any bot process (one at a time per job), with periodic jobs run by the
// elected leader only.
//
// On the real clock River keeps the database's time. Given another clock
// (a test's), River schedules, fetches and snoozes jobs on it too, so that
// a job is due when the handlers' clock says so.
func newJobClient(pool *pgxpool.Pool, h *handlers.Handlers, clock func() time.Time, log *slog.Logger) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	h.RegisterWorkers(workers)
	cfg := &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}},
		Workers:           workers,
		PeriodicJobs:      h.PeriodicJobs(),
		FetchPollInterval: 200 * time.Millisecond,
		JobTimeout:        2 * time.Minute,
		Logger:            log.With("component", "jobs"),
	}
	if !realClock(clock) {
		cfg.Test.Time = riverClock(clock)
		// River's rescuer and cleaner read the machine's clock, not this
		// one: jobs stamped on a clock days away would look stuck or long
		// finished. No job runs for hours on such a clock (tests), so they
		// are turned off.
		cfg.RescueStuckJobsAfter = 100 * 365 * 24 * time.Hour
		cfg.CompletedJobRetentionPeriod, cfg.CancelledJobRetentionPeriod, cfg.DiscardedJobRetentionPeriod = -1, -1, -1
	}
	c, err := river.NewClient(riverpgxv5.New(pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("bot: job queue: %w", err)
	}
	return c, nil
}

// riverClock is a clock as River's time generator: River stamps and
// compares jobs' times with NowOrNil where it would use the database's
// now().
type riverClock func() time.Time

func (c riverClock) Now() time.Time { return c() }

func (c riverClock) NowOrNil() *time.Time {
	t := c()
	return &t
}

// realClock reports whether clock is the machine's own (time.Now).
func realClock(clock func() time.Time) bool {
	return clock == nil || reflect.ValueOf(clock).Pointer() == reflect.ValueOf(time.Now).Pointer()
}
