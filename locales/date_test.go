package locales

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	tests := []struct {
		in        string
		want      string // "" = refused
		yearTyped bool
	}{
		{"3/12", "2026-12-03", false},
		{"03.12.2026", "2026-12-03", true},
		{"3-12-26", "2026-12-03", true},
		{"2026-12-03", "2026-12-03", true},
		{"27/11/2026", "2026-11-27", true},
		{"۰۳/۱۲", "2026-12-03", false},
		{"٣/١٢/٢٠٢٦", "2026-12-03", true},
		{"\u200f3/12\u200f", "2026-12-03", false},
		{"31/11", "", false},
		{"29/2/2027", "", false},
		{"0/12", "", false},
		{"3/13", "", false},
		{"tomorrow", "", false},
		{"", "", false},
		{"3/12/20266", "", false},
	}
	for _, tt := range tests {
		got, yearTyped, ok := ParseDate(tt.in, paris, 2026)
		if ok != (tt.want != "") || (ok && (got.Format("2006-01-02") != tt.want || yearTyped != tt.yearTyped || got.Location() != paris)) {
			t.Errorf("ParseDate(%q) = %v %v %v, want %q year typed %v", tt.in, got, yearTyped, ok, tt.want, tt.yearTyped)
		}
	}
}
