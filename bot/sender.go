package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/redis/go-redis/v9"

	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
)

// ErrUnreachable means Telegram refused the message with 403: the user
// blocked the bot or deleted his account. He stays unreachable until he
// writes again.
// It is the handlers' sentinel, so that handlers and jobs can test for it.
var ErrUnreachable = handlers.ErrUnreachable

// ErrTelegramUnavailable means Telegram kept failing (5xx, network, 429)
// until the retry budget ran out: nothing was delivered, and the caller
// must keep what it wanted to send (the update stays unconfirmed, the
// outbox row stays pending) rather than drop it.
var ErrTelegramUnavailable = handlers.ErrTelegramUnavailable

// ErrMaybeSent means the request reached Telegram but no answer came back
// (a timeout, a cut connection): the message may have arrived. Whether to
// send it again is the caller's choice — a duplicate reminder beats a
// missed interview, an announcement is reported instead.
var ErrMaybeSent = handlers.ErrMaybeSent

// RetryAfterError: wait After, then try again (Telegram's 429, or the
// pacing's own turn too far off to wait for with a worker in hand).
type RetryAfterError = handlers.RetryAfterError

// Sender is the only code that sends to Telegram. Pacing is shared by every
// bot process through Redis (GCRA):
//   - every chat about ChatPerSecond messages a second, with a short burst;
//   - what the bot sends on its own (outbox, SendBulk) also under a global
//     budget below Telegram's 30/s;
//   - a reply to someone who just wrote takes only his chat's pacing, so it
//     never queues behind a broadcast.
//
// Replies wait retry_after on 429 and back off on 5xx and network errors
// within a budget, then give up with ErrTelegramUnavailable. A 403 marks the
// person unreachable.
type Sender struct {
	tg          *tgbot.Bot
	rdb         redis.UniversalClient
	limiter     *redis_rate.Limiter
	prefix      string
	global      redis_rate.Limit
	perChat     redis_rate.Limit
	unreachable func(ctx context.Context, chatID int64)
	log         *slog.Logger
	// maxAttempts bounds retries of 5xx/network errors; 429 waits are
	// bounded by maxRetryAfterWaits, since Telegram tells us how long.
	maxAttempts        int
	maxRetryAfterWaits int
	baseBackoff        time.Duration
	// maybeSentRetries counts replies sent again after a timeout (possible
	// duplicates), for the logs and the reliability figures.
	maybeSentRetries atomic.Int64
	// observe counts each try to send a message, by path and outcome
	// (the metrics).
	observe func(path, outcome string)
}

// SenderOptions configures a Sender.
type SenderOptions struct {
	// GlobalPerSecond is the budget of bulk sends over all chats.
	GlobalPerSecond int
	// ChatPerSecond is the pace of one chat (Telegram: about 1/s).
	ChatPerSecond int
	// ChatBurst is how many messages a chat may get at once before pacing.
	ChatBurst int
	Prefix    string
	// Unreachable is called when a chat answers 403.
	Unreachable func(ctx context.Context, chatID int64)
	BaseBackoff time.Duration
	// Observe is told of each try to send a message: path "reply" or
	// "outbox", outcome "sent", "429", "5xx", "network", "maybe_sent",
	// "unreachable", "refused", "retried" or "gave_up".
	Observe func(path, outcome string)
}

// chatPaceMargin is added to each chat's pacing period (see NewSender).
const chatPaceMargin = 100 * time.Millisecond

// lateCharge: a message that reached Telegram more than this after the
// pacing counted it (the end of its call against when its update's intake
// reserved it, or the limiter let it go) may have arrived later than
// chatPaceMargin allows for: a slow handler (the first update after a
// start), a new connection, a loaded machine. The next two of a burst then
// leave on its heels, and the pace's fourth, counted from the first's
// reservation, arrived within a second of it (a 429 in staff chats of make
// bench-centres: the conversation's first reply reached Telegram 0.3–0.8 s
// after its update's intake). Such a message is counted again from its
// end (paceLate).
const lateCharge = chatPaceMargin / 2

// NewSender builds the sender over a Telegram client and Redis.
func NewSender(tg *tgbot.Bot, rdb redis.UniversalClient, log *slog.Logger, o SenderOptions) *Sender {
	if o.BaseBackoff == 0 {
		o.BaseBackoff = 500 * time.Millisecond
	}
	if o.ChatPerSecond == 0 {
		o.ChatPerSecond = 1
	}
	if o.Unreachable == nil {
		o.Unreachable = func(context.Context, int64) {}
	}
	if o.Observe == nil {
		o.Observe = func(string, string) {}
	}
	return &Sender{
		tg:      tg,
		rdb:     rdb,
		limiter: redis_rate.NewLimiter(rdb),
		prefix:  o.Prefix,
		// No burst overall: messages are paced evenly, so no one-second
		// window holds more than GlobalPerSecond+1 — under Telegram's 30/s
		// even right after a quiet spell.
		global: redis_rate.Limit{Rate: o.GlobalPerSecond, Burst: 1, Period: time.Second},
		// A burst of a few lets a reply of two or three messages go out at
		// once, as Telegram allows. The period is a little longer than the
		// second Telegram counts in: the pacing decides when a message
		// leaves, Telegram counts when it arrives, and a first message that
		// took a few milliseconds longer on its way than the fourth made
		// four arrive within one second (429s to staff chats in
		// `make bench-centres`).
		perChat:            redis_rate.Limit{Rate: o.ChatPerSecond, Burst: max(o.ChatBurst, 1), Period: time.Second + chatPaceMargin},
		unreachable:        o.Unreachable,
		log:                log,
		maxAttempts:        5,
		maxRetryAfterWaits: 5,
		baseBackoff:        o.BaseBackoff,
		observe:            o.Observe,
	}
}

// MaybeSentRetries is how many replies were sent again after Telegram did
// not answer (each a possible duplicate).
func (s *Sender) MaybeSentRetries() int64 { return s.maybeSentRetries.Load() }

// SendMessage sends a text message.
func (s *Sender) SendMessage(ctx context.Context, p *tgbot.SendMessageParams) (*models.Message, error) {
	var m *models.Message
	err := s.do(ctx, "sendMessage", chatIDOf(p.ChatID), true, func(ctx context.Context) (err error) {
		m, err = s.tg.SendMessage(ctx, p)
		return err
	})
	return m, err
}

// EditMessageText edits a message the bot sent. Edits count against the
// chat's rate like messages do.
func (s *Sender) EditMessageText(ctx context.Context, p *tgbot.EditMessageTextParams) (*models.Message, error) {
	var m *models.Message
	err := s.do(ctx, "editMessageText", chatIDOf(p.ChatID), true, func(ctx context.Context) (err error) {
		m, err = s.tg.EditMessageText(ctx, p)
		return err
	})
	return m, err
}

// EditMessageReplyMarkup changes the buttons of a message the bot sent.
func (s *Sender) EditMessageReplyMarkup(ctx context.Context, p *tgbot.EditMessageReplyMarkupParams) (*models.Message, error) {
	var m *models.Message
	err := s.do(ctx, "editMessageReplyMarkup", chatIDOf(p.ChatID), true, func(ctx context.Context) (err error) {
		m, err = s.tg.EditMessageReplyMarkup(ctx, p)
		return err
	})
	return m, err
}

// SendDocument sends a file.
func (s *Sender) SendDocument(ctx context.Context, p *tgbot.SendDocumentParams) (*models.Message, error) {
	var m *models.Message
	err := s.do(ctx, "sendDocument", chatIDOf(p.ChatID), true, func(ctx context.Context) (err error) {
		if err := rewind(p.Document); err != nil {
			return err
		}
		m, err = s.tg.SendDocument(ctx, p)
		return err
	})
	return m, err
}

// SendPhoto sends a picture (a report's chart), paced like a message.
func (s *Sender) SendPhoto(ctx context.Context, p *tgbot.SendPhotoParams) (*models.Message, error) {
	var m *models.Message
	err := s.do(ctx, "sendPhoto", chatIDOf(p.ChatID), true, func(ctx context.Context) (err error) {
		if err := rewind(p.Photo); err != nil {
			return err
		}
		m, err = s.tg.SendPhoto(ctx, p)
		return err
	})
	return m, err
}

// rewind puts an upload back at its start before each try: a retry after a
// 5xx or a 429 would otherwise send an empty file. An upload that cannot
// seek is sent once only.
func rewind(f models.InputFile) error {
	up, ok := f.(*models.InputFileUpload)
	if !ok {
		return nil
	}
	sk, ok := up.Data.(io.Seeker)
	if !ok {
		return nil
	}
	if _, err := sk.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("bot: rewind upload: %w", err)
	}
	return nil
}

// AnswerCallbackQuery stops the button's spinner. It is not a message, so
// it skips the message rate limiter and goes out at once.
func (s *Sender) AnswerCallbackQuery(ctx context.Context, p *tgbot.AnswerCallbackQueryParams) error {
	return s.do(ctx, "answerCallbackQuery", 0, false, func(ctx context.Context) error {
		_, err := s.tg.AnswerCallbackQuery(ctx, p)
		return err
	})
}

// SetMyCommands sets a command menu.
func (s *Sender) SetMyCommands(ctx context.Context, p *tgbot.SetMyCommandsParams) error {
	return s.do(ctx, "setMyCommands", 0, false, func(ctx context.Context) error {
		_, err := s.tg.SetMyCommands(ctx, p)
		return err
	})
}

func chatIDOf(v any) int64 {
	switch id := v.(type) {
	case int64:
		return id
	case int:
		return int64(id)
	case string:
		n, _ := strconv.ParseInt(id, 10, 64)
		return n
	}
	return 0
}

// jobTurnWait is the longest a job waits in place for a chat's turn,
// holding one of JOB_WORKERS; a turn further off is not taken, and the job
// snoozes until it comes (several outbox messages for one resident beyond
// the chat's burst, or an announcement's report behind its progress
// edits, held a worker a second each). About River's poll interval
// (200 ms), which a snoozed job may lose before it runs again.
const jobTurnWait = 250 * time.Millisecond

// SendBulk sends one message the bot sends on its own (an outbox row). It
// takes the chat's turn (answering *RetryAfterError when it is more than
// jobTurnWait off) and waits for the global budget, then calls claim —
// where the caller marks the message 'sending', so that a crash leaves at
// most the message in hand in doubt, never one still waiting for its turn
// — and makes one try. The caller decides what comes next from the error:
// ErrUnreachable (403, the person is marked), *RetryAfterError (429),
// ErrMaybeSent (no answer: may have arrived), ErrTelegramUnavailable
// (5xx or network: not delivered), or a permanent refusal (400…).
func (s *Sender) SendBulk(ctx context.Context, p *tgbot.SendMessageParams, claim func(context.Context) error) (*models.Message, error) {
	chatID := chatIDOf(p.ChatID)
	wait, err := s.jobTurn(ctx, chatID)
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		return nil, &RetryAfterError{After: wait}
	}
	if err := s.take(ctx, s.prefix+":rate:global", s.global); err != nil {
		return nil, err
	}
	if err := claim(ctx); err != nil {
		return nil, err
	}
	began := time.Now()
	m, err := s.tg.SendMessage(ctx, p)
	s.observe("outbox", sendOutcome(err))
	if err == nil {
		if time.Since(began) > lateCharge {
			s.paceLate(ctx, chatID)
		}
		return m, nil
	}
	switch f, after := classify(err); f {
	case failRetryAfter:
		return nil, &RetryAfterError{After: after}
	case failUnreachable:
		s.unreachable(ctx, chatID)
		return nil, fmt.Errorf("bot: sendMessage: %w", ErrUnreachable)
	case failPermanent:
		return nil, fmt.Errorf("bot: sendMessage: %w", err)
	case failMaybeSent:
		return nil, fmt.Errorf("bot: sendMessage: %w: %w", ErrMaybeSent, err)
	}
	return nil, fmt.Errorf("bot: sendMessage: %w: %w", ErrTelegramUnavailable, err)
}

// do makes a call for a reply (or an administrative call), retrying within
// a budget. paced calls take the chat's pacing only: a reply never waits
// for the global budget of bulk sends.
func (s *Sender) do(ctx context.Context, method string, chatID int64, paced bool, call func(context.Context) error) error {
	failures, waits := 0, 0
	for {
		// When the pace counted this message: at the update's intake for
		// a reserved one, else now.
		counted := time.Now()
		if paced && chatID != 0 {
			if r := useReservedPace(ctx, chatID); r != nil {
				counted = r.at
			} else {
				if err := s.take(ctx, s.chatRateKey(chatID), s.perChat); err != nil {
					return err
				}
				counted = time.Now()
			}
		}
		err := call(ctx)
		message := paced && chatID != 0
		if message {
			s.observe("reply", sendOutcome(err))
		}
		if err == nil {
			if message && time.Since(counted) > lateCharge {
				s.paceLate(ctx, chatID)
			}
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("bot: %s: %w", method, ctx.Err())
		}
		f, after := classify(err)
		switch f {
		case failRetryAfter:
			waits++
			if waits > s.maxRetryAfterWaits {
				if message {
					s.observe("reply", "gave_up")
				}
				return fmt.Errorf("bot: %s: still limited after %d waits: %w: %w", method, waits-1, ErrTelegramUnavailable, err)
			}
			s.log.WarnContext(ctx, "telegram asks to wait", "method", method, "retry_after", after)
			if err := pause(ctx, after); err != nil {
				return fmt.Errorf("bot: %s: %w", method, err)
			}
			continue
		case failUnreachable:
			if chatID != 0 {
				s.unreachable(ctx, chatID)
			}
			return fmt.Errorf("bot: %s: %w", method, ErrUnreachable)
		case failPermanent:
			return fmt.Errorf("bot: %s: %w", method, err)
		case failMaybeSent:
			// The request may have arrived. For an answer to someone who is
			// waiting for it, twice is better than never: send again, and
			// count it.
			s.maybeSentRetries.Add(1)
			if message {
				s.observe("reply", "retried")
			}
			s.log.WarnContext(ctx, "telegram did not answer; trying again, the message may arrive twice", "method", method, "err", err)
		}
		failures++
		if failures >= s.maxAttempts {
			if message {
				s.observe("reply", "gave_up")
			}
			return fmt.Errorf("bot: %s: gave up after %d tries: %w: %w", method, failures, ErrTelegramUnavailable, err)
		}
		// Exponential backoff with jitter, so many senders recovering
		// from one outage do not hit Telegram in step.
		d := s.baseBackoff << (failures - 1)
		d += time.Duration(rand.Int64N(int64(d)/2 + 1))
		s.log.WarnContext(ctx, "telegram call failed, retrying", "method", method, "attempt", failures, "in", d, "err", err)
		if err := pause(ctx, d); err != nil {
			return fmt.Errorf("bot: %s: %w", method, err)
		}
	}
}

type failure int

const (
	failTransient   failure = iota // 5xx, or the request never reached Telegram: not delivered
	failRetryAfter                 // 429: wait, then try again
	failUnreachable                // 403: blocked or deleted
	failPermanent                  // 400, 401, 404, 409, migrated: the same call fails again
	failMaybeSent                  // no answer after the request left: it may have arrived
)

// classify sorts a Telegram client error. go-telegram/bot returns 429 as
// *TooManyRequestsError (no Unwrap: errors.As), 403 as ErrorForbidden, 5xx
// as a plain error, and transport failures wrapped around *url.Error.
func classify(err error) (failure, time.Duration) {
	var tooMany *tgbot.TooManyRequestsError
	var migrate *tgbot.MigrateError
	var uerr *url.Error
	var op *net.OpError
	switch {
	case errors.As(err, &tooMany):
		return failRetryAfter, time.Duration(max(tooMany.RetryAfter, 1)) * time.Second
	case errors.Is(err, tgbot.ErrorForbidden):
		return failUnreachable, 0
	case errors.Is(err, tgbot.ErrorBadRequest), errors.Is(err, tgbot.ErrorUnauthorized),
		errors.Is(err, tgbot.ErrorNotFound), errors.Is(err, tgbot.ErrorConflict), errors.As(err, &migrate):
		return failPermanent, 0
	case errors.As(err, &op) && op.Op == "dial":
		// Never connected: nothing left.
		return failTransient, 0
	case errors.As(err, &uerr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		// Timed out or cut after the request was sent.
		return failMaybeSent, 0
	}
	return failTransient, 0
}

// chatRateKey is the limiter's key of a chat's pacing. A function, so
// that the key can name the bot too once a deployment has several.
func (s *Sender) chatRateKey(chatID int64) string {
	return s.prefix + ":rate:chat:" + strconv.FormatInt(chatID, 10)
}

// limiterKeyPrefix is what redis_rate puts before every key it is given
// (its unexported redisPrefix): a reservation made outside the limiter
// (store.State.TakeUpdate) must write the very key the limiter reads.
const limiterKeyPrefix = "rate:"

// TakeTurn is a job's hold on the next turn of chatID under the chat's
// pace, waited for when it comes within jobTurnWait: the context returned
// carries the turn, which the next message to the chat sent with it uses
// instead of waiting again. A turn further off is not taken, and how far
// off it is comes back instead, for the job to snooze that long (with more
// announcements than workers, their reports' waits held every worker and
// the last progress jobs ran a second late). A job whose message shows a
// live figure reads the figure once it has the turn.
func (s *Sender) TakeTurn(ctx context.Context, chatID int64) (context.Context, time.Duration, error) {
	wait, err := s.jobTurn(ctx, chatID)
	if err != nil || wait > 0 {
		return ctx, wait, err
	}
	return withReservedPace(ctx, &reservedPace{chatID: chatID, reserved: true, at: time.Now()}), 0, nil
}

// jobTurn is a job's take of chatID's next turn (SendBulk, TakeTurn):
// waited for within jobTurnWait, else not taken and how far off it is.
func (s *Sender) jobTurn(ctx context.Context, chatID int64) (time.Duration, error) {
	return s.takeWithin(ctx, s.chatRateKey(chatID), s.perChat, jobTurnWait)
}

// chatPace is a chat's pacing as the limiter keeps it in Redis, for taking
// an update in and reserving its first reply in the same round trip.
func (s *Sender) chatPace(chatID int64) *store.Pace {
	return &store.Pace{Key: limiterKeyPrefix + s.chatRateKey(chatID),
		Rate: s.perChat.Rate, Burst: s.perChat.Burst, Period: s.perChat.Period}
}

// reservedPace is an update's hold on its chat's pacing: whether it
// reserved a message when it was taken in (the first message sent to that
// chat while the update is handled uses it instead of asking the limiter),
// and whether one of its messages to the chat was slow on its way (the
// update's end then counts the chat's pace from there: PaceAtEnd.Late).
type reservedPace struct {
	chatID   int64
	reserved bool
	at       time.Time // when the intake counted the reserved message
	// update: the reservation is an update's, whose end counts the pace
	// again when late; a job's turn (TakeTurn) is counted again at once.
	update bool
	used   atomic.Bool
	late   atomic.Bool
}

type reservedPaceKey struct{}

func withReservedPace(ctx context.Context, r *reservedPace) context.Context {
	return context.WithValue(ctx, reservedPaceKey{}, r)
}

// useReservedPace returns ctx's unused reservation for chatID, now used,
// or nil.
func useReservedPace(ctx context.Context, chatID int64) *reservedPace {
	r, ok := ctx.Value(reservedPaceKey{}).(*reservedPace)
	if ok && r.reserved && r.chatID == chatID && r.used.CompareAndSwap(false, true) {
		return r
	}
	return nil
}

// paceLate notes that a message to chatID was slow on its way. Within an
// update to that chat the update's end counts the pace again, in the round
// trip it makes anyway; otherwise (a job's message) it is done now.
func (s *Sender) paceLate(ctx context.Context, chatID int64) {
	if r, ok := ctx.Value(reservedPaceKey{}).(*reservedPace); ok && r.update && r.chatID == chatID {
		r.late.Store(true)
		return
	}
	if err := store.PaceFromNow(ctx, s.rdb, s.chatPace(chatID)); err != nil {
		// The message is sent; at worst the next ones meet a 429,
		// which is waited out.
		s.log.WarnContext(ctx, "pacing: count a slow message from its end", "err", err)
	}
}

// take waits for the next turn under limit and takes it.
func (s *Sender) take(ctx context.Context, key string, limit redis_rate.Limit) error {
	_, err := s.takeWithin(ctx, key, limit, math.MaxInt64)
	return err
}

// takeWithin takes the next turn under limit, waiting for it when it
// comes within maxWait; a turn further off is not taken, and how far off
// it is comes back.
func (s *Sender) takeWithin(ctx context.Context, key string, limit redis_rate.Limit, maxWait time.Duration) (time.Duration, error) {
	for {
		res, err := s.limiter.Allow(ctx, key, limit)
		if err != nil {
			return 0, fmt.Errorf("bot: rate limiter: %w", err)
		}
		if res.Allowed > 0 {
			return 0, nil
		}
		if res.RetryAfter > maxWait {
			return res.RetryAfter, nil
		}
		if err := pause(ctx, res.RetryAfter); err != nil {
			return 0, err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
