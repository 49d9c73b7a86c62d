package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
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
func importChores(ctx context.Context, cfg bot.Config, st *store.Store, file string, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("import chores", flag.ContinueOnError)
	fs.SetOutput(out)
	centre := fs.String("centre", cfg.Centre, "centre slug")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("import chores: %w", err)
	}
	defer f.Close()
	c, err := st.EnsureCentre(ctx, *centre, cfg.CentreName)
	if err != nil {
		return err
	}
	res, err := handlers.ImportChoresCSV(ctx, st, c.ID, f, time.Now())
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
	if !res.Changed() {
		fmt.Fprintf(out, "%s: nothing to change, everything is already imported.\n", file)
	} else {
		fmt.Fprintf(out, "%s: imported.\n", file)
	}
	fmt.Fprintf(out, "  areas:    %d created, %d updated, %d unchanged\n", res.AreasCreated, res.AreasChanged, res.AreasUnchanged)
	fmt.Fprintf(out, "  members:  %d added, %d updated, %d unchanged\n", res.MembersAdded, res.MembersChanged, res.MembersUnchanged)
	return nil
}
