package locales

import (
	"errors"
	"strings"
	"unicode"
)

// MaxAmount is the largest amount cairbot accepts, in cents: 10 000 €.
// A monthly contribution or a payment above it is a typing mistake.
const MaxAmount int64 = 1_000_000

// Why an amount was refused. Each has its own message, so the person knows
// what to change.
var (
	ErrAmountUnreadable = errors.New("locales: amount unreadable")
	ErrAmountZero       = errors.New("locales: amount is zero")
	ErrAmountNegative   = errors.New("locales: amount is negative")
	ErrAmountTooLarge   = errors.New("locales: amount too large")
)

// ParseAmount reads an amount of euros the way people type it and returns
// it in cents: "12,50", "12.50", "12,50 €", "€12.50", "12", "12 euros",
// "1 250,50", "1.250,50", "1,250.50", "١٢٫٥٠", "۱۲٫۵". Every form cairbot
// itself writes (Formatter.Money in each language) reads back to the same
// amount. It refuses zero, negative amounts, amounts over MaxAmount and
// anything it cannot read with certainty.
//
// The one ambiguity, "1.250" or "1,250", is read as 1 250 €: cents have at
// most two digits, so a separator followed by three digits groups
// thousands.
func ParseAmount(s string) (int64, error) {
	cents, err := parseCents(s)
	if err != nil {
		return 0, err
	}
	if cents == 0 {
		return 0, ErrAmountZero
	}
	return cents, nil
}

// ParseAmountOrZero is ParseAmount that also accepts zero, for declared
// resources ("0": no income).
func ParseAmountOrZero(s string) (int64, error) {
	return parseCents(s)
}

// maxAmountInput bounds the work on what someone pasted.
const maxAmountInput = 64

func parseCents(s string) (int64, error) {
	if len(s) > maxAmountInput*4 {
		return 0, ErrAmountUnreadable
	}
	s = strings.TrimFunc(ASCIIDigits(StripBidi(s)), unicode.IsSpace)
	s = trimCurrency(s)
	negative := false
	if r, size := firstRune(s); r == '-' || r == '−' || r == '‐' || r == '–' {
		negative = true
		s = strings.TrimFunc(s[size:], unicode.IsSpace)
		// "-12 €" and "€-12" are both negative.
		s = trimCurrency(s)
	} else if r == '+' {
		s = strings.TrimFunc(s[size:], unicode.IsSpace)
	}
	cents, err := parseNumber(s)
	if err != nil {
		return 0, err
	}
	if negative && cents != 0 {
		return 0, ErrAmountNegative
	}
	return cents, nil
}

// currencyWords are what people write around an amount for euros.
var currencyWords = []string{"€", "euros", "euro", "eur"}

// trimCurrency removes one euro sign or word at the start or the end.
func trimCurrency(s string) string {
	for _, w := range currencyWords {
		if len(s) < len(w) {
			continue
		}
		if strings.EqualFold(s[:len(w)], w) {
			return strings.TrimFunc(s[len(w):], unicode.IsSpace)
		}
		if strings.EqualFold(s[len(s)-len(w):], w) {
			return strings.TrimFunc(s[:len(s)-len(w)], unicode.IsSpace)
		}
	}
	return s
}

func firstRune(s string) (rune, int) {
	for _, r := range s {
		return r, len(string(r))
	}
	return 0, 0
}

// isDecimalMark reports separators that may stand before cents: the
// comma and point of Latin scripts, the Arabic decimal separator ٫ and
// the Arabic comma ، that Arabic keyboards give for a comma.
func isDecimalMark(r rune) bool {
	return r == '.' || r == ',' || r == '٫' || r == '،'
}

// isGroupMark reports separators that may group thousands: those above
// except ٫, any space (CLDR uses no-break and narrow no-break spaces), the
// apostrophe, and the Arabic thousands separator ٬.
func isGroupMark(r rune) bool {
	return r == '.' || r == ',' || r == '،' || r == '\'' || r == '’' || r == '٬' || unicode.IsSpace(r)
}

// parseNumber reads digits with separators: an optional decimal part of
// one or two digits, and an integer part either plain or grouped by
// threes with one kind of separator, different from the decimal mark.
func parseNumber(s string) (int64, error) {
	if s == "" || len(s) > maxAmountInput {
		return 0, ErrAmountUnreadable
	}
	runes := []rune(s)
	intPart, frac := runes, []rune(nil)
	var decimal rune
	// The decimal mark is the last separator, when one or two digits follow
	// it and nothing else does.
	if i := lastNonDigit(runes); i >= 0 {
		after := runes[i+1:]
		sep := runes[i]
		switch {
		case sep == '٫':
			if len(after) < 1 || len(after) > 2 {
				return 0, ErrAmountUnreadable
			}
			intPart, frac, decimal = runes[:i], after, sep
		case isDecimalMark(sep) && len(after) >= 1 && len(after) <= 2:
			intPart, frac, decimal = runes[:i], after, sep
		case isGroupMark(sep) && len(after) == 3:
			// A group of thousands: no decimals.
		default:
			return 0, ErrAmountUnreadable
		}
	}
	whole, err := parseGrouped(intPart, decimal)
	if err != nil {
		return 0, err
	}
	var cents int64
	for i := 0; i < 2; i++ {
		cents *= 10
		if i < len(frac) {
			cents += int64(frac[i] - '0')
		}
	}
	// whole is at most maxWholeDigits digits, so this cannot overflow.
	cents += whole * 100
	if cents > MaxAmount {
		return 0, ErrAmountTooLarge
	}
	return cents, nil
}

// maxWholeDigits: anything longer is far over MaxAmount, and parsing it
// could overflow.
const maxWholeDigits = 12

// parseGrouped reads the integer part: digits, or groups of three after a
// first group of one to three, all joined by the same separator, which is
// not the decimal mark.
func parseGrouped(rs []rune, decimal rune) (int64, error) {
	if len(rs) == 0 {
		return 0, ErrAmountUnreadable
	}
	var group rune
	var digits []rune
	groupLen, groups := 0, 0
	for i, r := range rs {
		if r >= '0' && r <= '9' {
			digits = append(digits, r)
			groupLen++
			continue
		}
		if !isGroupMark(r) || r == decimal || (group != 0 && r != group) || i == 0 {
			return 0, ErrAmountUnreadable
		}
		// One group separator kind per number; the group before it has 1–3
		// digits if first, exactly 3 otherwise.
		if groupLen == 0 || groupLen > 3 || (groups > 0 && groupLen != 3) {
			return 0, ErrAmountUnreadable
		}
		group = r
		groups++
		groupLen = 0
	}
	if groups > 0 && groupLen != 3 {
		return 0, ErrAmountUnreadable
	}
	// Leading zeros do not count towards the size.
	for len(digits) > 1 && digits[0] == '0' {
		digits = digits[1:]
	}
	if len(digits) > maxWholeDigits {
		return 0, ErrAmountTooLarge
	}
	var n int64
	for _, d := range digits {
		n = n*10 + int64(d-'0')
	}
	return n, nil
}

func lastNonDigit(rs []rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] < '0' || rs[i] > '9' {
			return i
		}
	}
	return -1
}
