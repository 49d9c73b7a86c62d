package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/aurore/cairbot/bot/telegramtest"
)

// The targets of issue 13 the benchmark measures.
const (
	targetClosedRatio = 0.5  // of the echo bot's closed-loop replies/s
	targetP99At300    = 15.0 // ms
	targetBurst       = 2.0  // s, 200 residents tapping at once
	targetRSS         = 60.0 // MB
	targetReady       = 1.0  // s
)

func lat(r telegramtest.LoadResult) string {
	s := fmt.Sprintf("%.1f / %.1f / %.1f ms", r.P50, r.P99, r.Max)
	if r.Answered < r.Sent {
		s += fmt.Sprintf(" (%d of %d unanswered)", r.Sent-r.Answered, r.Sent)
	}
	return s
}

func ratio(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

// cpuPerK is CPU milliseconds per answered update (whole phase: warm-up
// and every run), the fair comparison when the faster bot answered more.
func cpuPerK(f *botFigures) float64 {
	if f.answered == 0 {
		return 0
	}
	return (f.cpu - f.startCPU) * 1000 / float64(f.answered)
}

// column is one bot (or setting) and one text in the update path's table.
type column struct {
	label string
	r     *runs
}

func report(w io.Writer, o opts, echo, cair, loose *botFigures, scenarios []scenario) {
	e := echo.perText["hello"]
	cols := []column{{"echo bot (floor)", e}}
	for _, s := range scenarios {
		cols = append(cols, column{"cairbot: " + s.label, cair.perText[s.text]})
	}
	if loose != nil {
		cols = append(cols, column{"cairbot with `" + strings.Join(o.loose, " ") + "`: " + scenarios[0].label, loose.perText[scenarios[0].text]})
	}
	fmt.Fprintf(w, "Each closed or open run lasts %s; the closed loop is %d residents each writing again as soon as his answer arrived; the open runs send at a fixed rate whatever the answers, residents in turn (at 100/s each resident writes every 2 s; at 300/s every 0.67 s, more often than the 1 message a second per chat cairbot keeps to by default). Latency is measured by the fake Telegram, from the moment the update was due to be POSTed to the bot's webhook until the bot's `sendMessage` in that chat reached it: p50 / p99 / max.\n\n", o.dur, residents)
	fmt.Fprint(w, "| |")
	for _, c := range cols {
		fmt.Fprintf(w, " %s |", c.label)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "|---|"+strings.Repeat("---|", len(cols)))
	row := func(name string, cv func(r *runs) string) {
		fmt.Fprintf(w, "| %s |", name)
		for _, c := range cols {
			fmt.Fprintf(w, " %s |", cv(c.r))
		}
		fmt.Fprintln(w)
	}
	row("closed loop, replies/s (ratio to echo)", func(r *runs) string {
		return fmt.Sprintf("%.0f (%s)", r.closed.PerSecond, ratio(r.closed.PerSecond, e.closed.PerSecond))
	})
	row("closed loop latency", func(r *runs) string { return lat(r.closed) })
	row("open 100 updates/s", func(r *runs) string { return lat(r.open100) })
	row("open 100/s, p99 ratio to echo", func(r *runs) string { return ratio(r.open100.P99, e.open100.P99) })
	row("open 300 updates/s", func(r *runs) string { return lat(r.open300) })
	row("open 300/s, p99 ratio to echo", func(r *runs) string { return ratio(r.open300.P99, e.open300.P99) })
	row("extra messages (a second message for one update), all three runs", func(r *runs) string {
		return fmt.Sprint(r.closed.Extra + r.open100.Extra + r.open300.Extra)
	})
	row("answer seen (first resident)", func(r *runs) string { return quote(r.sample) })
	fmt.Fprintln(w)
	// What the per-chat pacing alone allows a closed loop: every chat its
	// burst, then its rate, over the run.
	ceiling := func(rate, burst float64) float64 {
		return residents * (burst + rate*o.dur.Seconds()) / o.dur.Seconds()
	}
	fmt.Fprintf(w, "Per-chat pacing alone caps a closed loop of %d residents over %s at %.0f replies/s with the default `SEND_RATE_CHAT=1 SEND_RATE_CHAT_BURST=3`", residents, o.dur, ceiling(1, 3))
	if loose != nil {
		fmt.Fprintf(w, " and at %.0f replies/s with `%s`", ceiling(29, 5), strings.Join(o.loose, " "))
	}
	fmt.Fprintf(w, "; the echo bot has no pacing at all (Telegram asks for about 1 message a second per chat). With the defaults, cairbot's closed loop reached %.0f–%.0f%% of that cap.\n\n", 100*minClosed(cair, scenarios)/ceiling(1, 3), 100*maxClosed(cair, scenarios)/ceiling(1, 3))

	bots := []struct {
		label string
		f     *botFigures
	}{{"echo bot", echo}, {"cairbot", cair}}
	if loose != nil {
		bots = append(bots, struct {
			label string
			f     *botFigures
		}{"cairbot with `" + strings.Join(o.loose, " ") + "` (one text)", loose})
	}
	table := func(head string, cells func(f *botFigures) string, r func(c, e *botFigures) string) {
		fmt.Fprintf(w, "| %s |", head)
		for i, b := range bots {
			fmt.Fprintf(w, " %s", cells(b.f))
			if i > 0 && r != nil {
				fmt.Fprintf(w, " (%s)", r(b.f, echo))
			}
			fmt.Fprint(w, " |")
		}
		fmt.Fprintln(w)
	}
	header := func() {
		fmt.Fprint(w, "| |")
		for _, b := range bots {
			fmt.Fprintf(w, " %s |", b.label)
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, "|---|"+strings.Repeat("---|", len(bots)))
	}
	fmt.Fprintln(w, "## The processes")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Read from `/proc/PID/status` (VmHWM) and `/proc/PID/stat` (utime + stime) of each bot at the end of its phase (warm-up, every run above and the tap of everyone); ratios to the echo bot in brackets. The bots did not answer as many updates, so CPU is also given per answered update.")
	fmt.Fprintln(w)
	header()
	table("ready: process start → first 200 on /readyz (echo bot: /healthz, then its webhook set)", func(f *botFigures) string { return fmt.Sprintf("%.2f s", f.ready.Seconds()) }, nil)
	table("peak RSS (VmHWM)", func(f *botFigures) string { return fmt.Sprintf("%.1f MB", f.peakMB) }, func(c, e *botFigures) string { return ratio(c.peakMB, e.peakMB) })
	table("CPU during the phase", func(f *botFigures) string { return fmt.Sprintf("%.1f s", f.cpu-f.startCPU) }, nil)
	table("updates answered in the phase", func(f *botFigures) string { return fmt.Sprint(f.answered) }, nil)
	table("CPU per answered update", func(f *botFigures) string { return fmt.Sprintf("%.2f ms", cpuPerK(f)) }, func(c, e *botFigures) string { return ratio(cpuPerK(c), cpuPerK(e)) })
	table("updates unanswered / 429s / extra messages", func(f *botFigures) string { return fmt.Sprintf("%d / %d / %d", f.lost, f.limited, f.extra) }, nil)
	fmt.Fprintln(w)

	fmt.Fprintln(w, "## 200 residents tap at once")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Every resident sends `/balance` at the same moment (to the echo bot: `hello`).\n\n")
	header()
	table("answered", func(f *botFigures) string { return fmt.Sprintf("%d of %d", f.burst.Answered, f.burst.Sent) }, nil)
	table("time until the last answer", func(f *botFigures) string { return fmt.Sprintf("%.2f s", f.burst.Seconds) }, func(c, e *botFigures) string { return ratio(c.burst.Seconds, e.burst.Seconds) })
	table("latency p50 / p99 / max", func(f *botFigures) string { return lat(f.burst) }, nil)
	fmt.Fprintln(w)

	fmt.Fprintln(w, "## Targets of issue 13 (cairbot with its default settings)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| target | measured | |")
	fmt.Fprintln(w, "|---|---|---|")
	worstRatio, worstP99 := 1e9, 0.0
	for _, s := range scenarios {
		r := cair.perText[s.text]
		worstRatio = min(worstRatio, r.closed.PerSecond/max(e.closed.PerSecond, 1e-9))
		p := r.open300.P99
		if r.open300.Answered < r.open300.Sent {
			p = 1e9
		}
		worstP99 = max(worstP99, p)
	}
	fmt.Fprintf(w, "| closed loop ≥ %.1f× the echo bot, every command | worst %.2f× | %s |\n", targetClosedRatio, worstRatio, met(worstRatio >= targetClosedRatio))
	p99s := "some updates unanswered"
	if worstP99 < 1e9 {
		p99s = fmt.Sprintf("worst %.1f ms", worstP99)
	}
	fmt.Fprintf(w, "| p99 ≤ %.0f ms at an open 300 updates/s, every command | %s | %s |\n", targetP99At300, p99s, met(worstP99 <= targetP99At300))
	burstOK := cair.burst.Answered == cair.burst.Sent && cair.burst.Seconds <= targetBurst
	fmt.Fprintf(w, "| 200 residents tapping at once all answered within %.0f s | %d of %d in %.2f s | %s |\n", targetBurst, cair.burst.Answered, cair.burst.Sent, cair.burst.Seconds, met(burstOK))
	fmt.Fprintf(w, "| peak RSS ≤ %.0f MB | %.1f MB | %s |\n", targetRSS, cair.peakMB, met(cair.peakMB <= targetRSS))
	fmt.Fprintf(w, "| ready ≤ %.0f s | %.2f s | %s |\n", targetReady, cair.ready.Seconds(), met(cair.ready.Seconds() <= targetReady))
	fmt.Fprintln(w)
}

// quote shows the start of an answer on one line of a table.
func quote(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 50 {
		s = string(r[:50]) + "…"
	}
	s = strings.ReplaceAll(s, "|", "\\|")
	if s == "" {
		return "(none)"
	}
	return "“" + s + "”"
}

func minClosed(f *botFigures, ss []scenario) float64 {
	m := 1e18
	for _, s := range ss {
		m = min(m, f.perText[s.text].closed.PerSecond)
	}
	return m
}

func maxClosed(f *botFigures, ss []scenario) float64 {
	m := 0.0
	for _, s := range ss {
		m = max(m, f.perText[s.text].closed.PerSecond)
	}
	return m
}
