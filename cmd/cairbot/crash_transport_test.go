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
	r.start([]string{"run"})

	const outage = 60 * time.Second
	end := r.tg.Outage("sendMessage", 0, 502)
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
		refused(r.tg, "sendMessage", 502), outage, repliesMissing, repliesExtra, took(repliesIn), rowsMissing, rowsExtra, took(outboxIn),
		r.outboxStates(handlers.KindNotify))
	if f.missing != 0 {
		t.Fatalf("after the outage: %d replies and %d outbox messages never arrived", repliesMissing, rowsMissing)
	}
	if f.duplicates != 0 {
		t.Fatalf("%d replies and %d outbox messages arrived twice", repliesExtra, rowsExtra)
	}
}

// refused counts the calls to method Telegram answered with code.
func refused(tg *telegramtest.Server, method string, code int) int {
	n := 0
	for _, c := range tg.CallsTo(method) {
		if c.Status == code {
			n++
		}
	}
	return n
}

// took shows a delay measured, or "never".
func took(d time.Duration) string {
	if d == 0 {
		return "never"
	}
	return d.Round(100 * time.Millisecond).String()
}

// In webhook mode the bot is killed while it handles an update, and
// started again at the same address: Telegram posts again what was cut,
// and the new process takes the dead one's updates over once their lease
// lapses (10 s), so every resident gets his reply — once, unless the kill
// fell after his reply left and before his update was marked done.
func TestCrashWebhookUpdatesInFlight(t *testing.T) {
	r := newRig(t)
	writers := r.residents(40, 770000, "fr", "ar", "ti", "fa-AF", "so", "ps", "ru", "ur")
	addr := freeAddr(t)
	p := &proc{args: []string{"run"}, addr: addr, env: []string{
		"WEBHOOK_URL=http://" + addr + "/telegram/webhook", "WEBHOOK_SECRET=crash-webhook-secret"}}
	r.launch(p)
	r.tg.WaitFor(t, 10*time.Second, "the webhook set", func() bool { return r.tg.WebhookURL() != "" })

	// In webhook mode SendText returns once Telegram's first post is
	// answered, which a dead process's update holds up: what counts is
	// that every resident wrote.
	var mu sync.Mutex
	writerOf := map[int64]store.Person{}
	var wrote atomic.Int32
	for _, w := range writers {
		go func() {
			time.Sleep(time.Duration(rand.Int64N(int64(8 * time.Second))))
			wrote.Add(1)
			id := r.tg.SendText(user(w), "/help")
			mu.Lock()
			writerOf[id] = w
			mu.Unlock()
		}()
	}
	// Each kill falls the moment an update is being handled (or, if none
	// is within 3 s, then anyway); an update still claimed by the dead
	// process was cut in the middle.
	type cutUpdate struct {
		id        int64
		restarted time.Time
	}
	var cut []cutUpdate
	kills := 0
	for kills < 2 || (len(cut) == 0 && kills < 4) {
		time.Sleep(time.Duration(300+rand.Int64N(1200)) * time.Millisecond)
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if len(r.updatesInProgress(int64(len(writers)))) > 0 {
				break
			}
		}
		r.kill(p)
		kills++
		ids := r.updatesInProgress(int64(len(writers)))
		r.launch(p)
		for _, id := range ids {
			cut = append(cut, cutUpdate{id, time.Now()})
		}
	}
	r.tg.WaitFor(t, 15*time.Second, "every resident wrote", func() bool { return int(wrote.Load()) == len(writers) })

	recovered := within(40*time.Second, func() bool {
		missing, _, _ := r.tally(writers, func(string) bool { return true })
		return missing == 0
	})
	f := figures{recipients: len(writers), kills: kills}
	f.missing, _, f.duplicates = r.tally(writers, func(string) bool { return true })
	// How long the restarted process took to answer each update the dead
	// one had cut: the lease it waited for.
	mu.Lock()
	for _, c := range cut {
		if msgs := r.tg.Messages(*writerOf[c.id].TelegramID); len(msgs) > 0 {
			f.recovered = max(f.recovered, msgs[len(msgs)-1].At.Sub(c.restarted))
		}
	}
	mu.Unlock()
	r.logFigures("webhook", f)
	t.Logf("webhook: %d updates cut in the middle by the kills; webhook answers %v", len(cut), statusCounts(r.tg))
	if !recovered || f.missing != 0 {
		t.Fatalf("%d residents got no reply within 40 s of the restart", f.missing)
	}
	if f.duplicates > len(cut) {
		t.Fatalf("%d duplicate replies; only the %d updates cut in the middle may be answered twice", f.duplicates, len(cut))
	}
	if f.recovered > 15*time.Second {
		t.Fatalf("the restarted process answered a cut update after %v; the lease is 10 s", f.recovered)
	}
	if len(cut) == 0 {
		t.Logf("webhook: no kill fell in the middle of an update this time; the takeover was not exercised")
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
