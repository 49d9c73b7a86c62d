package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// French classes: groups by level, weekly sessions on the centre's wall
// clock, enrolments with the hours OFII prescribed, and one-off changes
// (cancelled or moved occurrences).

// ErrClassUnchanged means a change would leave an occurrence as it already is
// (cancelling a cancelled class, restoring one never changed).
var ErrClassUnchanged = errors.New("store: nothing to change")

// PrescribedHours are the course lengths OFII prescribes.
var PrescribedHours = []int{100, 200, 400, 600}

// ClassGroup is a group of residents learning at one level.
type ClassGroup struct {
	ID         int64
	CentreID   int64
	ExternalID string
	Level      string
	Name       string
	// Labels are the name in residents' languages ("A1 matin" is "A1
	// صبح" in Dari), from the classes file's label_<language> columns.
	Labels Labels
}

// Labels are a name's translations, keyed by language tag (as chore areas
// and class groups and rooms have them).
type Labels map[string]string

// In returns the label for lang, else name.
func (l Labels) In(lang, name string) string {
	if v := l[lang]; v != "" {
		return v
	}
	return name
}

// Arg writes the labels for an outbox row's arguments (JSON), "" when
// there are none.
func (l Labels) Arg() string {
	if len(l) == 0 {
		return ""
	}
	b, err := json.Marshal(map[string]string(l))
	if err != nil {
		return ""
	}
	return string(b)
}

// ParseLabelsArg reads what Arg wrote; anything unreadable is no labels,
// and the name is shown.
func ParseLabelsArg(s string) Labels {
	var l Labels
	if s == "" || json.Unmarshal([]byte(s), &l) != nil {
		return nil
	}
	return l
}

// ClassSession is one weekly slot of a group. Start and End are minutes
// after midnight on the centre's wall clock (Europe/Paris), so a 10:00
// class is at 10:00 before and after the clock changes.
type ClassSession struct {
	ID         int64
	CentreID   int64
	GroupID    int64
	ExternalID string
	GroupName  string
	Level      string
	Weekday    time.Weekday
	Start, End int
	Room       string
	Teacher    string
	// GroupLabels and RoomLabels are the group's name and the room in
	// residents' languages (see ClassGroup.Labels).
	GroupLabels Labels
	RoomLabels  Labels
}

// GroupIn is the group's name in language lang.
func (s ClassSession) GroupIn(lang string) string { return s.GroupLabels.In(lang, s.GroupName) }

// Minutes is the planned length of the session.
func (s ClassSession) Minutes() int { return s.End - s.Start }

// ClassOccurrence is a session on one date. Date, the planned civil date
// (midnight UTC), is its identity even when it is moved to another day.
type ClassOccurrence struct {
	Session      ClassSession
	Date         time.Time
	PlannedStart time.Time
	PlannedEnd   time.Time
	// Start, End and Room are where and when it really takes place.
	Start, End time.Time
	Room       string
	Cancelled  bool
	Moved      bool
	// Revision counts the staff's changes of this occurrence (0: never
	// changed); it keys its reminders, so a class cancelled then restored
	// is reminded again.
	Revision int
}

// RoomIn is where the occurrence takes place, in language lang: the
// session's room label, unless the class was moved to another room (staff
// type that one, in French only).
func (o ClassOccurrence) RoomIn(lang string) string {
	if o.Room != o.Session.Room {
		return o.Room
	}
	return o.Session.RoomLabels.In(lang, o.Room)
}

// roomLabels are the labels that go with the occurrence's room.
func (o ClassOccurrence) roomLabels() Labels {
	if o.Room != o.Session.Room {
		return nil
	}
	return o.Session.RoomLabels
}

// Minutes is how long the occurrence really lasts.
func (o ClassOccurrence) Minutes() int { return int(o.End.Sub(o.Start) / time.Minute) }

// Change kinds of an occurrence.
const (
	ClassCancelled = "cancelled"
	ClassMoved     = "moved"
	ClassRestored  = "restored"
)

// classChangeRow is a stored one-off change.
type classChangeRow struct {
	ID        int64
	SessionID int64
	Date      time.Time
	Kind      string
	NewStart  *time.Time
	NewEnd    *time.Time
	NewRoom   *string
	Revision  int
}

// ClassDateKey writes a civil date the compact way used in button data and job
// arguments: "20261127".
func ClassDateKey(d time.Time) string { return d.Format("20060102") }

// ParseClassDate reads a ClassDateKey back into a civil date (midnight UTC).
func ParseClassDate(s string) (time.Time, error) {
	if len(s) != 8 {
		return time.Time{}, fmt.Errorf("store: date key %q", s)
	}
	d, err := time.Parse("20060102", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: date key %q: %w", s, err)
	}
	return d, nil
}

// ClassDate is the date of t on the clock of loc, as midnight UTC (how
// PostgreSQL dates come back).
func ClassDate(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// ClassWallClock is the instant when loc's clocks show date at minutes after
// midnight.
func ClassWallClock(date time.Time, minutes int, loc *time.Location) time.Time {
	return time.Date(date.Year(), date.Month(), date.Day(), minutes/60, minutes%60, 0, 0, loc)
}

// classISOWeekday maps Go's weekday (Sunday 0) to ISO's (Monday 1 … Sunday 7).
func classISOWeekday(d time.Weekday) int {
	if d == time.Sunday {
		return 7
	}
	return int(d)
}

const classSessionColumns = `s.id, s.centre_id, s.group_id, s.external_id, g.name, g.level, s.weekday,
	(extract(hour FROM s.starts) * 60 + extract(minute FROM s.starts))::int,
	(extract(hour FROM s.ends) * 60 + extract(minute FROM s.ends))::int,
	s.room, s.teacher, g.labels, s.room_labels`

func scanClassSession(row pgx.Row) (ClassSession, error) {
	var s ClassSession
	var wd int
	err := row.Scan(&s.ID, &s.CentreID, &s.GroupID, &s.ExternalID, &s.GroupName, &s.Level, &wd,
		&s.Start, &s.End, &s.Room, &s.Teacher, &s.GroupLabels, &s.RoomLabels)
	s.Weekday = time.Weekday(wd % 7)
	return s, notFound(err)
}

// ClassQuery selects occurrences whose real start is in [From, To).
type ClassQuery struct {
	// CentreID scopes the query; 0 means every centre (the reminder
	// planner only).
	CentreID int64
	// PersonID, when set, keeps the groups he is enrolled in.
	PersonID int64
	From, To time.Time
}

// ClassOccurrences lists occurrences in time order, cancelled ones
// included (they start at their planned time), moved ones at their new
// time.
func (s *Store) ClassOccurrences(ctx context.Context, q ClassQuery, loc *time.Location) ([]ClassOccurrence, error) {
	// Only the sessions that can fall in the window are read: those held on
	// one of its weekdays, and those with an occurrence moved into it. A
	// staff member's list of today's classes then costs the day's classes,
	// not the centre's whole timetable (issue 13: 1,000 groups).
	sql := `SELECT ` + classSessionColumns + ` FROM class_sessions s JOIN class_groups g ON g.id = s.group_id
		WHERE ($1::bigint = 0 OR s.centre_id = $1)
		  AND ($2::bigint = 0 OR EXISTS (SELECT 1 FROM class_enrolments e WHERE e.group_id = s.group_id AND e.person_id = $2))
		  AND (s.weekday = ANY($3::smallint[]) OR EXISTS (SELECT 1 FROM class_changes c
		       WHERE c.session_id = s.id AND c.kind = 'moved' AND c.new_starts_at >= $4 AND c.new_starts_at < $5))
		ORDER BY s.id`
	rows, err := s.pool.Query(ctx, sql, q.CentreID, q.PersonID, windowWeekdays(q.From, q.To, loc), q.From, q.To)
	if err != nil {
		return nil, fmt.Errorf("store: class sessions: %w", err)
	}
	sessions, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ClassSession, error) { return scanClassSession(r) })
	if err != nil {
		return nil, fmt.Errorf("store: class sessions: %w", err)
	}
	if len(sessions) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(sessions))
	for i, se := range sessions {
		ids[i] = se.ID
	}
	// A change is relevant when its planned date is near the window, or
	// when it moves an occurrence into the window from far away.
	changes, err := s.classChanges(ctx, s.pool, `session_id = ANY($1) AND
		(on_date BETWEEN $2::date AND $3::date OR (kind = 'moved' AND new_starts_at >= $4 AND new_starts_at < $5))`,
		ids, ClassDate(q.From, loc).AddDate(0, 0, -1), ClassDate(q.To, loc).AddDate(0, 0, 1), q.From, q.To)
	if err != nil {
		return nil, err
	}
	return expandClassOccurrences(sessions, changes, q.From, q.To, loc), nil
}

// windowWeekdays are the ISO weekdays (1 = Monday … 7 = Sunday, as
// class_sessions stores them) of the centre's days that [from, to)
// touches, with a day's margin on each side as the changes query has:
// every weekday once the window spans a week.
func windowWeekdays(from, to time.Time, loc *time.Location) []int16 {
	first, last := ClassDate(from, loc).AddDate(0, 0, -1), ClassDate(to, loc).AddDate(0, 0, 1)
	var out []int16
	for d := first; !d.After(last) && len(out) < 7; d = d.AddDate(0, 0, 1) {
		out = append(out, int16(classISOWeekday(d.Weekday())))
	}
	return out
}

// expandClassOccurrences builds the occurrences of sessions whose real start is
// in [from, to), applying changes.
func expandClassOccurrences(sessions []ClassSession, changes []classChangeRow, from, to time.Time, loc *time.Location) []ClassOccurrence {
	type key struct {
		session int64
		date    time.Time
	}
	bySession := map[int64]ClassSession{}
	for _, se := range sessions {
		bySession[se.ID] = se
	}
	changeOf := map[key]classChangeRow{}
	candidates := map[key]bool{}
	for _, c := range changes {
		k := key{c.SessionID, c.Date}
		changeOf[k] = c
		if se, ok := bySession[c.SessionID]; ok && c.Date.Weekday() == se.Weekday {
			candidates[k] = true
		}
	}
	// Planned dates from a day before to a day after the window, since the
	// window's edges are instants, not dates.
	first, last := ClassDate(from, loc).AddDate(0, 0, -1), ClassDate(to, loc).AddDate(0, 0, 1)
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		for _, se := range sessions {
			if d.Weekday() == se.Weekday {
				candidates[key{se.ID, d}] = true
			}
		}
	}
	var out []ClassOccurrence
	for k := range candidates {
		o := buildClassOccurrence(bySession[k.session], k.date, changeOf[k], loc)
		if !o.Start.Before(from) && o.Start.Before(to) {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].Session.ID < out[j].Session.ID
	})
	return out
}

// buildClassOccurrence applies a change (zero value: none) to a session's date.
func buildClassOccurrence(se ClassSession, date time.Time, c classChangeRow, loc *time.Location) ClassOccurrence {
	o := ClassOccurrence{Session: se, Date: date,
		PlannedStart: ClassWallClock(date, se.Start, loc), PlannedEnd: ClassWallClock(date, se.End, loc), Room: se.Room}
	o.Start, o.End = o.PlannedStart, o.PlannedEnd
	o.Revision = c.Revision
	switch c.Kind {
	case ClassCancelled:
		o.Cancelled = true
	case ClassMoved:
		o.Moved = true
		o.Start, o.End, o.Room = *c.NewStart, *c.NewEnd, *c.NewRoom
	}
	return o
}

type classQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const classChangeSelect = `SELECT id, session_id, on_date, kind, new_starts_at, new_ends_at, new_room, revision
		FROM class_changes`

func scanClassChange(r pgx.CollectableRow) (classChangeRow, error) {
	var c classChangeRow
	err := r.Scan(&c.ID, &c.SessionID, &c.Date, &c.Kind, &c.NewStart, &c.NewEnd, &c.NewRoom, &c.Revision)
	return c, err
}

func (s *Store) classChanges(ctx context.Context, q classQuerier, where string, args ...any) ([]classChangeRow, error) {
	rows, err := q.Query(ctx, classChangeSelect+` WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: class changes: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanClassChange)
	if err != nil {
		return nil, fmt.Errorf("store: class changes: %w", err)
	}
	return out, nil
}

// ClassOccurrenceOn returns one occurrence of a centre's session, or
// ErrNotFound when the session is not the centre's or does not meet on
// that date.
func (s *Store) ClassOccurrenceOn(ctx context.Context, centreID, sessionID int64, date time.Time, loc *time.Location) (ClassOccurrence, error) {
	return s.classOccurrenceOn(ctx, s.pool, centreID, sessionID, date, loc, false)
}

func (s *Store) classOccurrenceOn(ctx context.Context, q classQuerier, centreID, sessionID int64, date time.Time, loc *time.Location, lock bool) (ClassOccurrence, error) {
	sql := `SELECT ` + classSessionColumns + ` FROM class_sessions s JOIN class_groups g ON g.id = s.group_id
		WHERE s.centre_id = $1 AND s.id = $2`
	if lock {
		// Changes of one session are made one at a time.
		sql += ` FOR UPDATE OF s`
	}
	se, err := scanClassSession(q.QueryRow(ctx, sql, centreID, sessionID))
	if err != nil {
		return ClassOccurrence{}, fmt.Errorf("store: class session %d: %w", sessionID, err)
	}
	date = time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, time.UTC)
	if date.Weekday() != se.Weekday {
		// Said before the changes are read: a forged date costs no query.
		return occurrenceOn(se, date, nil, loc)
	}
	changes, err := s.classChanges(ctx, q, `session_id = $1 AND on_date = $2`, sessionID, date)
	if err != nil {
		return ClassOccurrence{}, err
	}
	return occurrenceOn(se, date, changes, loc)
}

// occurrenceOn is the occurrence of a session planned on date (a UTC
// midnight, as ClassDate gives) with the change made to it, if any, among
// changes; ErrNotFound when the session is not held on that weekday.
func occurrenceOn(se ClassSession, date time.Time, changes []classChangeRow, loc *time.Location) (ClassOccurrence, error) {
	if date.Weekday() != se.Weekday {
		return ClassOccurrence{}, fmt.Errorf("store: class session %d on %s: %w", se.ID, ClassDateKey(date), ErrNotFound)
	}
	var c classChangeRow
	if len(changes) > 0 {
		c = changes[0]
	}
	return buildClassOccurrence(se, date, c, loc), nil
}

// ClassRosterEntry is a resident enrolled in a group.
type ClassRosterEntry struct {
	PersonID        int64
	Name            string
	Room            string
	Language        string
	TelegramID      *int64
	Status          string
	PrescribedHours int
}

// ClassRoster lists the residents enrolled in a centre's group who have not
// left, by name.
func (s *Store) ClassRoster(ctx context.Context, centreID, groupID int64) ([]ClassRosterEntry, error) {
	return classRosterOf(ctx, s.pool, centreID, groupID)
}

// classRosterSQL selects a group's roster; the group is the one %s names
// ($1 is the centre).
const classRosterSQL = `SELECT p.id, p.display_name, p.room, p.language, p.telegram_id, p.status, e.prescribed_hours
		FROM class_enrolments e JOIN people p ON p.id = e.person_id
		WHERE e.centre_id = $1 AND e.group_id = %s AND p.centre_id = $1 AND p.status <> 'left'
		ORDER BY lower(p.display_name), p.id`

func scanClassRosterEntry(r pgx.CollectableRow) (ClassRosterEntry, error) {
	var e ClassRosterEntry
	err := r.Scan(&e.PersonID, &e.Name, &e.Room, &e.Language, &e.TelegramID, &e.Status, &e.PrescribedHours)
	return e, err
}

func classRosterOf(ctx context.Context, q classQuerier, centreID, groupID int64) ([]ClassRosterEntry, error) {
	rows, err := q.Query(ctx, fmt.Sprintf(classRosterSQL, "$2"), centreID, groupID)
	if err != nil {
		return nil, fmt.Errorf("store: class roster: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanClassRosterEntry)
	if err != nil {
		return nil, fmt.Errorf("store: class roster: %w", err)
	}
	return out, nil
}

// ClassOccurrenceWithRoster is ClassOccurrenceOn and the ClassRoster of the
// session's group in one round trip (one batch): an attendance button
// needs both, and a staff member taps one for each resident (issue 13).
// It returns ErrNotFound as ClassOccurrenceOn does.
func (s *Store) ClassOccurrenceWithRoster(ctx context.Context, centreID, sessionID int64, date time.Time, loc *time.Location) (ClassOccurrence, []ClassRosterEntry, error) {
	date = time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, time.UTC)
	var se ClassSession
	var found bool
	var changes []classChangeRow
	var roster []ClassRosterEntry
	b := &pgx.Batch{}
	b.Queue(`SELECT `+classSessionColumns+` FROM class_sessions s JOIN class_groups g ON g.id = s.group_id
		WHERE s.centre_id = $1 AND s.id = $2`, centreID, sessionID).QueryRow(func(row pgx.Row) (err error) {
		se, err = scanClassSession(row)
		// A missing session is an answer, said after the batch: an error
		// returned here would also evict the batch's prepared statements.
		found = err == nil
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	})
	// The change and the roster are asked for before the session is
	// checked: they are used only when it is the centre's (the roster
	// names its group through it).
	b.Queue(classChangeSelect+` WHERE session_id = $1 AND on_date = $2`, sessionID, date).
		Query(func(rows pgx.Rows) (err error) {
			changes, err = pgx.CollectRows(rows, scanClassChange)
			return err
		})
	b.Queue(fmt.Sprintf(classRosterSQL, `(SELECT s.group_id FROM class_sessions s WHERE s.centre_id = $1 AND s.id = $2)`),
		centreID, sessionID).Query(func(rows pgx.Rows) (err error) {
		roster, err = pgx.CollectRows(rows, scanClassRosterEntry)
		return err
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return ClassOccurrence{}, nil, fmt.Errorf("store: class session %d and roster: %w", sessionID, err)
	}
	if !found {
		return ClassOccurrence{}, nil, fmt.Errorf("store: class session %d: %w", sessionID, ErrNotFound)
	}
	o, err := occurrenceOn(se, date, changes, loc)
	if err != nil {
		return ClassOccurrence{}, nil, err
	}
	return o, roster, nil
}

// ClassProgress is a resident's hours of French: attended against
// prescribed.
type ClassProgress struct {
	Groups          []ClassGroup
	AttendedMinutes int
	// PrescribedHours is the largest prescription of his enrolments (OFII
	// prescribes once per person; a second group, such as a Saturday one,
	// carries the same figure).
	PrescribedHours int
}

// ClassProgress returns a resident's groups and hours. A resident in no
// group has no groups and zero hours.
func (s *Store) ClassProgress(ctx context.Context, centreID, personID int64) (ClassProgress, error) {
	var p ClassProgress
	rows, err := s.pool.Query(ctx, `SELECT g.id, g.centre_id, g.external_id, g.level, g.name, e.prescribed_hours
		FROM class_enrolments e JOIN class_groups g ON g.id = e.group_id
		WHERE e.centre_id = $1 AND e.person_id = $2 ORDER BY g.name, g.id`, centreID, personID)
	if err != nil {
		return p, fmt.Errorf("store: class progress: %w", err)
	}
	for rows.Next() {
		var g ClassGroup
		var hours int
		if err := rows.Scan(&g.ID, &g.CentreID, &g.ExternalID, &g.Level, &g.Name, &hours); err != nil {
			rows.Close()
			return p, fmt.Errorf("store: class progress: %w", err)
		}
		p.Groups = append(p.Groups, g)
		p.PrescribedHours = max(p.PrescribedHours, hours)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return p, fmt.Errorf("store: class progress: %w", err)
	}
	err = s.pool.QueryRow(ctx, `SELECT COALESCE(sum(r.minutes), 0)::int
		FROM class_attendance a JOIN class_registers r ON r.id = a.register_id
		WHERE r.centre_id = $1 AND a.person_id = $2 AND a.mark = 'present'`, centreID, personID).Scan(&p.AttendedMinutes)
	if err != nil {
		return p, fmt.Errorf("store: class hours: %w", err)
	}
	return p, nil
}

// ClassChange is a staff member's one-off change of an occurrence.
type ClassChange struct {
	CentreID  int64
	SessionID int64
	Date      time.Time
	ActorID   int64
	Kind      string // ClassCancelled, ClassMoved or ClassRestored
	// NewStart, NewEnd and NewRoom are the new time and place of a move.
	NewStart, NewEnd time.Time
	NewRoom          string
	// Now is when the change is made; ReminderBefore is how long before
	// the class its reminder is due (0: the change queues no reminder, the
	// planner will).
	Now            time.Time
	ReminderBefore time.Duration
}

// ClassChangeNotice is what a change told the enrolled residents.
type ClassChangeNotice struct {
	// Key names this change once and for all (change id and revision);
	// the residents' notices are keyed by it.
	Key       string
	Kind      string
	Before    ClassOccurrence
	After     ClassOccurrence
	Residents []ClassRosterEntry
	// Told is how many residents (those with Telegram) a notice was queued for.
	Told int
}

// ChangeClassOccurrence cancels, moves or restores one occurrence in one
// transaction with its audit entry and its outbox rows: a notice to each
// enrolled resident with Telegram, and the class's reminders, whose pending
// ones (for the old time) are cancelled and queued again for the new time.
// The change and its messages exist together or not at all. It returns
// ErrNotFound for an occurrence the centre does not have and
// ErrClassUnchanged when nothing would change.
func (s *Store) ChangeClassOccurrence(ctx context.Context, ch ClassChange, loc *time.Location) (ClassChangeNotice, error) {
	var n ClassChangeNotice
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		before, err := s.classOccurrenceOn(ctx, tx, ch.CentreID, ch.SessionID, ch.Date, loc, true)
		if err != nil {
			return err
		}
		switch {
		case ch.Kind == ClassCancelled && before.Cancelled,
			ch.Kind == ClassRestored && !before.Cancelled && !before.Moved:
			return ErrClassUnchanged
		case ch.Kind == ClassMoved && (!ch.NewEnd.After(ch.NewStart) || ch.NewRoom == ""):
			return fmt.Errorf("store: move to an empty time or room")
		case ch.Kind != ClassCancelled && ch.Kind != ClassMoved && ch.Kind != ClassRestored:
			return fmt.Errorf("store: unknown change %q", ch.Kind)
		}
		var newStart, newEnd *time.Time
		var newRoom *string
		if ch.Kind == ClassMoved {
			newStart, newEnd, newRoom = &ch.NewStart, &ch.NewEnd, &ch.NewRoom
		}
		var id int64
		var rev int
		err = tx.QueryRow(ctx, `INSERT INTO class_changes
				(centre_id, session_id, on_date, kind, new_starts_at, new_ends_at, new_room, changed_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (session_id, on_date) DO UPDATE SET kind = EXCLUDED.kind,
				new_starts_at = EXCLUDED.new_starts_at, new_ends_at = EXCLUDED.new_ends_at,
				new_room = EXCLUDED.new_room, changed_by = EXCLUDED.changed_by, changed_at = now(),
				revision = class_changes.revision + 1
			RETURNING id, revision`,
			ch.CentreID, ch.SessionID, before.Date, ch.Kind, newStart, newEnd, newRoom, ch.ActorID).Scan(&id, &rev)
		if err != nil {
			return err
		}
		after, err := s.classOccurrenceOn(ctx, tx, ch.CentreID, ch.SessionID, ch.Date, loc, false)
		if err != nil {
			return err
		}
		detail := map[string]any{"session_id": ch.SessionID, "date": ClassDateKey(before.Date), "revision": rev}
		if ch.Kind == ClassMoved {
			detail["new_start"], detail["new_end"], detail["new_room"] = ch.NewStart.UTC(), ch.NewEnd.UTC(), ch.NewRoom
		}
		if err := audit(ctx, tx, ch.CentreID, &ch.ActorID, "class."+ch.Kind, nil, detail); err != nil {
			return err
		}
		residents, err := classRosterOf(ctx, tx, ch.CentreID, before.Session.GroupID)
		if err != nil {
			return err
		}
		n = ClassChangeNotice{Key: classChangeKey(id, rev), Kind: ch.Kind, Before: before, After: after, Residents: residents}
		// The reminders of the old time must not go out, nor a notice of a
		// change this one replaces (cancelled, then restored before the
		// notice left): residents hear of the class as it now is.
		if _, err := s.cancelOutbox(ctx, tx, ch.CentreID, classReminderPrefix(ch.SessionID, before.Date), ch.Now); err != nil {
			return err
		}
		if _, err := s.cancelOutbox(ctx, tx, ch.CentreID, classChangePrefix(id), ch.Now); err != nil {
			return err
		}
		var msgs []OutboxMessage
		for _, p := range residents {
			if p.TelegramID == nil {
				continue
			}
			msgs = append(msgs, classChangeMessage(n, p.PersonID))
		}
		n.Told = len(msgs)
		if ch.ReminderBefore > 0 && !after.Cancelled && after.Start.After(ch.Now) {
			msgs = append(msgs, classReminders(after, residents, ch.ReminderBefore)...)
		}
		_, err = s.enqueue(ctx, tx, ch.Now, msgs...)
		return err
	})
	if err != nil {
		return ClassChangeNotice{}, fmt.Errorf("store: change class: %w", err)
	}
	return n, nil
}

// PlanClassReminders queues the reminder of every class starting in the
// query's window and not cancelled, to each enrolled resident who is
// active and on Telegram, due before before the class. A reminder queued
// before is not queued again (its key names the class, its start and its
// revision), so the planner may run as often as it likes; a resident who
// joined the group since gets his. It returns how many were queued.
func (s *Store) PlanClassReminders(ctx context.Context, q ClassQuery, before time.Duration, now time.Time, loc *time.Location) (int, error) {
	occ, err := s.ClassOccurrences(ctx, q, loc)
	if err != nil {
		return 0, err
	}
	// One centre at a time, each in a transaction of its own: the hourly
	// run over a deployment of many centres queues tens of thousands of
	// reminders, which in one batch took the process from 55 to 91 MB
	// (make bench-centres, 100 centres × 200 residents). Each centre's
	// reminders are still written whole or not at all, and a run cut
	// between two centres is finished by the next (what was queued is not
	// queued again).
	byCentre := map[int64][]ClassOccurrence{}
	var centres []int64
	for _, o := range occ {
		if o.Cancelled || !o.Start.After(now) {
			continue
		}
		c := o.Session.CentreID
		if _, ok := byCentre[c]; !ok {
			centres = append(centres, c)
		}
		byCentre[c] = append(byCentre[c], o)
	}
	var queued int
	for _, c := range centres {
		rosters := map[int64][]ClassRosterEntry{}
		var msgs []OutboxMessage
		for _, o := range byCentre[c] {
			roster, ok := rosters[o.Session.GroupID]
			if !ok {
				if roster, err = classRosterOf(ctx, s.pool, c, o.Session.GroupID); err != nil {
					return queued, err
				}
				rosters[o.Session.GroupID] = roster
			}
			msgs = append(msgs, classReminders(o, roster, before)...)
		}
		n, err := s.Enqueue(ctx, now, msgs...)
		if err != nil {
			return queued, fmt.Errorf("store: plan class reminders: %w", err)
		}
		queued += n
	}
	return queued, nil
}

// Outbox kinds of French classes; handlers render them in the recipient's
// language when they are sent, from the Args written here.
const (
	// KindClassReminder reminds a resident of a class before it starts.
	// Args: session, date (ClassDateKey), start (Unix), revision.
	KindClassReminder = "class_reminder"
	// KindClassNotice tells a resident a class was cancelled, moved or
	// restored. Args: session, change, group, was, start, end (Unix), room.
	KindClassNotice = "class_notice"
	// KindAbsenceAlert tells a coordinator a resident missed classes in a
	// row. Args: resident, count, group.
	KindAbsenceAlert = "class_absence_alert"
	// KindEnrolNotice tells a resident he joined or left a class group, or
	// that his hours changed. Args: change, group, level, hours.
	KindEnrolNotice = "class_enrol_notice"
)

// classReminderPrefix starts the keys of an occurrence's reminders.
func classReminderPrefix(sessionID int64, date time.Time) string {
	return "reminder:class:" + strconv.FormatInt(sessionID, 10) + ":" + ClassDateKey(date) + ":"
}

// classReminders are the reminders of an occurrence to the residents of its
// roster who are active and on Telegram. The key holds the start and the
// revision, so a class moved, re-timed by an import, or cancelled and
// restored gets new reminders instead of being taken for the old ones.
func classReminders(o ClassOccurrence, roster []ClassRosterEntry, before time.Duration) []OutboxMessage {
	var msgs []OutboxMessage
	start := strconv.FormatInt(o.Start.Unix(), 10)
	rev := strconv.Itoa(o.Revision)
	for _, p := range roster {
		if p.TelegramID == nil || p.Status != StatusActive {
			continue
		}
		msgs = append(msgs, OutboxMessage{
			CentreID: o.Session.CentreID, PersonID: p.PersonID, Kind: KindClassReminder,
			Key:   classReminderPrefix(o.Session.ID, o.Date) + start + ":" + rev + ":" + strconv.FormatInt(p.PersonID, 10),
			MsgID: "classes.reminder",
			Args: map[string]string{"session": strconv.FormatInt(o.Session.ID, 10), "date": ClassDateKey(o.Date),
				"start": start, "revision": rev},
			NotBefore: o.Start.Add(-before),
		})
	}
	return msgs
}

// classChangeKey names one revision of a change; classChangePrefix starts
// the keys of every revision's notices.
func classChangeKey(changeID int64, rev int) string {
	return classChangePrefix(changeID) + strconv.Itoa(rev)
}

func classChangePrefix(changeID int64) string {
	return "notice:class:" + strconv.FormatInt(changeID, 10) + ":"
}

// classChangeMessage is a resident's notice of a change.
func classChangeMessage(n ClassChangeNotice, personID int64) OutboxMessage {
	unix := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	return OutboxMessage{
		CentreID: n.After.Session.CentreID, PersonID: personID, Kind: KindClassNotice,
		Key: n.Key + ":" + strconv.FormatInt(personID, 10), MsgID: ClassNoticeMessage(n.Kind),
		Args: map[string]string{"session": strconv.FormatInt(n.After.Session.ID, 10), "change": n.Kind,
			"group": n.After.Session.GroupName, "was": unix(n.Before.Start), "start": unix(n.After.Start),
			"end": unix(n.After.End), "room": n.After.Room,
			"group_labels": n.After.Session.GroupLabels.Arg(), "room_labels": n.After.roomLabels().Arg()},
	}
}
