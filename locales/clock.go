package locales

import (
	"regexp"
	"strconv"
	"strings"
)

var (
	// clockRe: "14:30", "14h30", "14H", "9.30", "9٫30", "9", "2pm", "2:30 pm".
	clockRe = regexp.MustCompile(`^(\d{1,2})(?:\s*[:h.٫]\s*(\d{2})?)?\s*(am|pm)?$`)
	// compactClockRe: "1430", "930".
	compactClockRe = regexp.MustCompile(`^(\d{1,2})(\d{2})$`)
	// clockWordRe is a time as one word of a longer message ("14h30",
	// "14:30", "2pm"). The dot is left to dates there ("3.12" is a day) and
	// four digits to years, so neither is read as a time.
	clockWordRe = regexp.MustCompile(`^(\d{1,2})(?:[:h٫](\d{2})?)?(am|pm)?$`)
)

// ParseClock reads a time of day as people type it — "14:30", "14h30",
// "14h", "9.30", "9", "1430", "2pm", "2:30 pm", in any script's digits,
// with the marks RTL keyboards add — and returns minutes after midnight.
// It is the one reader of a field that holds only a time (announcements,
// the timetable, cleaning areas, the classes and chores files); ParseWhen
// reads a time typed with a day, by the same rules.
func ParseClock(s string) (minutes int, ok bool) {
	s = strings.ToLower(strings.TrimSpace(ASCIIDigits(StripBidi(s))))
	if g := compactClockRe.FindStringSubmatch(s); g != nil {
		return clockMinutes(g[1], g[2], "")
	}
	if g := clockRe.FindStringSubmatch(s); g != nil {
		return clockMinutes(g[1], g[2], g[3])
	}
	return 0, false
}

// ParseEndClock is ParseClock for the end of a window that may last until
// midnight: "24:00" (or "24h") is the end of the day, 1440.
func ParseEndClock(s string) (minutes int, ok bool) {
	if m, ok := ParseClock(s); ok {
		return m, true
	}
	g := clockRe.FindStringSubmatch(strings.ToLower(strings.TrimSpace(ASCIIDigits(StripBidi(s)))))
	if g != nil && g[1] == "24" && (g[2] == "" || g[2] == "00") && g[3] == "" {
		return 24 * 60, true
	}
	return 0, false
}

// clockMinutes checks an hour, minutes ("" is 0) and an optional am/pm
// (then the hour is 1–12: "12pm" is noon, "12am" midnight).
func clockMinutes(hour, minute, ampm string) (int, bool) {
	hh, _ := strconv.Atoi(hour)
	mm := 0
	if minute != "" {
		mm, _ = strconv.Atoi(minute)
	}
	if ampm != "" {
		if hh < 1 || hh > 12 {
			return 0, false
		}
		hh %= 12
		if ampm == "pm" {
			hh += 12
		}
	}
	if hh > 23 || mm > 59 {
		return 0, false
	}
	return hh*60 + mm, true
}
