package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
)

// importResidents runs `cairbot import residents FILE [--centre SLUG]`:
// the report goes to out; a file with bad lines writes nothing and exits
// with an error.
func importResidents(ctx context.Context, cfg bot.Config, st *store.Store, file string, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("import residents", flag.ContinueOnError)
	fs.SetOutput(out)
	centre := fs.String("centre", cfg.Centre, "centre slug")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("import residents: %w", err)
	}
	defer f.Close()
	c, err := st.EnsureCentre(ctx, *centre, cfg.CentreName)
	if err != nil {
		return err
	}
	username := botUsername(ctx, cfg)
	link := func(code string) string {
		if username == "" {
			return ""
		}
		return handlers.DeepLink(username, code)
	}
	report, err := handlers.ImportResidentsCSV(ctx, st, c.ID, f, time.Now().Add(cfg.InviteTTL).In(cfg.Location), link)
	fmt.Fprint(out, report)
	return err
}
