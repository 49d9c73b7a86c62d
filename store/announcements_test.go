package store_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

type annFixture struct {
	t      *testing.T
	ctx    context.Context
	pool   *pgxpool.Pool
	st     *store.Store
	centre int64
	staff  int64
	tgSeq  int64
}

func newAnnFixture(t *testing.T) *annFixture {
	t.Helper()
	ctx := context.Background()
	pool := storetest.NewPool(t)
	st := store.New(pool)
	c, err := st.EnsureCentre(ctx, "ann-centre", "Test")
	if err != nil {
		t.Fatal(err)
	}
	f := &annFixture{t: t, ctx: ctx, pool: pool, st: st, centre: c.ID, tgSeq: 1000}
	f.staff = f.person(c.ID, store.RoleStaff, "fr", nil, true, "active")
	return f
}

// person adds someone; linked gives him a Telegram account.
func (f *annFixture) person(centre int64, role store.Role, lang string, floor *int, linked bool, status string) int64 {
	f.t.Helper()
	p, _, err := f.st.CreatePersonWithInvite(f.ctx, store.NewPerson{CentreID: centre, Role: role,
		DisplayName: "P", Room: "101", Floor: floor, Language: lang}, nil, storetest.Now(f.t).Add(time.Hour))
	if err != nil {
		f.t.Fatal(err)
	}
	var tg *int64
	if linked {
		f.tgSeq++
		tg = &f.tgSeq
	}
	if _, err := f.pool.Exec(f.ctx, `UPDATE people SET telegram_id = $2, status = $3 WHERE id = $1`, p.ID, tg, status); err != nil {
		f.t.Fatal(err)
	}
	return p.ID
}

func (f *annFixture) state(annID, personID int64) (string, string) {
	f.t.Helper()
	var state, note string
	if err := f.pool.QueryRow(f.ctx, `SELECT state, note FROM deliveries WHERE announcement_id = $1 AND person_id = $2`,
		annID, personID).Scan(&state, &note); err != nil {
		f.t.Fatal(err)
	}
	return state, note
}

func annFloor(n int) *int { return &n }

func TestAudiences(t *testing.T) {
	t.Parallel()
	f := newAnnFixture(t)
	c := f.centre
	ahmad := f.person(c, store.RoleResident, "fa-AF", annFloor(2), true, "active")
	omar := f.person(c, store.RoleResident, "ar", annFloor(2), true, "away")
	yonas := f.person(c, store.RoleResident, "ti", annFloor(3), true, "active")
	f.person(c, store.RoleResident, "ar", annFloor(3), false, "active") // no Telegram account
	f.person(c, store.RoleResident, "ar", annFloor(2), true, "left")    // left
	coord := f.person(c, store.RoleCoordinator, "fr", nil, true, "active")
	other, err := f.st.EnsureCentre(f.ctx, "other-centre", "Other")
	if err != nil {
		t.Fatal(err)
	}
	f.person(other.ID, store.RoleResident, "ar", annFloor(2), true, "active")

	var group int64
	if err := f.pool.QueryRow(f.ctx, `INSERT INTO class_groups (centre_id, external_id, level, name)
		VALUES ($1, 'g1', 'A1', 'A1 matin') RETURNING id`, c).Scan(&group); err != nil {
		t.Fatal(err)
	}
	for _, p := range []int64{ahmad, yonas} {
		if _, err := f.pool.Exec(f.ctx, `INSERT INTO class_enrolments (centre_id, group_id, person_id, prescribed_hours)
			VALUES ($1, $2, $3, 200)`, c, group, p); err != nil {
			t.Fatal(err)
		}
	}
	gid := store.Audience{Kind: store.AudienceClass, Value: annItoa(group)}

	tests := []struct {
		a    store.Audience
		want int
	}{
		{store.Audience{Kind: store.AudienceAll}, 4}, // three residents and the coordinator, not the author
		{store.Audience{Kind: store.AudienceFloor, Value: "2"}, 2},
		{store.Audience{Kind: store.AudienceFloor, Value: "3"}, 1},
		{store.Audience{Kind: store.AudienceLanguage, Value: "ar"}, 1},
		{store.Audience{Kind: store.AudienceLanguage, Value: "fr"}, 0}, // the coordinator is not a resident
		{store.Audience{Kind: store.AudienceStaff}, 1},
		{gid, 2},
	}
	for _, tt := range tests {
		got, err := f.st.CountAudience(f.ctx, c, f.staff, tt.a)
		if err != nil || got != tt.want {
			t.Errorf("%+v: %d, %v; want %d", tt.a, got, err, tt.want)
		}
	}
	for _, bad := range []store.Audience{{Kind: store.AudienceFloor, Value: "x"}, {Kind: "nobody"}, {Kind: store.AudienceLanguage},
		{Kind: store.AudienceClass, Value: "a1"}} {
		if _, err := f.st.CountAudience(f.ctx, c, f.staff, bad); !errors.Is(err, store.ErrAudienceUnavailable) {
			t.Errorf("%+v: %v, want ErrAudienceUnavailable", bad, err)
		}
	}
	floors, err := f.st.AudienceFloors(f.ctx, c, f.staff)
	if err != nil || !slices.Equal(floors, []store.AudienceGroup{{Value: "2", Count: 2}, {Value: "3", Count: 1}}) {
		t.Errorf("floors = %+v, %v", floors, err)
	}
	langs, err := f.st.AudienceLanguages(f.ctx, c, f.staff)
	if err != nil || len(langs) != 3 {
		t.Errorf("languages = %+v, %v", langs, err)
	}
	classes, err := f.st.AudienceClasses(f.ctx, c, f.staff)
	if err != nil || !slices.Equal(classes, []store.AudienceGroup{{Value: annItoa(group), Label: "A1 matin", Count: 2}}) {
		t.Errorf("classes = %+v, %v", classes, err)
	}
	// The author is left out of his own audience.
	if n, _ := f.st.CountAudience(f.ctx, c, coord, store.Audience{Kind: store.AudienceStaff}); n != 1 {
		t.Errorf("staff seen by the coordinator = %d, want 1 (the other staff member)", n)
	}
	if n, _ := f.st.CountAudience(f.ctx, c, f.staff, store.Audience{Kind: store.AudienceLanguage, Value: "ar"}); n != 1 || omar == 0 {
		t.Errorf("an away resident is still reached: %d", n)
	}
}

func annItoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestCreateAnnouncementIsAllOrNothing(t *testing.T) {
	t.Parallel()
	f := newAnnFixture(t)
	a := f.person(f.centre, store.RoleResident, "ar", annFloor(1), true, "active")
	b := f.person(f.centre, store.RoleResident, "ti", annFloor(1), true, "active")
	na := store.NewAnnouncement{CentreID: f.centre, AuthorID: f.staff, DraftKey: "k1",
		Audience: store.Audience{Kind: store.AudienceFloor, Value: "1"}, Body: "Bonjour",
		Versions: map[string]string{"ar": "مرحبا"}, ProgressChatID: 5, ProgressMessageID: 7}

	boom := errors.New("queue down")
	_, err := f.st.CreateAnnouncement(f.ctx, na, func(context.Context, pgx.Tx, store.Announcement, []int64) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("enqueue failure: %v", err)
	}
	for _, table := range []string{"announcements", "announcement_versions", "deliveries", "audit_log WHERE action = 'announcement.send'"} {
		var n int
		if err := f.pool.QueryRow(f.ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%s has %d rows after a failed enqueue (%v)", table, n, err)
		}
	}

	var queued []int64
	ann, err := f.st.CreateAnnouncement(f.ctx, na, func(_ context.Context, _ pgx.Tx, got store.Announcement, ids []int64) error {
		if got.ID == 0 || got.Recipients != 2 {
			t.Errorf("enqueue got %+v", got)
		}
		queued = ids
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(queued, []int64{a, b}) || ann.Recipients != 2 {
		t.Fatalf("queued %v, announcement %+v", queued, ann)
	}
	for _, p := range []int64{a, b} {
		if s, _ := f.state(ann.ID, p); s != "pending" {
			t.Fatalf("delivery of %d is %q", p, s)
		}
	}
	if _, err := f.st.CreateAnnouncement(f.ctx, na, func(context.Context, pgx.Tx, store.Announcement, []int64) error { return nil }); !errors.Is(err, store.ErrAlreadySent) {
		t.Fatalf("same draft again: %v", err)
	}
	na.DraftKey, na.Audience = "k2", store.Audience{Kind: store.AudienceFloor, Value: "9"}
	if _, err := f.st.CreateAnnouncement(f.ctx, na, func(context.Context, pgx.Tx, store.Announcement, []int64) error { return nil }); !errors.Is(err, store.ErrNoRecipients) {
		t.Fatalf("empty floor: %v", err)
	}
	log, err := f.st.AuditLog(f.ctx, f.centre, 10)
	if err != nil || len(log) == 0 || log[0].Action != "announcement.send" {
		t.Fatalf("audit = %+v, %v", log, err)
	}
	for k := range log[0].Detail {
		if k == "body" || k == "text" || k == "versions" {
			t.Fatalf("audit keeps the text: %v", log[0].Detail)
		}
	}
	got, err := f.st.Announcement(f.ctx, f.centre, ann.ID)
	if err != nil || got.BodyFor("ar") != "مرحبا" || got.BodyFor("ti") != "Bonjour" || got.ProgressMessageID != 7 {
		t.Fatalf("announcement = %+v, %v", got, err)
	}
	if _, err := f.st.Announcement(f.ctx, f.centre+1, ann.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another centre's announcement: %v", err)
	}
}

func TestDeliveryIsSentAtMostOnce(t *testing.T) {
	t.Parallel()
	f := newAnnFixture(t)
	now := storetest.Now(t)
	var ids []int64
	for range 5 {
		ids = append(ids, f.person(f.centre, store.RoleResident, "fr", annFloor(1), true, "active"))
	}
	ann, err := f.st.CreateAnnouncement(f.ctx, store.NewAnnouncement{CentreID: f.centre, AuthorID: f.staff, DraftKey: "d",
		Audience: store.Audience{Kind: store.AudienceAll}, Template: "mail", Params: map[string]string{"date": "2026-12-04"},
		ProgressChatID: 1}, func(context.Context, pgx.Tx, store.Announcement, []int64) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	sent, blocked, crashed, retried, gaveUp := ids[0], ids[1], ids[2], ids[3], ids[4]

	a, p, err := f.st.ClaimDelivery(f.ctx, f.centre, ann.ID, sent, now)
	if err != nil || p.ID != sent || a.Template != "mail" || a.Params["date"] != "2026-12-04" {
		t.Fatalf("claim = %+v %+v %v", a, p, err)
	}
	if _, _, err := f.st.ClaimDelivery(f.ctx, f.centre+1, ann.ID, blocked, now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claim from another centre: %v", err)
	}
	if err := f.st.FinishDelivery(f.ctx, ann.ID, sent, store.DeliverySent, "", now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.st.ClaimDelivery(f.ctx, f.centre, ann.ID, sent, now); !errors.Is(err, store.ErrDeliveryDone) {
		t.Fatalf("second claim of a sent delivery: %v", err)
	}

	if _, _, err := f.st.ClaimDelivery(f.ctx, f.centre, ann.ID, blocked, now); err != nil {
		t.Fatal(err)
	}
	if err := f.st.FinishDelivery(f.ctx, ann.ID, blocked, store.DeliveryUnreachable, "", now); err != nil {
		t.Fatal(err)
	}

	// A crash between the claim and the outcome leaves 'sending': the next
	// try reports it and never sends.
	if _, _, err := f.st.ClaimDelivery(f.ctx, f.centre, ann.ID, crashed, now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.st.ClaimDelivery(f.ctx, f.centre, ann.ID, crashed, now); !errors.Is(err, store.ErrDeliveryInterrupted) {
		t.Fatalf("claim after a crash: %v", err)
	}
	if s, n := f.state(ann.ID, crashed); s != "failed" || n != store.NoteInterrupted {
		t.Fatalf("after the crash: %s %s", s, n)
	}
	if _, _, err := f.st.ClaimDelivery(f.ctx, f.centre, ann.ID, crashed, now); !errors.Is(err, store.ErrDeliveryDone) {
		t.Fatalf("third claim: %v", err)
	}

	// Telegram answered an error: back to pending, claimable again.
	if _, _, err := f.st.ClaimDelivery(f.ctx, f.centre, ann.ID, retried, now); err != nil {
		t.Fatal(err)
	}
	if err := f.st.ReleaseDelivery(f.ctx, ann.ID, retried, now); err != nil {
		t.Fatal(err)
	}
	if s, _ := f.state(ann.ID, retried); s != "pending" {
		t.Fatalf("released delivery is %s", s)
	}

	// A row left in 'sending' by a dead process is expired once stale, not
	// before; the expiry leaves the other rows alone.
	if _, _, err := f.st.ClaimDelivery(f.ctx, f.centre, ann.ID, gaveUp, now); err != nil {
		t.Fatal(err)
	}
	if n, err := f.st.ExpireSending(f.ctx, ann.ID, 5*time.Minute, now); err != nil || n != 0 {
		t.Fatalf("fresh sending expired: %d, %v", n, err)
	}
	if n, err := f.st.ExpireSending(f.ctx, ann.ID, 5*time.Minute, now.Add(6*time.Minute)); err != nil || n != 1 {
		t.Fatalf("stale sending: %d, %v", n, err)
	}
	if s, note := f.state(ann.ID, gaveUp); s != "failed" || note != store.NoteInterrupted {
		t.Fatalf("expired delivery: %s %s", s, note)
	}
	if _, err := f.pool.Exec(f.ctx, `UPDATE deliveries SET state = 'pending', note = '' WHERE person_id = $1`, gaveUp); err != nil {
		t.Fatal(err)
	}

	st, err := f.st.BroadcastStatus(f.ctx, f.centre, ann.ID)
	want := store.DeliveryCounts{Pending: 2, Sent: 1, Unreachable: 1, Failed: 1, Interrupted: 1}
	if err != nil || st.Counts != want || st.Counts.Finished() || st.Counts.Total() != 5 || st.Counts.Done() != 3 {
		t.Fatalf("status = %+v, %v; want %+v", st.Counts, err, want)
	}
	for _, p := range []int64{retried, gaveUp} {
		if _, _, err := f.st.ClaimDelivery(f.ctx, f.centre, ann.ID, p, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.st.FinishDelivery(f.ctx, ann.ID, retried, store.DeliverySent, "", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := f.st.FinishDelivery(f.ctx, ann.ID, gaveUp, store.DeliveryFailed, store.NoteGaveUp, now); err != nil {
		t.Fatal(err)
	}
	// A late outcome for a row that is no longer 'sending' changes nothing.
	if err := f.st.FinishDelivery(f.ctx, ann.ID, crashed, store.DeliverySent, "", now); err != nil {
		t.Fatal(err)
	}
	st, _ = f.st.BroadcastStatus(f.ctx, f.centre, ann.ID)
	if !st.Counts.Finished() || st.Counts.Sent != 2 || st.Counts.Failed != 2 || st.Reported {
		t.Fatalf("final status = %+v", st)
	}
	if err := f.st.SetProgressShown(f.ctx, ann.ID, 5); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		if got, err := f.st.ClaimReport(f.ctx, ann.ID, now); err != nil || got != want {
			t.Fatalf("report claim %d = %v, %v", i, got, err)
		}
	}
	st, _ = f.st.BroadcastStatus(f.ctx, f.centre, ann.ID)
	if st.Shown != 5 || !st.Reported {
		t.Fatalf("status = %+v", st)
	}

	news, err := f.st.NewsFor(f.ctx, f.centre, retried, 5)
	if err != nil || len(news) != 1 || news[0].Announcement.ID != ann.ID || !news[0].SentAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("news of a recipient = %+v, %v", news, err)
	}
	for _, p := range []int64{blocked, crashed, gaveUp} {
		if news, err := f.st.NewsFor(f.ctx, f.centre, p, 5); err != nil || len(news) != 0 {
			t.Fatalf("news of %d who did not get it = %+v, %v", p, news, err)
		}
	}
}
