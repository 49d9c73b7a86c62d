// Package rota is the cleaning rota's arithmetic, without I/O: the
// calendar of a centre's week on its wall clock, and the algorithm that
// gives each turn to the next resident free to take it. The store reads
// and writes the rota; this package only decides.
package rota

import (
	"cmp"
	"slices"
	"time"
)

// Who the rota skips: a resident in his first week after arrival, and a
// resident in the week before he leaves.
const (
	NewcomerGraceDays = 7
	LeavingNoticeDays = 7
)

// WeekStart is the Monday of t's week on loc's clock, as a calendar
// date (midnight UTC).
func WeekStart(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	d := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(l.Weekday()) + 6) % 7))
}

// Day is t's calendar date on loc's clock (midnight UTC).
func Day(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
}

// At is the instant of a wall-clock time (minutes after midnight) on a
// calendar day in loc: 10:00 is 10:00 in Paris on either side of a clock
// change.
func At(day time.Time, minutes int, loc *time.Location) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, minutes, 0, 0, loc)
}

// Member is a resident on the rota as the rota generator sees him.
type Member struct {
	PersonID int64
	// Last and LastArea are the start and area of his last turn, or when he
	// joined the rota: his place in the rotation (oldest first).
	Last     time.Time
	LastArea int64
	Away     bool
	// ArrivedOn and LeftOn are calendar dates, nil when unknown.
	ArrivedOn, LeftOn *time.Time
	// Busy are the times he is expected elsewhere: his French class
	// sessions and housing appointments.
	Busy []BusyTime
}

// BusyTime is a time a resident is expected elsewhere, [Start, End).
type BusyTime struct{ Start, End time.Time }

// FreeDuring reports whether none of his busy times overlaps [start, end).
func (m Member) FreeDuring(start, end time.Time) bool {
	for _, b := range m.Busy {
		if b.Start.Before(end) && start.Before(b.End) {
			return false
		}
	}
	return true
}

// EligibleOn reports whether he can be given a turn on a calendar day: not
// away, not in his first week, not in his last week.
func (m Member) EligibleOn(day time.Time) bool {
	if m.Away {
		return false
	}
	if m.ArrivedOn != nil && day.Before(m.ArrivedOn.AddDate(0, 0, NewcomerGraceDays)) {
		return false
	}
	if m.LeftOn != nil && !day.Before(m.LeftOn.AddDate(0, 0, -LeavingNoticeDays)) {
		return false
	}
	return true
}

// Slot is one area on one day to give out.
type Slot struct {
	Day        time.Time // calendar date
	Start, End time.Time
	AreaID     int64
	// Keep is the person who keeps this turn (done, missed or started):
	// he takes his place at the back of the rotation as if picked.
	Keep int64
	// Closed is a slot in the past without a turn: nobody gets it.
	Closed bool
}

// Assign gives each slot (in time order) to the first eligible member
// of the rotation who is free then (not in his French class or at an
// appointment), who then goes to the back. Members who are skipped keep
// their place, so a resident back from an absence, or out of his class, is
// next. Between two turns of one resident, every other resident eligible
// and free all along gets exactly one: over any period their counts differ
// by at most one. Only when every eligible member is busy does the first
// of them get the slot anyway (the clash /week shows). The result holds the
// person of each slot, 0 when nobody could take it.
func Assign(members []Member, slots []Slot) []int64 {
	queue := slices.Clone(members)
	slices.SortStableFunc(queue, func(a, b Member) int {
		return cmp.Or(a.Last.Compare(b.Last), cmp.Compare(a.LastArea, b.LastArea), cmp.Compare(a.PersonID, b.PersonID))
	})
	toBack := func(i int) {
		m := queue[i]
		queue = append(append(queue[:i:i], queue[i+1:]...), m)
	}
	out := make([]int64, len(slots))
	for i, s := range slots {
		switch {
		case s.Keep != 0:
			out[i] = s.Keep
			if j := slices.IndexFunc(queue, func(m Member) bool { return m.PersonID == s.Keep }); j >= 0 {
				toBack(j)
			}
		case s.Closed:
		default:
			pick := -1
			for j, m := range queue {
				if !m.EligibleOn(s.Day) {
					continue
				}
				if pick < 0 {
					pick = j // if everyone eligible is busy
				}
				if s.End.IsZero() || m.FreeDuring(s.Start, s.End) {
					pick = j
					break
				}
			}
			if pick >= 0 {
				out[i] = queue[pick].PersonID
				toBack(pick)
			}
		}
	}
	return out
}
