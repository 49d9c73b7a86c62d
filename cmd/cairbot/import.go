package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/store"
)

// importFile is one kind of import: it reads the open file into the
// centre's data, all or nothing, and writes its report to out; now is the
// time of the import.
type importFile func(ctx context.Context, cfg bot.Config, st *store.Store, centreID int64, file string, r io.Reader, out io.Writer, now time.Time) error

// importCommand runs `cairbot import KIND FILE [--centre SLUG]`: one case
// per kind of file, each validated all-or-nothing in one transaction, each
// with a report naming every bad line.
func importCommand(ctx context.Context, cfg bot.Config, args []string, out io.Writer, clock func() time.Time) error {
	if len(args) < 2 {
		return fmt.Errorf("import: which kind and which file? e.g. cairbot import residents residents.csv\n\n%s", usage)
	}
	kind, file, rest := args[0], args[1], args[2:]
	kinds := map[string]importFile{
		"residents": importResidents,
		"classes":   importClasses,
		"chores":    importChores,
	}
	run, ok := kinds[kind]
	if !ok {
		return fmt.Errorf("import: unknown kind %q (residents, classes, chores)", kind)
	}
	fs := flag.NewFlagSet("import "+kind, flag.ContinueOnError)
	fs.SetOutput(out)
	centre := fs.String("centre", cfg.Centre, "centre slug")
	if err := fs.Parse(rest); err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("import %s: %w", kind, err)
	}
	defer f.Close()
	pool, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)
	c, err := st.EnsureCentre(ctx, *centre, cfg.CentreName)
	if err != nil {
		return err
	}
	return run(ctx, cfg, st, c.ID, file, f, out, clock())
}

// importCounts is one kind of row in an import's report.
type importCounts struct {
	name string
	store.ImportCounts
}

// reportImport writes what an import did, the same way for every kind: a
// refused file is the error, naming every bad line (nothing was written);
// an accepted one says whether anything changed and counts each kind of
// row.
func reportImport(out io.Writer, kind, file string, err error, changed bool, counts ...importCounts) error {
	if err != nil {
		return fmt.Errorf("import %s %s: %w", kind, file, err)
	}
	if !changed {
		fmt.Fprintf(out, "%s: nothing to change, everything is already imported.\n", file)
	} else {
		fmt.Fprintf(out, "%s: imported.\n", file)
	}
	for _, c := range counts {
		fmt.Fprintf(out, "  %-11s %d created, %d updated, %d unchanged\n", c.name+":", c.Added, c.Changed, c.Unchanged)
	}
	return nil
}
