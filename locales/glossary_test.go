package locales

import (
	"slices"
	"strings"
	"testing"
)

func TestTermIDs(t *testing.T) {
	want := []string{"ofpra", "ofii", "siao", "cnda", "cada", "infrep", "caf", "dalo", "titre_sejour", "recepisse", "rsa", "cir",
		"numero_unique", "prefecture", "france_travail", "apl"}
	got := TermIDs()
	if !slices.Equal(got, want) {
		t.Fatalf("TermIDs() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if TermIDs()[0] != "ofpra" {
		t.Error("TermIDs returns the package's own slice")
	}
}

func TestMatchTermPositives(t *testing.T) {
	cases := map[string]string{
		// OFPRA as residents write it.
		"ofpra": "ofpra", "OFPRA": "ofpra", "ofpra?": "ofpra", "OFPRA!!": "ofpra", "Ofpra ???": "ofpra",
		"ofbra": "ofpra", "opra": "ofpra", "ofpraa": "ofpra", "ofrpa": "ofpra", "ofpr": "ofpra", "OFBRA ?": "ofpra",
		"l'ofpra": "ofpra", "l’OFPRA": "ofpra", "O.F.P.R.A": "ofpra", "o f p r a": "ofpra", "rdv ofpra demain": "ofpra",
		"أوفبرا": "ofpra", "اوفبرا": "ofpra", "اوفپرا": "ofpra", "ОФПРА": "ofpra",
		"\u2068OFPRA\u2069": "ofpra", "ofpra\u200f": "ofpra", "ｏｆｐｒａ": "ofpra",
		// OFII.
		"ofii": "ofii", "OFII ?": "ofii", "ofi": "ofii", "offii": "ofii", "o.f.i.i": "ofii", "c'est quoi ofii": "ofii",
		"office de l'immigration": "ofii", "OFIII": "ofii", "offi": "ofii",
		// CNDA, CADA, INFREP (added in December 2026).
		"cnda": "cnda", "CNDA ?": "cnda", "la cnda": "cnda", "cdna": "cnda", "c.n.d.a": "cnda", "recours cnda": "cnda",
		"cour nationale du droit": "cnda", "cour nationale d'asile": "cnda", "محكمة اللجوء": "cnda",
		"cada": "cada", "CADA": "cada", "le cada": "cada", "kada": "cada", "mon ancien cada": "cada", "C.A.D.A": "cada",
		"infrep": "infrep", "INFREP ?": "infrep", "l'infrep": "infrep", "enfrep": "infrep", "infrap": "infrep",
		"inferp": "infrep", "infrep cours": "infrep", "انفريب": "infrep",
		// SIAO, CAF, DALO.
		"siao": "siao", "SIAO?": "siao", "le siao": "siao", "saio": "siao",
		"caf": "caf", "CAF": "caf", "la caf": "caf", "Caf ??": "caf", "kaf": "caf", "caisse d'allocations familiales": "caf",
		"dalo": "dalo", "DALO!": "dalo", "droit au logement opposable": "dalo",
		// Residence permit and receipt.
		"titre de séjour": "titre_sejour", "titre de sejour": "titre_sejour", "TITRE DE SEJOUR ?": "titre_sejour",
		"titre sejour": "titre_sejour", "carte de séjour": "titre_sejour", "titre de sejours": "titre_sejour",
		"tite de sejour": "titre_sejour", "titre du sejour": "titre_sejour", "titredesejour": "titre_sejour",
		"mon titre de séjour": "titre_sejour", "إقامة": "titre_sejour", "الإقامة؟": "titre_sejour", "اقامت": "titre_sejour",
		"récépissé": "recepisse", "recepisse": "recepisse", "RECEPISSE": "recepisse", "récépisé": "recepisse",
		"recipisse": "recepisse", "mon récépissé ?": "recepisse",
		// RSA, CIR, numéro unique.
		"rsa": "rsa", "RSA ?": "rsa", "le rsa": "rsa", "revenu de solidarité active": "rsa",
		"cir": "cir", "CIR": "cir", "contrat d'intégration": "cir", "contrat d integration republicaine": "cir",
		"numéro unique": "numero_unique", "numero unique": "numero_unique", "NUMERO UNIQUE": "numero_unique",
		"n° unique": "numero_unique", "nº unique": "numero_unique", "numéro uniqe": "numero_unique",
		// Préfecture, France Travail, APL.
		"préfecture": "prefecture", "prefecture": "prefecture", "PREFECTURE": "prefecture", "prefectur": "prefecture",
		"préfécture": "prefecture", "prefacture": "prefecture", "la pref": "prefecture", "pref": "prefecture",
		"rdv préfecture": "prefecture",
		"france travail": "france_travail", "France-Travail": "france_travail", "francetravail": "france_travail",
		"pole emploi": "france_travail", "pôle emploi": "france_travail", "Pole-Emploi": "france_travail",
		"poleemploi": "france_travail", "pole emplois": "france_travail",
		"apl": "apl", "l'APL": "apl", "APL ?": "apl", "aide au logement": "apl", "aides au logement": "apl",
		// Five words is still short.
		"ofpra ofpra ofpra ofpra ofpra": "ofpra",
		// Two terms: the first one wins.
		"caf ou apl": "caf", "apl ou caf": "apl", "ofii et ofpra": "ofii",
	}
	for in, want := range cases {
		if got, ok := MatchTerm(in); !ok || got != want {
			t.Errorf("MatchTerm(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestMatchTermNegatives(t *testing.T) {
	for _, in := range []string{
		"", "   ", "?!", "...", "bonjour", "hello", "merci beaucoup", "salam", "سلام", "ok",
		// Near misses that are other words.
		"caffe", "café", "cafe", "caff", "ciao", "opera", "opéra", "ofis", "prof", "la prof", "halo", "dale",
		"rsaa", "apple", "circle", "cirque", "aplomb", "dal", "sia",
		"coda", "nada", "data", "cana", "canada", "info", "infra",
		// A term's word alone is not the term.
		"carte", "titre", "france", "emploi", "unique", "numéro", "logement", "pole", "travail",
		// Long messages are sentences for the rest of the bot.
		"je dois aller à l'ofpra demain matin",
		"ofpra ofpra ofpra ofpra ofpra ofpra",
		strings.Repeat("a", 500) + " ofpra",
	} {
		if got, ok := MatchTerm(in); ok {
			t.Errorf("MatchTerm(%q) = %q, want no match", in, got)
		}
	}
}

// TestMatchTermVariantsAreConsistent checks every listed variant finds its
// own term, so that no variant is shadowed by another term's.
func TestMatchTermVariantsAreConsistent(t *testing.T) {
	for _, term := range glossTerms {
		for _, v := range term.variants {
			v = strings.TrimPrefix(v, "=")
			if got, ok := MatchTerm(v); !ok || got != term.id {
				t.Errorf("variant %q of %s matches %q, %v", v, term.id, got, ok)
			}
			if n := len(glossWords(v)); n == 0 || n > glossMaxWords {
				t.Errorf("variant %q of %s has %d words: it can never match", v, term.id, n)
			}
		}
	}
}

func TestWithinOneEdit(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"ofpra", "ofpra", true}, {"ofpra", "ofbra", true}, {"ofpra", "opra", true}, {"ofpra", "ofpraa", true},
		{"ofpra", "ofrpa", true}, {"ofpra", "fopra", true}, {"ofpra", "ofpar", true},
		{"ofpra", "opera", false}, {"ofpra", "obra", false}, {"ofpra", "ofpraaa", false}, {"ofpra", "arpfo", false},
		{"siao", "saio", true}, {"siao", "ciao", true}, {"abcd", "badc", false}, {"", "a", true}, {"ab", "", false},
	}
	for _, c := range cases {
		if got := withinOneEdit([]rune(c.a), []rune(c.b)); got != c.want {
			t.Errorf("withinOneEdit(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
		if got := withinOneEdit([]rune(c.b), []rune(c.a)); got != c.want {
			t.Errorf("withinOneEdit(%q, %q) = %v, want %v", c.b, c.a, got, c.want)
		}
	}
}

func TestGlossWords(t *testing.T) {
	cases := map[string][]string{
		"Titre de Séjour ?":     {"titre", "de", "sejour"},
		"l'OFPRA!!":             {"l", "ofpra"},
		"أوفبرا":                {"اوفبرا"},
		"\u2068ofii\u2069":      {"ofii"},
		"n° unique":             {"n", "unique"},
		"pôle-emploi":           {"pole", "emploi"},
		"مُقَامَة":              {"مقامه"},
		"١٢٣":                   {"123"},
		"   ":                   nil,
		"ＯＦＰＲＡ":                 {"ofpra"},
		"dossier\tOFPRA\nmerci": {"dossier", "ofpra", "merci"},
	}
	for in, want := range cases {
		if got := glossWords(in); !slices.Equal(got, want) {
			t.Errorf("glossWords(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestGlossaryTexts pins the French and English explanations reviewed in
// December 2026 (see docs/LANGUAGES.md) and checks that every language
// carries the corrections: the SIAO orients (the French names of the
// housing kinds are kept), the OFII sets the French hours of the CIR, the
// CNDA hears appeals against the OFPRA.
func TestGlossaryTexts(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	fr, en := cat.Localizer("fr"), cat.Localizer("en")
	for _, c := range []struct{ got, want string }{
		{fr.T("glossary.ofpra"), "ℹ️ OFPRA : l'Office français de protection des réfugiés et apatrides. Il étudie les demandes d'asile. Pour les personnes protégées, c'est aussi lui qui établit les papiers d'état civil (acte de naissance, acte de mariage)."},
		{fr.T("glossary.siao"), "ℹ️ SIAO : le service qui étudie votre situation et vous oriente vers un hébergement ou un logement accompagné (résidence sociale, pension de famille, intermédiation locative). Il ne donne pas les logements sociaux ordinaires. Votre travailleur social lui envoie votre demande."},
		{fr.T("glossary.dalo"), "ℹ️ DALO : le droit au logement opposable. Une personne qui attend un logement social depuis très longtemps, ou qui vit depuis longtemps dans un centre d'hébergement, peut parfois faire un recours. Votre travailleur social peut regarder avec vous si c'est votre cas."},
		{fr.T("glossary.cnda"), "ℹ️ CNDA : la Cour nationale du droit d'asile. Elle juge les recours contre les décisions de l'OFPRA ; certaines personnes ont obtenu leur protection auprès d'elle. Pour toute question sur un recours, parlez-en à votre travailleur social : les délais sont courts."},
		{en.T("glossary.ofpra"), "ℹ️ OFPRA: the French office for the protection of refugees and stateless people. It examines asylum applications. For people who are protected, it also issues civil-status papers (birth and marriage certificates)."},
		{en.T("glossary.ofii"), "ℹ️ OFII: the French office for immigration and integration. It signs your Republican integration contract (CIR) with you and sets your hours of French classes: 100, 200, 400 or 600 hours depending on your level. Going to class is compulsory."},
		{en.T("glossary.cada"), "ℹ️ CADA: a reception centre for asylum seekers, where people live while their asylum application is examined. This centre is not a CADA: it is for people who are already protected."},
		{en.T("glossary.infrep"), "ℹ️ INFREP: the training organisation that gives the French classes here for OFII (integration contract). Your invitations to classes and your attendance certificates may come from it."},
	} {
		if c.got != c.want {
			t.Errorf("got  %q\nwant %q", c.got, c.want)
		}
	}
	for _, l := range Languages {
		loc := cat.Localizer(l.Tag)
		for id, must := range map[string][]string{
			"siao":   {"SIAO", "pension de famille", "intermédiation locative"},
			"ofii":   {"OFII", "CIR", "600"},
			"cnda":   {"CNDA", "OFPRA"},
			"cada":   {"CADA"},
			"infrep": {"INFREP", "OFII"},
		} {
			text := ASCIIDigits(loc.T("glossary." + id))
			for _, m := range must {
				if !strings.Contains(text, m) {
					t.Errorf("%s glossary.%s lacks %q: %q", l.Tag, id, m, text)
				}
			}
		}
	}
}
