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
