package store

import "time"

// packedPerson is an answer of PersonByTelegramID as the people cache keeps
// it. The collector goes through everything kept at each of its cycles, and
// a process knows every person who wrote to it (up to peopleCacheSize): a
// Person as scanned is about eight objects (its strings, its pointers),
// this is one string beside plain values (25,000 answers: 50,000 objects
// in 5.7 MB, where they were 212,000 in 8.5 MB). Every cycle then has far
// less to mark, and the memory limit (MEMORY_LIMIT_MIB) more room before
// the next cycle.
type packedPerson struct {
	centreID int64 // the centre whose bot was written to
	found    bool

	id, personCentreID int64
	unreachable        bool
	// set says which of the optional fields are there.
	set         packedSet
	floor       int
	telegramID  int64
	onboardedAt time.Time
	// text holds role, display name, room, language, status and external
	// id back to back; ends says where each but the last ends.
	text string
	ends [5]uint32
}

type packedSet uint8

const (
	hasFloor packedSet = 1 << iota
	hasTelegramID
	hasOnboardedAt
	hasExternalID
)

// pack keeps e in one string and plain values.
func pack(e cachedPerson) packedPerson {
	p := e.person
	k := packedPerson{centreID: e.centreID, found: e.found, id: p.ID, personCentreID: p.CentreID, unreachable: p.Unreachable}
	if p.Floor != nil {
		k.set |= hasFloor
		k.floor = *p.Floor
	}
	if p.TelegramID != nil {
		k.set |= hasTelegramID
		k.telegramID = *p.TelegramID
	}
	if p.OnboardedAt != nil {
		k.set |= hasOnboardedAt
		k.onboardedAt = *p.OnboardedAt
	}
	external := ""
	if p.ExternalID != nil {
		k.set |= hasExternalID
		external = *p.ExternalID
	}
	fields := [...]string{string(p.Role), p.DisplayName, p.Room, p.Language, p.Status, external}
	n := 0
	for _, f := range fields {
		n += len(f)
	}
	b := make([]byte, 0, n)
	for i, f := range fields {
		b = append(b, f...)
		if i < len(k.ends) {
			k.ends[i] = uint32(len(b))
		}
	}
	k.text = string(b)
	return k
}

// unpack gives the answer back: its strings share the kept text (strings
// cannot be changed), its pointers are new, so that a caller changing what
// they point to changes nothing kept.
func (k packedPerson) unpack() cachedPerson {
	field := func(i int) string {
		from, to := uint32(0), uint32(len(k.text))
		if i > 0 {
			from = k.ends[i-1]
		}
		if i < len(k.ends) {
			to = k.ends[i]
		}
		return k.text[from:to]
	}
	p := Person{
		ID: k.id, CentreID: k.personCentreID, Role: Role(field(0)), DisplayName: field(1), Room: field(2),
		Language: field(3), Status: field(4), Unreachable: k.unreachable,
	}
	if k.set&hasFloor != 0 {
		f := k.floor
		p.Floor = &f
	}
	if k.set&hasTelegramID != 0 {
		t := k.telegramID
		p.TelegramID = &t
	}
	if k.set&hasOnboardedAt != 0 {
		o := k.onboardedAt
		p.OnboardedAt = &o
	}
	if k.set&hasExternalID != 0 {
		x := field(5)
		p.ExternalID = &x
	}
	return cachedPerson{centreID: k.centreID, found: k.found, person: p}
}
