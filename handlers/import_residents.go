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
	"unicode/utf8"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// ImportLineError is one bad line of an import, with why.
type ImportLineError struct {
	Line    int
	Problem string
}

func (e ImportLineError) String() string { return fmt.Sprintf("line %d: %s", e.Line, e.Problem) }

// residentColumns are the columns of a residents file; the first four are
// required.
var residentColumns = []string{"external_id", "name", "room", "language", "role", "arrived_on",
	"monthly_amount", "monthly_resources"}

var externalIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$`)

// maxImportLines bounds a residents file: a centre has a few hundred beds.
const maxImportLines = 5000

// ParseResidentsCSV reads and validates a residents file (comma or
// semicolon separated, UTF-8, header line first; see
// docs/examples/residents.csv). It returns the rows, or every problem
// found, each naming its line: a file with any bad line is refused whole.
func ParseResidentsCSV(in io.Reader) ([]store.ResidentRow, []ImportLineError) {
	raw, err := io.ReadAll(io.LimitReader(in, 4<<20))
	if err != nil {
		return nil, []ImportLineError{{0, "cannot read the file: " + err.Error()}}
	}
	if !utf8.Valid(raw) {
		return nil, []ImportLineError{{0, "the file is not UTF-8 text (save it as \"CSV UTF-8\")"}}
	}
	text := strings.TrimPrefix(string(raw), "\ufeff")
	rd := csv.NewReader(strings.NewReader(text))
	rd.FieldsPerRecord = -1
	first, _, _ := strings.Cut(text, "\n")
	if strings.Count(first, ";") > strings.Count(first, ",") {
		rd.Comma = ';'
	}
	header, err := rd.Read()
	if err != nil {
		return nil, []ImportLineError{{1, "no header line: " + csvProblem(err)}}
	}
	col := map[string]int{}
	var errs []ImportLineError
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(residentColumns, name) {
			errs = append(errs, ImportLineError{1, fmt.Sprintf("unknown column %q (columns: %s)", h, strings.Join(residentColumns, ", "))})
			continue
		}
		if _, dup := col[name]; dup {
			errs = append(errs, ImportLineError{1, fmt.Sprintf("column %q appears twice", name)})
		}
		col[name] = i
	}
	for _, req := range residentColumns[:4] {
		if _, ok := col[req]; !ok {
			errs = append(errs, ImportLineError{1, fmt.Sprintf("missing column %q", req)})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var rows []store.ResidentRow
	seen := map[string]int{}
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := rd.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			errs = append(errs, ImportLineError{line, csvProblem(err)})
			if pe == nil {
				break
			}
			continue
		}
		if len(rows)+len(errs) >= maxImportLines {
			errs = append(errs, ImportLineError{line, fmt.Sprintf("too many lines (at most %d)", maxImportLines)})
			break
		}
		if blankRecord(rec) {
			continue
		}
		field := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if len(rec) != len(header) {
			errs = append(errs, ImportLineError{line, fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))})
			continue
		}
		row, problems := residentRow(line, field)
		if prev, dup := seen[row.ExternalID]; dup && row.ExternalID != "" {
			problems = append(problems, fmt.Sprintf("external_id %q is also on line %d", row.ExternalID, prev))
		} else if row.ExternalID != "" {
			seen[row.ExternalID] = line
		}
		if len(problems) > 0 {
			errs = append(errs, ImportLineError{line, strings.Join(problems, "; ")})
			continue
		}
		rows = append(rows, row)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(rows) == 0 {
		return nil, []ImportLineError{{2, "no resident in the file"}}
	}
	return rows, nil
}

func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return "cannot read the line: " + pe.Err.Error()
	}
	return err.Error()
}

func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// residentRow validates one line; problems name each bad field.
func residentRow(line int, field func(string) string) (store.ResidentRow, []string) {
	var problems []string
	row := store.ResidentRow{Line: line, Role: store.RoleResident}
	row.ExternalID = field("external_id")
	if !externalIDRe.MatchString(row.ExternalID) {
		problems = append(problems, fmt.Sprintf("external_id %q: 1–64 letters, digits, . _ - (required)", row.ExternalID))
	}
	if name, ok := CleanName(field("name")); ok {
		row.DisplayName = name
	} else {
		problems = append(problems, "name: 1–80 printable characters (required)")
	}
	row.Room = strings.ToUpper(strings.TrimSpace(locales.ASCIIDigits(field("room"))))
	if row.Room != "" && !roomRe.MatchString(row.Room) {
		problems = append(problems, fmt.Sprintf("room %q: 1–16 letters, digits or -", field("room")))
	}
	row.Floor = FloorOfRoom(row.Room)
	lang := field("language")
	if l, ok := locales.Lookup(lang); ok {
		row.Language = l.Tag
	} else if tag, ok := locales.Match(lang); ok {
		row.Language = tag
	} else {
		var tags []string
		for _, l := range locales.Languages {
			tags = append(tags, l.Tag)
		}
		problems = append(problems, fmt.Sprintf("language %q: one of %s", lang, strings.Join(tags, ", ")))
	}
	if role := field("role"); role != "" {
		r, err := store.ParseRole(strings.ToLower(role))
		if err != nil {
			problems = append(problems, fmt.Sprintf("role %q: resident, staff, coordinator or admin", role))
		}
		row.Role = r
	}
	if s := field("arrived_on"); s != "" {
		// A file is read later than it is written: its dates carry
		// their year.
		d, yearTyped, ok := locales.ParseDate(s, time.UTC, 0)
		if !ok || !yearTyped {
			problems = append(problems, fmt.Sprintf("arrived_on %q: a date such as 2026-11-15 or 15/11/2026", s))
		} else {
			row.ArrivedOn = &d
		}
	}
	amount, resources := field("monthly_amount"), field("monthly_resources")
	switch {
	case amount != "" && resources != "":
		problems = append(problems, "give monthly_amount or monthly_resources, not both")
	case amount != "":
		cents, err := parseNonNegativeAmount(amount)
		if err != nil {
			problems = append(problems, fmt.Sprintf("monthly_amount %q: %s", amount, importAmountProblem(err)))
		} else {
			row.Contribution = &store.Contribution{Basis: store.BasisFixed, Cents: cents}
		}
	case resources != "":
		cents, err := parseNonNegativeAmount(resources)
		if err != nil {
			problems = append(problems, fmt.Sprintf("monthly_resources %q: %s", resources, importAmountProblem(err)))
		} else {
			row.Contribution = &store.Contribution{Basis: store.BasisResources, Cents: cents}
		}
	}
	if row.Contribution != nil && row.Role != store.RoleResident && row.Role != "" {
		problems = append(problems, "only residents have a monthly contribution")
	}
	return row, problems
}

func importAmountProblem(err error) string {
	switch {
	case errors.Is(err, ErrAmountNegative):
		return "cannot be negative"
	case errors.Is(err, ErrAmountTooLarge):
		return "more than 10 000 €"
	}
	return "not an amount in euros, such as 45 or 45,50"
}

// ErrImportRejected means a residents file had bad lines: nothing was
// written, and the report names every one.
var ErrImportRejected = errors.New("handlers: import rejected, nothing written")

// ResidentImporter is what a residents import needs from storage.
type ResidentImporter interface {
	ImportResidents(ctx context.Context, centreID int64, rows []store.ResidentRow, actorID *int64, expires time.Time) (store.ImportResult, error)
}

// ImportResidentsCSV validates a residents file and imports it in one
// transaction (`cairbot import residents FILE`). The report, for the
// person at the terminal, names every bad line and why (and then nothing
// is written, err is ErrImportRejected), or says what was done, with the
// one-time invite code and link of each new person. link turns a code into
// its t.me link ("" when the bot's name is unknown).
func ImportResidentsCSV(ctx context.Context, st ResidentImporter, centreID int64, in io.Reader,
	expires time.Time, link func(code string) string) (string, error) {
	rows, bad := ParseResidentsCSV(in)
	var b strings.Builder
	if len(bad) > 0 {
		fmt.Fprintf(&b, "residents file rejected: %d bad line(s), nothing was imported.\n", len(bad))
		for _, e := range bad {
			b.WriteString("  " + e.String() + "\n")
		}
		return b.String(), ErrImportRejected
	}
	res, err := st.ImportResidents(ctx, centreID, rows, nil, expires)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "residents imported: %d new, %d changed, %d unchanged.\n", len(res.New), len(res.Changed), res.Unchanged)
	if len(res.Changed) > 0 {
		lines := make([]string, len(res.Changed))
		for i, l := range res.Changed {
			lines[i] = strconv.Itoa(l)
		}
		fmt.Fprintf(&b, "changed on line(s) %s.\n", strings.Join(lines, ", "))
	}
	if len(res.New) > 0 {
		b.WriteString("one-time invite codes of the new people (hand each to him in person):\n")
	}
	for _, n := range res.New {
		p := n.Person
		fmt.Fprintf(&b, "  line %d: %s (%s, room %s, %s): %s", n.Line, p.DisplayName, *p.ExternalID, residentRoom(p), p.Language, n.Code)
		if l := link(n.Code); l != "" {
			b.WriteString("  " + l)
		}
		b.WriteString("\n")
	}
	if len(res.New) > 0 {
		fmt.Fprintf(&b, "codes valid until %s.\n", expires.Format("2006-01-02 15:04 MST"))
	}
	return b.String(), nil
}
