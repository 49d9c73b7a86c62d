package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// A run of unexcused absences alerts the coordinators once when it reaches
// the threshold; excused absences neither count nor break the run; a
// present mark ends it; corrections never alert twice.
func TestSaveAttendanceRunsAndAlerts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newClassFixture(t, "R-01", "R-02", "S-09", "C-07")
	if _, err := f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(classesCSV), nil); err != nil {
		t.Fatal(err)
	}
	r1, r2 := f.people["R-01"].ID, f.people["R-02"].ID
	// A1 matin meets on Mondays and Sundays; enrol R-02 too.
	if _, err := f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(classesCSV+"enrolment,,G-A1M,,,,,,,,R-02,200\n"), nil); err != nil {
		t.Fatal(err)
	}
	// The last four weeks.
	now := storetest.Now(t)
	occ, err := f.st.ClassOccurrences(ctx, store.ClassQuery{CentreID: f.centre.ID, PersonID: r1,
		From: storetest.Day(now, -28, 0, 0), To: storetest.Day(now, 0, 0, 0)}, paris)
	if err != nil {
		t.Fatal(err)
	}
	if len(occ) < 6 {
		t.Fatalf("%d classes in four weeks", len(occ))
	}
	type alertSeen struct {
		resident int64
		count    int
	}
	var alerts []alertSeen
	save := func(o store.ClassOccurrence, base int, marks map[int64]store.AttendanceMark) store.AttendanceSaved {
		t.Helper()
		res, err := f.st.SaveAttendance(ctx, store.AttendanceSave{CentreID: f.centre.ID, ActorID: f.people["S-09"].ID,
			Occurrence: o, BaseRevision: base, Marks: marks, AlertAfter: 3, Now: clsNow})
		if err != nil {
			t.Fatal(err)
		}
		for _, al := range res.Alerts {
			if len(al.Coordinators) != 1 || al.Coordinators[0] != f.people["C-07"].ID {
				t.Errorf("alert goes to %v", al.Coordinators)
			}
			alerts = append(alerts, alertSeen{al.ResidentID, al.Count})
		}
		return res
	}
	P, A, E := store.MarkPresent, store.MarkAbsent, store.MarkExcused
	steps := []struct {
		r1, r2     store.AttendanceMark
		wantAlerts []alertSeen
	}{
		{A, P, nil},
		{E, A, nil}, // excused does not break R-01's run
		{A, A, nil}, // 2 in the run
		{A, E, []alertSeen{{r1, 3}}},
		// 4, the same run: no second alert. R-02: 3, the excused
		// class skipped.
		{A, A, []alertSeen{{r2, 3}}},
	}
	for i, s := range steps {
		alerts = nil
		res := save(occ[i], 0, map[int64]store.AttendanceMark{r1: s.r1, r2: s.r2})
		if len(alerts) != len(s.wantAlerts) || (len(alerts) > 0 && alerts[0] != s.wantAlerts[0]) {
			t.Fatalf("step %d: alerts %v, want %v", i, alerts, s.wantAlerts)
		}
		if res.Revision != 1 || res.Changed != 2 {
			t.Fatalf("step %d: %+v", i, res)
		}
	}
	// Correcting the third class (present, then absent again) neither
	// re-alerts nor loses the trace.
	alerts = nil
	if res := save(occ[3], 1, map[int64]store.AttendanceMark{r1: P, r2: E}); res.Revision != 2 || res.Changed != 1 {
		t.Fatalf("correction: %+v", res)
	}
	save(occ[3], 2, map[int64]store.AttendanceMark{r1: A, r2: E})
	if len(alerts) != 0 {
		t.Fatalf("correction re-alerted: %v", alerts)
	}
	// The coordinator has one alert per run in the outbox, keyed by the
	// run's first absence (R-01's first class, R-02's second).
	first := func(o store.ClassOccurrence) int64 {
		reg, err := f.st.AttendanceRegister(ctx, f.centre.ID, o.Session.ID, o.Date)
		if err != nil {
			t.Fatal(err)
		}
		return reg.ID
	}
	c7 := f.people["C-07"].ID
	want := []string{
		fmt.Sprintf("alert:absence:%d:%d:%d pending", first(occ[0]), r1, c7),
		fmt.Sprintf("alert:absence:%d:%d:%d pending", first(occ[1]), r2, c7),
	}
	if got := f.outbox(t, "alert:absence:"); strings.Join(sorted(got), ",") != strings.Join(sorted(want), ",") {
		t.Fatalf("alerts in the outbox %v, want %v", got, want)
	}
	var marks int
	_ = f.st.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'attendance.mark' AND subject_id = $1`, r1).Scan(&marks)
	if marks != 7 {
		t.Fatalf("R-01 has %d audited marks, want 7", marks)
	}
	// A save from an old reading is refused and changes nothing.
	_, err = f.st.SaveAttendance(ctx, store.AttendanceSave{CentreID: f.centre.ID, ActorID: f.people["S-09"].ID,
		Occurrence: occ[3], BaseRevision: 1, Marks: map[int64]store.AttendanceMark{r1: P, r2: P}, AlertAfter: 3, Now: clsNow})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale save: %v", err)
	}
	_, err = f.st.SaveAttendance(ctx, store.AttendanceSave{CentreID: f.centre.ID, ActorID: f.people["S-09"].ID,
		Occurrence: occ[5], Marks: map[int64]store.AttendanceMark{f.people["C-07"].ID: P}, AlertAfter: 3, Now: clsNow})
	if !errors.Is(err, store.ErrNotEnrolled) {
		t.Fatalf("mark for someone not enrolled: %v", err)
	}
	p, err := f.st.ClassProgress(ctx, f.centre.ID, r2)
	if err != nil {
		t.Fatal(err)
	}
	// R-02 was present once in A1 matin: Monday 150 minutes or Sunday 90.
	if want := occ[0].Minutes(); p.AttendedMinutes != want || p.PrescribedHours != 600 || len(p.Groups) != 2 {
		t.Fatalf("R-02 progress = %+v, want %d minutes of 600 h in 2 groups", p, want)
	}
}

// Two staff members saving a first list at the same moment: one wins, the
// other is told, and nothing is half-written.
func TestSaveAttendanceFirstSaveRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newClassFixture(t, "R-01", "R-02", "S-09")
	if _, err := f.st.ImportClassesCSV(ctx, f.centre.ID, strings.NewReader(classesCSV), nil); err != nil {
		t.Fatal(err)
	}
	monday := storetest.Next(storetest.Day(storetest.Now(t), -7, 0, 0), time.Monday, 12, 0)
	o, err := f.st.ClassOccurrenceOn(ctx, f.centre.ID, mustSession(t, f, "S-A1M-MON"), storetest.Date(monday), paris)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, m := range []store.AttendanceMark{store.MarkPresent, store.MarkAbsent} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.st.SaveAttendance(ctx, store.AttendanceSave{CentreID: f.centre.ID, ActorID: f.people["S-09"].ID,
				Occurrence: o, Marks: map[int64]store.AttendanceMark{f.people["R-01"].ID: m}, AlertAfter: 2, Now: clsNow})
		}()
	}
	wg.Wait()
	conflicts := 0
	for _, err := range errs {
		switch {
		case errors.Is(err, store.ErrConflict):
			conflicts++
		case err != nil:
			t.Fatal(err)
		}
	}
	reg, err := f.st.AttendanceRegister(ctx, f.centre.ID, o.Session.ID, o.Date)
	if conflicts != 1 || err != nil || reg.Revision != 1 || len(reg.Marks) != 1 {
		t.Fatalf("conflicts %d, register %+v, %v", conflicts, reg, err)
	}
}

func mustSession(t *testing.T, f *classFixture, ext string) int64 {
	t.Helper()
	var id int64
	if err := f.st.Pool().QueryRow(context.Background(), `SELECT id FROM class_sessions WHERE external_id = $1`, ext).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// The Redis draft is shared and versioned: a tap from an outdated version
// is refused and answered with the current draft, and a saved (deleted)
// draft is reported as gone.
func TestAttendanceDraftCompareAndSet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb, prefix := storetest.NewRedis(t)
	st := store.NewState(rdb, prefix, time.Hour, 10*time.Second)
	open := store.AttendanceDraft{CentreID: 1, SessionID: 2, Date: "20261127", BaseRevision: 3,
		Marks: map[int64]store.AttendanceMark{10: store.MarkPresent}}
	a, err := st.OpenAttendanceDraft(ctx, open)
	if err != nil || a.Version != 1 {
		t.Fatalf("open: %+v, %v", a, err)
	}
	// A second opener gets the same draft, not a fresh one.
	other := open
	other.Marks = map[int64]store.AttendanceMark{10: store.MarkExcused}
	b, err := st.OpenAttendanceDraft(ctx, other)
	if err != nil || b.Version != 1 || b.Marks[10] != store.MarkPresent {
		t.Fatalf("second open: %+v, %v", b, err)
	}
	// The list lives a day from its last tap.
	key := prefix + ":attdraft:1:2:20261127"
	if err := rdb.PExpire(ctx, key, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if a, err = st.TapAttendanceDraft(ctx, 1, 2, "20261127", 10, a.Version); err != nil || a.Version != 2 ||
		a.Marks[10] != store.MarkAbsent || a.BaseRevision != 3 || a.CentreID != 1 || a.SessionID != 2 || a.Date != "20261127" {
		t.Fatalf("tap: %+v, %v", a, err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl < 23*time.Hour || ttl > 24*time.Hour {
		t.Fatalf("after a tap the draft expires in %v, want a day", ttl)
	}
	// The second opener's buttons carry version 1: his tap changes
	// nothing and brings back the current draft.
	c, err := st.TapAttendanceDraft(ctx, 1, 2, "20261127", 10, b.Version)
	if !errors.Is(err, store.ErrConflict) || c.Version != 2 || c.Marks[10] != store.MarkAbsent {
		t.Fatalf("outdated tap: %+v, %v", c, err)
	}
	got, err := st.AttendanceDraft(ctx, 1, 2, "20261127")
	if err != nil || got.Marks[10] != store.MarkAbsent || got.Version != 2 || got.BaseRevision != 3 {
		t.Fatalf("draft = %+v, %v", got, err)
	}
	// Deleting an older version keeps the draft; the current one removes it.
	if err := st.DeleteAttendanceDraft(ctx, 1, 2, "20261127", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AttendanceDraft(ctx, 1, 2, "20261127"); err != nil {
		t.Fatalf("old-version delete removed the draft: %v", err)
	}
	if err := st.DeleteAttendanceDraft(ctx, 1, 2, "20261127", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AttendanceDraft(ctx, 1, 2, "20261127"); !errors.Is(err, store.ErrNoDraft) {
		t.Fatalf("after delete: %v", err)
	}
	if _, err := st.TapAttendanceDraft(ctx, 1, 2, "20261127", 10, got.Version); !errors.Is(err, store.ErrNoDraft) {
		t.Fatalf("tap after delete: %v", err)
	}
	if n := rdb.Exists(ctx, key).Val(); n != 0 {
		t.Fatalf("a tap on no draft made one")
	}
}

// The tap's cycle runs in Lua (tapDraft): for every mark a resident can
// have in the draft, and for none or an unknown one, a tap gives
// AttendanceDraft.Mark's Next, and leaves the other residents' marks as
// they were. The ids are the largest, as button data can carry them.
func TestTapAttendanceDraftCyclesAsNext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb, prefix := storetest.NewRedis(t)
	st := store.NewState(rdb, prefix, time.Hour, 10*time.Second)
	const centre, session, date = math.MaxInt64, math.MaxInt64 - 1, "20261127"
	const tapped, neighbour = math.MaxInt64 - 2, 7
	tests := []struct {
		name string
		mark store.AttendanceMark // "": unmarked
		want store.AttendanceMark
	}{
		{"present", store.MarkPresent, store.MarkAbsent},
		{"absent", store.MarkAbsent, store.MarkExcused},
		{"excused", store.MarkExcused, store.MarkPresent},
		{"unmarked", "", store.MarkAbsent},
		{"unknown", "late", store.MarkAbsent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := st.DeleteAttendanceDraft(ctx, centre, session, date, 0); err != nil {
				t.Fatal(err)
			}
			marks := map[int64]store.AttendanceMark{neighbour: store.MarkExcused}
			if tt.mark != "" {
				marks[tapped] = tt.mark
			}
			d, err := st.OpenAttendanceDraft(ctx, store.AttendanceDraft{CentreID: centre, SessionID: session, Date: date, Marks: marks})
			if err != nil {
				t.Fatal(err)
			}
			if want := d.Mark(tapped).Next(); want != tt.want {
				t.Fatalf("Go: %q → %q, the table says %q", tt.mark, want, tt.want)
			}
			got, err := st.TapAttendanceDraft(ctx, centre, session, date, tapped, d.Version)
			if err != nil {
				t.Fatal(err)
			}
			if got.Marks[tapped] != tt.want || got.Mark(neighbour) != store.MarkExcused || len(got.Marks) != 2 {
				t.Fatalf("Lua: %q → %+v, want %q", tt.mark, got.Marks, tt.want)
			}
			if got.CentreID != centre || got.SessionID != session || got.Date != date || got.Version != d.Version+1 {
				t.Fatalf("tapped draft %+v", got)
			}
			read, err := st.AttendanceDraft(ctx, centre, session, date)
			if err != nil || read.Marks[tapped] != tt.want || read.Version != got.Version {
				t.Fatalf("read back %+v, %v", read, err)
			}
		})
	}
}
