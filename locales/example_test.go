package locales_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/aurore/cairbot/locales"
)

// visible names the invisible characters CLDR puts in numbers and dates,
// so that a reviewer sees them: no-break spaces and direction marks.
var visible = strings.NewReplacer("\u00a0", "<nbsp>", "\u202f", "<nnbsp>", "\u200e", "<lrm>", "\u200f", "<rlm>",
	"\u2068", "<fsi>", "\u2069", "<pdi>")

// ExampleFormatter shows each language's date and time, short date, month,
// a negative and a positive amount, a large number and a time on the
// night the clocks go forward — one line per language, for review by
// people who read it; any change to a language's formatting shows here.
func ExampleFormatter() {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	friday := time.Date(2026, 11, 27, 14, 5, 0, 0, paris)
	springForward := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC) // 03:30 in Paris
	for _, l := range locales.Languages {
		f := locales.NewFormatter(l.Tag, paris)
		fmt.Println(visible.Replace(fmt.Sprintf("%-5s | %s | %s | %s | %s | %s | %s | %s", l.Tag, f.DateTime(friday), f.DateShort(friday),
			f.Month(friday), f.Money(-123456), f.Money(1250), f.Number(1234567), f.Time(springForward))))
	}
	// Output:
	// fr    | vendredi 27 novembre 2026 à 14:05 | 27/11/2026 | novembre | -1<nnbsp>234,56<nbsp>€ | 12,50<nbsp>€ | 1<nnbsp>234<nnbsp>567 | 03:30
	// en    | Friday, 27 November 2026 at 14:05 | 27/11/2026 | November | -€1,234.56 | €12.50 | 1,234,567 | 03:30
	// fa-AF | جمعه ۲۷ نومبر ۲۰۲۶، ساعت ۱۴:۰۵ | ۲۰۲۶/۱۱/۲۷ | نومبر | <lrm>−€<nbsp>۱٬۲۳۴٫۵۶ | €<nbsp>۱۲٫۵۰ | ۱٬۲۳۴٬۵۶۷ | ۳:۳۰
	// ps    | جمعه د ۲۰۲۶ د نومبر ۲۷ په ۱۴:۰۵ | ۲۰۲۶/۱۱/۲۷ | نومبر | -€<nbsp>۱٬۲۳۴٫۵۶ | €<nbsp>۱۲٫۵۰ | ۱٬۲۳۴٬۵۶۷ | ۳:۳۰
	// ar    | الجمعة، 27 نوفمبر 2026 في 14:05 | 27/11/2026 | نوفمبر | <lrm>-1.234,56<nbsp>€ | 12,50<nbsp>€ | 1.234.567 | 03:30
	// ti    | ዓርቢ፣ 27 ሕዳር 2026 14:05 | 27/11/2026 | ሕዳር | -€1,234.56 | €12.50 | 1,234,567 | 03:30
	// so    | Jimco, 27 Nofembar 2026 14:05 | 27/11/2026 | Nofembar | -€1,234.56 | €12.50 | 1,234,567 | 03:30
	// am    | 2026 ኖቬምበር 27, ዓርብ 14:05 | 27/11/2026 | ኖቬምበር | -€1,234.56 | €12.50 | 1,234,567 | 03:30
	// bn    | শুক্রবার, ২৭ নভেম্বর, ২০২৬ এ ১৪:০৫ | ২৭/১১/২০২৬ | নভেম্বর | -১,২৩৪.৫৬€ | ১২.৫০€ | ১২,৩৪,৫৬৭ | ০৩:৩০
	// ur    | جمعہ، 27 نومبر، 2026 کو 14:05 | 27/11/2026 | نومبر | <lrm>-€1,234.56 | €12.50 | 1,234,567 | 03:30
	// ru    | пятница, 27 ноября 2026 г. в 14:05 | 27.11.2026 | ноябрь | -1<nbsp>234,56<nbsp>€ | 12,50<nbsp>€ | 1<nbsp>234<nbsp>567 | 03:30
	// tr    | 27 Kasım 2026 Cuma 14:05 | 27.11.2026 | Kasım | -€1.234,56 | €12,50 | 1.234.567 | 03:30
}
