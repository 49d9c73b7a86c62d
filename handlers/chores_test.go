package handlers

import (
	"testing"
	"time"
)

func TestChoreWeekIsAnnouncedInWakingHours(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	week := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, paris) }
	tests := []struct {
		name string
		now  time.Time
		ok   bool
		wake time.Time
	}{
		{"Monday 08:00", at(30, 8, 0), true, time.Time{}},
		{"Wednesday noon (a leader started late)", time.Date(2026, 12, 2, 12, 0, 0, 0, paris), true, time.Time{}},
		{"Monday 02:00", at(30, 2, 0), false, at(30, 8, 0)},
		{"the Sunday before", at(29, 23, 0), false, at(30, 8, 0)},
		{"Wednesday 22:00", time.Date(2026, 12, 2, 22, 0, 0, 0, paris), false, time.Date(2026, 12, 3, 8, 0, 0, 0, paris)},
		{"Sunday night: the week is over", time.Date(2026, 12, 6, 22, 0, 0, 0, paris), false, time.Time{}},
	}
	for _, tt := range tests {
		wake, ok := choreWakingHours(tt.now, week, paris)
		if ok != tt.ok || !wake.Equal(tt.wake) {
			t.Errorf("%s: (%v, %v), want (%v, %v)", tt.name, wake, ok, tt.wake, tt.ok)
		}
	}
}
