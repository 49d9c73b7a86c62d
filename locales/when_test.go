package locales

import (
	"testing"
	"time"
)

// TestParseWhen is the table of everything staff type for a day and a time
// in one message (the interview's date step): each form read, and each
// kind of refusal.
func TestParseWhen(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	// Friday 27 November 2026: a fixed day, so the table never depends on
	// the day it runs.
	today := time.Date(2026, 11, 27, 0, 0, 0, 0, paris)
	tests := []struct {
		in      string
		day     string // "" = no day typed
		minutes int    // -1 = no time typed
		refused bool
	}{
		{in: "12/3", day: "2027-03-12", minutes: -1}, // past this year: next year's
		{in: "3/12", day: "2026-12-03", minutes: -1},
		{in: "12.03.2027", day: "2027-03-12", minutes: -1},
		{in: "12-3-27", day: "2027-03-12", minutes: -1},
		{in: "2027-03-12", day: "2027-03-12", minutes: -1},
		{in: "27/11", day: "2026-11-27", minutes: -1}, // today is not past
		{in: "14h", minutes: 14 * 60},
		{in: "14H30", minutes: 14*60 + 30},
		{in: "14:30", minutes: 14*60 + 30},
		{in: "14 h 30", minutes: 14*60 + 30},
		{in: "14 : 30", minutes: 14*60 + 30},
		{in: "14", minutes: 14 * 60},
		{in: "2pm", minutes: 14 * 60},
		{in: "2 PM", minutes: 14 * 60},
		{in: "2:30pm", minutes: 14*60 + 30},
		{in: "12am", minutes: 0},
		{in: "12pm", minutes: 12 * 60},
		{in: "9٫30", minutes: 9*60 + 30},
		{in: "3/12 14h30", day: "2026-12-03", minutes: 14*60 + 30},
		{in: "14h30 3/12", day: "2026-12-03", minutes: 14*60 + 30},
		{in: "le 3/12 à 14h30", day: "2026-12-03", minutes: 14*60 + 30},
		{in: "3/12, 14 h 30", day: "2026-12-03", minutes: 14*60 + 30},
		{in: "03/12/2026 14:30", day: "2026-12-03", minutes: 14*60 + 30},
		{in: "2026-12-03 14:30", day: "2026-12-03", minutes: 14*60 + 30},
		{in: "٣/١٢ ١٤:٣٠", day: "2026-12-03", minutes: 14*60 + 30},                         // Eastern Arabic digits
		{in: "۳/۱۲ ۱۴:۳۰", day: "2026-12-03", minutes: 14*60 + 30},                         // Persian digits
		{in: "৩/১২ ১৪:৩০", day: "2026-12-03", minutes: 14*60 + 30},                         // Bengali digits
		{in: "\u200f۳/۱۲\u200f \u2068۱۴:۳۰\u2069", day: "2026-12-03", minutes: 14*60 + 30}, // RTL keyboard marks
		{in: "demain 10h", day: "2026-11-28", minutes: 10 * 60},
		{in: "Demain à 10h", day: "2026-11-28", minutes: 10 * 60},
		{in: "tomorrow 2pm", day: "2026-11-28", minutes: 14 * 60},
		{in: "après-demain", day: "2026-11-29", minutes: -1},
		{in: "aujourd'hui 18h", day: "2026-11-27", minutes: 18 * 60},
		{in: "فردا ۱۰:۰۰", day: "2026-11-28", minutes: 10 * 60},
		{in: "غدا 10:00", day: "2026-11-28", minutes: 10 * 60},
		{in: "завтра 10:00", day: "2026-11-28", minutes: 10 * 60},
		{in: "yarın saat 10:00", day: "2026-11-28", minutes: 10 * 60},
		{in: "lundi 9h", day: "2026-11-30", minutes: 9 * 60},
		{in: "Monday 9am", day: "2026-11-30", minutes: 9 * 60},
		{in: "vendredi", day: "2026-12-04", minutes: -1}, // today is Friday: the next one
		{in: "jeu 14:30", day: "2026-12-03", minutes: 14*60 + 30},
		{in: "à", minutes: -1}, // only a filler: neither, left to the caller
		// Refused.
		{in: "", refused: true},
		{in: "   ", refused: true},
		{in: "31/02 10h", refused: true},
		{in: "3/13", refused: true},
		{in: "29/2", refused: true}, // 2027 is not a leap year
		{in: "3/12 25h", refused: true},
		{in: "3/12 14h61", refused: true},
		{in: "3/12 13pm", refused: true},
		{in: "3/12 0am", refused: true},
		{in: "3/12 14h 15h", refused: true},
		{in: "3/12 4/12", refused: true},
		{in: "demain lundi", refused: true},
		{in: "3/12 1430", refused: true}, // four digits are a year, never a time here
		{in: "3/12 9.30", refused: true}, // a dot makes a date here
		{in: "next week", refused: true},
		{in: "bientôt", refused: true},
	}
	for _, tt := range tests {
		got, ok := ParseWhen(tt.in, today)
		if ok == tt.refused {
			t.Errorf("ParseWhen(%q) = %+v, %v; want refused %v", tt.in, got, ok, tt.refused)
			continue
		}
		if tt.refused {
			continue
		}
		switch {
		case got.HasDay != (tt.day != ""),
			got.HasDay && (got.Day.Format(time.DateOnly) != tt.day || got.Day.Location() != paris || got.Day.Hour() != 0),
			got.HasClock != (tt.minutes >= 0),
			got.HasClock && got.Minutes != tt.minutes:
			t.Errorf("ParseWhen(%q) = %+v; want day %q, minutes %d", tt.in, got, tt.day, tt.minutes)
		}
	}
}

func TestParseNextDate(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		today string
		in    string
		want  string // "" = refused
	}{
		{"2026-11-27", "3/12", "2026-12-03"},
		{"2026-11-27", "27/11", "2026-11-27"},
		{"2026-11-27", "26/11", "2027-11-26"},
		{"2026-11-27", "26/11/2026", "2026-11-26"}, // a year typed is kept, past or not
		{"2026-11-27", "29/2", ""},                 // no 29 February in 2026 or 2027
		{"2027-11-27", "29/2", "2028-02-29"},
		{"2028-03-01", "29/2", ""}, // 2028's is past, 2029 has none
		{"2026-11-27", "tomorrow", ""},
	}
	for _, tt := range tests {
		today, err := time.ParseInLocation(time.DateOnly, tt.today, paris)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := ParseNextDate(tt.in, today)
		if ok != (tt.want != "") || (ok && got.Format(time.DateOnly) != tt.want) {
			t.Errorf("today %s, ParseNextDate(%q) = %v, %v; want %q", tt.today, tt.in, got, ok, tt.want)
		}
	}
}

func TestParseEndClock(t *testing.T) {
	for in, want := range map[string]int{"24:00": 1440, "24h": 1440, "24": 1440, "23:59": 1439, "18h30": 1110, "0:00": 0} {
		if got, ok := ParseEndClock(in); !ok || got != want {
			t.Errorf("ParseEndClock(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"24:01", "24:30", "25:00", "12pm30", "", "noon"} {
		if got, ok := ParseEndClock(in); ok {
			t.Errorf("ParseEndClock(%q) = %d, want refused", in, got)
		}
	}
}
