package locales

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// notWrittenWhole lists the message ids that Go code never writes whole,
// with the reason: keep it short. An id chosen by a value from data is
// written whole in a switch (handlers/msgids.go, store/messages.go,
// locales/glossary.go), not listed here.
var notWrittenWhole = map[string]string{
	// Not used at all: the /start route has no Describe (bot/routes.go),
	// so Telegram's menu does not list it. Use it or delete it.
	"commands.start": "unused",
}

// notMessageIDs are concatenations that look like message ids but are
// not: file (from the module root) and the literal prefix.
var notMessageIDs = map[[2]string]string{
	{"store/reports.go", "report."}: "an audit action name (report.<kind>), not a message",
}

// goSources parses every non-test Go file of the module.
func goSources(t *testing.T) (*token.FileSet, []*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	var out []*ast.File
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != ".." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		out = append(out, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 50 {
		t.Fatalf("only %d Go files found: run from the locales folder", len(out))
	}
	return fset, out
}

// TestMessageIDsWrittenWhole keeps every message id greppable: an id is
// written whole in Go code (never "chores.line." + state), every id Go
// code names exists in French, and every French message is used.
func TestMessageIDsWrittenWhole(t *testing.T) {
	fr := messagesByLanguage(t)["fr"]
	if len(fr) == 0 {
		t.Fatal("no French messages")
	}
	fset, files := goSources(t)
	used := map[string]bool{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if s, err := strconv.Unquote(n.Value); err == nil && n.Kind == token.STRING {
					used[s] = true
				}
			case *ast.BinaryExpr:
				// "chores.line." + state: a prefix of message ids.
				lit, ok := n.X.(*ast.BasicLit)
				if n.Op != token.ADD || !ok || lit.Kind != token.STRING {
					return true
				}
				s, _ := strconv.Unquote(lit.Value)
				if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "_") {
					return true
				}
				pos := fset.Position(n.Pos())
				if notMessageIDs[[2]string{filepath.ToSlash(strings.TrimPrefix(pos.Filename, "../")), s}] != "" {
					return true
				}
				for id := range fr {
					if strings.HasPrefix(id, s) {
						t.Errorf("%s: message id built as %q + …: write each id whole (a switch or a map)", pos, s)
						break
					}
				}
			case *ast.CallExpr:
				// loc.T("id"), loc.N("id", n), Fail("id"), FailN("id", n).
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				case *ast.Ident:
					name = fn.Name
				}
				if name != "T" && name != "N" && name != "Fail" && name != "FailN" || len(n.Args) == 0 {
					return true
				}
				if lit, ok := n.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, _ := strconv.Unquote(lit.Value)
					if _, ok := fr[s]; !ok {
						t.Errorf("%s: %s(%q): no such message in fr.toml", fset.Position(n.Pos()), name, s)
					}
				}
			}
			return true
		})
	}
	var unused []string
	for id := range fr {
		if !used[id] && notWrittenWhole[id] == "" {
			unused = append(unused, id)
		}
	}
	sort.Strings(unused)
	for _, id := range unused {
		t.Errorf("message %q is never written whole in Go code: use it, delete it, or list it in notWrittenWhole", id)
	}
	for id := range notWrittenWhole {
		if _, ok := fr[id]; !ok {
			t.Errorf("notWrittenWhole names %q, which fr.toml does not have", id)
		}
		if used[id] {
			t.Errorf("notWrittenWhole names %q, which Go code writes whole: remove it from the list", id)
		}
	}
}

// TestTermMessages pins the glossary's message ids.
func TestTermMessages(t *testing.T) {
	ids := TermIDs()
	if len(ids) < 10 {
		t.Fatalf("only %d glossary terms", len(ids))
	}
	for _, id := range ids {
		if got := TermMessage(id); got != "glossary."+id {
			t.Errorf("TermMessage(%q) = %q", id, got)
		}
	}
	if got := TermMessage("nope"); got != "" {
		t.Errorf("TermMessage of an unknown term = %q, want \"\"", got)
	}
}
