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

func report(w io.Writer, o opts, echo, cair *botFigures, scenarios []scenario) {
	e := echo.perText["hello"]
	fmt.Fprintf(w, "Each closed or open run lasts %s; the closed loop is %d residents each writing again as soon as his answer arrived; the open runs send at a fixed rate whatever the answers, residents in turn. Latency is measured by the fake Telegram, from the moment the update was due to be POSTed to the bot's webhook until the bot's `sendMessage` in that chat reached it. p50 / p99 / max.\n\n", o.dur, residents)
	fmt.Fprintln(w, "| | echo bot (floor) |"+strings.Repeat("", 0)+joinCols(scenarios, func(s scenario) string { return " cairbot: " + s.label + " |" }))
	fmt.Fprintln(w, "|---|---|"+strings.Repeat("---|", len(scenarios)))
	row := func(name string, ev string, cv func(r *runs) string) {
		fmt.Fprintf(w, "| %s | %s |", name, ev)
		for _, s := range scenarios {
			fmt.Fprintf(w, " %s |", cv(cair.perText[s.text]))
		}
		fmt.Fprintln(w)
	}
	row("closed loop, replies/s (ratio to echo)", fmt.Sprintf("%.0f", e.closed.PerSecond), func(r *runs) string {
		return fmt.Sprintf("%.0f (%s)", r.closed.PerSecond, ratio(r.closed.PerSecond, e.closed.PerSecond))
	})
	row("closed loop latency", lat(e.closed), func(r *runs) string { return lat(r.closed) })
	row("open 100 updates/s", lat(e.open100), func(r *runs) string { return lat(r.open100) })
	row("open 100/s, p99 ratio to echo", "1", func(r *runs) string { return ratio(r.open100.P99, e.open100.P99) })
	row("open 300 updates/s", lat(e.open300), func(r *runs) string { return lat(r.open300) })
	row("open 300/s, p99 ratio to echo", "1", func(r *runs) string { return ratio(r.open300.P99, e.open300.P99) })
	row("answer seen (first resident, start)", quote(e.sample), func(r *runs) string { return quote(r.sample) })
	fmt.Fprintln(w)

	fmt.Fprintln(w, "## The processes")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Read from `/proc/PID/status` (VmHWM) and `/proc/PID/stat` (utime + stime) of each bot at the end of its phase (warm-up, every run above and the tap of everyone). The two bots did not answer as many updates, so CPU is also given per answered update.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| | echo bot | cairbot | ratio |")
	fmt.Fprintln(w, "|---|---|---|---|")
	fmt.Fprintf(w, "| ready (process start → first 200 on /readyz; echo: /healthz and webhook set) | %.2f s | %.2f s | %s |\n", echo.ready.Seconds(), cair.ready.Seconds(), ratio(cair.ready.Seconds(), echo.ready.Seconds()))
	fmt.Fprintf(w, "| peak RSS (VmHWM) | %.1f MB | %.1f MB | %s |\n", echo.peakMB, cair.peakMB, ratio(cair.peakMB, echo.peakMB))
	fmt.Fprintf(w, "| CPU during the phase | %.1f s | %.1f s | %s |\n", echo.cpu-echo.startCPU, cair.cpu-cair.startCPU, ratio(cair.cpu-cair.startCPU, echo.cpu-echo.startCPU))
	fmt.Fprintf(w, "| updates answered in the phase | %d | %d | |\n", echo.answered, cair.answered)
	fmt.Fprintf(w, "| CPU per answered update | %.2f ms | %.2f ms | %s |\n", cpuPerK(echo), cpuPerK(cair), ratio(cpuPerK(cair), cpuPerK(echo)))
	fmt.Fprintf(w, "| updates unanswered / 429s / extra messages | %d / %d / %d | %d / %d / %d | |\n", echo.lost, echo.limited, echo.extra, cair.lost, cair.limited, cair.extra)
	fmt.Fprintln(w)

	fmt.Fprintln(w, "## 200 residents tap at once")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Every resident sends `/balance` at the same moment (the echo bot: the same text).\n\n")
	fmt.Fprintln(w, "| | echo bot | cairbot | ratio |")
	fmt.Fprintln(w, "|---|---|---|---|")
	fmt.Fprintf(w, "| answered | %d of %d | %d of %d | |\n", echo.burst.Answered, echo.burst.Sent, cair.burst.Answered, cair.burst.Sent)
	fmt.Fprintf(w, "| time until the last answer | %.2f s | %.2f s | %s |\n", echo.burst.Seconds, cair.burst.Seconds, ratio(cair.burst.Seconds, echo.burst.Seconds))
	fmt.Fprintf(w, "| latency p50 / p99 / max | %s | %s | |\n", lat(echo.burst), lat(cair.burst))
	fmt.Fprintln(w)

	fmt.Fprintln(w, "## Targets of issue 13")
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

func joinCols(ss []scenario, f func(scenario) string) string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteString(f(s))
	}
	return b.String()
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
