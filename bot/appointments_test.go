package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// apptQuiet queues no sending job: the store of appointments set up
// directly for tests about something else writes their messages to the
// outbox, where they stay unsent.
type apptQuiet struct{}

func (apptQuiet) ScheduleOutboxTx(context.Context, pgx.Tx, []store.OutboxJob) error { return nil }

// apptSetup is the harness's store, with messages that stay unsent.
func apptSetup(h *harness) *store.Store {
	h.st.UseOutboxScheduler(apptQuiet{})
	return h.st
}

func apptCreate(t *testing.T, h *harness, person, coord store.Person, kind string, at time.Time, place string, docs ...string) store.Appointment {
	t.Helper()
	now := h.clock.Now()
	if !at.After(now) {
		now = at.Add(-time.Hour) // an appointment made earlier, now past
	}
	a, err := apptSetup(h).CreateAppointment(context.Background(), store.NewAppointment{CentreID: person.CentreID,
		PersonID: person.ID, CoordinatorID: coord.ID, Kind: kind, At: at, Place: place, Documents: docs}, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestResidentSeesHisAppointmentsInHisLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	coord := apptSignUp(t, h, telegramtest.User{ID: 92001, LanguageCode: "fr"}, store.RoleCoordinator, "Marie D.", "fr")
	ahmad := apptSignUp(t, h, telegramtest.User{ID: 92002, LanguageCode: "en"}, store.RoleResident, "Ahmad K.", "en")
	omar := apptSignUp(t, h, telegramtest.User{ID: 92003, LanguageCode: "ar"}, store.RoleResident, "Omar S.", "ar")
	yonas := apptSignUp(t, h, telegramtest.User{ID: 92004, LanguageCode: "ti"}, store.RoleResident, "Yonas T.", "ti")
	staff := apptSignUp(t, h, telegramtest.User{ID: 92005, LanguageCode: "fr"}, store.RoleStaff, "Luc B.", "fr")

	dec3 := apptThursday(h.begin)
	dec10 := storetest.Day(dec3, 7, 10, 0)
	apptCreate(t, h, ahmad.p, coord.p, store.KindLease, dec10, "Paris Habitat, 5 rue Y")
	apptCreate(t, h, ahmad.p, coord.p, store.KindSIAO, dec3, "SIAO 75, 12 rue X", "permit", "tax")
	apptCreate(t, h, ahmad.p, coord.p, store.KindVisit, storetest.Day(h.begin, -7, 10, 0), "past") // past
	gone := apptCreate(t, h, ahmad.p, coord.p, store.KindOther, dec3.Add(time.Hour), "cancelled")
	if _, err := apptSetup(h).CancelAppointment(context.Background(), gone.CentreID, gone.ID, 1, coord.p.ID, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	omars := apptCreate(t, h, omar.p, coord.p, store.KindVisit, dec3, "12 rue Z", "id", "rib")
	if _, err := apptSetup(h).AnswerAppointment(context.Background(), omar.p.CentreID, omar.p.ID, omars.ID, 1,
		store.AnswerHelp, h.clock.Now()); err != nil {
		t.Fatal(err)
	}

	// English, by command: soonest first, only his own, neither past nor
	// cancelled.
	// One message each, with his answer buttons while he has not answered.
	got := ahmad.say("/appointments")
	want := "📅 Your next appointments:\n\n" +
		"📌 SIAO evaluation interview\n🕒 When: " + enDate(dec3) + " at 14:30\n📍 Where: SIAO 75, 12 rue X\n" +
		"📄 Bring these papers:\n• Residence permit (titre de séjour)\n• Tax notice (avis d'imposition)\n\n" +
		"Will you come? Please answer with a button."
	if got.Text != want {
		t.Fatalf("English list =\n%q\nwant\n%q", got.Text, want)
	}
	got = ahmad.next()
	want = "📌 Signing of the lease\n🕒 When: " + enDate(dec10) + " at 10:00\n📍 Where: Paris Habitat, 5 rue Y\n\n" +
		"Will you come? Please answer with a button."
	if got.Text != want || len(apptButtons(got)) != 3 {
		t.Fatalf("English list, second =\n%q %v\nwant\n%q", got.Text, apptButtons(got), want)
	}
	// Arabic (right to left), by its menu button: Arabic digits and the
	// 12-hour clock of CLDR ar, values isolated.
	menu := omar.h.waitText(omar.u, omar.n)
	if !apptReplyKeyboardHas(menu, "📅 المواعيد") {
		t.Fatalf("Arabic menu has no appointments button: %v", menu.ReplyKeyboard)
	}
	got = omar.say("📅 المواعيد")
	want = "📅 مواعيدك القادمة:\n\n" +
		"📌 نوع الموعد: \u2068زيارة مسكن\u2069\n🕒 الوقت: \u2068" + arDate(dec3) + " في 14:30\u2069\n" +
		"📍 المكان: \u206812 rue Z\u2069\n📄 أحضر هذه الأوراق:\n• وثيقة الهوية\n• بيانات الحساب البنكي (RIB)\n\n" +
		"إجابتك: \u2068🙋 أحتاج إلى مساعدة\u2069" // answered: his answer, no buttons
	if got.Text != want || len(got.InlineKeyboard) != 0 {
		t.Fatalf("Arabic list =\n%q\nwant\n%q", got.Text, want)
	}
	if !apptReplyKeyboardHas(got, "📅 المواعيد") {
		t.Fatalf("the list does not keep the menu: %v", got.ReplyKeyboard)
	}
	if got := yonas.say("/appointments").Text; got != "📅 ዝኾነ ቆጸራ የብልኩምን።" {
		t.Fatalf("Tigrinya empty list = %q", got)
	}

	// Staff see the centre's upcoming appointments; the detail has no
	// coordinator buttons for them.
	fr := staff.loc
	list := staff.say("/appointments")
	if !strings.HasPrefix(list.Text, fr.N("appointments.staff_title", 3)+"\n") || len(apptButtons(list)) != 3 ||
		!strings.Contains(list.Text, "Omar S. (214) — Visite d'un logement — 🙋 a besoin d'aide") {
		t.Fatalf("staff list = %q %v", list.Text, apptButtons(list))
	}
	detail := staff.press(list, apptButtons(list)[0])
	if len(detail.InlineKeyboard) != 0 || !strings.HasPrefix(detail.Text, "📅 Ahmad K. (chambre 214)\n") {
		t.Fatalf("staff detail = %q %v", detail.Text, detail.InlineKeyboard)
	}
	for _, c := range []*apptChat{ahmad, omar, yonas, staff, coord} {
		c.quiet()
	}
}

func apptReplyKeyboardHas(m telegramtest.SentMessage, label string) bool {
	for _, row := range m.ReplyKeyboard {
		for _, b := range row {
			if b == label {
				return true
			}
		}
	}
	return false
}

func TestCoordinatorAndResidentWriteThroughTheBot(t *testing.T) {
	t.Parallel()
	w := newApptWorld(t, "ti")
	h, fr, ti := w.h, w.coord.loc, w.res.loc
	staff := apptSignUp(t, h, telegramtest.User{ID: 91003, LanguageCode: "en"}, store.RoleStaff, "Luc B.", "en")
	at := apptThursday(h.begin)
	a := apptCreate(t, h, w.res.p, w.coord.p, store.KindLandlord, at, "Paris Habitat")

	list := w.coord.say("/appointments")
	detail := w.coord.press(list, fmt.Sprintf("apc:d:%d", a.ID))
	if got := w.coord.press(detail, fmt.Sprintf("apc:m:%d", a.ID)).Text; got != fr.T("appointments.message_ask", "Name", "Ahmad K.") {
		t.Fatalf("message ask = %q", got)
	}
	const toRes = "Bonjour, apportez aussi votre RIB s'il vous plaît."
	if got := w.coord.say(toRes).Text; got != fr.T("appointments.message_sent", "Name", "Ahmad K.") {
		t.Fatalf("message sent → %q", got)
	}
	relayed := w.res.next()
	if want := ti.T("appointments.relay_to_resident", "Name", "Marie D.", "Kind", "ምስ ወናኒ ገዛ (bailleur) ቃለ-መሕትት",
		"When", ti.F.DateTime(at), "Text", toRes); relayed.Text != want {
		t.Fatalf("resident got %q, want %q", relayed.Text, want)
	}
	var msgID int64
	if err := h.pool.QueryRow(context.Background(), `SELECT id FROM appointment_messages WHERE appointment_id = $1`, a.ID).Scan(&msgID); err != nil {
		t.Fatal(err)
	}
	if got := apptButtons(relayed); len(got) != 1 || got[0] != "apr:"+strconv.FormatInt(msgID, 10) {
		t.Fatalf("reply button = %v", got)
	}

	// The resident answers with the Reply button, then types.
	if got := w.res.press(relayed, "apr:"+strconv.FormatInt(msgID, 10)).Text; got != "↩️ መልስኹም ጽሓፉ። ንምቁራጽ /cancel ስደዱ።" {
		t.Fatalf("reply ask = %q", got)
	}
	const toCoord = "ሕራይ፣ ክመጽእ እየ። RIB ኣለኒ።"
	if got := w.res.say(toCoord).Text; got != "✅ መልስኹም ተላኢኹ።" {
		t.Fatalf("reply sent → %q", got)
	}
	back := w.coord.next()
	if want := fr.T("appointments.relay_to_coordinator", "Name", "Ahmad K.", "Room", "214",
		"Kind", "Entretien avec un bailleur", "When", fr.F.DateTime(at), "Text", toCoord); back.Text != want {
		t.Fatalf("coordinator got %q, want %q", back.Text, want)
	}
	apptMustHaveButton(t, back, fmt.Sprintf("apc:m:%d", a.ID))

	// Text only, never forwarded: neither sees the other's Telegram account.
	for _, m := range []string{relayed.Text, back.Text} {
		for _, leak := range []string{"TgCoordinatorName", "TgResidentName", "91001", "91002"} {
			if strings.Contains(m, leak) {
				t.Fatalf("%q leaks %q", m, leak)
			}
		}
	}
	for _, method := range []string{"forwardMessage", "forwardMessages", "copyMessage", "copyMessages"} {
		if calls := h.tg.CallsTo(method); len(calls) != 0 {
			t.Fatalf("the bot called %s", method)
		}
	}

	// Kept with the appointment.
	thread, err := h.st.AppointmentMessages(context.Background(), a.CentreID, a.ID)
	if err != nil || len(thread) != 2 {
		t.Fatalf("thread = %+v, %v", thread, err)
	}
	if thread[0].Body != toRes || thread[0].FromResident || *thread[0].AuthorID != w.coord.p.ID || *thread[0].RecipientID != w.res.p.ID ||
		thread[1].Body != toCoord || !thread[1].FromResident || *thread[1].AuthorID != w.res.p.ID || *thread[1].RecipientID != w.coord.p.ID {
		t.Fatalf("thread = %+v", thread)
	}
	// Each went out as an outbox row of its own, to its recipient.
	for _, m := range thread {
		h.tg.WaitFor(t, 10*time.Second, "relayed message sent", func() bool {
			return h.count(`SELECT count(*) FROM outbox WHERE dedupe_key = $1 AND person_id = $2
				AND kind = 'appointment.relay' AND state = 'sent'`,
				fmt.Sprintf("message:appointment:%d:%d", a.ID, m.ID), *m.RecipientID) == 1
		})
	}

	// Staff of the centre see the exchange in the detail; the resident's
	// own list does not show it.
	en := staff.loc
	list = staff.say("/appointments")
	detail = staff.press(list, fmt.Sprintf("apc:d:%d", a.ID))
	when := func(m store.AppointmentMessage) string { return en.F.DateShort(m.At) + " " + en.F.Time(m.At) }
	wantDetail := strings.Join([]string{
		en.T("appointments.detail_head", "Name", "Ahmad K.", "Room", "214"),
		apptCard(en, store.KindLandlord, at, "Paris Habitat"),
		en.T("appointments.detail_answer", "Answer", "⏳ no answer yet"),
		"",
		"💬 Messages:",
		en.T("appointments.thread_out", "When", when(thread[0]), "Author", "Marie D.", "Text", toRes),
		en.T("appointments.thread_in", "When", when(thread[1]), "Author", "Ahmad K.", "Text", toCoord),
	}, "\n")
	if detail.Text != wantDetail {
		t.Fatalf("staff detail =\n%s\nwant\n%s", detail.Text, wantDetail)
	}
	if strings.Contains(w.res.say("/appointments").Text, toRes) {
		t.Fatal("the resident's list shows the staff thread")
	}
	w.coord.quiet()
	w.res.quiet()
}

func TestResidentIsRefusedInterviewAndForgedButtonsChangeNothing(t *testing.T) {
	t.Parallel()
	w := newApptWorld(t, "en")
	h := w.h
	omar := apptSignUp(t, h, telegramtest.User{ID: 91004, LanguageCode: "ar"}, store.RoleResident, "Omar S.", "ar")
	staff := apptSignUp(t, h, telegramtest.User{ID: 91005, LanguageCode: "fr"}, store.RoleStaff, "Luc B.", "fr")
	at := apptThursday(h.begin)
	mine := apptCreate(t, h, w.res.p, w.coord.p, store.KindSIAO, at, "SIAO 75")
	his := apptCreate(t, h, omar.p, w.coord.p, store.KindVisit, at, "12 rue Z")
	if _, err := apptSetup(h).AddAppointmentMessage(context.Background(), his.CentreID, his.ID, w.coord.p.ID, omar.p.ID, false, "hi", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	var hisMsg int64
	if err := h.pool.QueryRow(context.Background(), `SELECT id FROM appointment_messages WHERE appointment_id = $1`, his.ID).Scan(&hisMsg); err != nil {
		t.Fatal(err)
	}
	snapshot := func() string {
		var s string
		if err := h.pool.QueryRow(context.Background(), `SELECT string_agg(id || ':' || status || ':' || version || ':' ||
			COALESCE(answer, '-') || ':' || at, ',' ORDER BY id) FROM appointments`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := snapshot()

	// A resident cannot schedule, by command or by the menu text, and the
	// refusal names the role needed and the action.
	const coordOnly = "⛔ Sorry, only coordinators can do this: “Schedule a housing appointment for a resident”."
	if got := w.res.say("/interview").Text; got != coordOnly {
		t.Fatalf("resident /interview → %q", got)
	}
	if got := w.res.say("🗓️ New interview").Text; got != coordOnly {
		t.Fatalf("resident interview button → %q", got)
	}
	last := h.waitText(w.res.u, w.res.n)
	// Coordinator and staff buttons are refused before any handler runs,
	// each naming the role it needs.
	for _, c := range []struct{ data, want string }{
		{"iv:send", "⛔ Sorry, only coordinators can do this."},
		{fmt.Sprintf("iv:p:%d", w.res.p.ID), "⛔ Sorry, only coordinators can do this."},
		{fmt.Sprintf("apc:d:%d", his.ID), "⛔ Sorry, this is only for the centre's staff."},
		{fmt.Sprintf("apc:xy:%d:1", mine.ID), "⛔ Sorry, this is only for the centre's staff."},
	} {
		upd := h.tg.PressButton(w.res.u, last.ID, c.data)
		h.tg.WaitFor(t, 10*time.Second, "callback answered", func() bool { _, ok := h.tg.CallbackAnswer(upd); return ok })
		if text, _ := h.tg.CallbackAnswer(upd); text != c.want {
			t.Fatalf("resident pressing %s → %q, want %q", c.data, text, c.want)
		}
	}
	// Answers and replies for another resident's appointment, old versions,
	// unknown answers and garbage are stale buttons.
	for _, data := range []string{
		fmt.Sprintf("apa:%d:1:yes", his.ID),
		fmt.Sprintf("apa:%d:2:yes", mine.ID),
		fmt.Sprintf("apa:%d:1:maybe", mine.ID),
		fmt.Sprintf("apa:%d:1", mine.ID),
		"apa:x:1:yes",
		"apa:99999999:1:yes",
		fmt.Sprintf("apr:%d", hisMsg),
		"apr:abc",
	} {
		if got := w.res.forge(last, data).Text; got != "This button is not valid any more." {
			t.Fatalf("resident forging %s → %q", data, got)
		}
	}
	// No reply conversation was opened: his text is not relayed.
	if got := w.res.say("hello coordinator").Text; got != "🤔 I did not understand. Please use the buttons below." {
		t.Fatalf("text after a forged reply → %q", got)
	}

	// Staff without the coordinator role may look, not change: he is told
	// that coordinators do this, not that it is "only for the staff".
	for _, data := range []string{fmt.Sprintf("apc:x:%d:1", mine.ID), fmt.Sprintf("apc:xy:%d:1", mine.ID),
		fmt.Sprintf("apc:mv:%d:1", mine.ID), fmt.Sprintf("apc:m:%d", mine.ID)} {
		if got, want := staff.forge(last2(h, staff), data).Text, "⛔ Désolé, seuls les coordinateurs peuvent faire ceci."; got != want {
			t.Fatalf("staff pressing %s → %q, want %q", data, got, want)
		}
	}
	if got, want := staff.say("/interview").Text, "⛔ Désolé, seuls les coordinateurs peuvent faire ceci\u00a0: «\u00a0Fixer un rendez-vous logement pour un résident\u00a0»."; got != want {
		t.Fatalf("staff /interview → %q, want %q", got, want)
	}
	if got, want := staff.say("🗓️ Nouveau RDV").Text, "⛔ Désolé, seuls les coordinateurs peuvent faire ceci\u00a0: «\u00a0Fixer un rendez-vous logement pour un résident\u00a0»."; got != want {
		t.Fatalf("staff interview button → %q, want %q", got, want)
	}

	// A coordinator of another centre reaches nothing of this one.
	other := apptOtherCentreCoordinator(t, h, telegramtest.User{ID: 91006, LanguageCode: "fr"})
	for _, data := range []string{fmt.Sprintf("apc:d:%d", mine.ID), fmt.Sprintf("apc:xy:%d:1", mine.ID),
		fmt.Sprintf("apc:mv:%d:1", mine.ID), fmt.Sprintf("apc:m:%d", mine.ID)} {
		if got := other.forge(last2(h, other), data).Text; got != "Ce bouton n'est plus valable." {
			t.Fatalf("other centre pressing %s → %q", data, got)
		}
	}
	other.say("/interview")
	if got := other.say("Ahmad K.").Text; got != "🔍 Aucun résident trouvé. Tapez à nouveau un nom ou une chambre." {
		t.Fatalf("other centre found %q", got)
	}
	if got := other.forge(last2(h, other), fmt.Sprintf("iv:p:%d", w.res.p.ID)).Text; got != "Ce bouton n'est plus valable." {
		t.Fatalf("other centre picking a resident of this one → %q", got)
	}
	// This centre's coordinator, in his conversation, cannot jump steps.
	w.coord.say("/interview")
	for _, data := range []string{"iv:send", "iv:k:siao", "iv:t:1000", "iv:doc:permit", fmt.Sprintf("iv:p:%d", omar.p.ID)} {
		if got := w.coord.forge(last2(h, w.coord), data).Text; got != "Ce bouton n'est plus valable." {
			t.Fatalf("coordinator pressing %s out of step → %q", data, got)
		}
	}

	if after := snapshot(); after != before {
		t.Fatalf("appointments changed:\n%s\n%s", before, after)
	}
	if n := h.count(`SELECT count(*) FROM appointment_messages`); n != 1 {
		t.Fatalf("%d messages stored, want the 1 of the setup", n)
	}
}

// last2 is the chat's latest message, to press forged buttons on.
func last2(h *harness, c *apptChat) telegramtest.SentMessage { return h.waitText(c.u, c.n) }

// apptOtherCentreCoordinator signs up a coordinator of a second centre.
func apptOtherCentreCoordinator(t *testing.T, h *harness, u telegramtest.User) *apptChat {
	t.Helper()
	ctx := context.Background()
	c, err := h.st.EnsureCentre(ctx, "other-centre", "Other")
	if err != nil {
		t.Fatal(err)
	}
	p, code, err := h.st.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: c.ID, Role: store.RoleCoordinator,
		DisplayName: "Paul O.", Language: "fr"}, nil, h.clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.st.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: c.ID, Role: store.RoleResident,
		DisplayName: "Ahmad Z.", Room: "9", Language: "fr"}, nil, h.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	h.tg.SendText(u, "/start "+code)
	msgs := h.tg.WaitMessages(t, u.ID, 2, 10*time.Second)
	h.tg.PressButton(u, msgs[1].ID, "lang:fr")
	h.tg.WaitMessages(t, u.ID, 4, 10*time.Second)
	return &apptChat{t: t, h: h, u: u, p: p, n: 4, loc: h.loc("fr")}
}

// Every appointment message the bot sends on its own follows the same rule
// when a crash leaves it in doubt ('sending': it may or may not have
// arrived): it is sent again, since a message twice beats a missed interview
// or an unheard "I cannot come" — unless it no longer applies.
func TestAppointmentMessagesLeftInDoubtAreSentAgain(t *testing.T) {
	t.Parallel()
	w := newApptWorld(t, "ar")
	h, ar, fr := w.h, w.res.loc, w.coord.loc
	ctx := context.Background()
	st := apptSetup(h) // the rows are written, their jobs are started by hand below
	now := h.clock.Now()
	at1 := now.Add(26 * time.Hour).Truncate(time.Minute)
	at2 := now.Add(50 * time.Hour).Truncate(time.Minute)
	specs := []store.ReminderSpec{{Kind: store.ReminderToResident, Offset: 24 * time.Hour},
		{Kind: store.ReminderNoAnswer, Offset: 24 * time.Hour}}
	book := func(kind string, at time.Time, place string) store.Appointment {
		t.Helper()
		a, err := st.CreateAppointment(ctx, store.NewAppointment{CentreID: w.res.p.CentreID, PersonID: w.res.p.ID,
			CoordinatorID: w.coord.p.ID, Kind: kind, At: at, Place: place}, specs, now)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a1 := book(store.KindSIAO, at1, "SIAO 75, 12 rue X")
	a2 := book(store.KindLandlord, at2, "Paris Habitat")
	a3 := book(store.KindVisit, at1, "12 rue Z")
	if _, err := st.AnswerAppointment(ctx, a2.CentreID, w.res.p.ID, a2.ID, 1, store.AnswerNo, now); err != nil {
		t.Fatal(err)
	}
	m1, err := st.AddAppointmentMessage(ctx, a2.CentreID, a2.ID, w.coord.p.ID, w.res.p.ID, false, "Apportez votre RIB.", now)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := st.AddAppointmentMessage(ctx, a2.CentreID, a2.ID, w.res.p.ID, w.coord.p.ID, true, "نعم، سأحضره.", now)
	if err != nil {
		t.Fatal(err)
	}
	// The first reminder and the no-answer check are due.
	due := at1.Add(-24 * time.Hour)
	h.clock.Advance(due.Sub(now))

	arWhen1, arWhen2 := "\u2068"+ar.F.DateTime(at1)+"\u2069", "\u2068"+ar.F.DateTime(at2)+"\u2069"
	arCard1 := "📌 نوع الموعد: \u2068مقابلة تقييم SIAO\u2069\n🕒 الوقت: " + arWhen1 + "\n📍 المكان: \u2068SIAO 75, 12 rue X\u2069"
	arAsk := "\n\nهل ستأتي؟ من فضلك أجب بزر."
	arAnswers := func(a store.Appointment) []string {
		return []string{"✅ سأحضر", fmt.Sprintf("apa:%d:1:yes", a.ID), "🙋 أحتاج إلى مساعدة", fmt.Sprintf("apa:%d:1:help", a.ID),
			"❌ لا أستطيع الحضور", fmt.Sprintf("apa:%d:1:no", a.ID)}
	}
	frCard1 := "📌 Entretien d'évaluation SIAO\n🕒 Quand : " + fr.F.DateTime(at1) + "\n📍 Où : SIAO 75, 12 rue X"
	frCard2 := "📌 Entretien avec un bailleur\n🕒 Quand : " + fr.F.DateTime(at2) + "\n📍 Où : Paris Habitat"
	frMessage := func(a store.Appointment) []string { return []string{"✉️ Message", fmt.Sprintf("apc:m:%d", a.ID)} }
	reminderKey := func(a store.Appointment, what string) string {
		return fmt.Sprintf("reminder:appointment:%d:v1:%s:%d", a.ID, what, a.At.Add(-24*time.Hour).Unix())
	}

	for _, tt := range []struct {
		name, key string
		to        *apptChat
		text      string
		buttons   []string // label, data, label, data…
	}{
		{"notice", fmt.Sprintf("notice:appointment:%d:v1", a1.ID), w.res,
			"📅 لديك موعد جديد بخصوص سكنك:\n" + arCard1 + arAsk, arAnswers(a1)},
		{"reminder", reminderKey(a1, "24h"), w.res,
			"⏰ تذكير: لديك موعد.\n" + arCard1 + arAsk, arAnswers(a1)},
		{"no answer", reminderKey(a1, "noanswer"), w.coord,
			"⚠️ Ahmad K. (chambre 214) n'a pas répondu pour ce rendez-vous :\n" + frCard1, frMessage(a1)},
		{"answer", fmt.Sprintf("answer:appointment:%d:v1:1", a2.ID), w.coord,
			"📅 Ahmad K. (chambre 214) a répondu : ❌ Je ne peux pas venir\n" + frCard2, frMessage(a2)},
		{"coordinator to resident", fmt.Sprintf("message:appointment:%d:%d", a2.ID, m1.ID), w.res,
			"✉️ رسالة من \u2068Marie D.\u2069 بخصوص موعدك (\u2068مقابلة مع المؤجر (bailleur)\u2069، " + arWhen2 + "):\n\u2068Apportez votre RIB.\u2069",
			[]string{"↩️ رد", fmt.Sprintf("apr:%d", m1.ID)}},
		{"resident to coordinator", fmt.Sprintf("message:appointment:%d:%d", a2.ID, m2.ID), w.coord,
			"↩️ Réponse de Ahmad K. (chambre 214) sur le rendez-vous (Entretien avec un bailleur, " + fr.F.DateTime(at2) + ") :\nنعم، سأحضره.",
			frMessage(a2)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id := apptInDoubt(t, h, tt.key)
			got := tt.to.next()
			if got.Text != tt.text {
				t.Fatalf("sent again:\n%q\nwant\n%q", got.Text, tt.text)
			}
			var buttons []string
			for _, row := range got.InlineKeyboard {
				for _, b := range row {
					buttons = append(buttons, b.Text, b.CallbackData)
				}
			}
			if !slices.Equal(buttons, tt.buttons) {
				t.Fatalf("buttons = %q, want %q", buttons, tt.buttons)
			}
			h.tg.WaitFor(t, 10*time.Second, "row sent", func() bool {
				return h.count(`SELECT count(*) FROM outbox WHERE id = $1 AND state = 'sent' AND attempts = 2
					AND telegram_message_id = $2`, id, got.ID) == 1
			})
		})
	}

	// In doubt, then moved: what it says no longer applies, so it is
	// dropped, not sent (a move cancels only what has not left yet).
	stuck := reminderKey(a3, "24h")
	if _, err := h.pool.Exec(ctx, `UPDATE outbox SET state = 'sending', attempts = 1 WHERE dedupe_key = $1`, stuck); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RescheduleAppointment(ctx, a3.CentreID, a3.ID, 1, at2.Add(time.Hour), w.coord.p.ID, nil, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	id := apptInDoubt(t, h, stuck)
	h.tg.WaitFor(t, 10*time.Second, "stale row dropped", func() bool {
		return h.count(`SELECT count(*) FROM outbox WHERE id = $1 AND state = 'cancelled' AND note = 'obsolete'`, id) == 1
	})
	w.res.quiet()
	w.coord.quiet()
}

// apptInDoubt leaves the outbox row of key as a crash would — 'sending',
// one attempt made — and starts its job again, as River does for a job
// whose process died. It returns the row's id.
func apptInDoubt(t *testing.T, h *harness, key string) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	if err := h.pool.QueryRow(ctx, `UPDATE outbox SET state = 'sending', attempts = 1 WHERE dedupe_key = $1
		AND state IN ('pending', 'sending') RETURNING id`, key).Scan(&id); err != nil {
		t.Fatalf("row %s: %v", key, err)
	}
	if _, err := h.app.Jobs().Insert(ctx, handlers.OutboxSendArgs{ID: id}, nil); err != nil {
		t.Fatal(err)
	}
	return id
}
