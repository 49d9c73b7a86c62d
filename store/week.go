package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// PersonWeekQuery is a resident's coming days: his turns starting in
// [TurnsFrom, To) (a turn begun before From may not be over), his classes
// and appointments in [From, To).
type PersonWeekQuery struct {
	CentreID, PersonID int64
	TurnsFrom          time.Time
	From, To           time.Time
}

// PersonWeek is what "my week" shows: each feature's view of one resident,
// in time order.
type PersonWeek struct {
	Turns        []ChoreTurn
	Classes      []ClassOccurrence
	Appointments []AppointmentSlot
}

// PersonWeek reads a resident's turns, classes (with their changes) and
// appointments as one batch: one round trip to PostgreSQL instead of four,
// with the same queries as PersonChoreTurns, ClassOccurrences and
// UpcomingAppointments. Class dates are reckoned in loc.
func (s *Store) PersonWeek(ctx context.Context, q PersonWeekQuery, loc *time.Location) (PersonWeek, error) {
	var w PersonWeek
	var sessions []ClassSession
	var changes []classChangeRow
	b := &pgx.Batch{}
	b.Queue(choreTurnSelect+` WHERE t.centre_id = $1 AND t.person_id = $2 AND t.starts_at >= $3 AND t.starts_at < $4
		ORDER BY t.starts_at, t.area_id`, q.CentreID, q.PersonID, q.TurnsFrom, q.To).
		Query(func(rows pgx.Rows) (err error) {
			w.Turns, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ChoreTurn, error) { return scanChoreTurn(r) })
			return err
		})
	// His sessions: those of the groups he is enrolled in.
	const enrolled = `s.centre_id = $1
		AND EXISTS (SELECT 1 FROM class_enrolments e WHERE e.group_id = s.group_id AND e.person_id = $2)`
	b.Queue(`SELECT `+classSessionColumns+` FROM class_sessions s JOIN class_groups g ON g.id = s.group_id
		WHERE `+enrolled+` ORDER BY s.id`, q.CentreID, q.PersonID).
		Query(func(rows pgx.Rows) (err error) {
			sessions, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ClassSession, error) { return scanClassSession(r) })
			return err
		})
	// Their changes, chosen as ClassOccurrences chooses them.
	b.Queue(classChangeSelect+` WHERE session_id IN (SELECT s.id FROM class_sessions s WHERE `+enrolled+`)
		AND (on_date BETWEEN $3::date AND $4::date OR (kind = 'moved' AND new_starts_at >= $5 AND new_starts_at < $6))`,
		q.CentreID, q.PersonID, ClassDate(q.From, loc).AddDate(0, 0, -1), ClassDate(q.To, loc).AddDate(0, 0, 1), q.From, q.To).
		Query(func(rows pgx.Rows) (err error) {
			changes, err = pgx.CollectRows(rows, scanClassChange)
			return err
		})
	b.Queue(`SELECT id, kind, at, place FROM appointments
		WHERE centre_id = $1 AND person_id = $2 AND status = 'scheduled' AND at >= $3 AND at < $4
		ORDER BY at, id`, q.CentreID, q.PersonID, q.From, q.To).
		Query(func(rows pgx.Rows) (err error) {
			w.Appointments, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (AppointmentSlot, error) {
				var a AppointmentSlot
				err := r.Scan(&a.ID, &a.Kind, &a.At, &a.Place)
				return a, err
			})
			return err
		})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return PersonWeek{}, fmt.Errorf("store: person week: %w", err)
	}
	if len(sessions) > 0 {
		w.Classes = expandClassOccurrences(sessions, changes, q.From, q.To, loc)
	}
	return w, nil
}
