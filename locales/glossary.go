package locales

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The glossary: residents type administrative words their own way ("ofbra",
// "opra", "OFPRA??", "titre de sejour", "pole emploi") and the bot answers
// with a short explanation (message id "glossary.<id>", written in every
// language). Matching is deliberately tolerant of spelling but strict about
// context: only short messages (at most glossMaxWords words) are looked at,
// so a sentence that merely mentions the OFII is left to the rest of the bot.

// glossMaxWords is the longest message treated as a glossary question.
const glossMaxWords = 5

// glossTerm is one glossary entry and the ways residents write it. Variants
// are written naturally; they go through the same normalisation as the
// input (case, accents, apostrophes, Arabic letter forms), so "préfecture"
// also covers "PREFECTURE" and "prefecture". The correct spellings also
// match with one typo (see MatchTerm); a variant starting with "=" is a
// known misspelling or a word of another script that matches only exactly,
// so that a typo of a typo ("opra" → "okra", "oprah") or a neighbouring
// Arabic word does not count.
type glossTerm struct {
	id       string
	msgID    string // the answer, written whole so that grep finds it
	variants []string
}

// glossTerms is in priority order: when two terms start at the same place in
// a message, the longer phrase wins, then the earlier term.
var glossTerms = []glossTerm{
	{"ofpra", "glossary.ofpra", []string{"ofpra", "=ofbra", "=opra", "=ofpraa", "=أوفبرا", "=اوفپرا", "=офпра"}},
	{"ofii", "glossary.ofii", []string{"ofii", "=ofi", "=ofiii", "=offi", "office de l'immigration", "=أوفي", "=اوفی", "=офии"}},
	{"siao", "glossary.siao", []string{"siao", "=sio", "=siyao", "=سياو"}},
	// CNDA before CADA: they are one letter apart, and a typo of either
	// goes to the earlier one; "cnda" is the word residents with an appeal
	// ask about most.
	{"cnda", "glossary.cnda", []string{"cnda", "=cdna", "cour nationale du droit", "cour nationale d'asile", "=محكمة اللجوء"}},
	// "cada" only exactly: one letter from "cnda", "nada", "data", "cafe".
	{"cada", "glossary.cada", []string{"=cada", "=kada", "=كادا"}},
	{"infrep", "glossary.infrep", []string{"infrep", "=enfrep", "=anfrep", "=infreb", "=انفريب", "=انفرپ"}},
	{"caf", "glossary.caf", []string{"caf", "=kaf", "caisse d'allocations familiales", "allocations familiales"}},
	{"dalo", "glossary.dalo", []string{"dalo", "droit au logement opposable"}},
	// The residence permit. The receipt (récépissé) is a separate entry: it
	// is a temporary paper with its own rules, and mixing them up misleads.
	{"titre_sejour", "glossary.titre_sejour", []string{"titre de séjour", "titre séjour", "carte de séjour", "carte séjour",
		"carte de résident", "carte pluriannuelle", "residence permit", "=إقامة", "=الإقامة", "=اقامت"}},
	{"recepisse", "glossary.recepisse", []string{"récépissé", "=recipisse", "=resepisse"}},
	{"rsa", "glossary.rsa", []string{"rsa", "revenu de solidarité active", "revenu de solidarité"}},
	{"cir", "glossary.cir", []string{"cir", "contrat d'intégration républicaine", "contrat d'intégration", "contrat intégration"}},
	{"numero_unique", "glossary.numero_unique", []string{"numéro unique", "=num unique", "=n° unique", "=nº unique", "numéro de demande de logement"}},
	{"prefecture", "glossary.prefecture", []string{"préfecture", "=préf", "=la préf"}},
	{"france_travail", "glossary.france_travail", []string{"france travail", "pôle emploi"}},
	{"apl", "glossary.apl", []string{"apl", "aide au logement", "aide personnalisée au logement"}},
}

// glossNoFuzz lists ordinary words that sit one typo away from a term and
// must therefore match only exactly: "ciao" is not "siao", "opera" (also a
// Paris metro station) is not "opra", the Turkish "ofis" (office) is not
// "ofii".
var glossNoFuzz = map[string]bool{
	"ciao": true, "opera": true, "ofis": true, "halo": true, "dale": true, "dali": true, "dalı": true,
	"prof": true, "cafe": true, "coda": true, "cana": true, "nada": true,
}

// glossVariant is a variant prepared for matching.
type glossVariant struct {
	term    int // index in glossTerms
	words   []string
	compact string // the words run together, for "O.F.P.R.A" or "poleemploi"
	exact   bool   // no typo allowed
}

var glossVariants = func() []glossVariant {
	var vs []glossVariant
	for i, t := range glossTerms {
		for _, v := range t.variants {
			exact := strings.HasPrefix(v, "=")
			w := glossWords(strings.TrimPrefix(v, "="))
			vs = append(vs, glossVariant{term: i, words: w, compact: strings.Join(w, ""), exact: exact})
		}
	}
	return vs
}()

// TermIDs lists the glossary's ids in a fixed order; each has its message
// (TermMessage) in every language.
func TermIDs() []string {
	ids := make([]string, len(glossTerms))
	for i, t := range glossTerms {
		ids[i] = t.id
	}
	return ids
}

// TermMessage returns the message id that explains glossary term id, or
// "" for an unknown id.
func TermMessage(id string) string {
	for _, t := range glossTerms {
		if t.id == id {
			return t.msgID
		}
	}
	return ""
}

// MatchTerm reports which glossary term a short message asks about. It
// lower-cases and strips accents, diacritics, punctuation and bidi marks,
// and then looks for a term's word or phrase: exactly first, then allowing
// one typo (a letter wrong, missing, extra or two letters swapped) in words
// of four letters or more. Shorter words ("caf", "rsa", "apl") must be
// exact, so "caffe" is not the CAF, and so are known misspellings and
// other-script forms ("opra", "أوفبرا", "إقامة") and the ordinary words in
// glossNoFuzz ("ciao" is not the SIAO). Messages of more than five words
// are never matched: they are sentences for the rest of the bot.
func MatchTerm(text string) (id string, ok bool) {
	if utf8.RuneCountInString(text) > 200 {
		return "", false
	}
	words := glossWords(text)
	if len(words) == 0 || len(words) > glossMaxWords {
		return "", false
	}
	compact := strings.Join(words, "")
	for _, fuzzy := range []bool{false, true} {
		best, bestPos, bestLen := -1, 0, 0
		for _, v := range glossVariants {
			if fuzzy && v.exact {
				continue
			}
			pos := findPhrase(words, v.words, fuzzy)
			if pos < 0 {
				continue
			}
			if best < 0 || pos < bestPos || (pos == bestPos && len(v.words) > bestLen) {
				best, bestPos, bestLen = v.term, pos, len(v.words)
			}
		}
		if best >= 0 {
			return glossTerms[best].id, true
		}
		// The whole message may be a term split or glued differently:
		// "O.F.P.R.A", "o f i i", "poleemploi".
		for _, v := range glossVariants {
			if sameWord(compact, v.compact, fuzzy && !v.exact) {
				return glossTerms[v.term].id, true
			}
		}
	}
	return "", false
}

// findPhrase returns where phrase starts in words, or -1.
func findPhrase(words, phrase []string, fuzzy bool) int {
	if len(phrase) == 0 {
		return -1
	}
	for i := 0; i+len(phrase) <= len(words); i++ {
		match := true
		for j, p := range phrase {
			if !sameWord(words[i+j], p, fuzzy) {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}

// sameWord compares a typed word with a term's word: equal, or, when fuzzy,
// within one edit if both have at least four letters and the typed word is
// not an ordinary word that happens to be that close.
func sameWord(typed, term string, fuzzy bool) bool {
	if typed == term {
		return true
	}
	if !fuzzy || glossNoFuzz[typed] {
		return false
	}
	a, b := []rune(typed), []rune(term)
	if len(a) < 4 || len(b) < 4 {
		return false
	}
	return withinOneEdit(a, b)
}

// withinOneEdit reports whether a and b differ by at most one substitution,
// insertion, deletion or swap of two neighbouring letters (Damerau).
func withinOneEdit(a, b []rune) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	switch len(b) - len(a) {
	case 0:
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		if i == len(a) {
			return true
		}
		// One substitution, or one swap of a[i], a[i+1].
		if slices.Equal(a[i+1:], b[i+1:]) {
			return true
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && slices.Equal(a[i+2:], b[i+2:])
	case 1:
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		return slices.Equal(a[i:], b[i+1:])
	}
	return false
}

// glossWords normalises text into lower-case words without accents: bidi
// marks go, compatibility forms are unfolded (ligatures, "º", Arabic
// presentation forms), combining marks are dropped (French accents, Arabic
// short vowels and hamza seats, so "أ" becomes "ا"), Arabic-script letters
// that readers use interchangeably are unified, native digits become ASCII,
// and anything that is not a letter or digit separates words.
func glossWords(text string) []string {
	s := norm.NFKD.String(strings.ToLower(StripBidi(text)))
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r), r == '\u0640': // marks, tatweel
			continue
		case r == 'ة':
			r = 'ه'
		case r == 'ى', r == 'ی':
			r = 'ي'
		case r == 'ک':
			r = 'ك'
		case r == 'ٱ':
			r = 'ا'
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			r = ' '
		}
		b.WriteRune(r)
	}
	return strings.Fields(ASCIIDigits(b.String()))
}
