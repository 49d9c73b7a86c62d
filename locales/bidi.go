package locales

import "strings"

// Right-to-left safety.
//
// Message templates stay plain text. What goes wrong in an Arabic, Dari,
// Pashto or Urdu sentence is the inserted value: a number, a date, a room
// like "214B", a Latin name like "Ahmad K.", an amount like "12,50 €" or a
// code. Without isolation the Unicode bidi algorithm lets such a value mix
// with the words around it, so "214B" shows as "B214", an amount's sign or
// currency jumps to the other side, and two numbers side by side swap. An
// isolate (FSI … PDI) makes the value one neutral block with its own
// direction, which is the W3C's advice for inserted values and is handled by
// every current Telegram client. LTR languages never get marks, so French,
// English, Tigrinya, Amharic or Russian text is byte-for-byte what was
// written.

const (
	// FSI (U+2068 FIRST STRONG ISOLATE) opens an isolate whose direction is
	// that of its first strong character, so it suits both "Ahmad" and
	// "أحمد".
	FSI = "\u2068"
	// PDI (U+2069 POP DIRECTIONAL ISOLATE) closes it.
	PDI = "\u2069"
)

// Isolate wraps s in FSI … PDI. An empty s stays empty: an isolate around
// nothing would only leave invisible characters behind.
func Isolate(s string) string {
	if s == "" {
		return ""
	}
	return FSI + s + PDI
}

// Arg prepares value v for insertion into a message in language tag: in a
// right-to-left language it is isolated, in any other it is returned
// unchanged. Every template variable goes through it (see Localizer), e.g.
// for "ar" the template "رصيدك %s" with "12,50 €" gives
// "رصيدك \u206812,50 €\u2069".
func Arg(tag string, v string) string {
	if !IsRTL(tag) {
		return v
	}
	return Isolate(v)
}

// isBidiControl reports the invisible formatting characters that steer bidi
// display: LRM, RLM, ALM, the embeddings and overrides LRE…RLO, and the
// isolates LRI…PDI.
func isBidiControl(r rune) bool {
	switch {
	case r == '\u200e', r == '\u200f', r == '\u061c':
		return true
	case r >= '\u202a' && r <= '\u202e':
		return true
	case r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

// StripBidi removes bidi control characters (U+200E, U+200F, U+061C,
// U+202A–U+202E, U+2066–U+2069). Use it on what a resident types before
// parsing it (phones insert marks around numbers in RTL keyboards, and a
// copied message carries our isolates), and in tests to compare text.
func StripBidi(s string) string {
	if !strings.ContainsFunc(s, isBidiControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isBidiControl(r) {
			return -1
		}
		return r
	}, s)
}
