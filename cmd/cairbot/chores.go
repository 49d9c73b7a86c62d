package main

import (
	"context"
	"io"
	"time"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/store"
)

// importChores runs `cairbot import chores FILE [--centre SLUG]`: cleaning
// areas and rota membership (format in docs/examples/chores.csv), checked
// whole and written in one transaction. A file with bad lines writes
// nothing: every bad line is reported and the command fails. The Monday
// job makes the rota from what is imported; staff can make this week's at
// once with /rota.
func importChores(ctx context.Context, _ bot.Config, st *store.Store, centreID int64, file string, r io.Reader, out io.Writer, now time.Time) error {
	res, err := st.ImportChoresCSV(ctx, centreID, r, now)
	return reportImport(out, "chores", file, err, res.Changed(),
		importCounts{"areas", res.Areas}, importCounts{"members", res.Members})
}
