package bot

import (
	"strings"
	"sync"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// Router finds the route of a request.
type Router struct {
	routes    []Route
	commands  map[string]Route
	callbacks map[string]Route
	steps     map[string]Route
	// menuText maps each menu button's text, in every language, to its
	// route: a resident who switched language may still press an old
	// keyboard.
	menuText map[string]Route
	catalog  *locales.Catalog
	// menus holds each role's main menu in each language, built when first
	// shown: it is sent with most replies and depends on nothing else.
	menus sync.Map // menuKey → *models.ReplyKeyboardMarkup
	// fallback handles text that matches nothing; stranger handles text
	// from someone not signed up.
	fallback, stranger handlers.Handler
}

// NewRouter indexes the route table.
func NewRouter(table []Route, catalog *locales.Catalog, fallback, stranger handlers.Handler) *Router {
	rt := &Router{
		routes: table, catalog: catalog, fallback: fallback, stranger: stranger,
		commands: map[string]Route{}, callbacks: map[string]Route{}, steps: map[string]Route{}, menuText: map[string]Route{},
	}
	for _, r := range table {
		if r.Command != "" {
			rt.commands[r.Command] = r
		}
		if r.Callback != "" {
			rt.callbacks[r.Callback] = r
		}
		if r.Step != "" {
			rt.steps[r.Step] = r
		}
		if r.Menu != "" {
			for _, l := range locales.Languages {
				rt.menuText[normalizeButton(catalog.Localizer(l.Tag).T(r.Menu))] = r
			}
			for _, old := range formerMenuLabels[r.Menu] {
				if _, taken := rt.menuText[normalizeButton(old)]; !taken {
					rt.menuText[normalizeButton(old)] = r
				}
			}
		}
	}
	return rt
}

// formerMenuLabels are menu button texts that were shortened (December
// 2026, at most 16 characters): Telegram keeps a resident's keyboard until
// the bot sends a new one, so a press of the old text still works.
var formerMenuLabels = map[string][]string{
	"menu.invite":    {"✉️ Nouveau résident"},
	"menu.rota":      {"📋 Planning ménage", "📋 Jadwalka nadiifinta", "📋 পরিষ্কারের তালিকা"},
	"menu.balance":   {"💶 Ma participation", "💶 My contribution", "💶 Qaybtayda bishii", "💶 زما میاشتنۍ ونډه", "💶 میرا ماہانہ حصہ"},
	"menu.classes":   {"📚 Cours de français", "📚 Fasalka Faransiiska", "📚 Французский язык", "📚 Fransızca dersleri"},
	"menu.interview": {"🗓️ Nouvel entretien", "🗓️ নতুন অ্যাপয়েন্টমেন্ট"},
}

func normalizeButton(s string) string {
	return strings.TrimSpace(locales.StripBidi(s))
}

// kind tells the error middleware how a route was reached.
type match struct {
	route Route
	found bool
	// resets is true for commands and menu buttons: choosing something
	// new leaves the conversation the user was in.
	resets bool
}

// Match finds the route for a request.
func (rt *Router) Match(r *handlers.Request) match {
	switch {
	case r.Callback != nil:
		// An action's own route ("chr:w") comes before its feature's
		// ("lang"); data of neither is a stale button.
		prefix, rest, _ := strings.Cut(r.CallbackData, ":")
		action, _, _ := strings.Cut(rest, ":")
		if route, ok := rt.callbacks[prefix+":"+action]; ok {
			return match{route: route, found: true}
		}
		route, ok := rt.callbacks[prefix]
		return match{route: route, found: ok}
	case r.Command != "":
		route, ok := rt.commands[r.Command]
		return match{route: route, found: ok, resets: ok && r.Command != "help"}
	}
	if route, ok := rt.menuText[normalizeButton(r.Text)]; ok {
		return match{route: route, found: true, resets: true}
	}
	if r.Conv != nil {
		prefix, _, _ := strings.Cut(r.Conv.Step, ".")
		if route, ok := rt.steps[prefix]; ok {
			return match{route: route, found: true}
		}
	}
	if r.Person == nil {
		return match{route: Route{Role: public, Handler: rt.stranger}, found: true}
	}
	return match{route: Route{Role: store.RoleResident, Handler: rt.fallback}, found: true}
}

// MainMenu is the reply keyboard of a role: the role's own buttons first,
// then the ones everybody has (help, language), two a row, each with its
// emoji. Staff do not get a resident's personal buttons (his chores, his
// balance), which would show them nothing.
// The keyboard returned is shared: nothing may change it.
func (rt *Router) MainMenu(role store.Role, loc *locales.Localizer) *models.ReplyKeyboardMarkup {
	// Keyed by the Localizer itself, which the catalog makes once a
	// language: a Localizer of another catalog (a test's) is its own key.
	key := menuKey{role, loc}
	if m, ok := rt.menus.Load(key); ok {
		return m.(*models.ReplyKeyboardMarkup)
	}
	m, _ := rt.menus.LoadOrStore(key, rt.mainMenu(role, loc))
	return m.(*models.ReplyKeyboardMarkup)
}

type menuKey struct {
	role store.Role
	loc  *locales.Localizer
}

func (rt *Router) mainMenu(role store.Role, loc *locales.Localizer) *models.ReplyKeyboardMarkup {
	var buttons []models.KeyboardButton
	for _, last := range []bool{false, true} {
		for _, r := range rt.routes {
			if r.Menu == "" || r.Last != last || !allowed(role, r.Role) {
				continue
			}
			if role != store.RoleResident && r.Role == store.RoleResident && !r.Everyone {
				continue
			}
			buttons = append(buttons, models.KeyboardButton{Text: loc.T(r.Menu)})
		}
	}
	var rows [][]models.KeyboardButton
	for i := 0; i < len(buttons); i += 2 {
		rows = append(rows, buttons[i:min(i+2, len(buttons))])
	}
	return &models.ReplyKeyboardMarkup{Keyboard: rows, ResizeKeyboard: true, IsPersistent: true}
}

// Commands lists the commands of a role with descriptions in loc's
// language, for setMyCommands and /help.
func (rt *Router) Commands(role store.Role, loc *locales.Localizer) []models.BotCommand {
	var out []models.BotCommand
	for _, r := range rt.routes {
		if r.Command == "" || r.Describe == "" || !allowed(role, r.Role) {
			continue
		}
		if role != store.RoleResident && r.Role == store.RoleResident && !r.Everyone {
			continue
		}
		out = append(out, models.BotCommand{Command: r.Command, Description: loc.T(r.Describe)})
	}
	return out
}

// allowed reports whether a person of role may use a route needing need.
func allowed(role store.Role, need store.Role) bool {
	return need == public || role.AtLeast(need)
}
