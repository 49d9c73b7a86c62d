package locales

import (
	"regexp"
	"strings"
	"sync"
	"time"
)

// When is what one typed message says about a day and a time of day.
type When struct {
	// Day is midnight of the day typed, in today's location (HasDay).
	Day    time.Time
	HasDay bool
	// Minutes is the time of day typed, in minutes after midnight
	// (HasClock).
	Minutes  int
	HasClock bool
}

var (
	// A time typed in two or three words is glued into one first:
	// "14 h 30", "14 : 30" → "14h30"; "2 pm", "14 h" → "2pm", "14h".
	whenGlueClockRe = regexp.MustCompile(`(\d{1,2})\s*([h:٫])\s*(\d{2})\b`)
	whenGlueSuffix  = regexp.MustCompile(`(\d{1,2})\s+(h|am|pm)\b`)
)

// whenFillers are words people put around a date that say nothing.
var whenFillers = map[string]bool{"à": true, "a": true, "at": true, "le": true, "la": true, "on": true,
	"the": true, "de": true, "du": true, "vers": true, "at:": true, "-": true, "в": true, "saat": true}

// whenRelativeDays are the words for today, tomorrow and the day after, in
// the staff's usual languages.
var whenRelativeDays = map[string]int{
	"aujourd'hui": 0, "aujourd’hui": 0, "aujourdhui": 0, "auj": 0, "today": 0,
	"demain": 1, "tomorrow": 1, "après-demain": 2, "apres-demain": 2, "aprèsdemain": 2, "apresdemain": 2,
	"اليوم": 0, "غدا": 1, "غداً": 1, "امروز": 0, "فردا": 1, "پس‌فردا": 2, "پسفردا": 2,
	"сегодня": 0, "завтра": 1, "послезавтра": 2, "bugün": 0, "yarın": 1,
}

// whenWeekdays maps the weekday names of every supported language (CLDR,
// as the bot writes them) and common French and English short forms to
// their day.
var whenWeekdays = sync.OnceValue(func() map[string]time.Weekday {
	m := map[string]time.Weekday{
		"lun": time.Monday, "mar": time.Tuesday, "mer": time.Wednesday, "jeu": time.Thursday,
		"ven": time.Friday, "sam": time.Saturday, "dim": time.Sunday,
		"mon": time.Monday, "tue": time.Tuesday, "tues": time.Tuesday, "wed": time.Wednesday,
		"thu": time.Thursday, "thurs": time.Thursday, "fri": time.Friday, "sat": time.Saturday, "sun": time.Sunday,
	}
	// 4–10 January 2027 is a Monday to Sunday.
	for _, l := range Languages {
		f := NewFormatter(l.Tag, nil)
		for i := range 7 {
			d := time.Date(2027, 1, 4+i, 12, 0, 0, 0, f.Location())
			name := strings.ToLower(StripBidi(f.Weekday(d)))
			if !strings.ContainsAny(name, " \t") {
				m[name] = d.Weekday()
			}
		}
	}
	return m
})

// ParseNextDate reads a date as ParseDate does; a date typed without a
// year is the next such day from today (midnight, in its location): "3/12"
// typed on 10 December is next year's.
func ParseNextDate(s string, today time.Time) (time.Time, bool) {
	day, yearTyped, ok := ParseDate(s, today.Location(), today.Year())
	if yearTyped || (ok && !day.Before(today)) {
		return day, ok
	}
	// Past this year, or 29/2 in a common year: next year's. 29/2 typed
	// after that day of a leap year has none within a year, and is refused.
	day, _, ok = ParseDate(s, today.Location(), today.Year()+1)
	return day, ok
}

// whenSeparators turns the marks that may part a date from a time into
// spaces (built once: a Replacer is safe for concurrent use).
var whenSeparators = strings.NewReplacer(",", " ", ";", " ", "\u00a0", " ", "\u202f", " ")

// ParseWhen reads a day and a time typed together, in any order, in one
// message: "3/12 14h30", "03/12/2026 14:30", "3.12.26 9h", "2026-12-03
// 14:30", "demain 10h", "lundi 9h", "tomorrow 2pm", "le 3/12 à 14 h 30",
// with any script's digits and the marks RTL keyboards add. today is
// midnight of today on the centre's clock: a date without a year is the
// next such day (ParseNextDate), a weekday name the next such day after
// today, "demain" or "فردا" the day after today. Either part may be
// missing (HasDay, HasClock); a message with a word it does not know, two
// days or two times, an impossible date or time, or nothing at all is
// refused. The caller decides what is too early or too late.
func ParseWhen(text string, today time.Time) (When, bool) {
	s := strings.ToLower(ASCIIDigits(StripBidi(text)))
	s = whenSeparators.Replace(s)
	s = whenGlueClockRe.ReplaceAllString(s, "$1$2$3")
	s = whenGlueSuffix.ReplaceAllString(s, "$1$2")
	words := strings.Fields(s)
	if len(words) == 0 {
		return When{}, false
	}
	var w When
	setDay := func(d time.Time) bool {
		if w.HasDay {
			return false
		}
		w.Day, w.HasDay = d, true
		return true
	}
	for _, word := range words {
		if whenFillers[word] {
			continue
		}
		if n, ok := whenRelativeDays[word]; ok {
			if !setDay(addDays(today, n)) {
				return When{}, false
			}
			continue
		}
		if wd, ok := whenWeekdays()[word]; ok {
			if !setDay(addDays(today, (int(wd)-int(today.Weekday())+6)%7+1)) {
				return When{}, false
			}
			continue
		}
		if isoDayRe.MatchString(word) || dayMonthRe.MatchString(word) {
			d, ok := ParseNextDate(word, today)
			if !ok || !setDay(d) {
				return When{}, false
			}
			continue
		}
		if g := clockWordRe.FindStringSubmatch(word); g != nil && !w.HasClock {
			m, ok := clockMinutes(g[1], g[2], g[3])
			if !ok {
				return When{}, false
			}
			w.Minutes, w.HasClock = m, true
			continue
		}
		return When{}, false
	}
	return w, true
}

// addDays moves by calendar days on the wall clock (a day when the clocks
// change has 23 or 25 hours).
func addDays(day time.Time, n int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day()+n, 0, 0, 0, 0, day.Location())
}
