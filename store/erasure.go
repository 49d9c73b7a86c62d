package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Erasure refusals.
var (
	ErrNotLeft     = errors.New("store: the person has not left the centre")
	ErrBalanceOpen = errors.New("store: the person's balance is not settled")
)

// ErasePerson removes the personal data of someone who has left, once his
// balance is settled: his name becomes "#<id>", his room, Telegram account,
// external id and dates go, and so do his invites, declared resources,
// housing appointments with their messages, rota membership and swaps,
// class enrolments and alerts, and his outbox messages. His ledger
// entries, cleaning turns and attendance stay, anonymised, so the centre's
// accounts and statistics keep their totals. It is one transaction with an
// audit entry; erasing someone already erased does nothing.
func (s *Store) ErasePerson(ctx context.Context, centreID, personID int64, actorID *int64, now time.Time) error {
	defer s.peopleChanged()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var status string
		var erased *time.Time
		err := tx.QueryRow(ctx, `SELECT status, erased_at FROM people WHERE centre_id = $1 AND id = $2 FOR UPDATE`,
			centreID, personID).Scan(&status, &erased)
		if err != nil {
			return notFound(err)
		}
		if erased != nil {
			return nil
		}
		if status != StatusLeft {
			return ErrNotLeft
		}
		var balance int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(cents), 0) FROM ledger_entries WHERE person_id = $1`,
			personID).Scan(&balance); err != nil {
			return err
		}
		if balance != 0 {
			return ErrBalanceOpen
		}
		for _, q := range []string{
			`DELETE FROM invites WHERE person_id = $1`,
			`DELETE FROM outbox WHERE person_id = $1`,
			`DELETE FROM contributions WHERE person_id = $1`,
			`DELETE FROM appointment_messages WHERE author_id = $1 OR recipient_id = $1`,
			`DELETE FROM appointments WHERE person_id = $1`,
			`DELETE FROM chore_swaps WHERE from_person = $1 OR to_person = $1`,
			`DELETE FROM chore_members WHERE person_id = $1`,
			`DELETE FROM class_enrolments WHERE person_id = $1`,
			`DELETE FROM class_absence_alerts WHERE person_id = $1`,
		} {
			if _, err := tx.Exec(ctx, q, personID); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE people SET display_name = '#' || id, room = '', floor = NULL,
				telegram_id = NULL, external_id = NULL, arrived_on = NULL, onboarded_at = NULL,
				unreachable = false, erased_at = $2, updated_at = now()
			WHERE id = $1`, personID, now)
		if err != nil {
			return err
		}
		return audit(ctx, tx, centreID, actorID, "person.erase", &personID, nil)
	})
	if err != nil {
		return fmt.Errorf("store: erase person %d: %w", personID, err)
	}
	return nil
}

// ErasablePerson is someone whose data may now be erased.
type ErasablePerson struct {
	CentreID, ID int64
}

// PeopleToErase lists who left before leftBefore, is not erased yet, and
// owes nothing and is owed nothing.
func (s *Store) PeopleToErase(ctx context.Context, leftBefore time.Time) ([]ErasablePerson, error) {
	rows, err := s.pool.Query(ctx, `SELECT p.centre_id, p.id FROM people p
		WHERE p.status = 'left' AND p.erased_at IS NULL AND p.left_on < $1
		  AND COALESCE((SELECT SUM(cents) FROM ledger_entries e WHERE e.person_id = p.id), 0) = 0
		ORDER BY p.id`, leftBefore)
	if err != nil {
		return nil, fmt.Errorf("store: people to erase: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ErasablePerson])
	if err != nil {
		return nil, fmt.Errorf("store: people to erase: %w", err)
	}
	return out, nil
}
