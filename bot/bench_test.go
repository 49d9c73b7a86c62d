package bot_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
)

// residentsForBench links n residents reading Dari and returns them.
func residentsForBench(b *testing.B, h *harness, n int, base int64) ([]telegramtest.User, []store.Person) {
	ctx := context.Background()
	centre, _ := h.st.CentreBySlug(ctx, h.cfg.Centre)
	users := make([]telegramtest.User, n)
	people := make([]store.Person, n)
	for i := range users {
		users[i] = telegramtest.User{ID: base + int64(i), LanguageCode: "fa"}
		_, code, err := h.st.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: centre.ID, Role: store.RoleResident,
			DisplayName: "Resident", Room: "214", Language: "fa-AF"}, nil, h.clock.Now().Add(time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		if people[i], err = h.st.RedeemInvite(ctx, code, users[i].ID, h.clock.Now()); err != nil {
			b.Fatal(err)
		}
		h.tg.AddChat(users[i].ID)
	}
	return users, people
}

// tapRound has every user tap /balance at once and returns each reply's
// latency (from the tap to the reply's arrival at Telegram) and how long
// the round took.
func tapRound(b *testing.B, h *harness, users []telegramtest.User) ([]time.Duration, time.Duration) {
	before := make([]int, len(users))
	for i, u := range users {
		before[i] = len(h.tg.Messages(u.ID))
	}
	sent := make([]time.Time, len(users))
	start := time.Now()
	for i, u := range users {
		sent[i] = time.Now()
		h.tg.SendText(u, "/balance")
	}
	lat := make([]time.Duration, len(users))
	h.tg.WaitFor(b, 2*time.Minute, "every reply", func() bool {
		for i, u := range users {
			if len(h.tg.Messages(u.ID)) <= before[i] {
				return false
			}
		}
		return true
	})
	last := start
	for i, u := range users {
		at := h.tg.SendTimes(u.ID)[before[i]]
		lat[i] = at.Sub(sent[i])
		if at.After(last) {
			last = at
		}
	}
	return lat, last.Sub(start)
}

func reportLatencies(b *testing.B, lat []time.Duration, wall time.Duration) {
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50_ms")
	b.ReportMetric(q(0.99), "p99_ms")
	b.ReportMetric(q(1), "max_ms")
	b.ReportMetric(float64(len(lat))/wall.Seconds(), "replies/s")
}

// BenchmarkRepliesTapping: 200 residents tap a button at once, with the
// product's default pacing (SEND_RATE_GLOBAL 25/s, 1/s per chat). Replies
// take only their chat's pacing, so they are not held to the global 25/s.
func BenchmarkRepliesTapping(b *testing.B) {
	h := newHarness(b, func(h *harness) {
		d := bot.Defaults()
		h.cfg.GlobalRate, h.cfg.ChatPerSecond, h.cfg.ChatRate, h.cfg.Workers = d.GlobalRate, d.ChatPerSecond, d.ChatRate, d.Workers
	})
	users, _ := residentsForBench(b, h, 200, 200000)
	var all []time.Duration
	var wall time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i > 0 {
			// A resident taps once, not every few milliseconds: his chat's
			// pace (1 a second) is back to full before the next round.
			b.StopTimer()
			time.Sleep(time.Second)
			b.StartTimer()
		}
		lat, took := tapRound(b, h, users)
		all, wall = append(all, lat...), wall+took
	}
	b.StopTimer()
	reportLatencies(b, all, wall)
}

// BenchmarkRepliesDuringBroadcast: a 200-recipient message leaves through
// the outbox at the global rate while 50 other residents tap /balance; the
// replies keep their usual latency.
func BenchmarkRepliesDuringBroadcast(b *testing.B) {
	h := newHarness(b, func(h *harness) {
		d := bot.Defaults()
		h.cfg.GlobalRate, h.cfg.ChatPerSecond, h.cfg.ChatRate, h.cfg.Workers = d.GlobalRate, d.ChatPerSecond, d.ChatRate, d.Workers
	})
	_, recipients := residentsForBench(b, h, 200, 300000)
	users, _ := residentsForBench(b, h, 50, 400000)
	var all []time.Duration
	var wall time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		msgs := make([]store.OutboxMessage, len(recipients))
		for j, p := range recipients {
			msgs[j] = store.OutboxMessage{CentreID: p.CentreID, PersonID: p.ID, Kind: handlers.KindNotify,
				Key: fmt.Sprintf("bench:%d:%d", i, p.ID), MsgID: "error.busy", Priority: 4}
		}
		if _, err := h.st.Enqueue(context.Background(), h.clock.Now(), msgs...); err != nil {
			b.Fatal(err)
		}
		time.Sleep(time.Second) // the broadcast is under way
		lat, took := tapRound(b, h, users)
		all, wall = append(all, lat...), wall+took
	}
	b.StopTimer()
	reportLatencies(b, all, wall)
}
