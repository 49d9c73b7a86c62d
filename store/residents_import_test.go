package store_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// TestImportResidentsCSV: a file with bad lines is refused whole, every
// bad line named with all that is wrong with it, and nothing is written;
// the example file imports, and again changes nothing.
func TestImportResidentsCSV(t *testing.T) {
	t.Parallel()
	f := newMoneyFixture(t)
	ctx := context.Background()
	expires := storetest.Now(t).Add(24 * time.Hour)
	people := func() int {
		var n int
		if err := f.st.Pool().QueryRow(ctx, `SELECT count(*) FROM people`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := people()
	bad := "external_id;name;room;language;role;arrived_on;monthly_amount;monthly_resources\n" +
		"R-1;Ahmad Karimi;214;fa-AF;;2026-11-02;45;\n" +
		";No Id;215;fr;;;;\n" +
		"R-3;Omar Hassan;305;klingon;;;;\n" +
		"R-4;Abdi Mohamed;108;so;;31/02/2026;;\n" +
		"R-5;Yonas Tesfay;101;ti;;;douze;\n" +
		"R-6;Rahim Safi;102;ps;;;45;600\n" +
		"R-1;Sami Ali;103;en;;;;\n" +
		"R-8;Claire;;fr;boss;;;\n" +
		"R-9;Tom;;en;staff;;30;\n" +
		"R-10;Hamid;1 0 4;fa-AF;;;-5;\n" +
		"R-11;Kept;;fr;;3/12;;\n"
	_, err := f.st.ImportResidentsCSV(ctx, f.centre.ID, strings.NewReader(bad), nil, expires)
	var ie *store.ImportError
	if !errors.As(err, &ie) || !errors.Is(err, store.ErrImportRejected) {
		t.Fatalf("bad file: %v", err)
	}
	want := []string{
		`line 3: external_id "": 1–64 letters, digits, . _ - (required)`,
		`line 4: language "klingon": one of fr, en, fa-AF, ps, ar, ti, so, am, bn, ur, ru, tr`,
		`line 5: arrived_on "31/02/2026": a date such as 2026-11-15 or 15/11/2026`,
		`line 6: monthly_amount "douze": not an amount in euros, such as 45 or 45,50`,
		`line 7: give monthly_amount or monthly_resources, not both`,
		`line 8: external_id "R-1" is also on line 2`,
		`line 9: role "boss": resident, staff, coordinator or admin`,
		`line 10: only residents have a monthly contribution`,
		`line 11: room "1 0 4": 1–16 letters, digits or -; monthly_amount "-5": cannot be negative`,
		`line 12: arrived_on "3/12": a date such as 2026-11-15 or 15/11/2026`, // a file's dates carry their year
	}
	var got []string
	for _, p := range ie.Problems {
		got = append(got, p.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := people(); n != before {
		t.Fatalf("a refused file wrote people: %d → %d", before, n)
	}

	example, err := os.ReadFile("../docs/examples/residents.csv")
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.st.ImportResidentsCSV(ctx, f.centre.ID, strings.NewReader(string(example)), nil, expires)
	if err != nil || len(res.New) != 6 || len(res.Changed) != 0 || res.Unchanged != 0 {
		t.Fatalf("example = %+v, %v", res, err)
	}
	if p := res.New[0]; p.Line != 2 || p.Person.DisplayName != "Ahmad Karimi" || p.Person.Room != "214" ||
		p.Person.Floor == nil || *p.Person.Floor != 2 || len(p.Code) != 10 {
		t.Fatalf("first new person = %+v", p)
	}
	res, err = f.st.ImportResidentsCSV(ctx, f.centre.ID, strings.NewReader(string(example)), nil, expires)
	if err != nil || len(res.New) != 0 || len(res.Changed) != 0 || res.Unchanged != 6 {
		t.Fatalf("second import = %+v, %v", res, err)
	}
	if _, err := f.st.ImportResidentsCSV(ctx, f.centre.ID, strings.NewReader("external_id,name,room,language\n"), nil, expires); err == nil ||
		!strings.Contains(err.Error(), "line 2: no resident in the file") {
		t.Fatalf("header only: %v", err)
	}
}
