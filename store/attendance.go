package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Attendance of French classes: one register per occurrence, one mark per
// enrolled resident. OFII checks attendance of the integration contract's
// classes, so every mark and every correction is audited.

// AttendanceMark is a resident's attendance at one occurrence.
type AttendanceMark string

// The three marks, in the order a tap cycles through them.
const (
	MarkPresent AttendanceMark = "present"
	MarkAbsent  AttendanceMark = "absent"
	MarkExcused AttendanceMark = "excused"
)

// Next is the mark a tap turns m into: present → absent → excused →
// present. The tap itself runs in Redis (tapDraft, attendance_draft.go),
// which has the same cycle in Lua: change both.
func (m AttendanceMark) Next() AttendanceMark {
	switch m {
	case MarkPresent:
		return MarkAbsent
	case MarkAbsent:
		return MarkExcused
	}
	return MarkPresent
}

// Valid reports whether m is one of the three marks.
func (m AttendanceMark) Valid() bool { return m == MarkPresent || m == MarkAbsent || m == MarkExcused }

// ClassRegister is the saved attendance of one occurrence.
type ClassRegister struct {
	ID       int64
	Revision int
	SavedAt  time.Time
	Marks    map[int64]AttendanceMark
}

// AttendanceRegister returns the saved attendance of a centre's occurrence,
// or ErrNotFound when it was never saved.
func (s *Store) AttendanceRegister(ctx context.Context, centreID, sessionID int64, date time.Time) (ClassRegister, error) {
	r := ClassRegister{Marks: map[int64]AttendanceMark{}}
	err := s.pool.QueryRow(ctx, `SELECT id, revision, saved_at FROM class_registers
		WHERE centre_id = $1 AND session_id = $2 AND on_date = $3`, centreID, sessionID, date).
		Scan(&r.ID, &r.Revision, &r.SavedAt)
	if err != nil {
		return ClassRegister{}, fmt.Errorf("store: attendance register: %w", notFound(err))
	}
	rows, err := s.pool.Query(ctx, `SELECT person_id, mark FROM class_attendance WHERE register_id = $1`, r.ID)
	if err != nil {
		return ClassRegister{}, fmt.Errorf("store: attendance marks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var m AttendanceMark
		if err := rows.Scan(&id, &m); err != nil {
			return ClassRegister{}, fmt.Errorf("store: attendance marks: %w", err)
		}
		r.Marks[id] = m
	}
	return r, rows.Err()
}

// SavedClassRegisters tells which of these occurrences of a centre have a
// saved register, by ClassRegisterKey. It reads only the occurrences
// asked about (a staff member's list shows at most a few dozen), never
// the centre's history.
func (s *Store) SavedClassRegisters(ctx context.Context, centreID int64, occ []ClassOccurrence) (map[string]bool, error) {
	out := map[string]bool{}
	if len(occ) == 0 {
		return out, nil
	}
	ids, dates := make([]int64, len(occ)), make([]time.Time, len(occ))
	for i, o := range occ {
		ids[i], dates[i] = o.Session.ID, o.Date
	}
	rows, err := s.pool.Query(ctx, `SELECT r.session_id, r.on_date FROM class_registers r
		JOIN unnest($2::bigint[], $3::date[]) AS w(session_id, on_date) ON w.session_id = r.session_id AND w.on_date = r.on_date
		WHERE r.centre_id = $1`, centreID, ids, dates)
	if err != nil {
		return nil, fmt.Errorf("store: saved registers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var d time.Time
		if err := rows.Scan(&id, &d); err != nil {
			return nil, fmt.Errorf("store: saved registers: %w", err)
		}
		out[ClassRegisterKey(id, d)] = true
	}
	return out, rows.Err()
}

// ClassRegisterKey names an occurrence in SavedClassRegisters' answer.
func ClassRegisterKey(sessionID int64, date time.Time) string {
	return fmt.Sprintf("%d:%s", sessionID, ClassDateKey(date))
}

// AttendanceSave is a staff member saving the marks of one occurrence.
type AttendanceSave struct {
	CentreID   int64
	ActorID    int64
	Occurrence ClassOccurrence
	// BaseRevision is the register revision the marks were made from (0:
	// never saved). A save from an older reading gets ErrConflict.
	BaseRevision int
	// Marks holds a mark for each enrolled resident; residents not
	// enrolled in the group are refused.
	Marks map[int64]AttendanceMark
	// AlertAfter is how many unexcused absences in a row make the
	// coordinators be told.
	AlertAfter int
	// Now is when the list is saved (the alerts are queued then).
	Now time.Time
}

// AbsenceAlert is a resident who has just reached AlertAfter unexcused
// absences in a row; Coordinators are the centre's people to tell.
type AbsenceAlert struct {
	CentreID     int64
	ResidentID   int64
	Count        int
	RegisterID   int64 // the run's first absence, which keys the alert
	GroupName    string
	Coordinators []int64
}

// AttendanceSaved is the outcome of a save.
type AttendanceSaved struct {
	Revision                 int
	Present, Absent, Excused int
	Changed                  int
	Alerts                   []AbsenceAlert
}

// ErrNotEnrolled means a mark was given for someone not enrolled in the
// group (a forged or stale request).
var ErrNotEnrolled = errors.New("store: not enrolled in this group")

// SaveAttendance stores every mark of an occurrence in one transaction,
// with an audit entry for each mark that changed and one for the save.
// Residents who reach AlertAfter unexcused absences in a row (excused
// absences neither count nor break the run) are reported once per run: an
// alert to each coordinator is queued in the outbox in the same
// transaction. It returns ErrConflict when someone saved the occurrence
// since BaseRevision was read.
func (s *Store) SaveAttendance(ctx context.Context, a AttendanceSave) (AttendanceSaved, error) {
	var res AttendanceSaved
	o := a.Occurrence
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		roster, err := classRosterOf(ctx, tx, a.CentreID, o.Session.GroupID)
		if err != nil {
			return err
		}
		enrolled := map[int64]bool{}
		for _, e := range roster {
			enrolled[e.PersonID] = true
		}
		for id, m := range a.Marks {
			if !enrolled[id] {
				return fmt.Errorf("person %d: %w", id, ErrNotEnrolled)
			}
			if !m.Valid() {
				return fmt.Errorf("store: mark %q", m)
			}
		}
		regID, err := claimClassRegister(ctx, tx, a, &res)
		if err != nil {
			return err
		}
		old := map[int64]AttendanceMark{}
		rows, err := tx.Query(ctx, `SELECT person_id, mark FROM class_attendance WHERE register_id = $1`, regID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var m AttendanceMark
			if err := rows.Scan(&id, &m); err != nil {
				rows.Close()
				return err
			}
			old[id] = m
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		ids := make([]int64, 0, len(a.Marks))
		for id := range a.Marks {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		var absent []int64
		for _, id := range ids {
			m := a.Marks[id]
			switch m {
			case MarkPresent:
				res.Present++
			case MarkAbsent:
				res.Absent++
				absent = append(absent, id)
			case MarkExcused:
				res.Excused++
			}
			if old[id] == m {
				continue
			}
			res.Changed++
			if _, err := tx.Exec(ctx, `INSERT INTO class_attendance (register_id, person_id, mark) VALUES ($1, $2, $3)
				ON CONFLICT (register_id, person_id) DO UPDATE SET mark = EXCLUDED.mark`, regID, id, m); err != nil {
				return err
			}
			subject := id
			if err := audit(ctx, tx, a.CentreID, &a.ActorID, "attendance.mark", &subject, map[string]any{
				"session_id": o.Session.ID, "date": ClassDateKey(o.Date), "from": string(old[id]), "to": string(m),
			}); err != nil {
				return err
			}
		}
		if err := audit(ctx, tx, a.CentreID, &a.ActorID, "attendance.save", nil, map[string]any{
			"session_id": o.Session.ID, "date": ClassDateKey(o.Date), "revision": res.Revision,
			"present": res.Present, "absent": res.Absent, "excused": res.Excused, "changed": res.Changed,
		}); err != nil {
			return err
		}
		if a.AlertAfter <= 0 || len(absent) == 0 {
			return nil
		}
		var coordinators []int64
		var msgs []OutboxMessage
		for _, id := range absent {
			count, first, err := classAbsenceRun(ctx, tx, id, o.Start)
			if err != nil {
				return err
			}
			if count < a.AlertAfter {
				continue
			}
			tag, err := tx.Exec(ctx, `INSERT INTO class_absence_alerts (person_id, register_id) VALUES ($1, $2)
				ON CONFLICT DO NOTHING`, id, first)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				continue // this run was already reported
			}
			if coordinators == nil {
				if coordinators, err = classAlertRecipients(ctx, tx, a.CentreID); err != nil {
					return err
				}
			}
			al := AbsenceAlert{CentreID: a.CentreID, ResidentID: id, Count: count, RegisterID: first,
				GroupName: o.Session.GroupName, Coordinators: coordinators}
			res.Alerts = append(res.Alerts, al)
			msgs = append(msgs, absenceAlerts(al)...)
		}
		_, err = s.enqueue(ctx, tx, a.Now, msgs...)
		return err
	})
	if err != nil {
		return AttendanceSaved{}, fmt.Errorf("store: save attendance: %w", err)
	}
	return res, nil
}

// absenceAlerts are an alert's messages, one to each coordinator, keyed
// by the run's first absence: a run is reported once.
func absenceAlerts(al AbsenceAlert) []OutboxMessage {
	msgs := make([]OutboxMessage, 0, len(al.Coordinators))
	run := "alert:absence:" + strconv.FormatInt(al.RegisterID, 10) + ":" + strconv.FormatInt(al.ResidentID, 10) + ":"
	for _, c := range al.Coordinators {
		msgs = append(msgs, OutboxMessage{CentreID: al.CentreID, PersonID: c, Kind: KindAbsenceAlert,
			Key: run + strconv.FormatInt(c, 10), MsgID: "attendance.absence_alert",
			Args: map[string]string{"resident": strconv.FormatInt(al.ResidentID, 10),
				"count": strconv.Itoa(al.Count), "group": al.GroupName}})
	}
	return msgs
}

// claimClassRegister creates or bumps the occurrence's register if its revision
// is still BaseRevision, and returns its id.
func claimClassRegister(ctx context.Context, tx pgx.Tx, a AttendanceSave, res *AttendanceSaved) (int64, error) {
	o := a.Occurrence
	var id int64
	if a.BaseRevision == 0 {
		err := tx.QueryRow(ctx, `INSERT INTO class_registers (centre_id, session_id, on_date, starts_at, minutes, saved_by)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (session_id, on_date) DO NOTHING RETURNING id`,
			a.CentreID, o.Session.ID, o.Date, o.Start, o.Minutes(), a.ActorID).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, ErrConflict // saved by someone else meanwhile
		}
		res.Revision = 1
		return id, err
	}
	err := tx.QueryRow(ctx, `UPDATE class_registers SET revision = revision + 1, saved_by = $5, saved_at = now(),
			starts_at = $6, minutes = $7
		WHERE centre_id = $1 AND session_id = $2 AND on_date = $3 AND revision = $4
		RETURNING id, revision`,
		a.CentreID, o.Session.ID, o.Date, a.BaseRevision, a.ActorID, o.Start, o.Minutes()).Scan(&id, &res.Revision)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrConflict
	}
	return id, err
}

// classAbsenceRun counts a resident's unexcused absences in a row, up to and
// including the class starting at upTo, and returns the register of the
// run's first absence.
func classAbsenceRun(ctx context.Context, tx pgx.Tx, personID int64, upTo time.Time) (count int, first int64, err error) {
	rows, err := tx.Query(ctx, `SELECT r.id, a.mark FROM class_attendance a JOIN class_registers r ON r.id = a.register_id
		WHERE a.person_id = $1 AND r.starts_at <= $2 ORDER BY r.starts_at DESC, r.id DESC LIMIT 200`, personID, upTo)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var m AttendanceMark
		if err := rows.Scan(&id, &m); err != nil {
			return 0, 0, err
		}
		if m == MarkPresent {
			break
		}
		if m == MarkAbsent {
			count++
			first = id
		}
	}
	return count, first, rows.Err()
}

// classAlertRecipients lists who is told about a resident's absences: the
// centre's coordinators, or its administrators when it has none.
func classAlertRecipients(ctx context.Context, tx pgx.Tx, centreID int64) ([]int64, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM people WHERE centre_id = $1 AND status = 'active'
		AND role = (CASE WHEN EXISTS (SELECT 1 FROM people WHERE centre_id = $1 AND status = 'active' AND role = 'coordinator')
			THEN 'coordinator' ELSE 'admin' END)
		ORDER BY id`, centreID)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	if ids == nil {
		ids = []int64{}
	}
	return ids, nil
}
