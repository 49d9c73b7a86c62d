package bot_test

import (
	"bytes"
	"context"
	"image/png"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/report/reporttest"
	"github.com/aurore/cairbot/store"
)

// repSeed writes the fixed history of October 2026 (reporttest.Seed) into
// the harness's centre.
func repSeed(h *harness) {
	h.t.Helper()
	if err := reporttest.Seed(context.Background(), h.pool, balCentre(h).ID); err != nil {
		h.t.Fatal(err)
	}
}

// repFiles returns the files uploaded by the bot's sendDocument and
// sendPhoto calls, checking that each went to chatID.
func repFiles(t *testing.T, h *harness, method, field string, chatID int64) [][]byte {
	t.Helper()
	var out [][]byte
	for _, c := range h.tg.CallsTo(method) {
		if c.Status != 200 {
			continue
		}
		if c.Params["chat_id"] != strconv.FormatInt(chatID, 10) {
			t.Errorf("%s to chat %s, want the staff member's own chat %d", method, c.Params["chat_id"], chatID)
		}
		out = append(out, c.Files[field])
	}
	return out
}

// TestReportForStaff: a staff member picks the attendance report and types
// a period; wrong periods are explained and send nothing; good ones bring
// the CSV and the chart into his own chat, with the figures of the history
// worked out by hand, and each report is audited once.
func TestReportForStaff(t *testing.T) {
	h := newHarness(t)
	staffUser := telegramtest.User{ID: 50001, LanguageCode: "fr"}
	staff, n := h.signUp(staffUser, store.RoleStaff, "Claire", "fr")
	repSeed(h)

	h.tg.SendText(staffUser, "/report")
	pick := h.waitText(staffUser, n+1)
	if pick.Text != "📊 Quel rapport voulez-vous ?" {
		t.Fatalf("picker = %q", pick.Text)
	}
	var labels []string
	for _, row := range pick.InlineKeyboard {
		for _, b := range row {
			labels = append(labels, b.Text+"="+b.CallbackData)
		}
	}
	if got := strings.Join(labels, " | "); got != "📚 Cours de français=rep:k:attendance | 💶 Participations=rep:k:contributions | 🧹 Ménage=rep:k:chores" {
		t.Fatalf("report buttons = %s", got)
	}
	h.tg.PressButton(staffUser, pick.ID, "rep:k:attendance")
	period := h.waitText(staffUser, n+2)
	if period.Text != "📚 Cours de français : quelle période ?" || len(period.InlineKeyboard) != 3 {
		t.Fatalf("period picker = %q %v", period.Text, period.InlineKeyboard)
	}
	if b := period.InlineKeyboard[2][0]; b.Text != "📅 Choisir les dates" || b.CallbackData != "rep:p:attendance:range" {
		t.Fatalf("range button = %+v", b)
	}
	h.tg.PressButton(staffUser, period.ID, "rep:p:attendance:range")
	if ask := h.waitText(staffUser, n+3); !strings.HasPrefix(ask.Text, "📅 Écrivez le premier et le dernier jour, par exemple : ") {
		t.Fatalf("question = %q", ask.Text)
	}

	// Wrong periods: a clear answer each time, nothing sent, nothing audited.
	bad := []struct{ typed, want string }{
		{"31/10/2026 01/10/2026", "❌ Le premier jour (31/10/2026) est après le dernier jour (01/10/2026). Écrivez d'abord le premier jour, puis le dernier."},
		{"01/01/2025 31/12/2026", "❌ Un rapport couvre au plus 366 jours. Écrivez une période plus courte."},
		{"demain", "❌ Je n'ai pas compris les deux dates. Écrivez le premier et le dernier jour, par exemple : "},
		{"31/09/2026 15/10/2026", "❌ Je n'ai pas compris les deux dates. Écrivez le premier et le dernier jour, par exemple : "},
	}
	next := n + 4
	for _, b := range bad {
		h.tg.SendText(staffUser, b.typed)
		got := h.waitText(staffUser, next)
		if !strings.HasPrefix(got.Text, b.want) || (!strings.HasSuffix(b.want, ": ") && got.Text != b.want) {
			t.Errorf("%q → %q, want %q", b.typed, got.Text, b.want)
		}
		next++
	}
	h.quiet(staffUser, next-1)
	if d, p := len(h.tg.CallsTo("sendDocument")), len(h.tg.CallsTo("sendPhoto")); d+p != 0 {
		t.Fatalf("wrong periods sent %d documents and %d photos", d, p)
	}
	if got := h.count(`SELECT count(*) FROM audit_log WHERE action LIKE 'report.%'`); got != 0 {
		t.Fatalf("wrong periods audited %d times", got)
	}

	// The question is still open: two good dates bring the report.
	h.tg.SendText(staffUser, "1/10/2026 - 31/10/2026")
	doc := h.waitText(staffUser, next)
	chart := h.waitText(staffUser, next+1)
	h.quiet(staffUser, next+1)
	if doc.Kind != "document" || doc.FileName != "cours-de-francais_2026-10-01_2026-10-31.csv" ||
		doc.Caption != "📚 Cours de français : du 01/10/2026 au 31/10/2026" {
		t.Fatalf("document = %+v", doc)
	}
	if chart.Kind != "photo" || chart.Caption != doc.Caption {
		t.Fatalf("chart = %+v", chart)
	}
	csvs := repFiles(t, h, "sendDocument", "document", staffUser.ID)
	pngs := repFiles(t, h, "sendPhoto", "photo", staffUser.ID)
	if len(csvs) != 1 || len(pngs) != 1 {
		t.Fatalf("%d documents and %d photos sent, want 1 and 1", len(csvs), len(pngs))
	}
	csv := string(csvs[0])
	for _, line := range []string{
		"\uFEFFPrésence par groupe et par semaine\r\n",
		"\r\n05/10/2026;A1 matin;A1;1;1;1;0;50,0\r\n",
		"\r\n12/10/2026;Alpha;alpha;1;0;1;0;0,0\r\n",
		"\r\nAhmad K.;101;A1 matin;200;6,00;6,00;9,00;9,00;4,5;non\r\n",
		"\r\nBilal S.;102;A1 matin;100;0,00;3,00;0,00;6,00;0,0;oui\r\n",
		"\r\nChérif D.;103;Alpha;600;2,00;4,00;2,00;4,00;0,3;non\r\n",
	} {
		if !strings.Contains(csv, line) {
			t.Errorf("CSV lacks %q:\n%s", line, csv)
		}
	}
	img, err := png.Decode(bytes.NewReader(pngs[0]))
	if err != nil {
		t.Fatalf("chart: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1000 || b.Dy() != 600 {
		t.Fatalf("chart size = %v", b)
	}
	if got := h.count(`SELECT count(*) FROM audit_log WHERE action = 'report.attendance' AND actor_id = $1
		AND detail->>'from' = '2026-10-01' AND detail->>'to' = '2026-10-31'`, staff.ID); got != 1 {
		t.Fatalf("attendance report audited %d times, want 1", got)
	}

	// Contributions, through the same steps.
	next += 2
	h.tg.SendText(staffUser, "/report")
	pick = h.waitText(staffUser, next)
	h.tg.PressButton(staffUser, pick.ID, "rep:k:contributions")
	period = h.waitText(staffUser, next+1)
	h.tg.PressButton(staffUser, period.ID, "rep:p:contributions:range")
	h.waitText(staffUser, next+2)
	h.tg.SendText(staffUser, "2026-10-01 2026-10-31")
	doc = h.waitText(staffUser, next+3)
	h.waitText(staffUser, next+4)
	h.quiet(staffUser, next+4)
	if doc.FileName != "participations_2026-10-01_2026-10-31.csv" || doc.Caption != "💶 Participations : du 01/10/2026 au 31/10/2026" {
		t.Fatalf("document = %+v", doc)
	}
	csvs = repFiles(t, h, "sendDocument", "document", staffUser.ID)
	if len(csvs) != 2 {
		t.Fatalf("%d documents", len(csvs))
	}
	for _, line := range []string{
		"\r\nAhmad K.;101;présent;300,00;150,00;50,00;400,00;150,00;150,00;0,00;100,00\r\n",
		"\r\nBilal S.;102;présent;0,00;100,00;120,00;-20,00;0,00;0,00;0,00;0,00\r\n",
		"\r\nTotal;;;380,00;250,00;170,00;460,00;150,00;230,00;0,00;100,00\r\n",
	} {
		if !strings.Contains(string(csvs[1]), line) {
			t.Errorf("CSV lacks %q:\n%s", line, csvs[1])
		}
	}
	if got := h.count(`SELECT count(*) FROM audit_log WHERE action = 'report.contributions' AND actor_id = $1`, staff.ID); got != 1 {
		t.Fatalf("contributions report audited %d times, want 1", got)
	}

	// The question was closed with the report: dates typed again are not
	// a new report.
	h.tg.SendText(staffUser, "1/10/2026 31/10/2026")
	if got := h.waitText(staffUser, next+5); got.Kind != "text" {
		t.Fatalf("dates typed again → %+v", got)
	}
	h.quiet(staffUser, next+5)
	if d := len(h.tg.CallsTo("sendDocument")); d != 2 {
		t.Fatalf("%d documents after dates typed again, want 2", d)
	}
}

// TestReportLastMonthButton: "last month" needs no typing; the caption
// names the month before the bot's clock.
func TestReportLastMonthButton(t *testing.T) {
	h := newHarness(t)
	staffUser := telegramtest.User{ID: 50011, LanguageCode: "en"}
	_, n := h.signUp(staffUser, store.RoleCoordinator, "Marc", "en")
	h.tg.SendText(staffUser, "/report")
	pick := h.waitText(staffUser, n+1)
	h.tg.PressButton(staffUser, pick.ID, "rep:k:chores")
	period := h.waitText(staffUser, n+2)
	h.tg.PressButton(staffUser, period.ID, "rep:p:chores:last")
	doc := h.waitText(staffUser, n+3)
	h.waitText(staffUser, n+4)
	h.quiet(staffUser, n+4)
	// The month before the test's clock, written out by hand for the two
	// clocks the tests run on (TEST_NOW).
	now := h.clock.Now().In(h.cfg.Location)
	want := map[string]string{
		"2026-11": "🧹 Cleaning rota: 01/10/2026 to 31/10/2026",
		"2027-03": "🧹 Cleaning rota: 01/02/2027 to 28/02/2027",
	}[now.Format("2006-01")]
	csvs := repFiles(t, h, "sendDocument", "document", staffUser.ID)
	if doc.Kind != "document" || len(csvs) != 1 ||
		string(csvs[0]) != "\uFEFFSemaine du;Zone;Tours;Faits;Non faits;À faire;Échangés\r\nTotal;Toutes les zones;0;0;0;0;0\r\n" {
		t.Fatalf("document = %+v, CSV = %q", doc, csvs)
	}
	if want == "" {
		t.Skipf("no caption written for a test clock in %s", now.Format("2006-01"))
	}
	if doc.Caption != want {
		t.Fatalf("caption = %q, want %q", doc.Caption, want)
	}
}

// TestReportRefused: residents are refused in their language, by command
// and by a forged button; in a group the bot only points to the private
// chat. Nothing is sent and nothing audited.
func TestReportRefused(t *testing.T) {
	h := newHarness(t)
	repSeed(h)
	cases := []struct {
		user telegramtest.User
		lang string
		want string
	}{
		{telegramtest.User{ID: 50021, LanguageCode: "fr"}, "fr", "⛔ Désolé, ceci est réservé à l'équipe du centre."},
		{telegramtest.User{ID: 50022, LanguageCode: "ar"}, "ar", "⛔ عذرًا، هذا لموظفي المركز فقط."},
	}
	for _, tc := range cases {
		_, n := h.signUp(tc.user, store.RoleResident, "Résident "+tc.lang, tc.lang)
		h.tg.SendText(tc.user, "/report")
		if got := h.waitText(tc.user, n+1); got.Text != tc.want {
			t.Errorf("%s: /report → %q, want %q", tc.lang, got.Text, tc.want)
		}
		upd := h.tg.PressButton(tc.user, n+1, "rep:p:contributions:last")
		if got := h.tg.WaitCallbackAnswer(t, upd, 10*time.Second); got != tc.want || !h.tg.CallbackAlert(upd) {
			t.Errorf("%s: forged button → %q, want the alert %q", tc.lang, got, tc.want)
		}
		h.quiet(tc.user, n+1)
	}

	staffUser := telegramtest.User{ID: 50023, LanguageCode: "fr"}
	h.signUp(staffUser, store.RoleStaff, "Claire", "fr")
	const group = -1005002
	h.tg.SendTextInGroup(group, staffUser, "/report")
	h.tg.WaitFor(t, 10*time.Second, "the answer in the group", func() bool { return len(h.tg.Messages(group)) == 1 })
	if got := h.tg.Messages(group)[0].Text; got != "🔒 Écrivez-moi dans une conversation privée." {
		t.Errorf("in a group → %q", got)
	}
	h.quiet(staffUser, 4)

	if d, p := len(h.tg.CallsTo("sendDocument")), len(h.tg.CallsTo("sendPhoto")); d+p != 0 {
		t.Fatalf("%d documents and %d photos sent", d, p)
	}
	if got := h.count(`SELECT count(*) FROM audit_log WHERE action LIKE 'report.%'`); got != 0 {
		t.Fatalf("refused requests audited %d times", got)
	}
}

// TestReportRetriedUpload: when Telegram fails the upload (5xx), the reply
// is sent again with the whole file, not the emptied reader of the first
// try.
func TestReportRetriedUpload(t *testing.T) {
	h := newHarness(t, fastRetries)
	staffUser := telegramtest.User{ID: 50031, LanguageCode: "fr"}
	_, n := h.signUp(staffUser, store.RoleAdmin, "Claire", "fr")
	repSeed(h)
	h.tg.FailNext("sendDocument", staffUser.ID, 502, 0, 1)
	h.tg.FailNext("sendPhoto", staffUser.ID, 500, 0, 1)
	h.tg.SendText(staffUser, "/report")
	pick := h.waitText(staffUser, n+1)
	h.tg.PressButton(staffUser, pick.ID, "rep:k:chores")
	period := h.waitText(staffUser, n+2)
	h.tg.PressButton(staffUser, period.ID, "rep:p:chores:range")
	h.waitText(staffUser, n+3)
	h.tg.SendText(staffUser, "01/10/2026 31/10/2026")
	h.waitText(staffUser, n+5)
	h.quiet(staffUser, n+5)
	if d, p := len(h.tg.CallsTo("sendDocument")), len(h.tg.CallsTo("sendPhoto")); d != 2 || p != 2 {
		t.Fatalf("%d sendDocument and %d sendPhoto calls, want 2 and 2 (one failed each)", d, p)
	}
	csvs := repFiles(t, h, "sendDocument", "document", staffUser.ID)
	pngs := repFiles(t, h, "sendPhoto", "photo", staffUser.ID)
	if len(csvs) != 1 || !strings.Contains(string(csvs[0]), "\r\nTotal;Toutes les zones;7;4;2;1;1\r\n") {
		t.Fatalf("CSV after a retry = %q", csvs)
	}
	if len(pngs) != 1 {
		t.Fatalf("%d charts", len(pngs))
	}
	if _, err := png.Decode(bytes.NewReader(pngs[0])); err != nil {
		t.Fatalf("chart after a retry: %v", err)
	}
}
