package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// OpenOption tunes the pool Open makes.
type OpenOption func(*pgxpool.Config)

// WithTracer traces every query and connection taken from the pool (the
// metrics count PostgreSQL errors through it).
func WithTracer(t pgx.QueryTracer) OpenOption {
	return func(c *pgxpool.Config) { c.ConnConfig.Tracer = t }
}

// JobCounts counts River's jobs by state (available, scheduled, running,
// retryable, discarded…): the queue's depth and its failures, for metrics.
type JobCounts map[string]int

// JobStats counts the job queue's jobs by state. Completed jobs are left
// out: River deletes them after a day, and counting them tells nothing.
func (s *Store) JobStats(ctx context.Context) (JobCounts, error) {
	rows, err := s.pool.Query(ctx, `SELECT state::text, count(*) FROM river_job
		WHERE state <> 'completed' GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("store: job stats: %w", err)
	}
	defer rows.Close()
	out := JobCounts{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("store: job stats: %w", err)
		}
		out[st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: job stats: %w", err)
	}
	return out, nil
}

// Ping checks that PostgreSQL answers, within the context's deadline.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// JobQueueReady checks that River's tables are there and answer: the job
// queue is reachable.
func (s *Store) JobQueueReady(ctx context.Context) error {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM river_job LIMIT 1) j`).Scan(&n); err != nil {
		return fmt.Errorf("store: job queue: %w", err)
	}
	return nil
}
