package main

import (
	"context"
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
	return reportImport(out, "classes", file, err, res.Changed(),
		importCounts{"groups", res.Groups}, importCounts{"sessions", res.Sessions}, importCounts{"enrolments", res.Enrolments})
}
