package locales

import (
	"testing"
	"time"
)

// BenchmarkLocalizerRTL renders a message with three isolated variables in
// Dari, as every reply in an RTL language does.
func BenchmarkLocalizerRTL(b *testing.B) {
	cat, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	loc := cat.Localizer("fa-AF")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if s := loc.T("mydata.summary", "Name", "Ahmad K.", "Room", "214", "Language", "دری", "Role", "x"); s == "" {
			b.Fatal("empty")
		}
	}
}

// BenchmarkFormatterDateTime formats an appointment time in Dari.
func BenchmarkFormatterDateTime(b *testing.B) {
	f := NewFormatter("fa-AF", nil)
	t := time.Date(2026, 10, 25, 13, 5, 0, 0, time.UTC)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if f.DateTime(t) == "" {
			b.Fatal("empty")
		}
	}
}

// BenchmarkMatchTerm runs the glossary's tolerant match on a typed word.
func BenchmarkMatchTerm(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		MatchTerm("ofbra?")
	}
}
