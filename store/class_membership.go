package store

import (
	"context"
	"fmt"
)

// InSessionGroup reports whether a person is enrolled, now, in the group a
// session belongs to: a notice queued about that session is not sent to
// someone taken out of the group in the meantime.
func (s *Store) InSessionGroup(ctx context.Context, centreID, sessionID, personID int64) (bool, error) {
	var in bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM class_sessions cs
		JOIN class_enrolments e ON e.group_id = cs.group_id
		WHERE cs.centre_id = $1 AND cs.id = $2 AND e.person_id = $3)`, centreID, sessionID, personID).Scan(&in)
	if err != nil {
		return false, fmt.Errorf("store: in session group: %w", err)
	}
	return in, nil
}
