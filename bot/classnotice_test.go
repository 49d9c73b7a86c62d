package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// TestClassNoticeSkipsWhoLeftTheGroup: a change notice queued for a class
// reaches the residents still in its group, not one taken out of the group
// before the notice went out (his row is cancelled as obsolete). Both ways
// a notice is queued: by the change itself, and by a job the old code left
// in the queue.
func TestClassNoticeSkipsWhoLeftTheGroup(t *testing.T) {
	t.Parallel()
	// The next Monday's class, 09:30 in Paris, cancelled.
	was := storetest.Next(storetest.Now(t), time.Monday, 9, 30)
	tests := []struct {
		name  string
		queue func(h *harness, in, out store.Person)
	}{
		{"queued by the change", func(h *harness, _, _ store.Person) {
			// The bot is stopped: the notices wait in the outbox.
			h.stop()
			staff, _ := h.addPerson(store.RoleStaff, "Claire D.", "", "fr")
			_, err := h.st.ChangeClassOccurrence(context.Background(), store.ClassChange{CentreID: clsCentre(h).ID,
				SessionID: clsSession(h, "S1"), Date: storetest.Date(was), ActorID: staff.ID,
				Kind: store.ClassCancelled, Now: h.clock.Now()}, clsParis)
			if err != nil {
				h.t.Fatal(err)
			}
		}},
		{"queued by a job of the old code", func(h *harness, in, out store.Person) {
			h.stop()
			for _, p := range []store.Person{in, out} {
				_, err := h.app.Jobs().Insert(context.Background(), handlers.ClassNoticeArgs{CentreID: clsCentre(h).ID, PersonID: p.ID,
					SessionID: clsSession(h, "S1"), Notice: "chg:9:1", Change: store.ClassCancelled, Group: "A1 matin",
					Was: was.Unix(), Start: was.Unix(), End: was.Add(150 * time.Minute).Unix(), Room: "Salle 1"}, nil)
				if err != nil {
					h.t.Fatal(err)
				}
			}
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			inU := telegramtest.User{ID: 19201 + 10*int64(i), LanguageCode: "ar"}
			outU := telegramtest.User{ID: 19202 + 10*int64(i), LanguageCode: "en"}
			in, nIn := h.signUp(inU, store.RoleResident, "Omar H.", "ar")
			out, nOut := h.signUp(outU, store.RoleResident, "Sami A.", "en")
			clsExternalID(h, in, "R-1")
			clsExternalID(h, out, "R-2")
			clsImport(h, `group,G1,,A1,A1 matin,,,,,,,
session,S1,G1,,,lundi,09:30,12:00,Salle 1,Marie,,
enrolment,,G1,,,,,,,,R-1,200
enrolment,,G1,,,,,,,,R-2,200
`)
			tt.queue(h, in, out)
			if _, err := h.pool.Exec(context.Background(), `DELETE FROM class_enrolments WHERE person_id = $1`, out.ID); err != nil {
				t.Fatal(err)
			}
			h.start()
			want := "❌ أُلغي درس اللغة الفرنسية يوم \u2068" + arDate(was) + "\u2069 الساعة \u206809:30\u2069 (\u2068A1 matin\u2069)."
			if got := h.waitText(inU, nIn+1).Text; got != want {
				t.Fatalf("enrolled resident got %q, want %q", got, want)
			}
			clsWaitOutbox(h, store.KindClassNotice, clsRow(in.ID, "sent", ""), clsRow(out.ID, "cancelled", store.NoteObsolete))
			h.quiet(outU, nOut)
		})
	}
}

// A class message that a crash left in doubt ('sending': it may or may not
// have arrived) is sent again, for every class kind: a duplicate reminder,
// notice or alert beats a missed one. Each recipient gets it once more, in
// his language.
func TestClassMessagesLeftInDoubtAreSentAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t)
	friday := clsFriday(h)
	day := func(days, hh, mm int) time.Time { return storetest.Day(friday, days, hh, mm) }
	aminaU := telegramtest.User{ID: 19301, LanguageCode: "fr"}
	amina, na := h.signUp(aminaU, store.RoleResident, "Amina B.", "fr")
	omarU := telegramtest.User{ID: 19302, LanguageCode: "ar"}
	omar, no := h.signUp(omarU, store.RoleResident, "Omar H.", "ar")
	claireU := telegramtest.User{ID: 19303, LanguageCode: "fr"}
	claire, nc := h.signUp(claireU, store.RoleCoordinator, "Claire D.", "fr")
	nadiaU := telegramtest.User{ID: 19304, LanguageCode: "ar"}
	_, nn := h.signUp(nadiaU, store.RoleCoordinator, "Nadia S.", "ar")
	clsExternalID(h, amina, "R-1")
	clsExternalID(h, omar, "R-2")
	clsImport(h, clsGroups+"enrolment,,G-A1M,,,,,,,,R-1,200\nenrolment,,G-A1M,,,,,,,,R-2,200\n")
	centre := clsCentre(h).ID

	// The bot stops; meanwhile Monday's class is cancelled, today's
	// (Friday's) 14:00 class is planned, Omar's second absence in a row is
	// saved, and Amina joins B1 soir. Then it is 13:00, every reminder due,
	// and each message is left 'sending', as a crash right after the call
	// to Telegram leaves it.
	h.stop()
	mon := clsOcc(h, "S-MON", day(3, 0, 0))
	if _, err := h.st.ChangeClassOccurrence(ctx, store.ClassChange{CentreID: centre, SessionID: mon.Session.ID, Date: mon.Date,
		ActorID: claire.ID, Kind: store.ClassCancelled, Now: h.clock.Now()}, clsParis); err != nil {
		t.Fatal(err)
	}
	now := h.clock.Now()
	if _, err := h.st.PlanClassReminders(ctx, store.ClassQuery{CentreID: centre, From: now, To: now.Add(5 * time.Hour)},
		time.Hour, now, clsParis); err != nil {
		t.Fatal(err)
	}
	for _, days := range []int{-11, -4} { // the two Mondays before
		if _, err := h.st.SaveAttendance(ctx, store.AttendanceSave{CentreID: centre, ActorID: claire.ID,
			Occurrence: clsOcc(h, "S-MON", day(days, 0, 0)), AlertAfter: 2, Now: now,
			Marks: map[int64]store.AttendanceMark{amina.ID: store.MarkPresent, omar.ID: store.MarkAbsent}}); err != nil {
			t.Fatal(err)
		}
	}
	var b1 int64
	if err := h.pool.QueryRow(ctx, `SELECT id FROM class_groups WHERE external_id = 'G-B1'`).Scan(&b1); err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.EnrolResident(ctx, centre, claire.ID, amina.ID, b1, 100, now); err != nil {
		t.Fatal(err)
	}
	h.setClock(day(0, 13, 0))
	if got, err := h.pool.Exec(ctx, `UPDATE outbox SET state = 'sending', attempts = 1`); err != nil || got.RowsAffected() != 7 {
		t.Fatalf("%d messages left in doubt (%v), want 7: 2 notices, 2 reminders, 2 alerts, 1 class-group notice",
			got.RowsAffected(), err)
	}
	h.start()

	tests := []struct {
		who  string
		u    telegramtest.User
		n    int
		want []string
	}{
		{"Amina (fr)", aminaU, na, []string{
			"❌ Votre cours de français du " + frDate(mon.Start) + " à 09:30 (A1 matin) est annulé.",
			"⏰ Cours de français à 14:00 (" + frDate(friday) + ") : A1 matin, salle 2. Aller en cours est obligatoire.",
			"📚 Vous êtes maintenant dans le groupe de cours de français B1 soir (niveau B1). L'OFII vous a prescrit 100 heures de français. " +
				"Aller en cours est obligatoire. Vos cours : /classes",
		}},
		{"Omar (ar)", omarU, no, []string{
			"❌ أُلغي درس اللغة الفرنسية يوم \u2068" + arDate(mon.Start) + "\u2069 الساعة \u206809:30\u2069 (\u2068A1 matin\u2069).",
			"⏰ درس اللغة الفرنسية الساعة \u206814:00\u2069 (\u2068" + arDate(friday) + "\u2069): \u2068A1 matin\u2069، القاعة \u20682\u2069. حضور الدروس إلزامي.",
		}},
		{"Claire (fr)", claireU, nc, []string{
			"⚠️ Omar H. (chambre 214) a manqué 2 cours de français de suite sans excuse (A1 matin). Son contrat d'intégration (CIR) peut être en danger.",
		}},
		{"Nadia (ar)", nadiaU, nn, []string{
			"⚠️ تغيّب \u2068Omar H.\u2069 (الغرفة \u2068214\u2069) عن دروس اللغة الفرنسية دون عذر مرات متتالية (العدد: \u20682\u2069، \u2068A1 matin\u2069). " +
				"قد يكون عقد الاندماج (CIR) الخاص به في خطر.",
		}},
	}
	for _, tt := range tests {
		got := texts(h.tg.WaitMessages(t, tt.u.ID, tt.n+len(tt.want), 10*time.Second)[tt.n:])
		for _, w := range tt.want {
			found := false
			for _, g := range got {
				found = found || g == w
			}
			if !found {
				t.Errorf("%s did not get %q; got %q", tt.who, w, got)
			}
		}
		h.quiet(tt.u, tt.n+len(tt.want))
	}
	if n := h.count(`SELECT count(*) FROM outbox WHERE state = 'sent' AND attempts = 2`); n != 7 {
		t.Fatalf("%d messages sent again, want 7", n)
	}
}
