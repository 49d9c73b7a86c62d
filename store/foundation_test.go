package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

func TestInviteLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	c, err := st.EnsureCentre(ctx, "test-centre", "Test")
	if err != nil {
		t.Fatal(err)
	}
	now := storetest.Now(t)
	p, code, err := st.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: c.ID, Role: store.RoleResident,
		DisplayName: "Ahmad K.", Room: "214", Language: "fa-AF"}, nil, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if norm, ok := store.NormalizeInviteCode(" " + code[:5] + "-" + code[5:] + " "); !ok || norm != code {
		t.Fatalf("normalize(%q) = %q, %v", code, norm, ok)
	}
	if _, err := st.RedeemInvite(ctx, "AAAAAAAAAA", 1, now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown code: %v", err)
	}
	if _, err := st.RedeemInvite(ctx, code, 1, now.Add(2*time.Hour)); !errors.Is(err, store.ErrInviteExpired) {
		t.Fatalf("expired code: %v", err)
	}

	// Two accounts race for one code: exactly one wins.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = st.RedeemInvite(ctx, code, int64(100+i), now)
		}()
	}
	wg.Wait()
	wins := 0
	for _, e := range errs {
		switch {
		case e == nil:
			wins++
		case !errors.Is(e, store.ErrInviteUsed):
			t.Fatalf("loser got %v, want ErrInviteUsed", e)
		}
	}
	if wins != 1 {
		t.Fatalf("%d redemptions won, want 1 (%v)", wins, errs)
	}
	got, err := st.PersonByID(ctx, c.ID, p.ID)
	if err != nil || got.TelegramID == nil {
		t.Fatalf("person after redeem: %+v %v", got, err)
	}
	// Another centre cannot see him.
	other, _ := st.EnsureCentre(ctx, "other", "Other")
	if _, err := st.PersonByID(ctx, other.ID, p.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("cross-centre read: %v", err)
	}
	// A linked person cannot be re-invited; the Telegram account cannot take a second person.
	if _, err := st.ReissueInvite(ctx, c.ID, p.ID, nil, now.Add(time.Hour)); !errors.Is(err, store.ErrAlreadyLinked) {
		t.Fatalf("reissue for linked: %v", err)
	}
	_, code2, _ := st.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: c.ID, Role: store.RoleResident,
		DisplayName: "Yonas", Language: "ti"}, nil, now.Add(time.Hour))
	if _, err := st.RedeemInvite(ctx, code2, *got.TelegramID, now); !errors.Is(err, store.ErrAlreadyLinked) {
		t.Fatalf("second person on one account: %v", err)
	}
	var n int
	_ = st.Pool().QueryRow(ctx, `SELECT count(*) FROM invites WHERE code_hash = convert_to($1, 'UTF8')`, code).Scan(&n)
	if n != 0 {
		t.Fatal("invite code stored in clear")
	}
}

func TestConversationCompareAndSet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb, prefix := storetest.NewRedis(t)
	st := store.NewState(rdb, prefix, time.Minute, 10*time.Second)
	if _, err := st.Conversation(ctx, 1, 2, 3); !errors.Is(err, store.ErrNoConversation) {
		t.Fatalf("empty: %v", err)
	}
	c1, err := st.SaveConversation(ctx, 1, 2, 3, store.Conversation{Step: "invite.name"})
	if err != nil || c1.Version != 1 {
		t.Fatalf("first save: %+v %v", c1, err)
	}
	// Two handlers read version 1 and both write: only the first succeeds.
	a, b := c1, c1
	a.Step, b.Step = "invite.room", "invite.lang"
	if _, err := st.SaveConversation(ctx, 1, 2, 3, a); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveConversation(ctx, 1, 2, 3, b); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("lost update not detected: %v", err)
	}
	got, _ := st.Conversation(ctx, 1, 2, 3)
	if got.Step != "invite.room" || got.Version != 2 {
		t.Fatalf("stored %+v", got)
	}
	if err := st.ClearConversation(ctx, 1, 2, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Conversation(ctx, 1, 2, 3); !errors.Is(err, store.ErrNoConversation) {
		t.Fatalf("after clear: %v", err)
	}
}

func TestUpdateDedupe(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb, prefix := storetest.NewRedis(t)
	st := store.NewState(rdb, prefix, time.Minute, 10*time.Second)
	if err := st.ClaimUpdate(ctx, 7, "a", false); err != nil {
		t.Fatal(err)
	}
	if err := st.ClaimUpdate(ctx, 7, "b", false); !errors.Is(err, store.ErrUpdateInProgress) {
		t.Fatalf("second process: %v", err)
	}
	if err := st.ClaimUpdate(ctx, 7, "b", true); err != nil {
		t.Fatalf("poller taking over its crashed run: %v", err)
	}
	if err := st.FinishUpdate(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if err := st.ClaimUpdate(ctx, 7, "c", true); !errors.Is(err, store.ErrDuplicateUpdate) {
		t.Fatalf("done update: %v", err)
	}
	_ = st.ClaimUpdate(ctx, 8, "a", false)
	_ = st.ReleaseUpdate(ctx, 8, "a")
	if err := st.ClaimUpdate(ctx, 8, "b", false); err != nil {
		t.Fatalf("released update not claimable: %v", err)
	}
}

// TestUpdateLease: a claimed update whose holder stops renewing it (it
// died) can be claimed by another process once the lease lapses; a renewed
// lease cannot, and no one but the holder renews or releases it.
func TestUpdateLease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb, prefix := storetest.NewRedis(t)
	const lease = 500 * time.Millisecond
	st := store.NewState(rdb, prefix, time.Minute, lease)
	if st.UpdateLease() != lease {
		t.Fatalf("lease = %v", st.UpdateLease())
	}
	if err := st.ClaimUpdate(ctx, 7, "a", false); err != nil {
		t.Fatal(err)
	}
	// Renewed often for two leases: still a's.
	for range 8 {
		time.Sleep(lease / 4)
		if err := st.RenewUpdate(ctx, 7, "a"); err != nil {
			t.Fatalf("renew: %v", err)
		}
		if err := st.ClaimUpdate(ctx, 7, "b", false); !errors.Is(err, store.ErrUpdateInProgress) {
			t.Fatalf("renewed lease claimed by another process: %v", err)
		}
	}
	if err := st.RenewUpdate(ctx, 7, "b"); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("renew by another process: %v", err)
	}
	if err := st.ReleaseUpdate(ctx, 7, "b"); err != nil {
		t.Fatal(err)
	}
	if err := st.ClaimUpdate(ctx, 7, "b", false); !errors.Is(err, store.ErrUpdateInProgress) {
		t.Fatalf("lease released by another process: %v", err)
	}

	// a dies: its lease lapses and b takes the update over.
	stopped := time.Now()
	deadline := stopped.Add(5 * lease)
	for {
		err := st.ClaimUpdate(ctx, 7, "b", false)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrUpdateInProgress) || time.Now().After(deadline) {
			t.Fatalf("claim after the lease lapsed: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if took := time.Since(stopped); took < lease/2 {
		t.Fatalf("taken over after %v, before the lease of %v could lapse", took, lease)
	}
	if err := st.RenewUpdate(ctx, 7, "a"); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("a late renewal by the old holder: %v", err)
	}
	if err := st.ReleaseUpdate(ctx, 7, "a"); err != nil {
		t.Fatal(err)
	}
	if err := st.ClaimUpdate(ctx, 7, "c", false); !errors.Is(err, store.ErrUpdateInProgress) {
		t.Fatalf("b's lease released by the old holder: %v", err)
	}
	if err := st.FinishUpdate(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if err := st.RenewUpdate(ctx, 7, "b"); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("renew a finished update: %v", err)
	}
	if err := st.ClaimUpdate(ctx, 7, "c", false); !errors.Is(err, store.ErrDuplicateUpdate) {
		t.Fatalf("finished update claimed: %v", err)
	}
	if ttl := rdb.PTTL(ctx, prefix+":upd:7").Val(); ttl < 23*time.Hour {
		t.Fatalf("a finished update is remembered for %v, want 24 h", ttl)
	}

	// A lease that lapsed with nobody taking the update is its holder's again.
	if err := st.ClaimUpdate(ctx, 9, "a", false); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Del(ctx, prefix+":upd:9").Err(); err != nil {
		t.Fatal(err)
	}
	if err := st.RenewUpdate(ctx, 9, "a"); err != nil {
		t.Fatalf("renew a lapsed, untaken lease: %v", err)
	}
	if err := st.ClaimUpdate(ctx, 9, "b", false); !errors.Is(err, store.ErrUpdateInProgress) {
		t.Fatalf("after renewal: %v", err)
	}
}

// TestRedisOptions: the URL's own settings are kept, the buffers are the
// bot's small ones, and a value many times their size (a long draft in a
// conversation) is written and read back whole through them.
func TestRedisOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url     string
		addr    string
		db      int
		wantErr bool
	}{
		{url: "redis://127.0.0.1:6379/0", addr: "127.0.0.1:6379"},
		{url: "redis://:secret@redis.internal:6380/3", addr: "redis.internal:6380", db: 3},
		{url: "http://127.0.0.1:6379", wantErr: true},
		{url: "redis://127.0.0.1:6379/notanumber", wantErr: true},
	}
	for _, tt := range tests {
		o, err := store.RedisOptions(tt.url)
		if tt.wantErr {
			if err == nil {
				t.Errorf("%s: accepted", tt.url)
			}
			continue
		}
		if err != nil || o.Addr != tt.addr || o.DB != tt.db || o.ReadBufferSize != 4096 || o.WriteBufferSize != 4096 {
			t.Errorf("%s: %+v %v", tt.url, o, err)
		}
	}

	ctx := context.Background()
	rdb, prefix := storetest.NewRedis(t) // made with store.RedisOptions
	st := store.NewState(rdb, prefix, time.Minute, 10*time.Second)
	long := strings.Repeat("é", 50_000) // 100 KB, 25 times the buffer
	saved, err := st.SaveConversation(ctx, 1, 2, 3, store.Conversation{Step: "import", Data: map[string]string{"csv": long}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.Conversation(ctx, 1, 2, 3)
	if err != nil || got.Data["csv"] != long || got.Version != saved.Version {
		t.Fatalf("read back %d bytes, version %d, %v; want %d bytes, version %d", len(got.Data["csv"]), got.Version, err, len(long), saved.Version)
	}
}
