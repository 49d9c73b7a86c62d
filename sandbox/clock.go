package sandbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/rota"
	"github.com/aurore/cairbot/store"
)

// Clock is the sandbox's time: the machine's clock plus an offset that
// only grows, as the tests' clock is. It is the bot's clock, River's
// included (bot.Deps.Clock), so moving it makes reminders fall due.
type Clock struct {
	mu     sync.Mutex
	base   func() time.Time
	start  time.Time
	offset time.Duration
}

// NewClock is a clock running from start (zero: base's now).
func NewClock(base func() time.Time, start time.Time) *Clock {
	c := &Clock{base: base, start: start}
	c.Reset()
	return c
}

// Now is the sandbox's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base().Add(c.offset)
}

// Reset puts the clock back to its start.
func (c *Clock) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = 0
	if !c.start.IsZero() {
		c.offset = c.start.Sub(c.base())
	}
}

// Advance moves the clock forward by d (never back).
func (c *Clock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// ErrNothingScheduled: "next scheduled message" found nothing to wait for.
var ErrNothingScheduled = errors.New("sandbox: nothing scheduled")

// Move moves the sandbox's clock: "hour", "day" or "next" (to the next
// message due to someone signed up, or the next Monday rota or month's
// charges, whichever comes first). It returns the new time.
func (s *Sandbox) Move(ctx context.Context, how string) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	from := s.clock.Now()
	// The hourly planner may not have seen someone who signed up since:
	// plan now, so that his next class's reminder is the next message.
	s.planClasses(ctx, from)
	var d time.Duration
	switch how {
	case "hour":
		d = time.Hour
	case "day":
		d = 24 * time.Hour
	case "next":
		next, err := s.nextDue(ctx, from)
		if err != nil {
			return from, err
		}
		d = next.Sub(from) + time.Second
	default:
		return from, fmt.Errorf("sandbox: unknown clock move %q", how)
	}
	s.clock.Advance(d)
	to := s.clock.Now()
	s.queuePeriodic(ctx, from, to)
	s.planClasses(ctx, to)
	s.releaseDue(ctx, to)
	s.settle(ctx)
	s.hub.publish(`{"clock":true}`)
	return to, nil
}

// settle waits (a few seconds at most) until the jobs due by now are
// worked, so that the messages of this moment leave before the clock can
// move on and make them obsolete (a class reminder after the class began).
func (s *Sandbox) settle(ctx context.Context) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		// The jobs just queued are stamped on the running clock: read it
		// again each time.
		var n int
		err := s.pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE scheduled_at <= $1
			AND state IN ('available', 'pending', 'running', 'retryable')`, s.clock.Now()).Scan(&n)
		if err != nil || n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// nextDue is when the next message leaves: an outbox row due later to
// someone signed up, or the next run of a job made on a calendar.
func (s *Sandbox) nextDue(ctx context.Context, now time.Time) (time.Time, error) {
	var next *time.Time
	err := s.pool.QueryRow(ctx, `SELECT min(o.not_before) FROM outbox o JOIN people p ON p.id = o.person_id
		WHERE o.state = 'pending' AND o.not_before > $1 AND p.telegram_id IS NOT NULL`, now).Scan(&next)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, fmt.Errorf("sandbox: next message: %w", err)
	}
	loc := s.cfg.Location
	cands := []time.Time{
		handlers.ChoresWeeklySchedule(loc).Next(now),
		handlers.ChargeSchedule(loc).Next(now),
	}
	if next != nil {
		cands = append(cands, *next)
	}
	best := cands[0]
	for _, c := range cands[1:] {
		if c.Before(best) {
			best = c
		}
	}
	return best, nil
}

// queuePeriodic queues what the jobs made on a calendar would have queued
// between from and to. River's leader times them on the machine's clock,
// which a moved sandbox clock leaves behind; each of these jobs does
// nothing more when run twice.
func (s *Sandbox) queuePeriodic(ctx context.Context, from, to time.Time) {
	loc := s.cfg.Location
	jobs := s.app.Jobs()
	insert := func(args river.JobArgs) {
		if _, err := jobs.Insert(ctx, args, nil); err != nil {
			s.log.Warn("sandbox: queue job", "kind", args.Kind(), "err", err)
		}
	}
	weekly := handlers.ChoresWeeklySchedule(loc)
	for t := weekly.Next(from); !t.After(to); t = weekly.Next(t) {
		insert(handlers.ChoresWeeklyArgs{Week: rota.WeekStart(t, loc).Format(time.DateOnly)})
	}
	// The charges job runs daily at 09:00 and posts what is due by then:
	// once is enough however many days were jumped.
	charges := handlers.ChargeSchedule(loc)
	if !(handlers.Daily{Loc: loc, Hour: charges.Hour, Minute: charges.Minute}).Next(from).After(to) {
		insert(handlers.MonthlyChargesArgs{})
	}
}

// planClasses does the hourly class planner's work at now: the reminders
// of the classes of the next two days, queued once each.
func (s *Sandbox) planClasses(ctx context.Context, now time.Time) {
	if _, err := s.st.PlanClassReminders(ctx, store.ClassQuery{From: now, To: now.Add(handlers.ClassPlanHorizon)}, s.cfg.ClassReminderBefore, now, s.cfg.Location); err != nil {
		s.log.Warn("sandbox: plan class reminders", "err", err)
	}
}

// releaseDue makes the jobs due by now available at once, as River's
// scheduler would within its 5 seconds.
func (s *Sandbox) releaseDue(ctx context.Context, now time.Time) {
	if err := bot.ReleaseDue(ctx, s.pool, now); err != nil {
		s.log.Warn("sandbox: release due jobs", "err", err)
	}
}
