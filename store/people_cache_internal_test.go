package store

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestPeopleCacheKeepsOnlyWhatNoChangeOutran: an answer is kept only while
// the process listens, and only when no change was heard between the
// beginning of its read and its end — else a slow read of the old row
// would put back what the notification of its change just removed.
func TestPeopleCacheKeepsOnlyWhatNoChangeOutran(t *testing.T) {
	const centre, tg, other = 1, 555, 777
	amina := cachedPerson{centreID: centre, found: true, person: Person{ID: 9, Role: RoleResident}}
	cases := []struct {
		name string
		// between runs after the read began (get) and before it ends (put).
		between func(c *peopleCache)
		kept    bool
	}{
		{"nothing heard", func(*peopleCache) {}, true},
		{"his row changed", func(c *peopleCache) { c.heard(peopleChannel, "555") }, false},
		{"someone else's row changed", func(c *peopleCache) { c.heard(peopleChannel, "777") }, false},
		{"people truncated", func(c *peopleCache) { c.heard(peopleChannel, "*") }, false},
		{"centre_bots changed", func(c *peopleCache) { c.heard(centreBotsChannel, "") }, false},
		{"the process changed people itself", func(c *peopleCache) { c.forgetAll(true) }, false},
		{"the connection broke", func(c *peopleCache) { c.forgetAll(false) }, false},
		{"the connection broke and came back", func(c *peopleCache) { c.forgetAll(false); c.forgetAll(true) }, false},
		{"an AwaitPeopleChanges of nobody", func(c *peopleCache) { c.heard(peopleChannel, syncPrefix+"00") }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newPeopleCache()
			c.forgetAll(true) // listening
			_, gen, ok := c.get(centre, tg)
			if ok {
				t.Fatal("an empty cache answered")
			}
			tc.between(c)
			c.put(gen, tg, amina)
			got, _, ok := c.get(centre, tg)
			if ok != tc.kept {
				t.Fatalf("kept = %v, want %v", ok, tc.kept)
			}
			if ok && got.person.ID != amina.person.ID {
				t.Fatalf("kept %+v, want %+v", got, amina)
			}
		})
	}
}

// TestPeopleCacheAnswersPerBot: the same account written to two centres'
// bots may be two people (or nobody for one of them); a change to the
// account forgets both, a change to another account neither.
func TestPeopleCacheAnswersPerBot(t *testing.T) {
	c := newPeopleCache()
	c.forgetAll(true)
	put := func(centre int64, e cachedPerson) {
		_, gen, _ := c.get(centre, 555)
		c.put(gen, 555, e)
	}
	put(1, cachedPerson{centreID: 1, found: true, person: Person{ID: 9}})
	put(2, cachedPerson{centreID: 2, found: false})
	if e, _, ok := c.get(1, 555); !ok || !e.found || e.person.ID != 9 {
		t.Fatalf("centre 1: %+v %v", e, ok)
	}
	if e, _, ok := c.get(2, 555); !ok || e.found {
		t.Fatalf("centre 2 (nobody): %+v %v", e, ok)
	}
	if _, _, ok := c.get(3, 555); ok {
		t.Fatal("centre 3 answered from memory")
	}
	c.heard(peopleChannel, "777")
	if _, _, ok := c.get(1, 555); !ok {
		t.Fatal("another account's change forgot this one")
	}
	c.heard(peopleChannel, "555")
	for _, centre := range []int64{1, 2} {
		if _, _, ok := c.get(centre, 555); ok {
			t.Fatalf("centre %d still answered after the account changed", centre)
		}
	}
	if c.size != 0 {
		t.Fatalf("size %d after forgetting everything", c.size)
	}
}

// TestPeopleCacheIsBounded: beyond peopleCacheSize, an answer is dropped
// for each new one.
func TestPeopleCacheIsBounded(t *testing.T) {
	c := newPeopleCache()
	c.forgetAll(true)
	for tg := range int64(peopleCacheSize + 100) {
		_, gen, _ := c.get(1, tg)
		c.put(gen, tg, cachedPerson{centreID: 1})
	}
	if c.size != peopleCacheSize || len(c.byTG) != peopleCacheSize {
		t.Fatalf("size %d, %d accounts; want %d", c.size, len(c.byTG), peopleCacheSize)
	}
}

// TestPackedPersonGivesBackWhatWasKept: an answer packed for the cache
// comes back whole, whatever its optional fields and texts, and a caller
// changing what an answer's pointers point to changes nothing kept.
func TestPackedPersonGivesBackWhatWasKept(t *testing.T) {
	floor, tg, ext := 3, int64(7001), "R-17"
	zero, noTG := 0, int64(0)
	empty := ""
	at := time.Date(2026, 3, 29, 2, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	cases := []struct {
		name string
		e    cachedPerson
	}{
		{"nobody", cachedPerson{centreID: 4, found: false}},
		{"every field", cachedPerson{centreID: 4, found: true, person: Person{
			ID: 9, CentreID: 4, Role: RoleResident, DisplayName: "Amina S.", Room: "B12", Floor: &floor,
			Language: "fa-AF", TelegramID: &tg, Status: "active", Unreachable: true, OnboardedAt: &at, ExternalID: &ext}}},
		{"no optional field", cachedPerson{centreID: 4, found: true, person: Person{
			ID: 10, CentreID: 5, Role: RoleStaff, DisplayName: "Jean", Language: "fr", Status: "active"}}},
		{"optional fields at their zero", cachedPerson{centreID: 4, found: true, person: Person{
			ID: 11, CentreID: 4, Role: RoleCoordinator, Floor: &zero, TelegramID: &noTG, ExternalID: &empty}}},
		{"texts in other scripts", cachedPerson{centreID: 4, found: true, person: Person{
			ID: 12, CentreID: 4, Role: RoleAdmin, DisplayName: "محمد ع. 🙂", Room: "ክፍል 3", Language: "ti", Status: "left"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k, ok := pack(tc.e)
			if !ok {
				t.Fatal("not packed")
			}
			got := k.unpack()
			want := tc.e
			if o := want.person.OnboardedAt; o != nil {
				// The instant, in the process's zone, as pgx scans it.
				local := o.Local()
				want.person.OnboardedAt = &local
				if !got.person.OnboardedAt.Equal(*o) {
					t.Fatalf("onboarded at %v, want %v", got.person.OnboardedAt, o)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("unpacked\n%+v\nwant\n%+v", got, want)
			}
			if got.person.Floor != nil {
				*got.person.Floor = 99
				*got.person.TelegramID = 99
				if again := k.unpack(); *again.person.Floor == 99 || *again.person.TelegramID == 99 {
					t.Fatal("a change through an answer's pointer reached what is kept")
				}
			}
		})
	}
}

// TestPeopleCacheSkipsWhatDoesNotPack: an answer too large to pack (a text
// over 64 KB, a floor beyond 32 bits) is not kept, and is read again.
func TestPeopleCacheSkipsWhatDoesNotPack(t *testing.T) {
	huge := 1 << 40
	cases := map[string]Person{
		"a display name of 70 KB": {ID: 1, DisplayName: strings.Repeat("a", 70_000)},
		"a floor beyond 32 bits":  {ID: 2, Floor: &huge},
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			c := newPeopleCache()
			c.forgetAll(true)
			_, gen, _ := c.get(1, 555)
			c.put(gen, 555, cachedPerson{centreID: 1, found: true, person: p})
			if _, _, ok := c.get(1, 555); ok {
				t.Fatal("kept an answer that does not pack")
			}
			if c.size != 0 {
				t.Fatalf("size %d, want 0", c.size)
			}
		})
	}
}

// TestPeopleCacheKeepsOneAnswerPerBot: two reads of the same miss (two
// updates of one account at once) keep one answer, the later, for each
// centre's bot, and the size counts it once.
func TestPeopleCacheKeepsOneAnswerPerBot(t *testing.T) {
	c := newPeopleCache()
	c.forgetAll(true)
	for _, centre := range []int64{1, 2} {
		_, gen, _ := c.get(centre, 555)
		c.put(gen, 555, cachedPerson{centreID: centre, found: true, person: Person{ID: 10 * centre}})
		c.put(gen, 555, cachedPerson{centreID: centre, found: true, person: Person{ID: 10*centre + 1}})
	}
	if c.size != 2 {
		t.Fatalf("size %d, want 2 (one answer per bot)", c.size)
	}
	for _, centre := range []int64{1, 2} {
		if e, _, ok := c.get(centre, 555); !ok || e.person.ID != 10*centre+1 {
			t.Fatalf("centre %d: %+v %v, want the later answer", centre, e.person, ok)
		}
	}
	c.forget(555)
	if c.size != 0 {
		t.Fatalf("size %d after forgetting the account, want 0", c.size)
	}
}

// TestFullPeopleCacheReplacesWithoutEvicting: at its size bound, a second
// read of an answer already kept replaces it and forgets no one else; a
// new account makes room for itself by forgetting one.
func TestFullPeopleCacheReplacesWithoutEvicting(t *testing.T) {
	c := newPeopleCache()
	c.forgetAll(true)
	_, gen, _ := c.get(1, 1)
	for tg := int64(1); tg <= peopleCacheSize; tg++ {
		c.put(gen, tg, cachedPerson{centreID: 1, found: true, person: Person{ID: tg}})
	}
	if c.size != peopleCacheSize || len(c.byTG) != peopleCacheSize {
		t.Fatalf("size %d, %d accounts, want %d", c.size, len(c.byTG), peopleCacheSize)
	}
	c.put(gen, 7, cachedPerson{centreID: 1, found: true, person: Person{ID: 70}})
	if c.size != peopleCacheSize || len(c.byTG) != peopleCacheSize {
		t.Fatalf("after a replacement: size %d, %d accounts, want %d", c.size, len(c.byTG), peopleCacheSize)
	}
	if e, _, ok := c.get(1, 7); !ok || e.person.ID != 70 {
		t.Fatalf("account 7: %+v %v, want the later answer", e.person, ok)
	}
	c.put(gen, peopleCacheSize+1, cachedPerson{centreID: 1, found: true, person: Person{ID: 1}})
	if c.size != peopleCacheSize || len(c.byTG) != peopleCacheSize {
		t.Fatalf("after a new account: size %d, %d accounts, want %d", c.size, len(c.byTG), peopleCacheSize)
	}
	if _, _, ok := c.get(1, peopleCacheSize+1); !ok {
		t.Fatal("the new account was not kept")
	}
}
