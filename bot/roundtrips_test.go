package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/store"
)

// costRecorder keeps what each update cost in round trips, by update id.
type costRecorder struct {
	mu    sync.Mutex
	costs map[int64]bot.UpdateCost
}

func (c *costRecorder) record(u bot.UpdateCost) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.costs[u.UpdateID] = u
}

func (c *costRecorder) get(updateID int64) (bot.UpdateCost, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, ok := c.costs[updateID]
	return u, ok
}

// countRoundTrips gives the bot its connections as cmd/cairbot does:
// PostgreSQL traced and Redis hooked by the process's metrics, which count
// the round trips each update makes; rec is told each update's cost.
func countRoundTrips(rec *costRecorder) harnessOption {
	return func(h *harness) {
		m := bot.NewMetrics()
		m.OnUpdateCost(rec.record)
		pcfg := h.pool.Config()
		pcfg.ConnConfig.Tracer = m.PostgresTracer()
		pool, err := pgxpool.NewWithConfig(context.Background(), pcfg)
		if err != nil {
			h.t.Fatal(err)
		}
		h.t.Cleanup(pool.Close)
		ropts := *h.rdb.Options()
		rdb := redis.NewClient(&ropts)
		rdb.AddHook(m.RedisHook())
		h.t.Cleanup(func() { _ = rdb.Close() })
		h.deps = bot.Deps{Pool: pool, Redis: rdb, Metrics: m}
	}
}

// TestRoundTripsOfOrdinaryCommands: /balance, "My week", /chores and a
// plain text each cost at most one Redis round trip to take the update in
// (its claim, the conversation, the chat's pacing), one to finish it, none
// in between, and at most one PostgreSQL query, the feature's own: the
// person is in the process's memory once he wrote (store/people_cache.go)
// — with chores, a class and an appointment in the resident's week, so
// that a query per item would show. A change to him, made behind the
// bot's back, is read again on his next update. An attendance tap, which
// must also change the list, costs exactly one Redis round trip more
// (issue 13: it was 4 PostgreSQL and 4 Redis).
func TestRoundTripsOfOrdinaryCommands(t *testing.T) {
	t.Parallel()
	rec := &costRecorder{costs: map[int64]bot.UpdateCost{}}
	h := choreHarness(t, countRoundTrips(rec))
	u := telegramtest.User{ID: 13001, LanguageCode: "fr"}
	p, n := h.signUp(u, store.RoleResident, "Amina S.", "fr")
	clsExternalID(h, p, "R-13")
	choreImport(h, choreAreas+fmt.Sprintf("member,#%d,,,,,,\n", p.ID))
	mon := choreMonday(h)
	h.setClock(mon)
	choreRunWeekly(h, choreWeek(mon))
	n++ // the Monday message
	h.waitText(u, n)
	clsImport(h, `group,G1,,A1,A1 soir,,,,,,,
session,S1,G1,,,lundi,17:00,19:00,Salle 1,Marie,,
enrolment,,G1,,,,,,,,R-13,200
`)
	coord, _ := h.addPerson(store.RoleCoordinator, "Marie D.", "", "fr")
	apptCreate(t, h, p, coord, "siao", choreDay(mon, 2, 14, 0), "SIAO 75")

	cases := []struct {
		name, text string
		reply      string // the start of the answer, as the resident reads it
	}{
		{"balance", "/balance", "💶 Votre participation"},
		{"my week", "🗓️ Ma semaine", "🗓️ Vos 7 prochains jours"},
		{"chores", "/chores", "🧹 Vos tours de ménage"},
		{"plain text", "bonjour", "🤔 Je n'ai pas compris."},
	}
	// What the resident did above (his external id set behind the bot's
	// back) made the bot forget him: this reads him again.
	h.tg.SendText(u, "bonjour")
	n++
	h.waitText(u, n)
	cost := func(t *testing.T, upd int64) bot.UpdateCost {
		var cost bot.UpdateCost
		h.tg.WaitFor(t, 10*time.Second, "the update finished", func() (ok bool) {
			cost, ok = rec.get(upd)
			return ok
		})
		return cost
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			upd := h.tg.SendText(u, c.text)
			n++
			if got := h.waitText(u, n).Text; !strings.HasPrefix(got, c.reply) {
				t.Fatalf("answer = %q, want it to begin with %q", got, c.reply)
			}
			cost := cost(t, upd)
			t.Logf("%s: %+v", c.name, cost)
			total := cost.Total()
			if cost.Intake.Postgres != 0 {
				t.Errorf("intake: %d PostgreSQL round trips, want none (the person is in memory)", cost.Intake.Postgres)
			}
			if cost.Intake.Redis > 1 {
				t.Errorf("intake: %d Redis round trips, want at most 1", cost.Intake.Redis)
			}
			if cost.Handle.Redis > 0 {
				t.Errorf("handling: %d Redis round trips, want none", cost.Handle.Redis)
			}
			if cost.Finish.Redis > 1 {
				t.Errorf("finish: %d Redis round trips, want at most 1", cost.Finish.Redis)
			}
			if total.Postgres > 1 {
				t.Errorf("%d PostgreSQL round trips (intake %d, handling %d, finish %d), want at most 1",
					total.Postgres, cost.Intake.Postgres, cost.Handle.Postgres, cost.Finish.Postgres)
			}
		})
	}

	// His language changed behind the bot's back (another process, or
	// psql): PostgreSQL's notification makes the bot forget him, and his
	// next update reads him again and is answered in the new language.
	t.Run("changed behind the bot's back", func(t *testing.T) {
		if _, err := h.pool.Exec(context.Background(), `UPDATE people SET language = 'en' WHERE id = $1`, p.ID); err != nil {
			t.Fatal(err)
		}
		upd := h.tg.SendText(u, "/balance")
		n++
		if got, want := h.waitText(u, n).Text, "💶 Your contribution"; !strings.HasPrefix(got, want) {
			t.Fatalf("answer = %q, want it to begin with %q", got, want)
		}
		if c := cost(t, upd); c.Intake.Postgres != 1 {
			t.Errorf("intake: %d PostgreSQL round trips, want 1 (the person read again)", c.Intake.Postgres)
		}
		upd = h.tg.SendText(u, "/balance")
		n++
		h.waitText(u, n)
		if c := cost(t, upd); c.Intake.Postgres != 0 {
			t.Errorf("the next update: %d PostgreSQL round trips at intake, want none", c.Intake.Postgres)
		}
	})

	// An attendance tap (staff), the costliest update of the bench: the
	// person, then one PostgreSQL batch for the class and its roster, and
	// on Redis the intake, one script for the tap (read, check the
	// version, move the mark, write) and the finish. Its own centre and
	// clock: the class is on a Friday, before the Monday above.
	t.Run("attendance tap", func(t *testing.T) {
		rec := &costRecorder{costs: map[int64]bot.UpdateCost{}}
		// The chat's pacing is not what is measured: a burst that lets each
		// of the test's quick messages go out at once, as a staff member's
		// taps a second apart do (a reply refused its pace at intake asks
		// the limiter itself, until allowed).
		roomyChat := func(h *harness) { h.cfg.ChatRate = 20 }
		h := newHarness(t, countRoundTrips(rec), roomyChat)
		staff := telegramtest.User{ID: 13002, LanguageCode: "fr"}
		_, n := h.signUp(staff, store.RoleStaff, "Claire D.", "fr")
		attSetup(h)
		h.tg.SendText(staff, "/attendance")
		clsPress(h, staff, h.waitText(staff, n+1).ID, "09:30 · A1 matin")
		sheet := h.waitText(staff, n+2)

		upd := h.tg.PressButton(staff, sheet.ID, clsButton(t, sheet, "Ahmad K.").CallbackData)
		if m := clsWaitEdits(h, staff, sheet.ID, 1); !attHasButton(m, "❌ Ahmad K. · 102") {
			t.Fatalf("after the tap Ahmad is not absent: %v", m.InlineKeyboard)
		}
		var cost bot.UpdateCost
		h.tg.WaitFor(t, 10*time.Second, "the tap finished", func() (ok bool) {
			cost, ok = rec.get(upd)
			return ok
		})
		t.Logf("attendance tap: %+v", cost)
		want := bot.UpdateCost{UpdateID: cost.UpdateID, Kind: cost.Kind,
			Intake: bot.Trips{Redis: 1}, Handle: bot.Trips{Postgres: 1, Redis: 1}, Finish: bot.Trips{Redis: 1}}
		if cost != want {
			t.Errorf("cost %+v, want %+v: PostgreSQL one batch (the person is in memory), Redis the intake, the tap script and the finish", cost, want)
		}
	})
}
