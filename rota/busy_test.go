package rota_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/aurore/cairbot/rota"
)

// TestRotaAvoidsBusyTimesAndStaysFair is the property with French classes
// and appointments: over many random centres where each resident has
// weekly classes and now and then an appointment, a turn goes to someone
// busy then only when every resident who could take it is busy then too;
// over any 12 weeks the residents free for every turn of those weeks get
// the same number of turns, give or take one (a resident passed over for
// his class keeps his place and is next once free), and nobody else gets
// more than one turn above them.
func TestRotaAvoidsBusyTimesAndStaysFair(t *testing.T) {
	t.Parallel()
	const populations, weeks, window = 300, 40, 12
	clashes, avoided, checked := 0, 0, 0
	for seed := range populations {
		rng := rand.New(rand.NewPCG(uint64(seed), 11))
		start := choreDate(2026, 1, 5) // a Monday
		type slotDef struct{ day, minute, length int }
		var defs []slotDef
		for range 1 + rng.IntN(10) {
			defs = append(defs, slotDef{rng.IntN(7), 6*60 + rng.IntN(14*60), 60 + 30*rng.IntN(4)})
		}
		type class struct{ day, minute, length int }
		type resident struct {
			rota.Member
			classes []class
		}
		var pop []*resident
		for i := range 3 + rng.IntN(20) {
			r := &resident{Member: rota.Member{PersonID: int64(i + 1),
				Last: start.Add(-time.Duration(rng.IntN(1000)) * time.Hour)}}
			for range rng.IntN(3) { // 0 to 2 classes a week, 2 to 3 hours
				r.classes = append(r.classes, class{rng.IntN(6), 9*60 + 30*rng.IntN(18), 120 + 30*rng.IntN(3)})
			}
			pop = append(pop, r)
		}
		counts := map[int64][]int{}
		free := map[int64][]bool{} // free for every turn of the week
		for w := range weeks {
			monday := start.AddDate(0, 0, 7*w)
			var slots []rota.Slot
			for i, d := range defs {
				day := monday.AddDate(0, 0, d.day)
				st := rota.At(day, d.minute, choreParis)
				slots = append(slots, rota.Slot{Day: day, Start: st, End: st.Add(time.Duration(d.length) * time.Minute), AreaID: int64(i + 1)})
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
				r.Busy = nil
				for _, c := range r.classes {
					st := rota.At(monday.AddDate(0, 0, c.day), c.minute, choreParis)
					r.Busy = append(r.Busy, rota.BusyTime{Start: st, End: st.Add(time.Duration(c.length) * time.Minute)})
				}
				if rng.IntN(8) == 0 { // an appointment this week
					st := rota.At(monday.AddDate(0, 0, rng.IntN(5)), 8*60+60*rng.IntN(9), choreParis)
					r.Busy = append(r.Busy, rota.BusyTime{Start: st.Add(-time.Hour), End: st.Add(2 * time.Hour)})
				}
				members[i] = r.Member
				byID[r.PersonID] = r
			}
			got := rota.Assign(members, slots)
			for i, s := range slots {
				r := byID[got[i]]
				if r == nil {
					t.Fatalf("seed %d week %d: slot %v given to nobody", seed, w, s.Start)
				}
				if !r.FreeDuring(s.Start, s.End) {
					for _, o := range pop {
						if o.FreeDuring(s.Start, s.End) {
							t.Fatalf("seed %d week %d: slot %v given to %d, in class then, while %d was free",
								seed, w, s.Start, r.PersonID, o.PersonID)
						}
					}
					clashes++
				}
				for _, o := range pop {
					if o != r && !o.FreeDuring(s.Start, s.End) {
						avoided++
						break
					}
				}
				r.Last, r.LastArea = s.Start, s.AreaID
			}
			for _, r := range pop {
				n := 0
				for _, id := range got {
					if id == r.PersonID {
						n++
					}
				}
				counts[r.PersonID] = append(counts[r.PersonID], n)
				f := true
				for _, s := range slots {
					f = f && r.FreeDuring(s.Start, s.End)
				}
				free[r.PersonID] = append(free[r.PersonID], f)
			}
		}
		for w0 := 0; w0+window <= weeks; w0++ {
			lo, hi, others := -1, 0, 0
			total := map[int64]int{}
			for id, c := range counts {
				n := 0
				for _, x := range c[w0 : w0+window] {
					n += x
				}
				if !slices.Contains(free[id][w0:w0+window], false) {
					if lo < 0 || n < lo {
						lo = n
					}
					hi = max(hi, n)
					total[id] = n
				} else {
					others = max(others, n)
				}
			}
			if len(total) < 2 {
				continue
			}
			checked++
			if hi-lo > 1 || others > hi+1 {
				t.Fatalf("seed %d, weeks %d–%d: residents always free got %d to %d turns, another %d: %v",
					seed, w0, w0+window-1, lo, hi, others, total)
			}
		}
	}
	if avoided < populations || checked < populations*10 {
		t.Fatalf("busy times met %d times, %d windows checked: the property was barely exercised", avoided, checked)
	}
	t.Logf("%d clashes left, busy residents passed over %d times, %d windows", clashes, avoided, checked)
}

func TestAssignRotaGivesAClashOnlyWhenEveryoneIsBusy(t *testing.T) {
	t.Parallel()
	day := choreDate(2026, 12, 2) // a Wednesday
	at := func(h, m int) time.Time { return rota.At(day, h*60+m, choreParis) }
	class := []rota.BusyTime{{Start: at(9, 30), End: at(12, 0)}}
	slot := rota.Slot{Day: day, Start: at(9, 0), End: at(11, 0), AreaID: 1}
	tests := []struct {
		name    string
		members []rota.Member
		want    int64
	}{
		{"the next one is in class: the one after", []rota.Member{
			{PersonID: 1, Busy: class}, {PersonID: 2, Last: time.Unix(1, 0)}}, 2},
		{"a class that ends when the turn starts is no clash", []rota.Member{
			{PersonID: 1, Busy: []rota.BusyTime{{Start: at(7, 0), End: at(9, 0)}}}, {PersonID: 2, Last: time.Unix(1, 0)}}, 1},
		{"everyone in class: the next one anyway", []rota.Member{
			{PersonID: 1, Busy: class}, {PersonID: 2, Last: time.Unix(1, 0), Busy: class}}, 1},
		{"away members are not a fallback", []rota.Member{
			{PersonID: 1, Away: true}, {PersonID: 2, Last: time.Unix(1, 0), Busy: class}}, 2},
	}
	for _, tt := range tests {
		if got := rota.Assign(tt.members, []rota.Slot{slot}); got[0] != tt.want {
			t.Errorf("%s: given to %d, want %d", tt.name, got[0], tt.want)
		}
	}
}
