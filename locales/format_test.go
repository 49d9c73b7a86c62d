package locales

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	gpl "github.com/go-playground/locales"
)

var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}()

// friday is the reference date of the expected strings: Friday 27 November
// 2026, 14:05 in Paris.
var friday = time.Date(2026, 11, 27, 14, 5, 0, 0, paris)

// testDates covers ordinary days, both 2026 DST changes, a year boundary
// that is crossed only on the Paris clock, and single-digit days and months.
var testDates = []time.Time{
	friday,
	time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC),   // 01:30 CET, just before the spring change
	time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC),   // 03:30 CEST
	time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC),  // 02:30 CEST
	time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC),  // 02:30 CET, the hour repeated
	time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC), // already 1 January 2027 in Paris
	time.Date(2026, 1, 5, 9, 0, 0, 0, paris),
	time.Date(2026, 7, 14, 0, 0, 0, 0, paris),
	time.Date(2026, 5, 3, 12, 0, 0, 0, paris),
}

var testAmounts = []int64{0, 1, -1, 5, 99, 100, 1250, -1250, 100000, -123456789, 123456789, math.MaxInt64, math.MinInt64}

// onlyDigits returns the digits of s, in ASCII, in order.
func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range ASCIIDigits(s) {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func checkText(t *testing.T, what, s string) {
	t.Helper()
	switch {
	case s == "":
		t.Errorf("%s is empty", what)
	case !utf8.ValidString(s):
		t.Errorf("%s is not valid UTF-8: %q", what, s)
	case strings.ContainsRune(s, utf8.RuneError):
		t.Errorf("%s contains U+FFFD: %q", what, s)
	case strings.ContainsAny(s, "{}%") || strings.Contains(s, "<nil>"):
		t.Errorf("%s contains pattern debris: %q", what, s)
	case strings.TrimSpace(s) != s:
		t.Errorf("%s has surrounding space: %q", what, s)
	}
}

// TestFormatterEveryLanguage runs every method in every language over the
// test dates and amounts.
func TestFormatterEveryLanguage(t *testing.T) {
	for _, l := range Languages {
		t.Run(l.Tag, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panic: %v", r)
				}
			}()
			f := NewFormatter(l.Tag, nil)
			for _, d := range testDates {
				year := strconv.Itoa(d.In(paris).Year())
				for name, out := range map[string]string{
					"Date": f.Date(d), "DateShort": f.DateShort(d), "DateTime": f.DateTime(d),
				} {
					what := l.Tag + " " + name + "(" + d.Format(time.RFC3339) + ")"
					checkText(t, what, out)
					if !strings.Contains(ASCIIDigits(out), year) {
						t.Errorf("%s = %q lacks the year %s", what, out, year)
					}
				}
				for name, out := range map[string]string{
					"Weekday": f.Weekday(d), "Month": f.Month(d), "Time": f.Time(d),
				} {
					checkText(t, l.Tag+" "+name+"("+d.Format(time.RFC3339)+")", out)
				}
				// The time shows the Paris minutes, in some digit system.
				if got := onlyDigits(f.Time(d)); !strings.HasSuffix(got, d.In(paris).Format("04")) {
					t.Errorf("%s Time(%v) = %q", l.Tag, d, f.Time(d))
				}
				if !strings.Contains(f.DateTime(d), f.Date(d)) || !strings.Contains(f.DateTime(d), f.Time(d)) {
					t.Errorf("%s DateTime(%v) = %q does not hold Date and Time", l.Tag, d, f.DateTime(d))
				}
			}
			for _, c := range testAmounts {
				m := f.Money(c)
				checkText(t, l.Tag+" Money("+strconv.FormatInt(c, 10)+")", m)
				if !strings.Contains(m, "€") {
					t.Errorf("%s Money(%d) = %q has no euro sign", l.Tag, c, m)
				}
				neg, u := splitSign(c)
				want := strconv.FormatUint(u/100, 10) + pad(int(u%100), 2)
				if got := onlyDigits(m); got != want {
					t.Errorf("%s Money(%d) = %q: digits %s, want %s", l.Tag, c, m, got, want)
				}
				if hasMinus(m) != neg {
					t.Errorf("%s Money(%d) = %q: minus sign shown = %v", l.Tag, c, m, !neg)
				}
				n := f.Number(c)
				checkText(t, l.Tag+" Number("+strconv.FormatInt(c, 10)+")", n)
				if got := onlyDigits(n); got != strconv.FormatUint(u, 10) {
					t.Errorf("%s Number(%d) = %q", l.Tag, c, n)
				}
				if hasMinus(n) != neg {
					t.Errorf("%s Number(%d) = %q: minus sign shown = %v", l.Tag, c, n, !neg)
				}
			}
			if !l.RTL {
				// LTR text is never polluted with bidi marks.
				for _, out := range []string{f.Date(friday), f.DateShort(friday), f.DateTime(friday), f.Time(friday), f.Money(-1250), f.Number(-1234567)} {
					if StripBidi(out) != out {
						t.Errorf("%s: LTR output carries bidi marks: %q", l.Tag, out)
					}
				}
			}
		})
	}
}

func hasMinus(s string) bool { return strings.ContainsAny(s, "-−") }

// TestFormatterExpected pins exact output for the main languages.
func TestFormatterExpected(t *testing.T) {
	type want struct{ method, got, want string }
	jan := time.Date(2026, 1, 15, 10, 0, 0, 0, paris)
	feb := time.Date(2026, 2, 15, 10, 0, 0, 0, paris)
	cases := map[string][]want{}
	add := func(tag string, w ...want) { cases[tag] = append(cases[tag], w...) }

	f := NewFormatter("fr", nil)
	add("fr",
		want{"Date", f.Date(friday), "vendredi 27 novembre 2026"},
		want{"DateShort", f.DateShort(friday), "27/11/2026"},
		want{"DateShort jan", f.DateShort(time.Date(2026, 1, 5, 9, 0, 0, 0, paris)), "05/01/2026"},
		want{"Weekday", f.Weekday(friday), "vendredi"},
		want{"Month", f.Month(friday), "novembre"},
		want{"Time", f.Time(friday), "14:05"},
		want{"DateTime", f.DateTime(friday), "vendredi 27 novembre 2026 à 14:05"},
		want{"Money", f.Money(1250), "12,50\u00a0€"},
		want{"Money neg", f.Money(-1250), "-12,50\u00a0€"},
		want{"Money zero", f.Money(0), "0,00\u00a0€"},
		want{"Money large", f.Money(123456789), "1\u202f234\u202f567,89\u00a0€"},
		want{"Number", f.Number(1234567), "1\u202f234\u202f567"},
		want{"Number small", f.Number(999), "999"},
	)
	f = NewFormatter("en", nil)
	add("en",
		want{"Date", f.Date(friday), "Friday, 27 November 2026"},
		want{"DateShort", f.DateShort(friday), "27/11/2026"},
		want{"Time", f.Time(friday), "14:05"},
		want{"DateTime", f.DateTime(friday), "Friday, 27 November 2026 at 14:05"},
		want{"Money", f.Money(1250), "€12.50"},
		want{"Money neg", f.Money(-1250), "-€12.50"},
		want{"Money large", f.Money(123456789), "€1,234,567.89"},
		want{"Number", f.Number(-1234567), "-1,234,567"},
	)
	f = NewFormatter("fa-AF", nil)
	add("fa-AF",
		// Afghan month names (جنوری, فبروری, نومبر), not Iranian (ژانویه…).
		want{"Date", f.Date(friday), "جمعه ۲۷ نومبر ۲۰۲۶"},
		want{"Month jan", f.Month(jan), "جنوری"},
		want{"Month feb", f.Month(feb), "فبروری"},
		want{"Month", f.Month(friday), "نومبر"},
		want{"Weekday", f.Weekday(friday), "جمعه"},
		want{"DateShort", f.DateShort(friday), "۲۰۲۶/۱۱/۲۷"},
		want{"Time", f.Time(friday), "۱۴:۰۵"},
		want{"DateTime", f.DateTime(friday), "جمعه ۲۷ نومبر ۲۰۲۶، ساعت ۱۴:۰۵"},
		want{"Money", f.Money(1250), "€\u00a0۱۲٫۵۰"},
		want{"Money neg", f.Money(-1250), "\u200e−€\u00a0۱۲٫۵۰"},
		want{"Number", f.Number(1234567), "۱٬۲۳۴٬۵۶۷"},
	)
	f = NewFormatter("ps", nil)
	add("ps",
		want{"Date", f.Date(friday), "جمعه د ۲۰۲۶ د نومبر ۲۷"},
		want{"Month jan", f.Month(jan), "جنوري"},
		want{"Time", f.Time(friday), "۱۴:۰۵"},
		want{"Money", f.Money(1250), "€\u00a0۱۲٫۵۰"},
	)
	f = NewFormatter("ar", nil)
	add("ar",
		// Latin digits and a 24-hour clock (see docs/LANGUAGES.md).
		want{"Date", f.Date(friday), "الجمعة، 27 نوفمبر 2026"},
		want{"DateShort", f.DateShort(friday), "27/11/2026"},
		want{"Time", f.Time(friday), "14:05"},
		want{"Time morning", f.Time(jan), "10:00"},
		want{"DateTime", f.DateTime(friday), "الجمعة، 27 نوفمبر 2026 في 14:05"},
		want{"Month", f.Month(friday), "نوفمبر"},
		want{"Money", f.Money(1250), "12,50\u00a0€"},
		want{"Money neg", f.Money(-1250), "\u200e-12,50\u00a0€"},
		want{"Number", f.Number(1234567), "1.234.567"},
	)
	f = NewFormatter("ru", nil)
	add("ru",
		want{"Date", f.Date(friday), "пятница, 27 ноября 2026 г."},
		want{"Month", f.Month(friday), "ноябрь"}, // stand-alone, not "ноября"
		want{"Month may", f.Month(time.Date(2026, 5, 3, 12, 0, 0, 0, paris)), "май"},
		want{"Weekday", f.Weekday(friday), "пятница"},
		want{"DateShort", f.DateShort(friday), "27.11.2026"},
		want{"Time", f.Time(friday), "14:05"},
		want{"DateTime", f.DateTime(friday), "пятница, 27 ноября 2026 г. в 14:05"},
		want{"Money", f.Money(1250), "12,50\u00a0€"},
		want{"Money large", f.Money(123456789), "1\u00a0234\u00a0567,89\u00a0€"},
	)
	f = NewFormatter("ti", nil)
	add("ti",
		want{"Date", f.Date(friday), "ዓርቢ፣ 27 ሕዳር 2026"},
		want{"Date thursday", f.Date(time.Date(2026, 12, 10, 9, 0, 0, 0, paris)), "ሓሙስ፣ 10 ታሕሳስ 2026"},
		want{"Weekday tuesday", f.Weekday(time.Date(2026, 12, 8, 9, 0, 0, 0, paris)), "ሰሉስ"},
		want{"Weekday", f.Weekday(friday), "ዓርቢ"},
		want{"Month", f.Month(friday), "ሕዳር"},
		want{"DateShort", f.DateShort(friday), "27/11/2026"},
		want{"Time", f.Time(friday), "14:05"},
		want{"Money", f.Money(1250), "€12.50"},
		want{"Number", f.Number(1234567), "1,234,567"},
	)
	f = NewFormatter("bn", nil)
	add("bn",
		want{"Date", f.Date(friday), "শুক্রবার, ২৭ নভেম্বর, ২০২৬"},
		want{"Number", f.Number(1234567), "১২,৩৪,৫৬৭"},
		want{"Number lakh", f.Number(100000), "১,০০,০০০"},
		want{"Money", f.Money(123456789), "১২,৩৪,৫৬৭.৮৯€"},
		want{"Time", f.Time(friday), "১৪:০৫"},
	)
	f = NewFormatter("ur", nil)
	add("ur",
		want{"Date", f.Date(friday), "جمعہ، 27 نومبر، 2026"},
		want{"Money neg", f.Money(-1250), "\u200e-€12.50"},
		want{"DateShort", f.DateShort(friday), "27/11/2026"},
	)
	f = NewFormatter("tr", nil)
	add("tr",
		want{"Date", f.Date(friday), "27 Kasım 2026 Cuma"},
		want{"Money", f.Money(123456789), "€1.234.567,89"},
	)
	f = NewFormatter("am", nil)
	add("am", want{"Month", f.Month(friday), "ኖቬምበር"}, want{"Money", f.Money(1250), "€12.50"})
	f = NewFormatter("so", nil)
	add("so", want{"Weekday", f.Weekday(friday), "Jimco"}, want{"Money", f.Money(-1250), "-€12.50"})

	for tag, ws := range cases {
		for _, w := range ws {
			if w.got != w.want {
				t.Errorf("%s %s = %q, want %q", tag, w.method, w.got, w.want)
			}
		}
	}
}

// TestFormatterParisClock checks that every time is shown on the Paris
// clock, across both 2026 daylight-saving changes.
func TestFormatterParisClock(t *testing.T) {
	cases := []struct {
		utc        time.Time
		fr, fa, ar string
	}{
		{time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC), "01:30", "۱:۳۰", "01:30"},  // CET, UTC+1
		{time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), "03:30", "۳:۳۰", "03:30"},  // CEST from 01:00 UTC
		{time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), "02:30", "۲:۳۰", "02:30"}, // still CEST
		{time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), "02:30", "۲:۳۰", "02:30"}, // CET again: 02:30 twice
		{time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC), "14:00", "۱۴:۰۰", "14:00"},
		{time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), "13:00", "۱۳:۰۰", "13:00"},
	}
	fr, fa, ar := NewFormatter("fr", nil), NewFormatter("fa-AF", nil), NewFormatter("ar", nil)
	for _, c := range cases {
		if got := fr.Time(c.utc); got != c.fr {
			t.Errorf("fr Time(%v) = %q, want %q", c.utc, got, c.fr)
		}
		if got := fa.Time(c.utc); got != c.fa {
			t.Errorf("fa-AF Time(%v) = %q, want %q", c.utc, got, c.fa)
		}
		if got := ar.Time(c.utc); got != c.ar {
			t.Errorf("ar Time(%v) = %q, want %q", c.utc, got, c.ar)
		}
		// The same instant given in another zone formats the same.
		if got := fr.Time(c.utc.In(time.FixedZone("X", -7*3600))); got != c.fr {
			t.Errorf("fr Time(%v in UTC-7) = %q, want %q", c.utc, got, c.fr)
		}
	}
	// The date follows the Paris clock too: 23:30 UTC on 31 December is New
	// Year's Day in Paris.
	nye := time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC)
	if got := fr.DateShort(nye); got != "01/01/2027" {
		t.Errorf("fr DateShort(%v) = %q, want 01/01/2027", nye, got)
	}
	if got := fr.Date(nye); got != "vendredi 1 janvier 2027" {
		t.Errorf("fr Date(%v) = %q", nye, got)
	}
	if got := fr.Weekday(nye); got != "vendredi" {
		t.Errorf("fr Weekday(%v) = %q", nye, got)
	}
	// An explicit location is honoured.
	if got := NewFormatter("fr", time.UTC).Time(nye); got != "23:30" {
		t.Errorf("fr UTC Time(%v) = %q, want 23:30", nye, got)
	}
	if got := fr.Location().String(); got != "Europe/Paris" {
		t.Errorf("default location = %q, want Europe/Paris", got)
	}
}

func TestNewFormatterTags(t *testing.T) {
	for in, want := range map[string]string{
		"fr": "fr", "fa-AF": "fa-AF", "en-US": "en", "fa": "fa-AF", "ti-ER": "ti",
		"": DefaultTag, "xx": DefaultTag, "uk": DefaultTag, "de": DefaultTag, "he": DefaultTag,
	} {
		if got := NewFormatter(in, nil).Tag(); got != want {
			t.Errorf("NewFormatter(%q).Tag() = %q, want %q", in, got, want)
		}
	}
}

func TestASCIIDigits(t *testing.T) {
	for in, want := range map[string]string{
		"٢١٤ب": "214ب", "۲۱۴": "214", "২১৪": "214", "214B": "214B", "": "", "١٢٫٥٠": "12٫50",
	} {
		if got := ASCIIDigits(in); got != want {
			t.Errorf("ASCIIDigits(%q) = %q, want %q", in, got, want)
		}
	}
	// Every native digit we write reads back.
	for _, l := range Languages {
		f := NewFormatter(l.Tag, nil)
		if got := onlyDigits(f.Number(1234567890)); got != "1234567890" {
			t.Errorf("%s: Number digits read back as %q", l.Tag, got)
		}
	}
}

// The translator stubs below stand for a broken or incomplete CLDR locale.

// panickyTr panics on every call (its embedded interface is nil).
type panickyTr struct{ gpl.Translator }

// garbageTr returns pattern debris for the full date and an empty time.
type garbageTr struct{ gpl.Translator }

func (garbageTr) FmtDateFull(time.Time) string  { return "{0} d MMMM" }
func (garbageTr) FmtTimeShort(time.Time) string { return "" }

// noMonthsTr has an empty month name, as a locale with missing data would.
type noMonthsTr struct{ gpl.Translator }

func (noMonthsTr) MonthWide(time.Month) string { return "" }

func TestFormatterFallsBackOnBrokenLocaleData(t *testing.T) {
	fr := specByTag["fr"]
	realTr := translators()["fr"]
	mk := func(tr gpl.Translator) *Formatter {
		return &Formatter{tag: "fr", loc: paris, spec: fr, tr: tr}
	}

	f := mk(panickyTr{})
	for name, got := range map[string]string{
		"Date": f.Date(friday), "Time": f.Time(friday), "Weekday": f.Weekday(friday),
		"Month": f.Month(friday), "DateTime": f.DateTime(friday), "DateShort": f.DateShort(friday),
	} {
		checkText(t, "panicky "+name, got)
	}
	if got := f.Date(friday); got != "Friday 27/11/2026" {
		t.Errorf("panicky Date = %q", got)
	}
	if got := f.Time(friday); got != "14:05" {
		t.Errorf("panicky Time = %q", got)
	}

	f = mk(garbageTr{realTr})
	if got := f.Date(friday); got != "vendredi 27 novembre 2026" {
		t.Errorf("garbage Date = %q, want the plain fallback", got)
	}
	if got := f.Time(friday); got != "14:05" {
		t.Errorf("garbage Time = %q", got)
	}

	f = mk(noMonthsTr{realTr})
	if got := f.Date(friday); got != "vendredi 27/11/2026" {
		t.Errorf("no-months Date = %q", got)
	}
	if got := f.Month(friday); got != "November" {
		t.Errorf("no-months Month = %q", got)
	}
}

func TestPlausible(t *testing.T) {
	for s, want := range map[string]bool{
		"vendredi 27 novembre 2026": true, "2:05 م": true, "(x)": true,
		"": false, "{1} {0}": false, "a\uFFFDb": false, "\xff": false, "%!d(string=x)": false, "(x": false,
	} {
		if got := plausible(s); got != want {
			t.Errorf("plausible(%q) = %v", s, got)
		}
	}
}

func TestFormatterConcurrentUse(t *testing.T) {
	done := make(chan bool)
	for _, l := range Languages {
		go func() {
			f := NewFormatter(l.Tag, nil)
			for i := range 50 {
				_ = f.DateTime(friday.AddDate(0, 0, i)) + f.Money(int64(i)*137) + f.Month(friday)
			}
			done <- true
		}()
	}
	for range Languages {
		<-done
	}
}

// TestMonthsAndWeekdaysComplete checks that every month and weekday has a
// name in every language, and in its own script.
func TestMonthsAndWeekdaysComplete(t *testing.T) {
	script := map[string]*unicode.RangeTable{
		"fr": unicode.Latin, "en": unicode.Latin, "so": unicode.Latin, "tr": unicode.Latin,
		"fa-AF": unicode.Arabic, "ps": unicode.Arabic, "ar": unicode.Arabic, "ur": unicode.Arabic,
		"ti": unicode.Ethiopic, "am": unicode.Ethiopic, "bn": unicode.Bengali, "ru": unicode.Cyrillic,
	}
	for _, l := range Languages {
		f := NewFormatter(l.Tag, nil)
		seen := map[string]bool{}
		for m := 1; m <= 12; m++ {
			d := time.Date(2026, time.Month(m), 10, 12, 0, 0, 0, paris)
			name := f.Month(d)
			if seen[name] {
				t.Errorf("%s: month name %q repeated", l.Tag, name)
			}
			seen[name] = true
			if !inScript(name, script[l.Tag]) {
				t.Errorf("%s: month %d = %q is not in the language's script", l.Tag, m, name)
			}
		}
		for i := range 7 {
			d := friday.AddDate(0, 0, i)
			if name := f.Weekday(d); !inScript(name, script[l.Tag]) {
				t.Errorf("%s: weekday %v = %q is not in the language's script", l.Tag, d.Weekday(), name)
			}
		}
	}
}

func inScript(s string, table *unicode.RangeTable) bool {
	letters := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			letters++
			if !unicode.Is(table, r) {
				return false
			}
		}
	}
	return letters > 0
}
