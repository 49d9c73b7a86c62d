// Package reporttest writes a small, fixed history into a test database —
// October 2026 and around it — whose report figures the tests of /report
// and `cairbot report` work out by hand. It writes rows directly, as an
// import of old records would: the features that make them have their own
// tests.
package reporttest

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// People of the history.
const (
	Ahmad  = "Ahmad K."
	Bilal  = "Bilal S."
	Cherif = "Chérif D."
)

// Seed writes the history into centreID's records.
//
// Classes (registers' class lengths in minutes):
//   - group "A1 matin" (A1), Monday 09:00–12:00: Ahmad (200 h), Bilal (100 h);
//   - group "Alpha" (alpha), Tuesday 14:00–16:00: Chérif (600 h).
//   - Mon 28/09 A1: Ahmad present, Bilal absent (before October)
//   - Mon 05/10 A1: Ahmad present, Bilal absent; Tue 06/10 Alpha: Chérif present
//   - Mon 12/10 A1: Ahmad present, Bilal excused; Tue 13/10 Alpha: Chérif absent
//   - Mon 02/11 A1: Ahmad absent (after October)
//
// Ledger (cents, "at" in Paris):
//   - Ahmad: charges 15000 on 01/07, 01/08, 01/09, 01/10; payments 15000 on 10/08, 5000 on 15/10
//   - Bilal: charge 10000 on 01/10; a mistaken charge 5000 on 02/10 reversed on 03/10; payment 12000 on 05/10
//   - Chérif: charge 8000 on 15/09; payment 8000 on 03/11 (after October)
//
// Chores (area, day, state):
//   - Douches: Thu 01/10 done (week of 28/09), Mon 05/10 done; Cuisine 1er: Wed 30/09 done (before October)
//   - Cuisine 1er: Mon 05/10 done, Tue 06/10 missed, Wed 07/10 done (Chérif, swap from Bilal approved),
//     Mon 12/10 not marked yet, Tue 13/10 missed (a swap asked and refused)
func Seed(ctx context.Context, pool *pgxpool.Pool, centreID int64) error {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return err
	}
	at := func(day string, hh, mm int) time.Time {
		d, err := time.ParseInLocation(time.DateOnly, day, paris)
		if err != nil {
			panic(err)
		}
		return time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, paris)
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		person := map[string]int64{}
		for _, p := range []struct{ name, room string }{{Ahmad, "101"}, {Bilal, "102"}, {Cherif, "103"}} {
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO people (centre_id, role, display_name, room, language)
				VALUES ($1, 'resident', $2, $3, 'fr') RETURNING id`, centreID, p.name, p.room).Scan(&id); err != nil {
				return fmt.Errorf("person: %w", err)
			}
			person[p.name] = id
		}

		// classes
		group := map[string]int64{}
		session := map[string]int64{}
		for _, g := range []struct {
			name, level string
			weekday     int
			starts, end string
		}{{"A1 matin", "A1", 1, "09:00", "12:00"}, {"Alpha", "alpha", 2, "14:00", "16:00"}} {
			var gid, sid int64
			if err := tx.QueryRow(ctx, `INSERT INTO class_groups (centre_id, external_id, level, name)
				VALUES ($1, $2, $3, $2) RETURNING id`, centreID, g.name, g.level).Scan(&gid); err != nil {
				return fmt.Errorf("group: %w", err)
			}
			if err := tx.QueryRow(ctx, `INSERT INTO class_sessions (centre_id, group_id, external_id, weekday, starts, ends, room, teacher)
				VALUES ($1, $2, $3, $4, $5, $6, 'Salle 1', 'Mme Martin') RETURNING id`,
				centreID, gid, g.name+"-s", g.weekday, g.starts, g.end).Scan(&sid); err != nil {
				return fmt.Errorf("session: %w", err)
			}
			group[g.name], session[g.name] = gid, sid
		}
		for _, e := range []struct {
			group, who string
			hours      int
		}{{"A1 matin", Ahmad, 200}, {"A1 matin", Bilal, 100}, {"Alpha", Cherif, 600}} {
			if _, err := tx.Exec(ctx, `INSERT INTO class_enrolments (centre_id, group_id, person_id, prescribed_hours)
				VALUES ($1, $2, $3, $4)`, centreID, group[e.group], person[e.who], e.hours); err != nil {
				return fmt.Errorf("enrolment: %w", err)
			}
		}
		for _, r := range []struct {
			group, day string
			hh, min    int
			marks      map[string]string
		}{
			{"A1 matin", "2026-09-28", 9, 180, map[string]string{Ahmad: "present", Bilal: "absent"}},
			{"A1 matin", "2026-10-05", 9, 180, map[string]string{Ahmad: "present", Bilal: "absent"}},
			{"Alpha", "2026-10-06", 14, 120, map[string]string{Cherif: "present"}},
			{"A1 matin", "2026-10-12", 9, 180, map[string]string{Ahmad: "present", Bilal: "excused"}},
			{"Alpha", "2026-10-13", 14, 120, map[string]string{Cherif: "absent"}},
			{"A1 matin", "2026-11-02", 9, 180, map[string]string{Ahmad: "absent"}},
		} {
			var rid int64
			if err := tx.QueryRow(ctx, `INSERT INTO class_registers (centre_id, session_id, on_date, starts_at, minutes)
				VALUES ($1, $2, $3, $4, $5) RETURNING id`, centreID, session[r.group], r.day, at(r.day, r.hh, 0), r.min).Scan(&rid); err != nil {
				return fmt.Errorf("register: %w", err)
			}
			for who, mark := range r.marks {
				if _, err := tx.Exec(ctx, `INSERT INTO class_attendance (register_id, person_id, mark) VALUES ($1, $2, $3)`,
					rid, person[who], mark); err != nil {
					return fmt.Errorf("mark: %w", err)
				}
			}
		}

		// ledger
		receipt := 0
		entry := func(who, kind string, cents int64, day string, month *string, reverses *int64) (int64, error) {
			var rec *string
			if kind == "payment" {
				receipt++
				s := fmt.Sprintf("R-2026-%06d", receipt)
				rec = &s
			}
			var id int64
			err := tx.QueryRow(ctx, `INSERT INTO ledger_entries (centre_id, person_id, kind, cents, month, receipt_no, reverses, at)
				VALUES ($1, $2, $3, $4, $5::date, $6, $7, $8) RETURNING id`,
				centreID, person[who], kind, cents, month, rec, reverses, at(day, 9, 0)).Scan(&id)
			if err != nil {
				return 0, fmt.Errorf("ledger: %w", err)
			}
			return id, nil
		}
		month := func(m string) *string { return &m }
		for _, e := range []struct {
			who, kind string
			cents     int64
			day       string
			month     *string
		}{
			{Ahmad, "charge", 15000, "2026-07-01", month("2026-07-01")},
			{Ahmad, "charge", 15000, "2026-08-01", month("2026-08-01")},
			{Ahmad, "payment", -15000, "2026-08-10", nil},
			{Ahmad, "charge", 15000, "2026-09-01", month("2026-09-01")},
			{Ahmad, "charge", 15000, "2026-10-01", month("2026-10-01")},
			{Ahmad, "payment", -5000, "2026-10-15", nil},
			{Bilal, "charge", 10000, "2026-10-01", month("2026-10-01")},
			{Bilal, "payment", -12000, "2026-10-05", nil},
			{Cherif, "charge", 8000, "2026-09-15", month("2026-09-01")},
			{Cherif, "payment", -8000, "2026-11-03", nil},
		} {
			if _, err := entry(e.who, e.kind, e.cents, e.day, e.month, nil); err != nil {
				return err
			}
		}
		wrong, err := entry(Bilal, "charge", 5000, "2026-10-02", month("2026-11-01"), nil)
		if err != nil {
			return err
		}
		if _, err := entry(Bilal, "correction", -5000, "2026-10-03", nil, &wrong); err != nil {
			return err
		}

		// chores
		area := map[string]int64{}
		for _, name := range []string{"Cuisine 1er", "Douches"} {
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO chore_areas (centre_id, external_id, name, days, window_start, window_end)
				VALUES ($1, $2, $2, '{1,2,3,4,5}', 600, 720) RETURNING id`, centreID, name).Scan(&id); err != nil {
				return fmt.Errorf("area: %w", err)
			}
			area[name] = id
		}
		turn := func(a, day, week, who, state string) (int64, error) {
			var id int64
			err := tx.QueryRow(ctx, `INSERT INTO chore_turns (centre_id, area_id, person_id, on_date, week_start, starts_at, ends_at, state)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
				centreID, area[a], person[who], day, week, at(day, 10, 0), at(day, 12, 0), state).Scan(&id)
			if err != nil {
				return 0, fmt.Errorf("turn: %w", err)
			}
			return id, nil
		}
		swap := func(turnID int64, from, to, state string) error {
			_, err := tx.Exec(ctx, `INSERT INTO chore_swaps (centre_id, turn_id, from_person, to_person, state)
				VALUES ($1, $2, $3, $4, $5)`, centreID, turnID, person[from], person[to], state)
			return err
		}
		for _, t := range []struct{ area, day, week, who, state string }{
			{"Cuisine 1er", "2026-09-30", "2026-09-28", Ahmad, "done"},
			{"Douches", "2026-10-01", "2026-09-28", Bilal, "done"},
			{"Cuisine 1er", "2026-10-05", "2026-10-05", Ahmad, "done"},
			{"Cuisine 1er", "2026-10-06", "2026-10-05", Bilal, "missed"},
			{"Douches", "2026-10-05", "2026-10-05", Bilal, "done"},
			{"Cuisine 1er", "2026-10-12", "2026-10-12", Ahmad, "pending"},
		} {
			if _, err := turn(t.area, t.day, t.week, t.who, t.state); err != nil {
				return err
			}
		}
		swapped, err := turn("Cuisine 1er", "2026-10-07", "2026-10-05", Cherif, "done")
		if err != nil {
			return err
		}
		if err := swap(swapped, Bilal, Cherif, "approved"); err != nil {
			return err
		}
		refused, err := turn("Cuisine 1er", "2026-10-13", "2026-10-12", Ahmad, "missed")
		if err != nil {
			return err
		}
		return swap(refused, Ahmad, Bilal, "refused")
	})
}
