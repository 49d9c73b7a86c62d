package handlers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/riverqueue/river"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// Delivery sends what the bot sends on its own: the outbox worker, paced
// through the Sender's bulk path.
type Delivery struct {
	Base
	Bulk   BulkSender
	Outbox OutboxStore
}

// Everything the bot sends on its own leaves through the outbox: a feature
// writes one row per recipient (store.OutboxMessage) in the transaction of
// the change that causes it, and OutboxWorker sends each row through the
// Sender's bulk path. docs/RELIABILITY.md tells what each kind does after a
// crash.

// Errors the Sender returns, declared here so handlers need not import the
// transport (the bot package re-exports them).
var (
	// ErrTelegramUnavailable means Telegram kept failing (5xx, network,
	// 429) until the retry budget ran out: nothing was delivered.
	ErrTelegramUnavailable = errors.New("handlers: telegram unavailable")
	// ErrMaybeSent means Telegram did not answer after the request left:
	// the message may have arrived.
	ErrMaybeSent = errors.New("handlers: telegram did not answer; the message may have arrived")
	// ErrObsolete is what a kind's Render returns when the message no
	// longer applies (a turn swapped away, an appointment moved): the row
	// is cancelled, not sent.
	ErrObsolete = errors.New("handlers: message no longer applies")
)

// RetryAfterError: wait After before trying again. Telegram's 429 on a
// single try, or the pacing's own answer when the chat's or the bot's
// next turn is too far off to wait for with a worker in hand.
type RetryAfterError struct{ After time.Duration }

func (e *RetryAfterError) Error() string {
	return "handlers: telegram asks to wait " + e.After.String()
}

// BulkSender sends one outbox message: claim runs once the pacing allows
// the send, right before the one try.
type BulkSender interface {
	SendBulk(ctx context.Context, p *tgbot.SendMessageParams, claim func(context.Context) error) (*models.Message, error)
}

// OutboxStore is what the outbox worker needs from storage.
type OutboxStore interface {
	OutboxByID(ctx context.Context, id int64) (store.OutboxRow, error)
	ClaimOutbox(ctx context.Context, id int64, now time.Time) error
	FinishOutbox(ctx context.Context, id int64, state store.OutboxState, note string, telegramMessageID int64, now time.Time) error
	ReleaseOutbox(ctx context.Context, id int64, now time.Time) error
	OutboxJobRunning(ctx context.Context, kind string, id, job int64) (bool, error)
}

// Outgoing is a rendered message.
type Outgoing struct {
	Text   string
	Markup models.ReplyMarkup
}

// OutboxKind says how one kind of outbox message is rendered and what is
// done with one left in doubt.
type OutboxKind struct {
	// Render builds the message in the recipient's language, reading what
	// it needs at send time; nil renders MsgID with Args.
	Render func(ctx context.Context, p store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error)
	// ResendInDoubt: a message that a crash or a timeout left in doubt is
	// sent again (it may arrive twice). Otherwise it is marked failed
	// ('interrupted') and reported, never sent twice.
	ResendInDoubt bool
}

// Outbox kinds. A feature adds its kinds here and in outboxKinds.
const (
	// balance and payments
	KindReceipt   = store.KindReceipt
	KindStatement = store.KindStatement
	// KindNotify is a plain message: MsgID with Args.
	KindNotify = "notify"
	// KindAnnouncement is an announcement to one reader (broadcast.go).
	KindAnnouncement = store.AnnouncementKind
)

// outboxKinds lists every kind of outbox message. One line per kind.
func (f Features) outboxKinds() map[string]OutboxKind {
	return map[string]OutboxKind{
		// a plain message (MsgID with Args): resend, a duplicate beats a loss
		KindNotify: {ResendInDoubt: true},
		// balance and payments
		KindReceipt:   {Render: f.Money.renderReceipt, ResendInDoubt: true},   // resend: a receipt twice (same number) beats proof of payment lost
		KindStatement: {Render: f.Money.renderStatement, ResendInDoubt: true}, // resend: a statement twice beats a month's charge unannounced
		// announcement: in doubt → failed 'interrupted' and named in the staff report, never resent (the same notice twice to a whole centre is worse than one reported uncertain).
		KindAnnouncement: {Render: f.Announcements.renderAnnouncementMessage, ResendInDoubt: false},
		// appointments: a duplicate beats a missed interview, a lost answer or a lost "bring your RIB".
		store.OutboxAppointmentNotice:   {Render: f.Appointments.renderApptToResident, ResendInDoubt: true}, // booked/moved/cancelled: resend, he must not miss the new time
		store.OutboxAppointmentReminder: {Render: f.Appointments.renderApptToResident, ResendInDoubt: true}, // reminder: resend, a duplicate beats a missed interview
		store.OutboxAppointmentNoAnswer: {Render: f.Appointments.renderApptNoAnswer, ResendInDoubt: true},   // alert to staff: resend
		store.OutboxAppointmentAnswer:   {Render: f.Appointments.renderApptAnswer, ResendInDoubt: true},     // alert to staff: resend, "I cannot come" must reach him
		store.OutboxAppointmentRelay:    {Render: f.Appointments.renderApptRelay, ResendInDoubt: true},      // relayed message: resend, a repeated line beats a lost one
		// chores (written by store/chores.go, rendered in handlers/chores.go)
		store.KindChoreWeek:      {Render: f.Chores.renderChoreWeek, ResendInDoubt: true},      // the week's turns, a reminder: a duplicate beats a missed turn
		store.KindChoreReminder:  {Render: f.Chores.renderChoreReminder, ResendInDoubt: true},  // reminder: a duplicate beats a missed turn
		store.KindChoreOverdue:   {Render: f.Chores.renderChoreOverdue, ResendInDoubt: true},   // alert to staff: a duplicate beats an unseen turn not done
		store.KindChoreSwapAsk:   {Render: f.Chores.renderChoreSwapAsk, ResendInDoubt: true},   // a question: a lost one leaves the asker waiting; a copy's buttons act once
		store.KindChoreSwapStaff: {Render: f.Chores.renderChoreSwapStaff, ResendInDoubt: true}, // alert to staff: a copy's buttons act once (the first decision counts)
		store.KindChoreNotice:    {Render: f.Chores.renderChoreNotice, ResendInDoubt: true},    // a turn given, moved, missed, a swap answered: a lost one can mean a missed turn
		// classes and attendance
		store.KindClassReminder: {Render: f.Classes.renderClassReminder, ResendInDoubt: true},   // reminder: a duplicate beats a missed class
		store.KindClassNotice:   {Render: f.Classes.renderClassNotice, ResendInDoubt: true},     // class cancelled/moved: a duplicate beats a wasted trip or a missed class
		store.KindAbsenceAlert:  {Render: f.Attendance.renderAbsenceAlert, ResendInDoubt: true}, // alert to staff: a duplicate beats a resident's contract at risk unnoticed
		store.KindEnrolNotice:   {Render: f.Classes.renderEnrolNotice, ResendInDoubt: true},     // class group joined/left/hours: a duplicate is harmless, a loss leaves him without his classes
	}
}

// OutboxSendArgs is the job sending one outbox row.
type OutboxSendArgs struct {
	ID int64 `json:"id"`
}

// Kind names the job in River's table.
func (OutboxSendArgs) Kind() string { return "outbox_send" }

// OutboxMaxAttempts and outboxRetryCap keep a message trying through a
// long Telegram outage (about 8 hours) without the growing backoff of
// River's default policy: a reminder queued during an outage leaves within
// a minute of Telegram's return.
const (
	OutboxMaxAttempts = 500
	outboxRetryCap    = time.Minute
)

// NextRetry doubles the wait from 1 s up to outboxRetryCap, with jitter so
// that the messages of one outage do not come back in step.
func (w *OutboxWorker) NextRetry(job *river.Job[OutboxSendArgs]) time.Time {
	d := outboxRetryCap
	if job.Attempt < 7 {
		d = min(time.Second<<job.Attempt, outboxRetryCap)
	}
	d += time.Duration(rand.Int64N(int64(d)/4 + 1))
	return w.h.Clock().Add(d)
}

// OutboxWorker sends outbox rows.
type OutboxWorker struct {
	river.WorkerDefaults[OutboxSendArgs]
	h     *Delivery
	kinds map[string]OutboxKind
}

// Work sends one row, at most once unless its kind prefers a duplicate to a
// loss. The row turns 'sending' only when its pacing token is taken, right
// before the call; the outcome is written after it.
func (w *OutboxWorker) Work(ctx context.Context, job *river.Job[OutboxSendArgs]) error {
	err := w.work(ctx, job)
	var snooze *river.JobSnoozeError
	if err != nil && job.Attempt >= job.MaxAttempts && !errors.As(err, &snooze) {
		// River gives the job up after this: the row must not stay pending
		// for ever (an announcement's report waits for every row).
		w.h.Log.ErrorContext(ctx, "outbox message given up", "id", job.Args.ID, "err", err)
		if ferr := w.h.Outbox.FinishOutbox(context.WithoutCancel(ctx), job.Args.ID, store.OutboxFailed, store.NoteGaveUp, 0, w.h.Clock()); ferr != nil {
			return errors.Join(err, ferr)
		}
	}
	return err
}

func (w *OutboxWorker) work(ctx context.Context, job *river.Job[OutboxSendArgs]) error {
	h := w.h
	m, err := h.Outbox.OutboxByID(ctx, job.Args.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // erased with its recipient
	}
	if err != nil {
		return err
	}
	// The outcome is written even when the job's context ended.
	finish := func(state store.OutboxState, note string, tgID int64) error {
		return h.Outbox.FinishOutbox(context.WithoutCancel(ctx), m.ID, state, note, tgID, h.Clock())
	}
	kind, ok := w.kinds[m.Kind]
	if !ok {
		h.Log.ErrorContext(ctx, "outbox message of an unknown kind", "id", m.ID, "kind", m.Kind)
		return finish(store.OutboxFailed, store.NoteRefused, 0)
	}
	switch m.State {
	case store.OutboxPending:
	case store.OutboxSending:
		// Another send job of the row (one queued twice) may be trying it
		// right now: its outcome comes soon; look again then.
		live, err := h.Outbox.OutboxJobRunning(ctx, job.Kind, m.ID, job.ID)
		if err != nil {
			return err
		}
		if live {
			return river.JobSnooze(time.Second)
		}
		// A live try writes its outcome before its job ends: only a crash
		// (or a job cut by its timeout) leaves a row here.
		if !kind.ResendInDoubt {
			h.Log.WarnContext(ctx, "outbox message left in doubt; reported, not sent again", "id", m.ID, "kind", m.Kind)
			return finish(store.OutboxFailed, store.NoteInterrupted, 0)
		}
		h.Log.WarnContext(ctx, "outbox message left in doubt; sending again, it may arrive twice", "id", m.ID, "kind", m.Kind)
		if err := h.Outbox.ReleaseOutbox(ctx, m.ID, h.Clock()); err != nil {
			return err
		}
	default:
		return nil
	}
	if now := h.Clock(); m.NotBefore.After(now) {
		return river.JobSnooze(m.NotBefore.Sub(now))
	}
	p, ok, err := h.recipient(ctx, m.CentreID, m.PersonID)
	if err != nil {
		return err
	}
	if !ok {
		return finish(store.OutboxUnreachable, store.NoteNoAccount, 0)
	}
	if p.Unreachable {
		// He blocked the bot; Telegram would refuse again until he writes.
		return finish(store.OutboxUnreachable, "", 0)
	}
	loc := h.Catalog.Localizer(p.Language)
	out, err := w.render(ctx, kind, p, loc, m)
	if errors.Is(err, ErrObsolete) {
		return finish(store.OutboxCancelled, store.NoteObsolete, 0)
	}
	if err != nil {
		return fmt.Errorf("handlers: render %s: %w", m.Kind, err)
	}
	// Through the bot of the recipient's centre: its pacing, its chat.
	ctx = WithCentre(ctx, p.CentreID)
	sent, err := h.Bulk.SendBulk(ctx, &tgbot.SendMessageParams{ChatID: *p.TelegramID, Text: out.Text, ReplyMarkup: out.Markup},
		func(ctx context.Context) error { return h.Outbox.ClaimOutbox(ctx, m.ID, h.Clock()) })
	var retryAfter *RetryAfterError
	switch {
	case err == nil:
		return finish(store.OutboxSent, "", int64(sent.ID))
	case errors.Is(err, store.ErrOutboxDone):
		return nil
	case errors.Is(err, ErrUnreachable):
		return finish(store.OutboxUnreachable, "", 0)
	case errors.As(err, &retryAfter):
		if rerr := h.Outbox.ReleaseOutbox(context.WithoutCancel(ctx), m.ID, h.Clock()); rerr != nil {
			return rerr
		}
		return river.JobSnooze(retryAfter.After)
	case errors.Is(err, ErrMaybeSent):
		if !kind.ResendInDoubt {
			h.Log.WarnContext(ctx, "outbox message may have arrived; reported, not sent again", "id", m.ID, "kind", m.Kind)
			return finish(store.OutboxFailed, store.NoteInterrupted, 0)
		}
		h.Log.WarnContext(ctx, "outbox message may have arrived; sending again, it may arrive twice", "id", m.ID, "kind", m.Kind)
	case errors.Is(err, ErrTelegramUnavailable):
	case ctx.Err() != nil:
		// Stopped while waiting for the pacing: nothing was claimed.
		return err
	default:
		// Telegram refused this message for good: trying again cannot help.
		h.Log.ErrorContext(ctx, "outbox message refused", "id", m.ID, "kind", m.Kind, "err", err)
		return finish(store.OutboxFailed, store.NoteRefused, 0)
	}
	// Not delivered (or to be sent again): back to pending, for River to
	// try later with backoff; Work marks it failed after the last attempt.
	if rerr := h.Outbox.ReleaseOutbox(context.WithoutCancel(ctx), m.ID, h.Clock()); rerr != nil {
		return errors.Join(err, rerr)
	}
	return fmt.Errorf("handlers: outbox send: %w", err)
}

func (w *OutboxWorker) render(ctx context.Context, kind OutboxKind, p store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	if kind.Render != nil {
		return kind.Render(ctx, p, loc, m)
	}
	return Outgoing{Text: loc.T(m.MsgID, argsKV(m.Args)...)}, nil
}

// argsKV turns stored variables into the localizer's key-value list.
func argsKV(args map[string]string) []any {
	kv := make([]any, 0, 2*len(args))
	for k, v := range args {
		kv = append(kv, k, v)
	}
	return kv
}
