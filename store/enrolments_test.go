package store_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// enrolFixture is the classes fixture with the example classes imported
// (R-01 in A1 matin with 200 hours, R-02 in Alpha soir with 600), a
// resident who left, and another centre with its own group and
// resident.
type enrolFixture struct {
	*classFixture
	groups        map[string]int64 // by external id, this centre's
	otherGroup    int64
	otherResident int64
}

func newEnrolFixture(t *testing.T) *enrolFixture {
	t.Helper()
	ctx := context.Background()
	f := &enrolFixture{classFixture: newClassFixture(t, "R-01", "R-02", "R-03", "S-09"), groups: map[string]int64{}}
	if _, err := f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(classesCSV), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Pool().Exec(ctx, `UPDATE people SET status = 'left' WHERE id = $1`, f.people["R-03"].ID); err != nil {
		t.Fatal(err)
	}
	groups, err := f.st.ClassGroups(ctx, f.centre.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		f.groups[g.ExternalID] = g.ID
	}
	other, err := f.st.EnsureCentre(ctx, "other-centre", "Other")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ImportClassesCSV(ctx, other.ID, strings.NewReader(strings.Join(store.ClassImportColumns, ",")+
		"\ngroup,G-A1M,,A1,A1 ailleurs,,,,,,,\n"), nil); err != nil {
		t.Fatal(err)
	}
	if err := f.st.Pool().QueryRow(ctx, `SELECT id FROM class_groups WHERE centre_id = $1`, other.ID).Scan(&f.otherGroup); err != nil {
		t.Fatal(err)
	}
	p, _, err := f.st.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: other.ID, Role: store.RoleResident,
		DisplayName: "Elsewhere", Language: "fr"}, nil, storetest.Now(t).Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	f.otherResident = p.ID
	return f
}

// state is every enrolment ("group:person:hours"), audit entry and outbox
// row, to check that a refused change wrote nothing.
func (f *enrolFixture) state(t *testing.T) string {
	t.Helper()
	var s string
	err := f.st.Pool().QueryRow(context.Background(), `SELECT
		coalesce((SELECT string_agg(group_id || ':' || person_id || ':' || prescribed_hours, ',' ORDER BY id) FROM class_enrolments), '')
		|| '|' || (SELECT count(*) FROM audit_log) || '|' || (SELECT count(*) FROM outbox)`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// enrolNotices lists the class-group notices in the outbox, in the order
// queued: "<resident> <change> <group> <level> <hours>".
func (f *enrolFixture) enrolNotices(t *testing.T) []string {
	t.Helper()
	rows, err := f.st.Pool().Query(context.Background(), `SELECT p.external_id || ' ' || (o.args->>'change') || ' ' ||
			(o.args->>'group') || ' ' || (o.args->>'level') || ' ' || (o.args->>'hours')
		FROM outbox o JOIN people p ON p.id = o.person_id WHERE o.kind = 'class_enrol_notice' AND o.state = 'pending'
		ORDER BY o.id`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Hours must be OFII's; a person or group of another centre, someone who
// is not a resident or has left, or a change to what already is, are
// refused and write nothing, not even the notice.
func TestEnrolResidentRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newEnrolFixture(t)
	staff, a1m := f.people["S-09"].ID, f.groups["G-A1M"]
	tests := []struct {
		name          string
		person, group int64
		hours         int
		want          error
	}{
		{"hours not prescribed by OFII", f.people["R-02"].ID, a1m, 300, store.ErrPrescribedHours},
		{"no hours", f.people["R-02"].ID, a1m, 0, store.ErrPrescribedHours},
		{"other centre's group", f.people["R-02"].ID, f.otherGroup, 200, store.ErrNotFound},
		{"other centre's resident", f.otherResident, a1m, 200, store.ErrNotFound},
		{"unknown group", f.people["R-02"].ID, a1m + 1000, 200, store.ErrNotFound},
		{"staff, not a resident", staff, a1m, 200, store.ErrNotFound},
		{"resident who left", f.people["R-03"].ID, a1m, 200, store.ErrWrongStatus},
		{"already in it with these hours", f.people["R-01"].ID, a1m, 200, store.ErrClassUnchanged},
	}
	before := f.state(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.st.EnrolResident(ctx, f.centre.ID, staff, tt.person, tt.group, tt.hours, clsNow)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			// Nor is the resident told of it: no outbox row.
			if got := f.state(t); got != before {
				t.Fatalf("a refused change wrote: %s → %s", before, got)
			}
		})
	}
	unenrol := []struct {
		name          string
		person, group int64
		want          error
	}{
		{"other centre's group", f.people["R-01"].ID, f.otherGroup, store.ErrNotFound},
		{"other centre's resident", f.otherResident, a1m, store.ErrNotFound},
		{"not in the group", f.people["R-02"].ID, a1m, store.ErrNotEnrolled},
	}
	for _, tt := range unenrol {
		t.Run("unenrol "+tt.name, func(t *testing.T) {
			_, err := f.st.UnenrolResident(ctx, f.centre.ID, staff, tt.person, tt.group, clsNow)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if got := f.state(t); got != before {
				t.Fatalf("a refused change wrote: %s → %s", before, got)
			}
		})
	}
	// A notice that cannot be queued undoes the change: they are one
	// transaction.
	boom := errors.New("queue down")
	f.jobs.failWith(boom)
	if _, err := f.st.EnrolResident(ctx, f.centre.ID, staff, f.people["R-02"].ID, a1m, 200, clsNow); !errors.Is(err, boom) {
		t.Fatalf("failing notice: %v", err)
	}
	if _, err := f.st.UnenrolResident(ctx, f.centre.ID, staff, f.people["R-01"].ID, a1m, clsNow); !errors.Is(err, boom) {
		t.Fatalf("failing notice: %v", err)
	}
	if got := f.state(t); got != before {
		t.Fatalf("a change whose notice failed was kept: %s → %s", before, got)
	}
}

// Joining, changing hours and leaving are each audited with the group and
// the hours; leaving keeps his attendance and hours done, and takes the
// group out of his timetable and of the group's roster.
func TestEnrolAndUnenrolResident(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newEnrolFixture(t)
	staff, r1, r2 := f.people["S-09"].ID, f.people["R-01"].ID, f.people["R-02"].ID
	a1m := f.groups["G-A1M"]

	e, err := f.st.EnrolResident(ctx, f.centre.ID, staff, r2, a1m, 400, clsNow)
	if err != nil {
		t.Fatal(err)
	}
	if e.Hours != 400 || e.PreviousHours != 0 || e.Group.Name != "A1 matin" || e.Group.Level != "A1" || e.PersonID != r2 {
		t.Fatalf("enrolled = %+v", e)
	}
	mine, err := f.st.ResidentEnrolments(ctx, f.centre.ID, r2)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 2 || mine[0].Group.Name != "A1 matin" || mine[0].Hours != 400 || mine[1].Group.Name != "Alpha soir" || mine[1].Hours != 600 {
		t.Fatalf("R-02's groups = %+v", mine)
	}

	// R-01 attended a class of A1 matin (2 h 30) before his hours change
	// and before he leaves the group.
	monday := storetest.Next(storetest.Day(storetest.Now(t), -7, 0, 0), time.Monday, 12, 0)
	o, err := f.st.ClassOccurrenceOn(ctx, f.centre.ID, mustSession(t, f.classFixture, "S-A1M-MON"), storetest.Date(monday), paris)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SaveAttendance(ctx, store.AttendanceSave{CentreID: f.centre.ID, ActorID: staff, Occurrence: o,
		Marks: map[int64]store.AttendanceMark{r1: store.MarkPresent, r2: store.MarkPresent}, Now: clsNow}); err != nil {
		t.Fatal(err)
	}
	e, err = f.st.EnrolResident(ctx, f.centre.ID, staff, r1, a1m, 600, clsNow)
	if err != nil {
		t.Fatal(err)
	}
	if e.Hours != 600 || e.PreviousHours != 200 {
		t.Fatalf("hours changed = %+v", e)
	}
	progress, err := f.st.ClassProgress(ctx, f.centre.ID, r1)
	if err != nil || progress.PrescribedHours != 600 || progress.AttendedMinutes != 150 {
		t.Fatalf("progress after the change = %+v, %v", progress, err)
	}

	e, err = f.st.UnenrolResident(ctx, f.centre.ID, staff, r1, a1m, clsNow)
	if err != nil {
		t.Fatal(err)
	}
	if e.Hours != 600 || e.Group.ID != a1m {
		t.Fatalf("unenrolled = %+v", e)
	}
	if got, want := f.enrolNotices(t), []string{
		"R-02 in A1 matin A1 400", "R-01 hours A1 matin A1 600", "R-01 out A1 matin A1 600",
	}; strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Fatalf("notices %v, want %v", got, want)
	}
	rows, err := f.st.Pool().Query(ctx, `SELECT action || ' ' || subject_id || ' ' || (detail->>'group') || ' ' ||
			(detail->>'hours') || ' ' || coalesce(detail->>'from_hours', '-')
		FROM audit_log WHERE action LIKE 'class.%enrol' AND actor_id = $1 ORDER BY id`, staff)
	if err != nil {
		t.Fatal(err)
	}
	audits, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"class.enrol " + strconv.FormatInt(r2, 10) + " G-A1M 400 -",
		"class.enrol " + strconv.FormatInt(r1, 10) + " G-A1M 600 200",
		"class.unenrol " + strconv.FormatInt(r1, 10) + " G-A1M 600 -",
	}
	if strings.Join(audits, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit =\n%s\nwant\n%s", strings.Join(audits, "\n"), strings.Join(want, "\n"))
	}

	// His attendance and hours done stay; the group leaves his timetable
	// and the roster that reminders, notices and registers read.
	var marks int
	if err := f.st.Pool().QueryRow(ctx, `SELECT count(*) FROM class_attendance WHERE person_id = $1`, r1).Scan(&marks); err != nil || marks != 1 {
		t.Fatalf("attendance rows after leaving = %d, %v", marks, err)
	}
	progress, err = f.st.ClassProgress(ctx, f.centre.ID, r1)
	if err != nil || len(progress.Groups) != 0 || progress.AttendedMinutes != 150 {
		t.Fatalf("progress after leaving = %+v, %v", progress, err)
	}
	occ, err := f.st.ClassOccurrences(ctx, store.ClassQuery{CentreID: f.centre.ID, PersonID: r1,
		From: storetest.Day(storetest.Now(t), -30, 0, 0), To: storetest.Day(storetest.Now(t), 30, 0, 0)}, paris)
	if err != nil || len(occ) != 0 {
		t.Fatalf("timetable after leaving: %d classes, %v", len(occ), err)
	}
	roster, err := f.st.ClassRoster(ctx, f.centre.ID, a1m)
	if err != nil || len(roster) != 1 || roster[0].PersonID != r2 {
		t.Fatalf("roster after leaving = %+v, %v", roster, err)
	}
	// He can join again later, and is told again (each change has its
	// own notice); the hours done are still his.
	if _, err := f.st.EnrolResident(ctx, f.centre.ID, staff, r1, a1m, 200, clsNow); err != nil {
		t.Fatal(err)
	}
	if got := f.enrolNotices(t); len(got) != 4 || got[3] != "R-01 in A1 matin A1 200" {
		t.Fatalf("notices after joining again: %v", got)
	}
	progress, err = f.st.ClassProgress(ctx, f.centre.ID, r1)
	if err != nil || len(progress.Groups) != 1 || progress.PrescribedHours != 200 || progress.AttendedMinutes != 150 {
		t.Fatalf("progress after joining again = %+v, %v", progress, err)
	}
}
