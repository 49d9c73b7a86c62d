package locales

import (
	"errors"
	"testing"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  error
	}{
		// The forms of the issue.
		{"12,50", 1250, nil},
		{"12.50", 1250, nil},
		{"12,50 €", 1250, nil},
		{"€12.50", 1250, nil},
		{"12", 1200, nil},
		// Other everyday forms.
		{"12,5", 1250, nil},
		{"12.5", 1250, nil},
		{"0,50", 50, nil},
		{" 12 ", 1200, nil},
		{"12€", 1200, nil},
		{"€ 12", 1200, nil},
		{"12 euros", 1200, nil},
		{"12 EUR", 1200, nil},
		{"EUR 12,50", 1250, nil},
		{"12 Euro", 1200, nil},
		{"+12", 1200, nil},
		{"007", 700, nil},
		{"1 250", 125000, nil},
		{"1 250,50 €", 125050, nil},
		{"1.250,50", 125050, nil},
		{"1,250.50", 125050, nil},
		{"1'250.50", 125050, nil},
		{"1,250", 125000, nil}, // three digits after the mark: thousands
		{"1.250", 125000, nil},
		{"10 000", 1000000, nil},
		{"10000,00 €", 1000000, nil},
		// Arabic-Indic and Persian digits, with ٫ and ٬.
		{"١٢٫٥٠", 1250, nil},
		{"۱۲٫۵", 1250, nil},
		{"۱۲", 1200, nil},
		{"€ ۱۲٫۵۰", 1250, nil},
		{"١٢٫٥٠ €", 1250, nil},
		{"١٬٢٥٠٫٥٠", 125050, nil},
		{"١٢،٥٠", 1250, nil},
		{"১২.৫০€", 1250, nil},
		// Bidi marks a phone adds around a number.
		{"\u200f۱۲٫۵۰\u200f", 1250, nil},
		{"\u2068€12.50\u2069", 1250, nil},
		// Zero.
		{"0", 0, ErrAmountZero},
		{"0,00 €", 0, ErrAmountZero},
		{"۰", 0, ErrAmountZero},
		{"-0", 0, ErrAmountZero},
		// Negative.
		{"-12", 0, ErrAmountNegative},
		{"-12,50 €", 0, ErrAmountNegative},
		{"€-12.50", 0, ErrAmountNegative},
		{"−5", 0, ErrAmountNegative},
		{"\u200e−€ ۱۲٫۵۰", 0, ErrAmountNegative},
		// Absurdly large.
		{"10000,01", 0, ErrAmountTooLarge},
		{"10 001", 0, ErrAmountTooLarge},
		{"12,500", 0, ErrAmountTooLarge},
		{"1250050", 0, ErrAmountTooLarge},
		{"99999999999999999999999", 0, ErrAmountTooLarge},
		{"1.000.000", 0, ErrAmountTooLarge},
		// Unreadable.
		{"", 0, ErrAmountUnreadable},
		{"   ", 0, ErrAmountUnreadable},
		{"€", 0, ErrAmountUnreadable},
		{"abc", 0, ErrAmountUnreadable},
		{"twelve", 0, ErrAmountUnreadable},
		{"12,", 0, ErrAmountUnreadable},
		{",50", 0, ErrAmountUnreadable},
		{"12,505", 0, ErrAmountTooLarge},
		{"12.5.0", 0, ErrAmountUnreadable},
		{"12 50", 0, ErrAmountUnreadable},
		{"1,2,3", 0, ErrAmountUnreadable},
		{"12,5000", 0, ErrAmountUnreadable},
		{"1 2", 0, ErrAmountUnreadable},
		{"12٫505", 0, ErrAmountUnreadable},
		{"1.250.5", 0, ErrAmountUnreadable},
		{"1,250,50", 0, ErrAmountUnreadable},
		{"1.25,50", 0, ErrAmountUnreadable},
		{"12e3", 0, ErrAmountUnreadable},
		{"0x10", 0, ErrAmountUnreadable},
		{"12 $", 0, ErrAmountUnreadable},
		{"--12", 0, ErrAmountUnreadable},
		{"12-", 0, ErrAmountUnreadable},
		{"€€12", 0, ErrAmountUnreadable},
		{"12.50 € 13", 0, ErrAmountUnreadable},
		{"NaN", 0, ErrAmountUnreadable},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAmount(tt.in)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("ParseAmount(%q) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestParseAmountReadsEveryLanguagesFormat(t *testing.T) {
	for _, l := range Languages {
		f := NewFormatter(l.Tag, nil)
		for _, cents := range []int64{1, 99, 100, 1250, 4500, 99999, 100000, 123456, 999999, MaxAmount} {
			s := f.Money(cents)
			if got, err := ParseAmount(s); err != nil || got != cents {
				t.Errorf("%s: ParseAmount(%q) = %d, %v; want %d", l.Tag, s, got, err, cents)
			}
		}
		if _, err := ParseAmount(f.Money(-1250)); !errors.Is(err, ErrAmountNegative) {
			t.Errorf("%s: ParseAmount(%q) = %v, want negative", l.Tag, f.Money(-1250), err)
		}
	}
}

func TestParseNonNegativeAmountAcceptsZero(t *testing.T) {
	if got, err := ParseAmountOrZero("0"); err != nil || got != 0 {
		t.Fatalf("ParseAmountOrZero(0) = %d, %v", got, err)
	}
	if _, err := ParseAmountOrZero("-1"); !errors.Is(err, ErrAmountNegative) {
		t.Fatalf("ParseAmountOrZero(-1) = %v", err)
	}
}

// FuzzParseAmount: whatever is typed, the parser never panics and either
// refuses with one of its four errors or returns an amount in range; and
// every valid amount written by any language's formatter reads back to
// itself.
func FuzzParseAmount(f *testing.F) {
	seeds := []string{
		"12,50", "12.50", "12,50 €", "€12.50", "12", "١٢٫٥٠", "۱۲٫۵", "1 250,50", "1.250,50", "1,250.50",
		"0", "-12", "10000,01", "", "abc", "€", "12,", "\u200f۱۲٫۵۰", "১২.৫০€", "€ ۱۲٫۵۰", "12 euros",
		"1\u202f234,50\u00a0€", "99999999999999999999999", "--12", "1'250", "١٬٢٥٠٫٥٠",
	}
	for i, s := range seeds {
		f.Add(s, uint32(i*7919))
	}
	formatters := make([]*Formatter, 0, len(Languages))
	for _, l := range Languages {
		formatters = append(formatters, NewFormatter(l.Tag, nil))
	}
	f.Fuzz(func(t *testing.T, s string, n uint32) {
		got, err := ParseAmount(s)
		switch {
		case err == nil:
			if got < 1 || got > MaxAmount {
				t.Fatalf("ParseAmount(%q) = %d, out of range", s, got)
			}
		case errors.Is(err, ErrAmountUnreadable), errors.Is(err, ErrAmountZero),
			errors.Is(err, ErrAmountNegative), errors.Is(err, ErrAmountTooLarge):
			if got != 0 {
				t.Fatalf("ParseAmount(%q) = %d with error %v", s, got, err)
			}
		default:
			t.Fatalf("ParseAmount(%q): unexpected error %v", s, err)
		}
		x := int64(n)%MaxAmount + 1
		for _, fm := range formatters {
			if back, err := ParseAmount(fm.Money(x)); err != nil || back != x {
				t.Fatalf("%s: ParseAmount(Money(%d) = %q) = %d, %v", fm.Tag(), x, fm.Money(x), back, err)
			}
		}
		if err == nil {
			// A valid amount also survives its own formatting.
			for _, fm := range formatters {
				if back, err := ParseAmount(fm.Money(got)); err != nil || back != got {
					t.Fatalf("%s: round trip of %d: %d, %v", fm.Tag(), got, back, err)
				}
			}
		}
	})
}
