package store_test

import (
	"os"
	"strings"
	"testing"

	"github.com/aurore/cairbot/store"
)

// TestParseChoresCSVFields: each field of a chores line, read or refused
// with its reason; times are read by locales.ParseClock, as in the
// classes file.
func TestParseChoresCSVFields(t *testing.T) {
	tests := []struct {
		line string
		want string // "" for a good line, else part of the reason
	}{
		{"area,k1,Kitchen,mon thu,18:00,20:00,,", ""},
		{"area,k1,Kitchen,MONDAY;Thursday,08:30,24:00,no,Cuisine", ""},
		{"area,k1,Kitchen,1|4,۱۸:۰۰,۲۰:۰۰,,", ""}, // digits as a Dari keyboard types them
		{"area,k1,Kitchen,mon,18h,20h30,,", ""},   // as in the classes file
		{"area,k 1,Kitchen,mon,18:00,20:00,,", `key "k 1"`},
		{"area,k1,,mon,18:00,20:00,,", "name: 1 to 80"},
		{"area,k1,Kitchen,,18:00,20:00,,", "days: empty"},
		{"area,k1,Kitchen,mon mon,18:00,20:00,,", `"mon" twice`},
		{"area,k1,Kitchen,lundi,18:00,20:00,,", `"lundi" is not a weekday`},
		{"area,k1,Kitchen,mon,soir,20:00,,", `start "soir": write the time as HH:MM`},
		{"area,k1,Kitchen,mon,24:00,24:00,,", `start "24:00"`},
		{"area,k1,Kitchen,mon,18:00,18:00,,", "is not after start"},
		{"area,k1,Kitchen,mon,18:00,8:5,,", `end "8:5"`},
		{"area,k1,Kitchen,mon,18:00,24:30,,", `end "24:30"`},
		{"member,R-1,,,,,,", ""},
		{"member,#12,,,,,yes,", ""},
		{"member,#x,,,,,,", "after # comes the person's number"},
		{"member,R-1,Ahmad,,,,,", "name: not used for a member"},
		{"member,R-1,,,,,,Cuisine", "label_fr: not used for a member"},
		{"chore,R-1,,,,,,", `kind "chore"`},
	}
	for _, tt := range tests {
		rows, problems := store.ParseChoresCSV(strings.NewReader("kind,key,name,days,start,end,active,label_FR\n" + tt.line + "\n"))
		got := ""
		for _, p := range problems {
			if p.Line != 2 {
				t.Errorf("%q: problem on line %d: %s", tt.line, p.Line, p.Msg)
			}
			got += p.Msg
		}
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) || len(rows) != map[bool]int{true: 1}[got == ""] {
			t.Errorf("%q: rows %d, problem %q, want %q", tt.line, len(rows), got, tt.want)
		}
	}
	rows, problems := store.ParseChoresCSV(strings.NewReader("kind;key;name;days;start;end;active;label_fa_af\narea;k1;Kitchen;thu mon;08:30;24:00;no;آشپزخانه\n"))
	if len(problems) > 0 || len(rows) != 1 {
		t.Fatalf("rows %+v, problems %v", rows, problems)
	}
	if r := rows[0]; r.Line != 2 || r.Days[0] != 1 || r.Days[1] != 4 || r.Start != 510 || r.End != 1440 || r.Active || r.Labels["fa-AF"] != "آشپزخانه" {
		t.Fatalf("parsed row = %+v", r)
	}
}

func TestExampleChoresFileIsValid(t *testing.T) {
	f, err := os.Open("../docs/examples/chores.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, problems := store.ParseChoresCSV(f)
	for _, p := range problems {
		t.Errorf("example %s", p)
	}
	areas := 0
	for _, r := range rows {
		if r.Kind == "area" {
			areas++
			if len(r.Labels) != 12 {
				t.Errorf("example line %d has %d labels, want all 12 languages", r.Line, len(r.Labels))
			}
		}
	}
	if areas < 5 {
		t.Fatalf("example has %d areas", areas)
	}
}
