package bot

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// River keeps the database's clock unless the bot runs on another one.
func TestRiverClockOnlyForAnotherClock(t *testing.T) {
	t.Parallel()
	now := time.Now
	if !realClock(nil) || !realClock(time.Now) || !realClock(now) {
		t.Fatal("time.Now is not taken for the real clock")
	}
	at := time.Date(2027, 3, 28, 1, 30, 0, 0, time.UTC)
	fixed := func() time.Time { return at }
	if realClock(fixed) {
		t.Fatal("a test clock is taken for the real one")
	}
	rc := riverClock(fixed)
	if got := rc.NowOrNil(); got == nil || !got.Equal(at) || !rc.Now().Equal(at) {
		t.Fatalf("River's time = %v, %v; want %v", rc.Now(), got, at)
	}
}

// TestMessagesOfCentresQueuedTogetherAreWorkedSideBySide: River hands
// out available jobs by priority, then scheduled_at, then id. Two centres
// queue four messages each, one after the other: an announcement due now,
// or reminders due at one same later moment (a class's, a week's cleaning
// turns). Their jobs come out one of each centre in turn — due now: all
// available at once; due later: once released at that moment — instead of
// the first centre's all before the second's (a worker waits for its bot's
// pace with its job in hand, so that order sent the centres one after the
// other).
func TestMessagesOfCentresQueuedTogetherAreWorkedSideBySide(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		priority int
		due      time.Duration // after now; 0: due now
	}{
		{"an announcement due now", store.AnnouncementPriority, 0},
		{"reminders due at one moment later", 1, time.Hour},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool := storetest.NewPool(t)
			now := storetest.Now(t)
			clock := func() time.Time { return now }
			jobs, err := NewInsertOnlyJobs(pool, clock)
			if err != nil {
				t.Fatal(err)
			}
			st := store.New(pool)
			st.UseOutboxScheduler(NewOutboxScheduler(jobs))
			st.PaceBulk(25)
			var due time.Time
			if tc.due > 0 {
				due = now.Add(tc.due)
			}
			var centres []int64
			for _, slug := range []string{"first", "second"} {
				c, err := st.EnsureCentre(ctx, slug, slug)
				if err != nil {
					t.Fatal(err)
				}
				centres = append(centres, c.ID)
				var msgs []store.OutboxMessage
				for i := range 4 {
					p, _, err := st.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: c.ID, Role: store.RoleResident,
						DisplayName: "P", Language: "fr"}, nil, now.Add(time.Hour))
					if err != nil {
						t.Fatal(err)
					}
					msgs = append(msgs, store.OutboxMessage{CentreID: c.ID, PersonID: p.ID, Kind: "notify",
						Key: fmt.Sprintf("msg:%d", i), MsgID: "start.welcome", Priority: tc.priority, NotBefore: due})
				}
				if _, err := st.Enqueue(ctx, now, msgs...); err != nil {
					t.Fatal(err)
				}
			}
			// Then on River's side: at the moment they are due, what its
			// scheduler releases is worked in this order.
			handOut := now
			if tc.due > 0 {
				handOut = due.Add(time.Second)
				if err := ReleaseDue(ctx, pool, handOut); err != nil {
					t.Fatal(err)
				}
			}
			rows, err := pool.Query(ctx, `SELECT o.centre_id, j.state::text, j.scheduled_at <= $2,
					j.scheduled_at >= o.not_before OR j.priority = $3
				FROM river_job j JOIN outbox o ON o.id = (j.args->>'id')::bigint
				WHERE j.kind = $1 ORDER BY j.priority, j.scheduled_at, j.id`,
				handlers.OutboxSendArgs{}.Kind(), handOut, store.AnnouncementPriority)
			if err != nil {
				t.Fatal(err)
			}
			var order []int64
			for rows.Next() {
				var centre int64
				var state string
				var available, notEarly bool
				if err := rows.Scan(&centre, &state, &available, &notEarly); err != nil {
					t.Fatal(err)
				}
				if state != "available" || !available {
					t.Errorf("a job of centre %d is %s, due by %v: %v; want available", centre, state, handOut, available)
				}
				if !notEarly {
					t.Errorf("a job of centre %d is due before its message may leave", centre)
				}
				order = append(order, centre)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			a, b := centres[0], centres[1]
			if want := []int64{a, b, a, b, a, b, a, b}; !slices.Equal(order, want) {
				t.Fatalf("jobs handed out by centre %v, want %v", order, want)
			}
		})
	}
}
