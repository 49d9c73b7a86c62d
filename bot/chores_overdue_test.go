package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/store"
)

// The report to staff of turns not marked done is one message per staff
// member and end time (issue 13): at 20,000 residents a message per turn
// and staff member was two million rows a week.

// choreThursdayNoon are four areas cleaned on Thursday, all until 12:00.
const choreThursdayNoon = `kind,key,name,days,start,end
area,kitchen,Kitchen,thu,10:00,12:00
area,yard,Courtyard,thu,10:30,12:00
area,laundry,Laundry,thu,11:00,12:00
area,stairs,Stairs,thu,11:30,12:00
`

// choreMarkDone has a resident press Done on his morning reminder of a
// turn, among his first n messages, and waits for the answer (n+1).
func choreMarkDone(h *harness, u telegramtest.User, n int, turnID int64) {
	h.t.Helper()
	data := fmt.Sprintf("chd:%d", turnID)
	for _, m := range h.tg.WaitMessages(h.t, u.ID, n, 10*time.Second) {
		if slices.Contains(choreCallbacks(m), data) {
			h.tg.PressButton(u, m.ID, data)
			h.waitText(u, n+1)
			return
		}
	}
	h.t.Fatalf("no message with the button %s", data)
}

// choreStrings runs a query of one text column.
func choreStrings(h *harness, query string, args ...any) []string {
	h.t.Helper()
	rows, err := h.pool.Query(context.Background(), query, args...)
	if err != nil {
		h.t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

func TestChoreOverdueDigest(t *testing.T) {
	t.Parallel()
	h := choreHarness(t)
	yonasU := telegramtest.User{ID: 35001, LanguageCode: "ti"}
	claireU := telegramtest.User{ID: 35002, LanguageCode: "fr"}
	omarU := telegramtest.User{ID: 35003, LanguageCode: "ar"}
	yonas, ny := h.signUp(yonasU, store.RoleResident, "Yonas T.", "ti")
	claire, nc := h.signUp(claireU, store.RoleStaff, "Claire D.", "fr")
	omar, no := h.signUp(omarU, store.RoleCoordinator, "Omar H.", "ar")
	members := fmt.Sprintf("member,#%d,,,,\n", yonas.ID)
	for i, name := range []string{"Amina S.", "Bilal R.", "Chen L."} {
		p, _ := h.addPerson(store.RoleResident, name, fmt.Sprint(101+i), "fr")
		members += fmt.Sprintf("member,#%d,,,,\n", p.ID)
	}
	choreImport(h, choreThursdayNoon+members)
	mon := choreMonday(h)
	h.setClock(mon)
	choreRunWeekly(h, choreWeek(mon))
	ny++ // the Monday message
	thursday := choreDay(mon, 3, 12, 0)
	var turns []store.ChoreTurn
	for _, id := range h.ids(`SELECT id FROM chore_turns WHERE ends_at = $1 ORDER BY starts_at`, thursday) {
		turns = append(turns, choreTurn(h, id))
	}
	if len(turns) != 4 {
		t.Fatalf("%d turns end on Thursday at 12:00, want 4", len(turns))
	}

	// Four turns ending together, two staff: two rows, one each.
	var keys []string
	for _, p := range []int64{claire.ID, omar.ID} {
		keys = append(keys, fmt.Sprintf("chores:overdue:%d:%d:%d", choreCentre(h), thursday.Unix(), p))
	}
	if got := choreStrings(h, `SELECT dedupe_key FROM outbox WHERE kind = 'chores.overdue' AND args->>'end' = $1 ORDER BY person_id`,
		fmt.Sprint(thursday.Unix())); !slices.Equal(got, keys) {
		t.Fatalf("reports queued for Thursday 12:00: %q, want %q", got, keys)
	}

	// Yonas marks his turn done at 11:45, from his morning reminder (after
	// the evening one): it is not listed.
	choreTick(h, choreDay(mon, 3, 11, 45))
	yt := choreTurnIDs(h, yonas.ID)[0]
	choreMarkDone(h, yonasU, ny+2, yt)
	listed := slices.DeleteFunc(slices.Clone(turns), func(tu store.ChoreTurn) bool { return tu.ID == yt })
	if len(listed) != 3 {
		t.Fatalf("Yonas's turn %d is not among Thursday's %v", yt, turns)
	}
	h.quiet(claireU, nc)

	choreTick(h, thursday)
	fr := "⚠️ Tours de ménage pas notés comme faits :"
	const fsi, pdi = "\u2068", "\u2069"
	iso := func(s string) string { return fsi + s + pdi }
	ar := "⚠️ أدوار تنظيف لم يُسجَّل أنها تمت:"
	var wantCallbacks, frButtons, arButtons []string
	for i, tu := range listed {
		n, start := fmt.Sprint(i+1), paris(tu.StartsAt).Format("15:04")
		fr += fmt.Sprintf("\n%s. %s, %s, %s–12:00. Résident : %s (chambre %s).", n, tu.AreaName, frDate(tu.StartsAt), start, tu.PersonName, tu.PersonRoom)
		ar += fmt.Sprintf("\n%s. %s، %s، %s–%s. المقيم: %s (غرفة %s).", iso(n), iso(tu.AreaName), iso(arDate(tu.StartsAt)),
			iso(start), iso("12:00"), iso(tu.PersonName), iso(tu.PersonRoom))
		wantCallbacks = append(wantCallbacks, fmt.Sprintf("chr:x:%d", tu.ID), fmt.Sprintf("chr:k:%d", tu.ID))
		frButtons = append(frButtons, n+". ❌ Pas fait", n+". ✅ Fait")
		arButtons = append(arButtons, iso(n)+". ❌ لم يتم", iso(n)+". ✅ تم")
	}
	for _, c := range []struct {
		u       telegramtest.User
		n       int
		text    string
		buttons []string
	}{{claireU, nc + 1, fr, frButtons}, {omarU, no + 1, ar, arButtons}} {
		m := h.waitText(c.u, c.n)
		var buttons []string
		for _, b := range choreButtons(m) {
			buttons = append(buttons, b.Text)
		}
		if m.Text != c.text || !slices.Equal(choreCallbacks(m), wantCallbacks) || !slices.Equal(buttons, c.buttons) {
			t.Fatalf("report to %s =\n%q %q %v\nwant\n%q %q %v", c.u.LanguageCode, m.Text, buttons, choreCallbacks(m), c.text, c.buttons, wantCallbacks)
		}
		for _, row := range m.InlineKeyboard {
			if len(row) != 2 {
				t.Fatalf("report to %s: a row of %d buttons, want Not done and Done", c.u.LanguageCode, len(row))
			}
		}
	}

	// The second line's Done marks that turn, through the staff's route.
	report := h.waitText(claireU, nc+1)
	h.tg.PressButton(claireU, report.ID, fmt.Sprintf("chr:k:%d", listed[1].ID))
	if got := h.waitText(claireU, nc+2).Text; !strings.HasPrefix(got, "✅") {
		t.Fatalf("Done from the report → %q", got)
	}
	if tu := choreTurn(h, listed[1].ID); tu.State != store.ChoreDone {
		t.Fatalf("turn %d is %s after Done from the report", tu.ID, tu.State)
	}
	h.quiet(claireU, nc+2)
	h.quiet(omarU, no+1)
}

// A report whose turns were all marked before their end (done by the
// resident, missed by staff) sends nothing: its row is cancelled obsolete.
func TestChoreOverdueDigestOfTurnsAllMarkedSendsNothing(t *testing.T) {
	t.Parallel()
	h := choreHarness(t)
	yonasU := telegramtest.User{ID: 36001, LanguageCode: "ti"}
	staffU := telegramtest.User{ID: 36002, LanguageCode: "en"}
	yonas, ny := h.signUp(yonasU, store.RoleResident, "Yonas T.", "ti")
	_, ns := h.signUp(staffU, store.RoleStaff, "Claire D.", "en")
	amina, _ := h.addPerson(store.RoleResident, "Amina S.", "101", "fr")
	choreImport(h, `kind,key,name,days,start,end
area,kitchen,Kitchen,thu,10:00,12:00
area,yard,Courtyard,thu,11:00,12:00
`+fmt.Sprintf("member,#%d,,,,\nmember,#%d,,,,\n", yonas.ID, amina.ID))
	mon := choreMonday(h)
	h.setClock(mon)
	choreRunWeekly(h, choreWeek(mon))
	ny++
	thursday := choreDay(mon, 3, 12, 0)

	choreTick(h, choreDay(mon, 3, 11, 30))
	choreMarkDone(h, yonasU, ny+2, choreTurnIDs(h, yonas.ID)[0])
	h.tg.SendText(staffU, "/rota")
	rota := h.waitText(staffU, ns+1)
	h.tg.PressButton(staffU, rota.ID, fmt.Sprintf("chr:x:%d", choreTurnIDs(h, amina.ID)[0]))
	if got := h.waitText(staffU, ns+2).Text; !strings.HasPrefix(got, "❌") {
		t.Fatalf("missed → %q", got)
	}
	if n := h.count(`SELECT count(*) FROM chore_turns WHERE ends_at = $1 AND state = 'pending'`, thursday); n != 0 {
		t.Fatalf("%d of Thursday's turns still pending", n)
	}

	choreTick(h, thursday)
	h.quiet(staffU, ns+2)
	if got := choreStrings(h, `SELECT state || ' ' || note FROM outbox WHERE kind = 'chores.overdue' AND args->>'end' = $1`,
		fmt.Sprint(thursday.Unix())); !slices.Equal(got, []string{"cancelled obsolete"}) {
		t.Fatalf("Thursday's report: %q, want cancelled obsolete", got)
	}
}

// Rows queued before the digest, one per turn and staff member
// ("chores:turn:<turn>:p<plan>:overdue:<at>:<staff>", args turn and plan),
// still render: the turn still pending in that plan as a report of one
// turn; one moved since (another plan) or removed is dropped, not an error.
func TestChoreOverdueRowsOfTheOldFormat(t *testing.T) {
	t.Parallel()
	h := choreHarness(t)
	staffU := telegramtest.User{ID: 37001, LanguageCode: "fr"}
	staff, ns := h.signUp(staffU, store.RoleStaff, "Claire D.", "fr")
	amina, _ := h.addPerson(store.RoleResident, "Amina S.", "101", "fr")
	choreImport(h, "kind,key,name,days,start,end\narea,kitchen,Kitchen,thu,10:00,12:00\n"+fmt.Sprintf("member,#%d,,,,\n", amina.ID))
	mon := choreMonday(h)
	h.setClock(mon)
	choreRunWeekly(h, choreWeek(mon))
	turn := choreTurn(h, choreTurnIDs(h, amina.ID)[0])
	thursday := choreDay(mon, 3, 12, 0)
	// The database as an older bot left it: no digest, a row per turn.
	if _, err := h.pool.Exec(context.Background(), `DELETE FROM outbox WHERE kind = 'chores.overdue'`); err != nil {
		t.Fatal(err)
	}
	old := func(turnID int64, plan string) store.OutboxMessage {
		return store.OutboxMessage{CentreID: turn.CentreID, PersonID: staff.ID, Kind: store.KindChoreOverdue,
			Key:   fmt.Sprintf("chores:turn:%d:p%s:overdue:%d:%d", turnID, plan, thursday.Unix(), staff.ID),
			MsgID: "chores.overdue_staff", Args: map[string]string{"turn": fmt.Sprint(turnID), "plan": plan, "what": "overdue"},
			NotBefore: thursday}
	}
	if n, err := h.st.Enqueue(context.Background(), h.clock.Now(), old(turn.ID, "0"), old(turn.ID, "7"), old(999999, "0")); err != nil || n != 3 {
		t.Fatalf("old rows queued: %d, %v", n, err)
	}

	choreTick(h, thursday)
	m := h.waitText(staffU, ns+1)
	want := fmt.Sprintf("⚠️ Tours de ménage pas notés comme faits :\n1. Kitchen, %s, 10:00–12:00. Résident : Amina S. (chambre 101).", frDate(turn.StartsAt))
	if m.Text != want || strings.Join(choreCallbacks(m), " ") != fmt.Sprintf("chr:x:%d chr:k:%d", turn.ID, turn.ID) {
		t.Fatalf("old row = %q %v, want %q", m.Text, choreCallbacks(m), want)
	}
	h.quiet(staffU, ns+1)
	if got := choreStrings(h, `SELECT state || ' ' || note FROM outbox WHERE kind = 'chores.overdue' ORDER BY id`); !slices.Equal(got,
		[]string{"sent ", "cancelled obsolete", "cancelled obsolete"}) {
		t.Fatalf("old rows: %q", got)
	}
}
