// Command echobot is the floor of `make bench`: a bare go-telegram/bot bot
// in webhook mode, with the library's defaults, that answers every text
// with one sendMessage repeating it. What cairbot costs on top of this is
// what the benchmark reports as ratios.
//
//	TELEGRAM_API_URL=… TELEGRAM_TOKEN=… WEBHOOK_URL=http://127.0.0.1:8091/hook WEBHOOK_SECRET=… LISTEN_ADDR=127.0.0.1:8091 echobot
package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "echobot:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hook, secret := os.Getenv("WEBHOOK_URL"), os.Getenv("WEBHOOK_SECRET")
	u, err := url.Parse(hook)
	if err != nil {
		return err
	}
	b, err := tgbot.New(os.Getenv("TELEGRAM_TOKEN"),
		tgbot.WithServerURL(os.Getenv("TELEGRAM_API_URL")),
		tgbot.WithWebhookSecretToken(secret),
		tgbot.WithDefaultHandler(func(ctx context.Context, b *tgbot.Bot, upd *models.Update) {
			if upd.Message == nil || upd.Message.Text == "" {
				return
			}
			_, _ = b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: upd.Message.Chat.ID, Text: upd.Message.Text})
		}))
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(u.Path, b.WebhookHandler())
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	srv := &http.Server{Addr: os.Getenv("LISTEN_ADDR"), Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go b.StartWebhook(ctx)
	go func() { _ = srv.ListenAndServe() }()
	// The same webhook settings as cairbot's (bot/app.go).
	if _, err := b.SetWebhook(ctx, &tgbot.SetWebhookParams{URL: hook, SecretToken: secret,
		AllowedUpdates: []string{"message", "callback_query"}, MaxConnections: 40}); err != nil {
		return err
	}
	<-ctx.Done()
	return srv.Close()
}
