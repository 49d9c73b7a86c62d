package bot_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// TestRecordedLanguageWinsAtSignUp: the language staff noted comes first,
// then the phone's, then the default. Telegram has no Tigrinya interface,
// so a Tigrinya reader's phone is often in English.
func TestRecordedLanguageWinsAtSignUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		phone       string // Telegram's language_code
		record      string // --lang given by staff ("" when none)
		welcome     string
		picker      string
		preselected string
	}{
		{"tigrinya record, english phone", "en", "ti",
			"👋 እንቋዕ ብደሓን መጻእኩም፣ Yonas T.!", "🌐 ቋንቋኹም ምረጹ:", "lang:ti"},
		{"no record, english phone", "en", "",
			"👋 Welcome, Yonas T.!", "", "lang:en"},
		{"no record, unsupported phone: the default", "uk", "",
			"👋 Bienvenue, Yonas T.\u00a0!", "🌐 Choisissez votre langue\u00a0:", "lang:fr"},
		{"french record, dari phone", "fa", "fr",
			"👋 Bienvenue, Yonas T.\u00a0!", "🌐 Choisissez votre langue\u00a0:", "lang:fr"},
	}
	h := newHarness(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := telegramtest.User{ID: 31000 + int64(i), FirstName: "Y", LanguageCode: tt.phone}
			_, code := h.addPerson(store.RoleResident, "Yonas T.", "101", tt.record)
			h.tg.SendText(u, "/start "+code)
			msgs := h.tg.WaitMessages(t, u.ID, 2, 10*time.Second)
			if msgs[0].Text != tt.welcome {
				t.Fatalf("welcome = %q, want %q", msgs[0].Text, tt.welcome)
			}
			if tt.picker != "" && msgs[1].Text != tt.picker {
				t.Fatalf("picker = %q, want %q", msgs[1].Text, tt.picker)
			}
			var marked []string
			for _, row := range msgs[1].InlineKeyboard {
				for _, b := range row {
					if strings.HasPrefix(b.Text, "✅ ") {
						marked = append(marked, b.CallbackData)
					}
				}
			}
			if len(marked) != 1 || marked[0] != tt.preselected {
				t.Fatalf("preselected %v, want %s", marked, tt.preselected)
			}
		})
	}
}

// TestWrongCodesAreLimitedPerCentreAcrossAccounts: forty accounts trying
// codes at once get thirty answers at most; then even a right code waits,
// and a code already used is answered like a wrong one.
func TestWrongCodesAreLimitedPerCentreAcrossAccounts(t *testing.T) {
	t.Parallel()
	const wrong = "❌ Ce code n'est pas bon. Vérifiez-le, ou demandez à l'accueil."
	const slowed = "⏳ Trop de mauvais codes. Attendez 15 minutes, puis réessayez."
	h := newHarness(t, func(h *harness) { h.cfg.InviteCentreTries = 30 })

	// A used code gets the wrong code's answer.
	_, code := h.addPerson(store.RoleResident, "Yonas T.", "101", "fr")
	first := telegramtest.User{ID: 32000, LanguageCode: "fr"}
	h.tg.SendText(first, "/start "+code)
	h.tg.WaitMessages(t, first.ID, 2, 10*time.Second)
	thief := telegramtest.User{ID: 32001, LanguageCode: "fr"}
	h.tg.SendText(thief, "/start "+code)
	if got := h.waitText(thief, 1).Text; got != wrong {
		t.Fatalf("used code → %q, want %q", got, wrong)
	}

	// 40 more accounts, 2 guesses each, all at once: 29 more wrong-code
	// answers (30 with the thief's), the rest slowed down.
	var guessers []telegramtest.User
	for i := range 40 {
		u := telegramtest.User{ID: 32100 + int64(i), LanguageCode: "fr"}
		guessers = append(guessers, u)
		h.tg.SendText(u, "/start "+fmt.Sprintf("ZZZZZZZ%03d", i))
		h.tg.SendText(u, "/start "+fmt.Sprintf("YYYYYYY%03d", i))
	}
	counts := map[string]int{}
	for _, u := range guessers {
		for _, m := range h.tg.WaitMessages(t, u.ID, 2, 20*time.Second) {
			counts[m.Text]++
		}
	}
	if counts[wrong] != 29 || counts[slowed] != 51 || len(counts) != 2 {
		t.Fatalf("answers = %v, want 29 × wrong and 51 × slowed down", counts)
	}

	// A resident with a real code now waits too: nothing is linked.
	_, real := h.addPerson(store.RoleResident, "Abdi M.", "102", "fr")
	late := telegramtest.User{ID: 32999, LanguageCode: "fr"}
	h.tg.SendText(late, "/start "+real)
	if got := h.waitText(late, 1).Text; got != slowed {
		t.Fatalf("right code while the centre is slowed down → %q", got)
	}
	if n := h.count(`SELECT count(*) FROM people WHERE telegram_id IS NOT NULL`); n != 1 {
		t.Fatalf("%d accounts linked, want only the first", n)
	}
}

// TestAppointmentsListHasAnswerButtonsAndOldButtonsSayMoved: /appointments
// puts the answer buttons under each unanswered appointment and his answer
// under answered ones; after a move, the old buttons say so, with the new
// time and fresh buttons.
func TestAppointmentsListHasAnswerButtonsAndOldButtonsSayMoved(t *testing.T) {
	t.Parallel()
	w := newApptWorld(t, "fr")
	h := w.h
	dec3 := apptThursday(h.begin)
	dec10 := storetest.Day(dec3, 7, 10, 0)
	siao := apptCreate(t, h, w.res.p, w.coord.p, store.KindSIAO, dec3, "SIAO 75", "id")
	lease := apptCreate(t, h, w.res.p, w.coord.p, store.KindLandlord, dec10, "Paris Habitat")
	if _, err := apptSetup(h).AnswerAppointment(context.Background(), w.res.p.CentreID, w.res.p.ID, lease.ID, 1,
		store.AnswerYes, h.clock.Now()); err != nil {
		t.Fatal(err)
	}

	first := w.res.say("/appointments")
	want := "📅 Vos prochains rendez-vous :\n\n📌 Entretien d'évaluation SIAO\n🕒 Quand : " + frDate(dec3) +
		" à 14:30\n📍 Où : SIAO 75\n📄 Apportez ces papiers :\n• Pièce d'identité\n\n" +
		"Est-ce que vous venez ? Répondez avec un bouton."
	if first.Text != want || !slices.Equal(apptButtons(first), apptAnswerButtons(siao.ID, 1)) {
		t.Fatalf("first =\n%q %v\nwant\n%q", first.Text, apptButtons(first), want)
	}
	second := w.res.next()
	want = "📌 Entretien avec un bailleur\n🕒 Quand : " + frDate(dec10) + " à 10:00\n📍 Où : Paris Habitat\n\n" +
		"Votre réponse : ✅ Je serai là"
	if second.Text != want || len(second.InlineKeyboard) != 0 {
		t.Fatalf("second =\n%q %v\nwant\n%q", second.Text, second.InlineKeyboard, want)
	}
	if got := w.res.press(first, fmt.Sprintf("apa:%d:1:yes", siao.ID)).Text; got != "✅ Merci. Votre coordinateur sait que vous serez là." {
		t.Fatalf("answer from the list → %q", got)
	}

	// Moved: the list's old button tells him, and answers nothing.
	newAt := storetest.Day(dec3, 1, 9, 30)
	if _, err := apptSetup(h).RescheduleAppointment(context.Background(), w.res.p.CentreID, siao.ID, 1, newAt,
		w.coord.p.ID, nil, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	moved := w.res.forge(first, fmt.Sprintf("apa:%d:1:no", siao.ID))
	want = "📅 Votre rendez-vous a changé. La nouvelle date :\n📌 Entretien d'évaluation SIAO\n🕒 Quand : " +
		frDate(newAt) + " à 09:30\n📍 Où : SIAO 75\n📄 Apportez ces papiers :\n• Pièce d'identité\n\n" +
		"Est-ce que vous venez ? Répondez avec un bouton."
	if moved.Text != want || !slices.Equal(apptButtons(moved), apptAnswerButtons(siao.ID, 2)) {
		t.Fatalf("old button after the move =\n%q %v\nwant\n%q", moved.Text, apptButtons(moved), want)
	}
	if n := h.count(`SELECT count(*) FROM appointments WHERE id = $1 AND answer IS NULL AND version = 2`, siao.ID); n != 1 {
		t.Fatal("the old button answered the moved appointment")
	}
	if got := w.res.press(moved, fmt.Sprintf("apa:%d:2:no", siao.ID)).Text; !strings.HasPrefix(got, "❌ ") {
		t.Fatalf("fresh button → %q", got)
	}
	if n := h.count(`SELECT count(*) FROM appointments WHERE id = $1 AND answer = 'no'`, siao.ID); n != 1 {
		t.Fatal("the fresh button did not answer")
	}
}

// TestLateBookingPlansWhatFitsAndAlwaysChecks: booked at 20:00 for 09:00
// the next morning with the default 24h,2h, the 2-hour reminder still fits
// and the check for an answer comes halfway, at 02:30; the coordinator is
// told exactly that.
func TestLateBookingPlansWhatFitsAndAlwaysChecks(t *testing.T) {
	t.Parallel()
	w := newApptWorld(t, "fr")
	h := w.h
	h.setClock(storetest.Day(h.begin, 1, 20, 0))
	at := storetest.Day(h.begin, 2, 9, 0)
	a, _ := w.schedule(t, "demain 9h", at, "Bailleur, 3 av. Y")
	check := storetest.Day(h.begin, 2, 2, 30)
	told := h.waitText(w.coord.u, w.coord.n).Text
	want := "✅ Envoyé à Ahmad K..\n🔔 Rappel : " + frDate(at) + " à 07:00\n" +
		"⏰ S'il n'a pas répondu le " + frDate(check) + " à 02:30, vous serez prévenu."
	if told != want {
		t.Fatalf("coordinator told\n%q\nwant\n%q", told, want)
	}
	if got := apptDue(h, a.ID, "appointment.reminder"); !apptSameTimes(got, []time.Time{at.Add(-2 * time.Hour)}) {
		t.Fatalf("reminders at %v, want 07:00", got)
	}
	if got := apptDue(h, a.ID, "appointment.noanswer"); !apptSameTimes(got, []time.Time{check}) {
		t.Fatalf("no-answer check at %v, want 02:30", got)
	}
	h.setClock(check)
	warn := w.coord.next()
	if want := "⚠️ Ahmad K. (chambre 214) n'a pas répondu pour ce rendez-vous :\n📌 Entretien d'évaluation SIAO\n" +
		"🕒 Quand : " + frDate(at) + " à 09:00\n📍 Où : Bailleur, 3 av. Y"; warn.Text != want {
		t.Fatalf("warning =\n%q\nwant\n%q", warn.Text, want)
	}
	w.res.quiet() // nothing for him before 07:00
	h.setClock(at.Add(-2 * time.Hour))
	if got := w.res.next().Text; !strings.HasPrefix(got, "⏰ Rappel : vous avez un rendez-vous.\n") {
		t.Fatalf("reminder = %q", got)
	}
}

// TestClassHoursShowHalfHours: 3 h and 1 h 30 attended are 4½ hours, not 4.
func TestClassHoursShowHalfHours(t *testing.T) {
	t.Parallel()
	tests := []struct{ lang, want string }{
		{"fr", "⏱ Heures de français faites : 4½ sur 100."},
		{"en", "⏱ Hours of French done: 4½ of 100."},
		{"ru", "⏱ Часов французского пройдено: 4½ из 100."},
	}
	h := newHarness(t)
	ctx := context.Background()
	friday := clsFriday(h)
	staff, _ := h.addPerson(store.RoleStaff, "Claire D.", "", "fr")
	csv := `group,G-H,,A1,A1 heures,,,,,,,
session,S-LONG,G-H,,,monday,09:00,12:00,Salle 1,Marie Dupont,,
session,S-SHORT,G-H,,,wednesday,14:00,15:30,Salle 1,Marie Dupont,,
`
	var users []telegramtest.User
	var people []store.Person
	var counts []int
	for i, tt := range tests {
		u := telegramtest.User{ID: 33001 + int64(i), LanguageCode: tt.lang}
		p, n := h.signUp(u, store.RoleResident, "Ahmad K.", tt.lang)
		clsExternalID(h, p, fmt.Sprintf("R-H%d", i))
		csv += fmt.Sprintf("enrolment,,G-H,,,,,,,,R-H%d,100\n", i)
		users, people, counts = append(users, u), append(people, p), append(counts, n)
	}
	clsImport(h, csv)
	centre := clsCentre(h).ID
	for _, o := range []store.ClassOccurrence{clsOcc(h, "S-LONG", storetest.Day(friday, -4, 0, 0)),
		clsOcc(h, "S-SHORT", storetest.Day(friday, -2, 0, 0))} {
		marks := map[int64]store.AttendanceMark{}
		for _, p := range people {
			marks[p.ID] = store.MarkPresent
		}
		if _, err := h.st.SaveAttendance(ctx, store.AttendanceSave{CentreID: centre, ActorID: staff.ID, Occurrence: o,
			Marks: marks, AlertAfter: 2, Now: h.clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	for i, tt := range tests {
		h.tg.SendText(users[i], "/classes")
		text := h.waitText(users[i], counts[i]+1).Text
		if last := text[strings.LastIndex(text, "\n")+1:]; last != tt.want {
			t.Errorf("%s: hours line %q, want %q", tt.lang, last, tt.want)
		}
	}
}

// TestRotaKeepsResidentsOutOfTheirClassesWithTheExampleFiles: with the
// project's own example files, the Wednesday showers (09:00–11:00) are not
// given to a resident of "A1 matin" (Wednesday 09:30–12:00), nor any turn
// to someone in class then; his /week shows no clash.
func TestRotaKeepsResidentsOutOfTheirClassesWithTheExampleFiles(t *testing.T) {
	t.Parallel()
	h := choreHarness(t)
	ctx := context.Background()
	centre := choreCentre(h)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "docs", "examples", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	res, err := h.st.ImportResidentsCSV(ctx, centre, strings.NewReader(read("residents.csv")), nil, h.clock.Now().Add(14*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.ImportClassesCSV(ctx, centre, strings.NewReader(read("classes.csv")), nil); err != nil {
		t.Fatal(err)
	}
	choreImport(h, read("chores.csv"))

	// Ahmad (R-0001, A1 matin) signs up and reads in French.
	var code string
	for _, n := range res.New {
		if n.Person.ExternalID != nil && *n.Person.ExternalID == "R-0001" {
			code = n.Code
		}
	}
	u := telegramtest.User{ID: 34001, LanguageCode: "fr"}
	h.tg.SendText(u, "/start "+code)
	picker := h.tg.WaitMessages(t, u.ID, 2, 10*time.Second)[1]
	h.tg.PressButton(u, picker.ID, "lang:fr")
	h.tg.WaitMessages(t, u.ID, 4, 10*time.Second)

	mon := choreMonday(h)
	h.setClock(mon)
	choreRunWeekly(h, choreWeek(mon))

	// Who is in class when (docs/examples/classes.csv): A1 matin Monday,
	// Wednesday and Friday 09:30–12:00; Alpha Tuesday and Thursday
	// 14:00–17:00.
	inClass := map[string][]string{
		"showers-1 Wed": {"R-0001", "R-0003"}, "corridors Mon": {"R-0001", "R-0003"},
		"laundry Thu": {"R-0002", "R-0004"},
	}
	turns, err := h.pool.Query(ctx, `SELECT a.external_id || ' ' || to_char(t.starts_at AT TIME ZONE 'Europe/Paris', 'Dy'),
		p.external_id FROM chore_turns t JOIN chore_areas a ON a.id = t.area_id JOIN people p ON p.id = t.person_id
		WHERE t.centre_id = $1 ORDER BY t.starts_at`, centre)
	if err != nil {
		t.Fatal(err)
	}
	given := map[string]string{}
	var slot, who string
	if _, err := pgx.ForEachRow(turns, []any{&slot, &who}, func() error { given[slot] = who; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(given) != 9 {
		t.Fatalf("turns of the week = %v, want the 9 of the example areas", given)
	}
	for s, busy := range inClass {
		if slices.Contains(busy, given[s]) {
			t.Errorf("%s given to %s, who is in class then (rota %v)", s, given[s], given)
		}
	}

	// The week's messages leave through the outbox: once they are all
	// sent, the next message of his chat is the answer to /week.
	h.settle()
	n := len(h.tg.Messages(u.ID))
	h.tg.SendText(u, "/week")
	week := h.waitText(u, n+1).Text
	if !strings.HasPrefix(week, "🗓️ Vos 7 prochains jours\n\n") || strings.Contains(week, "⚠️") ||
		strings.Contains(week, "Deux choses en même temps") {
		t.Fatalf("/week =\n%s", week)
	}
}
