package handlers

import (
	"testing"
	"time"
)

func TestSchedulesKeepParisWallClockAcrossDST(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		sched interface{ Next(time.Time) time.Time }
		from  time.Time
		want  time.Time
	}{
		// Sunday 29 March 2026 is the spring change; Monday 08:00 is then
		// 06:00 UTC instead of 07:00.
		{"weekly before spring change", Weekly{paris, time.Monday, 8, 0},
			time.Date(2026, 3, 27, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 30, 6, 0, 0, 0, time.UTC)},
		{"weekly before autumn change", Weekly{paris, time.Monday, 8, 0},
			time.Date(2026, 10, 23, 12, 0, 0, 0, time.UTC), time.Date(2026, 10, 26, 7, 0, 0, 0, time.UTC)},
		{"weekly at the exact time moves a week", Weekly{paris, time.Monday, 8, 0},
			time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC), time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)},
		{"monthly next month", Monthly{paris, 1, 9, 0},
			time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 7, 0, 0, 0, time.UTC)},
		{"monthly year end", Monthly{paris, 1, 9, 0},
			time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 8, 0, 0, 0, time.UTC)},
		{"daily across the autumn change", Daily{paris, 19, 0},
			time.Date(2026, 10, 24, 18, 0, 0, 0, time.UTC), time.Date(2026, 10, 25, 18, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sched.Next(tt.from); !got.Equal(tt.want) {
				t.Fatalf("Next(%v) = %v, want %v", tt.from, got.UTC(), tt.want)
			}
		})
	}
}
