package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The outbox holds everything the bot sends on its own, one row per
// recipient, written in the same transaction as the change that causes it
// (a payment and its receipt commit together or not at all). The store
// never calls Telegram: the outbox worker (handlers) sends the rows later.

// OutboxState is where an outbox row stands:
// pending → sending → sent | unreachable | failed, or cancelled before it
// left.
type OutboxState string

// The outbox states.
const (
	OutboxPending     OutboxState = "pending"
	OutboxSending     OutboxState = "sending"
	OutboxSent        OutboxState = "sent"
	OutboxUnreachable OutboxState = "unreachable"
	OutboxFailed      OutboxState = "failed"
	OutboxCancelled   OutboxState = "cancelled"
)

// Notes saying why an outbox row did not arrive.
const (
	NoteInterrupted = "interrupted" // cut by a crash or a timeout while sending: may or may not have arrived
	NoteRefused     = "refused"     // Telegram refused it for good (400)
	NoteGaveUp      = "gave_up"     // Telegram kept failing until the last try
	NoteNoAccount   = "no_account"  // the person left or has no Telegram account any more
	NoteObsolete    = "obsolete"    // what it was about changed (a turn swapped, an appointment moved)
)

// Errors of the outbox.
var (
	// ErrOutboxDone means the row already left 'pending': it must not be
	// sent by this try.
	ErrOutboxDone = errors.New("store: outbox message already handled")
	// ErrNoOutboxScheduler means the Store was built without the job queue
	// that sends outbox rows (a wiring mistake).
	ErrNoOutboxScheduler = errors.New("store: no outbox scheduler")
)

// OutboxMessage is one message to one person, queued by a change.
type OutboxMessage struct {
	CentreID int64
	PersonID int64
	// Kind picks the rendering and the rule for a message left in doubt
	// by a crash (handlers.OutboxKinds).
	Kind string
	// Key is the dedupe key, unique per centre: queuing the same key again
	// does nothing.
	Key string
	// MsgID and Args are rendered in the recipient's language when sent.
	MsgID string
	Args  map[string]string
	// AnnouncementID ties a delivery to its announcement (progress, report).
	AnnouncementID int64
	// NotBefore is when it may leave; zero means at once.
	NotBefore time.Time
	// Priority orders River's work: 1 first, 4 last (broadcasts).
	Priority int
}

// OutboxRow is a queued message with its sending state.
type OutboxRow struct {
	OutboxMessage
	ID                int64
	State             OutboxState
	Attempts          int
	Note              string
	TelegramMessageID int64
}

// OutboxJob is what the scheduler needs to send a row at the right time.
type OutboxJob struct {
	ID int64
	// NotBefore is when the job is due: the row's not_before (zero: now),
	// moved a few steps of the bot's pace later by spreadDue for the
	// messages of one centre due together.
	NotBefore time.Time
	Priority  int
	CentreID  int64
	// Turn, set on an announcement's messages once PaceBulk was called,
	// is when the message would leave at its bot's pace, counting what
	// the centre queued before: the scheduler orders announcement jobs by
	// it rather than by when they were queued.
	Turn time.Time
}

// OutboxScheduler queues the sending of outbox rows in the caller's
// transaction (the bot implements it over River), so a row and its job
// exist together or not at all.
type OutboxScheduler interface {
	ScheduleOutboxTx(ctx context.Context, tx pgx.Tx, jobs []OutboxJob) error
}

// UseOutboxScheduler sets the job queue that sends outbox rows. The bot
// calls it once, while wiring, before any message is queued.
func (s *Store) UseOutboxScheduler(o OutboxScheduler) { s.outboxJobs = o }

// PaceBulk sets the pace of what the bot sends on its own, perSecond
// messages a second per centre (SEND_RATE_GLOBAL), by which the jobs of
// many messages are ordered: a worker holds its job while it waits for its
// bot's pace, and River hands out available jobs by priority, then due
// time, then the order queued, so jobs taken in the order queued kept
// every worker on one centre's messages while the other centres waited
// (100 centres announcing at once went out one centre after another).
// Each announcement message due now gets its turn (OutboxJob.Turn,
// announcementTurns), and the messages of a centre due at one same later
// moment are spread at that pace from it (spreadDue). Called once, while
// wiring; without it jobs keep the order they were queued in.
func (s *Store) PaceBulk(perSecond int) {
	if perSecond > 0 {
		s.bulkEvery = time.Second / time.Duration(perSecond)
	}
}

// spreadDue moves the jobs of one centre due at one same later moment
// (a class's reminders, a week's cleaning turns, a scheduled announcement)
// one s.bulkEvery apart from that moment, in the order given: the second
// due a pace's step after it, and so on, which is when its bot's pace would
// let it leave anyway. Each centre's first is due at the moment itself, so
// River hands out the centres' jobs side by side instead of one centre's
// whole batch first. Only the job moves: its outbox row keeps its own
// not_before.
func (s *Store) spreadDue(jobs []OutboxJob) {
	type due struct {
		centre int64
		at     int64
	}
	seen := map[due]int{}
	for i, j := range jobs {
		if j.NotBefore.IsZero() {
			continue // due now: announcements take turns, the rest are few
		}
		d := due{j.CentreID, j.NotBefore.UnixNano()}
		jobs[i].NotBefore = j.NotBefore.Add(time.Duration(seen[d]) * s.bulkEvery)
		seen[d]++
	}
}

// announcementTurns gives the announcement jobs among jobs their turns:
// per centre, the next after what that centre queued before (or now),
// one every s.bulkEvery, in the order given. The centre's row in
// announcement_turns is locked until tx ends, so two announcements of one
// centre queued at once take turns one after the other, in the order they
// commit, and a resident gets them in that order.
func (s *Store) announcementTurns(ctx context.Context, tx pgx.Tx, now time.Time, jobs []OutboxJob) error {
	takesTurn := func(j OutboxJob) bool { return j.Priority == AnnouncementPriority && j.NotBefore.IsZero() }
	counts := map[int64]int{}
	for _, j := range jobs {
		if takesTurn(j) {
			counts[j.CentreID]++
		}
	}
	// In one order whatever the caller's: two transactions locking two
	// centres' rows cannot wait for each other.
	next := make(map[int64]time.Time, len(counts))
	for _, c := range slices.Sorted(maps.Keys(counts)) {
		span := time.Duration(counts[c]) * s.bulkEvery
		var t time.Time
		if err := tx.QueryRow(ctx, `INSERT INTO announcement_turns AS t (centre_id, next_turn)
			VALUES ($1, $2::timestamptz + $3::interval)
			ON CONFLICT (centre_id) DO UPDATE SET next_turn = GREATEST(t.next_turn, $2::timestamptz) + $3::interval
			RETURNING next_turn - $3::interval`, c, now, span).Scan(&t); err != nil {
			return fmt.Errorf("store: announcement turns: %w", err)
		}
		next[c] = t
	}
	for i, j := range jobs {
		if takesTurn(j) {
			jobs[i].Turn = next[j.CentreID]
			next[j.CentreID] = jobs[i].Turn.Add(s.bulkEvery)
		}
	}
	return nil
}

// Enqueue queues messages in a transaction of their own. It returns how
// many were new (a key queued before is skipped).
func (s *Store) Enqueue(ctx context.Context, now time.Time, msgs ...OutboxMessage) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) (err error) {
		n, err = s.enqueue(ctx, tx, now, msgs...)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// enqueue writes outbox rows and their jobs in tx; every store method whose
// change sends a message calls it inside its own transaction.
func (s *Store) enqueue(ctx context.Context, tx pgx.Tx, now time.Time, msgs ...OutboxMessage) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	if s.outboxJobs == nil {
		return 0, ErrNoOutboxScheduler
	}
	// One statement for every row (a week of cleaning turns queues the
	// overdue report of each end time for each staff member: thousands of
	// rows), in the order given, so ids — the order rows leave in — follow it.
	n := len(msgs)
	centres, people, announcements := make([]int64, n), make([]int64, n), make([]int64, n)
	kinds, keys, msgIDs, args := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	notBefore := make([]time.Time, n)
	for i, m := range msgs {
		a := []byte("{}")
		if m.Args != nil {
			var err error
			if a, err = json.Marshal(m.Args); err != nil {
				return 0, fmt.Errorf("store: enqueue: %w", err)
			}
		}
		centres[i], people[i], announcements[i] = m.CentreID, m.PersonID, m.AnnouncementID
		kinds[i], keys[i], msgIDs[i], args[i] = m.Kind, m.Key, m.MsgID, string(a)
		notBefore[i] = m.NotBefore
		if notBefore[i].IsZero() {
			notBefore[i] = now
		}
	}
	rows, err := tx.Query(ctx, `INSERT INTO outbox (centre_id, person_id, kind, dedupe_key, msg_id, args,
			announcement_id, not_before, created_at, updated_at)
		SELECT c, p, k, d, m, a::jsonb, NULLIF(an, 0), nb, $9, $9
		FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
			$8::timestamptz[]) WITH ORDINALITY AS u(c, p, k, d, m, a, an, nb, i)
		ORDER BY i
		ON CONFLICT (centre_id, dedupe_key) DO NOTHING
		RETURNING id, centre_id, dedupe_key`,
		centres, people, kinds, keys, msgIDs, args, announcements, notBefore, now)
	if err != nil {
		return 0, fmt.Errorf("store: enqueue %s: %w", msgs[0].Kind, err)
	}
	type rowKey struct {
		centre int64
		key    string
	}
	ids := make(map[rowKey]int64, n)
	var rowID int64
	var written rowKey
	if _, err := pgx.ForEachRow(rows, []any{&rowID, &written.centre, &written.key}, func() error {
		ids[written] = rowID
		return nil
	}); err != nil {
		return 0, fmt.Errorf("store: enqueue %s: %w", msgs[0].Kind, err)
	}
	jobs := make([]OutboxJob, 0, len(ids))
	for i, m := range msgs {
		k := rowKey{m.CentreID, m.Key}
		id, ok := ids[k]
		if !ok {
			continue // queued before: never twice
		}
		delete(ids, k) // a key given twice is one row, and one job
		job := OutboxJob{ID: id, NotBefore: notBefore[i], Priority: max(m.Priority, 1), CentreID: m.CentreID}
		if !notBefore[i].After(now) {
			// Due now: the job is available at once, without waiting for
			// River's leader to release scheduled jobs.
			job.NotBefore = time.Time{}
		}
		jobs = append(jobs, job)
	}
	if len(jobs) == 0 {
		return 0, nil
	}
	if s.bulkEvery > 0 {
		if err := s.announcementTurns(ctx, tx, now, jobs); err != nil {
			return 0, err
		}
		s.spreadDue(jobs)
	}
	if err := s.outboxJobs.ScheduleOutboxTx(ctx, tx, jobs); err != nil {
		return 0, fmt.Errorf("store: schedule outbox: %w", err)
	}
	return len(jobs), nil
}

// cancelOutbox cancels, in tx, the messages of a centre whose keys start
// with prefix and have not left yet (the reminders of an appointment that
// was moved or cancelled). It returns how many were cancelled.
func (s *Store) cancelOutbox(ctx context.Context, tx pgx.Tx, centreID int64, keyPrefix string, now time.Time) (int, error) {
	tag, err := tx.Exec(ctx, `UPDATE outbox SET state = 'cancelled', note = $3, updated_at = $4
		WHERE centre_id = $1 AND dedupe_key LIKE $2 AND state = 'pending'`,
		centreID, keyPrefixPattern(keyPrefix), NoteObsolete, now)
	if err != nil {
		return 0, fmt.Errorf("store: cancel outbox: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// keyPrefixPattern is a LIKE pattern matching the keys that start with
// prefix; with the outbox_key_prefix index it is an index range scan.
func keyPrefixPattern(prefix string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(prefix) + "%"
}

const outboxColumns = `id, centre_id, person_id, kind, dedupe_key, msg_id, args, COALESCE(announcement_id, 0),
	not_before, state, attempts, note, COALESCE(telegram_message_id, 0)`

func scanOutbox(row pgx.Row) (OutboxRow, error) {
	var o OutboxRow
	var args []byte
	err := row.Scan(&o.ID, &o.CentreID, &o.PersonID, &o.Kind, &o.Key, &o.MsgID, &args, &o.AnnouncementID,
		&o.NotBefore, &o.State, &o.Attempts, &o.Note, &o.TelegramMessageID)
	if err != nil {
		return OutboxRow{}, notFound(err)
	}
	if err := json.Unmarshal(args, &o.Args); err != nil {
		return OutboxRow{}, fmt.Errorf("decode args: %w", err)
	}
	return o, nil
}

// OutboxByID returns an outbox row, or ErrNotFound (the person was erased).
func (s *Store) OutboxByID(ctx context.Context, id int64) (OutboxRow, error) {
	o, err := scanOutbox(s.pool.QueryRow(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = $1`, id))
	if err != nil {
		return OutboxRow{}, fmt.Errorf("store: outbox %d: %w", id, err)
	}
	return o, nil
}

// ClaimOutbox marks a pending row 'sending' and counts the attempt. It is
// called right before the call to Telegram, once the pacing allowed it, so
// a crash leaves at most the row in hand in doubt. ErrOutboxDone means the
// row is no longer pending.
func (s *Store) ClaimOutbox(ctx context.Context, id int64, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = $2
		WHERE id = $1 AND state = 'pending'`, id, now)
	if err != nil {
		return fmt.Errorf("store: claim outbox: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrOutboxDone
	}
	return nil
}

// FinishOutbox writes the outcome of a row: sent (with Telegram's message
// id), unreachable, failed or cancelled with a note. It applies to a row
// still pending or sending, so an outcome is written once.
func (s *Store) FinishOutbox(ctx context.Context, id int64, state OutboxState, note string, telegramMessageID int64, now time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE outbox SET state = $2, note = $3, updated_at = $5,
			telegram_message_id = NULLIF($4, 0),
			sent_at = CASE WHEN $2 = 'sent' THEN $5::timestamptz END
		WHERE id = $1 AND state IN ('pending', 'sending')`, id, state, note, telegramMessageID, now)
	if err != nil {
		return fmt.Errorf("store: finish outbox: %w", err)
	}
	return nil
}

// OutboxJobRunning reports whether a job of kind for row id, other than
// job, is running now: a row found 'sending' is then that job's try in
// flight (the row was queued twice), not what a crash left.
func (s *Store) OutboxJobRunning(ctx context.Context, kind string, id, job int64) (bool, error) {
	var running bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM river_job WHERE kind = $1 AND state = 'running'
		AND (args ->> 'id')::bigint = $2 AND id <> $3)`, kind, id, job).Scan(&running); err != nil {
		return false, fmt.Errorf("store: outbox job running: %w", err)
	}
	return running, nil
}

// ReleaseOutbox puts a row in 'sending' back to 'pending': Telegram
// answered that it did not take it (429, 5xx), or the kind's rule is to
// send again a message left in doubt.
func (s *Store) ReleaseOutbox(ctx context.Context, id int64, now time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE outbox SET state = 'pending', updated_at = $2
		WHERE id = $1 AND state = 'sending'`, id, now)
	if err != nil {
		return fmt.Errorf("store: release outbox: %w", err)
	}
	return nil
}

// OutboxCounts counts rows by state: for reports, tests and metrics.
type OutboxCounts map[OutboxState]int

// OutboxStats counts a centre's outbox rows by state, and gives the
// oldest not_before among rows not yet sent (zero when none).
func (s *Store) OutboxStats(ctx context.Context) (OutboxCounts, time.Time, error) {
	rows, err := s.pool.Query(ctx, `SELECT state, count(*), min(not_before) FILTER (WHERE state IN ('pending', 'sending'))
		FROM outbox GROUP BY state`)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("store: outbox stats: %w", err)
	}
	defer rows.Close()
	counts := OutboxCounts{}
	var oldest time.Time
	for rows.Next() {
		var st OutboxState
		var n int
		var min *time.Time
		if err := rows.Scan(&st, &n, &min); err != nil {
			return nil, time.Time{}, fmt.Errorf("store: outbox stats: %w", err)
		}
		counts[st] = n
		if min != nil && (oldest.IsZero() || min.Before(oldest)) {
			oldest = *min
		}
	}
	if err := rows.Err(); err != nil {
		return nil, time.Time{}, fmt.Errorf("store: outbox stats: %w", err)
	}
	return counts, oldest, nil
}
