package bot

import (
	"reflect"
	"testing"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// TestEveryCallbackActionHasItsRoute: a button declared as an action
// (handlers/callback.go) but missing from the route table would only ever
// answer "this button is too old".
func TestEveryCallbackActionHasItsRoute(t *testing.T) {
	table := map[string]bool{}
	for _, r := range routes(handlers.Features{}) {
		if r.Callback != "" {
			if table[r.Callback] {
				t.Errorf("callback %q routed twice", r.Callback)
			}
			table[r.Callback] = true
		}
	}
	prefixes := handlers.CallbackPrefixes()
	if len(prefixes) == 0 {
		t.Fatal("no callback action declared")
	}
	for _, p := range prefixes {
		if !table[p] {
			t.Errorf("action %q has no route in bot/routes.go", p)
		}
	}
}

// TestCallbackRouting: an action's own route comes first, then its
// feature's prefix (for an unknown action, handlers.StaleButton); anything
// else has no route (a stale button too).
func TestCallbackRouting(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	rt := NewRouter(routes(handlers.Features{}), cat, nil, nil)
	for data, want := range map[string]string{
		"chr:t:42":         "chr:t",
		"chr:mpg:42:1":     "chr:mpg",
		"chr:rgno":         "chr:rgno",
		"lang:fr":          "lang",
		"chd:42":           "chd",
		"chr":              "chr", // its feature's: a stale button
		"chr:zz:42":        "chr",
		"nothing:at:all":   "",
		"chrt:42":          "",
		"chr:mp:42:0:junk": "chr:mp",
		"iv:docs":          "iv:docs",
		"iv:doc:permit":    "iv:doc",
		"iv:zz":            "iv",
		"apa:42:1:yes":     "apa", // an action with no sub-action: its own prefix
		"apr:42":           "apr",
		"apc:xn":           "apc:xn",
		"apc:xy:42:2":      "apc:xy",
		"apc:zz:42":        "apc",
	} {
		m := rt.Match(&handlers.Request{Callback: &models.CallbackQuery{Data: data}, CallbackData: data})
		got := ""
		if m.found {
			got = m.route.Callback
		}
		if got != want {
			t.Errorf("%q routed to %q, want %q", data, got, want)
		}
	}
}

// TestMainMenuIsBuiltOncePerRoleAndLanguage: the menu sent with most
// replies is kept, one per role and language, and is the menu a fresh
// build gives; the catalog gives one Localizer per language.
func TestMainMenuIsBuiltOncePerRoleAndLanguage(t *testing.T) {
	t.Parallel()
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	fr, fa := cat.Localizer("fr"), cat.Localizer("fa-AF")
	if cat.Localizer("fr") != fr || cat.Localizer("xx") != cat.Localizer(locales.DefaultTag) {
		t.Fatal("the catalog made a second Localizer for one language")
	}
	rt := NewRouter(routes(handlers.Features{}), cat, nil, nil)
	for _, tc := range []struct {
		role store.Role
		loc  *locales.Localizer
	}{{store.RoleResident, fr}, {store.RoleResident, fa}, {store.RoleStaff, fr}, {store.RoleAdmin, fa}} {
		got := rt.MainMenu(tc.role, tc.loc)
		if again := rt.MainMenu(tc.role, tc.loc); again != got {
			t.Errorf("%s/%s: built again", tc.role, tc.loc.Tag)
		}
		if fresh := rt.mainMenu(tc.role, tc.loc); !reflect.DeepEqual(fresh, got) {
			t.Errorf("%s/%s: kept %+v, a fresh build gives %+v", tc.role, tc.loc.Tag, got, fresh)
		}
	}
	if a, b := rt.MainMenu(store.RoleResident, fr), rt.MainMenu(store.RoleResident, fa); reflect.DeepEqual(a, b) {
		t.Error("French and Dari menus are the same")
	}
	if a, b := rt.MainMenu(store.RoleResident, fr), rt.MainMenu(store.RoleStaff, fr); reflect.DeepEqual(a, b) {
		t.Error("a resident's and a staff member's menus are the same")
	}
}
