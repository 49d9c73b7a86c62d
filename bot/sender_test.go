package bot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/store/storetest"
)

func newTestSender(t *testing.T, global, burst int) (*Sender, *telegramtest.Server, *[]int64) {
	t.Helper()
	srv := telegramtest.New(t, telegramtest.Options{})
	tg, err := tgbot.New(srv.Token(), tgbot.WithServerURL(srv.URL()), tgbot.WithSkipGetMe())
	if err != nil {
		t.Fatal(err)
	}
	rdb, prefix := storetest.NewRedis(t)
	var mu sync.Mutex
	var unreachable []int64
	s := NewSender(tg, rdb, slog.New(slog.NewTextHandler(io.Discard, nil)), SenderOptions{
		GlobalPerSecond: global, ChatBurst: burst, Prefix: prefix, BaseBackoff: 20 * time.Millisecond,
		Unreachable: func(_ context.Context, id int64) { mu.Lock(); unreachable = append(unreachable, id); mu.Unlock() },
	})
	return s, srv, &unreachable
}

func TestSenderKeepsOneChatUnderOneMessagePerSecond(t *testing.T) {
	t.Parallel()
	s, srv, _ := newTestSender(t, 25, 2)
	srv.AddChat(42)
	start := time.Now()
	for i := 0; i < 5; i++ {
		if _, err := s.SendMessage(context.Background(), &tgbot.SendMessageParams{ChatID: int64(42), Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	times := srv.SendTimes(42)
	if len(times) != 5 {
		t.Fatalf("sent %d, want 5", len(times))
	}
	// A burst of 2, then one per second: the 5th message cannot leave
	// before 3 seconds after the first was asked for. A lower bound from
	// before the first call: a loaded machine that is slow to record the
	// first arrival cannot make this fail.
	if gap := times[4].Sub(start); gap < 2900*time.Millisecond {
		t.Fatalf("5 messages to one chat in %v; want ≥ 3s with a burst of 2", gap)
	}
}

// slowFirst delays the first request it carries: a message that took
// longer on its way to Telegram than the ones after it.
type slowFirst struct {
	once  sync.Once
	delay time.Duration
}

func (s *slowFirst) RoundTrip(req *http.Request) (*http.Response, error) {
	s.once.Do(func() { time.Sleep(s.delay) })
	return http.DefaultTransport.RoundTrip(req)
}

// TestChatPacingAllowsForTheWayToTelegram: Telegram counts a chat's
// messages as they arrive, the pacing when they leave. A first message
// slower on its way than the next ones (a new connection, a loaded
// machine), then two on its heels, then the pace's fourth: four would
// arrive within one second of Telegram's (a 429, as make bench-centres saw
// in staff chats). A few milliseconds late are covered by the period's
// margin, a longer delay by counting that message from its end.
func TestChatPacingAllowsForTheWayToTelegram(t *testing.T) {
	t.Parallel()
	for _, late := range []time.Duration{30 * time.Millisecond, 300 * time.Millisecond} {
		t.Run(late.String(), func(t *testing.T) {
			t.Parallel()
			srv := telegramtest.New(t, telegramtest.Options{Limits: true})
			tg, err := tgbot.New(srv.Token(), tgbot.WithServerURL(srv.URL()), tgbot.WithSkipGetMe(),
				tgbot.WithHTTPClient(time.Minute, &http.Client{Transport: &slowFirst{delay: late}}))
			if err != nil {
				t.Fatal(err)
			}
			rdb, prefix := storetest.NewRedis(t)
			s := NewSender(tg, rdb, slog.New(slog.NewTextHandler(io.Discard, nil)), SenderOptions{
				GlobalPerSecond: 25, ChatBurst: 3, Prefix: prefix, BaseBackoff: 20 * time.Millisecond,
			})
			srv.AddChat(43)
			for range 4 { // one after the other, as the replies of a conversation
				if _, err := s.SendMessage(context.Background(), &tgbot.SendMessageParams{ChatID: int64(43), Text: "x"}); err != nil {
					t.Fatal(err)
				}
			}
			times := srv.SendTimes(43)
			if srv.Limited() != 0 || len(times) != 4 {
				t.Fatalf("%d refused with 429, %d delivered; want 0 and 4", srv.Limited(), len(times))
			}
			if gap := times[3].Sub(times[0]); gap < time.Second {
				t.Fatalf("four messages within %v of Telegram's time", gap)
			}
		})
	}
}

func TestSenderKeepsUnderGlobalRate(t *testing.T) {
	t.Parallel()
	s, srv, _ := newTestSender(t, 10, 3)
	var wg sync.WaitGroup
	for i := int64(1); i <= 30; i++ {
		srv.AddChat(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Bulk sends (the outbox) share the global budget; replies do not.
			if _, err := s.SendBulk(context.Background(), &tgbot.SendMessageParams{ChatID: i, Text: "x"},
				func(context.Context) error { return nil }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var first, last time.Time
	for i := int64(1); i <= 30; i++ {
		for _, at := range srv.SendTimes(i) {
			if first.IsZero() || at.Before(first) {
				first = at
			}
			if at.After(last) {
				last = at
			}
		}
	}
	// 10/s paced evenly: 30 messages need at least 2.9 seconds.
	if gap := last.Sub(first); gap < 2800*time.Millisecond {
		t.Fatalf("30 messages over all chats in %v; want ≥ 2.9s at 10/s", gap)
	}
}

func TestSenderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		code      int
		times     int
		wantCalls int
		wantErr   error
		unreach   bool
	}{
		{"429 waits retry_after then delivers", 429, 1, 2, nil, false},
		{"5xx retried with backoff", 502, 3, 4, nil, false},
		{"5xx gives up after 5 tries", 500, 10, 5, errAny, false},
		{"403 marks unreachable, no retry", 403, 1, 1, ErrUnreachable, true},
		{"400 is not retried", 400, 1, 1, tgbot.ErrorBadRequest, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, srv, unreachable := newTestSender(t, 25, 3)
			chat := int64(100 + i)
			srv.AddChat(chat)
			srv.FailNext("sendMessage", chat, tt.code, 1, tt.times)
			_, err := s.SendMessage(context.Background(), &tgbot.SendMessageParams{ChatID: chat, Text: "x"})
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr == errAny && err == nil:
				t.Fatal("no error")
			case tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got := len(srv.CallsTo("sendMessage")); got != tt.wantCalls {
				t.Fatalf("calls = %d, want %d", got, tt.wantCalls)
			}
			if tt.unreach != (len(*unreachable) == 1) {
				t.Fatalf("unreachable = %v", *unreachable)
			}
		})
	}
}

var errAny = errors.New("any error")

// A send slower than the client's timeout may have arrived: a reply is
// sent again (twice beats never for someone waiting) and counted; a bulk
// send reports ErrMaybeSent so its outbox kind decides.
func TestSendThatTimedOut(t *testing.T) {
	t.Parallel()
	srv := telegramtest.New(t, telegramtest.Options{})
	// The timeout leaves an ordinary call a full second, so that a loaded
	// machine does not turn the retry itself into a second timeout.
	client := &http.Client{Timeout: time.Second}
	tg, err := tgbot.New(srv.Token(), tgbot.WithServerURL(srv.URL()), tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(time.Second, client))
	if err != nil {
		t.Fatal(err)
	}
	rdb, prefix := storetest.NewRedis(t)
	m := NewMetrics()
	s := NewSender(tg, rdb, slog.New(slog.NewTextHandler(io.Discard, nil)), SenderOptions{
		GlobalPerSecond: 25, ChatPerSecond: 50, ChatBurst: 5, Prefix: prefix, BaseBackoff: 10 * time.Millisecond,
		Observe: m.message,
	})
	srv.AddChat(71)
	srv.SlowNext("sendMessage", 71, 2*time.Second, 1)
	if _, err := s.SendMessage(context.Background(), &tgbot.SendMessageParams{ChatID: int64(71), Text: "reply"}); err != nil {
		t.Fatalf("reply: %v", err)
	}
	srv.WaitFor(t, 5*time.Second, "late reply stored", func() bool { return len(srv.Messages(71)) >= 2 })
	if got := len(srv.Messages(71)); got != 2 {
		t.Fatalf("reply arrived %d times, want 2 (once late, once retried)", got)
	}
	if got := s.MaybeSentRetries(); got != 1 {
		t.Fatalf("retries after a timeout counted %d, want 1", got)
	}
	// The same, as /metrics shows it: one try without an answer, resent,
	// then sent.
	for outcome, want := range map[string]float64{"maybe_sent": 1, "retried": 1, "sent": 1} {
		if got := testutil.ToFloat64(m.messages.WithLabelValues("reply", outcome)); got != want {
			t.Errorf("cairbot_messages_total{path=reply,outcome=%s} = %v, want %v", outcome, got, want)
		}
	}
	srv.AddChat(72)
	srv.SlowNext("sendMessage", 72, 2*time.Second, 1)
	_, err = s.SendBulk(context.Background(), &tgbot.SendMessageParams{ChatID: int64(72), Text: "bulk"},
		func(context.Context) error { return nil })
	if !errors.Is(err, ErrMaybeSent) {
		t.Fatalf("bulk send that timed out: err = %v, want ErrMaybeSent", err)
	}
	srv.WaitFor(t, 5*time.Second, "late bulk message stored", func() bool { return len(srv.Messages(72)) == 1 })
}

func TestBulkSendErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		code  int
		check func(error) bool
	}{
		{"429 asks to wait", 429, func(err error) bool {
			var ra *RetryAfterError
			return errors.As(err, &ra) && ra.After == 2*time.Second
		}},
		{"5xx is not delivered", 502, func(err error) bool { return errors.Is(err, ErrTelegramUnavailable) }},
		{"403 is unreachable", 403, func(err error) bool { return errors.Is(err, ErrUnreachable) }},
		{"400 is refused", 400, func(err error) bool { return errors.Is(err, tgbot.ErrorBadRequest) }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, srv, _ := newTestSender(t, 25, 3)
			chat := int64(300 + i)
			srv.AddChat(chat)
			srv.FailNext("sendMessage", chat, tt.code, 2, 1)
			claimed := 0
			_, err := s.SendBulk(context.Background(), &tgbot.SendMessageParams{ChatID: chat, Text: "x"},
				func(context.Context) error { claimed++; return nil })
			if !tt.check(err) {
				t.Fatalf("err = %v", err)
			}
			if claimed != 1 || len(srv.CallsTo("sendMessage")) != 1 {
				t.Fatalf("claimed %d, calls %d; want one try", claimed, len(srv.CallsTo("sendMessage")))
			}
		})
	}
}

// TestBulkSendDoesNotWaitLongForItsChat: an outbox message whose chat has
// spent its burst does not hold its worker for the chat's next turn a
// second away: it is answered *RetryAfterError, unclaimed and unsent, for
// the worker to snooze the job.
func TestBulkSendDoesNotWaitLongForItsChat(t *testing.T) {
	t.Parallel()
	s, srv, _ := newTestSender(t, 25, 3)
	srv.AddChat(80)
	claimed := 0
	claim := func(context.Context) error { claimed++; return nil }
	for i := range 3 {
		if _, err := s.SendBulk(context.Background(), &tgbot.SendMessageParams{ChatID: int64(80), Text: "x"}, claim); err != nil {
			t.Fatalf("message %d of the burst: %v", i+1, err)
		}
	}
	_, err := s.SendBulk(context.Background(), &tgbot.SendMessageParams{ChatID: int64(80), Text: "x"}, claim)
	var ra *RetryAfterError
	if !errors.As(err, &ra) || ra.After <= jobTurnWait || ra.After > s.perChat.Period {
		t.Fatalf("the fourth message: %v; want to wait for the chat's next turn, over %v and within a period", err, jobTurnWait)
	}
	if claimed != 3 || len(srv.SendTimes(80)) != 3 {
		t.Fatalf("claimed %d, sent %d; want the fourth neither claimed nor sent", claimed, len(srv.SendTimes(80)))
	}
}

// TestTakeTurnIsTheMessagesTurn: a job that takes a chat's turn before it
// reads what it shows (an announcement's progress) sends its message on
// that turn, not on a second one; a turn further off than jobTurnWait is
// not taken, and the job learns how far off it is.
func TestTakeTurnIsTheMessagesTurn(t *testing.T) {
	t.Parallel()
	s, srv, _ := newTestSender(t, 25, 3)
	srv.AddChat(42)
	ctx := context.Background()
	turn, wait, err := s.TakeTurn(ctx, 42)
	if err != nil || wait != 0 {
		t.Fatalf("TakeTurn: wait %v, %v", wait, err)
	}
	if _, err := s.SendMessage(turn, &tgbot.SendMessageParams{ChatID: int64(42), Text: "x"}); err != nil {
		t.Fatal(err)
	}
	// How long until the chat's burst of 3 is whole again: one period
	// (1.1 s) for one message counted, two for a message counted twice.
	peek, err := s.limiter.AllowN(ctx, s.chatRateKey(42), s.perChat, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(srv.SendTimes(42)); got != 1 {
		t.Fatalf("%d messages sent, want 1", got)
	}
	// Not counted at all, it would be whole already (0); a pause of the
	// machine between the two only shortens the wait.
	if period := s.perChat.Period; peek.ResetAfter <= 0 || peek.ResetAfter > period {
		t.Errorf("the chat's pace is whole again in %v; want within one period (%v): one message, one turn", peek.ResetAfter, period)
	}
	// Another chat's message does not use this chat's turn.
	srv.AddChat(43)
	if _, err := s.SendMessage(turn, &tgbot.SendMessageParams{ChatID: int64(43), Text: "y"}); err != nil {
		t.Fatal(err)
	}
	if peek, err := s.limiter.AllowN(ctx, s.chatRateKey(43), s.perChat, 0); err != nil || peek.ResetAfter <= 0 {
		t.Errorf("chat 43's message was not counted in its own pace: %+v, %v", peek, err)
	}

	// The rest of the burst, then a turn about a period off: not taken,
	// and the pace is left as it was.
	for range 2 {
		if _, wait, err := s.TakeTurn(ctx, 42); err != nil || wait != 0 {
			t.Fatalf("TakeTurn within the burst: wait %v, %v", wait, err)
		}
	}
	before, err := s.limiter.AllowN(ctx, s.chatRateKey(42), s.perChat, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, wait, err = s.TakeTurn(ctx, 42)
	if err != nil || wait <= jobTurnWait || wait > s.perChat.Period {
		t.Fatalf("TakeTurn with the burst spent: wait %v, %v; want up to a period, not taken", wait, err)
	}
	after, err := s.limiter.AllowN(ctx, s.chatRateKey(42), s.perChat, 0)
	if err != nil {
		t.Fatal(err)
	}
	if after.ResetAfter > before.ResetAfter {
		t.Errorf("a turn not taken was counted: whole again in %v, %v before", after.ResetAfter, before.ResetAfter)
	}
}
