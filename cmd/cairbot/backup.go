package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strings"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/store"
)

// backupCommand dumps the whole database (cairbot's tables and River's
// jobs) with pg_dump in its custom format: compressed, and restorable
// with pg_restore. Redis is not backed up: it holds only what can be lost
// (conversations in progress, dedupe markers, rate limits).
func backupCommand(ctx context.Context, cfg bot.Config, args []string, out io.Writer) error {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return errors.New("usage: cairbot backup FILE")
	}
	file := args[0]
	bin, err := pgTool("pg_dump")
	if err != nil {
		return err
	}
	dbURL, env, err := pgConn(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	// Written next to FILE then renamed: a failed dump never leaves a
	// truncated file where the last good backup was.
	tmp := file + ".partial"
	cmd := exec.CommandContext(ctx, bin, "--format=custom", "--no-owner", "--no-privileges",
		"--file="+tmp, "--dbname="+dbURL)
	cmd.Env = append(os.Environ(), env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("backup: pg_dump failed: %w\n%s", err, strings.TrimSpace(string(msg)))
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	st, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(out, "backup written to %s (%d bytes); it holds personal data: keep it encrypted, and only as long as docs/PRIVACY.md says\n", file, st.Size())
	return nil
}

// restoreCommand restores a dump made by backupCommand into DATABASE_URL,
// which must be an empty database: restoring over live data would mix
// two states of the centre. All or nothing (one transaction). The bot
// migrates the restored database at its next start, if the dump is older
// than the binary.
func restoreCommand(ctx context.Context, cfg bot.Config, args []string, out io.Writer) error {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return errors.New("usage: cairbot restore FILE")
	}
	file := args[0]
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	bin, err := pgTool("pg_restore")
	if err != nil {
		return err
	}
	pool, err := store.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return fmt.Errorf("%w (is PostgreSQL running? does the database exist? create it with createdb first; DATABASE_URL)", err)
	}
	var tables int
	err = pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables
		WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`).Scan(&tables)
	pool.Close()
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if tables > 0 {
		return fmt.Errorf("restore: the database of DATABASE_URL is not empty (%d tables): restore into a new, empty database (createdb NAME) and point DATABASE_URL at it", tables)
	}
	dbURL, env, err := pgConn(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
		"--dbname="+dbURL, file)
	cmd.Env = append(os.Environ(), env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("restore: pg_restore failed, nothing was restored: %w\n%s", err, strings.TrimSpace(string(msg)))
	}
	fmt.Fprintf(out, "restored %s; start the bot on this database (DATABASE_URL)\n", file)
	return nil
}

// pgTool finds a PostgreSQL client program, or says how to get it.
func pgTool(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s not found in PATH: install PostgreSQL's client tools of the server's major version or newer (Debian: apt-get install postgresql-client)", name)
	}
	return p, nil
}

// pgConn splits DATABASE_URL into a URL without its password and the
// environment that carries it (PGPASSWORD): a password on a command line
// would show in the process list.
func pgConn(databaseURL string) (string, []string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "", nil, errors.New("DATABASE_URL: not a URL")
	}
	var env []string
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
			u.User = url.User(u.User.Username())
		}
	}
	return u.String(), env, nil
}
