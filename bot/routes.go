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
	Callback string     // callback data prefix: before the first ":" ("lang"), or an action's first two fields ("chr:w", handlers/callback.go)
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
// callback and conversation, with the role it needs, and the feature that
// handles it. It only takes method values: features left nil give the
// table's commands, buttons and roles without handlers (the menus, tests).
func routes(f handlers.Features) []Route {
	return []Route{
		{Command: "start", Role: public, Handler: f.People.Start},
		{Command: "help", Menu: "menu.help", Role: public, Describe: "commands.help", Handler: f.People.Help, Last: true},
		{Command: "cancel", Role: public, Describe: "commands.cancel", Handler: f.People.Cancel},
		{Command: "language", Menu: "menu.language", Role: store.RoleResident, Describe: "commands.language", Handler: f.People.Language, Everyone: true, Last: true},
		{Callback: "lang", Role: store.RoleResident, Handler: f.People.LanguagePicked},
		{Command: "mydata", Menu: "menu.mydata", Role: store.RoleResident, Describe: "commands.mydata", Handler: f.People.MyData, Last: true},

		{Command: "invite", Menu: "menu.invite", Role: store.RoleStaff, Describe: "commands.invite", Handler: f.People.InviteStart},
		{Step: "invite", Role: store.RoleStaff, Handler: f.People.InviteStep},
		{Callback: "inv", Role: store.RoleStaff, Handler: handlers.StaleButton},
		{Callback: "inv:lang", Role: store.RoleStaff, Handler: f.People.InviteLanguage},
		{Callback: "inv:ok", Role: store.RoleStaff, Handler: f.People.InviteConfirm},
		{Callback: "inv:no", Role: store.RoleStaff, Handler: f.People.InviteCancel},

		// my week: the resident's chores, classes and appointments together
		{Command: "week", Menu: "menu.myweek", Role: store.RoleResident, Describe: "commands.myweek", Handler: f.Week.MyWeek},

		// chores
		{Command: "chores", Menu: "menu.chores", Role: store.RoleResident, Describe: "chores.describe", Handler: f.Chores.ChoresShow},
		{Callback: "chd", Role: store.RoleResident, Handler: f.Chores.ChoreDone},
		{Callback: "chs", Role: store.RoleResident, Handler: handlers.StaleButton},
		{Callback: "chs:t", Role: store.RoleResident, Handler: f.Chores.ChoreSwapAsk},
		{Callback: "chs:pg", Role: store.RoleResident, Handler: f.Chores.ChoreSwapPage},
		{Callback: "chs:p", Role: store.RoleResident, Handler: f.Chores.ChoreSwapTo},
		{Callback: "chx", Role: store.RoleResident, Handler: handlers.StaleButton},
		{Callback: "chx:y", Role: store.RoleResident, Handler: f.Chores.ChoreSwapAccept},
		{Callback: "chx:n", Role: store.RoleResident, Handler: f.Chores.ChoreSwapDecline},
		{Command: "rota", Menu: "menu.rota", Role: store.RoleStaff, Describe: "chores.describe_rota", Handler: f.Rota.Rota},
		{Callback: "chr", Role: store.RoleStaff, Handler: handlers.StaleButton},
		{Callback: "chr:w", Role: store.RoleStaff, Handler: f.Rota.RotaWeek},
		{Callback: "chr:d", Role: store.RoleStaff, Handler: f.Rota.RotaDay},
		{Callback: "chr:rg", Role: store.RoleStaff, Handler: f.Rota.RotaRegenerateAsk},
		{Callback: "chr:rgok", Role: store.RoleStaff, Handler: f.Rota.RotaRegenerate},
		{Callback: "chr:rgno", Role: store.RoleStaff, Handler: f.Rota.RotaRegenerateNo},
		{Callback: "chr:t", Role: store.RoleStaff, Handler: f.Rota.RotaTurn},
		{Callback: "chr:x", Role: store.RoleStaff, Handler: f.Rota.RotaMissed},
		{Callback: "chr:k", Role: store.RoleStaff, Handler: f.Rota.RotaDone},
		{Callback: "chr:mp", Role: store.RoleStaff, Handler: f.Rota.RotaPickPerson},
		{Callback: "chr:mpg", Role: store.RoleStaff, Handler: f.Rota.RotaPickPersonPage},
		{Callback: "chr:mt", Role: store.RoleStaff, Handler: f.Rota.RotaGive},
		{Callback: "chr:md", Role: store.RoleStaff, Handler: f.Rota.RotaPickDay},
		{Callback: "chr:mdd", Role: store.RoleStaff, Handler: f.Rota.RotaMoveToDay},
		{Callback: "cha", Role: store.RoleStaff, Handler: handlers.StaleButton},
		{Callback: "cha:y", Role: store.RoleStaff, Handler: f.Rota.ChoreSwapApprove},
		{Callback: "cha:n", Role: store.RoleStaff, Handler: f.Rota.ChoreSwapRefuse},
		{Command: "areas", Role: store.RoleStaff, Describe: "commands.areas", Handler: f.Rota.Areas},
		{Callback: "ars", Role: store.RoleStaff, Handler: handlers.StaleButton},
		{Callback: "ars:a", Role: store.RoleStaff, Handler: f.Rota.AreaShow},
		{Callback: "ars:t", Role: store.RoleStaff, Handler: f.Rota.AreaToggle},
		{Callback: "ars:n", Role: store.RoleStaff, Handler: f.Rota.AreaNew},
		{Callback: "ars:d", Role: store.RoleStaff, Handler: f.Rota.AreaDay},
		{Callback: "ars:dok", Role: store.RoleStaff, Handler: f.Rota.AreaDaysChosen},
		{Callback: "ars:ok", Role: store.RoleStaff, Handler: f.Rota.AreaSave},
		{Callback: "ars:no", Role: store.RoleStaff, Handler: f.Rota.AreaCancel},
		{Step: "areas", Role: store.RoleStaff, Handler: f.Rota.AreasStep},

		// balance and payments
		{Command: "balance", Menu: "menu.balance", Role: store.RoleResident, Describe: "commands.balance", Handler: f.Money.Balance},
		{Command: "payment", Menu: "menu.payment", Role: store.RoleStaff, Describe: "commands.payment", Handler: f.Money.PaymentStart},
		{Step: "pay", Role: store.RoleStaff, Handler: f.Money.PaymentStep},
		{Callback: "pay", Role: store.RoleStaff, Handler: handlers.StaleButton},
		{Callback: "pay:p", Role: store.RoleStaff, Handler: f.Money.PaymentPick},
		{Callback: "pay:ok", Role: store.RoleStaff, Handler: f.Money.PaymentConfirm},
		{Callback: "pay:no", Role: store.RoleStaff, Handler: f.Money.PaymentCancel},
		{Command: "arrears", Role: store.RoleStaff, Describe: "commands.arrears", Handler: f.Money.Arrears},
		{Command: "residents", Menu: "menu.residents", Role: store.RoleStaff, Describe: "commands.residents", Handler: f.Residents.ResidentsMenu},
		{Command: "arrive", Role: store.RoleStaff, Handler: f.Residents.ResidentArrive},
		{Command: "leave", Role: store.RoleStaff, Handler: f.Residents.ResidentLeave},
		{Command: "away", Role: store.RoleStaff, Handler: f.Residents.ResidentAway},
		{Command: "back", Role: store.RoleStaff, Handler: f.Residents.ResidentBack},
		{Command: "room", Role: store.RoleStaff, Handler: f.Residents.ResidentRoom},
		{Command: "contribution", Role: store.RoleStaff, Handler: f.Residents.ResidentAmount},
		{Step: "resident", Role: store.RoleStaff, Handler: f.Residents.ResidentStep},
		{Callback: "resident", Role: store.RoleStaff, Handler: handlers.StaleButton},
		{Callback: "resident:a", Role: store.RoleStaff, Handler: f.Residents.ResidentActButton},
		{Callback: "resident:p", Role: store.RoleStaff, Handler: f.Residents.ResidentPick},
		{Callback: "resident:today", Role: store.RoleStaff, Handler: f.Residents.ResidentToday},
		{Callback: "resident:b", Role: store.RoleStaff, Handler: f.Residents.ResidentBasisButton},
		{Callback: "resident:g", Role: store.RoleStaff, Handler: f.Residents.ResidentGroup},
		{Callback: "resident:x", Role: store.RoleStaff, Handler: f.Residents.ResidentLeaveGroup},
		{Callback: "resident:h", Role: store.RoleStaff, Handler: f.Residents.ResidentHours},
		{Callback: "resident:rm", Role: store.RoleStaff, Handler: f.Residents.ResidentRotaMember},
		{Callback: "resident:ok", Role: store.RoleStaff, Handler: f.Residents.ResidentSave},
		{Callback: "resident:no", Role: store.RoleStaff, Handler: f.Residents.ResidentCancel},

		// classes and attendance
		{Command: "classes", Menu: "menu.classes", Role: store.RoleResident, Describe: "commands.classes", Handler: f.Classes.Classes},
		{Command: "timetable", Role: store.RoleStaff, Describe: "commands.timetable", Handler: f.Classes.Timetable},
		{Step: "tt", Role: store.RoleStaff, Handler: f.Classes.TimetableStep},
		{Callback: "tt", Role: store.RoleStaff, Handler: handlers.StaleButton},
		{Callback: "tt:o", Role: store.RoleStaff, Handler: f.Classes.TimetableOpen},
		{Callback: "tt:c", Role: store.RoleStaff, Handler: f.Classes.TimetableCancel},
		{Callback: "tt:m", Role: store.RoleStaff, Handler: f.Classes.TimetableMove},
		{Callback: "tt:r", Role: store.RoleStaff, Handler: f.Classes.TimetableRestore},
		{Callback: "tt:d", Role: store.RoleStaff, Handler: f.Classes.TimetableDay},
		{Callback: "tt:keep", Role: store.RoleStaff, Handler: f.Classes.TimetableKeep},
		{Callback: "tt:yes", Role: store.RoleStaff, Handler: f.Classes.TimetableYes},
		{Callback: "tt:no", Role: store.RoleStaff, Handler: f.Classes.TimetableNo},
		{Command: "attendance", Menu: "menu.attendance", Role: store.RoleStaff, Describe: "commands.attendance", Handler: f.Attendance.AttendanceStart},
		{Callback: "att", Role: store.RoleStaff, Handler: handlers.StaleButton},
		{Callback: "att:e", Role: store.RoleStaff, Handler: f.Attendance.AttendanceEarlier},
		{Callback: "att:o", Role: store.RoleStaff, Handler: f.Attendance.AttendanceOpen},
		{Callback: "att:t", Role: store.RoleStaff, Handler: f.Attendance.AttendanceTap},
		{Callback: "att:p", Role: store.RoleStaff, Handler: f.Attendance.AttendancePage},
		{Callback: "att:s", Role: store.RoleStaff, Handler: f.Attendance.AttendanceSave},

		// appointments and interviews
		{Command: "appointments", Menu: "menu.appointments", Role: store.RoleResident, Describe: "commands.appointments", Handler: f.Appointments.Appointments, Everyone: true},
		{Callback: "apa", Role: store.RoleResident, Handler: f.Appointments.AppointmentAnswer},
		{Callback: "apr", Role: store.RoleResident, Handler: f.Appointments.AppointmentReplyButton},
		{Step: "apreply", Role: store.RoleResident, Handler: f.Appointments.AppointmentReplyStep},
		{Callback: "apc", Role: store.RoleStaff, Handler: handlers.StaleButton},
		{Callback: "apc:d", Role: store.RoleStaff, Handler: f.Appointments.AppointmentDetail},
		{Callback: "apc:m", Role: store.RoleStaff, Handler: f.Appointments.AppointmentMessage},
		{Callback: "apc:mv", Role: store.RoleStaff, Handler: f.Appointments.AppointmentReschedule},
		{Callback: "apc:x", Role: store.RoleStaff, Handler: f.Appointments.AppointmentCancelAsk},
		{Callback: "apc:xy", Role: store.RoleStaff, Handler: f.Appointments.AppointmentCancel},
		{Callback: "apc:xn", Role: store.RoleStaff, Handler: f.Appointments.AppointmentCancelKept},
		{Command: "interview", Menu: "menu.interview", Role: store.RoleCoordinator, Describe: "commands.interview", Handler: f.Appointments.InterviewStart},
		{Step: "interview", Role: store.RoleCoordinator, Handler: f.Appointments.InterviewStep},
		{Callback: "iv", Role: store.RoleCoordinator, Handler: handlers.StaleButton},
		{Callback: "iv:p", Role: store.RoleCoordinator, Handler: f.Appointments.InterviewPickPerson},
		{Callback: "iv:k", Role: store.RoleCoordinator, Handler: f.Appointments.InterviewKind},
		{Callback: "iv:d", Role: store.RoleCoordinator, Handler: f.Appointments.InterviewDay},
		{Callback: "iv:t", Role: store.RoleCoordinator, Handler: f.Appointments.InterviewTime},
		{Callback: "iv:doc", Role: store.RoleCoordinator, Handler: f.Appointments.InterviewToggleDoc},
		{Callback: "iv:docs", Role: store.RoleCoordinator, Handler: f.Appointments.InterviewDocsDone},
		{Callback: "iv:send", Role: store.RoleCoordinator, Handler: f.Appointments.InterviewSend},
		{Callback: "iv:no", Role: store.RoleCoordinator, Handler: f.Appointments.InterviewNo},
		{Step: "apmsg", Role: store.RoleCoordinator, Handler: f.Appointments.AppointmentMessageStep},

		// announcements
		{Command: "announce", Menu: "menu.announce", Role: store.RoleStaff, Describe: "commands.announce", Handler: f.Announcements.AnnounceStart},
		{Step: "announce", Role: store.RoleStaff, Handler: f.Announcements.AnnounceStep},
		{Callback: "ann", Role: store.RoleStaff, Handler: handlers.StaleButton},
		{Callback: "ann:cancel", Role: store.RoleStaff, Handler: f.Announcements.AnnounceCancel},
		{Callback: "ann:aud", Role: store.RoleStaff, Handler: f.Announcements.AnnounceAudience},
		{Callback: "ann:floor", Role: store.RoleStaff, Handler: f.Announcements.AnnounceFloor},
		{Callback: "ann:lang", Role: store.RoleStaff, Handler: f.Announcements.AnnounceLanguage},
		{Callback: "ann:class", Role: store.RoleStaff, Handler: f.Announcements.AnnounceClass},
		{Callback: "ann:tpl", Role: store.RoleStaff, Handler: f.Announcements.AnnounceTemplate},
		{Callback: "ann:free", Role: store.RoleStaff, Handler: f.Announcements.AnnounceFree},
		{Callback: "ann:date", Role: store.RoleStaff, Handler: f.Announcements.AnnounceDate},
		{Callback: "ann:place", Role: store.RoleStaff, Handler: f.Announcements.AnnouncePlace},
		{Callback: "ann:send", Role: store.RoleStaff, Handler: f.Announcements.AnnounceSend},
		{Callback: "ann:addv", Role: store.RoleStaff, Handler: f.Announcements.AnnounceAddVersion},
		{Callback: "ann:vlang", Role: store.RoleStaff, Handler: f.Announcements.AnnounceVersionLanguage},
		{Command: "news", Menu: "menu.news", Role: store.RoleResident, Describe: "commands.news", Handler: f.Announcements.News},

		// figures for the team (CSV and chart in the staff member's own chat)
		{Command: "report", Menu: "menu.report", Role: store.RoleStaff, Describe: "commands.report", Handler: f.Reports.Start},
		{Callback: "rep", Role: store.RoleStaff, Handler: handlers.StaleButton},
		{Callback: "rep:k", Role: store.RoleStaff, Handler: f.Reports.KindButton},
		{Callback: "rep:p", Role: store.RoleStaff, Handler: f.Reports.PeriodButton},
		{Step: "report", Role: store.RoleStaff, Handler: f.Reports.Step},
	}
}
