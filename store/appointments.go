package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Appointment kinds: the steps of a housing application (docs/domain.md).
const (
	KindSIAO      = "siao"      // SIAO evaluation interview
	KindLandlord  = "landlord"  // interview with a social landlord (bailleur)
	KindVisit     = "visit"     // visit of a dwelling
	KindLease     = "lease"     // signing of a lease
	KindCommittee = "committee" // allocation committee (CALEOL) or DALO result
	KindOther     = "other"
)

// AppointmentKinds lists the kinds in the order coordinators pick them.
var AppointmentKinds = []string{KindSIAO, KindLandlord, KindVisit, KindLease, KindCommittee, KindOther}

// Documents a resident may be asked to bring, in checklist order.
var AppointmentDocuments = []string{"permit", "tax", "income", "number", "id", "rib", "other"}

// Answers of a resident to an appointment.
const (
	AnswerYes  = "yes"  // I will be there
	AnswerHelp = "help" // I need help
	AnswerNo   = "no"   // I cannot come
)

// Appointment states.
const (
	AppointmentScheduled = "scheduled"
	AppointmentCancelled = "cancelled"
)

// Reminder kinds: a reminder to the resident, or the check that tells the
// coordinator the resident has not answered.
const (
	ReminderToResident = "reminder"
	ReminderNoAnswer   = "noanswer"
)

// ErrAppointmentPast means the appointment's time has already come.
var ErrAppointmentPast = errors.New("store: appointment time is past")

// Appointment is one housing appointment of one resident.
type Appointment struct {
	ID            int64
	CentreID      int64
	PersonID      int64
	CoordinatorID *int64
	Kind          string
	At            time.Time
	Place         string
	Documents     []string
	Answer        string // "" while he has not answered
	AnsweredAt    *time.Time
	Status        string
	Version       int
	// The resident's name and room, for staff views.
	PersonName string
	PersonRoom string
}

const appointmentColumns = `a.id, a.centre_id, a.person_id, a.coordinator_id, a.kind, a.at, a.place,
	a.documents, COALESCE(a.answer, ''), a.answered_at, a.status, a.version, p.display_name, p.room`

const appointmentFrom = ` FROM appointments a JOIN people p ON p.id = a.person_id `

func scanAppointment(row pgx.Row) (Appointment, error) {
	var a Appointment
	err := row.Scan(&a.ID, &a.CentreID, &a.PersonID, &a.CoordinatorID, &a.Kind, &a.At, &a.Place,
		&a.Documents, &a.Answer, &a.AnsweredAt, &a.Status, &a.Version, &a.PersonName, &a.PersonRoom)
	if a.Documents == nil {
		a.Documents = []string{}
	}
	return a, notFound(err)
}

// NewAppointment is what a coordinator sets when he schedules one.
type NewAppointment struct {
	CentreID      int64
	PersonID      int64
	CoordinatorID int64
	Kind          string
	At            time.Time
	Place         string
	Documents     []string
}

// ReminderSpec is one reminder to plan, Offset before the appointment.
type ReminderSpec struct {
	Kind   string // ReminderToResident or ReminderNoAnswer
	Offset time.Duration
}

// AppointmentReminder is one planned reminder of one version of an
// appointment.
type AppointmentReminder struct {
	ID            int64
	AppointmentID int64
	CentreID      int64
	Version       int
	Kind          string
	Offset        time.Duration
	DueAt         time.Time
	JobID         *int64
	State         string
}

// ReminderQueue is what the store needs from the job queue: put a
// reminder's job in the queue, or take one out, inside the store's own
// transaction, so the appointment and its jobs change together or not at
// all. It returns the job's id.
type ReminderQueue interface {
	ScheduleReminder(ctx context.Context, tx pgx.Tx, r AppointmentReminder) (jobID int64, err error)
	CancelReminderJob(ctx context.Context, tx pgx.Tx, jobID int64) error
}

// CreateAppointment stores an appointment for a resident of the centre and
// plans its reminders (those still in the future at now) in the same
// transaction. It returns ErrNotFound when the person is not an active
// resident of the centre, ErrAppointmentPast when at is not after now.
func (s *Store) CreateAppointment(ctx context.Context, na NewAppointment, specs []ReminderSpec, q ReminderQueue, now time.Time) (Appointment, []AppointmentReminder, error) {
	if !na.At.After(now) {
		return Appointment{}, nil, ErrAppointmentPast
	}
	if na.Documents == nil {
		na.Documents = []string{}
	}
	var a Appointment
	var rems []AppointmentReminder
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var ok bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM people WHERE centre_id = $1 AND id = $2
			AND role = 'resident' AND status <> 'left')`, na.CentreID, na.PersonID).Scan(&ok)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotFound
		}
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO appointments
			(centre_id, person_id, coordinator_id, kind, at, place, documents, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
			na.CentreID, na.PersonID, na.CoordinatorID, na.Kind, na.At.UTC(), na.Place, na.Documents, now).Scan(&id)
		if err != nil {
			return err
		}
		if a, err = appointmentTx(ctx, tx, na.CentreID, id); err != nil {
			return err
		}
		if rems, err = planReminders(ctx, tx, a, specs, q, now); err != nil {
			return err
		}
		return audit(ctx, tx, na.CentreID, &na.CoordinatorID, "appointment.create", &na.PersonID,
			map[string]any{"appointment_id": id, "kind": na.Kind})
	})
	if err != nil {
		return Appointment{}, nil, fmt.Errorf("store: create appointment: %w", err)
	}
	return a, rems, nil
}

// RescheduleAppointment moves a scheduled appointment to at: its pending
// reminders are cancelled (rows and River jobs) and new ones planned, the
// resident's answer is cleared (he must confirm the new time), and the actor
// becomes the coordinator in charge — all in one transaction. version is the
// one the coordinator saw: ErrConflict if it changed since, ErrNotFound if
// the appointment is not of the centre or was cancelled.
func (s *Store) RescheduleAppointment(ctx context.Context, centreID, id int64, version int, at time.Time, actorID int64, specs []ReminderSpec, q ReminderQueue, now time.Time) (Appointment, []AppointmentReminder, error) {
	if !at.After(now) {
		return Appointment{}, nil, ErrAppointmentPast
	}
	var a Appointment
	var rems []AppointmentReminder
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockAppointment(ctx, tx, centreID, id, version); err != nil {
			return err
		}
		if err := cancelReminders(ctx, tx, id, q, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE appointments SET at = $2, version = version + 1, answer = NULL,
			answered_at = NULL, coordinator_id = $3, updated_at = $4 WHERE id = $1`, id, at.UTC(), actorID, now)
		if err != nil {
			return err
		}
		if a, err = appointmentTx(ctx, tx, centreID, id); err != nil {
			return err
		}
		if rems, err = planReminders(ctx, tx, a, specs, q, now); err != nil {
			return err
		}
		return audit(ctx, tx, centreID, &actorID, "appointment.reschedule", &a.PersonID,
			map[string]any{"appointment_id": id, "version": a.Version})
	})
	if err != nil {
		return Appointment{}, nil, fmt.Errorf("store: reschedule appointment %d: %w", id, err)
	}
	return a, rems, nil
}

// CancelAppointment cancels a scheduled appointment and its pending
// reminders (rows and River jobs) in one transaction. Errors as for
// RescheduleAppointment.
func (s *Store) CancelAppointment(ctx context.Context, centreID, id int64, version int, actorID int64, q ReminderQueue, now time.Time) (Appointment, error) {
	var a Appointment
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockAppointment(ctx, tx, centreID, id, version); err != nil {
			return err
		}
		if err := cancelReminders(ctx, tx, id, q, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE appointments SET status = 'cancelled', version = version + 1,
			updated_at = $2 WHERE id = $1`, id, now)
		if err != nil {
			return err
		}
		if a, err = appointmentTx(ctx, tx, centreID, id); err != nil {
			return err
		}
		return audit(ctx, tx, centreID, &actorID, "appointment.cancel", &a.PersonID,
			map[string]any{"appointment_id": id})
	})
	if err != nil {
		return Appointment{}, fmt.Errorf("store: cancel appointment %d: %w", id, err)
	}
	return a, nil
}

// lockAppointment takes the row lock of a scheduled appointment of the
// centre, checking it is still at version.
func lockAppointment(ctx context.Context, tx pgx.Tx, centreID, id int64, version int) error {
	var cur int
	var status string
	err := tx.QueryRow(ctx, `SELECT version, status FROM appointments WHERE centre_id = $1 AND id = $2
		FOR UPDATE`, centreID, id).Scan(&cur, &status)
	if err != nil {
		return notFound(err)
	}
	if status != AppointmentScheduled {
		return ErrNotFound
	}
	if cur != version {
		return ErrConflict
	}
	return nil
}

// cancelReminders takes the pending reminders of an appointment out of the
// queue. A job already running finds its row cancelled and does nothing.
func cancelReminders(ctx context.Context, tx pgx.Tx, appointmentID int64, q ReminderQueue, now time.Time) error {
	rows, err := tx.Query(ctx, `UPDATE appointment_reminders SET state = 'cancelled', done_at = $2
		WHERE appointment_id = $1 AND state = 'pending' RETURNING job_id`, appointmentID, now)
	if err != nil {
		return err
	}
	var jobs []int64
	for rows.Next() {
		var id *int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		if id != nil {
			jobs = append(jobs, *id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range jobs {
		if err := q.CancelReminderJob(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}

// planReminders writes one row per reminder still ahead and queues its job.
func planReminders(ctx context.Context, tx pgx.Tx, a Appointment, specs []ReminderSpec, q ReminderQueue, now time.Time) ([]AppointmentReminder, error) {
	var out []AppointmentReminder
	for _, sp := range specs {
		due := a.At.Add(-sp.Offset)
		if !due.After(now) {
			continue
		}
		r := AppointmentReminder{AppointmentID: a.ID, CentreID: a.CentreID, Version: a.Version,
			Kind: sp.Kind, Offset: sp.Offset, DueAt: due.UTC(), State: "pending"}
		err := tx.QueryRow(ctx, `INSERT INTO appointment_reminders
			(appointment_id, version, kind, offset_minutes, due_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (appointment_id, version, kind, offset_minutes) DO NOTHING RETURNING id`,
			a.ID, a.Version, sp.Kind, int(sp.Offset/time.Minute), r.DueAt).Scan(&r.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // the same reminder listed twice
		}
		if err != nil {
			return nil, err
		}
		job, err := q.ScheduleReminder(ctx, tx, r)
		if err != nil {
			return nil, err
		}
		r.JobID = &job
		if _, err := tx.Exec(ctx, `UPDATE appointment_reminders SET job_id = $2 WHERE id = $1`, r.ID, job); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// AppointmentByID returns an appointment of the centre (any state), or
// ErrNotFound.
func (s *Store) AppointmentByID(ctx context.Context, centreID, id int64) (Appointment, error) {
	a, err := scanAppointment(s.pool.QueryRow(ctx, `SELECT `+appointmentColumns+appointmentFrom+`
		WHERE a.centre_id = $1 AND a.id = $2`, centreID, id))
	if err != nil {
		return Appointment{}, fmt.Errorf("store: appointment %d: %w", id, err)
	}
	return a, nil
}

func appointmentTx(ctx context.Context, tx pgx.Tx, centreID, id int64) (Appointment, error) {
	return scanAppointment(tx.QueryRow(ctx, `SELECT `+appointmentColumns+appointmentFrom+`
		WHERE a.centre_id = $1 AND a.id = $2`, centreID, id))
}

// AnswerAppointment records a resident's answer to his own scheduled
// appointment at version. ErrNotFound if it is not his or not scheduled,
// ErrConflict if it was moved since (the button is of an older version).
func (s *Store) AnswerAppointment(ctx context.Context, centreID, personID, id int64, version int, answer string, now time.Time) (Appointment, error) {
	switch answer {
	case AnswerYes, AnswerHelp, AnswerNo:
	default:
		return Appointment{}, fmt.Errorf("store: answer %q: %w", answer, ErrNotFound)
	}
	var a Appointment
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var owner int64
		if err := tx.QueryRow(ctx, `SELECT person_id FROM appointments WHERE centre_id = $1 AND id = $2`,
			centreID, id).Scan(&owner); err != nil {
			return notFound(err)
		}
		if owner != personID {
			return ErrNotFound
		}
		if err := lockAppointment(ctx, tx, centreID, id, version); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE appointments SET answer = $2, answered_at = $3, updated_at = $3
			WHERE id = $1`, id, answer, now); err != nil {
			return err
		}
		var err error
		a, err = appointmentTx(ctx, tx, centreID, id)
		return err
	})
	if err != nil {
		return Appointment{}, fmt.Errorf("store: answer appointment %d: %w", id, err)
	}
	return a, nil
}

// PersonAppointments lists a resident's scheduled appointments from `from`
// on, soonest first.
func (s *Store) PersonAppointments(ctx context.Context, centreID, personID int64, from time.Time) ([]Appointment, error) {
	return s.queryAppointments(ctx, `SELECT `+appointmentColumns+appointmentFrom+`
		WHERE a.centre_id = $1 AND a.person_id = $2 AND a.status = 'scheduled' AND a.at >= $3
		ORDER BY a.at, a.id`, centreID, personID, from)
}

// CentreAppointments lists a centre's scheduled appointments from `from`
// on, soonest first, at most limit.
func (s *Store) CentreAppointments(ctx context.Context, centreID int64, from time.Time, limit int) ([]Appointment, error) {
	return s.queryAppointments(ctx, `SELECT `+appointmentColumns+appointmentFrom+`
		WHERE a.centre_id = $1 AND a.status = 'scheduled' AND a.at >= $2
		ORDER BY a.at, a.id LIMIT $3`, centreID, from, limit)
}

func (s *Store) queryAppointments(ctx context.Context, sql string, args ...any) ([]Appointment, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store: appointments: %w", err)
	}
	defer rows.Close()
	var out []Appointment
	for rows.Next() {
		a, err := scanAppointment(rows)
		if err != nil {
			return nil, fmt.Errorf("store: appointments: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: appointments: %w", err)
	}
	return out, nil
}

// AppointmentSlot is an appointment as the "my week" view needs it.
type AppointmentSlot struct {
	ID    int64
	Kind  string
	At    time.Time
	Place string
}

// UpcomingAppointments lists a resident's scheduled appointments with
// from <= at < to, soonest first: the export for the "my week" view.
func (s *Store) UpcomingAppointments(ctx context.Context, centreID, personID int64, from, to time.Time) ([]AppointmentSlot, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, kind, at, place FROM appointments
		WHERE centre_id = $1 AND person_id = $2 AND status = 'scheduled' AND at >= $3 AND at < $4
		ORDER BY at, id`, centreID, personID, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: upcoming appointments: %w", err)
	}
	defer rows.Close()
	var out []AppointmentSlot
	for rows.Next() {
		var a AppointmentSlot
		if err := rows.Scan(&a.ID, &a.Kind, &a.At, &a.Place); err != nil {
			return nil, fmt.Errorf("store: upcoming appointments: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: upcoming appointments: %w", err)
	}
	return out, nil
}

// InterviewCandidates finds the centre's residents (not departed) whose room
// is query or whose name contains it, for a coordinator picking whom an
// appointment is for. At most limit, by name.
func (s *Store) InterviewCandidates(ctx context.Context, centreID int64, query string, limit int) ([]Person, error) {
	q := strings.TrimSpace(query)
	if q == "" {
		return nil, nil
	}
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
	rows, err := s.pool.Query(ctx, `SELECT `+personColumns+` FROM people
		WHERE centre_id = $1 AND role = 'resident' AND status <> 'left'
		AND (upper(room) = upper($2) OR display_name ILIKE $3)
		ORDER BY upper(room) = upper($2) DESC, display_name, id LIMIT $4`, centreID, q, like, limit)
	if err != nil {
		return nil, fmt.Errorf("store: interview candidates: %w", err)
	}
	defer rows.Close()
	var out []Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, fmt.Errorf("store: interview candidates: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ClaimAppointmentReminder starts sending a reminder: in one statement its
// row moves from pending to sending, so of two processes working the same
// reminder only one gets it. It returns the reminder and the appointment,
// and ok=false (the row marked skipped) when there is nothing to send any
// more: the appointment was moved or cancelled since (its version is not the
// reminder's), its time has come, or — for a no-answer check — he answered.
// ok=false without a change when the reminder was already claimed or done.
func (s *Store) ClaimAppointmentReminder(ctx context.Context, reminderID int64, now time.Time) (AppointmentReminder, Appointment, bool, error) {
	var r AppointmentReminder
	var a Appointment
	ok := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var mins int
		err := tx.QueryRow(ctx, `SELECT r.id, r.appointment_id, a.centre_id, r.version, r.kind,
				r.offset_minutes, r.due_at, r.job_id, r.state
			FROM appointment_reminders r JOIN appointments a ON a.id = r.appointment_id
			WHERE r.id = $1 FOR UPDATE OF r`, reminderID).Scan(&r.ID, &r.AppointmentID, &r.CentreID,
			&r.Version, &r.Kind, &mins, &r.DueAt, &r.JobID, &r.State)
		if err != nil {
			return notFound(err)
		}
		r.Offset = time.Duration(mins) * time.Minute
		if r.State != "pending" {
			return nil
		}
		if a, err = appointmentTx(ctx, tx, r.CentreID, r.AppointmentID); err != nil {
			return err
		}
		next := "sending"
		if a.Version != r.Version || a.Status != AppointmentScheduled || !a.At.After(now) ||
			(r.Kind == ReminderNoAnswer && a.Answer != "") {
			next = "skipped"
		}
		if _, err := tx.Exec(ctx, `UPDATE appointment_reminders SET state = $2, done_at = $3 WHERE id = $1`,
			r.ID, next, now); err != nil {
			return err
		}
		r.State = next
		ok = next == "sending"
		return nil
	})
	if err != nil {
		return r, a, false, fmt.Errorf("store: claim reminder %d: %w", reminderID, err)
	}
	return r, a, ok, nil
}

// FinishAppointmentReminder records how sending a claimed reminder ended:
// "sent", "failed" (unreachable, no Telegram), or "pending" to give it back
// for a retry after a temporary failure.
func (s *Store) FinishAppointmentReminder(ctx context.Context, reminderID int64, state string, now time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE appointment_reminders SET state = $2, done_at = $3
		WHERE id = $1 AND state = 'sending'`, reminderID, state, now)
	if err != nil {
		return fmt.Errorf("store: finish reminder %d: %w", reminderID, err)
	}
	return nil
}

// AppointmentReminders lists the reminders of an appointment (every
// version and state), by due time.
func (s *Store) AppointmentReminders(ctx context.Context, centreID, appointmentID int64) ([]AppointmentReminder, error) {
	rows, err := s.pool.Query(ctx, `SELECT r.id, r.appointment_id, a.centre_id, r.version, r.kind,
			r.offset_minutes, r.due_at, r.job_id, r.state
		FROM appointment_reminders r JOIN appointments a ON a.id = r.appointment_id
		WHERE a.centre_id = $1 AND r.appointment_id = $2 ORDER BY r.due_at, r.kind, r.id`, centreID, appointmentID)
	if err != nil {
		return nil, fmt.Errorf("store: reminders: %w", err)
	}
	defer rows.Close()
	var out []AppointmentReminder
	for rows.Next() {
		var r AppointmentReminder
		var mins int
		if err := rows.Scan(&r.ID, &r.AppointmentID, &r.CentreID, &r.Version, &r.Kind, &mins,
			&r.DueAt, &r.JobID, &r.State); err != nil {
			return nil, fmt.Errorf("store: reminders: %w", err)
		}
		r.Offset = time.Duration(mins) * time.Minute
		out = append(out, r)
	}
	return out, rows.Err()
}

// AppointmentMessage is one message relayed between a coordinator and a
// resident about an appointment.
type AppointmentMessage struct {
	ID            int64
	AppointmentID int64
	AuthorID      *int64
	RecipientID   *int64
	FromResident  bool
	Body          string
	At            time.Time
	AuthorName    string
}

// AddAppointmentMessage keeps a relayed message with its appointment of the
// centre. A coordinator's message is audited (without its text).
func (s *Store) AddAppointmentMessage(ctx context.Context, centreID, appointmentID, authorID, recipientID int64, fromResident bool, body string, now time.Time) (AppointmentMessage, error) {
	m := AppointmentMessage{AppointmentID: appointmentID, AuthorID: &authorID, RecipientID: &recipientID,
		FromResident: fromResident, Body: body, At: now}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var personID int64
		if err := tx.QueryRow(ctx, `SELECT person_id FROM appointments WHERE centre_id = $1 AND id = $2`,
			centreID, appointmentID).Scan(&personID); err != nil {
			return notFound(err)
		}
		err := tx.QueryRow(ctx, `INSERT INTO appointment_messages
			(appointment_id, author_id, recipient_id, from_resident, body, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			appointmentID, authorID, recipientID, fromResident, body, now).Scan(&m.ID)
		if err != nil {
			return err
		}
		if fromResident {
			return nil
		}
		return audit(ctx, tx, centreID, &authorID, "appointment.message", &personID,
			map[string]any{"appointment_id": appointmentID})
	})
	if err != nil {
		return AppointmentMessage{}, fmt.Errorf("store: add appointment message: %w", err)
	}
	return m, nil
}

const appointmentMessageColumns = `m.id, m.appointment_id, m.author_id, m.recipient_id, m.from_resident,
	m.body, m.created_at, COALESCE(p.display_name, '')`

const appointmentMessageFrom = ` FROM appointment_messages m
	JOIN appointments a ON a.id = m.appointment_id
	LEFT JOIN people p ON p.id = m.author_id `

func scanAppointmentMessage(row pgx.Row) (AppointmentMessage, error) {
	var m AppointmentMessage
	err := row.Scan(&m.ID, &m.AppointmentID, &m.AuthorID, &m.RecipientID, &m.FromResident, &m.Body, &m.At, &m.AuthorName)
	return m, notFound(err)
}

// AppointmentMessageByID returns one message of an appointment of the
// centre, or ErrNotFound.
func (s *Store) AppointmentMessageByID(ctx context.Context, centreID, id int64) (AppointmentMessage, error) {
	m, err := scanAppointmentMessage(s.pool.QueryRow(ctx, `SELECT `+appointmentMessageColumns+appointmentMessageFrom+`
		WHERE a.centre_id = $1 AND m.id = $2`, centreID, id))
	if err != nil {
		return AppointmentMessage{}, fmt.Errorf("store: appointment message %d: %w", id, err)
	}
	return m, nil
}

// AppointmentMessages returns the exchange about an appointment of the
// centre, oldest first.
func (s *Store) AppointmentMessages(ctx context.Context, centreID, appointmentID int64) ([]AppointmentMessage, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+appointmentMessageColumns+appointmentMessageFrom+`
		WHERE a.centre_id = $1 AND m.appointment_id = $2 ORDER BY m.id`, centreID, appointmentID)
	if err != nil {
		return nil, fmt.Errorf("store: appointment messages: %w", err)
	}
	defer rows.Close()
	var out []AppointmentMessage
	for rows.Next() {
		m, err := scanAppointmentMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("store: appointment messages: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
