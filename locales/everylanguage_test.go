package locales

import (
	"strings"
	"testing"
	"time"
	"unicode"
)

// TestEveryLanguageByHand renders a date, a time range, a positive and a
// negative amount and a plural in every language and compares them with
// sentences written out here by hand (from the language files and the
// review of December 2026, not from the formatter). It is the one place
// where a reader of each language can check what residents see.
func TestEveryLanguageByHand(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	// Thursday 10 December 2026, a class from 09:30 to 12:00 in Paris.
	from := time.Date(2026, 12, 10, 9, 30, 0, 0, paris)
	to := time.Date(2026, 12, 10, 12, 0, 0, 0, paris)
	const fsi, pdi = "\u2068", "\u2069"
	type want struct {
		date, span, plus, minus, one, three string
	}
	cases := map[string]want{
		"fr": {"jeudi 10 décembre 2026", "09:30–12:00", "12,50\u00a0€", "-12,50\u00a0€",
			"📅 1 rendez-vous prévu :", "📅 3 rendez-vous prévus :"},
		"en": {"Thursday, 10 December 2026", "09:30–12:00", "€12.50", "-€12.50",
			"📅 1 appointment planned:", "📅 3 appointments planned:"},
		"fa-AF": {"پنجشنبه ۱۰ دسمبر ۲۰۲۶", "۹:۳۰–۱۲:۰۰", "€\u00a0۱۲٫۵۰", "\u200e−€\u00a0۱۲٫۵۰",
			"📅 ملاقات\u200cهای تعیین\u200cشده: " + fsi + "۱" + pdi, "📅 ملاقات\u200cهای تعیین\u200cشده: " + fsi + "۳" + pdi},
		// Pashto: the weekday people say (پنجشنبه), never CLDR's names.
		"ps": {"پنجشنبه د ۲۰۲۶ د دسمبر ۱۰", "۹:۳۰–۱۲:۰۰", "€\u00a0۱۲٫۵۰", "-€\u00a0۱۲٫۵۰",
			"📅 ټاکل شوي ملاقاتونه: " + fsi + "۱" + pdi, "📅 ټاکل شوي ملاقاتونه: " + fsi + "۳" + pdi},
		// Arabic: Latin digits, 24-hour clock.
		"ar": {"الخميس، 10 ديسمبر 2026", "09:30–12:00", "12,50\u00a0€", "\u200e-12,50\u00a0€",
			"📅 المواعيد المحددة: " + fsi + "1" + pdi, "📅 المواعيد المحددة: " + fsi + "3" + pdi},
		// Tigrinya: the short modern date, the modern spelling ሓሙስ.
		"ti": {"ሓሙስ፣ 10 ታሕሳስ 2026", "09:30–12:00", "€12.50", "-€12.50",
			"📅 ዝተሓዙ ቆጸራታት: 1", "📅 ዝተሓዙ ቆጸራታት: 3"},
		// Somali: the everyday month name.
		"so": {"Khamiis, 10 Desembar 2026", "09:30–12:00", "€12.50", "-€12.50",
			"📅 Ballamaha qorsheysan: 1", "📅 Ballamaha qorsheysan: 3"},
		"am": {"2026 ዲሴምበር 10, ሐሙስ", "09:30–12:00", "€12.50", "-€12.50",
			"📅 የተያዙ ቀጠሮዎች: 1", "📅 የተያዙ ቀጠሮዎች: 3"},
		"bn": {"বৃহস্পতিবার, ১০ ডিসেম্বর, ২০২৬", "০৯:৩০–১২:০০", "১২.৫০€", "-১২.৫০€",
			"📅 ঠিক করা অ্যাপয়েন্টমেন্ট: ১", "📅 ঠিক করা অ্যাপয়েন্টমেন্ট: ৩"},
		"ur": {"جمعرات، 10 دسمبر، 2026", "09:30–12:00", "€12.50", "\u200e-€12.50",
			"📅 طے شدہ ملاقاتیں: " + fsi + "1" + pdi, "📅 طے شدہ ملاقاتیں: " + fsi + "3" + pdi},
		"ru": {"четверг, 10 декабря 2026 г.", "09:30–12:00", "12,50\u00a0€", "-12,50\u00a0€",
			"📅 1 назначенная встреча:", "📅 3 назначенные встречи:"},
		"tr": {"10 Aralık 2026 Perşembe", "09:30–12:00", "€12,50", "-€12,50",
			"📅 1 randevu planlandı:", "📅 3 randevu planlandı:"},
	}
	if len(cases) != len(Languages) {
		t.Fatalf("%d languages written out, %d supported", len(cases), len(Languages))
	}
	for _, l := range Languages {
		w, ok := cases[l.Tag]
		if !ok {
			t.Errorf("%s: no expected sentences", l.Tag)
			continue
		}
		loc := cat.Localizer(l.Tag)
		for _, c := range []struct{ what, got, want string }{
			{"date", loc.F.Date(from), w.date},
			{"time range", loc.F.TimeRange(from, to), w.span},
			{"amount", loc.F.Money(1250), w.plus},
			{"negative amount", loc.F.Money(-1250), w.minus},
			{"plural 1", loc.N("appointments.staff_title", 1), w.one},
			{"plural 3", loc.N("appointments.staff_title", 3), w.three},
		} {
			if c.got != c.want {
				t.Errorf("%s %s = %q, want %q", l.Tag, c.what, c.got, c.want)
			}
		}
	}
}

// TestNegativeAmountKeepsTheEuroSide: inside a right-to-left sentence an
// amount is an isolate whose direction is that of its first strong
// character. A negative amount must get the same direction as a positive
// one, or its € jumps to the other side of the number (Arabic's old
// "\u061c-" minus did that).
func TestNegativeAmountKeepsTheEuroSide(t *testing.T) {
	for _, l := range Languages {
		f := NewFormatter(l.Tag, nil)
		plus, minus := f.Money(1250), f.Money(-1250)
		if rtl(plus) != rtl(minus) {
			t.Errorf("%s: %q is isolated %s, %q %s", l.Tag, plus, dir(rtl(plus)), minus, dir(rtl(minus)))
		}
		if euroFirst(plus) != euroFirst(minus) {
			t.Errorf("%s: € moves: %q, %q", l.Tag, plus, minus)
		}
	}
}

// rtl reports whether an isolate holding s is right to left: its first
// strong character is (ALM and RLM count, LRM is left to right).
func rtl(s string) bool {
	for _, r := range s {
		switch {
		case r == '\u061c', r == '\u200f':
			return true
		case r == '\u200e':
			return false
		case unicode.In(r, unicode.Arabic, unicode.Hebrew) && unicode.IsLetter(r):
			return true
		case unicode.IsLetter(r):
			return false
		}
	}
	return false
}

func dir(rtl bool) string {
	if rtl {
		return "right to left"
	}
	return "left to right"
}

// euroFirst reports whether € comes before the number in logical order.
func euroFirst(s string) bool {
	return strings.Index(s, "€") < strings.IndexFunc(s, unicode.IsDigit)
}
