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
	// Everyone puts a resident-level menu button in staff menus too; other
	// resident buttons (his chores, his balance…) are only in residents'.
	Everyone bool
	// Last puts a menu button after the role's own ones (help, language).
	Last bool
}

// routes is the one route table of cairbot: every command, menu button,
// callback and conversation, with the role it needs.
func routes(h *handlers.Handlers, rep *handlers.Reports) []Route {
	return []Route{
		{Command: "start", Role: public, Handler: h.Start},
		{Command: "help", Menu: "menu.help", Role: public, Describe: "commands.help", Handler: h.Help, Last: true},
		{Command: "cancel", Role: public, Describe: "commands.cancel", Handler: h.Cancel},
		{Command: "language", Menu: "menu.language", Role: store.RoleResident, Describe: "commands.language", Handler: h.Language, Everyone: true, Last: true},
		{Callback: "lang", Role: store.RoleResident, Handler: h.LanguagePicked},
		{Command: "mydata", Menu: "menu.mydata", Role: store.RoleResident, Describe: "commands.mydata", Handler: h.MyData, Last: true},

		{Command: "invite", Menu: "menu.invite", Role: store.RoleStaff, Describe: "commands.invite", Handler: h.InviteStart},
		{Step: "invite", Role: store.RoleStaff, Handler: h.InviteStep},
		{Callback: "inv", Role: store.RoleStaff, Handler: h.InviteButton},

		// my week: the resident's chores, classes and appointments together
		{Command: "week", Menu: "menu.myweek", Role: store.RoleResident, Describe: "commands.myweek", Handler: h.MyWeek},

		// chores
		{Command: "chores", Menu: "menu.chores", Role: store.RoleResident, Describe: "chores.describe", Handler: h.ChoresShow},
		{Callback: "chd", Role: store.RoleResident, Handler: h.ChoreDone},
		{Callback: "chs", Role: store.RoleResident, Handler: h.ChoreSwapButton},
		{Callback: "chx", Role: store.RoleResident, Handler: h.ChoreSwapAnswer},
		{Command: "rota", Menu: "menu.rota", Role: store.RoleStaff, Describe: "chores.describe_rota", Handler: h.Rota},
		{Callback: "chr", Role: store.RoleStaff, Handler: h.RotaButton},
		{Callback: "cha", Role: store.RoleStaff, Handler: h.ChoreSwapDecision},
		{Command: "areas", Role: store.RoleStaff, Describe: "commands.areas", Handler: h.Areas},
		{Callback: "ars", Role: store.RoleStaff, Handler: h.AreasButton},
		{Step: "areas", Role: store.RoleStaff, Handler: h.AreasStep},

		// balance and payments
		{Command: "balance", Menu: "menu.balance", Role: store.RoleResident, Describe: "commands.balance", Handler: h.Balance},
		{Command: "payment", Menu: "menu.payment", Role: store.RoleStaff, Describe: "commands.payment", Handler: h.PaymentStart},
		{Step: "pay", Role: store.RoleStaff, Handler: h.PaymentStep},
		{Callback: "pay", Role: store.RoleStaff, Handler: h.PaymentButton},
		{Command: "arrears", Role: store.RoleStaff, Describe: "commands.arrears", Handler: h.Arrears},
		{Command: "residents", Menu: "menu.residents", Role: store.RoleStaff, Describe: "commands.residents", Handler: h.ResidentsMenu},
		{Command: "arrive", Role: store.RoleStaff, Handler: h.ResidentArrive},
		{Command: "leave", Role: store.RoleStaff, Handler: h.ResidentLeave},
		{Command: "away", Role: store.RoleStaff, Handler: h.ResidentAway},
		{Command: "back", Role: store.RoleStaff, Handler: h.ResidentBack},
		{Command: "room", Role: store.RoleStaff, Handler: h.ResidentRoom},
		{Command: "contribution", Role: store.RoleStaff, Handler: h.ResidentAmount},
		{Step: "resident", Role: store.RoleStaff, Handler: h.ResidentStep},
		{Callback: "resident", Role: store.RoleStaff, Handler: h.ResidentButton},

		// classes and attendance
		{Command: "classes", Menu: "menu.classes", Role: store.RoleResident, Describe: "commands.classes", Handler: h.Classes},
		{Command: "timetable", Role: store.RoleStaff, Describe: "commands.timetable", Handler: h.Timetable},
		{Step: "tt", Role: store.RoleStaff, Handler: h.TimetableStep},
		{Callback: "tt", Role: store.RoleStaff, Handler: h.TimetableButton},
		{Command: "attendance", Menu: "menu.attendance", Role: store.RoleStaff, Describe: "commands.attendance", Handler: h.AttendanceStart},
		{Callback: "att", Role: store.RoleStaff, Handler: h.AttendanceButton},

		// appointments and interviews
		{Command: "appointments", Menu: "menu.appointments", Role: store.RoleResident, Describe: "commands.appointments", Handler: h.Appointments, Everyone: true},
		{Callback: "apa", Role: store.RoleResident, Handler: h.AppointmentAnswer},
		{Callback: "apr", Role: store.RoleResident, Handler: h.AppointmentReplyButton},
		{Step: "apreply", Role: store.RoleResident, Handler: h.AppointmentReplyStep},
		{Callback: "apc", Role: store.RoleStaff, Handler: h.AppointmentStaffButton},
		{Command: "interview", Menu: "menu.interview", Role: store.RoleCoordinator, Describe: "commands.interview", Handler: h.InterviewStart},
		{Step: "interview", Role: store.RoleCoordinator, Handler: h.InterviewStep},
		{Callback: "iv", Role: store.RoleCoordinator, Handler: h.InterviewButton},
		{Step: "apmsg", Role: store.RoleCoordinator, Handler: h.AppointmentMessageStep},

		// announcements
		{Command: "announce", Menu: "menu.announce", Role: store.RoleStaff, Describe: "commands.announce", Handler: h.AnnounceStart},
		{Step: "announce", Role: store.RoleStaff, Handler: h.AnnounceStep},
		{Callback: "ann", Role: store.RoleStaff, Handler: h.AnnounceButton},
		{Command: "news", Menu: "menu.news", Role: store.RoleResident, Describe: "commands.news", Handler: h.News},

		// figures for the team (CSV and chart in the staff member's own chat)
		{Command: "report", Menu: "menu.report", Role: store.RoleStaff, Describe: "commands.report", Handler: rep.Start},
		{Callback: "rep", Role: store.RoleStaff, Handler: rep.Button},
		{Step: "report", Role: store.RoleStaff, Handler: rep.Step},
	}
}
