package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

func TestImportResidentsIsIdempotentAndAllOrNothing(t *testing.T) {
	t.Parallel()
	f := newMoneyFixture(t)
	ctx := context.Background()
	now := storetest.Now(t)
	arrived := storetest.Date(storetest.Day(now, -25, 0, 0))
	rows := []store.ResidentRow{
		{Line: 2, ExternalID: "R001", DisplayName: "Ahmad K.", Room: "214", Floor: intp(2), Language: "fa-AF",
			Role: store.RoleResident, ArrivedOn: &arrived, Contribution: &store.Contribution{Basis: store.BasisFixed, Cents: 4500}},
		{Line: 3, ExternalID: "R002", DisplayName: "Yonas T.", Room: "101", Floor: intp(1), Language: "ti",
			Role: store.RoleResident, Contribution: &store.Contribution{Basis: store.BasisResources, Cents: 0}},
		{Line: 4, ExternalID: "S001", DisplayName: "Claire", Language: "fr", Role: store.RoleStaff},
	}
	expires := now.Add(24 * time.Hour)
	res, err := f.st.ImportResidents(ctx, f.centre.ID, rows, &f.staff.ID, expires)
	if err != nil || len(res.New) != 3 || len(res.Changed) != 0 || res.Unchanged != 0 {
		t.Fatalf("first import = %+v, %v", res, err)
	}
	for _, n := range res.New {
		if _, ok := store.NormalizeInviteCode(n.Code); !ok {
			t.Errorf("line %d: code %q", n.Line, n.Code)
		}
	}
	count := func(sql string) int {
		var n int
		if err := f.st.Pool().QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := [3]int{count(`SELECT count(*) FROM people`), count(`SELECT count(*) FROM invites`), count(`SELECT count(*) FROM audit_log`)}

	res, err = f.st.ImportResidents(ctx, f.centre.ID, rows, &f.staff.ID, expires)
	if err != nil || len(res.New) != 0 || len(res.Changed) != 0 || res.Unchanged != 3 {
		t.Fatalf("second import = %+v, %v", res, err)
	}
	after := [3]int{count(`SELECT count(*) FROM people`), count(`SELECT count(*) FROM invites`), count(`SELECT count(*) FROM audit_log`)}
	if before != after {
		t.Fatalf("re-import changed rows: %v → %v", before, after)
	}

	// One row changes (a new room), another is refused by the store: the
	// whole import is rolled back.
	changed := append([]store.ResidentRow(nil), rows...)
	changed[0].Room, changed[0].Floor = "301", intp(3)
	changed[2].Contribution = &store.Contribution{Basis: store.BasisFixed, Cents: 100} // staff pay nothing
	if _, err := f.st.ImportResidents(ctx, f.centre.ID, changed, nil, expires); !errors.Is(err, store.ErrNotResident) {
		t.Fatalf("bad import: %v", err)
	}
	if n := count(`SELECT count(*) FROM people WHERE room = '301'`); n != 0 {
		t.Fatal("a refused import was partly written")
	}
	changed[2].Contribution = nil
	res, err = f.st.ImportResidents(ctx, f.centre.ID, changed, nil, expires)
	if err != nil || len(res.Changed) != 1 || res.Changed[0] != 2 || res.Unchanged != 2 {
		t.Fatalf("import with a change = %+v, %v", res, err)
	}
	var room string
	var arrivedOn time.Time
	if err := f.st.Pool().QueryRow(ctx, `SELECT room, arrived_on FROM people WHERE external_id = 'R001'`).Scan(&room, &arrivedOn); err != nil {
		t.Fatal(err)
	}
	if room != "301" || !arrivedOn.Equal(arrived) {
		t.Fatalf("R001 now room %s, arrived %v", room, arrivedOn)
	}
}

func intp(n int) *int { return &n }

func TestChangeResident(t *testing.T) {
	t.Parallel()
	f := newMoneyFixture(t)
	ctx := context.Background()
	p := f.person(t, store.RoleResident, "Ahmad K.", "214")
	day := storetest.Date(storetest.Day(storetest.Now(t), -7, 0, 0))
	change := func(kind string, mod func(*store.ResidentChange)) (store.Person, error) {
		c := store.ResidentChange{CentreID: f.centre.ID, PersonID: p.ID, ActorID: &f.staff.ID, Kind: kind, Date: day}
		if mod != nil {
			mod(&c)
		}
		return f.st.ChangeResident(ctx, c)
	}
	if _, err := change(store.ChangeBack, nil); !errors.Is(err, store.ErrWrongStatus) {
		t.Fatalf("back while active: %v", err)
	}
	if got, err := change(store.ChangeAway, nil); err != nil || got.Status != store.StatusAway {
		t.Fatalf("away: %+v, %v", got, err)
	}
	if got, err := change(store.ChangeBack, nil); err != nil || got.Status != store.StatusActive {
		t.Fatalf("back: %+v, %v", got, err)
	}
	if got, err := change(store.ChangeRoom, func(c *store.ResidentChange) { c.Room, c.Floor = "305", intp(3) }); err != nil || got.Room != "305" || *got.Floor != 3 {
		t.Fatalf("room: %+v, %v", got, err)
	}
	if _, err := change(store.ChangeArrive, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := change(store.ChangeLeave, nil); err != nil {
		t.Fatal(err)
	}
	arrived, left, err := f.st.PersonDates(ctx, f.centre.ID, p.ID)
	if err != nil || arrived == nil || left == nil || !arrived.Equal(day) || !left.Equal(day) {
		t.Fatalf("dates = %v, %v, %v", arrived, left, err)
	}
	var invites, audits int
	_ = f.st.Pool().QueryRow(ctx, `SELECT count(*) FROM invites WHERE person_id = $1 AND used_at IS NULL`, p.ID).Scan(&invites)
	_ = f.st.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE subject_id = $1 AND action LIKE 'resident.%' AND actor_id = $2`, p.ID, f.staff.ID).Scan(&audits)
	if invites != 0 || audits != 5 {
		t.Fatalf("unused invites %d (want 0), audit entries %d (want 5)", invites, audits)
	}
	if _, err := change(store.ChangeRoom, func(c *store.ResidentChange) { c.Room = "101" }); !errors.Is(err, store.ErrWrongStatus) {
		t.Fatalf("room after leaving: %v", err)
	}
	other, _ := f.st.EnsureCentre(ctx, "other", "Other")
	if _, err := f.st.ChangeResident(ctx, store.ResidentChange{CentreID: other.ID, PersonID: p.ID, Kind: store.ChangeAway}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("change from another centre: %v", err)
	}
	if _, err := f.st.ChangeResident(ctx, store.ResidentChange{CentreID: f.centre.ID, PersonID: f.staff.ID, Kind: store.ChangeAway}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("change of a staff member: %v", err)
	}
}

func TestSearchResidents(t *testing.T) {
	t.Parallel()
	f := newMoneyFixture(t)
	ctx := context.Background()
	a := f.person(t, store.RoleResident, "Ahmad Karimi", "214")
	b := f.person(t, store.RoleResident, "Ahmed Nour", "215")
	c := f.person(t, store.RoleResident, "Omar 100%_x", "214")
	active := []string{store.StatusActive, store.StatusAway}
	tests := []struct {
		q    string
		want []int64
	}{
		{"214", []int64{a.ID, c.ID}},
		{"ahm", []int64{a.ID, b.ID}},
		{"KARIMI", []int64{a.ID}},
		{"100%", []int64{c.ID}},
		{"%", []int64{c.ID}}, // a literal %, not a wildcard
		{"x%y", nil},
		{"_", []int64{c.ID}},
		{"claire", nil}, // staff are not residents
		{"", nil},
	}
	for _, tt := range tests {
		got, err := f.st.SearchResidents(ctx, f.centre.ID, tt.q, active, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, p := range got {
			ids = append(ids, p.ID)
		}
		if len(ids) != len(tt.want) || (len(ids) > 0 && ids[0] != tt.want[0]) {
			t.Errorf("SearchResidents(%q) = %v, want %v", tt.q, ids, tt.want)
		}
	}
	if got, _ := f.st.SearchResidents(ctx, f.centre.ID, "ahm", []string{store.StatusAway}, 10); len(got) != 0 {
		t.Errorf("status filter ignored: %v", got)
	}
}
