package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/rivertype"

	"github.com/aurore/cairbot/store/storetest"
)

// moneyState is what the money commands may change, to prove that a
// refused command changed nothing.
func moneyState(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	var ledger, outbox, audit int
	var settings string
	if err := conn.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM ledger_entries), (SELECT count(*) FROM outbox), (SELECT count(*) FROM audit_log),
		(SELECT coalesce(string_agg(rate_bp || '/' || min_left_bp || '/' || meals || '/' || arrival, ','), '') FROM money_settings)`).
		Scan(&ledger, &outbox, &audit, &settings); err != nil {
		t.Fatal(err)
	}
	jobs := len(riverJobs(t, ""))
	return fmt.Sprintf("ledger %d, outbox %d, jobs %d, audit %d, settings %s", ledger, outbox, jobs, audit, settings)
}

// TestMoneyCommandsRecordMoney runs `cairbot payment` and `cairbot money`
// as the team does at the desk: residents imported with their monthly
// amount, the month's charges queued twice and posted once, payments with
// their receipt queued for the bot, a mistaken one cancelled, and what is
// still owed in the contributions report; then every kind of mistake,
// each refused with its reason and changing nothing.
func TestMoneyCommandsRecordMoney(t *testing.T) {
	tg, conn := moneyEnv(t)
	ctx := context.Background()
	now := storetest.Now(t).In(mustParis(t))
	month := now.Format("2006-01")
	year := now.Format("2006")

	// Arrived two months ago: this month is charged in full, and no month
	// of arrival is left to catch up.
	arrived := time.Date(now.Year(), now.Month()-2, 1, 12, 0, 0, 0, now.Location()).Format(time.DateOnly)
	csv := filepath.Join(t.TempDir(), "residents.csv")
	if err := os.WriteFile(csv, []byte("external_id,name,room,language,role,arrived_on,monthly_amount,monthly_resources\n"+
		"R-1,Ahmad Karimi,214,fr,,"+arrived+",45,\n"+
		"R-2,Omar Hassan,215,ar,,"+arrived+",\"30,00\",\n"+
		"R-3,Yonas Tesfay,216,ti,,"+arrived+",20,\n"+
		"R-4,Abdi Mohamed,216,so,,"+arrived+",20,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runOut(t, "import", "residents", csv)
	var ahmad, yonas int64
	if err := conn.QueryRow(ctx, `SELECT (SELECT id FROM people WHERE room = '214'),
		(SELECT id FROM people WHERE display_name = 'Yonas Tesfay')`).Scan(&ahmad, &yonas); err != nil {
		t.Fatal(err)
	}
	// Ahmad signed up: his receipts go to him through the bot.
	if _, err := conn.Exec(ctx, `UPDATE people SET telegram_id = 61001 WHERE id = $1`, ahmad); err != nil {
		t.Fatal(err)
	}
	tg.AddChat(61001)

	// The month's charges, queued twice: the worker posts them once.
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(wctx, []string{"worker"}, io.Discard, discard, testClock(t)) }()
	var stopped bool
	stopWorker := func() {
		if !stopped {
			stopped = true
			stop()
			if err := <-done; err != nil {
				t.Errorf("worker: %v", err)
			}
		}
	}
	defer stopWorker()
	for i := range 2 {
		if out := runOut(t, "money", "charges", "--month", month); out != "monthly charges queued: the running bot posts them (each resident at most once a month)\n" {
			t.Fatalf("charges printed %q", out)
		}
		tg.WaitFor(t, 30*time.Second, "charges job worked", func() bool {
			return chargesJobs(t, month, rivertype.JobStateCompleted) == i+1
		})
	}
	if n := countRows(t, conn, `SELECT count(*) FROM ledger_entries WHERE kind = 'charge'`); n != 4 {
		t.Fatalf("%d charges posted for 4 residents queued twice, want 4", n)
	}
	if n := countRows(t, conn, `SELECT count(*) FROM ledger_entries WHERE kind = 'charge' AND person_id = $1 AND cents = 4500`, ahmad); n != 1 {
		t.Fatalf("Ahmad has %d charges of 45 €, want 1", n)
	}

	good := []struct {
		args []string
		want string // printed, written out whole
	}{
		{[]string{"payment", "add", "--room", "214", "--amount", "12,50"},
			"payment recorded: 12,50\u00a0€ from Ahmad Karimi (room 214), receipt R-" + year + "-000001\n" +
				"the bot sends him the receipt in his language\n"},
		{[]string{"payment", "add", "--room", "215", "--amount", "30"},
			"payment recorded: 30,00\u00a0€ from Omar Hassan (room 215), receipt R-" + year + "-000002\n" +
				"he has no Telegram account yet: write the receipt number on a paper receipt for him\n"},
		// Two live in 216: --id says whose.
		{[]string{"payment", "add", "--room", "216", "--id", fmt.Sprint(yonas), "--amount", "200"},
			"payment recorded: 200,00\u00a0€ from Yonas Tesfay (room 216), receipt R-" + year + "-000003\n" +
				"he has no Telegram account yet: write the receipt number on a paper receipt for him\n"},
		// 200 € instead of 20: cancelled.
		{[]string{"payment", "reverse", "--receipt", " r-" + year + "-000003 "},
			"payment R-" + year + "-000003 cancelled by correction #"},
	}
	for _, g := range good {
		out := runOut(t, g.args...)
		if !strings.HasPrefix(out, g.want) || (!strings.HasSuffix(g.want, "#") && out != g.want) {
			t.Errorf("%v printed %q, want %q", g.args, out, g.want)
		}
	}
	// Each receipt is queued for the bot (row and send job, with the
	// payment), once; the bot sends Ahmad his, in French.
	for _, receipt := range []string{"000001", "000002", "000003"} {
		if n := sendJobs(t, conn, `SELECT id FROM outbox WHERE kind = 'receipt' AND dedupe_key = $1`,
			"receipt:R-"+year+"-"+receipt); n != 1 {
			t.Errorf("receipt %s: %d outbox rows with their job, want 1", receipt, n)
		}
	}
	// He got the month's statement, then his receipt.
	msgs := tg.WaitMessages(t, 61001, 2, 30*time.Second)
	wants := []string{"📅 Votre participation de ", "🧾 Reçu R-" + year + "-000001\nLe centre a reçu 12,50\u00a0€ de votre part le "}
	for _, want := range wants {
		found := false
		for _, m := range msgs {
			found = found || strings.HasPrefix(m.Text, want)
		}
		if !found {
			t.Errorf("Ahmad got no message starting %q among %q", want, texts(msgs))
		}
	}
	// What each still owes: 45 − 12,50; 30 − 30; 20 − (200 − 200); 20.
	for _, o := range []struct {
		name  string
		cents int64
	}{{"Ahmad Karimi", 3250}, {"Omar Hassan", 0}, {"Yonas Tesfay", 2000}, {"Abdi Mohamed", 2000}} {
		var got int64
		if err := conn.QueryRow(ctx, `SELECT coalesce(sum(e.cents), 0) FROM ledger_entries e JOIN people p ON p.id = e.person_id
			WHERE p.display_name = $1`, o.name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != o.cents {
			t.Errorf("%s owes %d cents, want %d", o.name, got, o.cents)
		}
	}
	// The arrears as the team reads them: the contributions report.
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location()).Format(time.DateOnly)
	report := runOut(t, "report", "contributions", "--from", from, "--to", now.Format(time.DateOnly))
	for _, line := range []string{
		"Ahmad Karimi;214;présent;0,00;45,00;12,50;32,50;32,50;0,00;0,00;0,00",
		"Omar Hassan;215;présent;0,00;30,00;30,00;0,00;0,00;0,00;0,00;0,00",
		"Total;;;0,00;115,00;42,50;72,50;72,50;0,00;0,00;0,00",
	} {
		if !strings.Contains(report, line+"\r\n") && !strings.Contains(report, line+"\n") {
			t.Errorf("contributions report has no line %q:\n%s", line, report)
		}
	}

	// Mistakes: each is refused with its reason and changes nothing (the
	// worker stopped, so that only the commands could change anything).
	stopWorker()
	before := moneyState(t, conn)
	bad := []struct {
		args []string
		want string
	}{
		{[]string{"payment"}, "add or reverse?"},
		{[]string{"payment", "refund", "--room", "214", "--amount", "5"}, `unknown subcommand "refund"`},
		{[]string{"payment", "add", "--room", "214", "--amount", "douze"}, `--amount "douze": not an amount in euros, such as 12,50`},
		{[]string{"payment", "add", "--room", "214", "--amount", "-5"}, `--amount "-5": cannot be negative`},
		{[]string{"payment", "add", "--room", "214", "--amount", "0"}, `--amount "0": must be more than zero`},
		{[]string{"payment", "add", "--room", "214", "--amount", "20000"}, `--amount "20000": more than 10 000 €`},
		{[]string{"payment", "add", "--room", "214"}, `--amount "": not an amount`},
		{[]string{"payment", "add", "--room", "999", "--amount", "12"}, "--room 999: no resident lives there"},
		{[]string{"payment", "add", "--amount", "12"}, "--room or --id: whose payment is it?"},
		{[]string{"payment", "add", "--room", "216", "--amount", "12"}, "--room 216: 2 residents live there; choose with --id"},
		{[]string{"payment", "add", "--id", "987654", "--amount", "12"}, "--id: store: person 987654: store: not found"},
		{[]string{"payment", "add", "--room", "214", "--amount", "12", "--centre", "nowhere"}, "not found"},
		{[]string{"payment", "reverse", "--receipt", "R-" + year + "-999999"}, "--receipt: store: receipt R-" + year + "-999999: store: not found"},
		{[]string{"payment", "reverse", "--receipt", "R-" + year + "-000003"}, "already reversed"},
		{[]string{"money"}, "settings or charges?"},
		{[]string{"money", "charges", "--month", "12/2026"}, `--month "12/2026": use the form 2026-12`},
		{[]string{"money", "charges", "--month", "2026-13"}, `--month "2026-13": use the form 2026-12`},
		{[]string{"money", "settings", "--rate", "20"}, "rate"},
		{[]string{"money", "settings", "--min-left", "10"}, "30 %"},
		{[]string{"money", "count"}, `unknown subcommand "count"`},
	}
	for _, b := range bad {
		err := run(ctx, b.args, io.Discard, discard, testClock(t))
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%v: err = %v, want it to say %q", b.args, err, b.want)
		}
		if after := moneyState(t, conn); after != before {
			t.Fatalf("%v changed %s into %s", b.args, before, after)
		}
	}
}
