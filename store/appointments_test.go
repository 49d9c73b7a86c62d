package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// fakeQueue stands in for River: it hands out job ids and records what was
// scheduled and cancelled, and can fail to show the transaction is undone.
type fakeQueue struct {
	mu        sync.Mutex
	next      int64
	scheduled []store.AppointmentReminder
	cancelled []int64
	fail      bool
}

func (q *fakeQueue) ScheduleReminder(_ context.Context, _ pgx.Tx, r store.AppointmentReminder) (int64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail {
		return 0, errors.New("queue down")
	}
	q.next++
	q.scheduled = append(q.scheduled, r)
	return 1000 + q.next, nil
}

func (q *fakeQueue) CancelReminderJob(_ context.Context, _ pgx.Tx, jobID int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.cancelled = append(q.cancelled, jobID)
	return nil
}

// apptThursday is a Thursday, 14:30 in Paris, two to eight days after now.
func apptThursday(now time.Time) time.Time {
	return storetest.Next(storetest.Day(now, 2, 0, 0), time.Thursday, 14, 30)
}

type apptFixture struct {
	st                 *store.Store
	centre             int64
	coord, ahmad, yona store.Person
	now                time.Time
	specs              []store.ReminderSpec
}

func newApptFixture(t *testing.T) apptFixture {
	t.Helper()
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	c, err := st.EnsureCentre(ctx, "test-centre", "Test")
	if err != nil {
		t.Fatal(err)
	}
	f := apptFixture{st: st, centre: c.ID, now: storetest.Now(t),
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

func (f apptFixture) create(t *testing.T, q store.ReminderQueue, person int64, at time.Time) store.Appointment {
	t.Helper()
	a, _, err := f.st.CreateAppointment(context.Background(), store.NewAppointment{CentreID: f.centre, PersonID: person,
		CoordinatorID: f.coord.ID, Kind: store.KindSIAO, At: at, Place: "SIAO 75, 5 rue X",
		Documents: []string{"permit", "id"}}, f.specs, q, f.now)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAppointmentLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newApptFixture(t)
	q := &fakeQueue{}
	at := apptThursday(f.now)
	a, rems, err := f.st.CreateAppointment(ctx, store.NewAppointment{CentreID: f.centre, PersonID: f.ahmad.ID,
		CoordinatorID: f.coord.ID, Kind: store.KindSIAO, At: at, Place: "SIAO 75",
		Documents: []string{"permit", "tax"}}, f.specs, q, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if a.Version != 1 || a.Status != store.AppointmentScheduled || a.PersonName != "Ahmad K." || len(a.Documents) != 2 {
		t.Fatalf("appointment = %+v", a)
	}
	wantDue := []time.Time{at.Add(-24 * time.Hour), at.Add(-2 * time.Hour), at.Add(-24 * time.Hour)}
	if len(rems) != 3 || len(q.scheduled) != 3 {
		t.Fatalf("reminders %+v, scheduled %d", rems, len(q.scheduled))
	}
	for i, r := range rems {
		if !r.DueAt.Equal(wantDue[i]) || r.JobID == nil || *r.JobID != 1001+int64(i) || r.Version != 1 {
			t.Errorf("reminder %d = %+v, want due %v", i, r, wantDue[i])
		}
	}

	// Rescheduled: the old jobs are cancelled, new ones planned; a reminder
	// now in the past (the 24 h one) is not planned.
	newAt := f.now.Add(5 * time.Hour)
	moved, rems, err := f.st.RescheduleAppointment(ctx, f.centre, a.ID, 1, newAt, f.coord.ID, f.specs, q, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if moved.Version != 2 || !moved.At.Equal(newAt) || moved.Answer != "" {
		t.Fatalf("moved = %+v", moved)
	}
	if len(q.cancelled) != 3 || len(rems) != 1 || rems[0].Offset != 2*time.Hour || !rems[0].DueAt.Equal(newAt.Add(-2*time.Hour)) {
		t.Fatalf("cancelled %v, new reminders %+v", q.cancelled, rems)
	}
	// A move from a stale version is refused and changes nothing.
	if _, _, err := f.st.RescheduleAppointment(ctx, f.centre, a.ID, 1, newAt.Add(time.Hour), f.coord.ID, f.specs, q, f.now); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale move: %v", err)
	}
	if _, _, err := f.st.RescheduleAppointment(ctx, f.centre, a.ID, 2, f.now.Add(-time.Hour), f.coord.ID, f.specs, q, f.now); !errors.Is(err, store.ErrAppointmentPast) {
		t.Fatalf("move to the past: %v", err)
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

	// Cancelled: pending jobs out, the appointment gone from the lists.
	cancelled, err := f.st.CancelAppointment(ctx, f.centre, a.ID, 2, f.coord.ID, q, f.now)
	if err != nil || cancelled.Status != store.AppointmentCancelled || cancelled.Version != 3 {
		t.Fatalf("cancel = %+v, %v", cancelled, err)
	}
	if len(q.cancelled) != 4 || q.cancelled[3] != *rems[0].JobID {
		t.Fatalf("cancelled jobs %v, want the last one %d", q.cancelled, *rems[0].JobID)
	}
	if _, err := f.st.CancelAppointment(ctx, f.centre, a.ID, 3, f.coord.ID, q, f.now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("cancel twice: %v", err)
	}
	if list, _ := f.st.PersonAppointments(ctx, f.centre, f.ahmad.ID, f.now); len(list) != 0 {
		t.Fatalf("cancelled still listed: %+v", list)
	}
	all, err := f.st.AppointmentReminders(ctx, f.centre, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if r.State != "cancelled" {
			t.Errorf("reminder %+v not cancelled", r)
		}
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

func TestCreateAppointmentRefusesAndRollsBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newApptFixture(t)
	at := f.now.Add(48 * time.Hour)
	na := store.NewAppointment{CentreID: f.centre, PersonID: f.ahmad.ID, CoordinatorID: f.coord.ID,
		Kind: store.KindVisit, At: at, Place: "X"}
	if _, _, err := f.st.CreateAppointment(ctx, na, f.specs, &fakeQueue{fail: true}, f.now); err == nil {
		t.Fatal("queue failure not reported")
	}
	if list, _ := f.st.PersonAppointments(ctx, f.centre, f.ahmad.ID, f.now); len(list) != 0 {
		t.Fatalf("appointment kept although its reminders could not be queued: %+v", list)
	}
	na.At = f.now
	if _, _, err := f.st.CreateAppointment(ctx, na, f.specs, &fakeQueue{}, f.now); !errors.Is(err, store.ErrAppointmentPast) {
		t.Fatalf("past appointment: %v", err)
	}
	na.At, na.PersonID = at, f.coord.ID
	if _, _, err := f.st.CreateAppointment(ctx, na, f.specs, &fakeQueue{}, f.now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("appointment for a staff member: %v", err)
	}
	other, err := f.st.EnsureCentre(ctx, "other", "Other")
	if err != nil {
		t.Fatal(err)
	}
	na.PersonID, na.CentreID = f.ahmad.ID, other.ID
	if _, _, err := f.st.CreateAppointment(ctx, na, f.specs, &fakeQueue{}, f.now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("appointment for another centre's resident: %v", err)
	}
}

func TestClaimAppointmentReminderOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newApptFixture(t)
	q := &fakeQueue{}
	at := apptThursday(f.now)
	a, rems, err := f.st.CreateAppointment(ctx, store.NewAppointment{CentreID: f.centre, PersonID: f.ahmad.ID,
		CoordinatorID: f.coord.ID, Kind: store.KindLease, At: at, Place: "X"}, f.specs, q, f.now)
	if err != nil {
		t.Fatal(err)
	}
	due := at.Add(-24 * time.Hour)
	// Eight workers race for the same reminder: one sends it.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, got, ok, err := f.st.ClaimAppointmentReminder(ctx, rems[0].ID, due)
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
				if got.ID != a.ID {
					t.Errorf("claimed appointment %d", got.ID)
				}
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d claims won, want 1", wins)
	}
	if err := f.st.FinishAppointmentReminder(ctx, rems[0].ID, "sent", due); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := f.st.ClaimAppointmentReminder(ctx, rems[0].ID, due); ok {
		t.Fatal("a sent reminder was claimed again")
	}
	// A temporary failure gives it back once.
	r2 := rems[1]
	if _, _, ok, _ := f.st.ClaimAppointmentReminder(ctx, r2.ID, r2.DueAt); !ok {
		t.Fatal("2 h reminder not claimed")
	}
	if err := f.st.FinishAppointmentReminder(ctx, r2.ID, "pending", r2.DueAt); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := f.st.ClaimAppointmentReminder(ctx, r2.ID, r2.DueAt); !ok {
		t.Fatal("reminder given back was not claimed again")
	}
	// The no-answer check does nothing once he answered.
	if _, err := f.st.AnswerAppointment(ctx, f.centre, f.ahmad.ID, a.ID, 1, store.AnswerYes, f.now); err != nil {
		t.Fatal(err)
	}
	noAnswer, _, ok, err := f.st.ClaimAppointmentReminder(ctx, rems[2].ID, due)
	if err != nil || ok || noAnswer.State != "skipped" {
		t.Fatalf("no-answer check after an answer: %+v %v %v", noAnswer, ok, err)
	}
	if _, _, _, err := f.st.ClaimAppointmentReminder(ctx, 999999, due); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown reminder: %v", err)
	}
}

func TestStaleReminderOfMovedAppointmentIsSkipped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newApptFixture(t)
	q := &fakeQueue{}
	at := apptThursday(f.now)
	a, rems, err := f.st.CreateAppointment(ctx, store.NewAppointment{CentreID: f.centre, PersonID: f.ahmad.ID,
		CoordinatorID: f.coord.ID, Kind: store.KindOther, At: at, Place: "X"}, f.specs, q, f.now)
	if err != nil {
		t.Fatal(err)
	}
	// The appointment's time has come (the bot was down): nothing to remind
	// any more.
	r, _, ok, err := f.st.ClaimAppointmentReminder(ctx, rems[0].ID, at.Add(time.Minute))
	if err != nil || ok || r.State != "skipped" {
		t.Fatalf("late reminder: %+v %v %v", r, ok, err)
	}
	// A job of version 1 already running when a move commits finds the
	// appointment moved: the version check skips it even though its row
	// was still pending.
	if _, err := f.st.Pool().Exec(ctx, `UPDATE appointments SET version = 2 WHERE id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	r, _, ok, err = f.st.ClaimAppointmentReminder(ctx, rems[1].ID, rems[1].DueAt)
	if err != nil || ok || r.State != "skipped" {
		t.Fatalf("stale reminder: %+v %v %v", r, ok, err)
	}
}

func TestUpcomingAppointmentsAndCandidates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newApptFixture(t)
	q := &fakeQueue{}
	mon := storetest.Next(f.now, time.Monday, 9, 0)
	a1 := f.create(t, q, f.ahmad.ID, mon.Add(2*time.Hour))
	a2 := f.create(t, q, f.ahmad.ID, mon.Add(50*time.Hour))
	f.create(t, q, f.ahmad.ID, mon.Add(8*24*time.Hour)) // next week
	f.create(t, q, f.yona.ID, mon.Add(3*time.Hour))     // someone else
	a5 := f.create(t, q, f.ahmad.ID, mon.Add(30*time.Hour))
	if _, err := f.st.CancelAppointment(ctx, f.centre, a5.ID, 1, f.coord.ID, q, f.now); err != nil {
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
	a := f.create(t, &fakeQueue{}, f.ahmad.ID, f.now.Add(72*time.Hour))
	m1, err := f.st.AddAppointmentMessage(ctx, f.centre, a.ID, f.coord.ID, f.ahmad.ID, false, "Bring your card", f.now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AddAppointmentMessage(ctx, f.centre, a.ID, f.ahmad.ID, f.coord.ID, true, "OK", f.now.Add(time.Minute)); err != nil {
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
}
