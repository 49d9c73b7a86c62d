package locales

import (
	"fmt"
	"testing"
)

func TestIsolate(t *testing.T) {
	if got := Isolate("214B"); got != "\u2068214B\u2069" {
		t.Errorf("Isolate(214B) = %q", got)
	}
	if got := Isolate(""); got != "" {
		t.Errorf("Isolate(\"\") = %q, want empty", got)
	}
	if FSI != "\u2068" || PDI != "\u2069" {
		t.Errorf("FSI/PDI = %q/%q", FSI, PDI)
	}
}

func TestArgIsolatesOnlyInRTL(t *testing.T) {
	values := []string{"12,50 €", "214B", "Ahmad K.", "27/11/2026", "X7K2-9QP", "أحمد", "-5"}
	for _, l := range Languages {
		for _, v := range values {
			got := Arg(l.Tag, v)
			want := v
			if l.RTL {
				want = "\u2068" + v + "\u2069"
			}
			if got != want {
				t.Errorf("Arg(%q, %q) = %q, want %q", l.Tag, v, got, want)
			}
		}
	}
	// Tigrinya, Amharic and Russian are LTR: never a mark.
	for _, tag := range []string{"ti", "am", "ru", "fr", "en", "so", "bn", "tr", "unknown", ""} {
		if got := Arg(tag, "12,50 €"); got != "12,50 €" {
			t.Errorf("Arg(%q) added marks: %q", tag, got)
		}
	}
	if got := Arg("ar", ""); got != "" {
		t.Errorf("Arg(ar, \"\") = %q, want empty", got)
	}
}

func TestArgInSentences(t *testing.T) {
	cases := []struct{ tag, template, value, want string }{
		{"ar", "رصيدك %s", "12,50 €", "رصيدك \u206812,50 €\u2069"},
		{"ar", "غرفتك %s", "214B", "غرفتك \u2068214B\u2069"},
		{"fa-AF", "اتاق شما %s است", "214B", "اتاق شما \u2068214B\u2069 است"},
		{"ps", "ستاسو کوټه %s ده", "214B", "ستاسو کوټه \u2068214B\u2069 ده"},
		{"ur", "سلام %s", "Ahmad K.", "سلام \u2068Ahmad K.\u2069"},
		{"fr", "Votre solde : %s", "12,50 €", "Votre solde : 12,50 €"},
		{"ti", "ሕሳብካ %s", "12.50 €", "ሕሳብካ 12.50 €"},
		{"am", "ክፍልዎ %s", "214B", "ክፍልዎ 214B"},
		{"ru", "Ваша комната %s", "214B", "Ваша комната 214B"},
	}
	for _, c := range cases {
		if got := fmt.Sprintf(c.template, Arg(c.tag, c.value)); got != c.want {
			t.Errorf("%s: %q, want %q", c.tag, got, c.want)
		}
	}
	// A formatted amount in Arabic keeps its LRM inside the isolate (so the
	// isolate is left to right and the € stays after the number, as in a
	// positive amount), and StripBidi gives back the plain text.
	m := NewFormatter("ar", nil).Money(-1250)
	got := fmt.Sprintf("رصيدك %s", Arg("ar", m))
	if want := "رصيدك \u2068\u200e-12,50\u00a0€\u2069"; got != want {
		t.Errorf("ar sentence = %q, want %q", got, want)
	}
	if want := "رصيدك -12,50\u00a0€"; StripBidi(got) != want {
		t.Errorf("StripBidi = %q, want %q", StripBidi(got), want)
	}
}

func TestStripBidi(t *testing.T) {
	all := "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
	cases := map[string]string{
		"a" + all + "b":             "ab",
		"\u2068214B\u2069":          "214B",
		"\u200f٢١٤\u200f":           "٢١٤",
		"plain":                     "plain",
		"":                          "",
		"\u202eevil\u202c":          "evil",
		"سه\u200cشنبه":              "سه\u200cشنبه", // ZWNJ is spelling in Persian: kept
		"👨\u200d👩":                  "👨\u200d👩",     // ZWJ is kept
		"ofpra\u200f?":              "ofpra?",
		"\u2067رصيدك\u2069 12,50 €": "رصيدك 12,50 €",
	}
	for in, want := range cases {
		if got := StripBidi(in); got != want {
			t.Errorf("StripBidi(%q) = %q, want %q", in, got, want)
		}
	}
}
