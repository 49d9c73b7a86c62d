package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// codeAlphabet has no 0/O, 1/I/L: codes are read aloud and typed by people
// who may not read Latin script well. 31 symbols: a random byte masked to
// five bits, with 31 thrown away, picks one without bias.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// inviteCodeLen gives 31^10 ≈ 8·10^14 codes: with single use, expiry and
// slowed-down guessing, far out of reach of guessing.
const inviteCodeLen = 10

// NormalizeInviteCode upper-cases a typed code and drops the spaces and
// dashes people add; ok is false when what is left cannot be a code.
func NormalizeInviteCode(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.NewReplacer(" ", "", "-", "", "_", "").Replace(s)
	if len(s) != inviteCodeLen {
		return "", false
	}
	for _, r := range s {
		if !strings.ContainsRune(codeAlphabet, r) {
			return "", false
		}
	}
	return s, true
}

func newInviteCode() (string, error) {
	var b [inviteCodeLen]byte
	out := make([]byte, inviteCodeLen)
	for i := 0; i < inviteCodeLen; {
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("store: invite code: %w", err)
		}
		for _, x := range b {
			if i == inviteCodeLen {
				break
			}
			if idx := int(x & 31); idx < len(codeAlphabet) {
				out[i] = codeAlphabet[idx]
				i++
			}
		}
	}
	return string(out), nil
}

func hashCode(code string) []byte {
	h := sha256.Sum256([]byte(code))
	return h[:]
}

// CreatePersonWithInvite creates a person and his one-time invite code in one
// transaction, with an audit entry. The code is returned once and never
// stored in clear.
func (s *Store) CreatePersonWithInvite(ctx context.Context, np NewPerson, actorID *int64, expires time.Time) (Person, string, error) {
	var p Person
	var code string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if p, err = insertPerson(ctx, tx, np); err != nil {
			return err
		}
		if code, err = insertInvite(ctx, tx, p.ID, actorID, expires); err != nil {
			return err
		}
		return audit(ctx, tx, p.CentreID, actorID, "person.create", &p.ID, map[string]any{"role": p.Role})
	})
	if err != nil {
		return Person{}, "", fmt.Errorf("store: create person: %w", err)
	}
	return p, code, nil
}

// ReissueInvite replaces a person's unused codes with a new one, for a
// resident who lost his paper or let it expire.
func (s *Store) ReissueInvite(ctx context.Context, centreID, personID int64, actorID *int64, expires time.Time) (string, error) {
	var code string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var linked *int64
		if err := tx.QueryRow(ctx, `SELECT telegram_id FROM people WHERE centre_id = $1 AND id = $2 AND status <> 'left'`,
			centreID, personID).Scan(&linked); err != nil {
			return notFound(err)
		}
		if linked != nil {
			return ErrAlreadyLinked
		}
		if _, err := tx.Exec(ctx, `DELETE FROM invites WHERE person_id = $1 AND used_at IS NULL`, personID); err != nil {
			return err
		}
		var err error
		if code, err = insertInvite(ctx, tx, personID, actorID, expires); err != nil {
			return err
		}
		return audit(ctx, tx, centreID, actorID, "invite.reissue", &personID, nil)
	})
	if err != nil {
		return "", fmt.Errorf("store: reissue invite: %w", err)
	}
	return code, nil
}

func insertInvite(ctx context.Context, tx pgx.Tx, personID int64, actorID *int64, expires time.Time) (string, error) {
	code, err := newInviteCode()
	if err != nil {
		return "", err
	}
	_, err = tx.Exec(ctx, `INSERT INTO invites (code_hash, person_id, created_by, expires_at)
		VALUES ($1, $2, $3, $4)`, hashCode(code), personID, actorID, expires)
	if err != nil {
		return "", fmt.Errorf("store: insert invite: %w", err)
	}
	return code, nil
}

// RedeemInvite links a Telegram account to the person the code was made for.
// It returns ErrNotFound for an unknown code, ErrInviteUsed, ErrInviteExpired,
// or ErrAlreadyLinked when this Telegram account already belongs to someone.
// The row lock makes two simultaneous redemptions of one code impossible.
// Tools and tests use it; the bot uses RedeemInviteInCentre.
func (s *Store) RedeemInvite(ctx context.Context, code string, telegramID int64, now time.Time) (Person, error) {
	return s.redeemInvite(ctx, 0, code, telegramID, now)
}

// RedeemInviteInCentre is RedeemInvite for a code typed to one centre's
// bot: a code of another centre is not found there (the same answer as a
// code that never existed), so nobody is linked through another centre's
// bot.
func (s *Store) RedeemInviteInCentre(ctx context.Context, centreID int64, code string, telegramID int64, now time.Time) (Person, error) {
	if centreID == 0 {
		return Person{}, fmt.Errorf("store: redeem invite: no centre: %w", ErrNotFound)
	}
	return s.redeemInvite(ctx, centreID, code, telegramID, now)
}

// redeemInvite redeems a code of centre centreID, or of any centre when 0.
func (s *Store) redeemInvite(ctx context.Context, centreID int64, code string, telegramID int64, now time.Time) (Person, error) {
	// After the commit, his next update reads it: the account linked now
	// and the one the person was linked to before, if any.
	var before *int64
	defer func() { s.accountsChanged(telegramID, deref(before)) }()
	var p Person
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var inviteID, personID int64
		var expires time.Time
		var used *time.Time
		err := tx.QueryRow(ctx, `SELECT i.id, i.person_id, i.expires_at, i.used_at FROM invites i
			JOIN people ON people.id = i.person_id
			WHERE i.code_hash = $2 AND ($1 = 0 OR `+reachedBy+`) FOR UPDATE OF i`,
			centreID, hashCode(code)).Scan(&inviteID, &personID, &expires, &used)
		if err != nil {
			return notFound(err)
		}
		if used != nil {
			return ErrInviteUsed
		}
		if !now.Before(expires) {
			return ErrInviteExpired
		}
		var other, centreOf int64
		if err := tx.QueryRow(ctx, `SELECT centre_id, telegram_id FROM people WHERE id = $1`, personID).Scan(&centreOf, &before); err != nil {
			return err
		}
		// Linked once per bot: the account may be someone in a centre
		// with another bot as well.
		err = tx.QueryRow(ctx, `SELECT id FROM people WHERE telegram_id = $2 AND id <> $3 AND `+reachedBy+` LIMIT 1`,
			centreOf, telegramID, personID).Scan(&other)
		switch {
		case err == nil && other != personID:
			return ErrAlreadyLinked
		case err != nil && !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE invites SET used_at = $2 WHERE id = $1`, inviteID, now); err != nil {
			return err
		}
		p, err = scanPerson(tx.QueryRow(ctx, `UPDATE people SET telegram_id = $2, unreachable = false, updated_at = now()
			WHERE id = $1 AND status <> 'left' RETURNING `+personColumns, personID, telegramID))
		if err != nil {
			return err
		}
		return audit(ctx, tx, p.CentreID, &p.ID, "invite.redeem", &p.ID, nil)
	})
	if err != nil {
		return Person{}, fmt.Errorf("store: redeem invite: %w", err)
	}
	return p, nil
}
