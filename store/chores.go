package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/aurore/cairbot/rota"
)

// Chore turn states.
const (
	ChorePending = "pending"
	ChoreDone    = "done"
	ChoreMissed  = "missed"
)

// Chore swap states: asked (waiting for the other resident), accepted
// (waiting for staff), then declined, approved, refused, or cancelled when
// the turn changed meanwhile.
const (
	SwapAsked     = "asked"
	SwapAccepted  = "accepted"
	SwapDeclined  = "declined"
	SwapApproved  = "approved"
	SwapRefused   = "refused"
	SwapCancelled = "cancelled"
)

// Chore errors. A handler shows ErrChoreStale as "this button is not valid
// any more": the turn or swap changed since the button was drawn.
var (
	ErrChoreStale    = errors.New("store: chore turn or swap changed meanwhile")
	ErrChoreDayTaken = errors.New("store: the area already has a turn that day")
	ErrSwapOpen      = errors.New("store: a swap of this turn is already asked")
)

// ChoreWeekNotice is the message id of the Monday message listing a
// resident's turns.
const ChoreWeekNotice = "chores.week_notice"

// ChoreArea is a common area cleaned in turns.
type ChoreArea struct {
	ID         int64
	CentreID   int64
	ExternalID string
	Name       string
	// Labels are optional translations of Name, by language tag.
	Labels map[string]string
	// Days are ISO weekdays, 1 = Monday … 7 = Sunday.
	Days []int
	// Start and End are the window in minutes after midnight, on the
	// centre's wall clock.
	Start, End int
	Active     bool
}

// ChoreTurn is one area on one day, given to one resident.
type ChoreTurn struct {
	ID       int64
	CentreID int64
	AreaID   int64
	PersonID int64
	// Day and Week (its Monday) are calendar dates at midnight UTC.
	Day, Week        time.Time
	StartsAt, EndsAt time.Time
	State            string
	// Plan counts the times the turn changed person or time: its reminders'
	// keys carry it, so a turn moved back where it was is reminded again.
	Plan       int
	AreaName   string
	AreaLabels map[string]string
	PersonName string
	PersonRoom string
}

// Area is the area's name in a language: its label there, else its name.
func (t ChoreTurn) Area(lang string) string {
	if l := t.AreaLabels[lang]; l != "" {
		return l
	}
	return t.AreaName
}

// ChoreSwap is a resident's request to give a turn to another resident.
type ChoreSwap struct {
	ID       int64
	CentreID int64
	TurnID   int64
	FromID   int64
	ToID     int64
	State    string
}

// Outbox kinds of the chores messages, rendered by the handlers in the
// recipient's language when they leave (docs/RELIABILITY.md says what each
// does after a crash).
const (
	KindChoreWeek      = "chores.week"       // the Monday message: a resident's turns of the week
	KindChoreReminder  = "chores.reminder"   // the evening before and the morning of a turn
	KindChoreOverdue   = "chores.overdue"    // to staff: a turn not marked done by its end
	KindChoreSwapAsk   = "chores.swap_ask"   // to a resident: will you take this turn? yes / no
	KindChoreSwapStaff = "chores.swap_staff" // to staff: approve this swap? yes / no
	KindChoreNotice    = "chores.notice"     // a turn given, moved or missed; a swap answered or decided
)

// A turn's reminders: the evening before and the morning of the turn to
// the resident, and at its end the report to staff if it is not done.
const (
	ChoreEve     = "eve"
	ChoreMorning = "morning"
	ChoreOverdue = "overdue"
)

// Reminder times on the centre's wall clock.
const (
	ChoreEveHour     = 19 // the evening before a turn
	ChoreMorningHour = 8  // the morning of a turn, or one hour before it if earlier
)

// ChoreReminderTimes are when a turn's reminders are due, on the centre's
// wall clock whatever the clock change: 19:00 the evening before, 08:00 on
// the day (or one hour before a turn starting before 09:00), and the end of
// the turn for the report to staff.
func ChoreReminderTimes(t ChoreTurn, tz *time.Location) (eve, morning, overdue time.Time) {
	d := t.Day
	eve = time.Date(d.Year(), d.Month(), d.Day()-1, ChoreEveHour, 0, 0, 0, tz)
	morning = time.Date(d.Year(), d.Month(), d.Day(), ChoreMorningHour, 0, 0, 0, tz)
	if early := t.StartsAt.Add(-time.Hour); early.Before(morning) {
		morning = early
	}
	return eve, morning, t.EndsAt
}

// ChoreReminderAt is when one reminder of a turn is due; ok is false for
// a reminder that does not exist.
func ChoreReminderAt(t ChoreTurn, what string, tz *time.Location) (at time.Time, ok bool) {
	eve, morning, overdue := ChoreReminderTimes(t, tz)
	switch what {
	case ChoreEve:
		return eve, true
	case ChoreMorning:
		return morning, true
	case ChoreOverdue:
		return overdue, true
	}
	return time.Time{}, false
}

func choreID(id int64) string { return strconv.FormatInt(id, 10) }

// choreReminderPrefix starts the keys of every reminder of a turn, whatever
// its plan: what a change of the turn cancels. The report to staff, shared
// by the turns ending at the same time, is not among them; its rows of the
// old per-turn format are, and go with the turn's reminders.
func choreReminderPrefix(turnID int64) string { return "chores:turn:" + choreID(turnID) + ":" }

// choreReminderRow is the outbox row of a resident's reminder of a
// turn (eve or morning), due at `at`. The key carries the plan and the
// time, so a turn planned again gets a row of its own
// ("chores:turn:42:p1:eve:1764698400").
func choreReminderRow(t ChoreTurn, what string, at time.Time) OutboxMessage {
	return OutboxMessage{CentreID: t.CentreID, PersonID: t.PersonID, Kind: KindChoreReminder,
		Key:   fmt.Sprintf("%sp%d:%s:%d", choreReminderPrefix(t.ID), t.Plan, what, at.Unix()),
		MsgID: choreReminderMessage(what), Args: map[string]string{"turn": choreID(t.ID), "plan": strconv.Itoa(t.Plan), "what": what},
		NotBefore: at}
}

// ChoreOverdueDigest is the message id of the report to staff of the turns
// not marked done by their end.
const ChoreOverdueDigest = "chores.overdue.title"

// choreOverdueMessages are the reports to staff of the turns of a centre
// ending at `end`: one row per staff member and end time, whatever the
// number of turns ending then ("chores:overdue:3:1764774000:7"). Every turn
// planned to end then queues the same keys, so the first writes the rows
// and the others find them (enqueue skips a key queued before). The rows
// carry no turn: their renderer lists the turns still pending that end at
// `end` when they leave, so a turn moved, marked or removed meanwhile
// changes the list, and never cancels the row, which the other turns share.
func choreOverdueMessages(centreID int64, end time.Time, staff []int64) []OutboxMessage {
	at := strconv.FormatInt(end.Unix(), 10)
	out := make([]OutboxMessage, 0, len(staff))
	for _, p := range staff {
		out = append(out, OutboxMessage{CentreID: centreID, PersonID: p, Kind: KindChoreOverdue,
			Key:   "chores:overdue:" + choreID(centreID) + ":" + at + ":" + choreID(p),
			MsgID: ChoreOverdueDigest, Args: map[string]string{"end": at}, NotBefore: end})
	}
	return out
}

// choreOldOverdueQueued reports whether the report of a turn's end was
// queued (or sent) under the key of one row per turn and staff member
// ("chores:turn:42:p0:overdue:1764774000:7", before the digest, and
// carried over from chore_sends by migration 00009): that turn is reported
// already.
func choreOldOverdueQueued(ctx context.Context, tx pgx.Tx, t ChoreTurn, end time.Time) (bool, error) {
	prefix := fmt.Sprintf("%sp%d:%s:%d:", choreReminderPrefix(t.ID), t.Plan, ChoreOverdue, end.Unix())
	var queued bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM outbox WHERE centre_id = $1 AND dedupe_key LIKE $2)`,
		t.CentreID, keyPrefixPattern(prefix)).Scan(&queued)
	return queued, err
}

// planChoreReminders queues in tx the reminders of a turn still to come.
// An evening or morning reminder whose time has passed is left out (it
// would come at a strange hour); the report to staff always comes, to each
// of staff (nil when the caller queues it, once per end time, itself).
func (s *Store) planChoreReminders(ctx context.Context, tx pgx.Tx, t ChoreTurn, staff []int64, now time.Time, tz *time.Location) error {
	eve, morning, overdue := ChoreReminderTimes(t, tz)
	var msgs []OutboxMessage
	if eve.After(now) {
		msgs = append(msgs, choreReminderRow(t, ChoreEve, eve))
	}
	if morning.After(now) {
		msgs = append(msgs, choreReminderRow(t, ChoreMorning, morning))
	}
	msgs = append(msgs, choreOverdueMessages(t.CentreID, overdue, staff)...)
	_, err := s.enqueue(ctx, tx, now, msgs...)
	return err
}

// replanChoreTurn follows a turn that changed person or time: its pending
// reminders are cancelled, its plan moves on (t.Plan is updated), and its
// reminders are queued again for the new person and time.
func (s *Store) replanChoreTurn(ctx context.Context, tx pgx.Tx, t *ChoreTurn, staff []int64, now time.Time, tz *time.Location) error {
	if _, err := s.cancelOutbox(ctx, tx, t.CentreID, choreReminderPrefix(t.ID), now); err != nil {
		return err
	}
	if err := tx.QueryRow(ctx, `UPDATE chore_turns SET plan = plan + 1 WHERE id = $1 RETURNING plan`, t.ID).Scan(&t.Plan); err != nil {
		return err
	}
	return s.planChoreReminders(ctx, tx, *t, staff, now, tz)
}

// choreMessage is a message about a turn, and the swap it is about if
// any, to one person, sent at once.
func choreMessage(kind string, centreID, personID int64, msgID string, turnID, swapID int64, key string) OutboxMessage {
	args := map[string]string{"turn": choreID(turnID)}
	if swapID != 0 {
		args["swap"] = choreID(swapID)
	}
	return OutboxMessage{CentreID: centreID, PersonID: personID, Kind: kind, Key: key, MsgID: msgID, Args: args}
}

// choreSwapKey is the key of a message about a swap: "chores:swap:7:ask",
// "chores:swap:7:staff:3".
func choreSwapKey(swapID int64, what string) string {
	return "chores:swap:" + choreID(swapID) + ":" + what
}

// ChoreWeekMessage is the Monday message of one resident for a week (its
// Monday), queued once: "chores:week:2026-11-30:12". Its turns are read
// when it leaves.
func ChoreWeekMessage(centreID, personID int64, week time.Time) OutboxMessage {
	w := week.Format(time.DateOnly)
	return OutboxMessage{CentreID: centreID, PersonID: personID, Kind: KindChoreWeek,
		Key: "chores:week:" + w + ":" + choreID(personID), MsgID: ChoreWeekNotice,
		Args: map[string]string{"week": w}, Priority: 2}
}

// QueueChoreReminder writes the outbox rows of one reminder of a turn due
// at `at` (Unix seconds), with the keys the turn's planning gives them, if
// the turn is still pending and the reminder still due then; a reminder
// queued before is not queued twice. It returns how many rows it wrote. It
// serves the reminder jobs queued before the outbox existed.
func (s *Store) QueueChoreReminder(ctx context.Context, centreID, turnID int64, what string, at int64, now time.Time, tz *time.Location) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		t, err := lockChoreTurn(ctx, tx, centreID, turnID)
		if errors.Is(err, ErrNotFound) {
			return nil // removed by a regeneration
		}
		if err != nil {
			return err
		}
		due, ok := ChoreReminderAt(t, what, tz)
		if !ok || due.Unix() != at || t.State != ChorePending {
			return nil // moved since (its own rows remind), or no longer to do
		}
		if what != ChoreOverdue {
			n, err = s.enqueue(ctx, tx, now, choreReminderRow(t, what, due))
			return err
		}
		if old, err := choreOldOverdueQueued(ctx, tx, t, due); err != nil || old {
			return err
		}
		staff, err := choreStaffIDs(ctx, tx, centreID)
		if err != nil {
			return err
		}
		n, err = s.enqueue(ctx, tx, now, choreOverdueMessages(centreID, due, staff)...)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: queue chore reminder: %w", err)
	}
	return n, nil
}

// choreDB is what both the pool and a transaction offer.
type choreDB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// choreTurnColumns and choreTurnFrom read a turn as scanChoreTurn scans it;
// choreTurnSelect is the two together.
const (
	choreTurnColumns = `t.id, t.centre_id, t.area_id, t.person_id, t.on_date, t.week_start,
	t.starts_at, t.ends_at, t.state, t.plan, a.name, a.labels, p.display_name, p.room`
	choreTurnFrom   = `FROM chore_turns t JOIN chore_areas a ON a.id = t.area_id JOIN people p ON p.id = t.person_id`
	choreTurnSelect = `SELECT ` + choreTurnColumns + ` ` + choreTurnFrom
)

// scanChoreTurn scans choreTurnColumns, then any columns selected after
// them into extra.
func scanChoreTurn(row pgx.Row, extra ...any) (ChoreTurn, error) {
	var t ChoreTurn
	err := row.Scan(append([]any{&t.ID, &t.CentreID, &t.AreaID, &t.PersonID, &t.Day, &t.Week, &t.StartsAt, &t.EndsAt,
		&t.State, &t.Plan, &t.AreaName, &t.AreaLabels, &t.PersonName, &t.PersonRoom}, extra...)...)
	return t, notFound(err)
}

func queryChoreTurns(ctx context.Context, db choreDB, where string, args ...any) ([]ChoreTurn, error) {
	rows, err := db.Query(ctx, choreTurnSelect+" WHERE "+where+" ORDER BY t.starts_at, t.area_id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ChoreTurn
	for rows.Next() {
		t, err := scanChoreTurn(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ChoreTurn returns one turn of a centre, or ErrNotFound.
func (s *Store) ChoreTurn(ctx context.Context, centreID, turnID int64) (ChoreTurn, error) {
	t, err := scanChoreTurn(s.pool.QueryRow(ctx, choreTurnSelect+` WHERE t.centre_id = $1 AND t.id = $2`, centreID, turnID))
	if err != nil {
		return ChoreTurn{}, fmt.Errorf("store: chore turn %d: %w", turnID, err)
	}
	return t, nil
}

// ChoreTurnsEndingAt returns up to limit turns of a centre still pending
// that end at `end`, in time order, and how many there are in all: what
// the report to staff of that end time lists when it leaves.
func (s *Store) ChoreTurnsEndingAt(ctx context.Context, centreID int64, end time.Time, limit int) ([]ChoreTurn, int, error) {
	// The count comes with the rows (count(*) OVER ()), so a long list
	// costs one query and only its first rows.
	rows, err := s.pool.Query(ctx, `SELECT `+choreTurnColumns+`, count(*) OVER () `+choreTurnFrom+`
		WHERE t.centre_id = $1 AND t.ends_at = $2 AND t.state = 'pending'
		ORDER BY t.starts_at, t.area_id, t.id LIMIT $3`, centreID, end, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("store: chore turns ending at %s: %w", end.Format(time.RFC3339), err)
	}
	defer rows.Close()
	var out []ChoreTurn
	total := 0
	for rows.Next() {
		t, err := scanChoreTurn(rows, &total)
		if err != nil {
			return nil, 0, fmt.Errorf("store: chore turns ending at: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store: chore turns ending at: %w", err)
	}
	return out, total, nil
}

// PersonChoreTurns returns a resident's turns starting in [from, to), in
// time order.
func (s *Store) PersonChoreTurns(ctx context.Context, centreID, personID int64, from, to time.Time) ([]ChoreTurn, error) {
	out, err := queryChoreTurns(ctx, s.pool, `t.centre_id = $1 AND t.person_id = $2 AND t.starts_at >= $3 AND t.starts_at < $4`,
		centreID, personID, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: person chore turns: %w", err)
	}
	return out, nil
}

// ChoreWeekTurns returns every turn of a centre's week (its Monday), in
// time order.
func (s *Store) ChoreWeekTurns(ctx context.Context, centreID int64, week time.Time) ([]ChoreTurn, error) {
	out, err := queryChoreTurns(ctx, s.pool, `t.centre_id = $1 AND t.week_start = $2`, centreID, week)
	if err != nil {
		return nil, fmt.Errorf("store: chore week: %w", err)
	}
	return out, nil
}

// ChoreCentres lists the centres that have active areas: the work of the
// Monday job.
func (s *Store) ChoreCentres(ctx context.Context) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT centre_id FROM chore_areas WHERE active ORDER BY centre_id`)
	if err != nil {
		return nil, fmt.Errorf("store: chore centres: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("store: chore centres: %w", err)
	}
	return ids, nil
}

// ChoreMembers lists the residents of the rota who can take a turn now
// (active, not away), by room then name; linkedOnly keeps those signed up
// on Telegram, who can answer a swap request.
func (s *Store) ChoreMembers(ctx context.Context, centreID int64, linkedOnly bool) ([]Person, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+choreQualified("p.", personColumns)+` FROM chore_members m
		JOIN people p ON p.id = m.person_id
		WHERE m.centre_id = $1 AND m.active AND p.role = 'resident' AND p.status = 'active'
		  AND (NOT $2 OR (p.telegram_id IS NOT NULL AND NOT p.unreachable))
		ORDER BY p.room, p.display_name, p.id`, centreID, linkedOnly)
	if err != nil {
		return nil, fmt.Errorf("store: chore members: %w", err)
	}
	defer rows.Close()
	var out []Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, fmt.Errorf("store: chore members: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// choreQualified qualifies a column list with a table alias.
func choreQualified(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = alias + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// choreStaff lists the centre's staff who can be reached on Telegram, for
// swap requests and reports of turns not done.
func choreStaff(ctx context.Context, db choreDB, centreID int64) ([]Person, error) {
	rows, err := db.Query(ctx, `SELECT `+personColumns+` FROM people
		WHERE centre_id = $1 AND role IN ('staff', 'coordinator', 'admin') AND status = 'active'
		  AND telegram_id IS NOT NULL AND NOT unreachable ORDER BY id`, centreID)
	if err != nil {
		return nil, fmt.Errorf("store: chore staff: %w", err)
	}
	defer rows.Close()
	var out []Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, fmt.Errorf("store: chore staff: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// choreStaffIDs are the staff told of a turn not done.
func choreStaffIDs(ctx context.Context, db choreDB, centreID int64) ([]int64, error) {
	staff, err := choreStaff(ctx, db, centreID)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(staff))
	for i, p := range staff {
		ids[i] = p.ID
	}
	return ids, nil
}

// MarkChoreTurn sets a pending turn done or missed. A resident (asStaff
// false) may only mark his own turn done; staff may mark any turn of their
// centre, with an audit entry, and a missed turn is told to the resident.
// The turn's reminders still to come are cancelled. It returns ErrNotFound
// for a turn that is not his (or not of the centre), ErrChoreStale when
// the turn is no longer pending.
func (s *Store) MarkChoreTurn(ctx context.Context, centreID, turnID, actorID int64, state string, asStaff bool, now time.Time) (ChoreTurn, error) {
	if state != ChoreDone && state != ChoreMissed || (!asStaff && state != ChoreDone) {
		return ChoreTurn{}, fmt.Errorf("store: mark chore turn: bad state %q", state)
	}
	var t ChoreTurn
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		cur, err := lockChoreTurn(ctx, tx, centreID, turnID)
		if err != nil {
			return err
		}
		if !asStaff && cur.PersonID != actorID {
			return ErrNotFound
		}
		if cur.State != ChorePending {
			return ErrChoreStale
		}
		if _, err := tx.Exec(ctx, `UPDATE chore_turns SET state = $2, marked_at = $3, marked_by = $4, updated_at = now()
			WHERE id = $1`, turnID, state, now, actorID); err != nil {
			return err
		}
		if err := cancelChoreSwaps(ctx, tx, turnID); err != nil {
			return err
		}
		if _, err := s.cancelOutbox(ctx, tx, centreID, choreReminderPrefix(turnID), now); err != nil {
			return err
		}
		cur.State = state
		t = cur
		if !asStaff {
			return nil
		}
		if state == ChoreMissed {
			msg := choreMessage(KindChoreNotice, centreID, cur.PersonID, "chores.missed_notice", turnID, 0, "chores:missed:"+choreID(turnID))
			if _, err := s.enqueue(ctx, tx, now, msg); err != nil {
				return err
			}
		}
		return audit(ctx, tx, centreID, &actorID, "chores.turn."+state, &cur.PersonID, map[string]any{"turn": turnID})
	})
	if err != nil {
		return ChoreTurn{}, fmt.Errorf("store: mark chore turn: %w", err)
	}
	return t, nil
}

func lockChoreTurn(ctx context.Context, tx pgx.Tx, centreID, turnID int64) (ChoreTurn, error) {
	return scanChoreTurn(tx.QueryRow(ctx, choreTurnSelect+` WHERE t.centre_id = $1 AND t.id = $2 FOR UPDATE OF t`, centreID, turnID))
}

// cancelChoreSwaps closes the open requests on a turn that just changed.
func cancelChoreSwaps(ctx context.Context, tx pgx.Tx, turnID int64) error {
	_, err := tx.Exec(ctx, `UPDATE chore_swaps SET state = 'cancelled', updated_at = now()
		WHERE turn_id = $1 AND state IN ('asked', 'accepted')`, turnID)
	return err
}

// ChoreSwap returns one swap request of a centre, or ErrNotFound.
func (s *Store) ChoreSwap(ctx context.Context, centreID, swapID int64) (ChoreSwap, error) {
	sw, err := scanChoreSwap(s.pool.QueryRow(ctx, `SELECT id, centre_id, turn_id, from_person, to_person, state
		FROM chore_swaps WHERE centre_id = $1 AND id = $2`, centreID, swapID))
	if err != nil {
		return ChoreSwap{}, fmt.Errorf("store: chore swap %d: %w", swapID, err)
	}
	return sw, nil
}

func scanChoreSwap(row pgx.Row) (ChoreSwap, error) {
	var sw ChoreSwap
	err := row.Scan(&sw.ID, &sw.CentreID, &sw.TurnID, &sw.FromID, &sw.ToID, &sw.State)
	return sw, notFound(err)
}

// choreSwappable checks that a turn can still change hands: pending, not
// started, and still the giver's.
func choreSwappable(t ChoreTurn, fromID int64, now time.Time) bool {
	return t.State == ChorePending && t.PersonID == fromID && t.StartsAt.After(now)
}

// RequestChoreSwap records that a resident asks another to take one of his
// turns, and queues the question to the other. It returns ErrChoreStale
// when the turn is not his pending future turn or the other cannot take
// it, ErrSwapOpen when a request for this turn is already open.
func (s *Store) RequestChoreSwap(ctx context.Context, centreID, turnID, fromID, toID int64, now time.Time) (ChoreSwap, error) {
	var sw ChoreSwap
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		t, err := lockChoreTurn(ctx, tx, centreID, turnID)
		if err != nil {
			return err
		}
		if !choreSwappable(t, fromID, now) || fromID == toID {
			return ErrChoreStale
		}
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM chore_members m JOIN people p ON p.id = m.person_id
			WHERE m.centre_id = $1 AND m.person_id = $2 AND m.active AND p.role = 'resident'
			  AND p.status = 'active' AND p.telegram_id IS NOT NULL)`, centreID, toID).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			return ErrChoreStale
		}
		sw, err = scanChoreSwap(tx.QueryRow(ctx, `INSERT INTO chore_swaps (centre_id, turn_id, from_person, to_person)
			VALUES ($1, $2, $3, $4) RETURNING id, centre_id, turn_id, from_person, to_person, state`,
			centreID, turnID, fromID, toID))
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return ErrSwapOpen
		}
		if err != nil {
			return err
		}
		_, err = s.enqueue(ctx, tx, now, choreMessage(KindChoreSwapAsk, centreID, toID, "chores.swap.ask", turnID, sw.ID, choreSwapKey(sw.ID, "ask")))
		return err
	})
	if err != nil {
		return ChoreSwap{}, fmt.Errorf("store: request chore swap: %w", err)
	}
	return sw, nil
}

// lockChoreSwap locks a swap in the wanted state whose turn can still
// change hands; anything else is ErrChoreStale (ErrNotFound for another
// centre's swap).
func lockChoreSwap(ctx context.Context, tx pgx.Tx, centreID, swapID int64, state string, now time.Time) (ChoreSwap, ChoreTurn, error) {
	sw, err := scanChoreSwap(tx.QueryRow(ctx, `SELECT id, centre_id, turn_id, from_person, to_person, state
		FROM chore_swaps WHERE centre_id = $1 AND id = $2 FOR UPDATE`, centreID, swapID))
	if err != nil {
		return sw, ChoreTurn{}, err
	}
	t, err := lockChoreTurn(ctx, tx, centreID, sw.TurnID)
	if err != nil {
		return sw, t, err
	}
	if sw.State != state || !choreSwappable(t, sw.FromID, now) {
		return sw, t, ErrChoreStale
	}
	return sw, t, nil
}

// AnswerChoreSwap records the other resident's answer. Accepted, the
// request goes to every reachable staff member of the centre and the asker
// is told; declined, the asker is told. Only the asked resident may answer
// (ErrNotFound otherwise), once (ErrChoreStale).
func (s *Store) AnswerChoreSwap(ctx context.Context, centreID, swapID, personID int64, accept bool, now time.Time) (ChoreSwap, error) {
	var sw ChoreSwap
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		sw, _, err = lockChoreSwap(ctx, tx, centreID, swapID, SwapAsked, now)
		if errors.Is(err, ErrChoreStale) && sw.ToID != personID {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if sw.ToID != personID {
			return ErrNotFound
		}
		sw.State = SwapDeclined
		if accept {
			sw.State = SwapAccepted
		}
		if _, err := tx.Exec(ctx, `UPDATE chore_swaps SET state = $2, updated_at = now() WHERE id = $1`, swapID, sw.State); err != nil {
			return err
		}
		if !accept {
			_, err := s.enqueue(ctx, tx, now, choreMessage(KindChoreNotice, centreID, sw.FromID, "chores.swap.declined",
				sw.TurnID, sw.ID, choreSwapKey(sw.ID, "declined")))
			return err
		}
		msgs := []OutboxMessage{choreMessage(KindChoreNotice, centreID, sw.FromID, "chores.swap.accepted_asker",
			sw.TurnID, sw.ID, choreSwapKey(sw.ID, "accepted"))}
		staff, err := choreStaffIDs(ctx, tx, centreID)
		if err != nil {
			return err
		}
		for _, p := range staff {
			msgs = append(msgs, choreMessage(KindChoreSwapStaff, centreID, p, "chores.swap.staff_request",
				sw.TurnID, sw.ID, choreSwapKey(sw.ID, "staff:"+choreID(p))))
		}
		_, err = s.enqueue(ctx, tx, now, msgs...)
		return err
	})
	if err != nil {
		return ChoreSwap{}, fmt.Errorf("store: answer chore swap: %w", err)
	}
	return sw, nil
}

// DecideChoreSwap is the staff's decision on an accepted swap. Approved,
// the turn changes hands and its reminders go to the new resident (on tz's
// wall clock); either way both residents are told and the decision is
// audited. A swap already decided, or whose turn changed, is ErrChoreStale.
func (s *Store) DecideChoreSwap(ctx context.Context, centreID, swapID, staffID int64, approve bool, now time.Time, tz *time.Location) (ChoreSwap, error) {
	var sw ChoreSwap
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		var t ChoreTurn
		sw, t, err = lockChoreSwap(ctx, tx, centreID, swapID, SwapAccepted, now)
		if err != nil {
			return err
		}
		sw.State = SwapRefused
		if approve {
			sw.State = SwapApproved
		}
		if _, err := tx.Exec(ctx, `UPDATE chore_swaps SET state = $2, decided_by = $3, updated_at = now() WHERE id = $1`,
			swapID, sw.State, staffID); err != nil {
			return err
		}
		fromMsg, toMsg, what, action := "chores.swap.refused", "chores.swap.refused", "refused", "chores.swap.refuse"
		if approve {
			if _, err := tx.Exec(ctx, `UPDATE chore_turns SET person_id = $2, updated_at = now() WHERE id = $1`, sw.TurnID, sw.ToID); err != nil {
				return err
			}
			t.PersonID = sw.ToID
			staff, err := choreStaffIDs(ctx, tx, centreID)
			if err != nil {
				return err
			}
			if err := s.replanChoreTurn(ctx, tx, &t, staff, now, tz); err != nil {
				return err
			}
			fromMsg, toMsg, what, action = "chores.swap.approved_from", "chores.swap.approved_to", "approved", "chores.swap.approve"
		}
		if _, err := s.enqueue(ctx, tx, now,
			choreMessage(KindChoreNotice, centreID, sw.FromID, fromMsg, sw.TurnID, sw.ID, choreSwapKey(sw.ID, what+":from")),
			choreMessage(KindChoreNotice, centreID, sw.ToID, toMsg, sw.TurnID, sw.ID, choreSwapKey(sw.ID, what+":to")),
		); err != nil {
			return err
		}
		return audit(ctx, tx, centreID, &staffID, action, &sw.FromID,
			map[string]any{"swap": sw.ID, "turn": sw.TurnID, "to": sw.ToID})
	})
	if err != nil {
		return ChoreSwap{}, fmt.Errorf("store: decide chore swap: %w", err)
	}
	return sw, nil
}

// ChoreMove is where staff move a turn: to another resident (PersonID) or
// to another day of the same week (Day, same hours). Exactly one is set.
type ChoreMove struct {
	PersonID int64
	Day      time.Time
}

// MoveChoreTurn moves a pending turn that has not started, with an audit
// entry; the residents concerned are told, and the turn's reminders are
// replaced by ones for its new person or day. ErrChoreStale: the turn
// started, was marked, or the move changes nothing or goes to the past or
// out of its week; ErrChoreDayTaken: the area already has a turn that day.
func (s *Store) MoveChoreTurn(ctx context.Context, centreID, turnID, actorID int64, mv ChoreMove, now time.Time, loc *time.Location) (ChoreTurn, error) {
	var t ChoreTurn
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		t, err = lockChoreTurn(ctx, tx, centreID, turnID)
		if err != nil {
			return err
		}
		if t.State != ChorePending || !t.StartsAt.After(now) {
			return ErrChoreStale
		}
		old := t.PersonID
		staff, err := choreStaffIDs(ctx, tx, centreID)
		if err != nil {
			return err
		}
		// The notices' keys carry the turn's new plan: each move is told.
		moveKey := func(what string) string {
			return fmt.Sprintf("chores:move:%d:p%d:%s", turnID, t.Plan, what)
		}
		if mv.PersonID != 0 {
			if mv.PersonID == t.PersonID {
				return ErrChoreStale
			}
			if err := tx.QueryRow(ctx, `SELECT p.display_name, p.room FROM chore_members m JOIN people p ON p.id = m.person_id
				WHERE m.centre_id = $1 AND m.person_id = $2 AND m.active AND p.role = 'resident' AND p.status = 'active'`,
				centreID, mv.PersonID).Scan(&t.PersonName, &t.PersonRoom); err != nil {
				if errors.Is(err, pgx.ErrNoRows) {
					return ErrChoreStale
				}
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE chore_turns SET person_id = $2, updated_at = now() WHERE id = $1`, turnID, mv.PersonID); err != nil {
				return err
			}
			t.PersonID = mv.PersonID
			if err := cancelChoreSwaps(ctx, tx, turnID); err != nil {
				return err
			}
			if err := s.replanChoreTurn(ctx, tx, &t, staff, now, loc); err != nil {
				return err
			}
			if _, err := s.enqueue(ctx, tx, now,
				choreMessage(KindChoreNotice, centreID, old, "chores.rota.moved_notice_from", turnID, 0, moveKey("from")),
				choreMessage(KindChoreNotice, centreID, mv.PersonID, "chores.rota.moved_notice_to", turnID, 0, moveKey("to")),
			); err != nil {
				return err
			}
			return audit(ctx, tx, centreID, &actorID, "chores.turn.move", &old,
				map[string]any{"turn": turnID, "to": mv.PersonID})
		}
		if mv.Day.IsZero() || mv.Day.Equal(t.Day) || !rota.WeekStart(mv.Day, time.UTC).Equal(t.Week) {
			return ErrChoreStale
		}
		var start, end int
		if err := tx.QueryRow(ctx, `SELECT window_start, window_end FROM chore_areas WHERE id = $1`, t.AreaID).Scan(&start, &end); err != nil {
			return err
		}
		from := t.Day
		t.Day, t.StartsAt, t.EndsAt = mv.Day, rota.At(mv.Day, start, loc), rota.At(mv.Day, end, loc)
		if !t.StartsAt.After(now) {
			return ErrChoreStale
		}
		_, err = tx.Exec(ctx, `UPDATE chore_turns SET on_date = $2, starts_at = $3, ends_at = $4, updated_at = now() WHERE id = $1`,
			turnID, t.Day, t.StartsAt, t.EndsAt)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return ErrChoreDayTaken
		}
		if err != nil {
			return err
		}
		if err := cancelChoreSwaps(ctx, tx, turnID); err != nil {
			return err
		}
		if err := s.replanChoreTurn(ctx, tx, &t, staff, now, loc); err != nil {
			return err
		}
		msg := choreMessage(KindChoreNotice, centreID, t.PersonID, "chores.rota.moved_day_notice", turnID, 0, moveKey("day"))
		if _, err := s.enqueue(ctx, tx, now, msg); err != nil {
			return err
		}
		return audit(ctx, tx, centreID, &actorID, "chores.turn.move", &t.PersonID,
			map[string]any{"turn": turnID, "from_day": from.Format(time.DateOnly), "to_day": t.Day.Format(time.DateOnly)})
	})
	if err != nil {
		return ChoreTurn{}, fmt.Errorf("store: move chore turn: %w", err)
	}
	return t, nil
}

// ChoreGenerate says how to make a week's rota.
type ChoreGenerate struct {
	Now time.Time
	Loc *time.Location
	// Actor is the staff member who regenerates the week; nil for the
	// Monday job, which makes a week only once.
	Actor *int64
}

// GenerateChoreWeek makes the rota of a week (its Monday) and returns how
// many turns it created, gave to someone else, moved in time or removed.
// Turns done, missed or already started are kept, and keep their place in
// the rotation; only future pending turns change, all in one transaction
// with their reminders (queued, replaced or cancelled).
// Without an Actor a week already made is left alone; with one, the week
// is made again and the regeneration audited.
func (s *Store) GenerateChoreWeek(ctx context.Context, centreID int64, week time.Time, g ChoreGenerate) (int, error) {
	var changed int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO chore_weeks (centre_id, week_start) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, centreID, week); err != nil {
			return err
		}
		var generated *time.Time
		if err := tx.QueryRow(ctx, `SELECT generated_at FROM chore_weeks WHERE centre_id = $1 AND week_start = $2 FOR UPDATE`,
			centreID, week).Scan(&generated); err != nil {
			return err
		}
		if generated != nil && g.Actor == nil {
			return nil
		}
		var err error
		if changed, err = s.generateChoreWeek(ctx, tx, centreID, week, g); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE chore_weeks SET generated_at = $3 WHERE centre_id = $1 AND week_start = $2`,
			centreID, week, g.Now); err != nil {
			return err
		}
		if g.Actor == nil {
			return nil
		}
		return audit(ctx, tx, centreID, g.Actor, "chores.regenerate", nil,
			map[string]any{"week": week.Format(time.DateOnly), "changed": changed})
	})
	if err != nil {
		return 0, fmt.Errorf("store: generate chore week: %w", err)
	}
	return changed, nil
}

type choreSlot struct {
	rota.Slot
	end time.Time
}

type choreExisting struct {
	id, areaID, personID int64
	day                  time.Time
	state                string
	starts, ends         time.Time
	used                 bool
}

func (s *Store) generateChoreWeek(ctx context.Context, tx pgx.Tx, centreID int64, week time.Time, g ChoreGenerate) (int, error) {
	rows, err := tx.Query(ctx, `SELECT id, days, window_start, window_end FROM chore_areas
		WHERE centre_id = $1 AND active ORDER BY id`, centreID)
	if err != nil {
		return 0, err
	}
	var slots []choreSlot
	for rows.Next() {
		var id int64
		var days []int16
		var start, end int
		if err := rows.Scan(&id, &days, &start, &end); err != nil {
			rows.Close()
			return 0, err
		}
		for _, d := range days {
			day := week.AddDate(0, 0, int(d)-1)
			slots = append(slots, choreSlot{Slot: rota.Slot{Day: day, Start: rota.At(day, start, g.Loc),
				End: rota.At(day, end, g.Loc), AreaID: id}, end: rota.At(day, end, g.Loc)})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	slices.SortFunc(slots, func(a, b choreSlot) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.AreaID, b.AreaID))
	})

	rows, err = tx.Query(ctx, `SELECT id, area_id, person_id, on_date, state, starts_at, ends_at FROM chore_turns
		WHERE centre_id = $1 AND week_start = $2 ORDER BY id FOR UPDATE`, centreID, week)
	if err != nil {
		return 0, err
	}
	var existing []*choreExisting
	byKey := map[string]*choreExisting{}
	for rows.Next() {
		e := &choreExisting{}
		if err := rows.Scan(&e.id, &e.areaID, &e.personID, &e.day, &e.state, &e.starts, &e.ends); err != nil {
			rows.Close()
			return 0, err
		}
		existing = append(existing, e)
		byKey[choreKey(e.areaID, e.day)] = e
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}

	members, err := choreRotaMembers(ctx, tx, centreID, rota.At(week, 0, g.Loc))
	if err != nil {
		return 0, err
	}
	busy, err := s.choreBusyTimes(ctx, tx, centreID, rota.At(week, 0, g.Loc), rota.At(week.AddDate(0, 0, 7), 0, g.Loc), g.Loc)
	if err != nil {
		return 0, err
	}
	for i := range members {
		members[i].Busy = busy[members[i].PersonID]
	}
	future := func(e *choreExisting) bool { return e.state == ChorePending && e.starts.After(g.Now) }
	rs := make([]rota.Slot, len(slots))
	for i, sl := range slots {
		rs[i] = sl.Slot
		if e := byKey[choreKey(sl.AreaID, sl.Day)]; e != nil && !future(e) {
			rs[i].Keep = e.personID
		} else if !sl.Start.After(g.Now) {
			rs[i].Closed = true
		}
	}
	who := rota.Assign(members, rs)
	staff, err := choreStaffIDs(ctx, tx, centreID)
	if err != nil {
		return 0, err
	}

	// The report to staff is queued once per end time after the loop, not
	// once per turn: at 1,000 staff each turn's 1,000 inserts would mostly
	// find their key taken by the turn before.
	ends := map[int64]time.Time{}
	changed := 0
	for i, sl := range slots {
		e := byKey[choreKey(sl.AreaID, sl.Day)]
		if e != nil {
			e.used = true
		}
		if rs[i].Keep != 0 || rs[i].Closed {
			continue
		}
		switch {
		case who[i] == 0 && e == nil:
		case who[i] == 0:
			e.used = false // nobody can take it: removed below
		case e == nil:
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO chore_turns (centre_id, area_id, person_id, on_date, week_start, starts_at, ends_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
				centreID, sl.AreaID, who[i], sl.Day, week, sl.Start, sl.end).Scan(&id); err != nil {
				return 0, err
			}
			t := ChoreTurn{ID: id, CentreID: centreID, AreaID: sl.AreaID, PersonID: who[i], Day: sl.Day, Week: week,
				StartsAt: sl.Start, EndsAt: sl.end, State: ChorePending}
			if err := s.planChoreReminders(ctx, tx, t, nil, g.Now, g.Loc); err != nil {
				return 0, err
			}
			ends[t.EndsAt.Unix()] = t.EndsAt
			changed++
		default:
			moved := !e.starts.Equal(sl.Start) || !e.ends.Equal(sl.end)
			if e.personID == who[i] && !moved {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE chore_turns SET person_id = $2, starts_at = $3, ends_at = $4, updated_at = now()
				WHERE id = $1`, e.id, who[i], sl.Start, sl.end); err != nil {
				return 0, err
			}
			if err := cancelChoreSwaps(ctx, tx, e.id); err != nil {
				return 0, err
			}
			t := ChoreTurn{ID: e.id, CentreID: centreID, AreaID: sl.AreaID, PersonID: who[i], Day: sl.Day, Week: week,
				StartsAt: sl.Start, EndsAt: sl.end, State: ChorePending}
			if err := s.replanChoreTurn(ctx, tx, &t, nil, g.Now, g.Loc); err != nil {
				return 0, err
			}
			ends[t.EndsAt.Unix()] = t.EndsAt
			changed++
		}
	}
	var reports []OutboxMessage
	for _, at := range slices.Sorted(maps.Keys(ends)) {
		reports = append(reports, choreOverdueMessages(centreID, ends[at], staff)...)
	}
	if _, err := s.enqueue(ctx, tx, g.Now, reports...); err != nil {
		return 0, err
	}
	// Future pending turns with no slot left (area closed, day dropped,
	// nobody eligible) go; turns kept are never touched.
	for _, e := range existing {
		if e.used || !future(e) {
			continue
		}
		if _, err := tx.Exec(ctx, `DELETE FROM chore_turns WHERE id = $1`, e.id); err != nil {
			return 0, err
		}
		if _, err := s.cancelOutbox(ctx, tx, centreID, choreReminderPrefix(e.id), g.Now); err != nil {
			return 0, err
		}
		changed++
	}
	return changed, nil
}

func choreKey(areaID int64, day time.Time) string {
	return strconv.FormatInt(areaID, 10) + "/" + day.Format(time.DateOnly)
}

// choreRotaMembers reads the rota with each member's place: his last turn
// before the week, or when he joined if later.
func choreRotaMembers(ctx context.Context, tx pgx.Tx, centreID int64, before time.Time) ([]rota.Member, error) {
	rows, err := tx.Query(ctx, `SELECT m.person_id, m.joined_at, p.status, p.arrived_on, p.left_on, lt.starts_at, lt.area_id
		FROM chore_members m
		JOIN people p ON p.id = m.person_id
		LEFT JOIN LATERAL (SELECT t.starts_at, t.area_id FROM chore_turns t
			WHERE t.person_id = m.person_id AND t.centre_id = m.centre_id AND t.starts_at < $2
			ORDER BY t.starts_at DESC, t.area_id DESC LIMIT 1) lt ON true
		WHERE m.centre_id = $1 AND m.active AND p.role = 'resident' AND p.status <> 'left'`, centreID, before)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []rota.Member
	for rows.Next() {
		var m rota.Member
		var joined time.Time
		var status string
		var last *time.Time
		var lastArea *int64
		if err := rows.Scan(&m.PersonID, &joined, &status, &m.ArrivedOn, &m.LeftOn, &last, &lastArea); err != nil {
			return nil, err
		}
		m.Away = status == StatusAway
		m.Last = joined
		if last != nil && last.After(joined) {
			m.Last, m.LastArea = *last, *lastArea
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// An appointment keeps a resident busy from apptBusyBefore before its time
// (the way there) to apptBusyAfter after it: only its start is known.
const (
	apptBusyBefore = time.Hour
	apptBusyAfter  = 2 * time.Hour
)

// choreBusyTimes are the times each resident of the centre is expected
// elsewhere in [from, to): the class sessions of his groups as they really
// take place (a cancelled one frees him, a moved one at its new time) and
// his scheduled housing appointments.
func (s *Store) choreBusyTimes(ctx context.Context, tx pgx.Tx, centreID int64, from, to time.Time, loc *time.Location) (map[int64][]rota.BusyTime, error) {
	busy := map[int64][]rota.BusyTime{}
	rows, err := tx.Query(ctx, `SELECT `+classSessionColumns+` FROM class_sessions s JOIN class_groups g ON g.id = s.group_id
		WHERE s.centre_id = $1 ORDER BY s.id`, centreID)
	if err != nil {
		return nil, err
	}
	sessions, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ClassSession, error) { return scanClassSession(r) })
	if err != nil {
		return nil, err
	}
	if len(sessions) > 0 {
		ids := make([]int64, len(sessions))
		for i, se := range sessions {
			ids[i] = se.ID
		}
		changes, err := s.classChanges(ctx, tx, `session_id = ANY($1) AND
			(on_date BETWEEN $2::date AND $3::date OR (kind = 'moved' AND new_starts_at >= $4 AND new_starts_at < $5))`,
			ids, ClassDate(from, loc).AddDate(0, 0, -1), ClassDate(to, loc).AddDate(0, 0, 1), from, to)
		if err != nil {
			return nil, err
		}
		rows, err := tx.Query(ctx, `SELECT group_id, person_id FROM class_enrolments WHERE centre_id = $1`, centreID)
		if err != nil {
			return nil, err
		}
		members := map[int64][]int64{}
		var group, person int64
		_, err = pgx.ForEachRow(rows, []any{&group, &person}, func() error {
			members[group] = append(members[group], person)
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, o := range expandClassOccurrences(sessions, changes, from, to, loc) {
			if o.Cancelled {
				continue
			}
			for _, p := range members[o.Session.GroupID] {
				busy[p] = append(busy[p], rota.BusyTime{Start: o.Start, End: o.End})
			}
		}
	}
	rows, err = tx.Query(ctx, `SELECT person_id, at FROM appointments
		WHERE centre_id = $1 AND status = 'scheduled' AND at > $2 AND at < $3`,
		centreID, from.Add(-apptBusyAfter), to.Add(apptBusyBefore))
	if err != nil {
		return nil, err
	}
	var person int64
	var at time.Time
	_, err = pgx.ForEachRow(rows, []any{&person, &at}, func() error {
		busy[person] = append(busy[person], rota.BusyTime{Start: at.Add(-apptBusyBefore), End: at.Add(apptBusyAfter)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return busy, nil
}

// AnnounceChoreWeek queues, once per week, in the transaction that marks
// the week announced, a private message to each resident who has turns
// still to do that week. It returns how many were queued (0 when the week
// was already announced).
func (s *Store) AnnounceChoreWeek(ctx context.Context, centreID int64, week, now time.Time) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var announced *time.Time
		err := tx.QueryRow(ctx, `SELECT announced_at FROM chore_weeks WHERE centre_id = $1 AND week_start = $2 FOR UPDATE`,
			centreID, week).Scan(&announced)
		if errors.Is(err, pgx.ErrNoRows) || announced != nil {
			return nil
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT DISTINCT person_id FROM chore_turns
			WHERE centre_id = $1 AND week_start = $2 AND state = 'pending' AND ends_at > $3 ORDER BY person_id`, centreID, week, now)
		if err != nil {
			return err
		}
		people, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		msgs := make([]OutboxMessage, len(people))
		for i, p := range people {
			msgs[i] = ChoreWeekMessage(centreID, p, week)
		}
		if n, err = s.enqueue(ctx, tx, now, msgs...); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE chore_weeks SET announced_at = $3 WHERE centre_id = $1 AND week_start = $2`, centreID, week, now)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: announce chore week: %w", err)
	}
	return n, nil
}

// ChoreImportRow is one line of a chores CSV file, already checked for
// form (ParseChoresCSV).
type ChoreImportRow struct {
	Line int
	// Kind is "area" or "member".
	Kind string
	// Key is the area's external id, or the member's person: "#123" for a
	// cairbot id, else the person's external id.
	Key    string
	Name   string
	Labels map[string]string
	Days   []int
	Start  int
	End    int
	Active bool
}

// ChoreImportResult counts what an import did.
type ChoreImportResult struct {
	Areas, Members ImportCounts
}

// Changed reports whether the import changed anything.
func (r ChoreImportResult) Changed() bool {
	return r.Areas.Added+r.Areas.Changed+r.Members.Added+r.Members.Changed > 0
}

// importChores writes areas and rota membership in one transaction. The
// people of member lines are checked there too, so a refused file names
// every bad line, of form (problems) or of data.
func (s *Store) importChores(ctx context.Context, centreID int64, rows []ChoreImportRow, problems []ImportProblem, now time.Time) (ChoreImportResult, error) {
	var res ChoreImportResult
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		for _, r := range rows {
			switch r.Kind {
			case "area":
				if err := importChoreArea(ctx, tx, centreID, r, &res); err != nil {
					return err
				}
			case "member":
				msg, err := importChoreMember(ctx, tx, centreID, r, now, &res)
				if err != nil {
					return err
				}
				if msg != "" {
					problems = append(problems, ImportProblem{Line: r.Line, Msg: msg})
				}
			default:
				problems = append(problems, ImportProblem{Line: r.Line, Msg: fmt.Sprintf("kind %q is not area or member", r.Kind)})
			}
		}
		if err := rejectImport("chores", problems); err != nil {
			return err
		}
		if !res.Changed() {
			return nil
		}
		return audit(ctx, tx, centreID, nil, "chores.import", nil, map[string]any{
			"areas_created": res.Areas.Added, "areas_changed": res.Areas.Changed,
			"members_added": res.Members.Added, "members_changed": res.Members.Changed,
		})
	})
	var ie *ImportError
	if errors.As(err, &ie) {
		return ChoreImportResult{}, ie
	}
	if err != nil {
		return ChoreImportResult{}, fmt.Errorf("store: import chores: %w", err)
	}
	return res, nil
}

func importChoreArea(ctx context.Context, tx pgx.Tx, centreID int64, r ChoreImportRow, res *ChoreImportResult) error {
	labels := r.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	days := make([]int16, len(r.Days))
	for i, d := range r.Days {
		days[i] = int16(d)
	}
	var id int64
	var name string
	var oldLabels map[string]string
	var oldDays []int16
	var start, end int
	var active bool
	err := tx.QueryRow(ctx, `SELECT id, name, labels, days, window_start, window_end, active FROM chore_areas
		WHERE centre_id = $1 AND external_id = $2 FOR UPDATE`, centreID, r.Key).
		Scan(&id, &name, &oldLabels, &oldDays, &start, &end, &active)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		_, err = tx.Exec(ctx, `INSERT INTO chore_areas (centre_id, external_id, name, labels, days, window_start, window_end, active)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, centreID, r.Key, r.Name, labels, days, r.Start, r.End, r.Active)
		if err == nil {
			res.Areas.Added++
		}
		return err
	case err != nil:
		return err
	}
	if name == r.Name && maps.Equal(oldLabels, labels) && slices.Equal(oldDays, days) &&
		start == r.Start && end == r.End && active == r.Active {
		res.Areas.Unchanged++
		return nil
	}
	_, err = tx.Exec(ctx, `UPDATE chore_areas SET name = $2, labels = $3, days = $4, window_start = $5, window_end = $6,
		active = $7, updated_at = now() WHERE id = $1`, id, r.Name, labels, days, r.Start, r.End, r.Active)
	if err == nil {
		res.Areas.Changed++
	}
	return err
}

// importChoreMember returns a message for a bad line, or an error when the
// database failed.
func importChoreMember(ctx context.Context, tx pgx.Tx, centreID int64, r ChoreImportRow, now time.Time, res *ChoreImportResult) (string, error) {
	var q string
	var arg any
	if id, ok := strings.CutPrefix(r.Key, "#"); ok {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Sprintf("person %q: after # comes the person's number", r.Key), nil
		}
		q, arg = `id = $2`, n
	} else {
		q, arg = `external_id = $2`, r.Key
	}
	var personID int64
	var role Role
	var status string
	err := tx.QueryRow(ctx, `SELECT id, role, status FROM people WHERE centre_id = $1 AND `+q, centreID, arg).
		Scan(&personID, &role, &status)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Sprintf("person %q: nobody of this centre has this id", r.Key), nil
	case err != nil:
		return "", err
	case role != RoleResident:
		return fmt.Sprintf("person %q: is %s, only residents are on the rota", r.Key, role), nil
	case status == StatusLeft && r.Active:
		return fmt.Sprintf("person %q: has left the centre", r.Key), nil
	}
	var active bool
	err = tx.QueryRow(ctx, `SELECT active FROM chore_members WHERE centre_id = $1 AND person_id = $2 FOR UPDATE`,
		centreID, personID).Scan(&active)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		_, err = tx.Exec(ctx, `INSERT INTO chore_members (centre_id, person_id, active, joined_at) VALUES ($1, $2, $3, $4)`,
			centreID, personID, r.Active, now)
		if err == nil {
			res.Members.Added++
		}
		return "", err
	case err != nil:
		return "", err
	case active == r.Active:
		res.Members.Unchanged++
		return "", nil
	}
	// Back on the rota after a pause: he joins at the back of the rotation.
	_, err = tx.Exec(ctx, `UPDATE chore_members SET active = $3, updated_at = now(),
		joined_at = CASE WHEN $3 THEN $4 ELSE joined_at END WHERE centre_id = $1 AND person_id = $2`,
		centreID, personID, r.Active, now)
	if err == nil {
		res.Members.Changed++
	}
	return "", err
}
