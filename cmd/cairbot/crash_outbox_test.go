//go:build crash

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
)

// Crash scenarios of the outbox, each driven as people drive the bot:
// staff through its buttons, the office through its commands.

// An announcement to 200 residents, confirmed by staff with the bot's
// buttons, with the bot killed at random moments while it sends: nobody
// gets it twice (an announcement left in doubt is reported, never resent),
// everyone else gets it once, and the staff member gets one report whose
// figures are the outbox's.
func TestCrashAnnouncementNeverTwice(t *testing.T) {
	r := newRig(t)
	people := r.residents(200, 720000, "fr", "ar", "ti", "fa-AF", "so", "ps")
	_, staff := r.member(store.RoleStaff, "Claire D.", "fr", 729001)
	p := r.start([]string{"run"})

	r.tg.SendText(staff, "/announce")
	r.press(staff, r.waitMessage(staff, 1, 10*time.Second), "ann:aud:all:")
	r.press(staff, r.waitMessage(staff, 2, 10*time.Second), "ann:free:")
	r.waitMessage(staff, 3, 10*time.Second)
	const text = "Coupure d'eau demain de 9 h à 12 h : remplissez une bouteille ce soir."
	r.tg.SendText(staff, text)
	preview := r.waitMessage(staff, 4, 10*time.Second)
	if !strings.Contains(preview.Text, "200") {
		t.Fatalf("preview = %q, want 200 recipients", preview.Text)
	}
	r.press(staff, preview, "ann:send:")

	// Each kill comes once a random number of messages has left: always
	// while the announcement is being sent.
	const kills = 3
	at := make([]int, kills)
	for i := range at {
		at[i] = 20 + rand.IntN(160)
	}
	slices.Sort(at)
	sent := func() int {
		return r.count(`SELECT count(*) FROM outbox WHERE kind = $1 AND state = 'sent'`, handlers.KindAnnouncement)
	}
	inDoubt := 0
	for i, n := range at {
		r.waitUntil(2*time.Minute, fmt.Sprintf("%d messages sent", n), func() bool { return sent() >= n })
		if i == 1 {
			// This one while Telegram holds messages: they arrived, but
			// the bot cannot know it.
			r.slowTelegram()
			inDoubt = r.killWhileSending(p, handlers.KindAnnouncement)
			continue
		}
		r.restart(p)
	}
	restarted := time.Now()
	report := r.waitMessage(staff, 5, 2*time.Minute)
	f := figures{recipients: len(people), kills: kills, recovered: time.Since(restarted)}
	states := r.outboxStates(handlers.KindAnnouncement)
	f.interrupted = states["failed/"+store.NoteInterrupted]

	// Each resident: once, or at most once when his message was cut.
	rows, err := r.pool.Query(context.Background(), `SELECT person_id, state FROM outbox WHERE kind = $1`, handlers.KindAnnouncement)
	if err != nil {
		t.Fatal(err)
	}
	state := map[int64]string{}
	for rows.Next() {
		var id int64
		var s string
		if err := rows.Scan(&id, &s); err != nil {
			t.Fatal(err)
		}
		state[id] = s
	}
	rows.Close()
	for _, res := range people {
		n := 0
		for _, m := range r.tg.Messages(*res.TelegramID) {
			if m.Text == text {
				n++
			}
		}
		switch {
		case n > 1:
			f.duplicates += n - 1
		case n == 0 && state[res.ID] != string(store.OutboxFailed):
			f.missing++
		}
	}
	r.logFigures("announcement", f)
	t.Logf("announcement: %d in Telegram's hands at a kill; outbox %v", inDoubt, states)
	if f.missing != 0 || f.duplicates != 0 {
		t.Fatalf("%d residents missed the announcement without being reported, %d duplicates", f.missing, f.duplicates)
	}
	if states["sent"]+f.interrupted != len(people) {
		t.Fatalf("outbox %v: every row must be sent or interrupted", states)
	}
	if f.interrupted < inDoubt {
		t.Fatalf("%d interrupted, but %d were in Telegram's hands at a kill", f.interrupted, inDoubt)
	}
	if f.interrupted > kills*jobWorkers {
		t.Fatalf("%d interrupted after %d kills; the window is %d per kill", f.interrupted, kills, jobWorkers)
	}

	// The report, once, with the outbox's figures.
	want := fmt.Sprintf("📊 Bilan de l'annonce :\n✅ Reçue : %d\n🚫 Injoignables (bot bloqué ou parti) : 0\n❌ Non envoyée : %d",
		states["sent"], f.interrupted)
	switch {
	case f.interrupted == 1:
		want += "\n⚠️ 1 message a été coupé par un redémarrage : il est peut-être arrivé, peut-être pas. Il n'est pas renvoyé."
	case f.interrupted > 1:
		want += fmt.Sprintf("\n⚠️ %d messages ont été coupés par un redémarrage : ils sont peut-être arrivés, peut-être pas. Ils ne sont pas renvoyés.", f.interrupted)
	}
	if report.Text != want {
		t.Fatalf("report = %q\nwant %q", report.Text, want)
	}
	// More than a progress tick: a second report would have come.
	time.Sleep(2500 * time.Millisecond)
	if n := len(r.tg.Messages(staff.ID)); n != 5 {
		t.Fatalf("staff chat has %d messages, want the report once", n)
	}
}

// Fifty appointment reminders fall due at the same second while two
// processes share the jobs (`run` and `worker`), and either is killed at
// random moments around that second: nobody misses his reminder, and a
// reminder left in doubt is sent again (a duplicate beats a missed
// interview), so duplicates stay within the window.
func TestCrashRemindersDueTogetherTwoProcesses(t *testing.T) {
	// Reminders 24 h before: an appointment booked for tomorrow plus 15 s
	// has its reminder due 15 s from now.
	r := newRig(t, "INTERVIEW_REMINDERS=24h")
	people := r.residents(50, 730000, "fr", "ar", "ti", "fa-AF", "so", "ps", "ur", "ru")
	coord, _ := r.member(store.RoleCoordinator, "Nadia S.", "ar", 739001)
	procs := []*proc{r.start([]string{"run"}), r.start([]string{"worker"})}

	ctx := context.Background()
	due := time.Now().Add(15 * time.Second).Truncate(time.Second)
	// The reminders INTERVIEW_REMINDERS=24h asks for, without the
	// coordinator's no-answer check (fifty of those to one chat would
	// only measure his chat's pace of one message a second).
	specs := []store.ReminderSpec{{Kind: store.ReminderToResident, Offset: 24 * time.Hour}}
	for _, res := range people {
		_, err := r.st.CreateAppointment(ctx, store.NewAppointment{CentreID: r.centre.ID, PersonID: res.ID,
			CoordinatorID: coord.ID, Kind: store.KindSIAO, At: due.Add(24 * time.Hour), Place: "SIAO 75, 5 rue de la Roquette"},
			specs, time.Now())
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := r.count(`SELECT count(*) FROM outbox WHERE kind = $1 AND not_before = $2`, store.OutboxAppointmentReminder, due); n != len(people) {
		t.Fatalf("%d reminders due at %v, want %d", n, due, len(people))
	}

	// Kills at random moments from just before the reminders fall due
	// until they are all sent, of either process.
	time.Sleep(time.Until(due.Add(-500 * time.Millisecond)))
	const kills = 3
	inDoubt := 0
	for i := 0; i < kills; i++ {
		victim := procs[rand.IntN(len(procs))]
		if i == 1 {
			// This one while Telegram holds reminders.
			r.slowTelegram()
			inDoubt = r.killWhileSending(victim, store.OutboxAppointmentReminder)
			continue
		}
		time.Sleep(time.Duration(rand.Int64N(int64(1500 * time.Millisecond))))
		r.restart(victim)
	}
	restarted := time.Now()
	r.waitSettled(store.OutboxAppointmentReminder, 2*time.Minute)
	r.waitSettled(store.OutboxAppointmentNotice, time.Minute)
	f := figures{recipients: len(people), kills: kills, recovered: time.Since(restarted)}
	// Every language's reminder starts with ⏰, its booking notice with 📅.
	f.missing, _, f.duplicates = r.tally(people, func(s string) bool { return strings.HasPrefix(s, "⏰") })
	noticesMissing, _, noticesExtra := r.tally(people, func(s string) bool { return strings.HasPrefix(s, "📅") })
	var last time.Time
	for _, res := range people {
		for _, m := range r.tg.Messages(*res.TelegramID) {
			if strings.HasPrefix(m.Text, "⏰") && m.At.After(last) {
				last = m.At
			}
		}
	}
	r.logFigures("reminders", f)
	t.Logf("reminders: %d in Telegram's hands at a kill (both processes'); the last one arrived %v after they fell due; outbox %v; notices: missing %d, duplicates %d",
		inDoubt, last.Sub(due).Round(100*time.Millisecond), r.outboxStates(store.OutboxAppointmentReminder), noticesMissing, noticesExtra)
	if f.missing != 0 || noticesMissing != 0 {
		t.Fatalf("%d residents missed their reminder, %d their booking notice", f.missing, noticesMissing)
	}
	if f.duplicates+noticesExtra > kills*jobWorkers {
		t.Fatalf("%d duplicates after %d kills; the window is %d per kill", f.duplicates+noticesExtra, kills, jobWorkers)
	}
	late := r.count(`SELECT count(*) FROM outbox WHERE kind = $1 AND state = 'sent' AND updated_at < not_before`, store.OutboxAppointmentReminder)
	if late != 0 {
		t.Fatalf("%d reminders left before they were due", late)
	}
}

var receiptNo = regexp.MustCompile(`R-\d{4}-\d{6}`)

// Payments recorded with `cairbot payment add` while the bot runs, the bot
// killed at a random moment right after each: the ledger has each payment
// once and each resident his receipt, once (twice at most within the
// window: a receipt left in doubt is sent again).
func TestCrashPaymentReceipt(t *testing.T) {
	r := newRig(t)
	people := r.residents(6, 740000, "fr", "ar", "ti", "fa-AF", "so", "ps")
	p := r.start([]string{"run"})
	receipts := map[int64]string{}
	inDoubt := 0
	for i, res := range people {
		// One kill while Telegram holds the receipt; the others at random.
		doubt := i == len(people)/2
		if doubt {
			r.slowTelegram()
		}
		out := r.cli("payment", "add", "--room", res.Room, "--amount", "12,50")
		no := receiptNo.FindString(out)
		if no == "" {
			t.Fatalf("payment add printed no receipt number:\n%s", out)
		}
		receipts[res.ID] = no
		if doubt {
			inDoubt = r.killWhileSending(p, store.KindReceipt)
			continue
		}
		time.Sleep(time.Duration(rand.Int64N(int64(500 * time.Millisecond))))
		r.restart(p)
	}
	restarted := time.Now()
	r.waitSettled(store.KindReceipt, time.Minute)
	f := figures{recipients: len(people), kills: len(people), recovered: time.Since(restarted)}
	for _, res := range people {
		if n := r.count(`SELECT count(*) FROM ledger_entries WHERE kind = 'payment' AND person_id = $1 AND cents = -1250`, res.ID); n != 1 {
			t.Fatalf("%s: %d payments in the ledger, want 1", res.DisplayName, n)
		}
		n := 0
		for _, m := range r.tg.Messages(*res.TelegramID) {
			if strings.HasPrefix(m.Text, "🧾") && strings.Contains(m.Text, receipts[res.ID]) {
				n++
			}
		}
		if n == 0 {
			f.missing++
		}
		if n > 2 {
			t.Errorf("%s got his receipt %d times", res.DisplayName, n)
		}
		f.duplicates += max(n-1, 0)
	}
	r.logFigures("receipts", f)
	t.Logf("receipts: %d in Telegram's hands at a kill; outbox %v", inDoubt, r.outboxStates(store.KindReceipt))
	if f.missing != 0 {
		t.Fatalf("%d residents have no receipt", f.missing)
	}
	if f.duplicates > f.kills*jobWorkers {
		t.Fatalf("%d duplicate receipts after %d kills", f.duplicates, f.kills)
	}
}

// Staff take three classes' attendance through the bot's buttons, the bot
// killed at a random moment during or just after each save: each register
// is saved once, whole, and the coordinators get each absence alert the
// saves caused.
func TestCrashAttendanceSave(t *testing.T) {
	r := newRig(t)
	people := r.residents(12, 750000, "fr", "ar", "ti", "fa-AF")
	_, staff := r.member(store.RoleStaff, "Claire D.", "fr", 759001)
	coords := []store.Person{}
	for i, lang := range []string{"fr", "ar"} {
		c, _ := r.member(store.RoleCoordinator, "Coordinator "+lang, lang, 759010+int64(i))
		coords = append(coords, c)
	}

	// One group meeting on the weekdays of the last three days, its
	// residents enrolled, imported as the office does.
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(paris)
	var csv strings.Builder
	csv.WriteString("kind,id,group,level,name,weekday,start,end,room,teacher,resident,hours\n")
	csv.WriteString("group,G-CRASH,,A1,A1 crash,,,,,,,\n")
	days := []time.Time{today.AddDate(0, 0, -3), today.AddDate(0, 0, -2), today.AddDate(0, 0, -1)}
	for i, d := range days {
		fmt.Fprintf(&csv, "session,S-%d,G-CRASH,,,%s,09:30,12:00,Salle 1,Marie Dupont,,\n", i, strings.ToLower(d.Weekday().String()))
	}
	for _, res := range people {
		fmt.Fprintf(&csv, "enrolment,,G-CRASH,,,,,,,,%s,200\n", *res.ExternalID)
	}
	file := filepath.Join(t.TempDir(), "classes.csv")
	if err := os.WriteFile(file, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	r.cli("import", "classes", file)
	p := r.start([]string{"run"})

	// Residents 0–2 miss all three classes, resident 3 the last two: the
	// second save alerts about 0–2, the third about 3.
	absent := [][]int{{0, 1, 2}, {0, 1, 2, 3}, {0, 1, 2, 3}}
	var registers []int
	for i, d := range days {
		var session int64
		if err := r.pool.QueryRow(context.Background(), `SELECT id FROM class_sessions WHERE external_id = $1`, "S-"+strconv.Itoa(i)).Scan(&session); err != nil {
			t.Fatal(err)
		}
		key := strconv.FormatInt(session, 36) + ":" + d.Format("20060102")
		// Late answers of the previous round's save (taken again after the
		// kill) may still come: each step waits for its own buttons.
		since := len(r.tg.Messages(staff.ID))
		r.tg.SendText(staff, "/attendance")
		r.press(staff, r.waitButton(staff, since, "att:e"), "att:e")
		r.press(staff, r.waitButton(staff, since, "att:o:"+key), "att:o:"+key)
		sheet := r.waitButton(staff, since, "att:t:"+key+":")
		for _, a := range absent[i] {
			r.press(staff, sheet, "att:t:"+key+":"+strconv.FormatInt(people[a].ID, 36)+":")
			edits := sheet.Edits + 1
			r.tg.WaitFor(t, 10*time.Second, "the tap shown", func() bool {
				sheet, _ = r.tg.Message(staff.ID, sheet.ID)
				return sheet.Edits >= edits
			})
		}
		r.press(staff, sheet, "att:s:"+key+":")
		time.Sleep(time.Duration(rand.Int64N(int64(400 * time.Millisecond))))
		r.restart(p)
		// The save, taken again after the restart if the kill cut it,
		// happens once and whole.
		r.waitUntil(30*time.Second, "the register saved", func() bool {
			return r.count(`SELECT count(*) FROM class_registers WHERE session_id = $1`, session) == 1
		})
		registers = append(registers, r.count(`SELECT count(*) FROM class_attendance a JOIN class_registers g ON g.id = a.register_id
			WHERE g.session_id = $1`, session))
		if got := r.count(`SELECT revision FROM class_registers WHERE session_id = $1`, session); got != 1 {
			t.Fatalf("class %d saved %d times", i, got)
		}
		if got := r.count(`SELECT count(*) FROM class_attendance a JOIN class_registers g ON g.id = a.register_id
			WHERE g.session_id = $1 AND a.mark = 'absent'`, session); got != len(absent[i]) {
			t.Fatalf("class %d: %d absences saved, want %d", i, got, len(absent[i]))
		}
	}
	restarted := time.Now()
	r.waitSettled(store.KindAbsenceAlert, time.Minute)
	// Four residents' alerts, to each coordinator.
	f := figures{recipients: 4 * len(coords), kills: len(days), recovered: time.Since(restarted)}
	for _, c := range coords {
		for _, a := range []int{0, 1, 2, 3} {
			k := 0
			for _, m := range r.tg.Messages(*c.TelegramID) {
				if strings.Contains(m.Text, people[a].DisplayName) {
					k++
				}
			}
			if k == 0 {
				f.missing++
			}
			f.duplicates += max(k-1, 0)
		}
	}
	r.logFigures("attendance", f)
	t.Logf("attendance: rows per register %v; alerts outbox %v", registers, r.outboxStates(store.KindAbsenceAlert))
	for i, got := range registers {
		if got != len(people) {
			t.Fatalf("register %d has %d marks, want all %d", i, got, len(people))
		}
	}
	if got := r.count(`SELECT count(*) FROM audit_log WHERE action = 'attendance.save'`); got != len(days) {
		t.Fatalf("%d saves audited, want %d", got, len(days))
	}
	if f.missing != 0 {
		t.Fatalf("%d absence alerts never reached their coordinator", f.missing)
	}
	if f.duplicates > f.kills*jobWorkers {
		t.Fatalf("%d duplicate alerts after %d kills", f.duplicates, f.kills)
	}
	if got := r.count(`SELECT count(*) FROM outbox WHERE kind = $1`, store.KindAbsenceAlert); got != 4*len(coords) {
		t.Fatalf("%d alerts queued, want %d", got, 4*len(coords))
	}
}
