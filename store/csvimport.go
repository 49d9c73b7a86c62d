package store

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aurore/cairbot/locales"
)

// Every import (`cairbot import residents|classes|chores`) has one shape:
// ReadCSV reads the file and maps its header; each entity's parser checks
// every line on its own (residents_import.go, classes_import.go,
// chores_import.go); its Import…CSV method checks what depends on other
// lines and on the database and writes everything in one transaction.
// Every problem of every line is collected, never only the first: one bad
// line and nothing is written, and the *ImportError names them all.

// Bounds of an import file: a centre has a few hundred beds, a few dozen
// classes and cleaning areas. Past them the file is not what was meant.
const (
	maxImportBytes = 4 << 20
	maxImportLines = 5000
)

// ErrImportRejected is what every refused import is (errors.Is): the file
// had bad lines and nothing was written. The *ImportError says which.
var ErrImportRejected = errors.New("store: import rejected, nothing written")

// ImportProblem is one bad line of an import file and why; Line 0 is the
// file as a whole.
type ImportProblem struct {
	Line int
	Msg  string
}

func (p ImportProblem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s", p.Line, p.Msg)
	}
	return p.Msg
}

// ImportError lists every problem of a refused file, in line order.
type ImportError struct {
	What     string // "residents", "classes", "chores"
	Problems []ImportProblem
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s file rejected: %d bad line(s), nothing imported:", e.What, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

func (e *ImportError) Is(target error) bool { return target == ErrImportRejected }

// rejectImport sorts the problems by line (a file's own problems first,
// then each line's in order, keeping the order found within a line) and
// wraps them; nil when there is none.
func rejectImport(what string, problems []ImportProblem) error {
	if len(problems) == 0 {
		return nil
	}
	slices.SortStableFunc(problems, func(a, b ImportProblem) int { return a.Line - b.Line })
	return &ImportError{What: what, Problems: problems}
}

// ImportCounts is what an import did to one kind of row.
type ImportCounts struct {
	Added, Changed, Unchanged int
}

// CSVColumns describes the header of one kind of import file. Columns may
// come in any order and any case; a column not listed is refused, as it is
// most likely a typing mistake that would lose its data.
type CSVColumns struct {
	Required []string
	Optional []string
	// Labels accepts label_<language> columns, one per language cairbot
	// speaks, in any case ("label_fa-af" and "label_fa_AF" are fa-AF).
	Labels bool
	// NoLines is the problem when the file has a header and no line; ""
	// accepts such a file (it changes nothing).
	NoLines string
}

func (c CSVColumns) names() string {
	s := strings.Join(append(slices.Clone(c.Required), c.Optional...), ", ")
	if c.Labels {
		s += ", label_<language>"
	}
	return s
}

// CSVRecord is one line of a file, its fields by column name.
type CSVRecord struct {
	Line   int
	fields map[string]string
}

// Get is the field of column name, spaces trimmed; "" when the file has
// no such column.
func (r CSVRecord) Get(name string) string { return r.fields[name] }

// CSVFile is a file read by ReadCSV.
type CSVFile struct {
	// LabelColumns are the file's label_<tag> columns, tag as cairbot
	// spells it ("label_fa-AF"), in header order.
	LabelColumns []string
	Records      []CSVRecord
}

// ReadCSV reads an import file as spreadsheets save it: UTF-8 with or
// without a byte-order mark, fields separated by commas or — as French
// Excel does — semicolons (whichever the header line has more of), quoted
// fields, lines starting with # as comments, blank lines skipped. It
// checks the header against cols and that each line has as many fields as
// the header. Problems name their line (a header problem, line 1, stops the
// reading); the records of the lines that could be read come back with
// them, so the entity's parser can report its own problems too.
func ReadCSV(r io.Reader, cols CSVColumns) (CSVFile, []ImportProblem) {
	raw, err := io.ReadAll(io.LimitReader(r, maxImportBytes+1))
	if err != nil {
		return CSVFile{}, []ImportProblem{{Msg: "cannot read the file: " + err.Error()}}
	}
	if len(raw) > maxImportBytes {
		return CSVFile{}, []ImportProblem{{Msg: fmt.Sprintf("the file is larger than %d MB", maxImportBytes>>20)}}
	}
	if !utf8.Valid(raw) {
		return CSVFile{}, []ImportProblem{{Msg: `the file is not UTF-8 text (save it as "CSV UTF-8")`}}
	}
	raw = bytes.TrimPrefix(raw, []byte("\ufeff"))
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	first, _, _ := bytes.Cut(raw, []byte("\n"))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		cr.Comma = ';'
	}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return CSVFile{}, []ImportProblem{{Msg: "the file is empty: it needs a header line with the columns " + cols.names()}}
	}
	if err != nil {
		return CSVFile{}, []ImportProblem{{Line: 1, Msg: "cannot read the header line: " + csvReason(err)}}
	}
	headerLine, _ := cr.FieldPos(0)
	var file CSVFile
	var problems []ImportProblem
	headerProblem := func(format string, a ...any) {
		problems = append(problems, ImportProblem{Line: headerLine, Msg: fmt.Sprintf(format, a...)})
	}
	names := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if tag, ok := strings.CutPrefix(name, "label_"); ok && cols.Labels {
			l, found := locales.Lookup(labelTag(tag))
			if !found {
				headerProblem("column %q: %q is not a language of cairbot", h, tag)
				continue
			}
			name = "label_" + l.Tag
			file.LabelColumns = append(file.LabelColumns, name)
		} else if !slices.Contains(cols.Required, name) && !slices.Contains(cols.Optional, name) {
			headerProblem("column %q is unknown (columns: %s)", h, cols.names())
			continue
		}
		if seen[name] {
			headerProblem("column %q appears twice", h)
		}
		seen[name], names[i] = true, name
	}
	for _, need := range cols.Required {
		if !seen[need] {
			headerProblem("column %q is missing (columns: %s)", need, cols.names())
		}
	}
	if len(problems) > 0 {
		return CSVFile{}, problems
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			problems = append(problems, ImportProblem{Line: pe.StartLine, Msg: "cannot read the line: " + csvReason(err)})
			continue
		}
		if err != nil {
			problems = append(problems, ImportProblem{Msg: "cannot read the file: " + err.Error()})
			break
		}
		line, _ := cr.FieldPos(0)
		if len(file.Records)+len(problems) >= maxImportLines {
			problems = append(problems, ImportProblem{Line: line, Msg: fmt.Sprintf("too many lines (at most %d)", maxImportLines)})
			break
		}
		if !slices.ContainsFunc(rec, func(f string) bool { return strings.TrimSpace(f) != "" }) {
			continue // an empty row of the spreadsheet
		}
		if len(rec) != len(header) {
			problems = append(problems, ImportProblem{Line: line, Msg: fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))})
			continue
		}
		fields := make(map[string]string, len(rec))
		for i, f := range rec {
			if names[i] != "" {
				fields[names[i]] = strings.TrimSpace(f)
			}
		}
		file.Records = append(file.Records, CSVRecord{Line: line, fields: fields})
	}
	if len(file.Records) == 0 && len(problems) == 0 && cols.NoLines != "" {
		problems = append(problems, ImportProblem{Line: headerLine + 1, Msg: cols.NoLines})
	}
	return file, problems
}

// labelTag writes a column's language tag as cairbot spells it
// ("fa-af", "fa_af" → "fa-AF").
func labelTag(tag string) string {
	base, region, ok := strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
	if !ok {
		return base
	}
	return base + "-" + strings.ToUpper(region)
}

// csvReason is what encoding/csv found wrong, without its position (the
// problem names the line).
func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
