package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/aurore/cairbot/locales"
)

// `cairbot import residents FILE.csv` (docs/examples/residents.csv), read
// by ReadCSV:
//
//	external_id,name,room,language[,role,arrived_on,monthly_amount,monthly_resources]

// residentColumns is the header of a residents file.
var residentColumns = CSVColumns{Required: []string{"external_id", "name", "room", "language"},
	Optional: []string{"role", "arrived_on", "monthly_amount", "monthly_resources"},
	NoLines:  "no resident in the file"}

var (
	residentExternalIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$`)
	// roomRe is a room as the centre numbers them: "214", "B12", "RDC-3".
	roomRe = regexp.MustCompile(`^[A-Za-z0-9-]{1,16}$`)
)

// ParseResidentsCSV reads a residents file and checks every line: rows for
// the good lines, a problem for each bad one naming all that is wrong with
// it.
func ParseResidentsCSV(r io.Reader) ([]ResidentRow, []ImportProblem) {
	file, problems := ReadCSV(r, residentColumns)
	var rows []ResidentRow
	seen := map[string]int{}
	for _, rec := range file.Records {
		row, msgs := parseResidentRow(rec)
		if prev, dup := seen[row.ExternalID]; dup && row.ExternalID != "" {
			msgs = append(msgs, fmt.Sprintf("external_id %q is also on line %d", row.ExternalID, prev))
		} else if row.ExternalID != "" {
			seen[row.ExternalID] = rec.Line
		}
		if len(msgs) > 0 {
			problems = append(problems, ImportProblem{Line: rec.Line, Msg: strings.Join(msgs, "; ")})
			continue
		}
		rows = append(rows, row)
	}
	return rows, problems
}

// parseResidentRow checks one line; each problem names its field.
func parseResidentRow(rec CSVRecord) (ResidentRow, []string) {
	field := rec.Get
	var problems []string
	row := ResidentRow{Line: rec.Line, Role: RoleResident}
	row.ExternalID = field("external_id")
	if !residentExternalIDRe.MatchString(row.ExternalID) {
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
		r, err := ParseRole(strings.ToLower(role))
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
		cents, err := locales.ParseAmountOrZero(amount)
		if err != nil {
			problems = append(problems, fmt.Sprintf("monthly_amount %q: %s", amount, importAmountProblem(err)))
		} else {
			row.Contribution = &Contribution{Basis: BasisFixed, Cents: cents}
		}
	case resources != "":
		cents, err := locales.ParseAmountOrZero(resources)
		if err != nil {
			problems = append(problems, fmt.Sprintf("monthly_resources %q: %s", resources, importAmountProblem(err)))
		} else {
			row.Contribution = &Contribution{Basis: BasisResources, Cents: cents}
		}
	}
	if row.Contribution != nil && row.Role != RoleResident && row.Role != "" {
		problems = append(problems, "only residents have a monthly contribution")
	}
	return row, problems
}

func importAmountProblem(err error) string {
	switch {
	case errors.Is(err, locales.ErrAmountNegative):
		return "cannot be negative"
	case errors.Is(err, locales.ErrAmountTooLarge):
		return "more than 10 000 €"
	}
	return "not an amount in euros, such as 45 or 45,50"
}

// FloorOfRoom reads the floor from a room number written the centre's way,
// floor first ("214" is on floor 2); other forms have no known floor.
func FloorOfRoom(room string) *int {
	if len(room) < 3 || len(room) > 4 {
		return nil
	}
	for _, c := range room {
		if c < '0' || c > '9' {
			return nil
		}
	}
	f := int(room[0] - '0')
	if len(room) == 4 {
		f = int(room[0]-'0')*10 + int(room[1]-'0')
	}
	return &f
}

// ImportResidentsCSV reads and checks a residents file, then creates or
// updates its people in one transaction (ImportResidents). A file with
// any bad line writes nothing: the *ImportError names every one.
func (s *Store) ImportResidentsCSV(ctx context.Context, centreID int64, r io.Reader, actorID *int64, expires time.Time) (ImportResult, error) {
	rows, problems := ParseResidentsCSV(r)
	if err := rejectImport("residents", problems); err != nil {
		return ImportResult{}, err
	}
	return s.ImportResidents(ctx, centreID, rows, actorID, expires)
}
