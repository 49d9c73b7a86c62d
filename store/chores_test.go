package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"

	"github.com/aurore/cairbot/rota"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

var choreParis = func() *time.Location {
	l, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return l
}()

func choreDate(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestChoreRemindersKeepParisWallClockAcrossDST(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	tests := []struct {
		name                  string
		day                   time.Time
		start, end            int // minutes after midnight, Paris
		eve, morning, overdue time.Time
	}{
		// Sunday 29 March 2026, clocks go forward at 02:00: the evening
		// before is still winter time (UTC+1), the day is summer time (UTC+2).
		{"spring change", time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC), 10 * 60, 12 * 60,
			utc(2026, 3, 28, 18, 0), utc(2026, 3, 29, 6, 0), utc(2026, 3, 29, 10, 0)},
		// Sunday 25 October 2026, clocks go back at 03:00: the evening
		// before is summer time, the day winter time.
		{"autumn change", time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC), 10 * 60, 12 * 60,
			utc(2026, 10, 24, 17, 0), utc(2026, 10, 25, 7, 0), utc(2026, 10, 25, 11, 0)},
		// A turn at 07:00 is reminded one hour before, not at 08:00.
		{"early turn", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 7 * 60, 8 * 60,
			utc(2026, 11, 30, 18, 0), utc(2026, 12, 1, 5, 0), utc(2026, 12, 1, 7, 0)},
		// A window ending at midnight ends on the next day.
		{"late turn", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 22 * 60, 24 * 60,
			utc(2026, 11, 30, 18, 0), utc(2026, 12, 1, 7, 0), utc(2026, 12, 1, 23, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			turn := store.ChoreTurn{Day: tt.day, StartsAt: rota.At(tt.day, tt.start, paris), EndsAt: rota.At(tt.day, tt.end, paris)}
			eve, morning, overdue := store.ChoreReminderTimes(turn, paris)
			if !eve.Equal(tt.eve) || !morning.Equal(tt.morning) || !overdue.Equal(tt.overdue) {
				t.Fatalf("reminders = %v, %v, %v; want %v, %v, %v", eve.UTC(), morning.UTC(), overdue.UTC(), tt.eve, tt.morning, tt.overdue)
			}
		})
	}
}

type choreFixture struct {
	st       *store.Store
	centre   store.Centre
	staff    store.Person
	resident []store.Person
	sched    *choreScheduler
}

// choreScheduler stands for River: it takes the outbox rows' jobs in the
// caller's transaction, or fails when told to.
type choreScheduler struct {
	jobs []store.OutboxJob
	fail error
}

func (c *choreScheduler) ScheduleOutboxTx(_ context.Context, _ pgx.Tx, jobs []store.OutboxJob) error {
	if c.fail != nil {
		return c.fail
	}
	c.jobs = append(c.jobs, jobs...)
	return nil
}

// choreOutboxRow is an outbox row as these tests look at it.
type choreOutboxRow struct {
	Key      string
	PersonID int64
	State    string
}

// outbox lists the centre's outbox rows, oldest first.
func (f choreFixture) outbox(t *testing.T) []choreOutboxRow {
	t.Helper()
	rows, err := f.st.Pool().Query(context.Background(), `SELECT dedupe_key, person_id, state FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[choreOutboxRow])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func newChoreFixture(t *testing.T, residents int) choreFixture {
	t.Helper()
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	c, err := st.EnsureCentre(ctx, "test", "Test")
	if err != nil {
		t.Fatal(err)
	}
	f := choreFixture{st: st, centre: c, sched: &choreScheduler{}}
	st.UseOutboxScheduler(f.sched)
	add := func(role store.Role, name, ext string) store.Person {
		np := store.NewPerson{CentreID: c.ID, Role: role, DisplayName: name, Room: fmt.Sprint(100 + len(f.resident)), Language: "fr"}
		if ext != "" {
			np.ExternalID = &ext
		}
		p, _, err := st.CreatePersonWithInvite(ctx, np, nil, storetest.Now(t).Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	f.staff = add(store.RoleStaff, "Claire", "S-1")
	for i := range residents {
		f.resident = append(f.resident, add(store.RoleResident, fmt.Sprintf("Resident %d", i+1), fmt.Sprintf("R-%d", i+1)))
	}
	return f
}

func (f choreFixture) importCSV(t *testing.T, csv string, now time.Time) (store.ChoreImportResult, error) {
	t.Helper()
	return f.st.ImportChoresCSV(context.Background(), f.centre.ID, strings.NewReader(csv), now)
}

func TestChoresImportIsAllOrNothingAndIdempotent(t *testing.T) {
	t.Parallel()
	f := newChoreFixture(t, 3)
	ctx := context.Background()
	now := storetest.Now(t)
	good := `kind,key,name,days,start,end,active,label_fr,label_fa-AF
area,kitchen-2,Kitchen floor 2,mon thu,18:00,20:00,yes,Cuisine 2e étage,آشپزخانهٔ منزل دوم
area,showers-1,Showers floor 1,sat,09:00,11:00,,,
member,R-1,,,,,,,
member,#` + fmt.Sprint(f.resident[1].ID) + `,,,,,yes,,
`
	res, err := f.importCSV(t, good, now)
	if err != nil {
		t.Fatal(err)
	}
	if res != (store.ChoreImportResult{Areas: store.ImportCounts{Added: 2}, Members: store.ImportCounts{Added: 2}}) {
		t.Fatalf("first import = %+v", res)
	}
	audits := func() int {
		log, err := f.st.AuditLog(ctx, f.centre.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range log {
			if e.Action == "chores.import" {
				n++
			}
		}
		return n
	}
	if audits() != 1 {
		t.Fatalf("import audited %d times", audits())
	}
	res, err = f.importCSV(t, good, now.Add(time.Hour))
	if err != nil || res != (store.ChoreImportResult{Areas: store.ImportCounts{Unchanged: 2}, Members: store.ImportCounts{Unchanged: 2}}) || res.Changed() {
		t.Fatalf("second import of the same file = %+v, %v: it must change nothing", res, err)
	}
	if audits() != 1 {
		t.Fatal("an import that changed nothing was audited")
	}

	bad := `kind,key,name,days,start,end,active,label_fr
area,kitchen-2,Kitchen floor 2 (new name),mon,18:00,20:00,yes,
area,laundry,Laundry,funday,09:00,10:00,,
area,yard,Courtyard,sun,10:00,09:30,,
area,hall,Hall,mon,25:00,26:00,,
member,R-3,,,,,,
member,S-1,,,,,,
member,R-404,,,,,,
area,kitchen-2,Kitchen again,tue,10:00,11:00,,
member,R-1,,,,,maybe,
weird,x,,,,,,
area,"broken
`
	_, err = f.importCSV(t, bad, now)
	var ie *store.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("bad file: err = %v, want a report", err)
	}
	wantLines := map[int]string{
		3:  `days: "funday" is not a weekday`,
		4:  "end 09:30 is not after start 10:00",
		5:  `start "25:00"`,
		7:  `person "S-1": is staff`,
		8:  `person "R-404": nobody of this centre`,
		9:  `area "kitchen-2" is already on line 2`,
		10: `active "maybe"`,
		11: `kind "weird"`,
		12: `extraneous or missing " in quoted-field`,
	}
	got := map[int]string{}
	for _, l := range ie.Problems {
		got[l.Line] += l.Msg + "; "
	}
	for line, want := range wantLines {
		if !strings.Contains(got[line], want) {
			t.Errorf("line %d: report %q, want it to say %q", line, got[line], want)
		}
	}
	for line := range got {
		if _, ok := wantLines[line]; !ok {
			t.Errorf("line %d reported but good: %q", line, got[line])
		}
	}
	// Nothing of the good lines of the bad file was written.
	turnsBefore, err := f.st.ChoreMembers(ctx, f.centre.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(turnsBefore) != 2 {
		t.Fatalf("members after a rejected import = %d, want 2 (R-3 must not be added)", len(turnsBefore))
	}
	res, err = f.importCSV(t, good, now)
	if err != nil || res.Changed() {
		t.Fatalf("the kitchen was renamed by a rejected import: %+v, %v", res, err)
	}

	// Header problems make the file unreadable as a whole.
	_, err = f.importCSV(t, "kind,name,colour,label_xx\n", now)
	if !errors.As(err, &ie) || len(ie.Problems) != 3 {
		t.Fatalf("bad header: %v", err)
	}
	for _, want := range []string{`"key" is missing`, `"colour" is unknown`, `"xx" is not a language`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("bad header report %q lacks %q", err, want)
		}
	}
}

func TestRegenerateChangesOnlyFuturePendingTurns(t *testing.T) {
	t.Parallel()
	f := newChoreFixture(t, 4)
	ctx := context.Background()
	// The week of the first Monday after the test begins.
	week := storetest.Date(storetest.Next(storetest.Now(t), time.Monday, 12, 0))
	before := rota.At(week, 0, choreParis).Add(-3 * 24 * time.Hour)
	csv := `kind,key,name,days,start,end
area,kitchen,Kitchen,mon wed fri,18:00,20:00
area,yard,Courtyard,tue thu,10:00,11:00
member,R-1,,,,
member,R-2,,,,
member,R-3,,,,
member,R-4,,,,
`
	if _, err := f.importCSV(t, csv, before); err != nil {
		t.Fatal(err)
	}
	n, err := f.st.GenerateChoreWeek(ctx, f.centre.ID, week, store.ChoreGenerate{Now: before, Loc: choreParis})
	// Each turn has its evening and morning reminders (no staff member is
	// on Telegram to be told of a turn not done).
	if err != nil || n != 5 || len(f.outbox(t)) != 10 || len(f.sched.jobs) != 10 {
		t.Fatalf("generate = %d, %v, %d reminders, %d jobs; want 5 turns, 10 reminders", n, err, len(f.outbox(t)), len(f.sched.jobs))
	}
	// The Monday job again: nothing happens to a week already made.
	if n, err := f.st.GenerateChoreWeek(ctx, f.centre.ID, week, store.ChoreGenerate{Now: before, Loc: choreParis}); err != nil || n != 0 || len(f.outbox(t)) != 10 {
		t.Fatalf("second generation = %d, %v, %d reminders", n, err, len(f.outbox(t)))
	}
	turns, err := f.st.ChoreWeekTurns(ctx, f.centre.ID, week)
	if err != nil {
		t.Fatal(err)
	}
	var people []int64
	for _, tu := range turns {
		people = append(people, tu.PersonID)
	}
	r := f.resident
	if want := []int64{r[0].ID, r[1].ID, r[2].ID, r[3].ID, r[0].ID}; !slices.Equal(people, want) {
		t.Fatalf("rota = %v, want round robin %v", people, want)
	}
	// Wednesday noon: Monday's turn was done, Tuesday's is still pending
	// (past), the rest is to come. Resident 2 goes away.
	now := rota.At(week.AddDate(0, 0, 2), 12*60, choreParis)
	if _, err := f.st.MarkChoreTurn(ctx, f.centre.ID, turns[0].ID, r[0].ID, store.ChoreDone, false, now); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Pool().Exec(ctx, `UPDATE people SET status = 'away' WHERE id = $1`, r[2].ID); err != nil {
		t.Fatal(err)
	}
	actor := f.staff.ID
	n, err = f.st.GenerateChoreWeek(ctx, f.centre.ID, week, store.ChoreGenerate{Now: now, Loc: choreParis, Actor: &actor})
	if err != nil {
		t.Fatal(err)
	}
	after, err := f.st.ChoreWeekTurns(ctx, f.centre.ID, week)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 5 {
		t.Fatalf("%d turns after regeneration", len(after))
	}
	for i := range 2 {
		if after[i].ID != turns[i].ID || after[i].PersonID != turns[i].PersonID {
			t.Fatalf("turn %d (past) changed: %+v → %+v", i, turns[i], after[i])
		}
	}
	if after[0].State != store.ChoreDone || after[1].State != store.ChorePending {
		t.Fatalf("past turns are %s and %s, want done and pending", after[0].State, after[1].State)
	}
	// Resident 3 is skipped and keeps his place; the others move up.
	people = nil
	for _, tu := range after[2:] {
		people = append(people, tu.PersonID)
	}
	if want := []int64{r[3].ID, r[0].ID, r[1].ID}; !slices.Equal(people, want) || n != 3 {
		t.Fatalf("future turns after regeneration = %v (%d changed), want %v (3 changed)", people, n, want)
	}
	for i, tu := range after[2:] {
		if tu.ID != turns[i+2].ID {
			t.Fatalf("future turn %d was recreated instead of given to someone else", i)
		}
	}
	log, err := f.st.AuditLog(ctx, f.centre.ID, 10)
	if err != nil || log[0].Action != "chores.regenerate" || log[0].ActorID == nil || *log[0].ActorID != actor {
		t.Fatalf("regeneration not audited: %+v, %v", log, err)
	}
	// Reminders: the done turn's are cancelled, the past turn's stay; the
	// turns given to someone else have new ones (plan 1) for their new
	// resident, those whose time has passed (Wednesday's) left out.
	at := func(d time.Time, hour int) int64 {
		return time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, choreParis).Unix()
	}
	want := map[string]int64{
		fmt.Sprintf("chores:turn:%d:p0:eve:%d", after[1].ID, at(week, 19)):                     r[1].ID,
		fmt.Sprintf("chores:turn:%d:p0:morning:%d", after[1].ID, at(week.AddDate(0, 0, 1), 8)): r[1].ID,
		fmt.Sprintf("chores:turn:%d:p1:eve:%d", after[3].ID, at(week.AddDate(0, 0, 2), 19)):    r[0].ID,
		fmt.Sprintf("chores:turn:%d:p1:morning:%d", after[3].ID, at(week.AddDate(0, 0, 3), 8)): r[0].ID,
		fmt.Sprintf("chores:turn:%d:p1:eve:%d", after[4].ID, at(week.AddDate(0, 0, 3), 19)):    r[1].ID,
		fmt.Sprintf("chores:turn:%d:p1:morning:%d", after[4].ID, at(week.AddDate(0, 0, 4), 8)): r[1].ID,
	}
	cancelled := 0
	for _, o := range f.outbox(t) {
		switch o.State {
		case "pending":
			if want[o.Key] != o.PersonID {
				t.Errorf("pending reminder %s to %d, want none", o.Key, o.PersonID)
			}
			delete(want, o.Key)
		case "cancelled":
			cancelled++
		default:
			t.Errorf("reminder %s is %s", o.Key, o.State)
		}
	}
	if len(want) != 0 || cancelled != 8 {
		t.Fatalf("missing reminders %v; %d cancelled, want 8 (Monday's done, and the four turns planned again)", want, cancelled)
	}
}

// choreLink gives people a Telegram account, as signing up does: only
// they can be asked to take a turn or told of a turn not done.
func (f choreFixture) link(t *testing.T, people ...store.Person) {
	t.Helper()
	for _, p := range people {
		if _, err := f.st.Pool().Exec(context.Background(), `UPDATE people SET telegram_id = $2 WHERE id = $1`, p.ID, p.ID+900000); err != nil {
			t.Fatal(err)
		}
	}
}

func (f choreFixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.st.Pool().QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

const choreTestRota = `kind,key,name,days,start,end
area,kitchen,Kitchen,mon thu,18:00,20:00
member,R-1,,,,
member,R-2,,,,
`

// A rota change and the messages it causes commit together: when the
// messages cannot be queued, the change is not made either.
func TestChoreMessagesCommitWithTheirChange(t *testing.T) {
	t.Parallel()
	f := newChoreFixture(t, 2)
	ctx := context.Background()
	f.link(t, f.resident...)
	week := choreDate(2026, 11, 30)
	before := rota.At(week, 0, choreParis).Add(-3 * 24 * time.Hour)
	if _, err := f.importCSV(t, choreTestRota, before); err != nil {
		t.Fatal(err)
	}
	down := errors.New("queue down")

	f.sched.fail = down
	if _, err := f.st.GenerateChoreWeek(ctx, f.centre.ID, week, store.ChoreGenerate{Now: before, Loc: choreParis}); !errors.Is(err, down) {
		t.Fatalf("generate with the queue down = %v", err)
	}
	if n := f.count(t, `SELECT count(*) FROM chore_turns`) + f.count(t, `SELECT count(*) FROM outbox`) +
		f.count(t, `SELECT count(*) FROM chore_weeks WHERE generated_at IS NOT NULL`); n != 0 {
		t.Fatalf("a failed generation left %d rows", n)
	}
	f.sched.fail = nil
	if n, err := f.st.GenerateChoreWeek(ctx, f.centre.ID, week, store.ChoreGenerate{Now: before, Loc: choreParis}); err != nil || n != 2 {
		t.Fatalf("generate = %d, %v", n, err)
	}
	turns, err := f.st.ChoreWeekTurns(ctx, f.centre.ID, week)
	if err != nil {
		t.Fatal(err)
	}

	// A swap asked while the queue is down is not recorded: the resident
	// asked again later gets one question.
	f.sched.fail = down
	if _, err := f.st.RequestChoreSwap(ctx, f.centre.ID, turns[0].ID, turns[0].PersonID, turns[1].PersonID, before); !errors.Is(err, down) {
		t.Fatalf("swap with the queue down = %v", err)
	}
	if n := f.count(t, `SELECT count(*) FROM chore_swaps`) + f.count(t, `SELECT count(*) FROM outbox WHERE kind = $1`, store.KindChoreSwapAsk); n != 0 {
		t.Fatalf("a failed swap request left %d rows", n)
	}
	f.sched.fail = nil
	sw, err := f.st.RequestChoreSwap(ctx, f.centre.ID, turns[0].ID, turns[0].PersonID, turns[1].PersonID, before)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT count(*) FROM outbox WHERE kind = $1 AND dedupe_key = $2 AND person_id = $3 AND state = 'pending'`,
		store.KindChoreSwapAsk, fmt.Sprintf("chores:swap:%d:ask", sw.ID), turns[1].PersonID); n != 1 {
		t.Fatalf("%d questions queued, want 1", n)
	}

	// Staff mark a turn missed while the queue is down: the turn stays
	// pending, and its reminders are not cancelled.
	now := turns[0].EndsAt
	f.sched.fail = down
	if _, err := f.st.MarkChoreTurn(ctx, f.centre.ID, turns[0].ID, f.staff.ID, store.ChoreMissed, true, now); !errors.Is(err, down) {
		t.Fatalf("mark with the queue down = %v", err)
	}
	if tu, err := f.st.ChoreTurn(ctx, f.centre.ID, turns[0].ID); err != nil || tu.State != store.ChorePending {
		t.Fatalf("turn after a failed mark: %+v, %v", tu, err)
	}
	if n := f.count(t, `SELECT count(*) FROM outbox WHERE state = 'cancelled'`); n != 0 {
		t.Fatalf("a failed mark cancelled %d reminders", n)
	}
}

// Every chores message has a key: the same message queued again (a job
// run twice, the Monday job after a restart) is not queued twice, while a
// turn moved away and back is reminded again at its old time.
func TestChoreMessagesAreQueuedOnce(t *testing.T) {
	t.Parallel()
	f := newChoreFixture(t, 2)
	ctx := context.Background()
	f.link(t, f.resident...)
	f.link(t, f.staff)
	week := choreDate(2026, 11, 30)
	monday := rota.At(week, 8*60, choreParis)
	if _, err := f.importCSV(t, choreTestRota, monday.Add(-72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.GenerateChoreWeek(ctx, f.centre.ID, week, store.ChoreGenerate{Now: monday, Loc: choreParis}); err != nil {
		t.Fatal(err)
	}
	if n, err := f.st.AnnounceChoreWeek(ctx, f.centre.ID, week, monday); err != nil || n != 2 {
		t.Fatalf("announce = %d, %v", n, err)
	}
	turns, err := f.st.ChoreWeekTurns(ctx, f.centre.ID, week)
	if err != nil {
		t.Fatal(err)
	}
	thu := turns[1]
	eve, morning, overdue := store.ChoreReminderTimes(thu, choreParis)
	rows := len(f.outbox(t))
	tests := []struct {
		name  string
		queue func() (int, error)
	}{
		{"the week's message", func() (int, error) {
			return f.st.Enqueue(ctx, monday, store.ChoreWeekMessage(f.centre.ID, thu.PersonID, week))
		}},
		{"an evening reminder", func() (int, error) {
			return f.st.QueueChoreReminder(ctx, f.centre.ID, thu.ID, store.ChoreEve, eve.Unix(), monday, choreParis)
		}},
		{"a morning reminder", func() (int, error) {
			return f.st.QueueChoreReminder(ctx, f.centre.ID, thu.ID, store.ChoreMorning, morning.Unix(), monday, choreParis)
		}},
		{"a report to staff", func() (int, error) {
			return f.st.QueueChoreReminder(ctx, f.centre.ID, thu.ID, store.ChoreOverdue, overdue.Unix(), monday, choreParis)
		}},
	}
	for _, tt := range tests {
		if n, err := tt.queue(); err != nil || n != 0 {
			t.Errorf("%s queued again: %d, %v", tt.name, n, err)
		}
	}
	if n := len(f.outbox(t)); n != rows {
		t.Fatalf("%d rows after queuing again, want %d", n, rows)
	}
	if n, err := f.st.AnnounceChoreWeek(ctx, f.centre.ID, week, monday); err != nil || n != 0 {
		t.Fatalf("second announce = %d, %v", n, err)
	}

	// Thursday's turn to Friday and back: the reminders at Thursday's
	// times are queued again (plan 2), not swallowed by the cancelled ones.
	for _, day := range []time.Time{week.AddDate(0, 0, 4), week.AddDate(0, 0, 3)} {
		if _, err := f.st.MoveChoreTurn(ctx, f.centre.ID, thu.ID, f.staff.ID, store.ChoreMove{Day: day}, monday, choreParis); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		fmt.Sprintf("chores:turn:%d:p2:eve:%d", thu.ID, eve.Unix()),
		fmt.Sprintf("chores:turn:%d:p2:morning:%d", thu.ID, morning.Unix()),
	}
	var got []string
	for _, o := range f.outbox(t) {
		if strings.HasPrefix(o.Key, fmt.Sprintf("chores:turn:%d:", thu.ID)) && o.State == "pending" {
			got = append(got, o.Key)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pending reminders of the turn moved back = %v, want %v", got, want)
	}
	for key, at := range map[string]time.Time{want[0]: eve, want[1]: morning} {
		if n := f.count(t, `SELECT count(*) FROM outbox WHERE dedupe_key = $1 AND not_before = $2`, key, at); n != 1 {
			t.Fatalf("%s is not due at %v", key, at)
		}
	}
	// The report to staff is one row per end time, shared by the turns
	// ending then (Monday's, Thursday's): the moves neither cancel
	// Thursday's nor queue it twice, and Friday's stays, to find no turn
	// when it leaves.
	friday := overdue.AddDate(0, 0, 1)
	rs, err := f.st.Pool().Query(ctx, `SELECT format('%s %s %s %s', dedupe_key, state, person_id, extract(epoch FROM not_before)::bigint)
		FROM outbox WHERE kind = $1 AND args->>'end' = extract(epoch FROM not_before)::bigint::text ORDER BY 1`, store.KindChoreOverdue)
	if err != nil {
		t.Fatal(err)
	}
	if got, err = pgx.CollectRows(rs, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	want = []string{
		fmt.Sprintf("chores:overdue:%d:%d:%d pending %d %d", f.centre.ID, turns[0].EndsAt.Unix(), f.staff.ID, f.staff.ID, turns[0].EndsAt.Unix()),
		fmt.Sprintf("chores:overdue:%d:%d:%d pending %d %d", f.centre.ID, overdue.Unix(), f.staff.ID, f.staff.ID, overdue.Unix()),
		fmt.Sprintf("chores:overdue:%d:%d:%d pending %d %d", f.centre.ID, friday.Unix(), f.staff.ID, f.staff.ID, friday.Unix()),
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("reports to staff = %v, want %v", got, want)
	}
	if n := f.count(t, `SELECT count(*) FROM outbox WHERE starts_with(dedupe_key, $1) AND person_id = $2`,
		fmt.Sprintf("chores:move:%d:", thu.ID), thu.PersonID); n != 2 {
		t.Fatalf("the resident is told of %d moves, want 2", n)
	}
}

// oldChoreMessage is the job the chores code queued before the outbox
// (kind chore_message): one message to one resident.
type oldChoreMessage struct {
	CentreID int64  `json:"centre_id"`
	PersonID int64  `json:"person_id"`
	MsgID    string `json:"msg_id"`
	TurnID   int64  `json:"turn_id"`
	SwapID   int64  `json:"swap_id"`
}

func (oldChoreMessage) Kind() string { return "chore_message" }

// oldChoreMessageWorked queues an old chore_message job and works it to
// completion through River (rivertest), as the old worker did once it had
// sent the message, and returns the job's id.
func oldChoreMessageWorked(t *testing.T, pool *pgxpool.Pool, args oldChoreMessage) int64 {
	t.Helper()
	ctx := context.Background()
	sent := river.WorkFunc(func(context.Context, *river.Job[oldChoreMessage]) error { return nil })
	w := rivertest.NewWorker(t, riverpgxv5.New(nil), &river.Config{}, sent)
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	res, err := w.Work(ctx, t, tx, args, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("old chore_message job ended %s, want completed", res.EventKind)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return res.Job.ID
}

// Migration 00009 carries chore_sends into the outbox under the keys the
// new code uses, so nothing already sent leaves again, and its Down gives
// them back.
func TestChoreSendsMoveToTheOutbox(t *testing.T) {
	t.Parallel()
	f := newChoreFixture(t, 2)
	ctx := context.Background()
	pool := f.st.Pool()
	f.link(t, f.staff)
	week := choreDate(2026, 11, 30)
	monday := rota.At(week, 8*60, choreParis)
	if _, err := f.importCSV(t, choreTestRota, monday.Add(-72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.GenerateChoreWeek(ctx, f.centre.ID, week, store.ChoreGenerate{Now: monday, Loc: choreParis}); err != nil {
		t.Fatal(err)
	}
	turns, err := f.st.ChoreWeekTurns(ctx, f.centre.ID, week)
	if err != nil {
		t.Fatal(err)
	}
	mon, thu := turns[0], turns[1]
	eve, morning, overdue := store.ChoreReminderTimes(mon, choreParis)

	// The database as it was before the outbox: what the old jobs sent.
	if err := store.MigrateChoresTo(ctx, pool, 8); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM outbox`); err != nil {
		t.Fatal(err)
	}
	jobID := oldChoreMessageWorked(t, pool, oldChoreMessage{CentreID: f.centre.ID, PersonID: f.resident[1].ID,
		MsgID: "chores.swap.ask", TurnID: mon.ID, SwapID: 77})
	sent := []string{
		fmt.Sprintf("week:%d:2026-11-30", mon.PersonID),
		fmt.Sprintf("eve:%d:%d", mon.ID, eve.Unix()),
		fmt.Sprintf("morning:%d:%d", mon.ID, morning.Unix()),
		fmt.Sprintf("overdue:%d:%d:%d", mon.ID, overdue.Unix(), f.staff.ID),
		fmt.Sprintf("job:%d", jobID),
	}
	lost := []string{"week:999999:2026-11-30", "eve:999999:1764698400", "job:999999", "job:abc", "weekly"}
	for _, k := range append(slices.Clone(sent), lost...) {
		if _, err := pool.Exec(ctx, `INSERT INTO chore_sends (centre_id, key) VALUES ($1, $2)`, f.centre.ID, k); err != nil {
			t.Fatal(err)
		}
	}

	if err := store.MigrateChoresTo(ctx, pool, 9); err != nil {
		t.Fatal(err)
	}
	type carried struct {
		Key, Kind string
		PersonID  int64
		Args      map[string]string
	}
	rows, err := pool.Query(ctx, `SELECT dedupe_key, kind, person_id, args FROM outbox WHERE state = 'sent' ORDER BY dedupe_key`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[carried])
	if err != nil {
		t.Fatal(err)
	}
	turn := fmt.Sprint(mon.ID)
	want := []carried{
		{fmt.Sprintf("chores:job:%d", jobID), store.KindChoreSwapAsk, f.resident[1].ID, map[string]string{"turn": turn, "swap": "77"}},
		{fmt.Sprintf("chores:turn:%d:p0:eve:%d", mon.ID, eve.Unix()), store.KindChoreReminder, mon.PersonID,
			map[string]string{"turn": turn, "plan": "0", "what": "eve"}},
		{fmt.Sprintf("chores:turn:%d:p0:morning:%d", mon.ID, morning.Unix()), store.KindChoreReminder, mon.PersonID,
			map[string]string{"turn": turn, "plan": "0", "what": "morning"}},
		{fmt.Sprintf("chores:turn:%d:p0:overdue:%d:%d", mon.ID, overdue.Unix(), f.staff.ID), store.KindChoreOverdue, f.staff.ID,
			map[string]string{"turn": turn, "plan": "0", "what": "overdue"}},
		{fmt.Sprintf("chores:week:2026-11-30:%d", mon.PersonID), store.KindChoreWeek, mon.PersonID, map[string]string{"week": "2026-11-30"}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("carried over:\n%v\nwant\n%v", got, want)
	}
	if n := f.count(t, `SELECT count(*) FROM pg_tables WHERE tablename = 'chore_sends'`); n != 0 {
		t.Fatal("chore_sends is still there")
	}

	// What was sent is not queued again; what was not is.
	for _, c := range []struct {
		what string
		at   time.Time
	}{{store.ChoreEve, eve}, {store.ChoreMorning, morning}, {store.ChoreOverdue, overdue}} {
		if n, err := f.st.QueueChoreReminder(ctx, f.centre.ID, mon.ID, c.what, c.at.Unix(), monday, choreParis); err != nil || n != 0 {
			t.Errorf("%s reminder sent before queued again: %d, %v", c.what, n, err)
		}
	}
	if n, err := f.st.Enqueue(ctx, monday, store.ChoreWeekMessage(f.centre.ID, mon.PersonID, week)); err != nil || n != 0 {
		t.Errorf("week message sent before queued again: %d, %v", n, err)
	}
	thuEve, _, _ := store.ChoreReminderTimes(thu, choreParis)
	if n, err := f.st.QueueChoreReminder(ctx, f.centre.ID, thu.ID, store.ChoreEve, thuEve.Unix(), monday, choreParis); err != nil || n != 1 {
		t.Errorf("a reminder not sent yet: %d, %v", n, err)
	}

	// Down gives the history back under the old keys.
	if err := store.MigrateChoresTo(ctx, pool, 8); err != nil {
		t.Fatal(err)
	}
	rows, err = pool.Query(ctx, `SELECT key FROM chore_sends ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	back, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(sent)
	if !slices.Equal(back, sent) {
		t.Fatalf("chore_sends after Down = %v, want %v", back, sent)
	}
}
