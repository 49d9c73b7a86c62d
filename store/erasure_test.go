package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

func TestErasePersonAfterDeparture(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	st.UseOutboxScheduler(&apptJobs{})
	pool := st.Pool()
	c, _ := st.EnsureCentre(ctx, "erase", "Erase")
	now := storetest.Now(t)
	newResident := func(name string) store.Person {
		t.Helper()
		p, code, err := st.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: c.ID, Role: store.RoleResident,
			DisplayName: name, Room: "214", Language: "fa-AF"}, nil, now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.RedeemInvite(ctx, code, 900000+p.ID, now); err != nil {
			t.Fatal(err)
		}
		return p
	}
	coord, _, _ := st.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: c.ID, Role: store.RoleCoordinator,
		DisplayName: "Marie", Language: "fr"}, nil, now.Add(time.Hour))
	leave := func(p store.Person, on time.Time) {
		t.Helper()
		if _, err := st.ChangeResident(ctx, store.ResidentChange{CentreID: c.ID, PersonID: p.ID, Kind: store.ChangeLeave, Date: on}); err != nil {
			t.Fatal(err)
		}
	}
	charge := func(p store.Person, cents int64) {
		t.Helper()
		if _, err := pool.Exec(ctx, `INSERT INTO ledger_entries (centre_id, person_id, kind, cents, month, at)
			VALUES ($1, $2, 'charge', $3, $4, $5)`, c.ID, p.ID, cents, storetest.Date(now).AddDate(0, 0, 1-storetest.Date(now).Day()), now); err != nil {
			t.Fatal(err)
		}
	}

	settled := newResident("Ahmad K.")
	if _, err := st.CreateAppointment(ctx, store.NewAppointment{CentreID: c.ID, PersonID: settled.ID, CoordinatorID: coord.ID,
		Kind: "siao", At: now.Add(48 * time.Hour), Place: "SIAO 75"}, nil, now); err != nil {
		t.Fatal(err)
	}
	owing := newResident("Omar H.")
	charge(owing, 4500)
	staying := newResident("Yonas T.")

	if err := st.ErasePerson(ctx, c.ID, staying.ID, nil, now); !errors.Is(err, store.ErrNotLeft) {
		t.Fatalf("erase a resident still here: %v", err)
	}
	old := now.AddDate(0, -7, 0)
	leave(settled, old)
	leave(owing, old)
	if err := st.ErasePerson(ctx, c.ID, owing.ID, nil, now); !errors.Is(err, store.ErrBalanceOpen) {
		t.Fatalf("erase someone who owes: %v", err)
	}
	due, err := st.PeopleToErase(ctx, now.AddDate(0, -6, 0))
	if err != nil || len(due) != 1 || due[0].ID != settled.ID {
		t.Fatalf("people to erase = %+v, %v; want only the settled one", due, err)
	}
	if err := st.ErasePerson(ctx, c.ID, settled.ID, nil, now); err != nil {
		t.Fatal(err)
	}
	var name, room string
	var tg, ext *int64
	if err := pool.QueryRow(ctx, `SELECT display_name, room, telegram_id, external_id::bigint FROM people WHERE id = $1`,
		settled.ID).Scan(&name, &room, &tg, &ext); err != nil {
		t.Fatal(err)
	}
	if name == "Ahmad K." || room != "" || tg != nil || ext != nil {
		t.Fatalf("after erasure: %q %q %v %v", name, room, tg, ext)
	}
	for _, q := range []string{`SELECT count(*) FROM appointments WHERE person_id = $1`, `SELECT count(*) FROM invites WHERE person_id = $1`} {
		var n int
		if err := pool.QueryRow(ctx, q, settled.ID).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%s = %d, %v", q, n, err)
		}
	}
	var still string
	if err := pool.QueryRow(ctx, `SELECT display_name FROM people WHERE id = $1`, owing.ID).Scan(&still); err != nil || still != "Omar H." {
		t.Fatalf("the one who owes was touched: %q %v", still, err)
	}
	if err := st.ErasePerson(ctx, c.ID, settled.ID, nil, now); err != nil {
		t.Fatalf("second erasure: %v", err)
	}
	var audits int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'person.erase'`).Scan(&audits)
	if audits != 1 {
		t.Fatalf("audit entries = %d, want 1", audits)
	}
}
