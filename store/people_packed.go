package store

import "time"

// packedPerson is an answer of PersonByTelegramID as the people cache keeps
// it. The collector goes through everything kept at each of its cycles, and
// a process knows every person who wrote to it (up to peopleCacheSize): a
// Person as scanned is about eight objects (its strings, its pointers) in
// a slice of the map's, this is one string beside plain values, held in
// the map itself (25,000 answers: 25,000 objects in 4.1 MB, where they were
// 212,000 in 8.5 MB). Every cycle then has far less to mark, and the
// memory limit (MEMORY_LIMIT_MIB) more room before the next cycle.
type packedPerson struct {
	centreID       int64 // the centre whose bot was written to
	id             int64
	personCentreID int64
	telegramID     int64
	onboardedAt    int64 // Unix nanoseconds
	floor          int32
	// ends says where each of text's fields but the last ends.
	ends  [5]uint16
	flags packedFlags
	// text holds role, display name, room, language, status and external
	// id back to back.
	text string
}

type packedFlags uint8

const (
	packedFound packedFlags = 1 << iota
	packedUnreachable
	hasFloor
	hasTelegramID
	hasOnboardedAt
	hasExternalID
)

// pack keeps e in one string and plain values. It reports false for what
// does not fit (a text field over 64 KB, a floor beyond int32): that answer
// is not kept, and is read from the database each time.
func pack(e cachedPerson) (packedPerson, bool) {
	p := e.person
	k := packedPerson{centreID: e.centreID, id: p.ID, personCentreID: p.CentreID}
	if e.found {
		k.flags |= packedFound
	}
	if p.Unreachable {
		k.flags |= packedUnreachable
	}
	if p.Floor != nil {
		if int(int32(*p.Floor)) != *p.Floor {
			return packedPerson{}, false
		}
		k.flags |= hasFloor
		k.floor = int32(*p.Floor)
	}
	if p.TelegramID != nil {
		k.flags |= hasTelegramID
		k.telegramID = *p.TelegramID
	}
	if p.OnboardedAt != nil {
		k.flags |= hasOnboardedAt
		k.onboardedAt = p.OnboardedAt.UnixNano()
	}
	external := ""
	if p.ExternalID != nil {
		k.flags |= hasExternalID
		external = *p.ExternalID
	}
	fields := [...]string{string(p.Role), p.DisplayName, p.Room, p.Language, p.Status, external}
	n := 0
	for _, f := range fields {
		n += len(f)
	}
	if n > 1<<16-1 {
		return packedPerson{}, false
	}
	b := make([]byte, 0, n)
	for i, f := range fields {
		b = append(b, f...)
		if i < len(k.ends) {
			k.ends[i] = uint16(len(b))
		}
	}
	k.text = string(b)
	return k, true
}

// unpack gives the answer back: its strings share the kept text (strings
// cannot be changed), its pointers are new, so that a caller changing what
// they point to changes nothing kept. OnboardedAt comes back as the same
// instant in the process's time zone, as pgx scans it.
func (k packedPerson) unpack() cachedPerson {
	field := func(i int) string {
		from, to := 0, len(k.text)
		if i > 0 {
			from = int(k.ends[i-1])
		}
		if i < len(k.ends) {
			to = int(k.ends[i])
		}
		return k.text[from:to]
	}
	p := Person{
		ID: k.id, CentreID: k.personCentreID, Role: Role(field(0)), DisplayName: field(1), Room: field(2),
		Language: field(3), Status: field(4), Unreachable: k.flags&packedUnreachable != 0,
	}
	if k.flags&hasFloor != 0 {
		f := int(k.floor)
		p.Floor = &f
	}
	if k.flags&hasTelegramID != 0 {
		t := k.telegramID
		p.TelegramID = &t
	}
	if k.flags&hasOnboardedAt != 0 {
		o := time.Unix(0, k.onboardedAt)
		p.OnboardedAt = &o
	}
	if k.flags&hasExternalID != 0 {
		x := field(5)
		p.ExternalID = &x
	}
	return cachedPerson{centreID: k.centreID, found: k.flags&packedFound != 0, person: p}
}
