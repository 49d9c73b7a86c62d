package storetest

import (
	"os"
	"testing"
	"time"
)

// Paris is the centre's time zone, in which the tests reckon days.
var Paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}()

// DefaultNow is where tests start when TEST_NOW is not set: a Friday,
// 10:00 in Paris, away from midnight and from the clock changes.
var DefaultNow = time.Date(2026, 11, 27, 10, 0, 0, 0, Paris)

// Now is the instant a test starts at: TEST_NOW (RFC 3339, such as
// 2027-03-28T01:30:00+01:00) when it is set, else DefaultNow. Every date a
// test uses is computed from it, so that no test depends on the day it
// runs, and any day can be tried.
func Now(tb testing.TB) time.Time {
	tb.Helper()
	v := os.Getenv("TEST_NOW")
	if v == "" {
		return DefaultNow
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		tb.Fatalf("storetest: TEST_NOW=%q is not an RFC 3339 time such as 2027-03-28T01:30:00+01:00", v)
	}
	return t
}

// Day is hh:mm on the Paris wall clock, days calendar days after t's day
// in Paris (a day of a clock change has 23 or 25 hours).
func Day(t time.Time, days, hh, mm int) time.Time {
	p := t.In(Paris)
	return time.Date(p.Year(), p.Month(), p.Day()+days, hh, mm, 0, 0, Paris)
}

// Next is the first weekday at hh:mm on the Paris wall clock strictly
// after t.
func Next(t time.Time, wd time.Weekday, hh, mm int) time.Time {
	for d := 0; ; d++ {
		n := Day(t, d, hh, mm)
		if n.Weekday() == wd && n.After(t) {
			return n
		}
	}
}

// Date is t's day in Paris as the store keeps calendar dates: midnight UTC.
func Date(t time.Time) time.Time {
	p := t.In(Paris)
	return time.Date(p.Year(), p.Month(), p.Day(), 0, 0, 0, 0, time.UTC)
}

// NextClockChange is 12:00 in Paris on the first day after t's day when
// the clocks go forward (spring) or back (autumn).
func NextClockChange(t time.Time, spring bool) time.Time {
	for d := 1; ; d++ {
		start, end := Day(t, d, 0, 0), Day(t, d+1, 0, 0)
		_, before := start.Zone()
		_, after := end.Zone()
		if (spring && after > before) || (!spring && after < before) {
			return Day(t, d, 12, 0)
		}
	}
}
