package bot_test

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// resImport runs `cairbot import residents` as the CLI does.
func resImport(h *harness, csv string) (string, error) {
	h.t.Helper()
	return handlers.ImportResidentsCSV(context.Background(), h.st, balCentre(h).ID, strings.NewReader(csv),
		h.clock.Now().Add(14*24*time.Hour).In(h.cfg.Location),
		func(code string) string { return handlers.DeepLink(h.tg.BotUsername(), code) })
}

// TestImportResidentsCSV: a file with bad lines is refused whole with a
// report naming each line and why; the example file imports, prints each
// new person's code, and importing it again changes nothing; a new
// resident signs up with his printed code.
func TestImportResidentsCSV(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tables := `(SELECT count(*) FROM people) + (SELECT count(*) FROM invites) + (SELECT count(*) FROM contributions) + (SELECT count(*) FROM audit_log)`
	empty := h.count(`SELECT ` + tables)

	bad := "external_id;name;room;language;role;arrived_on;monthly_amount;monthly_resources\n" +
		"R-1;Ahmad Karimi;214;fa-AF;;2026-11-02;45;\n" +
		";No Id;215;fr;;;;\n" +
		"R-3;Omar Hassan;305;klingon;;;;\n" +
		"R-4;Abdi Mohamed;108;so;;31/02/2026;;\n" +
		"R-5;Yonas Tesfay;101;ti;;;douze;\n" +
		"R-6;Rahim Safi;102;ps;;;45;600\n" +
		"R-1;Sami Ali;103;en;;;;\n" +
		"R-8;Claire;;fr;boss;;;\n" +
		"R-9;Tom;;en;staff;;30;\n" +
		"R-10;Hamid;1 0 4;fa-AF;;;-5;\n"
	report, err := resImport(h, bad)
	if !errors.Is(err, store.ErrImportRejected) || report != "" {
		t.Fatalf("bad file: err = %v, report %q", err, report)
	}
	report = err.Error() + "\n"
	wantLines := []string{
		"residents file rejected: 9 bad line(s), nothing imported:",
		`line 3: external_id "": 1–64 letters, digits, . _ - (required)`,
		`line 4: language "klingon": one of fr, en, fa-AF, ps, ar, ti, so, am, bn, ur, ru, tr`,
		`line 5: arrived_on "31/02/2026": a date such as 2026-11-15 or 15/11/2026`,
		`line 6: monthly_amount "douze": not an amount in euros, such as 45 or 45,50`,
		`line 7: give monthly_amount or monthly_resources, not both`,
		`line 8: external_id "R-1" is also on line 2`,
		`line 9: role "boss": resident, staff, coordinator or admin`,
		`line 10: only residents have a monthly contribution`,
		`line 11: room "1 0 4": 1–16 letters, digits or -; monthly_amount "-5": cannot be negative`,
	}
	for _, l := range wantLines {
		if !strings.Contains(report, l+"\n") {
			t.Errorf("report lacks %q:\n%s", l, report)
		}
	}
	if strings.Contains(report, "line 2:") {
		t.Errorf("report blames the good line 2:\n%s", report)
	}
	if got := h.count(`SELECT ` + tables); got != empty {
		t.Fatalf("a rejected file wrote rows: %d → %d", empty, got)
	}

	example, err := os.ReadFile("../docs/examples/residents.csv")
	if err != nil {
		t.Fatal(err)
	}
	report, err = resImport(h, string(example))
	if err != nil {
		t.Fatalf("example file: %v\n%s", err, report)
	}
	if !strings.HasPrefix(report, "residents imported: 6 new, 0 changed, 0 unchanged.\n") {
		t.Fatalf("report = %s", report)
	}
	codeRe := regexp.MustCompile(`line 2: Ahmad Karimi \(R-0001, room 214, fa-AF\): ([A-Z0-9]{10})  https://t\.me/` +
		regexp.QuoteMeta(h.tg.BotUsername()) + `\?start=([A-Z0-9]{10})`)
	m := codeRe.FindStringSubmatch(report)
	if m == nil || m[1] != m[2] {
		t.Fatalf("no code for Ahmad in:\n%s", report)
	}
	after := h.count(`SELECT ` + tables)
	if c := h.count(`SELECT count(*) FROM contributions c JOIN people p ON p.id = c.person_id
		WHERE (p.external_id = 'R-0003' AND c.basis = 'resources' AND c.cents = 62050)
		   OR (p.external_id = 'R-0002' AND c.basis = 'resources' AND c.cents = 0)
		   OR (p.external_id = 'R-0001' AND c.basis = 'fixed' AND c.cents = 4500)`); c != 3 {
		t.Fatalf("contributions imported = %d, want 3", c)
	}
	if c := h.count(`SELECT count(*) FROM people WHERE external_id = 'R-0003' AND arrived_on = '2026-11-16' AND floor = 3`); c != 1 {
		t.Fatal("R-0003's arrival date or floor not imported")
	}

	report, err = resImport(h, string(example))
	if err != nil || report != "residents imported: 0 new, 0 changed, 6 unchanged.\n" {
		t.Fatalf("second import: %v\n%s", err, report)
	}
	if got := h.count(`SELECT ` + tables); got != after {
		t.Fatalf("re-import changed rows: %d → %d", after, got)
	}

	u := telegramtest.User{ID: 36001, LanguageCode: "fa"}
	h.tg.SendText(u, "/start "+m[1])
	if got := h.waitText(u, 1).Text; got != h.loc("fa-AF").T("start.welcome", "Name", "Ahmad Karimi") {
		t.Fatalf("sign-up with the printed code → %q", got)
	}
}

// TestStaffRecordsDeparture: /leave, pick the resident by room, a date in
// the future and an unreadable date are refused, "today" is confirmed; he
// is then gone for the bot, and the change is audited.
func TestStaffRecordsDeparture(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	staffU := telegramtest.User{ID: 37001, LanguageCode: "ru"}
	staff, n := h.signUp(staffU, store.RoleStaff, "Ivan P.", "ru")
	resU := telegramtest.User{ID: 37002, LanguageCode: "tr"}
	res, m := h.signUp(resU, store.RoleResident, "Mehmet Y.", "tr")
	if _, err := h.pool.Exec(context.Background(), `UPDATE people SET room = '412' WHERE id = $1`, res.ID); err != nil {
		t.Fatal(err)
	}

	h.tg.SendText(staffU, "/leave")
	if got := h.waitText(staffU, n+1).Text; got != "🔍 Какой житель? Напишите его имя или номер комнаты." {
		t.Fatalf("/leave → %q", got)
	}
	h.tg.SendText(staffU, "٤١٢") // Arabic-Indic digits read as 412
	pick := h.waitText(staffU, n+2)
	if len(pick.InlineKeyboard) != 1 || pick.InlineKeyboard[0][0].Text != "👤 Mehmet Y. · 412" {
		t.Fatalf("pick = %+v", pick.InlineKeyboard)
	}
	// A forged resident id is refused.
	h.tg.PressButton(staffU, pick.ID, "resident:p:99999")
	if got := h.waitText(staffU, n+3).Text; got != "Эта кнопка больше не действует." {
		t.Fatalf("forged pick → %q", got)
	}
	h.tg.PressButton(staffU, pick.ID, pick.InlineKeyboard[0][0].CallbackData)
	ask := h.waitText(staffU, n+4)
	today := h.clock.Now()
	if ask.Text != "📅 Когда уехал Mehmet Y. (комната 412)? Нажмите кнопку, если сегодня, или напишите дату так: "+ruNumDate(today) ||
		len(ask.InlineKeyboard) != 1 || ask.InlineKeyboard[0][0].Text != "📅 Сегодня" {
		t.Fatalf("ask date = %q %+v", ask.Text, ask.InlineKeyboard)
	}
	h.tg.SendText(staffU, ruNumDate(storetest.Day(today, 1, 12, 0)))
	if got := h.waitText(staffU, n+5).Text; got != "❌ Отъезд не может быть в будущем. Запишите его в день отъезда." {
		t.Fatalf("future date → %q", got)
	}
	h.tg.SendText(staffU, "вчера")
	if got := h.waitText(staffU, n+6).Text; got != "❌ Не могу использовать эту дату. Напишите её так: "+ruNumDate(today) {
		t.Fatalf("bad date → %q", got)
	}
	h.tg.PressButton(staffU, ask.ID, "resident:today")
	confirm := h.waitText(staffU, n+7)
	if confirm.Text != "Проверьте: дата отъезда Mehmet Y. (комната 412) из центра: "+ruDate(today)+"\nЕго доступ к боту закроется. Сохранить?" {
		t.Fatalf("confirm = %q", confirm.Text)
	}
	if c := h.count(`SELECT count(*) FROM people WHERE id = $1 AND status = 'active'`, res.ID); c != 1 {
		t.Fatal("changed before confirmation")
	}
	h.tg.PressButton(staffU, confirm.ID, "resident:ok")
	if got := h.waitText(staffU, n+8).Text; got != "✅ Сохранено." {
		t.Fatalf("saved → %q", got)
	}
	if c := h.count(`SELECT count(*) FROM people WHERE id = $1 AND status = 'left' AND left_on = $2`, res.ID, storetest.Date(today)); c != 1 {
		t.Fatal("departure not stored")
	}
	if c := h.count(`SELECT count(*) FROM audit_log WHERE action = 'resident.leave' AND actor_id = $1 AND subject_id = $2
		AND detail->>'date' = $3`, staff.ID, res.ID, paris(today).Format(time.DateOnly)); c != 1 {
		t.Fatal("departure not audited")
	}
	// His Telegram link is dead: the bot treats him as a stranger.
	h.tg.SendText(resU, "/balance")
	if got := h.waitText(resU, m+1).Text; got != "👋 Merhaba! Bu botu kullanmak için kişisel bir koda ihtiyacınız var. Lütfen merkezin danışmasına sorun." {
		t.Fatalf("after leaving, /balance → %q", got)
	}
	// He no longer appears when staff look for someone to change.
	h.tg.SendText(staffU, "/away")
	h.waitText(staffU, n+9)
	h.tg.SendText(staffU, "412")
	if got := h.waitText(staffU, n+10).Text; got != "🔍 По запросу «412» жителей не найдено. Напишите другое имя или номер комнаты." {
		t.Fatalf("search after leaving → %q", got)
	}
}

// TestStaffChangesRoomAwayAndContribution: from the 🏠 menu's buttons a
// room change; then away and back; then a monthly amount computed from
// declared income.
func TestStaffChangesRoomAwayAndContribution(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := telegramtest.User{ID: 38001, LanguageCode: "en"}
	staff, n := h.signUp(u, store.RoleStaff, "Tom B.", "en")
	res, _ := h.addPerson(store.RoleResident, "Yonas Tesfay", "101", "ti")

	h.tg.SendText(u, "🏠 Residents")
	menu := h.waitText(u, n+1)
	if menu.Text != "🏠 Residents. What has changed?" || len(menu.InlineKeyboard) != 4 || menu.InlineKeyboard[2][0].Text != "🚪 New room" {
		t.Fatalf("residents menu = %q %+v", menu.Text, menu.InlineKeyboard)
	}
	h.tg.PressButton(u, menu.ID, "resident:a:room")
	h.waitText(u, n+2)
	h.tg.SendText(u, "yonas")
	pick := h.waitText(u, n+3)
	h.tg.PressButton(u, pick.ID, pick.InlineKeyboard[0][0].CallbackData)
	if got := h.waitText(u, n+4).Text; got != "🚪 Yonas Tesfay is in room 101. What is his new room?" {
		t.Fatalf("ask room = %q", got)
	}
	h.tg.SendText(u, "room 3!")
	if got := h.waitText(u, n+5).Text; got != "❌ The room must have 1 to 16 letters or digits. Please type it again." {
		t.Fatalf("bad room → %q", got)
	}
	h.tg.SendText(u, "305")
	confirm := h.waitText(u, n+6)
	if confirm.Text != "Please check: Yonas Tesfay moves from room 101 to room 305. Save?" {
		t.Fatalf("confirm = %q", confirm.Text)
	}
	h.tg.PressButton(u, confirm.ID, "resident:ok")
	if got := h.waitText(u, n+7).Text; got != "✅ Saved." {
		t.Fatalf("saved → %q", got)
	}
	if c := h.count(`SELECT count(*) FROM people WHERE id = $1 AND room = '305' AND floor = 3`, res.ID); c != 1 {
		t.Fatal("room not changed")
	}

	// Away, then back.
	next := n + 8
	for _, step := range []struct{ cmd, want, status string }{
		{"/away", "Please check: Yonas Tesfay (room 305) is away from now on. Save?", "away"},
		{"/back", "Please check: Yonas Tesfay (room 305) is back. Save?", "active"},
	} {
		h.tg.SendText(u, step.cmd)
		h.waitText(u, next)
		h.tg.SendText(u, "305")
		pick := h.waitText(u, next+1)
		h.tg.PressButton(u, pick.ID, pick.InlineKeyboard[0][0].CallbackData)
		confirm := h.waitText(u, next+2)
		if confirm.Text != step.want {
			t.Fatalf("%s confirm = %q", step.cmd, confirm.Text)
		}
		h.tg.PressButton(u, confirm.ID, "resident:ok")
		h.waitText(u, next+3)
		if c := h.count(`SELECT count(*) FROM people WHERE id = $1 AND status = $2`, res.ID, step.status); c != 1 {
			t.Fatalf("after %s status is not %s", step.cmd, step.status)
		}
		next += 4
	}

	// A monthly amount from declared income: 15 % of 620 € = 93 €.
	h.tg.SendText(u, "/contribution")
	h.waitText(u, next)
	h.tg.SendText(u, "Yonas")
	pick = h.waitText(u, next+1)
	h.tg.PressButton(u, pick.ID, pick.InlineKeyboard[0][0].CallbackData)
	basis := h.waitText(u, next+2)
	if basis.Text != "💶 Monthly amount for Yonas Tesfay (room 305). How is it set?" || len(basis.InlineKeyboard) != 3 {
		t.Fatalf("basis = %q %+v", basis.Text, basis.InlineKeyboard)
	}
	h.tg.PressButton(u, basis.ID, "resident:b:resources")
	if got := h.waitText(u, next+3).Text; got != "🧮 Type his income for one month, for example €600.00. He pays 15% of it, and always keeps at least 30%." {
		t.Fatalf("ask income = %q", got)
	}
	h.tg.SendText(u, "99999")
	if got := h.waitText(u, next+4).Text; got != "❌ This amount is too large: the most is €10,000.00. Please check it and write it again." {
		t.Fatalf("too large → %q", got)
	}
	h.tg.SendText(u, "620")
	confirm = h.waitText(u, next+5)
	if confirm.Text != "Please check: Yonas Tesfay (room 305) has an income of €620.00 a month, so he pays €93.00 each month. Save?" {
		t.Fatalf("confirm = %q", confirm.Text)
	}
	if c := h.count(`SELECT count(*) FROM contributions`); c != 0 {
		t.Fatal("contribution written before confirmation")
	}
	h.tg.PressButton(u, confirm.ID, "resident:ok")
	h.waitText(u, next+6)
	if c := h.count(`SELECT count(*) FROM contributions WHERE person_id = $1 AND basis = 'resources' AND cents = 62000 AND updated_by = $2`, res.ID, staff.ID); c != 1 {
		t.Fatal("contribution not saved")
	}
	if c := h.count(`SELECT count(*) FROM audit_log WHERE actor_id = $1 AND subject_id = $2 AND action IN ('resident.room', 'resident.away', 'resident.back', 'contribution.set')`, staff.ID, res.ID); c != 4 {
		t.Fatalf("audit entries = %d, want 4", c)
	}
}
