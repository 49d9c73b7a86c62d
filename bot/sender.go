package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/go-redis/redis_rate/v10"
	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/redis/go-redis/v9"

	"github.com/aurore/cairbot/handlers"
)

// ErrUnreachable means Telegram refused the message with 403: the user
// blocked the bot or deleted his account. He stays unreachable until he
// writes again.
// It is the handlers' sentinel, so that handlers and jobs can test for it.
var ErrUnreachable = handlers.ErrUnreachable

// Sender is the only code that sends to Telegram. Every message goes
// through one rate limiter shared by all bot processes (Redis, GCRA):
// about 1 message per second per chat with a short burst, and a global rate
// under Telegram's 30/s. It waits retry_after on 429, backs off and retries
// on 5xx and network errors, and marks the person unreachable on 403.
type Sender struct {
	tg          *tgbot.Bot
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
}

// SenderOptions configures a Sender.
type SenderOptions struct {
	GlobalPerSecond int
	ChatBurst       int
	Prefix          string
	// Unreachable is called when a chat answers 403.
	Unreachable func(ctx context.Context, chatID int64)
	BaseBackoff time.Duration

	// ChatPerSecond is each chat's average rate (1 when 0).
	ChatPerSecond int
}

// NewSender builds the sender over a Telegram client and Redis.
func NewSender(tg *tgbot.Bot, rdb redis.UniversalClient, log *slog.Logger, o SenderOptions) *Sender {
	if o.BaseBackoff == 0 {
		o.BaseBackoff = 500 * time.Millisecond
	}
	if o.Unreachable == nil {
		o.Unreachable = func(context.Context, int64) {}
	}
	if o.ChatPerSecond == 0 {
		o.ChatPerSecond = 1
	}
	return &Sender{
		tg:      tg,
		limiter: redis_rate.NewLimiter(rdb),
		prefix:  o.Prefix,
		// No burst overall: messages are paced evenly, so no one-second
		// window holds more than GlobalPerSecond+1 — under Telegram's 30/s
		// even right after a quiet spell.
		global: redis_rate.Limit{Rate: o.GlobalPerSecond, Burst: 1, Period: time.Second},
		// ChatPerSecond on average; a burst of a few lets a reply of two or
		// three messages go out at once, as Telegram allows.
		perChat:            redis_rate.Limit{Rate: o.ChatPerSecond, Burst: o.ChatBurst, Period: time.Second},
		unreachable:        o.Unreachable,
		log:                log,
		maxAttempts:        5,
		maxRetryAfterWaits: 5,
		baseBackoff:        o.BaseBackoff,
	}
}

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
		m, err = s.tg.SendDocument(ctx, p)
		return err
	})
	return m, err
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

func (s *Sender) do(ctx context.Context, method string, chatID int64, limited bool, call func(context.Context) error) error {
	failures, waits := 0, 0
	for {
		if limited {
			if err := s.wait(ctx, chatID); err != nil {
				return err
			}
		}
		err := call(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("bot: %s: %w", method, ctx.Err())
		}
		var tooMany *tgbot.TooManyRequestsError
		switch {
		case errors.As(err, &tooMany):
			waits++
			if waits > s.maxRetryAfterWaits {
				return fmt.Errorf("bot: %s: still limited after %d waits: %w", method, waits-1, err)
			}
			wait := time.Duration(max(tooMany.RetryAfter, 1)) * time.Second
			s.log.WarnContext(ctx, "telegram asks to wait", "method", method, "retry_after", tooMany.RetryAfter)
			if err := sleep(ctx, wait); err != nil {
				return fmt.Errorf("bot: %s: %w", method, err)
			}
		case errors.Is(err, tgbot.ErrorForbidden):
			if chatID != 0 {
				s.unreachable(ctx, chatID)
			}
			return fmt.Errorf("bot: %s: %w", method, ErrUnreachable)
		case permanent(err):
			return fmt.Errorf("bot: %s: %w", method, err)
		default:
			failures++
			if failures >= s.maxAttempts {
				return fmt.Errorf("bot: %s: gave up after %d tries: %w", method, failures, err)
			}
			// Exponential backoff with jitter, so many senders recovering
			// from one outage do not hit Telegram in step.
			d := s.baseBackoff << (failures - 1)
			d += time.Duration(rand.Int64N(int64(d)/2 + 1))
			s.log.WarnContext(ctx, "telegram call failed, retrying", "method", method, "attempt", failures, "in", d, "err", err)
			if err := sleep(ctx, d); err != nil {
				return fmt.Errorf("bot: %s: %w", method, err)
			}
		}
	}
}

// permanent errors will fail the same way again: retrying only delays the
// chat's other messages.
func permanent(err error) bool {
	var migrate *tgbot.MigrateError
	return errors.Is(err, tgbot.ErrorBadRequest) || errors.Is(err, tgbot.ErrorUnauthorized) ||
		errors.Is(err, tgbot.ErrorNotFound) || errors.Is(err, tgbot.ErrorConflict) || errors.As(err, &migrate)
}

// wait blocks until both the chat's and the global budget allow one more
// message.
func (s *Sender) wait(ctx context.Context, chatID int64) error {
	if chatID != 0 {
		if err := s.take(ctx, s.prefix+":rate:chat:"+strconv.FormatInt(chatID, 10), s.perChat); err != nil {
			return err
		}
	}
	return s.take(ctx, s.prefix+":rate:global", s.global)
}

func (s *Sender) take(ctx context.Context, key string, limit redis_rate.Limit) error {
	for {
		res, err := s.limiter.Allow(ctx, key, limit)
		if err != nil {
			return fmt.Errorf("bot: rate limiter: %w", err)
		}
		if res.Allowed > 0 {
			return nil
		}
		if err := sleep(ctx, res.RetryAfter); err != nil {
			return err
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
