package locales

import (
	"regexp"
	"strconv"
	"strings"
)

var (
	// clockRe: "14:30", "14h30", "14H", "9.30", "9٫30", "9".
	clockRe = regexp.MustCompile(`^(\d{1,2})(?:\s*[:hH.٫]\s*(\d{2})?)?$`)
	// compactClockRe: "1430", "930".
	compactClockRe = regexp.MustCompile(`^(\d{1,2})(\d{2})$`)
)

// ParseClock reads a time of day as people type it — "14:30", "14h30",
// "14h", "9.30", "9", "1430", in any script's digits, with the marks RTL
// keyboards add — and returns minutes after midnight. It is the one reader
// of typed times (announcements, the timetable, cleaning areas, the class
// import), so residents and staff are understood the same way everywhere.
func ParseClock(s string) (minutes int, ok bool) {
	s = strings.TrimSpace(ASCIIDigits(StripBidi(s)))
	g := compactClockRe.FindStringSubmatch(s)
	if g == nil {
		g = clockRe.FindStringSubmatch(s)
	}
	if g == nil {
		return 0, false
	}
	hh, _ := strconv.Atoi(g[1])
	mm := 0
	if g[2] != "" {
		mm, _ = strconv.Atoi(g[2])
	}
	if hh > 23 || mm > 59 {
		return 0, false
	}
	return hh*60 + mm, true
}
