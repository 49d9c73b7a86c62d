package rota_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/aurore/cairbot/rota"
)

var choreParis = func() *time.Location {
	l, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return l
}()

func choreDate(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestAssignRotaRotatesSkipsAndQueuesNewcomersLast(t *testing.T) {
	t.Parallel()
	day := choreDate(2026, 11, 30)
	at := func(h int) time.Time { return rota.At(day, h*60, choreParis) }
	old := at(0).Add(-30 * 24 * time.Hour)
	arrived := day.AddDate(0, 0, -2) // in his first week: skipped
	leaving := day.AddDate(0, 0, 3)  // in his last week: skipped
	members := []rota.Member{
		{PersonID: 1, Last: old},
		{PersonID: 2, Last: old.Add(time.Hour)},
		{PersonID: 3, Last: old, Away: true},
		{PersonID: 4, Last: old, ArrivedOn: &arrived},
		{PersonID: 5, Last: old, LeftOn: &leaving},
		{PersonID: 6, Last: at(0).Add(-time.Hour)}, // just joined: at the back
	}
	slots := []rota.Slot{
		{Day: day, Start: at(8), AreaID: 1},
		{Day: day, Start: at(9), AreaID: 1, Keep: 2}, // a turn kept: 2 goes to the back
		{Day: day, Start: at(10), AreaID: 1},
		{Day: day, Start: at(11), AreaID: 1, Closed: true},
		{Day: day, Start: at(12), AreaID: 1},
		{Day: day, Start: at(13), AreaID: 1},
	}
	got := rota.Assign(members, slots)
	want := []int64{1, 2, 6, 0, 1, 2}
	if !slices.Equal(got, want) {
		t.Fatalf("AssignRota = %v, want %v", got, want)
	}
	if got := rota.Assign([]rota.Member{{PersonID: 3, Away: true}}, slots[:1]); got[0] != 0 {
		t.Fatalf("only an away member: slot given to %d", got[0])
	}
}

// TestRotaIsFairOverAnyTwelveWeeks is the fairness property: over many
// random populations where residents arrive, leave and go away, in any 12
// consecutive weeks the residents who could take every turn of those weeks
// got the same number of turns, give or take one; nobody is given a turn
// he could not take; and a turn goes to nobody only when nobody could take
// it.
func TestRotaIsFairOverAnyTwelveWeeks(t *testing.T) {
	t.Parallel()
	const populations, weeks, window = 400, 52, 12
	checkedWindows := 0
	for seed := range populations {
		rng := rand.New(rand.NewPCG(uint64(seed), 2026))
		start := choreDate(2026, 1, 5) // a Monday
		// The week's slots: areas on some days at some hours.
		type slotDef struct{ day, minute int }
		var defs []slotDef
		for range 1 + rng.IntN(14) {
			defs = append(defs, slotDef{rng.IntN(7), 6*60 + rng.IntN(14*60)})
		}
		type resident struct {
			rota.Member
			awayUntil int // week index; away while week < awayUntil
		}
		var pop []*resident
		nextID := int64(1)
		add := func(last time.Time, arrived *time.Time) {
			pop = append(pop, &resident{Member: rota.Member{PersonID: nextID, Last: last, ArrivedOn: arrived}})
			nextID++
		}
		for range 3 + rng.IntN(30) {
			add(start.Add(-time.Duration(rng.IntN(1000))*time.Hour), nil)
		}
		counts := make([]map[int64]int, weeks)
		always := make([]map[int64]bool, weeks) // could take every turn of the week
		for w := range weeks {
			monday := start.AddDate(0, 0, 7*w)
			// Arrivals, announced departures, absences.
			for range rng.IntN(3) {
				arr := monday.AddDate(0, 0, rng.IntN(7))
				add(rota.At(arr, 9*60, choreParis), &arr)
			}
			for _, r := range pop {
				if r.LeftOn == nil && rng.IntN(40) == 0 {
					left := monday.AddDate(0, 0, 7+rng.IntN(21))
					r.LeftOn = &left
				}
				if w >= r.awayUntil && rng.IntN(15) == 0 {
					r.awayUntil = w + 1 + rng.IntN(4)
				}
				r.Away = w < r.awayUntil
			}
			pop = slices.DeleteFunc(pop, func(r *resident) bool { return r.LeftOn != nil && r.LeftOn.Before(monday) })

			var slots []rota.Slot
			for i, d := range defs {
				day := monday.AddDate(0, 0, d.day)
				slots = append(slots, rota.Slot{Day: day, Start: rota.At(day, d.minute, choreParis), AreaID: int64(i + 1)})
			}
			slices.SortFunc(slots, func(a, b rota.Slot) int {
				if c := a.Start.Compare(b.Start); c != 0 {
					return c
				}
				return int(a.AreaID - b.AreaID)
			})
			members := make([]rota.Member, len(pop))
			byID := map[int64]*resident{}
			for i, r := range pop {
				members[i] = r.Member
				byID[r.PersonID] = r
			}
			got := rota.Assign(members, slots)

			counts[w], always[w] = map[int64]int{}, map[int64]bool{}
			for _, r := range pop {
				ok := true
				for _, s := range slots {
					ok = ok && r.EligibleOn(s.Day)
				}
				always[w][r.PersonID] = ok
			}
			for i, s := range slots {
				if got[i] == 0 {
					for _, r := range pop {
						if r.EligibleOn(s.Day) {
							t.Fatalf("seed %d week %d: slot %v given to nobody while %d could take it", seed, w, s.Start, r.PersonID)
						}
					}
					continue
				}
				r := byID[got[i]]
				if r == nil || !r.EligibleOn(s.Day) {
					t.Fatalf("seed %d week %d: slot %v given to %d, who cannot take it", seed, w, s.Start, got[i])
				}
				counts[w][r.PersonID]++
				r.Last, r.LastArea = s.Start, s.AreaID
			}
		}
		for w0 := 0; w0+window <= weeks; w0++ {
			total := map[int64]int{}
			for id := range always[w0] {
				in := true
				for w := w0; w < w0+window; w++ {
					in = in && always[w][id]
				}
				if in {
					for w := w0; w < w0+window; w++ {
						total[id] += counts[w][id]
					}
				}
			}
			if len(total) < 2 {
				continue
			}
			checkedWindows++
			lo, hi := -1, 0
			for _, n := range total {
				if lo < 0 || n < lo {
					lo = n
				}
				hi = max(hi, n)
			}
			if hi-lo > 1 {
				t.Fatalf("seed %d, weeks %d–%d: turns range from %d to %d among %d residents present all along: %v",
					seed, w0, w0+window-1, lo, hi, len(total), total)
			}
		}
	}
	if checkedWindows < populations*10 {
		t.Fatalf("only %d windows checked: the property was barely exercised", checkedWindows)
	}
}
