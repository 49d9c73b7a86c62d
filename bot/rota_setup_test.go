package bot_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// Helpers of the rota set-up tests (prefix rs).

// rsRotaScreen goes from /residents to the 🧹 screen of the resident found
// by query; the screen is the staff chat's message next+3.
func rsRotaScreen(h *harness, u telegramtest.User, next int, query string) telegramtest.SentMessage {
	h.t.Helper()
	return h.residentAction(u, next, "rota", query)
}

func rsAreaID(h *harness, name string) int64 {
	h.t.Helper()
	var id int64
	if err := h.pool.QueryRow(context.Background(), `SELECT id FROM chore_areas WHERE name = $1`, name).Scan(&id); err != nil {
		h.t.Fatal(err)
	}
	return id
}

// rsLine is an area's line as staff see it in /areas.
func rsLine(loc *locales.Localizer, id, name string, monday time.Time, days []int, start, end string) string {
	var names string
	for i, d := range days {
		if i > 0 {
			names += ", "
		}
		names += loc.F.Weekday(monday.AddDate(0, 0, d-1))
	}
	return loc.T(id, "Name", name, "Days", names, "Start", start, "End", end)
}

// Staff put a resident on the cleaning rota from the 🏠 menu: the Monday
// job then gives him turns. Taken off, he keeps his past turns and the next
// week made gives him none. A forged button changes nothing.
func TestRotaSetupMemberOnAndOff(t *testing.T) {
	t.Parallel()
	h := choreHarness(t)
	fr := h.loc("fr")
	staffU := telegramtest.User{ID: 46001, LanguageCode: "fr"}
	ahmadU := telegramtest.User{ID: 46002, LanguageCode: "fa"}
	jeanU := telegramtest.User{ID: 46003, LanguageCode: "fr"}
	staff, n := h.signUp(staffU, store.RoleStaff, "Claire D.", "fr")
	ahmad, _ := h.signUp(ahmadU, store.RoleResident, "Ahmad K.", "fa-AF")
	jean, _ := h.signUp(jeanU, store.RoleResident, "Jean B.", "fr")
	choreImport(h, choreAreas+fmt.Sprintf("member,#%d,,,,,,\n", jean.ID))
	id36 := strconv.FormatInt(ahmad.ID, 36)

	// The 🏠 menu has the action; Ahmad is not on the rota.
	screen := rsRotaScreen(h, staffU, n+1, "ahmad")
	if want := fr.T("rotasetup.member_off", "Name", "Ahmad K.", "Room", "214"); screen.Text != want {
		t.Fatalf("rota screen = %q, want %q", screen.Text, want)
	}
	if b := screen.InlineKeyboard[0][0]; b.Text != "➕ L'ajouter au planning" || b.CallbackData != "resident:rm:"+id36+":1" {
		t.Fatalf("rota button = %+v", b)
	}
	// A forged button (take off a resident who is not on) changes nothing.
	h.tg.PressButton(staffU, screen.ID, "resident:rm:"+id36+":0")
	if got := h.waitText(staffU, n+5).Text; got != "Ce bouton n'est plus valable." {
		t.Fatalf("forged = %q", got)
	}
	h.tg.PressButton(staffU, screen.ID, "resident:rm:"+strconv.FormatInt(jean.ID, 36)+":1")
	if got := h.waitText(staffU, n+6).Text; got != "Ce bouton n'est plus valable." {
		t.Fatalf("forged other resident = %q", got)
	}
	if c := h.count(`SELECT count(*) FROM chore_members WHERE person_id = $1`, ahmad.ID); c != 0 {
		t.Fatalf("forged button wrote %d member rows", c)
	}
	h.tg.PressButton(staffU, screen.ID, "resident:rm:"+id36+":1")
	confirm := h.waitText(staffU, n+7)
	if want := fr.T("rotasetup.confirm_on", "Name", "Ahmad K.", "Room", "214"); confirm.Text != want {
		t.Fatalf("confirm = %q", confirm.Text)
	}
	h.tg.PressButton(staffU, confirm.ID, "resident:ok")
	if got, want := h.waitText(staffU, n+8).Text, fr.T("rotasetup.saved_on", "Name", "Ahmad K.", "Room", "214"); got != want {
		t.Fatalf("saved = %q, want %q", got, want)
	}
	if c := h.count(`SELECT count(*) FROM chore_members WHERE person_id = $1 AND active`, ahmad.ID); c != 1 {
		t.Fatalf("member rows = %d", c)
	}
	if c := h.count(`SELECT count(*) FROM audit_log WHERE action = 'chores.member_on' AND actor_id = $1 AND subject_id = $2`,
		staff.ID, ahmad.ID); c != 1 {
		t.Fatalf("audit member_on = %d", c)
	}

	// The Monday job gives him turns.
	mon := choreMonday(h)
	week := func(n int) time.Time { return storetest.Date(choreDay(mon, 7*n, 12, 0)) }
	h.setClock(mon)
	choreRunWeekly(h, choreWeek(mon))
	if c := h.count(`SELECT count(*) FROM chore_turns WHERE person_id = $1 AND week_start = $2`, ahmad.ID, week(0)); c == 0 {
		t.Fatal("no turn for the resident put on the rota")
	}

	// Taken off: the confirmation says his planned turns wait for /rota.
	screen = rsRotaScreen(h, staffU, n+9, "ahmad")
	if want := fr.T("rotasetup.member_on", "Name", "Ahmad K.", "Room", "214"); screen.Text != want {
		t.Fatalf("rota screen = %q", screen.Text)
	}
	h.tg.PressButton(staffU, screen.ID, screen.InlineKeyboard[0][0].CallbackData)
	confirm = h.waitText(staffU, n+13)
	if want := fr.T("rotasetup.confirm_off", "Name", "Ahmad K.", "Room", "214"); confirm.Text != want {
		t.Fatalf("confirm off = %q", confirm.Text)
	}
	h.tg.PressButton(staffU, confirm.ID, "resident:ok")
	if got, want := h.waitText(staffU, n+14).Text, fr.T("rotasetup.saved_off", "Name", "Ahmad K.", "Room", "214"); got != want {
		t.Fatalf("saved off = %q", got)
	}
	// The old confirmation pressed again changes nothing more.
	h.tg.PressButton(staffU, confirm.ID, "resident:ok")
	if got := h.waitText(staffU, n+15).Text; got != "Ce bouton n'est plus valable." {
		t.Fatalf("old confirm = %q", got)
	}
	if c := h.count(`SELECT count(*) FROM audit_log WHERE action = 'chores.member_off' AND subject_id = $1`, ahmad.ID); c != 1 {
		t.Fatalf("audit member_off = %d", c)
	}
	past := h.count(`SELECT count(*) FROM chore_turns WHERE person_id = $1 AND week_start = $2`, ahmad.ID, week(0))

	h.setClock(choreDay(mon, 7, 8, 0))
	choreRunWeekly(h, choreWeek(choreDay(mon, 7, 8, 0)))
	if c := h.count(`SELECT count(*) FROM chore_turns WHERE person_id = $1 AND week_start = $2`, ahmad.ID, week(2)); c != 0 {
		t.Fatalf("%d turns for a resident off the rota", c)
	}
	if c := h.count(`SELECT count(*) FROM chore_turns WHERE person_id = $1 AND week_start = $2`, jean.ID, week(2)); c != 3 {
		t.Fatalf("the rota's other resident has %d turns, want 3", c)
	}
	if c := h.count(`SELECT count(*) FROM chore_turns WHERE person_id = $1 AND week_start = $2`, ahmad.ID, week(0)); c != past || c == 0 {
		t.Fatalf("past turns %d, were %d", c, past)
	}
}

// Staff list the areas with /areas, stop one, and add one with its days
// and time window; bad times are refused and nothing is written until
// confirmed; the Monday job then makes its turns. A resident cannot.
func TestRotaSetupAreas(t *testing.T) {
	t.Parallel()
	h := choreHarness(t)
	en := h.loc("en")
	staffU := telegramtest.User{ID: 46101, LanguageCode: "en"}
	samiU := telegramtest.User{ID: 46102, LanguageCode: "en"}
	staff, n := h.signUp(staffU, store.RoleStaff, "Claire D.", "en")
	sami, ns := h.signUp(samiU, store.RoleResident, "Sami A.", "en")
	choreImport(h, choreAreas+fmt.Sprintf("member,#%d,,,,,,\n", sami.ID))
	kitchen, yard := rsAreaID(h, "Kitchen floor 2"), rsAreaID(h, "Courtyard")
	k36, y36 := strconv.FormatInt(kitchen, 36), strconv.FormatInt(yard, 36)
	mon := choreMonday(h)
	monday := choreDay(mon, 0, 12, 0)
	at := func(hh, mm int) string { return en.F.Time(choreDay(mon, 0, hh, mm)) }

	// A resident is refused, by command and by button.
	h.tg.SendText(samiU, "/areas")
	refused := h.waitText(samiU, ns+1)
	if refused.Text != "⛔ Sorry, this is only for the centre's staff." {
		t.Fatalf("resident /areas = %q", refused.Text)
	}
	upd := h.tg.PressButton(samiU, refused.ID, "ars:t:"+k36+":0")
	h.tg.WaitFor(t, 10*time.Second, "the forbidden button's answer", func() bool {
		text, ok := h.tg.CallbackAnswer(upd)
		return ok && text == "⛔ Sorry, this is only for the centre's staff."
	})

	h.tg.SendText(staffU, "/areas")
	list := h.waitText(staffU, n+1)
	if want := "🧹 The cleaning areas of the centre:" +
		"\n" + rsLine(en, "rotasetup.area_line_on", "Kitchen floor 2", monday, []int{1, 4}, at(18, 0), at(20, 0)) +
		"\n" + rsLine(en, "rotasetup.area_line_on", "Courtyard", monday, []int{3}, at(10, 0), at(12, 0)) +
		"\n\n" + "Press an area to stop it or use it again, or add a new one."; list.Text != want {
		t.Fatalf("/areas =\n%s\nwant\n%s", list.Text, want)
	}
	if got, want := enrLabels(list), "🧹 Kitchen floor 2 | 🧹 Courtyard\n"+"➕ New area"; got != want {
		t.Fatalf("/areas buttons =\n%s", got)
	}

	// Stop using the courtyard.
	h.tg.PressButton(staffU, list.ID, "ars:a:"+y36)
	area := h.waitText(staffU, n+2)
	if b := area.InlineKeyboard[0][0]; b.Text != "⏸ Stop using" || b.CallbackData != "ars:t:"+y36+":0" {
		t.Fatalf("area button = %+v", b)
	}
	h.tg.PressButton(staffU, area.ID, "ars:t:"+y36+":0")
	if got := h.waitText(staffU, n+3).Text; got != en.T("rotasetup.area_stopped", "Name", "Courtyard") {
		t.Fatalf("stopped = %q", got)
	}
	if c := h.count(`SELECT count(*) FROM chore_areas WHERE id = $1 AND NOT active`, yard); c != 1 {
		t.Fatal("courtyard still in use")
	}
	if c := h.count(`SELECT count(*) FROM audit_log WHERE action = 'chores.area_off' AND actor_id = $1`, staff.ID); c != 1 {
		t.Fatalf("audit area_off = %d", c)
	}

	// Forged or stale buttons change nothing.
	next := n + 4
	for _, data := range []string{"ars:t:" + y36 + ":0", "ars:t:zzzz:1", "ars:t:" + k36 + ":2", "ars:d:3", "ars:ok"} {
		h.tg.PressButton(staffU, area.ID, data)
		if got := h.waitText(staffU, next).Text; got != "This button is not valid any more." {
			t.Fatalf("%s: %q", data, got)
		}
		next++
	}
	if c := h.count(`SELECT count(*) FROM chore_areas WHERE active`); c != 1 {
		t.Fatalf("%d areas in use after forged buttons", c)
	}

	// A new area.
	h.tg.PressButton(staffU, list.ID, "ars:n")
	if got := h.waitText(staffU, next).Text; got != "➕ New cleaning area. Type its name, for example: Kitchen 2nd floor" {
		t.Fatalf("ask name = %q", got)
	}
	h.tg.SendText(staffU, "  Laundry   room ")
	days := h.waitText(staffU, next+1)
	if days.Text != en.T("rotasetup.ask_days", "Name", "Laundry room") || len(days.InlineKeyboard) != 5 {
		t.Fatalf("ask days = %q %s", days.Text, enrLabels(days))
	}
	h.tg.PressButton(staffU, days.ID, "ars:dok")
	if got := h.waitText(staffU, next+2).Text; got != "❌ Choose at least one day, then press ✅." {
		t.Fatalf("no days = %q", got)
	}
	for _, d := range []string{"2", "6", "4", "4"} {
		h.tg.PressButton(staffU, days.ID, "ars:d:"+d)
	}
	h.tg.WaitFor(t, 10*time.Second, "the days chosen", func() bool {
		m, _ := h.tg.Message(staffU.ID, days.ID)
		return len(m.InlineKeyboard) == 5 && m.InlineKeyboard[0][1].Text == "☑️ Tuesday" &&
			m.InlineKeyboard[2][1].Text == "☑️ Saturday" && m.InlineKeyboard[1][1].Text == "⬜ Thursday"
	})
	h.tg.PressButton(staffU, days.ID, "ars:dok")
	if got := h.waitText(staffU, next+3).Text; got != en.T("rotasetup.ask_start", "Example", at(18, 0)) {
		t.Fatalf("ask start = %q", got)
	}
	h.tg.SendText(staffU, "25:00")
	if got := h.waitText(staffU, next+4).Text; got != "❌ This is not a time. Type it like 14:00." {
		t.Fatalf("bad time = %q", got)
	}
	h.tg.SendText(staffU, "18h")
	if got := h.waitText(staffU, next+5).Text; got != en.T("rotasetup.ask_end", "Example", at(20, 0)) {
		t.Fatalf("ask end = %q", got)
	}
	h.tg.SendText(staffU, "17:30")
	if got := h.waitText(staffU, next+6).Text; got != en.T("announce.bad_time_order", "From", at(18, 0)) {
		t.Fatalf("end before start = %q", got)
	}
	h.tg.SendText(staffU, "۲۰:۳۰")
	confirm := h.waitText(staffU, next+7)
	if want := en.T("rotasetup.confirm_area", "Name", "Laundry room", "Days",
		en.F.Weekday(monday.AddDate(0, 0, 1))+", "+en.F.Weekday(monday.AddDate(0, 0, 5)),
		"Start", at(18, 0), "End", at(20, 30)); confirm.Text != want {
		t.Fatalf("confirm = %q, want %q", confirm.Text, want)
	}
	if c := h.count(`SELECT count(*) FROM chore_areas`); c != 2 {
		t.Fatalf("%d areas before confirming", c)
	}
	h.tg.PressButton(staffU, confirm.ID, "ars:ok")
	if got := h.waitText(staffU, next+8).Text; got != en.T("rotasetup.area_created", "Name", "Laundry room") {
		t.Fatalf("created = %q", got)
	}
	laundry := rsAreaID(h, "Laundry room")
	if c := h.count(`SELECT count(*) FROM chore_areas WHERE id = $1 AND days = '{2,6}' AND window_start = 1080
		AND window_end = 1230 AND active AND external_id = 'staff-' || id`, laundry); c != 1 {
		t.Fatal("new area row not as typed")
	}
	if c := h.count(`SELECT count(*) FROM audit_log WHERE action = 'chores.area_create' AND actor_id = $1`, staff.ID); c != 1 {
		t.Fatalf("audit area_create = %d", c)
	}
	// The same confirmation again writes nothing.
	h.tg.PressButton(staffU, confirm.ID, "ars:ok")
	if got := h.waitText(staffU, next+9).Text; got != "This button is not valid any more." {
		t.Fatalf("second ok = %q", got)
	}
	if c := h.count(`SELECT count(*) FROM chore_areas`); c != 3 {
		t.Fatalf("%d areas", c)
	}

	// The Monday job makes its turns, and none for the stopped courtyard.
	h.setClock(mon)
	choreRunWeekly(h, choreWeek(mon))
	tue, sat := choreDay(mon, 1, 18, 0), choreDay(mon, 5, 18, 0)
	if c := h.count(`SELECT count(*) FROM chore_turns WHERE area_id = $1 AND week_start = $2
		AND ((on_date = $3 AND starts_at = $4 AND ends_at = $5) OR (on_date = $6 AND starts_at = $7))`,
		laundry, storetest.Date(mon), storetest.Date(tue), tue, choreDay(mon, 1, 20, 30), storetest.Date(sat), sat); c != 2 {
		t.Fatalf("new area has %d turns, want 2", c)
	}
	if c := h.count(`SELECT count(*) FROM chore_turns WHERE area_id = $1`, yard); c != 0 {
		t.Fatalf("stopped area has %d turns", c)
	}
}
