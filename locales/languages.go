package locales

import (
	"strings"

	"golang.org/x/text/language"
)

// Language is one language the bot can speak. The picker shows Native, so a
// resident finds his language by its own script even if he reads nothing
// else; there are deliberately no flags: a flag names a state, not a
// language, and for people who fled that state it can hurt or offend.
type Language struct {
	// Tag is the BCP 47 tag used everywhere else (message files, storage,
	// NewFormatter), e.g. "fa-AF".
	Tag string
	// Native is the language's name in its own script, as its readers write
	// it, e.g. "دری", "ትግርኛ", "Français".
	Native string
	// English is the name staff see in the admin views and logs.
	English string
	// RTL is true only for the languages written right to left (Arabic
	// script here: ar, fa-AF, ps, ur). Tigrinya and Amharic (Ge'ez script)
	// and Russian are left to right; marking them RTL is a known mistake.
	RTL bool
}

// DefaultTag is the language used when a user's language is unknown or
// unsupported: French is the staff's language and the one of every notice
// in the centre, so it is what a resident will be helped with at the desk.
const DefaultTag = "fr"

// Languages lists the supported languages in picker order: French and
// English first (the centre's working languages), then the residents'
// languages by how many residents read them (see docs/domain.md).
var Languages = []Language{
	{Tag: "fr", Native: "Français", English: "French"},
	{Tag: "en", Native: "English", English: "English"},
	{Tag: "fa-AF", Native: "دری", English: "Dari", RTL: true},
	{Tag: "ps", Native: "پښتو", English: "Pashto", RTL: true},
	{Tag: "ar", Native: "العربية", English: "Arabic", RTL: true},
	{Tag: "ti", Native: "ትግርኛ", English: "Tigrinya"},
	{Tag: "so", Native: "Soomaali", English: "Somali"},
	{Tag: "am", Native: "አማርኛ", English: "Amharic"},
	{Tag: "bn", Native: "বাংলা", English: "Bengali"},
	{Tag: "ur", Native: "اردو", English: "Urdu", RTL: true},
	{Tag: "ru", Native: "Русский", English: "Russian"},
	{Tag: "tr", Native: "Türkçe", English: "Turkish"},
}

// Lookup returns the supported language whose tag is exactly tag (as stored
// in the database). It does no matching: use Match for codes from outside.
func Lookup(tag string) (Language, bool) {
	for _, l := range Languages {
		if l.Tag == tag {
			return l, true
		}
	}
	return Language{}, false
}

// IsRTL reports whether the supported language tag is written right to
// left. Unknown tags are left to right, which is the harmless default: an
// LTR reading never adds bidi marks.
func IsRTL(tag string) bool {
	l, ok := Lookup(tag)
	return ok && l.RTL
}

// langTarget is where one base language leads, and the script our text for
// it is written in.
type langTarget struct {
	tag    string
	script string
}

// langByBase is the explicit list of base languages we accept from
// Telegram, and the supported tag each one gets. It exists because
// language.Matcher (and go-i18n, which uses it) serve a "close" neighbour
// with high confidence: Russian to a Belarusian or Kazakh, Russian to a Tajik,
// Arabic to a Sorani Kurd, Turkish to a Kurmanji speaker. For a refugee that
// is not a convenience but an insult or an unreadable text, and a wrong
// answer is worse than the default language. A base that is not listed here
// is never matched.
var langByBase = map[string]langTarget{
	"fr": {"fr", "Latn"},
	"en": {"en", "Latn"},
	// Persian goes to Dari: the centre's Persian readers are Afghans, and
	// Dari and Iranian Persian share the script and written standard except
	// for month names and some words, which fa-AF gets right.
	"fa":  {"fa-AF", "Arab"},
	"prs": {"fa-AF", "Arab"}, // ISO 639-3 Dari
	"haz": {"fa-AF", "Arab"}, // Hazaragi: a Dari variety; its readers read Dari
	"ps":  {"ps", "Arab"},
	"pbt": {"ps", "Arab"}, // Southern Pashto
	"pbu": {"ps", "Arab"}, // Northern Pashto
	"pst": {"ps", "Arab"}, // Central Pashto
	"ar":  {"ar", "Arab"},
	"arb": {"ar", "Arab"}, // Modern Standard Arabic
	"apd": {"ar", "Arab"}, // Sudanese Arabic: its readers read MSA
	"ti":  {"ti", "Ethi"},
	"so":  {"so", "Latn"},
	"am":  {"am", "Ethi"},
	"bn":  {"bn", "Beng"},
	"ur":  {"ur", "Arab"},
	"ru":  {"ru", "Cyrl"},
	"tr":  {"tr", "Latn"},
}

// langMatcher double-checks langByBase: a code whose base is itself one of
// ours must also be a confident (Exact or High) match for the same tag.
// matcherTags holds the tags in the matcher's order, copied so that the
// answer does not depend on anyone editing Languages later.
var langMatcher, matcherTags = func() (language.Matcher, []string) {
	tags := make([]language.Tag, len(Languages))
	names := make([]string, len(Languages))
	for i, l := range Languages {
		tags[i] = language.MustParse(l.Tag)
		names[i] = l.Tag
	}
	return language.NewMatcher(tags), names
}()

// Match maps the language_code Telegram reports for a user (an IETF tag that
// may be empty, upper-case, underscored or garbage) to a supported tag.
// It answers ("", false) rather than guess, and the caller then uses its
// default: see langByBase for why a neighbouring language is never chosen.
// An explicit script that is not the one our text uses (so-Arab, ru-Latn)
// is refused too, since the reader asked for a script we cannot give.
func Match(code string) (tag string, ok bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), "_", "-")
	if code == "" || len(code) > 64 {
		return "", false
	}
	t, err := language.Parse(code)
	if err != nil {
		return "", false
	}
	base, conf := t.Base()
	if conf != language.Exact {
		// The base was guessed (und, private use): nothing was asked for.
		return "", false
	}
	target, ok := langByBase[base.String()]
	if !ok {
		return "", false
	}
	if script, sc := t.Script(); sc == language.Exact && script.String() != target.script {
		return "", false
	}
	want := language.MustParse(target.tag)
	if wantBase, _ := want.Base(); wantBase == base {
		// Same base language: the matcher must agree with the table, and be
		// sure of it.
		_, i, mconf := langMatcher.Match(t)
		if mconf < language.High || matcherTags[i] != target.tag {
			return "", false
		}
	}
	// Otherwise the base is an alias listed in langByBase (prs, apd, ...),
	// which the matcher does not know: the table is the authority.
	return target.tag, true
}
