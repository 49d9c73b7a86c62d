package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// TestPeopleCacheFollowsTheDatabase: while a process listens, the person
// of an update comes from memory; a change made through another
// connection (another process, psql) is heard and read again; the
// process's own change is read again at once; when the listening connection
// breaks, nothing is kept until it listens again, and what changed
// meanwhile is read anew.
func TestPeopleCacheFollowsTheDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.NewPool(t)
	st := store.New(pool)
	other := store.New(pool) // another process's store, on the same database
	now := storetest.Now(t)
	c, err := st.EnsureCentre(ctx, "paris-12", "CAIR")
	if err != nil {
		t.Fatal(err)
	}
	p, code, err := other.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: c.ID, Role: store.RoleResident,
		DisplayName: "Amina S.", Language: "fa"}, nil, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	const account = 88001
	if _, err := other.RedeemInvite(ctx, code, account, now); err != nil {
		t.Fatal(err)
	}
	read := func(wantLang string, wantHit bool) {
		t.Helper()
		before := st.PeopleCache()
		got, err := st.PersonByTelegramID(ctx, c.ID, account)
		if err != nil || got.ID != p.ID || got.Language != wantLang {
			t.Fatalf("person %+v, %v; want %d reading %q", got, err, p.ID, wantLang)
		}
		if hit := st.PeopleCache().Hits > before.Hits; hit != wantHit {
			t.Fatalf("from memory = %v, want %v", hit, wantHit)
		}
	}

	// Not listening: every read goes to the database.
	read("fa", false)
	read("fa", false)

	listenCtx, stop := context.WithCancel(ctx)
	listening := make(chan struct{}, 1)
	ended := make(chan error, 1)
	go func() {
		ended <- st.ListenChanges(listenCtx, func() {
			select {
			case listening <- struct{}{}:
			default:
			}
		})
	}()
	<-listening
	read("fa", false)
	read("fa", true)

	// Changed through another connection: heard, read again.
	if _, err := pool.Exec(ctx, `UPDATE people SET language = 'ps' WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.AwaitPeopleChanges(ctx); err != nil {
		t.Fatal(err)
	}
	read("ps", false)
	read("ps", true)

	// Changed by this process: read again at once, before any
	// notification could arrive.
	if _, err := st.SetLanguage(ctx, p.ID, "ar"); err != nil {
		t.Fatal(err)
	}
	read("ar", false)
	// Its notification, heard before or after that read, may forget him
	// once more; once it is heard he stays.
	if err := st.AwaitPeopleChanges(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := st.PersonByTelegramID(ctx, c.ID, account); err != nil || got.Language != "ar" {
		t.Fatalf("person %+v, %v; want him reading ar", got, err)
	}
	read("ar", true)

	// Someone else's change forgets only him.
	_, code2, err := other.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: c.ID, Role: store.RoleResident,
		DisplayName: "Dawit T.", Language: "ti"}, nil, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.RedeemInvite(ctx, code2, account+1, now); err != nil {
		t.Fatal(err)
	}
	if err := st.AwaitPeopleChanges(ctx); err != nil {
		t.Fatal(err)
	}
	if st.PeopleCache().Forgotten == 0 {
		t.Fatal("nothing was ever forgotten")
	}
	read("ar", true)

	// He left: nobody any more.
	if _, err := pool.Exec(ctx, `UPDATE people SET status = 'left' WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.AwaitPeopleChanges(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PersonByTelegramID(ctx, c.ID, account); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after leaving: err = %v, want ErrNotFound", err)
	}
	if _, err := pool.Exec(ctx, `UPDATE people SET status = 'active' WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.AwaitPeopleChanges(ctx); err != nil {
		t.Fatal(err)
	}
	read("ar", false)

	// The listening connection broken (an administrator's
	// pg_terminate_backend, a failover): ListenChanges says so, and
	// nothing is kept until it listens again.
	if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%'`); err != nil {
		t.Fatal(err)
	}
	if err := <-ended; err == nil {
		t.Fatal("ListenChanges returned no error when its connection was cut")
	}
	if st.PeopleCache().Listening {
		t.Fatal("still listening after the connection was cut")
	}
	if _, err := pool.Exec(ctx, `UPDATE people SET language = 'ti' WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	read("ti", false)
	read("ti", false)
	go func() { ended <- st.ListenChanges(listenCtx, func() { listening <- struct{}{} }) }()
	<-listening
	read("ti", false)
	read("ti", true)
	stop()
	if err := <-ended; err != nil {
		t.Fatalf("ListenChanges at the end: %v", err)
	}
	if st.PeopleCache().Listening {
		t.Fatal("still listening after its context ended")
	}
	read("ti", false)
}

// TestOwnChangeForgetsOnlyThatPerson: a change this process makes to one
// person (his invite, his language, his room or status) is read again on
// his next update, and everyone else's answer stays in memory.
func TestOwnChangeForgetsOnlyThatPerson(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.NewPool(t)
	st := store.New(pool)
	now := storetest.Now(t)
	c, err := st.EnsureCentre(ctx, "paris-12", "CAIR")
	if err != nil {
		t.Fatal(err)
	}
	newcomer := func(name string) (store.Person, string) {
		t.Helper()
		p, code, err := st.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: c.ID, Role: store.RoleResident,
			DisplayName: name, Language: "fa"}, nil, now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return p, code
	}
	const amina, dawit = 89001, 89002
	a, codeA := newcomer("Amina S.")
	d, codeD := newcomer("Dawit T.")
	if _, err := st.RedeemInvite(ctx, codeA, amina, now); err != nil {
		t.Fatal(err)
	}

	listenCtx, stop := context.WithCancel(ctx)
	defer stop()
	listening := make(chan struct{}, 1)
	go func() {
		_ = st.ListenChanges(listenCtx, func() {
			select {
			case listening <- struct{}{}:
			default:
			}
		})
	}()
	<-listening
	read := func(account, wantID int64, wantLang, wantRoom string, wantHit bool) {
		t.Helper()
		before := st.PeopleCache()
		got, err := st.PersonByTelegramID(ctx, c.ID, account)
		if err != nil || got.ID != wantID || got.Language != wantLang || got.Room != wantRoom {
			t.Fatalf("account %d: %+v, %v; want person %d reading %q in room %q", account, got, err, wantID, wantLang, wantRoom)
		}
		if hit := st.PeopleCache().Hits > before.Hits; hit != wantHit {
			t.Fatalf("account %d from memory = %v, want %v", account, hit, wantHit)
		}
	}
	read(amina, a.ID, "fa", "", false)
	read(amina, a.ID, "fa", "", true)

	steps := []struct {
		name   string
		change func() error
		lang   string
		room   string
	}{
		{"his invite", func() error { _, err := st.RedeemInvite(ctx, codeD, dawit, now); return err }, "fa", ""},
		{"his language", func() error { _, err := st.SetLanguage(ctx, d.ID, "ti"); return err }, "ti", ""},
		{"his room", func() error {
			floor := 2
			_, err := st.ChangeResident(ctx, store.ResidentChange{CentreID: c.ID, PersonID: d.ID,
				Kind: store.ChangeRoom, Room: "204", Floor: &floor})
			return err
		}, "ti", "204"},
	}
	for _, s := range steps {
		if err := s.change(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		// His next update reads the change, before any notification.
		read(dawit, d.ID, s.lang, s.room, false)
		// Its notification, heard before or after that read, may forget
		// him once more; once it is heard he stays, and Amina was kept
		// all along.
		if err := st.AwaitPeopleChanges(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := st.PersonByTelegramID(ctx, c.ID, dawit); err != nil {
			t.Fatal(err)
		}
		read(dawit, d.ID, s.lang, s.room, true)
		read(amina, a.ID, "fa", "", true)
	}
}
