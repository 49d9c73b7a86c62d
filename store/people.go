package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Role is what a person may do. Roles are ordered: each includes the ones
// before it, except that a resident has no staff rights at all.
type Role string

// The four roles.
const (
	RoleResident    Role = "resident"
	RoleStaff       Role = "staff"
	RoleCoordinator Role = "coordinator"
	RoleAdmin       Role = "admin"
)

var roleRank = map[Role]int{RoleResident: 0, RoleStaff: 1, RoleCoordinator: 2, RoleAdmin: 3}

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if _, ok := roleRank[r]; !ok {
		return "", fmt.Errorf("store: unknown role %q (resident, staff, coordinator, admin)", s)
	}
	return r, nil
}

// AtLeast reports whether r grants everything need grants.
func (r Role) AtLeast(need Role) bool {
	have, ok1 := roleRank[r]
	want, ok2 := roleRank[need]
	return ok1 && ok2 && have >= want
}

// Person status values.
const (
	StatusActive = "active"
	StatusAway   = "away"
	StatusLeft   = "left"
)

// Person is a resident or a member of staff of one centre.
type Person struct {
	ID          int64
	CentreID    int64
	Role        Role
	DisplayName string
	Room        string
	Floor       *int
	Language    string
	TelegramID  *int64
	Status      string
	Unreachable bool
	OnboardedAt *time.Time
	ExternalID  *string
}

const personColumns = `id, centre_id, role, display_name, room, floor, language, telegram_id,
	status, unreachable, onboarded_at, external_id`

func scanPerson(row pgx.Row) (Person, error) {
	var p Person
	err := row.Scan(&p.ID, &p.CentreID, &p.Role, &p.DisplayName, &p.Room, &p.Floor, &p.Language,
		&p.TelegramID, &p.Status, &p.Unreachable, &p.OnboardedAt, &p.ExternalID)
	return p, notFound(err)
}

// NewPerson is what is needed to create a person.
type NewPerson struct {
	CentreID    int64
	Role        Role
	DisplayName string
	Room        string
	Floor       *int
	Language    string
	ExternalID  *string
}

// reachedBy is the SQL condition "people.centre_id is reached through the
// bot of centre $1": a centre with a bot of its own (centre_bots) only
// through it; every centre without one through the deployment's default
// bot (whose centre has no row there), as when one bot served them all.
const reachedBy = `(people.centre_id = $1 OR (
	NOT EXISTS (SELECT 1 FROM centre_bots b WHERE b.centre_id = $1) AND
	NOT EXISTS (SELECT 1 FROM centre_bots b WHERE b.centre_id = people.centre_id)))`

// PersonByTelegramID returns the person linked to a Telegram account
// whom the bot of centre centreID reaches (reachedBy), or ErrNotFound: the
// same account may be linked in two centres, and a centre's own bot never
// finds another centre's people. People who left are not returned: their
// link is dead.
func (s *Store) PersonByTelegramID(ctx context.Context, centreID, telegramID int64) (Person, error) {
	e, gen, ok := s.people.get(centreID, telegramID)
	if !ok {
		p, err := scanPerson(s.pool.QueryRow(ctx, `SELECT `+personColumns+` FROM people
			WHERE telegram_id = $2 AND status <> 'left' AND `+reachedBy+`
			ORDER BY people.centre_id = $1 DESC, id LIMIT 1`, centreID, telegramID))
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Person{}, fmt.Errorf("store: person by telegram id: %w", err)
		}
		e = cachedPerson{centreID: centreID, found: err == nil, person: p}
		s.people.put(gen, telegramID, e)
	}
	if !e.found {
		return Person{}, fmt.Errorf("store: person by telegram id: %w", ErrNotFound)
	}
	return e.person, nil
}

// PersonByID returns one person of a centre, or ErrNotFound. The centre is
// part of the key so that nobody reaches another centre's people.
func (s *Store) PersonByID(ctx context.Context, centreID, id int64) (Person, error) {
	p, err := scanPerson(s.pool.QueryRow(ctx, `SELECT `+personColumns+` FROM people
		WHERE centre_id = $1 AND id = $2`, centreID, id))
	if err != nil {
		return Person{}, fmt.Errorf("store: person %d: %w", id, err)
	}
	return p, nil
}

// SetLanguage saves a person's language choice and marks him onboarded.
func (s *Store) SetLanguage(ctx context.Context, personID int64, lang string) (firstTime bool, err error) {
	var tg *int64
	defer func() { s.accountsChanged(deref(tg)) }() // after the commit: his next update reads it
	err = s.pool.QueryRow(ctx, `UPDATE people SET language = $2, updated_at = now(),
			onboarded_at = COALESCE(onboarded_at, now())
		WHERE id = $1
		RETURNING onboarded_at = updated_at, telegram_id`, personID, lang).Scan(&firstTime, &tg)
	if err != nil {
		return false, fmt.Errorf("store: set language: %w", notFound(err))
	}
	return firstTime, nil
}

// SetUnreachable records whether Telegram refuses our messages to this
// account (403: the user blocked the bot). It is cleared when he writes again.
// Blocking is per bot, so it is per centre.
func (s *Store) SetUnreachable(ctx context.Context, centreID, telegramID int64, unreachable bool) error {
	defer s.accountsChanged(telegramID)
	_, err := s.pool.Exec(ctx, `UPDATE people SET unreachable = $3, updated_at = now()
		WHERE telegram_id = $2 AND unreachable <> $3 AND `+reachedBy, centreID, telegramID, unreachable)
	if err != nil {
		return fmt.Errorf("store: set unreachable: %w", err)
	}
	return nil
}

// LinkedPeople lists everyone of every centre who has a Telegram account,
// for setting per-chat command menus at start.
func (s *Store) LinkedPeople(ctx context.Context) ([]Person, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+personColumns+` FROM people
		WHERE telegram_id IS NOT NULL AND status <> 'left' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: linked people: %w", err)
	}
	defer rows.Close()
	var out []Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, fmt.Errorf("store: linked people: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func insertPerson(ctx context.Context, tx pgx.Tx, np NewPerson) (Person, error) {
	return scanPerson(tx.QueryRow(ctx, `INSERT INTO people
		(centre_id, role, display_name, room, floor, language, external_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		RETURNING `+personColumns,
		np.CentreID, np.Role, np.DisplayName, np.Room, np.Floor, np.Language, np.ExternalID))
}
