// Command faketelegram runs the project's fake Telegram Bot API server
// (bot/telegramtest) as a process of its own, for `make bench`: the bots
// under test talk to it as to api.telegram.org, and a load generator asks
// it, on a control address, to make users write and to measure the
// answers (telegramtest.Server.RunLoad). It only wires.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aurore/cairbot/bot/telegramtest"
)

func main() {
	control := flag.String("control", "127.0.0.1:0", "address of the control API (POST /load, GET /webhook)")
	limits := flag.Bool("limits", false, "refuse with 429 what Telegram refuses (3 a second per chat, 30 a second in all)")
	bots := flag.Int("bots", 1, "bots served at the API address, each with its own token, chats and limits (one per centre)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// MaxCalls: a long run must not keep every call in memory.
	s := telegramtest.Start(telegramtest.Options{Limits: *limits, MaxCalls: 10000})
	defer s.Close()
	ln, err := net.Listen("tcp", *control)
	if err != nil {
		fmt.Fprintln(os.Stderr, "faketelegram:", err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: s.ControlHandler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	// Every bot at one address, routed by its token, as api.telegram.org.
	hub := telegramtest.StartHub(s)
	defer hub.Close()
	var extra []*telegramtest.Server
	for n := 1; n < *bots; n++ {
		b := telegramtest.Start(telegramtest.NthBot(n, telegramtest.Options{Limits: *limits, MaxCalls: 10000}))
		defer b.Close()
		hub.Add(b)
		extra = append(extra, b)
	}
	// The load generator reads these two lines to find both servers.
	fmt.Printf("api %s %s\ncontrol http://%s\n", hub.URL(), s.Token(), ln.Addr())
	// Then one line per extra bot: its token and @name.
	for _, b := range extra {
		fmt.Printf("bot %s %s\n", b.Token(), b.BotUsername())
	}
	<-ctx.Done()
	_ = srv.Close()
}
