package handlers

import (
	"context"
	"errors"
	"fmt"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// Delivery of announcements. An announcement confirmed by staff becomes, in
// one transaction, its row, one 'pending' delivery row per recipient, one
// AnnounceArgs job per recipient (unique per announcement and recipient)
// and one AnnounceProgressArgs job. Each delivery job renders the message in
// the recipient's language at send time and sends it through the one
// Sender, which keeps every process under the global rate (SEND_RATE_GLOBAL)
// and one message a second per chat, waits on 429 and reports 403. The
// progress job edits the staff member's message every progressEvery while
// deliveries go on, then sends the final report.

// progressEvery is how often the progress message may be edited: often
// enough to see it move, rarely enough to keep the staff chat's rate.
const progressEvery = 2 * time.Second

// deliveryAttempts bounds the tries of one delivery after Telegram kept
// answering errors (each try is itself retried by the Sender).
const deliveryAttempts = 4

// sendingStaleAfter is how long a delivery may stay in 'sending' before
// the progress job counts it as interrupted: far beyond the job timeout
// (2 min, bot/jobs.go) after which a live worker has written its outcome,
// so only a crashed process leaves a row that old.
const sendingStaleAfter = 5 * time.Minute

// deliveryPriority puts deliveries behind other jobs (reminders, receipts)
// and behind the progress job, so a big broadcast delays neither.
const deliveryPriority = 2

// Broadcasts is what the delivery jobs need from storage.
type Broadcasts interface {
	ClaimDelivery(ctx context.Context, centreID, announcementID, personID int64, now time.Time) (store.Announcement, store.Person, error)
	FinishDelivery(ctx context.Context, announcementID, personID int64, state store.DeliveryState, note string, now time.Time) error
	ReleaseDelivery(ctx context.Context, announcementID, personID int64, now time.Time) error
	ExpireSending(ctx context.Context, announcementID int64, staleAfter time.Duration, now time.Time) (int, error)
	BroadcastStatus(ctx context.Context, centreID, announcementID int64) (store.BroadcastStatus, error)
	SetProgressShown(ctx context.Context, announcementID int64, done int) error
	ClaimReport(ctx context.Context, announcementID int64, now time.Time) (bool, error)
}

// AnnounceArgs is the durable job delivering one announcement to one
// person. Only ids travel in the job: the text stays in the announcement.
type AnnounceArgs struct {
	CentreID       int64 `json:"centre_id"`
	AnnouncementID int64 `json:"announcement_id"`
	PersonID       int64 `json:"person_id"`
}

// Kind names the job in River's table.
func (AnnounceArgs) Kind() string { return "announce" }

// AnnounceProgressArgs is the durable job that keeps the staff member's
// progress message up to date and sends the final report.
type AnnounceProgressArgs struct {
	CentreID       int64 `json:"centre_id"`
	AnnouncementID int64 `json:"announcement_id"`
}

// Kind names the job in River's table.
func (AnnounceProgressArgs) Kind() string { return "announce_progress" }

// bulkInserter is River's client inserting many jobs in one round trip.
type bulkInserter interface {
	InsertManyTx(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// enqueueAnnouncement inserts the jobs of a new announcement inside the
// transaction that creates it.
func (h *Handlers) enqueueAnnouncement(ctx context.Context, tx pgx.Tx, a store.Announcement, recipients []int64) error {
	unique := river.UniqueOpts{ByArgs: true}
	params := make([]river.InsertManyParams, 0, len(recipients)+1)
	params = append(params, river.InsertManyParams{
		Args:       AnnounceProgressArgs{CentreID: a.CentreID, AnnouncementID: a.ID},
		InsertOpts: &river.InsertOpts{UniqueOpts: unique},
	})
	for _, id := range recipients {
		params = append(params, river.InsertManyParams{
			Args:       AnnounceArgs{CentreID: a.CentreID, AnnouncementID: a.ID, PersonID: id},
			InsertOpts: &river.InsertOpts{UniqueOpts: unique, MaxAttempts: deliveryAttempts, Priority: deliveryPriority},
		})
	}
	if bulk, ok := h.Jobs.(bulkInserter); ok {
		if _, err := bulk.InsertManyTx(ctx, tx, params); err != nil {
			return fmt.Errorf("handlers: enqueue announcement: %w", err)
		}
		return nil
	}
	for _, p := range params {
		if _, err := h.Jobs.InsertTx(ctx, tx, p.Args, p.InsertOpts); err != nil {
			return fmt.Errorf("handlers: enqueue announcement: %w", err)
		}
	}
	return nil
}

// RenderAnnouncement is the text a reader of loc's language gets: a
// template rendered in his language with his dates and times, or the free
// text's version in his language, else the original. ok is false for a
// template this version of cairbot does not know.
func RenderAnnouncement(loc *locales.Localizer, a store.Announcement) (string, bool) {
	if a.Template == "" {
		return a.BodyFor(loc.Tag), a.Body != ""
	}
	return renderTemplate(loc, a.Template, a.Params)
}

// AnnounceWorker delivers AnnounceArgs jobs.
type AnnounceWorker struct {
	river.WorkerDefaults[AnnounceArgs]
	h *Handlers
}

// Work sends the announcement to one person, at most once. The delivery
// row is claimed ('sending') and committed before the send, and the
// outcome written after it; a row that already left 'pending' is never
// sent again (see store.ClaimDelivery for the row a crash leaves in
// 'sending').
func (w *AnnounceWorker) Work(ctx context.Context, job *river.Job[AnnounceArgs]) error {
	h, a := w.h, job.Args
	ann, p, err := h.Announcements.ClaimDelivery(ctx, a.CentreID, a.AnnouncementID, a.PersonID, h.Clock())
	switch {
	case errors.Is(err, store.ErrDeliveryDone), errors.Is(err, store.ErrDeliveryInterrupted), errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	finish := func(state store.DeliveryState, note string) error {
		// The outcome must be written even when the job's context ended.
		return h.Announcements.FinishDelivery(context.WithoutCancel(ctx), a.AnnouncementID, a.PersonID, state, note, h.Clock())
	}
	if p.TelegramID == nil || p.Status == store.StatusLeft {
		return finish(store.DeliveryUnreachable, store.NoteNoAccount)
	}
	text, ok := RenderAnnouncement(h.Catalog.Localizer(p.Language), ann)
	if !ok {
		h.Log.ErrorContext(ctx, "announcement cannot be rendered", "announcement", ann.ID, "template", ann.Template)
		return finish(store.DeliveryFailed, store.NoteRefused)
	}
	_, err = h.Send.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: *p.TelegramID, Text: text})
	switch {
	case err == nil:
		return finish(store.DeliverySent, "")
	case errors.Is(err, ErrUnreachable):
		// The Sender already marked the person unreachable.
		return finish(store.DeliveryUnreachable, "")
	case errors.Is(err, tgbot.ErrorBadRequest):
		// Telegram refused this message for good: trying again cannot help.
		return finish(store.DeliveryFailed, store.NoteRefused)
	case ctx.Err() != nil:
		// Cut while the request may have been in flight: as after a crash,
		// it may have arrived, so it is not tried again.
		return finish(store.DeliveryFailed, store.NoteInterrupted)
	case job.Attempt >= job.MaxAttempts:
		h.Log.WarnContext(ctx, "announcement delivery gave up", "announcement", a.AnnouncementID, "person", a.PersonID, "err", err)
		return finish(store.DeliveryFailed, store.NoteGaveUp)
	}
	// Telegram answered with errors until the Sender gave up (5xx, still
	// 429): the Sender treats these as "not delivered" and retries them, and
	// so do we, later, through River's backoff.
	if rerr := h.Announcements.ReleaseDelivery(ctx, a.AnnouncementID, a.PersonID, h.Clock()); rerr != nil {
		return errors.Join(err, rerr)
	}
	return fmt.Errorf("handlers: announcement delivery: %w", err)
}

// AnnounceProgressWorker runs AnnounceProgressArgs jobs.
type AnnounceProgressWorker struct {
	river.WorkerDefaults[AnnounceProgressArgs]
	h *Handlers
}

// Work edits the progress message when deliveries moved on and snoozes;
// once every delivery has an outcome it shows the end and sends the
// report, once. Being one job per announcement, the edits never race each
// other and never come more often than every progressEvery.
func (w *AnnounceProgressWorker) Work(ctx context.Context, job *river.Job[AnnounceProgressArgs]) error {
	h, a := w.h, job.Args
	st, err := h.Announcements.BroadcastStatus(ctx, a.CentreID, a.AnnouncementID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Counts.Sending > 0 {
		n, err := h.Announcements.ExpireSending(ctx, a.AnnouncementID, sendingStaleAfter, h.Clock())
		if err != nil {
			return err
		}
		if n > 0 {
			h.Log.WarnContext(ctx, "announcement deliveries interrupted by a crash", "announcement", a.AnnouncementID, "count", n)
			return river.JobSnooze(0)
		}
	}
	ann := st.Announcement
	lang := h.DefaultLang
	if author, err := h.Lookup.PersonByID(ctx, a.CentreID, ann.AuthorID); err == nil {
		lang = author.Language
	}
	loc := h.Catalog.Localizer(lang)
	c := st.Counts
	if !c.Finished() {
		// Shown starts at -1, so the first run always turns the preview
		// into the progress message (and takes its buttons away).
		if c.Done() != st.Shown {
			h.editProgress(ctx, loc, ann, c)
			if err := h.Announcements.SetProgressShown(ctx, ann.ID, c.Done()); err != nil {
				return err
			}
		}
		return river.JobSnooze(progressEvery)
	}
	// Claimed before sending: if we crash now the report is lost rather
	// than sent twice, the same rule as for deliveries.
	claimed, err := h.Announcements.ClaimReport(ctx, ann.ID, h.Clock())
	if err != nil || !claimed {
		return err
	}
	h.editProgress(ctx, loc, ann, c)
	report := loc.T("announce.report",
		"Sent", loc.F.Number(int64(c.Sent)),
		"Unreachable", loc.F.Number(int64(c.Unreachable)),
		"Failed", loc.F.Number(int64(c.Failed)))
	if c.Interrupted > 0 {
		report += "\n" + loc.N("announce.report_interrupted", c.Interrupted)
	}
	params := &tgbot.SendMessageParams{ChatID: ann.ProgressChatID, Text: report}
	if ann.ProgressMessageID != 0 {
		params.ReplyParameters = &models.ReplyParameters{MessageID: ann.ProgressMessageID, AllowSendingWithoutReply: true}
	}
	_, err = h.Send.SendMessage(ctx, params)
	if err != nil && !errors.Is(err, ErrUnreachable) {
		h.Log.WarnContext(ctx, "announcement report not sent", "announcement", ann.ID, "err", err)
	}
	return nil
}

// progressText is the progress message: where the sending stands, then the
// message as the staff member's language renders it.
func progressText(loc *locales.Localizer, ann store.Announcement, c store.DeliveryCounts) string {
	id := "announce.progress"
	if c.Finished() {
		id = "announce.progress_done"
	}
	status := loc.T(id, "Done", loc.F.Number(int64(c.Done())), "Total", loc.F.Number(int64(c.Total())))
	text, _ := RenderAnnouncement(loc, ann)
	return status + "\n\n" + text
}

// editProgress edits the progress message. A failure (message deleted by
// the staff member, chat blocked) only loses the display: it is logged.
func (h *Handlers) editProgress(ctx context.Context, loc *locales.Localizer, ann store.Announcement, c store.DeliveryCounts) {
	if ann.ProgressMessageID == 0 {
		return
	}
	_, err := h.Send.EditMessageText(ctx, &tgbot.EditMessageTextParams{
		ChatID: ann.ProgressChatID, MessageID: ann.ProgressMessageID, Text: progressText(loc, ann, c),
	})
	if err != nil {
		h.Log.WarnContext(ctx, "announcement progress not edited", "announcement", ann.ID, "err", err)
	}
}
