package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aurore/cairbot/store"
)

// TestReadCSV is the generic part of every import: how a file is read and
// its header mapped, and each problem that refuses a file or a line.
func TestReadCSV(t *testing.T) {
	cols := store.CSVColumns{Required: []string{"kind", "key"}, Optional: []string{"name"}, Labels: true,
		NoLines: "no line after the header"}
	var many strings.Builder
	many.WriteString("kind,key\n")
	for i := range 5001 {
		fmt.Fprintf(&many, "area,k%d\n", i)
	}
	tests := []struct {
		name     string
		in       string
		records  []string // "line:kind/key/name" of each record read
		labels   []string
		problems []string // "line: message" (line 0: the file), in order
	}{
		{name: "comma", in: "kind,key,name\narea,kitchen,Kitchen\n",
			records: []string{"2:area/kitchen/Kitchen"}},
		{name: "semicolon as French Excel saves", in: "kind;key;name\narea;kitchen;Kitchen, big\n",
			records: []string{"2:area/kitchen/Kitchen, big"}},
		{name: "byte-order mark and CRLF", in: "\ufeffKind,KEY\r\narea,kitchen\r\n",
			records: []string{"2:area/kitchen/"}},
		{name: "quoted fields", in: "kind,key,name\narea, kitchen ,\"Kitchen, \"\"big\"\"\nroom\"\n",
			records: []string{"2:area/kitchen/Kitchen, \"big\"\nroom"}},
		{name: "comments and blank lines skipped, lines keep their number", in: "# areas\nkind,key\n\n,\n# x\narea,yard\n",
			records: []string{"6:area/yard/"}},
		{name: "label columns in any case", in: "kind,key,label_FA_af,label_ar\narea,k,آشپزخانه,مطبخ\n",
			records: []string{"2:area/k/"}, labels: []string{"label_fa-AF", "label_ar"}},
		{name: "empty file", in: "",
			problems: []string{"0: the file is empty: it needs a header line with the columns kind, key, name, label_<language>"}},
		{name: "header only", in: "kind,key\n",
			problems: []string{"2: no line after the header"}},
		{name: "bad header: every problem named", in: "kind,colour,name,Name,label_xx\narea,k,,,\n",
			problems: []string{
				`1: column "colour" is unknown (columns: kind, key, name, label_<language>)`,
				`1: column "Name" appears twice`,
				`1: column "label_xx": "xx" is not a language of cairbot`,
				`1: column "key" is missing (columns: kind, key, name, label_<language>)`,
			}},
		{name: "missing column", in: "kind\narea\n",
			problems: []string{`1: column "key" is missing (columns: kind, key, name, label_<language>)`}},
		{name: "bad lines reported, good ones kept", in: "kind,key\narea,a\narea,b,extra\n\"open,x\narea,c\n",
			records: []string{"2:area/a/"},
			problems: []string{"3: 3 fields, the header has 2",
				`4: cannot read the line: extraneous or missing " in quoted-field`}},
		{name: "not UTF-8", in: "kind,key\narea,cuisine \xe9t\xe9\n",
			problems: []string{`0: the file is not UTF-8 text (save it as "CSV UTF-8")`}},
		{name: "too many lines", in: many.String(),
			problems: []string{"5002: too many lines (at most 5000)"}},
		{name: "too large", in: "kind,key\n" + strings.Repeat("area,"+strings.Repeat("x", 1000)+"\n", 4200),
			problems: []string{"0: the file is larger than 4 MB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file, problems := store.ReadCSV(strings.NewReader(tt.in), cols)
			var got []string
			for _, r := range file.Records {
				got = append(got, fmt.Sprintf("%d:%s/%s/%s", r.Line, r.Get("kind"), r.Get("key"), r.Get("name")))
			}
			if tt.name == "too many lines" {
				got = got[:0] // 5000 read before the limit; the problem is the point
			}
			if strings.Join(got, "|") != strings.Join(tt.records, "|") {
				t.Errorf("records = %q, want %q", got, tt.records)
			}
			if strings.Join(file.LabelColumns, ",") != strings.Join(tt.labels, ",") {
				t.Errorf("label columns = %q, want %q", file.LabelColumns, tt.labels)
			}
			var gotP []string
			for _, p := range problems {
				gotP = append(gotP, fmt.Sprintf("%d: %s", p.Line, p.Msg))
			}
			if strings.Join(gotP, "\n") != strings.Join(tt.problems, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(gotP, "\n"), strings.Join(tt.problems, "\n"))
			}
		})
	}
}

// TestImportErrorNamesEveryLine: a refused import is ErrImportRejected and
// its message lists every bad line.
func TestImportErrorNamesEveryLine(t *testing.T) {
	err := error(&store.ImportError{What: "chores", Problems: []store.ImportProblem{
		{Line: 0, Msg: "the file is empty"}, {Line: 3, Msg: "kind \"x\""}}})
	if !errors.Is(err, store.ErrImportRejected) {
		t.Fatal("an ImportError is not ErrImportRejected")
	}
	want := "chores file rejected: 2 bad line(s), nothing imported:\n  the file is empty\n  line 3: kind \"x\""
	if err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err.Error(), want)
	}
}
