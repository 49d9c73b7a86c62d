package bot

import (
	"testing"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/locales"
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
