package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// AudienceKind says who receives an announcement.
type AudienceKind string

// The audiences staff can pick. A new kind needs its value in the
// announcements' CHECK, a condition in audienceFilter and, when it has
// several values, a lister like AudienceFloors.
const (
	AudienceAll      AudienceKind = "all"      // everyone of the centre
	AudienceFloor    AudienceKind = "floor"    // everyone living on floor Value
	AudienceLanguage AudienceKind = "language" // residents reading language Value
	AudienceStaff    AudienceKind = "staff"    // staff, coordinators and admins
	AudienceClass    AudienceKind = "class"    // residents enrolled in class group Value
)

// Audience is a kind and its value (a floor number, a language tag, a class
// group id; empty for all and staff).
type Audience struct {
	Kind  AudienceKind
	Value string
}

// Delivery states: pending → sending → sent / unreachable / failed.
type DeliveryState string

// The delivery states.
const (
	DeliveryPending     DeliveryState = "pending"
	DeliverySending     DeliveryState = "sending"
	DeliverySent        DeliveryState = "sent"
	DeliveryUnreachable DeliveryState = "unreachable"
	DeliveryFailed      DeliveryState = "failed"
)

// Notes saying why a delivery did not arrive.
const (
	NoteInterrupted = "interrupted" // cut by a crash while sending: may or may not have arrived
	NoteRefused     = "refused"     // Telegram refused it for good (400)
	NoteGaveUp      = "gave_up"     // Telegram kept failing until the last try
	NoteNoAccount   = "no_account"  // the person left or has no Telegram account any more
)

// Errors of announcements and deliveries.
var (
	// ErrNoRecipients means the audience has nobody with a Telegram account.
	ErrNoRecipients = errors.New("store: announcement has no recipients")
	// ErrAudienceUnavailable means the audience kind cannot be used (yet).
	ErrAudienceUnavailable = errors.New("store: audience not available")
	// ErrAlreadySent means this draft was already turned into an announcement.
	ErrAlreadySent = errors.New("store: announcement already sent")
	// ErrDeliveryDone means the delivery already left 'pending': it must not
	// be sent again.
	ErrDeliveryDone = errors.New("store: delivery already handled")
	// ErrDeliveryInterrupted means the delivery was found in 'sending': an
	// earlier try was cut by a crash. It is now marked failed.
	ErrDeliveryInterrupted = errors.New("store: delivery interrupted while sending")
)

// MaxAnnouncementText is the longest text (original or version) in
// characters: Telegram's limit is 4096 and the progress message shows the
// text under a status line.
const MaxAnnouncementText = 3000

// Announcement is a message from staff to an audience.
type Announcement struct {
	ID       int64
	CentreID int64
	AuthorID int64
	Audience Audience
	// Template is the template id; "" for a free text.
	Template string
	// Params are the template's typed parameters (e.g. "date":
	// "2026-12-03", "from": "09:00"): values, never names.
	Params map[string]string
	// Body is the free text as written; Versions its versions by language.
	Body     string
	Versions map[string]string
	// Recipients is how many people it is sent to.
	Recipients        int
	ProgressChatID    int64
	ProgressMessageID int
	CreatedAt         time.Time
}

// BodyFor is the free text a reader of lang gets: his language's version,
// else the original.
func (a Announcement) BodyFor(lang string) string {
	if v, ok := a.Versions[lang]; ok && v != "" {
		return v
	}
	return a.Body
}

// NewAnnouncement is what staff confirmed.
type NewAnnouncement struct {
	CentreID int64
	AuthorID int64
	// DraftKey identifies the staff conversation; one draft sends once.
	DraftKey          string
	Audience          Audience
	Template          string
	Params            map[string]string
	Body              string
	Versions          map[string]string
	ProgressChatID    int64
	ProgressMessageID int
}

// AudienceGroup is one choice of a floor, language or class with the number
// of people it reaches; Label names a class group.
type AudienceGroup struct {
	Value string
	Label string
	Count int
}

// recipientsBase selects the people of centre $1 who can receive a message
// (a Telegram account, not left), except the author $2, who sees the
// preview and the progress instead.
const recipientsBase = `FROM people WHERE centre_id = $1 AND telegram_id IS NOT NULL AND status <> 'left' AND id <> $2`

// audienceFilter is the SQL condition of an audience, with its argument as
// $3.
func audienceFilter(a Audience) (string, []any, error) {
	switch a.Kind {
	case AudienceAll:
		return "", nil, nil
	case AudienceStaff:
		return ` AND role <> 'resident'`, nil, nil
	case AudienceFloor:
		f, err := strconv.Atoi(a.Value)
		if err != nil || f < -5 || f > 99 {
			return "", nil, fmt.Errorf("store: floor %q: %w", a.Value, ErrAudienceUnavailable)
		}
		return ` AND floor = $3`, []any{f}, nil
	case AudienceLanguage:
		if a.Value == "" {
			return "", nil, ErrAudienceUnavailable
		}
		return ` AND role = 'resident' AND language = $3`, []any{a.Value}, nil
	case AudienceClass:
		g, err := strconv.ParseInt(a.Value, 10, 64)
		if err != nil {
			return "", nil, fmt.Errorf("store: class group %q: %w", a.Value, ErrAudienceUnavailable)
		}
		return ` AND role = 'resident' AND id IN (SELECT person_id FROM class_enrolments
			WHERE centre_id = $1 AND group_id = $3)`, []any{g}, nil
	}
	return "", nil, ErrAudienceUnavailable
}

// CountAudience returns how many people an audience reaches now, the author
// excepted.
func (s *Store) CountAudience(ctx context.Context, centreID, authorID int64, a Audience) (int, error) {
	cond, args, err := audienceFilter(a)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.pool.QueryRow(ctx, `SELECT count(*) `+recipientsBase+cond,
		append([]any{centreID, authorID}, args...)...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count audience: %w", err)
	}
	return n, nil
}

// AudienceFloors lists the floors where someone can receive a message, with
// how many, lowest floor first.
func (s *Store) AudienceFloors(ctx context.Context, centreID, authorID int64) ([]AudienceGroup, error) {
	return s.audienceGroups(ctx, `SELECT floor::text, '', count(*) `+recipientsBase+
		` AND floor IS NOT NULL GROUP BY floor ORDER BY floor`, centreID, authorID)
}

// AudienceLanguages lists the languages residents read, with how many
// residents read each, the most read first.
func (s *Store) AudienceLanguages(ctx context.Context, centreID, authorID int64) ([]AudienceGroup, error) {
	return s.audienceGroups(ctx, `SELECT language, '', count(*) `+recipientsBase+
		` AND role = 'resident' GROUP BY language ORDER BY count(*) DESC, language`, centreID, authorID)
}

// AudienceClasses lists the French class groups with enrolled residents who
// can receive a message, by name.
func (s *Store) AudienceClasses(ctx context.Context, centreID, authorID int64) ([]AudienceGroup, error) {
	return s.audienceGroups(ctx, `SELECT g.id::text, g.name, count(*)
		FROM class_groups g
		JOIN class_enrolments e ON e.group_id = g.id
		JOIN people p ON p.id = e.person_id
		WHERE g.centre_id = $1 AND p.centre_id = $1 AND p.telegram_id IS NOT NULL AND p.status <> 'left'
			AND p.id <> $2 AND p.role = 'resident'
		GROUP BY g.id, g.name ORDER BY g.name, g.id`, centreID, authorID)
}

func (s *Store) audienceGroups(ctx context.Context, query string, centreID, authorID int64) ([]AudienceGroup, error) {
	rows, err := s.pool.Query(ctx, query, centreID, authorID)
	if err != nil {
		return nil, fmt.Errorf("store: audience groups: %w", err)
	}
	defer rows.Close()
	var out []AudienceGroup
	for rows.Next() {
		var g AudienceGroup
		if err := rows.Scan(&g.Value, &g.Label, &g.Count); err != nil {
			return nil, fmt.Errorf("store: audience groups: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// EnqueueFunc inserts the delivery jobs of a new announcement inside its
// transaction: the announcement, its delivery rows and its jobs exist
// together or not at all.
type EnqueueFunc func(ctx context.Context, tx pgx.Tx, a Announcement, recipients []int64) error

// CreateAnnouncement writes an announcement, one pending delivery per
// recipient, an audit entry (without the text) and, through enqueue, the
// jobs, all in one transaction. It returns ErrNoRecipients when nobody can
// receive it, ErrAlreadySent when this draft was already sent, and
// ErrAudienceUnavailable for an audience that cannot be used.
func (s *Store) CreateAnnouncement(ctx context.Context, na NewAnnouncement, enqueue EnqueueFunc) (Announcement, error) {
	cond, args, err := audienceFilter(na.Audience)
	if err != nil {
		return Announcement{}, err
	}
	var a Announcement
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id `+recipientsBase+cond+` ORDER BY id`,
			append([]any{na.CentreID, na.AuthorID}, args...)...)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return ErrNoRecipients
		}
		var template, body *string
		if na.Template != "" {
			template = &na.Template
		} else {
			body = &na.Body
		}
		params := na.Params
		if params == nil {
			params = map[string]string{}
		}
		err = tx.QueryRow(ctx, `INSERT INTO announcements
			(centre_id, created_by, draft_key, audience_kind, audience_value, template, params, body,
			 recipients, progress_chat_id, progress_message_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (created_by, draft_key) DO NOTHING
			RETURNING id, created_at`,
			na.CentreID, na.AuthorID, na.DraftKey, na.Audience.Kind, na.Audience.Value, template, params, body,
			len(ids), na.ProgressChatID, na.ProgressMessageID).Scan(&a.ID, &a.CreatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrAlreadySent
		}
		if err != nil {
			return err
		}
		for lang, text := range na.Versions {
			if _, err := tx.Exec(ctx, `INSERT INTO announcement_versions (announcement_id, language, body)
				VALUES ($1, $2, $3)`, a.ID, lang, text); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO deliveries (announcement_id, person_id)
			SELECT $1, unnest($2::bigint[])`, a.ID, ids); err != nil {
			return err
		}
		a.CentreID, a.AuthorID, a.Audience = na.CentreID, na.AuthorID, na.Audience
		a.Template, a.Params, a.Body, a.Versions = na.Template, params, na.Body, na.Versions
		a.Recipients, a.ProgressChatID, a.ProgressMessageID = len(ids), na.ProgressChatID, na.ProgressMessageID
		detail := map[string]any{"announcement": a.ID, "audience": string(na.Audience.Kind), "recipients": len(ids)}
		if na.Template != "" {
			detail["template"] = na.Template
		}
		if err := audit(ctx, tx, na.CentreID, &na.AuthorID, "announcement.send", nil, detail); err != nil {
			return err
		}
		return enqueue(ctx, tx, a, ids)
	})
	if err != nil {
		return Announcement{}, fmt.Errorf("store: create announcement: %w", err)
	}
	return a, nil
}

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

const announcementColumns = `id, centre_id, created_by, audience_kind, audience_value, COALESCE(template, ''),
	params, COALESCE(body, ''), recipients, progress_chat_id, progress_message_id, created_at`

func scanAnnouncement(row pgx.Row) (Announcement, error) {
	var a Announcement
	err := row.Scan(&a.ID, &a.CentreID, &a.AuthorID, &a.Audience.Kind, &a.Audience.Value, &a.Template,
		&a.Params, &a.Body, &a.Recipients, &a.ProgressChatID, &a.ProgressMessageID, &a.CreatedAt)
	return a, notFound(err)
}

// loadVersions fills the versions of free-text announcements.
func loadVersions(ctx context.Context, q querier, as []Announcement) error {
	ids := make([]int64, 0, len(as))
	at := map[int64]int{}
	for i, a := range as {
		if a.Template == "" {
			ids = append(ids, a.ID)
			at[a.ID] = i
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, `SELECT announcement_id, language, body FROM announcement_versions
		WHERE announcement_id = ANY($1)`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var lang, body string
		if err := rows.Scan(&id, &lang, &body); err != nil {
			return err
		}
		a := &as[at[id]]
		if a.Versions == nil {
			a.Versions = map[string]string{}
		}
		a.Versions[lang] = body
	}
	return rows.Err()
}

// Announcement returns one announcement of a centre with its versions, or
// ErrNotFound.
func (s *Store) Announcement(ctx context.Context, centreID, id int64) (Announcement, error) {
	a, err := scanAnnouncement(s.pool.QueryRow(ctx, `SELECT `+announcementColumns+` FROM announcements
		WHERE centre_id = $1 AND id = $2`, centreID, id))
	if err == nil {
		as := []Announcement{a}
		err = loadVersions(ctx, s.pool, as)
		a = as[0]
	}
	if err != nil {
		return Announcement{}, fmt.Errorf("store: announcement %d: %w", id, err)
	}
	return a, nil
}

// ClaimDelivery moves a pending delivery to 'sending' and returns what to
// send and to whom. The claim is committed before anything is sent, so that
// a crash during the send leaves the row in 'sending'.
//
// It returns ErrDeliveryDone when the delivery already left 'pending', and
// ErrDeliveryInterrupted when it is found in 'sending': the try that
// claimed it was cut (crash, kill) somewhere between the claim and writing
// the outcome, so Telegram may or may not have received the message. It is
// then marked failed ('interrupted') and must NOT be sent again: a resident
// getting the same notice twice, or a staff member believing a retry is
// harmless, is worse than one possibly missed message that the report
// names as uncertain.
func (s *Store) ClaimDelivery(ctx context.Context, centreID, announcementID, personID int64, now time.Time) (Announcement, Person, error) {
	var a Announcement
	var p Person
	interrupted := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var state DeliveryState
		err := tx.QueryRow(ctx, `SELECT d.state FROM deliveries d JOIN announcements a ON a.id = d.announcement_id
			WHERE a.centre_id = $1 AND d.announcement_id = $2 AND d.person_id = $3
			FOR UPDATE OF d`, centreID, announcementID, personID).Scan(&state)
		if err != nil {
			return notFound(err)
		}
		switch state {
		case DeliveryPending:
		case DeliverySending:
			if _, err := tx.Exec(ctx, `UPDATE deliveries SET state = 'failed', note = $3, updated_at = $4
				WHERE announcement_id = $1 AND person_id = $2`, announcementID, personID, NoteInterrupted, now); err != nil {
				return err
			}
			// Returned after the commit: an error here would roll the mark back.
			interrupted = true
			return nil
		default:
			return ErrDeliveryDone
		}
		if _, err := tx.Exec(ctx, `UPDATE deliveries SET state = 'sending', updated_at = $3, claimed_at = $3
			WHERE announcement_id = $1 AND person_id = $2`, announcementID, personID, now); err != nil {
			return err
		}
		if a, err = scanAnnouncement(tx.QueryRow(ctx, `SELECT `+announcementColumns+` FROM announcements
			WHERE id = $1`, announcementID)); err != nil {
			return err
		}
		as := []Announcement{a}
		if err := loadVersions(ctx, tx, as); err != nil {
			return err
		}
		a = as[0]
		p, err = scanPerson(tx.QueryRow(ctx, `SELECT `+personColumns+` FROM people WHERE id = $1`, personID))
		return err
	})
	if err == nil && interrupted {
		return Announcement{}, Person{}, ErrDeliveryInterrupted
	}
	if err != nil {
		return Announcement{}, Person{}, fmt.Errorf("store: claim delivery: %w", err)
	}
	return a, p, nil
}

// FinishDelivery writes the outcome of a delivery in 'sending': sent,
// unreachable, or failed with a note.
func (s *Store) FinishDelivery(ctx context.Context, announcementID, personID int64, state DeliveryState, note string, now time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE deliveries SET state = $3, note = $4, updated_at = $5,
			sent_at = CASE WHEN $3 = 'sent' THEN $5::timestamptz END
		WHERE announcement_id = $1 AND person_id = $2 AND state = 'sending'`,
		announcementID, personID, state, note, now)
	if err != nil {
		return fmt.Errorf("store: finish delivery: %w", err)
	}
	return nil
}

// ReleaseDelivery puts a delivery in 'sending' back to 'pending' after a
// failure Telegram answered (so the message was not taken), for a later
// try.
func (s *Store) ReleaseDelivery(ctx context.Context, announcementID, personID int64, now time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE deliveries SET state = 'pending', updated_at = $3
		WHERE announcement_id = $1 AND person_id = $2 AND state = 'sending'`, announcementID, personID, now)
	if err != nil {
		return fmt.Errorf("store: release delivery: %w", err)
	}
	return nil
}

// ExpireSending marks failed ('interrupted') the deliveries of an
// announcement claimed more than staleAfter before now and still in
// 'sending': the process that claimed them died, since a live one writes
// its outcome within the job timeout, and River would rescue their jobs
// only much later. As in ClaimDelivery, they may have arrived,
// so they are not sent again.
func (s *Store) ExpireSending(ctx context.Context, announcementID int64, staleAfter time.Duration, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE deliveries SET state = 'failed', note = $3, updated_at = $4
		WHERE announcement_id = $1 AND state = 'sending' AND claimed_at < $4::timestamptz - $2::interval`,
		announcementID, staleAfter, NoteInterrupted, now)
	if err != nil {
		return 0, fmt.Errorf("store: expire sending: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// DeliveryCounts counts an announcement's deliveries by state.
type DeliveryCounts struct {
	Pending, Sending, Sent, Unreachable, Failed int
	// Interrupted counts the failed ones cut by a crash while sending: they
	// may have arrived.
	Interrupted int
}

// Done is how many deliveries reached an outcome.
func (c DeliveryCounts) Done() int { return c.Sent + c.Unreachable + c.Failed }

// Total is how many deliveries there are.
func (c DeliveryCounts) Total() int { return c.Done() + c.Pending + c.Sending }

// Finished reports whether every delivery reached an outcome.
func (c DeliveryCounts) Finished() bool { return c.Pending == 0 && c.Sending == 0 }

// BroadcastStatus is where the delivery of an announcement stands.
type BroadcastStatus struct {
	Announcement Announcement
	Counts       DeliveryCounts
	// Shown is the number of deliveries done that the progress message
	// shows; Reported is set once the final report was claimed.
	Shown    int
	Reported bool
}

// BroadcastStatus returns an announcement with its delivery counts.
func (s *Store) BroadcastStatus(ctx context.Context, centreID, announcementID int64) (BroadcastStatus, error) {
	var st BroadcastStatus
	a, err := s.Announcement(ctx, centreID, announcementID)
	if err != nil {
		return st, err
	}
	st.Announcement = a
	err = s.pool.QueryRow(ctx, `SELECT a.progress_shown, a.reported_at IS NOT NULL,
			count(*) FILTER (WHERE d.state = 'pending'),
			count(*) FILTER (WHERE d.state = 'sending'),
			count(*) FILTER (WHERE d.state = 'sent'),
			count(*) FILTER (WHERE d.state = 'unreachable'),
			count(*) FILTER (WHERE d.state = 'failed'),
			count(*) FILTER (WHERE d.state = 'failed' AND d.note = 'interrupted')
		FROM announcements a LEFT JOIN deliveries d ON d.announcement_id = a.id
		WHERE a.id = $1
		GROUP BY a.id`, announcementID).Scan(&st.Shown, &st.Reported,
		&st.Counts.Pending, &st.Counts.Sending, &st.Counts.Sent, &st.Counts.Unreachable,
		&st.Counts.Failed, &st.Counts.Interrupted)
	if err != nil {
		return st, fmt.Errorf("store: broadcast status: %w", notFound(err))
	}
	return st, nil
}

// SetProgressShown records what the progress message now shows.
func (s *Store) SetProgressShown(ctx context.Context, announcementID int64, done int) error {
	if _, err := s.pool.Exec(ctx, `UPDATE announcements SET progress_shown = $2 WHERE id = $1`,
		announcementID, done); err != nil {
		return fmt.Errorf("store: set progress shown: %w", err)
	}
	return nil
}

// ClaimReport marks the final report of an announcement as sent, once:
// false means it was already claimed (by an earlier run of the job), so
// the staff member never gets two reports.
func (s *Store) ClaimReport(ctx context.Context, announcementID int64, now time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE announcements SET reported_at = $2
		WHERE id = $1 AND reported_at IS NULL`, announcementID, now)
	if err != nil {
		return false, fmt.Errorf("store: claim report: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// NewsItem is an announcement a person received, and when.
type NewsItem struct {
	Announcement Announcement
	SentAt       time.Time
}

// NewsFor lists the latest announcements delivered to a person, newest
// first.
func (s *Store) NewsFor(ctx context.Context, centreID, personID int64, limit int) ([]NewsItem, error) {
	rows, err := s.pool.Query(ctx, `SELECT d.sent_at, a.id, a.centre_id, a.created_by, a.audience_kind, a.audience_value,
			COALESCE(a.template, ''), a.params, COALESCE(a.body, ''), a.recipients, a.progress_chat_id,
			a.progress_message_id, a.created_at
		FROM deliveries d JOIN announcements a ON a.id = d.announcement_id
		WHERE a.centre_id = $1 AND d.person_id = $2 AND d.state = 'sent'
		ORDER BY d.sent_at DESC, a.id DESC LIMIT $3`, centreID, personID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: news: %w", err)
	}
	defer rows.Close()
	var out []NewsItem
	var as []Announcement
	for rows.Next() {
		var n NewsItem
		a := &n.Announcement
		if err := rows.Scan(&n.SentAt, &a.ID, &a.CentreID, &a.AuthorID, &a.Audience.Kind, &a.Audience.Value,
			&a.Template, &a.Params, &a.Body, &a.Recipients, &a.ProgressChatID, &a.ProgressMessageID, &a.CreatedAt); err != nil {
			return nil, fmt.Errorf("store: news: %w", err)
		}
		out = append(out, n)
		as = append(as, n.Announcement)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: news: %w", err)
	}
	rows.Close()
	if err := loadVersions(ctx, s.pool, as); err != nil {
		return nil, fmt.Errorf("store: news versions: %w", err)
	}
	for i := range out {
		out[i].Announcement = as[i]
	}
	return out, nil
}
