package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Rota set-up by staff on Telegram: who is on the cleaning rota, and the
// centre's areas (the same tables as `cairbot import chores`).

// ErrChoreUnchanged means the change asked for is already so (someone else
// made it meanwhile, or an old button was pressed).
var ErrChoreUnchanged = errors.New("store: chore set-up already so")

// OnChoreRota reports whether a resident of the centre is on the rota
// (a member row marked active).
func (s *Store) OnChoreRota(ctx context.Context, centreID, personID int64) (bool, error) {
	var active bool
	err := s.pool.QueryRow(ctx, `SELECT active FROM chore_members WHERE centre_id = $1 AND person_id = $2`,
		centreID, personID).Scan(&active)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: on chore rota: %w", err)
	}
	return active, nil
}

// SetChoreMember puts a resident of the centre on the rota or takes him
// off, in one transaction with its audit entry ("chores.member_on" or
// "chores.member_off"), through the same upsert as the import: back on the
// rota he joins at the back of the rotation. His past turns stay; his
// future pending turns are left for a regeneration of the week. It returns
// ErrNotFound when the person is not a resident of the centre (or has
// left, to be put on) and ErrChoreUnchanged when he already is so.
func (s *Store) SetChoreMember(ctx context.Context, centreID, actorID, personID int64, on bool, now time.Time) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var res ChoreImportResult
		msg, err := importChoreMember(ctx, tx, centreID,
			ChoreImportRow{Kind: "member", Key: "#" + strconv.FormatInt(personID, 10), Active: on}, now, &res)
		switch {
		case err != nil:
			return err
		case msg != "":
			return ErrNotFound
		case res.Members.Added+res.Members.Changed == 0:
			return ErrChoreUnchanged
		}
		action := "chores.member_off"
		if on {
			action = "chores.member_on"
		}
		return audit(ctx, tx, centreID, &actorID, action, &personID, nil)
	})
	if err != nil {
		return fmt.Errorf("store: set chore member: %w", err)
	}
	return nil
}

const choreAreaColumns = `id, centre_id, external_id, name, labels, days, window_start, window_end, active`

func scanChoreArea(row pgx.Row) (ChoreArea, error) {
	var a ChoreArea
	var days []int16
	if err := row.Scan(&a.ID, &a.CentreID, &a.ExternalID, &a.Name, &a.Labels, &days, &a.Start, &a.End, &a.Active); err != nil {
		return ChoreArea{}, err
	}
	for _, d := range days {
		a.Days = append(a.Days, int(d))
	}
	return a, nil
}

// ChoreAreas lists the centre's areas, in use or not, oldest first.
func (s *Store) ChoreAreas(ctx context.Context, centreID int64) ([]ChoreArea, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+choreAreaColumns+` FROM chore_areas WHERE centre_id = $1 ORDER BY id`, centreID)
	if err != nil {
		return nil, fmt.Errorf("store: chore areas: %w", err)
	}
	defer rows.Close()
	var out []ChoreArea
	for rows.Next() {
		a, err := scanChoreArea(rows)
		if err != nil {
			return nil, fmt.Errorf("store: chore areas: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: chore areas: %w", err)
	}
	return out, nil
}

// ChoreArea returns one area of the centre, or ErrNotFound.
func (s *Store) ChoreArea(ctx context.Context, centreID, areaID int64) (ChoreArea, error) {
	a, err := scanChoreArea(s.pool.QueryRow(ctx, `SELECT `+choreAreaColumns+` FROM chore_areas
		WHERE centre_id = $1 AND id = $2`, centreID, areaID))
	if errors.Is(err, pgx.ErrNoRows) {
		return ChoreArea{}, ErrNotFound
	}
	if err != nil {
		return ChoreArea{}, fmt.Errorf("store: chore area: %w", err)
	}
	return a, nil
}

// SetChoreAreaActive stops using an area of the centre or uses it again,
// audited ("chores.area_off" / "chores.area_on"). Turns already made stay
// until the week is regenerated. ErrNotFound: not an area of the centre;
// ErrChoreUnchanged: it already is so.
func (s *Store) SetChoreAreaActive(ctx context.Context, centreID, actorID, areaID int64, active bool) (ChoreArea, error) {
	var a ChoreArea
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		a, err = scanChoreArea(tx.QueryRow(ctx, `SELECT `+choreAreaColumns+` FROM chore_areas
			WHERE centre_id = $1 AND id = $2 FOR UPDATE`, centreID, areaID))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if a.Active == active {
			return ErrChoreUnchanged
		}
		if _, err := tx.Exec(ctx, `UPDATE chore_areas SET active = $2, updated_at = now() WHERE id = $1`, areaID, active); err != nil {
			return err
		}
		a.Active = active
		action := "chores.area_off"
		if active {
			action = "chores.area_on"
		}
		return audit(ctx, tx, centreID, &actorID, action, nil, map[string]any{"area": areaID})
	})
	if err != nil {
		return ChoreArea{}, fmt.Errorf("store: set chore area active: %w", err)
	}
	return a, nil
}

// CreateChoreArea adds an area to the centre, in use, audited
// ("chores.area_create"). Its external id is "staff-<id>": a chores file
// can use it to add translated labels.
func (s *Store) CreateChoreArea(ctx context.Context, centreID, actorID int64, a ChoreArea) (ChoreArea, error) {
	days := make([]int16, len(a.Days))
	for i, d := range a.Days {
		days[i] = int16(d)
	}
	var out ChoreArea
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = scanChoreArea(tx.QueryRow(ctx, `WITH n AS (SELECT nextval(pg_get_serial_sequence('chore_areas', 'id')) AS id)
			INSERT INTO chore_areas (id, centre_id, external_id, name, days, window_start, window_end, active)
			SELECT n.id, $1, 'staff-' || n.id, $2, $3, $4, $5, true FROM n
			RETURNING `+choreAreaColumns, centreID, a.Name, days, a.Start, a.End))
		if err != nil {
			return err
		}
		return audit(ctx, tx, centreID, &actorID, "chores.area_create", nil, map[string]any{
			"area": out.ID, "days": a.Days, "start": a.Start, "end": a.End})
	})
	if err != nil {
		return ChoreArea{}, fmt.Errorf("store: create chore area: %w", err)
	}
	return out, nil
}
