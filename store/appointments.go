package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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

// Outbox kinds of the appointments' messages, written in the transaction of
// the change that causes them and rendered by the handlers in the
// recipient's language when they leave (docs/RELIABILITY.md says what each
// does after a crash).
const (
	OutboxAppointmentNotice   = "appointment.notice"   // to the resident: booked, moved or cancelled
	OutboxAppointmentReminder = "appointment.reminder" // to the resident, INTERVIEW_REMINDERS before
	OutboxAppointmentNoAnswer = "appointment.noanswer" // to the coordinator: no answer by the first reminder
	OutboxAppointmentAnswer   = "appointment.answer"   // to the coordinator: the resident's answer
	OutboxAppointmentRelay    = "appointment.relay"    // a message relayed between coordinator and resident
)

// Message ids of the appointments' outbox rows: the first line of what the
// recipient gets.
const (
	ApptMsgNew           = "appointments.new"
	ApptMsgMoved         = "appointments.moved"
	ApptMsgCancelled     = "appointments.cancelled"
	ApptMsgReminder      = "appointments.reminder"
	ApptMsgNoAnswer      = "appointments.noanswer"
	ApptMsgAnswer        = "appointments.coordinator_answer"
	ApptMsgToResident    = "appointments.relay_to_resident"
	ApptMsgToCoordinator = "appointments.relay_to_coordinator"
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

// apptArgs are the variables of every appointment outbox row: which
// appointment, at which version. A row of an older version no longer
// applies when it leaves (the handlers render it obsolete).
func apptArgs(a Appointment) map[string]string {
	return map[string]string{"appointment": strconv.FormatInt(a.ID, 10), "version": strconv.Itoa(a.Version)}
}

// apptReminderPrefix starts the keys of every reminder and no-answer check
// of an appointment, whatever its version: what a move or a cancel cancels.
func apptReminderPrefix(id int64) string { return fmt.Sprintf("reminder:appointment:%d:", id) }

// apptNoticePrefix starts the keys of the notices of an appointment: a
// notice not yet sent is superseded by the next change's.
func apptNoticePrefix(id int64) string { return fmt.Sprintf("notice:appointment:%d:", id) }

// apptOffsetLabel writes a reminder's offset as people read it: 24h, 90m.
// Migration 00012 writes the same labels in SQL for the reminders sent
// before the outbox; the two must agree.
func apptOffsetLabel(d time.Duration) string {
	m := int64(d / time.Minute)
	if m%60 == 0 {
		return strconv.FormatInt(m/60, 10) + "h"
	}
	return strconv.FormatInt(m, 10) + "m"
}

// apptReminderMessage is the outbox row of one reminder of the current
// version of an appointment: to the resident, or for the no-answer check
// to the coordinator in charge (ok is false when there is none). The key
// carries the version and the due time, so a reminder planned again after a
// move, even back to the same time, is a row of its own:
// "reminder:appointment:42:v2:24h:1764768600",
// "reminder:appointment:42:v2:noanswer:1764768600".
func apptReminderMessage(a Appointment, sp ReminderSpec) (OutboxMessage, bool) {
	due := a.At.Add(-sp.Offset)
	m := OutboxMessage{CentreID: a.CentreID, PersonID: a.PersonID, Kind: OutboxAppointmentReminder,
		MsgID: ApptMsgReminder, Args: apptArgs(a), NotBefore: due, Priority: 2}
	what := apptOffsetLabel(sp.Offset)
	if sp.Kind == ReminderNoAnswer {
		if a.CoordinatorID == nil {
			return OutboxMessage{}, false
		}
		m.PersonID, m.Kind, m.MsgID, what = *a.CoordinatorID, OutboxAppointmentNoAnswer, ApptMsgNoAnswer, "noanswer"
	}
	m.Key = fmt.Sprintf("%sv%d:%s:%d", apptReminderPrefix(a.ID), a.Version, what, due.Unix())
	return m, true
}

// apptNotice is the outbox row telling the resident about a change of his
// appointment (msgID says which), one per version:
// "notice:appointment:42:v2".
func apptNotice(a Appointment, msgID string) OutboxMessage {
	return OutboxMessage{CentreID: a.CentreID, PersonID: a.PersonID, Kind: OutboxAppointmentNotice,
		Key: fmt.Sprintf("%sv%d", apptNoticePrefix(a.ID), a.Version), MsgID: msgID, Args: apptArgs(a), Priority: 1}
}

// CreateAppointment stores an appointment for a resident of the centre and,
// in the same transaction, queues the notice to him and its reminders
// (those still in the future at now). It returns ErrNotFound when the
// person is not an active resident of the centre, ErrAppointmentPast when
// at is not after now.
func (s *Store) CreateAppointment(ctx context.Context, na NewAppointment, specs []ReminderSpec, now time.Time) (Appointment, error) {
	if !na.At.After(now) {
		return Appointment{}, ErrAppointmentPast
	}
	if na.Documents == nil {
		na.Documents = []string{}
	}
	var a Appointment
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
		if err := s.queueAppointment(ctx, tx, a, ApptMsgNew, specs, now); err != nil {
			return err
		}
		return audit(ctx, tx, na.CentreID, &na.CoordinatorID, "appointment.create", &na.PersonID,
			map[string]any{"appointment_id": id, "kind": na.Kind})
	})
	if err != nil {
		return Appointment{}, fmt.Errorf("store: create appointment: %w", err)
	}
	return a, nil
}

// RescheduleAppointment moves a scheduled appointment to at: its reminders
// not yet sent are cancelled and new ones queued with the notice to the
// resident, his answer is cleared (he must confirm the new time), and the
// actor becomes the coordinator in charge — all in one transaction. version
// is the one the coordinator saw: ErrConflict if it changed since,
// ErrNotFound if the appointment is not of the centre or was cancelled.
func (s *Store) RescheduleAppointment(ctx context.Context, centreID, id int64, version int, at time.Time, actorID int64, specs []ReminderSpec, now time.Time) (Appointment, error) {
	if !at.After(now) {
		return Appointment{}, ErrAppointmentPast
	}
	var a Appointment
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockAppointment(ctx, tx, centreID, id, version); err != nil {
			return err
		}
		if err := s.cancelAppointmentOutbox(ctx, tx, centreID, id, now); err != nil {
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
		if err := s.queueAppointment(ctx, tx, a, ApptMsgMoved, specs, now); err != nil {
			return err
		}
		return audit(ctx, tx, centreID, &actorID, "appointment.reschedule", &a.PersonID,
			map[string]any{"appointment_id": id, "version": a.Version})
	})
	if err != nil {
		return Appointment{}, fmt.Errorf("store: reschedule appointment %d: %w", id, err)
	}
	return a, nil
}

// CancelAppointment cancels a scheduled appointment and its reminders not
// yet sent, and queues the notice to the resident, in one transaction.
// Errors as for RescheduleAppointment.
func (s *Store) CancelAppointment(ctx context.Context, centreID, id int64, version int, actorID int64, now time.Time) (Appointment, error) {
	var a Appointment
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockAppointment(ctx, tx, centreID, id, version); err != nil {
			return err
		}
		if err := s.cancelAppointmentOutbox(ctx, tx, centreID, id, now); err != nil {
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
		if _, err := s.enqueue(ctx, tx, now, apptNotice(a, ApptMsgCancelled)); err != nil {
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

// cancelAppointmentOutbox cancels the reminders, no-answer check and notice
// of an appointment that have not left yet. One already being sent is
// rendered obsolete by the version check when its turn comes.
func (s *Store) cancelAppointmentOutbox(ctx context.Context, tx pgx.Tx, centreID, id int64, now time.Time) error {
	for _, prefix := range []string{apptReminderPrefix(id), apptNoticePrefix(id)} {
		if _, err := s.cancelOutbox(ctx, tx, centreID, prefix, now); err != nil {
			return err
		}
	}
	return nil
}

// PlannedReminder is a reminder or no-answer check as it will happen.
type PlannedReminder struct {
	Kind string // ReminderToResident or ReminderNoAnswer
	Due  time.Time
}

// PlanReminders says what will happen before an appointment at `at` booked
// or moved at now: the reminders of specs still ahead, and always one
// no-answer check. The check is due with the first reminder; when that
// time has passed (an appointment booked the evening before for the next
// morning) it is due halfway from now to the appointment, so that the
// coordinator still hears in time that the resident has not answered.
// In the order of specs.
func PlanReminders(at, now time.Time, specs []ReminderSpec) []PlannedReminder {
	var out []PlannedReminder
	for _, sp := range specs {
		due := at.Add(-sp.Offset)
		if sp.Kind == ReminderNoAnswer && !due.After(now) {
			due = now.Add(at.Sub(now) / 2)
			if t := due.Truncate(time.Minute); t.After(now) {
				due = t // a time people read at a glance
			}
		}
		if !due.After(now) {
			continue
		}
		out = append(out, PlannedReminder{Kind: sp.Kind, Due: due})
	}
	return out
}

// queueAppointment queues the notice of a booked or moved appointment and
// its reminders and check as PlanReminders plans them.
func (s *Store) queueAppointment(ctx context.Context, tx pgx.Tx, a Appointment, msgID string, specs []ReminderSpec, now time.Time) error {
	msgs := []OutboxMessage{apptNotice(a, msgID)}
	for _, p := range PlanReminders(a.At, now, specs) {
		if m, ok := apptReminderMessage(a, ReminderSpec{Kind: p.Kind, Offset: a.At.Sub(p.Due)}); ok {
			msgs = append(msgs, m)
		}
	}
	_, err := s.enqueue(ctx, tx, now, msgs...)
	return err
}

// QueueLegacyAppointmentReminder queues, as an outbox row, a reminder (kind
// ReminderToResident) or a no-answer check (ReminderNoAnswer) that was
// queued as a River job of its own before the outbox, due at dueAt for
// version of the appointment. The row has the key the new code gives it —
// and that migration 00012 gave the reminders already sent — so none is
// sent twice. A reminder of a version since moved or cancelled queues
// nothing. It goes away with the handlers' shims once no such job remains.
func (s *Store) QueueLegacyAppointmentReminder(ctx context.Context, centreID, id int64, version int, kind string, dueAt, now time.Time) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		a, err := appointmentTx(ctx, tx, centreID, id)
		if err != nil {
			return err
		}
		offset := a.At.Sub(dueAt)
		if a.Version != version || a.Status != AppointmentScheduled || offset <= 0 {
			return nil
		}
		m, ok := apptReminderMessage(a, ReminderSpec{Kind: kind, Offset: offset})
		if !ok {
			return nil
		}
		_, err = s.enqueue(ctx, tx, now, m)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: legacy reminder of appointment %d: %w", id, err)
	}
	return nil
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
// appointment at version and, when it changed, queues it to the
// coordinator in charge in the same transaction. ErrNotFound if it is not
// his or not scheduled, ErrConflict if it was moved since (the button is
// of an older version).
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
		before, err := appointmentTx(ctx, tx, centreID, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE appointments SET answer = $2, answered_at = $3, updated_at = $3
			WHERE id = $1`, id, answer, now); err != nil {
			return err
		}
		if a, err = appointmentTx(ctx, tx, centreID, id); err != nil {
			return err
		}
		if before.Answer == answer || a.CoordinatorID == nil {
			return nil
		}
		return s.queueAnswer(ctx, tx, a, now)
	})
	if err != nil {
		return Appointment{}, fmt.Errorf("store: answer appointment %d: %w", id, err)
	}
	return a, nil
}

// queueAnswer queues a resident's new answer to the coordinator in charge.
// He may change his mind back and forth and each change is told, so the key
// counts the answers of the version: "answer:appointment:42:v2:3" is the
// third. The appointment's row lock, held by the caller, keeps the count
// right.
func (s *Store) queueAnswer(ctx context.Context, tx pgx.Tx, a Appointment, now time.Time) error {
	prefix := fmt.Sprintf("answer:appointment:%d:v%d:", a.ID, a.Version)
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE centre_id = $1 AND dedupe_key LIKE $2`,
		a.CentreID, keyPrefixPattern(prefix)).Scan(&n); err != nil {
		return err
	}
	args := apptArgs(a)
	args["answer"] = a.Answer
	_, err := s.enqueue(ctx, tx, now, OutboxMessage{CentreID: a.CentreID, PersonID: *a.CoordinatorID,
		Kind: OutboxAppointmentAnswer, Key: prefix + strconv.Itoa(n+1), MsgID: ApptMsgAnswer, Args: args, Priority: 1})
	return err
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
// centre and queues it to its recipient in the same transaction. A
// coordinator's message is audited (without its text).
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
		if _, err := s.enqueue(ctx, tx, now, apptRelay(centreID, m)); err != nil {
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

// apptRelay is the outbox row relaying a message to its recipient,
// "message:appointment:42:7". The text stays in appointment_messages: the
// row only points at it, so erasing the message erases what would be sent.
func apptRelay(centreID int64, m AppointmentMessage) OutboxMessage {
	msgID := ApptMsgToResident
	if m.FromResident {
		msgID = ApptMsgToCoordinator
	}
	return OutboxMessage{CentreID: centreID, PersonID: *m.RecipientID, Kind: OutboxAppointmentRelay,
		Key:   fmt.Sprintf("message:appointment:%d:%d", m.AppointmentID, m.ID),
		MsgID: msgID, Priority: 1,
		Args: map[string]string{"appointment": strconv.FormatInt(m.AppointmentID, 10),
			"message": strconv.FormatInt(m.ID, 10)}}
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
