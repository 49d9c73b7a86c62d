package store

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/aurore/cairbot/locales"
)

// `cairbot import chores FILE.csv`: cleaning areas and who is on the rota
// (format in README and docs/examples/chores.csv), read by ReadCSV:
//
//	kind,key,name,days,start,end,active,label_<language>…
//
//	area:   key (the area's own id), name, days (mon … sun), start and end
//	        (Paris time; the end may be 24:00), active, translated names
//	member: key (the resident's external id, or # and his number), active
//	        (no takes him off the rota)

// choreColumns is the header of a chores file.
var choreColumns = CSVColumns{Required: []string{"kind", "key"},
	Optional: []string{"name", "days", "start", "end", "active"}, Labels: true}

// choreKeyRe is the form of an area's external id.
var choreKeyRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

var choreWeekdays = map[string]int{
	"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7,
	"monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6, "sunday": 7,
	"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7,
}

// ParseChoresCSV reads a chores file and checks the form of every line:
// rows for the good lines, a problem for each bad one (every reason of a
// line in one). Whether the people exist and are residents is checked by
// ImportChoresCSV, in its transaction.
func ParseChoresCSV(r io.Reader) ([]ChoreImportRow, []ImportProblem) {
	file, problems := ReadCSV(r, choreColumns)
	var rows []ChoreImportRow
	seen := map[string]int{}
	for _, rec := range file.Records {
		row, msgs := parseChoreRow(rec, file.LabelColumns)
		if len(msgs) == 0 {
			k := row.Kind + " " + strings.ToLower(row.Key)
			if first, dup := seen[k]; dup {
				msgs = append(msgs, fmt.Sprintf("%s %q is already on line %d", row.Kind, row.Key, first))
			} else {
				seen[k] = rec.Line
			}
		}
		if len(msgs) > 0 {
			problems = append(problems, ImportProblem{Line: rec.Line, Msg: strings.Join(msgs, "; ")})
			continue
		}
		rows = append(rows, row)
	}
	return rows, problems
}

func parseChoreRow(rec CSVRecord, labelCols []string) (ChoreImportRow, []string) {
	get := rec.Get
	row := ChoreImportRow{Line: rec.Line, Kind: strings.ToLower(get("kind")), Key: get("key"), Active: true}
	var msgs []string
	switch a := strings.ToLower(get("active")); a {
	case "", "yes", "y", "true", "1", "oui":
	case "no", "n", "false", "0", "non":
		row.Active = false
	default:
		msgs = append(msgs, fmt.Sprintf("active %q: write yes or no", a))
	}
	switch row.Kind {
	case "area":
		if !choreKeyRe.MatchString(row.Key) {
			msgs = append(msgs, fmt.Sprintf("key %q: 1 to 64 letters, digits, . _ - (the area's own id)", row.Key))
		}
		name, ok := CleanName(get("name"))
		if !ok {
			msgs = append(msgs, "name: 1 to 80 printable characters")
		}
		row.Name = name
		days, err := parseChoreDays(get("days"))
		if err != "" {
			msgs = append(msgs, err)
		}
		row.Days = days
		var okS, okE bool
		row.Start, okS = locales.ParseClock(get("start"))
		row.End, okE = locales.ParseEndClock(get("end"))
		if !okS {
			msgs = append(msgs, fmt.Sprintf("start %q: write the time as HH:MM, e.g. 18:30", get("start")))
		}
		if !okE {
			msgs = append(msgs, fmt.Sprintf("end %q: write the time as HH:MM, e.g. 18:30", get("end")))
		}
		if okS && okE && row.End <= row.Start {
			msgs = append(msgs, fmt.Sprintf("end %s is not after start %s", get("end"), get("start")))
		}
		for _, col := range labelCols {
			if get(col) == "" {
				continue
			}
			label, ok := cleanLabel(get(col))
			if !ok {
				msgs = append(msgs, fmt.Sprintf("%s: 1 to 80 printable characters", col))
				continue
			}
			if row.Labels == nil {
				row.Labels = map[string]string{}
			}
			row.Labels[strings.TrimPrefix(col, "label_")] = label
		}
	case "member":
		if id, ok := strings.CutPrefix(row.Key, "#"); ok {
			if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
				msgs = append(msgs, fmt.Sprintf("key %q: after # comes the person's number", row.Key))
			}
		} else if row.Key == "" || len(row.Key) > 64 || strings.ContainsFunc(row.Key, unicode.IsSpace) {
			msgs = append(msgs, fmt.Sprintf("key %q: the resident's external id, or # and his number", row.Key))
		}
		for _, col := range append([]string{"name", "days", "start", "end"}, labelCols...) {
			if get(col) != "" {
				msgs = append(msgs, fmt.Sprintf("%s: not used for a member, leave it empty", col))
			}
		}
	default:
		msgs = append(msgs, fmt.Sprintf("kind %q: write area or member", get("kind")))
	}
	return row, msgs
}

// CleanName trims and collapses spaces and drops the marks RTL keyboards
// add; a name is 1–80 printable characters.
func CleanName(s string) (string, bool) {
	s = strings.Join(strings.Fields(locales.StripBidi(s)), " ")
	if s == "" || len([]rune(s)) > 80 {
		return "", false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return "", false
		}
	}
	return s, true
}

// cleanLabel cleans a name in a language like CleanName, but keeps the
// zero-width (non-)joiners that Persian and Pashto spelling needs
// ("حمام‌ها").
func cleanLabel(s string) (string, bool) {
	s = strings.Join(strings.Fields(locales.StripBidi(s)), " ")
	if s == "" || len([]rune(s)) > 80 {
		return "", false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) && r != '\u200c' && r != '\u200d' {
			return "", false
		}
	}
	return s, true
}

// parseChoreDays reads weekdays separated by spaces, "|", ";" or "/":
// "mon thu", "1;4".
func parseChoreDays(s string) ([]int, string) {
	fields := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return unicode.IsSpace(r) || r == '|' || r == ';' || r == '/' })
	if len(fields) == 0 {
		return nil, "days: empty (write e.g. mon thu)"
	}
	var days []int
	for _, f := range fields {
		d, ok := choreWeekdays[f]
		if !ok {
			return nil, fmt.Sprintf("days: %q is not a weekday (mon tue wed thu fri sat sun)", f)
		}
		if slices.Contains(days, d) {
			return nil, fmt.Sprintf("days: %q twice", f)
		}
		days = append(days, d)
	}
	slices.Sort(days)
	return days, ""
}

// ImportChoresCSV reads, checks and imports a chores file in one
// transaction, keyed by the area's key and the member's person, so that
// importing the same file twice changes nothing. Any bad line — of form,
// or a person unknown, not a resident or gone — makes it write nothing and
// return an *ImportError naming every bad line.
func (s *Store) ImportChoresCSV(ctx context.Context, centreID int64, r io.Reader, now time.Time) (ChoreImportResult, error) {
	rows, problems := ParseChoresCSV(r)
	return s.importChores(ctx, centreID, rows, problems, now)
}
