package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

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
	rows, err := s.pool.Query(ctx, `SELECT id, centre_id, external_id, level, name FROM class_groups
		WHERE centre_id = $1 ORDER BY level, name, id`, centreID)
	if err != nil {
		return nil, fmt.Errorf("store: class groups: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ClassGroup, error) {
		var g ClassGroup
		err := r.Scan(&g.ID, &g.CentreID, &g.ExternalID, &g.Level, &g.Name)
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
	rows, err := s.pool.Query(ctx, `SELECT g.id, g.centre_id, g.external_id, g.level, g.name, e.prescribed_hours
		FROM class_enrolments e JOIN class_groups g ON g.id = e.group_id
		WHERE e.centre_id = $1 AND g.centre_id = $1 AND e.person_id = $2
		ORDER BY g.level, g.name, g.id`, centreID, personID)
	if err != nil {
		return nil, fmt.Errorf("store: resident enrolments: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ClassEnrolment, error) {
		e := ClassEnrolment{CentreID: centreID, PersonID: personID}
		err := r.Scan(&e.Group.ID, &e.Group.CentreID, &e.Group.ExternalID, &e.Group.Level, &e.Group.Name, &e.Hours)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: resident enrolments: %w", err)
	}
	return out, nil
}

// EnrolResident puts a resident of the centre in one of its groups with
// the hours OFII prescribed, or changes his hours when he is in it
// already, with an audit entry (class.enrol) in one transaction; tell runs
// in the same transaction (to queue his notice), so the change and its
// notice exist together or not at all. It returns ErrPrescribedHours for
// other hours, ErrNotFound when the person is not a resident of the centre
// or the group not one of its groups, ErrWrongStatus when he has left, and
// ErrClassUnchanged when he is in the group with these hours already.
func (s *Store) EnrolResident(ctx context.Context, centreID, actorID, personID, groupID int64, hours int,
	tell func(tx pgx.Tx, e ClassEnrolment) error) (ClassEnrolment, error) {
	if !slices.Contains(PrescribedHours, hours) {
		return ClassEnrolment{}, fmt.Errorf("store: enrol resident: %d hours: %w", hours, ErrPrescribedHours)
	}
	var e ClassEnrolment
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var status string
		var err error
		if e, status, err = lockEnrolment(ctx, tx, centreID, personID, groupID); err != nil {
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
		if tell != nil {
			return tell(tx, e)
		}
		return nil
	})
	if err != nil {
		return ClassEnrolment{}, fmt.Errorf("store: enrol resident: %w", err)
	}
	return e, nil
}

// UnenrolResident takes a resident of the centre out of one of its groups,
// with an audit entry (class.unenrol, keeping the group and hours he had)
// in one transaction; tell runs in the same transaction. His attendance
// stays. It returns ErrNotFound when the person is not a resident of the
// centre or the group not one of its groups, and ErrNotEnrolled when he is
// not in the group.
func (s *Store) UnenrolResident(ctx context.Context, centreID, actorID, personID, groupID int64,
	tell func(tx pgx.Tx, e ClassEnrolment) error) (ClassEnrolment, error) {
	var e ClassEnrolment
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if e, _, err = lockEnrolment(ctx, tx, centreID, personID, groupID); err != nil {
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
		if tell != nil {
			return tell(tx, e)
		}
		return nil
	})
	if err != nil {
		return ClassEnrolment{}, fmt.Errorf("store: unenrol resident: %w", err)
	}
	return e, nil
}

// lockEnrolment checks that the person is a resident of the centre and the
// group one of its groups, locks the person's row (his enrolment changes
// are made one at a time, and not while he is being marked as left), and
// returns the enrolment as it is (Hours 0 when he is not in the group)
// and his status.
func lockEnrolment(ctx context.Context, tx pgx.Tx, centreID, personID, groupID int64) (ClassEnrolment, string, error) {
	e := ClassEnrolment{CentreID: centreID, PersonID: personID}
	var status string
	err := tx.QueryRow(ctx, `SELECT status FROM people WHERE centre_id = $1 AND id = $2 AND role = 'resident'
		FOR UPDATE`, centreID, personID).Scan(&status)
	if err != nil {
		return e, "", notFound(err)
	}
	err = tx.QueryRow(ctx, `SELECT id, centre_id, external_id, level, name FROM class_groups
		WHERE centre_id = $1 AND id = $2 FOR SHARE`, centreID, groupID).
		Scan(&e.Group.ID, &e.Group.CentreID, &e.Group.ExternalID, &e.Group.Level, &e.Group.Name)
	if err != nil {
		return e, "", notFound(err)
	}
	err = tx.QueryRow(ctx, `SELECT prescribed_hours FROM class_enrolments WHERE group_id = $1 AND person_id = $2
		FOR UPDATE`, groupID, personID).Scan(&e.Hours)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return e, "", err
	}
	return e, status, nil
}
