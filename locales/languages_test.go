package locales

import (
	"strings"
	"testing"
)

func TestLanguagesPickerOrder(t *testing.T) {
	want := []string{"fr", "en", "fa-AF", "ps", "ar", "ti", "so", "am", "bn", "ur", "ru", "tr"}
	if len(Languages) != len(want) {
		t.Fatalf("len(Languages) = %d, want %d", len(Languages), len(want))
	}
	for i, l := range Languages {
		if l.Tag != want[i] {
			t.Errorf("Languages[%d].Tag = %q, want %q", i, l.Tag, want[i])
		}
	}
	if _, ok := Lookup(DefaultTag); !ok {
		t.Errorf("DefaultTag %q is not a supported language", DefaultTag)
	}
}

func TestLanguagesNamesAndNoFlags(t *testing.T) {
	native := map[string]string{
		"fr": "Français", "fa-AF": "دری", "ps": "پښتو", "ar": "العربية", "ti": "ትግርኛ",
		"am": "አማርኛ", "bn": "বাংলা", "ur": "اردو", "ru": "Русский", "tr": "Türkçe",
	}
	seen := map[string]bool{}
	for _, l := range Languages {
		if seen[l.Tag] {
			t.Errorf("duplicate tag %q", l.Tag)
		}
		seen[l.Tag] = true
		if l.Native == "" || l.English == "" {
			t.Errorf("%s: empty name: %+v", l.Tag, l)
		}
		if w, ok := native[l.Tag]; ok && l.Native != w {
			t.Errorf("%s: Native = %q, want %q", l.Tag, l.Native, w)
		}
		for _, r := range l.Native + l.English {
			// Regional indicators make flag emoji; no flags, no emoji at all.
			if (r >= 0x1F1E6 && r <= 0x1F1FF) || r >= 0x1F000 || (r >= 0x2600 && r <= 0x27BF) {
				t.Errorf("%s: name contains an emoji or flag: %q", l.Tag, l.Native)
			}
		}
	}
}

func TestOnlyArabicScriptLanguagesAreRTL(t *testing.T) {
	rtl := map[string]bool{"ar": true, "fa-AF": true, "ps": true, "ur": true}
	for _, l := range Languages {
		if l.RTL != rtl[l.Tag] || IsRTL(l.Tag) != rtl[l.Tag] {
			t.Errorf("%s: RTL = %v, IsRTL = %v, want %v", l.Tag, l.RTL, IsRTL(l.Tag), rtl[l.Tag])
		}
	}
	// The known mistake elsewhere: Ge'ez script and Cyrillic are LTR.
	for _, tag := range []string{"ti", "am", "ru", "so", "bn", "tr", "fr", "en", "", "he", "xx"} {
		if IsRTL(tag) {
			t.Errorf("IsRTL(%q) = true", tag)
		}
	}
}

func TestLookupIsExact(t *testing.T) {
	if l, ok := Lookup("fa-AF"); !ok || l.English != "Dari" || !l.RTL {
		t.Errorf("Lookup(fa-AF) = %+v, %v", l, ok)
	}
	for _, tag := range []string{"fa", "FA-af", "fa_AF", "fr-FR", "FR", "", "ti-ER"} {
		if l, ok := Lookup(tag); ok {
			t.Errorf("Lookup(%q) = %+v, want not found (use Match)", tag, l)
		}
	}
}

func TestMatch(t *testing.T) {
	good := map[string]string{
		// Dari: the centre's Persian readers are Afghans.
		"fa-AF": "fa-AF", "prs": "fa-AF", "fa": "fa-AF", "fa-IR": "fa-AF", "FA_af": "fa-AF", "haz": "fa-AF",
		"ar-SD": "ar", "ar-EG": "ar", "ar": "ar", "AR": "ar", "arb": "ar", "apd": "ar", "ar-SA": "ar",
		"pus": "ps", "ps-AF": "ps", "ps": "ps", "pbt": "ps", "pbu": "ps",
		"ti-ER": "ti", "tir": "ti", "ti": "ti", "ti-ET": "ti",
		"am-ET": "am", "amh": "am", "am": "am",
		"so-SO": "so", "som": "so", "so": "so",
		"bn-BD": "bn", "ben": "bn", "bn": "bn",
		"ur-PK": "ur", "urd": "ur", "ur": "ur",
		"ru-RU": "ru", "ru": "ru", "ru-Cyrl": "ru",
		"tr-TR": "tr", "tr": "tr",
		"en-US": "en", "en-GB": "en", "en": "en", "EN-us": "en", "en_GB": "en", " en ": "en",
		"fr-CA": "fr", "fr": "fr", "fr-FR": "fr", "fr-SN": "fr",
	}
	for code, want := range good {
		if got, ok := Match(code); !ok || got != want {
			t.Errorf("Match(%q) = %q, %v; want %q, true", code, got, ok, want)
		}
	}
	bad := []string{
		// Neighbours a matcher would happily serve: never.
		"uk", "uk-UA", "be", "kk", "ky", "tg", "tg-TJ", "uz", "az", "he", "ckb", "ku", "pa", "sd", "hi",
		// Simply unsupported.
		"de", "es", "pt-BR", "it", "zh-hans", "ti-Latn",
		// A script we do not write that language in.
		"so-Arab", "ru-Latn", "ar-Latn", "fr-Arab", "fa-Cyrl",
		// Garbage.
		"", " ", "xx-garbage", "xx", "und", "root", "x-klingon", "en_", "e", "12", "_", "--",
		"fr-" + strings.Repeat("x", 80),
	}
	for _, code := range bad {
		if got, ok := Match(code); ok || got != "" {
			t.Errorf("Match(%q) = %q, %v; want \"\", false", code, got, ok)
		}
	}
	for _, l := range Languages {
		if got, ok := Match(l.Tag); !ok || got != l.Tag {
			t.Errorf("Match(%q) = %q, %v: a supported tag must match itself", l.Tag, got, ok)
		}
	}
}

func TestEveryLanguageHasFormatting(t *testing.T) {
	if len(specByTag) != len(Languages) {
		t.Errorf("specByTag has %d entries, Languages %d", len(specByTag), len(Languages))
	}
	for _, l := range Languages {
		if _, ok := specByTag[l.Tag]; !ok {
			t.Errorf("%s has no formatting spec", l.Tag)
		}
		if got := NewFormatter(l.Tag, nil).Tag(); got != l.Tag {
			t.Errorf("NewFormatter(%q).Tag() = %q", l.Tag, got)
		}
	}
}
