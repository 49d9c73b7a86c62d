// Package benchfig holds the figures both benchmarks (cairbench and the
// centres bench) work out the same way from what the fake Telegram saw.
package benchfig

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Shown is one edit of an announcement's progress message: when it
// reached Telegram, and the count of messages done it showed.
type Shown struct {
	At time.Time
	N  int
}

// Progress is how closely a progress message followed the truth.
type Progress struct {
	Edits int
	// Stale is the longest the message showed a count the truth had
	// already passed; Behind is the most messages it was behind when
	// edited; Final is from the last delivery to the edit that showed it
	// (zero when none did).
	Stale, Final time.Duration
	Behind       int
}

// ProgressOf compares the edits, in the order they arrived, with the
// times the announcement's messages arrived (sorted). A count still shown
// at end (the last edit's, when it was behind) is stale until end.
func ProgressOf(edits []Shown, delivered []time.Time, end time.Time) Progress {
	p := Progress{Edits: len(edits)}
	truth := func(at time.Time) int {
		n, _ := slices.BinarySearchFunc(delivered, at, func(a, b time.Time) int { return a.Compare(b) })
		for n < len(delivered) && !delivered[n].After(at) {
			n++
		}
		return n
	}
	for i, e := range edits {
		p.Behind = max(p.Behind, truth(e.At)-e.N)
		// The count shown is wrong from the moment the next message
		// arrived until the next edit (or, for the last edit, until end).
		if e.N < len(delivered) {
			until := end
			if i+1 < len(edits) {
				until = edits[i+1].At
			}
			p.Stale = max(p.Stale, until.Sub(delivered[e.N]))
		}
	}
	if n := len(edits); n > 0 && len(delivered) > 0 && edits[n-1].N >= len(delivered) {
		p.Final = edits[n-1].At.Sub(delivered[len(delivered)-1])
	}
	return p
}

// Count is the number a progress message shows: re's first group in
// text, its digits only (the languages group thousands with commas or
// narrow spaces). ok is false when re does not match.
func Count(re *regexp.Regexp, text string) (n int, ok bool) {
	m := re.FindStringSubmatch(text)
	if len(m) < 2 {
		return 0, false
	}
	n, err := strconv.Atoi(strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, m[1]))
	return n, err == nil
}
