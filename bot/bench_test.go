package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/aurore/cairbot/bot/telegramtest"
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
