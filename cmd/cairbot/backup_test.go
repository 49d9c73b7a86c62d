package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// cliErr runs `cairbot args…` with extra environment and expects it to
// fail; it returns what it printed.
func (r *rig) cliErr(env []string, args ...string) string {
	r.t.Helper()
	cmd := exec.Command(r.bin, args...)
	cmd.Env = append(append(os.Environ(), r.env...), env...)
	out, err := cmd.CombinedOutput()
	if err == nil {
		r.t.Fatalf("cairbot %v succeeded, want a failure:\n%s", args, out)
	}
	return string(out)
}

// cliEnv runs `cairbot args…` with extra environment (later values win).
func (r *rig) cliEnv(env []string, args ...string) string {
	r.t.Helper()
	cmd := exec.Command(r.bin, args...)
	cmd.Env = append(append(os.Environ(), r.env...), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("cairbot %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// A disk dies: the centre's data, backed up with `cairbot backup`, is
// restored with `cairbot restore` into a new database, and the bot started
// on it serves it — the resident's payment is in his balance.
func TestBackupAndRestoreIntoANewDatabase(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p := r.residents(1, 730000, "fr")[0]
	u := user(p)
	bot := r.start([]string{"run"})
	out := r.cli("payment", "add", "--room", "100", "--amount", "12,50")
	if !strings.Contains(out, "R-") {
		t.Fatalf("payment add printed %q", out)
	}
	receipt := r.waitMessage(u, 1, 20*time.Second)
	r.waitSettled(store.KindReceipt, 20*time.Second)
	r.kill(bot)

	file := filepath.Join(t.TempDir(), "cairbot.dump")
	if out := r.cli("backup", file); !strings.Contains(out, "backup written to "+file) {
		t.Fatalf("backup printed %q", out)
	}
	if st, err := os.Stat(file); err != nil || st.Size() == 0 || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", st, err)
	}

	// Restoring over live data is refused, and changes nothing.
	if out := r.cliErr(nil, "restore", file); !strings.Contains(out, "not empty") {
		t.Fatalf("restore into the live database: %q", out)
	}
	// Without PostgreSQL's tools the commands say what to install.
	noTools := []string{"PATH=" + t.TempDir()}
	if out := r.cliErr(noTools, "backup", file+".2"); !strings.Contains(out, "pg_dump not found") {
		t.Fatalf("backup without pg_dump: %q", out)
	}

	fresh := []string{"DATABASE_URL=" + storetest.NewEmptyDB(t)}
	if out := r.cliEnv(fresh, "restore", file); !strings.Contains(out, "restored "+file) {
		t.Fatalf("restore printed %q", out)
	}
	r.start([]string{"run"}, fresh...)
	r.tg.SendText(u, "/balance")
	got := r.waitMessage(u, 2, 20*time.Second).Text
	if !strings.Contains(got, "12,50\u00a0€") {
		t.Fatalf("/balance on the restored database = %q (receipt was %q)", got, receipt.Text)
	}
	// The receipt was sent before the backup, and the backup knows it: the
	// restored bot has nothing left to send.
	pool, err := pgxpool.New(context.Background(), strings.TrimPrefix(fresh[0], "DATABASE_URL="))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var unsent int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE state <> 'sent'`).Scan(&unsent); err != nil || unsent != 0 {
		t.Fatalf("restored outbox: %d rows not sent (%v)", unsent, err)
	}
}

// `make build` stamps the version with -ldflags; `cairbot version` and
// /healthz say it.
func TestVersionStampedAtBuild(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "cairbot")
	// Only the link differs from the rig's build: no recompiling.
	build := exec.Command("go", "build", "-ldflags", "-X github.com/aurore/cairbot/bot.Version=v1.2.3-test", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || string(out) != "cairbot v1.2.3-test\n" {
		t.Fatalf("cairbot version = %q (%v)", out, err)
	}
}
