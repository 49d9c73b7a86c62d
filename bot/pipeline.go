package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"

	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// HandlerFunc is one stage of update handling.
type HandlerFunc func(ctx context.Context, r *handlers.Request) error

// Middleware wraps a stage with cross-cutting work, written once.
type Middleware func(next HandlerFunc) HandlerFunc

// chain applies middlewares so that the first listed runs first.
func chain(h HandlerFunc, mws ...Middleware) HandlerFunc {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// ErrRetry wraps a failure that a later re-delivery of the update may not
// meet (Telegram, PostgreSQL or Redis unreachable): the update is left
// unconfirmed so Telegram sends it again.
var ErrRetry = errors.New("bot: temporary failure, retry later")

// retryable reports failures worth a re-delivery: Telegram down beyond the
// Sender's retry budget, or our own infrastructure unreachable.
func retryable(err error) bool {
	return errors.Is(err, ErrTelegramUnavailable) || transient(err)
}

// transient reports infrastructure failures worth a re-delivery.
func transient(err error) bool {
	var netErr net.Error
	var connErr *pgconn.ConnectError
	return errors.As(err, &netErr) || errors.As(err, &connErr) || pgconn.Timeout(err) ||
		errors.Is(err, redis.ErrClosed) || errors.Is(err, redis.ErrPoolTimeout) ||
		errors.Is(err, context.DeadlineExceeded)
}

// newRequest reads what a handler needs from an update. It returns nil for
// update kinds cairbot does not handle.
func newRequest(upd *models.Update, botUsername string, now time.Time) *handlers.Request {
	r := &handlers.Request{Update: upd, Now: now}
	switch {
	case upd.Message != nil:
		m := upd.Message
		if m.From == nil {
			return nil
		}
		r.ChatID, r.UserID, r.From = m.Chat.ID, m.From.ID, m.From
		r.Private = m.Chat.Type == models.ChatTypePrivate
		r.Text = m.Text
		if cmd, ok := ParseCommand(m.Text, m.Entities, botUsername); ok {
			r.Command, r.Args = cmd.Name, cmd.Args
		}
	case upd.CallbackQuery != nil:
		q := upd.CallbackQuery
		r.Callback, r.CallbackData, r.UserID, r.From = q, q.Data, q.From.ID, &q.From
		if q.Message.Message != nil {
			r.ChatID = q.Message.Message.Chat.ID
			r.MessageID = q.Message.Message.ID
			r.Private = q.Message.Message.Chat.Type == models.ChatTypePrivate
		} else {
			return nil
		}
	default:
		return nil
	}
	return r
}

// recoverMW turns a panic into a log line and an apology, so one bad update
// cannot take the bot down for everyone.
func (a *App) recoverMW(next HandlerFunc) HandlerFunc {
	return func(ctx context.Context, r *handlers.Request) (err error) {
		defer func() {
			if p := recover(); p != nil {
				ref := newRef()
				a.log.ErrorContext(ctx, "handler panic", "ref", ref, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				setOutcome(ctx, outcomePanic)
				a.apologize(ctx, r, ref)
				err = nil
			}
		}()
		return next(ctx, r)
	}
}

// logMW logs each update without personal data: no text, no names, no
// Telegram ids — only the update id, its kind, the person's internal id and
// how long it took.
func (a *App) logMW(next HandlerFunc) HandlerFunc {
	return func(ctx context.Context, r *handlers.Request) error {
		start := time.Now()
		err := next(ctx, r)
		attrs := []any{"update_id", r.Update.ID, "kind", kindOf(r), "took", time.Since(start)}
		if r.Person != nil {
			attrs = append(attrs, "person", r.Person.ID, "role", r.Person.Role)
		}
		if r.Command != "" {
			attrs = append(attrs, "command", r.Command)
		}
		if err != nil {
			a.log.WarnContext(ctx, "update failed", append(attrs, "err", err)...)
		} else {
			a.log.DebugContext(ctx, "update handled", attrs...)
		}
		return err
	}
}

func kindOf(r *handlers.Request) string {
	switch {
	case r.Callback != nil:
		return "button"
	case r.Command != "":
		return "command"
	}
	return "text"
}

// identify reads who is writing and picks his language: the update's
// first PostgreSQL query, made before the update is taken in (its
// conversation's key names his centre).
func (a *App) identify(ctx context.Context, r *handlers.Request) error {
	// Only the people of the centre whose bot he wrote to.
	p, err := a.store.PersonByTelegramID(ctx, r.Bot.CentreID, r.UserID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	default:
		r.Person = &p
	}
	r.Loc = a.catalog.Localizer(a.languageOf(r))
	return nil
}

// identifyMW completes what identify read once the update is ours: someone
// Telegram refused our messages to writes again, so he can be reached
// again.
func (a *App) identifyMW(next HandlerFunc) HandlerFunc {
	return func(ctx context.Context, r *handlers.Request) error {
		if r.Person != nil && r.Person.Unreachable {
			if err := a.store.SetUnreachable(ctx, r.Bot.CentreID, r.UserID, false); err != nil {
				return err
			}
			r.Person.Unreachable = false
		}
		return next(ctx, r)
	}
}

// languageOf picks the saved choice, else a supported language of the
// user's Telegram app, else the default.
func (a *App) languageOf(r *handlers.Request) string {
	if r.Person != nil {
		if _, ok := locales.Lookup(r.Person.Language); ok {
			return r.Person.Language
		}
	}
	if r.From != nil {
		if tag, ok := locales.Match(r.From.LanguageCode); ok {
			return tag
		}
	}
	return a.cfg.DefaultLanguage
}

// errorsMW is the one place where errors become messages to the user.
func (a *App) errorsMW(next HandlerFunc) HandlerFunc {
	return func(ctx context.Context, r *handlers.Request) error {
		err := next(ctx, r)
		if err == nil {
			return nil
		}
		var ue *handlers.UserError
		if !retryable(err) {
			setOutcome(ctx, outcomeExplained)
		}
		var refusal *handlers.RoleRefusal
		msgID, known := handlers.MessageOf(err)
		switch {
		case retryable(err):
			// No apology: Telegram is down (it could not be sent either) or
			// our database is; the update is handled again once they are
			// back, and the user gets his real answer then.
			return fmt.Errorf("%w: %w", ErrRetry, err)
		case errors.As(err, &ue):
			var text string
			if ue.Count != nil {
				text = r.Loc.N(ue.MsgID, *ue.Count, ue.Args...)
			} else {
				text = r.Loc.T(ue.MsgID, ue.Args...)
			}
			return a.explain(ctx, r, text)
		case errors.As(err, &refusal):
			return a.explain(ctx, r, handlers.RefusalText(r.Loc, refusal.Need, refusal.Action))
		case known:
			// The one table of known errors: handlers/errors.go.
			return a.explain(ctx, r, r.Loc.T(msgID))
		case errors.Is(err, ErrUnreachable):
			// Our answer could not be delivered; nothing more to do.
			return nil
		}
		ref := newRef()
		setOutcome(ctx, outcomeError)
		a.log.ErrorContext(ctx, "update error", "ref", ref, "update_id", r.Update.ID, "err", err)
		a.apologize(ctx, r, ref)
		return nil
	}
}

func (a *App) say(ctx context.Context, r *handlers.Request, text string) error {
	_, err := a.sender.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: r.ChatID, Text: text})
	if err != nil && !errors.Is(err, ErrUnreachable) {
		return fmt.Errorf("bot: answer error: %w", err)
	}
	return nil
}

// explain sends the message that explains a known error. When Telegram is
// down the update is handled again later; any other failure to send it is
// only logged, since a re-delivery would fail the same way — and in polling
// mode would hold every later update for nothing.
func (a *App) explain(ctx context.Context, r *handlers.Request, text string) error {
	err := a.say(ctx, r, text)
	switch {
	case err == nil:
		return nil
	case retryable(err):
		return fmt.Errorf("%w: %w", ErrRetry, err)
	}
	a.log.WarnContext(ctx, "error message not sent", "update_id", r.Update.ID, "err", err)
	return nil
}

func (a *App) apologize(ctx context.Context, r *handlers.Request, ref string) {
	loc := r.Loc
	if loc == nil {
		loc = a.catalog.Localizer(a.languageOf(r))
	}
	if r.ChatID == 0 {
		return
	}
	if err := a.say(ctx, r, loc.T("error.generic", "Ref", ref)); err != nil {
		a.log.WarnContext(ctx, "apology not sent", "ref", ref, "err", err)
	}
}

// newRef is a short id joining the apology a user sees to the log line.
func newRef() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// route finds the handler, checks the role on the server, answers a
// button's spinner at once, and runs the handler.
func (a *App) route(ctx context.Context, r *handlers.Request) error {
	setTripPhase(ctx, phaseHandle)
	if !r.Private {
		// Personal data only in one-to-one chats: in a group the bot only
		// points to the private chat, and only when spoken to.
		if r.Command != "" {
			return a.say(ctx, r, r.Loc.T("error.private_only"))
		}
		if r.Callback != nil {
			return a.answerCallback(ctx, r, r.Loc.T("error.private_only"))
		}
		return nil
	}
	m := a.router.Match(r)
	if r.Callback != nil {
		if !m.found {
			return a.answerCallback(ctx, r, r.Loc.T("error.stale_button"))
		}
		if r.Person == nil {
			return a.answerCallback(ctx, r, r.Loc.T("error.not_registered"))
		}
		if !allowed(r.Person.Role, m.route.Role) {
			a.log.WarnContext(ctx, "forbidden button", "person", r.Person.ID, "prefix", m.route.Callback)
			return a.answerCallback(ctx, r, handlers.RefusalText(r.Loc, m.route.Role, m.route.Describe))
		}
		// The spinner's answer and the handler go side by side: the
		// handler's own call to Telegram (the edit a staff member waits
		// for) need not wait a round trip behind it. The update is done
		// only once both are, so nothing outlives it.
		answered := make(chan struct{})
		go func() {
			defer close(answered)
			_ = a.answerCallback(ctx, r, "")
		}()
		err := m.route.Handler(ctx, r)
		<-answered
		return err
	}
	if !m.found {
		m = match{route: Route{Role: public, Handler: a.fallbackFor(r)}, found: true}
	}
	if m.route.Role != public {
		if r.Person == nil {
			return a.say(ctx, r, r.Loc.T("start.unknown"))
		}
		if !allowed(r.Person.Role, m.route.Role) {
			a.log.WarnContext(ctx, "forbidden", "person", r.Person.ID, "command", r.Command)
			return handlers.Forbidden(m.route.Role, m.route.Describe)
		}
	}
	if m.resets && r.Conv != nil && r.Command != "cancel" {
		if err := a.state.ClearConversation(ctx, r.CentreID(), r.ChatID, r.UserID); err != nil {
			return err
		}
		r.Conv = nil
	}
	return m.route.Handler(ctx, r)
}

func (a *App) fallbackFor(r *handlers.Request) handlers.Handler {
	if r.Person == nil {
		return a.features.People.TextFromStranger
	}
	return a.features.People.NotUnderstood
}

func (a *App) answerCallback(ctx context.Context, r *handlers.Request, text string) error {
	err := a.sender.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{
		CallbackQueryID: r.Callback.ID, Text: text, ShowAlert: text != "",
	})
	if err != nil {
		// A late answer fails with 400; the update itself is still handled.
		a.log.WarnContext(ctx, "answer callback", "err", err)
	}
	return nil
}

// handleUpdate runs one update through dedupe and the middlewares. It
// returns an error only when the update should be delivered again.
func (a *App) handleUpdate(ctx context.Context, upd *models.Update, takeOver bool) (err error) {
	start := time.Now()
	// The bot it came in on: its centre, its dedupe keys, its Sender.
	b := a.botOf(ctx)
	ctx = handlers.WithCentre(ctx, b.centre.ID)
	r := newRequest(upd, b.username, a.clock())
	kind, outcome := "other", outcomeIgnored
	if r != nil {
		r.Bot = handlers.Bot{CentreID: b.centre.ID, Centre: b.centre.Slug, Username: b.username}
		kind, outcome = kindOf(r), outcomeHandled
		ctx = context.WithValue(ctx, outcomeKey{}, &outcome)
	}
	trips := &tripCounter{}
	ctx = withTripCounter(ctx, trips)
	defer func() {
		if err != nil {
			outcome = outcomeRetry
		}
		a.metrics.update(kind, outcome, time.Since(start))
		a.metrics.updateCost(trips.cost(upd.ID, kind))
	}()
	in := store.UpdateIntake{UpdateID: upd.ID, Owner: a.instance, TakeOver: takeOver}
	if r != nil {
		// Who is writing is read before the claim, since his
		// conversation's key names his centre: the claim, the
		// conversation and the chat's pacing then take one round trip to
		// Redis. Reading changes nothing, so a duplicate read costs one
		// query and no harm.
		if err := a.identify(ctx, r); err != nil {
			a.log.WarnContext(ctx, "update failed", "update_id", upd.ID, "kind", kind, "err", err)
			return fmt.Errorf("%w: %w", ErrRetry, err)
		}
		in.Conversation = &store.ConversationRef{CentreID: r.CentreID(), ChatID: r.ChatID, UserID: r.UserID}
		in.Pace = b.sender.chatPace(r.ChatID)
	}
	intakeAt := time.Now() // no later than the reservation, if any
	taken, err := b.state.TakeUpdate(ctx, in)
	switch {
	case errors.Is(err, store.ErrDuplicateUpdate):
		a.log.DebugContext(ctx, "duplicate update", "update_id", upd.ID)
		outcome = outcomeDuplicate
		return nil
	case errors.Is(err, store.ErrUpdateInProgress):
		return fmt.Errorf("%w: %w", ErrRetry, err)
	case err != nil:
		return fmt.Errorf("%w: %w", ErrRetry, err)
	}
	var reserved *reservedPace
	if in.Pace != nil {
		reserved = &reservedPace{chatID: r.ChatID, reserved: taken.Paced, at: intakeAt, update: true}
		ctx = withReservedPace(ctx, reserved)
	}
	if r != nil {
		r.Conv = taken.Conv
		stop := a.keepLease(ctx, b.state, upd.ID)
		err = a.pipeline(ctx, r)
		stop()
	}
	setTripPhase(ctx, phaseFinish)
	// A reply that never came (a button answered with a notice only)
	// gives its reservation back, and a slow message has the chat's pace
	// counted from now, in the same round trip.
	var pace store.PaceAtEnd
	if reserved != nil {
		pace = store.PaceAtEnd{Pace: in.Pace, GiveBack: reserved.reserved && !reserved.used.Load(), Late: reserved.late.Load()}
	}
	if err != nil {
		if !errors.Is(err, ErrRetry) {
			// identifyMW or the errors stage failed on the infrastructure.
			err = fmt.Errorf("%w: %w", ErrRetry, err)
		}
		if rerr := b.state.EndUpdate(ctx, upd.ID, a.instance, false, pace); rerr != nil {
			a.log.WarnContext(ctx, "release update", "err", rerr)
		}
		return err
	}
	return b.state.EndUpdate(ctx, upd.ID, a.instance, true, pace)
}

// outcomeKey carries, in an update's context, where the middlewares write
// what became of it (the update metrics' outcome label).
type outcomeKey struct{}

// setOutcome records what became of the update being handled.
func setOutcome(ctx context.Context, outcome string) {
	if o, ok := ctx.Value(outcomeKey{}).(*string); ok {
		*o = outcome
	}
}

// keepLease renews the update's lease every third of it while the update
// is handled: a handler waiting on Telegram's retries or the database keeps
// the update, while a process that dies stops renewing, and another one (or
// its restart) takes the update over within one lease. A timer, not a
// goroutine, waits for each renewal: nearly every update is done before
// the first, and the timer then costs far less than a goroutine started,
// scheduled and stopped for each update.
//
// The returned stop waits until no renewal is in flight, so a late renewal
// cannot bring back a lease that FinishUpdate or ReleaseUpdate ends next.
func (a *App) keepLease(ctx context.Context, st *store.State, updateID int64) (stop func()) {
	every := st.UpdateLease() / 3
	// mu is held by a renewal from start to end, and by stop.
	var mu sync.Mutex
	var t *time.Timer
	stopped := false
	renew := func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		err := st.RenewUpdate(ctx, updateID, a.instance)
		switch {
		case errors.Is(err, store.ErrLeaseLost):
			// It lapsed (Redis or this process stalled) and another
			// process took the update: both may answer it now.
			a.log.WarnContext(ctx, "update lease lost to another process", "update_id", updateID)
			return
		case err != nil:
			a.log.WarnContext(ctx, "update lease not renewed", "update_id", updateID, "err", err)
		}
		t.Reset(every)
	}
	mu.Lock()
	t = time.AfterFunc(every, renew)
	mu.Unlock()
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		t.Stop()
	}
}
