package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/aurore/cairbot/locales"
)

// `cairbot import classes FILE.csv`: groups, weekly sessions and enrolments
// in one file, keyed by external ids so that importing the same file again
// changes nothing. The whole file is checked first and written in one
// transaction: one bad line and nothing is imported, and the report names
// every bad line.
//
// Columns (header required, any order):
//
//	kind,id,group,level,name,weekday,start,end,room,teacher,resident,hours
//
//	group:     id, level, name
//	session:   id, group, weekday, start, end, room, teacher
//	enrolment: group, resident (the resident's external id), hours (100, 200, 400 or 600)
//
// and, optionally, label_<language> columns (label_fa-AF, label_ar, …), as
// in the chores file: on a group line the group's name in that language,
// on a session line the room's; empty on enrolment lines. A room is written
// without the word "salle" or "room" (the messages add it in each
// language); a leading "Salle"/"Room" is dropped, so "Salle 2" is room "2".

// ClassImportColumns is the header of a classes file.
var ClassImportColumns = []string{"kind", "id", "group", "level", "name", "weekday", "start", "end", "room", "teacher", "resident", "hours"}

// ClassImportRow is one line of a classes file.
type ClassImportRow struct {
	Line     int
	Kind     string // "group", "session" or "enrolment"
	ID       string
	Group    string
	Level    string
	Name     string
	Weekday  time.Weekday
	Start    int // minutes after midnight
	End      int
	Room     string
	Teacher  string
	Resident string
	Hours    int
	// Labels are the group's name (group line) or the room (session line)
	// by language tag.
	Labels Labels
}

// ClassImportResult is what an accepted file changed.
type ClassImportResult struct {
	Groups, Sessions, Enrolments ImportCounts
}

// Changed reports whether the import wrote anything.
func (r ClassImportResult) Changed() bool {
	for _, c := range []ImportCounts{r.Groups, r.Sessions, r.Enrolments} {
		if c.Added+c.Changed > 0 {
			return true
		}
	}
	return false
}

var classExternalIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$`)

// classWeekdayNames are the names a centre's spreadsheet may use, in French or
// English, full or short, and ISO numbers (1 = Monday).
var classWeekdayNames = func() map[string]time.Weekday {
	m := map[string]time.Weekday{}
	names := [][]string{
		{"sunday", "sun", "dimanche", "dim", "7"},
		{"monday", "mon", "lundi", "lun", "1"},
		{"tuesday", "tue", "mardi", "mar", "2"},
		{"wednesday", "wed", "mercredi", "mer", "3"},
		{"thursday", "thu", "jeudi", "jeu", "4"},
		{"friday", "fri", "vendredi", "ven", "5"},
		{"saturday", "sat", "samedi", "sam", "6"},
	}
	for d, ns := range names {
		for _, n := range ns {
			m[n] = time.Weekday(d)
		}
	}
	return m
}()

// FormatClassTime writes minutes after midnight as "09:30".
func FormatClassTime(minutes int) string {
	return fmt.Sprintf("%02d:%02d", minutes/60, minutes%60)
}

// classCleanText trims and collapses spaces; ok is false for control
// characters or more than max characters.
func classCleanText(s string, max int) (string, bool) {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > max {
		return s, false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return s, false
		}
	}
	return s, true
}

// classColumns is the header of a classes file: every column, any order.
var classColumns = CSVColumns{Required: ClassImportColumns, Labels: true,
	NoLines: "the file has no group, session or enrolment line"}

// ParseClassesCSV reads a classes file and checks each line on its own;
// references between lines and to the database are checked by
// ImportClassesCSV.
func ParseClassesCSV(r io.Reader) ([]ClassImportRow, []ImportProblem) {
	file, problems := ReadCSV(r, classColumns)
	var rows []ClassImportRow
	for _, rec := range file.Records {
		row, msgs := parseClassRow(rec.Get, file.LabelColumns)
		row.Line = rec.Line
		for _, m := range msgs {
			problems = append(problems, ImportProblem{Line: rec.Line, Msg: m})
		}
		if len(msgs) == 0 {
			rows = append(rows, row)
		}
	}
	return rows, problems
}

// classRoomWordRe is the word "salle" or "room" that starts a room as
// spreadsheets write it ("Salle 2").
var classRoomWordRe = regexp.MustCompile(`(?i)^(salle|room)\s+`)

// CleanClassRoom drops a leading "salle"/"room" from a room, since every
// message says the word itself: "Salle 2" would read "salle Salle 2".
func CleanClassRoom(room string) string {
	return classRoomWordRe.ReplaceAllString(strings.TrimSpace(room), "")
}

// parseClassRow checks one line's own fields; every problem is reported.
func parseClassRow(get func(string) string, labelCols []string) (ClassImportRow, []string) {
	row := ClassImportRow{Kind: strings.ToLower(get("kind"))}
	var msgs []string
	bad := func(format string, a ...any) { msgs = append(msgs, fmt.Sprintf(format, a...)) }
	id := func(field, what string) string {
		v := get(field)
		if !classExternalIDRe.MatchString(v) {
			bad("%s %q must be 1–40 letters, digits, '-', '_' or '.'", what, v)
		}
		return v
	}
	text := func(field, what string, max int) string {
		v, ok := classCleanText(get(field), max)
		if v == "" || !ok {
			bad("%s %q must be 1–%d printable characters", what, v, max)
		}
		return v
	}
	unused := func(fields ...string) {
		for _, f := range fields {
			if get(f) != "" {
				bad("column %q must be empty on a %s line", f, row.Kind)
			}
		}
	}
	labels := func(what string, max int) {
		for _, c := range labelCols {
			if get(c) == "" {
				continue
			}
			v, ok := classCleanText(strings.NewReplacer("\u200c", "", "\u200d", "").Replace(get(c)), max)
			if ok {
				// Dari and Pashto need the zero-width non-joiner (نمی‌دانند),
				// which is not "printable"; only the rest is checked.
				v, _ = classCleanText(get(c), max)
			}
			if !ok {
				bad("%s %q must be 1–%d printable characters", c, v, max)
				continue
			}
			if what == "room" {
				v = CleanClassRoom(v)
			}
			if row.Labels == nil {
				row.Labels = Labels{}
			}
			row.Labels[strings.TrimPrefix(c, "label_")] = v
		}
	}
	switch row.Kind {
	case "group":
		row.ID = id("id", "group id")
		row.Level = text("level", "level", 20)
		row.Name = text("name", "name", 60)
		labels("name", 60)
		unused("group", "weekday", "start", "end", "room", "teacher", "resident", "hours")
	case "session":
		row.ID = id("id", "session id")
		row.Group = id("group", "group")
		wd, ok := classWeekdayNames[strings.ToLower(get("weekday"))]
		if !ok {
			bad("weekday %q is not a day such as monday or lundi", get("weekday"))
		}
		row.Weekday = wd
		var okS, okE bool
		row.Start, okS = locales.ParseClock(get("start"))
		row.End, okE = locales.ParseClock(get("end"))
		if !okS {
			bad("start %q is not a time like 09:30", get("start"))
		}
		if !okE {
			bad("end %q is not a time like 12:00", get("end"))
		}
		if okS && okE && row.End <= row.Start {
			bad("end %s is not after start %s", get("end"), get("start"))
		}
		row.Room = text("room", "room", 30)
		if r := CleanClassRoom(row.Room); r != "" {
			row.Room = r
		}
		labels("room", 30)
		row.Teacher = text("teacher", "teacher", 60)
		unused("level", "name", "resident", "hours")
	case "enrolment", "enrollment":
		row.Kind = "enrolment"
		row.Group = id("group", "group")
		row.Resident = id("resident", "resident")
		h, err := strconv.Atoi(get("hours"))
		if err != nil || !slices.Contains(PrescribedHours, h) {
			bad("hours %q must be 100, 200, 400 or 600", get("hours"))
		}
		row.Hours = h
		unused(append([]string{"id", "level", "name", "weekday", "start", "end", "room", "teacher"}, labelCols...)...)
	default:
		bad("kind %q must be group, session or enrolment", get("kind"))
	}
	return row, msgs
}

// ImportClassesCSV reads, checks and imports a classes file for a centre
// in one transaction. A refused file gives an *ImportError naming every
// bad line, and nothing is written.
func (s *Store) ImportClassesCSV(ctx context.Context, centreID int64, r io.Reader, actorID *int64) (ClassImportResult, error) {
	rows, problems := ParseClassesCSV(r)
	var res ClassImportResult
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		more, err := checkClassRefs(ctx, tx, centreID, rows)
		if err != nil {
			return err
		}
		problems = append(problems, more...)
		if err := rejectImport("classes", problems); err != nil {
			return err
		}
		if res, err = writeClassRows(ctx, tx, centreID, rows); err != nil {
			return err
		}
		if !res.Changed() {
			return nil
		}
		return audit(ctx, tx, centreID, actorID, "classes.import", nil, map[string]any{
			"groups": res.Groups, "sessions": res.Sessions, "enrolments": res.Enrolments,
		})
	})
	var ie *ImportError
	if errors.As(err, &ie) {
		return ClassImportResult{}, ie
	}
	if err != nil {
		return ClassImportResult{}, fmt.Errorf("store: import classes: %w", err)
	}
	return res, nil
}

// checkClassRefs checks what depends on other lines or on the database:
// duplicates, groups named by sessions and enrolments, residents.
func checkClassRefs(ctx context.Context, tx pgx.Tx, centreID int64, rows []ClassImportRow) ([]ImportProblem, error) {
	var problems []ImportProblem
	bad := func(line int, format string, a ...any) {
		problems = append(problems, ImportProblem{Line: line, Msg: fmt.Sprintf(format, a...)})
	}
	groups, sessions, enrolments := map[string]int{}, map[string]int{}, map[string]int{}
	for _, r := range rows {
		switch r.Kind {
		case "group":
			if l, dup := groups[r.ID]; dup {
				bad(r.Line, "group %q is already defined on line %d", r.ID, l)
			}
			groups[r.ID] = r.Line
		case "session":
			if l, dup := sessions[r.ID]; dup {
				bad(r.Line, "session %q is already defined on line %d", r.ID, l)
			}
			sessions[r.ID] = r.Line
		}
	}
	knownGroup := map[string]bool{}
	groupExists := func(ext string) (bool, error) {
		if _, ok := groups[ext]; ok {
			return true, nil
		}
		if v, ok := knownGroup[ext]; ok {
			return v, nil
		}
		var n int
		err := tx.QueryRow(ctx, `SELECT count(*) FROM class_groups WHERE centre_id = $1 AND external_id = $2`, centreID, ext).Scan(&n)
		knownGroup[ext] = n > 0
		return n > 0, err
	}
	for _, r := range rows {
		if r.Kind != "session" && r.Kind != "enrolment" {
			continue
		}
		ok, err := groupExists(r.Group)
		if err != nil {
			return nil, err
		}
		if !ok {
			bad(r.Line, "group %q is neither in this file nor already imported", r.Group)
		}
		if r.Kind != "enrolment" {
			continue
		}
		k := r.Group + "\x00" + r.Resident
		if l, dup := enrolments[k]; dup {
			bad(r.Line, "resident %q is already enrolled in group %q on line %d", r.Resident, r.Group, l)
		}
		enrolments[k] = r.Line
		var role, status string
		err = tx.QueryRow(ctx, `SELECT role, status FROM people WHERE centre_id = $1 AND external_id = $2`,
			centreID, r.Resident).Scan(&role, &status)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			bad(r.Line, "resident %q is not known in this centre (import residents first)", r.Resident)
		case err != nil:
			return nil, err
		case role != string(RoleResident):
			bad(r.Line, "%q is %s, not a resident", r.Resident, role)
		case status == StatusLeft:
			bad(r.Line, "resident %q has left the centre", r.Resident)
		}
	}
	return problems, nil
}

// nonNilLabels is l, or empty labels: the columns are NOT NULL jsonb, and
// a nil map would be written as JSON null.
func nonNilLabels(l Labels) Labels {
	if l == nil {
		return Labels{}
	}
	return l
}

// writeClassRows upserts the checked rows; a row equal to what is stored is
// left alone, so a second import of the same file writes nothing.
func writeClassRows(ctx context.Context, tx pgx.Tx, centreID int64, rows []ClassImportRow) (ClassImportResult, error) {
	var res ClassImportResult
	groupIDs := map[string]int64{}
	count := func(c *ImportCounts, existed, changed bool) {
		switch {
		case !existed:
			c.Added++
		case changed:
			c.Changed++
		default:
			c.Unchanged++
		}
	}
	for _, r := range rows {
		if r.Kind != "group" {
			continue
		}
		var id int64
		var level, name string
		var oldLabels Labels
		err := tx.QueryRow(ctx, `SELECT id, level, name, labels FROM class_groups WHERE centre_id = $1 AND external_id = $2`,
			centreID, r.ID).Scan(&id, &level, &name, &oldLabels)
		existed := err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return res, err
		}
		labels := nonNilLabels(r.Labels)
		changed := existed && (level != r.Level || name != r.Name || !maps.Equal(oldLabels, labels))
		switch {
		case !existed:
			err = tx.QueryRow(ctx, `INSERT INTO class_groups (centre_id, external_id, level, name, labels) VALUES ($1, $2, $3, $4, $5)
				RETURNING id`, centreID, r.ID, r.Level, r.Name, labels).Scan(&id)
		case changed:
			_, err = tx.Exec(ctx, `UPDATE class_groups SET level = $2, name = $3, labels = $4, updated_at = now() WHERE id = $1`,
				id, r.Level, r.Name, labels)
		}
		if err != nil {
			return res, err
		}
		groupIDs[r.ID] = id
		count(&res.Groups, existed, changed)
	}
	groupID := func(ext string) (int64, error) {
		if id, ok := groupIDs[ext]; ok {
			return id, nil
		}
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM class_groups WHERE centre_id = $1 AND external_id = $2`, centreID, ext).Scan(&id)
		groupIDs[ext] = id
		return id, err
	}
	for _, r := range rows {
		if r.Kind != "session" {
			continue
		}
		gid, err := groupID(r.Group)
		if err != nil {
			return res, err
		}
		var id, oldGroup int64
		var wd, start, end int
		var room, teacher string
		var oldLabels Labels
		err = tx.QueryRow(ctx, `SELECT id, group_id, weekday,
				(extract(hour FROM starts) * 60 + extract(minute FROM starts))::int,
				(extract(hour FROM ends) * 60 + extract(minute FROM ends))::int, room, teacher, room_labels
			FROM class_sessions WHERE centre_id = $1 AND external_id = $2`, centreID, r.ID).
			Scan(&id, &oldGroup, &wd, &start, &end, &room, &teacher, &oldLabels)
		existed := err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return res, err
		}
		iso := classISOWeekday(r.Weekday)
		labels := nonNilLabels(r.Labels)
		changed := existed && (oldGroup != gid || wd != iso || start != r.Start || end != r.End || room != r.Room ||
			teacher != r.Teacher || !maps.Equal(oldLabels, labels))
		switch {
		case !existed:
			_, err = tx.Exec(ctx, `INSERT INTO class_sessions (centre_id, group_id, external_id, weekday, starts, ends, room, teacher, room_labels)
				VALUES ($1, $2, $3, $4, $5::time, $6::time, $7, $8, $9)`,
				centreID, gid, r.ID, iso, FormatClassTime(r.Start), FormatClassTime(r.End), r.Room, r.Teacher, labels)
		case changed:
			_, err = tx.Exec(ctx, `UPDATE class_sessions SET group_id = $2, weekday = $3, starts = $4::time, ends = $5::time,
				room = $6, teacher = $7, room_labels = $8, updated_at = now() WHERE id = $1`,
				id, gid, iso, FormatClassTime(r.Start), FormatClassTime(r.End), r.Room, r.Teacher, labels)
		}
		if err != nil {
			return res, err
		}
		count(&res.Sessions, existed, changed)
	}
	for _, r := range rows {
		if r.Kind != "enrolment" {
			continue
		}
		gid, err := groupID(r.Group)
		if err != nil {
			return res, err
		}
		var pid int64
		if err := tx.QueryRow(ctx, `SELECT id FROM people WHERE centre_id = $1 AND external_id = $2`,
			centreID, r.Resident).Scan(&pid); err != nil {
			return res, err
		}
		var hours int
		err = tx.QueryRow(ctx, `SELECT prescribed_hours FROM class_enrolments WHERE group_id = $1 AND person_id = $2`,
			gid, pid).Scan(&hours)
		existed := err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return res, err
		}
		changed := existed && hours != r.Hours
		switch {
		case !existed:
			_, err = tx.Exec(ctx, `INSERT INTO class_enrolments (centre_id, group_id, person_id, prescribed_hours)
				VALUES ($1, $2, $3, $4)`, centreID, gid, pid, r.Hours)
		case changed:
			_, err = tx.Exec(ctx, `UPDATE class_enrolments SET prescribed_hours = $3, updated_at = now()
				WHERE group_id = $1 AND person_id = $2`, gid, pid, r.Hours)
		}
		if err != nil {
			return res, err
		}
		count(&res.Enrolments, existed, changed)
	}
	return res, nil
}
