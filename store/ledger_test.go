package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

func TestMonthlyContribution(t *testing.T) {
	t.Parallel()
	def := store.DefaultMoneySettings(1)
	meals := store.MoneySettings{Meals: true, RateBP: 4000, MinLeftBP: 3000, Arrival: store.ArrivalProRata}
	highLeft := store.MoneySettings{RateBP: 1500, MinLeftBP: 9000, Arrival: store.ArrivalProRata}
	tests := []struct {
		name string
		ms   store.MoneySettings
		c    store.Contribution
		want int64
	}{
		{"fixed amount as set", def, store.Contribution{Basis: store.BasisFixed, Cents: 4500}, 4500},
		{"fixed zero", def, store.Contribution{Basis: store.BasisFixed, Cents: 0}, 0},
		{"15 % of 600 €", def, store.Contribution{Basis: store.BasisResources, Cents: 60000}, 9000},
		{"rounded down for him", def, store.Contribution{Basis: store.BasisResources, Cents: 33333}, 4999},
		{"no income owes nothing", def, store.Contribution{Basis: store.BasisResources, Cents: 0}, 0},
		{"40 % with meals", meals, store.Contribution{Basis: store.BasisResources, Cents: 50000}, 20000},
		{"capped to leave him 90 %", highLeft, store.Contribution{Basis: store.BasisResources, Cents: 50000}, 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ms.Monthly(tt.c); got != tt.want {
				t.Fatalf("Monthly(%+v) = %d, want %d", tt.c, got, tt.want)
			}
		})
	}
}

func TestMoneySettingsValidate(t *testing.T) {
	t.Parallel()
	good := []store.MoneySettings{
		store.DefaultMoneySettings(1),
		{RateBP: 1000, MinLeftBP: 3000, Arrival: store.ArrivalFull},
		{Meals: true, RateBP: 4000, MinLeftBP: 3000, Arrival: store.ArrivalFree},
	}
	for _, ms := range good {
		if err := ms.Validate(); err != nil {
			t.Errorf("%+v: %v", ms, err)
		}
	}
	bad := []store.MoneySettings{
		{RateBP: 2000, MinLeftBP: 3000, Arrival: store.ArrivalProRata}, // 20 % without meals
		{Meals: true, RateBP: 4500, MinLeftBP: 3000, Arrival: store.ArrivalProRata},
		{RateBP: 1500, MinLeftBP: 2000, Arrival: store.ArrivalProRata}, // less than 30 % left
		{RateBP: -1, MinLeftBP: 3000, Arrival: store.ArrivalProRata},
		{RateBP: 1500, MinLeftBP: 3000, Arrival: "half"},
	}
	for _, ms := range bad {
		if err := ms.Validate(); err == nil {
			t.Errorf("%+v: accepted", ms)
		}
	}
}

func day(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &t
}

// monthOf is the month of t in Paris as the ledger keeps it: its first
// day, midnight UTC.
func monthOf(t time.Time) time.Time {
	d := storetest.Date(t)
	return d.AddDate(0, 0, 1-d.Day())
}

// longMonth is the first month after now of 31 days that follows one of
// 30, as December follows November: the amounts pro rata written in these
// tests are for such months.
func longMonth(now time.Time) time.Time {
	for m := monthOf(now).AddDate(0, 1, 0); ; m = m.AddDate(0, 1, 0) {
		if m.AddDate(0, 1, -1).Day() == 31 && m.AddDate(0, 0, -1).Day() == 30 {
			return m
		}
	}
}

func TestChargeForArrivalMonth(t *testing.T) {
	t.Parallel()
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	feb := time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)
	pro := store.DefaultMoneySettings(1)
	full, free := pro, pro
	full.Arrival, free.Arrival = store.ArrivalFull, store.ArrivalFree
	tests := []struct {
		name    string
		ms      store.MoneySettings
		monthly int64
		arrived *time.Time
		month   time.Time
		want    int64
	}{
		{"arrival unknown: full month", pro, 4500, nil, nov, 4500},
		{"arrived before the month", pro, 4500, day(2026, 10, 20), nov, 4500},
		{"arrived on the 1st", pro, 4500, day(2026, 11, 1), nov, 4500},
		{"arrived on the 16th: 15 of 30 days", pro, 4500, day(2026, 11, 16), nov, 2250},
		{"arrived on the 30th: 1 of 30 days", pro, 4500, day(2026, 11, 30), nov, 150},
		{"arrived 15 Feb: 14 of 28 days", pro, 4500, day(2027, 2, 15), feb, 2250},
		{"rounded down: 20 of 30 days", pro, 4499, day(2026, 11, 11), nov, 2999},
		{"not arrived yet", pro, 4500, day(2026, 12, 1), nov, 0},
		{"nothing to pay", pro, 0, nil, nov, 0},
		{"full rule", full, 4500, day(2026, 11, 16), nov, 4500},
		{"free rule", free, 4500, day(2026, 11, 16), nov, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ms.ChargeFor(tt.monthly, tt.arrived, tt.month); got != tt.want {
				t.Fatalf("ChargeFor = %d, want %d", got, tt.want)
			}
		})
	}
}

// moneyFixture is a centre with residents, on a fresh database, whose
// store queues outbox jobs as the bot does.
type moneyFixture struct {
	st     *store.Store
	jobs   *flakyScheduler
	river  *river.Client[pgx.Tx] // insert-only: to read the jobs queued
	centre store.Centre
	staff  store.Person
}

// flakyScheduler is the bot's outbox scheduler (River, in the caller's
// transaction) that fails while down is set, as a job queue that cannot be
// reached: the change that queues a message must then fail whole.
type flakyScheduler struct {
	store.OutboxScheduler
	down atomic.Bool
}

func (f *flakyScheduler) ScheduleOutboxTx(ctx context.Context, tx pgx.Tx, jobs []store.OutboxJob) error {
	if f.down.Load() {
		return errors.New("job queue down")
	}
	return f.OutboxScheduler.ScheduleOutboxTx(ctx, tx, jobs)
}

func newMoneyFixture(t *testing.T) *moneyFixture {
	t.Helper()
	pool := storetest.NewPool(t)
	st := store.New(pool)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	jobs := &flakyScheduler{OutboxScheduler: bot.NewOutboxScheduler(client)}
	st.UseOutboxScheduler(jobs)
	ctx := context.Background()
	c, err := st.EnsureCentre(ctx, "cair-test", "CAIR test")
	if err != nil {
		t.Fatal(err)
	}
	f := &moneyFixture{st: st, jobs: jobs, river: client, centre: c}
	f.staff = f.person(t, store.RoleStaff, "Claire D.", "000")
	return f
}

// outbox lists the centre's outbox rows as "kind key state person args",
// with the number of River send jobs each has (read through River's API),
// ordered by key.
func (f *moneyFixture) outbox(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	sends, err := f.river.JobList(ctx, river.NewJobListParams().Kinds("outbox_send").First(10_000))
	if err != nil {
		t.Fatal(err)
	}
	jobsOf := map[int64]int{} // outbox row → its send jobs
	for _, j := range sends.Jobs {
		var args handlers.OutboxSendArgs
		if err := json.Unmarshal(j.EncodedArgs, &args); err != nil {
			t.Fatal(err)
		}
		jobsOf[args.ID]++
	}
	rows, err := f.st.Pool().Query(ctx, `SELECT o.id, o.kind, o.dedupe_key, o.state, o.person_id, o.args::text
		FROM outbox o WHERE o.centre_id = $1 ORDER BY o.dedupe_key`, f.centre.ID)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (string, error) {
		var kind, key, state, args string
		var id, person int64
		err := row.Scan(&id, &kind, &key, &state, &person, &args)
		return fmt.Sprintf("%s %s %s %d %s jobs=%d", kind, key, state, person, args, jobsOf[id]), err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *moneyFixture) person(t *testing.T, role store.Role, name, room string) store.Person {
	t.Helper()
	p, _, err := f.st.CreatePersonWithInvite(context.Background(), store.NewPerson{
		CentreID: f.centre.ID, Role: role, DisplayName: name, Room: room, Language: "fr",
	}, nil, storetest.Now(t).Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *moneyFixture) pay(t *testing.T, p store.Person, cents int64, at time.Time) store.LedgerEntry {
	t.Helper()
	e, err := f.st.RecordPayment(context.Background(), store.NewPayment{
		CentreID: f.centre.ID, PersonID: p.ID, Cents: cents, ActorID: &f.staff.ID, At: at,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestLedgerIsAppendOnly(t *testing.T) {
	t.Parallel()
	f := newMoneyFixture(t)
	ctx := context.Background()
	p := f.person(t, store.RoleResident, "Ahmad K.", "214")
	e := f.pay(t, p, 1250, storetest.Now(t))
	for _, sql := range []string{
		`UPDATE ledger_entries SET cents = -1 WHERE id = $1`,
		`DELETE FROM ledger_entries WHERE id = $1`,
	} {
		_, err := f.st.Pool().Exec(ctx, sql, e.ID)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("%s: err = %v, want append-only refusal", sql, err)
		}
	}
	if _, err := f.st.Pool().Exec(ctx, `TRUNCATE ledger_entries CASCADE`); err == nil {
		t.Fatal("TRUNCATE accepted")
	}
	got, err := f.st.EntryByID(ctx, f.centre.ID, e.ID)
	if err != nil || got.Cents != -1250 {
		t.Fatalf("entry after attempts = %+v, %v", got, err)
	}
}

func TestReceiptNumbersAreGapFreePerYear(t *testing.T) {
	t.Parallel()
	f := newMoneyFixture(t)
	ctx := context.Background()
	p := f.person(t, store.RoleResident, "Ahmad K.", "214")
	paris := storetest.Paris
	at := storetest.Now(t)
	year := at.In(paris).Year()

	// A payment whose transaction fails takes no number.
	f.jobs.down.Store(true)
	if _, err := f.st.RecordPayment(ctx, store.NewPayment{CentreID: f.centre.ID, PersonID: p.ID, Cents: 100, At: at}); err == nil {
		t.Fatal("job queue down: payment recorded")
	}
	f.jobs.down.Store(false)

	const n = 12
	var wg sync.WaitGroup
	receipts := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := f.st.RecordPayment(ctx, store.NewPayment{CentreID: f.centre.ID, PersonID: p.ID, Cents: 100, At: at})
			if err != nil {
				t.Error(err)
				return
			}
			receipts <- e.ReceiptNo
		}()
	}
	wg.Wait()
	close(receipts)
	seen := map[string]bool{}
	for r := range receipts {
		seen[r] = true
	}
	for i := 1; i <= n; i++ {
		if want := fmt.Sprintf("R-%d-%06d", year, i); !seen[want] {
			t.Errorf("missing %s; got %v", want, seen)
		}
	}
	// New Year in Paris (still 31 December in UTC) starts at 1 again.
	ny := time.Date(year+1, 1, 1, 0, 30, 0, 0, paris)
	if e := f.pay(t, p, 100, ny); e.ReceiptNo != fmt.Sprintf("R-%d-000001", year+1) {
		t.Fatalf("first receipt of %d = %s", year+1, e.ReceiptNo)
	}
	// Another centre has its own sequence.
	other, err := f.st.EnsureCentre(ctx, "other", "Other")
	if err != nil {
		t.Fatal(err)
	}
	q, _, err := f.st.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: other.ID, Role: store.RoleResident,
		DisplayName: "Omar H.", Language: "ar"}, nil, storetest.Now(t).Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	e, err := f.st.RecordPayment(ctx, store.NewPayment{CentreID: other.ID, PersonID: q.ID, Cents: 100, At: at})
	if err != nil || e.ReceiptNo != fmt.Sprintf("R-%d-000001", year) {
		t.Fatalf("other centre's first receipt = %q, %v", e.ReceiptNo, err)
	}
}

func TestPaymentRefusals(t *testing.T) {
	t.Parallel()
	f := newMoneyFixture(t)
	ctx := context.Background()
	p := f.person(t, store.RoleResident, "Ahmad K.", "214")
	for _, c := range []int64{0, -5, store.MaxCents + 1} {
		if _, err := f.st.RecordPayment(ctx, store.NewPayment{CentreID: f.centre.ID, PersonID: p.ID, Cents: c, At: storetest.Now(t)}); !errors.Is(err, store.ErrBadAmount) {
			t.Errorf("%d cents: %v", c, err)
		}
	}
	if _, err := f.st.RecordPayment(ctx, store.NewPayment{CentreID: f.centre.ID, PersonID: f.staff.ID, Cents: 100, At: storetest.Now(t)}); !errors.Is(err, store.ErrNotResident) {
		t.Errorf("payment by staff: %v", err)
	}
	other, _ := f.st.EnsureCentre(ctx, "other", "Other")
	if _, err := f.st.RecordPayment(ctx, store.NewPayment{CentreID: other.ID, PersonID: p.ID, Cents: 100, At: storetest.Now(t)}); !errors.Is(err, store.ErrNotResident) {
		t.Errorf("payment through another centre: %v", err)
	}
	var n int
	if err := f.st.Pool().QueryRow(ctx, `SELECT count(*) FROM ledger_entries`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("ledger rows = %d, %v", n, err)
	}
}

func TestReverseEntry(t *testing.T) {
	t.Parallel()
	f := newMoneyFixture(t)
	ctx := context.Background()
	p := f.person(t, store.RoleResident, "Ahmad K.", "214")
	if err := f.st.SetContribution(ctx, store.Contribution{CentreID: f.centre.ID, PersonID: p.ID, Basis: store.BasisFixed, Cents: 4500}, &f.staff.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.PostMonthlyCharges(ctx, monthOf(storetest.Now(t)), storetest.Now(t)); err != nil {
		t.Fatal(err)
	}
	pay := f.pay(t, p, 5000, storetest.Now(t))
	c, err := f.st.ReverseEntry(ctx, f.centre.ID, pay.ID, &f.staff.ID, storetest.Now(t))
	if err != nil || c.Kind != store.EntryCorrection || c.Cents != 5000 || *c.Reverses != pay.ID {
		t.Fatalf("correction = %+v, %v", c, err)
	}
	a, err := f.st.Account(ctx, f.centre.ID, p.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if a.Due != 4500 || a.Paid != 0 || a.Balance != 4500 || a.Monthly != 4500 || len(a.Last) != 3 {
		t.Fatalf("account after correction = %+v", a)
	}
	if _, err := f.st.ReverseEntry(ctx, f.centre.ID, pay.ID, nil, storetest.Now(t)); !errors.Is(err, store.ErrAlreadyReversed) {
		t.Fatalf("second reversal: %v", err)
	}
	if _, err := f.st.ReverseEntry(ctx, f.centre.ID, c.ID, nil, storetest.Now(t)); !errors.Is(err, store.ErrNotReversible) {
		t.Fatalf("reversal of a correction: %v", err)
	}
	other, _ := f.st.EnsureCentre(ctx, "other", "Other")
	if _, err := f.st.ReverseEntry(ctx, other.ID, pay.ID, nil, storetest.Now(t)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("reversal from another centre: %v", err)
	}
}

func TestPostMonthlyChargesOncePerMonth(t *testing.T) {
	t.Parallel()
	f := newMoneyFixture(t)
	ctx := context.Background()
	pool := f.st.Pool()
	set := func(p store.Person, basis string, cents int64) {
		t.Helper()
		if err := f.st.SetContribution(ctx, store.Contribution{CentreID: f.centre.ID, PersonID: p.ID, Basis: basis, Cents: cents}, nil); err != nil {
			t.Fatal(err)
		}
	}
	arrive := func(p store.Person, d *time.Time) {
		t.Helper()
		if _, err := pool.Exec(ctx, `UPDATE people SET arrived_on = $2 WHERE id = $1`, p.ID, *d); err != nil {
			t.Fatal(err)
		}
	}
	fixed := f.person(t, store.RoleResident, "Fixed", "101")
	set(fixed, store.BasisFixed, 4500)
	income := f.person(t, store.RoleResident, "Income", "102")
	set(income, store.BasisResources, 60000) // 15 % → 90 €
	none := f.person(t, store.RoleResident, "No income", "103")
	set(none, store.BasisResources, 0)
	unset := f.person(t, store.RoleResident, "Unset", "104")
	dec := longMonth(storetest.Now(t)) // say December
	nov := dec.AddDate(0, -1, 0)
	newcomer := f.person(t, store.RoleResident, "Newcomer", "105")
	set(newcomer, store.BasisFixed, 3000)
	arrive(newcomer, day(dec.Year(), dec.Month(), 16)) // 16 of 31 days
	lastMonth := f.person(t, store.RoleResident, "Registered late", "106")
	set(lastMonth, store.BasisFixed, 3000)
	arrive(lastMonth, day(nov.Year(), nov.Month(), 16)) // November: 15 of 30 days, posted in December's run
	left := f.person(t, store.RoleResident, "Left", "107")
	set(left, store.BasisFixed, 4500)
	if _, err := f.st.ChangeResident(ctx, store.ResidentChange{CentreID: f.centre.ID, PersonID: left.ID, Kind: store.ChangeLeave, Date: storetest.Now(t)}); err != nil {
		t.Fatal(err)
	}
	_ = unset

	// Job queue down: the centre's transaction fails whole, no charge is
	// posted without its statement.
	f.jobs.down.Store(true)
	if n, err := f.st.PostMonthlyCharges(ctx, dec, storetest.Now(t)); err == nil || n != 0 {
		t.Fatalf("job queue down: posted %d, %v", n, err)
	}
	if got := f.outbox(t); len(got) != 0 {
		t.Fatalf("job queue down: outbox %v", got)
	}
	f.jobs.down.Store(false)
	n, err := f.st.PostMonthlyCharges(ctx, dec, storetest.Now(t))
	if err != nil || n != 5 {
		t.Fatalf("first run posted %d, %v; want 5", n, err)
	}
	// One statement for each resident with a charge this month, each with
	// its send job.
	var wantOutbox []string
	for _, p := range []store.Person{fixed, income, newcomer, lastMonth} {
		wantOutbox = append(wantOutbox, fmt.Sprintf(`statement statement:%d:%s pending %d {"month": "%[2]s"} jobs=1`, p.ID, dec.Format("2006-01"), p.ID))
	}
	slices.Sort(wantOutbox)
	if got := f.outbox(t); !slices.Equal(got, wantOutbox) {
		t.Fatalf("outbox = %q\nwant     %q", got, wantOutbox)
	}
	n, err = f.st.PostMonthlyCharges(ctx, dec, storetest.Now(t))
	if err != nil || n != 0 {
		t.Fatalf("second run posted %d, %v; want 0", n, err)
	}
	if got := f.outbox(t); !slices.Equal(got, wantOutbox) {
		t.Fatalf("second run queued statements again: %q", got)
	}
	rows, err := pool.Query(ctx, `SELECT person_id, to_char(month, 'YYYY-MM'), cents FROM ledger_entries
		WHERE kind = 'charge' ORDER BY person_id, month`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for rows.Next() {
		var id, cents int64
		var m string
		if err := rows.Scan(&id, &m, &cents); err != nil {
			t.Fatal(err)
		}
		got[fmt.Sprintf("%d/%s", id, m)] = cents
	}
	want := map[string]int64{
		fmt.Sprintf("%d/%s", fixed.ID, dec.Format("2006-01")):     4500,
		fmt.Sprintf("%d/%s", income.ID, dec.Format("2006-01")):    9000,
		fmt.Sprintf("%d/%s", newcomer.ID, dec.Format("2006-01")):  1548, // 3000 × 16 / 31
		fmt.Sprintf("%d/%s", lastMonth.ID, nov.Format("2006-01")): 1500, // 3000 × 15 / 30
		fmt.Sprintf("%d/%s", lastMonth.ID, dec.Format("2006-01")): 3000,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("charges = %v, want %v", got, want)
	}
	st, err := f.st.MonthStatement(ctx, f.centre.ID, lastMonth.ID, dec)
	if err != nil || st.Charge != 3000 || st.Balance != 4500 {
		t.Fatalf("statement = %+v, %v", st, err)
	}
	arrears, err := f.st.Arrears(ctx, f.centre.ID)
	if err != nil || len(arrears) != 4 || arrears[0].PersonID != income.ID || arrears[0].Cents != 9000 {
		t.Fatalf("arrears = %+v, %v", arrears, err)
	}
}

// TestReceiptQueuedWithPayment: a payment writes its receipt in the
// outbox, with its send job, in its own transaction; a failed payment
// writes neither; the receipt number keeps a receipt from being queued
// twice; reversing the payment cancels a receipt not sent yet.
func TestReceiptQueuedWithPayment(t *testing.T) {
	t.Parallel()
	f := newMoneyFixture(t)
	ctx := context.Background()
	p := f.person(t, store.RoleResident, "Ahmad K.", "214")
	at := storetest.Now(t)
	year := at.In(storetest.Paris).Year()

	// Refused payments queue nothing.
	f.jobs.down.Store(true)
	if _, err := f.st.RecordPayment(ctx, store.NewPayment{CentreID: f.centre.ID, PersonID: p.ID, Cents: 100, At: at}); err == nil {
		t.Fatal("job queue down: payment recorded")
	}
	f.jobs.down.Store(false)
	if _, err := f.st.RecordPayment(ctx, store.NewPayment{CentreID: f.centre.ID, PersonID: f.staff.ID, Cents: 100, At: at}); !errors.Is(err, store.ErrNotResident) {
		t.Fatalf("payment by staff: %v", err)
	}
	if got := f.outbox(t); len(got) != 0 {
		t.Fatalf("failed payments queued %v", got)
	}

	e := f.pay(t, p, 1250, at)
	want := fmt.Sprintf(`receipt receipt:R-%d-000001 pending %d {"receipt": "R-%[1]d-000001"} jobs=1`, year, p.ID)
	if got := f.outbox(t); len(got) != 1 || got[0] != want {
		t.Fatalf("outbox = %q, want [%q]", got, want)
	}
	// A job from before the outbox queues the same key: nothing more.
	if n, err := f.st.Enqueue(ctx, at, store.ReceiptMessage(e)); err != nil || n != 0 {
		t.Fatalf("receipt queued again: %d, %v", n, err)
	}
	if got := f.outbox(t); len(got) != 1 {
		t.Fatalf("outbox after second queuing = %q", got)
	}

	// Reversed before it left: the receipt is cancelled with the payment.
	second := f.pay(t, p, 500, at)
	if _, err := f.st.ReverseEntry(ctx, f.centre.ID, second.ID, &f.staff.ID, at); err != nil {
		t.Fatal(err)
	}
	got := f.outbox(t)
	wantCancelled := fmt.Sprintf(`receipt receipt:R-%d-000002 cancelled %d {"receipt": "R-%[1]d-000002"} jobs=1`, year, p.ID)
	if len(got) != 2 || got[0] != want || got[1] != wantCancelled {
		t.Fatalf("outbox after reversal = %q", got)
	}
	var note string
	if err := f.st.Pool().QueryRow(ctx, `SELECT note FROM outbox WHERE dedupe_key = $1`, fmt.Sprintf("receipt:R-%d-000002", year)).Scan(&note); err != nil || note != store.NoteObsolete {
		t.Fatalf("note = %q, %v", note, err)
	}
}

// TestMoneyMessagesMigration: migration 00010 carries the receipts and
// statements sent before the outbox over as sent outbox rows under the
// keys the code uses (so none is sent again), leaves out the erased, and
// its Down gives the old table back.
func TestMoneyMessagesMigration(t *testing.T) {
	t.Parallel()
	f := newMoneyFixture(t)
	ctx := context.Background()
	pool := f.st.Pool()
	p := f.person(t, store.RoleResident, "Ahmad K.", "214")
	erased := f.person(t, store.RoleResident, "Gone", "215")
	if _, err := pool.Exec(ctx, `UPDATE people SET erased_at = now() WHERE id = $1`, erased.ID); err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	migrations, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"))
	if err != nil {
		t.Fatal(err)
	}
	// Back to before the outbox took the money messages, with a history.
	if _, err := migrations.DownTo(ctx, 9); err != nil {
		t.Fatal(err)
	}
	sentAt := time.Date(2026, 11, 2, 9, 0, 5, 0, time.UTC)
	if _, err := pool.Exec(ctx, `INSERT INTO money_messages_sent (kind, person_id, ref, sent_at) VALUES
		('receipt', $1, 'R-2026-000007', $3), ('statement', $1, '2026-11', $3), ('statement', $2, '2026-11', $3)`,
		p.ID, erased.ID, sentAt); err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.UpTo(ctx, 10); err != nil {
		t.Fatal(err)
	}
	var gone bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('money_messages_sent') IS NULL`).Scan(&gone); err != nil || !gone {
		t.Fatalf("old table still there: %v", err)
	}
	want := []string{
		fmt.Sprintf(`receipt receipt:R-2026-000007 sent %d {"receipt": "R-2026-000007"} jobs=0`, p.ID),
		fmt.Sprintf(`statement statement:%d:2026-11 sent %d {"month": "2026-11"} jobs=0`, p.ID, p.ID),
	}
	if got := f.outbox(t); !slices.Equal(got, want) {
		t.Fatalf("outbox = %q\nwant     %q", got, want)
	}
	var at time.Time
	if err := pool.QueryRow(ctx, `SELECT sent_at FROM outbox WHERE dedupe_key = 'receipt:R-2026-000007'`).Scan(&at); err != nil || !at.Equal(sentAt) {
		t.Fatalf("sent_at = %v, %v", at, err)
	}
	// The code queues the same keys: nothing new.
	if n, err := f.st.Enqueue(ctx, storetest.Now(t), store.StatementMessage(f.centre.ID, p.ID, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)),
		store.ReceiptMessage(store.LedgerEntry{CentreID: f.centre.ID, PersonID: p.ID, ReceiptNo: "R-2026-000007"})); err != nil || n != 0 {
		t.Fatalf("already sent, queued again: %d, %v", n, err)
	}
	// Down gives the old table its history back; Up again adds nothing.
	if _, err := migrations.DownTo(ctx, 9); err != nil {
		t.Fatal(err)
	}
	var back int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM money_messages_sent WHERE person_id = $1`, p.ID).Scan(&back); err != nil || back != 2 {
		t.Fatalf("old table after Down has %d rows, %v", back, err)
	}
	if _, err := migrations.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.outbox(t); !slices.Equal(got, want) {
		t.Fatalf("outbox after Down and Up = %q", got)
	}
}

// TestCatchUpMonthlyCharges: the daily job posts a month only for a centre
// whose run was missed; a contribution set after the month's run starts
// with the next month instead of being charged a whole month late.
func TestCatchUpMonthlyCharges(t *testing.T) {
	t.Parallel()
	f := newMoneyFixture(t)
	ctx := context.Background()
	dec := monthOf(storetest.Now(t))
	early := f.person(t, store.RoleResident, "Early", "201")
	if err := f.st.SetContribution(ctx, store.Contribution{CentreID: f.centre.ID, PersonID: early.ID, Basis: store.BasisFixed, Cents: 4500}, nil); err != nil {
		t.Fatal(err)
	}
	// The 1st was missed (bot down): the next day's run posts the month.
	if n, err := f.st.CatchUpMonthlyCharges(ctx, dec, storetest.Now(t)); err != nil || n != 1 {
		t.Fatalf("catch-up posted %d, %v; want 1", n, err)
	}
	late := f.person(t, store.RoleResident, "Late", "202")
	if err := f.st.SetContribution(ctx, store.Contribution{CentreID: f.centre.ID, PersonID: late.ID, Basis: store.BasisFixed, Cents: 3000}, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := f.st.CatchUpMonthlyCharges(ctx, dec, storetest.Now(t)); err != nil || n != 0 {
		t.Fatalf("later daily run posted %d, %v; want 0 (month already run)", n, err)
	}
	// An explicit run (cairbot money charges) still posts what is missing.
	if n, err := f.st.PostMonthlyCharges(ctx, dec, storetest.Now(t)); err != nil || n != 1 {
		t.Fatalf("explicit run posted %d, %v; want 1", n, err)
	}
}
