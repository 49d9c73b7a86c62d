package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// TestCentreAddAndList adds centres with their own bots through the
// command, against a fake Telegram serving several bots: bad input is
// answered clearly and changes nothing, a token never shows, and in
// webhook mode the new bot is pointed at WEBHOOK_URL/<slug> with its
// secret.
func TestCentreAddAndList(t *testing.T) {
	def := telegramtest.New(t, telegramtest.Options{})
	paris := telegramtest.New(t, telegramtest.NthBot(1, telegramtest.Options{}))
	lyon := telegramtest.New(t, telegramtest.NthBot(2, telegramtest.Options{}))
	hub := telegramtest.NewHub(t, def, paris, lyon)
	dbURL := storetest.NewDB(t)
	t.Setenv("DATABASE_URL", dbURL)
	t.Setenv("TELEGRAM_TOKEN", def.Token())
	t.Setenv("TELEGRAM_API_URL", hub.URL())
	t.Setenv("CENTRE", "cair-paris12")
	ctx := context.Background()
	cmd := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"centre"}, args...), &out, discard, testClock(t))
		return out.String(), err
	}
	// The default centre exists, as after the bot's first start.
	if _, err := cmd("list"); err != nil {
		t.Fatal(err)
	}
	pool, err := store.Open(ctx, dbURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool)
	if _, err := st.EnsureCentre(ctx, "cair-paris12", "CAIR Paris 12e"); err != nil {
		t.Fatal(err)
	}
	counts := func() (centres, bots int) {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM centres), (SELECT count(*) FROM centre_bots)`).Scan(&centres, &bots); err != nil {
			t.Fatal(err)
		}
		return centres, bots
	}

	out, err := cmd("add", "--slug", "paris-19", "--name", "CAIR Paris 19e", "--token", paris.Token())
	if err != nil {
		t.Fatalf("add: %v", err)
	}
	if !strings.Contains(out, "centre paris-19 (CAIR Paris 19e) added with its bot @cairbot_test_1_bot") {
		t.Fatalf("add said %q", out)
	}
	if strings.Contains(out, paris.Token()) {
		t.Fatalf("the token was printed: %q", out)
	}
	if got := paris.WebhookURL(); got != "" {
		t.Fatalf("polling mode set a webhook: %q", got)
	}

	bad := []struct {
		name string
		args []string
		want string
	}{
		{"no slug", []string{"--name", "X", "--token", lyon.Token()}, "--slug"},
		{"slug with spaces", []string{"--slug", "Lyon 3", "--name", "X", "--token", lyon.Token()}, "--slug"},
		{"no name", []string{"--slug", "lyon", "--token", lyon.Token()}, "--name"},
		{"no token", []string{"--slug", "lyon", "--name", "CAIR Lyon"}, "--token is required"},
		{"not a token", []string{"--slug", "lyon", "--name", "CAIR Lyon", "--token", "hello-world"}, "does not look like a bot token"},
		{"token Telegram does not know", []string{"--slug", "lyon", "--name", "CAIR Lyon", "--token", "4242:unknown-token"}, "Telegram refused the token"},
		{"the default centre", []string{"--slug", "cair-paris12", "--name", "X", "--token", lyon.Token()}, "default centre"},
		{"the default centre's bot", []string{"--slug", "lyon", "--name", "CAIR Lyon", "--token", def.Token()}, "default centre's bot"},
		{"a centre that has its bot", []string{"--slug", "paris-19", "--name", "CAIR Paris 19e", "--token", lyon.Token()}, "already has its bot"},
		{"a bot that serves another centre", []string{"--slug", "lyon", "--name", "CAIR Lyon", "--token", paris.Token()}, "@cairbot_test_1_bot already serves another centre"},
	}
	wantCentres, wantBots := counts()
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			out, err := cmd(append([]string{"add"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
			for _, tok := range []string{paris.Token(), lyon.Token(), def.Token(), "4242:unknown-token"} {
				if strings.Contains(err.Error(), tok) || strings.Contains(out, tok) {
					t.Fatalf("a token shows in %q / %q", err, out)
				}
			}
			if c, b := counts(); c != wantCentres || b != wantBots {
				t.Fatalf("centres, bots = %d, %d after a refused add; want %d, %d", c, b, wantCentres, wantBots)
			}
		})
	}

	// Webhook mode: the new bot is pointed at its own path and secret.
	t.Setenv("WEBHOOK_URL", "https://bot.example.org/telegram")
	t.Setenv("WEBHOOK_SECRET", "default-secret")
	out, err = cmd("add", "--slug", "lyon", "--name", "CAIR Lyon", "--token", lyon.Token())
	if err != nil {
		t.Fatalf("add in webhook mode: %v", err)
	}
	if got := lyon.WebhookURL(); got != "https://bot.example.org/telegram/lyon" {
		t.Fatalf("webhook = %q, want .../telegram/lyon", got)
	}
	row, err := st.CentreBotBySlug(ctx, "lyon")
	if err != nil {
		t.Fatal(err)
	}
	if lyon.WebhookSecret() != row.WebhookSecret.Reveal() || len(row.WebhookSecret.Reveal()) < 32 {
		t.Fatalf("the webhook secret set is not the centre's own")
	}
	if !strings.Contains(out, "webhook: https://bot.example.org/telegram/lyon") {
		t.Fatalf("add said %q", out)
	}

	list, err := cmd("list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cair-paris12", "TELEGRAM_TOKEN (default centre)", "paris-19", "@cairbot_test_1_bot", "lyon", "@cairbot_test_2_bot"} {
		if !strings.Contains(list, want) {
			t.Fatalf("list lacks %q:\n%s", want, list)
		}
	}
	for _, tok := range []string{paris.Token(), lyon.Token(), def.Token(), row.WebhookSecret.Reveal()} {
		if strings.Contains(list, tok) {
			t.Fatalf("list shows a secret:\n%s", list)
		}
	}
}
