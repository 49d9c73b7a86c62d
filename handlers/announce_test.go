package handlers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store/storetest"
)

var paris = func() *time.Location {
	l, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return l
}()

func TestParseDay(t *testing.T) {
	// A Friday, 10:00 in Paris.
	now := storetest.Next(storetest.Now(t), time.Friday, 10, 0)
	day := func(days int) time.Time { return storetest.Day(now, days, 0, 0) }
	iso := func(t time.Time) string { return t.Format("2006-01-02") }
	thu := day(6) // "3/12" if now is Friday 27 November 2026
	d, m, y := thu.Day(), int(thu.Month()), thu.Year()
	dm := fmt.Sprintf("%d/%d", d, m)
	past := day(-10) // this day-month is next year's
	nonLeap := now.Year()
	for time.Date(nonLeap, 2, 29, 0, 0, 0, 0, time.UTC).Day() == 29 {
		nonLeap++
	}
	tests := []struct {
		in   string
		want string // 2006-01-02, or "" when refused
		msg  string
	}{
		{dm, iso(thu), ""},
		{thu.Format("02/01/2006"), iso(thu), ""},
		{fmt.Sprintf("%d.%d.%02d", d, m, y%100), iso(thu), ""},
		{fmt.Sprintf("%d-%d", d, m), iso(thu), ""},
		{iso(thu), iso(thu), ""},
		{" " + now.Format("02/01") + " ", iso(day(0)), ""},
		{strings.NewReplacer(digitPairs('۰')...).Replace(thu.Format("02/01")), iso(thu), ""},    // Dari digits
		{strings.NewReplacer(digitPairs('٠')...).Replace(thu.Format("2/1/2006")), iso(thu), ""}, // Arabic digits
		{"\u200f" + dm + "\u200f", iso(thu), ""},
		// Without a year, a day already past this year is next year's.
		{fmt.Sprintf("%d/%d", past.Day(), int(past.Month())), iso(past.AddDate(1, 0, 0)), ""},
		{day(-1).Format("02/01/2006"), "", "announce.date_past"},
		{day(1).AddDate(1, 0, 0).Format("02/01/2006"), "", "announce.date_far"},
		{"31/11", "", "announce.bad_date"},
		{fmt.Sprintf("29/2/%d", nonLeap), "", "announce.bad_date"},
		{"0/12", "", "announce.bad_date"},
		{"3/13", "", "announce.bad_date"},
		{"tomorrow", "", "announce.bad_date"},
		{"", "", "announce.bad_date"},
		{dm + "/20266", "", "announce.bad_date"},
	}
	for _, tt := range tests {
		got, msg := parseDay(tt.in, now, paris)
		if msg != tt.msg {
			t.Errorf("parseDay(%q) message = %q, want %q", tt.in, msg, tt.msg)
			continue
		}
		if tt.want != "" && got.Format("2006-01-02") != tt.want {
			t.Errorf("parseDay(%q) = %v, want %s", tt.in, got, tt.want)
		}
	}
}

// digitPairs are the replacer pairs from ASCII digits to another script's.
func digitPairs(zero rune) []string {
	var pairs []string
	for i := range 10 {
		pairs = append(pairs, string(rune('0'+i)), string(zero+rune(i)))
	}
	return pairs
}

// Every template renders in every language with the reader's own date and
// time formats, and no parameter can carry anything but a day, a time or a
// place.
func TestTemplatesRenderInEveryLanguage(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]string{paramDate: "2026-12-03", paramTime: "14:30", paramFrom: "09:00", paramTo: "12:00", paramPlace: "courtyard"}
	day := time.Date(2026, 12, 3, 14, 30, 0, 0, paris)
	allowed := map[string]bool{paramDate: true, paramTime: true, paramFrom: true, paramTo: true, paramPlace: true}
	if len(announceTemplates) < 6 {
		t.Fatalf("only %d templates", len(announceTemplates))
	}
	for _, tpl := range announceTemplates {
		if tpl.Params[0] != paramDate {
			t.Errorf("%s: the date must come first", tpl.ID)
		}
		for _, p := range tpl.Params {
			if !allowed[p] {
				t.Errorf("%s: parameter %q is not a day, a time or a place", tpl.ID, p)
			}
		}
		for _, l := range locales.Languages {
			loc := cat.Localizer(l.Tag)
			got, ok := renderTemplate(loc, tpl.ID, params)
			if !ok || got == "" || strings.Contains(got, "announce.") {
				t.Errorf("%s %s: %q, %v", l.Tag, tpl.ID, got, ok)
				continue
			}
			if !strings.Contains(locales.StripBidi(got), loc.F.Date(day)) {
				t.Errorf("%s %s: %q lacks the date %q", l.Tag, tpl.ID, got, loc.F.Date(day))
			}
			if strings.Contains(strings.Join(tpl.Params, ","), paramTime) && !strings.Contains(locales.StripBidi(got), loc.F.Time(day)) {
				t.Errorf("%s %s: %q lacks the time %q", l.Tag, tpl.ID, got, loc.F.Time(day))
			}
			if strings.Contains(strings.Join(tpl.Params, ","), paramPlace) && !strings.Contains(locales.StripBidi(got), loc.T("announce.place.courtyard")) {
				t.Errorf("%s %s: %q lacks the place", l.Tag, tpl.ID, got)
			}
		}
	}
	fr := cat.Localizer("fr")
	if got, _ := renderTemplate(fr, "water_cut", params); got != "🚱 Coupure d'eau le jeudi 3 décembre 2026, de 09:00 à 12:00. Gardez un peu d'eau avant." {
		t.Errorf("fr water cut = %q", got)
	}
	typed := map[string]string{paramDate: "2026-12-03", paramTime: "18:00", placeText: "Salle Baobab"}
	if got, _ := renderTemplate(fr, "meeting", typed); !strings.Contains(got, "Lieu : Salle Baobab.") {
		t.Errorf("typed place = %q", got)
	}
	for _, bad := range []map[string]string{
		{paramDate: "3/12", paramFrom: "09:00", paramTo: "12:00"},
		{paramDate: "2026-12-03", paramFrom: "9h", paramTo: "12:00"},
		{paramDate: "2026-12-03", paramFrom: "09:00"},
	} {
		if got, ok := renderTemplate(fr, "water_cut", bad); ok {
			t.Errorf("broken params %v rendered %q", bad, got)
		}
	}
	if _, ok := renderTemplate(fr, "no_such_template", params); ok {
		t.Error("an unknown template rendered")
	}
	if _, ok := renderTemplate(fr, "meeting", map[string]string{paramDate: "2026-12-03", paramTime: "18:00"}); ok {
		t.Error("a meeting without a place rendered")
	}
}

func TestDraftKeysFitButtons(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		k := newDraftKey()
		if len(k) != 8 || strings.ContainsAny(k, ":") || seen[k] {
			t.Fatalf("bad or repeated draft key %q", k)
		}
		seen[k] = true
		// The longest button data of the conversation.
		_ = annPlaceAction.Data(annValue{"common_room", k})
		_ = annLanguageAction.Data(annValue{"fa-AF", k})
	}
}

func parseISO(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.ParseInLocation("2006-01-02", s, paris)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
