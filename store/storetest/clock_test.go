package storetest

import (
	"testing"
	"time"
)

func TestNowFromTestNow(t *testing.T) {
	t.Setenv("TEST_NOW", "")
	if got := Now(t); !got.Equal(DefaultNow) || got.Weekday() != time.Friday {
		t.Fatalf("default = %v", got)
	}
	t.Setenv("TEST_NOW", "2027-03-28T01:30:00+01:00")
	if got := Now(t); !got.Equal(time.Date(2027, 3, 28, 0, 30, 0, 0, time.UTC)) {
		t.Fatalf("TEST_NOW = %v", got)
	}
}

func TestDaysInParis(t *testing.T) {
	t.Parallel()
	night := time.Date(2027, 3, 28, 0, 30, 0, 0, time.UTC) // 01:30, the clocks go forward at 02:00
	for _, c := range []struct {
		name      string
		got, want time.Time
	}{
		{"the next day, an hour shorter", Day(night, 1, 1, 30), time.Date(2027, 3, 28, 23, 30, 0, 0, time.UTC)},
		{"the day before", Day(night, -1, 12, 0), time.Date(2027, 3, 27, 11, 0, 0, 0, time.UTC)},
		{"a weekday later the same day", Next(night, time.Sunday, 10, 0), time.Date(2027, 3, 28, 8, 0, 0, 0, time.UTC)},
		{"strictly after", Next(DefaultNow, time.Friday, 10, 0), time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)},
		{"a date, midnight UTC", Date(time.Date(2027, 12, 31, 23, 30, 0, 0, time.UTC)), time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"the next spring change", NextClockChange(DefaultNow, true), time.Date(2027, 3, 28, 10, 0, 0, 0, time.UTC)},
		{"the next autumn change", NextClockChange(DefaultNow, false), time.Date(2027, 10, 31, 11, 0, 0, 0, time.UTC)},
		{"not the one of the day itself", NextClockChange(night, true), time.Date(2028, 3, 26, 10, 0, 0, 0, time.UTC)},
	} {
		if !c.got.Equal(c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.got.UTC(), c.want)
		}
	}
}
