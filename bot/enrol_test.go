package bot_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// Helpers of the class-group tests (prefix enr).

func enrGroupID(h *harness, centreID int64, ext string) int64 {
	h.t.Helper()
	var id int64
	if err := h.pool.QueryRow(context.Background(), `SELECT id FROM class_groups WHERE centre_id = $1 AND external_id = $2`,
		centreID, ext).Scan(&id); err != nil {
		h.t.Fatal(err)
	}
	return id
}

func id36(n int64) string { return strconv.FormatInt(n, 36) }

// enrOpen goes from /residents to the class-group screen of the resident
// found by query; the screen is the staff chat's message next+3.
func enrOpen(h *harness, u telegramtest.User, next int, query string) telegramtest.SentMessage {
	h.t.Helper()
	return h.residentAction(u, next, "class", query)
}

// enrLabels lists a message's button labels, one row per line.
func enrLabels(m telegramtest.SentMessage) string {
	var rows []string
	for _, row := range m.InlineKeyboard {
		var labels []string
		for _, b := range row {
			labels = append(labels, b.Text)
		}
		rows = append(rows, strings.Join(labels, " | "))
	}
	return strings.Join(rows, "\n")
}

// Staff put a Dari-reading resident in a class group from the 🏠 menu,
// then change his hours, then take him out. He is told each time in Dari;
// /classes follows; once out, the group's reminder no longer reaches him
// while it still reaches the others; his attendance stays; every change
// is audited.
func TestEnrolResidentChangeHoursAndUnenrol(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	friday := clsFriday(h)
	fr, fa := h.loc("fr"), h.loc("fa-AF")
	staffU := telegramtest.User{ID: 39001, LanguageCode: "fr"}
	staff, n := h.signUp(staffU, store.RoleStaff, "Claire D.", "fr")
	ahmadU := telegramtest.User{ID: 39002, LanguageCode: "fa"}
	ahmad, na := h.signUp(ahmadU, store.RoleResident, "Ahmad K.", "fa-AF")
	samiU := telegramtest.User{ID: 39003, LanguageCode: "en"}
	sami, ns := h.signUp(samiU, store.RoleResident, "Sami A.", "en")
	if _, err := h.pool.Exec(ctx, `UPDATE people SET room = '305' WHERE id = $1`, sami.ID); err != nil {
		t.Fatal(err)
	}
	clsExternalID(h, sami, "R-2")
	clsImport(h, clsGroups+"enrolment,,G-A1M,,,,,,,,R-2,200\n")

	// The 🏠 menu has the new action.
	h.tg.SendText(staffU, "🏠 Résidents")
	menu := h.waitText(staffU, n+1)
	if menu.InlineKeyboard[len(menu.InlineKeyboard)-1][0].Text != "📚 Groupe de cours" || "📚 Groupe de cours" != "📚 Groupe de cours" {
		t.Fatalf("residents menu = %s", enrLabels(menu))
	}
	h.tg.PressButton(staffU, menu.ID, "resident:a:class")
	if got := h.waitText(staffU, n+2).Text; got != "🔍 Quel résident ? Écrivez son nom ou son numéro de chambre." {
		t.Fatalf("ask who = %q", got)
	}
	h.tg.SendText(staffU, "ahmad")
	pick := h.waitText(staffU, n+3)
	h.tg.PressButton(staffU, pick.ID, pick.InlineKeyboard[0][0].CallbackData)
	screen := h.waitText(staffU, n+4)
	if want := fr.T("enrol.title", "Name", "Ahmad K.", "Room", "214") + "\n" + "Il n'est encore dans aucun groupe." + "\n\n" +
		"Appuyez sur 📚 pour le mettre dans un groupe, sur ✅ pour changer ses heures, sur ➖ pour le retirer d'un groupe."; screen.Text != want {
		t.Fatalf("groups screen =\n%s\nwant\n%s", screen.Text, want)
	}
	if got, want := enrLabels(screen), "📚 A1 · A1 matin\n📚 A1 · A1 samedi\n📚 B1 · B1 soir\n"+"❌ Annuler"; got != want {
		t.Fatalf("group buttons =\n%s\nwant\n%s", got, want)
	}
	clsPress(h, staffU, screen.ID, "📚 A1 · A1 matin")
	ask := h.waitText(staffU, n+5)
	if want := fr.T("enrol.ask_hours", "Name", "Ahmad K.", "Group", "A1 matin", "Level", "A1"); ask.Text != want {
		t.Fatalf("ask hours = %q, want %q", ask.Text, want)
	}
	if got, want := enrLabels(ask), "⏱ 100 heures | ⏱ 200 heures\n⏱ 400 heures | ⏱ 600 heures\n"+"❌ Annuler"; got != want {
		t.Fatalf("hour buttons =\n%s", got)
	}
	for _, b := range ask.InlineKeyboard[0] {
		if len(b.CallbackData) > 64 {
			t.Fatalf("callback data over 64 bytes: %q", b.CallbackData)
		}
	}
	clsPress(h, staffU, ask.ID, "⏱ 200 heures")
	confirm := h.waitText(staffU, n+6)
	if confirm.Text != "Vérifiez : Ahmad K. (chambre 214) entre dans le groupe de cours de français A1 matin (A1) avec 200 heures. Enregistrer ?" {
		t.Fatalf("confirm = %q", confirm.Text)
	}
	if c := h.count(`SELECT count(*) FROM class_enrolments WHERE person_id = $1`, ahmad.ID); c != 0 {
		t.Fatal("enrolled before the confirmation")
	}
	h.tg.PressButton(staffU, confirm.ID, "resident:ok")
	if got := h.waitText(staffU, n+7).Text; got != fr.T("enrol.done_told", "Name", "Ahmad K.") {
		t.Fatalf("done = %q", got)
	}
	notice := h.waitText(ahmadU, na+1).Text
	if want := fa.T("enrol.notice_in", "Group", "A1 matin", "Level", "A1", "Hours", fa.F.Number(200)); notice != want {
		t.Fatalf("Ahmad was told %q, want %q", notice, want)
	}
	if !strings.Contains(notice, "۲۰۰") || !strings.Contains(notice, "گروپ صنف زبان فرانسوی") {
		t.Fatalf("the notice is not in Dari with Dari digits: %q", notice)
	}
	if c := h.count(`SELECT count(*) FROM class_enrolments WHERE person_id = $1 AND prescribed_hours = 200`, ahmad.ID); c != 1 {
		t.Fatal("enrolment not stored")
	}

	// /classes now shows the group's classes and his hours.
	h.tg.SendText(ahmadU, "/classes")
	at := func(days, hh, mm int) time.Time { return storetest.Day(friday, days, hh, mm) }
	line := func(start, end time.Time, room string) string {
		return fa.T("classes.line", "Day", fa.F.Date(start), "Start", fa.F.Time(start), "End", fa.F.Time(end),
			"Group", "A1 matin", "Room", room, "Teacher", "Marie Dupont")
	}
	want := strings.Join([]string{
		"📚 صنف\u200cهای زبان فرانسوی شما", "",
		"این هفته:",
		line(at(0, 14, 0), at(0, 16, 30), "2"), "",
		"هفتهٔ آینده:",
		line(at(3, 9, 30), at(3, 12, 0), "1"),
		line(at(7, 14, 0), at(7, 16, 30), "2"), "",
		fa.T("classes.hours", "Done", fa.F.Number(0), "Prescribed", fa.F.Number(200)),
	}, "\n")
	if got := h.waitText(ahmadU, na+2).Text; got != want {
		t.Fatalf("/classes =\n%s\nwant\n%s", got, want)
	}
	// He attends Friday's class.
	centre := clsCentre(h).ID
	fri := clsOcc(h, "S-FRI", at(-7, 0, 0))
	if _, err := h.st.SaveAttendance(ctx, store.AttendanceSave{CentreID: centre, ActorID: staff.ID, Occurrence: fri,
		Marks: map[int64]store.AttendanceMark{ahmad.ID: store.MarkPresent, sami.ID: store.MarkPresent}, Now: h.clock.Now()}); err != nil {
		t.Fatal(err)
	}

	// His hours change: 200 → 600.
	screen = enrOpen(h, staffU, n+8, "214")
	if want := fr.T("enrol.title", "Name", "Ahmad K.", "Room", "214") + "\n" +
		fr.T("enrol.line", "Group", "A1 matin", "Level", "A1", "Hours", "200") + "\n\n" + "Appuyez sur 📚 pour le mettre dans un groupe, sur ✅ pour changer ses heures, sur ➖ pour le retirer d'un groupe."; screen.Text != want {
		t.Fatalf("groups screen =\n%s\nwant\n%s", screen.Text, want)
	}
	if got, want := enrLabels(screen), "✅ A1 · A1 matin\n📚 A1 · A1 samedi\n📚 B1 · B1 soir\n➖ A1 · A1 matin\n"+"❌ Annuler"; got != want {
		t.Fatalf("group buttons =\n%s\nwant\n%s", got, want)
	}
	clsPress(h, staffU, screen.ID, "✅ A1 · A1 matin")
	ask = h.waitText(staffU, n+12)
	if want := fr.T("enrol.ask_hours_change", "Name", "Ahmad K.", "Group", "A1 matin", "Hours", "200"); ask.Text != want {
		t.Fatalf("ask hours = %q", ask.Text)
	}
	if got := enrLabels(ask); got != "⏱ 100 heures | ⏱ 400 heures\n⏱ 600 heures\n"+"❌ Annuler" {
		t.Fatalf("hour buttons (200 left out) =\n%s", got)
	}
	clsPress(h, staffU, ask.ID, "⏱ 600 heures")
	confirm = h.waitText(staffU, n+13)
	if confirm.Text != "Vérifiez : Ahmad K. (chambre 214) reste dans le groupe A1 matin avec 600 heures au lieu de 200. Enregistrer ?" {
		t.Fatalf("confirm = %q", confirm.Text)
	}
	h.tg.PressButton(staffU, confirm.ID, "resident:ok")
	h.waitText(staffU, n+14)
	if got, want := h.waitText(ahmadU, na+3).Text, fa.T("enrol.notice_hours", "Group", "A1 matin", "Hours", fa.F.Number(600)); got != want {
		t.Fatalf("Ahmad was told %q, want %q", got, want)
	}
	if c := h.count(`SELECT count(*) FROM class_enrolments WHERE person_id = $1 AND prescribed_hours = 600`, ahmad.ID); c != 1 {
		t.Fatal("hours not changed")
	}

	// Today's reminders are planned (Friday 14:00 is A1 matin's), for
	// Ahmad and Sami.
	if _, err := h.app.Jobs().Insert(ctx, handlers.ClassPlanArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	friSession := clsSession(h, "S-FRI")
	h.tg.WaitFor(t, 10*time.Second, "Friday's reminders planned", func() bool {
		return h.count(`SELECT count(*) FROM outbox WHERE kind = 'class_reminder' AND state = 'pending'
			AND args->>'session' = $1`, strconv.FormatInt(friSession, 10)) == 2
	})

	// He leaves the group.
	screen = enrOpen(h, staffU, n+15, "ahmad")
	clsPress(h, staffU, screen.ID, "➖ A1 · A1 matin")
	confirm = h.waitText(staffU, n+19)
	if want := fr.T("enrol.confirm_out", "Name", "Ahmad K.", "Room", "214", "Group", "A1 matin"); confirm.Text != want {
		t.Fatalf("confirm = %q", confirm.Text)
	}
	h.tg.PressButton(staffU, confirm.ID, "resident:ok")
	if got := h.waitText(staffU, n+20).Text; got != fr.T("enrol.done_told", "Name", "Ahmad K.") {
		t.Fatalf("done = %q", got)
	}
	if got, want := h.waitText(ahmadU, na+4).Text, fa.T("enrol.notice_out", "Group", "A1 matin"); got != want {
		t.Fatalf("Ahmad was told %q, want %q", got, want)
	}
	if c := h.count(`SELECT count(*) FROM class_enrolments WHERE person_id = $1`, ahmad.ID); c != 0 {
		t.Fatal("still enrolled")
	}
	if c := h.count(`SELECT count(*) FROM class_attendance WHERE person_id = $1 AND mark = 'present'`, ahmad.ID); c != 1 {
		t.Fatal("his attendance was lost")
	}
	h.tg.SendText(ahmadU, "/classes")
	if got := h.waitText(ahmadU, na+5).Text; got != "📚 شما هنوز در صنف زبان فرانسوی ثبت نام نشده\u200cاید. از دفتر مرکز بپرسید." {
		t.Fatalf("/classes after leaving = %q", got)
	}

	// Friday's reminder reaches Sami, not Ahmad.
	h.setClock(at(0, 13, 0))
	en := h.loc("en")
	if got, want := h.waitText(samiU, ns+1).Text, en.T("classes.reminder", "Day", en.F.Date(at(0, 14, 0)),
		"Start", en.F.Time(at(0, 14, 0)), "Group", "A1 matin", "Room", "2"); got != want {
		t.Fatalf("Sami's reminder = %q, want %q", got, want)
	}
	h.quiet(ahmadU, na+5)
	// His reminder, queued while he was in the group, was cancelled when
	// its time came; his three class-group notices were sent.
	clsWaitOutbox(h, store.KindClassReminder, clsRow(ahmad.ID, "cancelled", store.NoteObsolete), clsRow(sami.ID, "sent", ""))
	clsWaitOutbox(h, store.KindEnrolNotice, clsRow(ahmad.ID, "sent", ""), clsRow(ahmad.ID, "sent", ""), clsRow(ahmad.ID, "sent", ""))

	var audits []string
	rows, err := h.pool.Query(ctx, `SELECT action || ' ' || (detail->>'group') || ' ' || (detail->>'hours')
		FROM audit_log WHERE actor_id = $1 AND subject_id = $2 AND action LIKE 'class.%' ORDER BY id`, staff.ID, ahmad.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		audits = append(audits, s)
	}
	rows.Close()
	if got := strings.Join(audits, ", "); got != "class.enrol G-A1M 200, class.enrol G-A1M 600, class.unenrol G-A1M 600" {
		t.Fatalf("audit = %s", got)
	}
}

// A resident is refused the staff's action; forged and old buttons — a
// group of another centre, another resident, hours OFII does not
// prescribe, a step not reached — change nothing and say so. A resident
// without Telegram is enrolled and staff are told to tell him.
func TestEnrolRefusedAndForgedButtonsChangeNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	en := h.loc("en")
	stale := "This button is not valid any more."

	residentU := telegramtest.User{ID: 39101, LanguageCode: "ps"}
	_, rn := h.signUp(residentU, store.RoleResident, "Gul A.", "ps")
	h.tg.SendText(residentU, "/residents")
	refusal := h.waitText(residentU, rn+1)
	if refusal.Text != "⛔ بښنه غواړو، دا یوازې د مرکز د کارکوونکو لپاره دی." {
		t.Fatalf("resident /residents → %q", refusal.Text)
	}
	upd := h.tg.PressButton(residentU, refusal.ID, "resident:a:class")
	h.tg.WaitFor(t, 5*time.Second, "callback answered", func() bool { _, ok := h.tg.CallbackAnswer(upd); return ok })
	if text, _ := h.tg.CallbackAnswer(upd); text != "⛔ بښنه غواړو، دا یوازې د مرکز د کارکوونکو لپاره دی." {
		t.Fatalf("resident's forged button answered %q", text)
	}
	h.quiet(residentU, rn+1)

	staffU := telegramtest.User{ID: 39102, LanguageCode: "en"}
	_, n := h.signUp(staffU, store.RoleStaff, "Tom B.", "en")
	yonas, _ := h.addPerson(store.RoleResident, "Yonas T.", "305", "ti")
	other, _ := h.addPerson(store.RoleResident, "Omar H.", "306", "ar")
	clsImport(h, clsGroups)
	centre := clsCentre(h).ID
	a1m := enrGroupID(h, centre, "G-A1M")
	elsewhere, err := h.st.EnsureCentre(ctx, "other-centre", "Other")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.ImportClassesCSV(ctx, elsewhere.ID, strings.NewReader(strings.Join(store.ClassImportColumns, ",")+
		"\ngroup,G-X,,A2,A2 ailleurs,,,,,,,\n"), nil); err != nil {
		t.Fatal(err)
	}
	foreign := enrGroupID(h, elsewhere.ID, "G-X")
	changes := func() int {
		return h.count(`SELECT (SELECT count(*) FROM class_enrolments) + (SELECT count(*) FROM audit_log WHERE action LIKE 'class.%')`)
	}

	screen := enrOpen(h, staffU, n+1, "305")
	next := n + 5
	press := func(data, want string) {
		t.Helper()
		h.tg.PressButton(staffU, screen.ID, data)
		if got := h.waitText(staffU, next).Text; got != want {
			t.Fatalf("%s → %q, want %q", data, got, want)
		}
		next++
	}
	y, g := id36(yonas.ID), id36(a1m)
	for _, data := range []string{
		"resident:g:" + y + ":" + id36(foreign),  // another centre's group
		"resident:g:" + y + ":zzzzzz",            // no such group
		"resident:x:" + y + ":" + g,              // not one of his groups
		"resident:g:" + id36(other.ID) + ":" + g, // another resident
		"resident:h:" + y + ":" + g + ":200",     // hours before the group
		"resident:ok",                            // confirmation before the question
	} {
		press(data, stale)
	}
	h.tg.SendText(staffU, "A1 matin")
	if got := h.waitText(staffU, next).Text; got != "🤔 I did not understand. Please use the buttons below." {
		t.Fatalf("typing at the group step → %q", got)
	}
	next++
	clsPress(h, staffU, screen.ID, "📚 A1 · A1 matin")
	ask := h.waitText(staffU, next)
	next++
	for _, data := range []string{
		"resident:h:" + y + ":" + g + ":300",             // not prescribed by OFII
		"resident:h:" + y + ":" + g + ":0200",            // not written the bot's way
		"resident:h:" + y + ":" + id36(foreign) + ":200", // another centre's group
		"resident:g:" + y + ":" + g,                      // a group button of the step before
	} {
		press(data, stale)
	}
	if c := changes(); c != 0 {
		t.Fatalf("forged buttons changed %d rows", c)
	}

	clsPress(h, staffU, ask.ID, "⏱ 100 hours")
	confirm := h.waitText(staffU, next)
	next++
	h.tg.PressButton(staffU, confirm.ID, "resident:ok")
	if got := h.waitText(staffU, next).Text; got != en.T("enrol.done_untold", "Name", "Yonas T.") {
		t.Fatalf("done = %q", got)
	}
	next++
	// The confirmation pressed again: the conversation is over.
	h.tg.PressButton(staffU, confirm.ID, "resident:ok")
	if got := h.waitText(staffU, next).Text; got != stale {
		t.Fatalf("second confirmation → %q", got)
	}
	if c := h.count(`SELECT count(*) FROM class_enrolments WHERE person_id = $1 AND group_id = $2 AND prescribed_hours = 100`, yonas.ID, a1m); c != 1 {
		t.Fatal("enrolment not stored")
	}
	if c := changes(); c != 2 {
		t.Fatalf("one enrolment and one audit entry expected, %d rows", c)
	}
}
