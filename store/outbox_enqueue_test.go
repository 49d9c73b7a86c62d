package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aurore/cairbot/store"
)

// TestEnqueueWritesEveryRowInOneGo: many messages are one statement, in
// the order given (ids, the order they leave in, follow it); a key queued
// before, or given twice in the same call, is one row and one send job;
// a message due now gets a job available at once, a later one a job due
// at its time.
func TestEnqueueWritesEveryRowInOneGo(t *testing.T) {
	t.Parallel()
	f := newAnnFixture(t)
	a := f.person(f.centre, store.RoleResident, "fa", nil, true, "active")
	b := f.person(f.centre, store.RoleResident, "ar", nil, true, "active")
	msg := func(p int64, key string, at time.Time) store.OutboxMessage {
		return store.OutboxMessage{CentreID: f.centre, PersonID: p, Kind: "notify", Key: key,
			MsgID: "start.welcome", Args: map[string]string{"k": key}, NotBefore: at}
	}
	if n, err := f.st.Enqueue(f.ctx, f.now, msg(a, "k:before", time.Time{})); err != nil || n != 1 {
		t.Fatalf("first key: %d new, %v", n, err)
	}
	later := f.now.Add(2 * time.Hour)
	n, err := f.st.Enqueue(f.ctx, f.now,
		msg(b, "k:3", time.Time{}),
		msg(a, "k:before", time.Time{}), // queued before
		msg(a, "k:1", later),
		msg(b, "k:3", time.Time{}), // twice in this call
		msg(b, "k:2", time.Time{}),
	)
	if err != nil || n != 3 {
		t.Fatalf("batch: %d new, %v; want 3", n, err)
	}
	rows, err := f.pool.Query(f.ctx, `SELECT id, dedupe_key, person_id, args->>'k', not_before FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var keys []string
	ids := map[string]int64{}
	for rows.Next() {
		var id, person int64
		var key, arg string
		var at time.Time
		if err := rows.Scan(&id, &key, &person, &arg, &at); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, key)
		ids[key] = id
		if arg != key {
			t.Errorf("row %s carries args k=%q", key, arg)
		}
		if want := map[string]time.Time{"k:1": later}[key]; !want.IsZero() && !at.Equal(want) {
			t.Errorf("row %s due at %v, want %v", key, at, want)
		}
	}
	if want := []string{"k:before", "k:3", "k:1", "k:2"}; !slices.Equal(keys, want) {
		t.Fatalf("rows in id order %v, want %v", keys, want)
	}
	sends := f.jobs.sends[1:]
	if len(sends) != 3 {
		t.Fatalf("%d send jobs for the batch, want 3: %+v", len(sends), sends)
	}
	for _, j := range sends {
		switch j.ID {
		case ids["k:1"]:
			if !j.NotBefore.Equal(later) {
				t.Errorf("the later message's job is due at %v, want %v", j.NotBefore, later)
			}
		case ids["k:2"], ids["k:3"]:
			if !j.NotBefore.IsZero() {
				t.Errorf("a message due now has a job due at %v, want at once", j.NotBefore)
			}
		default:
			t.Errorf("a send job for row %d, which this batch did not write", j.ID)
		}
	}
}

// newPacedFixture is a store paced at 10 messages a second a centre (a
// step every 100 ms), a second centre, and msg, which makes a message to a
// new resident of a centre with its priority and due time (zero: now).
func newPacedFixture(t *testing.T) (f *annFixture, other int64, msg func(centre int64, priority int, at time.Time) store.OutboxMessage) {
	t.Helper()
	f = newAnnFixture(t)
	f.st.PaceBulk(10)
	c, err := f.st.EnsureCentre(f.ctx, "paced-other", "Other")
	if err != nil {
		t.Fatal(err)
	}
	var seq int
	return f, c.ID, func(centre int64, priority int, at time.Time) store.OutboxMessage {
		seq++
		p := f.person(centre, store.RoleResident, "fr", nil, true, "active")
		return store.OutboxMessage{CentreID: centre, PersonID: p, Kind: "notify", Key: fmt.Sprintf("k:%d", seq),
			MsgID: "start.welcome", NotBefore: at, Priority: priority}
	}
}

// TestAnnouncementTurns: with PaceBulk, each announcement message
// due now gets its turn at its centre's pace: centres side by side from
// now, a centre's next announcement after what it queued before, from now
// again once that is past; other messages, and those due later, get none.
func TestAnnouncementTurns(t *testing.T) {
	t.Parallel()
	f, other, msg := newPacedFixture(t)
	const ann = store.AnnouncementPriority
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	steps := []struct {
		name  string
		now   time.Time
		msgs  []store.OutboxMessage
		turns []time.Duration // after f.now; -1: no turn
	}{
		{"first centre", f.now, []store.OutboxMessage{msg(f.centre, ann, time.Time{}), msg(f.centre, ann, time.Time{}),
			msg(f.centre, 1, time.Time{}), msg(f.centre, ann, time.Time{}), msg(f.centre, ann, f.now.Add(time.Hour))},
			[]time.Duration{0, ms(100), -1, ms(200), -1}},
		{"the other centre, beside it", f.now, []store.OutboxMessage{msg(other, ann, time.Time{}), msg(other, ann, time.Time{})},
			[]time.Duration{0, ms(100)}},
		{"the first centre again, after its first", f.now.Add(ms(50)), []store.OutboxMessage{msg(f.centre, ann, time.Time{})},
			[]time.Duration{ms(300)}},
		{"the other centre, once its turns are past", f.now.Add(10 * time.Second), []store.OutboxMessage{msg(other, ann, time.Time{})},
			[]time.Duration{10 * time.Second}},
	}
	for _, s := range steps {
		before := len(f.jobs.sends)
		if _, err := f.st.Enqueue(f.ctx, s.now, s.msgs...); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		jobs := f.jobs.sends[before:]
		if len(jobs) != len(s.turns) {
			t.Fatalf("%s: %d jobs, want %d", s.name, len(jobs), len(s.turns))
		}
		for i, j := range jobs {
			want := time.Time{}
			if s.turns[i] >= 0 {
				want = f.now.Add(s.turns[i])
			}
			if !j.Turn.Equal(want) {
				t.Errorf("%s: message %d's turn %v, want %v", s.name, i, j.Turn, want)
			}
		}
	}
}

// TestSpreadDue: with PaceBulk, the jobs of one centre due at one same
// later moment are due one pace's step apart from it, in the order given,
// each centre's from the moment itself; a job due at another moment, or
// now, keeps its due time, and every outbox row keeps its not_before.
func TestSpreadDue(t *testing.T) {
	t.Parallel()
	f, other, paced := newPacedFixture(t)
	msg := func(centre int64, at time.Time) store.OutboxMessage { return paced(centre, 1, at) }
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	at, later := f.now.Add(time.Hour), f.now.Add(2*time.Hour)
	msgs := []store.OutboxMessage{msg(f.centre, at), msg(other, at), msg(f.centre, at), msg(f.centre, later),
		msg(f.centre, time.Time{}), msg(f.centre, at), msg(other, at)}
	want := []time.Time{at, at, at.Add(ms(100)), later, {}, at.Add(ms(200)), at.Add(ms(100))}
	before := len(f.jobs.sends)
	if _, err := f.st.Enqueue(f.ctx, f.now, msgs...); err != nil {
		t.Fatal(err)
	}
	jobs := f.jobs.sends[before:]
	if len(jobs) != len(want) {
		t.Fatalf("%d jobs, want %d", len(jobs), len(want))
	}
	for i, j := range jobs {
		if !j.NotBefore.Equal(want[i]) {
			t.Errorf("job %d due %v, want %v", i, j.NotBefore, want[i])
		}
		var notBefore time.Time
		if err := f.pool.QueryRow(f.ctx, `SELECT not_before FROM outbox WHERE id = $1`, j.ID).Scan(&notBefore); err != nil {
			t.Fatal(err)
		}
		if w := msgs[i].NotBefore; !w.IsZero() && !notBefore.Equal(w) {
			t.Errorf("row %d's not_before %v, want %v (only the job moves)", i, notBefore, w)
		}
	}
}
