package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/aurore/cairbot/store"
)

// samePersonWeek checks that PersonWeek's one batch reads what the three
// features' own methods read for one resident in [from, to).
func samePersonWeek(t *testing.T, st *store.Store, centreID, personID int64, from, to time.Time, loc *time.Location) store.PersonWeek {
	t.Helper()
	ctx := context.Background()
	got, err := st.PersonWeek(ctx, store.PersonWeekQuery{CentreID: centreID, PersonID: personID,
		TurnsFrom: from.Add(-12 * time.Hour), From: from, To: to}, loc)
	if err != nil {
		t.Fatal(err)
	}
	turns, err := st.PersonChoreTurns(ctx, centreID, personID, from.Add(-12*time.Hour), to)
	if err != nil {
		t.Fatal(err)
	}
	classes, err := st.ClassOccurrences(ctx, store.ClassQuery{CentreID: centreID, PersonID: personID, From: from, To: to}, loc)
	if err != nil {
		t.Fatal(err)
	}
	appts, err := st.UpcomingAppointments(ctx, centreID, personID, from, to)
	if err != nil {
		t.Fatal(err)
	}
	same := func(what string, got, want any, n, m int) {
		t.Helper()
		if n != m || (n > 0 && !reflect.DeepEqual(got, want)) {
			t.Fatalf("PersonWeek %s =\n%+v\nwant\n%+v", what, got, want)
		}
	}
	same("turns", got.Turns, turns, len(got.Turns), len(turns))
	same("classes", got.Classes, classes, len(got.Classes), len(classes))
	same("appointments", got.Appointments, appts, len(got.Appointments), len(appts))
	return got
}
