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
	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/report"
	"github.com/aurore/cairbot/store"
)

// reportCommand runs `cairbot report attendance|contributions|chores
// --from YYYY-MM-DD --to YYYY-MM-DD [--format csv|png] [--out FILE]`: the
// same files /report sends, written to FILE or standard output; audited.
func reportCommand(ctx context.Context, cfg bot.Config, args []string, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("report: attendance, contributions or chores?\n\n%s", usage)
	}
	kind, ok := report.ParseKind(args[0])
	if !ok {
		return fmt.Errorf("report: unknown report %q: attendance, contributions or chores", args[0])
	}
	fs := flag.NewFlagSet("report "+args[0], flag.ContinueOnError)
	fs.SetOutput(out)
	fromS := fs.String("from", "", "first day, YYYY-MM-DD")
	toS := fs.String("to", "", "last day, YYYY-MM-DD")
	format := fs.String("format", "csv", "csv or png")
	outFile := fs.String("out", "", "file to write (default: standard output)")
	centre := fs.String("centre", cfg.Centre, "centre slug")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	from, okF := parseDay(*fromS, cfg.Location)
	to, okT := parseDay(*toS, cfg.Location)
	switch {
	case !okF:
		return fmt.Errorf("--from %q: a date like 2026-11-01 is needed", *fromS)
	case !okT:
		return fmt.Errorf("--to %q: a date like 2026-11-30 is needed", *toS)
	case *format != "csv" && *format != "png":
		return fmt.Errorf("--format %q: csv or png", *format)
	}
	p, err := report.NewPeriod(from, to)
	switch {
	case errors.Is(err, report.ErrPeriodOrder):
		return fmt.Errorf("--from %s is after --to %s", *fromS, *toS)
	case errors.Is(err, report.ErrPeriodTooLong):
		return fmt.Errorf("--from %s --to %s: a report covers at most %d days", *fromS, *toS, report.MaxDays)
	}
	pool, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)
	c, err := st.CentreBySlug(ctx, *centre)
	if err != nil {
		return fmt.Errorf("--centre %q: %w", *centre, err)
	}
	o, err := report.Build(ctx, st, c.ID, kind, p, cfg.Location)
	if err != nil {
		return err
	}
	if err := st.AuditReport(ctx, c.ID, nil, string(kind), p.From, p.To, "cli"); err != nil {
		return err
	}
	data := o.CSV
	if *format == "png" {
		data = o.PNG
	}
	if *outFile == "" {
		_, err = out.Write(data)
		return err
	}
	// Figures of named residents: readable by the owner only.
	if err := os.WriteFile(*outFile, data, 0o600); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}

// parseDay reads a day with the bot's one date reader (ISO as asked, and
// the day-first forms staff type).
func parseDay(s string, loc *time.Location) (time.Time, bool) {
	d, yearTyped, ok := locales.ParseDate(s, loc, 0)
	return d, ok && yearTyped
}
