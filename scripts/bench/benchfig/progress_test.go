package benchfig

import (
	"regexp"
	"testing"
	"time"
)

func TestProgressOf(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	delivered := []time.Time{at(100), at(200), at(300), at(1500)}
	for _, c := range []struct {
		name  string
		edits []Shown
		end   time.Time
		want  Progress
	}{
		{"each count shown soon after", []Shown{{at(150), 1}, {at(1100), 3}, {at(2000), 4}}, at(3000),
			// 2 arrived at 200 and was shown at 1100; 4 at 1500, shown at 2000.
			Progress{Edits: 3, Stale: 900 * time.Millisecond, Final: 500 * time.Millisecond, Behind: 0}},
		{"a count read before a wait", []Shown{{at(1200), 1}, {at(2300), 4}}, at(3000),
			Progress{Edits: 2, Stale: 2100 * time.Millisecond, Final: 800 * time.Millisecond, Behind: 2}},
		{"the end never shown", []Shown{{at(400), 3}}, at(3000),
			Progress{Edits: 1, Stale: 1500 * time.Millisecond}},
		{"no edit", nil, at(3000), Progress{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ProgressOf(c.edits, delivered, c.end); got != c.want {
				t.Errorf("ProgressOf = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestCount(t *testing.T) {
	english := regexp.MustCompile(`(\d[\d,]*) of (\d[\d,]*)`)
	french := regexp.MustCompile(`(\d[\d\x{202F}\x{00A0} ]*) sur `)
	for _, c := range []struct {
		re     *regexp.Regexp
		text   string
		want   int
		wantOK bool
	}{
		{english, "📤 Sending: 1,234 of 2,000 done.", 1234, true},
		{french, "📤 Envoi : 1\u202f234 sur 2\u202f000 faits.", 1234, true},
		{french, "📤 Envoi : 12 sur 200 faits.", 12, true},
		{english, "✅ Sent to everyone.", 0, false},
	} {
		if n, ok := Count(c.re, c.text); n != c.want || ok != c.wantOK {
			t.Errorf("Count(%q) = %d, %v; want %d, %v", c.text, n, ok, c.want, c.wantOK)
		}
	}
}
