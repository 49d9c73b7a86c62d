package handlers

import (
	"context"
	"errors"
	"strconv"

	"github.com/go-telegram/bot/models"
	"github.com/riverqueue/river"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// The payment conversation: staff types a name or room, picks the resident
// from buttons, types the amount, confirms; the payment, its receipt number,
// the audit entry and the receipt (an outbox row) are one transaction, and
// the resident gets his receipt in his language at once.
const (
	stepPayWho     = "pay.who"
	stepPayPick    = "pay.pick"
	stepPayAmount  = "pay.amount"
	stepPayConfirm = "pay.confirm"
)

// paymentStatuses: a payment is taken from residents living in the centre
// (those who left settle through `cairbot payment add`).
var paymentStatuses = []string{store.StatusActive, store.StatusAway}

// PaymentStart begins recording a payment.
func (h *Handlers) PaymentStart(ctx context.Context, r *Request) error {
	if err := h.setStep(ctx, r, stepPayWho, map[string]string{}); err != nil {
		return err
	}
	_, err := h.reply(ctx, r, r.Loc.T("payment.ask_who"), &models.ReplyKeyboardRemove{RemoveKeyboard: true})
	return err
}

// PaymentStep takes the typed answers: who, then how much.
func (h *Handlers) PaymentStep(ctx context.Context, r *Request) error {
	data := copyData(r.Conv)
	switch r.step() {
	case stepPayWho, stepPayPick:
		return h.pickResident(ctx, r, stepPayPick, data, paymentStatuses, "pay")
	case stepPayAmount:
		cents, err := ParseAmount(r.Text)
		if err != nil {
			return amountError(r.Loc, err)
		}
		p, err := h.conversationResident(ctx, r, data, paymentStatuses)
		if err != nil {
			return err
		}
		data["cents"] = strconv.FormatInt(cents, 10)
		if err := h.setStep(ctx, r, stepPayConfirm, data); err != nil {
			return err
		}
		_, err = h.reply(ctx, r, r.Loc.T("payment.confirm", "Name", p.DisplayName, "Room", residentRoom(p),
			"Amount", r.Loc.F.Money(cents)), confirmButtons(r.Loc, "pay"))
		return err
	}
	// Waiting for a button.
	return Fail("error.not_understood")
}

// PaymentButton takes the resident's button and the confirmation. A
// button that does not fit the open conversation changes nothing.
func (h *Handlers) PaymentButton(ctx context.Context, r *Request) error {
	data := copyData(r.Conv)
	switch {
	case r.step() == stepPayPick:
		p, err := h.pickedResident(ctx, r, data, "pay", paymentStatuses)
		if err != nil {
			return err
		}
		data["pid"] = strconv.FormatInt(p.ID, 10)
		delete(data, "ids")
		if err := h.setStep(ctx, r, stepPayAmount, data); err != nil {
			return err
		}
		_, err = h.reply(ctx, r, r.Loc.T("payment.ask_amount", "Name", p.DisplayName, "Room", residentRoom(p),
			"Example", r.Loc.F.Money(1250)), nil)
		return err
	case r.step() == stepPayConfirm && r.CallbackData == "pay:no":
		return h.Cancel(ctx, r)
	case r.step() == stepPayConfirm && r.CallbackData == "pay:ok":
		return h.recordPayment(ctx, r, data)
	}
	return ErrStaleButton
}

func (h *Handlers) recordPayment(ctx context.Context, r *Request, data map[string]string) error {
	p, err := h.conversationResident(ctx, r, data, paymentStatuses)
	if err != nil {
		return err
	}
	cents, err := strconv.ParseInt(data["cents"], 10, 64)
	if err != nil || cents <= 0 || cents > MaxAmount {
		return ErrStaleButton
	}
	// On the centre's clock, which decides the receipt's year.
	e, err := h.Money.RecordPayment(ctx, store.NewPayment{
		CentreID: r.Person.CentreID, PersonID: p.ID, Cents: cents, ActorID: &r.Person.ID, At: r.Now.In(h.moneyLoc()),
	})
	if err != nil {
		return err
	}
	if err := h.endConversation(ctx, r); err != nil {
		return err
	}
	id := "payment.done"
	if p.TelegramID == nil {
		id = "payment.done_no_telegram"
	}
	return h.replyMenu(ctx, r, r.Loc.T(id, "Number", e.ReceiptNo, "Amount", r.Loc.F.Money(cents),
		"Name", p.DisplayName, "Room", residentRoom(p)))
}

// renderReceipt renders a receipt from the ledger when it is sent: its
// number, the amount and day, and the balance just after the payment, so it
// says the same whenever it leaves.
func (h *Handlers) renderReceipt(ctx context.Context, _ store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	e, err := h.Money.EntryByReceipt(ctx, m.CentreID, m.Args["receipt"])
	if errors.Is(err, store.ErrNotFound) {
		// The ledger is append-only, so only a damaged row gets here:
		// cancelled rather than retried for ever.
		return Outgoing{}, ErrObsolete
	}
	if err != nil {
		return Outgoing{}, err
	}
	balance, err := h.Money.BalanceAfter(ctx, e.CentreID, e.PersonID, e.ID)
	if err != nil {
		return Outgoing{}, err
	}
	return Outgoing{Text: ReceiptText(loc, e, balance)}, nil
}

// ReceiptText renders a receipt: its number, the amount and day, and the
// balance just after the payment.
func ReceiptText(loc *locales.Localizer, e store.LedgerEntry, balance int64) string {
	return loc.T("balance.receipt", "Number", e.ReceiptNo, "Amount", loc.F.Money(-e.Cents), "Date", loc.F.Date(e.At)) +
		"\n" + balanceStatus(loc, balance)
}

// ReceiptArgs is the job that sent a receipt before the outbox.
type ReceiptArgs struct {
	CentreID int64 `json:"centre_id"`
	EntryID  int64 `json:"entry_id"`
}

// Kind names the job in River's table.
func (ReceiptArgs) Kind() string { return "money_receipt" }

// ReceiptWorker turns a receipt job queued before the outbox into the
// receipt's outbox row (same key, so a receipt already sent is not sent
// again). It goes away once no money_receipt job remains in river_job.
type ReceiptWorker struct {
	river.WorkerDefaults[ReceiptArgs]
	h *Handlers
}

// Work queues the receipt in the outbox.
func (w *ReceiptWorker) Work(ctx context.Context, job *river.Job[ReceiptArgs]) error {
	h := w.h
	e, err := h.Money.EntryByID(ctx, job.Args.CentreID, job.Args.EntryID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && e.Kind != store.EntryPayment) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = h.Money.Enqueue(ctx, h.Clock(), store.ReceiptMessage(e))
	return err
}

// confirmButtons are the ✅/❌ buttons of a conversation's last step.
func confirmButtons(loc *locales.Localizer, prefix string) *models.InlineKeyboardMarkup {
	return inlineRows([]models.InlineKeyboardButton{
		{Text: loc.T("button.confirm"), CallbackData: cb(prefix, "ok")},
		{Text: loc.T("button.cancel"), CallbackData: cb(prefix, "no")},
	}, 2)
}
