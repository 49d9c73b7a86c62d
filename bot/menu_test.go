package bot

import (
	"testing"
	"unicode"

	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/locales"
)

// maxMenuButton is how many characters of a main-menu button fit on a
// phone: the menu has two buttons a row, and a longer label is cut ("📋
// Jadwalka nadiif…").
const maxMenuButton = 16

// visibleLen counts what takes room on screen: an emoji with its variation
// selector counts as one, and vowel signs and other marks that sit on a
// letter (Mn, Me), joiners and bidi marks (Cf) count as nothing.
func visibleLen(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		case r >= 0xFE00 && r <= 0xFE0F, r >= 0x1F3FB && r <= 0x1F3FF: // variation selectors, skin tones
		default:
			n++
		}
	}
	return n
}

func TestVisibleLen(t *testing.T) {
	for s, want := range map[string]int{
		"🗓️ My week": 9, "✉️ Nouveau venu": 14, "📚 Fasalka Faransiiska": 21, "🗓️ ዝመጽእ": 6,
		"💶 زما ونډه": 10, "سه\u200cشنبه": 6, "": 0,
	} {
		if got := visibleLen(s); got != want {
			t.Errorf("visibleLen(%q) = %d, want %d", s, got, want)
		}
	}
}

// TestMainMenuButtonsFit fails when any main-menu button of any language is
// longer than maxMenuButton characters.
func TestMainMenuButtonsFit(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	menus := 0
	for _, l := range locales.Languages {
		loc := cat.Localizer(l.Tag)
		for _, r := range routes(handlers.Features{}) {
			if r.Menu == "" {
				continue
			}
			menus++
			label := loc.T(r.Menu)
			if n := visibleLen(label); n > maxMenuButton {
				t.Errorf("%s %s = %q: %d characters, at most %d fit", l.Tag, r.Menu, label, n, maxMenuButton)
			}
		}
	}
	if menus < 10*len(locales.Languages) {
		t.Errorf("only %d menu buttons checked", menus)
	}
}

// TestFormerMenuLabelsStillWork: a keyboard sent before the buttons were
// shortened still reaches the same route.
func TestFormerMenuLabelsStillWork(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	rt := NewRouter(routes(handlers.Features{}), cat, nil, nil)
	for text, menu := range map[string]string{
		"📚 Cours de français": "menu.classes", "📚 Cours français": "menu.classes", "📋 Jadwalka nadiifinta": "menu.rota",
		"💶 My contribution": "menu.balance", "🗓️ Nouvel entretien": "menu.interview", "✉️ Nouveau résident": "menu.invite",
	} {
		if got := rt.menuText[normalizeButton(text)].Menu; got != menu {
			t.Errorf("%q goes to %q, want %q", text, got, menu)
		}
	}
}
