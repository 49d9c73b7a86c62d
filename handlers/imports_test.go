package handlers

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Handlers never hold a database transaction: whatever must happen in one
// (a job queued with the data that caused it) is the store's work, behind
// its own interfaces. So no non-test file of this package imports pgx —
// a pgx.Tx in a handler's interface is the first step back to
// transactions opened above the store.
func TestHandlersDoNotImportPgx(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				t.Fatal(err)
			}
			if path == "github.com/jackc/pgx" || strings.HasPrefix(path, "github.com/jackc/pgx/") {
				t.Errorf("%s imports %s: handlers must not see pgx types; put the transactional work behind a store interface", fset.Position(imp.Pos()), path)
			}
		}
	}
	// The test would pass vacuously if run from the wrong directory.
	if checked < 10 {
		t.Fatalf("only %d handler files parsed", checked)
	}
}
