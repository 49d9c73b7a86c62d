package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/store"
)

// importClasses runs `cairbot import classes FILE [--centre SLUG]`: groups,
// weekly sessions and enrolments (see docs/examples/classes.csv), checked
// whole and written in one transaction. A file with bad lines writes
// nothing: every bad line is reported and the command fails. The bot's
// hourly planner queues the reminders of the new classes.
func importClasses(ctx context.Context, _ bot.Config, st *store.Store, centreID int64, file string, r io.Reader, out io.Writer, _ time.Time) error {
	res, err := st.ImportClassesCSV(ctx, centreID, r, nil)
	if err != nil {
		return fmt.Errorf("import classes %s: %w", file, err)
	}
	reportImported(out, file, res.Changed())
	for _, k := range []struct {
		name string
		c    store.ImportCounts
	}{{"groups", res.Groups}, {"sessions", res.Sessions}, {"enrolments", res.Enrolments}} {
		fmt.Fprintf(out, "  %-11s %d created, %d updated, %d unchanged\n", k.name+":", k.c.Added, k.c.Changed, k.c.Unchanged)
	}
	return nil
}
