package handlers

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// ---- CSV import ----

// choreKeyRe is the form of an area's external id.
var choreKeyRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

var choreWeekdays = map[string]int{
	"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7,
	"monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6, "sunday": 7,
	"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7,
}

// ParseChoresCSV reads a chores file (format in README and
// docs/examples/chores.csv) and checks the form of every line. A bad line
// comes back with its reason in Err; bad columns in the header make the
// whole file unreadable (fatal). The database checks (people exist and are
// residents) are done by store.ImportChores, which reports both kinds.
func ParseChoresCSV(r io.Reader) (rows []store.ChoreImportRow, fatal []store.ChoreLineError) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, []store.ChoreLineError{{Line: 1, Msg: "no header line: " + csvReason(err)}}
	}
	hl, _ := cr.FieldPos(0)
	col := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if tag, ok := strings.CutPrefix(name, "label_"); ok {
			l, found := locales.Lookup(choreTagCase(tag))
			if !found {
				fatal = append(fatal, store.ChoreLineError{Line: hl, Msg: fmt.Sprintf("column %q: %q is not a language of cairbot", h, tag)})
				continue
			}
			name = "label_" + l.Tag
		} else if !slices.Contains([]string{"kind", "key", "name", "days", "start", "end", "active"}, name) {
			fatal = append(fatal, store.ChoreLineError{Line: hl, Msg: fmt.Sprintf("column %q is unknown (kind, key, name, days, start, end, active, label_<language>)", h)})
			continue
		}
		if _, dup := col[name]; dup {
			fatal = append(fatal, store.ChoreLineError{Line: hl, Msg: fmt.Sprintf("column %q appears twice", h)})
		}
		col[name] = i
	}
	for _, need := range []string{"kind", "key"} {
		if _, ok := col[need]; !ok {
			fatal = append(fatal, store.ChoreLineError{Line: hl, Msg: fmt.Sprintf("column %q is missing", need)})
		}
	}
	if len(fatal) > 0 {
		return nil, fatal
	}
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			rows = append(rows, store.ChoreImportRow{Line: pe.StartLine, Err: csvReason(err)})
			continue
		}
		if err != nil {
			return nil, []store.ChoreLineError{{Line: line, Msg: csvReason(err)}}
		}
		if len(rec) != len(header) {
			rows = append(rows, store.ChoreImportRow{Line: line, Err: fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))})
			continue
		}
		if slices.IndexFunc(rec, func(s string) bool { return strings.TrimSpace(s) != "" }) < 0 {
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row, msgs := parseChoreRow(line, get, col)
		if len(msgs) == 0 {
			k := row.Kind + " " + strings.ToLower(row.Key)
			if first, dup := seen[k]; dup {
				msgs = append(msgs, fmt.Sprintf("%s %q is already on line %d", row.Kind, row.Key, first))
			} else {
				seen[k] = line
			}
		}
		row.Err = strings.Join(msgs, "; ")
		rows = append(rows, row)
	}
	return rows, nil
}

func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// choreTagCase writes a tag as cairbot spells it ("fa-af" → "fa-AF").
func choreTagCase(tag string) string {
	base, region, ok := strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
	if !ok {
		return base
	}
	return base + "-" + strings.ToUpper(region)
}

func parseChoreRow(line int, get func(string) string, col map[string]int) (store.ChoreImportRow, []string) {
	row := store.ChoreImportRow{Line: line, Kind: strings.ToLower(get("kind")), Key: get("key"), Active: true}
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
		var e1, e2 string
		row.Start, e1 = parseChoreTime("start", get("start"), false)
		row.End, e2 = parseChoreTime("end", get("end"), true)
		for _, e := range []string{e1, e2} {
			if e != "" {
				msgs = append(msgs, e)
			}
		}
		if e1 == "" && e2 == "" && row.End <= row.Start {
			msgs = append(msgs, fmt.Sprintf("end %s is not after start %s", get("end"), get("start")))
		}
		for name := range col {
			tag, ok := strings.CutPrefix(name, "label_")
			if !ok || get(name) == "" {
				continue
			}
			label, ok := choreLabel(get(name))
			if !ok {
				msgs = append(msgs, fmt.Sprintf("%s: 1 to 80 printable characters", name))
				continue
			}
			if row.Labels == nil {
				row.Labels = map[string]string{}
			}
			row.Labels[tag] = label
		}
	case "member":
		if id, ok := strings.CutPrefix(row.Key, "#"); ok {
			if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
				msgs = append(msgs, fmt.Sprintf("key %q: after # comes the person's number", row.Key))
			}
		} else if row.Key == "" || len(row.Key) > 64 || strings.ContainsFunc(row.Key, unicode.IsSpace) {
			msgs = append(msgs, fmt.Sprintf("key %q: the resident's external id, or # and his number", row.Key))
		}
		for _, name := range []string{"name", "days", "start", "end"} {
			if get(name) != "" {
				msgs = append(msgs, fmt.Sprintf("%s: not used for a member, leave it empty", name))
			}
		}
		for name := range col {
			if strings.HasPrefix(name, "label_") && get(name) != "" {
				msgs = append(msgs, fmt.Sprintf("%s: not used for a member, leave it empty", name))
			}
		}
	default:
		msgs = append(msgs, fmt.Sprintf("kind %q: write area or member", get("kind")))
	}
	return row, msgs
}

// choreLabel cleans an area's name in a language like CleanName, but keeps
// the zero-width (non-)joiners that Persian and Pashto spelling needs
// ("حمام‌ها").
func choreLabel(s string) (string, bool) {
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

// parseChoreDays reads weekdays separated by spaces, "|" or ";": "mon thu",
// "1;4".
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

// parseChoreTime reads HH:MM (24-hour) as minutes after midnight; 24:00
// may end a window.
func parseChoreTime(name, s string, end bool) (int, string) {
	h, m, ok := strings.Cut(locales.ASCIIDigits(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	bad := fmt.Sprintf("%s %q: write the time as HH:MM, e.g. 18:30", name, s)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 {
		return 0, bad
	}
	v := hh*60 + mm
	if v > 24*60 || (v == 24*60 && !end) || (hh == 24 && mm != 0) {
		return 0, bad
	}
	return v, ""
}

// ChoresImporter is what an import needs from storage.
type ChoresImporter interface {
	ImportChores(ctx context.Context, centreID int64, rows []store.ChoreImportRow, now time.Time) (store.ChoreImportResult, error)
}

// ImportChoresCSV checks a whole file, then imports it in one transaction:
// with any bad line nothing is written and the error is a
// *store.ChoreImportError naming every bad line and why.
func ImportChoresCSV(ctx context.Context, st ChoresImporter, centreID int64, r io.Reader, now time.Time) (store.ChoreImportResult, error) {
	rows, fatal := ParseChoresCSV(r)
	if len(fatal) > 0 {
		return store.ChoreImportResult{}, &store.ChoreImportError{Lines: fatal}
	}
	return st.ImportChores(ctx, centreID, rows, now)
}
