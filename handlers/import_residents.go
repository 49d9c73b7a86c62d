package handlers

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aurore/cairbot/store"
)

// The residents file is read and checked by store.ParseResidentsCSV
// (store/residents_import.go), like every import; this file only words
// the report of `cairbot import residents`.

// ResidentImporter is what a residents import needs from storage.
type ResidentImporter interface {
	ImportResidentsCSV(ctx context.Context, centreID int64, r io.Reader, actorID *int64, expires time.Time) (store.ImportResult, error)
}

// ImportResidentsCSV imports a residents file through the store's one
// import shape (every line checked, one transaction: store.ImportResidentsCSV)
// and writes the report for the person at the terminal: what was done,
// with the one-time invite code and link of each new person. A file with
// bad lines writes nothing and the error, a *store.ImportError
// (store.ErrImportRejected), names every one. link turns a code into its
// t.me link ("" when the bot's name is unknown).
func ImportResidentsCSV(ctx context.Context, st ResidentImporter, centreID int64, in io.Reader,
	expires time.Time, link func(code string) string) (string, error) {
	res, err := st.ImportResidentsCSV(ctx, centreID, in, nil, expires)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "residents imported: %d new, %d changed, %d unchanged.\n", len(res.New), len(res.Changed), res.Unchanged)
	if len(res.Changed) > 0 {
		lines := make([]string, len(res.Changed))
		for i, l := range res.Changed {
			lines[i] = strconv.Itoa(l)
		}
		fmt.Fprintf(&b, "changed on line(s) %s.\n", strings.Join(lines, ", "))
	}
	if len(res.New) > 0 {
		b.WriteString("one-time invite codes of the new people (hand each to him in person):\n")
	}
	for _, n := range res.New {
		p := n.Person
		fmt.Fprintf(&b, "  line %d: %s (%s, room %s, %s): %s", n.Line, p.DisplayName, *p.ExternalID, residentRoom(p), p.Language, n.Code)
		if l := link(n.Code); l != "" {
			b.WriteString("  " + l)
		}
		b.WriteString("\n")
	}
	if len(res.New) > 0 {
		fmt.Fprintf(&b, "codes valid until %s.\n", expires.Format("2006-01-02 15:04 MST"))
	}
	return b.String(), nil
}
