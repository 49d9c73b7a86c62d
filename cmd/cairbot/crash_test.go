//go:build crash

// Crash tests: real cairbot processes, killed with SIGKILL at random
// moments, against real PostgreSQL and Redis and the fake Telegram server
// with Telegram's limits. Run with `make test-crash` (CI runs it after
// `make test`); docs/RELIABILITY.md gives the figures.
package main

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
)

// figures are what a scenario measured, logged in one line (and copied
// into docs/RELIABILITY.md).
type figures struct {
	recipients  int
	kills       int
	missing     int // recipients who never got what was due to them
	duplicates  int // messages received more than once, counted beyond the first
	interrupted int // left in doubt by a kill and reported, not resent
	recovered   time.Duration
}

func (r *rig) logFigures(scenario string, f figures) {
	r.t.Helper()
	r.t.Logf("%s: %d recipients, %d kills: missing %d, duplicates %d, 429 answered %d, interrupted %d, recovered in %v",
		scenario, f.recipients, f.kills, f.missing, f.duplicates, r.tg.Limited(), f.interrupted, f.recovered.Round(100*time.Millisecond))
}

// Messages queued by a change (here written straight to the outbox) reach
// every recipient across several SIGKILLs; a plain notification left in
// doubt is sent again, so duplicates are possible but bounded: at most one
// row per job worker per kill.
func TestCrashOutboxNotificationsReachEveryone(t *testing.T) {
	r := newRig(t)
	people := r.residents(200, 710000, "fr", "fa-AF", "ti", "ar", "ps")
	p := r.start([]string{"run"})
	msgs := make([]store.OutboxMessage, len(people))
	for i, p := range people {
		msgs[i] = store.OutboxMessage{CentreID: r.centre.ID, PersonID: p.ID, Kind: handlers.KindNotify,
			Key: "crash:notify:" + strconv.FormatInt(p.ID, 10), MsgID: "error.busy"}
	}
	if _, err := r.st.Enqueue(context.Background(), time.Now(), msgs...); err != nil {
		t.Fatal(err)
	}
	const kills = 3
	r.killAtRandom(p, kills, 3*time.Second)
	restarted := time.Now()
	r.waitSettled(handlers.KindNotify, 3*time.Minute)
	f := figures{recipients: len(people), kills: kills, recovered: time.Since(restarted)}
	f.missing, _, f.duplicates = r.tally(people, func(string) bool { return true })
	r.logFigures("notify", f)
	t.Logf("notify: outbox %v", r.outboxStates(handlers.KindNotify))
	if f.missing != 0 {
		t.Fatalf("%d residents never got their message", f.missing)
	}
	if f.duplicates > kills*jobWorkers {
		t.Fatalf("%d duplicates after %d kills; the documented window is one per job worker per kill", f.duplicates, kills)
	}
}
