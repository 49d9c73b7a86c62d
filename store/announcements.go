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

// Errors of announcements.
var (
	// ErrNoRecipients means the audience has nobody with a Telegram account.
	ErrNoRecipients = errors.New("store: announcement has no recipients")
	// ErrAudienceUnavailable means the audience kind cannot be used (yet).
	ErrAudienceUnavailable = errors.New("store: audience not available")
	// ErrAlreadySent means this draft was already turned into an announcement.
	ErrAlreadySent = errors.New("store: announcement already sent")
	// ErrNoBroadcastWatcher means the Store was built without the job queue
	// that follows announcements (a wiring mistake).
	ErrNoBroadcastWatcher = errors.New("store: no broadcast watcher")
)

// An announcement reaches each recipient as one outbox row of kind
// AnnouncementKind, keyed announcement:<id>:<person>, behind reminders and
// receipts (priority 4): a broadcast to the whole centre never delays a
// housing interview reminder.
const (
	AnnouncementKind     = "announcement"
	AnnouncementPriority = 4
)

// announcementKey is the dedupe key of an announcement's message to one
// person: the same announcement never reaches him twice.
func announcementKey(announcementID, personID int64) string {
	return "announcement:" + strconv.FormatInt(announcementID, 10) + ":" + strconv.FormatInt(personID, 10)
}

// BroadcastWatcher queues, in the transaction that creates an
// announcement, the job that follows its sending: it edits the staff
// member's progress message and sends him the final report (the bot
// implements it over River).
type BroadcastWatcher interface {
	WatchBroadcastTx(ctx context.Context, tx pgx.Tx, centreID, announcementID int64) error
}

// UseBroadcastWatcher sets the job queue that follows announcements. The
// bot calls it once, while wiring, with UseOutboxScheduler.
func (s *Store) UseBroadcastWatcher(w BroadcastWatcher) { s.broadcasts = w }

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

// CreateAnnouncement writes, in one transaction, an announcement, one
// outbox message per recipient, the job that follows its sending and an
// audit entry (without the text): all of it or nothing. It returns
// ErrNoRecipients when nobody can receive it, ErrAlreadySent when this
// draft was already sent, and ErrAudienceUnavailable for an audience that
// cannot be used.
func (s *Store) CreateAnnouncement(ctx context.Context, na NewAnnouncement, now time.Time) (Announcement, error) {
	cond, args, err := audienceFilter(na.Audience)
	if err != nil {
		return Announcement{}, err
	}
	if s.broadcasts == nil {
		return Announcement{}, ErrNoBroadcastWatcher
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
			 recipients, progress_chat_id, progress_message_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (created_by, draft_key) DO NOTHING
			RETURNING id, created_at`,
			na.CentreID, na.AuthorID, na.DraftKey, na.Audience.Kind, na.Audience.Value, template, params, body,
			len(ids), na.ProgressChatID, na.ProgressMessageID, now).Scan(&a.ID, &a.CreatedAt)
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
		// Only ids are queued: the text is read from the announcement and
		// rendered in each reader's language when his message leaves.
		msgs := make([]OutboxMessage, len(ids))
		for i, id := range ids {
			msgs[i] = OutboxMessage{CentreID: na.CentreID, PersonID: id, Kind: AnnouncementKind,
				Key: announcementKey(a.ID, id), AnnouncementID: a.ID, Priority: AnnouncementPriority}
		}
		if _, err := s.enqueue(ctx, tx, now, msgs...); err != nil {
			return err
		}
		return s.broadcasts.WatchBroadcastTx(ctx, tx, na.CentreID, a.ID)
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

// AnnouncementOutboxID returns the outbox row of an announcement's
// message to one person, or ErrNotFound (erased with him or with the
// announcement).
func (s *Store) AnnouncementOutboxID(ctx context.Context, announcementID, personID int64) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM outbox
		WHERE announcement_id = $1 AND person_id = $2 AND kind = $3`,
		announcementID, personID, AnnouncementKind).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: announcement %d message: %w", announcementID, notFound(err))
	}
	return id, nil
}

// BroadcastCounts counts an announcement's messages by outcome.
type BroadcastCounts struct {
	// Pending are still waiting for their turn; Sending are in Telegram's
	// hands, or were when a crash cut them (the outbox worker settles
	// those when River runs their job again).
	Pending, Sending, Sent, Unreachable int
	// Failed counts the messages refused, given up, interrupted, or
	// cancelled because the announcement could not be rendered.
	Failed int
	// Interrupted counts the failed ones cut by a crash or a timeout while
	// sending: they may have arrived, and are not sent again.
	Interrupted int
}

// Done is how many messages reached an outcome.
func (c BroadcastCounts) Done() int { return c.Sent + c.Unreachable + c.Failed }

// Total is how many messages there are.
func (c BroadcastCounts) Total() int { return c.Done() + c.Pending + c.Sending }

// Finished reports whether every message reached an outcome.
func (c BroadcastCounts) Finished() bool { return c.Pending == 0 && c.Sending == 0 }

// BroadcastStatus is where the sending of an announcement stands.
type BroadcastStatus struct {
	Announcement Announcement
	Counts       BroadcastCounts
	// Shown is the number of messages done that the progress message
	// shows; Reported is set once the final report was claimed.
	Shown    int
	Reported bool
}

// BroadcastStatus returns an announcement with the counts of its outbox
// messages.
func (s *Store) BroadcastStatus(ctx context.Context, centreID, announcementID int64) (BroadcastStatus, error) {
	var st BroadcastStatus
	a, err := s.Announcement(ctx, centreID, announcementID)
	if err != nil {
		return st, err
	}
	st.Announcement = a
	err = s.pool.QueryRow(ctx, `SELECT a.progress_shown, a.reported_at IS NOT NULL,
			count(o.id) FILTER (WHERE o.state = 'pending'),
			count(o.id) FILTER (WHERE o.state = 'sending'),
			count(o.id) FILTER (WHERE o.state = 'sent'),
			count(o.id) FILTER (WHERE o.state = 'unreachable'),
			count(o.id) FILTER (WHERE o.state IN ('failed', 'cancelled')),
			count(o.id) FILTER (WHERE o.state = 'failed' AND o.note = $3)
		FROM announcements a LEFT JOIN outbox o ON o.announcement_id = a.id AND o.kind = $2
		WHERE a.id = $1
		GROUP BY a.id`, announcementID, AnnouncementKind, NoteInterrupted).Scan(&st.Shown, &st.Reported,
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
	rows, err := s.pool.Query(ctx, `SELECT o.sent_at, a.id, a.centre_id, a.created_by, a.audience_kind, a.audience_value,
			COALESCE(a.template, ''), a.params, COALESCE(a.body, ''), a.recipients, a.progress_chat_id,
			a.progress_message_id, a.created_at
		FROM outbox o JOIN announcements a ON a.id = o.announcement_id
		WHERE o.centre_id = $1 AND o.person_id = $2 AND o.kind = $4 AND o.state = 'sent'
		ORDER BY o.sent_at DESC, a.id DESC LIMIT $3`, centreID, personID, limit, AnnouncementKind)
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
