package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/handlers"
)

// classReminderBefore is the bench's CLASS_REMINDER_BEFORE: long enough
// that a reminder sent minutes late (one centre's batch after another's)
// is still sent, not dropped as obsolete once its class has begun, so that
// lateness shows as lateness.
const classReminderBefore = 10 * time.Minute

// reminderFigures are the second phase's: every centre's French class
// starts at the same moment, so all its residents' reminders fall due
// together, in every centre at once.
type reminderFigures struct {
	due                         time.Time
	firsts, lasts               []time.Duration // per centre, its first and last reminder's arrival after due
	sent, expected, duplicates  int
	tooMany, crossings, refused int
	span                        time.Duration // first to last reminder over every bot
	rss                         int64         // cairbot's peak RSS by the end (VmHWM: its whole life)
}

// classReminders seeds, by SQL, one class group per centre with all its
// residents and one session starting classReminderBefore after a moment
// due a little ahead, then asks the bot's own class planner to run now (a
// `class_plan` job, the one River runs every hour), which queues every
// centre's reminders in one run, as it does every hour. It waits until
// every reminder arrived and reads, from each fake bot's calls since,
// when.
func classReminders(ctx context.Context, pool *pgxpool.Pool, centres []*centre, residents int, timeout time.Duration) (reminderFigures, error) {
	// The session's start on the centre's wall clock, a whole minute.
	start := time.Now().Add(classReminderBefore + 30*time.Second).In(paris()).Truncate(time.Minute).Add(time.Minute)
	f := reminderFigures{due: start.Add(-classReminderBefore), expected: len(centres) * residents}
	end := start.Add(time.Hour)
	if end.Day() != start.Day() {
		end = time.Date(start.Year(), start.Month(), start.Day(), 23, 59, 0, 0, start.Location())
	}
	weekday := int(start.Weekday())
	if weekday == 0 {
		weekday = 7 // ISO: Sunday is 7
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO class_groups (centre_id, external_id, level, name)
			SELECT id, 'bench', 'A1', 'Bench class' FROM centres WHERE slug LIKE 'bench-c%'`, nil},
		{`INSERT INTO class_sessions (centre_id, group_id, external_id, weekday, starts, ends, room, teacher)
			SELECT g.centre_id, g.id, 'bench', $1, $2::time, $3::time, '1', 'Bench teacher'
			FROM class_groups g WHERE g.external_id = 'bench'`,
			[]any{weekday, start.Format("15:04:05"), end.Format("15:04:05")}},
		{`INSERT INTO class_enrolments (centre_id, group_id, person_id, prescribed_hours)
			SELECT p.centre_id, g.id, p.id, 100
			FROM people p JOIN class_groups g ON g.centre_id = p.centre_id AND g.external_id = 'bench'
			WHERE p.role = 'resident'`, nil},
	} {
		if _, err := pool.Exec(ctx, q.sql, q.args...); err != nil {
			return f, fmt.Errorf("seed classes: %w", err)
		}
	}
	jobs, err := bot.NewInsertOnlyJobs(pool, time.Now)
	if err != nil {
		return f, err
	}
	since := time.Now()
	if _, err := jobs.Insert(ctx, handlers.ClassPlanArgs{}, nil); err != nil {
		return f, fmt.Errorf("ask for the class planner: %w", err)
	}
	fmt.Fprintf(os.Stderr, "  %d class reminders due at %s (in %.0f s)\n", f.expected, f.due.Format("15:04:05"), time.Until(f.due).Seconds())
	if err := waitFor(ctx, time.Until(f.due)+timeout, "every class reminder delivered", func() bool {
		return delivered(centres, since) >= f.expected
	}); err != nil {
		return f, fmt.Errorf("%w: %d of %d", err, delivered(centres, since), f.expected)
	}
	// Any late duplicate gets a moment to arrive.
	time.Sleep(3 * time.Second)
	m := measure(centres, since)
	for _, b := range m.bots {
		f.sent += b.sent
		f.duplicates += b.duplicates
		if b.sent > 0 {
			f.firsts = append(f.firsts, b.first.Sub(f.due))
			f.lasts = append(f.lasts, b.last.Sub(f.due))
		}
	}
	f.tooMany, f.crossings, f.refused, f.span = m.tooMany, m.crossings, m.refused, m.last.Sub(m.first)
	slices.Sort(f.firsts)
	slices.Sort(f.lasts)
	return f, nil
}

func (f reminderFigures) markdown(centres int) string {
	var s strings.Builder
	s.WriteString("Then every centre's French class starts at the same moment (one group per centre with all its residents,\n")
	fmt.Fprintf(&s, "`CLASS_REMINDER_BEFORE=%s`): the bot's class planner (its hourly job, asked to run now) queues every centre's\n", classReminderBefore)
	s.WriteString("reminders in one run (one centre's after another's), all due at the same second.\n\n")
	s.WriteString("| figure | value |\n|---|---|\n")
	fmt.Fprintf(&s, "| reminders delivered / expected | %d / %d |\n", f.sent, f.expected)
	fmt.Fprintf(&s, "| a centre's first reminder after the due time (min / median / max over %d centres) | %s |\n", centres, spread(f.firsts))
	fmt.Fprintf(&s, "| a centre's last reminder after the due time (min / median / max) | %s |\n", spread(f.lasts))
	fmt.Fprintf(&s, "| all delivered in | %.1f s, %.0f messages/s over all bots |\n", f.span.Seconds(), float64(f.sent)/max(f.span.Seconds(), 0.001))
	fmt.Fprintf(&s, "| duplicates; 429 answers; other refusals; crossings | %d; %d; %d; %d |\n", f.duplicates, f.tooMany, f.refused, f.crossings)
	fmt.Fprintf(&s, "| cairbot peak RSS by the end (its whole life) | %s |\n\n", mib(f.rss))
	s.WriteString("A centre's reminders due together are due one step of its bot's pace apart from that moment (`store` `spreadDue`),\n")
	s.WriteString("its first at the moment itself, so River hands out every centre's first reminders first, instead of one\n")
	s.WriteString("centre's whole class before the next centre's.\n\n")
	return s.String()
}
