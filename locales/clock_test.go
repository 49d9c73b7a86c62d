package locales

import "testing"

func TestParseClock(t *testing.T) {
	good := map[string]int{
		"14:30": 870, "14h30": 870, "14H": 840, "9": 540, "9.05": 545, "۱۴:۳۰": 870, "٩٫٣٠": 570,
		"9:30": 570, "09:30": 570, "9h30": 570, "14h": 840, "14.30": 870, "1430": 870, "930": 570,
		"14": 840, "0:00": 0, "23:59": 1439, " 10:00 ": 600, "10H15": 615, "\u200f۱۸:۰۰": 1080,
		// The hours of the English-speaking staff, as the interview reads them.
		"2pm": 840, "2 pm": 840, "2:30pm": 870, "2:30 PM": 870, "9am": 540, "12am": 0, "12pm": 720,
	}
	for in, want := range good {
		if got, ok := ParseClock(in); !ok || got != want {
			t.Errorf("ParseClock(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "24:00", "12:60", "12:5", "noon", "-1:30", "+9:30", "9:3", "h30", "abc",
		"12345", "1:2:3", "9 30", "13pm", "0am", "14:30pm", "pm"} {
		if got, ok := ParseClock(in); ok {
			t.Errorf("ParseClock(%q) = %d, want refused", in, got)
		}
	}
}
