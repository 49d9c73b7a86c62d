package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The figures the team gives the préfecture and OFII (issue 10, "Figures
// for the team"). Each query reads one period of whole days on the
// centre's clock: from the first day's midnight to the midnight after the
// last day, in loc. The report package turns them into CSV and charts.

// ClassWeekFigures is the attendance of one class group in one week.
type ClassWeekFigures struct {
	GroupName  string
	GroupLevel string
	Week       time.Time // its Monday
	Sessions   int       // registers saved
	Present    int       // marks
	Absent     int
	Excused    int
}

// ClassResidentFigures is one resident's hours of French. Minutes come from
// saved registers: a register counts its class's length for each mark.
type ClassResidentFigures struct {
	PersonID        int64
	Name            string
	Room            string
	Groups          string // his current groups, by name
	PrescribedHours int    // largest prescription of his enrolments, 0 if none now
	// In the period: minutes present, and minutes he was expected at
	// (present or absent without excuse).
	PeriodPresent, PeriodExpected int
	// From his first class to the end of the period.
	TotalPresent, TotalExpected int
}

// ClassFigures is the classes report's data.
type ClassFigures struct {
	Weeks     []ClassWeekFigures
	Residents []ClassResidentFigures
}

// ClassFigures reads the attendance of a centre's classes in [from, to]
// (dates) and each resident's hours. Residents are those enrolled now and
// those with a mark in the period (taken out of a group since).
func (s *Store) ClassFigures(ctx context.Context, centreID int64, from, to time.Time, loc *time.Location) (ClassFigures, error) {
	start, end := periodBounds(from, to, loc)
	var f ClassFigures
	// Both tables of the report from one snapshot: a register saved between
	// the two queries would otherwise count in one and not the other.
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return f, fmt.Errorf("store: class figures: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only: nothing to undo
	rows, err := tx.Query(ctx, `SELECT g.name, g.level,
			date_trunc('week', r.starts_at AT TIME ZONE $4)::date AS week,
			count(DISTINCT r.id)::int,
			(count(a.person_id) FILTER (WHERE a.mark = 'present'))::int,
			(count(a.person_id) FILTER (WHERE a.mark = 'absent'))::int,
			(count(a.person_id) FILTER (WHERE a.mark = 'excused'))::int
		FROM class_registers r
		JOIN class_sessions s ON s.id = r.session_id
		JOIN class_groups g ON g.id = s.group_id
		LEFT JOIN class_attendance a ON a.register_id = r.id
		WHERE r.centre_id = $1 AND r.starts_at >= $2 AND r.starts_at < $3
		GROUP BY g.id, g.name, g.level, week
		ORDER BY week, g.name, g.id`, centreID, start, end, loc.String())
	if err != nil {
		return f, fmt.Errorf("store: class figures: %w", err)
	}
	f.Weeks, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ClassWeekFigures, error) {
		var w ClassWeekFigures
		err := row.Scan(&w.GroupName, &w.GroupLevel, &w.Week, &w.Sessions, &w.Present, &w.Absent, &w.Excused)
		return w, err
	})
	if err != nil {
		return f, fmt.Errorf("store: class figures: %w", err)
	}
	rows, err = tx.Query(ctx, `WITH marks AS (
			SELECT a.person_id, a.mark, r.minutes, r.starts_at >= $2 AS in_period
			FROM class_attendance a JOIN class_registers r ON r.id = a.register_id
			WHERE r.centre_id = $1 AND r.starts_at < $3
		), who AS (
			SELECT person_id FROM class_enrolments WHERE centre_id = $1
			UNION SELECT person_id FROM marks WHERE in_period
		)
		SELECT p.id, p.display_name, p.room,
			COALESCE((SELECT string_agg(g.name, ', ' ORDER BY g.name) FROM class_enrolments e
				JOIN class_groups g ON g.id = e.group_id WHERE e.centre_id = $1 AND e.person_id = p.id), ''),
			COALESCE((SELECT max(e.prescribed_hours) FROM class_enrolments e
				WHERE e.centre_id = $1 AND e.person_id = p.id), 0),
			COALESCE(sum(m.minutes) FILTER (WHERE m.in_period AND m.mark = 'present'), 0)::int,
			COALESCE(sum(m.minutes) FILTER (WHERE m.in_period AND m.mark IN ('present', 'absent')), 0)::int,
			COALESCE(sum(m.minutes) FILTER (WHERE m.mark = 'present'), 0)::int,
			COALESCE(sum(m.minutes) FILTER (WHERE m.mark IN ('present', 'absent')), 0)::int
		FROM who JOIN people p ON p.id = who.person_id
		LEFT JOIN marks m ON m.person_id = p.id
		WHERE p.centre_id = $1
		GROUP BY p.id, p.display_name, p.room
		ORDER BY lower(p.display_name), p.id`, centreID, start, end)
	if err != nil {
		return f, fmt.Errorf("store: class figures: %w", err)
	}
	f.Residents, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ClassResidentFigures, error) {
		var c ClassResidentFigures
		err := row.Scan(&c.PersonID, &c.Name, &c.Room, &c.Groups, &c.PrescribedHours,
			&c.PeriodPresent, &c.PeriodExpected, &c.TotalPresent, &c.TotalExpected)
		return c, err
	})
	if err != nil {
		return f, fmt.Errorf("store: class figures: %w", err)
	}
	return f, nil
}

// MoneyEntryFigure is one ledger entry as the contributions report reads
// it: a correction carries the kind of the entry it reverses, so that it
// counts on that entry's side.
type MoneyEntryFigure struct {
	PersonID int64
	Name     string
	Room     string
	Status   string
	EntryID  int64
	Kind     string // charge or payment (corrections: the kind reversed)
	Reverses *int64
	Cents    int64 // signed from the resident's side
	At       time.Time
}

// MoneyFigures returns every ledger entry of a centre's residents up to the
// end of the period (the report needs the balance before it and the age of
// what is still owed), by resident, oldest first.
func (s *Store) MoneyFigures(ctx context.Context, centreID int64, from, to time.Time, loc *time.Location) ([]MoneyEntryFigure, error) {
	_, end := periodBounds(from, to, loc)
	rows, err := s.pool.Query(ctx, `SELECT e.person_id, p.display_name, p.room, p.status,
			e.id, COALESCE(o.kind, e.kind), e.reverses, e.cents, e.at
		FROM ledger_entries e
		JOIN people p ON p.id = e.person_id
		LEFT JOIN ledger_entries o ON o.id = e.reverses
		WHERE e.centre_id = $1 AND e.at < $2
		ORDER BY lower(p.display_name), e.person_id, e.at, e.id`, centreID, end)
	if err != nil {
		return nil, fmt.Errorf("store: money figures: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (MoneyEntryFigure, error) {
		var m MoneyEntryFigure
		err := row.Scan(&m.PersonID, &m.Name, &m.Room, &m.Status, &m.EntryID, &m.Kind, &m.Reverses, &m.Cents, &m.At)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: money figures: %w", err)
	}
	return out, nil
}

// ChoreWeekFigures is the turns of one area in one week.
type ChoreWeekFigures struct {
	Week     time.Time // its Monday
	AreaName string
	Turns    int
	Done     int
	Missed   int
	Pending  int // not marked yet
	Swapped  int // given to another resident by an approved swap
}

// ChoreFigures counts a centre's turns dated in [from, to] by week and area.
func (s *Store) ChoreFigures(ctx context.Context, centreID int64, from, to time.Time) ([]ChoreWeekFigures, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.week_start, a.name, count(*)::int,
			(count(*) FILTER (WHERE t.state = 'done'))::int,
			(count(*) FILTER (WHERE t.state = 'missed'))::int,
			(count(*) FILTER (WHERE t.state = 'pending'))::int,
			(count(*) FILTER (WHERE EXISTS (SELECT 1 FROM chore_swaps w
				WHERE w.turn_id = t.id AND w.state = 'approved')))::int
		FROM chore_turns t JOIN chore_areas a ON a.id = t.area_id
		WHERE t.centre_id = $1 AND t.on_date BETWEEN $2::date AND $3::date
		GROUP BY t.week_start, a.id, a.name
		ORDER BY t.week_start, a.name, a.id`, centreID, dateOnly(from), dateOnly(to))
	if err != nil {
		return nil, fmt.Errorf("store: chore figures: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ChoreWeekFigures, error) {
		var c ChoreWeekFigures
		err := row.Scan(&c.Week, &c.AreaName, &c.Turns, &c.Done, &c.Missed, &c.Pending, &c.Swapped)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: chore figures: %w", err)
	}
	return out, nil
}

// AuditReport records that someone asked for a report: who (nil for the
// command line), which, for which period, and through what.
func (s *Store) AuditReport(ctx context.Context, centreID int64, actorID *int64, kind string, from, to time.Time, via string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		return audit(ctx, tx, centreID, actorID, "report."+kind, nil, map[string]any{
			"from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly), "via": via,
		})
	})
}

// periodBounds turns a period of whole days into instants on loc's clock.
func periodBounds(from, to time.Time, loc *time.Location) (start, end time.Time) {
	start = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
	end = time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, loc)
	return start, end
}

// dateOnly passes a day to a date column whatever its time zone.
func dateOnly(t time.Time) string { return t.Format(time.DateOnly) }
