package bot_test

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aurore/cairbot/store/storetest"
)

// The tests' dates move with TEST_NOW, so the sentences they expect are
// written out with the date put in by these writers: each language's
// month and day names, written here by hand rather than asked of the
// catalog under test.

var (
	frWeekdays = [7]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	frMonths   = [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
		"septembre", "octobre", "novembre", "décembre"}
	faWeekdays = [7]string{"یکشنبه", "دوشنبه", "سه\u200cشنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه"}
	faMonths   = [12]string{"جنوری", "فبروری", "مارچ", "اپریل", "می", "جون", "جولای", "اگست",
		"سپتمبر", "اکتوبر", "نومبر", "دسمبر"}
	arWeekdays = [7]string{"الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت"}
	arMonths   = [12]string{"يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس",
		"سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"}
	ruWeekdays = [7]string{"воскресенье", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота"}
	ruMonths   = [12]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
		"сентября", "октября", "ноября", "декабря"}
)

func paris(t time.Time) time.Time { return t.In(storetest.Paris) }

// frDate is "jeudi 3 décembre 2026".
func frDate(t time.Time) string {
	p := paris(t)
	return fmt.Sprintf("%s %d %s %d", frWeekdays[p.Weekday()], p.Day(), frMonths[p.Month()-1], p.Year())
}

// numDate is "03/12/2026" (French and English short dates).
func numDate(t time.Time) string { return paris(t).Format("02/01/2006") }

// enDate is "Thursday, 3 December 2026".
func enDate(t time.Time) string { return paris(t).Format("Monday, 2 January 2006") }

// faDate is Dari's "پنجشنبه ۳ دسمبر ۲۰۲۶".
func faDate(t time.Time) string {
	p := paris(t)
	return faWeekdays[p.Weekday()] + " " + faDigits(p.Day()) + " " + faMonths[p.Month()-1] + " " + faDigits(p.Year())
}

// faDateShort is Dari's "۲۰۲۶/۱۲/۱".
func faDateShort(t time.Time) string {
	p := paris(t)
	return faDigits(p.Year()) + "/" + faDigits(int(p.Month())) + "/" + faDigits(p.Day())
}

// arDate is Arabic's "الثلاثاء، 1 ديسمبر 2026": Arabic is written with
// Latin digits (docs/LANGUAGES.md).
func arDate(t time.Time) string {
	p := paris(t)
	return arWeekdays[p.Weekday()] + "، " + arDigits(p.Day()) + " " + arMonths[p.Month()-1] + " " + arDigits(p.Year())
}

// ruDate is Russian's "пятница, 27 ноября 2026 г.".
func ruDate(t time.Time) string {
	p := paris(t)
	return fmt.Sprintf("%s, %d %s %d г.", ruWeekdays[p.Weekday()], p.Day(), ruMonths[p.Month()-1], p.Year())
}

// ruNumDate is "27.11.2026".
func ruNumDate(t time.Time) string { return paris(t).Format("02.01.2006") }

// faDigits writes n in Persian digits, arDigits in the Latin ones Arabic
// uses.
func faDigits(n int) string { return toDigits(strconv.Itoa(n), '۰') }
func arDigits(n int) string { return strconv.Itoa(n) }

func toDigits(s string, zero rune) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return zero + r - '0'
		}
		return r
	}, s)
}

// typedDay is a day as staff type it: "3/12".
func typedDay(t time.Time) string {
	p := paris(t)
	return fmt.Sprintf("%d/%d", p.Day(), int(p.Month()))
}

// dayKey is a day as buttons carry it: "20261203".
func dayKey(t time.Time) string { return paris(t).Format("20060102") }
