package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"time"
)

// csvTable is a CSV file for French spreadsheet software: Excel and
// LibreOffice set to French read ";" as the separator and "," as the
// decimal mark, and take the file for UTF-8 only with a byte-order mark.
type csvTable struct {
	rows [][]string
}

func (t *csvTable) add(cells ...string) { t.rows = append(t.rows, cells) }

// bom is UTF-8's byte-order mark.
const bom = "\uFEFF"

func (t *csvTable) bytes() []byte {
	var b bytes.Buffer
	b.WriteString(bom)
	w := csv.NewWriter(&b)
	w.Comma = ';'
	w.UseCRLF = true
	// Writing to memory cannot fail; quoting of ";" and quotes is csv's.
	_ = w.WriteAll(t.rows)
	return b.Bytes()
}

// euros writes integer cents with a decimal comma and no grouping, which a
// French spreadsheet reads as a number: 123450 → "1234,50".
func euros(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d,%02d", sign, cents/100, cents%100)
}

// hours writes minutes as hours with two decimals, rounded: 90 → "1,50".
func hours(minutes int) string {
	centi := (minutes*100 + 30) / 60
	return fmt.Sprintf("%d,%02d", centi/100, centi%100)
}

// percent writes num/den as a percentage with one decimal, rounded half
// up; empty when there is nothing to divide by.
func percent(num, den int) string {
	if den <= 0 {
		return ""
	}
	pm := (num*1000 + den/2) / den
	return fmt.Sprintf("%d,%d", pm/10, pm%10)
}

// ratio is num/den in percent, for charts.
func ratio(num, den int) float64 {
	if den <= 0 {
		return 0
	}
	return float64(num) * 100 / float64(den)
}

// day writes a date the French way, which spreadsheets read as a date.
func day(t time.Time) string { return t.Format("02/01/2006") }

func itoa(n int) string { return fmt.Sprint(n) }
