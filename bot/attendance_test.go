package bot_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// attNames are twelve residents, in the order the list shows them.
var attNames = []string{"Abdi M.", "Ahmad K.", "Bilal S.", "Dawit T.", "Faisal R.", "Hamid N.",
	"Ibrahim Y.", "Jamal O.", "Karim B.", "Mohammed A.", "Omar H.", "Yonas G."}

// attSetup enrols the twelve residents (rooms 101…112) in "A1 matin",
// which meets on Wednesdays and Fridays 09:30–12:00, and moves the clock
// to a Friday, 10:00 in Paris; class is that morning's class, begun.
func attSetup(h *harness) (people []store.Person, class time.Time) {
	h.t.Helper()
	class = storetest.Day(clsFriday(h), 0, 9, 30)
	var csv strings.Builder
	csv.WriteString(`group,G-A1M,,A1,A1 matin,,,,,,,
session,S-WED,G-A1M,,,wednesday,09:30,12:00,Salle 1,Marie Dupont,,
session,S-FRI,G-A1M,,,friday,09:30,12:00,Salle 1,Marie Dupont,,
`)
	for i, name := range attNames {
		p, _ := h.addPerson(store.RoleResident, name, fmt.Sprintf("%d", 101+i), "fr")
		clsExternalID(h, p, fmt.Sprintf("R-%02d", i+1))
		fmt.Fprintf(&csv, "enrolment,,G-A1M,,,,,,,,R-%02d,200\n", i+1)
		people = append(people, p)
	}
	clsImport(h, csv.String())
	return people, class
}

// attSheet is the expected list text of the class starting at start.
func attSheet(loc *locales.Localizer, start time.Time, present, absent, excused, page int) string {
	return loc.T("attendance.sheet", "Group", "A1 matin", "Day", loc.F.Date(start), "Start", loc.F.Time(start),
		"End", loc.F.Time(start.Add(150*time.Minute)), "Room", "1",
		"Present", loc.F.Number(int64(present)), "Absent", loc.F.Number(int64(absent)), "Excused", loc.F.Number(int64(excused))) +
		"\n" + loc.T("attendance.page", "Page", loc.F.Number(int64(page)), "Pages", loc.F.Number(2))
}

// attHasButton reports whether the message has a button of exactly this text.
func attHasButton(m telegramtest.SentMessage, text string) bool {
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if b.Text == text {
				return true
			}
		}
	}
	return false
}

// A full attendance session: paging over twelve residents, every tap
// editing the same message, two staff members at once (the second sees the
// first's marks, an outdated tap or save changes nothing and says so),
// save, and a later correction — all audited.
func TestAttendanceSessionPagingTwoStaffAndCorrection(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := telegramtest.User{ID: 33001, LanguageCode: "fr"}
	pa, na := h.signUp(a, store.RoleStaff, "Claire D.", "fr")
	b := telegramtest.User{ID: 33002, LanguageCode: "en"}
	_, nb := h.signUp(b, store.RoleStaff, "Tom B.", "en")
	coord := telegramtest.User{ID: 33003, LanguageCode: "ar"}
	_, nc := h.signUp(coord, store.RoleCoordinator, "Nadia S.", "ar")
	people, class := attSetup(h)
	fr, en := h.loc("fr"), h.loc("en")

	h.tg.SendText(a, "📋 Présences")
	list := h.waitText(a, na+1)
	if list.Text != "📋 Cours de français d'aujourd'hui. Choisissez-en un pour faire l'appel (✅ = déjà enregistré) :" || len(list.InlineKeyboard) != 2 {
		t.Fatalf("list = %q %v", list.Text, list.InlineKeyboard)
	}
	clsPress(h, a, list.ID, "📚 "+numDate(class)+" 09:30 · A1 matin")
	sheet := h.waitText(a, na+2)
	if sheet.Text != attSheet(fr, class, 12, 0, 0, 1) {
		t.Fatalf("sheet = %q", sheet.Text)
	}
	// Ten residents, the arrow to the next page, Save.
	if len(sheet.InlineKeyboard) != 12 || sheet.InlineKeyboard[0][0].Text != "✅ Abdi M. · 101" ||
		len(sheet.InlineKeyboard[10]) != 1 || sheet.InlineKeyboard[10][0].Text != "▶" ||
		sheet.InlineKeyboard[11][0].Text != "💾 Enregistrer" {
		t.Fatalf("keyboard = %v", sheet.InlineKeyboard)
	}
	for _, row := range sheet.InlineKeyboard {
		for _, btn := range row {
			if len(btn.CallbackData) > 64 {
				t.Fatalf("button data over 64 bytes: %q", btn.CallbackData)
			}
		}
	}
	// Taps cycle present → absent → excused → present, on the same message.
	edits := 0
	tap := func(u telegramtest.User, id int, name string) telegramtest.SentMessage {
		t.Helper()
		m, _ := h.tg.Message(u.ID, id)
		clsPress(h, u, id, name)
		return clsWaitEdits(h, u, id, m.Edits+1)
	}
	for _, want := range []string{"❌", "📝", "✅", "❌"} {
		m := tap(a, sheet.ID, "Ahmad K.")
		edits++
		if !attHasButton(m, want+" Ahmad K. · 102") {
			t.Fatalf("after a tap Ahmad is not %s: %v", want, m.InlineKeyboard)
		}
	}
	clsPress(h, a, sheet.ID, "▶")
	m := clsWaitEdits(h, a, sheet.ID, edits+1)
	if m.Text != attSheet(fr, class, 11, 1, 0, 2) || len(m.InlineKeyboard) != 4 || m.InlineKeyboard[2][0].Text != "◀" {
		t.Fatalf("page 2 = %q %v", m.Text, m.InlineKeyboard)
	}
	m = tap(a, sheet.ID, "Yonas G.")
	if !attHasButton(m, "❌ Yonas G. · 112") || m.Text != attSheet(fr, class, 10, 2, 0, 2) {
		t.Fatalf("Yonas not absent: %q %v", m.Text, m.InlineKeyboard)
	}

	// Tom opens the same class: he sees Claire's marks.
	h.tg.SendText(b, "/attendance")
	clsPress(h, b, h.waitText(b, nb+1).ID, "09:30 · A1 matin")
	sheetB := h.waitText(b, nb+2)
	if sheetB.Text != attSheet(en, class, 10, 2, 0, 1) || !attHasButton(sheetB, "❌ Ahmad K. · 102") {
		t.Fatalf("second staff sheet = %q %v", sheetB.Text, sheetB.InlineKeyboard)
	}
	// Claire marks Bilal; Tom's list is now outdated: his tap on Dawit
	// changes nothing, shows Bilal absent, and says why.
	clsPress(h, a, sheet.ID, "◀")
	clsWaitEdits(h, a, sheet.ID, m.Edits+1)
	tap(a, sheet.ID, "Bilal S.")
	clsPress(h, b, sheetB.ID, "Dawit T.")
	mb := clsWaitEdits(h, b, sheetB.ID, 1)
	if !attHasButton(mb, "❌ Bilal S. · 103") || !attHasButton(mb, "✅ Dawit T. · 104") {
		t.Fatalf("after a conflict Tom sees %v", mb.InlineKeyboard)
	}
	if got := h.waitText(b, nb+3).Text; got != "⚠️ Someone else changed this list at the same time. It now shows the latest marks: please tap again." {
		t.Fatalf("conflict message = %q", got)
	}
	mb = tap(b, sheetB.ID, "Dawit T.")
	if !attHasButton(mb, "❌ Dawit T. · 104") || mb.Text != attSheet(en, class, 8, 4, 0, 1) {
		t.Fatalf("Tom's second tap: %q %v", mb.Text, mb.InlineKeyboard)
	}
	// Claire's Save is outdated too: refused, her list refreshed.
	ma, _ := h.tg.Message(a.ID, sheet.ID)
	clsPress(h, a, sheet.ID, "💾 Enregistrer")
	ma = clsWaitEdits(h, a, sheet.ID, ma.Edits+1)
	if !attHasButton(ma, "❌ Dawit T. · 104") {
		t.Fatalf("Claire's list not refreshed: %v", ma.InlineKeyboard)
	}
	if got := h.waitText(a, na+3).Text; got != "⚠️ Quelqu'un d'autre a changé cette liste en même temps. Elle montre maintenant les dernières marques : touchez de nouveau." {
		t.Fatalf("save conflict = %q", got)
	}
	if n := h.count(`SELECT count(*) FROM class_registers`); n != 0 {
		t.Fatalf("an outdated save wrote %d registers", n)
	}
	clsPress(h, a, sheet.ID, "💾 Enregistrer")
	ma = clsWaitEdits(h, a, sheet.ID, ma.Edits+1)
	friday := class
	savedText := func(loc *locales.Localizer, p, ab, ex int) string {
		return loc.T("attendance.saved", "Group", "A1 matin", "Day", loc.F.Date(friday), "Start", loc.F.Time(friday),
			"Present", loc.F.Number(int64(p)), "Absent", loc.F.Number(int64(ab)), "Excused", loc.F.Number(int64(ex)))
	}
	if ma.Text != savedText(fr, 8, 4, 0) || !attHasButton(ma, "✏️ Corriger") {
		t.Fatalf("saved = %q %v", ma.Text, ma.InlineKeyboard)
	}
	absentOf := func() string {
		rows, err := h.pool.Query(context.Background(), `SELECT p.display_name, a.mark FROM class_attendance a
			JOIN people p ON p.id = a.person_id WHERE a.mark <> 'present' ORDER BY p.display_name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var name, mark string
			_ = rows.Scan(&name, &mark)
			out = append(out, name+"="+mark)
		}
		return strings.Join(out, ",")
	}
	if got := absentOf(); got != "Ahmad K.=absent,Bilal S.=absent,Dawit T.=absent,Yonas G.=absent" {
		t.Fatalf("saved marks: %s", got)
	}
	if got := h.count(`SELECT count(*) FROM class_attendance`); got != 12 {
		t.Fatalf("%d marks saved", got)
	}
	if got := h.count(`SELECT count(*) FROM audit_log WHERE action = 'attendance.mark' AND actor_id = $1`, pa.ID); got != 12 {
		t.Fatalf("%d audited marks", got)
	}
	// Tom's list is closed now.
	clsPress(h, b, sheetB.ID, "Karim B.")
	if got := h.waitText(b, nb+4).Text; got != "⚠️ This list is closed: it was saved. Open it again with /attendance." {
		t.Fatalf("tap after save = %q", got)
	}

	// Correction: reopen from the saved marks, Ahmad was excused.
	clsPress(h, a, sheet.ID, "✏️ Corriger")
	again := h.waitText(a, na+4)
	if again.Text != attSheet(fr, class, 8, 4, 0, 1) || !attHasButton(again, "❌ Ahmad K. · 102") {
		t.Fatalf("reopened = %q %v", again.Text, again.InlineKeyboard)
	}
	tap(a, again.ID, "Ahmad K.")
	clsPress(h, a, again.ID, "💾 Enregistrer")
	if m := clsWaitEdits(h, a, again.ID, 2); m.Text != savedText(fr, 8, 3, 1) {
		t.Fatalf("corrected = %q", m.Text)
	}
	if got := absentOf(); !strings.HasPrefix(got, "Ahmad K.=excused,") {
		t.Fatalf("after correction: %s", got)
	}
	if got := h.count(`SELECT count(*) FROM audit_log WHERE action = 'attendance.mark' AND subject_id = $1
		AND detail->>'from' = 'absent' AND detail->>'to' = 'excused'`, people[1].ID); got != 1 {
		t.Fatalf("correction audited %d times", got)
	}
	if got := h.count(`SELECT count(*) FROM audit_log WHERE action = 'attendance.save'`); got != 2 {
		t.Fatalf("%d saves audited", got)
	}
	if got := h.count(`SELECT revision FROM class_registers`); got != 2 {
		t.Fatalf("register revision %d", got)
	}
	// Attended hours follow: Abdi was present for 2 h 30.
	p, err := h.st.ClassProgress(context.Background(), clsCentre(h).ID, people[0].ID)
	if err != nil || p.AttendedMinutes != 150 {
		t.Fatalf("Abdi's hours: %+v, %v", p, err)
	}
	// One absence each: the coordinator is not told.
	h.quiet(coord, nc)
}

// Forged and stale attendance buttons change nothing and say so.
// TestTapIsNotHeldBehindTheSpinnersAnswer: the answer that stops a
// button's spinner goes out beside the handler, so the sheet's edit — what
// the staff member waits for — does not wait a round trip behind it. Here
// Telegram holds that answer until the edit has arrived: were the two in
// a row, the edit would never come.
func TestTapIsNotHeldBehindTheSpinnersAnswer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	staff := telegramtest.User{ID: 35001, LanguageCode: "en"}
	_, ns := h.signUp(staff, store.RoleStaff, "Tom B.", "en")
	_, class := attSetup(h)

	h.tg.SendText(staff, "📋 Attendance")
	list := h.waitText(staff, ns+1)
	clsPress(h, staff, list.ID, "📚 "+numDate(class)+" 09:30 · A1 matin")
	sheet := h.waitText(staff, ns+2)
	// The class button's own spinner answer goes out beside its handler
	// too, and may reach Telegram after the sheet: held in its place, it
	// would keep that update, and the chat's next one (the tap), waiting.
	h.tg.WaitFor(t, 10*time.Second, "the class button's spinner answer", func() bool {
		return len(h.tg.CallsTo("answerCallbackQuery")) >= 1
	})
	answers := len(h.tg.CallsTo("answerCallbackQuery"))

	release := h.tg.HoldNext("answerCallbackQuery", 0)
	t.Cleanup(release)
	clsPress(h, staff, sheet.ID, "Ahmad K.")
	m := clsWaitEdits(h, staff, sheet.ID, 1)
	if !attHasButton(m, "❌ Ahmad K. · 102") {
		t.Fatalf("after the tap: %v", m.InlineKeyboard)
	}
	// The answer goes out beside the handler, so it may reach Telegram
	// after the edit: it must still come, once, and silent.
	h.tg.WaitFor(t, 10*time.Second, "the tap's spinner answer", func() bool {
		return len(h.tg.CallsTo("answerCallbackQuery")) > answers
	})
	calls := h.tg.CallsTo("answerCallbackQuery")
	if len(calls) != answers+1 || calls[len(calls)-1].Params["text"] != "" {
		t.Fatalf("the tap's spinner: %d answers before, now %+v", answers, calls)
	}
	release()
	h.settle()
}

func TestAttendanceRefusesForgedButtons(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	staff := telegramtest.User{ID: 34001, LanguageCode: "en"}
	_, ns := h.signUp(staff, store.RoleStaff, "Tom B.", "en")
	resident := telegramtest.User{ID: 34002, LanguageCode: "so"}
	pr, nr := h.signUp(resident, store.RoleResident, "Samatar A.", "so")
	people, class := attSetup(h)
	clsExternalID(h, pr, "R-99")
	clsImport(h, "enrolment,,G-A1M,,,,,,,,R-99,100\n")
	sid := func(id int64) string { return strconv.FormatInt(id, 36) }

	// A member of staff of another centre.
	ctx := context.Background()
	other, err := h.st.EnsureCentre(ctx, "other-centre", "Other")
	if err != nil {
		t.Fatal(err)
	}
	_, code, err := h.st.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: other.ID, Role: store.RoleStaff,
		DisplayName: "Eve X.", Language: "en"}, nil, h.clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	outsider := telegramtest.User{ID: 34003, LanguageCode: "en"}
	h.tg.SendText(outsider, "/start "+code)
	picker := h.tg.WaitMessages(t, outsider.ID, 2, 10*time.Second)[1]
	h.tg.PressButton(outsider, picker.ID, "lang:en")
	h.tg.WaitMessages(t, outsider.ID, 4, 10*time.Second)

	s := sid(clsSession(h, "S-FRI"))
	h.tg.SendText(staff, "/attendance")
	list := h.waitText(staff, ns+1)
	n := ns + 1
	stale := "This button is not valid any more."
	day := dayKey(class)
	forged := []struct{ data, want string }{
		{"att:o:zzzz:" + day, stale},                                          // no such session
		{"att:o:" + s + ":" + dayKey(storetest.Day(class, 7, 9, 30)), stale},  // next week: not open yet
		{"att:o:" + s + ":" + dayKey(storetest.Day(class, -1, 9, 30)), stale}, // not a Friday
		{"att:o:" + s + ":" + day[:7], stale},                                 // not a date
		{"att:o:" + s + ":" + day + ":x", stale},                              // extra field
		{"att:q:" + s + ":" + day, stale},                                     // unknown verb
		{"att:o:-" + s + ":" + day, stale},                                    // negative id
		{"att:t:" + s + ":" + day + ":" + sid(people[0].ID) + ":1", "⚠️ This list is closed: it was saved. Open it again with /attendance."}, // no list open
		{"att:s:" + s + ":" + day + ":1", "⚠️ This list is closed: it was saved. Open it again with /attendance."},
	}
	for _, f := range forged {
		h.tg.PressButton(staff, list.ID, f.data)
		n++
		if got := h.waitText(staff, n).Text; got != f.want {
			t.Fatalf("%s → %q, want %q", f.data, got, f.want)
		}
	}
	clsPress(h, staff, list.ID, "A1 matin")
	n++
	sheet := h.waitText(staff, n)
	ver := "1"
	forged = []struct{ data, want string }{
		{"att:t:" + s + ":" + day + ":" + sid(pr.ID+1000) + ":" + ver, stale}, // not enrolled
		{"att:p:" + s + ":" + day + ":5", stale},                              // no such page
		{"att:s:" + s + ":" + day + ":" + sid(7), "⚠️ Someone else changed this list at the same time. It now shows the latest marks: please tap again."}, // not the list's version
	}
	for _, f := range forged {
		h.tg.PressButton(staff, sheet.ID, f.data)
		n++
		if got := h.waitText(staff, n).Text; got != f.want {
			t.Fatalf("%s → %q, want %q", f.data, got, f.want)
		}
	}
	// A resident's forged staff button is refused before any handler.
	upd := h.tg.PressButton(resident, h.waitText(resident, nr).ID, "att:o:"+s+":"+day)
	h.tg.WaitFor(t, 5*time.Second, "callback answered", func() bool { _, ok := h.tg.CallbackAnswer(upd); return ok })
	if text, _ := h.tg.CallbackAnswer(upd); text != "⛔ Waan ka xumahay, tani waxay u gaar tahay shaqaalaha xarunta oo kaliya." {
		t.Fatalf("resident's forged button answer = %q", text)
	}
	// Staff of another centre cannot reach this centre's class.
	h.tg.PressButton(outsider, picker.ID, "att:o:"+s+":"+day)
	if got := h.tg.WaitMessages(t, outsider.ID, 5, 10*time.Second)[4].Text; got != stale {
		t.Fatalf("other centre → %q", got)
	}
	if got := h.count(`SELECT count(*) FROM class_registers`) + h.count(`SELECT count(*) FROM audit_log WHERE action LIKE 'attendance.%'`); got != 0 {
		t.Fatalf("forged buttons wrote %d rows", got)
	}
	// The list itself is untouched: everyone still present.
	if m, _ := h.tg.Message(staff.ID, sheet.ID); !attHasButton(m, "✅ "+people[1].DisplayName+" · 102") {
		t.Fatalf("sheet changed: %v", m.InlineKeyboard)
	}
	h.quiet(resident, nr)
}

// N unexcused absences in a row (2 here) tell each coordinator once, in
// his language and private chat; nobody else hears of it; a correction
// does not tell again.
func TestAbsencesInARowAlertCoordinatorOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	staff := telegramtest.User{ID: 35001, LanguageCode: "fr"}
	_, ns := h.signUp(staff, store.RoleStaff, "Claire D.", "fr")
	coordAr := telegramtest.User{ID: 35002, LanguageCode: "ar"}
	pca, nca := h.signUp(coordAr, store.RoleCoordinator, "Nadia S.", "ar")
	coordEn := telegramtest.User{ID: 35003, LanguageCode: "en"}
	pce, nce := h.signUp(coordEn, store.RoleCoordinator, "Paul L.", "en")
	admin := telegramtest.User{ID: 35004, LanguageCode: "fr"}
	_, nad := h.signUp(admin, store.RoleAdmin, "Admin", "fr")
	ahmadU := telegramtest.User{ID: 35005, LanguageCode: "fa"}
	ahmad, nah := h.signUp(ahmadU, store.RoleResident, "Ahmad Karimi", "fa-AF")
	_, class := attSetup(h)
	clsExternalID(h, ahmad, "R-AK")
	clsImport(h, "enrolment,,G-A1M,,,,,,,,R-AK,200\n")
	n := ns

	mark := func(listID int, class, name string) {
		t.Helper()
		clsPress(h, staff, listID, class)
		n++
		sheet := h.waitText(staff, n)
		if name != "" {
			clsPress(h, staff, sheet.ID, name)
			clsWaitEdits(h, staff, sheet.ID, 1)
		}
		m, _ := h.tg.Message(staff.ID, sheet.ID)
		clsPress(h, staff, sheet.ID, "💾 Enregistrer")
		clsWaitEdits(h, staff, sheet.ID, m.Edits+1)
	}
	// Wednesday: Ahmad absent.
	h.tg.SendText(staff, "/attendance")
	n++
	clsPress(h, staff, h.waitText(staff, n).ID, "🗓 Jours précédents")
	n++
	earlier := h.waitText(staff, n)
	if earlier.Text != "📋 Cours de français des 7 derniers jours. Choisissez-en un pour le voir ou le corriger (✅ = déjà enregistré) :" {
		t.Fatalf("earlier = %q", earlier.Text)
	}
	wednesday := storetest.Day(class, -2, 9, 30)
	mark(earlier.ID, numDate(wednesday)+" 09:30", "Ahmad Karimi")
	h.quiet(coordAr, nca)

	// Friday: absent again → both coordinators are told, once.
	h.tg.SendText(staff, "/attendance")
	n++
	today := h.waitText(staff, n)
	mark(today.ID, numDate(class)+" 09:30", "Ahmad Karimi")
	ar, en := h.loc("ar"), h.loc("en")
	if got := h.waitText(coordAr, nca+1).Text; got != ar.N("attendance.absence_alert", 2, "Name", "Ahmad Karimi", "Room", "214", "Group", "A1 matin") {
		t.Fatalf("Arabic coordinator got %q", got)
	}
	if got := h.waitText(coordEn, nce+1).Text; got != en.N("attendance.absence_alert", 2, "Name", "Ahmad Karimi", "Room", "214", "Group", "A1 matin") {
		t.Fatalf("English coordinator got %q", got)
	}
	// The list shows Wednesday's class as saved now.
	h.tg.SendText(staff, "/attendance")
	n++
	clsPress(h, staff, h.waitText(staff, n).ID, "🗓 Jours précédents")
	n++
	if m := h.waitText(staff, n); !attHasButton(m, "✅ "+numDate(wednesday)+" 09:30 · A1 matin") {
		t.Fatalf("earlier list = %v", m.InlineKeyboard)
	}
	// A correction of Friday (Omar absent too) tells nobody again.
	clsPress(h, staff, today.ID, "09:30 · A1 matin")
	n++
	sheet := h.waitText(staff, n)
	clsPress(h, staff, sheet.ID, "▶")
	clsWaitEdits(h, staff, sheet.ID, 1)
	clsPress(h, staff, sheet.ID, "Omar H.")
	clsWaitEdits(h, staff, sheet.ID, 2)
	clsPress(h, staff, sheet.ID, "💾 Enregistrer")
	clsWaitEdits(h, staff, sheet.ID, 3)
	h.quiet(coordAr, nca+1)
	h.quiet(coordEn, nce+1)
	h.quiet(admin, nad)
	h.quiet(ahmadU, nah)
	for _, m := range h.tg.Messages(staff.ID) {
		if strings.Contains(m.Text, "CIR") {
			t.Fatalf("staff chat got the alert: %q", m.Text)
		}
	}
	// One alert per coordinator, each sent once.
	clsWaitOutbox(h, store.KindAbsenceAlert, clsRow(pca.ID, "sent", ""), clsRow(pce.ID, "sent", ""))
}
