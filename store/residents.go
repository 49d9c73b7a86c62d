package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrWrongStatus means the resident's status does not allow the change any
// more (someone else changed it meanwhile: he already left, is already
// back…).
var ErrWrongStatus = errors.New("store: resident status does not allow this change")

// SearchResidents finds a centre's residents whose status is one of
// statuses, by room (exact, when the query is a room number) or by a part
// of the name, case-insensitive. It returns at most limit people, ordered
// by name.
func (s *Store) SearchResidents(ctx context.Context, centreID int64, query string, statuses []string, limit int) ([]Person, error) {
	q := strings.TrimSpace(query)
	if q == "" {
		return nil, nil
	}
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
	rows, err := s.pool.Query(ctx, `SELECT `+personColumns+` FROM people
		WHERE centre_id = $1 AND role = 'resident' AND status = ANY($2)
			AND (upper(room) = upper($3) OR display_name ILIKE $4)
		ORDER BY upper(room) = upper($3) DESC, display_name, id
		LIMIT $5`, centreID, statuses, q, like, limit)
	if err != nil {
		return nil, fmt.Errorf("store: search residents: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Person, error) { return scanPerson(row) })
	if err != nil {
		return nil, fmt.Errorf("store: search residents: %w", err)
	}
	return out, nil
}

// ResidentsInRoom lists the residents of a room who have not left.
func (s *Store) ResidentsInRoom(ctx context.Context, centreID int64, room string) ([]Person, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+personColumns+` FROM people
		WHERE centre_id = $1 AND role = 'resident' AND status <> 'left' AND upper(room) = upper($2)
		ORDER BY display_name, id`, centreID, strings.TrimSpace(room))
	if err != nil {
		return nil, fmt.Errorf("store: residents in room: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Person, error) { return scanPerson(row) })
	if err != nil {
		return nil, fmt.Errorf("store: residents in room: %w", err)
	}
	return out, nil
}

// Everyday changes of a resident, made by staff.
const (
	ChangeArrive = "arrive" // arrived on Date (status active)
	ChangeLeave  = "leave"  // left on Date: his Telegram access ends
	ChangeAway   = "away"   // away for a while (not on the rota)
	ChangeBack   = "back"   // back from being away
	ChangeRoom   = "room"   // moved to Room
)

// ResidentChange is one everyday change of a resident.
type ResidentChange struct {
	CentreID int64
	PersonID int64
	ActorID  *int64
	Kind     string
	Date     time.Time // arrive, leave: the day (its Y-M-D)
	Room     string    // room
	Floor    *int      // room
}

// ChangeStatuses are the statuses from which each change can be made.
var ChangeStatuses = map[string][]string{
	ChangeArrive: {StatusActive, StatusAway},
	ChangeLeave:  {StatusActive, StatusAway},
	ChangeAway:   {StatusActive},
	ChangeBack:   {StatusAway},
	ChangeRoom:   {StatusActive, StatusAway},
}

// ChangeResident applies one change, with an audit entry, in one
// transaction. It returns ErrNotFound for someone who is not a resident of
// the centre and ErrWrongStatus when his status no longer allows it.
func (s *Store) ChangeResident(ctx context.Context, c ResidentChange) (Person, error) {
	from, ok := ChangeStatuses[c.Kind]
	if !ok {
		return Person{}, fmt.Errorf("store: unknown change %q", c.Kind)
	}
	day := time.Date(c.Date.Year(), c.Date.Month(), c.Date.Day(), 0, 0, 0, 0, time.UTC)
	var p Person
	// A change of status or room leaves his link as it is.
	defer func() { s.accountsChanged(deref(p.TelegramID)) }()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var status, oldRoom string
		err := tx.QueryRow(ctx, `SELECT status, room FROM people
			WHERE centre_id = $1 AND id = $2 AND role = 'resident' FOR UPDATE`, c.CentreID, c.PersonID).
			Scan(&status, &oldRoom)
		if err != nil {
			return notFound(err)
		}
		allowed := false
		for _, st := range from {
			allowed = allowed || st == status
		}
		if !allowed {
			return ErrWrongStatus
		}
		detail := map[string]any{}
		var set string
		args := []any{c.CentreID, c.PersonID}
		switch c.Kind {
		case ChangeArrive:
			set, args = `status = 'active', arrived_on = $3`, append(args, day)
			detail["date"] = day.Format(time.DateOnly)
		case ChangeLeave:
			set, args = `status = 'left', left_on = $3`, append(args, day)
			detail["date"] = day.Format(time.DateOnly)
		case ChangeAway:
			set = `status = 'away'`
		case ChangeBack:
			set = `status = 'active'`
		case ChangeRoom:
			set, args = `room = $3, floor = $4`, append(args, c.Room, c.Floor)
			detail["from"], detail["to"] = oldRoom, c.Room
		}
		p, err = scanPerson(tx.QueryRow(ctx, `UPDATE people SET `+set+`, updated_at = now()
			WHERE centre_id = $1 AND id = $2 RETURNING `+personColumns, args...))
		if err != nil {
			return err
		}
		if c.Kind == ChangeLeave {
			// A code he never used must not open an account after he left.
			if _, err := tx.Exec(ctx, `DELETE FROM invites WHERE person_id = $1 AND used_at IS NULL`, c.PersonID); err != nil {
				return err
			}
		}
		return audit(ctx, tx, c.CentreID, c.ActorID, "resident."+c.Kind, &c.PersonID, detail)
	})
	if err != nil {
		return Person{}, fmt.Errorf("store: change resident: %w", err)
	}
	return p, nil
}

// PersonDates returns when a person arrived and left (nil when not known).
func (s *Store) PersonDates(ctx context.Context, centreID, personID int64) (arrived, left *time.Time, err error) {
	err = s.pool.QueryRow(ctx, `SELECT arrived_on, left_on FROM people WHERE centre_id = $1 AND id = $2`,
		centreID, personID).Scan(&arrived, &left)
	if err != nil {
		return nil, nil, fmt.Errorf("store: person dates: %w", notFound(err))
	}
	return arrived, left, nil
}

// ResidentRow is one validated line of a residents import.
type ResidentRow struct {
	Line        int
	ExternalID  string
	DisplayName string
	Room        string
	Floor       *int
	Language    string
	Role        Role
	ArrivedOn   *time.Time
	// Contribution, when not nil, sets the monthly contribution (Basis and
	// Cents); nil leaves it as it is.
	Contribution *Contribution
}

// ImportedPerson is a person created by an import, with his one-time
// invite code (shown once, in the report).
type ImportedPerson struct {
	Line   int
	Person Person
	Code   string
}

// ImportResult says what an import did.
type ImportResult struct {
	New       []ImportedPerson
	Changed   []int // line numbers of people updated
	Unchanged int
}

// ImportResidents creates or updates people by external id, all in one
// transaction: every row is written or none is. A row equal to what is
// stored changes nothing, so importing the same file twice does nothing
// the second time. New people get an invite code expiring at expires.
// Status (left, away) is never changed by an import.
func (s *Store) ImportResidents(ctx context.Context, centreID int64, rows []ResidentRow, actorID *int64, expires time.Time) (ImportResult, error) {
	var res ImportResult
	defer s.peopleChanged()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		for _, r := range rows {
			if err := importResidentRow(ctx, tx, centreID, r, actorID, expires, &res); err != nil {
				return fmt.Errorf("line %d: %w", r.Line, err)
			}
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, fmt.Errorf("store: import residents: %w", err)
	}
	return res, nil
}

func importResidentRow(ctx context.Context, tx pgx.Tx, centreID int64, r ResidentRow, actorID *int64, expires time.Time, res *ImportResult) error {
	if r.Contribution != nil {
		if err := validContribution(r.Contribution.Basis, r.Contribution.Cents); err != nil {
			return err
		}
		if r.Role != RoleResident {
			return ErrNotResident
		}
	}
	ext := r.ExternalID
	var cur struct {
		id               int64
		role             Role
		name, room, lang string
		floor            *int
		arrived          *time.Time
		basis            *string
		cents            *int64
	}
	err := tx.QueryRow(ctx, `SELECT p.id, p.role, p.display_name, p.room, p.floor, p.language, p.arrived_on,
			c.basis, c.cents
		FROM people p LEFT JOIN contributions c ON c.person_id = p.id
		WHERE p.centre_id = $1 AND p.external_id = $2 FOR UPDATE OF p`, centreID, ext).
		Scan(&cur.id, &cur.role, &cur.name, &cur.room, &cur.floor, &cur.lang, &cur.arrived, &cur.basis, &cur.cents)
	if errors.Is(err, pgx.ErrNoRows) {
		p, err := insertPerson(ctx, tx, NewPerson{CentreID: centreID, Role: r.Role, DisplayName: r.DisplayName,
			Room: r.Room, Floor: r.Floor, Language: r.Language, ExternalID: &ext})
		if err != nil {
			return err
		}
		if r.ArrivedOn != nil {
			if _, err := tx.Exec(ctx, `UPDATE people SET arrived_on = $2 WHERE id = $1`, p.ID, importDate(*r.ArrivedOn)); err != nil {
				return err
			}
		}
		if r.Contribution != nil {
			c := *r.Contribution
			c.PersonID, c.CentreID = p.ID, centreID
			if err := upsertContribution(ctx, tx, c, actorID); err != nil {
				return err
			}
		}
		code, err := insertInvite(ctx, tx, p.ID, actorID, expires)
		if err != nil {
			return err
		}
		res.New = append(res.New, ImportedPerson{Line: r.Line, Person: p, Code: code})
		return audit(ctx, tx, centreID, actorID, "person.import", &p.ID, map[string]any{"role": p.Role})
	}
	if err != nil {
		return err
	}
	same := cur.role == r.Role && cur.name == r.DisplayName && cur.room == r.Room && cur.lang == r.Language &&
		importSameDate(cur.arrived, r.ArrivedOn) && importSameFloor(cur.floor, r.Floor)
	sameMoney := r.Contribution == nil ||
		(cur.basis != nil && *cur.basis == r.Contribution.Basis && *cur.cents == r.Contribution.Cents)
	if same && sameMoney {
		res.Unchanged++
		return nil
	}
	var arrived *time.Time
	if r.ArrivedOn != nil {
		d := importDate(*r.ArrivedOn)
		arrived = &d
	}
	if !same {
		if _, err := tx.Exec(ctx, `UPDATE people SET role = $2, display_name = $3, room = $4, floor = $5,
				language = $6, arrived_on = $7, updated_at = now() WHERE id = $1`,
			cur.id, r.Role, r.DisplayName, r.Room, r.Floor, r.Language, arrived); err != nil {
			return err
		}
	}
	if !sameMoney {
		c := *r.Contribution
		c.PersonID, c.CentreID = cur.id, centreID
		if err := upsertContribution(ctx, tx, c, actorID); err != nil {
			return err
		}
	}
	res.Changed = append(res.Changed, r.Line)
	return audit(ctx, tx, centreID, actorID, "person.import_update", &cur.id, nil)
}

func importDate(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func importSameDate(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Year() == b.Year() && a.Month() == b.Month() && a.Day() == b.Day()
}

func importSameFloor(a, b *int) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
