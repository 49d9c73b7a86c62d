package handlers

import (
	"math"
	"testing"
	"time"

	"github.com/aurore/cairbot/store"
)

func TestClassWeekStartOnParisClock(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	tests := []struct{ at, want time.Time }{
		// Sunday night in Paris is still the week that began on Monday 23.
		{time.Date(2026, 11, 29, 22, 30, 0, 0, time.UTC), time.Date(2026, 11, 23, 0, 0, 0, 0, paris)},
		// Sunday 23:30 UTC is already Monday 30 in Paris.
		{time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC), time.Date(2026, 11, 30, 0, 0, 0, 0, paris)},
		// The week of the spring change starts at 00:00 CET on Monday 23
		// March; the next one at 00:00 CEST.
		{time.Date(2026, 3, 29, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 23, 0, 0, 0, 0, paris)},
		{time.Date(2026, 3, 30, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 30, 0, 0, 0, 0, paris)},
	}
	for _, tt := range tests {
		if got := classWeekStart(tt.at, paris); !got.Equal(tt.want) {
			t.Errorf("classWeekStart(%v) = %v, want %v", tt.at, got, tt.want)
		}
	}
}

func TestClassID36(t *testing.T) {
	for _, n := range []int64{1, 35, 36, 123456789, math.MaxInt64} {
		got, ok := parseClassID36(classID36(n))
		if !ok || got != n {
			t.Errorf("round trip of %d = %d, %v", n, got, ok)
		}
	}
	for _, s := range []string{"", "0", "-1", "+1", "ZZ", "zz!", " 1", "1y2p0ij32e8e8", "001"} {
		if n, ok := parseClassID36(s); ok {
			t.Errorf("parseClassID36(%q) = %d, want refused", s, n)
		}
	}
}

func TestClassReminderJobTimes(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	h := &Handlers{ClassReminderBefore: 90 * time.Minute}
	o := store.ClassOccurrence{Session: store.ClassSession{ID: 7, CentreID: 1},
		Date: time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC), Start: time.Date(2026, 10, 26, 10, 0, 0, 0, paris)}
	args, opts := h.classReminderJob(o, time.Date(2026, 10, 25, 12, 0, 0, 0, time.UTC))
	if args.Date != "20261026" || time.Unix(args.DueAt, 0).UTC() != time.Date(2026, 10, 26, 7, 30, 0, 0, time.UTC) ||
		!opts.ScheduledAt.Equal(time.Unix(args.DueAt, 0)) || !opts.UniqueOpts.ByArgs {
		t.Fatalf("args %+v, opts %+v", args, opts)
	}
	// Planned after its due time (a class moved to within the hour): due now.
	now := time.Date(2026, 10, 26, 8, 45, 0, 0, time.UTC)
	if _, opts := h.classReminderJob(o, now); !opts.ScheduledAt.Equal(now) {
		t.Fatalf("late plan scheduled at %v", opts.ScheduledAt)
	}
}
