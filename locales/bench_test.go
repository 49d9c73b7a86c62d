package locales

import (
	"runtime"
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

// BenchmarkCatalogEveryMessage renders every message of the twelve
// languages once, with its variables, as a process does over its life,
// and reports what the catalog then holds: heap bytes and objects kept
// after a collection.
func BenchmarkCatalogEveryMessage(b *testing.B) {
	all := messagesByLanguage(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		cat, err := Load()
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range Languages {
			loc := cat.Localizer(l.Tag)
			for id, m := range all[l.Tag] {
				var kv []any
				for v := range vars(m) {
					kv = append(kv, v, "X")
				}
				if m.One != "" {
					loc.N(id, 2, kv...)
				} else {
					loc.T(id, kv...)
				}
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1024, "KB-kept")
		b.ReportMetric(float64(after.HeapObjects-before.HeapObjects), "objects-kept")
		runtime.KeepAlive(cat)
	}
}
