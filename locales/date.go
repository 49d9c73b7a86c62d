package locales

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	// dayMonthRe: "3/12", "03.12.2026", "3-12-26", "3 12 2026".
	dayMonthRe = regexp.MustCompile(`^(\d{1,2})\s*[/.\-\s]\s*(\d{1,2})(?:\s*[/.\-\s]\s*(\d{4}|\d{2}))?$`)
	isoDayRe   = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})$`)
)

// ParseDate reads a date as people type it, day first as in every language
// the centre writes ("3/12", "03.12.2026", "3-12-26", in any script's
// digits, with the marks RTL keyboards add) or as ISO "2026-12-03". It
// returns midnight of that day in loc. A date without a year gets
// defaultYear, and yearTyped says so, for callers that then pick the next
// such day. Impossible dates (31/11, 29/2 of a common year) are refused,
// never rolled over. It is the one reader of typed dates.
func ParseDate(s string, loc *time.Location, defaultYear int) (day time.Time, yearTyped, ok bool) {
	s = strings.TrimSpace(ASCIIDigits(StripBidi(s)))
	var d, m, y int
	if g := isoDayRe.FindStringSubmatch(s); g != nil {
		y, m, d = atoi(g[1]), atoi(g[2]), atoi(g[3])
		yearTyped = true
	} else if g := dayMonthRe.FindStringSubmatch(s); g != nil {
		d, m = atoi(g[1]), atoi(g[2])
		switch len(g[3]) {
		case 0:
			y = defaultYear
		case 2:
			y, yearTyped = 2000+atoi(g[3]), true
		default:
			y, yearTyped = atoi(g[3]), true
		}
	} else {
		return time.Time{}, false, false
	}
	day = time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc)
	if m < 1 || m > 12 || d < 1 || day.Day() != d || day.Month() != time.Month(m) {
		return time.Time{}, false, false
	}
	return day, yearTyped, true
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
