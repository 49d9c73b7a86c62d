package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/aurore/cairbot/report/reporttest"
	"github.com/aurore/cairbot/store"
)

// TestReportCommand: `cairbot report` writes the same files as /report —
// CSV to standard output or a file, the chart as PNG — with the figures of
// the history worked out by hand; wrong arguments are refused with the
// reason, write nothing and audit nothing.
func TestReportCommand(t *testing.T) {
	_, conn := moneyEnv(t)
	ctx := context.Background()
	// The first command migrates the new database and creates nothing:
	// the default centre is made here, as the bot does at start.
	runOut(t, "migrate")
	var centreID int64
	if err := conn.QueryRow(ctx, `INSERT INTO centres (slug, name) VALUES ('cair-paris12', 'CAIR')
		ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name RETURNING id`).Scan(&centreID); err != nil {
		t.Fatal(err)
	}
	pool := storetestPool(t, conn)
	if err := reporttest.Seed(ctx, pool, centreID); err != nil {
		t.Fatal(err)
	}

	csvCases := []struct {
		kind  string
		lines []string
	}{
		{"attendance", []string{
			"05/10/2026;A1 matin;A1;1;1;1;0;50,0",
			"Bilal S.;102;A1 matin;100;0,00;3,00;0,00;6,00;0,0;oui",
		}},
		{"contributions", []string{
			"Chérif D.;103;présent;80,00;0,00;0,00;80,00;0,00;80,00;0,00;0,00",
			"Total;;;380,00;250,00;170,00;460,00;150,00;230,00;0,00;100,00",
		}},
		{"chores", []string{
			"05/10/2026;Cuisine 1er;3;2;1;0;1",
			"Total;Toutes les zones;7;4;2;1;1",
		}},
	}
	for _, tc := range csvCases {
		out := runOut(t, "report", tc.kind, "--from", "2026-10-01", "--to", "2026-10-31")
		if !strings.HasPrefix(out, "\uFEFF") {
			t.Errorf("%s: no byte-order mark: %q", tc.kind, out[:min(len(out), 20)])
		}
		for _, l := range tc.lines {
			if !strings.Contains(out, "\r\n"+l+"\r\n") {
				t.Errorf("%s: CSV lacks %q:\n%s", tc.kind, l, out)
			}
		}
	}

	file := filepath.Join(t.TempDir(), "chart.png")
	if out := runOut(t, "report", "contributions", "--from", "2026-10-01", "--to", "2026-10-31", "--format", "png", "--out", file); out != "" {
		t.Errorf("with --out, printed %q", out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1000 || b.Dy() != 600 {
		t.Fatalf("PNG size = %v", b)
	}
	if got := countRows(t, conn, `SELECT count(*) FROM audit_log WHERE action LIKE 'report.%' AND actor_id IS NULL
		AND detail->>'via' = 'cli'`); got != 4 {
		t.Fatalf("%d reports audited, want 4", got)
	}

	bad := []struct {
		args []string
		want string
	}{
		{[]string{"report", "attendance", "--from", "2026-10-31", "--to", "2026-10-01"}, "--from 2026-10-31 is after --to 2026-10-01"},
		{[]string{"report", "attendance", "--from", "2026-10-01"}, `--to "": a date like 2026-11-30 is needed`},
		{[]string{"report", "chores", "--from", "2026-02-30", "--to", "2026-03-01"}, `--from "2026-02-30"`},
		{[]string{"report", "chores", "--from", "2025-01-01", "--to", "2026-12-31"}, "at most 366 days"},
		{[]string{"report", "chores", "--from", "2026-10-01", "--to", "2026-10-31", "--format", "pdf"}, `--format "pdf"`},
		{[]string{"report", "visits", "--from", "2026-10-01", "--to", "2026-10-31"}, `unknown report "visits"`},
	}
	for _, b := range bad {
		var out bytes.Buffer
		err := run(ctx, b.args, &out, discard, testClock(t))
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%v: err = %v, want %q", b.args, err, b.want)
		}
		if out.Len() != 0 {
			t.Errorf("%v: printed %q", b.args, out.String())
		}
	}
	if got := countRows(t, conn, `SELECT count(*) FROM audit_log WHERE action LIKE 'report.%'`); got != 4 {
		t.Fatalf("refused commands audited: %d entries, want 4", got)
	}
}

// storetestPool opens a pool on the connection's database.
func storetestPool(t *testing.T, conn *pgx.Conn) *pgxpool.Pool {
	t.Helper()
	pool, err := store.Open(context.Background(), conn.Config().ConnString(), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
