package main

import (
	"context"
	"fmt"
	"io"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/store"
)

// importCommand runs `cairbot import KIND FILE [flags]`: one case per kind
// of file, each validated all-or-nothing in one transaction, each with a
// report naming every bad line.
func importCommand(ctx context.Context, cfg bot.Config, args []string, out io.Writer) error {
	if len(args) < 2 {
		return fmt.Errorf("import: which kind and which file? e.g. cairbot import residents residents.csv\n\n%s", usage)
	}
	kind, file, rest := args[0], args[1], args[2:]
	pool, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)
	switch kind {
	// import: residents
	case "residents":
		return importResidents(ctx, cfg, st, file, rest, out)
	// import: classes
	case "classes":
		return importClasses(ctx, cfg, st, file, rest, out)
	// import: chores
	case "chores":
		return importChores(ctx, cfg, st, file, rest, out)
	}
	return fmt.Errorf("import: unknown kind %q (residents, classes, chores)", kind)
}
