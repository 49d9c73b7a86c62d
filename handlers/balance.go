package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// Money is the residents' contributions: /balance, /arrears, /payment, the
// monthly charges, statements and receipts.
type Money struct {
	Base
	Money MoneyStore
	// Residents finds the resident a payment is for.
	Residents ResidentStore
	// Outcomes make a payment's re-delivered update answer the same
	// without recording it twice.
	Outcomes Outcomes
}

// MoneyStore is what the contribution handlers and jobs need from storage.
type MoneyStore interface {
	Account(ctx context.Context, centreID, personID int64, last int) (store.Account, error)
	Arrears(ctx context.Context, centreID int64) ([]store.Arrear, error)
	// RecordPayment queues the receipt, and the monthly charges the
	// statements, in their own transaction (outbox).
	RecordPayment(ctx context.Context, p store.NewPayment) (store.LedgerEntry, error)
	PostMonthlyCharges(ctx context.Context, month, at time.Time) (int, error)
	CatchUpMonthlyCharges(ctx context.Context, month, at time.Time) (int, error)
	// What receipts and statements are rendered from when sent.
	EntryByReceipt(ctx context.Context, centreID int64, receipt string) (store.LedgerEntry, error)
	BalanceAfter(ctx context.Context, centreID, personID, entryID int64) (int64, error)
	MonthStatement(ctx context.Context, centreID, personID int64, month time.Time) (store.MonthlyStatement, error)
	// EntryByID and Enqueue turn receipt and statement jobs from before
	// the outbox into outbox rows (ReceiptWorker, StatementWorker).
	EntryByID(ctx context.Context, centreID, id int64) (store.LedgerEntry, error)
	Enqueue(ctx context.Context, now time.Time, msgs ...store.OutboxMessage) (int, error)
	MoneySettings(ctx context.Context, centreID int64) (store.MoneySettings, error)
	SetContribution(ctx context.Context, c store.Contribution, actorID *int64) error
}

// balanceLastEntries is how many entries /balance lists: enough to find
// last month's charge and payment, short enough to read.
const balanceLastEntries = 5

// chargeSchedule is when the month's charges are posted: the 1st at 09:00,
// Paris time. /balance names it as the next due date.
func (h *Money) chargeSchedule() Monthly { return ChargeSchedule(h.zoneOrUTC()) }

// ChargeSchedule is when the month's charges are posted in a time zone:
// the 1st at 09:00 (the job itself runs daily at that hour, see
// monthlyChargesJob). The sandbox's clock reads it too.
func ChargeSchedule(loc *time.Location) Monthly { return Monthly{Loc: loc, Day: 1, Hour: 9} }

// Balance shows a resident his own contribution: monthly amount, due,
// paid, what he owes or has in credit, his last entries and the next due
// date. There is no way to ask for someone else's.
func (h *Money) Balance(ctx context.Context, r *Request) error {
	a, err := h.Money.Account(ctx, r.Person.CentreID, r.Person.ID, balanceLastEntries)
	if err != nil {
		return err
	}
	return h.replyMenu(ctx, r, BalanceText(r.Loc, a, h.chargeSchedule().Next(r.Now)))
}

// BalanceText renders an account: whole sentences, one a line.
func BalanceText(loc *locales.Localizer, a store.Account, nextDue time.Time) string {
	f := loc.F
	lines := []string{
		loc.T("balance.summary", "Monthly", f.Money(a.Monthly), "Due", f.Money(a.Due), "Paid", f.Money(a.Paid)),
		balanceStatus(loc, a.Balance),
	}
	if len(a.Last) > 0 {
		lines = append(lines, "", loc.T("balance.last_title"))
		for _, e := range a.Last {
			lines = append(lines, balanceEntryLine(loc, e))
		}
	}
	lines = append(lines, "")
	if a.Monthly > 0 {
		lines = append(lines, loc.T("balance.next_due", "Amount", f.Money(a.Monthly), "Date", f.Date(nextDue)))
	} else {
		lines = append(lines, loc.T("balance.next_none"))
	}
	lines = append(lines, loc.T("balance.footer"))
	return strings.Join(lines, "\n")
}

// balanceStatus says whether he owes, is in credit, or is settled.
func balanceStatus(loc *locales.Localizer, balance int64) string {
	switch {
	case balance > 0:
		return loc.T("balance.owed", "Amount", loc.F.Money(balance))
	case balance < 0:
		return loc.T("balance.credit", "Amount", loc.F.Money(-balance))
	}
	return loc.T("balance.settled")
}

func balanceEntryLine(loc *locales.Localizer, e store.LedgerEntry) string {
	f := loc.F
	date := f.DateShort(e.At)
	switch e.Kind {
	case store.EntryCharge:
		month := ""
		if e.Month != nil {
			month = f.Month(time.Date(e.Month.Year(), e.Month.Month(), 15, 12, 0, 0, 0, time.UTC))
		}
		return loc.T("balance.entry_charge", "Date", date, "Month", month, "Amount", f.Money(e.Cents))
	case store.EntryPayment:
		return loc.T("balance.entry_payment", "Date", date, "Receipt", e.ReceiptNo, "Amount", f.Money(-e.Cents))
	}
	return loc.T("balance.entry_correction", "Date", date, "Amount", f.Money(e.Cents))
}

// arrearsMessageLimit keeps each message of the arrears list well under
// Telegram's 4096 characters.
const arrearsMessageLimit = 3500

// Arrears lists, for staff, the residents of his centre who owe money,
// largest debt first. Long lists come in several messages.
func (h *Money) Arrears(ctx context.Context, r *Request) error {
	list, err := h.Money.Arrears(ctx, r.Person.CentreID)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return h.replyMenu(ctx, r, r.Loc.T("balance.arrears_none"))
	}
	var total int64
	for _, a := range list {
		total += a.Cents
	}
	var msgs []string
	cur := r.Loc.N("balance.arrears_title", len(list), "Total", r.Loc.F.Money(total))
	for _, a := range list {
		id := "balance.arrears_line"
		if a.Status == store.StatusLeft {
			id = "balance.arrears_line_left"
		}
		room := a.Room
		if room == "" {
			room = "—"
		}
		line := r.Loc.T(id, "Name", a.DisplayName, "Room", room, "Amount", r.Loc.F.Money(a.Cents))
		if len(cur)+len(line)+1 > arrearsMessageLimit {
			msgs = append(msgs, cur)
			cur = line
			continue
		}
		cur += "\n" + line
	}
	msgs = append(msgs, cur)
	for _, m := range msgs[:len(msgs)-1] {
		if _, err := h.reply(ctx, r, m, nil); err != nil {
			return err
		}
	}
	return h.replyMenu(ctx, r, msgs[len(msgs)-1])
}

// MonthlyChargesArgs is the monthly job posting every resident's charge
// with his statement (an outbox row, in the same transaction). Month
// ("2026-12") is empty for the month of the job's clock: the periodic job
// leaves it empty; `cairbot money charges` may name one.
type MonthlyChargesArgs struct {
	Month string `json:"month,omitempty"`
}

// Kind names the job in River's table.
func (MonthlyChargesArgs) Kind() string { return "money_monthly_charges" }

// monthlyChargesJob posts the month's charges. It runs every day at 09:00
// Paris time, not only on the 1st: River does not run a periodic job missed
// while no bot process was up, and a month left uncharged would show
// residents a wrong balance. On the 1st it posts the month; later it posts
// only for a centre whose month has no charge at all (the run was missed).
// `cairbot money charges` posts a month by hand.
func (h *Money) monthlyChargesJob() *river.PeriodicJob {
	sched := h.chargeSchedule()
	return river.NewPeriodicJob(Daily{Loc: sched.Loc, Hour: sched.Hour, Minute: sched.Minute},
		func() (river.JobArgs, *river.InsertOpts) { return MonthlyChargesArgs{}, nil },
		&river.PeriodicJobOpts{ID: "money_monthly_charges"})
}

// MonthlyChargesWorker posts the month's charges.
type MonthlyChargesWorker struct {
	river.WorkerDefaults[MonthlyChargesArgs]
	h *Money
}

// Work posts the charges; running it twice posts nothing more (UNIQUE
// resident + month), so a retry or a second process is harmless.
func (w *MonthlyChargesWorker) Work(ctx context.Context, job *river.Job[MonthlyChargesArgs]) error {
	h := w.h
	now := h.Clock()
	month := now.In(h.zoneOrUTC())
	if job.Args.Month != "" {
		m, err := time.Parse("2006-01", job.Args.Month)
		if err != nil {
			return river.JobCancel(fmt.Errorf("handlers: monthly charges: month %q: %w", job.Args.Month, err))
		}
		month = m
	}
	label := month.Format("2006-01")
	post := h.Money.CatchUpMonthlyCharges
	if job.Args.Month != "" {
		post = h.Money.PostMonthlyCharges
	}
	n, err := post(ctx, month, now)
	if err != nil {
		return err
	}
	h.Log.InfoContext(ctx, "monthly charges posted", "month", label, "count", n)
	return nil
}

// renderStatement renders a resident's monthly statement with the month's
// charge and his balance as they stand when it is sent.
func (h *Money) renderStatement(ctx context.Context, _ store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	month, err := time.Parse("2006-01", m.Args["month"])
	if err != nil {
		return Outgoing{}, fmt.Errorf("handlers: statement month %q: %w", m.Args["month"], err)
	}
	st, err := h.Money.MonthStatement(ctx, m.CentreID, m.PersonID, month)
	if err != nil {
		return Outgoing{}, err
	}
	return Outgoing{Text: StatementText(loc, month, st)}, nil
}

// StatementText renders a monthly statement.
func StatementText(loc *locales.Localizer, month time.Time, st store.MonthlyStatement) string {
	// The 15th: the month's name is right in every time zone.
	mid := time.Date(month.Year(), month.Month(), 15, 12, 0, 0, 0, time.UTC)
	var first string
	if st.Charge > 0 {
		first = loc.T("balance.statement", "Month", loc.F.Month(mid), "Amount", loc.F.Money(st.Charge))
	} else {
		first = loc.T("balance.statement_nothing", "Month", loc.F.Month(mid))
	}
	return strings.Join([]string{first, balanceStatus(loc, st.Balance), loc.T("balance.statement_more")}, "\n")
}

// StatementArgs is the job that sent a statement before the outbox.
type StatementArgs struct {
	CentreID int64  `json:"centre_id"`
	PersonID int64  `json:"person_id"`
	Month    string `json:"month"` // "2026-12"
}

// Kind names the job in River's table.
func (StatementArgs) Kind() string { return "money_statement" }

// StatementWorker turns a statement job queued before the outbox into the
// statement's outbox row (same key, so a statement already sent is not
// sent again). It goes away once no money_statement job remains in
// river_job.
type StatementWorker struct {
	river.WorkerDefaults[StatementArgs]
	h *Money
}

// Work queues the statement in the outbox.
func (w *StatementWorker) Work(ctx context.Context, job *river.Job[StatementArgs]) error {
	h, a := w.h, job.Args
	month, err := time.Parse("2006-01", a.Month)
	if err != nil {
		return river.JobCancel(fmt.Errorf("handlers: statement month %q: %w", a.Month, err))
	}
	_, err = h.Money.Enqueue(ctx, h.Clock(), store.StatementMessage(a.CentreID, a.PersonID, month))
	return err
}
