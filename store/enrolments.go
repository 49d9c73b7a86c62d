package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Enrolments changed one at a time by staff, besides the classes import:
// a resident joins a group with the hours OFII prescribed, his hours
// change, or he leaves a group.
//
// Leaving a group deletes the enrolment row. Nothing else depends on it:
// attendance is kept per register and person (class_attendance), so his
// past marks and the hours he has done stay; reminders, change notices,
// registers and /classes read the enrolments of now, so he stops getting
// that group's classes at once. The history of who was in which group,
// with which hours, is in the audit log (class.enrol, class.unenrol).

// ErrPrescribedHours means hours other than those OFII prescribes (100,
// 200, 400 or 600).
var ErrPrescribedHours = errors.New("store: prescribed hours must be 100, 200, 400 or 600")

// ClassEnrolment is a resident in a group, with the hours OFII prescribed.
type ClassEnrolment struct {
	CentreID int64
	PersonID int64
	Group    ClassGroup
	Hours    int
	// PreviousHours, after EnrolResident, is what he had before a change
	// of hours, 0 when he just joined the group.
	PreviousHours int
}

// ClassGroups lists a centre's groups by level and name.
func (s *Store) ClassGroups(ctx context.Context, centreID int64) ([]ClassGroup, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, centre_id, external_id, level, name, labels FROM class_groups
		WHERE centre_id = $1 ORDER BY level, name, id`, centreID)
	if err != nil {
		return nil, fmt.Errorf("store: class groups: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ClassGroup, error) {
		var g ClassGroup
		err := r.Scan(&g.ID, &g.CentreID, &g.ExternalID, &g.Level, &g.Name, &g.Labels)
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: class groups: %w", err)
	}
	return out, nil
}

// ResidentEnrolments lists the groups a person of the centre is in, by
// level and name.
func (s *Store) ResidentEnrolments(ctx context.Context, centreID, personID int64) ([]ClassEnrolment, error) {
	rows, err := s.pool.Query(ctx, `SELECT g.id, g.centre_id, g.external_id, g.level, g.name, g.labels, e.prescribed_hours
		FROM class_enrolments e JOIN class_groups g ON g.id = e.group_id
		WHERE e.centre_id = $1 AND g.centre_id = $1 AND e.person_id = $2
		ORDER BY g.level, g.name, g.id`, centreID, personID)
	if err != nil {
		return nil, fmt.Errorf("store: resident enrolments: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ClassEnrolment, error) {
		e := ClassEnrolment{CentreID: centreID, PersonID: personID}
		err := r.Scan(&e.Group.ID, &e.Group.CentreID, &e.Group.ExternalID, &e.Group.Level, &e.Group.Name, &e.Group.Labels, &e.Hours)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: resident enrolments: %w", err)
	}
	return out, nil
}

// Changes told to the resident (the change Arg of KindEnrolNotice).
const (
	EnrolIn    = "in"
	EnrolHours = "hours"
	EnrolOut   = "out"
)

// EnrolResident puts a resident of the centre in one of its groups with
// the hours OFII prescribed, or changes his hours when he is in it
// already, with an audit entry (class.enrol) and, when he is on Telegram,
// his notice in the outbox, in one transaction: the change and its notice
// exist together or not at all. It returns ErrPrescribedHours for other
// hours, ErrNotFound when the person is not a resident of the centre or
// the group not one of its groups, ErrWrongStatus when he has left, and
// ErrClassUnchanged when he is in the group with these hours already.
func (s *Store) EnrolResident(ctx context.Context, centreID, actorID, personID, groupID int64, hours int,
	now time.Time) (ClassEnrolment, error) {
	if !slices.Contains(PrescribedHours, hours) {
		return ClassEnrolment{}, fmt.Errorf("store: enrol resident: %d hours: %w", hours, ErrPrescribedHours)
	}
	var e ClassEnrolment
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var status string
		var onTelegram bool
		var err error
		if e, status, onTelegram, err = lockEnrolment(ctx, tx, centreID, personID, groupID); err != nil {
			return err
		}
		if status == StatusLeft {
			return ErrWrongStatus
		}
		e.PreviousHours = e.Hours
		switch {
		case e.Hours == hours:
			return ErrClassUnchanged
		case e.Hours == 0:
			_, err = tx.Exec(ctx, `INSERT INTO class_enrolments (centre_id, group_id, person_id, prescribed_hours)
				VALUES ($1, $2, $3, $4)`, centreID, groupID, personID, hours)
		default:
			_, err = tx.Exec(ctx, `UPDATE class_enrolments SET prescribed_hours = $3, updated_at = now()
				WHERE group_id = $1 AND person_id = $2`, groupID, personID, hours)
		}
		if err != nil {
			return err
		}
		e.Hours = hours
		detail := map[string]any{"group_id": groupID, "group": e.Group.ExternalID, "hours": hours}
		if e.PreviousHours != 0 {
			detail["from_hours"] = e.PreviousHours
		}
		if err := audit(ctx, tx, centreID, &actorID, "class.enrol", &personID, detail); err != nil {
			return err
		}
		if !onTelegram {
			return nil
		}
		change := EnrolIn
		if e.PreviousHours != 0 {
			change = EnrolHours
		}
		return s.enqueueEnrolNotice(ctx, tx, e, change, now)
	})
	if err != nil {
		return ClassEnrolment{}, fmt.Errorf("store: enrol resident: %w", err)
	}
	return e, nil
}

// UnenrolResident takes a resident of the centre out of one of its groups,
// with an audit entry (class.unenrol, keeping the group and hours he had)
// and, when he is on Telegram, his notice in the outbox, in one
// transaction. His attendance stays. It returns ErrNotFound when the
// person is not a resident of the centre or the group not one of its
// groups, and ErrNotEnrolled when he is not in the group.
func (s *Store) UnenrolResident(ctx context.Context, centreID, actorID, personID, groupID int64,
	now time.Time) (ClassEnrolment, error) {
	var e ClassEnrolment
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var onTelegram bool
		var err error
		if e, _, onTelegram, err = lockEnrolment(ctx, tx, centreID, personID, groupID); err != nil {
			return err
		}
		if e.Hours == 0 {
			return ErrNotEnrolled
		}
		if _, err := tx.Exec(ctx, `DELETE FROM class_enrolments WHERE group_id = $1 AND person_id = $2`,
			groupID, personID); err != nil {
			return err
		}
		if err := audit(ctx, tx, centreID, &actorID, "class.unenrol", &personID, map[string]any{
			"group_id": groupID, "group": e.Group.ExternalID, "hours": e.Hours,
		}); err != nil {
			return err
		}
		if !onTelegram {
			return nil
		}
		return s.enqueueEnrolNotice(ctx, tx, e, EnrolOut, now)
	})
	if err != nil {
		return ClassEnrolment{}, fmt.Errorf("store: unenrol resident: %w", err)
	}
	return e, nil
}

// enqueueEnrolNotice queues, in tx, the resident's notice of the change
// just audited. Its key is that audit entry's id (the sequence's value in
// this session, just drawn by audit): one notice per change, however many
// times he joins and leaves the same group.
func (s *Store) enqueueEnrolNotice(ctx context.Context, tx pgx.Tx, e ClassEnrolment, change string, now time.Time) error {
	var auditID int64
	if err := tx.QueryRow(ctx, `SELECT currval(pg_get_serial_sequence('audit_log', 'id'))`).Scan(&auditID); err != nil {
		return fmt.Errorf("store: enrol notice: %w", err)
	}
	_, err := s.enqueue(ctx, tx, now, OutboxMessage{CentreID: e.CentreID, PersonID: e.PersonID, Kind: KindEnrolNotice,
		Key: "notice:enrol:" + strconv.FormatInt(auditID, 10), MsgID: EnrolNoticeMessage(change),
		Args: map[string]string{"change": change, "group": e.Group.Name, "level": e.Group.Level,
			"hours": strconv.Itoa(e.Hours), "group_labels": e.Group.Labels.Arg()}})
	return err
}

// lockEnrolment checks that the person is a resident of the centre and the
// group one of its groups, locks the person's row (his enrolment changes
// are made one at a time, and not while he is being marked as left), and
// returns the enrolment as it is (Hours 0 when he is not in the group),
// his status and whether he is on Telegram.
func lockEnrolment(ctx context.Context, tx pgx.Tx, centreID, personID, groupID int64) (ClassEnrolment, string, bool, error) {
	e := ClassEnrolment{CentreID: centreID, PersonID: personID}
	var status string
	var onTelegram bool
	err := tx.QueryRow(ctx, `SELECT status, telegram_id IS NOT NULL FROM people
		WHERE centre_id = $1 AND id = $2 AND role = 'resident'
		FOR UPDATE`, centreID, personID).Scan(&status, &onTelegram)
	if err != nil {
		return e, "", false, notFound(err)
	}
	err = tx.QueryRow(ctx, `SELECT id, centre_id, external_id, level, name, labels FROM class_groups
		WHERE centre_id = $1 AND id = $2 FOR SHARE`, centreID, groupID).
		Scan(&e.Group.ID, &e.Group.CentreID, &e.Group.ExternalID, &e.Group.Level, &e.Group.Name, &e.Group.Labels)
	if err != nil {
		return e, "", false, notFound(err)
	}
	err = tx.QueryRow(ctx, `SELECT prescribed_hours FROM class_enrolments WHERE group_id = $1 AND person_id = $2
		FOR UPDATE`, groupID, personID).Scan(&e.Hours)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return e, "", false, err
	}
	return e, status, onTelegram, nil
}
