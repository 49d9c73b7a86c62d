package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Contribution errors.
var (
	// ErrAlreadyReversed: the entry already has its correction.
	ErrAlreadyReversed = errors.New("store: ledger entry already reversed")
	// ErrNotReversible: a correction is not itself corrected; post the
	// right entry instead.
	ErrNotReversible = errors.New("store: a correction cannot be reversed")
	// ErrBadAmount: an amount out of range reached the store (the handlers
	// refuse them first; this is the last guard).
	ErrBadAmount = errors.New("store: amount out of range")
	// ErrNotResident: money is only counted for residents.
	ErrNotResident = errors.New("store: not a resident of this centre")
)

// MaxCents is the largest payment, monthly amount or declared resources
// the store accepts: 10 000 €.
const MaxCents int64 = 1_000_000

// How the month of arrival is charged.
const (
	ArrivalProRata = "prorata" // days present / days in the month
	ArrivalFull    = "full"
	ArrivalFree    = "free"
)

// How a resident's monthly contribution is set.
const (
	BasisFixed     = "fixed"     // an amount set by staff
	BasisResources = "resources" // computed from his declared resources
)

// Ledger entry kinds.
const (
	EntryCharge     = "charge"
	EntryPayment    = "payment"
	EntryCorrection = "correction"
)

// MoneySettings is how one centre computes contributions.
type MoneySettings struct {
	CentreID int64
	// Meals: the centre serves meals, which allows a higher rate (CHRS
	// rules: up to 15 % without meals, up to 40 % with).
	Meals bool
	// RateBP is the share of resources charged, in basis points (1500 = 15 %).
	RateBP int
	// MinLeftBP is the share of resources always left to the resident, at
	// least 30 % (3000).
	MinLeftBP int
	// Arrival is how the month of arrival is charged: ArrivalProRata,
	// ArrivalFull or ArrivalFree.
	Arrival string
}

// DefaultMoneySettings: 15 % without meals, at least 30 % left, the month
// of arrival pro rata.
func DefaultMoneySettings(centreID int64) MoneySettings {
	return MoneySettings{CentreID: centreID, RateBP: 1500, MinLeftBP: 3000, Arrival: ArrivalProRata}
}

// Validate checks the settings against the rules of social accommodation.
func (ms MoneySettings) Validate() error {
	maxRate, meals := 1500, "without meals"
	if ms.Meals {
		maxRate, meals = 4000, "with meals"
	}
	switch {
	case ms.RateBP < 0 || ms.RateBP > maxRate:
		return fmt.Errorf("store: the rate must be 0–%d %% %s", maxRate/100, meals)
	case ms.MinLeftBP < 3000 || ms.MinLeftBP > 10000:
		return errors.New("store: at least 30 % of resources must be left to the resident")
	case ms.Arrival != ArrivalProRata && ms.Arrival != ArrivalFull && ms.Arrival != ArrivalFree:
		return fmt.Errorf("store: arrival month must be %s, %s or %s", ArrivalProRata, ArrivalFull, ArrivalFree)
	}
	return nil
}

// Monthly is the amount owed for a full month: the fixed amount, or the
// centre's rate of the declared resources, rounded down to the cent and
// capped so that at least MinLeftBP of the resources stay with him.
// Resources of 0 (no income) owe nothing.
func (ms MoneySettings) Monthly(c Contribution) int64 {
	if c.Basis == BasisFixed {
		return c.Cents
	}
	if c.Cents <= 0 {
		return 0
	}
	owed := c.Cents * int64(ms.RateBP) / 10000
	left := (c.Cents*int64(ms.MinLeftBP) + 9999) / 10000 // rounded up, for him
	return max(0, min(owed, c.Cents-left))
}

// ChargeFor is the charge of month (its first day) for a monthly amount and
// an arrival date (nil: arrived long ago). Pro rata counts the days from
// the arrival day to the end of the month, rounded down to the cent.
func (ms MoneySettings) ChargeFor(monthly int64, arrivedOn *time.Time, month time.Time) int64 {
	if monthly <= 0 {
		return 0
	}
	first := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
	next := first.AddDate(0, 1, 0)
	if arrivedOn == nil {
		return monthly
	}
	arrived := time.Date(arrivedOn.Year(), arrivedOn.Month(), arrivedOn.Day(), 0, 0, 0, 0, time.UTC)
	switch {
	case !arrived.After(first):
		return monthly
	case !arrived.Before(next):
		return 0 // not arrived yet
	}
	switch ms.Arrival {
	case ArrivalFull:
		return monthly
	case ArrivalFree:
		return 0
	}
	days := int64(next.Sub(first).Hours() / 24)
	present := int64(next.Sub(arrived).Hours() / 24)
	return monthly * present / days
}

// MoneySettings returns a centre's settings, the defaults when it has none.
func (s *Store) MoneySettings(ctx context.Context, centreID int64) (MoneySettings, error) {
	return moneySettings(ctx, s.pool, centreID)
}

type moneyQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const moneySettingsSQL = `SELECT meals, rate_bp, min_left_bp, arrival FROM money_settings
		WHERE centre_id = $1`

func moneySettings(ctx context.Context, q moneyQuerier, centreID int64) (MoneySettings, error) {
	return scanMoneySettings(q.QueryRow(ctx, moneySettingsSQL, centreID), centreID)
}

func scanMoneySettings(row pgx.Row, centreID int64) (MoneySettings, error) {
	ms := MoneySettings{CentreID: centreID}
	err := row.Scan(&ms.Meals, &ms.RateBP, &ms.MinLeftBP, &ms.Arrival)
	if errors.Is(err, pgx.ErrNoRows) {
		return DefaultMoneySettings(centreID), nil
	}
	if err != nil {
		return MoneySettings{}, fmt.Errorf("store: money settings: %w", err)
	}
	return ms, nil
}

// SaveMoneySettings validates and stores a centre's settings, audited.
func (s *Store) SaveMoneySettings(ctx context.Context, ms MoneySettings, actorID *int64) error {
	if err := ms.Validate(); err != nil {
		return err
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO money_settings (centre_id, meals, rate_bp, min_left_bp, arrival)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (centre_id) DO UPDATE SET meals = EXCLUDED.meals, rate_bp = EXCLUDED.rate_bp,
				min_left_bp = EXCLUDED.min_left_bp, arrival = EXCLUDED.arrival, updated_at = now()`,
			ms.CentreID, ms.Meals, ms.RateBP, ms.MinLeftBP, ms.Arrival)
		if err != nil {
			return err
		}
		return audit(ctx, tx, ms.CentreID, actorID, "money.settings", nil, map[string]any{
			"meals": ms.Meals, "rate_bp": ms.RateBP, "min_left_bp": ms.MinLeftBP, "arrival": ms.Arrival})
	})
	if err != nil {
		return fmt.Errorf("store: save money settings: %w", err)
	}
	return nil
}

// Contribution is how a resident's monthly amount is set: Cents is the
// fixed amount (BasisFixed) or his declared monthly resources
// (BasisResources; 0 means no income).
type Contribution struct {
	PersonID int64
	CentreID int64
	Basis    string
	Cents    int64
}

func validContribution(basis string, cents int64) error {
	if basis != BasisFixed && basis != BasisResources {
		return fmt.Errorf("store: contribution basis %q", basis)
	}
	if cents < 0 || cents > MaxCents {
		return ErrBadAmount
	}
	return nil
}

// SetContribution sets a resident's monthly contribution, audited. It
// returns ErrNotResident for anyone who is not a resident of the centre.
func (s *Store) SetContribution(ctx context.Context, c Contribution, actorID *int64) error {
	if err := validContribution(c.Basis, c.Cents); err != nil {
		return err
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var role Role
		err := tx.QueryRow(ctx, `SELECT role FROM people WHERE centre_id = $1 AND id = $2`,
			c.CentreID, c.PersonID).Scan(&role)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && role != RoleResident) {
			return ErrNotResident
		}
		if err != nil {
			return err
		}
		if err := upsertContribution(ctx, tx, c, actorID); err != nil {
			return err
		}
		return audit(ctx, tx, c.CentreID, actorID, "contribution.set", &c.PersonID, map[string]any{"basis": c.Basis})
	})
	if err != nil {
		return fmt.Errorf("store: set contribution: %w", err)
	}
	return nil
}

func upsertContribution(ctx context.Context, tx pgx.Tx, c Contribution, actorID *int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO contributions (person_id, centre_id, basis, cents, updated_by)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (person_id) DO UPDATE SET basis = EXCLUDED.basis, cents = EXCLUDED.cents,
			updated_by = EXCLUDED.updated_by, updated_at = now()`,
		c.PersonID, c.CentreID, c.Basis, c.Cents, actorID)
	return err
}

// moneyContribution returns a resident's contribution; ok is false when none
// is set (he owes nothing).
const contributionSQL = `SELECT basis, cents FROM contributions WHERE centre_id = $1 AND person_id = $2`

func moneyContribution(ctx context.Context, q moneyQuerier, centreID, personID int64) (c Contribution, ok bool, err error) {
	return scanContribution(q.QueryRow(ctx, contributionSQL, centreID, personID), centreID, personID)
}

func scanContribution(row pgx.Row, centreID, personID int64) (c Contribution, ok bool, err error) {
	c = Contribution{PersonID: personID, CentreID: centreID}
	err = row.Scan(&c.Basis, &c.Cents)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, false, nil
	}
	return c, err == nil, err
}

// LedgerEntry is one line of a resident's account. Cents is signed from
// his side: a charge is positive (he owes more), a payment negative.
type LedgerEntry struct {
	ID        int64
	CentreID  int64
	PersonID  int64
	Kind      string
	Cents     int64
	Month     *time.Time // charges: the month charged (its first day)
	ReceiptNo string     // payments
	Reverses  *int64     // corrections: the entry put right
	CreatedBy *int64
	At        time.Time
}

const ledgerColumns = `id, centre_id, person_id, kind, cents, month, COALESCE(receipt_no, ''), reverses, created_by, at`

func scanLedgerEntry(row pgx.Row) (LedgerEntry, error) {
	var e LedgerEntry
	err := row.Scan(&e.ID, &e.CentreID, &e.PersonID, &e.Kind, &e.Cents, &e.Month, &e.ReceiptNo,
		&e.Reverses, &e.CreatedBy, &e.At)
	return e, notFound(err)
}

// Account is a resident's contribution at a glance.
type Account struct {
	// Monthly is what a full month costs him now (0: nothing to pay).
	Monthly int64
	// Due is every charge so far, Paid every payment (positive), Balance
	// what he owes (> 0) or has in credit (< 0). Corrections count on the
	// side of the entry they reverse.
	Due, Paid, Balance int64
	// Last are his latest entries, newest first.
	Last []LedgerEntry
}

// Account returns a resident's account with his last entries. Its four
// reads (sums, the centre's settings, his contribution, the last entries)
// go to PostgreSQL as one batch: one round trip, and the settings are
// never older than the answer.
func (s *Store) Account(ctx context.Context, centreID, personID int64, last int) (Account, error) {
	var a Account
	var ms MoneySettings
	var c Contribution
	var hasContribution bool
	b := &pgx.Batch{}
	b.Queue(`SELECT
			COALESCE(SUM(e.cents) FILTER (WHERE e.kind = 'charge' OR o.kind = 'charge'), 0),
			COALESCE(-SUM(e.cents) FILTER (WHERE e.kind = 'payment' OR o.kind = 'payment'), 0),
			COALESCE(SUM(e.cents), 0)
		FROM ledger_entries e LEFT JOIN ledger_entries o ON o.id = e.reverses
		WHERE e.centre_id = $1 AND e.person_id = $2`, centreID, personID).QueryRow(func(row pgx.Row) error {
		return row.Scan(&a.Due, &a.Paid, &a.Balance)
	})
	b.Queue(moneySettingsSQL, centreID).QueryRow(func(row pgx.Row) (err error) {
		ms, err = scanMoneySettings(row, centreID)
		return err
	})
	b.Queue(contributionSQL, centreID, personID).QueryRow(func(row pgx.Row) (err error) {
		c, hasContribution, err = scanContribution(row, centreID, personID)
		return err
	})
	b.Queue(`SELECT `+ledgerColumns+` FROM ledger_entries
		WHERE centre_id = $1 AND person_id = $2 ORDER BY at DESC, id DESC LIMIT $3`, centreID, personID, last).
		Query(func(rows pgx.Rows) (err error) {
			a.Last, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (LedgerEntry, error) { return scanLedgerEntry(row) })
			return err
		})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return Account{}, fmt.Errorf("store: account: %w", err)
	}
	if hasContribution {
		a.Monthly = ms.Monthly(c)
	}
	return a, nil
}

// Entry returns one ledger entry of a centre, or ErrNotFound.
func (s *Store) EntryByID(ctx context.Context, centreID, id int64) (LedgerEntry, error) {
	e, err := scanLedgerEntry(s.pool.QueryRow(ctx, `SELECT `+ledgerColumns+` FROM ledger_entries
		WHERE centre_id = $1 AND id = $2`, centreID, id))
	if err != nil {
		return LedgerEntry{}, fmt.Errorf("store: ledger entry %d: %w", id, err)
	}
	return e, nil
}

// EntryByReceipt returns the payment with this receipt number, or
// ErrNotFound.
func (s *Store) EntryByReceipt(ctx context.Context, centreID int64, receipt string) (LedgerEntry, error) {
	e, err := scanLedgerEntry(s.pool.QueryRow(ctx, `SELECT `+ledgerColumns+` FROM ledger_entries
		WHERE centre_id = $1 AND receipt_no = $2`, centreID, receipt))
	if err != nil {
		return LedgerEntry{}, fmt.Errorf("store: receipt %s: %w", receipt, err)
	}
	return e, nil
}

// BalanceAfter is what a resident owed just after one of his entries, so a
// receipt shows the same balance whenever it is sent.
func (s *Store) BalanceAfter(ctx context.Context, centreID, personID, entryID int64) (int64, error) {
	var b int64
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(SUM(cents), 0) FROM ledger_entries
		WHERE centre_id = $1 AND person_id = $2 AND id <= $3`, centreID, personID, entryID).Scan(&b)
	if err != nil {
		return 0, fmt.Errorf("store: balance after: %w", err)
	}
	return b, nil
}

// NewPayment is a payment handed to the front desk.
type NewPayment struct {
	CentreID int64
	PersonID int64
	Cents    int64 // positive
	ActorID  *int64
	// At is when it was paid; its location decides the receipt's year
	// (pass it in Europe/Paris).
	At time.Time
}

// RecordPayment writes a payment with the next receipt number of the
// centre and year ("R-2026-000123"), an audit entry and the resident's
// receipt in the outbox, in one transaction: a payment is never without
// its receipt, nor a receipt without its payment. Numbers are gap-free: the
// counter row stays locked until commit and is rolled back with the
// payment.
func (s *Store) RecordPayment(ctx context.Context, p NewPayment) (LedgerEntry, error) {
	if p.Cents <= 0 || p.Cents > MaxCents {
		return LedgerEntry{}, ErrBadAmount
	}
	var e LedgerEntry
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var role Role
		err := tx.QueryRow(ctx, `SELECT role FROM people WHERE centre_id = $1 AND id = $2 FOR SHARE`,
			p.CentreID, p.PersonID).Scan(&role)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && role != RoleResident) {
			return ErrNotResident
		}
		if err != nil {
			return err
		}
		year := p.At.Year()
		var n int64
		if err := tx.QueryRow(ctx, `INSERT INTO receipt_counters (centre_id, year, last) VALUES ($1, $2, 1)
			ON CONFLICT (centre_id, year) DO UPDATE SET last = receipt_counters.last + 1
			RETURNING last`, p.CentreID, year).Scan(&n); err != nil {
			return err
		}
		receipt := fmt.Sprintf("R-%d-%06d", year, n)
		e, err = scanLedgerEntry(tx.QueryRow(ctx, `INSERT INTO ledger_entries
			(centre_id, person_id, kind, cents, receipt_no, created_by, at)
			VALUES ($1, $2, 'payment', $3, $4, $5, $6) RETURNING `+ledgerColumns,
			p.CentreID, p.PersonID, -p.Cents, receipt, p.ActorID, p.At))
		if err != nil {
			return err
		}
		// No amount in the audit trail's detail: the ledger row has it.
		if err := audit(ctx, tx, p.CentreID, p.ActorID, "payment.record", &p.PersonID,
			map[string]any{"entry": e.ID, "receipt": receipt}); err != nil {
			return err
		}
		_, err = s.enqueue(ctx, tx, p.At, ReceiptMessage(e))
		return err
	})
	if err != nil {
		return LedgerEntry{}, fmt.Errorf("store: record payment: %w", err)
	}
	return e, nil
}

// ReverseEntry puts a mistaken charge or payment right with a correction
// of the opposite amount; the mistaken entry stays, as on paper. A
// payment's receipt not sent yet is cancelled in the same transaction: a
// payment recorded by mistake (often for the wrong resident) must not
// reach anyone as a receipt. It returns ErrAlreadyReversed or
// ErrNotReversible, and ErrNotFound for an entry of another centre.
func (s *Store) ReverseEntry(ctx context.Context, centreID, entryID int64, actorID *int64, at time.Time) (LedgerEntry, error) {
	var c LedgerEntry
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		orig, err := scanLedgerEntry(tx.QueryRow(ctx, `SELECT `+ledgerColumns+` FROM ledger_entries
			WHERE centre_id = $1 AND id = $2 FOR UPDATE`, centreID, entryID))
		if err != nil {
			return err
		}
		if orig.Kind == EntryCorrection {
			return ErrNotReversible
		}
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ledger_entries WHERE reverses = $1)`,
			entryID).Scan(&done); err != nil {
			return err
		}
		if done {
			return ErrAlreadyReversed
		}
		c, err = scanLedgerEntry(tx.QueryRow(ctx, `INSERT INTO ledger_entries
			(centre_id, person_id, kind, cents, reverses, created_by, at)
			VALUES ($1, $2, 'correction', $3, $4, $5, $6) RETURNING `+ledgerColumns,
			centreID, orig.PersonID, -orig.Cents, orig.ID, actorID, at))
		if err != nil {
			return err
		}
		if orig.Kind == EntryPayment {
			// The key as a prefix matches this receipt only: numbers of a
			// year have six digits.
			if _, err := s.cancelOutbox(ctx, tx, centreID, ReceiptMessage(orig).Key, at); err != nil {
				return err
			}
		}
		return audit(ctx, tx, centreID, actorID, "ledger.correction", &orig.PersonID,
			map[string]any{"entry": c.ID, "reverses": orig.ID})
	})
	if err != nil {
		return LedgerEntry{}, fmt.Errorf("store: reverse entry: %w", err)
	}
	return c, nil
}

// PostMonthlyCharges posts the charges of month (its first day) for every
// resident of every centre who has not left: his monthly amount, pro rata
// (or as the centre's settings say) in his month of arrival. A resident who
// arrived during the previous month and was not charged for it then (he
// was registered after that month's run) gets that month too. It is
// idempotent: the UNIQUE key on (resident, month) makes a second run, or
// two processes at once, post nothing more. Each centre is one
// transaction, which also queues the month's statement (outbox) of every
// resident with a charge this month or an open balance: a charge is never
// posted without its statement. It returns how many charges it posted.
func (s *Store) PostMonthlyCharges(ctx context.Context, month, at time.Time) (int, error) {
	return s.postMonthlyCharges(ctx, month, at, false)
}

// CatchUpMonthlyCharges is PostMonthlyCharges for the centres whose month
// has no charge yet: the daily job that makes sure a month missed while the
// bot was down gets posted, without charging a whole month to a resident
// whose contribution was set after the month's run (his starts next month).
func (s *Store) CatchUpMonthlyCharges(ctx context.Context, month, at time.Time) (int, error) {
	return s.postMonthlyCharges(ctx, month, at, true)
}

func (s *Store) postMonthlyCharges(ctx context.Context, month, at time.Time, onlyMissed bool) (int, error) {
	month = time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
	prev := month.AddDate(0, -1, 0)
	rows, err := s.pool.Query(ctx, `SELECT id FROM centres ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("store: monthly charges: %w", err)
	}
	centres, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("store: monthly charges: %w", err)
	}
	total := 0
	for _, centreID := range centres {
		// Counted once committed: a centre whose transaction failed posted
		// nothing.
		var posted int
		err := s.inTx(ctx, func(tx pgx.Tx) error {
			if onlyMissed {
				var done bool
				if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ledger_entries
					WHERE centre_id = $1 AND kind = 'charge' AND month = $2)`, centreID, month).Scan(&done); err != nil || done {
					return err
				}
			}
			n, err := postCentreCharges(ctx, tx, centreID, month, prev, at)
			if err != nil {
				return err
			}
			posted = n
			if n > 0 {
				if err := audit(ctx, tx, centreID, nil, "ledger.charges", nil,
					map[string]any{"month": month.Format("2006-01"), "count": n}); err != nil {
					return err
				}
			}
			ids, err := statementRecipients(ctx, tx, centreID, month)
			if err != nil {
				return err
			}
			msgs := make([]OutboxMessage, len(ids))
			for i, id := range ids {
				msgs[i] = StatementMessage(centreID, id, month)
			}
			_, err = s.enqueue(ctx, tx, at, msgs...)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("store: monthly charges of centre %d: %w", centreID, err)
		}
		total += posted
	}
	return total, nil
}

func postCentreCharges(ctx context.Context, tx pgx.Tx, centreID int64, month, prev, at time.Time) (int, error) {
	ms, err := moneySettings(ctx, tx, centreID)
	if err != nil {
		return 0, err
	}
	rows, err := tx.Query(ctx, `SELECT p.id, p.arrived_on, c.basis, c.cents
		FROM people p JOIN contributions c ON c.person_id = p.id
		WHERE p.centre_id = $1 AND p.role = 'resident' AND p.status <> 'left'
		ORDER BY p.id`, centreID)
	if err != nil {
		return 0, err
	}
	type due struct {
		personID int64
		month    time.Time
		cents    int64
	}
	var charges []due
	for rows.Next() {
		var c Contribution
		var arrived *time.Time
		if err := rows.Scan(&c.PersonID, &arrived, &c.Basis, &c.Cents); err != nil {
			rows.Close()
			return 0, err
		}
		monthly := ms.Monthly(c)
		// Arrived last month after that month's run: charge it now, first,
		// so his account lists the months in order.
		if arrived != nil && arrived.Year() == prev.Year() && arrived.Month() == prev.Month() {
			if cents := ms.ChargeFor(monthly, arrived, prev); cents > 0 {
				charges = append(charges, due{c.PersonID, prev, cents})
			}
		}
		if cents := ms.ChargeFor(monthly, arrived, month); cents > 0 {
			charges = append(charges, due{c.PersonID, month, cents})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, d := range charges {
		tag, err := tx.Exec(ctx, `INSERT INTO ledger_entries (centre_id, person_id, kind, cents, month, at)
			VALUES ($1, $2, 'charge', $3, $4, $5)
			ON CONFLICT (person_id, month) WHERE kind = 'charge' DO NOTHING`,
			centreID, d.personID, d.cents, d.month, at)
		if err != nil {
			return 0, err
		}
		n += int(tag.RowsAffected())
	}
	return n, nil
}

// statementRecipients are the residents who have something to read in a
// monthly statement: a charge for the month, or an open balance.
func statementRecipients(ctx context.Context, tx pgx.Tx, centreID int64, month time.Time) ([]int64, error) {
	rows, err := tx.Query(ctx, `SELECT p.id FROM people p
		WHERE p.centre_id = $1 AND p.role = 'resident' AND p.status <> 'left' AND (
			EXISTS (SELECT 1 FROM ledger_entries e WHERE e.person_id = p.id AND e.kind = 'charge' AND e.month = $2)
			OR (SELECT COALESCE(SUM(e.cents), 0) FROM ledger_entries e WHERE e.person_id = p.id) <> 0)
		ORDER BY p.id`, centreID, month)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// MonthlyStatement is what a resident's monthly statement says.
type MonthlyStatement struct {
	Charge  int64 // charged for the month (0: nothing)
	Balance int64 // owed now (> 0) or in credit (< 0)
}

// MonthStatement returns the charge of a month and the resident's balance.
func (s *Store) MonthStatement(ctx context.Context, centreID, personID int64, month time.Time) (MonthlyStatement, error) {
	month = time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
	var st MonthlyStatement
	err := s.pool.QueryRow(ctx, `SELECT
			COALESCE(SUM(cents) FILTER (WHERE kind = 'charge' AND month = $3), 0),
			COALESCE(SUM(cents), 0)
		FROM ledger_entries WHERE centre_id = $1 AND person_id = $2`, centreID, personID, month).
		Scan(&st.Charge, &st.Balance)
	if err != nil {
		return MonthlyStatement{}, fmt.Errorf("store: statement: %w", err)
	}
	return st, nil
}

// Arrear is a resident who owes money.
type Arrear struct {
	PersonID    int64
	DisplayName string
	Room        string
	Status      string
	Cents       int64 // owed, > 0
}

// Arrears lists a centre's residents who owe money, largest debt first,
// including those who left without settling.
func (s *Store) Arrears(ctx context.Context, centreID int64) ([]Arrear, error) {
	rows, err := s.pool.Query(ctx, `SELECT p.id, p.display_name, p.room, p.status, SUM(e.cents)
		FROM ledger_entries e JOIN people p ON p.id = e.person_id
		WHERE e.centre_id = $1
		GROUP BY p.id, p.display_name, p.room, p.status
		HAVING SUM(e.cents) > 0
		ORDER BY SUM(e.cents) DESC, p.display_name, p.id`, centreID)
	if err != nil {
		return nil, fmt.Errorf("store: arrears: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Arrear, error) {
		var a Arrear
		err := row.Scan(&a.PersonID, &a.DisplayName, &a.Room, &a.Status, &a.Cents)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: arrears: %w", err)
	}
	return out, nil
}

// Outbox kinds of the money messages (handlers.outboxKinds renders them).
const (
	KindReceipt   = "receipt"
	KindStatement = "statement"
)

// ReceiptMessage is the receipt of a payment, to the resident who paid.
// The key is the receipt number, unique per centre, so a receipt is queued
// once whoever queues it; the text is rendered from the ledger when sent.
func ReceiptMessage(e LedgerEntry) OutboxMessage {
	return OutboxMessage{
		CentreID: e.CentreID, PersonID: e.PersonID, Kind: KindReceipt,
		Key:  "receipt:" + e.ReceiptNo,
		Args: map[string]string{"receipt": e.ReceiptNo},
		// He is at the desk, waiting for it: before any batch.
		Priority: 1,
	}
}

// StatementMessage is a resident's statement for month, once per resident
// and month. The amounts are read when it is sent.
func StatementMessage(centreID, personID int64, month time.Time) OutboxMessage {
	m := month.Format("2006-01")
	return OutboxMessage{
		CentreID: centreID, PersonID: personID, Kind: KindStatement,
		Key:  fmt.Sprintf("statement:%d:%s", personID, m),
		Args: map[string]string{"month": m},
		// A batch of a whole centre: receipts and reminders go first.
		Priority: 3,
	}
}
