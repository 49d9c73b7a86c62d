package handlers

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseChoresCSVFields(t *testing.T) {
	tests := []struct {
		line string
		want string // "" for a good line, else part of the reason
	}{
		{"area,k1,Kitchen,mon thu,18:00,20:00,,", ""},
		{"area,k1,Kitchen,MONDAY;Thursday,08:30,24:00,no,Cuisine", ""},
		{"area,k1,Kitchen,1|4,۱۸:۰۰,۲۰:۰۰,,", ""}, // digits as a Dari keyboard types them
		{"area,k 1,Kitchen,mon,18:00,20:00,,", `key "k 1"`},
		{"area,k1,,mon,18:00,20:00,,", "name: 1 to 80"},
		{"area,k1,Kitchen,,18:00,20:00,,", "days: empty"},
		{"area,k1,Kitchen,mon mon,18:00,20:00,,", `"mon" twice`},
		{"area,k1,Kitchen,lundi,18:00,20:00,,", `"lundi" is not a weekday`},
		{"area,k1,Kitchen,mon,18h,20:00,,", `start "18h"`},
		{"area,k1,Kitchen,mon,24:00,24:00,,", `start "24:00"`},
		{"area,k1,Kitchen,mon,18:00,18:00,,", "is not after start"},
		{"area,k1,Kitchen,mon,18:00,8:5,,", `end "8:5"`},
		{"member,R-1,,,,,,", ""},
		{"member,#12,,,,,yes,", ""},
		{"member,#x,,,,,,", "after # comes the person's number"},
		{"member,R-1,Ahmad,,,,,", "name: not used for a member"},
		{"member,R-1,,,,,,Cuisine", "label_fr: not used for a member"},
		{"chore,R-1,,,,,,", `kind "chore"`},
	}
	for _, tt := range tests {
		rows, fatal := ParseChoresCSV(strings.NewReader("kind,key,name,days,start,end,active,label_FR\n" + tt.line + "\n"))
		if len(fatal) > 0 || len(rows) != 1 {
			t.Fatalf("%q: rows %v, fatal %v", tt.line, rows, fatal)
		}
		got := rows[0].Err
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%q: error %q, want %q", tt.line, got, tt.want)
		}
	}
	rows, _ := ParseChoresCSV(strings.NewReader("kind,key,name,days,start,end,active,label_fa_af\narea,k1,Kitchen,thu mon,08:30,24:00,no,آشپزخانه\n"))
	r := rows[0]
	if r.Err != "" || r.Days[0] != 1 || r.Days[1] != 4 || r.Start != 510 || r.End != 1440 || r.Active || r.Labels["fa-AF"] != "آشپزخانه" {
		t.Fatalf("parsed row = %+v", r)
	}
}

func TestExampleChoresFileIsValid(t *testing.T) {
	f, err := os.Open("../docs/examples/chores.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, fatal := ParseChoresCSV(f)
	if len(fatal) > 0 {
		t.Fatalf("example header: %v", fatal)
	}
	areas := 0
	for _, r := range rows {
		if r.Err != "" {
			t.Errorf("example line %d: %s", r.Line, r.Err)
		}
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

func TestChoreWeekIsAnnouncedInWakingHours(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	week := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, paris) }
	tests := []struct {
		name string
		now  time.Time
		ok   bool
		wake time.Time
	}{
		{"Monday 08:00", at(30, 8, 0), true, time.Time{}},
		{"Wednesday noon (a leader started late)", time.Date(2026, 12, 2, 12, 0, 0, 0, paris), true, time.Time{}},
		{"Monday 02:00", at(30, 2, 0), false, at(30, 8, 0)},
		{"the Sunday before", at(29, 23, 0), false, at(30, 8, 0)},
		{"Wednesday 22:00", time.Date(2026, 12, 2, 22, 0, 0, 0, paris), false, time.Date(2026, 12, 3, 8, 0, 0, 0, paris)},
		{"Sunday night: the week is over", time.Date(2026, 12, 6, 22, 0, 0, 0, paris), false, time.Time{}},
	}
	for _, tt := range tests {
		wake, ok := choreWakingHours(tt.now, week, paris)
		if ok != tt.ok || !wake.Equal(tt.wake) {
			t.Errorf("%s: (%v, %v), want (%v, %v)", tt.name, wake, ok, tt.wake, tt.ok)
		}
	}
}
