package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
)

// importChores runs `cairbot import chores FILE [--centre SLUG]`: cleaning
// areas and rota membership (format in docs/examples/chores.csv), checked
// whole and written in one transaction. A file with bad lines writes
// nothing: every bad line is reported and the command fails. The Monday
// job makes the rota from what is imported; staff can make this week's at
// once with /rota.
func importChores(ctx context.Context, _ bot.Config, st *store.Store, centreID int64, file string, r io.Reader, out io.Writer, now time.Time) error {
	res, err := handlers.ImportChoresCSV(ctx, st, centreID, r, now)
	var ie *store.ChoreImportError
	if errors.As(err, &ie) {
		for _, l := range ie.Lines {
			fmt.Fprintf(out, "%s:%d: %s\n", file, l.Line, l.Msg)
		}
		return fmt.Errorf("import chores %s: %d bad line(s), nothing was imported", file, len(ie.Lines))
	}
	if err != nil {
		return fmt.Errorf("import chores %s: %w", file, err)
	}
	reportImported(out, file, res.Changed())
	fmt.Fprintf(out, "  areas:    %d created, %d updated, %d unchanged\n", res.AreasCreated, res.AreasChanged, res.AreasUnchanged)
	fmt.Fprintf(out, "  members:  %d added, %d updated, %d unchanged\n", res.MembersAdded, res.MembersChanged, res.MembersUnchanged)
	return nil
}
