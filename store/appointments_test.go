package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// apptJobs stands in for River's sending of outbox rows: it records the
// jobs queued, and can fail to show that the change and its rows are one
// transaction.
type apptJobs struct {
	mu   sync.Mutex
	jobs []store.OutboxJob
	fail bool
}

func (q *apptJobs) ScheduleOutboxTx(_ context.Context, _ pgx.Tx, jobs []store.OutboxJob) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail {
		return errors.New("queue down")
	}
	q.jobs = append(q.jobs, jobs...)
	return nil
}

func (q *apptJobs) setFail(fail bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.fail = fail
}

// apptThursday is a Thursday, 14:30 in Paris, two to eight days after now.
func apptThursday(now time.Time) time.Time {
	return storetest.Next(storetest.Day(now, 2, 0, 0), time.Thursday, 14, 30)
}

type apptFixture struct {
	st                 *store.Store
	jobs               *apptJobs
	centre             int64
	coord, ahmad, yona store.Person
	now                time.Time
	specs              []store.ReminderSpec
}

func newApptFixture(t *testing.T) apptFixture {
	t.Helper()
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	jobs := &apptJobs{}
	st.UseOutboxScheduler(jobs)
	c, err := st.EnsureCentre(ctx, "test-centre", "Test")
	if err != nil {
		t.Fatal(err)
	}
	f := apptFixture{st: st, jobs: jobs, centre: c.ID, now: storetest.Now(t),
		specs: []store.ReminderSpec{
			{Kind: store.ReminderToResident, Offset: 24 * time.Hour},
			{Kind: store.ReminderToResident, Offset: 2 * time.Hour},
			{Kind: store.ReminderNoAnswer, Offset: 24 * time.Hour},
		}}
	add := func(role store.Role, name, room string) store.Person {
		p, _, err := st.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: c.ID, Role: role,
			DisplayName: name, Room: room, Language: "fr"}, nil, f.now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	f.coord = add(store.RoleCoordinator, "Marie D.", "")
	f.ahmad = add(store.RoleResident, "Ahmad K.", "214")
	f.yona = add(store.RoleResident, "Yonas T.", "101")
	return f
}

func (f apptFixture) create(t *testing.T, person int64, at time.Time) store.Appointment {
	t.Helper()
	a, err := f.st.CreateAppointment(context.Background(), store.NewAppointment{CentreID: f.centre, PersonID: person,
		CoordinatorID: f.coord.ID, Kind: store.KindSIAO, At: at, Place: "SIAO 75, 5 rue X",
		Documents: []string{"permit", "id"}}, f.specs, f.now)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// apptOutbox is an outbox row as these tests compare it.
type apptOutbox struct {
	Person    int64
	Kind, Key string
	MsgID     string
	Args      map[string]string
	NotBefore time.Time
	State     string
	Note      string
}

func (o apptOutbox) String() string {
	return fmt.Sprintf("{%d %s %s %s %v %s %s/%s}", o.Person, o.Kind, o.Key, o.MsgID, o.Args,
		o.NotBefore.UTC().Format(time.RFC3339), o.State, o.Note)
}

// outbox lists the outbox rows whose key starts with prefix, in the order
// they were written.
func (f apptFixture) outbox(t *testing.T, prefix string) []apptOutbox {
	t.Helper()
	return apptOutboxRows(t, f.st, f.centre, prefix)
}

func apptOutboxRows(t *testing.T, st *store.Store, centre int64, prefix string) []apptOutbox {
	t.Helper()
	rows, err := st.Pool().Query(context.Background(), `SELECT person_id, kind, dedupe_key, msg_id, args,
			not_before, state, note
		FROM outbox WHERE centre_id = $1 AND starts_with(dedupe_key, $2) ORDER BY id`, centre, prefix)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (apptOutbox, error) {
		var o apptOutbox
		err := row.Scan(&o.Person, &o.Kind, &o.Key, &o.MsgID, &o.Args, &o.NotBefore, &o.State, &o.Note)
		return o, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func apptSameRows(t *testing.T, what string, got, want []apptOutbox) {
	t.Helper()
	if !slices.EqualFunc(got, want, func(a, b apptOutbox) bool {
		return a.Person == b.Person && a.Kind == b.Kind && a.Key == b.Key && a.MsgID == b.MsgID &&
			fmt.Sprint(a.Args) == fmt.Sprint(b.Args) && a.NotBefore.Equal(b.NotBefore) && a.State == b.State && a.Note == b.Note
	}) {
		t.Fatalf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func apptArgs(id int64, version int) map[string]string {
	return map[string]string{"appointment": fmt.Sprint(id), "version": fmt.Sprint(version)}
}

func TestAppointmentLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newApptFixture(t)
	at := apptThursday(f.now)
	a, err := f.st.CreateAppointment(ctx, store.NewAppointment{CentreID: f.centre, PersonID: f.ahmad.ID,
		CoordinatorID: f.coord.ID, Kind: store.KindSIAO, At: at, Place: "SIAO 75",
		Documents: []string{"permit", "tax"}}, f.specs, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if a.Version != 1 || a.Status != store.AppointmentScheduled || a.PersonName != "Ahmad K." || len(a.Documents) != 2 {
		t.Fatalf("appointment = %+v", a)
	}
	// The notice at once, the reminders and the no-answer check at their
	// time, written with the appointment.
	id, v1 := a.ID, apptArgs(a.ID, 1)
	due24, due2 := at.Add(-24*time.Hour), at.Add(-2*time.Hour)
	notice1 := apptOutbox{f.ahmad.ID, "appointment.notice", fmt.Sprintf("notice:appointment:%d:v1", id), "appointments.new", v1, f.now, "pending", ""}
	rem24 := apptOutbox{f.ahmad.ID, "appointment.reminder", fmt.Sprintf("reminder:appointment:%d:v1:24h:%d", id, due24.Unix()), "appointments.reminder", v1, due24, "pending", ""}
	rem2 := apptOutbox{f.ahmad.ID, "appointment.reminder", fmt.Sprintf("reminder:appointment:%d:v1:2h:%d", id, due2.Unix()), "appointments.reminder", v1, due2, "pending", ""}
	check := apptOutbox{f.coord.ID, "appointment.noanswer", fmt.Sprintf("reminder:appointment:%d:v1:noanswer:%d", id, due24.Unix()), "appointments.noanswer", v1, due24, "pending", ""}
	apptSameRows(t, "after the booking", f.outbox(t, ""), []apptOutbox{notice1, rem24, rem2, check})
	// The notice is due now: its job is available at once (zero time).
	if len(f.jobs.jobs) != 4 || !f.jobs.jobs[1].NotBefore.Equal(due24) || !f.jobs.jobs[0].NotBefore.IsZero() {
		t.Fatalf("jobs = %+v", f.jobs.jobs)
	}

	// Rescheduled: what has not left is cancelled, and the new notice and
	// reminders queued; a reminder now in the past (the 24 h one) is not,
	// and the check for an answer, whose time has passed too, comes halfway
	// to the appointment.
	newAt := f.now.Add(5 * time.Hour)
	moved, err := f.st.RescheduleAppointment(ctx, f.centre, a.ID, 1, newAt, f.coord.ID, f.specs, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if moved.Version != 2 || !moved.At.Equal(newAt) || moved.Answer != "" {
		t.Fatalf("moved = %+v", moved)
	}
	cancelled := func(o apptOutbox) apptOutbox { o.State, o.Note = "cancelled", "obsolete"; return o }
	v2, due2b := apptArgs(id, 2), newAt.Add(-2*time.Hour)
	notice2 := apptOutbox{f.ahmad.ID, "appointment.notice", fmt.Sprintf("notice:appointment:%d:v2", id), "appointments.moved", v2, f.now, "pending", ""}
	rem2b := apptOutbox{f.ahmad.ID, "appointment.reminder", fmt.Sprintf("reminder:appointment:%d:v2:2h:%d", id, due2b.Unix()), "appointments.reminder", v2, due2b, "pending", ""}
	half := f.now.Add(150 * time.Minute)
	check2 := apptOutbox{f.coord.ID, "appointment.noanswer", fmt.Sprintf("reminder:appointment:%d:v2:noanswer:%d", id, half.Unix()), "appointments.noanswer", v2, half, "pending", ""}
	apptSameRows(t, "after the move", f.outbox(t, ""),
		[]apptOutbox{cancelled(notice1), cancelled(rem24), cancelled(rem2), cancelled(check), notice2, rem2b, check2})
	// A move from a stale version is refused and changes nothing.
	if _, err := f.st.RescheduleAppointment(ctx, f.centre, a.ID, 1, newAt.Add(time.Hour), f.coord.ID, f.specs, f.now); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale move: %v", err)
	}
	if _, err := f.st.RescheduleAppointment(ctx, f.centre, a.ID, 2, f.now.Add(-time.Hour), f.coord.ID, f.specs, f.now); !errors.Is(err, store.ErrAppointmentPast) {
		t.Fatalf("move to the past: %v", err)
	}
	if n := len(f.outbox(t, "")); n != 7 {
		t.Fatalf("%d outbox rows after refused moves, want 7", n)
	}

	// Answers: only his own, at the current version.
	if _, err := f.st.AnswerAppointment(ctx, f.centre, f.yona.ID, a.ID, 2, store.AnswerYes, f.now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another resident answered: %v", err)
	}
	if _, err := f.st.AnswerAppointment(ctx, f.centre, f.ahmad.ID, a.ID, 1, store.AnswerYes, f.now); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("old version answered: %v", err)
	}
	if _, err := f.st.AnswerAppointment(ctx, f.centre, f.ahmad.ID, a.ID, 2, "maybe", f.now); err == nil {
		t.Fatal("unknown answer accepted")
	}
	ans, err := f.st.AnswerAppointment(ctx, f.centre, f.ahmad.ID, a.ID, 2, store.AnswerHelp, f.now)
	if err != nil || ans.Answer != store.AnswerHelp || ans.AnsweredAt == nil || !ans.AnsweredAt.Equal(f.now) {
		t.Fatalf("answer = %+v, %v", ans, err)
	}

	// Cancelled: the reminder that had not left is cancelled, the notice
	// queued, the appointment gone from the lists.
	gone, err := f.st.CancelAppointment(ctx, f.centre, a.ID, 2, f.coord.ID, f.now)
	if err != nil || gone.Status != store.AppointmentCancelled || gone.Version != 3 {
		t.Fatalf("cancel = %+v, %v", gone, err)
	}
	notice3 := apptOutbox{f.ahmad.ID, "appointment.notice", fmt.Sprintf("notice:appointment:%d:v3", id), "appointments.cancelled", apptArgs(id, 3), f.now, "pending", ""}
	apptSameRows(t, "after the cancel", f.outbox(t, "notice:"), []apptOutbox{cancelled(notice1), cancelled(notice2), notice3})
	apptSameRows(t, "reminders after the cancel", f.outbox(t, "reminder:"),
		[]apptOutbox{cancelled(rem24), cancelled(rem2), cancelled(check), cancelled(rem2b), cancelled(check2)})
	if _, err := f.st.CancelAppointment(ctx, f.centre, a.ID, 3, f.coord.ID, f.now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("cancel twice: %v", err)
	}
	if list, _ := f.st.PersonAppointments(ctx, f.centre, f.ahmad.ID, f.now); len(list) != 0 {
		t.Fatalf("cancelled still listed: %+v", list)
	}
	var actions []string
	log, _ := f.st.AuditLog(ctx, f.centre, 10)
	for _, e := range log {
		actions = append(actions, e.Action)
	}
	want := []string{"appointment.cancel", "appointment.reschedule", "appointment.create"}
	if len(actions) < 3 || actions[0] != want[0] || actions[1] != want[1] || actions[2] != want[2] {
		t.Fatalf("audit = %v, want %v", actions, want)
	}
}

func TestRescheduledBackToTheSameTimeIsRemindedAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newApptFixture(t)
	at := apptThursday(f.now)
	a := f.create(t, f.ahmad.ID, at)
	if _, err := f.st.RescheduleAppointment(ctx, f.centre, a.ID, 1, at.Add(time.Hour), f.coord.ID, f.specs, f.now); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.RescheduleAppointment(ctx, f.centre, a.ID, 2, at, f.coord.ID, f.specs, f.now); err != nil {
		t.Fatal(err)
	}
	// The reminders of version 3 are due when those of version 1 were: the
	// key's version keeps them from being taken for the old, cancelled ones.
	var pending []string
	for _, o := range f.outbox(t, "reminder:") {
		if o.State == "pending" {
			pending = append(pending, o.Key)
		}
	}
	due24, due2 := at.Add(-24*time.Hour).Unix(), at.Add(-2*time.Hour).Unix()
	want := []string{
		fmt.Sprintf("reminder:appointment:%d:v3:24h:%d", a.ID, due24),
		fmt.Sprintf("reminder:appointment:%d:v3:2h:%d", a.ID, due2),
		fmt.Sprintf("reminder:appointment:%d:v3:noanswer:%d", a.ID, due24),
	}
	if !slices.Equal(pending, want) {
		t.Fatalf("pending reminders %v, want %v", pending, want)
	}
}

// A change and the messages it causes are one transaction: when the rows
// cannot be queued, the change is not made either.
func TestAppointmentChangesAndTheirMessagesAreOneTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newApptFixture(t)
	at := f.now.Add(48 * time.Hour)
	a := f.create(t, f.ahmad.ID, at)
	before := len(f.outbox(t, ""))
	f.jobs.setFail(true)

	na := store.NewAppointment{CentreID: f.centre, PersonID: f.yona.ID, CoordinatorID: f.coord.ID,
		Kind: store.KindVisit, At: at, Place: "X"}
	if _, err := f.st.CreateAppointment(ctx, na, f.specs, f.now); err == nil {
		t.Fatal("create: queue failure not reported")
	}
	if list, _ := f.st.PersonAppointments(ctx, f.centre, f.yona.ID, f.now); len(list) != 0 {
		t.Fatalf("appointment kept although its messages could not be queued: %+v", list)
	}
	if _, err := f.st.RescheduleAppointment(ctx, f.centre, a.ID, 1, at.Add(time.Hour), f.coord.ID, f.specs, f.now); err == nil {
		t.Fatal("move: queue failure not reported")
	}
	if _, err := f.st.CancelAppointment(ctx, f.centre, a.ID, 1, f.coord.ID, f.now); err == nil {
		t.Fatal("cancel: queue failure not reported")
	}
	if _, err := f.st.AnswerAppointment(ctx, f.centre, f.ahmad.ID, a.ID, 1, store.AnswerNo, f.now); err == nil {
		t.Fatal("answer: queue failure not reported")
	}
	if _, err := f.st.AddAppointmentMessage(ctx, f.centre, a.ID, f.coord.ID, f.ahmad.ID, false, "Bring your RIB", f.now); err == nil {
		t.Fatal("message: queue failure not reported")
	}
	got, err := f.st.AppointmentByID(ctx, f.centre, a.ID)
	if err != nil || got.Version != 1 || got.Status != store.AppointmentScheduled || !got.At.Equal(at) || got.Answer != "" {
		t.Fatalf("appointment changed although its messages could not be queued: %+v, %v", got, err)
	}
	if thread, _ := f.st.AppointmentMessages(ctx, f.centre, a.ID); len(thread) != 0 {
		t.Fatalf("message kept although it could not be queued: %+v", thread)
	}
	rows := f.outbox(t, "")
	if len(rows) != before {
		t.Fatalf("outbox rows %v, want the %d of the booking", rows, before)
	}
	for _, o := range rows {
		if o.State != "pending" {
			t.Fatalf("a failed change cancelled %v", o)
		}
	}
	// The refusals come first and write nothing either.
	f.jobs.setFail(false)
	na.At = f.now
	if _, err := f.st.CreateAppointment(ctx, na, f.specs, f.now); !errors.Is(err, store.ErrAppointmentPast) {
		t.Fatalf("past appointment: %v", err)
	}
	na.At, na.PersonID = at, f.coord.ID
	if _, err := f.st.CreateAppointment(ctx, na, f.specs, f.now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("appointment for a staff member: %v", err)
	}
	other, err := f.st.EnsureCentre(ctx, "other", "Other")
	if err != nil {
		t.Fatal(err)
	}
	na.PersonID, na.CentreID = f.ahmad.ID, other.ID
	if _, err := f.st.CreateAppointment(ctx, na, f.specs, f.now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("appointment for another centre's resident: %v", err)
	}
	if n := len(f.outbox(t, "")); n != before {
		t.Fatalf("%d outbox rows after refusals, want %d", n, before)
	}
}

func TestAppointmentAnswerTellsTheCoordinatorEachChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newApptFixture(t)
	a := f.create(t, f.ahmad.ID, f.now.Add(48*time.Hour))
	// Yes, yes again (no change: nothing new), no, then yes: each change is
	// told, the same instant or not.
	for _, ans := range []string{store.AnswerYes, store.AnswerYes, store.AnswerNo, store.AnswerYes} {
		if _, err := f.st.AnswerAppointment(ctx, f.centre, f.ahmad.ID, a.ID, 1, ans, f.now); err != nil {
			t.Fatal(err)
		}
	}
	row := func(n int, answer string) apptOutbox {
		args := apptArgs(a.ID, 1)
		args["answer"] = answer
		return apptOutbox{f.coord.ID, "appointment.answer", fmt.Sprintf("answer:appointment:%d:v1:%d", a.ID, n),
			"appointments.coordinator_answer", args, f.now, "pending", ""}
	}
	apptSameRows(t, "answers", f.outbox(t, "answer:"), []apptOutbox{row(1, "yes"), row(2, "no"), row(3, "yes")})
}

func TestLegacyReminderJobBecomesItsOutboxRowOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newApptFixture(t)
	at := apptThursday(f.now)
	a := f.create(t, f.ahmad.ID, at)
	due24 := at.Add(-24 * time.Hour)
	before := f.outbox(t, "reminder:")

	// A job of the current version finds its row, under the same key, and
	// queues nothing more: the dedupe key keeps it from going twice.
	for _, kind := range []string{store.ReminderToResident, store.ReminderNoAnswer} {
		if err := f.st.QueueLegacyAppointmentReminder(ctx, f.centre, a.ID, 1, kind, due24, f.now); err != nil {
			t.Fatal(err)
		}
	}
	apptSameRows(t, "after the old jobs of queued reminders", f.outbox(t, "reminder:"), before)

	// Once the rows are gone (as for a reminder queued before the outbox),
	// the job writes them back as the new code would.
	if _, err := f.st.Pool().Exec(ctx, `DELETE FROM outbox WHERE starts_with(dedupe_key, 'reminder:')`); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{store.ReminderToResident, store.ReminderNoAnswer} {
		if err := f.st.QueueLegacyAppointmentReminder(ctx, f.centre, a.ID, 1, kind, due24, f.now); err != nil {
			t.Fatal(err)
		}
	}
	apptSameRows(t, "reminders from old jobs", f.outbox(t, "reminder:"), []apptOutbox{before[0], before[2]})

	// A job of a version moved since, and one of a cancelled appointment,
	// queue nothing; one of an erased appointment is not found.
	if _, err := f.st.RescheduleAppointment(ctx, f.centre, a.ID, 1, at.Add(time.Hour), f.coord.ID, nil, f.now); err != nil {
		t.Fatal(err)
	}
	n := len(f.outbox(t, ""))
	if err := f.st.QueueLegacyAppointmentReminder(ctx, f.centre, a.ID, 1, store.ReminderToResident, at.Add(-2*time.Hour), f.now); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.CancelAppointment(ctx, f.centre, a.ID, 2, f.coord.ID, f.now); err != nil {
		t.Fatal(err)
	}
	n++ // the cancel notice
	if err := f.st.QueueLegacyAppointmentReminder(ctx, f.centre, a.ID, 3, store.ReminderToResident, at.Add(-time.Hour), f.now); err != nil {
		t.Fatal(err)
	}
	if got := len(f.outbox(t, "")); got != n {
		t.Fatalf("%d outbox rows, want %d: stale jobs queued something", got, n)
	}
	if err := f.st.QueueLegacyAppointmentReminder(ctx, f.centre, 999999, 1, store.ReminderToResident, due24, f.now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("job of an unknown appointment: %v", err)
	}
}

// Migration 00012 carries the reminders already handled into the outbox
// under the keys the new code uses, and drops the old table.
func TestMigrationCarriesAppointmentReminders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newApptFixture(t)
	db := stdlib.OpenDBFromPool(f.st.Pool())
	defer db.Close()
	// The migrations as the binary embeds them; only this one is taken down
	// and up again, whatever came after it.
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.ApplyVersion(ctx, 12, false); err != nil {
		t.Fatal(err)
	}
	at := apptThursday(f.now)
	// Ahmad's SIAO interview, moved once; a visit whose coordinator is gone;
	// Yonas's lease signing.
	insert := func(person int64, coord *int64, kind string, at time.Time, version int) int64 {
		t.Helper()
		var id int64
		if err := f.st.Pool().QueryRow(ctx, `INSERT INTO appointments
			(centre_id, person_id, coordinator_id, kind, at, place, version, created_at)
			VALUES ($1, $2, $3, $4, $5, 'SIAO 75', $6, $7) RETURNING id`,
			f.centre, person, coord, kind, at, version, f.now).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	a1 := insert(f.ahmad.ID, &f.coord.ID, store.KindSIAO, at, 2)
	a2 := insert(f.ahmad.ID, nil, store.KindVisit, at, 1)
	a3 := insert(f.yona.ID, &f.coord.ID, store.KindLease, at.Add(90*time.Minute), 1)
	done := at.Add(-24 * time.Hour).Add(3 * time.Second)
	_, err = f.st.Pool().Exec(ctx, `INSERT INTO appointment_reminders
		(appointment_id, version, kind, offset_minutes, due_at, job_id, state, done_at) VALUES
		($1, 1, 'reminder', 1440, $4::timestamptz - interval '1 hour' - interval '24 hours', 11, 'cancelled', $5),
		($1, 2, 'reminder', 1440, $4::timestamptz - interval '24 hours', 12, 'sent', $6),
		($1, 2, 'noanswer', 1440, $4::timestamptz - interval '24 hours', 13, 'skipped', $6),
		($1, 2, 'reminder', 120, $4::timestamptz - interval '2 hours', 14, 'pending', NULL),
		($2, 1, 'reminder', 1440, $4::timestamptz - interval '24 hours', 15, 'failed', $6),
		($2, 1, 'noanswer', 1440, $4::timestamptz - interval '24 hours', 16, 'sent', $6),
		($3, 1, 'reminder', 90, $4::timestamptz, 17, 'sending', $6)`,
		a1, a2, a3, at, f.now, done)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.ApplyVersion(ctx, 12, true); err != nil {
		t.Fatal(err)
	}

	// The pending reminder is left to its River job (turned into its row by
	// the shim); the check of an appointment without a coordinator has no
	// one to carry it to.
	key := func(id int64, version int, what string, due time.Time) string {
		return fmt.Sprintf("reminder:appointment:%d:v%d:%s:%d", id, version, what, due.Unix())
	}
	due24 := at.Add(-24 * time.Hour)
	apptSameRows(t, "carried over", f.outbox(t, "reminder:"), []apptOutbox{
		{f.ahmad.ID, "appointment.reminder", key(a1, 1, "24h", due24.Add(-time.Hour)), "appointments.reminder", apptArgs(a1, 1), due24.Add(-time.Hour), "cancelled", "obsolete"},
		{f.ahmad.ID, "appointment.reminder", key(a1, 2, "24h", due24), "appointments.reminder", apptArgs(a1, 2), due24, "sent", ""},
		{f.coord.ID, "appointment.noanswer", key(a1, 2, "noanswer", due24), "appointments.noanswer", apptArgs(a1, 2), due24, "cancelled", "obsolete"},
		{f.ahmad.ID, "appointment.reminder", key(a2, 1, "24h", due24), "appointments.reminder", apptArgs(a2, 1), due24, "unreachable", ""},
		{f.yona.ID, "appointment.reminder", key(a3, 1, "90m", at), "appointments.reminder", apptArgs(a3, 1), at, "failed", "interrupted"},
	})
	var sentAt time.Time
	if err := f.st.Pool().QueryRow(ctx, `SELECT sent_at FROM outbox WHERE dedupe_key = $1`, key(a1, 2, "24h", due24)).Scan(&sentAt); err != nil || !sentAt.Equal(done) {
		t.Fatalf("sent_at = %v, %v; want %v", sentAt, err, done)
	}
	var exists bool
	if err := f.st.Pool().QueryRow(ctx, `SELECT to_regclass('appointment_reminders') IS NOT NULL`).Scan(&exists); err != nil || exists {
		t.Fatalf("appointment_reminders still there: %v %v", exists, err)
	}

	// The old job of the reminder already sent finds its key taken; the old
	// job of the pending one queues it, as the new code would have.
	n := len(f.outbox(t, ""))
	if err := f.st.QueueLegacyAppointmentReminder(ctx, f.centre, a1, 2, store.ReminderToResident, due24, f.now); err != nil {
		t.Fatal(err)
	}
	if got := len(f.outbox(t, "")); got != n {
		t.Fatal("the old job of a reminder already sent queued it again")
	}
	if err := f.st.QueueLegacyAppointmentReminder(ctx, f.centre, a1, 2, store.ReminderToResident, at.Add(-2*time.Hour), f.now); err != nil {
		t.Fatal(err)
	}
	rows := f.outbox(t, fmt.Sprintf("reminder:appointment:%d:v2:2h:", a1))
	if len(rows) != 1 || rows[0].State != "pending" || !rows[0].NotBefore.Equal(at.Add(-2*time.Hour)) {
		t.Fatalf("pending reminder from its old job: %v", rows)
	}
}

func TestUpcomingAppointmentsAndCandidates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newApptFixture(t)
	mon := storetest.Next(f.now, time.Monday, 9, 0)
	a1 := f.create(t, f.ahmad.ID, mon.Add(2*time.Hour))
	a2 := f.create(t, f.ahmad.ID, mon.Add(50*time.Hour))
	f.create(t, f.ahmad.ID, mon.Add(8*24*time.Hour)) // next week
	f.create(t, f.yona.ID, mon.Add(3*time.Hour))     // someone else
	a5 := f.create(t, f.ahmad.ID, mon.Add(30*time.Hour))
	if _, err := f.st.CancelAppointment(ctx, f.centre, a5.ID, 1, f.coord.ID, f.now); err != nil {
		t.Fatal(err)
	}
	week, err := f.st.UpcomingAppointments(ctx, f.centre, f.ahmad.ID, mon, mon.Add(7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(week) != 2 || week[0].ID != a1.ID || week[1].ID != a2.ID || week[0].Kind != store.KindSIAO ||
		week[0].Place != "SIAO 75, 5 rue X" || !week[0].At.Equal(a1.At) {
		t.Fatalf("week = %+v", week)
	}
	if other, _ := f.st.UpcomingAppointments(ctx, f.centre+1, f.ahmad.ID, mon, mon.Add(7*24*time.Hour)); len(other) != 0 {
		t.Fatalf("another centre sees %+v", other)
	}
	if all, _ := f.st.CentreAppointments(ctx, f.centre, f.now, 10); len(all) != 4 {
		t.Fatalf("centre list has %d, want 4", len(all))
	}

	for _, tt := range []struct {
		q    string
		want []string
	}{
		{"214", []string{"Ahmad K."}},
		{"ahm", []string{"Ahmad K."}},
		{"K.", []string{"Ahmad K."}},
		{"a", []string{"Ahmad K.", "Yonas T."}},
		{"Marie", nil}, // staff are not candidates
		{"%", nil},
		{"", nil},
	} {
		got, err := f.st.InterviewCandidates(ctx, f.centre, tt.q, 8)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range got {
			names = append(names, p.DisplayName)
		}
		if len(names) != len(tt.want) || (len(names) > 0 && names[0] != tt.want[0]) {
			t.Errorf("candidates(%q) = %v, want %v", tt.q, names, tt.want)
		}
	}
}

func TestAppointmentMessages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newApptFixture(t)
	a := f.create(t, f.ahmad.ID, f.now.Add(72*time.Hour))
	m1, err := f.st.AddAppointmentMessage(ctx, f.centre, a.ID, f.coord.ID, f.ahmad.ID, false, "Bring your card", f.now)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := f.st.AddAppointmentMessage(ctx, f.centre, a.ID, f.ahmad.ID, f.coord.ID, true, "OK", f.now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AddAppointmentMessage(ctx, f.centre+1, a.ID, f.coord.ID, f.ahmad.ID, false, "x", f.now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("message through another centre: %v", err)
	}
	thread, err := f.st.AppointmentMessages(ctx, f.centre, a.ID)
	if err != nil || len(thread) != 2 {
		t.Fatalf("thread = %+v, %v", thread, err)
	}
	if thread[0].ID != m1.ID || thread[0].AuthorName != "Marie D." || thread[0].FromResident ||
		thread[1].AuthorName != "Ahmad K." || !thread[1].FromResident || thread[1].Body != "OK" {
		t.Fatalf("thread = %+v", thread)
	}
	got, err := f.st.AppointmentMessageByID(ctx, f.centre, m1.ID)
	if err != nil || *got.RecipientID != f.ahmad.ID {
		t.Fatalf("message = %+v, %v", got, err)
	}
	if _, err := f.st.AppointmentMessageByID(ctx, f.centre+1, m1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("message of another centre: %v", err)
	}
	// Each message is queued to its recipient with it; the row points at
	// the message, the text stays with the appointment.
	relay := func(to int64, m store.AppointmentMessage, msgID string, at time.Time) apptOutbox {
		return apptOutbox{to, "appointment.relay", fmt.Sprintf("message:appointment:%d:%d", a.ID, m.ID), msgID,
			map[string]string{"appointment": fmt.Sprint(a.ID), "message": fmt.Sprint(m.ID)}, at, "pending", ""}
	}
	apptSameRows(t, "relayed", f.outbox(t, "message:"), []apptOutbox{
		relay(f.ahmad.ID, m1, "appointments.relay_to_resident", f.now),
		relay(f.coord.ID, m2, "appointments.relay_to_coordinator", f.now.Add(time.Minute)),
	})
}
