package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/locales"
)

// TestPanicBecomesApology runs the recover and errors middlewares around
// handlers that panic or fail, and checks what the user receives and
// whether the update is to be delivered again.
func TestPanicBecomesApology(t *testing.T) {
	t.Parallel()
	s, srv, _ := newTestSender(t, 25, 5)
	catalog, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	a := &App{log: slog.New(slog.NewTextHandler(io.Discard, nil)), catalog: catalog, cfg: Defaults()}
	a.bots = &botSet{def: &centreBot{sender: s}}
	a.sender = Senders{bots: a.bots}
	userError := func(context.Context, *handlers.Request) error { return handlers.Fail("invite.bad_room") }
	tests := []struct {
		name    string
		handler HandlerFunc
		// failSend makes Telegram answer this status to the first five
		// messages (the Sender's whole retry budget); 0: it does not.
		failSend int
		want     string // prefix of the message the user gets
		wantErr  error
	}{
		{"panic", func(context.Context, *handlers.Request) error { panic("boom") }, 0, "😔", nil},
		{"bug", func(context.Context, *handlers.Request) error { return errors.New("sql: syntax") }, 0, "😔", nil},
		{"user error", userError, 0, "❌", nil},
		{"forbidden", func(context.Context, *handlers.Request) error { return handlers.ErrForbidden }, 0, "⛔", nil},
		{"database down", func(context.Context, *handlers.Request) error {
			return &netTimeout{}
		}, 0, "", ErrRetry},
		// The handler's answer failed on Telegram beyond the retry budget:
		// the update is retried, and no apology is tried.
		{"telegram down", func(context.Context, *handlers.Request) error {
			return fmt.Errorf("handlers: reply: %w", ErrTelegramUnavailable)
		}, 0, "", ErrRetry},
		{"user error while telegram is down", userError, 500, "", ErrRetry},
		// A refused explanation would be refused again: not retried.
		{"user error whose explanation telegram refuses", userError, 400, "", nil},
	}
	for i, tt := range tests {
		chat := int64(500 + i)
		srv.AddChat(chat)
		if tt.failSend != 0 {
			srv.FailNext("sendMessage", chat, tt.failSend, 0, 5)
		}
		r := &handlers.Request{Update: &models.Update{ID: int64(i + 1)}, ChatID: chat, UserID: chat,
			From: &models.User{ID: chat, LanguageCode: "ar"}, Private: true, Now: time.Now()}
		r.Loc = catalog.Localizer("ar")
		err := chain(tt.handler, a.recoverMW, a.errorsMW)(context.Background(), r)
		if !errors.Is(err, tt.wantErr) && !(tt.wantErr == nil && err == nil) {
			t.Fatalf("%s: err = %v, want %v", tt.name, err, tt.wantErr)
		}
		msgs := srv.Messages(chat)
		if tt.want == "" {
			if len(msgs) != 0 {
				t.Fatalf("%s: user got %q, want nothing (Telegram re-delivers)", tt.name, msgs[0].Text)
			}
			continue
		}
		if len(msgs) != 1 || !strings.HasPrefix(msgs[0].Text, tt.want) {
			t.Fatalf("%s: user got %+v, want one message starting %q", tt.name, msgs, tt.want)
		}
		if strings.Contains(msgs[0].Text, "boom") || strings.Contains(msgs[0].Text, "sql") {
			t.Fatalf("%s: internal detail shown to the user: %q", tt.name, msgs[0].Text)
		}
	}
}

type netTimeout struct{}

func (*netTimeout) Error() string   { return "dial tcp: i/o timeout" }
func (*netTimeout) Timeout() bool   { return true }
func (*netTimeout) Temporary() bool { return true }
