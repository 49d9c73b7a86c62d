package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// apptChat follows one user's chat: how many messages it has, so each step
// waits for the next one.
type apptChat struct {
	t   *testing.T
	h   *harness
	u   telegramtest.User
	p   store.Person
	n   int
	loc *locales.Localizer
}

func (c *apptChat) next() telegramtest.SentMessage {
	c.t.Helper()
	c.n++
	return c.h.waitText(c.u, c.n)
}

func (c *apptChat) say(text string) telegramtest.SentMessage {
	c.t.Helper()
	c.h.tg.SendText(c.u, text)
	return c.next()
}

// press presses a button the message really has, and returns the next
// message of the chat.
func (c *apptChat) press(m telegramtest.SentMessage, data string) telegramtest.SentMessage {
	c.t.Helper()
	apptMustHaveButton(c.t, m, data)
	c.h.tg.PressButton(c.u, m.ID, data)
	return c.next()
}

// forge presses a button the message does not necessarily have.
func (c *apptChat) forge(m telegramtest.SentMessage, data string) telegramtest.SentMessage {
	c.t.Helper()
	c.h.tg.PressButton(c.u, m.ID, data)
	return c.next()
}

func (c *apptChat) quiet() {
	c.t.Helper()
	c.h.quiet(c.u, c.n)
}

func apptMustHaveButton(t *testing.T, m telegramtest.SentMessage, data string) {
	t.Helper()
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData == data {
				return
			}
		}
	}
	t.Fatalf("message %q has no button %q: %+v", m.Text, data, m.InlineKeyboard)
}

func apptButtons(m telegramtest.SentMessage) []string {
	var out []string
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			out = append(out, b.CallbackData)
		}
	}
	return out
}

// apptWorld is a centre with a coordinator (French) and one resident.
type apptWorld struct {
	h     *harness
	coord *apptChat
	res   *apptChat
	// preview is the last preview the coordinator saw before sending.
	preview string
}

func newApptWorld(t *testing.T, resLang string, opts ...harnessOption) *apptWorld {
	t.Helper()
	h := newHarness(t, opts...)
	w := &apptWorld{h: h}
	w.coord = apptSignUp(t, h, telegramtest.User{ID: 91001, FirstName: "TgCoordinatorName", LanguageCode: "fr"},
		store.RoleCoordinator, "Marie D.", "fr")
	w.res = apptSignUp(t, h, telegramtest.User{ID: 91002, FirstName: "TgResidentName", LanguageCode: resLang},
		store.RoleResident, "Ahmad K.", resLang)
	return w
}

func apptSignUp(t *testing.T, h *harness, u telegramtest.User, role store.Role, name, lang string) *apptChat {
	t.Helper()
	p, n := h.signUp(u, role, name, lang)
	return &apptChat{t: t, h: h, u: u, p: p, n: n, loc: h.loc(lang)}
}

// apptCard is the appointment as the bot writes it (appointments.card and
// the documents to bring).
func apptCard(loc *locales.Localizer, kind string, at time.Time, place string, docs ...string) string {
	s := loc.T("appointments.card", "Kind", loc.T("appointments.kind."+kind), "When", loc.F.DateTime(at), "Place", place)
	if len(docs) > 0 {
		s += "\n" + loc.T("appointments.documents")
		for _, d := range docs {
			s += "\n• " + loc.T("appointments.doc."+d)
		}
	}
	return s
}

func apptNotice(loc *locales.Localizer, headID, kind string, at time.Time, place string, docs ...string) string {
	return loc.T(headID) + "\n" + apptCard(loc, kind, at, place, docs...) + "\n\n" + loc.T("appointments.ask_answer")
}

func apptAnswerButtons(id int64, version int) []string {
	return []string{
		fmt.Sprintf("apa:%d:%d:yes", id, version),
		fmt.Sprintf("apa:%d:%d:help", id, version),
		fmt.Sprintf("apa:%d:%d:no", id, version),
	}
}

func (w *apptWorld) appointments(t *testing.T) []store.Appointment {
	t.Helper()
	list, err := w.h.st.CentreAppointments(context.Background(), w.res.p.CentreID, time.Time{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// schedule runs /interview from start to send, checking each step, and
// returns the appointment and the notice the resident got.
func (w *apptWorld) schedule(t *testing.T, when string, at time.Time, place string, docs ...string) (store.Appointment, telegramtest.SentMessage) {
	t.Helper()
	fr, c := w.coord.loc, w.coord
	if got := c.say("/interview").Text; got != "📅 Nouveau rendez-vous. Tapez le nom ou la chambre du résident." {
		t.Fatalf("/interview → %q", got)
	}
	if got := c.say("nobody-like-this").Text; got != "🔍 Aucun résident trouvé. Tapez à nouveau un nom ou une chambre." {
		t.Fatalf("unknown name → %q", got)
	}
	pick := c.say("ahmad")
	if pick.Text != "👇 Quel résident ?" || len(pick.InlineKeyboard) != 1 || pick.InlineKeyboard[0][0].Text != "Ahmad K. · 214" {
		t.Fatalf("pick = %q %+v", pick.Text, pick.InlineKeyboard)
	}
	kinds := c.press(pick, fmt.Sprintf("iv:p:%d", w.res.p.ID))
	if kinds.Text != "📌 Quel type de rendez-vous ?" || len(apptButtons(kinds)) != 6 {
		t.Fatalf("kinds = %q %v", kinds.Text, apptButtons(kinds))
	}
	days := c.press(kinds, "iv:k:siao")
	if days.Text != "🕒 Tapez la date et l'heure (par exemple 3/12 14h30, 03/12/2026 14:30, demain 10h, lundi 9h), ou choisissez un jour :" || len(apptButtons(days)) != 14 {
		t.Fatalf("days = %q %v", days.Text, apptButtons(days))
	}
	if got := c.say("le 45 du mois").Text; got != "❌ Je n'ai pas compris cette date. Écrivez-la comme 3/12 14h30 ou demain 10h, ou utilisez les boutons." {
		t.Fatalf("bad date → %q", got)
	}
	lastYear := paris(w.h.clock.Now()).AddDate(-1, 0, 0)
	if got := c.say(fmt.Sprintf("%d/%d/%d 10h", lastYear.Day(), lastYear.Month(), lastYear.Year())).Text; got != "❌ Cette date et cette heure sont déjà passées. Donnez une date à venir." {
		t.Fatalf("past date → %q", got)
	}
	if got := c.say(when).Text; got != "📍 Où ? Tapez l'adresse ou le bureau." {
		t.Fatalf("date %q → %q", when, got)
	}
	checklist := c.say(place)
	if checklist.Text != "📄 Quels papiers doit-il apporter ? Touchez pour cocher, puis Suivant." || len(apptButtons(checklist)) != 8 {
		t.Fatalf("checklist = %q %v", checklist.Text, apptButtons(checklist))
	}
	for i, d := range docs {
		apptMustHaveButton(t, checklist, "iv:doc:"+d)
		w.h.tg.PressButton(c.u, checklist.ID, "iv:doc:"+d)
		w.h.tg.WaitFor(t, 10*time.Second, "checklist ticked", func() bool {
			m, _ := w.h.tg.Message(c.u.ID, checklist.ID)
			return m.Edits == i+1
		})
	}
	checklist, _ = w.h.tg.Message(c.u.ID, checklist.ID)
	for _, d := range docs {
		label := "✅ " + fr.T("appointments.doc."+d)
		if !slices.ContainsFunc(checklist.InlineKeyboard, func(row []models.InlineKeyboardButton) bool { return row[0].Text == label }) {
			t.Fatalf("checklist does not show %q ticked: %+v", label, checklist.InlineKeyboard)
		}
	}
	preview := c.press(checklist, "iv:docs")
	wantPreview := fr.T("interview.preview", "Name", "Ahmad K.", "Room", "214") + "\n" +
		apptCard(fr, store.KindSIAO, at, place, docs...) + "\n\n" + "Le lui envoyer ?"
	if preview.Text != wantPreview {
		t.Fatalf("preview =\n%s\nwant\n%s", preview.Text, wantPreview)
	}
	w.preview = preview.Text
	if got := c.press(preview, "iv:send").Text; !strings.HasPrefix(got, fr.T("interview.sent", "Name", "Ahmad K.")+"\n") {
		t.Fatalf("send → %q", got)
	}
	notice := w.res.next()
	list := w.appointments(t)
	a := list[len(list)-1]
	if !a.At.Equal(at) || a.Kind != store.KindSIAO || a.Place != place || a.PersonID != w.res.p.ID ||
		a.CoordinatorID == nil || *a.CoordinatorID != c.p.ID || !slices.Equal(a.Documents, docs) {
		t.Fatalf("stored appointment = %+v", a)
	}
	if want := apptNotice(w.res.loc, "appointments.new", store.KindSIAO, at, place, docs...); notice.Text != want {
		t.Fatalf("resident got\n%q\nwant\n%q", notice.Text, want)
	}
	if got := apptButtons(notice); !slices.Equal(got, apptAnswerButtons(a.ID, 1)) {
		t.Fatalf("answer buttons = %v", got)
	}
	return a, notice
}

// apptThursday is a Thursday, 14:30 in Paris, two to eight days after
// begin: far enough for the reminders a day before to come later.
func apptThursday(begin time.Time) time.Time {
	return storetest.Next(storetest.Day(begin, 2, 0, 0), time.Thursday, 14, 30)
}

// apptEarly queues, to run at once, a second send job for each of an
// appointment's reminders and no-answer checks not yet sent (River's API,
// no uniqueness), as a bug or a clock ahead would run them.
func apptEarly(h *harness, id int64) {
	h.t.Helper()
	rows, err := h.pool.Query(context.Background(), `SELECT id FROM outbox
		WHERE starts_with(dedupe_key, $1) AND state = 'pending' ORDER BY id`, apptReminderKeys(id))
	if err != nil {
		h.t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		h.t.Fatal(err)
	}
	for _, row := range ids {
		if _, err := h.app.Jobs().Insert(context.Background(), handlers.OutboxSendArgs{ID: row}, nil); err != nil {
			h.t.Fatal(err)
		}
	}
}

func TestInterviewConfirmedAndRemindedOnTime(t *testing.T) {
	t.Parallel()
	w := newApptWorld(t, "fa-AF")
	h, fr, fa := w.h, w.coord.loc, w.res.loc
	at := apptThursday(h.begin)
	a, notice := w.schedule(t, typedDay(at)+" 14h30", at, "SIAO 75, 12 rue X", "permit", "tax")

	// The French preview, literally.
	if want := "👀 Vérifiez. Voici ce que Ahmad K. (chambre 214) va recevoir :\n" +
		"📌 Entretien d'évaluation SIAO\n🕒 Quand : " + frDate(at) + " à 14:30\n📍 Où : SIAO 75, 12 rue X\n" +
		"📄 Apportez ces papiers :\n• Titre de séjour\n• Avis d'imposition (N-2)\n\nLe lui envoyer ?"; w.preview != want {
		t.Fatalf("preview = %q", w.preview)
	}
	// The Dari notice, literally: Afghan month name, Persian digits, each
	// value isolated.
	if want := "📅 برای خانهٔ خود یک ملاقات نو دارید:\n📌 نوع ملاقات: \u2068مصاحبهٔ ارزیابی SIAO\u2069\n" +
		"🕒 زمان: \u2068" + faDate(at) + "، ساعت ۱۴:۳۰\u2069\n📍 جای: \u2068SIAO 75, 12 rue X\u2069\n" +
		"📄 این اسناد را با خود بیاورید:\n• کارت اقامت (titre de séjour)\n• اعلامیهٔ مالیات (avis d'imposition)\n\n" +
		"آیا می‌آیید؟ لطفاً با یک تکمه جواب بدهید."; notice.Text != want {
		t.Fatalf("notice = %q", notice.Text)
	}

	// Reminders 24 h and 2 h before, and the no-answer check with the first.
	if got, want := apptDue(h, a.ID, "appointment.reminder"), []time.Time{at.Add(-24 * time.Hour), at.Add(-2 * time.Hour)}; !apptSameTimes(got, want) {
		t.Fatalf("reminders at %v, want %v", got, want)
	}
	if got, want := apptDue(h, a.ID, "appointment.noanswer"), []time.Time{at.Add(-24 * time.Hour)}; !apptSameTimes(got, want) {
		t.Fatalf("no-answer check at %v, want %v", got, want)
	}

	// "I will be there" reaches the coordinator at once, and is stored.
	coordBefore := w.coord.n
	if got := w.res.press(notice, fmt.Sprintf("apa:%d:1:yes", a.ID)).Text; got != "✅ تشکر. هماهنگ\u200cکنندهٔ شما می\u200cداند که می\u200cآیید." {
		t.Fatalf("answer → %q", got)
	}
	told := w.coord.next()
	if want := "📅 Ahmad K. (chambre 214) a répondu : ✅ Je serai là\n" + apptCard(fr, store.KindSIAO, at, "SIAO 75, 12 rue X", "permit", "tax"); told.Text != want {
		t.Fatalf("coordinator told %q, want %q", told.Text, want)
	}
	apptMustHaveButton(t, told, fmt.Sprintf("apc:m:%d", a.ID))
	if w.coord.n != coordBefore+1 {
		t.Fatal("coordinator count")
	}
	if n := h.count(`SELECT count(*) FROM appointments WHERE id = $1 AND answer = 'yes' AND answered_at IS NOT NULL`, a.ID); n != 1 {
		t.Fatal("answer not stored")
	}
	// Pressing it again tells him again but not the coordinator.
	if got := w.res.press(notice, fmt.Sprintf("apa:%d:1:yes", a.ID)).Text; got != "✅ تشکر. هماهنگ\u200cکنندهٔ شما می\u200cداند که می\u200cآیید." {
		t.Fatalf("second press → %q", got)
	}

	// Nothing is sent before its time, even if the job is run early.
	apptEarly(h, a.ID)
	h.tg.WaitFor(t, 10*time.Second, "early jobs put back", func() bool {
		rows := h.ids(`SELECT id FROM outbox WHERE starts_with(dedupe_key, $1)`, apptReminderKeys(a.ID))
		put := 0 // run once, and put back to their time
		for _, j := range h.sendJobs(rows, rivertype.JobStateScheduled) {
			if j.AttemptedAt != nil {
				put++
			}
		}
		return put == 3
	})
	w.res.quiet()
	apptWaitReminderStates(t, h, a.ID, map[string]int{"pending": 3})

	// 24 h before: the reminder; the coordinator is not warned (he answered).
	h.setClock(at.Add(-24 * time.Hour))
	rem := w.res.next()
	want := "⏰ یادآوری: شما یک ملاقات دارید." + "\n" + apptCard(fa, store.KindSIAO, at, "SIAO 75, 12 rue X", "permit", "tax") +
		"\n\n" + "آیا می\u200cآیید؟ لطفاً با یک تکمه جواب بدهید."
	if rem.Text != want {
		t.Fatalf("reminder = %q, want %q", rem.Text, want)
	}
	if got := apptButtons(rem); !slices.Equal(got, apptAnswerButtons(a.ID, 1)) {
		t.Fatalf("reminder buttons = %v", got)
	}
	apptWaitReminderStates(t, h, a.ID, map[string]int{"sent": 1, "cancelled": 1, "pending": 1})
	if n := h.count(`SELECT count(*) FROM outbox WHERE kind = 'appointment.noanswer' AND state = 'cancelled' AND note = 'obsolete'`); n != 1 {
		t.Fatal("the no-answer check was not dropped as obsolete")
	}
	w.res.quiet()
	w.coord.quiet()

	// 2 h before: the second reminder.
	h.setClock(at.Add(-2 * time.Hour))
	if got := w.res.next().Text; got != want {
		t.Fatalf("2 h reminder = %q", got)
	}
	apptWaitReminderStates(t, h, a.ID, map[string]int{"sent": 2, "cancelled": 1})
	w.res.quiet()
	if n := h.count(`SELECT count(*) FROM outbox WHERE state = 'pending'`); n != 0 {
		t.Fatalf("%d messages still pending", n)
	}
}

func apptSameTimes(got, want []time.Time) bool {
	return slices.EqualFunc(got, want, func(a, b time.Time) bool { return a.Equal(b) })
}

// apptReminderKeys starts the outbox keys of an appointment's reminders and
// no-answer checks.
func apptReminderKeys(id int64) string { return fmt.Sprintf("reminder:appointment:%d:", id) }

// apptWaitReminderStates waits until the appointment's reminders and
// no-answer checks in the outbox are in the given states (counts).
func apptWaitReminderStates(t *testing.T, h *harness, id int64, want map[string]int) {
	t.Helper()
	h.tg.WaitFor(t, 10*time.Second, fmt.Sprintf("reminder states %v", want), func() bool {
		for state, n := range want {
			if h.count(`SELECT count(*) FROM outbox WHERE starts_with(dedupe_key, $1) AND state = $2`,
				apptReminderKeys(id), state) != n {
				return false
			}
		}
		return true
	})
}

// apptDue lists when an appointment's reminders (kind appointment.reminder)
// or no-answer checks (appointment.noanswer) not yet sent are due.
func apptDue(h *harness, id int64, kind string) []time.Time {
	h.t.Helper()
	rows, err := h.pool.Query(context.Background(), `SELECT not_before FROM outbox
		WHERE starts_with(dedupe_key, $1) AND kind = $2 AND state = 'pending' ORDER BY not_before`,
		apptReminderKeys(id), kind)
	if err != nil {
		h.t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

func TestInterviewNoAnswerTellsCoordinator(t *testing.T) {
	t.Parallel()
	w := newApptWorld(t, "en")
	h, fr := w.h, w.coord.loc
	h.setClock(storetest.Day(h.begin, 1, 10, 0))
	at := storetest.Day(h.begin, 2, 11, 0) // tomorrow 11:00 in Paris
	a, _ := w.schedule(t, "demain 11h", at, "Bailleur, 3 av. Y")
	// Created 24 h before: the first reminder and the check are due soon.
	h.setClock(at.Add(-24 * time.Hour))
	warn := w.coord.next()
	if want := "⚠️ Ahmad K. (chambre 214) n'a pas répondu pour ce rendez-vous :\n" +
		apptCard(fr, store.KindSIAO, at, "Bailleur, 3 av. Y"); warn.Text != want {
		t.Fatalf("warning = %q, want %q", warn.Text, want)
	}
	apptMustHaveButton(t, warn, fmt.Sprintf("apc:m:%d", a.ID))
	rem := w.res.next()
	if want := "⏰ Reminder: you have an appointment.\n📌 SIAO evaluation interview\n" +
		"🕒 When: " + enDate(at) + " at 11:00\n📍 Where: Bailleur, 3 av. Y\n\n" + "Will you come? Please answer with a button."; rem.Text != want {
		t.Fatalf("reminder = %q", rem.Text)
	}
	// He answers from the reminder; the check already ran, once.
	w.res.press(rem, fmt.Sprintf("apa:%d:1:help", a.ID))
	if got := w.coord.next().Text; !strings.HasPrefix(got, "📅 Ahmad K. (chambre 214) a répondu : 🙋 J'ai besoin d'aide") {
		t.Fatalf("coordinator told %q", got)
	}
	w.coord.quiet()
}

func TestInterviewReminderSentOnceByTwoProcesses(t *testing.T) {
	t.Parallel()
	w := newApptWorld(t, "ar")
	h := w.h
	at := apptThursday(h.begin)
	a, _ := w.schedule(t, paris(at).Format("02/01/2006 15:04"), at, "SIAO 75")
	h.workerProcess()
	h.workerProcess()
	// A second job for the 24 h reminder's row (as if inserted twice by a bug
	// or a replayed transaction, without uniqueness): the row's claim lets
	// only one send.
	due := at.Add(-24 * time.Hour)
	var row int64
	if err := h.pool.QueryRow(context.Background(), `SELECT id FROM outbox WHERE dedupe_key = $1`,
		fmt.Sprintf("%sv1:24h:%d", apptReminderKeys(a.ID), due.Unix())).Scan(&row); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Jobs().Insert(context.Background(), handlers.OutboxSendArgs{ID: row}, &river.InsertOpts{ScheduledAt: due}); err != nil {
		t.Fatalf("duplicate job: %v", err)
	}
	n := 0
	for _, j := range h.sendJobs([]int64{row}, rivertype.JobStateAvailable, rivertype.JobStateScheduled) {
		if j.ScheduledAt.Equal(due) {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d send jobs for the 24 h reminder, want it and its duplicate", n)
	}
	// 24 h before, he has not answered: his reminder, and the coordinator
	// is told, once each.
	h.setClock(due)
	if got := w.res.next().Text; !strings.HasPrefix(got, "⏰ تذكير: لديك موعد."+"\n") {
		t.Fatalf("reminder = %q", got)
	}
	if got := w.coord.next().Text; !strings.HasPrefix(got, "⚠️ Ahmad K. (chambre 214) n'a pas répondu") {
		t.Fatalf("coordinator told %q", got)
	}
	h.tg.WaitFor(t, 10*time.Second, "both jobs worked", func() bool {
		return len(h.sendJobs([]int64{row}, rivertype.JobStateCompleted)) == 2
	})
	apptWaitReminderStates(t, h, a.ID, map[string]int{"sent": 2, "pending": 1})
	w.res.quiet()
	w.coord.quiet()
	// A restart loses nothing and repeats nothing: the 2 h reminder comes,
	// once.
	h.restart()
	h.setClock(at.Add(-2 * time.Hour))
	w.res.next()
	apptWaitReminderStates(t, h, a.ID, map[string]int{"sent": 3}) // the reminders and the no-answer check
	w.res.quiet()
	w.coord.quiet()
	if n := h.count(`SELECT count(*) FROM outbox WHERE starts_with(dedupe_key, $1)`, apptReminderKeys(a.ID)); n != 3 {
		t.Fatalf("%d reminder rows, want 3", n)
	}
}

func TestInterviewRescheduledThenCancelled(t *testing.T) {
	t.Parallel()
	w := newApptWorld(t, "en")
	h, fr, en := w.h, w.coord.loc, w.res.loc
	at := apptThursday(h.begin)
	a, notice := w.schedule(t, typedDay(at)+" 14h30", at, "SIAO 75", "id")
	w.res.press(notice, fmt.Sprintf("apa:%d:1:yes", a.ID))
	w.coord.next()

	// The coordinator's list, then the appointment's detail.
	list := w.coord.say("/appointments")
	if want := fr.N("appointments.staff_title", 1) + "\n" + fr.T("appointments.staff_item", "When", fr.F.DateTime(at),
		"Name", "Ahmad K.", "Room", "214", "Kind", "Entretien d'évaluation SIAO", "Answer", "✅ viendra"); list.Text != want {
		t.Fatalf("list = %q, want %q", list.Text, want)
	}
	detail := w.coord.press(list, fmt.Sprintf("apc:d:%d", a.ID))
	wantButtons := []string{fmt.Sprintf("apc:mv:%d:1", a.ID), fmt.Sprintf("apc:x:%d:1", a.ID), fmt.Sprintf("apc:m:%d", a.ID)}
	if got := apptButtons(detail); !slices.Equal(got, wantButtons) {
		t.Fatalf("detail buttons = %v", got)
	}

	// Reschedule with the buttons: the last day offered, 09:30.
	days := w.coord.press(detail, fmt.Sprintf("apc:mv:%d:1", a.ID))
	if want := fr.T("interview.move_start", "Name", "Ahmad K.", "When", fr.F.DateTime(at)) + "\n" + "🕒 Tapez la date et l'heure (par exemple 3/12 14h30, 03/12/2026 14:30, demain 10h, lundi 9h), ou choisissez un jour :"; days.Text != want {
		t.Fatalf("move start = %q", days.Text)
	}
	today := h.clock.Now()
	if b := days.InlineKeyboard[0][0]; b.Text != frWeekdays[paris(today).Weekday()]+" "+numDate(today) || b.CallbackData != "iv:d:"+dayKey(today) {
		t.Fatalf("first day button = %+v", b)
	}
	newAt := storetest.Day(today, 13, 9, 30)
	times := w.coord.press(days, "iv:d:"+dayKey(newAt))
	if times.Text != fr.T("interview.ask_time", "Date", fr.F.Date(newAt)) || len(apptButtons(times)) != 21 {
		t.Fatalf("times = %q %v", times.Text, apptButtons(times))
	}
	preview := w.coord.press(times, "iv:t:0930")
	if want := fr.T("interview.move_preview", "Name", "Ahmad K.", "Room", "214", "Old", fr.F.DateTime(at), "New", fr.F.DateTime(newAt)); preview.Text != want {
		t.Fatalf("move preview = %q", preview.Text)
	}
	if got := w.coord.press(preview, "iv:send").Text; !strings.HasPrefix(got, fr.T("interview.moved", "Name", "Ahmad K.")+"\n") {
		t.Fatalf("moved → %q", got)
	}
	moved := w.res.next()
	if want := apptNotice(en, "appointments.moved", store.KindSIAO, newAt, "SIAO 75", "id"); moved.Text != want {
		t.Fatalf("resident got %q, want %q", moved.Text, want)
	}
	if got := apptButtons(moved); !slices.Equal(got, apptAnswerButtons(a.ID, 2)) {
		t.Fatalf("new answer buttons %v", got)
	}
	// Old reminders gone, new ones at the new times; his answer is asked
	// again.
	if got, want := apptDue(h, a.ID, "appointment.reminder"), []time.Time{newAt.Add(-24 * time.Hour), newAt.Add(-2 * time.Hour)}; !apptSameTimes(got, want) {
		t.Fatalf("reminders after the move at %v, want %v", got, want)
	}
	if got := apptDue(h, a.ID, "appointment.noanswer"); !apptSameTimes(got, []time.Time{newAt.Add(-24 * time.Hour)}) {
		t.Fatalf("no-answer after the move at %v", got)
	}
	if n := h.count(`SELECT count(*) FROM outbox WHERE starts_with(dedupe_key, $1) AND state = 'cancelled'
		AND note = 'obsolete' AND args->>'version' = '1'`, apptReminderKeys(a.ID)); n != 3 {
		t.Fatalf("%d reminders cancelled, want the 3 old ones", n)
	}
	if n := h.count(`SELECT count(*) FROM appointments WHERE id = $1 AND answer IS NULL AND version = 2`, a.ID); n != 1 {
		t.Fatal("answer not cleared by the move")
	}
	// The old notice's buttons answer nothing now: they say it was moved,
	// with the new time and fresh buttons.
	again := w.res.forge(notice, fmt.Sprintf("apa:%d:1:yes", a.ID))
	if want := apptNotice(en, "appointments.moved", store.KindSIAO, newAt, "SIAO 75", "id"); again.Text != want ||
		!slices.Equal(apptButtons(again), apptAnswerButtons(a.ID, 2)) {
		t.Fatalf("old button → %q %v", again.Text, apptButtons(again))
	}
	if n := h.count(`SELECT count(*) FROM appointments WHERE id = $1 AND answer IS NULL`, a.ID); n != 1 {
		t.Fatal("an old button answered the moved appointment")
	}
	// At the old reminder's time nothing comes: its row was cancelled. A
	// reminder job queued before the outbox for the old version does nothing
	// either, and one for the new version finds its reminder already queued.
	rows := h.count(`SELECT count(*) FROM outbox`)
	h.setClock(at.Add(-24 * time.Hour))
	for _, args := range []handlers.AppointmentReminderArgs{
		{CentreID: a.CentreID, AppointmentID: a.ID, ReminderID: 1, Version: 1, DueAt: at.Add(-24 * time.Hour)},
		{CentreID: a.CentreID, AppointmentID: a.ID, ReminderID: 4, Version: 2, DueAt: newAt.Add(-24 * time.Hour)},
	} {
		if _, err := h.app.Jobs().Insert(context.Background(), args, nil); err != nil {
			t.Fatal(err)
		}
	}
	h.tg.WaitFor(t, 10*time.Second, "old jobs worked", func() bool {
		return len(h.jobs("appointment_reminder", rivertype.JobStateCompleted)) == 2
	})
	w.res.quiet()
	if n := h.count(`SELECT count(*) FROM outbox`); n != rows {
		t.Fatalf("%d outbox rows, want %d: an old job queued a reminder again", n, rows)
	}

	// Cancel, with a confirmation; a stale cancel button does nothing.
	list = w.coord.say("/appointments")
	detail = w.coord.press(list, fmt.Sprintf("apc:d:%d", a.ID))
	if got := w.coord.forge(detail, fmt.Sprintf("apc:x:%d:1", a.ID)).Text; got != "Ce bouton n'est plus valable." {
		t.Fatalf("stale cancel → %q", got)
	}
	confirm := w.coord.press(detail, fmt.Sprintf("apc:x:%d:2", a.ID))
	if !strings.HasPrefix(confirm.Text, fr.T("appointments.cancel_confirm", "Name", "Ahmad K.", "Room", "214")) {
		t.Fatalf("confirm = %q", confirm.Text)
	}
	if got := w.coord.press(confirm, fmt.Sprintf("apc:xy:%d:2", a.ID)).Text; got != fr.T("appointments.cancel_done", "Name", "Ahmad K.") {
		t.Fatalf("cancel → %q", got)
	}
	if got := w.res.next().Text; got != "❌ This appointment is cancelled:"+"\n"+apptCard(en, store.KindSIAO, newAt, "SIAO 75", "id") {
		t.Fatalf("resident got %q", got)
	}
	if n := h.count(`SELECT count(*) FROM outbox WHERE starts_with(dedupe_key, $1) AND state = 'pending'`, apptReminderKeys(a.ID)); n != 0 {
		t.Fatalf("%d reminders left after the cancel", n)
	}
	if got := w.res.say("/appointments").Text; got != "📅 You have no appointment planned." {
		t.Fatalf("resident list after the cancel = %q", got)
	}
	if got := w.coord.say("/appointments").Text; got != "📅 Aucun rendez-vous prévu dans le centre." {
		t.Fatalf("coordinator list after the cancel = %q", got)
	}
	// Confirming the cancel again changes nothing.
	if got := w.coord.forge(confirm, fmt.Sprintf("apc:xy:%d:2", a.ID)).Text; got != "Ce bouton n'est plus valable." {
		t.Fatalf("second cancel → %q", got)
	}
	w.res.quiet()
}

func TestInterviewAcrossClockChanges(t *testing.T) {
	t.Parallel()
	t.Run("autumn", func(t *testing.T) {
		t.Parallel()
		w := newApptWorld(t, "fr")
		h := w.h
		// The Tuesday before the clocks go back on a Sunday.
		sunday := storetest.NextClockChange(h.begin, false)
		h.setClock(storetest.Day(sunday, -5, 11, 0))
		at := storetest.Day(sunday, 0, 10, 0) // Sunday 10:00 winter time
		a, _ := w.schedule(t, typedDay(at)+" 10h", at, "Mairie")
		// 24 h before is Saturday 11:00 summer time, not 10:00.
		want := []time.Time{storetest.Day(sunday, -1, 11, 0), storetest.Day(sunday, 0, 8, 0)}
		if got := apptDue(h, a.ID, "appointment.reminder"); !apptSameTimes(got, want) {
			t.Fatalf("reminders due %v, want %v", got, want)
		}
		if got := apptDue(h, a.ID, "appointment.noanswer"); !apptSameTimes(got, want[:1]) {
			t.Fatalf("no-answer check due %v, want %v", got, want[:1])
		}
		// Nothing before its time: the three send jobs wait on the bot's
		// clock, the second of the two due together one step of the bot's
		// pace after the first (store's spreadDue).
		w.res.quiet()
		step := time.Second / time.Duration(h.cfg.GlobalRate)
		if got := h.jobTimes("outbox_send"); !apptSameTimes(got, []time.Time{want[0], want[0].Add(step), want[1]}) {
			t.Fatalf("send jobs waiting at %v, want %v", got, want)
		}
		h.setClock(want[0])
		if got := w.res.next().Text; !strings.Contains(got, frDate(at)+" à 10:00") {
			t.Fatalf("reminder = %q", got)
		}
		w.res.quiet()
	})
	t.Run("spring", func(t *testing.T) {
		t.Parallel()
		w := newApptWorld(t, "en")
		h := w.h
		// The Saturday a week before the clocks go forward on a Sunday.
		sunday := storetest.NextClockChange(h.begin, true)
		h.setClock(storetest.Day(sunday, -8, 10, 0))
		at := storetest.Day(sunday, 0, 10, 0) // Sunday 10:00 summer time
		a, _ := w.schedule(t, paris(at).Format("02/01/2006")+" 10h", at, "Mairie")
		// 24 h before is Saturday 09:00 winter time.
		want := []time.Time{storetest.Day(sunday, -1, 9, 0), storetest.Day(sunday, 0, 8, 0)}
		if got := apptDue(h, a.ID, "appointment.reminder"); !apptSameTimes(got, want) {
			t.Fatalf("reminders at %v, want %v", got, want)
		}
		if got := apptDue(h, a.ID, "appointment.noanswer"); !apptSameTimes(got, want[:1]) {
			t.Fatalf("no-answer at %v", got)
		}
	})
}

func TestInterviewRemindersFollowConfiguration(t *testing.T) {
	t.Parallel()
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "INTERVIEW_REMINDERS" {
				return v
			}
			return ""
		}
	}
	if cfg, err := bot.FromEnv(env("")); err != nil || !slices.Equal(cfg.InterviewReminders, []time.Duration{24 * time.Hour, 2 * time.Hour}) {
		t.Fatalf("default = %v, %v", cfg.InterviewReminders, err)
	}
	if cfg, err := bot.FromEnv(env("3h, 48h")); err != nil || !slices.Equal(cfg.InterviewReminders, []time.Duration{48 * time.Hour, 3 * time.Hour}) {
		t.Fatalf("3h, 48h = %v, %v", cfg.InterviewReminders, err)
	}
	if _, err := bot.FromEnv(env("tomorrow")); err == nil || !strings.Contains(err.Error(), "INTERVIEW_REMINDERS") {
		t.Fatalf("bad value: %v", err)
	}

	w := newApptWorld(t, "so", func(h *harness) { h.cfg.InterviewReminders = []time.Duration{48 * time.Hour, 3 * time.Hour} })
	// From a Friday, "jeudi" is six days ahead.
	friday := storetest.Next(w.h.begin, time.Friday, 10, 0)
	w.h.setClock(friday)
	at := storetest.Next(friday, time.Thursday, 14, 30)
	a, _ := w.schedule(t, "jeudi 14h30", at, "SIAO 75")
	if got, want := apptDue(w.h, a.ID, "appointment.reminder"), []time.Time{at.Add(-48 * time.Hour), at.Add(-3 * time.Hour)}; !apptSameTimes(got, want) {
		t.Fatalf("reminders at %v, want %v", got, want)
	}
	if got := apptDue(w.h, a.ID, "appointment.noanswer"); !apptSameTimes(got, []time.Time{at.Add(-48 * time.Hour)}) {
		t.Fatalf("no-answer check at %v", got)
	}
}
