package store_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	jobs   *annJobs
	centre int64
	staff  int64
	tgSeq  int64
	// now is the fixture's clock: the test's start (storetest.Now).
	now time.Time
}

// annJobs stands for the bot's job queue: it records the send jobs of the
// outbox rows and the progress jobs the store queues, or fails.
type annJobs struct {
	mu                  sync.Mutex
	failSend, failWatch error
	sends               []store.OutboxJob
	watched             []int64
}

func (j *annJobs) ScheduleOutboxTx(_ context.Context, _ pgx.Tx, jobs []store.OutboxJob) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.failSend != nil {
		return j.failSend
	}
	j.sends = append(j.sends, jobs...)
	return nil
}

func (j *annJobs) WatchBroadcastTx(_ context.Context, _ pgx.Tx, _, announcementID int64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.failWatch != nil {
		return j.failWatch
	}
	j.watched = append(j.watched, announcementID)
	return nil
}

func newAnnFixture(t *testing.T) *annFixture {
	t.Helper()
	ctx := context.Background()
	pool := storetest.NewPool(t)
	st := store.New(pool)
	jobs := &annJobs{}
	st.UseOutboxScheduler(jobs)
	st.UseBroadcastWatcher(jobs)
	c, err := st.EnsureCentre(ctx, "ann-centre", "Test")
	if err != nil {
		t.Fatal(err)
	}
	f := &annFixture{t: t, ctx: ctx, pool: pool, st: st, jobs: jobs, centre: c.ID, tgSeq: 1000, now: storetest.Now(t)}
	f.staff = f.person(c.ID, store.RoleStaff, "fr", nil, true, "active")
	return f
}

// person adds someone; linked gives him a Telegram account.
func (f *annFixture) person(centre int64, role store.Role, lang string, floor *int, linked bool, status string) int64 {
	f.t.Helper()
	p, _, err := f.st.CreatePersonWithInvite(f.ctx, store.NewPerson{CentreID: centre, Role: role,
		DisplayName: "P", Room: "101", Floor: floor, Language: lang}, nil, f.now.Add(time.Hour))
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

// message is the outbox row of an announcement's message to a person.
func (f *annFixture) message(annID, personID int64) store.OutboxRow {
	f.t.Helper()
	id, err := f.st.AnnouncementOutboxID(f.ctx, annID, personID)
	if err != nil {
		f.t.Fatal(err)
	}
	m, err := f.st.OutboxByID(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

func (f *annFixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.pool.QueryRow(f.ctx, query, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
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

func annKey(annID, personID int64) string {
	return "announcement:" + annItoa(annID) + ":" + annItoa(personID)
}

func TestCreateAnnouncementIsAllOrNothing(t *testing.T) {
	t.Parallel()
	f := newAnnFixture(t)
	a := f.person(f.centre, store.RoleResident, "ar", annFloor(1), true, "active")
	b := f.person(f.centre, store.RoleResident, "ti", annFloor(1), true, "active")
	na := store.NewAnnouncement{CentreID: f.centre, AuthorID: f.staff, DraftKey: "k1",
		Audience: store.Audience{Kind: store.AudienceFloor, Value: "1"}, Body: "Bonjour",
		Versions: map[string]string{"ar": "مرحبا"}, ProgressChatID: 5, ProgressMessageID: 7}

	// The messages, their send jobs and the progress job are written with
	// the announcement or not at all.
	boom := errors.New("queue down")
	for _, c := range []struct {
		name        string
		send, watch error
	}{
		{"send jobs fail", boom, nil},
		{"progress job fails", nil, boom},
	} {
		f.jobs.failSend, f.jobs.failWatch = c.send, c.watch
		if _, err := f.st.CreateAnnouncement(f.ctx, na, f.now); !errors.Is(err, boom) {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, table := range []string{"announcements", "announcement_versions", "outbox", "audit_log WHERE action = 'announcement.send'"} {
			if n := f.count(`SELECT count(*) FROM ` + table); n != 0 {
				t.Fatalf("%s: %s has %d rows", c.name, table, n)
			}
		}
	}
	f.jobs.failSend, f.jobs.failWatch = nil, nil
	f.jobs.sends = nil

	ann, err := f.st.CreateAnnouncement(f.ctx, na, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if ann.Recipients != 2 || !slices.Equal(f.jobs.watched, []int64{ann.ID}) {
		t.Fatalf("announcement %+v, progress jobs %v", ann, f.jobs.watched)
	}
	// One message per recipient, keyed by announcement and person, leaving
	// now (a zero time: available at once) behind reminders and receipts
	// (priority 4).
	var sends []int64
	for _, j := range f.jobs.sends {
		if j.Priority != 4 || !j.NotBefore.IsZero() {
			t.Errorf("send job %+v", j)
		}
		sends = append(sends, j.ID)
	}
	var rows []int64
	for _, p := range []int64{a, b} {
		m := f.message(ann.ID, p)
		if m.Kind != store.AnnouncementKind || m.Key != annKey(ann.ID, p) || m.State != store.OutboxPending ||
			m.AnnouncementID != ann.ID || m.CentreID != f.centre || !m.NotBefore.Equal(f.now) {
			t.Errorf("message to %d = %+v", p, m)
		}
		rows = append(rows, m.ID)
	}
	slices.Sort(sends)
	if !slices.Equal(sends, rows) {
		t.Fatalf("send jobs for rows %v, want %v", sends, rows)
	}

	// The same draft again, or the same key queued again, adds nothing.
	if _, err := f.st.CreateAnnouncement(f.ctx, na, f.now); !errors.Is(err, store.ErrAlreadySent) {
		t.Fatalf("same draft again: %v", err)
	}
	n, err := f.st.Enqueue(f.ctx, f.now.Add(time.Minute), store.OutboxMessage{CentreID: f.centre, PersonID: a,
		Kind: store.AnnouncementKind, Key: annKey(ann.ID, a), AnnouncementID: ann.ID, Priority: 4})
	if err != nil || n != 0 {
		t.Fatalf("same key queued again: %d new, %v", n, err)
	}
	if got := f.count(`SELECT count(*) FROM outbox`); got != 2 || len(f.jobs.sends) != 2 {
		t.Fatalf("%d messages, %d send jobs after the repeats; want 2 and 2", got, len(f.jobs.sends))
	}

	na.DraftKey, na.Audience = "k2", store.Audience{Kind: store.AudienceFloor, Value: "9"}
	if _, err := f.st.CreateAnnouncement(f.ctx, na, f.now); !errors.Is(err, store.ErrNoRecipients) {
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

// annOutcome drives a message through the outbox's own steps.
type annOutcome struct {
	claim bool // turned 'sending'
	state store.OutboxState
	note  string
}

func (f *annFixture) settle(id int64, o annOutcome, at time.Time) {
	f.t.Helper()
	if o.claim {
		if err := f.st.ClaimOutbox(f.ctx, id, at); err != nil {
			f.t.Fatal(err)
		}
	}
	if o.state != "" {
		if err := f.st.FinishOutbox(f.ctx, id, o.state, o.note, 77, at); err != nil {
			f.t.Fatal(err)
		}
	}
}

func TestBroadcastStatusCountsOutboxMessages(t *testing.T) {
	t.Parallel()
	f := newAnnFixture(t)
	outcomes := []annOutcome{
		{claim: true, state: store.OutboxSent},
		{claim: true, state: store.OutboxUnreachable},
		{claim: true, state: store.OutboxFailed, note: store.NoteRefused},
		{claim: true, state: store.OutboxFailed, note: store.NoteInterrupted},
		{state: store.OutboxCancelled, note: store.NoteObsolete},
		{claim: true}, // in Telegram's hands, or cut there by a crash
		{},            // waiting for its turn
	}
	var ids []int64
	for range outcomes {
		ids = append(ids, f.person(f.centre, store.RoleResident, "fr", annFloor(1), true, "active"))
	}
	ann, err := f.st.CreateAnnouncement(f.ctx, store.NewAnnouncement{CentreID: f.centre, AuthorID: f.staff, DraftKey: "d",
		Audience: store.Audience{Kind: store.AudienceAll}, Template: "mail", Params: map[string]string{"date": "2026-12-04"},
		ProgressChatID: 1}, f.now)
	if err != nil {
		t.Fatal(err)
	}
	sentAt := f.now.Add(time.Minute)
	for i, o := range outcomes {
		f.settle(f.message(ann.ID, ids[i]).ID, o, sentAt)
	}
	// A message of another kind to a recipient is not the announcement's.
	if _, err := f.st.Enqueue(f.ctx, f.now, store.OutboxMessage{CentreID: f.centre, PersonID: ids[0], Kind: "notify",
		Key: "notify:x", MsgID: "x"}); err != nil {
		t.Fatal(err)
	}

	st, err := f.st.BroadcastStatus(f.ctx, f.centre, ann.ID)
	want := store.BroadcastCounts{Pending: 1, Sending: 1, Sent: 1, Unreachable: 1, Failed: 3, Interrupted: 1}
	if err != nil || st.Counts != want || st.Counts.Finished() || st.Counts.Total() != 7 || st.Counts.Done() != 5 {
		t.Fatalf("status = %+v, %v; want %+v", st.Counts, err, want)
	}
	if st.Shown != -1 || st.Reported || st.Announcement.Template != "mail" {
		t.Fatalf("status = %+v", st)
	}
	if _, err := f.st.BroadcastStatus(f.ctx, f.centre+1, ann.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another centre's status: %v", err)
	}
	// The report waits for the message left in 'sending'.
	f.settle(f.message(ann.ID, ids[5]).ID, annOutcome{state: store.OutboxFailed, note: store.NoteInterrupted}, sentAt)
	if st, _ = f.st.BroadcastStatus(f.ctx, f.centre, ann.ID); st.Counts.Finished() {
		t.Fatalf("finished with a message still pending: %+v", st.Counts)
	}
	f.settle(f.message(ann.ID, ids[6]).ID, annOutcome{claim: true, state: store.OutboxSent}, sentAt)
	st, _ = f.st.BroadcastStatus(f.ctx, f.centre, ann.ID)
	want = store.BroadcastCounts{Sent: 2, Unreachable: 1, Failed: 4, Interrupted: 2}
	if st.Counts != want || !st.Counts.Finished() {
		t.Fatalf("final status = %+v, want %+v", st.Counts, want)
	}
	if err := f.st.SetProgressShown(f.ctx, ann.ID, 7); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		if got, err := f.st.ClaimReport(f.ctx, ann.ID, f.now); err != nil || got != want {
			t.Fatalf("report claim %d = %v, %v", i, got, err)
		}
	}
	if st, _ = f.st.BroadcastStatus(f.ctx, f.centre, ann.ID); st.Shown != 7 || !st.Reported {
		t.Fatalf("status = %+v", st)
	}

	news, err := f.st.NewsFor(f.ctx, f.centre, ids[0], 5)
	if err != nil || len(news) != 1 || news[0].Announcement.ID != ann.ID || !news[0].SentAt.Equal(sentAt) {
		t.Fatalf("news of a recipient = %+v, %v", news, err)
	}
	for _, p := range ids[1:6] {
		if news, err := f.st.NewsFor(f.ctx, f.centre, p, 5); err != nil || len(news) != 0 {
			t.Fatalf("news of %d who did not get it = %+v, %v", p, news, err)
		}
	}
	if _, err := f.st.AnnouncementOutboxID(f.ctx, ann.ID, f.staff); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the author's message: %v", err)
	}
}

// annMigration returns the Up and Down parts of the migration that moved
// deliveries into the outbox.
func annMigration(t *testing.T) (up, down string) {
	t.Helper()
	b, err := os.ReadFile("migrations/00013_outbox_announcements.sql")
	if err != nil {
		t.Fatal(err)
	}
	up, down, ok := strings.Cut(string(b), "-- +goose Down")
	if !ok {
		t.Fatal("no Down part")
	}
	return up, down
}

// The deliveries of announcements sent before the outbox are carried into
// it, so nothing already sent is sent again and reports keep their counts;
// going down brings them back.
func TestAnnouncementsMigrationCarriesDeliveries(t *testing.T) {
	t.Parallel()
	f := newAnnFixture(t)
	up, down := annMigration(t)
	outcomes := []annOutcome{
		{claim: true, state: store.OutboxSent},
		{claim: true, state: store.OutboxUnreachable},
		{claim: true, state: store.OutboxFailed, note: store.NoteRefused},
		{claim: true},
		{},
		{state: store.OutboxCancelled, note: store.NoteObsolete},
	}
	var ids []int64
	for range outcomes {
		ids = append(ids, f.person(f.centre, store.RoleResident, "fr", annFloor(1), true, "active"))
	}
	ann, err := f.st.CreateAnnouncement(f.ctx, store.NewAnnouncement{CentreID: f.centre, AuthorID: f.staff, DraftKey: "d",
		Audience: store.Audience{Kind: store.AudienceAll}, Body: "Bonjour", ProgressChatID: 1}, f.now)
	if err != nil {
		t.Fatal(err)
	}
	sentAt := f.now.Add(time.Minute)
	for i, o := range outcomes {
		f.settle(f.message(ann.ID, ids[i]).ID, o, sentAt)
	}

	if _, err := f.pool.Exec(f.ctx, down); err != nil {
		t.Fatalf("down: %v", err)
	}
	type row struct{ state, note string }
	deliveries := func() []row {
		t.Helper()
		var out []row
		for _, p := range ids {
			var r row
			if err := f.pool.QueryRow(f.ctx, `SELECT state, note FROM deliveries WHERE announcement_id = $1 AND person_id = $2`,
				ann.ID, p).Scan(&r.state, &r.note); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	wantDown := []row{{"sent", ""}, {"unreachable", ""}, {"failed", "refused"}, {"sending", ""}, {"pending", ""}, {"failed", "refused"}}
	if got := deliveries(); !slices.Equal(got, wantDown) {
		t.Fatalf("deliveries after down = %v, want %v", got, wantDown)
	}
	if n := f.count(`SELECT count(*) FROM outbox`); n != 0 {
		t.Fatalf("%d outbox rows after down", n)
	}
	if _, err := f.pool.Exec(f.ctx, up); err != nil {
		t.Fatalf("up: %v", err)
	}
	if n := f.count(`SELECT count(*) FROM pg_tables WHERE tablename = 'deliveries'`); n != 0 {
		t.Fatal("deliveries still exists")
	}
	wantUp := []struct {
		state store.OutboxState
		note  string
	}{
		{store.OutboxSent, ""},
		{store.OutboxUnreachable, ""},
		{store.OutboxFailed, store.NoteRefused},
		{store.OutboxFailed, store.NoteInterrupted}, // may have arrived: not sent again
		{store.OutboxPending, ""},                   // its old job queues its send (handlers.AnnounceWorker)
		{store.OutboxFailed, store.NoteRefused},
	}
	for i, p := range ids {
		m := f.message(ann.ID, p)
		if m.State != wantUp[i].state || m.Note != wantUp[i].note || m.Key != annKey(ann.ID, p) ||
			m.Kind != store.AnnouncementKind || m.CentreID != f.centre {
			t.Errorf("message %d after up = %+v, want %+v", i, m, wantUp[i])
		}
	}
	st, err := f.st.BroadcastStatus(f.ctx, f.centre, ann.ID)
	want := store.BroadcastCounts{Pending: 1, Sent: 1, Unreachable: 1, Failed: 3, Interrupted: 1}
	if err != nil || st.Counts != want {
		t.Fatalf("status after up = %+v, %v; want %+v", st.Counts, err, want)
	}
	news, err := f.st.NewsFor(f.ctx, f.centre, ids[0], 5)
	if err != nil || len(news) != 1 || !news[0].SentAt.Equal(sentAt) {
		t.Fatalf("news after up = %+v, %v", news, err)
	}
	// The carried keys are the ones the code uses: queuing one again adds
	// nothing.
	if n, err := f.st.Enqueue(f.ctx, f.now, store.OutboxMessage{CentreID: f.centre, PersonID: ids[0],
		Kind: store.AnnouncementKind, Key: annKey(ann.ID, ids[0]), AnnouncementID: ann.ID}); err != nil || n != 0 {
		t.Fatalf("carried key queued again: %d, %v", n, err)
	}
}
