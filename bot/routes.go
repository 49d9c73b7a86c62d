package bot

import (
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
)

// public marks a route anyone may use, even someone not signed up.
const public store.Role = ""

// Route binds one way in — a command, a main-menu button, a button's
// callback prefix, or a conversation step — to a handler and the role it
// needs. The role is checked here, on the server, for every update; hiding
// a button is never the protection.
type Route struct {
	Command  string     // "help" for /help
	Menu     string     // message id of the main-menu button, e.g. "menu.help"
	Callback string     // callback data prefix before the first ":", e.g. "lang"
	Step     string     // conversation step prefix before the first ".", e.g. "invite"
	Role     store.Role // least role needed; public for anyone
	Describe string     // message id describing the command in Telegram's menu and /help
	Handler  handlers.Handler
}

// routes is the one route table of cairbot: every command, menu button,
// callback and conversation, with the role it needs.
func routes(h *handlers.Handlers) []Route {
	return []Route{
		{Command: "start", Role: public, Handler: h.Start},
		{Command: "help", Menu: "menu.help", Role: public, Describe: "commands.help", Handler: h.Help},
		{Command: "cancel", Role: public, Describe: "commands.cancel", Handler: h.Cancel},
		{Command: "language", Menu: "menu.language", Role: store.RoleResident, Describe: "commands.language", Handler: h.Language},
		{Callback: "lang", Role: store.RoleResident, Handler: h.LanguagePicked},
		{Command: "mydata", Menu: "menu.mydata", Role: store.RoleResident, Describe: "commands.mydata", Handler: h.MyData},

		{Command: "invite", Menu: "menu.invite", Role: store.RoleStaff, Describe: "commands.invite", Handler: h.InviteStart},
		{Step: "invite", Role: store.RoleStaff, Handler: h.InviteStep},
		{Callback: "inv", Role: store.RoleStaff, Handler: h.InviteButton},

		// chores

		// balance and payments

		// classes and attendance

		// appointments and interviews

		// announcements
	}
}
