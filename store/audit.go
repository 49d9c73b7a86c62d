package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AuditEntry is one staff action, kept so that the centre can answer "who
// did what to whose record, when".
type AuditEntry struct {
	ID        int64
	CentreID  int64
	ActorID   *int64
	Action    string
	SubjectID *int64
	Detail    map[string]any
	At        time.Time
}

// audit writes one entry inside the caller's transaction, so the action and
// its trace are committed together or not at all.
func audit(ctx context.Context, tx pgx.Tx, centreID int64, actorID *int64, action string, subjectID *int64, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("store: audit detail: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO audit_log (centre_id, actor_id, action, subject_id, detail)
		VALUES ($1, $2, $3, $4, $5)`, centreID, actorID, action, subjectID, b)
	if err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	return nil
}

// AuditLog returns a centre's latest entries, newest first.
func (s *Store) AuditLog(ctx context.Context, centreID int64, limit int) ([]AuditEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, centre_id, actor_id, action, subject_id, detail, at
		FROM audit_log WHERE centre_id = $1 ORDER BY id DESC LIMIT $2`, centreID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.CentreID, &e.ActorID, &e.Action, &e.SubjectID, &e.Detail, &e.At); err != nil {
			return nil, fmt.Errorf("store: audit log: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
