package store_test

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/aurore/cairbot/store/storetest"
)

// docs/PRIVACY.md is the record of processing: every table of the migrated
// database must have its row there (what it holds about whom, why, how
// long, what erasure does), and every table it lists must exist. A new
// table — above all one holding personal data — fails this test until it
// is documented.
func TestPrivacyRecordListsEveryTable(t *testing.T) {
	t.Parallel()
	pool := storetest.NewPool(t)
	rows, err := pool.Query(context.Background(), `SELECT table_name::text FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	inSchema, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	// River's tables are named on purpose: docs/PRIVACY.md must list them too (a schema check, not a job read).
	if !slices.Contains(inSchema, "people") || !slices.Contains(inSchema, "river_job") {
		t.Fatalf("the schema looks wrong: %v", inSchema)
	}
	documented := privacyTables(t)
	for _, table := range inSchema {
		if !documented[table] {
			t.Errorf("table %s is not listed in docs/PRIVACY.md: add its row (what it holds about whom, why, how long, erasure), and erase it in store/erasure.go if it holds personal data", table)
		}
	}
	for table := range documented {
		if !slices.Contains(inSchema, table) {
			t.Errorf("docs/PRIVACY.md lists table %s, which no longer exists", table)
		}
	}
}

// privacyTables reads the tables named in the first column of the table
// under "## Tables" in docs/PRIVACY.md.
func privacyTables(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("../docs/PRIVACY.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Tables")
	if !ok {
		t.Fatal(`docs/PRIVACY.md has no "## Tables" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	row := regexp.MustCompile("(?m)^\\| `([a-z_0-9]+)` \\|")
	out := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		out[m[1]] = true
	}
	if len(out) == 0 {
		t.Fatal("no table rows found in docs/PRIVACY.md")
	}
	return out
}
