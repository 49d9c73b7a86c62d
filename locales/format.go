package locales

import (
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Paris must load on any machine, even one without a zoneinfo database.
	"unicode/utf8"

	gpl "github.com/go-playground/locales"
	gpam "github.com/go-playground/locales/am"
	gpar "github.com/go-playground/locales/ar"
	gpbn "github.com/go-playground/locales/bn"
	gpen "github.com/go-playground/locales/en_GB"
	gpfa "github.com/go-playground/locales/fa_AF"
	gpfr "github.com/go-playground/locales/fr"
	gpps "github.com/go-playground/locales/ps"
	gpru "github.com/go-playground/locales/ru"
	gpso "github.com/go-playground/locales/so"
	gpti "github.com/go-playground/locales/ti"
	gptr "github.com/go-playground/locales/tr"
	gpur "github.com/go-playground/locales/ur"
)

// How the work is split, and why.
//
// go-playground/locales is generated from CLDR and is right about most names
// and long patterns: month and weekday names (Afghan جنوری/فبروری for fa-AF,
// not the Iranian ژانویه), full date patterns. It is wrong or broken
// elsewhere, or not what our readers use, so those parts are done here from
// data written into localeSpec below:
//   - the time of day is always 24-hour (see Time), never CLDR's 12-hour
//     patterns of ar, ti, so, am, bn, ur;
//   - a few names and full dates readers do not use are replaced (Somali
//     months, Pashto and Tigrinya weekdays, the Tigrinya full date);
//   - it never uses the locale's own digits (CLDR's default numbering system),
//     and pairs ASCII digits with Arabic separators ("12٫50");
//   - its number and currency code panics for ps and so (empty symbol data),
//     drops the minus sign for fa_AF, prints "EUR" instead of "€" for en and
//     ti, and garbles accounting patterns for fr ("(12,50 )€");
//   - its short dates use two-digit years for several locales (ti, so, bn,
//     ur), which are ambiguous on an appointment or a permit's end date.
// Every call into it is guarded (recover, then a plausibility check) and
// falls back to a plain pattern made from the same names, so a resident
// never sees an empty string, a panic or "{1}".

// localeSpec is the per-language CLDR data this file applies itself.
type localeSpec struct {
	// newTr builds the go-playground translator for names and date patterns.
	newTr func() gpl.Translator
	// digits are the ten digits of CLDR's default numbering system for the
	// locale, "" for ASCII (latn). We keep what CLDR says: fa-AF and ps use
	// Extended Arabic-Indic digits (arabext), ar uses Arabic-Indic (arab),
	// bn uses Bengali digits (beng); ur and all others use ASCII.
	digits string
	// decimal, group and minus are CLDR's symbols for that numbering system
	// (the bidi marks inside some minus signs are CLDR's, not ours).
	decimal, group, minus string
	// secondaryGroup is the size of groups after the first three digits:
	// 2 for bn's Indian grouping (#,##,##0), else 0 meaning 3.
	secondaryGroup int
	// money is CLDR's standard currency pattern with "#" for the number and
	// "¤" for the euro sign; negatives put the minus in front of it all, as
	// CLDR does when a pattern has no explicit negative part.
	money string
	// shortDate is CLDR's numeric date (yMd) with the full year: letters d,
	// dd, M, MM, y; anything else is copied.
	shortDate string
	// dateTime joins a date ({1}) and a time ({0}): CLDR's full/at-time
	// pattern, which gives "vendredi 27 novembre 2026 à 14:05".
	dateTime string
	// months are stand-alone month names where they differ from the names
	// used inside a date (Russian: "ноябрь" alone, "27 ноября" in a date).
	months *[12]string
	// dateMonths and weekdays replace CLDR's names where they are not the
	// words readers use (Somali months, Pashto and Tigrinya weekdays; see
	// docs/LANGUAGES.md). Weekdays start on Sunday, as time.Weekday does.
	dateMonths *[12]string
	weekdays   *[7]string
	// fullDate, when set, replaces CLDR's full date pattern: "E" the
	// weekday, "d" the day, "M" the month name, "y" the year (letters
	// written in the language's own script are copied as they are).
	fullDate string
	// hourPad writes "09:30" rather than "9:30". Every language gets the
	// 24-hour clock: see Time.
	hourPad bool
}

const (
	digitsArab    = "٠١٢٣٤٥٦٧٨٩" // Arabic-Indic, U+0660…U+0669
	digitsArabExt = "۰۱۲۳۴۵۶۷۸۹" // Extended Arabic-Indic (Persian, Pashto), U+06F0…U+06F9
	digitsBeng    = "০১২৩৪৫৬৭৮৯" // Bengali, U+09E6…U+09EF
	euro          = "€"
	nbsp          = "\u00a0"
)

var ruStandaloneMonths = [12]string{"январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь"}

// soMonths are the month names of everyday Somali, borrowed from the
// European names ("Desembar"), which readers know better than CLDR's
// ordinal "Bisha Laba iyo Tobnaad" (the twelfth month).
var soMonths = [12]string{"Janaayo", "Febraayo", "Maarso", "Abriil", "Maajo", "Juun", "Luulyo", "Ogost", "Sebtembar", "Oktoobar", "Nofembar", "Desembar"}

// psWeekdays are the weekday names Afghans say in Pashto, shared with Dari.
// CLDR's Saturday "اونۍ" is the word the bot uses for "week".
var psWeekdays = [7]string{"یکشنبه", "دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه"}

// tiWeekdays are the modern Tigrinya spellings (ሰሉስ, ሓሙስ, not ሠሉስ, ኃሙስ).
var tiWeekdays = [7]string{"ሰንበት", "ሰኑይ", "ሰሉስ", "ረቡዕ", "ሓሙስ", "ዓርቢ", "ቀዳም"}

// specByTag holds one spec per supported tag. Notable choices:
//   - en uses en_GB, not en (US): residents live in France, where dates are
//     day-first and clocks 24-hour; "11/27/26" and "2:05 pm" invite misread
//     appointments. Money is "€12.50" either way.
//   - ti uses ti, not ti_ER: ti_ER's full date drops the era and leaves a
//     trailing space; names and patterns are otherwise the same.
//   - ps uses ps (ps_AF is identical in this data).
//   - so uses the everyday month names (Janaayo … Desembar), not CLDR's
//     "Bisha Kow iyo Tobnaad" (the eleventh month), and a day-first date.
//   - ps uses the weekday names people say (شنبه … جمعه): CLDR's Saturday
//     "اونۍ" is also the word for "week".
//   - ti uses the short modern date ("ሓሙስ፣ 10 ታሕሳስ 2026") and modern
//     spellings (ሰሉስ, ሓሙስ), not CLDR's "… መዓልቲ 2026 ዓመተ ምህረት".
//   - ar writes Latin digits everywhere (CLDR's latn system for Arabic as in
//     the Maghreb: "12,50 €"), the digits of its static texts, room and
//     receipt numbers; its minus starts with LRM so that an isolated negative
//     amount keeps the € on the same side as a positive one.
var specByTag = map[string]localeSpec{
	"fr": {newTr: gpfr.New, decimal: ",", group: "\u202f", minus: "-", hourPad: true,
		money: "#" + nbsp + "¤", shortDate: "dd/MM/y", dateTime: "{1} à {0}"},
	"en": {newTr: gpen.New, decimal: ".", group: ",", minus: "-", hourPad: true,
		money: "¤#", shortDate: "dd/MM/y", dateTime: "{1} at {0}"},
	"fa-AF": {newTr: gpfa.New, digits: digitsArabExt, decimal: "٫", group: "٬", minus: "\u200e−",
		money: "¤" + nbsp + "#", shortDate: "y/M/d", dateTime: "{1}، ساعت {0}"},
	"ps": {newTr: gpps.New, digits: digitsArabExt, decimal: "٫", group: "٬", minus: "-",
		money: "¤" + nbsp + "#", shortDate: "y/M/d", dateTime: "{1} په {0}",
		weekdays: &psWeekdays, fullDate: "E د y د M d"},
	"ar": {newTr: gpar.New, decimal: ",", group: ".", minus: "\u200e-", hourPad: true,
		money: "#" + nbsp + "¤", shortDate: "dd/MM/y", dateTime: "{1} في {0}"},
	"ti": {newTr: gpti.New, decimal: ".", group: ",", minus: "-", hourPad: true,
		money: "¤#", shortDate: "dd/MM/y", dateTime: "{1} {0}",
		weekdays: &tiWeekdays, fullDate: "E፣ d M y"},
	"so": {newTr: gpso.New, decimal: ".", group: ",", minus: "-", hourPad: true,
		money: "¤#", shortDate: "dd/MM/y", dateTime: "{1} {0}",
		months: &soMonths, dateMonths: &soMonths, fullDate: "E, d M y"},
	"am": {newTr: gpam.New, decimal: ".", group: ",", minus: "-", hourPad: true,
		money: "¤#", shortDate: "dd/MM/y", dateTime: "{1} {0}"},
	"bn": {newTr: gpbn.New, digits: digitsBeng, decimal: ".", group: ",", minus: "-", secondaryGroup: 2, hourPad: true,
		money: "#¤", shortDate: "d/M/y", dateTime: "{1} এ {0}"},
	"ur": {newTr: gpur.New, decimal: ".", group: ",", minus: "\u200e-", hourPad: true,
		money: "¤#", shortDate: "d/M/y", dateTime: "{1} کو {0}"},
	"ru": {newTr: gpru.New, decimal: ",", group: nbsp, minus: "-", hourPad: true,
		money: "#" + nbsp + "¤", shortDate: "dd.MM.y", dateTime: "{1} в {0}", months: &ruStandaloneMonths},
	"tr": {newTr: gptr.New, decimal: ",", group: ".", minus: "-", hourPad: true,
		money: "¤#", shortDate: "dd.MM.y", dateTime: "{1} {0}"},
}

// translators builds each go-playground translator once: they are read-only
// after construction, so one is shared by every Formatter and goroutine.
var translators = sync.OnceValue(func() map[string]gpl.Translator {
	m := make(map[string]gpl.Translator, len(specByTag))
	for tag, s := range specByTag {
		m[tag] = s.newTr()
	}
	return m
})

// parisLocation is the centre's clock. With time/tzdata embedded the load
// cannot fail; the fixed zone only keeps the program alive if it somehow
// does (it would be an hour off in summer, which is why it is not the plan).
var parisLocation = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
})

// Formatter writes dates, times, numbers and euro amounts the way one
// language's readers expect (CLDR), on the centre's clock. It is immutable
// and safe for concurrent use. Make one with NewFormatter: the zero value
// has no language or clock.
type Formatter struct {
	tag  string
	loc  *time.Location
	spec localeSpec
	tr   gpl.Translator
}

// NewFormatter returns the formatter for tag. A tag that is not exactly
// supported is passed through Match (so "en-US" formats as en), and anything
// else gets DefaultTag: formatting must never fail in front of a resident.
// A nil loc means Europe/Paris, the centre's time zone, whatever the
// server's own zone is.
func NewFormatter(tag string, loc *time.Location) *Formatter {
	if _, ok := specByTag[tag]; !ok {
		if m, ok := Match(tag); ok {
			tag = m
		} else {
			tag = DefaultTag
		}
	}
	if loc == nil {
		loc = parisLocation()
	}
	return &Formatter{tag: tag, loc: loc, spec: specByTag[tag], tr: translators()[tag]}
}

// Tag returns the supported tag this formatter writes for.
func (f *Formatter) Tag() string { return f.tag }

// Location returns the time zone every time is shown in, so callers can
// compute "today" or "this week" on the same clock.
func (f *Formatter) Location() *time.Location { return f.loc }

// Date writes a long date with the weekday, e.g. "vendredi 27 novembre
// 2026", "جمعه ۲۷ نومبر ۲۰۲۶": reminders name the weekday because residents
// plan by it.
func (f *Formatter) Date(t time.Time) string {
	t = t.In(f.loc)
	month := f.dateMonth(t.Month())
	weekday := f.Weekday(t)
	if p := f.spec.fullDate; p != "" && month != "" {
		var b strings.Builder
		for _, r := range p {
			switch r {
			case 'E':
				b.WriteString(weekday)
			case 'd':
				b.WriteString(strconv.Itoa(t.Day()))
			case 'M':
				b.WriteString(month)
			case 'y':
				b.WriteString(strconv.Itoa(t.Year()))
			default:
				b.WriteRune(r)
			}
		}
		return f.localDigits(b.String())
	}
	return f.fromCLDR(func() string { return f.tr.FmtDateFull(t) }, func() string { return f.plainDate(t) },
		strconv.Itoa(t.Year()), month, weekday)
}

// DateShort writes a numeric date with the full year, e.g. "27/11/2026",
// "٢٧‏/١١‏/٢٠٢٦", for lists and receipts where space is short.
func (f *Formatter) DateShort(t time.Time) string {
	t = t.In(f.loc)
	var b strings.Builder
	p := f.spec.shortDate
	for i := 0; i < len(p); {
		c := p[i]
		n := 1
		for i+n < len(p) && p[i+n] == c && (c == 'd' || c == 'M' || c == 'y') {
			n++
		}
		switch c {
		case 'd':
			b.WriteString(pad(t.Day(), n))
		case 'M':
			b.WriteString(pad(int(t.Month()), n))
		case 'y':
			b.WriteString(strconv.Itoa(t.Year()))
		default:
			b.WriteByte(c)
		}
		i += n
	}
	return f.localDigits(b.String())
}

// Weekday returns the weekday's name, e.g. "vendredi", "ዓርቢ".
func (f *Formatter) Weekday(t time.Time) string {
	wd := t.In(f.loc).Weekday()
	if f.spec.weekdays != nil {
		return f.spec.weekdays[wd]
	}
	if s := f.name(func() string { return f.tr.WeekdayWide(wd) }); s != "" {
		return s
	}
	// No locale here lacks weekday names (the tests check); English is only
	// a last resort that most residents can still read.
	return wd.String()
}

// Month returns the month's stand-alone name, for headings such as a
// monthly statement ("ноябрь", not the "ноября" used inside a date).
func (f *Formatter) Month(t time.Time) string {
	m := t.In(f.loc).Month()
	if f.spec.months != nil {
		return f.spec.months[m-1]
	}
	if s := f.dateMonth(m); s != "" {
		return s
	}
	return m.String() // last resort, as in Weekday
}

// dateMonth returns the month's name as used inside a date, "" if the
// locale data lacks it.
func (f *Formatter) dateMonth(m time.Month) string {
	if f.spec.dateMonths != nil {
		return f.spec.dateMonths[m-1]
	}
	return f.name(func() string { return f.tr.MonthWide(m) })
}

// Time writes the time of day on the centre's clock, 24-hour in every
// language ("14:05", "۱۴:۰۵", "১৪:০৫"), even where CLDR's pattern is
// 12-hour (ar, ti, so, am, bn, ur): French letters, staff and the centre's
// signs use 24-hour, and a reader used to Ethiopian time-keeping reads a
// bare "2:30" as 8:30. The language's own digits are kept where they are
// the custom; fa-AF and ps leave the hour unpadded as CLDR does ("۹:۳۰").
func (f *Formatter) Time(t time.Time) string {
	t = t.In(f.loc)
	h := strconv.Itoa(t.Hour())
	if f.spec.hourPad {
		h = pad(t.Hour(), 2)
	}
	return f.localDigits(h + ":" + pad(t.Minute(), 2))
}

// TimeRange writes a span of time on one day, "14:00–15:30", with the
// language's digits, for classes and cleaning turns.
func (f *Formatter) TimeRange(from, to time.Time) string {
	return f.Time(from) + "–" + f.Time(to)
}

// DateTime writes the long date and the time joined the locale's way,
// e.g. "vendredi 27 novembre 2026 à 14:05", for appointments.
func (f *Formatter) DateTime(t time.Time) string {
	// Two plain replacements, not a strings.Replacer: one built per call
	// (its tables) cost more than the date itself. Neither part can hold
	// the other's placeholder.
	return strings.ReplaceAll(strings.ReplaceAll(f.spec.dateTime, "{1}", f.Date(t)), "{0}", f.Time(t))
}

// Money writes an amount of euros given in integer cents (how cairbot counts
// money) with CLDR's currency pattern: "12,50 €" (fr), "€12.50" (en),
// "-12,50 €", "€ ۱۲٫۵۰" (fa-AF). No float is involved, so no cent is lost.
func (f *Formatter) Money(cents int64) string {
	neg, u := splitSign(cents)
	num := f.group(strconv.FormatUint(u/100, 10)) + f.spec.decimal + pad(int(u%100), 2)
	// As in DateTime: the number holds no "¤", the euro sign no "#".
	s := strings.ReplaceAll(strings.ReplaceAll(f.spec.money, "#", num), "¤", euro)
	if neg {
		s = f.spec.minus + s
	}
	return f.localDigits(s)
}

// Number writes an integer with the locale's digits, grouping and minus
// sign, e.g. "1 234" (fr), "١٬٢٣٤" (ar), "১২,৩৪,৫৬৭" (bn).
func (f *Formatter) Number(n int64) string {
	neg, u := splitSign(n)
	s := f.group(strconv.FormatUint(u, 10))
	if neg {
		s = f.spec.minus + s
	}
	return f.localDigits(s)
}

// fromCLDR runs one go-playground call. Its answer is used only when it is
// plausible: no panic, valid UTF-8 without U+FFFD, no leftover pattern
// syntax, balanced brackets, and each of want present (want holds what the
// output must show, such as the year and the month name; an empty want
// means the locale lacks that data, so the output cannot be right). Else
// fallback() is used.
func (f *Formatter) fromCLDR(call func() string, fallback func() string, want ...string) string {
	s := strings.TrimSpace(f.name(call))
	if !plausible(s) {
		return fallback()
	}
	for _, w := range want {
		if w == "" || !strings.Contains(s, w) {
			return fallback()
		}
	}
	return f.localDigits(s)
}

// name runs call, turning a panic in the generated code into "".
func (f *Formatter) name(call func() string) (s string) {
	defer func() {
		if recover() != nil {
			s = ""
		}
	}()
	s = call()
	if !plausible(s) {
		return ""
	}
	return s
}

// plainDate is the fallback long date: weekday, day, month name, year, from
// the same CLDR names; the numeric date stands in if a name is missing.
func (f *Formatter) plainDate(t time.Time) string {
	wd := f.Weekday(t)
	m := f.name(func() string { return f.tr.MonthWide(t.Month()) })
	if m == "" {
		return wd + " " + f.DateShort(t)
	}
	return f.localDigits(wd + " " + strconv.Itoa(t.Day()) + " " + m + " " + strconv.Itoa(t.Year()))
}

// plausible rejects what generated locale code produces when its data is
// missing or broken.
func plausible(s string) bool {
	if s == "" || !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
		return false
	}
	if strings.ContainsAny(s, "{}") || strings.Contains(s, "%!") {
		return false
	}
	return strings.Count(s, "(") == strings.Count(s, ")")
}

// group inserts the group separator into a string of ASCII digits.
func (f *Formatter) group(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	size := f.spec.secondaryGroup
	if size == 0 {
		size = 3
	}
	head, tail := digits[:len(digits)-3], digits[len(digits)-3:]
	var parts []string
	for len(head) > size {
		parts = append([]string{head[len(head)-size:]}, parts...)
		head = head[:len(head)-size]
	}
	parts = append([]string{head}, parts...)
	return strings.Join(append(parts, tail), f.spec.group)
}

// localDigits swaps ASCII digits for the locale's own. Every digit in our
// output comes from a number field, so swapping all of them is right.
func (f *Formatter) localDigits(s string) string {
	if f.spec.digits == "" {
		return s
	}
	d := []rune(f.spec.digits)
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return d[r-'0']
		}
		return r
	}, s)
}

// ASCIIDigits turns the digits cairbot writes (Arabic-Indic, Extended
// Arabic-Indic, Bengali) back into ASCII, so that what a resident types
// ("۲۱۴", "٢١٤") parses like "214". Other characters are kept.
func ASCIIDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0x0660 && r <= 0x0669:
			return '0' + r - 0x0660
		case r >= 0x06F0 && r <= 0x06F9:
			return '0' + r - 0x06F0
		case r >= 0x09E6 && r <= 0x09EF:
			return '0' + r - 0x09E6
		}
		return r
	}, s)
}

// splitSign returns the sign and magnitude of n; the magnitude is unsigned
// so that the smallest int64 does not overflow.
func splitSign(n int64) (neg bool, u uint64) {
	if n < 0 {
		return true, uint64(-(n + 1)) + 1
	}
	return false, uint64(n)
}

// pad writes n with at least width digits.
func pad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}
