// Package store owns cairbot's data: PostgreSQL (people, invites, audit log
// and every feature's tables) through Store, and Redis (conversation state,
// update dedupe, small counters) through State.
package store

import (
	"time"

	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Sentinel errors. Callers test them with errors.Is; the bot turns them into
// messages in the user's language in one place.
var (
	ErrNotFound      = errors.New("store: not found")
	ErrInviteUsed    = errors.New("store: invite already used")
	ErrInviteExpired = errors.New("store: invite expired")
	ErrAlreadyLinked = errors.New("store: telegram account already linked")
	ErrConflict      = errors.New("store: concurrent change")
)

// Store is the PostgreSQL side of cairbot.
type Store struct {
	pool *pgxpool.Pool
	// outboxJobs sends the outbox rows the store writes (see outbox.go).
	outboxJobs OutboxScheduler
	// bulkEvery is the step of a centre's pace that orders the jobs of
	// many messages (PaceBulk); zero: they keep the order queued.
	bulkEvery time.Duration
	// broadcasts follows announcements (progress, report; announcements.go).
	broadcasts BroadcastWatcher
	// people keeps PersonByTelegramID's answers while ListenChanges runs
	// (people_cache.go).
	people *peopleCache
}

// New wraps an open pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool, people: newPeopleCache()} }

// Pool exposes the pool to the composition root (job queue, migrations).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Open connects to PostgreSQL with a pool of maxConns connections (0 keeps
// pgx's default) and checks the connection.
func Open(ctx context.Context, url string, maxConns int, opts ...OpenOption) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: DATABASE_URL: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = int32(maxConns)
	}
	for _, o := range opts {
		o(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: ping: %w", err)
	}
	return pool, nil
}

// inTx runs fn in one transaction: all of it is written or none of it.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// notFound maps pgx's "no rows" to the package sentinel.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
