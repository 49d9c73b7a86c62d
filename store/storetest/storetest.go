// Package storetest gives each test its own PostgreSQL database (a copy of
// a migrated template) and its own Redis key prefix, so tests run in
// parallel against the real services and leave nothing behind.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/aurore/cairbot/store"
)

// AdminURL is the database used to create test databases; TEST_DATABASE_URL
// overrides it.
func AdminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// RedisURL is the Redis of the tests; TEST_REDIS_URL overrides it.
func RedisURL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// template migrates one template database per test binary; copying it is
// much faster than migrating every test's database.
func template(ctx context.Context) (string, error) {
	templateOnce.Do(func() {
		templateName = "cairbot_tmpl_" + randHex(6)
		templateErr = withAdmin(ctx, func(conn *pgx.Conn) error {
			_, err := conn.Exec(ctx, "CREATE DATABASE "+templateName)
			return err
		})
		if templateErr != nil {
			return
		}
		pool, err := pgxpool.New(ctx, dbURL(templateName))
		if err != nil {
			templateErr = err
			return
		}
		defer pool.Close()
		templateErr = store.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	})
	return templateName, templateErr
}

// DropTemplate removes the template; call it from TestMain after m.Run.
func DropTemplate() {
	if templateName == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = withAdmin(ctx, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+templateName+" WITH (FORCE)")
		return err
	})
}

// NewDB creates an empty migrated database for one test and returns its URL.
// It is dropped when the test ends.
func NewDB(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tmpl, err := template(ctx)
	if err != nil {
		tb.Fatalf("storetest: template database: %v (is PostgreSQL running at %s?)", err, AdminURL())
	}
	name := "cairbot_t_" + randHex(8)
	// CREATE DATABASE … TEMPLATE needs the template to have no other
	// connection; tests creating databases at once take turns.
	err = withAdmin(ctx, func(conn *pgx.Conn) error {
		var lastErr error
		for i := 0; i < 50; i++ {
			if _, lastErr = conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmpl)); lastErr == nil {
				return nil
			}
			time.Sleep(100 * time.Millisecond)
		}
		return lastErr
	})
	if err != nil {
		tb.Fatalf("storetest: create database: %v", err)
	}
	return dropAtEnd(tb, name)
}

// NewEmptyDB creates an empty database (not migrated) for one test, as
// `createdb` would, and returns its URL. It is dropped when the test ends.
func NewEmptyDB(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := "cairbot_e_" + randHex(8)
	if err := withAdmin(ctx, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "CREATE DATABASE "+name)
		return err
	}); err != nil {
		tb.Fatalf("storetest: create database: %v", err)
	}
	return dropAtEnd(tb, name)
}

// NewPool opens a pool on a fresh test database.
func NewPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), NewDB(tb))
	if err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// NewRedis returns a client and a key prefix of the test's own; its keys
// are deleted when the test ends.
func NewRedis(tb testing.TB) (*redis.Client, string) {
	tb.Helper()
	opts, err := store.RedisOptions(RedisURL())
	if err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	rdb := redis.NewClient(opts)
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		tb.Fatalf("storetest: redis at %s: %v", RedisURL(), err)
	}
	prefix := "cairbot_test_" + randHex(6)
	tb.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		_ = rdb.Close()
	})
	return rdb, prefix
}

func withAdmin(ctx context.Context, fn func(*pgx.Conn) error) error {
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return fn(conn)
}

func dbURL(name string) string {
	u := AdminURL()
	i := strings.LastIndex(u, "/")
	q := ""
	if j := strings.Index(u[i:], "?"); j >= 0 {
		q = u[i+j:]
	}
	return u[:i+1] + name + q
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// dropAtEnd drops a test's database when the test ends and returns its URL.
func dropAtEnd(tb testing.TB, name string) string {
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = withAdmin(ctx, func(conn *pgx.Conn) error {
			_, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			return err
		})
	})
	return dbURL(name)
}
