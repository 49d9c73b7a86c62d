package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// The rota's first week in these tests is that of the first Monday after
// the test begins (choreMonday).

var choreParis = storetest.Paris

// choreMonday is 08:00 in Paris on the first Monday after the test begins,
// when the weekly job makes that week's rota.
func choreMonday(h *harness) time.Time { return storetest.Next(h.begin, time.Monday, 8, 0) }

// choreDay is hh:mm in Paris, days after the day of mon.
func choreDay(mon time.Time, days, hh, mm int) time.Time { return storetest.Day(mon, days, hh, mm) }

// choreWeek is a Monday as the weekly job names its week: "2026-11-30".
func choreWeek(mon time.Time) string { return paris(mon).Format(time.DateOnly) }

// choreHarness starts a bot in the daytime and waits for the Monday job
// that a starting leader runs once (with no areas yet it does nothing), so
// that it cannot run in the middle of a test.
func choreHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	h := newHarness(t, append([]harnessOption{inDaytime}, opts...)...)
	h.tg.WaitFor(t, 30*time.Second, "the chores job run at start", func() bool {
		return len(h.jobs("chores_weekly", rivertype.JobStateCompleted)) > 0
	})
	return h
}

func choreCentre(h *harness) int64 {
	h.t.Helper()
	c, err := h.st.CentreBySlug(context.Background(), h.cfg.Centre)
	if err != nil {
		h.t.Fatal(err)
	}
	return c.ID
}

// choreImport imports a chores file as `cairbot import chores` does.
func choreImport(h *harness, csv string) {
	h.t.Helper()
	if _, err := h.st.ImportChoresCSV(context.Background(), choreCentre(h), strings.NewReader(csv), h.clock.Now()); err != nil {
		h.t.Fatalf("import: %v", err)
	}
}

// choreRunWeekly runs the Monday job for a week, as the leader does, and
// waits for it to finish.
func choreRunWeekly(h *harness, week string) {
	h.t.Helper()
	res, err := h.app.Jobs().Insert(context.Background(), handlers.ChoresWeeklyArgs{Week: week}, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	h.tg.WaitFor(h.t, 15*time.Second, "the chores job", func() bool {
		return h.jobDone(res.Job.ID)
	})
}

// choreTurnIDs are a person's turns, in time order.
func choreTurnIDs(h *harness, personID int64) []int64 {
	h.t.Helper()
	rows, err := h.pool.Query(context.Background(), `SELECT id FROM chore_turns WHERE person_id = $1 ORDER BY starts_at`, personID)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			h.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func choreTurn(h *harness, id int64) store.ChoreTurn {
	h.t.Helper()
	t, err := h.st.ChoreTurn(context.Background(), choreCentre(h), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return t
}

// choreVars are the variables the bot passes for a turn, formatted in loc's
// language.
func choreVars(loc *locales.Localizer, t store.ChoreTurn, extra ...any) []any {
	return append([]any{"Area", t.Area(loc.Tag), "Day", loc.F.Date(t.StartsAt), "Weekday", loc.F.Weekday(t.StartsAt),
		"Start", loc.F.Time(t.StartsAt), "End", loc.F.Time(t.EndsAt)}, extra...)
}

// choreOverdue is the report to staff of turns not marked done, one
// numbered line per turn (its choreVars with Name and Room), as the bot
// writes it; TestChoreOverdueDigest writes it out by hand.
func choreOverdue(loc *locales.Localizer, turns ...[]any) string {
	text := loc.T("chores.overdue.title")
	for i, vars := range turns {
		text += "\n" + loc.T("chores.overdue.line", append(vars, "N", loc.F.Number(int64(i+1)))...)
	}
	return text
}

func choreButtons(m telegramtest.SentMessage) []models.InlineKeyboardButton {
	var out []models.InlineKeyboardButton
	for _, row := range m.InlineKeyboard {
		out = append(out, row...)
	}
	return out
}

func choreCallbacks(m telegramtest.SentMessage) []string {
	var out []string
	for _, b := range choreButtons(m) {
		out = append(out, b.CallbackData)
	}
	return out
}

const choreAreas = `kind,key,name,days,start,end,label_fr,label_fa-AF
area,kitchen-2,Kitchen floor 2,mon thu,18:00,20:00,Cuisine 2e étage,آشپزخانهٔ منزل دوم
area,courtyard,Courtyard,wed,10:00,12:00,,
`

func TestChoresInDariAndFrenchWithDoneButton(t *testing.T) {
	t.Parallel()
	h := choreHarness(t)
	ahmadU := telegramtest.User{ID: 30001, LanguageCode: "fa"}
	jeanU := telegramtest.User{ID: 30002, LanguageCode: "fr"}
	ahmad, na := h.signUp(ahmadU, store.RoleResident, "Ahmad K.", "fa-AF")
	jean, nj := h.signUp(jeanU, store.RoleResident, "Jean B.", "fr")
	choreImport(h, choreAreas+fmt.Sprintf("member,#%d,,,,,,\nmember,#%d,,,,,,\n", ahmad.ID, jean.ID))

	// Monday, 08:00 in Paris: the weekly job.
	mon := choreMonday(h)
	h.setClock(mon)
	choreRunWeekly(h, choreWeek(mon))
	// A second run of the same week (a restart, a second leader) changes
	// and sends nothing more.
	choreRunWeekly(h, choreWeek(mon))

	// Round robin by rotation order: Ahmad, Jean, Ahmad; then Jean, Ahmad, Jean.
	at := choreTurnIDs(h, ahmad.ID)
	jt := choreTurnIDs(h, jean.ID)
	if len(at) != 3 || len(jt) != 3 {
		t.Fatalf("turns: Ahmad %v, Jean %v; want 3 each over two weeks", at, jt)
	}
	if n := h.count(`SELECT count(*) FROM chore_turns`); n != 6 {
		t.Fatalf("%d turns, want 6", n)
	}
	monday, thursday, nextWed := choreTurn(h, at[0]), choreTurn(h, at[1]), choreTurn(h, at[2])
	if !monday.StartsAt.Equal(choreDay(mon, 0, 18, 0)) || !nextWed.StartsAt.Equal(choreDay(mon, 9, 10, 0)) {
		t.Fatalf("Ahmad's turns start at %v and %v", monday.StartsAt, nextWed.StartsAt)
	}

	// The Monday message, private, in his language, with his turns only.
	fa := h.loc("fa-AF")
	notice := h.waitText(ahmadU, na+1)
	wantNotice := "🧹 نوبت\u200cهای صفایی شما در این هفته:" + "\n" +
		fa.T("chores.line.pending", choreVars(fa, monday)...) + "\n" + fa.T("chores.line.pending", choreVars(fa, thursday)...)
	if notice.Text != wantNotice {
		t.Fatalf("Monday message =\n%q\nwant\n%q", notice.Text, wantNotice)
	}
	h.waitText(jeanU, nj+1)
	h.quiet(ahmadU, na+1)
	h.quiet(jeanU, nj+1)

	// /chores in Dari (right to left): every value isolated, Dari digits,
	// the area's Dari label.
	h.tg.SendText(ahmadU, "/chores")
	got := h.waitText(ahmadU, na+2)
	const fsi, pdi = "\u2068", "\u2069"
	line := func(area, day, start, end string) string {
		return "⏳ " + fsi + area + pdi + ": " + fsi + day + pdi + "، " + fsi + start + pdi + "–" + fsi + end + pdi
	}
	want := "🧹 نوبت‌های صفایی شما\n\nاین هفته:\n" +
		line("آشپزخانهٔ منزل دوم", fa.F.Date(monday.StartsAt), "۱۸:۰۰", "۲۰:۰۰") + "\n" +
		line("آشپزخانهٔ منزل دوم", fa.F.Date(thursday.StartsAt), "۱۸:۰۰", "۲۰:۰۰") +
		"\n\nهفتهٔ آینده:\n" + line("Courtyard", fa.F.Date(nextWed.StartsAt), "۱۰:۰۰", "۱۲:۰۰")
	if got.Text != want {
		t.Fatalf("Dari /chores =\n%q\nwant\n%q", got.Text, want)
	}
	if !strings.Contains(fa.F.Date(monday.StartsAt), faDigits(paris(mon).Day())) {
		t.Fatalf("Dari date %q lacks Dari digits", fa.F.Date(monday.StartsAt))
	}
	// Done only for today's turn; Swap for those to come.
	wantCB := []string{fmt.Sprintf("chd:%d", at[0]), fmt.Sprintf("chs:t:%d", at[0]), fmt.Sprintf("chs:t:%d", at[1]), fmt.Sprintf("chs:t:%d", at[2])}
	if cbs := choreCallbacks(got); strings.Join(cbs, " ") != strings.Join(wantCB, " ") {
		t.Fatalf("buttons %v, want %v", cbs, wantCB)
	}
	if b := choreButtons(got)[0].Text; b != fa.T("chores.button.done", choreVars(fa, monday)...) {
		t.Fatalf("Done button = %q", b)
	}
	// The menu button does the same.
	h.tg.SendText(ahmadU, "🧹 صفایی")
	if again := h.waitText(ahmadU, na+3); again.Text != want {
		t.Fatalf("menu button → %q", again.Text)
	}

	// /chores in French, written out.
	h.tg.SendText(jeanU, "/chores")
	wantFr := "🧹 Vos tours de ménage\n\nCette semaine :\n" +
		"⏳ Courtyard : " + frDate(choreDay(mon, 2, 10, 0)) + ", 10:00–12:00\n\n" +
		"La semaine prochaine :\n" +
		"⏳ Cuisine 2e étage : " + frDate(choreDay(mon, 7, 18, 0)) + ", 18:00–20:00\n" +
		"⏳ Cuisine 2e étage : " + frDate(choreDay(mon, 10, 18, 0)) + ", 18:00–20:00"
	if got := h.waitText(jeanU, nj+2).Text; got != wantFr {
		t.Fatalf("French /chores =\n%q\nwant\n%q", got, wantFr)
	}

	// Done: Thursday's turn is not today; Monday's is.
	h.tg.PressButton(ahmadU, got.ID, fmt.Sprintf("chd:%d", at[1]))
	if got := h.waitText(ahmadU, na+4).Text; got != fa.T("chores.done_too_early", choreVars(fa, thursday)...) {
		t.Fatalf("Done on Thursday's turn → %q", got)
	}
	// Jean forges a press on Ahmad's turn: refused, nothing changes, and
	// he learns nothing about the turn.
	jeanMsg := h.waitText(jeanU, nj+2)
	h.tg.PressButton(jeanU, jeanMsg.ID, fmt.Sprintf("chd:%d", at[0]))
	if got := h.waitText(jeanU, nj+3).Text; got != "Ce bouton n'est plus valable." {
		t.Fatalf("forged Done → %q", got)
	}
	for _, data := range []string{"chd:x", "chd:", "chd:999999", "chd:1:2"} {
		h.tg.PressButton(ahmadU, got.ID, data)
	}
	h.tg.WaitMessages(t, ahmadU.ID, na+8, 10*time.Second)
	for _, m := range h.tg.Messages(ahmadU.ID)[na+4 : na+8] {
		if m.Text != "این تکمه دیگر اعتبار ندارد." {
			t.Fatalf("forged Done data → %q", m.Text)
		}
	}
	if n := h.count(`SELECT count(*) FROM chore_turns WHERE state <> 'pending'`); n != 0 {
		t.Fatalf("%d turns changed by refused presses", n)
	}
	h.tg.PressButton(ahmadU, got.ID, fmt.Sprintf("chd:%d", at[0]))
	if got := h.waitText(ahmadU, na+9).Text; got != fa.T("chores.done_saved", choreVars(fa, monday)...) {
		t.Fatalf("Done → %q", got)
	}
	if n := h.count(`SELECT count(*) FROM chore_turns WHERE id = $1 AND state = 'done' AND marked_by = $2`, at[0], ahmad.ID); n != 1 {
		t.Fatal("turn not marked done")
	}
	h.tg.PressButton(ahmadU, got.ID, fmt.Sprintf("chd:%d", at[0]))
	if got := h.waitText(ahmadU, na+10).Text; got != "✅ این نوبت قبلاً انجام\u200cشده ثبت شده است." {
		t.Fatalf("second Done → %q", got)
	}
	h.tg.SendText(ahmadU, "/chores")
	after := h.waitText(ahmadU, na+11)
	if !strings.HasPrefix(strings.Split(after.Text, "\n")[3], "✅ ") || strings.Contains(strings.Join(choreCallbacks(after), " "), "chd:") {
		t.Fatalf("after Done: %q %v", after.Text, choreCallbacks(after))
	}
	h.quiet(jeanU, nj+3)
}

func TestChoreSwapAcceptedApprovedAndDeclined(t *testing.T) {
	t.Parallel()
	h := choreHarness(t)
	ahmadU := telegramtest.User{ID: 31001, LanguageCode: "ar"}
	jeanU := telegramtest.User{ID: 31002, LanguageCode: "fr"}
	staffU := telegramtest.User{ID: 31003, LanguageCode: "en"}
	otherU := telegramtest.User{ID: 31004, LanguageCode: "en"}
	ahmad, na := h.signUp(ahmadU, store.RoleResident, "Omar H.", "ar")
	jean, nj := h.signUp(jeanU, store.RoleResident, "Jean B.", "fr")
	_, ns := h.signUp(staffU, store.RoleStaff, "Claire D.", "en")
	other, no := h.signUp(otherU, store.RoleResident, "Sami A.", "en")
	choreImport(h, choreAreas+fmt.Sprintf("member,#%d,,,,,,\nmember,#%d,,,,,,\n", ahmad.ID, jean.ID))
	mon := choreMonday(h)
	h.setClock(mon)
	choreRunWeekly(h, choreWeek(mon))
	na++ // the Monday message
	nj++
	h.waitText(ahmadU, na)
	h.waitText(jeanU, nj)
	ar, fr, en := h.loc("ar"), h.loc("fr"), h.loc("en")
	at := choreTurnIDs(h, ahmad.ID)
	thursday := choreTurn(h, at[1])

	// Omar picks his Thursday turn, then a resident (Sami is not on the
	// rota, so only Jean is offered, by name and room).
	h.tg.SendText(ahmadU, "/chores")
	list := h.waitText(ahmadU, na+1)
	h.tg.PressButton(ahmadU, list.ID, fmt.Sprintf("chs:t:%d", at[1]))
	picker := h.waitText(ahmadU, na+2)
	if picker.Text != ar.T("chores.swap.pick_person", choreVars(ar, thursday)...) {
		t.Fatalf("picker = %q", picker.Text)
	}
	if b := choreButtons(picker); len(b) != 1 || b[0].Text != ar.T("chores.member_button", "Name", "Jean B.", "Room", "214") ||
		b[0].CallbackData != fmt.Sprintf("chs:p:%d:%d", at[1], jean.ID) {
		t.Fatalf("residents offered: %+v", b)
	}
	// Forged: a resident who is not on the rota, himself, another's turn.
	for _, data := range []string{
		fmt.Sprintf("chs:p:%d:%d", at[1], other.ID),
		fmt.Sprintf("chs:p:%d:%d", at[1], ahmad.ID),
		fmt.Sprintf("chs:p:%d:%d", choreTurnIDs(h, jean.ID)[0], ahmad.ID),
		fmt.Sprintf("chs:pg:%d:1", at[1]),
	} {
		h.tg.PressButton(ahmadU, picker.ID, data)
	}
	msgs := h.tg.WaitMessages(t, ahmadU.ID, na+6, 10*time.Second)
	for _, m := range msgs[na+2 : na+6] {
		if m.Text != "هذا الزر لم يعد صالحًا." {
			t.Fatalf("forged swap → %q", m.Text)
		}
	}
	if n := h.count(`SELECT count(*) FROM chore_swaps`); n != 0 {
		t.Fatalf("%d swaps made by forged presses", n)
	}
	h.tg.PressButton(ahmadU, picker.ID, fmt.Sprintf("chs:p:%d:%d", at[1], jean.ID))
	if got := h.waitText(ahmadU, na+7).Text; got != ar.T("chores.swap.sent", choreVars(ar, thursday, "Name", "Jean B.")...) {
		t.Fatalf("sent → %q", got)
	}
	h.tg.PressButton(ahmadU, picker.ID, fmt.Sprintf("chs:p:%d:%d", at[1], jean.ID))
	if got := h.waitText(ahmadU, na+8).Text; got != "⏳ لقد طلبت من شخص أخذ هذا الدور من قبل. من فضلك انتظر الإجابة." {
		t.Fatalf("second request → %q", got)
	}

	// Jean is asked, in French, with Yes / No.
	ask := h.waitText(jeanU, nj+1)
	if ask.Text != fr.T("chores.swap.ask", choreVars(fr, thursday, "Name", "Omar H.", "Room", "214")...) {
		t.Fatalf("ask = %q", ask.Text)
	}
	var swapID int64
	if err := h.pool.QueryRow(context.Background(), `SELECT id FROM chore_swaps`).Scan(&swapID); err != nil {
		t.Fatal(err)
	}
	if cbs := choreCallbacks(ask); strings.Join(cbs, " ") != fmt.Sprintf("chx:y:%d chx:n:%d", swapID, swapID) {
		t.Fatalf("ask buttons %v", cbs)
	}
	// Omar cannot answer in Jean's place; staff cannot approve yet.
	h.tg.PressButton(ahmadU, picker.ID, fmt.Sprintf("chx:y:%d", swapID))
	if got := h.waitText(ahmadU, na+9).Text; got != "هذا الزر لم يعد صالحًا." {
		t.Fatalf("asker answering → %q", got)
	}
	staffMenu := h.waitText(staffU, ns)
	h.tg.PressButton(staffU, staffMenu.ID, fmt.Sprintf("cha:y:%d", swapID))
	if got := h.waitText(staffU, ns+1).Text; got != "This button is not valid any more." {
		t.Fatalf("approval before the answer → %q", got)
	}
	ns++
	// A resident pressing a staff button is refused by the route table.
	upd := h.tg.PressButton(otherU, h.waitText(otherU, no).ID, fmt.Sprintf("cha:y:%d", swapID))
	h.tg.WaitFor(t, 5*time.Second, "callback answered", func() bool { _, ok := h.tg.CallbackAnswer(upd); return ok })
	if text, _ := h.tg.CallbackAnswer(upd); text != "⛔ Sorry, this is only for the centre's staff." {
		t.Fatalf("resident approving → %q", text)
	}

	h.tg.PressButton(jeanU, ask.ID, fmt.Sprintf("chx:y:%d", swapID))
	if got := h.waitText(jeanU, nj+2).Text; got != "✅ Merci. L'équipe va vérifier l'échange. Vous aurez un message." {
		t.Fatalf("accept → %q", got)
	}
	if got := h.waitText(ahmadU, na+10).Text; got != ar.T("chores.swap.accepted_asker", choreVars(ar, thursday, "Name", "Jean B.")...) {
		t.Fatalf("asker told → %q", got)
	}
	req := h.waitText(staffU, ns+1)
	if req.Text != en.T("chores.swap.staff_request", choreVars(en, thursday, "From", "Omar H.", "FromRoom", "214", "To", "Jean B.", "ToRoom", "214")...) {
		t.Fatalf("staff request = %q", req.Text)
	}
	// Pressing Yes again changes nothing.
	h.tg.PressButton(jeanU, ask.ID, fmt.Sprintf("chx:y:%d", swapID))
	if got := h.waitText(jeanU, nj+3).Text; got != "Ce bouton n'est plus valable." {
		t.Fatalf("second Yes → %q", got)
	}
	h.tg.PressButton(staffU, req.ID, fmt.Sprintf("cha:y:%d", swapID))
	if got := h.waitText(staffU, ns+2).Text; got != "✅ Swap approved. Both residents are told." {
		t.Fatalf("approve → %q", got)
	}
	if got := h.waitText(ahmadU, na+11).Text; got != ar.T("chores.swap.approved_from", choreVars(ar, thursday, "Name", "Jean B.")...) {
		t.Fatalf("giver told → %q", got)
	}
	if got := h.waitText(jeanU, nj+4).Text; got != fr.T("chores.swap.approved_to", choreVars(fr, thursday)...) {
		t.Fatalf("taker told → %q", got)
	}
	if n := h.count(`SELECT count(*) FROM chore_turns WHERE id = $1 AND person_id = $2`, at[1], jean.ID); n != 1 {
		t.Fatal("the turn did not change hands")
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE action = 'chores.swap.approve' AND subject_id = $1`, ahmad.ID); n != 1 {
		t.Fatal("approval not audited")
	}
	// Stale: the decision again, the old picker for a turn no longer his.
	h.tg.PressButton(staffU, req.ID, fmt.Sprintf("cha:n:%d", swapID))
	if got := h.waitText(staffU, ns+3).Text; got != "This button is not valid any more." {
		t.Fatalf("second decision → %q", got)
	}
	h.tg.PressButton(ahmadU, picker.ID, fmt.Sprintf("chs:p:%d:%d", at[1], jean.ID))
	if got := h.waitText(ahmadU, na+12).Text; got != "هذا الزر لم يعد صالحًا." {
		t.Fatalf("swap of a turn given away → %q", got)
	}

	// Jean's /chores now shows the Thursday turn; Omar's does not, and
	// neither sees the other's turns.
	h.tg.SendText(ahmadU, "/chores")
	mine := h.waitText(ahmadU, na+13).Text
	if strings.Contains(mine, ar.F.Date(thursday.StartsAt)) || strings.Contains(mine, "Jean") {
		t.Fatalf("Omar's list after the swap: %q", mine)
	}

	// A second request, declined.
	nextWed := choreTurn(h, at[2])
	h.tg.PressButton(ahmadU, list.ID, fmt.Sprintf("chs:p:%d:%d", at[2], jean.ID))
	h.waitText(ahmadU, na+14)
	ask2 := h.waitText(jeanU, nj+5)
	var swap2 int64
	if err := h.pool.QueryRow(context.Background(), `SELECT id FROM chore_swaps WHERE id <> $1`, swapID).Scan(&swap2); err != nil {
		t.Fatal(err)
	}
	h.tg.PressButton(jeanU, ask2.ID, fmt.Sprintf("chx:n:%d", swap2))
	if got := h.waitText(jeanU, nj+6).Text; got != "👍 D'accord. Rien ne change pour vous." {
		t.Fatalf("decline → %q", got)
	}
	if got := h.waitText(ahmadU, na+15).Text; got != ar.T("chores.swap.declined", choreVars(ar, nextWed, "Name", "Jean B.")...) {
		t.Fatalf("asker told of the refusal → %q", got)
	}
	if n := h.count(`SELECT count(*) FROM chore_turns WHERE id = $1 AND person_id = $2`, at[2], ahmad.ID); n != 1 {
		t.Fatal("a declined swap moved the turn")
	}
	h.tg.PressButton(jeanU, ask2.ID, fmt.Sprintf("chx:y:%d", swap2))
	if got := h.waitText(jeanU, nj+7).Text; got != "Ce bouton n'est plus valable." {
		t.Fatalf("Yes after No → %q", got)
	}
	h.quiet(staffU, ns+3)
	h.quiet(otherU, no)
}

func TestRotaStaffMarksMovesAndRegenerates(t *testing.T) {
	t.Parallel()
	h := choreHarness(t)
	ahmadU := telegramtest.User{ID: 32001, LanguageCode: "fa"}
	jeanU := telegramtest.User{ID: 32002, LanguageCode: "fr"}
	staffU := telegramtest.User{ID: 32003, LanguageCode: "en"}
	ahmad, na := h.signUp(ahmadU, store.RoleResident, "Ahmad K.", "fa-AF")
	jean, nj := h.signUp(jeanU, store.RoleResident, "Jean B.", "fr")
	_, ns := h.signUp(staffU, store.RoleStaff, "Claire D.", "en")
	choreImport(h, choreAreas+fmt.Sprintf("member,#%d,,,,,,\nmember,#%d,,,,,,\n", ahmad.ID, jean.ID))
	week := choreMonday(h)
	h.setClock(week)
	choreRunWeekly(h, choreWeek(week))
	na++
	nj++
	h.waitText(ahmadU, na)
	h.waitText(jeanU, nj)
	en, fa, fr := h.loc("en"), h.loc("fa-AF"), h.loc("fr")
	at, jt := choreTurnIDs(h, ahmad.ID), choreTurnIDs(h, jean.ID)
	mon, wed, thu := choreTurn(h, at[0]), choreTurn(h, jt[0]), choreTurn(h, at[1])

	// The week, day by day, with its totals.
	rotaLine := func(tu store.ChoreTurn, state, name string) string {
		return en.T("chores.rota.line."+state, choreVars(en, tu, "Name", name, "Room", "214")...)
	}
	wantRota := func(monState, wedState string) string {
		return en.T("chores.rota.title", "Date", en.F.Date(mon.StartsAt)) +
			"\n\n" + en.T("chores.rota.day", "Day", en.F.Date(mon.StartsAt)) + "\n" + rotaLine(mon, monState, "Ahmad K.") +
			"\n\n" + en.T("chores.rota.day", "Day", en.F.Date(wed.StartsAt)) + "\n" + rotaLine(wed, wedState, "Jean B.") +
			"\n\n" + en.T("chores.rota.day", "Day", en.F.Date(thu.StartsAt)) + "\n" + rotaLine(thu, "pending", "Ahmad K.")
	}
	h.tg.SendText(staffU, "/rota")
	rota := h.waitText(staffU, ns+1)
	if want := wantRota("pending", "pending") + "\n\n" + en.T("chores.rota.totals", "Done", "0", "Pending", "3", "Missed", "0"); rota.Text != want {
		t.Fatalf("/rota =\n%q\nwant\n%q", rota.Text, want)
	}
	key := func(days int) string { return dayKey(choreDay(week, days, 12, 0)) }
	if got, want := strings.Join(choreCallbacks(rota), " "), "chr:d:"+key(0)+" chr:d:"+key(2)+" chr:d:"+key(3)+
		" chr:w:"+key(-7)+" chr:w:"+key(7)+" chr:rg:"+key(0); got != want {
		t.Fatalf("/rota buttons: %s, want %s", got, want)
	}
	if b := choreButtons(rota)[0].Text; b != "📅 Monday" {
		t.Fatalf("day button %q", b)
	}
	// The menu button, and the next week in place.
	h.tg.SendText(staffU, "📋 Rota")
	if got := h.waitText(staffU, ns+2).Text; got != rota.Text {
		t.Fatalf("menu button → %q", got)
	}
	h.tg.PressButton(staffU, rota.ID, "chr:w:"+key(7))
	h.tg.WaitFor(t, 10*time.Second, "week edited", func() bool { m, _ := h.tg.Message(staffU.ID, rota.ID); return m.Edits == 1 })
	if m, _ := h.tg.Message(staffU.ID, rota.ID); !strings.HasPrefix(m.Text, en.T("chores.rota.title", "Date", en.F.Date(choreDay(week, 7, 12, 0)))) {
		t.Fatalf("next week = %q", m.Text)
	}
	ns += 2

	// A day, a turn; not yet started, so it can be moved, not marked.
	h.tg.PressButton(staffU, rota.ID, "chr:d:"+key(2))
	day := h.waitText(staffU, ns+1)
	if day.Text != en.T("chores.rota.day_title", "Day", en.F.Date(wed.StartsAt)) || strings.Join(choreCallbacks(day), " ") != fmt.Sprintf("chr:t:%d", jt[0]) {
		t.Fatalf("day = %q %v", day.Text, choreCallbacks(day))
	}
	h.tg.PressButton(staffU, day.ID, fmt.Sprintf("chr:t:%d", jt[0]))
	turn := h.waitText(staffU, ns+2)
	if turn.Text != en.T("chores.rota.turn", "Turn", rotaLine(wed, "pending", "Jean B.")) ||
		strings.Join(choreCallbacks(turn), " ") != fmt.Sprintf("chr:mp:%d:0 chr:md:%d", jt[0], jt[0]) {
		t.Fatalf("turn = %q %v", turn.Text, choreCallbacks(turn))
	}
	h.tg.PressButton(staffU, turn.ID, fmt.Sprintf("chr:x:%d", jt[0]))
	if got := h.waitText(staffU, ns+3).Text; got != en.T("chores.rota.too_early", choreVars(en, wed)...) {
		t.Fatalf("missed before the turn → %q", got)
	}
	ns += 3

	// Wednesday 12:30: the courtyard was not done. Staff were told, at
	// the end of each turn, of Monday's kitchen and of the courtyard not
	// marked (the residents' reminders of a turn over are not sent).
	h.setClock(choreDay(week, 2, 12, 30))
	h.settle()
	reports := texts(h.tg.WaitMessages(t, staffU.ID, ns+2, 10*time.Second)[ns:])
	slices.Sort(reports)
	wantReports := []string{choreOverdue(en, choreVars(en, mon, "Name", "Ahmad K.", "Room", "214")),
		choreOverdue(en, choreVars(en, wed, "Name", "Jean B.", "Room", "214"))}
	slices.Sort(wantReports)
	if !slices.Equal(reports, wantReports) {
		t.Fatalf("staff reports %q, want %q", reports, wantReports)
	}
	h.quiet(jeanU, nj)
	ns += 2
	h.tg.PressButton(staffU, day.ID, fmt.Sprintf("chr:t:%d", jt[0]))
	turn = h.waitText(staffU, ns+1)
	if strings.Join(choreCallbacks(turn), " ") != fmt.Sprintf("chr:x:%d chr:k:%d", jt[0], jt[0]) {
		t.Fatalf("started turn buttons %v", choreCallbacks(turn))
	}
	h.tg.PressButton(staffU, turn.ID, fmt.Sprintf("chr:x:%d", jt[0]))
	if got := h.waitText(staffU, ns+2).Text; got != en.T("chores.rota.marked_missed", choreVars(en, wed, "Name", "Jean B.")...) {
		t.Fatalf("missed → %q", got)
	}
	if got := h.waitText(jeanU, nj+1).Text; got != fr.T("chores.missed_notice", choreVars(fr, wed)...) {
		t.Fatalf("resident told → %q", got)
	}
	h.tg.PressButton(staffU, turn.ID, fmt.Sprintf("chr:k:%d", jt[0]))
	if got := h.waitText(staffU, ns+3).Text; got != "This button is not valid any more." {
		t.Fatalf("done after missed → %q", got)
	}
	// Monday's kitchen: staff mark it done for him.
	h.tg.PressButton(staffU, turn.ID, fmt.Sprintf("chr:k:%d", at[0]))
	if got := h.waitText(staffU, ns+4).Text; got != en.T("chores.rota.marked_done", choreVars(en, mon, "Name", "Ahmad K.")...) {
		t.Fatalf("done → %q", got)
	}
	ns += 4
	if n := h.count(`SELECT count(*) FROM audit_log WHERE action IN ('chores.turn.missed', 'chores.turn.done') AND actor_id IS NOT NULL`); n != 2 {
		t.Fatalf("%d marks audited, want 2", n)
	}
	h.tg.SendText(staffU, "/rota")
	if want := wantRota("done", "missed") + "\n\n" + en.T("chores.rota.totals", "Done", "1", "Pending", "1", "Missed", "1"); h.waitText(staffU, ns+1).Text != want {
		t.Fatalf("/rota after marks = %q", h.waitText(staffU, ns+1).Text)
	}
	ns++

	// Nine more residents join the rota; the resident picker pages.
	var csv strings.Builder
	csv.WriteString("kind,key\n")
	var extra []store.Person
	for i := range 9 {
		p, _ := h.addPerson(store.RoleResident, fmt.Sprintf("Resident %02d", i+1), fmt.Sprint(301+i), "en")
		extra = append(extra, p)
		fmt.Fprintf(&csv, "member,#%d\n", p.ID)
	}
	choreImport(h, csv.String())
	h.tg.PressButton(staffU, turn.ID, fmt.Sprintf("chr:mp:%d:0", at[1]))
	picker := h.waitText(staffU, ns+1)
	if picker.Text != en.T("chores.rota.pick_person", choreVars(en, thu)...) {
		t.Fatalf("picker = %q", picker.Text)
	}
	b := choreButtons(picker)
	if len(b) != 9 || b[0].Text != "👤 Jean B. (214)" || b[8].CallbackData != fmt.Sprintf("chr:mpg:%d:1", at[1]) || b[8].Text != "➡️ More" {
		t.Fatalf("first page: %+v", b)
	}
	h.tg.PressButton(staffU, picker.ID, b[8].CallbackData)
	h.tg.WaitFor(t, 10*time.Second, "page 2", func() bool { m, _ := h.tg.Message(staffU.ID, picker.ID); return m.Edits == 1 })
	page2, _ := h.tg.Message(staffU.ID, picker.ID)
	if b := choreButtons(page2); len(b) != 3 || b[1].Text != "👤 Resident 09 (309)" || b[2].CallbackData != fmt.Sprintf("chr:mpg:%d:0", at[1]) {
		t.Fatalf("second page: %+v", b)
	}
	h.tg.PressButton(staffU, picker.ID, fmt.Sprintf("chr:mpg:%d:2", at[1]))
	if got := h.waitText(staffU, ns+2).Text; got != "This button is not valid any more." {
		t.Fatalf("page out of range → %q", got)
	}
	h.tg.PressButton(staffU, picker.ID, fmt.Sprintf("chr:mt:%d:%d", at[1], jean.ID))
	thuJean := thu
	thuJean.PersonName = "Jean B."
	if got := h.waitText(staffU, ns+3).Text; got != en.T("chores.rota.moved", choreVars(en, thuJean, "Name", "Jean B.", "Room", "214")...) {
		t.Fatalf("moved → %q", got)
	}
	ns += 3
	if got := h.waitText(ahmadU, na+1).Text; got != fa.T("chores.rota.moved_notice_from", choreVars(fa, thu)...) {
		t.Fatalf("old resident told → %q", got)
	}
	if got := h.waitText(jeanU, nj+2).Text; got != fr.T("chores.rota.moved_notice_to", choreVars(fr, thu)...) {
		t.Fatalf("new resident told → %q", got)
	}

	// The same turn to Saturday (same hours), with reminders at the new time.
	h.tg.PressButton(staffU, picker.ID, fmt.Sprintf("chr:md:%d", at[1]))
	days := h.waitText(staffU, ns+1)
	mdd := func(turn int64, days int) string { return fmt.Sprintf("chr:mdd:%d:%s", turn, key(days)) }
	if got, want := strings.Join(choreCallbacks(days), " "), strings.Join([]string{mdd(at[1], 2), mdd(at[1], 4), mdd(at[1], 5), mdd(at[1], 6)}, " "); got != want {
		t.Fatalf("day choices %s, want %s", got, want)
	}
	h.tg.PressButton(staffU, days.ID, mdd(at[1], 0))
	if got := h.waitText(staffU, ns+2).Text; got != "This button is not valid any more." {
		t.Fatalf("move to the past → %q", got)
	}
	h.tg.PressButton(staffU, days.ID, mdd(at[1], 5))
	moved := h.waitText(staffU, ns+3).Text
	sat := choreTurn(h, at[1])
	if !sat.StartsAt.Equal(choreDay(week, 5, 18, 0)) || sat.PersonID != jean.ID {
		t.Fatalf("moved turn = %+v", sat)
	}
	if moved != en.T("chores.rota.moved", choreVars(en, sat, "Name", "Jean B.", "Room", "214")...) {
		t.Fatalf("moved day → %q", moved)
	}
	if got := h.waitText(jeanU, nj+3).Text; got != fr.T("chores.rota.moved_day_notice", choreVars(fr, sat)...) {
		t.Fatalf("resident told of the new day → %q", got)
	}
	ns += 3
	if n := h.count(`SELECT count(*) FROM outbox WHERE kind = 'chores.reminder' AND args->>'turn' = $1 AND args->>'what' = 'eve'
		AND not_before = $2 AND person_id = $3 AND state = 'pending'`,
		fmt.Sprint(at[1]), choreDay(week, 4, 19, 0), jean.ID); n != 1 {
		t.Fatal("no evening reminder for the new day")
	}
	if n := h.count(`SELECT count(*) FROM outbox WHERE kind = 'chores.reminder' AND args->>'turn' = $1 AND state = 'pending'
		AND not_before < $2`, fmt.Sprint(at[1]), choreDay(week, 4, 0, 0)); n != 0 {
		t.Fatalf("%d reminders still pending for Thursday", n)
	}
	// Next week's Monday kitchen to Thursday, which has one already.
	nextMon := choreTurnIDs(h, jean.ID)[2]
	h.tg.PressButton(staffU, days.ID, mdd(nextMon, 10))
	if got := h.waitText(staffU, ns+1).Text; got != en.T("chores.rota.day_taken", choreVars(en, choreTurn(h, nextMon))...) {
		t.Fatalf("day taken → %q", got)
	}
	ns++

	// Regenerate this week: the done and missed turns stay; Thursday's
	// kitchen is given again by rotation (to the first newcomer), and the
	// Saturday turn, which has no slot, goes.
	h.tg.PressButton(staffU, rota.ID, "chr:rg:"+key(-7))
	if got := h.waitText(staffU, ns+1).Text; got != "This button is not valid any more." {
		t.Fatalf("regenerate a past week → %q", got)
	}
	h.tg.PressButton(staffU, rota.ID, "chr:rg:"+key(0))
	confirm := h.waitText(staffU, ns+2)
	if confirm.Text != en.T("chores.rota.regen_confirm", "Date", en.F.Date(mon.StartsAt)) {
		t.Fatalf("confirm = %q", confirm.Text)
	}
	h.tg.PressButton(staffU, confirm.ID, "chr:rgok:"+key(0))
	if got := h.waitText(staffU, ns+3).Text; got != en.T("chores.rota.regen_done", "Count", "2") {
		t.Fatalf("regenerated → %q", got)
	}
	ns += 3
	if n := h.count(`SELECT count(*) FROM chore_turns WHERE id = $1 AND state = 'done' AND person_id = $2`, at[0], ahmad.ID); n != 1 {
		t.Fatal("the done turn changed")
	}
	if n := h.count(`SELECT count(*) FROM chore_turns WHERE id = $1 AND state = 'missed' AND person_id = $2`, jt[0], jean.ID); n != 1 {
		t.Fatal("the missed turn changed")
	}
	if n := h.count(`SELECT count(*) FROM chore_turns WHERE id = $1`, at[1]); n != 0 {
		t.Fatal("the Saturday turn without a slot is still there")
	}
	if n := h.count(`SELECT count(*) FROM chore_turns WHERE person_id = $1 AND on_date = $2`, extra[0].ID, storetest.Date(choreDay(week, 3, 12, 0))); n != 1 {
		t.Fatal("Thursday's kitchen was not given to the first newcomer")
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE action = 'chores.regenerate' AND actor_id IS NOT NULL AND (detail->>'changed')::int = 2`); n != 1 {
		t.Fatal("regeneration not audited")
	}

	// Forged staff buttons.
	for _, data := range []string{"chr:t:999999", "chr:w:" + key(-694), "chr:w:" + key(1), "chr:zz", "chr:mt:1", "chr:rgok:" + key(21), "cha:y:x"} {
		h.tg.PressButton(staffU, rota.ID, data)
	}
	msgs := h.tg.WaitMessages(t, staffU.ID, ns+7, 15*time.Second)
	for i, m := range msgs[ns : ns+7] {
		if m.Text != "This button is not valid any more." {
			t.Fatalf("forged staff button %d → %q", i, m.Text)
		}
	}
	h.quiet(ahmadU, na+1)
}

// choreTick moves the clock to t and waits for every job due by then.
func choreTick(h *harness, t time.Time) {
	h.t.Helper()
	h.setClock(t)
	h.settle()
}

// choreReminderTimes lists when a chores reminder or report to staff is due
// (pending outbox rows), each time once.
func choreReminderTimes(h *harness) []time.Time {
	h.t.Helper()
	return h.times(`SELECT DISTINCT not_before FROM outbox
		WHERE kind IN ('chores.reminder', 'chores.overdue') AND state = 'pending' ORDER BY not_before`)
}

func TestChoreRemindersSentOnceWithTwoProcesses(t *testing.T) {
	t.Parallel()
	h := choreHarness(t)
	h.workerProcess()
	yonasU := telegramtest.User{ID: 33001, LanguageCode: "ti"}
	staffU := telegramtest.User{ID: 33002, LanguageCode: "en"}
	staff2U := telegramtest.User{ID: 33003, LanguageCode: "fr"}
	yonas, ny := h.signUp(yonasU, store.RoleResident, "Yonas T.", "ti")
	_, ns := h.signUp(staffU, store.RoleStaff, "Claire D.", "en")
	_, ns2 := h.signUp(staff2U, store.RoleCoordinator, "Marc L.", "fr")
	choreImport(h, fmt.Sprintf("kind,key,name,days,start,end\narea,laundry,Laundry,thu,14:00,16:00\nmember,#%d,,,,\n", yonas.ID))
	mon := choreMonday(h)
	h.setClock(mon)
	choreRunWeekly(h, choreWeek(mon))
	ny++
	h.waitText(yonasU, ny)
	ti := h.loc("ti")
	turn := choreTurn(h, choreTurnIDs(h, yonas.ID)[0])

	// The evening before at 19:00, the morning at 08:00, at the end of the
	// window to staff; this week and the next.
	want := []time.Time{choreDay(mon, 2, 19, 0), choreDay(mon, 3, 8, 0), choreDay(mon, 3, 16, 0),
		choreDay(mon, 9, 19, 0), choreDay(mon, 10, 8, 0), choreDay(mon, 10, 16, 0)}
	got := choreReminderTimes(h)
	if len(got) != len(want) {
		t.Fatalf("reminders at %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Fatalf("reminder %d at %v, want %v", i, got[i].UTC(), want[i])
		}
	}

	// One minute early: nothing. On time: once, whichever process works it.
	choreTick(h, choreDay(mon, 2, 18, 59))
	h.quiet(yonasU, ny)
	choreTick(h, choreDay(mon, 2, 19, 0))
	if got := h.waitText(yonasU, ny+1).Text; got != ti.T("chores.reminder.eve", choreVars(ti, turn)...) {
		t.Fatalf("evening reminder = %q", got)
	}
	// The same reminder, or the week's message, left in the queue by the
	// bot before the outbox, finds its key already sent.
	for _, args := range []river.JobArgs{
		handlers.ChoreReminderArgs{CentreID: turn.CentreID, TurnID: turn.ID, What: "eve", At: choreDay(mon, 2, 19, 0).Unix()},
		handlers.ChoreMessageArgs{CentreID: turn.CentreID, PersonID: yonas.ID, MsgID: "chores.week_notice", Week: choreWeek(mon)},
	} {
		res, err := h.app.Jobs().Insert(context.Background(), args, nil)
		if err != nil {
			t.Fatal(err)
		}
		h.tg.WaitFor(t, 10*time.Second, "old job worked", func() bool {
			return h.jobDone(res.Job.ID)
		})
	}
	h.settle()
	h.quiet(yonasU, ny+1)

	choreTick(h, choreDay(mon, 3, 8, 0))
	morning := h.waitText(yonasU, ny+2)
	if morning.Text != ti.T("chores.reminder.morning", choreVars(ti, turn)...) ||
		strings.Join(choreCallbacks(morning), " ") != fmt.Sprintf("chd:%d", turn.ID) {
		t.Fatalf("morning reminder = %q %v", morning.Text, choreCallbacks(morning))
	}
	// Not done by 16:00: every linked staff member is told, once.
	choreTick(h, choreDay(mon, 3, 16, 0))
	report := h.waitText(staffU, ns+1)
	en := h.loc("en")
	if report.Text != choreOverdue(en, choreVars(en, turn, "Name", "Yonas T.", "Room", "214")) ||
		strings.Join(choreCallbacks(report), " ") != fmt.Sprintf("chr:x:%d chr:k:%d", turn.ID, turn.ID) {
		t.Fatalf("staff report = %q %v", report.Text, choreCallbacks(report))
	}
	fr := h.loc("fr")
	if got := h.waitText(staff2U, ns2+1).Text; got != choreOverdue(fr, choreVars(fr, turn, "Name", "Yonas T.", "Room", "214")) {
		t.Fatalf("coordinator report = %q", got)
	}
	// A restart finds everything sent.
	h.restart()
	choreTick(h, choreDay(mon, 3, 17, 0))
	h.quiet(yonasU, ny+2)
	h.quiet(staffU, ns+1)
	h.quiet(staff2U, ns2+1)
	if n := h.count(`SELECT count(*) FROM outbox WHERE starts_with(dedupe_key, $1) AND state = 'sent'`,
		fmt.Sprintf("chores:turn:%d:", turn.ID)); n != 2 {
		t.Fatalf("%d reminders sent for the turn, want 2 (evening, morning)", n)
	}
	if n := h.count(`SELECT count(*) FROM outbox WHERE kind = 'chores.overdue' AND args->>'end' = $1 AND state = 'sent'`,
		fmt.Sprint(turn.EndsAt.Unix())); n != 2 {
		t.Fatalf("%d reports sent for the turn's end, want 2 (two staff)", n)
	}
	// The report's button marks it missed.
	h.tg.PressButton(staffU, report.ID, fmt.Sprintf("chr:x:%d", turn.ID))
	if got := h.waitText(staffU, ns+2).Text; got != en.T("chores.rota.marked_missed", choreVars(en, turn, "Name", "Yonas T.")...) {
		t.Fatalf("missed from the report → %q", got)
	}
}

func TestChoreRemindersAcrossClockChanges(t *testing.T) {
	t.Parallel()
	h := choreHarness(t)
	omarU := telegramtest.User{ID: 34001, LanguageCode: "ar"}
	omar, n := h.signUp(omarU, store.RoleResident, "Omar H.", "ar")
	// A staff member, to be told of a turn not done.
	h.signUp(telegramtest.User{ID: 34002, LanguageCode: "fr"}, store.RoleStaff, "Claire D.", "fr")
	ar := h.loc("ar")

	// The resident's reminders carry the turn; the report to staff, shared
	// by the turns ending together, carries its end.
	reminders := func(turn store.ChoreTurn) map[string]time.Time {
		rows, err := h.pool.Query(context.Background(), `SELECT args->>'what', not_before FROM outbox
			WHERE kind = 'chores.reminder' AND args->>'turn' = $1
			UNION ALL SELECT 'overdue', not_before FROM outbox WHERE kind = 'chores.overdue' AND args->>'end' = $2`,
			fmt.Sprint(turn.ID), fmt.Sprint(turn.EndsAt.Unix()))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]time.Time{}
		for rows.Next() {
			var what string
			var at time.Time
			if err := rows.Scan(&what, &at); err != nil {
				t.Fatal(err)
			}
			out[what] = at.UTC()
		}
		return out
	}
	// The next Sunday of each clock change, in the order they come.
	cases := []struct {
		name   string
		sunday time.Time
	}{
		// Spring: Saturday evening is UTC+1, Sunday UTC+2.
		{"spring", storetest.NextClockChange(h.begin, true)},
		// Autumn: Saturday evening is UTC+2, Sunday UTC+1.
		{"autumn", storetest.NextClockChange(h.begin, false)},
	}
	if cases[1].sunday.Before(cases[0].sunday) {
		cases[0], cases[1] = cases[1], cases[0]
	}
	for i, c := range cases {
		monday := choreDay(c.sunday, -6, 8, 0)
		eve, morning, overdue := choreDay(c.sunday, -1, 19, 0), choreDay(c.sunday, 0, 8, 0), choreDay(c.sunday, 0, 12, 0)
		h.setClock(monday)
		if i == 0 {
			choreImport(h, fmt.Sprintf("kind,key,name,days,start,end\narea,yard,Courtyard,sun,10:00,12:00\nmember,#%d,,,,\n", omar.ID))
		}
		choreRunWeekly(h, choreWeek(monday))
		n++
		h.waitText(omarU, n) // the Monday message
		var turnID int64
		if err := h.pool.QueryRow(context.Background(), `SELECT id FROM chore_turns WHERE on_date = $1`,
			storetest.Date(c.sunday)).Scan(&turnID); err != nil {
			t.Fatalf("%s: no turn on %v: %v", c.name, storetest.Date(c.sunday), err)
		}
		turn := choreTurn(h, turnID)
		if !turn.StartsAt.Equal(choreDay(c.sunday, 0, 10, 0)) {
			t.Fatalf("%s: turn starts at %v, want 10:00 in Paris", c.name, turn.StartsAt)
		}
		got := reminders(turn)
		if !got["eve"].Equal(eve) || !got["morning"].Equal(morning) || !got["overdue"].Equal(overdue) {
			t.Fatalf("%s: reminders %v, want eve %v, morning %v, overdue %v", c.name, got, eve, morning, overdue)
		}
		_, offEve := eve.Zone()
		_, offMorning := morning.Zone()
		if offEve == offMorning {
			t.Fatalf("%s: %v and %v are on the same side of the clock change", c.name, eve, morning)
		}
		// Sent at 19:00 and 08:00 on the Paris wall clock, not a minute before.
		choreTick(h, eve.Add(-time.Minute))
		h.quiet(omarU, n)
		choreTick(h, eve)
		if got := h.waitText(omarU, n+1).Text; got != ar.T("chores.reminder.eve", choreVars(ar, turn)...) {
			t.Fatalf("%s: evening reminder = %q", c.name, got)
		}
		if !strings.Contains(h.waitText(omarU, n+1).Text, "10:00") {
			t.Fatalf("%s: the reminder does not say 10:00 in Arabic digits", c.name)
		}
		choreTick(h, morning.Add(-time.Minute))
		h.quiet(omarU, n+1)
		choreTick(h, morning)
		if got := h.waitText(omarU, n+2).Text; got != ar.T("chores.reminder.morning", choreVars(ar, turn)...) {
			t.Fatalf("%s: morning reminder = %q", c.name, got)
		}
		n += 2
	}
	h.quiet(omarU, n)
}

// choreRowID is the id of the one outbox row whose key starts with prefix.
func choreRowID(h *harness, prefix string) int64 {
	h.t.Helper()
	var id int64
	if err := h.pool.QueryRow(context.Background(), `SELECT id FROM outbox WHERE starts_with(dedupe_key, $1)`, prefix).Scan(&id); err != nil {
		h.t.Fatalf("outbox row %s: %v", prefix, err)
	}
	return id
}

// choreInDoubt leaves a row as a crash leaves it: 'sending', the call to
// Telegram made or not. It waits first for the jobs under way: a send
// writes its outcome after the message has arrived, and would overwrite
// the crash.
func choreInDoubt(h *harness, id int64) {
	h.t.Helper()
	h.settle()
	if _, err := h.pool.Exec(context.Background(), `UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id = $1`, id); err != nil {
		h.t.Fatal(err)
	}
}

// choreSendRow runs a row's send job now, as River does after a crash.
func choreSendRow(h *harness, id int64) {
	h.t.Helper()
	if _, err := h.app.Jobs().Insert(context.Background(), handlers.OutboxSendArgs{ID: id}, nil); err != nil {
		h.t.Fatal(err)
	}
	h.settle()
}

func choreRowState(h *harness, id int64) string {
	h.t.Helper()
	var state, note string
	if err := h.pool.QueryRow(context.Background(), `SELECT state, note FROM outbox WHERE id = $1`, id).Scan(&state, &note); err != nil {
		h.t.Fatal(err)
	}
	if note != "" {
		return state + "/" + note
	}
	return state
}

// Every chores message a crash left in doubt is sent again (a copy beats
// a missed turn, and a copy's buttons act once), unless what it asks no
// longer applies; messages of the old job queue still in a database leave
// through the outbox, once.
func TestChoreMessagesLeftInDoubtAndOldJobs(t *testing.T) {
	t.Parallel()
	h := choreHarness(t)
	omarU := telegramtest.User{ID: 35001, LanguageCode: "ar"}
	jeanU := telegramtest.User{ID: 35002, LanguageCode: "fr"}
	omar, na := h.signUp(omarU, store.RoleResident, "Omar H.", "ar")
	jean, nj := h.signUp(jeanU, store.RoleResident, "Jean B.", "fr")
	choreImport(h, choreAreas+fmt.Sprintf("member,#%d,,,,,,\nmember,#%d,,,,,,\n", omar.ID, jean.ID))
	mon := choreMonday(h)
	h.setClock(mon)
	choreRunWeekly(h, choreWeek(mon))
	ot, jt := choreTurnIDs(h, omar.ID), choreTurnIDs(h, jean.ID)

	// The Monday message in Arabic, written out: values isolated, Arabic
	// digits, the area's name (it has no Arabic label).
	const fsi, pdi = "\u2068", "\u2069"
	kitchen := func(day string) string {
		return "⏳ " + fsi + "Kitchen floor 2" + pdi + ": " + fsi + day + pdi + "، " + fsi + "18:00" + pdi + "–" + fsi + "20:00" + pdi
	}
	wantWeek := "🧹 أدوارك في التنظيف هذا الأسبوع:\n" + kitchen(arDate(mon)) + "\n" + kitchen(arDate(choreDay(mon, 3, 18, 0)))
	if got := h.waitText(omarU, na+1).Text; got != wantWeek {
		t.Fatalf("Monday message =\n%q\nwant\n%q", got, wantWeek)
	}
	h.waitText(jeanU, nj+1)

	// A crash right after Telegram took it, before it was recorded: sent
	// again, the same.
	week := choreRowID(h, fmt.Sprintf("chores:week:%s:%d", choreWeek(mon), omar.ID))
	choreInDoubt(h, week)
	choreSendRow(h, week)
	if got := h.waitText(omarU, na+2).Text; got != wantWeek {
		t.Fatalf("Monday message sent again = %q", got)
	}
	if st := choreRowState(h, week); st != "sent" {
		t.Fatalf("Monday message is %s", st)
	}
	na += 2

	// A crash after Jean's evening reminder was claimed, at its time: sent
	// once, in French. (An hour before, it is not due: nothing.)
	eve := choreRowID(h, fmt.Sprintf("chores:turn:%d:p0:eve:", jt[0]))
	choreTick(h, choreDay(mon, 1, 18, 0))
	h.quiet(jeanU, nj+1)
	choreInDoubt(h, eve)
	choreTick(h, choreDay(mon, 1, 19, 0))
	if got, want := h.waitText(jeanU, nj+2).Text, "🔔 Demain, c'est votre tour de ménage : Courtyard, "+frDate(choreDay(mon, 2, 10, 0))+", 10:00–12:00."; got != want {
		t.Fatalf("evening reminder = %q, want %q", got, want)
	}
	h.quiet(jeanU, nj+2)
	nj += 2

	// Omar asks Jean to take Thursday's turn; the question is left in
	// doubt and sent again: Jean answers on one copy, the other's buttons
	// no longer act.
	h.tg.SendText(omarU, "/chores")
	list := h.waitText(omarU, na+1)
	h.tg.PressButton(omarU, list.ID, fmt.Sprintf("chs:p:%d:%d", ot[1], jean.ID))
	h.waitText(omarU, na+2)
	var swapID int64
	if err := h.pool.QueryRow(context.Background(), `SELECT id FROM chore_swaps`).Scan(&swapID); err != nil {
		t.Fatal(err)
	}
	wantAsk := "🔄 Omar H. (chambre 214) vous demande de prendre son tour de ménage : Cuisine 2e étage, " + frDate(choreDay(mon, 3, 18, 0)) + ", 18:00–20:00. Êtes-vous d'accord ?"
	ask := h.waitText(jeanU, nj+1)
	if ask.Text != wantAsk || strings.Join(choreCallbacks(ask), " ") != fmt.Sprintf("chx:y:%d chx:n:%d", swapID, swapID) ||
		choreButtons(ask)[0].Text != "✅ Oui, d'accord" || choreButtons(ask)[1].Text != "❌ Non" {
		t.Fatalf("question = %q %+v", ask.Text, choreButtons(ask))
	}
	askRow := choreRowID(h, fmt.Sprintf("chores:swap:%d:ask", swapID))
	choreInDoubt(h, askRow)
	choreSendRow(h, askRow)
	again := h.waitText(jeanU, nj+2)
	if again.Text != wantAsk || strings.Join(choreCallbacks(again), " ") != strings.Join(choreCallbacks(ask), " ") {
		t.Fatalf("question sent again = %q %v", again.Text, choreCallbacks(again))
	}
	h.tg.PressButton(jeanU, ask.ID, fmt.Sprintf("chx:n:%d", swapID))
	if got, want := h.waitText(jeanU, nj+3).Text, "👍 D'accord. Rien ne change pour vous."; got != want {
		t.Fatalf("decline = %q, want %q", got, want)
	}
	h.waitText(omarU, na+3) // told of the refusal
	h.tg.PressButton(jeanU, again.ID, fmt.Sprintf("chx:y:%d", swapID))
	if got := h.waitText(jeanU, nj+4).Text; got != "Ce bouton n'est plus valable." {
		t.Fatalf("Yes on the copy = %q", got)
	}
	// Left in doubt once more, it is not sent: Jean has answered.
	choreInDoubt(h, askRow)
	choreSendRow(h, askRow)
	if st := choreRowState(h, askRow); st != "cancelled/obsolete" {
		t.Fatalf("answered question left in doubt is %s", st)
	}
	h.quiet(jeanU, nj+4)
	nj += 4
	na += 3

	// A message the old queue still holds leaves through the outbox once,
	// even if its job runs twice.
	res, err := h.app.Jobs().Insert(context.Background(), handlers.ChoreMessageArgs{
		CentreID: choreCentre(h), PersonID: jean.ID, MsgID: "chores.rota.moved_notice_to", TurnID: jt[0]}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.waitText(jeanU, nj+1).Text, "🧹 Vous avez un nouveau tour de ménage : Courtyard, "+frDate(choreDay(mon, 2, 10, 0))+", 10:00–12:00."; got != want {
		t.Fatalf("old queued notice = %q, want %q", got, want)
	}
	h.settle()
	if _, err := h.app.Jobs().JobRetry(context.Background(), res.Job.ID); err != nil {
		t.Fatal(err)
	}
	h.tg.WaitFor(t, 10*time.Second, "old job worked again", func() bool {
		return h.jobDone(res.Job.ID)
	})
	h.settle()
	h.quiet(jeanU, nj+1)
	h.quiet(omarU, na)
	if n := h.count(`SELECT count(*) FROM outbox WHERE dedupe_key = $1 AND state = 'sent'`, fmt.Sprintf("chores:job:%d", res.Job.ID)); n != 1 {
		t.Fatalf("%d rows for the old job", n)
	}
}
