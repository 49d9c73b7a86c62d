package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/aurore/cairbot/docs/examples"
	"github.com/aurore/cairbot/store"
)

// Person is a demo person as the page lists him: his fake Telegram
// account, and his invite code while he has not signed up.
type Person struct {
	ID         int64  `json:"id"`
	TelegramID int64  `json:"tg"`
	ExternalID string `json:"ext"`
	Name       string `json:"name"`
	Role       string `json:"role"`
	Language   string `json:"lang"`
	Room       string `json:"room"`
	Code       string `json:"code,omitempty"`
	Linked     bool   `json:"linked"`
}

// featured are the people the picker shows first: residents reading Dari,
// Tigrinya, Arabic, Pashto and French, a staff member, a coordinator.
var featured = []string{"D-01", "D-02", "D-03", "D-04", "D-05", "S-01", "C-01"}

// telegramBase numbers the demo people's fake Telegram accounts.
const telegramBase = 7_000_000

// makeDemo makes the demo centre with cairbot's own commands and the
// example files of docs/examples/demo: residents, classes, the cleaning
// rota, this month's charges and a few payments. The appointments come
// once the bot runs (demoAppointments).
func (s *Sandbox) makeDemo(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "cairbot-demo-")
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	defer os.RemoveAll(dir)
	for _, name := range []string{"residents", "classes", "chores"} {
		data, err := fs.ReadFile(examples.Demo, "demo/"+name+".csv")
		if err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".csv"), data, 0o600); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
	}
	now := s.clock.Now().In(s.cfg.Location)
	month := now.Format("2006-01")
	cmds := [][]string{
		{"import", "residents", filepath.Join(dir, "residents.csv")},
		{"import", "classes", filepath.Join(dir, "classes.csv")},
		{"import", "chores", filepath.Join(dir, "chores.csv")},
		{"money", "charges", "--month", month},
		{"payment", "add", "--room", "214", "--amount", "20"},
		{"payment", "add", "--room", "305", "--amount", "12,50"},
		{"payment", "add", "--room", "110", "--amount", "25"},
		{"payment", "add", "--room", "220", "--amount", "10"},
	}
	for _, args := range cmds {
		var out bytes.Buffer // the report holds invite codes: not logged
		if err := s.opts.Command(ctx, s.cfg, args, &out, s.clock.Now); err != nil {
			return fmt.Errorf("sandbox: demo: cairbot %s %s: %w", args[0], args[1], err)
		}
	}
	return nil
}

// demoAppointments books three residents' housing appointments in the
// coming days, with the bot's reminders.
func (s *Sandbox) demoAppointments(ctx context.Context) error {
	now := s.clock.Now().In(s.cfg.Location)
	st := s.st
	centre, err := st.CentreBySlug(ctx, s.cfg.Centre)
	if err != nil {
		return err
	}
	coordinator, err := s.personID(ctx, "C-01")
	if err != nil {
		return err
	}
	var specs []store.ReminderSpec
	longest := time.Duration(0)
	for _, d := range s.cfg.InterviewReminders {
		specs = append(specs, store.ReminderSpec{Kind: store.ReminderToResident, Offset: d})
		longest = max(longest, d)
	}
	if longest > 0 {
		specs = append(specs, store.ReminderSpec{Kind: store.ReminderNoAnswer, Offset: longest})
	}
	day := func(n, hour int) time.Time {
		return time.Date(now.Year(), now.Month(), now.Day()+n, hour, 0, 0, 0, s.cfg.Location)
	}
	for _, a := range []struct {
		ext, kind, place string
		at               time.Time
		docs             []string
	}{
		{"D-01", store.KindSIAO, "SIAO 75, 5 rue Bernard Palissy (demo)", day(3, 14), []string{"Titre de séjour", "Attestation CAF"}},
		{"D-02", store.KindVisit, "12 rue de Picpus (demo)", day(2, 10), []string{"Pièce d'identité"}},
		{"D-03", store.KindSIAO, "SIAO 75 (demo)", day(4, 11), nil},
	} {
		id, err := s.personID(ctx, a.ext)
		if err != nil {
			return err
		}
		_, err = st.CreateAppointment(ctx, store.NewAppointment{CentreID: centre.ID, PersonID: id, CoordinatorID: coordinator,
			Kind: a.kind, At: a.at, Place: a.place, Documents: a.docs}, specs, s.clock.Now())
		if err != nil {
			return fmt.Errorf("sandbox: demo appointment: %w", err)
		}
	}
	return nil
}

func (s *Sandbox) personID(ctx context.Context, external string) (int64, error) {
	var id int64
	if err := s.pool.QueryRow(ctx, `SELECT id FROM people WHERE external_id = $1`, external).Scan(&id); err != nil {
		return 0, fmt.Errorf("sandbox: demo person %s: %w", external, err)
	}
	return id, nil
}

// loadPeople lists the demo people, the featured ones first, with a new
// invite code for each one (only a hash of the import's codes is kept).
func (s *Sandbox) loadPeople(ctx context.Context) ([]Person, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, COALESCE(telegram_id, 0), external_id, display_name, role, language, COALESCE(room, '')
		FROM people WHERE external_id IS NOT NULL ORDER BY external_id`)
	if err != nil {
		return nil, fmt.Errorf("sandbox: demo people: %w", err)
	}
	people, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Person, error) {
		var p Person
		err := r.Scan(&p.ID, &p.TelegramID, &p.ExternalID, &p.Name, &p.Role, &p.Language, &p.Room)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: demo people: %w", err)
	}
	st := store.New(s.pool)
	centre, err := st.CentreBySlug(ctx, s.cfg.Centre)
	if err != nil {
		return nil, err
	}
	for i := range people {
		p := &people[i]
		if p.TelegramID != 0 {
			p.Linked = true
			continue
		}
		p.TelegramID = telegramBase + p.ID
		if p.Code, err = st.ReissueInvite(ctx, centre.ID, p.ID, nil, s.clock.Now().Add(s.cfg.InviteTTL)); err != nil {
			return nil, fmt.Errorf("sandbox: demo invite: %w", err)
		}
	}
	rank := func(p Person) int {
		if i := slices.Index(featured, p.ExternalID); i >= 0 {
			return i
		}
		return len(featured)
	}
	slices.SortStableFunc(people, func(a, b Person) int { return rank(a) - rank(b) })
	return people, nil
}

// refreshLinked notes who signed up since (his Telegram account is now in
// the database) and the language each one reads now.
func (s *Sandbox) refreshLinked(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.people {
		p := &s.people[i]
		var tg *int64
		if err := s.pool.QueryRow(ctx, `SELECT telegram_id, language FROM people WHERE id = $1`, p.ID).Scan(&tg, &p.Language); err == nil && tg != nil {
			p.Linked, p.Code = true, ""
		}
	}
}
