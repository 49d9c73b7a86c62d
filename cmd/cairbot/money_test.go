package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store/storetest"
)

// moneyEnv points the commands at a fresh database, the fake Telegram and
// a Redis prefix of the test's own, and returns a connection to look into
// the database.
func moneyEnv(t *testing.T) (*telegramtest.Server, *pgx.Conn) {
	t.Helper()
	tg := telegramtest.New(t, telegramtest.Options{})
	dbURL := storetest.NewDB(t)
	_, prefix := storetest.NewRedis(t)
	t.Setenv("DATABASE_URL", dbURL)
	t.Setenv("TELEGRAM_TOKEN", tg.Token())
	t.Setenv("TELEGRAM_API_URL", tg.URL())
	t.Setenv("REDIS_URL", storetest.RedisURL())
	t.Setenv("REDIS_PREFIX", prefix)
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return tg, conn
}

// runOut runs a command and returns what it printed.
func runOut(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), args, &out, discard, testClock(t)); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

// riverJobs lists the jobs of a kind ("" for every kind) in the given
// states (every state if none) in the test's database, through River's
// API, not SQL on its tables, whose layout is River's own to change.
func riverJobs(t *testing.T, kind string, states ...rivertype.JobState) []*rivertype.JobRow {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL")) // moneyEnv's database
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	client, err := bot.NewInsertOnlyJobs(pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	params := river.NewJobListParams().First(10_000)
	if kind != "" {
		params = params.Kinds(kind)
	}
	if len(states) > 0 {
		params = params.States(states...)
	}
	res, err := client.JobList(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	return res.Jobs
}

// chargesJobs counts the monthly charges jobs of a month in the given
// states (every state if none).
func chargesJobs(t *testing.T, month string, states ...rivertype.JobState) int {
	t.Helper()
	n := 0
	for _, j := range riverJobs(t, "money_monthly_charges", states...) {
		var args handlers.MonthlyChargesArgs
		if err := json.Unmarshal(j.EncodedArgs, &args); err != nil {
			t.Fatal(err)
		}
		if args.Month == month {
			n++
		}
	}
	return n
}

// sendJobs counts the outbox_send jobs of the outbox rows whose ids query
// selects.
func sendJobs(t *testing.T, conn *pgx.Conn, query string, args ...any) int {
	t.Helper()
	rows, err := conn.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, j := range riverJobs(t, "outbox_send") {
		var send handlers.OutboxSendArgs
		if err := json.Unmarshal(j.EncodedArgs, &send); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(ids, send.ID) {
			n++
		}
	}
	return n
}

func countRows(t *testing.T, conn *pgx.Conn, query string, args ...any) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPaymentAddSendsReceipt: `cairbot payment add` writes the payment and
// its receipt (outbox row and send job) in one transaction — a failure
// leaves neither, and takes no receipt number —, `payment reverse` cancels
// a receipt not sent yet, and the bot's worker then sends each receipt
// once, in the resident's language.
func TestPaymentAddSendsReceipt(t *testing.T) {
	tg, conn := moneyEnv(t)
	ctx := context.Background()
	link := func(name, room, lang string, telegramID int64) {
		t.Helper()
		out := runOut(t, "people", "add", "--name", name, "--role", "resident", "--room", room, "--lang", lang)
		m := regexp.MustCompile(`#(\d+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no id in %q", out)
		}
		id, _ := strconv.ParseInt(m[1], 10, 64)
		// Signed up: his Telegram account is linked.
		if _, err := conn.Exec(ctx, `UPDATE people SET telegram_id = $2 WHERE id = $1`, id, telegramID); err != nil {
			t.Fatal(err)
		}
		tg.AddChat(telegramID)
	}
	link("Ahmad K.", "214", "fr", 51001)
	link("Omar H.", "215", "ar", 51002)
	year := strconv.Itoa(storetest.Now(t).In(mustParis(t)).Year())

	// The job queue refuses the receipt's job: nothing is written. SQL on
	// River's table: River has no API to make its inserts fail.
	if _, err := conn.Exec(ctx, `CREATE FUNCTION refuse_job() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'job queue down'; END $$;
		CREATE TRIGGER refuse_job BEFORE INSERT ON river_job FOR EACH ROW EXECUTE FUNCTION refuse_job()`); err != nil {
		t.Fatal(err)
	}
	err := run(ctx, []string{"payment", "add", "--room", "214", "--amount", "12,50"}, io.Discard, discard, testClock(t))
	if err == nil || !strings.Contains(err.Error(), "job queue down") {
		t.Fatalf("payment with the job queue down: %v", err)
	}
	if n := countRows(t, conn, `SELECT (SELECT count(*) FROM ledger_entries) + (SELECT count(*) FROM outbox)`); n != 0 {
		t.Fatalf("a failed payment wrote %d rows", n)
	}
	if _, err := conn.Exec(ctx, `DROP TRIGGER refuse_job ON river_job; DROP FUNCTION refuse_job()`); err != nil {
		t.Fatal(err)
	}

	out := runOut(t, "payment", "add", "--room", "214", "--amount", "12,50")
	if want := "payment recorded: 12,50\u00a0€ from Ahmad K. (room 214), receipt R-" + year + "-000001\n" +
		"the bot sends him the receipt in his language\n"; out != want {
		t.Fatalf("payment add printed %q, want %q", out, want)
	}
	runOut(t, "payment", "add", "--room", "215", "--amount", "12,50")
	// A payment typed for the wrong amount, cancelled before the bot sent
	// its receipt.
	runOut(t, "payment", "add", "--room", "215", "--amount", "125")
	if out := runOut(t, "payment", "reverse", "--receipt", "r-"+year+"-000003"); !strings.Contains(out, "payment R-"+year+"-000003 cancelled") {
		t.Fatalf("payment reverse printed %q", out)
	}
	// Each receipt is an outbox row with its send job, written with the
	// payment.
	for _, tt := range []struct {
		receipt, state string
	}{{"000001", "pending"}, {"000002", "pending"}, {"000003", "cancelled"}} {
		key := "receipt:R-" + year + "-" + tt.receipt
		if n := sendJobs(t, conn, `SELECT o.id FROM outbox o JOIN ledger_entries e ON e.person_id = o.person_id
			AND 'receipt:' || e.receipt_no = o.dedupe_key
			WHERE o.dedupe_key = $1 AND o.kind = 'receipt' AND o.state = $2`, key, tt.state); n != 1 {
			t.Errorf("%s: %d rows in state %s with their payment and job, want 1", key, n, tt.state)
		}
	}

	// The bot's worker process sends them.
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(wctx, []string{"worker"}, io.Discard, discard, testClock(t)) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	}()
	tests := []struct {
		chat           int64
		prefix, suffix string
	}{
		{51001, "🧾 Reçu R-" + year + "-000001\nLe centre a reçu 12,50\u00a0€ de votre part le ",
			". Merci !\n🟢 Vous avez payé 12,50\u00a0€ d'avance."},
		{51002, "🧾 إيصال \u2068R-" + year + "-000002\u2069\nاستلم المركز منك \u206812,50\u00a0€\u2069 يوم \u2068",
			"\u2069. شكرًا!\n🟢 لقد دفعت \u206812,50\u00a0€\u2069 مقدمًا."},
	}
	for _, tt := range tests {
		// The day, in between, is today's.
		got := tg.WaitMessages(t, tt.chat, 1, 30*time.Second)[0].Text
		if !strings.HasPrefix(got, tt.prefix) || !strings.HasSuffix(got, tt.suffix) {
			t.Errorf("receipt = %q\nwant     %q … %q", got, tt.prefix, tt.suffix)
		}
	}
	tg.WaitFor(t, 30*time.Second, "receipts marked sent", func() bool {
		return countRows(t, conn, `SELECT count(*) FROM outbox WHERE state = 'sent'`) == 2
	})
	for _, chat := range []int64{51001, 51002} {
		if n := len(tg.Messages(chat)); n != 1 {
			t.Errorf("chat %d got %d messages, want its one receipt", chat, n)
		}
	}
}

// TestMoneyCommands: settings are shown and changed, a month's charges are
// queued for the bot, and mistakes are named.
func TestMoneyCommands(t *testing.T) {
	_, conn := moneyEnv(t)
	if out := runOut(t, "money", "settings", "--rate", "12", "--arrival", "full"); out != "cair-paris12: rate 12.00 % of resources, meals false, at least 30.00 % left, month of arrival full\n" {
		t.Fatalf("settings printed %q", out)
	}
	if out := runOut(t, "money", "charges", "--month", "2026-12"); !strings.Contains(out, "monthly charges queued") {
		t.Fatalf("charges printed %q", out)
	}
	if n := chargesJobs(t, "2026-12"); n != 1 {
		t.Fatalf("charges jobs = %d", n)
	}
	bad := []struct {
		args []string
		want string
	}{
		{[]string{"money", "settings", "--rate", "20"}, "rate"},
		{[]string{"money", "charges", "--month", "12/2026"}, "--month"},
		{[]string{"money", "count"}, "unknown subcommand"},
		{[]string{"payment", "add", "--room", "214", "--amount", "douze"}, "not an amount"},
		{[]string{"payment", "add", "--room", "999", "--amount", "12"}, "no resident lives there"},
		{[]string{"payment", "reverse", "--receipt", "R-2026-999999"}, "--receipt"},
	}
	for _, b := range bad {
		if err := run(context.Background(), b.args, io.Discard, discard, testClock(t)); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%v: err = %v, want it to mention %q", b.args, err, b.want)
		}
	}
	if n := countRows(t, conn, `SELECT count(*) FROM ledger_entries`); n != 0 {
		t.Fatalf("refused commands wrote %d ledger entries", n)
	}
}

func mustParis(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
