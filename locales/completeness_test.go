package locales

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
)

// messagesByLanguage reads every embedded message file and groups its
// messages by language tag (a language may be split over several files
// while a feature is being written).
func messagesByLanguage(t testing.TB) map[string]map[string]*i18n.Message {
	t.Helper()
	entries, err := files.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]*i18n.Message{}
	for _, e := range entries {
		buf, err := files.ReadFile(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(buf), untranslatedMark) {
			t.Errorf("%s has messages marked %q: translate them (see docs/LANGUAGES.md)", e.Name(), untranslatedMark)
		}
		mf, err := i18n.ParseMessageFileBytes(buf, e.Name(), map[string]i18n.UnmarshalFunc{"toml": toml.Unmarshal})
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		tag := mf.Tag.String()
		if _, ok := Lookup(tag); !ok {
			t.Errorf("%s: language %q is not a supported language", e.Name(), tag)
			continue
		}
		if out[tag] == nil {
			out[tag] = map[string]*i18n.Message{}
		}
		for _, m := range mf.Messages {
			if _, dup := out[tag][m.ID]; dup {
				t.Errorf("%s: message %q defined twice for %s", e.Name(), m.ID, tag)
			}
			out[tag][m.ID] = m
		}
	}
	return out
}

// untranslatedMark is what `make add-string` writes above a message copied
// from English into another language's file.
const untranslatedMark = "# untranslated"

var varRe = regexp.MustCompile(`{{\s*\.(\w+)\s*}}`)

func vars(m *i18n.Message) map[string]bool {
	out := map[string]bool{}
	for _, s := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
		for _, v := range varRe.FindAllStringSubmatch(s, -1) {
			out[v[1]] = true
		}
	}
	return out
}

// TestEveryLanguageIsComplete fails when a message id is missing or empty in
// any of the twelve languages, when a language has ids English does not, or
// when a translation uses a variable the English text does not pass.
func TestEveryLanguageIsComplete(t *testing.T) {
	all := messagesByLanguage(t)
	en := all["en"]
	if len(en) == 0 {
		t.Fatal("no English messages")
	}
	for _, l := range Languages {
		msgs := all[l.Tag]
		var missing, empty, extra []string
		for id := range en {
			m, ok := msgs[id]
			switch {
			case !ok:
				missing = append(missing, id)
			case strings.TrimSpace(m.Other) == "":
				empty = append(empty, id)
			default:
				want := vars(en[id])
				for v := range vars(m) {
					if !want[v] && v != "Count" {
						t.Errorf("%s %s uses {{.%s}}, which the bot does not pass", l.Tag, id, v)
					}
				}
			}
		}
		for id := range msgs {
			if _, ok := en[id]; !ok {
				extra = append(extra, id)
			}
		}
		sort.Strings(missing)
		sort.Strings(empty)
		sort.Strings(extra)
		if len(missing)+len(empty)+len(extra) > 0 {
			t.Errorf("%s (%s): missing %v, empty %v, not in English %v", l.Tag, l.English, missing, empty, extra)
		}
	}
}

// TestPluralFormsForEveryLanguage renders every plural message in every
// language with the counts whose CLDR category differs somewhere (0, 1, 2,
// 3, 5, 11, 21, 100, and a million for French's "many"); go-i18n refuses
// when the language's required form is missing.
func TestPluralFormsForEveryLanguage(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	all := messagesByLanguage(t)
	var plural []string
	for id, m := range all["en"] {
		if m.One != "" {
			plural = append(plural, id)
		}
	}
	if len(plural) == 0 {
		t.Fatal("no plural messages found: the test would prove nothing")
	}
	sort.Strings(plural)
	for _, l := range Languages {
		loc := cat.Localizer(l.Tag)
		for _, id := range plural {
			for _, n := range []int{0, 1, 2, 3, 5, 11, 21, 100, 1000000} {
				s, err := loc.l.Localize(&i18n.LocalizeConfig{MessageID: id, PluralCount: n,
					TemplateData: map[string]any{"Count": n}})
				if err != nil || strings.TrimSpace(s) == "" {
					t.Errorf("%s %s count %d: %q, %v", l.Tag, id, n, s, err)
				}
			}
		}
	}
}

// TestTemplatesRenderInEveryLanguage renders every message of every
// language with sample values: a broken template must not reach a resident.
func TestTemplatesRenderInEveryLanguage(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	all := messagesByLanguage(t)
	for _, l := range Languages {
		loc := cat.Localizer(l.Tag)
		for id, m := range all[l.Tag] {
			data := map[string]any{"Count": 3}
			for v := range vars(m) {
				if v != "Count" {
					data[v] = "X1"
				}
			}
			cfg := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
			if m.One != "" {
				cfg.PluralCount = 3
			}
			s, err := loc.l.Localize(cfg)
			if err != nil || strings.Contains(s, "<no value>") || strings.Contains(s, "{{") {
				t.Errorf("%s %s renders %q, %v", l.Tag, id, s, err)
			}
		}
	}
}
