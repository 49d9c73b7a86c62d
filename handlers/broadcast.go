package handlers

import (
	"context"
	"errors"
	"fmt"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/riverqueue/river"

	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// Sending of announcements. An announcement confirmed by staff becomes, in
// one transaction, its row, one outbox message per recipient (kind
// KindAnnouncement) and one AnnounceProgressArgs job (store.CreateAnnouncement).
// The outbox worker renders each message in its reader's language when it
// leaves, behind reminders and receipts, under the global rate; a message
// turns 'sending' only right before its call to Telegram, so a crash leaves
// at most the few in Telegram's hands in doubt, never those still waiting
// for their turn. The progress job edits the staff member's message every
// progressEvery while messages go out, then sends him the report.

// progressEvery is how often the progress message may be edited: once a
// second, Telegram's pace for one chat (the Sender keeps the staff chat to
// it), so that, counted once the chat's turn came, the count shown is
// never much more than a second behind the truth (issue 13 asks for 2 s;
// at 2 s between edits it was 2.7 s behind, docs/BENCHMARKS.md).
const progressEvery = time.Second

// Broadcasts is what the progress job needs from storage.
type Broadcasts interface {
	BroadcastStatus(ctx context.Context, centreID, announcementID int64) (store.BroadcastStatus, error)
	SetProgressShown(ctx context.Context, announcementID int64, done int) error
	ClaimReport(ctx context.Context, announcementID int64, now time.Time) (bool, error)
}

// ChatTurns takes a chat's next turn under its pace when it comes soon:
// the context returned carries the turn, which the next message to that
// chat uses instead of waiting again. A turn further off is not taken;
// how far off it is comes back instead, for the job to snooze that long
// rather than hold a worker.
type ChatTurns interface {
	TakeTurn(ctx context.Context, chatID int64) (context.Context, time.Duration, error)
}

// AnnounceProgressArgs is the durable job that keeps the staff member's
// progress message up to date and sends the final report.
type AnnounceProgressArgs struct {
	CentreID       int64 `json:"centre_id"`
	AnnouncementID int64 `json:"announcement_id"`
}

// Kind names the job in River's table.
func (AnnounceProgressArgs) Kind() string { return "announce_progress" }

// renderAnnouncementMessage renders an outbox message of kind
// KindAnnouncement: the announcement as its reader's language renders it
// now. One that cannot be rendered (a template this version does not
// know, after a rollback) is cancelled and counted as failed.
func (h *Announcements) renderAnnouncementMessage(ctx context.Context, _ store.Person, loc *locales.Localizer, m store.OutboxRow) (Outgoing, error) {
	a, err := h.Announcements.Announcement(ctx, m.CentreID, m.AnnouncementID)
	if errors.Is(err, store.ErrNotFound) {
		return Outgoing{}, ErrObsolete
	}
	if err != nil {
		return Outgoing{}, err
	}
	text, ok := RenderAnnouncement(loc, a)
	if !ok {
		h.Log.ErrorContext(ctx, "announcement cannot be rendered", "announcement", a.ID, "template", a.Template)
		return Outgoing{}, ErrObsolete
	}
	return Outgoing{Text: text}, nil
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

// AnnounceArgs is the job that sent one announcement to one person before
// the outbox. AnnounceWorker keeps the ones still queued at the upgrade
// working; both go once no such job remains.
type AnnounceArgs struct {
	CentreID       int64 `json:"centre_id"`
	AnnouncementID int64 `json:"announcement_id"`
	PersonID       int64 `json:"person_id"`
}

// Kind names the job in River's table.
func (AnnounceArgs) Kind() string { return "announce" }

// AnnounceWorker turns an old AnnounceArgs job into the send job of its
// outbox message, which migration 00013 carried over from the old
// deliveries table under the same key (announcement:<id>:<person>); the
// message is then sent, or not, by the outbox's rules.
type AnnounceWorker struct {
	river.WorkerDefaults[AnnounceArgs]
	h *Announcements
}

// Work queues the send of the carried-over message, once: the job is
// unique by its row, so a retry of this shim never queues a second one.
func (w *AnnounceWorker) Work(ctx context.Context, job *river.Job[AnnounceArgs]) error {
	id, err := w.h.Announcements.AnnouncementOutboxID(ctx, job.Args.AnnouncementID, job.Args.PersonID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // erased with its recipient or its announcement
	}
	if err != nil {
		return err
	}
	_, err = w.h.Jobs.Insert(ctx, OutboxSendArgs{ID: id}, &river.InsertOpts{
		Priority: store.AnnouncementPriority, UniqueOpts: river.UniqueOpts{ByArgs: true}})
	if err != nil {
		return fmt.Errorf("handlers: announcement shim: %w", err)
	}
	return nil
}

// AnnounceProgressWorker runs AnnounceProgressArgs jobs.
type AnnounceProgressWorker struct {
	river.WorkerDefaults[AnnounceProgressArgs]
	h *Announcements
}

// Work edits the progress message when messages moved on and snoozes;
// once every message has an outcome it shows the end and sends the report,
// once. Being one job per announcement, the edits never race each other
// and never come more often than every progressEvery. A message a crash
// left in 'sending' has no outcome until River runs its job again (the
// outbox worker then marks it interrupted): the report waits for it.
//
// The report stays a direct message rather than an outbox row: it answers
// the staff member's own action in his own chat, as a reply to his
// progress message (which an outbox message cannot carry), and
// ClaimReport already makes it leave at most once.
func (w *AnnounceProgressWorker) Work(ctx context.Context, job *river.Job[AnnounceProgressArgs]) error {
	h, a := w.h, job.Args
	// The progress and report go to the staff member through his centre's bot.
	ctx = WithCentre(ctx, a.CentreID)
	st, err := h.Announcements.BroadcastStatus(ctx, a.CentreID, a.AnnouncementID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ann := st.Announcement
	lang := h.DefaultLang
	if author, err := h.Lookup.PersonByID(ctx, a.CentreID, ann.AuthorID); err == nil {
		lang = author.Language
	}
	loc := h.Catalog.Localizer(lang)
	c := st.Counts
	if c.Finished() && st.Reported {
		return nil
	}
	// Shown starts at -1, so the first run always turns the preview into
	// the progress message (and takes its buttons away).
	if c.Done() != st.Shown && ann.ProgressMessageID != 0 {
		// The edit counts against the staff chat's pace (his own messages,
		// the last edit), and what it shows is counted once the turn is in
		// hand: counted before a wait, it was as old as the wait (the first
		// edit, right behind the staff member's confirmation, showed 1 sent
		// when 24 were: 2.0 s behind, docs/BENCHMARKS.md).
		turn, wait, err := h.turn(ctx, ann)
		if err != nil || wait > 0 {
			return snoozeOr(wait, err)
		}
		if !c.Finished() {
			st, err = h.Announcements.BroadcastStatus(turn, a.CentreID, a.AnnouncementID)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			ann, c = st.Announcement, st.Counts
		}
		h.editProgress(turn, loc, ann, c)
		if err := h.Announcements.SetProgressShown(ctx, ann.ID, c.Done()); err != nil {
			return err
		}
	}
	if !c.Finished() {
		return river.JobSnooze(progressEvery)
	}
	// The end is shown; the report takes a turn of its own.
	turn, wait, err := h.turn(ctx, ann)
	if err != nil || wait > 0 {
		return snoozeOr(wait, err)
	}
	// Claimed before sending: if we crash now the report is lost rather
	// than sent twice, the same rule as for the announcement itself.
	claimed, err := h.Announcements.ClaimReport(ctx, ann.ID, h.Clock())
	if err != nil || !claimed {
		return err
	}
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
	_, err = h.Send.SendMessage(turn, params)
	if err != nil && !errors.Is(err, ErrUnreachable) {
		h.Log.WarnContext(ctx, "announcement report not sent", "announcement", ann.ID, "err", err)
	}
	return nil
}

// turn takes the staff chat's next turn when it comes soon; a wait above
// zero is how far off it is, for the job to snooze that long rather than
// hold a worker. When the pacing itself fails (Redis), the
// message goes without a turn in hand and the Sender paces it as any
// other.
func (h *Announcements) turn(ctx context.Context, ann store.Announcement) (context.Context, time.Duration, error) {
	turn, wait, err := h.Turns.TakeTurn(ctx, ann.ProgressChatID)
	if err != nil {
		if ctx.Err() != nil {
			return ctx, 0, err
		}
		h.Log.WarnContext(ctx, "announcement progress: chat's turn not taken", "announcement", ann.ID, "err", err)
		return ctx, 0, nil
	}
	return turn, wait, nil
}

// snoozeOr is err, or else a snooze of wait.
func snoozeOr(wait time.Duration, err error) error {
	if err != nil {
		return err
	}
	return river.JobSnooze(wait)
}

// progressText is the progress message: where the sending stands, then the
// message as the staff member's language renders it.
func progressText(loc *locales.Localizer, ann store.Announcement, c store.BroadcastCounts) string {
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
func (h *Announcements) editProgress(ctx context.Context, loc *locales.Localizer, ann store.Announcement, c store.BroadcastCounts) {
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
