package bot_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/rivertype"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// Helpers of the class and attendance tests (prefix cls).

var clsParis = storetest.Paris

// clsFriday moves the bot's clock to the first Friday, 10:00 in Paris,
// after the test begins: the week these tests' timetables are written for.
func clsFriday(h *harness) time.Time {
	h.t.Helper()
	friday := storetest.Next(h.begin, time.Friday, 10, 0)
	h.setClock(friday)
	return friday
}

func clsCentre(h *harness) store.Centre {
	h.t.Helper()
	c, err := h.st.CentreBySlug(context.Background(), h.cfg.Centre)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// clsExternalID gives a person the external id the residents import would.
func clsExternalID(h *harness, p store.Person, ext string) {
	h.t.Helper()
	if _, err := h.pool.Exec(context.Background(), `UPDATE people SET external_id = $2 WHERE id = $1`, p.ID, ext); err != nil {
		h.t.Fatal(err)
	}
}

// clsImport imports a classes file, as `cairbot import classes` does.
func clsImport(h *harness, csv string) {
	h.t.Helper()
	header := strings.Join(store.ClassImportColumns, ",") + "\n"
	if _, err := h.st.ImportClassesCSV(context.Background(), clsCentre(h).ID, strings.NewReader(header+csv), nil); err != nil {
		h.t.Fatal(err)
	}
}

func clsSession(h *harness, ext string) int64 {
	h.t.Helper()
	var id int64
	if err := h.pool.QueryRow(context.Background(), `SELECT id FROM class_sessions WHERE external_id = $1`, ext).Scan(&id); err != nil {
		h.t.Fatal(err)
	}
	return id
}

// clsOcc is a session's class on day's date in Paris.
func clsOcc(h *harness, sessionExt string, day time.Time) store.ClassOccurrence {
	h.t.Helper()
	o, err := h.st.ClassOccurrenceOn(context.Background(), clsCentre(h).ID, clsSession(h, sessionExt),
		storetest.Date(day), clsParis)
	if err != nil {
		h.t.Fatal(err)
	}
	return o
}

// clsOutbox lists the outbox rows of a kind as "<person id> <state> <note>",
// sorted.
func clsOutbox(h *harness, kind string) []string {
	h.t.Helper()
	rows, err := h.pool.Query(context.Background(), `SELECT person_id || ' ' || state || ' ' || note FROM outbox
		WHERE kind = $1 ORDER BY 1`, kind)
	if err != nil {
		h.t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// clsWaitOutbox waits until the outbox rows of a kind are as want.
func clsWaitOutbox(h *harness, kind string, want ...string) {
	h.t.Helper()
	sort.Strings(want)
	ok := false
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if strings.Join(clsOutbox(h, kind), "\n") == strings.Join(want, "\n") {
			ok = true
			break
		}
	}
	if !ok {
		h.t.Fatalf("%s outbox rows:\n%s\nwant\n%s", kind, strings.Join(clsOutbox(h, kind), "\n"), strings.Join(want, "\n"))
	}
}

// clsRow is an outbox row as clsOutbox lists it.
func clsRow(personID int64, state, note string) string {
	return fmt.Sprintf("%d %s %s", personID, state, note)
}

// clsButton finds the inline button whose text contains s.
func clsButton(t testing.TB, m telegramtest.SentMessage, s string) models.InlineKeyboardButton {
	t.Helper()
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if strings.Contains(b.Text, s) {
				return b
			}
		}
	}
	t.Fatalf("message %q has no button with %q: %v", m.Text, s, m.InlineKeyboard)
	return models.InlineKeyboardButton{}
}

// clsPress presses a button whose text contains s on message id of u's chat.
func clsPress(h *harness, u telegramtest.User, id int, s string) {
	h.t.Helper()
	m, _ := h.tg.Message(u.ID, id)
	h.tg.PressButton(u, id, clsButton(h.t, m, s).CallbackData)
}

// clsWaitEdits waits for the message to reach its n-th edit.
func clsWaitEdits(h *harness, u telegramtest.User, id, n int) telegramtest.SentMessage {
	h.t.Helper()
	h.tg.WaitFor(h.t, 10*time.Second, "edit", func() bool { m, _ := h.tg.Message(u.ID, id); return m.Edits >= n })
	m, _ := h.tg.Message(u.ID, id)
	return m
}

const clsGroups = `group,G-A1M,,A1,A1 matin,,,,,,,
group,G-A1S,,A1,A1 samedi,,,,,,,
group,G-B1,,B1,B1 soir,,,,,,,
session,S-MON,G-A1M,,,monday,09:30,12:00,Salle 1,Marie Dupont,,
session,S-FRI,G-A1M,,,friday,14:00,16:30,Salle 2,Marie Dupont,,
session,S-SAT,G-A1S,,,saturday,10:00,12:00,Salle 1,Paul Martin,,
session,S-TUE,G-B1,,,tuesday,18:00,20:00,Salle 3,Karim B.,,
`

// /classes shows the week and the next (a cancelled and a moved class say
// so, another group's classes are absent), and the hours, with CLDR dates
// and times of the resident's language.
func TestClassesShowWeekAndHours(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang, telegram string
		viaMenu        bool
		times          []string // how 14:00 and 200 read in that language
	}{
		{"fa-AF", "fa", false, []string{"۱۴:۰۰", "۲۰۰"}},
		{"fr", "fr", true, []string{"14:00", "200"}},
	}
	for i, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			ctx := context.Background()
			friday := clsFriday(h)
			day := func(days, hh, mm int) time.Time { return storetest.Day(friday, days, hh, mm) }
			u := telegramtest.User{ID: 30001 + int64(i), LanguageCode: tt.telegram}
			p, n := h.signUp(u, store.RoleResident, "Ahmad K.", tt.lang)
			other, _ := h.addPerson(store.RoleResident, "Omar H.", "215", "ar")
			staff, _ := h.addPerson(store.RoleStaff, "Claire D.", "", "fr")
			clsExternalID(h, p, "R-1")
			clsExternalID(h, other, "R-2")
			clsImport(h, clsGroups+`enrolment,,G-A1M,,,,,,,,R-1,200
enrolment,,G-A1S,,,,,,,,R-1,200
enrolment,,G-B1,,,,,,,,R-2,400
`)
			centre := clsCentre(h).ID
			// He attended two classes of 2 h 30; Saturday's class is
			// cancelled; Monday's is moved to Tuesday 15:00 in room B12.
			for _, o := range []store.ClassOccurrence{clsOcc(h, "S-FRI", day(-7, 0, 0)), clsOcc(h, "S-MON", day(-4, 0, 0))} {
				if _, err := h.st.SaveAttendance(ctx, store.AttendanceSave{CentreID: centre, ActorID: staff.ID, Occurrence: o,
					Marks: map[int64]store.AttendanceMark{p.ID: store.MarkPresent}, AlertAfter: 2, Now: h.clock.Now()}); err != nil {
					t.Fatal(err)
				}
			}
			sat := clsOcc(h, "S-SAT", day(1, 0, 0))
			mon := clsOcc(h, "S-MON", day(3, 0, 0))
			moved := day(4, 15, 0)
			for _, ch := range []store.ClassChange{
				{CentreID: centre, SessionID: sat.Session.ID, Date: sat.Date, ActorID: staff.ID, Kind: store.ClassCancelled},
				{CentreID: centre, SessionID: mon.Session.ID, Date: mon.Date, ActorID: staff.ID, Kind: store.ClassMoved,
					NewStart: moved, NewEnd: moved.Add(150 * time.Minute), NewRoom: "B12"},
			} {
				ch.Now = h.clock.Now()
				if _, err := h.st.ChangeClassOccurrence(ctx, ch, clsParis); err != nil {
					t.Fatal(err)
				}
			}
			// He is told of both changes first.
			n += 2
			h.tg.WaitMessages(t, u.ID, n, 10*time.Second)

			loc := h.loc(tt.lang)
			if tt.viaMenu {
				h.tg.SendText(u, loc.T("menu.classes"))
			} else {
				h.tg.SendText(u, "/classes")
			}
			got := h.waitText(u, n+1)
			line := func(start, end time.Time, group, room, teacher string) string {
				return loc.T("classes.line", "Day", loc.F.Date(start), "Start", loc.F.Time(start), "End", loc.F.Time(end),
					"Group", group, "Room", room, "Teacher", teacher)
			}
			want := strings.Join([]string{
				loc.T("classes.title"),
				"",
				loc.T("classes.this_week"),
				// Friday's morning is past (10:00 now): the afternoon class.
				line(day(0, 14, 0), day(0, 16, 30), "A1 matin", "2", "Marie Dupont"),
				loc.T("classes.line_cancelled", "Day", loc.F.Date(day(1, 10, 0)), "Start", loc.F.Time(day(1, 10, 0)), "Group", "A1 samedi"),
				"",
				loc.T("classes.next_week"),
				loc.T("classes.line_moved", "Day", loc.F.Date(moved), "Start", loc.F.Time(moved), "End", loc.F.Time(moved.Add(150*time.Minute)),
					"Group", "A1 matin", "Room", "B12"),
				line(day(7, 14, 0), day(7, 16, 30), "A1 matin", "2", "Marie Dupont"),
				line(day(8, 10, 0), day(8, 12, 0), "A1 samedi", "1", "Paul Martin"),
				"",
				loc.T("classes.hours", "Done", loc.F.Number(5), "Prescribed", loc.F.Number(200)),
			}, "\n")
			if got.Text != want {
				t.Fatalf("/classes =\n%s\nwant\n%s", got.Text, want)
			}
			for _, s := range tt.times {
				if !strings.Contains(got.Text, s) {
					t.Errorf("%s text lacks %q", tt.lang, s)
				}
			}
			if strings.Contains(got.Text, "B1 soir") || strings.Contains(got.Text, "Karim") {
				t.Errorf("another group's class is shown: %q", got.Text)
			}
			if locales.IsRTL(tt.lang) && !strings.Contains(got.Text, locales.FSI) {
				t.Errorf("RTL text has no isolated values")
			}
			if len(got.ReplyKeyboard) == 0 {
				t.Error("no main menu under /classes")
			}

			// A resident in no group is told where to ask.
			u2 := telegramtest.User{ID: 30101 + int64(i), LanguageCode: tt.telegram}
			_, n2 := h.signUp(u2, store.RoleResident, "Yonas T.", tt.lang)
			h.tg.SendText(u2, "/classes")
			if got := h.waitText(u2, n2+1).Text; got != loc.T("classes.none") {
				t.Fatalf("not enrolled: %q", got)
			}
		})
	}
}

// Staff cancel one class and move another with buttons; each enrolled
// resident is told at once in his language, and nobody else.
func TestClassCancelAndMoveAreToldToEnrolledResidents(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	staff := telegramtest.User{ID: 31001, LanguageCode: "fr"}
	_, ns := h.signUp(staff, store.RoleStaff, "Claire D.", "fr")
	ahmad := telegramtest.User{ID: 31002, LanguageCode: "ar"}
	pa, na := h.signUp(ahmad, store.RoleResident, "Ahmad K.", "ar")
	sami := telegramtest.User{ID: 31003, LanguageCode: "en"}
	ps, nsa := h.signUp(sami, store.RoleResident, "Sami A.", "en")
	outsider := telegramtest.User{ID: 31004, LanguageCode: "ru"}
	po, no := h.signUp(outsider, store.RoleResident, "Ivan P.", "ru")
	clsExternalID(h, pa, "R-1")
	clsExternalID(h, ps, "R-2")
	clsExternalID(h, po, "R-3")
	clsImport(h, clsGroups+`enrolment,,G-A1M,,,,,,,,R-1,200
enrolment,,G-A1M,,,,,,,,R-2,600
enrolment,,G-B1,,,,,,,,R-3,100
`)
	fr := h.loc("fr")
	friday := clsFriday(h)
	mon := clsOcc(h, "S-MON", storetest.Day(friday, 3, 0, 0))

	// Cancel Monday's class.
	h.tg.SendText(staff, "/timetable")
	list := h.waitText(staff, ns+1)
	if list.Text != "🗓 Cours de français des deux prochaines semaines. Choisissez-en un pour l'annuler ou le déplacer :" {
		t.Fatalf("timetable = %q", list.Text)
	}
	label := "📚 " + fr.F.DateShort(mon.Start) + " " + fr.F.Time(mon.Start) + " · A1 matin"
	clsPress(h, staff, list.ID, label)
	detail := h.waitText(staff, ns+2)
	if want := fr.T("timetable.session", "Group", "A1 matin", "Day", fr.F.Date(mon.Start), "Start", fr.F.Time(mon.Start),
		"End", fr.F.Time(mon.End), "Room", "1", "Teacher", "Marie Dupont"); detail.Text != want {
		t.Fatalf("detail = %q, want %q", detail.Text, want)
	}
	clsPress(h, staff, detail.ID, "❌ Annuler ce cours")
	confirm := h.waitText(staff, ns+3)
	if want := fr.N("timetable.confirm_cancel", 2, "Group", "A1 matin", "Day", fr.F.Date(mon.Start), "Start", fr.F.Time(mon.Start)); confirm.Text != want {
		t.Fatalf("confirm = %q, want %q", confirm.Text, want)
	}
	clsPress(h, staff, confirm.ID, "✅ Confirmer")
	if got := h.waitText(staff, ns+4).Text; got != fr.N("timetable.done_cancelled", 2) {
		t.Fatalf("done = %q", got)
	}
	ar, en := h.loc("ar"), h.loc("en")
	if got := h.waitText(ahmad, na+1).Text; got != ar.T("classes.cancelled_notice", "Day", ar.F.Date(mon.Start), "Start", ar.F.Time(mon.Start), "Group", "A1 matin") {
		t.Fatalf("Ahmad was told %q", got)
	}
	if got := h.waitText(sami, nsa+1).Text; got != en.T("classes.cancelled_notice", "Day", en.F.Date(mon.Start), "Start", en.F.Time(mon.Start), "Group", "A1 matin") {
		t.Fatalf("Sami was told %q", got)
	}
	// The confirm button pressed again: the conversation is over.
	h.tg.PressButton(staff, confirm.ID, "tt:yes")
	if got := h.waitText(staff, ns+5).Text; got != "Ce bouton n'est plus valable." {
		t.Fatalf("second confirm = %q", got)
	}

	// Move next Friday's class to the Thursday before, 15:30, room B12.
	fri := clsOcc(h, "S-FRI", storetest.Day(friday, 7, 0, 0))
	h.tg.SendText(staff, "/timetable")
	list = h.waitText(staff, ns+6)
	clsPress(h, staff, list.ID, fr.F.DateShort(fri.Start)+" "+fr.F.Time(fri.Start))
	detail = h.waitText(staff, ns+7)
	clsPress(h, staff, detail.ID, "🔀 Déplacer ce cours")
	days := h.waitText(staff, ns+8)
	thu := storetest.Day(friday, 6, 12, 0)
	clsPress(h, staff, days.ID, fr.F.Weekday(thu)+" "+fr.F.DateShort(thu))
	if got := h.waitText(staff, ns+9).Text; got != fr.T("timetable.ask_time", "Day", fr.F.Date(thu)) {
		t.Fatalf("ask time = %q", got)
	}
	h.tg.SendText(staff, "25h")
	if got := h.waitText(staff, ns+10).Text; got != "❌ Ce n'est pas une heure. Écrivez-la comme 14:00." {
		t.Fatalf("bad time = %q", got)
	}
	h.tg.SendText(staff, "15h30")
	if got := h.waitText(staff, ns+11).Text; got != fr.T("timetable.ask_room", "Room", "2") {
		t.Fatalf("ask room = %q", got)
	}
	h.tg.SendText(staff, " b12 ")
	confirm = h.waitText(staff, ns+12)
	newStart := storetest.Day(friday, 6, 15, 30)
	newEnd := newStart.Add(150 * time.Minute)
	if want := fr.N("timetable.confirm_move", 2, "Group", "A1 matin", "Day", fr.F.Date(fri.Start), "Start", fr.F.Time(fri.Start),
		"NewDay", fr.F.Date(newStart), "NewStart", fr.F.Time(newStart), "NewEnd", fr.F.Time(newEnd), "Room", "b12"); confirm.Text != want {
		t.Fatalf("confirm move = %q, want %q", confirm.Text, want)
	}
	clsPress(h, staff, confirm.ID, "✅ Confirmer")
	if got := h.waitText(staff, ns+13).Text; got != fr.N("timetable.done_moved", 2) {
		t.Fatalf("done = %q", got)
	}
	if got := h.waitText(sami, nsa+2).Text; got != en.T("classes.moved_notice", "Day", en.F.Date(fri.Start), "Start", en.F.Time(fri.Start),
		"Group", "A1 matin", "NewDay", en.F.Date(newStart), "NewStart", en.F.Time(newStart), "NewEnd", en.F.Time(newEnd), "Room", "b12") {
		t.Fatalf("Sami was told %q", got)
	}
	h.waitText(ahmad, na+2)
	h.quiet(outsider, no)
	h.quiet(ahmad, na+2)
	h.quiet(sami, nsa+2)
	// Each resident's two notices left the outbox; the moved class's
	// reminders wait for its new time (the rows are written with the
	// change, before staff are told it is done).
	clsWaitOutbox(h, store.KindClassNotice, clsRow(pa.ID, "sent", ""), clsRow(pa.ID, "sent", ""),
		clsRow(ps.ID, "sent", ""), clsRow(ps.ID, "sent", ""))
	if got := h.count(`SELECT count(*) FROM outbox WHERE kind = 'class_reminder' AND not_before = $1`, newStart.Add(-time.Hour)); got != 2 {
		t.Fatalf("%d reminders due an hour before the moved class", got)
	}
	if got := h.count(`SELECT count(*) FROM audit_log WHERE action IN ('class.cancelled', 'class.moved')`); got != 2 {
		t.Fatalf("audit rows = %d", got)
	}
	// The resident's own list shows both changes.
	h.tg.SendText(sami, "/classes")
	if got := h.waitText(sami, nsa+3).Text; !strings.Contains(got, "B12") && !strings.Contains(got, "b12") {
		t.Fatalf("/classes after the move = %q", got)
	}
}

// Reminders are due one hour before the class on the Paris wall clock,
// across the spring and autumn clock changes, and go out once even with a
// second bot process, duplicate send jobs and the planner run again.
func TestClassRemindersAcrossClockChangesSentOnce(t *testing.T) {
	t.Parallel()
	// The Mondays around the next clock changes (from a Sunday, the Monday
	// before and the one after).
	begin := storetest.Now(t)
	spring, autumn := storetest.NextClockChange(begin, true), storetest.NextClockChange(begin, false)
	tests := []struct {
		name   string
		class  time.Time // Monday 10:00 Paris
		wantAt time.Time // reminder due: 09:00 in Paris
	}{
		{"week before spring change", storetest.Day(spring, -6, 10, 0), storetest.Day(spring, -6, 9, 0)},
		{"week of spring change", storetest.Day(spring, 1, 10, 0), storetest.Day(spring, 1, 9, 0)},
		{"week before autumn change", storetest.Day(autumn, -6, 10, 0), storetest.Day(autumn, -6, 9, 0)},
		{"week of autumn change", storetest.Day(autumn, 1, 10, 0), storetest.Day(autumn, 1, 9, 0)},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			h := newHarness(t)
			h.workerProcess()
			// Sunday noon: the planner sees Monday's class within 48 h. Set
			// before the class exists: run from a Sunday (TEST_NOW of the
			// night the clocks go forward), the planner's own runs on the
			// starting clock queued the next day's reminder too.
			h.setClock(tt.class.Add(-22 * time.Hour))
			u := telegramtest.User{ID: 32001 + int64(i), LanguageCode: "fa"}
			p, n := h.signUp(u, store.RoleResident, "Ahmad K.", "fa-AF")
			clsExternalID(h, p, "R-1")
			clsImport(h, `group,G-A1M,,A1,A1 matin,,,,,,,
session,S-MON,G-A1M,,,monday,10:00,12:00,Salle 1,Marie Dupont,,
enrolment,,G-A1M,,,,,,,,R-1,200
`)
			if _, err := h.app.Jobs().Insert(ctx, handlers.ClassPlanArgs{}, nil); err != nil {
				t.Fatal(err)
			}
			clsWaitOutbox(h, store.KindClassReminder, clsRow(p.ID, "pending", ""))
			var id int64
			var due, queued time.Time
			var start, key, db string
			if err := h.pool.QueryRow(ctx, `SELECT id, not_before, args->>'start', created_at, dedupe_key, current_database()
				FROM outbox WHERE kind = 'class_reminder'`).Scan(&id, &due, &start, &queued, &key, &db); err != nil {
				t.Fatal(err)
			}
			if !due.Equal(tt.wantAt) {
				// When it was queued (the planner's clock) and where: a
				// full CI run once saw another subtest's date here.
				t.Fatalf("reminder due %v, want %v (queued at %v, key %s, database %s; the clock now %v)",
					due.UTC(), tt.wantAt.UTC(), queued.UTC(), key, db, h.clock.Now().UTC())
			}
			if start != fmt.Sprint(tt.class.Unix()) {
				t.Fatalf("class starts %s, want %v", start, tt.class.UTC())
			}
			// Duplicate send jobs of the same row still send one message.
			for range 3 {
				if _, err := h.app.Jobs().Insert(ctx, handlers.OutboxSendArgs{ID: id}, nil); err != nil {
					t.Fatal(err)
				}
			}
			waitScheduled := func(want int) {
				h.tg.WaitFor(t, 10*time.Second, "send jobs waiting for the reminder's time", func() bool {
					return len(h.jobs("outbox_send", rivertype.JobStateScheduled)) == want
				})
			}
			waitScheduled(4)

			// One minute early on the bot's clock: nothing yet.
			h.setClock(due.Add(-time.Minute))
			h.quiet(u, n)
			waitScheduled(4)

			h.setClock(due)
			fa := h.loc("fa-AF")
			want := fa.T("classes.reminder", "Day", fa.F.Date(tt.class), "Start", fa.F.Time(tt.class), "Group", "A1 matin", "Room", "1")
			if got := h.waitText(u, n+1).Text; got != want {
				t.Fatalf("reminder = %q, want %q", got, want)
			}
			if !strings.Contains(want, "۱۰:۰۰") {
				t.Fatalf("the reminder does not say 10:00 in Dari digits: %q", want)
			}
			h.tg.WaitFor(t, 10*time.Second, "all send jobs done", func() bool {
				return len(h.jobs("outbox_send", rivertype.JobStateCompleted)) == 4
			})
			// Planning again adds nothing; a restart repeats nothing.
			if _, err := h.app.Jobs().Insert(ctx, handlers.ClassPlanArgs{}, nil); err != nil {
				t.Fatal(err)
			}
			h.restart()
			h.quiet(u, n+1)
			clsWaitOutbox(h, store.KindClassReminder, clsRow(p.ID, "sent", ""))
		})
	}
}
