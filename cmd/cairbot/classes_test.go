package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/aurore/cairbot/store/storetest"
)

// The example file imports whole after the example residents; importing it
// again changes nothing; a file with bad lines is refused whole with every
// bad line named.
func TestImportClassesExample(t *testing.T) {
	dbURL := storetest.NewDB(t)
	t.Setenv("DATABASE_URL", dbURL)
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"import", "residents", "../../docs/examples/residents.csv"}, &out, discard, testClock(t)); err != nil {
		t.Fatalf("residents: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"import", "classes", "../../docs/examples/classes.csv"}, &out, discard, testClock(t)); err != nil {
		t.Fatalf("classes: %v\n%s", err, out.String())
	}
	report := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{"imported.", "groups: 3 created", "sessions: 6 created", "enrolments: 5 created"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run(ctx, []string{"import", "classes", "../../docs/examples/classes.csv"}, &out, discard, testClock(t)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "nothing to change") || !strings.Contains(out.String(), "enrolments: 0 created, 0 updated, 5 unchanged") {
		t.Errorf("second import:\n%s", out.String())
	}

	example, err := os.ReadFile("../../docs/examples/classes.csv")
	if err != nil {
		t.Fatal(err)
	}
	labels := strings.Repeat(",", 9) // the example's label_<language> columns, empty
	bad := string(example) + "group,G-NEW,,B1,B1 soir,,,,,,," + labels + "\nsession,S-NEW,G-NEW,,,lundi,18:00,17:00,Salle 3,X,," + labels +
		"\nenrolment,,G-NEW,,,,,,,,R-0001,150" + labels + "\n"
	path := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	lines := strings.Count(string(example), "\n")
	err = run(ctx, []string{"import", "classes", path}, &out, discard, testClock(t))
	if err == nil {
		t.Fatal("a bad file was accepted")
	}
	for _, want := range []string{"2 bad line(s), nothing imported", "line " + strconv.Itoa(lines+2) + ": end 17:00 is not after start 18:00",
		"line " + strconv.Itoa(lines+3) + `: hours "150" must be 100, 200, 400 or 600`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("report %q lacks %q", err.Error(), want)
		}
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM class_groups WHERE external_id = 'G-NEW'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("refused file wrote a group: %d, %v", n, err)
	}
}
