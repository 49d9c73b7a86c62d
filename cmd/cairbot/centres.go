package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/store"
)

// centreCommand runs `cairbot centre add|list`: the centres of the
// deployment, each with its own Telegram bot. stdin gives the token of
// `--token -`, so that it stays out of the shell's history and of ps.
func centreCommand(ctx context.Context, cfg bot.Config, st *store.Store, args []string, stdin io.Reader, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("centre: add or list?\n\n%s", usage)
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("centre "+sub, flag.ContinueOnError)
	fs.SetOutput(out)
	slug := fs.String("slug", "", "the centre's short name in a-z 0-9 -, e.g. paris12 (its webhook path)")
	name := fs.String("name", "", "the centre's name, e.g. \"CAIR Paris 12e\"")
	token := fs.String("token", "", "the token @BotFather gave for the centre's own bot; - reads it from standard input")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch sub {
	case "add":
		if *token == "-" {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("centre add: reading the token: %w", err)
			}
			*token = line
		}
		return centreAdd(ctx, cfg, st, strings.TrimSpace(*slug), strings.TrimSpace(*name), strings.TrimSpace(*token), out)
	case "list":
		return centreList(ctx, cfg, st, out)
	}
	return fmt.Errorf("centre: unknown subcommand %q", sub)
}

// centreAdd checks everything it can before changing anything: the input,
// then the token with Telegram (getMe), then stores the centre and its bot
// in one transaction; in webhook mode it points the bot at the deployment.
func centreAdd(ctx context.Context, cfg bot.Config, st *store.Store, slug, name, token string, out io.Writer) error {
	switch {
	case !bot.ValidSlug(slug):
		return fmt.Errorf("centre add: --slug %q must be 1–40 of a-z 0-9 - (e.g. paris12)", slug)
	case name == "" || utf8.RuneCountInString(name) > 80:
		return errors.New("centre add: --name is required, at most 80 characters (e.g. \"CAIR Paris 12e\")")
	case token == "":
		return errors.New("centre add: --token is required: the token @BotFather gave for the centre's own bot")
	case !bot.ValidToken(token):
		// Never echo what was typed: it may be a real token with a typo.
		return errors.New("centre add: --token does not look like a bot token (digits, a colon, then letters and digits)")
	case slug == cfg.Centre:
		return fmt.Errorf("centre add: %q is the deployment's default centre (CENTRE): its bot is TELEGRAM_TOKEN", slug)
	case token == cfg.TelegramToken:
		return errors.New("centre add: this is the default centre's bot (TELEGRAM_TOKEN): each centre needs a bot of its own")
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	username, err := bot.CheckToken(cctx, cfg, token)
	if err != nil {
		return fmt.Errorf("centre add: %w", err)
	}
	secret, err := bot.NewWebhookSecret()
	if err != nil {
		return err
	}
	cb := store.CentreBot{Token: store.Secret(token), Username: username, WebhookSecret: secret}
	c, err := st.AddCentreBot(ctx, slug, name, cb)
	switch {
	case errors.Is(err, store.ErrCentreHasBot):
		return fmt.Errorf("centre add: the centre %q already has its bot", slug)
	case errors.Is(err, store.ErrBotTaken):
		return fmt.Errorf("centre add: the bot @%s already serves another centre: each centre needs a bot of its own", username)
	case err != nil:
		return fmt.Errorf("centre add: %w", err)
	}
	cb.Centre = c
	fmt.Fprintf(out, "centre %s (%s) added with its bot @%s\n", c.Slug, c.Name, username)
	if cfg.WebhookURL == "" {
		fmt.Fprintln(out, "polling mode: the running bot polls this centre's bot within 30 s")
		return nil
	}
	if err := bot.SetCentreWebhook(cctx, cfg, cb); err != nil {
		// The centre is added; the running bot sets the webhook of a bot
		// it finds in centre_bots, and every start sets every webhook.
		fmt.Fprintf(out, "webhook not set now (%v): the running bot sets it within 30 s\n", err)
		return nil
	}
	fmt.Fprintf(out, "webhook: %s\n", bot.CentreWebhookURL(cfg.WebhookURL, c.Slug))
	return nil
}

// centreList prints every centre and its bot's @name, never a token.
func centreList(ctx context.Context, cfg bot.Config, st *store.Store, out io.Writer) error {
	centres, err := st.Centres(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SLUG\tNAME\tBOT\tLINKED")
	for _, c := range centres {
		botName := "@" + c.BotUsername
		switch {
		case c.Slug == cfg.Centre:
			botName = "TELEGRAM_TOKEN (default centre)"
		case c.BotUsername == "":
			botName = "none"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\n", c.Slug, c.Name, botName, c.Linked)
	}
	return w.Flush()
}
