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

// BenchmarkUpdateRoundTrip measures the whole way of one update: the fake
// Telegram server queues it, our poller takes it, dedupe in Redis, the
// person and conversation are loaded from PostgreSQL and Redis, the route
// runs, and the reply goes back through the Sender. 200 signed-up residents
// write at once (the centre's size). Send limits are lifted for the
// benchmark so that it measures our work, not Telegram's allowance.
func BenchmarkUpdateRoundTrip(b *testing.B) {
	h := newHarness(b, func(h *harness) {
		h.cfg.GlobalRate = 1_000_000
		h.cfg.ChatRate = 1_000_000
		h.cfg.Workers = 16
	})
	ctx := context.Background()
	centre, _ := h.st.CentreBySlug(ctx, h.cfg.Centre)
	users := make([]telegramtest.User, 200)
	for i := range users {
		users[i] = telegramtest.User{ID: int64(100000 + i), LanguageCode: "fa"}
		p, code, err := h.st.CreatePersonWithInvite(ctx, store.NewPerson{CentreID: centre.ID, Role: store.RoleResident,
			DisplayName: "Resident", Room: "214", Language: "fa-AF"}, nil, h.clock.Now().Add(time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := h.st.RedeemInvite(ctx, code, users[i].ID, h.clock.Now()); err != nil {
			b.Fatal(err, p.ID)
		}
		h.tg.AddChat(users[i].ID)
	}
	before := len(h.tg.CallsTo("sendMessage"))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		h.tg.SendText(users[i%len(users)], "/mydata")
	}
	h.tg.WaitFor(b, 5*time.Minute, "all replies", func() bool {
		return len(h.tg.CallsTo("sendMessage"))-before >= b.N
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "updates/s")
}

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
		h.cfg.GlobalRate, h.cfg.ChatRate, h.cfg.Workers = d.GlobalRate, d.ChatRate, d.Workers
	})
	users, _ := residentsForBench(b, h, 200, 200000)
	var all []time.Duration
	var wall time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
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
		h.cfg.GlobalRate, h.cfg.ChatRate, h.cfg.Workers = d.GlobalRate, d.ChatRate, d.Workers
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
