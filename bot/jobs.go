package bot

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
)

// jobFetchCooldown is the least time between two of River's fetches. River
// fetches at most the free worker slots at a time, so its default (100 ms)
// capped a deployment at 10 × JOB_WORKERS jobs a second, whatever the
// machine: 160 messages a second over 100 centres' bots with
// JOB_WORKERS=16, when each bot alone may send 25. A fetch comes only when
// jobs wait and slots are free (or at the poll interval), so an idle bot
// does not query more often.
const jobFetchCooldown = 10 * time.Millisecond

// newJobClient builds the River client: durable jobs in PostgreSQL,
// inserted in the same transaction as the data that caused them, worked by
// any bot process (one at a time per job), with periodic jobs run by the
// elected leader only.
//
// On the real clock River keeps the database's time. Given another clock
// (a test's), River schedules, fetches and snoozes jobs on it too, so that
// a job is due when the handlers' clock says so.
func newJobClient(pool *pgxpool.Pool, f handlers.Features, cfg Config, clock func() time.Time, log *slog.Logger) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	f.RegisterWorkers(workers)
	rc := &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.JobWorkers}},
		Workers:           workers,
		PeriodicJobs:      f.PeriodicJobs(),
		FetchPollInterval: 200 * time.Millisecond,
		FetchCooldown:     jobFetchCooldown,
		// No job waits on Telegram for long (an outbox send is one call after
		// its pacing), so a job still running after JobRescueAfter was cut
		// by a crash: River runs it again, and the outbox row it held
		// follows its kind's rule for messages left in doubt.
		JobTimeout:           cfg.JobRescueAfter,
		RescueStuckJobsAfter: cfg.JobRescueAfter,
		Logger:               log.With("component", "jobs"),
	}
	if !realClock(clock) {
		rc.Test.Time = riverClock(clock)
		// River's rescuer and cleaner read the machine's clock, not this
		// one: jobs stamped on a clock days away would look stuck or long
		// finished. No job runs for hours on such a clock (tests), so they
		// are turned off.
		rc.RescueStuckJobsAfter = 100 * 365 * 24 * time.Hour
		rc.CompletedJobRetentionPeriod, rc.CancelledJobRetentionPeriod, rc.DiscardedJobRetentionPeriod = -1, -1, -1
	}
	c, err := river.NewClient(riverpgxv5.New(pool), rc)
	if err != nil {
		return nil, fmt.Errorf("bot: job queue: %w", err)
	}
	return c, nil
}

// NewOutboxScheduler queues one River job per outbox row, in the
// transaction that writes the row, due when the row may leave. The bot
// wires it into its store; tools that write outbox rows (the money
// commands) wire it into theirs.
func NewOutboxScheduler(jobs *river.Client[pgx.Tx]) store.OutboxScheduler {
	return outboxScheduler{jobs}
}

type outboxScheduler struct{ jobs *river.Client[pgx.Tx] }

// turnsBack is how far back an announcement job's turn is written as its
// scheduled_at (see ScheduleOutboxTx).
const turnsBack = 24 * time.Hour

func (o outboxScheduler) ScheduleOutboxTx(ctx context.Context, tx pgx.Tx, rows []store.OutboxJob) error {
	params := make([]river.InsertManyParams, len(rows))
	for i, r := range rows {
		params[i] = river.InsertManyParams{
			Args:       handlers.OutboxSendArgs{ID: r.ID},
			InsertOpts: &river.InsertOpts{ScheduledAt: r.NotBefore, Priority: r.Priority, MaxAttempts: handlers.OutboxMaxAttempts},
		}
	}
	res, err := o.jobs.InsertManyTx(ctx, tx, params)
	if err != nil {
		return fmt.Errorf("bot: schedule outbox: %w", err)
	}
	// An announcement's jobs take their place by their turns: River hands
	// out available jobs by priority, then scheduled_at, and a job given a
	// ScheduledAt is inserted 'scheduled', released by River's leader up to
	// five seconds later. So the jobs are inserted available, and their
	// scheduled_at is then set to the turn moved back by turnsBack, in the
	// past (still available) with the turns' order kept.
	var ids []int64
	var at []time.Time
	for i, r := range rows {
		if !r.Turn.IsZero() && i < len(res) && res[i].Job != nil {
			ids = append(ids, res[i].Job.ID)
			at = append(at, r.Turn.Add(-turnsBack))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE river_job j SET scheduled_at = u.at
		FROM unnest($1::bigint[], $2::timestamptz[]) AS u(id, at)
		WHERE j.id = u.id AND j.state = 'available'`, ids, at); err != nil {
		return fmt.Errorf("bot: schedule outbox: announcement turns: %w", err)
	}
	return nil
}

// broadcastWatcher queues, in the transaction that creates an
// announcement, the one job that edits the staff member's progress message
// and sends him the report.
type broadcastWatcher struct{ jobs *river.Client[pgx.Tx] }

func (b broadcastWatcher) WatchBroadcastTx(ctx context.Context, tx pgx.Tx, centreID, announcementID int64) error {
	_, err := b.jobs.InsertTx(ctx, tx, handlers.AnnounceProgressArgs{CentreID: centreID, AnnouncementID: announcementID},
		&river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}})
	if err != nil {
		return fmt.Errorf("bot: watch broadcast: %w", err)
	}
	return nil
}

// workerJobs inserts jobs from inside a River worker through the client
// that runs the worker (River puts it in the worker's context), so the
// features need no job client built before them: the client needs their
// workers first.
type workerJobs struct{}

func (workerJobs) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	c, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return nil, fmt.Errorf("bot: insert job outside a worker: %w", err)
	}
	return c.Insert(ctx, args, opts)
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

// NewInsertOnlyJobs is a job client that only inserts (the command-line
// tools): on the same clock as the bot's, so the jobs it queues are due
// when the bot's clock says so.
func NewInsertOnlyJobs(pool *pgxpool.Pool, clock func() time.Time) (*river.Client[pgx.Tx], error) {
	cfg := &river.Config{}
	if !realClock(clock) {
		cfg.Test.Time = riverClock(clock)
	}
	c, err := river.NewClient(riverpgxv5.New(pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("bot: job queue: %w", err)
	}
	return c, nil
}

// ReleaseDue makes the jobs due by now available at once — scheduled
// ones, and failed ones whose retry is due — as River's scheduler does on
// its own every 5 s (an interval River does not let us set). The sandbox
// calls it when its clock moves and the tests every 100 ms, so that nobody
// waits for the scheduler's next round; the bot itself never needs it.
// It is one conditional UPDATE, as the scheduler's own: River's JobRetry
// would run again a job that was worked between listing it and retrying
// it.
func ReleaseDue(ctx context.Context, pool *pgxpool.Pool, now time.Time) error {
	if _, err := pool.Exec(ctx, `UPDATE river_job SET state = 'available'
		WHERE state IN ('scheduled', 'retryable') AND scheduled_at <= $1`, now); err != nil {
		return fmt.Errorf("bot: release due jobs: %w", err)
	}
	return nil
}
