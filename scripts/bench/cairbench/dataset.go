package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// A data set is a centre generated in SQL, inside PostgreSQL
// (generate_series), not through the bot: 20,000 residents with two years
// of history load in seconds this way. Every resident is linked to a
// Telegram account (telegram_id = residentUID + i) and speaks English, so
// that the answers the report quotes can be read. In groups of 20, each
// resident has:
//   - a fixed contribution of €45 and two years of ledger: a charge every
//     month and a payment every month (receipts numbered per year);
//   - a French class group (20 residents, a teacher who is a staff member
//     linked to Telegram, staffUID + g) with two weekly sessions, one of them
//     today (so that its attendance can be taken), and two years of saved
//     attendance registers of the first (one a week: the second would
//     double the load time, the largest part of it);
//   - a cleaning area shared with the 19 others, two days a week, with two
//     years of turns (done or missed), this week's and next week's (the
//     weekly job makes both: a centre that has run since last Monday has
//     them, and a start does not make them again);
//   - four housing appointments over the two years.
//
// Classes are at 00:05–01:05, the hour of the day least likely to fall in a
// benchmark run: the reminders the class planner queues (an hour before)
// are not sent during the measure.
const (
	residentUID = 710_000_000
	staffUID    = 720_000_000
	groupSize   = 20
)

type dataset struct {
	residents, staff int
	// floors: residents are spread over floors (floor = i mod floors).
	floors int
}

func newDataset(residents, floors int) dataset {
	return dataset{residents: residents, staff: max(1, residents/groupSize), floors: floors}
}

// generate fills a migrated database with the data set for centre
// centreID: the people, then their history in one transaction per topic,
// in parallel. today is the centre's date (Europe/Paris).
func (d dataset) generate(ctx context.Context, dbURL string, centreID int64, today time.Time) (time.Duration, error) {
	start := time.Now()
	dow := int(today.Weekday())
	if dow == 0 {
		dow = 7
	}
	day := today.Format("2006-01-02")
	// temps index the people of the data set, in each transaction.
	temps := []step{
		{"index", `CREATE TEMP TABLE r ON COMMIT DROP AS
			SELECT id, substr(external_id, 3)::int AS i, ((substr(external_id, 3)::int - 1) / 20) + 1 AS g
			FROM people WHERE centre_id = $1 AND role = 'resident'`, []any{centreID}},
		{"index staff", `CREATE TEMP TABLE s ON COMMIT DROP AS
			SELECT id, substr(external_id, 3)::int AS g FROM people WHERE centre_id = $1 AND role = 'staff'`, []any{centreID}},
	}
	// The people first; then their history, one transaction per topic, in
	// parallel.
	if err := load(ctx, dbURL, nil, append([]step{
		{"residents", `INSERT INTO people (centre_id, role, display_name, room, floor, language, telegram_id,
				onboarded_at, external_id, arrived_on)
			SELECT $1, 'resident', 'Resident ' || lpad(i::text, 5, '0'), (100 + i % 900)::text, i % $3, 'en',
				$4::bigint + i, now(), 'R-' || lpad(i::text, 5, '0'), $5::date - 730
			FROM generate_series(1, $2) i`, []any{centreID, d.residents, d.floors, residentUID, day}},
		{"staff", `INSERT INTO people (centre_id, role, display_name, language, telegram_id, onboarded_at, external_id)
			SELECT $1, 'staff', 'Teacher ' || g, 'en', $3::bigint + g, now(), 'S-' || lpad(g::text, 5, '0')
			FROM generate_series(1, $2) g`, []any{centreID, d.staff, staffUID}},
	}, nil...)); err != nil {
		return 0, err
	}
	topics := []struct {
		tables []string
		steps  []step
	}{
		{[]string{"ledger_entries"}, append(temps, []step{
			{"contributions", `INSERT INTO contributions (person_id, centre_id, basis, cents)
			SELECT id, $1, 'fixed', 4500 FROM r`, []any{centreID}},
			{"money settings", `INSERT INTO money_settings (centre_id) VALUES ($1) ON CONFLICT DO NOTHING`, []any{centreID}},
			{"charges", `INSERT INTO ledger_entries (centre_id, person_id, kind, cents, month, at)
			SELECT $1, r.id, 'charge', 4500, m, m + interval '9 hours'
			FROM r, generate_series(0, 24) k,
				LATERAL (SELECT (date_trunc('month', $2::date) - k * interval '1 month')::date AS m) mm`, []any{centreID, day}},
			{"payments", `INSERT INTO ledger_entries (centre_id, person_id, kind, cents, receipt_no, at)
			SELECT $1, id, 'payment', -4500,
				'R-' || y || '-' || lpad(row_number() OVER (PARTITION BY y ORDER BY at, id)::text, 6, '0'), at
			FROM (SELECT r.id, m + interval '10 days' + (r.i % 600) * interval '1 minute' AS at,
					extract(year FROM m)::int AS y
				FROM r, generate_series(1, 24) k,
					LATERAL (SELECT date_trunc('month', $2::date) - k * interval '1 month' AS m) mm) x`, []any{centreID, day}},
			{"receipt counters", `INSERT INTO receipt_counters (centre_id, year, last)
			SELECT $1, split_part(receipt_no, '-', 2)::int, count(*) FROM ledger_entries
			WHERE centre_id = $1 AND kind = 'payment' GROUP BY 2`, []any{centreID}},
		}...)},
		{[]string{"class_registers", "class_attendance"}, append(temps, []step{
			{"class groups", `INSERT INTO class_groups (centre_id, external_id, level, name)
			SELECT $1, 'G-' || g, 'A1', 'Group ' || g FROM s`, []any{centreID}},
			{"class sessions", `INSERT INTO class_sessions (centre_id, group_id, external_id, weekday, starts, ends, room, teacher)
			SELECT $1, cg.id, 'S-' || s.g || '-' || k, CASE k WHEN 1 THEN $2::int ELSE (($2::int + 2) % 7) + 1 END,
				'00:05', '01:05', '1', 'Teacher ' || s.g
			FROM s JOIN class_groups cg ON cg.centre_id = $1 AND cg.external_id = 'G-' || s.g,
				generate_series(1, 2) k`, []any{centreID, dow}},
			{"enrolments", `INSERT INTO class_enrolments (centre_id, group_id, person_id, prescribed_hours)
			SELECT $1, cg.id, r.id, 200 FROM r JOIN class_groups cg ON cg.centre_id = $1 AND cg.external_id = 'G-' || r.g`,
				[]any{centreID}},
			{"registers", `INSERT INTO class_registers (centre_id, session_id, on_date, starts_at, minutes, saved_by, saved_at)
			SELECT $1, cs.id, od, (od + cs.starts) AT TIME ZONE 'Europe/Paris', 60, s.id,
				(od + cs.ends) AT TIME ZONE 'Europe/Paris'
			FROM class_sessions cs
			JOIN s ON cs.external_id LIKE 'S-' || s.g || '-%',
			generate_series(1, 104) w,
			LATERAL (SELECT (date_trunc('week', $2::date) - w * interval '1 week')::date + cs.weekday - 1 AS od) o
			WHERE cs.centre_id = $1 AND cs.external_id LIKE '%-1'`, []any{centreID, day}},
			{"attendance", `INSERT INTO class_attendance (register_id, person_id, mark)
			SELECT cr.id, e.person_id,
				CASE WHEN (e.person_id + cr.id) % 10 = 0 THEN 'absent' WHEN (e.person_id + cr.id) % 25 = 0 THEN 'excused' ELSE 'present' END
			FROM class_registers cr
			JOIN class_sessions cs ON cs.id = cr.session_id
			JOIN class_enrolments e ON e.group_id = cs.group_id
			WHERE cr.centre_id = $1`, []any{centreID}},
		}...)},
		{[]string{"chore_turns"}, append(temps, []step{
			{"chore areas", `INSERT INTO chore_areas (centre_id, external_id, name, days, window_start, window_end)
			SELECT $1, 'area-' || g, 'Area ' || g, ARRAY[(g % 7) + 1, ((g + 3) % 7) + 1]::smallint[], 1080, 1200 FROM s`,
				[]any{centreID}},
			{"chore members", `INSERT INTO chore_members (centre_id, person_id, joined_at)
			SELECT $1, id, $2::date - 730 FROM r`, []any{centreID, day}},
			{"chore weeks", `INSERT INTO chore_weeks (centre_id, week_start, generated_at, announced_at)
			SELECT $1, ws, ws + interval '8 hours', ws + interval '8 hours'
			FROM generate_series(date_trunc('week', $2::date) - interval '104 weeks', date_trunc('week', $2::date) + interval '1 week', interval '1 week') ws`,
				[]any{centreID, day}},
			{"chore turns", `INSERT INTO chore_turns (centre_id, area_id, person_id, on_date, week_start, starts_at, ends_at, state, marked_at)
			SELECT $1, a.id, r.id, od, ws, (od + time '18:00') AT TIME ZONE 'Europe/Paris', (od + time '20:00') AT TIME ZONE 'Europe/Paris',
				CASE WHEN od >= $2::date THEN 'pending' WHEN n % 9 = 0 THEN 'missed' ELSE 'done' END,
				CASE WHEN od < $2::date THEN (od + time '20:00') AT TIME ZONE 'Europe/Paris' END
			FROM chore_areas a
			JOIN LATERAL (SELECT substr(a.external_id, 6)::int AS g) ag ON true
			CROSS JOIN generate_series(0, 105) w
			CROSS JOIN LATERAL unnest(a.days) AS dd(d)
			CROSS JOIN LATERAL (SELECT (date_trunc('week', $2::date) - (104 - w) * interval '1 week')::date AS ws) wk
			CROSS JOIN LATERAL (SELECT wk.ws + dd.d - 1 AS od, w * 2 + (CASE WHEN dd.d = a.days[1] THEN 0 ELSE 1 END) AS n) t
			JOIN r ON r.g = ag.g AND r.i = (ag.g - 1) * 20 + (t.n % 20) + 1
			WHERE a.centre_id = $1`, []any{centreID, day}},
		}...)},
		{[]string{"appointments"}, append(temps, []step{
			{"appointments", `INSERT INTO appointments (centre_id, person_id, coordinator_id, kind, at, place, answer, answered_at, created_at, updated_at)
			SELECT $1, r.id, s.id, (ARRAY['siao', 'landlord', 'visit', 'committee'])[k], at, 'SIAO 75, 5 rue de Paris', 'yes', at - interval '2 days',
				at - interval '7 days', at - interval '2 days'
			FROM r JOIN s ON s.g = r.g, generate_series(1, 4) k,
				LATERAL (SELECT $2::date - (k * 170 + r.i % 30) * interval '1 day' + interval '10 hours' AS at) x`, []any{centreID, day}},
		}...)},
	}
	errs := make(chan error, len(topics))
	for _, t := range topics {
		go func() { errs <- load(ctx, dbURL, t.tables, t.steps) }()
	}
	var first error
	for range topics {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return 0, first
	}
	// VACUUM as well as ANALYZE, outside a transaction: freshly loaded
	// tables of millions of rows would otherwise be vacuumed by autovacuum
	// in the middle of the runs, PostgreSQL's CPU counted against the bot.
	// A centre's database in use has long been vacuumed.
	conn, err := connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `VACUUM (ANALYZE)`); err != nil {
		return 0, fmt.Errorf("vacuum: %w", err)
	}
	return time.Since(start), nil
}

type step struct {
	what string
	sql  string
	args []any
}

// connect opens a connection, waiting a while when the server has no
// free one (a shared machine: other test runs use them too).
func connect(ctx context.Context, url string) (*pgx.Conn, error) {
	for i := 0; ; i++ {
		conn, err := pgx.Connect(ctx, url)
		if err == nil || i == 60 {
			return conn, err
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// load runs steps in one transaction, as a bulk load: no per-row
// foreign-key trigger (PostgreSQL's own way, for restores: the rows are
// consistent by construction), and the secondary indexes of tables built
// once at the end, from sorted data, rather than grown one row at a time.
func load(ctx context.Context, dbURL string, tables []string, steps []step) error {
	conn, err := connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for _, q := range []string{`SET LOCAL synchronous_commit = off`, `SET LOCAL session_replication_role = replica`} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return err
		}
	}
	rows, err := tx.Query(ctx, `SELECT i.indexname, i.indexdef FROM pg_indexes i
		WHERE i.schemaname = 'public' AND i.tablename = ANY($1)
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`, tables)
	if err != nil {
		return err
	}
	var names, defs []string
	for rows.Next() {
		var n, d string
		if err := rows.Scan(&n, &d); err != nil {
			return err
		}
		names, defs = append(names, n), append(defs, d)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range names {
		if _, err := tx.Exec(ctx, `DROP INDEX `+pgx.Identifier{n}.Sanitize()); err != nil {
			return err
		}
	}
	for _, d := range defs {
		steps = append(steps, step{"index again", d, nil})
	}
	for _, s := range steps {
		if _, err := tx.Exec(ctx, s.sql, s.args...); err != nil {
			return fmt.Errorf("data set, %s: %w", s.what, err)
		}
	}
	return tx.Commit(ctx)
}
