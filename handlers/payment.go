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
func (h *Money) PaymentStart(ctx context.Context, r *Request) error {
	if err := h.setStep(ctx, r, stepPayWho, map[string]string{}); err != nil {
		return err
	}
	_, err := h.reply(ctx, r, r.Loc.T("payment.ask_who"), &models.ReplyKeyboardRemove{RemoveKeyboard: true})
	return err
}

// PaymentStep takes the typed answers: who, then how much.
func (h *Money) PaymentStep(ctx context.Context, r *Request) error {
	data := copyData(r.Conv)
	switch r.step() {
	case stepPayWho, stepPayPick:
		return h.pickResident(ctx, r, h.Residents, stepPayPick, data, paymentStatuses, payPickAction)
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
			"Amount", r.Loc.F.Money(cents)), confirmActions(r.Loc, payOKAction, payNoAction))
		return err
	}
	// Waiting for a button.
	return Fail("error.not_understood")
}

// The buttons of the conversation: one action each, routed by its prefix
// in bot/routes.go. A button that does not fit the open conversation
// changes nothing.
var (
	payPickAction = newAction("pay:p", encPicked, decPicked, pickedID{42})    // the resident paying
	payOKAction   = newAction("pay:ok", encNoFields, decNoFields, noFields{}) // record it
	payNoAction   = newAction("pay:no", encNoFields, decNoFields, noFields{}) // cancel
)

// PaymentPick takes the resident's button.
func (h *Money) PaymentPick(ctx context.Context, r *Request) error {
	if r.step() != stepPayPick {
		return ErrStaleButton
	}
	data := copyData(r.Conv)
	p, err := h.pickedResident(ctx, r, data, payPickAction, paymentStatuses)
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
}

// PaymentConfirm records the confirmed payment; pressed again after it
// was recorded, it answers with the receipt.
func (h *Money) PaymentConfirm(ctx context.Context, r *Request) error {
	if _, err := payOKAction.Parse(r.CallbackData); err != nil {
		return err
	}
	switch r.step() {
	case stepPayConfirm:
		return h.recordPayment(ctx, r, copyData(r.Conv))
	case stepPayPick:
		// A new payment is being picked: the old confirmation is stale.
		return ErrStaleButton
	}
	return h.paymentRecordedBefore(ctx, r)
}

// PaymentCancel drops the payment at its confirmation.
func (h *Money) PaymentCancel(ctx context.Context, r *Request) error {
	if _, err := payNoAction.Parse(r.CallbackData); err != nil {
		return err
	}
	if r.step() != stepPayConfirm {
		return ErrStaleButton
	}
	return h.cancel(ctx, r)
}

// recordPayment records the confirmed payment once, even when the update
// is handled again (Telegram re-delivers it when our answer was lost, or
// another process takes it over from one that died):
//   - the conversation ends before the payment is written, so a second run
//     cannot find the confirmation step and write it again; if the write
//     fails, the step is put back so that trying again works;
//   - the press's outcome is remembered, so that a second run answers with
//     the receipt number rather than "button not valid", which would have
//     staff record the payment a second time by hand.
func (h *Money) recordPayment(ctx context.Context, r *Request, data map[string]string) error {
	p, err := h.conversationResident(ctx, r, data, paymentStatuses)
	if err != nil {
		return err
	}
	cents, err := strconv.ParseInt(data["cents"], 10, 64)
	if err != nil || cents <= 0 || cents > MaxAmount {
		return ErrStaleButton
	}
	if err := h.endConversation(ctx, r); err != nil {
		return err
	}
	// On the centre's clock, which decides the receipt's year.
	e, err := h.Money.RecordPayment(ctx, store.NewPayment{
		CentreID: r.Person.CentreID, PersonID: p.ID, Cents: cents, ActorID: &r.Person.ID, At: r.Now.In(h.zoneOrUTC()),
	})
	if err != nil {
		if serr := h.setStep(ctx, r, stepPayConfirm, data); serr != nil {
			return errors.Join(err, serr)
		}
		return err
	}
	if err := h.Outcomes.RememberOutcome(ctx, paymentOutcomeKey(r), strconv.FormatInt(e.ID, 10)); err != nil {
		// Only a re-delivery needs it; the answer can still go out.
		h.Log.WarnContext(ctx, "payment outcome not remembered", "entry", e.ID, "err", err)
	}
	return h.paymentDone(ctx, r, p, e)
}

// paymentRecordedBefore answers a confirmation handled again after its
// payment was recorded, and treats any other old press as stale.
func (h *Money) paymentRecordedBefore(ctx context.Context, r *Request) error {
	v, err := h.Outcomes.Outcome(ctx, paymentOutcomeKey(r))
	if errors.Is(err, store.ErrNotFound) {
		return ErrStaleButton
	}
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return ErrStaleButton
	}
	e, err := h.Money.EntryByID(ctx, r.Person.CentreID, id)
	if errors.Is(err, store.ErrNotFound) {
		return ErrStaleButton
	}
	if err != nil {
		return err
	}
	p, err := h.Lookup.PersonByID(ctx, r.Person.CentreID, e.PersonID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrStaleButton
	}
	if err != nil {
		return err
	}
	return h.paymentDone(ctx, r, p, e)
}

// paymentOutcomeKey names one press of the confirmation: Telegram gives
// each press its own id, which a re-delivery keeps.
func paymentOutcomeKey(r *Request) string {
	return "pay:" + strconv.FormatInt(r.CentreID(), 10) + ":" + r.Callback.ID
}

func (h *Money) paymentDone(ctx context.Context, r *Request, p store.Person, e store.LedgerEntry) error {
	id := "payment.done"
	if p.TelegramID == nil {
		id = "payment.done_no_telegram"
	}
	return h.replyMenu(ctx, r, r.Loc.T(id, "Number", e.ReceiptNo, "Amount", r.Loc.F.Money(-e.Cents),
		"Name", p.DisplayName, "Room", residentRoom(p)))
}

// renderReceipt renders a receipt from the ledger when it is sent: its
// number, the amount and day, and the balance just after the payment, so it
// says the same whenever it leaves.
func (h *Money) renderReceipt(ctx context.Context, _ store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
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
	h *Money
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
