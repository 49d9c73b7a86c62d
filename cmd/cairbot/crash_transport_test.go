//go:build crash

package main

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
)

// Crash scenarios of the transport: what residents write reaches the bot
// and is answered once, whatever Telegram or the process goes through.

// Telegram fails every message for 60 s (502) while residents write and
// changes queue outbox messages: once it is back, every resident has his
// reply once (the update stays unconfirmed and comes again) and every
// outbox message queued meanwhile leaves.
func TestCrashTelegramOutage(t *testing.T) {
	r := newRig(t)
	langs := []string{"fr", "ar", "ti", "fa-AF", "so", "ps", "ru"}
	writers := r.residents(20, 760000, langs...)
	readers := r.residents(40, 761000, langs...)
	down := r.outageProxy()
	r.start([]string{"run"}, "TELEGRAM_API_URL="+down.url)

	const outage = 60 * time.Second
	end := down.outage("sendMessage", 502)
	var wg sync.WaitGroup
	// Residents write at random moments of the outage's first 40 s…
	for _, w := range writers {
		wg.Go(func() {
			time.Sleep(time.Duration(rand.Int64N(int64(40 * time.Second))))
			r.tg.SendText(user(w), "/help")
		})
	}
	// …and four changes queue ten messages each.
	for b := range 4 {
		wg.Go(func() {
			time.Sleep(time.Duration(rand.Int64N(int64(40 * time.Second))))
			msgs := make([]store.OutboxMessage, 0, 10)
			for _, p := range readers[b*10 : (b+1)*10] {
				msgs = append(msgs, store.OutboxMessage{CentreID: r.centre.ID, PersonID: p.ID, Kind: handlers.KindNotify,
					Key: "crash:outage:" + strconv.FormatInt(p.ID, 10), MsgID: "error.busy"})
			}
			if _, err := r.st.Enqueue(context.Background(), time.Now(), msgs...); err != nil {
				t.Error(err)
			}
		})
	}
	time.Sleep(outage)
	end()
	ended := time.Now()
	wg.Wait()

	// Replies come as soon as the poller tries the update again; outbox
	// messages when River runs their job again, after its backoff.
	var repliesIn, outboxIn time.Duration
	within(2*time.Minute, func() bool {
		if repliesIn == 0 {
			if missing, _, _ := r.tally(writers, func(string) bool { return true }); missing == 0 {
				repliesIn = time.Since(ended)
			}
		}
		if outboxIn == 0 && r.count(`SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')`) == 0 {
			outboxIn = time.Since(ended)
		}
		return (repliesIn != 0 || time.Since(ended) > time.Minute) && outboxIn != 0
	})
	f := figures{recipients: len(writers) + len(readers), recovered: max(repliesIn, outboxIn)}
	repliesMissing, _, repliesExtra := r.tally(writers, func(string) bool { return true })
	rowsMissing, _, rowsExtra := r.tally(readers, func(string) bool { return true })
	f.missing, f.duplicates = repliesMissing+rowsMissing, repliesExtra+rowsExtra
	r.logFigures("outage", f)
	t.Logf("outage: %d calls refused in %v; replies missing %d, duplicated %d, all in: %s after it; outbox missing %d, duplicated %d, all left: %s after it, %v",
		down.refused(), outage, repliesMissing, repliesExtra, took(repliesIn), rowsMissing, rowsExtra, took(outboxIn),
		r.outboxStates(handlers.KindNotify))
	if f.missing != 0 {
		t.Fatalf("after the outage: %d replies and %d outbox messages never arrived", repliesMissing, rowsMissing)
	}
	if f.duplicates != 0 {
		t.Fatalf("%d replies and %d outbox messages arrived twice", repliesExtra, rowsExtra)
	}
}

// took shows a delay measured, or "never".
func took(d time.Duration) string {
	if d == 0 {
		return "never"
	}
	return d.Round(100 * time.Millisecond).String()
}

// In webhook mode the bot is killed while it handles updates, and started
// again at the same address: Telegram posts again what was cut, and the
// new process takes over the dead one's updates once their lease lapses
// (about 10 s), so every resident gets his reply — once, unless the kill
// fell after his reply left and before the update was marked done.
func TestCrashWebhookUpdatesInFlight(t *testing.T) {
	r := newRig(t)
	writers := r.residents(40, 770000, "fr", "ar", "ti", "fa-AF", "so", "ps", "ru", "ur")
	addr := freeAddr(t)
	p := &proc{args: []string{"run"}, addr: addr, env: []string{
		"WEBHOOK_URL=http://" + addr + "/telegram/webhook", "WEBHOOK_SECRET=crash-webhook-secret"}}
	r.launch(p)
	r.tg.WaitFor(t, 10*time.Second, "the webhook set", func() bool { return r.tg.WebhookURL() != "" })

	// In webhook mode SendText returns once Telegram's first post is
	// answered, which a dead process's update can hold up: what counts is
	// that every resident wrote.
	var wrote atomic.Int32
	for _, w := range writers {
		go func() {
			time.Sleep(time.Duration(rand.Int64N(int64(6 * time.Second))))
			wrote.Add(1)
			r.tg.SendText(user(w), "/help")
		}()
	}
	// Each kill falls while an update is being handled (or, if none is
	// within 3 s, at that moment anyway).
	const kills = 2
	var inFlight []int64
	var restarted time.Time
	for range kills {
		time.Sleep(time.Duration(500+rand.Int64N(1500)) * time.Millisecond)
		var cut []int64
		within(3*time.Second, func() bool {
			cut = r.updatesInProgress()
			return len(cut) > 0
		})
		r.kill(p)
		inFlight = append(inFlight, cut...)
		r.launch(p)
		restarted = time.Now()
	}
	r.tg.WaitFor(t, 10*time.Second, "every resident wrote", func() bool { return int(wrote.Load()) == len(writers) })

	recovered := within(40*time.Second, func() bool {
		missing, _, _ := r.tally(writers, func(string) bool { return true })
		return missing == 0
	})
	f := figures{recipients: len(writers), kills: kills, recovered: time.Since(restarted)}
	if recovered {
		// The last reply's delay after the last restart: how long the
		// restarted process waited for the dead one's updates.
		var last time.Time
		for _, w := range writers {
			for _, m := range r.tg.Messages(*w.TelegramID) {
				if m.At.After(last) {
					last = m.At
				}
			}
		}
		f.recovered = max(last.Sub(restarted), 0)
	}
	f.missing, _, f.duplicates = r.tally(writers, func(string) bool { return true })
	r.logFigures("webhook", f)
	t.Logf("webhook: %d updates in progress at the kills %v; webhook answers %v", len(inFlight), inFlight, statusCounts(r.tg))
	if !recovered || f.missing != 0 {
		t.Fatalf("%d residents got no reply within 40 s of the restart", f.missing)
	}
	if f.duplicates > len(inFlight) {
		t.Fatalf("%d duplicate replies; only the %d updates cut in progress may be answered twice", f.duplicates, len(inFlight))
	}
	if f.recovered > 15*time.Second {
		t.Fatalf("the restarted process answered the last update after %v; the lease is 10 s", f.recovered)
	}
}

// statusCounts sums up how the webhook answered Telegram's posts.
func statusCounts(tg *telegramtest.Server) map[int]int {
	m := map[int]int{}
	for _, s := range tg.WebhookStatuses() {
		m[s]++
	}
	return m
}
