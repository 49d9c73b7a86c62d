package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/store"
)

// importClasses runs `cairbot import classes FILE [--centre SLUG]`: groups,
// weekly sessions and enrolments (see docs/examples/classes.csv), checked
// whole and written in one transaction. A file with bad lines writes
// nothing: every bad line is reported and the command fails. The bot's
// hourly planner queues the reminders of the new classes.
func importClasses(ctx context.Context, cfg bot.Config, st *store.Store, file string, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("import classes", flag.ContinueOnError)
	fs.SetOutput(out)
	centre := fs.String("centre", cfg.Centre, "centre slug")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("import classes: %w", err)
	}
	defer f.Close()
	c, err := st.EnsureCentre(ctx, *centre, cfg.CentreName)
	if err != nil {
		return err
	}
	res, err := st.ImportClassesCSV(ctx, c.ID, f, nil)
	if err != nil {
		return fmt.Errorf("import classes %s: %w", file, err)
	}
	if !res.Changed() {
		fmt.Fprintf(out, "%s: nothing to change, everything is already imported.\n", file)
	} else {
		fmt.Fprintf(out, "%s: imported.\n", file)
	}
	for _, k := range []struct {
		name string
		c    store.ClassImportCounts
	}{{"groups", res.Groups}, {"sessions", res.Sessions}, {"enrolments", res.Enrolments}} {
		fmt.Fprintf(out, "  %-11s %d created, %d updated, %d unchanged\n", k.name+":", k.c.Created, k.c.Updated, k.c.Unchanged)
	}
	return nil
}
