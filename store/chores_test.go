package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
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
	at := func(h int) time.Time { return store.ChoreAt(day, h*60, choreParis) }
	old := at(0).Add(-30 * 24 * time.Hour)
	arrived := day.AddDate(0, 0, -2) // in his first week: skipped
	leaving := day.AddDate(0, 0, 3)  // in his last week: skipped
	members := []store.RotaMember{
		{PersonID: 1, Last: old},
		{PersonID: 2, Last: old.Add(time.Hour)},
		{PersonID: 3, Last: old, Away: true},
		{PersonID: 4, Last: old, ArrivedOn: &arrived},
		{PersonID: 5, Last: old, LeftOn: &leaving},
		{PersonID: 6, Last: at(0).Add(-time.Hour)}, // just joined: at the back
	}
	slots := []store.RotaSlot{
		{Day: day, Start: at(8), AreaID: 1},
		{Day: day, Start: at(9), AreaID: 1, Keep: 2}, // a turn kept: 2 goes to the back
		{Day: day, Start: at(10), AreaID: 1},
		{Day: day, Start: at(11), AreaID: 1, Closed: true},
		{Day: day, Start: at(12), AreaID: 1},
		{Day: day, Start: at(13), AreaID: 1},
	}
	got := store.AssignRota(members, slots)
	want := []int64{1, 2, 6, 0, 1, 2}
	if !slices.Equal(got, want) {
		t.Fatalf("AssignRota = %v, want %v", got, want)
	}
	if got := store.AssignRota([]store.RotaMember{{PersonID: 3, Away: true}}, slots[:1]); got[0] != 0 {
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
			store.RotaMember
			awayUntil int // week index; away while week < awayUntil
		}
		var pop []*resident
		nextID := int64(1)
		add := func(last time.Time, arrived *time.Time) {
			pop = append(pop, &resident{RotaMember: store.RotaMember{PersonID: nextID, Last: last, ArrivedOn: arrived}})
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
				add(store.ChoreAt(arr, 9*60, choreParis), &arr)
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

			var slots []store.RotaSlot
			for i, d := range defs {
				day := monday.AddDate(0, 0, d.day)
				slots = append(slots, store.RotaSlot{Day: day, Start: store.ChoreAt(day, d.minute, choreParis), AreaID: int64(i + 1)})
			}
			slices.SortFunc(slots, func(a, b store.RotaSlot) int {
				if c := a.Start.Compare(b.Start); c != 0 {
					return c
				}
				return int(a.AreaID - b.AreaID)
			})
			members := make([]store.RotaMember, len(pop))
			byID := map[int64]*resident{}
			for i, r := range pop {
				members[i] = r.RotaMember
				byID[r.PersonID] = r
			}
			got := store.AssignRota(members, slots)

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

type choreFixture struct {
	st       *store.Store
	centre   store.Centre
	staff    store.Person
	resident []store.Person
}

func newChoreFixture(t *testing.T, residents int) choreFixture {
	t.Helper()
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	c, err := st.EnsureCentre(ctx, "test", "Test")
	if err != nil {
		t.Fatal(err)
	}
	f := choreFixture{st: st, centre: c}
	add := func(role store.Role, name, ext string) store.Person {
		np := store.NewPerson{CentreID: c.ID, Role: role, DisplayName: name, Room: fmt.Sprint(100 + len(f.resident)), Language: "fr"}
		if ext != "" {
			np.ExternalID = &ext
		}
		p, _, err := st.CreatePersonWithInvite(ctx, np, nil, storetest.Now(t).Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	f.staff = add(store.RoleStaff, "Claire", "S-1")
	for i := range residents {
		f.resident = append(f.resident, add(store.RoleResident, fmt.Sprintf("Resident %d", i+1), fmt.Sprintf("R-%d", i+1)))
	}
	return f
}

func (f choreFixture) importCSV(t *testing.T, csv string, now time.Time) (store.ChoreImportResult, error) {
	t.Helper()
	return handlers.ImportChoresCSV(context.Background(), f.st, f.centre.ID, strings.NewReader(csv), now)
}

func TestChoresImportIsAllOrNothingAndIdempotent(t *testing.T) {
	t.Parallel()
	f := newChoreFixture(t, 3)
	ctx := context.Background()
	now := storetest.Now(t)
	good := `kind,key,name,days,start,end,active,label_fr,label_fa-AF
area,kitchen-2,Kitchen floor 2,mon thu,18:00,20:00,yes,Cuisine 2e étage,آشپزخانهٔ منزل دوم
area,showers-1,Showers floor 1,sat,09:00,11:00,,,
member,R-1,,,,,,,
member,#` + fmt.Sprint(f.resident[1].ID) + `,,,,,yes,,
`
	res, err := f.importCSV(t, good, now)
	if err != nil {
		t.Fatal(err)
	}
	if res != (store.ChoreImportResult{AreasCreated: 2, MembersAdded: 2}) {
		t.Fatalf("first import = %+v", res)
	}
	audits := func() int {
		log, err := f.st.AuditLog(ctx, f.centre.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range log {
			if e.Action == "chores.import" {
				n++
			}
		}
		return n
	}
	if audits() != 1 {
		t.Fatalf("import audited %d times", audits())
	}
	res, err = f.importCSV(t, good, now.Add(time.Hour))
	if err != nil || res != (store.ChoreImportResult{AreasUnchanged: 2, MembersUnchanged: 2}) || res.Changed() {
		t.Fatalf("second import of the same file = %+v, %v: it must change nothing", res, err)
	}
	if audits() != 1 {
		t.Fatal("an import that changed nothing was audited")
	}

	bad := `kind,key,name,days,start,end,active,label_fr
area,kitchen-2,Kitchen floor 2 (new name),mon,18:00,20:00,yes,
area,laundry,Laundry,funday,09:00,10:00,,
area,yard,Courtyard,sun,10:00,09:30,,
area,hall,Hall,mon,25:00,26:00,,
member,R-3,,,,,,
member,S-1,,,,,,
member,R-404,,,,,,
area,kitchen-2,Kitchen again,tue,10:00,11:00,,
member,R-1,,,,,maybe,
weird,x,,,,,,
area,"broken
`
	_, err = f.importCSV(t, bad, now)
	var ie *store.ChoreImportError
	if !errors.As(err, &ie) {
		t.Fatalf("bad file: err = %v, want a report", err)
	}
	wantLines := map[int]string{
		3:  `days: "funday" is not a weekday`,
		4:  "end 09:30 is not after start 10:00",
		5:  `start "25:00"`,
		7:  `person "S-1": is staff`,
		8:  `person "R-404": nobody of this centre`,
		9:  `area "kitchen-2" is already on line 2`,
		10: `active "maybe"`,
		11: `kind "weird"`,
		12: `extraneous or missing " in quoted-field`,
	}
	got := map[int]string{}
	for _, l := range ie.Lines {
		got[l.Line] += l.Msg + "; "
	}
	for line, want := range wantLines {
		if !strings.Contains(got[line], want) {
			t.Errorf("line %d: report %q, want it to say %q", line, got[line], want)
		}
	}
	for line := range got {
		if _, ok := wantLines[line]; !ok {
			t.Errorf("line %d reported but good: %q", line, got[line])
		}
	}
	// Nothing of the good lines of the bad file was written.
	turnsBefore, err := f.st.ChoreMembers(ctx, f.centre.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(turnsBefore) != 2 {
		t.Fatalf("members after a rejected import = %d, want 2 (R-3 must not be added)", len(turnsBefore))
	}
	res, err = f.importCSV(t, good, now)
	if err != nil || res.Changed() {
		t.Fatalf("the kitchen was renamed by a rejected import: %+v, %v", res, err)
	}

	// Header problems make the file unreadable as a whole.
	_, err = f.importCSV(t, "kind,name,colour,label_xx\n", now)
	if !errors.As(err, &ie) || len(ie.Lines) != 3 {
		t.Fatalf("bad header: %v", err)
	}
	for _, want := range []string{`"key" is missing`, `"colour" is unknown`, `"xx" is not a language`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("bad header report %q lacks %q", err, want)
		}
	}
}

// recordJobs remembers what a rota change asked to schedule.
type recordJobs struct {
	planned []store.ChoreTurn
	notices []store.ChoreNotice
}

func (r *recordJobs) TurnPlanned(_ context.Context, _ pgx.Tx, t store.ChoreTurn) error {
	r.planned = append(r.planned, t)
	return nil
}

func (r *recordJobs) Notify(_ context.Context, _ pgx.Tx, n store.ChoreNotice) error {
	r.notices = append(r.notices, n)
	return nil
}

func TestRegenerateChangesOnlyFuturePendingTurns(t *testing.T) {
	t.Parallel()
	f := newChoreFixture(t, 4)
	ctx := context.Background()
	// The week of the first Monday after the test begins.
	week := storetest.Date(storetest.Next(storetest.Now(t), time.Monday, 12, 0))
	before := store.ChoreAt(week, 0, choreParis).Add(-3 * 24 * time.Hour)
	csv := `kind,key,name,days,start,end
area,kitchen,Kitchen,mon wed fri,18:00,20:00
area,yard,Courtyard,tue thu,10:00,11:00
member,R-1,,,,
member,R-2,,,,
member,R-3,,,,
member,R-4,,,,
`
	if _, err := f.importCSV(t, csv, before); err != nil {
		t.Fatal(err)
	}
	jobs := &recordJobs{}
	n, err := f.st.GenerateChoreWeek(ctx, f.centre.ID, week, store.ChoreGenerate{Now: before, Loc: choreParis, Jobs: jobs})
	if err != nil || n != 5 || len(jobs.planned) != 5 {
		t.Fatalf("generate = %d, %v, %d planned; want 5 turns", n, err, len(jobs.planned))
	}
	// The Monday job again: nothing happens to a week already made.
	if n, err := f.st.GenerateChoreWeek(ctx, f.centre.ID, week, store.ChoreGenerate{Now: before, Loc: choreParis, Jobs: jobs}); err != nil || n != 0 {
		t.Fatalf("second generation = %d, %v", n, err)
	}
	turns, err := f.st.ChoreWeekTurns(ctx, f.centre.ID, week)
	if err != nil {
		t.Fatal(err)
	}
	var people []int64
	for _, tu := range turns {
		people = append(people, tu.PersonID)
	}
	r := f.resident
	if want := []int64{r[0].ID, r[1].ID, r[2].ID, r[3].ID, r[0].ID}; !slices.Equal(people, want) {
		t.Fatalf("rota = %v, want round robin %v", people, want)
	}
	// Wednesday noon: Monday's turn was done, Tuesday's is still pending
	// (past), the rest is to come. Resident 2 goes away.
	now := store.ChoreAt(week.AddDate(0, 0, 2), 12*60, choreParis)
	if _, err := f.st.MarkChoreTurn(ctx, f.centre.ID, turns[0].ID, r[0].ID, store.ChoreDone, false, now, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Pool().Exec(ctx, `UPDATE people SET status = 'away' WHERE id = $1`, r[2].ID); err != nil {
		t.Fatal(err)
	}
	actor := f.staff.ID
	n, err = f.st.GenerateChoreWeek(ctx, f.centre.ID, week, store.ChoreGenerate{Now: now, Loc: choreParis, Jobs: jobs, Actor: &actor})
	if err != nil {
		t.Fatal(err)
	}
	after, err := f.st.ChoreWeekTurns(ctx, f.centre.ID, week)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 5 {
		t.Fatalf("%d turns after regeneration", len(after))
	}
	for i := range 2 {
		if after[i].ID != turns[i].ID || after[i].PersonID != turns[i].PersonID {
			t.Fatalf("turn %d (past) changed: %+v → %+v", i, turns[i], after[i])
		}
	}
	if after[0].State != store.ChoreDone || after[1].State != store.ChorePending {
		t.Fatalf("past turns are %s and %s, want done and pending", after[0].State, after[1].State)
	}
	// Resident 3 is skipped and keeps his place; the others move up.
	people = nil
	for _, tu := range after[2:] {
		people = append(people, tu.PersonID)
	}
	if want := []int64{r[3].ID, r[0].ID, r[1].ID}; !slices.Equal(people, want) || n != 3 {
		t.Fatalf("future turns after regeneration = %v (%d changed), want %v (3 changed)", people, n, want)
	}
	for i, tu := range after[2:] {
		if tu.ID != turns[i+2].ID {
			t.Fatalf("future turn %d was recreated instead of given to someone else", i)
		}
	}
	log, err := f.st.AuditLog(ctx, f.centre.ID, 10)
	if err != nil || log[0].Action != "chores.regenerate" || log[0].ActorID == nil || *log[0].ActorID != actor {
		t.Fatalf("regeneration not audited: %+v, %v", log, err)
	}
}
