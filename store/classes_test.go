package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

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
// residents import leaves them.
type classFixture struct {
	st     *store.Store
	centre store.Centre
	people map[string]store.Person // by external id
}

func newClassFixture(t *testing.T, residents ...string) *classFixture {
	t.Helper()
	ctx := context.Background()
	pool := storetest.NewPool(t)
	st := store.New(pool)
	c, err := st.EnsureCentre(ctx, "cls", "Test")
	if err != nil {
		t.Fatal(err)
	}
	f := &classFixture{st: st, centre: c, people: map[string]store.Person{}}
	for _, ext := range residents {
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
		if _, err := pool.Exec(ctx, `UPDATE people SET external_id = $2 WHERE id = $1`, p.ID, ext); err != nil {
			t.Fatal(err)
		}
		f.people[ext] = p
	}
	return f
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
	var ie *store.ClassImportError
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
		18: {`not a valid CSV line`},
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
	if res.Groups.Created != 2 || res.Sessions.Created != 3 || res.Enrolments.Created != 2 {
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
	if res, err = f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(changed), nil); err != nil || res.Enrolments.Updated != 1 || res.Enrolments.Unchanged != 1 {
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
		return occ
	}
	occ := week()
	if len(occ) != 3 {
		t.Fatalf("week has %d classes, want 3 (Mon, Wed, Sun)", len(occ))
	}
	mon := occ[0]
	staff := f.people["S-09"].ID
	var told store.ClassChangeNotice
	// Move Monday's class to Thursday 15:00 in room B12: it leaves Monday
	// and appears on Thursday, keyed by its planned date.
	newStart := storetest.Day(from, 3, 15, 0)
	n, err := f.st.ChangeClassOccurrence(ctx, store.ClassChange{CentreID: f.centre.ID, SessionID: mon.Session.ID, Date: mon.Date,
		ActorID: staff, Kind: store.ClassMoved, NewStart: newStart, NewEnd: newStart.Add(150 * time.Minute), NewRoom: "B12"}, paris, nil)
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
	// A move out of the window from a date inside it.
	far := storetest.Day(from, 20, 10, 0)
	if _, err := f.st.ChangeClassOccurrence(ctx, store.ClassChange{CentreID: f.centre.ID, SessionID: mon.Session.ID, Date: mon.Date,
		ActorID: staff, Kind: store.ClassMoved, NewStart: far, NewEnd: far.Add(time.Hour), NewRoom: "B12"}, paris, nil); err != nil {
		t.Fatal(err)
	}
	if occ = week(); len(occ) != 2 {
		t.Fatalf("moved away, week has %d classes", len(occ))
	}
	if _, err := f.st.ChangeClassOccurrence(ctx, store.ClassChange{CentreID: f.centre.ID, SessionID: mon.Session.ID, Date: mon.Date,
		ActorID: staff, Kind: store.ClassCancelled}, paris, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ChangeClassOccurrence(ctx, store.ClassChange{CentreID: f.centre.ID, SessionID: mon.Session.ID, Date: mon.Date,
		ActorID: staff, Kind: store.ClassCancelled}, paris, nil); !errors.Is(err, store.ErrClassUnchanged) {
		t.Fatalf("cancel twice: %v", err)
	}
	if occ = week(); len(occ) != 3 || !occ[0].Cancelled || !occ[0].Start.Equal(mon.PlannedStart) {
		t.Fatalf("after cancel: %+v", occ)
	}
	n, err = f.st.ChangeClassOccurrence(ctx, store.ClassChange{CentreID: f.centre.ID, SessionID: mon.Session.ID, Date: mon.Date,
		ActorID: staff, Kind: store.ClassRestored}, paris, nil)
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
}
