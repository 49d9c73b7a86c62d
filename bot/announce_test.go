package bot_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// annResident creates a signed-up person with a Telegram account and a
// floor (none when negative), without going through /start: broadcasts
// need many of them.
func annResident(h *harness, id int64, role store.Role, lang string, floor int) store.Person {
	h.t.Helper()
	p, _ := h.addPerson(role, "Resident "+strconv.FormatInt(id, 10), "", lang)
	var f *int
	if floor >= 0 {
		f = &floor
	}
	if _, err := h.pool.Exec(context.Background(), `UPDATE people SET telegram_id = $2, floor = $3,
		onboarded_at = $4 WHERE id = $1`, p.ID, id, f, h.clock.Now()); err != nil {
		h.t.Fatal(err)
	}
	h.tg.AddChat(id)
	return p
}

// annButton returns the data of the message's button whose data starts
// with prefix.
func annButton(t testing.TB, m telegramtest.SentMessage, prefix string) string {
	t.Helper()
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if strings.HasPrefix(b.CallbackData, prefix) {
				return b.CallbackData
			}
		}
	}
	t.Fatalf("message %q has no button %q: %+v", m.Text, prefix, m.InlineKeyboard)
	return ""
}

// annDraft is the draft key the conversation's buttons carry.
func annDraft(t testing.TB, m telegramtest.SentMessage) string {
	t.Helper()
	d := annButton(t, m, "ann:")
	return d[strings.LastIndex(d, ":")+1:]
}

// annStep presses the button with prefix on message n of the staff chat
// and returns message n+1.
func annStep(h *harness, u telegramtest.User, n int, prefix string) telegramtest.SentMessage {
	h.t.Helper()
	m := h.waitText(u, n)
	h.tg.PressButton(u, m.ID, annButton(h.t, m, prefix))
	return h.waitText(u, n+1)
}

// annWaitReport waits for the staff chat's message n (the final report).
func annWaitReport(h *harness, u telegramtest.User, n int) telegramtest.SentMessage {
	h.t.Helper()
	return h.tg.WaitMessages(h.t, u.ID, n, 60*time.Second)[n-1]
}

func annReport(loc *locales.Localizer, sent, unreachable, failed int) string {
	return loc.T("announce.report", "Sent", loc.F.Number(int64(sent)),
		"Unreachable", loc.F.Number(int64(unreachable)), "Failed", loc.F.Number(int64(failed)))
}

func annSendCalls(h *harness, chatID int64) int {
	n := 0
	for _, c := range h.tg.CallsTo("sendMessage") {
		if c.Params["chat_id"] == strconv.FormatInt(chatID, 10) && c.Status == 200 {
			n++
		}
	}
	return n
}

func TestAnnouncementFromTemplateInEachReadersLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	staff := telegramtest.User{ID: 40001, LanguageCode: "fr"}
	_, n := h.signUp(staff, store.RoleStaff, "Claire D.", "fr")
	fr := h.loc("fr")
	readers := []struct {
		id   int64
		lang string
	}{{40011, "fr"}, {40012, "ar"}, {40013, "ti"}}
	for _, r := range readers {
		annResident(h, r.id, store.RoleResident, r.lang, 2)
	}
	const blocked = 40014
	annResident(h, blocked, store.RoleResident, "ar", 3)
	h.tg.Block(blocked)
	// The Arabic reader's first send is refused with 429: the Sender waits
	// retry_after and sends it once.
	h.tg.FailNext("sendMessage", 40012, 429, 1, 1)

	h.tg.SendText(staff, "/announce")
	if got := h.waitText(staff, n+1); got.Text != "📣 Nouvelle annonce. Qui doit la recevoir ?" || len(got.InlineKeyboard) == 0 {
		t.Fatalf("/announce → %q", got.Text)
	}
	if got := annStep(h, staff, n+1, "ann:aud:all:"); got.Text != "📝 Quel message ? Choisissez un message prêt (chaque résident le lit dans sa langue) ou écrivez votre propre texte." {
		t.Fatalf("everyone → %q", got.Text)
	}
	if got := annStep(h, staff, n+2, "ann:tpl:fire_drill:"); got.Text != "📅 Quel jour ? Choisissez ci-dessous ou écrivez une date, par exemple 03/12." || len(got.InlineKeyboard) == 0 {
		t.Fatalf("fire drill → %q", got.Text)
	}
	at := storetest.Day(h.clock.Now(), 6, 14, 30)
	typed := []struct{ text, want string }{
		{"31/11", "❌ Je ne comprends pas cette date. Écrivez-la comme 03/12 ou 03/12/2026."},
		{numDate(storetest.Day(h.clock.Now(), -7, 12, 0)), "❌ Ce jour est déjà passé. Choisissez un jour à partir d'aujourd'hui."},
		{paris(at).Format("02/01"), "🕐 À quelle heure ? Écrivez-la, par exemple 14:30."},
		{"25h", "❌ Je ne comprends pas cette heure. Écrivez-la comme 14:30."},
		{"14h30", ""}, // the preview
	}
	for i, c := range typed {
		h.tg.SendText(staff, c.text)
		if got := h.waitText(staff, n+4+i); c.want != "" && got.Text != c.want {
			t.Fatalf("%q → %q, want %q", c.text, got.Text, c.want)
		}
	}
	message := func(loc *locales.Localizer) string {
		return loc.T("announce.tpl.fire_drill", "Date", loc.F.Date(at), "Time", loc.F.Time(at))
	}
	preview := h.waitText(staff, n+8)
	wantPreview := fr.N("announce.preview", 4, "Audience", "tout le monde", "Message", message(fr)) +
		"\n\n" + "⚠️ Règle : une annonce ne nomme jamais une personne, un solde (argent) ou une absence." + "\n\n" + "L'envoyer maintenant ?"
	if preview.Text != wantPreview {
		t.Fatalf("preview = %q\nwant %q", preview.Text, wantPreview)
	}
	if n := h.count(`SELECT count(*) FROM announcements`); n != 0 {
		t.Fatal("an announcement exists before it is confirmed")
	}
	h.tg.PressButton(staff, preview.ID, annButton(t, preview, "ann:send:"))

	report := annWaitReport(h, staff, n+9)
	if want := annReport(fr, 3, 1, 0); report.Text != want {
		t.Fatalf("report = %q, want %q", report.Text, want)
	}
	if report.ReplyToMessageID != preview.ID {
		t.Errorf("the report does not answer the progress message")
	}
	for _, r := range readers {
		msgs := h.tg.WaitMessages(t, r.id, 1, 10*time.Second)
		if want := message(h.loc(r.lang)); msgs[0].Text != want {
			t.Errorf("%s reader got %q, want %q", r.lang, msgs[0].Text, want)
		}
		h.quiet(telegramtest.User{ID: r.id}, 1)
	}
	tries := 0
	for _, c := range h.tg.CallsTo("sendMessage") {
		if c.Params["chat_id"] == "40012" {
			tries++
		}
	}
	if ok := annSendCalls(h, 40012); tries != 2 || ok != 1 {
		t.Errorf("Arabic reader: %d tries, %d delivered; want the 429 then one message", tries, ok)
	}
	if got := len(h.tg.Messages(blocked)); got != 0 {
		t.Errorf("blocked reader has %d messages", got)
	}
	if h.count(`SELECT count(*) FROM outbox o JOIN people p ON p.id = o.person_id
		WHERE p.telegram_id = $1 AND o.kind = 'announcement' AND o.state = 'unreachable' AND p.unreachable`, blocked) != 1 {
		t.Error("the blocked reader is not marked unreachable")
	}
	if got := h.count(`SELECT count(*) FROM outbox WHERE kind = 'announcement' AND state = 'sent'`); got != 3 {
		t.Errorf("%d announcement messages sent", got)
	}

	// The preview became the one progress message, edited as it went, at
	// most about once a second (Telegram's pace for one chat).
	progress, _ := h.tg.Message(staff.ID, preview.ID)
	wantProgress := fr.T("announce.progress_done", "Done", "4", "Total", "4") + "\n\n" + message(fr)
	if progress.Text != wantProgress || progress.Edits < 1 || len(progress.InlineKeyboard) != 0 {
		t.Fatalf("progress message = %q (%d edits)", progress.Text, progress.Edits)
	}
	var edits []time.Time
	for _, c := range h.tg.CallsTo("editMessageText") {
		if c.Params["chat_id"] == strconv.FormatInt(staff.ID, 10) && c.Params["message_id"] == strconv.Itoa(preview.ID) && c.Status == 200 {
			edits = append(edits, c.At)
		}
	}
	if len(edits) != progress.Edits {
		t.Errorf("%d edits of the progress message found, it counts %d", len(edits), progress.Edits)
	}
	for i := 1; i < len(edits); i++ {
		// 100 ms of slack for the edit call's own time in each job run.
		if gap := edits[i].Sub(edits[i-1]); gap < 900*time.Millisecond {
			t.Errorf("progress edits %d and %d only %v apart", i-1, i, gap)
		}
	}
	h.quiet(staff, n+9)
	if got := h.count(`SELECT count(*) FROM audit_log WHERE action = 'announcement.send' AND NOT detail ? 'text'`); got != 1 {
		t.Errorf("audit entries = %d", got)
	}
	// One outbox message per recipient, keyed by announcement and person,
	// each with its send job behind reminders and receipts (priority 4).
	rows := h.ids(`SELECT id FROM outbox
		WHERE kind = 'announcement' AND dedupe_key = 'announcement:' || announcement_id || ':' || person_id`)
	got := 0
	for _, j := range h.sendJobs(rows) {
		if j.Priority == 4 {
			got++
		}
	}
	if got != 4 {
		t.Errorf("%d announcement messages with their send job, want one per recipient", got)
	}
	if got := len(h.jobs("announce_progress")); got != 1 {
		t.Errorf("%d progress jobs", got)
	}
}

func TestAnnouncementResumesAfterStopWithoutDuplicates(t *testing.T) {
	t.Parallel()
	// A slow global rate keeps the broadcast going long enough to stop the
	// process in the middle of it.
	h := newHarness(t, func(h *harness) { h.cfg.GlobalRate = 4 })
	staff := telegramtest.User{ID: 41001, LanguageCode: "en"}
	_, n := h.signUp(staff, store.RoleStaff, "Tom B.", "en")
	en := h.loc("en")
	const first, count = 41100, 24
	langs := []string{"fa-AF", "so", "ru", "bn"}
	for i := range count {
		annResident(h, first+int64(i), store.RoleResident, langs[i%len(langs)], 1)
	}

	h.tg.SendText(staff, "/announce")
	annStep(h, staff, n+1, "ann:aud:all:")
	annStep(h, staff, n+2, "ann:tpl:mail:")
	day := storetest.Day(h.clock.Now(), 6, 12, 0)
	preview := annStep(h, staff, n+3, "ann:date:"+dayKey(day)+":")
	mail := en.T("announce.tpl.mail", "Date", en.F.Date(day))
	if !strings.HasPrefix(preview.Text, en.N("announce.preview", count, "Audience", "everyone", "Message", mail)) {
		t.Fatalf("preview = %q", preview.Text)
	}
	h.tg.PressButton(staff, preview.ID, annButton(t, preview, "ann:send:"))

	// While messages wait for the global rate, they stay 'pending': only
	// the one in Telegram's hands is 'sending', so a crash can leave only
	// that one in doubt (the old table marked every job's row 'sending'
	// while it still waited for its turn, and a kill lost them all).
	maxSending := 0
	h.tg.WaitFor(t, 20*time.Second, "two messages sent", func() bool {
		maxSending = max(maxSending, h.count(`SELECT count(*) FROM outbox WHERE kind = 'announcement' AND state = 'sending'`))
		return h.count(`SELECT count(*) FROM outbox WHERE kind = 'announcement' AND state = 'sent'`) >= 2
	})
	// At 4 a second with no burst, a message is 'sending' from its turn
	// until Telegram's answer is written: on a loaded machine a few turns
	// overlap, but never more than a second's worth of the rate. The old
	// design showed every worker's claimed row in 'sending' at once
	// (JOB_WORKERS, 10 by default, of the 24 messages queued).
	if maxSending > h.cfg.GlobalRate {
		t.Errorf("%d messages in 'sending' at once while waiting for the rate, want at most %d", maxSending, h.cfg.GlobalRate)
	}
	h.stop()
	pending := h.count(`SELECT count(*) FROM outbox WHERE kind = 'announcement' AND state = 'pending'`)
	if pending < 3 {
		t.Fatalf("only %d messages left after the stop: too few to resume", pending)
	}
	if got := h.count(`SELECT count(*) FROM outbox WHERE state = 'sending'`); got != 0 {
		t.Fatalf("%d messages left in 'sending' by a graceful stop", got)
	}
	// As if processes had been killed while sending two of them: their
	// rows stay in 'sending'. The first one's job runs again after the
	// restart; the second one's job is still marked running by its dead
	// process, until River's rescuer gives it back.
	ctx := context.Background()
	victims := map[int64]bool{}
	sending := func(row int64) {
		t.Helper()
		var tg int64
		if err := h.pool.QueryRow(ctx, `UPDATE outbox SET state = 'sending', attempts = attempts + 1
			WHERE id = $1 AND kind = 'announcement' AND state = 'pending'
			RETURNING (SELECT telegram_id FROM people WHERE id = person_id)`, row).Scan(&tg); err != nil {
			t.Fatalf("row %d: %v", row, err)
		}
		victims[tg] = true
	}
	stuck, rescue := annDeadProcess(h)
	sending(stuck)
	var next int64
	if err := h.pool.QueryRow(ctx, `SELECT min(id) FROM outbox WHERE kind = 'announcement' AND state = 'pending'`).Scan(&next); err != nil {
		t.Fatal(err)
	}
	sending(next)
	h.start()

	// Every other message goes; the report waits for the one whose job is
	// stuck, then comes once River rescues it.
	h.tg.WaitFor(t, 60*time.Second, "all but the stuck message settled", func() bool {
		return h.count(`SELECT count(*) FROM outbox WHERE kind = 'announcement' AND state IN ('pending', 'sending')`) == 1
	})
	time.Sleep(2500 * time.Millisecond) // more than a progress tick
	// Not h.quiet: the stuck job is still running, as River sees it.
	h.probe(staff)
	if got := h.tg.Messages(staff.ID); len(got) != n+4 {
		t.Fatalf("staff chat has %d messages before the rescue, want %d: %q", len(got), n+4, texts(got))
	}
	// What River's rescuer does JOB_RESCUE_AFTER after the crash, at once:
	// the dead process's job fails and goes back to River.
	rescue()

	report := annWaitReport(h, staff, n+5)
	want := annReport(en, count-2, 0, 2) + "\n" + en.N("announce.report_interrupted", 2)
	if report.Text != want {
		t.Fatalf("report = %q, want %q", report.Text, want)
	}
	for i := range count {
		id := first + int64(i)
		msgs := h.tg.Messages(id)
		if victims[id] {
			if len(msgs) != 0 {
				t.Errorf("the interrupted message was sent again: %q", texts(msgs))
			}
			continue
		}
		loc := h.loc(langs[i%len(langs)])
		if len(msgs) != 1 || msgs[0].Text != loc.T("announce.tpl.mail", "Date", loc.F.Date(day)) {
			t.Errorf("chat %d got %q", id, texts(msgs))
		}
		if c := annSendCalls(h, id); c != 1 {
			t.Errorf("chat %d: %d successful sends", id, c)
		}
	}
	// The global rate held across the restart (one limiter in Redis): in
	// any second, at most the rate plus its burst.
	var sends []time.Time
	for i := range count {
		sends = append(sends, h.tg.SendTimes(first+int64(i))...)
	}
	slices.SortFunc(sends, func(a, b time.Time) int { return a.Compare(b) })
	for i := range sends {
		j := i
		for j < len(sends) && sends[j].Sub(sends[i]) < time.Second {
			j++
		}
		if j-i > 2*h.cfg.GlobalRate {
			t.Fatalf("%d messages within one second, rate %d/s", j-i, h.cfg.GlobalRate)
		}
	}
	if got := h.count(`SELECT count(*) FROM outbox WHERE kind = 'announcement' AND state = 'failed' AND note = 'interrupted'`); got != 2 {
		t.Errorf("%d interrupted messages", got)
	}
	progress, _ := h.tg.Message(staff.ID, preview.ID)
	if !strings.HasPrefix(progress.Text, en.T("announce.progress_done", "Done", "24", "Total", "24")) {
		t.Errorf("progress after restart = %q", progress.Text)
	}
	h.quiet(staff, n+5)
	// The dead process's job, rescued, sent nothing: every message's job is
	// done and the victims got nothing.
	h.tg.WaitFor(t, 10*time.Second, "the rescued job worked", func() bool {
		rows := h.ids(`SELECT id FROM outbox WHERE kind = 'announcement'`)
		return len(h.sendJobs(rows, rivertype.JobStateCompleted)) == count
	})
	for id := range victims {
		h.quiet(telegramtest.User{ID: id}, 0)
	}
	if got := h.count(`SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')`); got != 0 {
		t.Errorf("%d messages not finished", got)
	}
}

// annDeadProcess plays a bot process that takes the first waiting send
// job and dies with it, its message in Telegram's hands: River keeps the
// job 'running' until its rescuer gives it back, JOB_RESCUE_AFTER later,
// which rescue does at once. It returns the job's outbox row.
func annDeadProcess(h *harness) (row int64, rescue func()) {
	h.t.Helper()
	taken := make(chan int64, 1)
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[handlers.OutboxSendArgs]) error {
		taken <- j.Args.ID
		<-ctx.Done()
		return ctx.Err()
	}))
	c, err := river.NewClient(riverpgxv5.New(h.pool), &river.Config{
		Queues:              map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}},
		Workers:             workers,
		FetchOnlyKnownKinds: true,
		// Not a whole bot: it must not lead (run the periodic and
		// maintenance work).
		LeaderElectionDisabled: true,
		FetchPollInterval:      100 * time.Millisecond,
		Logger:                 slog.New(slog.NewTextHandler(io.Discard, nil)),
		Test:                   river.TestConfig{Time: annRiverClock(h.clock.Now)},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	// Its job fails and goes back to River, to be tried again.
	rescue = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.StopAndCancel(ctx)
	}
	h.t.Cleanup(rescue)
	select {
	case row = <-taken:
	case <-time.After(10 * time.Second):
		h.t.Fatal("the dead process took no send job")
	}
	return row, rescue
}

// annRiverClock gives River the bot's clock.
type annRiverClock func() time.Time

func (c annRiverClock) Now() time.Time { return c() }

func (c annRiverClock) NowOrNil() *time.Time {
	t := c()
	return &t
}

func TestAnnouncementAudienceByFloorAndByLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	staff := telegramtest.User{ID: 42001, LanguageCode: "ar"}
	_, n := h.signUp(staff, store.RoleStaff, "Samira B.", "ar")
	ar := h.loc("ar")
	people := map[int64]struct {
		lang  string
		floor int
	}{
		42011: {"fr", 2}, 42012: {"ar", 2}, 42013: {"ar", 3}, 42014: {"ti", 3},
	}
	for id, p := range people {
		annResident(h, id, store.RoleResident, p.lang, p.floor)
	}
	colleague := int64(42020)
	annResident(h, colleague, store.RoleStaff, "fr", -1)
	day := storetest.Day(h.clock.Now(), 3, 12, 0)
	heat := func(lang string) string {
		loc := h.loc(lang)
		return loc.T("announce.tpl.heat_wave", "Date", loc.F.Date(day))
	}

	cases := []struct {
		name     string
		pick     []string // buttons pressed after "who?"
		audience string
		want     []int64
	}{
		{"floor 3", []string{"ann:aud:floor:", "ann:floor:3:"}, ar.T("announce.aud_floor", "Floor", ar.F.Number(3)), []int64{42013, 42014}},
		{"Arabic readers", []string{"ann:aud:language:", "ann:lang:ar:"}, ar.T("announce.aud_language", "Language", "العربية"), []int64{42012, 42013}},
		{"staff only", []string{"ann:aud:staff:"}, "الموظفون فقط", []int64{colleague}},
	}
	got := map[int64]int{}
	for _, c := range cases {
		h.tg.SendText(staff, "/announce")
		n++
		for _, p := range c.pick {
			annStep(h, staff, n, p)
			n++
		}
		annStep(h, staff, n, "ann:tpl:heat_wave:")
		n++
		preview := annStep(h, staff, n, "ann:date:"+dayKey(day)+":")
		n++
		wantPreview := ar.N("announce.preview", len(c.want), "Audience", c.audience, "Message", heat("ar"))
		if !strings.HasPrefix(preview.Text, wantPreview) {
			t.Fatalf("%s: preview = %q, want %q…", c.name, preview.Text, wantPreview)
		}
		h.tg.PressButton(staff, preview.ID, annButton(t, preview, "ann:send:"))
		n++
		if r := annWaitReport(h, staff, n); r.Text != annReport(ar, len(c.want), 0, 0) {
			t.Fatalf("%s: report = %q", c.name, r.Text)
		}
		for _, id := range c.want {
			got[id]++
			msgs := h.tg.WaitMessages(t, id, got[id], 10*time.Second)
			lang := "fr"
			if p, ok := people[id]; ok {
				lang = p.lang
			}
			if last := msgs[got[id]-1].Text; last != heat(lang) {
				t.Errorf("%s: %d got %q", c.name, id, last)
			}
		}
		for id := range people {
			if m := len(h.tg.Messages(id)); m != got[id] {
				t.Errorf("after %s, %d has %d messages, want %d", c.name, id, m, got[id])
			}
		}
	}
	// The floors on offer are those where someone can be reached, with
	// their counts.
	h.tg.SendText(staff, "/announce")
	floors := annStep(h, staff, n+1, "ann:aud:floor:")
	var labels []string
	for _, row := range floors.InlineKeyboard {
		for _, b := range row {
			labels = append(labels, b.Text)
		}
	}
	want := []string{ar.T("announce.btn_floor_n", "Floor", ar.F.Number(2), "Count", ar.F.Number(2)),
		ar.T("announce.btn_floor_n", "Floor", ar.F.Number(3), "Count", ar.F.Number(2))}
	if strings.Join(labels, "|") != strings.Join(want, "|") {
		t.Errorf("floor buttons = %q, want %q", labels, want)
	}
}

func TestResidentIsRefusedAnnounceAndForgedButtonsChangeNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// 10:00 in Paris, the next morning.
	today := storetest.Day(h.begin, 1, 10, 0)
	h.setClock(today)
	resident := telegramtest.User{ID: 43001, LanguageCode: "ps"}
	_, rn := h.signUp(resident, store.RoleResident, "Gul A.", "ps")
	h.tg.SendText(resident, "/announce")
	if got := h.waitText(resident, rn+1).Text; got != "⛔ بښنه غواړو، دا یوازې د مرکز د کارکوونکو لپاره دی." {
		t.Fatalf("resident /announce → %q", got)
	}
	h.tg.SendText(resident, "📣 اعلان")
	if got := h.waitText(resident, rn+2).Text; got != "⛔ بښنه غواړو، دا یوازې د مرکز د کارکوونکو لپاره دی." {
		t.Fatalf("resident announce button → %q", got)
	}
	upd := h.tg.PressButton(resident, h.waitText(resident, rn+2).ID, "ann:send:abcdefgh")
	h.tg.WaitFor(t, 5*time.Second, "callback answered", func() bool { _, ok := h.tg.CallbackAnswer(upd); return ok })
	if text, _ := h.tg.CallbackAnswer(upd); text != "⛔ بښنه غواړو، دا یوازې د مرکز د کارکوونکو لپاره دی." {
		t.Fatalf("resident's forged button answered %q", text)
	}

	staff := telegramtest.User{ID: 43002, LanguageCode: "en"}
	_, n := h.signUp(staff, store.RoleStaff, "Tom B.", "en")
	en := h.loc("en")
	annResident(h, 43011, store.RoleResident, "ar", 1)
	// next sends what the staff member does and returns the bot's answer.
	next := func(act func()) telegramtest.SentMessage {
		t.Helper()
		act()
		n++
		return h.waitText(staff, n)
	}
	press := func(m telegramtest.SentMessage, data string) telegramtest.SentMessage {
		t.Helper()
		return next(func() { h.tg.PressButton(staff, m.ID, data) })
	}
	say := func(text string) telegramtest.SentMessage {
		t.Helper()
		return next(func() { h.tg.SendText(staff, text) })
	}
	stale := func(m telegramtest.SentMessage, data ...string) {
		t.Helper()
		for _, d := range data {
			if got := press(m, d).Text; got != "This button is not valid any more." {
				t.Fatalf("%q → %q, want the stale-button answer", d, got)
			}
		}
	}

	old := say("/announce")
	oldDraft := annDraft(t, old)
	ask := say("/announce") // a new draft: the old buttons die
	d := annDraft(t, ask)
	if d == oldDraft {
		t.Fatal("two drafts share a key")
	}
	stale(old, "ann:aud:all:"+oldDraft)
	stale(ask,
		"ann:send:"+d,             // the wrong step
		"ann:aud:all:zzzzzzzz",    // a made-up key
		"ann:aud:everyone:"+d,     // an unknown audience
		"ann:floor:1:"+d,          // skipping a step
		"ann:aud:all:"+d+":extra", // malformed
		"ann",                     // no key at all
	)
	floors := press(ask, "ann:aud:floor:"+d)
	if floors.Text != "🏢 Which floor?" {
		t.Fatalf("floor → %q", floors.Text)
	}
	stale(floors, "ann:floor:7:"+d, "ann:floor:-1:"+d, "ann:lang:ar:"+d)
	kind := press(floors, "ann:floor:1:"+d)
	stale(kind, "ann:tpl:birthday:"+d, "ann:tpl:../../x:"+d)
	date := press(kind, "ann:tpl:meeting:"+d)
	stale(date, "ann:date:"+paris(today).Format("2006")+"1301:"+d, "ann:place:hall:"+d)
	// A day button from an old keyboard, now in the past, gets a reason.
	if got := press(date, "ann:date:"+dayKey(storetest.Day(today, -1, 12, 0))+":"+d).Text; got != "❌ This day is already past. Choose a day from today." {
		t.Fatalf("past day button → %q", got)
	}
	if got := press(date, "ann:date:"+dayKey(today)+":"+d).Text; got != "🕐 At what time? Type it, for example 14:30." {
		t.Fatalf("today → %q", got)
	}
	if got := say("09:30").Text; got != "❌ This time is already past. Type a later time." { // 10:00 in Paris now
		t.Fatalf("past time → %q", got)
	}
	place := say("18:00")
	if place.Text != "📍 Where? Choose below or type the place." {
		t.Fatalf("time → %q", place.Text)
	}
	if got := say(strings.Repeat("x", 61)).Text; got != "❌ The place must have 1 to 60 characters, on one line. Type it again." {
		t.Fatalf("long place → %q", got)
	}
	preview := press(place, annButton(t, place, "ann:place:common_room:"))
	stale(preview, "ann:addv:"+d) // no language versions for a ready message
	send := annButton(t, preview, "ann:send:")
	h.tg.PressButton(staff, preview.ID, send)
	h.tg.PressButton(staff, preview.ID, send) // pressed twice
	msgs := h.tg.WaitMessages(t, staff.ID, n+2, 30*time.Second)
	got := texts(msgs[n:])
	if !slices.Contains(got, "This button is not valid any more.") || !slices.Contains(got, annReport(en, 1, 0, 0)) {
		t.Fatalf("after two presses of send: %q", got)
	}
	if got := h.count(`SELECT count(*) FROM announcements`); got != 1 {
		t.Fatalf("%d announcements", got)
	}
	if got := h.count(`SELECT count(*) FROM outbox WHERE kind = 'announcement'`); got != 1 {
		t.Fatalf("%d announcement messages after two presses, want 1", got)
	}
	ar := h.loc("ar")
	at := storetest.Day(today, 0, 18, 0)
	rm := h.tg.WaitMessages(t, 43011, 1, 10*time.Second)
	want := ar.T("announce.tpl.meeting", "Date", ar.F.Date(at), "Time", ar.F.Time(at), "Place", "القاعة المشتركة")
	if len(rm) != 1 || rm[0].Text != want {
		t.Fatalf("resident got %q, want %q", texts(rm), want)
	}
	h.quiet(telegramtest.User{ID: 43011}, 1)
	if got := len(h.tg.Messages(resident.ID)); got != rn+2 {
		t.Fatalf("the resident with no floor got the floor-1 announcement")
	}
}

func TestFreeTextWithLanguageVersionsAndNews(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	staff := telegramtest.User{ID: 44001, LanguageCode: "fr"}
	_, n := h.signUp(staff, store.RoleStaff, "Claire D.", "fr")
	fr := h.loc("fr")
	readers := map[int64]string{44011: "fr", 44012: "ar", 44013: "ti", 44014: "ps"}
	for id, lang := range readers {
		annResident(h, id, store.RoleResident, lang, 1)
	}
	const original = "Ce soir, repas partagé dans la salle commune à 19 h.\nVenez nombreux !"
	const arabic = "الليلة، وجبة مشتركة في القاعة المشتركة الساعة 19.\nتعالوا كلكم!"
	const tigrinya = "ሎሚ ምሸት፣ ኣብ ናይ ሓባር ክፍሊ ሰዓት 19 ናይ ሓባር መግቢ ኣሎ።"

	h.tg.SendText(staff, "/announce")
	annStep(h, staff, n+1, "ann:aud:all:")
	if got := annStep(h, staff, n+2, "ann:free:"); got.Text != "✍️ Écrivez votre message. Il est envoyé comme vous l'écrivez. Ensuite, vous pouvez ajouter des versions dans d'autres langues." {
		t.Fatalf("free text → %q", got.Text)
	}
	h.tg.SendText(staff, strings.Repeat("é", 3001))
	if got := h.waitText(staff, n+4).Text; got != fr.T("announce.bad_text", "Max", fr.F.Number(3000)) {
		t.Fatalf("too long → %q", got)
	}
	h.tg.SendText(staff, "  "+original+"  ")
	preview := h.waitText(staff, n+5)
	want := fr.N("announce.preview", 4, "Audience", "tout le monde", "Message", original) + "\n\n" +
		"🌐 Tout le monde reçoit le texte ci-dessus. Vous pouvez ajouter une version dans une autre langue." + "\n\n" + "⚠️ Règle : une annonce ne nomme jamais une personne, un solde (argent) ou une absence." + "\n\n" + "L'envoyer maintenant ?"
	if preview.Text != want {
		t.Fatalf("preview = %q\nwant %q", preview.Text, want)
	}
	m := n + 5
	for _, v := range []struct{ lang, text string }{{"ar", arabic}, {"ti", tigrinya}} {
		picker := annStep(h, staff, m, "ann:addv:")
		if picker.Text != "🌐 Dans quelle langue voulez-vous ajouter une version ?" {
			t.Fatalf("add version → %q", picker.Text)
		}
		l, _ := locales.Lookup(v.lang)
		if got := annStep(h, staff, m+1, "ann:vlang:"+v.lang+":"); got.Text != fr.T("announce.ask_version", "Language", l.Native) {
			t.Fatalf("version language → %q", got.Text)
		}
		h.tg.SendText(staff, v.text)
		m += 3
	}
	preview = h.waitText(staff, m)
	if !strings.Contains(preview.Text, fr.T("announce.versions", "Languages", "العربية, ትግርኛ")) {
		t.Fatalf("preview with versions = %q", preview.Text)
	}
	h.tg.PressButton(staff, preview.ID, annButton(t, preview, "ann:send:"))
	if r := annWaitReport(h, staff, m+1); r.Text != annReport(fr, 4, 0, 0) {
		t.Fatalf("report = %q", r.Text)
	}
	wantText := map[string]string{"fr": original, "ar": arabic, "ti": tigrinya, "ps": original}
	for id, lang := range readers {
		msgs := h.tg.WaitMessages(t, id, 1, 10*time.Second)
		if msgs[0].Text != wantText[lang] {
			t.Errorf("%s reader got %q, want %q", lang, msgs[0].Text, wantText[lang])
		}
	}

	// The Arabic reader finds it again under News, in his language.
	reader := telegramtest.User{ID: 44012}
	ar := h.loc("ar")
	h.tg.SendText(reader, "📢 الأخبار")
	news := h.waitText(reader, 2)
	sentAt := h.clock.Now()
	wantNews := "📢 آخر الإعلانات:" + "\n\n" + ar.T("announce.news_item", "Date", ar.F.Date(sentAt), "Text", arabic)
	if news.Text != wantNews {
		t.Fatalf("news = %q\nwant %q", news.Text, wantNews)
	}
	// Someone who received nothing sees that there is nothing.
	newcomer := telegramtest.User{ID: 44020, LanguageCode: "so"}
	_, k := h.signUp(newcomer, store.RoleResident, "Abdi M.", "so")
	h.tg.SendText(newcomer, "/news")
	if got := h.waitText(newcomer, k+1).Text; got != "📢 Weli ogeysiis ma aadan helin." {
		t.Fatalf("empty news = %q", got)
	}
}

// outboxRowOf is the id of the announcement message to chat that is in
// state, or 0.
func outboxRowOf(h *harness, chatID int64, state string) int64 {
	h.t.Helper()
	var id int64
	err := h.pool.QueryRow(context.Background(), `SELECT COALESCE(max(o.id), 0) FROM outbox o
		JOIN people p ON p.id = o.person_id
		WHERE p.telegram_id = $1 AND o.kind = 'announcement' AND o.state = $2`, chatID, state).Scan(&id)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

// An announcement left in doubt by a crash (its row found in 'sending'
// when its job runs again) is reported as interrupted and never sent
// again; the others arrive, each in its reader's language.
func TestAnnouncementLeftInDoubtIsReportedNotResent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const original = "Ce soir à 19 h, repas partagé dans la salle commune."
	const arabic = "الليلة الساعة 19، وجبة مشتركة في القاعة المشتركة."
	const frReader, arReader, victim = 45011, 45012, 45013
	annResident(h, frReader, store.RoleResident, "fr", 1)
	annResident(h, arReader, store.RoleResident, "ar", 1)
	annResident(h, victim, store.RoleResident, "ti", 1)
	ctx := context.Background()

	cases := []struct {
		staff            telegramtest.User
		lang             string
		progress, report string
	}{
		{
			staff: telegramtest.User{ID: 45001, LanguageCode: "fr"}, lang: "fr",
			progress: "✅ Envoi terminé : 3 sur 3.\n\n" + original,
			report: "📊 Bilan de l'annonce :\n✅ Reçue : 2\n🚫 Injoignables (bot bloqué ou parti) : 0\n❌ Non envoyée : 1\n" +
				"⚠️ 1 message a été coupé par un redémarrage : il est peut-être arrivé, peut-être pas. Il n'est pas renvoyé.",
		},
		{
			staff: telegramtest.User{ID: 45002, LanguageCode: "ar"}, lang: "ar",
			progress: "✅ انتهى الإرسال: \u20683\u2069 من \u20683\u2069.\n\n" + arabic,
			report: "📊 تقرير الإعلان:\n✅ وصل: \u20682\u2069\n🚫 لا يمكن الوصول إليهم (حظروا البوت أو غادروا): \u20680\u2069\n" +
				"❌ لم يُرسل: \u20681\u2069\n⚠️ رسالة واحدة انقطعت بسبب إعادة التشغيل: ربما وصلت وربما لا. لن تُرسل مرة أخرى.",
		},
	}
	for round, c := range cases {
		_, n := h.signUp(c.staff, store.RoleStaff, "Staff "+c.lang, c.lang)
		// The victim's first try gets a 429 asking to wait 30 s: his row goes
		// back to 'pending' and its job is snoozed.
		h.tg.FailNext("sendMessage", victim, 429, 30, 1)
		h.tg.SendText(c.staff, "/announce")
		annStep(h, c.staff, n+1, "ann:aud:floor:")
		annStep(h, c.staff, n+2, "ann:floor:1:")
		annStep(h, c.staff, n+3, "ann:free:")
		h.tg.SendText(c.staff, original)
		annStep(h, c.staff, n+5, "ann:addv:")
		annStep(h, c.staff, n+6, "ann:vlang:ar:")
		h.tg.SendText(c.staff, arabic)
		preview := h.waitText(c.staff, n+8)
		h.tg.PressButton(c.staff, preview.ID, annButton(t, preview, "ann:send:"))

		var row int64
		h.tg.WaitFor(t, 30*time.Second, "the victim's try refused with 429", func() bool {
			refused := 0
			for _, call := range h.tg.CallsTo("sendMessage") {
				if call.Params["chat_id"] == strconv.Itoa(victim) && call.Status == 429 {
					refused++
				}
			}
			row = outboxRowOf(h, victim, "pending")
			return refused == round+1 && row != 0
		})
		// As if a process had claimed it again and died in Telegram's hands:
		// the row stays 'sending' and River runs a job for it.
		if _, err := h.pool.Exec(ctx, `UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id = $1`, row); err != nil {
			t.Fatal(err)
		}
		if _, err := h.app.Jobs().Insert(ctx, handlers.OutboxSendArgs{ID: row}, nil); err != nil {
			t.Fatal(err)
		}

		if got := annWaitReport(h, c.staff, n+9).Text; got != c.report {
			t.Fatalf("%s report = %q\nwant %q", c.lang, got, c.report)
		}
		if progress, _ := h.tg.Message(c.staff.ID, preview.ID); progress.Text != c.progress {
			t.Errorf("%s progress = %q\nwant %q", c.lang, progress.Text, c.progress)
		}
		for id, want := range map[int64]string{frReader: original, arReader: arabic} {
			msgs := h.tg.WaitMessages(t, id, round+1, 10*time.Second)
			if got := msgs[round].Text; got != want {
				t.Errorf("reader %d got %q, want %q", id, got, want)
			}
		}
		if got := outboxRowOf(h, victim, "failed"); got != row {
			t.Fatalf("the victim's row is not failed")
		}
		if got := h.count(`SELECT count(*) FROM outbox WHERE id = $1 AND note = 'interrupted'`, row); got != 1 {
			t.Errorf("the victim's row is not marked interrupted")
		}
		// The snoozed job, at its time, finds the row settled and sends
		// nothing.
		var snoozed *time.Time
		for _, j := range h.sendJobs([]int64{row}, rivertype.JobStateScheduled) {
			if snoozed == nil || j.ScheduledAt.After(*snoozed) {
				snoozed = &j.ScheduledAt
			}
		}
		if snoozed == nil {
			t.Fatal("the victim's snoozed job is gone")
		}
		if snoozed.After(h.clock.Now()) {
			h.setClock(*snoozed)
		}
		h.tg.WaitFor(t, 20*time.Second, "the snoozed job done", func() bool {
			for _, j := range h.sendJobs([]int64{row}) {
				if j.State != rivertype.JobStateCompleted {
					return false
				}
			}
			return true
		})
		if got := len(h.tg.Messages(victim)); got != 0 || annSendCalls(h, victim) != 0 {
			t.Fatalf("the message left in doubt was sent again: %q", texts(h.tg.Messages(victim)))
		}
		h.quiet(c.staff, n+9)
	}
}

// Jobs queued by the code before the outbox still work after the upgrade:
// migration 00013 carried the deliveries into the outbox, an old
// 'announce' job queues its message's send, and a message already sent is
// never sent again, however often its old job runs.
func TestAnnouncementJobsQueuedBeforeTheOutbox(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	staff := telegramtest.User{ID: 46001, LanguageCode: "fr"}
	author, n := h.signUp(staff, store.RoleStaff, "Claire D.", "fr")
	received := annResident(h, 46011, store.RoleResident, "fr", 1) // received it before the upgrade
	waiting := annResident(h, 46012, store.RoleResident, "ar", 1)  // still pending at the upgrade
	ctx := context.Background()

	// The rows as the migration leaves them: no send job of their own.
	var ann int64
	if err := h.pool.QueryRow(ctx, `INSERT INTO announcements (centre_id, created_by, draft_key, audience_kind,
			body, recipients, progress_chat_id)
		VALUES ($1, $2, 'old', 'floor', 'Réunion ce soir.', 2, $3) RETURNING id`,
		author.CentreID, author.ID, staff.ID).Scan(&ann); err != nil {
		t.Fatal(err)
	}
	if _, err := h.pool.Exec(ctx, `INSERT INTO announcement_versions (announcement_id, language, body)
		VALUES ($1, 'ar', 'اجتماع الليلة.')`, ann); err != nil {
		t.Fatal(err)
	}
	if _, err := h.pool.Exec(ctx, `INSERT INTO outbox (centre_id, person_id, kind, dedupe_key, announcement_id,
			not_before, state, attempts, created_at, updated_at, sent_at)
		SELECT $1, p.id, 'announcement', 'announcement:' || $2::bigint || ':' || p.id, $2::bigint, $5,
			CASE WHEN p.id = $3 THEN 'sent' ELSE 'pending' END, 0, $5, $5,
			CASE WHEN p.id = $3 THEN $5::timestamptz END
		FROM people p WHERE p.id IN ($3, $4)`, author.CentreID, ann, received.ID, waiting.ID, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	old := func(p store.Person) river.InsertManyParams {
		return river.InsertManyParams{Args: handlers.AnnounceArgs{CentreID: author.CentreID, AnnouncementID: ann, PersonID: p.ID}}
	}
	if _, err := h.app.Jobs().InsertMany(ctx, []river.InsertManyParams{
		old(received), old(waiting),
		{Args: handlers.AnnounceProgressArgs{CentreID: author.CentreID, AnnouncementID: ann}},
	}); err != nil {
		t.Fatal(err)
	}

	report := "📊 Bilan de l'annonce :\n✅ Reçue : 2\n🚫 Injoignables (bot bloqué ou parti) : 0\n❌ Non envoyée : 0"
	if r := annWaitReport(h, staff, n+1); r.Text != report {
		t.Fatalf("report = %q\nwant %q", r.Text, report)
	}
	if msgs := h.tg.WaitMessages(t, 46012, 1, 10*time.Second); msgs[0].Text != "اجتماع الليلة." {
		t.Errorf("the waiting reader got %q", msgs[0].Text)
	}
	// The old job of the waiting reader runs once more (a retry): nothing
	// more is sent to anyone.
	if _, err := h.app.Jobs().InsertMany(ctx, []river.InsertManyParams{old(waiting)}); err != nil {
		t.Fatal(err)
	}
	h.tg.WaitFor(t, 20*time.Second, "old jobs done", func() bool {
		for _, j := range h.jobList(river.NewJobListParams().Kinds("announce", "outbox_send")) {
			if j.State != rivertype.JobStateCompleted {
				return false
			}
		}
		return true
	})
	h.quiet(telegramtest.User{ID: 46011}, 0)
	h.quiet(telegramtest.User{ID: 46012}, 1)
	h.quiet(staff, n+1)
	if c := h.count(`SELECT count(*) FROM outbox WHERE announcement_id = $1 AND state = 'sent'`, ann); c != 2 {
		t.Errorf("%d messages sent, want 2", c)
	}
}
