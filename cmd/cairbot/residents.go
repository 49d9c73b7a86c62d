package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
)

// importResidents runs `cairbot import residents FILE [--centre SLUG]`:
// the report, with each new person's invite code, goes to out; a file with
// bad lines writes nothing and the error names every one, as for every
// kind of import.
func importResidents(ctx context.Context, cfg bot.Config, st *store.Store, centreID int64, file string, r io.Reader, out io.Writer, now time.Time) error {
	username := botUsername(ctx, cfg)
	link := func(code string) string {
		if username == "" {
			return ""
		}
		return handlers.DeepLink(username, code)
	}
	report, err := handlers.ImportResidentsCSV(ctx, st, centreID, r, now.Add(cfg.InviteTTL).In(cfg.Location), link)
	if err != nil {
		return fmt.Errorf("import residents %s: %w", file, err)
	}
	fmt.Fprint(out, report)
	return nil
}
