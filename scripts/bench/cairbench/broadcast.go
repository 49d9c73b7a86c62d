package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/scripts/bench/benchfig"
)

// broadcastFigures is what the announcement measured, from the fake
// Telegram's record of every call.
type broadcastFigures struct {
	recipients, delivered int
	configured            int // SEND_RATE_GLOBAL (messages a second)
	first, last           time.Duration
	rate                  float64 // delivered messages a second, first to last
	limited               int     // calls refused with 429 during the phase
	duplicates            int     // messages beyond the first in a recipient's chat
	edits                 int     // progress message edits
	// stale is the longest the progress message showed a count the truth
	// had already passed; behind is the most messages it was behind when
	// edited; final is from the last delivery to the "finished" edit.
	stale, final time.Duration
	behind       int
	report       bool // the report reached the staff member
	ready        time.Duration
	peakMB, cpu  float64
}

var progressCount = regexp.MustCompile(`(\d[\d,]*) of (\d[\d,]*)`)

// runBroadcast has the first staff member of the data set compose an
// announcement to one floor (own text) and confirm it, through the fake
// Telegram, as he would with his phone; then waits for every message and
// counts.
func runBroadcast(ctx context.Context, o opts, f *fake, d *dbSet, env []string, dir string) (*broadcastFigures, error) {
	fig := &broadcastFigures{configured: bot.Defaults().GlobalRate}
	cb, err := startBot("cairbot-broadcast", o.cairbot, []string{"run"}, env, "/readyz", f, dir)
	if err != nil {
		return nil, err
	}
	defer cb.stop()
	fig.ready = cb.ready
	_, cpu0 := cb.usage()
	staff := d.pop.staff[0].ID
	user := "user=" + strconv.FormatInt(staff, 10)
	// waitButton waits for a bot message in the staff chat, newer than
	// after, with a button whose data starts with prefix.
	waitButton := func(prefix string, after int) (int, string, error) {
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			msgs, err := f.messages(staff)
			if err != nil {
				return 0, "", err
			}
			for i := len(msgs) - 1; i >= 0 && msgs[i].ID > after; i-- {
				for _, row := range msgs[i].Keyboard {
					for _, b := range row {
						if strings.HasPrefix(b.Data, prefix) {
							return msgs[i].ID, b.Data, nil
						}
					}
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		return 0, "", fmt.Errorf("no button %q in the staff chat (log: %s.log)", prefix, dir+"/"+cb.name)
	}
	press := func(prefix string, after int) (int, error) {
		id, data, err := waitButton(prefix, after)
		if err != nil {
			return 0, err
		}
		return id, f.post("/press?" + user + "&message=" + strconv.Itoa(id) + "&data=" + url.QueryEscape(data))
	}
	if err := f.post("/send?" + user + "&text=" + url.QueryEscape("/announce")); err != nil {
		return nil, err
	}
	m, err := press("ann:aud:floor:", 0)
	if err != nil {
		return nil, err
	}
	if m, err = press("ann:floor:0:", m); err != nil {
		return nil, err
	}
	if m, err = press("ann:free:", m); err != nil {
		return nil, err
	}
	// "Type the message": a message without buttons.
	for {
		msgs, err := f.messages(staff)
		if err != nil {
			return nil, err
		}
		if n := len(msgs); n > 0 && msgs[n-1].ID > m {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	text := "Water will be cut on the second floor tomorrow from 9:00 to 12:00. (benchmark)"
	if err := f.post("/send?" + user + "&text=" + url.QueryEscape(text)); err != nil {
		return nil, err
	}
	preview, data, err := waitButton("ann:send:", m)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := f.post("/press?" + user + "&message=" + strconv.Itoa(preview) + "&data=" + url.QueryEscape(data)); err != nil {
		return nil, err
	}
	recipients := map[int64]bool{}
	for i := d.data.floors; i <= d.data.residents; i += d.data.floors { // floor 0: i mod floors = 0
		recipients[int64(residentUID+i)] = true
	}
	fig.recipients = len(recipients)
	// Wait for the report to the staff member (it follows the last
	// outcome), at most twice the time the configured rate needs.
	deadline := t0.Add(time.Duration(2*float64(len(recipients))/float64(fig.configured)*float64(time.Second)) + 30*time.Second)
	for {
		msgs, err := f.messages(staff)
		if err != nil {
			return nil, err
		}
		if n := len(msgs); n > 0 && strings.HasPrefix(msgs[n-1].Text, "📊") {
			fig.report = true
			break
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	fig.peakMB, fig.cpu = cb.usage()
	fig.cpu -= cpu0
	sends, err := f.calls("sendMessage", t0)
	if err != nil {
		return nil, err
	}
	all, err := f.calls("", t0)
	if err != nil {
		return nil, err
	}
	for _, c := range all {
		if c.Status == 429 {
			fig.limited++
		}
	}
	var times []time.Time
	per := map[int64]int{}
	for _, c := range sends {
		if c.Status != 200 || !recipients[c.ChatID] {
			continue
		}
		times = append(times, c.At)
		per[c.ChatID]++
	}
	for _, n := range per {
		fig.duplicates += n - 1
	}
	fig.delivered = len(per)
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	if len(times) > 1 {
		fig.first, fig.last = times[0].Sub(t0), times[len(times)-1].Sub(t0)
		fig.rate = float64(len(times)-1) / times[len(times)-1].Sub(times[0]).Seconds()
	}
	edits, err := f.calls("editMessageText", t0)
	if err != nil {
		return nil, err
	}
	var progress []benchfig.Shown
	for _, c := range edits {
		if c.Status != 200 || c.ChatID != staff || c.MessageID != preview {
			continue
		}
		if n, ok := benchfig.Count(progressCount, c.Text); ok {
			progress = append(progress, benchfig.Shown{At: c.At, N: n})
		}
	}
	pr := benchfig.ProgressOf(progress, times, time.Now())
	fig.edits, fig.stale, fig.behind, fig.final = pr.Edits, pr.Stale, pr.Behind, pr.Final
	fmt.Fprintf(os.Stderr, "  %d of %d delivered at %.1f/s, %d × 429, %d duplicates, progress stale up to %.2f s\n",
		fig.delivered, fig.recipients, fig.rate, fig.limited, fig.duplicates, fig.stale.Seconds())
	return fig, nil
}
