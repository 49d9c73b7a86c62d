package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/store"
)

// reminderFigures is what the reminders measured, from the fake
// Telegram's record of every call, on the machine's clock.
type reminderFigures struct {
	count, delivered int
	booked           time.Duration // booking every appointment (store.CreateAppointment)
	lead             time.Duration // from the start of the booking to the due time
	first, last      time.Duration // after the due time
	duplicates       int
	limited          int
	configured       int
}

// runReminders books, as a coordinator would, one housing appointment for
// each of the first o.reminders residents, all at the same time, each
// with its reminder an hour before: every reminder is due at the same
// second, on the real clock, a few seconds ahead. The booking notices
// the same transactions queue are cancelled before any bot runs (they are
// not what is measured). Then two processes, `cairbot run` (webhook) and
// `cairbot worker`, share the work, and the fake's record says when each
// reminder left and whether one left twice.
func runReminders(ctx context.Context, o opts, f *fake, d *dbSet, env []string, dir string) (*reminderFigures, error) {
	fig := &reminderFigures{count: min(o.reminders, d.data.residents), configured: bot.Defaults().GlobalRate}
	pool, err := newPool(ctx, d.url)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	jobs, err := bot.NewInsertOnlyJobs(pool, time.Now)
	if err != nil {
		return nil, err
	}
	st := store.New(pool)
	st.UseOutboxScheduler(bot.NewOutboxScheduler(jobs))
	var coordinator int64
	if err := pool.QueryRow(ctx, `SELECT id FROM people WHERE centre_id = $1 AND external_id = 'S-00001'`, d.centreID).Scan(&coordinator); err != nil {
		return nil, err
	}
	rows, err := pool.Query(ctx, `SELECT id FROM people WHERE centre_id = $1 AND role = 'resident'
		ORDER BY external_id LIMIT $2`, d.centreID, fig.count)
	if err != nil {
		return nil, err
	}
	var people []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		people = append(people, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	specs := []store.ReminderSpec{{Kind: store.ReminderToResident, Offset: time.Hour}}
	// The due time must leave room for the booking and both starts: one
	// booking is timed first (for the last resident, whose reminder is
	// due a day later and not counted).
	var last int64
	if err := pool.QueryRow(ctx, `SELECT id FROM people WHERE centre_id = $1 AND role = 'resident'
		ORDER BY external_id DESC LIMIT 1`, d.centreID).Scan(&last); err != nil {
		return nil, err
	}
	var one time.Duration
	for i := range 2 { // the first one opens connections
		t := time.Now()
		if _, err := st.CreateAppointment(ctx, store.NewAppointment{CentreID: d.centreID, PersonID: last, CoordinatorID: coordinator,
			Kind: "siao", At: t.Add(time.Duration(25+i) * time.Hour), Place: "SIAO 75, 5 rue de Paris"}, specs, t); err != nil {
			return nil, err
		}
		one = time.Since(t)
	}
	start := time.Now()
	lead := min(30*time.Second, max(10*time.Second, 6*time.Second+2*time.Duration(len(people))*one/8))
	due := start.Add(lead).Truncate(time.Second)
	fig.lead = due.Sub(start)
	sem := make(chan struct{}, 8)
	errs := make(chan error, len(people))
	for _, p := range people {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			_, err := st.CreateAppointment(ctx, store.NewAppointment{CentreID: d.centreID, PersonID: p, CoordinatorID: coordinator,
				Kind: "siao", At: due.Add(time.Hour), Place: "SIAO 75, 5 rue de Paris"}, specs, time.Now())
			errs <- err
		}()
	}
	for range people {
		if err := <-errs; err != nil {
			return nil, err
		}
	}
	fig.booked = time.Since(start)
	if _, err := pool.Exec(ctx, `UPDATE outbox SET state = 'cancelled', note = 'benchmark: not measured', updated_at = now()
		WHERE centre_id = $1 AND kind = $2 AND state = 'pending'`, d.centreID, store.OutboxAppointmentNotice); err != nil {
		return nil, err
	}
	if time.Until(due) < 3*time.Second {
		// Reported as it is: the first send is then late by the start.
		fmt.Fprintf(os.Stderr, "  booking %d appointments took %.1f s: the reminders are due before both processes are up\n", len(people), fig.booked.Seconds())
	}
	fmt.Fprintf(os.Stderr, "  booked in %.1f s; due in %.1f s\n", fig.booked.Seconds(), time.Until(due).Seconds())
	run, err := startBot("cairbot-reminders-run", o.cairbot, []string{"run"}, env, "/readyz", f, dir)
	if err != nil {
		return nil, err
	}
	defer run.stop()
	worker, err := startProc("cairbot-reminders-worker", o.cairbot, []string{"worker"}, env, "/readyz", f, dir, false)
	if err != nil {
		return nil, err
	}
	defer worker.stop()
	recipients := map[int64]bool{}
	for i := 1; i <= fig.count; i++ {
		recipients[int64(residentUID+i)] = true
	}
	// At the configured rate the last is due count/rate after the first;
	// wait for that twice over, and stop as soon as everyone has one.
	deadline := due.Add(time.Duration(2*float64(fig.count)/float64(fig.configured)*float64(time.Second)) + 10*time.Second)
	var times []time.Time
	per := map[int64]int{}
	for {
		time.Sleep(time.Second)
		sends, err := f.calls("sendMessage", start)
		if err != nil {
			return nil, err
		}
		times, per = times[:0], map[int64]int{}
		for _, c := range sends {
			if c.Status == 200 && recipients[c.ChatID] {
				times = append(times, c.At)
				per[c.ChatID]++
			}
		}
		if len(per) >= fig.count || time.Now().After(deadline) {
			break
		}
	}
	// A duplicate would come after the first: a little longer.
	time.Sleep(2 * time.Second)
	sends, err := f.calls("", start)
	if err != nil {
		return nil, err
	}
	times, per = times[:0], map[int64]int{}
	for _, c := range sends {
		if c.Status == 429 {
			fig.limited++
		}
		if c.Method == "sendMessage" && c.Status == 200 && recipients[c.ChatID] {
			times = append(times, c.At)
			per[c.ChatID]++
		}
	}
	for _, n := range per {
		fig.duplicates += n - 1
	}
	fig.delivered = len(per)
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	if len(times) > 0 {
		fig.first, fig.last = times[0].Sub(due), times[len(times)-1].Sub(due)
	}
	fmt.Fprintf(os.Stderr, "  %d of %d delivered, first %.2f s and last %.1f s after due, %d duplicates, %d × 429\n",
		fig.delivered, fig.count, fig.first.Seconds(), fig.last.Seconds(), fig.duplicates, fig.limited)
	return fig, nil
}
