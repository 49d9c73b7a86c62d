package store_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}()

// classFixture is a centre with residents carrying external ids, as the
// residents import leaves them, each on Telegram.
type classFixture struct {
	st     *store.Store
	jobs   *clsOutboxJobs
	centre store.Centre
	people map[string]store.Person // by external id
}

// clsOutboxJobs stands for the job queue that sends outbox rows: it
// counts the rows scheduled, or fails as a queue that is down.
type clsOutboxJobs struct {
	mu        sync.Mutex
	fail      error
	scheduled int
	// centres are the centres of each batch scheduled, in order.
	centres [][]int64
}

func (q *clsOutboxJobs) ScheduleOutboxTx(_ context.Context, _ pgx.Tx, jobs []store.OutboxJob) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return q.fail
	}
	q.scheduled += len(jobs)
	var centres []int64
	for _, j := range jobs {
		if !slices.Contains(centres, j.CentreID) {
			centres = append(centres, j.CentreID)
		}
	}
	q.centres = append(q.centres, centres)
	return nil
}

func (q *clsOutboxJobs) failWith(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.fail = err
}

// clsNow is when the fixture's changes are made: Sunday 29 November 2026,
// noon in Paris.
var clsNow = time.Date(2026, 11, 29, 12, 0, 0, 0, paris)

func newClassFixture(t *testing.T, residents ...string) *classFixture {
	t.Helper()
	ctx := context.Background()
	pool := storetest.NewPool(t)
	st := store.New(pool)
	jobs := &clsOutboxJobs{}
	st.UseOutboxScheduler(jobs)
	c, err := st.EnsureCentre(ctx, "cls", "Test")
	if err != nil {
		t.Fatal(err)
	}
	f := &classFixture{st: st, jobs: jobs, centre: c, people: map[string]store.Person{}}
	for i, ext := range residents {
		role := store.RoleResident
		if strings.HasPrefix(ext, "S-") {
			role = store.RoleStaff
		}
		if strings.HasPrefix(ext, "C-") {
			role = store.RoleCoordinator
		}
		p, _, err := st.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: c.ID, Role: role,
			DisplayName: "Person " + ext, Room: "1" + ext[len(ext)-2:], Language: "fr"}, nil, storetest.Now(t).Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `UPDATE people SET external_id = $2, telegram_id = $3 WHERE id = $1`,
			p.ID, ext, 7000+i); err != nil {
			t.Fatal(err)
		}
		f.people[ext] = p
	}
	return f
}

// outbox lists the outbox rows whose keys start with prefix, as
// "key state", by key.
func (f *classFixture) outbox(t *testing.T, prefix string) []string {
	t.Helper()
	rows, err := f.st.Pool().Query(context.Background(), `SELECT dedupe_key || ' ' || state FROM outbox
		WHERE starts_with(dedupe_key, $1) ORDER BY dedupe_key`, prefix)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const classesCSV = `kind,id,group,level,name,weekday,start,end,room,teacher,resident,hours
group,G-A1M,,A1,A1 matin,,,,,,,
group,G-ALPHA,,Alpha,Alpha soir,,,,,,,
session,S-A1M-MON,G-A1M,,,lundi,10:00,12:30,Salle 1,Marie Dupont,,
session,S-A1M-SUN,G-A1M,,,sunday,9h30,11h,Salle 2,Marie Dupont,,
session,S-ALPHA-WED,G-ALPHA,,,3,18:00,20:00,Salle 3,Karim B.,,
enrolment,,G-A1M,,,,,,,,R-01,200
enrolment,,G-ALPHA,,,,,,,,R-02,600
`

func TestImportClassesIsAllOrNothingAndIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newClassFixture(t, "R-01", "R-02", "S-09", "R-03")
	if _, err := f.st.Pool().Exec(ctx, `UPDATE people SET status = 'left' WHERE id = $1`, f.people["R-03"].ID); err != nil {
		t.Fatal(err)
	}
	count := func(table string) int {
		var n int
		if err := f.st.Pool().QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	bad := classesCSV + `session,S-BAD,G-A1M,,,funday,25:00,09:00,Salle 1,Marie,,
enrolment,,G-NOPE,,,,,,,,R-01,200
enrolment,,G-A1M,,,,,,,,R-99,300
group,G-A1M,,A2,Again,,,,,,,
enrolment,,G-A1M,,,,,,,,R-01,200
enrolment,,G-A1M,,,,,,,,S-09,100
thing,,,,,,,,,,,
session,S-X,G-A1M,,,monday,10:00,11:00,Salle 1,Marie,R-01,
enrolment,,G-ALPHA,,,,,,,,R-03,100
"unclosed,quote
`
	_, err := f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(bad), nil)
	var ie *store.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("bad file: %v", err)
	}
	wantLines := map[int][]string{
		9:  {`weekday "funday"`, `start "25:00"`},
		10: {`group "G-NOPE" is neither`},
		11: {`hours "300"`},
		12: {`group "G-A1M" is already defined on line 2`},
		13: {`resident "R-01" is already enrolled in group "G-A1M" on line 7`},
		14: {`"S-09" is staff, not a resident`},
		15: {`kind "thing"`},
		16: {`column "resident" must be empty on a session line`},
		17: {`resident "R-03" has left the centre`},
		18: {`cannot read the line: extraneous or missing " in quoted-field`},
	}
	got := map[int]string{}
	for _, p := range ie.Problems {
		got[p.Line] += p.Msg + "; "
	}
	for line, frags := range wantLines {
		for _, frag := range frags {
			if !strings.Contains(got[line], frag) {
				t.Errorf("line %d: report %q lacks %q", line, got[line], frag)
			}
		}
	}
	for line := range got {
		if _, ok := wantLines[line]; !ok {
			t.Errorf("line %d reported but good: %q", line, got[line])
		}
	}
	if !strings.Contains(err.Error(), "line 9: ") || !strings.Contains(err.Error(), "nothing imported") {
		t.Errorf("report = %q", err.Error())
	}
	for _, table := range []string{"class_groups", "class_sessions", "class_enrolments"} {
		if n := count(table); n != 0 {
			t.Fatalf("%s has %d rows after a refused file", table, n)
		}
	}
	auditBefore := count("audit_log")

	res, err := f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(classesCSV), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Groups.Added != 2 || res.Sessions.Added != 3 || res.Enrolments.Added != 2 {
		t.Fatalf("first import = %+v", res)
	}
	if count("audit_log") != auditBefore+1 {
		t.Fatalf("import not audited once")
	}
	res, err = f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(classesCSV), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed() || res.Groups.Unchanged != 2 || res.Sessions.Unchanged != 3 || res.Enrolments.Unchanged != 2 {
		t.Fatalf("second import = %+v", res)
	}
	if count("audit_log") != auditBefore+1 {
		t.Fatalf("a re-import wrote to the audit log")
	}
	// A changed line updates only its row.
	changed := strings.Replace(classesCSV, "R-02,600", "R-02,400", 1)
	if res, err = f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(changed), nil); err != nil || res.Enrolments.Changed != 1 || res.Enrolments.Unchanged != 1 {
		t.Fatalf("changed import = %+v, %v", res, err)
	}
}

// A weekly class is at the same Paris wall-clock time before and after the
// clock changes of 29 March and 25 October 2026, so its UTC time moves.
func TestClassOccurrencesKeepWallClockAcrossDST(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newClassFixture(t, "R-01", "R-02")
	if _, err := f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(classesCSV), nil); err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name     string
		from, to string
		want     []string // UTC starts of R-01's classes (A1 matin: Monday 10:00, Sunday 9:30)
	}{
		{"week before spring change", "2026-03-23T00:00:00Z", "2026-03-29T00:30:00Z", []string{"2026-03-23T09:00:00Z"}},
		{"spring change weekend", "2026-03-28T00:00:00Z", "2026-03-31T00:00:00Z", []string{"2026-03-29T07:30:00Z", "2026-03-30T08:00:00Z"}},
		{"week before autumn change", "2026-10-19T00:00:00Z", "2026-10-20T00:00:00Z", []string{"2026-10-19T08:00:00Z"}},
		{"autumn change weekend", "2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z", []string{"2026-10-25T08:30:00Z", "2026-10-26T09:00:00Z"}},
	}
	for _, tt := range tests {
		occ, err := f.st.ClassOccurrences(ctx, store.ClassQuery{CentreID: f.centre.ID, PersonID: f.people["R-01"].ID,
			From: utc(tt.from), To: utc(tt.to)}, paris)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range occ {
			got = append(got, o.Start.UTC().Format(time.RFC3339))
			if o.Start.In(paris).Format("15:04") != store.FormatClassTime(o.Session.Start) {
				t.Errorf("%s: %v is not at %s in Paris", tt.name, o.Start, store.FormatClassTime(o.Session.Start))
			}
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: starts %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestChangeClassOccurrence(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newClassFixture(t, "R-01", "R-02", "S-09")
	if _, err := f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(classesCSV), nil); err != nil {
		t.Fatal(err)
	}
	from := storetest.Next(storetest.Now(t), time.Monday, 0, 0)
	week := func() []store.ClassOccurrence {
		occ, err := f.st.ClassOccurrences(ctx, store.ClassQuery{CentreID: f.centre.ID, From: from, To: from.AddDate(0, 0, 7)}, paris)
		if err != nil {
			t.Fatal(err)
		}
		// "My week" of a resident of the moved class reads the same.
		samePersonWeek(t, f.st, f.centre.ID, f.people["R-01"].ID, from, from.AddDate(0, 0, 7), paris)
		return occ
	}
	occ := week()
	if len(occ) != 3 {
		t.Fatalf("week has %d classes, want 3 (Mon, Wed, Sun)", len(occ))
	}
	mon := occ[0]
	// The changes are made the day before the class, on the test's clock.
	clsNow := storetest.Day(from, -1, 12, 0)
	staff := f.people["S-09"].ID
	var told store.ClassChangeNotice
	// Move Monday's class to Thursday 15:00 in room B12: it leaves Monday
	// and appears on Thursday, keyed by its planned date.
	newStart := storetest.Day(from, 3, 15, 0)
	n, err := f.st.ChangeClassOccurrence(ctx, store.ClassChange{CentreID: f.centre.ID, SessionID: mon.Session.ID, Date: mon.Date,
		ActorID: staff, Now: clsNow, ReminderBefore: time.Hour, Kind: store.ClassMoved, NewStart: newStart, NewEnd: newStart.Add(150 * time.Minute), NewRoom: "B12"}, paris)
	if err != nil {
		t.Fatal(err)
	}
	told = n
	if len(told.Residents) != 1 || told.Residents[0].PersonID != f.people["R-01"].ID || told.Before.Moved || !told.After.Moved {
		t.Fatalf("notice = %+v", told)
	}
	occ = week()
	if len(occ) != 3 || occ[1].Session.ID != mon.Session.ID || !occ[1].Moved || !occ[1].Start.Equal(newStart) || occ[1].Room != "B12" ||
		!occ[1].Date.Equal(mon.Date) {
		t.Fatalf("after move: %+v", occ)
	}
	// Thursday alone, the window of a staff member's list of the day:
	// only sessions held on its weekdays are read, and the Monday class
	// moved into it is found all the same; Monday alone no longer has it.
	for _, day := range []struct {
		name   string
		offset int
		want   bool
	}{{"Thursday", 3, true}, {"Monday", 0, false}} {
		dayFrom := storetest.Day(from, day.offset, 0, 0)
		got, err := f.st.ClassOccurrences(ctx, store.ClassQuery{CentreID: f.centre.ID, From: dayFrom, To: dayFrom.AddDate(0, 0, 1)}, paris)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, o := range got {
			found = found || o.Session.ID == mon.Session.ID && o.Moved && o.Start.Equal(newStart)
		}
		if found != day.want {
			t.Fatalf("%s alone: moved class found %v, want %v (%+v)", day.name, found, day.want, got)
		}
	}
	// A move out of the window from a date inside it.
	far := storetest.Day(from, 20, 10, 0)
	if _, err := f.st.ChangeClassOccurrence(ctx, store.ClassChange{CentreID: f.centre.ID, SessionID: mon.Session.ID, Date: mon.Date,
		ActorID: staff, Now: clsNow, ReminderBefore: time.Hour, Kind: store.ClassMoved, NewStart: far, NewEnd: far.Add(time.Hour), NewRoom: "B12"}, paris); err != nil {
		t.Fatal(err)
	}
	if occ = week(); len(occ) != 2 {
		t.Fatalf("moved away, week has %d classes", len(occ))
	}
	if _, err := f.st.ChangeClassOccurrence(ctx, store.ClassChange{CentreID: f.centre.ID, SessionID: mon.Session.ID, Date: mon.Date,
		ActorID: staff, Now: clsNow, ReminderBefore: time.Hour, Kind: store.ClassCancelled}, paris); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ChangeClassOccurrence(ctx, store.ClassChange{CentreID: f.centre.ID, SessionID: mon.Session.ID, Date: mon.Date,
		ActorID: staff, Now: clsNow, ReminderBefore: time.Hour, Kind: store.ClassCancelled}, paris); !errors.Is(err, store.ErrClassUnchanged) {
		t.Fatalf("cancel twice: %v", err)
	}
	if occ = week(); len(occ) != 3 || !occ[0].Cancelled || !occ[0].Start.Equal(mon.PlannedStart) {
		t.Fatalf("after cancel: %+v", occ)
	}
	n, err = f.st.ChangeClassOccurrence(ctx, store.ClassChange{CentreID: f.centre.ID, SessionID: mon.Session.ID, Date: mon.Date,
		ActorID: staff, Now: clsNow, ReminderBefore: time.Hour, Kind: store.ClassRestored}, paris)
	if err != nil || n.Key == told.Key {
		t.Fatalf("restore: key %q (move was %q), %v", n.Key, told.Key, err)
	}
	if occ = week(); occ[0].Cancelled || occ[0].Moved {
		t.Fatalf("after restore: %+v", occ[0])
	}
	// Another centre's session, or a date the session does not meet, is
	// not found.
	other, _ := f.st.EnsureCentre(ctx, "other-centre", "Other")
	if _, err := f.st.ClassOccurrenceOn(ctx, other.ID, mon.Session.ID, mon.Date, paris); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other centre: %v", err)
	}
	if _, err := f.st.ClassOccurrenceOn(ctx, f.centre.ID, mon.Session.ID, mon.Date.AddDate(0, 0, 1), paris); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("wrong weekday: %v", err)
	}
	var audits int
	_ = f.st.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action LIKE 'class.%' AND actor_id = $1`, staff).Scan(&audits)
	if audits != 4 {
		t.Fatalf("class changes audited %d times, want 4", audits)
	}

	// Each change queued R-01's notice and replaced the one not sent yet;
	// each time the class moved its reminders moved with it; cancelled, it
	// has none; restored, it has one again at its planned time.
	var change int64
	if err := f.st.Pool().QueryRow(ctx, `SELECT id FROM class_changes`).Scan(&change); err != nil {
		t.Fatal(err)
	}
	r1 := f.people["R-01"].ID
	notice := func(rev int, state string) string {
		return fmt.Sprintf("notice:class:%d:%d:%d %s", change, rev, r1, state)
	}
	want := []string{notice(1, "cancelled"), notice(2, "cancelled"), notice(3, "cancelled"), notice(4, "pending")}
	if got := f.outbox(t, fmt.Sprintf("notice:class:%d:", change)); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("notices:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	prefix := fmt.Sprintf("reminder:class:%d:%s:", mon.Session.ID, mon.Date.Format("20060102"))
	reminder := func(start time.Time, rev int, state string) string {
		return fmt.Sprintf("%s%d:%d:%d %s", prefix, start.Unix(), rev, r1, state)
	}
	want = []string{reminder(newStart, 1, "cancelled"), reminder(far, 2, "cancelled"), reminder(mon.PlannedStart, 4, "pending")}
	got := f.outbox(t, prefix)
	// The keys sort by start time as text: compare as sets.
	if strings.Join(sorted(got), "\n") != strings.Join(sorted(want), "\n") {
		t.Fatalf("reminders:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var due time.Time
	if err := f.st.Pool().QueryRow(ctx, `SELECT not_before FROM outbox WHERE kind = 'class_reminder' AND state = 'pending'`).
		Scan(&due); err != nil || !due.Equal(mon.PlannedStart.Add(-time.Hour)) {
		t.Fatalf("restored class's reminder due %v, %v; want an hour before 10:00", due, err)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// An attendance button's class and roster come in one batch, and read as
// ClassOccurrenceOn and ClassRoster read them: a moved class at its new
// time, the residents who left out, another centre's session or a date it
// does not meet not found.
func TestClassOccurrenceWithRoster(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newClassFixture(t, "R-01", "R-02", "R-03", "S-09")
	if _, err := f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(classesCSV+"enrolment,,G-A1M,,,,,,,,R-03,200\n"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Pool().Exec(ctx, `UPDATE people SET status = 'left' WHERE id = $1`, f.people["R-03"].ID); err != nil {
		t.Fatal(err)
	}
	mon, sun, wed := mustSession(t, f, "S-A1M-MON"), mustSession(t, f, "S-A1M-SUN"), mustSession(t, f, "S-ALPHA-WED")
	monday := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	moved := time.Date(2026, 12, 3, 15, 0, 0, 0, paris)
	if _, err := f.st.ChangeClassOccurrence(ctx, store.ClassChange{CentreID: f.centre.ID, SessionID: mon, Date: monday,
		ActorID: f.people["S-09"].ID, Now: clsNow, ReminderBefore: time.Hour, Kind: store.ClassMoved,
		NewStart: moved, NewEnd: moved.Add(time.Hour), NewRoom: "B12"}, paris); err != nil {
		t.Fatal(err)
	}
	other, err := f.st.EnsureCentre(ctx, "other-centre", "Other")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		centre    int64
		session   int64
		date      time.Time
		start     time.Time // zero: not found
		room      string
		residents string
	}{
		{"planned", f.centre.ID, sun, time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC),
			time.Date(2026, 11, 29, 9, 30, 0, 0, paris), "2", "Person R-01"},
		{"moved", f.centre.ID, mon, monday, moved, "B12", "Person R-01"},
		{"another group", f.centre.ID, wed, time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC),
			time.Date(2026, 12, 2, 18, 0, 0, 0, paris), "3", "Person R-02"},
		{"a day it does not meet", f.centre.ID, mon, monday.AddDate(0, 0, 1), time.Time{}, "", ""},
		{"another centre's", other.ID, mon, monday, time.Time{}, "", ""},
		{"no such session", f.centre.ID, wed + 1000, monday, time.Time{}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, roster, err := f.st.ClassOccurrenceWithRoster(ctx, tt.centre, tt.session, tt.date, paris)
			if tt.start.IsZero() {
				if !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("got %+v, %v; want ErrNotFound", o, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range roster {
				names = append(names, r.Name)
			}
			if !o.Start.Equal(tt.start) || o.Room != tt.room || strings.Join(names, ",") != tt.residents {
				t.Fatalf("got %v in %q with %v; want %v in %q with %s", o.Start, o.Room, names, tt.start, tt.room, tt.residents)
			}
			// The same as the two reads it replaces.
			one, err := f.st.ClassOccurrenceOn(ctx, tt.centre, tt.session, tt.date, paris)
			if err != nil {
				t.Fatal(err)
			}
			two, err := f.st.ClassRoster(ctx, tt.centre, o.Session.GroupID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(o, one) || !reflect.DeepEqual(roster, two) {
				t.Fatalf("batch %+v %+v\nwhile alone %+v %+v", o, roster, one, two)
			}
		})
	}
}

// A change whose messages cannot be queued is not made: the change, its
// audit entry and its outbox rows are one transaction.
func TestChangeClassOccurrenceWritesNothingWhenItsNoticesFail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newClassFixture(t, "R-01", "R-02", "S-09")
	if _, err := f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(classesCSV), nil); err != nil {
		t.Fatal(err)
	}
	mon, err := f.st.ClassOccurrenceOn(ctx, f.centre.ID, mustSession(t, f, "S-A1M-MON"), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), paris)
	if err != nil {
		t.Fatal(err)
	}
	down := errors.New("queue down")
	f.jobs.failWith(down)
	_, err = f.st.ChangeClassOccurrence(ctx, store.ClassChange{CentreID: f.centre.ID, SessionID: mon.Session.ID, Date: mon.Date,
		ActorID: f.people["S-09"].ID, Kind: store.ClassCancelled, Now: clsNow, ReminderBefore: time.Hour}, paris)
	if !errors.Is(err, down) {
		t.Fatalf("change with the queue down: %v", err)
	}
	var n int
	if err := f.st.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM class_changes) + (SELECT count(*) FROM outbox)
		+ (SELECT count(*) FROM audit_log WHERE action LIKE 'class.%')`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("a failed change wrote %d rows (%v)", n, err)
	}
	if o, err := f.st.ClassOccurrenceOn(ctx, f.centre.ID, mon.Session.ID, mon.Date, paris); err != nil || o.Cancelled {
		t.Fatalf("the class is cancelled all the same: %+v, %v", o, err)
	}
}

// The planner's run over every centre queues each centre's reminders in a
// batch of their own (a deployment of a hundred centres queued tens of
// thousands in one), and every centre's all the same.
func TestPlanClassRemindersOneCentreAtATime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newClassFixture(t, "R-01", "R-02")
	other, err := f.st.EnsureCentre(ctx, "cls-other", "Other")
	if err != nil {
		t.Fatal(err)
	}
	for i, ext := range []string{"R-01", "R-02"} {
		p, _, err := f.st.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: other.ID, Role: store.RoleResident,
			DisplayName: "Other " + ext, Room: "2" + ext[len(ext)-2:], Language: "fr"}, nil, storetest.Now(t).Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.Pool().Exec(ctx, `UPDATE people SET external_id = $2, telegram_id = $3 WHERE id = $1`,
			p.ID, ext, 8000+i); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []int64{f.centre.ID, other.ID} {
		if _, err := f.st.ImportClassesCSV(ctx, c, strings.NewReader(classesCSV), nil); err != nil {
			t.Fatal(err)
		}
	}
	// From Saturday 28 November noon, 48 hours: A1 matin's Sunday and
	// Monday classes, R-01's, in each centre.
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, paris)
	before := len(f.jobs.centres)
	n, err := f.st.PlanClassReminders(ctx, store.ClassQuery{From: now, To: now.Add(48 * time.Hour)}, time.Hour, now, paris)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Fatalf("queued %d reminders, want 4 (R-01's two classes in each centre)", n)
	}
	batches := f.jobs.centres[before:]
	want := [][]int64{{f.centre.ID}, {other.ID}}
	slices.SortFunc(batches, func(a, b []int64) int { return cmp.Compare(a[0], b[0]) })
	if !slices.EqualFunc(batches, want, slices.Equal) {
		t.Fatalf("batches by centre %v, want %v", batches, want)
	}
}

// The planner queues each class's reminder once per resident however often
// it runs, only to residents active and on Telegram, and none for a
// cancelled class; a resident who joins the group later gets his.
func TestPlanClassRemindersOncePerClassAndResident(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newClassFixture(t, "R-01", "R-02", "R-03", "R-04", "S-09")
	csv := classesCSV + "enrolment,,G-A1M,,,,,,,,R-03,200\nenrolment,,G-A1M,,,,,,,,R-04,200\n"
	if _, err := f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(csv), nil); err != nil {
		t.Fatal(err)
	}
	// R-03 is away; R-04 never signed up on Telegram.
	if _, err := f.st.Pool().Exec(ctx, `UPDATE people SET status = 'away' WHERE id = $1`, f.people["R-03"].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Pool().Exec(ctx, `UPDATE people SET telegram_id = NULL WHERE id = $1`, f.people["R-04"].ID); err != nil {
		t.Fatal(err)
	}
	// From Saturday 28 November noon, 48 hours: Sunday 29 at 9:30 and
	// Monday 30 at 10:00 (A1 matin), none of Alpha soir (Wednesday).
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, paris)
	q := store.ClassQuery{From: now, To: now.Add(48 * time.Hour)}
	plan := func() int {
		t.Helper()
		n, err := f.st.PlanClassReminders(ctx, q, time.Hour, now, paris)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := plan(); n != 2 {
		t.Fatalf("first plan queued %d reminders, want 2 (R-01, two classes)", n)
	}
	for range 2 {
		if n := plan(); n != 0 {
			t.Fatalf("planning again queued %d", n)
		}
	}
	// Sunday's class is cancelled before it is planned again: nothing
	// more; R-02 joins A1 matin: his two reminders (Sunday's is not
	// sent: cancelled classes are not reminded).
	sun, err := f.st.ClassOccurrenceOn(ctx, f.centre.ID, mustSession(t, f, "S-A1M-SUN"), time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC), paris)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ChangeClassOccurrence(ctx, store.ClassChange{CentreID: f.centre.ID, SessionID: sun.Session.ID, Date: sun.Date,
		ActorID: f.people["S-09"].ID, Kind: store.ClassCancelled, Now: now, ReminderBefore: time.Hour}, paris); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.EnrolResident(ctx, f.centre.ID, f.people["S-09"].ID, f.people["R-02"].ID, mustGroup(t, f, "G-A1M"), 200, now); err != nil {
		t.Fatal(err)
	}
	if n := plan(); n != 1 {
		t.Fatalf("after the cancel and R-02 joining, plan queued %d, want 1 (R-02, Monday)", n)
	}
	var got []string
	rows, err := f.st.Pool().Query(ctx, `SELECT p.external_id || ' ' || (o.args->>'date') || ' ' || o.state || ' ' ||
			to_char(o.not_before AT TIME ZONE 'Europe/Paris', 'HH24:MI')
		FROM outbox o JOIN people p ON p.id = o.person_id WHERE o.kind = 'class_reminder' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	if got, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	want := []string{"R-01 20261129 cancelled 08:30", "R-01 20261130 pending 09:00", "R-02 20261130 pending 09:00"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("reminders:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func mustGroup(t *testing.T, f *classFixture, ext string) int64 {
	t.Helper()
	var id int64
	if err := f.st.Pool().QueryRow(context.Background(), `SELECT id FROM class_groups WHERE centre_id = $1 AND external_id = $2`,
		f.centre.ID, ext).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// Migration 00011 carries what class_notices_sent recorded into the outbox
// as sent, under the keys the new code uses: planning the reminder of a
// class already reminded queues nothing. Going down gives the old table
// back.
func TestMigrationCarriesClassNoticesIntoOutbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newClassFixture(t, "R-01", "R-02", "C-07")
	if _, err := f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(classesCSV), nil); err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDBFromPool(f.st.Pool())
	defer db.Close()
	migrator, err := store.ClassesMigrator(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	// The database as the old code left it: Monday 30 November's class
	// moved once to 11:00 (revision 1), reminded at its new time; Monday 7
	// December's reminded at 10:00 (never changed); a change notice, an
	// absence alert, a class-group notice and a notice of no known form.
	if _, err := migrator.ApplyVersion(ctx, 11, false); err != nil {
		t.Fatal(err)
	}
	mon := mustSession(t, f, "S-A1M-MON")
	r1, c7 := f.people["R-01"].ID, f.people["C-07"].ID
	moved := time.Date(2026, 11, 30, 11, 0, 0, 0, paris)
	var change int64
	if err := f.st.Pool().QueryRow(ctx, `INSERT INTO class_changes (centre_id, session_id, on_date, kind, new_starts_at,
			new_ends_at, new_room) VALUES ($1, $2, '2026-11-30', 'moved', $3, $4, 'B12') RETURNING id`,
		f.centre.ID, mon, moved, moved.Add(150*time.Minute)).Scan(&change); err != nil {
		t.Fatal(err)
	}
	dec7 := time.Date(2026, 12, 7, 10, 0, 0, 0, paris)
	sentAt := time.Date(2026, 11, 30, 10, 0, 0, 0, paris)
	old := []struct {
		notice string
		person int64
	}{
		{fmt.Sprintf("rem:%d:20261130:%d", mon, moved.Unix()), r1},
		{fmt.Sprintf("rem:%d:20261207:%d", mon, dec7.Unix()), r1},
		{fmt.Sprintf("chg:%d:1", change), r1},
		{fmt.Sprintf("abs:55:%d", r1), c7},
		{"enr:77", r1},
		{"test-cancel", r1},
	}
	for _, o := range old {
		if _, err := f.st.Pool().Exec(ctx, `INSERT INTO class_notices_sent (notice, person_id, sent_at) VALUES ($1, $2, $3)`,
			o.notice, o.person, sentAt); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := migrator.ApplyVersion(ctx, 11, true); err != nil {
		t.Fatal(err)
	}

	rows, err := f.st.Pool().Query(ctx, `SELECT kind || ' ' || dedupe_key || ' ' || person_id || ' ' || state || ' ' ||
			(centre_id = $1) || ' ' || (sent_at = $2)
		FROM outbox ORDER BY id`, f.centre.ID, sentAt)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		fmt.Sprintf("class_reminder reminder:class:%d:20261130:%d:1:%d %d sent true true", mon, moved.Unix(), r1, r1),
		fmt.Sprintf("class_reminder reminder:class:%d:20261207:%d:0:%d %d sent true true", mon, dec7.Unix(), r1, r1),
		fmt.Sprintf("class_notice notice:class:%d:1:%d %d sent true true", change, r1, r1),
		fmt.Sprintf("class_absence_alert alert:absence:55:%d:%d %d sent true true", r1, c7, c7),
		fmt.Sprintf("class_enrol_notice notice:enrol:job:77 %d sent true true", r1),
		fmt.Sprintf("class_notice legacy:class:test-cancel:%d %d sent true true", r1, r1),
	}
	if strings.Join(sorted(got), "\n") != strings.Join(sorted(want), "\n") {
		t.Fatalf("outbox after the migration:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var tables int
	if err := f.st.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'class_notices_sent'`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("class_notices_sent still there (%d, %v)", tables, err)
	}
	// Both reminded classes planned again, before they start: nothing new.
	// Only the classes never reminded get one: R-01's on Sunday 6
	// December, R-02's (Alpha soir) on Wednesday 2 December.
	now := time.Date(2026, 11, 30, 9, 30, 0, 0, paris)
	if _, err := f.st.PlanClassReminders(ctx, store.ClassQuery{CentreID: f.centre.ID, From: now, To: dec7.Add(time.Minute)},
		time.Hour, now, paris); err != nil {
		t.Fatal(err)
	}
	rows, err = f.st.Pool().Query(ctx, `SELECT p.external_id || ' ' || (o.args->>'date') FROM outbox o
		JOIN people p ON p.id = o.person_id WHERE o.state = 'pending' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	planned, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(planned, ", ") != "R-01 20261206, R-02 20261202" {
		t.Fatalf("planning after the migration queued %v", planned)
	}

	// Down: the old table is back with what was sent.
	if _, err := migrator.ApplyVersion(ctx, 11, false); err != nil {
		t.Fatal(err)
	}
	rows, err = f.st.Pool().Query(ctx, `SELECT notice || ' ' || person_id FROM class_notices_sent`)
	if err != nil {
		t.Fatal(err)
	}
	back, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var wantBack []string
	for _, o := range old {
		wantBack = append(wantBack, fmt.Sprintf("%s %d", o.notice, o.person))
	}
	if strings.Join(sorted(back), "\n") != strings.Join(sorted(wantBack), "\n") {
		t.Fatalf("class_notices_sent after going down:\n%s\nwant\n%s", strings.Join(back, "\n"), strings.Join(wantBack, "\n"))
	}
}

// TestImportClassLabelsAndRooms: label_<language> columns give a group's
// name (group line) and a room (session line) in residents' languages; a
// room is kept without the word "Salle", which every message says itself;
// a second import of the same file changes nothing, and a changed label
// updates its row.
func TestImportClassLabelsAndRooms(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newClassFixture(t, "R-01")
	csv := `kind,id,group,level,name,weekday,start,end,room,teacher,resident,hours,label_fa-af,label_AR,label_en
group,G-A1M,,A1,A1 matin,,,,,,,,A1 صبح,A1 صباحًا,
group,G-ALPHA,,Alpha,Alpha (non-lecteurs),,,,,,,,الفبا (برای کسانی که خواندن نمی‌دانند),,Alpha (non-readers)
session,S-A1M-MON,G-A1M,,,lundi,10:00,12:30,Salle 1,Marie Dupont,,,,,
session,S-ALPHA-WED,G-ALPHA,,,mercredi,14:00,16:00,Bibliothèque,Karim B.,,,کتابخانه,المكتبة,Library
enrolment,,G-A1M,,,,,,,,R-01,200,,,
`
	res, err := f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(csv), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Groups.Added != 2 || res.Sessions.Added != 2 {
		t.Fatalf("import = %+v", res)
	}
	occ, err := f.st.ClassOccurrences(ctx, store.ClassQuery{CentreID: f.centre.ID,
		From: time.Date(2026, 11, 30, 0, 0, 0, 0, paris), To: time.Date(2026, 12, 3, 0, 0, 0, 0, paris)}, paris)
	if err != nil {
		t.Fatal(err)
	}
	if len(occ) != 2 {
		t.Fatalf("%d occurrences", len(occ))
	}
	mon, wed := occ[0], occ[1]
	for _, c := range []struct{ what, got, want string }{
		{"room without the word", mon.Room, "1"},
		{"fa-AF group", mon.Session.GroupIn("fa-AF"), "A1 صبح"},
		{"ar group", mon.Session.GroupIn("ar"), "A1 صباحًا"},
		{"ti group: no label, the name", mon.Session.GroupIn("ti"), "A1 matin"},
		{"fa-AF room: no label, the room", mon.RoomIn("fa-AF"), "1"},
		{"fa-AF room label", wed.RoomIn("fa-AF"), "کتابخانه"},
		{"en room label", wed.RoomIn("en"), "Library"},
		{"fr room", wed.RoomIn("fr"), "Bibliothèque"},
		{"en group label", wed.Session.GroupIn("en"), "Alpha (non-readers)"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	// A class moved to another room shows that room as staff typed it.
	wed.Room = "B12"
	if got := wed.RoomIn("fa-AF"); got != "B12" {
		t.Errorf("moved room = %q", got)
	}

	res, err = f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(csv), nil)
	if err != nil || res.Changed() {
		t.Fatalf("second import = %+v, %v", res, err)
	}
	changed := strings.Replace(csv, "A1 صبح", "A1 صبحانه", 1)
	changed = strings.Replace(changed, ",المكتبة,", ",مكتبة,", 1)
	if res, err = f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(changed), nil); err != nil ||
		res.Groups.Changed != 1 || res.Sessions.Changed != 1 {
		t.Fatalf("changed labels = %+v, %v", res, err)
	}

	// A label for a language cairbot does not speak, or on an enrolment
	// line, is refused with the line named.
	bad := `kind,id,group,level,name,weekday,start,end,room,teacher,resident,hours,label_xx
group,G-B,,A2,A2,,,,,,,,x
`
	if _, err := f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(bad), nil); err == nil ||
		!strings.Contains(err.Error(), `"xx" is not a language of cairbot`) {
		t.Errorf("unknown language column: %v", err)
	}
	bad = `kind,id,group,level,name,weekday,start,end,room,teacher,resident,hours,label_ar
enrolment,,G-A1M,,,,,,,,R-01,200,x
`
	if _, err := f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(bad), nil); err == nil ||
		!strings.Contains(err.Error(), `line 2: column "label_ar" must be empty on a enrolment line`) {
		t.Errorf("label on an enrolment line: %v", err)
	}
}
