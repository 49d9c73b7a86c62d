package bot

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/store/storetest"
)

// SEND_RATE_CHAT sets the pace of one chat: at 10 a second with no burst,
// eleven messages take a second, not ten.
func TestSenderKeepsTheChatRateItIsGiven(t *testing.T) {
	t.Parallel()
	srv := telegramtest.New(t, telegramtest.Options{})
	tg, err := tgbot.New(srv.Token(), tgbot.WithServerURL(srv.URL()), tgbot.WithSkipGetMe())
	if err != nil {
		t.Fatal(err)
	}
	rdb, prefix := storetest.NewRedis(t)
	s := NewSender(tg, rdb, slog.New(slog.NewTextHandler(io.Discard, nil)), SenderOptions{
		GlobalPerSecond: 25, ChatPerSecond: 10, ChatBurst: 1, Prefix: prefix,
	})
	srv.AddChat(42)
	for range 11 {
		if _, err := s.SendMessage(context.Background(), &tgbot.SendMessageParams{ChatID: int64(42), Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	times := srv.SendTimes(42)
	if len(times) != 11 {
		t.Fatalf("sent %d, want 11", len(times))
	}
	if gap := times[10].Sub(times[0]); gap < 950*time.Millisecond || gap > 5*time.Second {
		t.Fatalf("11 messages to one chat in %v; want about 1s at 10 a second", gap)
	}
}
