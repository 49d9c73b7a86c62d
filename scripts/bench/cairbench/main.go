// Command cairbench is the load generator of `make bench` (scripts/bench.sh).
// It starts two fake Telegrams (cmd/faketelegram) as processes of their own
// — one that answers everything, for the update path, and one that refuses
// with 429 what Telegram refuses, for what the bot sends on its own — and
// generates two data sets in SQL (200 and 20,000 residents with two years
// of history, dataset.go). Then, one after the other: the bare echo bot
// (scripts/bench/echobot) and the real cairbot binary in webhook mode with
// its default settings on each data set, residents writing through the
// fake; an announcement to one floor composed and confirmed by a staff
// member through the fake (broadcast.go); appointment reminders due at the
// same second with two cairbot processes (reminders.go). It prints the
// figures as the Markdown of docs/BENCHMARKS.md.
//
// Every latency is measured by the fake: from the moment an update was due
// to be POSTed to the bot's webhook until the bot's answer in that chat
// reached the fake. Memory and CPU are read from /proc for the bot's process.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/scripts/bench/benchproc"
	"github.com/aurore/cairbot/store"
)

const (
	centre = "cair-paris12"
	secret = "bench-secret"
)

type opts struct {
	cairbot, echobot, fake string
	adminURL, dbName       string
	redisURL, prefix       string
	dur                    time.Duration
	dir                    string
	small, large           int // residents of the two data sets
	reminders, floors      int // reminders due at once; floors of the data sets
	closedWriters          int
	rates                  []float64
	profile                string   // a directory for pprof profiles of each update-path scenario ("": none)
	botEnv                 []string // settings given to every cairbot process (-botenv), to compare them
	quick                  bool     // -quick: the update path of the large data set only
}

func main() {
	var o opts
	flag.StringVar(&o.cairbot, "cairbot", "bin/bench/cairbot", "the cairbot binary")
	flag.StringVar(&o.echobot, "echobot", "bin/bench/echobot", "the echo bot binary")
	flag.StringVar(&o.fake, "fake", "bin/bench/faketelegram", "the fake Telegram binary")
	flag.StringVar(&o.adminURL, "postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "a database to create the benchmark's database from")
	flag.StringVar(&o.dbName, "db", "cairbot_bench", "the benchmark's database (dropped and created again)")
	flag.StringVar(&o.redisURL, "redis", "redis://127.0.0.1:6379/0", "Redis")
	flag.StringVar(&o.prefix, "prefix", "cairbench", "Redis key prefix (its keys are deleted first)")
	flag.DurationVar(&o.dur, "duration", 1500*time.Millisecond, "length of each closed or open run")
	flag.IntVar(&o.small, "small", 200, "residents of the small data set")
	flag.IntVar(&o.large, "large", 20000, "residents of the large data set")
	// The sizes: an announcement to 2,000 (one floor of ten) and
	// 1,000 reminders; at the default 25 a second they take two of the
	// five minutes.
	flag.IntVar(&o.reminders, "reminders", 1000, "appointment reminders due at the same moment")
	flag.IntVar(&o.floors, "floors", 10, "floors of the data sets: the announcement goes to one, residents/floors people")
	flag.IntVar(&o.closedWriters, "writers", 200, "writers of the closed loop")
	rates := flag.String("rates", "100,300,1000", "rates of the open runs, updates a second")
	flag.BoolVar(&o.quick, "quick", false, "only the echo bot and cairbot's update path on the large data set, no report (to compare settings or changes)")
	botEnv := flag.String("botenv", "", "settings for every cairbot process, KEY=VALUE separated by spaces (e.g. \"WORKERS=32\"), to measure a setting against the defaults")
	flag.StringVar(&o.profile, "profile", "", "write a CPU profile of each update-path scenario and heap profiles of cairbot into this directory (cairbot runs with PPROF_ADDR)")
	flag.Parse()
	o.botEnv = strings.Fields(*botEnv)
	for _, r := range strings.Split(*rates, ",") {
		v, err := strconv.ParseFloat(r, 64)
		if err != nil || v <= 0 {
			fmt.Fprintln(os.Stderr, "cairbench: -rates:", r)
			os.Exit(2)
		}
		o.rates = append(o.rates, v)
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "cairbench:", err)
		os.Exit(1)
	}
}

// fake is the fake Telegram process and its two addresses.
type fake struct {
	cmd             *exec.Cmd
	api, token, ctl string
}

func startFake(o opts, args ...string) (*fake, error) {
	cmd := benchproc.DiesWithUs(exec.Command(o.fake, args...))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	f := &fake{cmd: cmd}
	sc := bufio.NewScanner(out)
	for f.ctl == "" && sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 3 && fields[0] == "api":
			f.api, f.token = fields[1], fields[2]
		case len(fields) == 2 && fields[0] == "control":
			f.ctl = fields[1]
		}
	}
	if f.api == "" || f.ctl == "" {
		_ = cmd.Process.Kill()
		return nil, errors.New("faketelegram did not print its addresses")
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return f, nil
}

func (f *fake) load(spec telegramtest.LoadSpec) (telegramtest.LoadResult, error) {
	var res telegramtest.LoadResult
	body, _ := json.Marshal(spec)
	resp, err := http.Post(f.ctl+"/load", "application/json", bytes.NewReader(body))
	if err != nil {
		return res, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return res, fmt.Errorf("load: %s: %s", resp.Status, b)
	}
	return res, json.NewDecoder(resp.Body).Decode(&res)
}

// setWebhook points the fake's bot at another bot's webhook, as both bots
// set it themselves (the same secret, max_connections and updates).
func (f *fake) setWebhook(hook string) error {
	form := url.Values{"url": {hook}, "secret_token": {secret}, "max_connections": {"40"},
		"allowed_updates": {`["message","callback_query"]`}}
	resp, err := http.PostForm(f.api+"/bot"+f.token+"/setWebhook", form)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("setWebhook: %s: %s", resp.Status, body)
	}
	if got := f.get("/webhook"); got != hook {
		return fmt.Errorf("setWebhook: the fake's webhook is %q, not %q", got, hook)
	}
	return nil
}

func (f *fake) get(path string) string {
	resp, err := http.Get(f.ctl + path)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// botProc is one bot under test.
type botProc struct {
	name  string
	cmd   *exec.Cmd
	addr  string
	hook  string
	ready time.Duration // process start to its first 200 on the ready path
	pprof string        // its PPROF_ADDR, when profiled
}

// startBot starts a bot listening on a fresh address and waits until it is
// ready (readyPath answers 200) and its webhook is the fake's.
func startBot(name, bin string, args []string, env []string, readyPath string, f *fake, logDir string) (*botProc, error) {
	return startProc(name, bin, args, env, readyPath, f, logDir, true)
}

// startProc starts a bot process; with hook, it waits for its webhook too
// (not a `cairbot worker`, which takes no updates).
func startProc(name, bin string, args []string, env []string, readyPath string, f *fake, logDir string, hookWait bool) (*botProc, error) {
	addr := freeAddr()
	hook := "http://" + addr + "/telegram/webhook"
	cmd := benchproc.DiesWithUs(exec.Command(bin, args...))
	if hookWait {
		env = append(env, "WEBHOOK_URL="+hook, "WEBHOOK_SECRET="+secret)
	}
	cmd.Env = append(os.Environ(), append(env, "LISTEN_ADDR="+addr)...)
	logf, err := os.Create(filepath.Join(logDir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b := &botProc{name: name, cmd: cmd, addr: addr, hook: hook}
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PPROF_ADDR="); ok {
			b.pprof = v
		}
	}
	client := &http.Client{Timeout: time.Second}
	for {
		if time.Since(start) > 30*time.Second {
			b.stop()
			return nil, fmt.Errorf("%s not ready within 30 s (log: %s)", name, logf.Name())
		}
		resp, err := client.Get("http://" + addr + readyPath)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				b.ready = time.Since(start)
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	for hookWait && f.get("/webhook") != hook {
		if time.Since(start) > 30*time.Second {
			b.stop()
			return nil, fmt.Errorf("%s did not set its webhook", name)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return b, nil
}

// openSamples is how many updates an open run sends at least, within
// openMax: a p99 is its run's hundredth slowest answer in a hundred, and
// from the 451 answers of 1.5 s at 300 a second it was their fifth
// slowest, which one pause of the shared machine moved across the 15 ms
// target from one run to the next (13.0 then 15.1 ms for a plain text).
const (
	openSamples = 900
	openMax     = 3 * time.Second
)

// openDuration is how long an open run at rate updates a second lasts:
// long enough for openSamples updates, at least dur, at most openMax
// (make bench's five minutes): 3 s at 100 and 300 a second, dur at 1,000.
func openDuration(dur time.Duration, rate float64) time.Duration {
	need := time.Duration(float64(openSamples) / rate * float64(time.Second))
	return max(dur, min(need, openMax))
}

// readyStarts is how many starts a process's ready time is the median of.
// One start's figure is a tenth of a second that a pause of the shared
// machine can double (0.24 s then 0.40 s for the same binary and data in
// two runs of one afternoon); the median of three is the process's.
const readyStarts = 3

// medianReady starts the stopped bot first's program readyStarts−1 more
// times, one at a time, each stopped once ready and its webhook set, and
// returns the median of their ready times and first's. The later starts
// are restarts (the command menus are already set), as every start of a
// deployment but its first.
func medianReady(first *botProc, name, bin string, args, env []string, f *fake, logDir string) (time.Duration, error) {
	times := []time.Duration{first.ready}
	for i := 1; i < readyStarts; i++ {
		b, err := startBot(fmt.Sprintf("%s-restart%d", name, i), bin, args, env, "/readyz", f, logDir)
		if err != nil {
			return 0, err
		}
		b.stop()
		times = append(times, b.ready)
	}
	fmt.Fprintf(os.Stderr, "  %s ready after %v", name, times[0].Round(time.Millisecond))
	for _, t := range times[1:] {
		fmt.Fprintf(os.Stderr, ", %v", t.Round(time.Millisecond))
	}
	slices.Sort(times)
	fmt.Fprintf(os.Stderr, " (median %v)\n", times[len(times)/2].Round(time.Millisecond))
	return times[len(times)/2], nil
}

func (b *botProc) stop() {
	_ = b.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = b.cmd.Process.Kill()
		<-done
	}
}

// usage is the process's peak resident memory (VmHWM, MB) and the CPU
// seconds it used (utime + stime) so far.
func (b *botProc) usage() (peakMB, cpu float64) {
	pid := strconv.Itoa(b.cmd.Process.Pid)
	if st, err := os.ReadFile("/proc/" + pid + "/status"); err == nil {
		for _, l := range strings.Split(string(st), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				peakMB = kb / 1024
			}
		}
	}
	if st, err := os.ReadFile("/proc/" + pid + "/stat"); err == nil {
		// Fields after the command name, which is in parentheses.
		s := string(st)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(f) > 13 {
			ut, _ := strconv.ParseFloat(f[11], 64)
			stime, _ := strconv.ParseFloat(f[12], 64)
			cpu = (ut + stime) / 100 // USER_HZ is 100 on Linux
		}
	}
	return peakMB, cpu
}

// A scenario is what is sent and by whom: a text written by residents, or
// (tap) an attendance tap by staff members on their class's sheet.
type scenario struct {
	label, text string
	tap         bool
}

// runs is one bot's figures for one scenario.
type runs struct {
	closed telegramtest.LoadResult
	// floor is the echo bot's closed loop run just before closed (zero when
	// none was): the ratio's reference, seconds away rather than minutes.
	floor  telegramtest.LoadResult
	open   map[float64]telegramtest.LoadResult
	sample string
}

type botFigures struct {
	ready     time.Duration
	logErrors int // ERROR lines and job retries in the bot's log
	perText   map[string]*runs
	burst     telegramtest.LoadResult
	peakMB    float64
	cpu       float64
	answered  int
	limited   int
	extra     int
	lost      int
	startCPU  float64
	startPeak float64
}

// population is who writes in a phase: residents, and staff with an
// attendance sheet open (tap scenarios).
type population struct {
	residents, staff []telegramtest.User
}

func (f *botFigures) add(r telegramtest.LoadResult) {
	f.answered += r.Answered
	f.limited += r.Limited
	f.extra += r.Extra
	f.lost += r.Sent - r.Answered
}

// measure runs every scenario on one bot: a closed loop (when closed is
// set) and an open run at each rate, each spread over enough distinct chats
// that no chat writes more than once a second (Telegram's rule, which
// cairbot keeps to with its per-chat pacing), then everyone of the first
// burst residents writing scenarios[0] at the same moment.
//
// floor, when given, runs the echo bot's closed loop and returns its
// figures; it is run right before each closed loop of b.
func measure(f *fake, b *botProc, pop population, scenarios []scenario, o opts, closed bool, rates []float64, burst int, floor func() (telegramtest.LoadResult, error)) (*botFigures, error) {
	fig := &botFigures{ready: b.ready, perText: map[string]*runs{}}
	fig.startPeak, fig.startCPU = b.usage()
	// Warm-up, not reported: connections, caches, anything the start left
	// to send. Chats from the end of the list, which no run starts with,
	// each writing once: more would put them over their pace (1 a second,
	// a burst of 3) and the small centre's first run, which reaches them a
	// second later, would wait for it (its p99 at 100/s was 40 ms).
	warm := pop.residents[len(pop.residents)-min(len(pop.residents), 100):]
	if _, err := f.load(eachOnce(warm, scenarios[0].text, 20)); err != nil {
		return nil, err
	}
	for _, sc := range scenarios {
		users := pop.residents
		if sc.tap {
			users = pop.staff
		}
		spec := func() telegramtest.LoadSpec {
			return telegramtest.LoadSpec{Users: users, Text: sc.text, Press: sc.tap, Duration: o.dur}
		}
		r := &runs{open: map[float64]telegramtest.LoadResult{}}
		n := len(rates)
		if closed {
			n++
		}
		// Before the profile and the CPU count: they are b's.
		if closed && floor != nil {
			res, err := floor()
			if err != nil {
				return nil, fmt.Errorf("echo bot's floor: %w", err)
			}
			r.floor = res
			fmt.Fprintf(os.Stderr, "  echobot plain text, closed loop just before: %.0f replies/s\n", res.PerSecond)
		}
		span := time.Duration(n) * 500 * time.Millisecond
		if closed {
			span += o.dur
		}
		for _, rate := range rates {
			span += openDuration(o.dur, rate)
		}
		stopProfile := startProfile(o, f, b, sc.label, span)
		cpuBefore := servicesCPU()
		_, botBefore := b.usage()
		if closed {
			fmt.Fprintf(os.Stderr, "  %s %s: closed loop, %d writers over %d chats\n", b.name, sc.label, o.closedWriters, len(users))
			s := spec()
			s.Closed, s.Rotate = o.closedWriters, true
			res, err := f.load(s)
			if err != nil {
				return nil, err
			}
			r.closed = res
			fig.add(res)
			fmt.Fprintf(os.Stderr, "    %.0f replies/s, p50 %.1f / p99 %.1f ms\n", res.PerSecond, res.P50, res.P99)
		}
		for _, rate := range rates {
			if rate > float64(len(users)) {
				continue // more than one update a second per chat
			}
			fmt.Fprintf(os.Stderr, "  %s %s: open %.0f/s over %d chats\n", b.name, sc.label, rate, len(users))
			s := spec()
			s.Rate, s.Duration = rate, openDuration(o.dur, rate)
			waitTrace := startTrace(o, b, sc.label, rate, s.Duration)
			res, err := f.load(s)
			waitTrace()
			if err == nil {
				fmt.Fprintf(os.Stderr, "    p50 %.1f / p99 %.1f / max %.1f ms, %d of %d answered\n", res.P50, res.P99, res.Max, res.Answered, res.Sent)
			}
			if err != nil {
				return nil, err
			}
			r.open[rate] = res
			fig.add(res)
		}
		stopProfile()
		// Each process's CPU per answered update, printed on every run: a
		// steadier figure than replies a second on a shared machine.
		after := servicesCPU()
		_, botAfter := b.usage()
		answered := r.closed.Answered
		for _, res := range r.open {
			answered += res.Answered
		}
		// A scenario with no run here (the small centre's taps: too few
		// staff chats) has no CPU per update to give.
		if answered > 0 {
			fmt.Fprintf(os.Stderr, "  %s %s: %d answered; CPU ms per update: bot %.2f", b.name, sc.label, answered, 1000*(botAfter-botBefore)/float64(answered))
			for _, k := range []string{"postgres", "redis-server", "faketelegram", "cairbench"} {
				fmt.Fprintf(os.Stderr, ", %s %.2f", k, 1000*(after[k]-cpuBefore[k])/float64(answered))
			}
			fmt.Fprintln(os.Stderr)
		}
		r.sample = f.get("/last?chat=" + strconv.FormatInt(users[0].ID, 10))
		fig.perText[sc.label] = r
	}
	if burst > 0 {
		fmt.Fprintf(os.Stderr, "  %s: %d residents write at once\n", b.name, burst)
		// A second after the last run, so that no chat is over its pace.
		time.Sleep(time.Second)
		var err error
		if fig.burst, err = f.load(telegramtest.LoadSpec{Users: pop.residents[:burst], Text: scenarios[0].text, Burst: true, Wait: 30 * time.Second}); err != nil {
			return nil, err
		}
		fig.add(fig.burst)
	}
	fig.peakMB, fig.cpu = b.usage()
	fmt.Fprintf(os.Stderr, "  %s: peak RSS %.1f MB, CPU %.1f s\n", b.name, fig.peakMB, fig.cpu)
	return fig, nil
}

// profileName names the files of one bot's scenario in o.profile
// ("cairbot-large-my-week-menu-button").
func profileName(b *botProc, label string) string {
	return b.name + "-" + strings.Trim(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(label)), "-")
}

// download writes what url answers to file in o.profile; a failure is
// said on stderr and costs only that file.
func download(o opts, url, file string) {
	resp, err := http.Get(url)
	if err != nil {
		fmt.Fprintf(os.Stderr, "  profile %s: %v\n", file, err)
		return
	}
	defer resp.Body.Close()
	out, err := os.Create(filepath.Join(o.profile, file))
	if err != nil {
		fmt.Fprintf(os.Stderr, "  profile %s: %v\n", file, err)
		return
	}
	defer out.Close()
	_, _ = io.Copy(out, resp.Body)
}

// inBackground runs each of fs at once; the returned func waits for them.
func inBackground(fs ...func()) (wait func()) {
	var wg sync.WaitGroup
	for _, f := range fs {
		wg.Go(f)
	}
	return wg.Wait
}

// startProfile takes CPU profiles of a profiled bot and of the fake
// Telegram (Telegram's side of the machine) for d, a scenario's runs, in
// the background; the returned func waits for them and adds cairbot's
// /metrics and heap and allocation profiles taken then. It does nothing
// for a bot without PPROF_ADDR.
func startProfile(o opts, fk *fake, b *botProc, label string, d time.Duration) (wait func()) {
	if o.profile == "" || b.pprof == "" {
		return func() {}
	}
	name, secs := profileName(b, label), int(d.Seconds()+0.999)
	cpu := inBackground(
		func() {
			download(o, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", b.pprof, secs), name+".cpu.pb.gz")
		},
		func() {
			download(o, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", fk.ctl, secs), name+".fake.cpu.pb.gz")
		},
	)
	return func() {
		download(o, "http://"+b.addr+"/metrics", name+".metrics")
		download(o, "http://"+b.pprof+"/debug/pprof/heap", name+".heap.pb.gz")
		download(o, "http://"+b.pprof+"/debug/pprof/allocs", name+".allocs.pb.gz")
		cpu()
	}
}

// startTrace takes an execution trace of a profiled bot during the open
// run at 300 updates a second (where issue 13 sets its p99 target), to see
// what holds up the slowest answers; the returned func waits for it.
func startTrace(o opts, b *botProc, label string, rate float64, d time.Duration) (wait func()) {
	if o.profile == "" || b.pprof == "" || rate != 300 {
		return func() {}
	}
	return inBackground(func() {
		download(o, fmt.Sprintf("http://%s/debug/pprof/trace?seconds=%d", b.pprof, int(d.Seconds()+0.999)), profileName(b, label)+".trace")
	})
}

// servicesCPU is the CPU time, in seconds, of every process by name
// (PostgreSQL's backends summed), read from /proc: where an update's cost
// lies besides the bot, printed with -profile.
func servicesCPU() map[string]float64 {
	out := map[string]float64{}
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range dirs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		name := s[open+1 : end]
		f := strings.Fields(s[end+1:])
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		out[name] += (ut + st) / 100
	}
	return out
}

// dbSet is one generated data set in a database of its own.
type dbSet struct {
	name     string
	data     dataset
	url      string
	centreID int64
	gen      time.Duration
	pop      population
	rows     map[string]int64
	menus    time.Duration // first start: until every command menu was set
	steady   time.Duration // every resident writing once, before the runs
}

func (d *dbSet) prepare(ctx context.Context, o opts, env []string, today time.Time) error {
	url, err := freshDB(ctx, o, o.dbName+"_"+d.name)
	if err != nil {
		return err
	}
	d.url = url
	if err := cli(o, append(env, "DATABASE_URL="+url), "migrate"); err != nil {
		return err
	}
	pool, err := newPool(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	c, err := store.New(pool).EnsureCentre(ctx, centre, "CAIR Paris 12e")
	if err != nil {
		return err
	}
	d.centreID = c.ID
	if d.gen, err = d.data.generate(ctx, url, c.ID, today); err != nil {
		return err
	}
	d.rows = map[string]int64{}
	for _, t := range []string{"ledger_entries", "class_attendance", "chore_turns", "appointments"} {
		var n int64
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return err
		}
		d.rows[t] = n
	}
	for i := 1; i <= d.data.residents; i++ {
		d.pop.residents = append(d.pop.residents, telegramtest.User{ID: int64(residentUID + i), FirstName: fmt.Sprintf("Resident %05d", i), LanguageCode: "en"})
	}
	for g := 1; g <= d.data.staff; g++ {
		d.pop.staff = append(d.pop.staff, telegramtest.User{ID: int64(staffUID + g), FirstName: fmt.Sprintf("Teacher %d", g), LanguageCode: "en"})
	}
	return nil
}

// eachOnce is a closed loop in which each of users writes text once (a
// few of the first again, to fill the writers' last round), writers at a
// time: no chat over its pace of one a second.
func eachOnce(users []telegramtest.User, text string, writers int) telegramtest.LoadSpec {
	writers = max(min(writers, len(users)), 1)
	return telegramtest.LoadSpec{Users: users, Text: text, Closed: writers, Rotate: true,
		Rounds: (len(users) + writers - 1) / writers, Duration: time.Millisecond}
}

// everyoneWrote has every resident write once (a plain text, closed loop,
// each chat once), before the runs: the process is then as it is in a
// centre whose residents use the bot every day — it knows each of them
// (store/people_cache.go), and no scenario pays for being the first to
// reach someone. It returns how long that took.
func everyoneWrote(f *fake, residents []telegramtest.User, writers int) (time.Duration, error) {
	start := time.Now()
	spec := eachOnce(residents, "hello", writers)
	spec.Wait = 30 * time.Second
	res, err := f.load(spec)
	if err != nil {
		return 0, err
	}
	if res.Answered < len(residents) || res.Answered < res.Sent {
		return 0, fmt.Errorf("%d of %d answered, want every one of %d residents", res.Answered, res.Sent, len(residents))
	}
	return time.Since(start), nil
}

// openSheets has every staff member of the data set open today's
// attendance sheet of his class through the bot: /attendance, then the
// class's button. The tap scenario then presses the first resident's
// button of that sheet.
func openSheets(ctx context.Context, f *fake, d *dbSet, today time.Time) error {
	if _, err := f.load(telegramtest.LoadSpec{Users: d.pop.staff, Text: "/attendance", Burst: true, Wait: 30 * time.Second}); err != nil {
		return err
	}
	conn, err := connect(ctx, d.url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT id, split_part(external_id, '-', 2)::int FROM class_sessions
		WHERE centre_id = $1 AND external_id LIKE '%-1'`, d.centreID)
	if err != nil {
		return err
	}
	session := map[int]int64{}
	for rows.Next() {
		var id int64
		var g int
		if err := rows.Scan(&id, &g); err != nil {
			return err
		}
		session[g] = id
	}
	if err := rows.Err(); err != nil {
		return err
	}
	sem := make(chan struct{}, 16)
	errs := make(chan error, len(d.pop.staff))
	for g, u := range d.pop.staff {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			msgs, err := f.messages(u.ID)
			if err != nil || len(msgs) == 0 {
				errs <- fmt.Errorf("staff %d: no class list (%v)", u.ID, err)
				return
			}
			data := "att:o:" + strconv.FormatInt(session[g+1], 36) + ":" + today.Format("20060102")
			errs <- f.post("/press?user=" + strconv.FormatInt(u.ID, 10) + "&message=" + strconv.Itoa(msgs[len(msgs)-1].ID) + "&data=" + data)
		}()
	}
	for range d.pop.staff {
		if err := <-errs; err != nil {
			return err
		}
	}
	// Every sheet is there once its last message carries a resident's button.
	deadline := time.Now().Add(60 * time.Second)
	for _, u := range d.pop.staff {
		for {
			msgs, err := f.messages(u.ID)
			if err != nil {
				return err
			}
			if n := len(msgs); n > 0 && len(msgs[n-1].Keyboard) > 0 && strings.HasPrefix(msgs[n-1].Keyboard[0][0].Data, "att:t:") {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("staff %d: no attendance sheet", u.ID)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// fakeMessage and fakeCall are cmd/faketelegram's GET /messages and
// GET /calls.
type fakeMessage struct {
	ID       int    `json:"id"`
	Text     string `json:"text"`
	Keyboard [][]struct {
		Text string `json:"text"`
		Data string `json:"data"`
	} `json:"keyboard"`
	At       time.Time `json:"at"`
	EditedAt time.Time `json:"edited_at"`
}

type fakeCall struct {
	Method    string    `json:"method"`
	ChatID    int64     `json:"chat_id"`
	MessageID int       `json:"message_id"`
	Text      string    `json:"text"`
	At        time.Time `json:"at"`
	Status    int       `json:"status"`
}

func (f *fake) messages(chat int64) ([]fakeMessage, error) {
	var out []fakeMessage
	return out, f.getJSON("/messages?chat="+strconv.FormatInt(chat, 10), &out)
}

func (f *fake) calls(method string, since time.Time) ([]fakeCall, error) {
	var out []fakeCall
	return out, f.getJSON("/calls?method="+method+"&since="+strconv.FormatInt(since.UnixNano(), 10), &out)
}

func (f *fake) getJSON(path string, v any) error {
	resp, err := http.Get(f.ctl + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func (f *fake) post(path string) error {
	resp, err := http.Post(f.ctl+path, "", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, b)
	}
	return nil
}

// results is everything the report needs.
type results struct {
	echo, small, large *botFigures
	sets               []*dbSet
	broadcast          *broadcastFigures
	reminders          *reminderFigures
	scenarios          []scenario
}

func run(ctx context.Context, o opts) error {
	dir, err := os.MkdirTemp("", "cairbench-")
	if err != nil {
		return err
	}
	o.dir = dir
	f, err := startFake(o)
	if err != nil {
		return err
	}
	defer func() { _ = f.cmd.Process.Signal(os.Interrupt); _ = f.cmd.Wait() }()
	// Telegram's limits (3 a second per chat, 30 a second in all) for what
	// the bot sends on its own; every call kept for the counts.
	fl, err := startFake(o, "-limits", "-maxcalls", "200000")
	if err != nil {
		return err
	}
	defer func() { _ = fl.cmd.Process.Signal(os.Interrupt); _ = fl.cmd.Wait() }()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return err
	}
	today := time.Now().In(paris)
	base := append([]string{"REDIS_URL=" + o.redisURL, "CENTRE=" + centre, "TZ=Europe/Paris"}, o.botEnv...)
	env := func(fk *fake, d *dbSet, prefix string) []string {
		return append(base, "TELEGRAM_TOKEN="+fk.token, "TELEGRAM_API_URL="+fk.api,
			"DATABASE_URL="+d.url, "REDIS_PREFIX="+o.prefix+"-"+prefix)
	}
	res := &results{}
	began := time.Now()
	phase := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "[%3.0f s] "+format+"\n", append([]any{time.Since(began).Seconds()}, a...)...)
	}
	small := &dbSet{name: "small", data: newDataset(o.small, o.floors)}
	large := &dbSet{name: "large", data: newDataset(o.large, o.floors)}
	res.sets = []*dbSet{small, large}
	for _, d := range res.sets {
		phase("data set: %d residents, %d staff, two years of history", d.data.residents, d.data.staff)
		if err := d.prepare(ctx, o, base, today); err != nil {
			return fmt.Errorf("data set %s: %w", d.name, err)
		}
		fmt.Fprintf(os.Stderr, "  generated in %.1f s\n", d.gen.Seconds())
	}
	if err := clearRedis(ctx, o); err != nil {
		return err
	}
	// Every resident and staff member has started the bot (Telegram lets
	// a bot write only to those): both fakes know their chats.
	for _, fk := range []*fake{f, fl} {
		for _, d := range res.sets {
			if err := fk.post(fmt.Sprintf("/chats?first=%d&count=%d", residentUID+1, d.data.residents)); err != nil {
				return err
			}
			if err := fk.post(fmt.Sprintf("/chats?first=%d&count=%d", staffUID+1, d.data.staff)); err != nil {
				return err
			}
		}
	}

	// The floor first: the echo bot answers every text alike, so one text.
	phase("echo bot")
	eb, err := startBot("echobot", o.echobot, nil, env(f, large, "echo"), "/healthz", f, dir)
	if err != nil {
		return err
	}
	echoText := []scenario{{label: "plain text", text: "hello"}}
	res.echo, err = measure(f, eb, large.pop, echoText, o, true, o.rates, 200, nil)
	// The echo bot stays up, idle, through cairbot's phase on the large
	// data set: before each of cairbot's closed loops the fake's webhook
	// is pointed at it for one closed loop of its own, then back. The
	// machine is shared and its speed drifts over minutes (the echo bot's
	// closed loop alone gave 2,200 to 3,800 replies a second in runs of one
	// afternoon), so a ratio to a run seconds before is the bot's, where a
	// ratio to one run minutes before was partly the machine's.
	stopEcho := sync.OnceFunc(eb.stop)
	defer stopEcho()
	if err != nil {
		return err
	}

	res.scenarios = []scenario{
		{label: "`/balance`", text: "/balance"},
		{label: "\"My week\" (menu button)", text: "🗓️ My week"},
		{label: "`/chores`", text: "/chores"},
		{label: "plain text", text: "hello"},
		{label: "attendance tap (staff)", tap: true},
	}
	for _, d := range []*dbSet{small, large} {
		if o.quick && d == small {
			continue
		}
		phase("cairbot, %d residents", d.data.residents)
		benv := env(f, d, d.name)
		if o.profile != "" {
			if err := os.MkdirAll(o.profile, 0o755); err != nil {
				return err
			}
			benv = append(benv, "PPROF_ADDR="+freeAddr())
		}
		cb, err := startBot("cairbot-"+d.name, o.cairbot, []string{"run"}, benv, "/readyz", f, dir)
		if err != nil {
			return err
		}
		menus, err := waitMarker(ctx, o, o.prefix+"-"+d.name, 3*time.Minute)
		if err != nil {
			cb.stop()
			return err
		}
		d.menus = menus + cb.ready
		fmt.Fprintf(os.Stderr, "  command menus of %d people set %.1f s after the start\n", d.data.residents+d.data.staff, d.menus.Seconds())
		if err := openSheets(ctx, f, d, today); err != nil {
			cb.stop()
			return fmt.Errorf("attendance sheets: %w (log: %s)", err, filepath.Join(dir, cb.name+".log"))
		}
		if d.steady, err = everyoneWrote(f, d.pop.residents, o.closedWriters); err != nil {
			cb.stop()
			return fmt.Errorf("every resident writing once: %w (log: %s)", err, filepath.Join(dir, cb.name+".log"))
		}
		fmt.Fprintf(os.Stderr, "  every resident wrote once: %.1f s\n", d.steady.Seconds())
		// The small centre has 200 chats of residents and 10 of staff: a
		// closed loop would measure their pacing, and only the open runs of
		// at most one update a second per chat are made (100/s).
		var floor func() (telegramtest.LoadResult, error)
		if d == large {
			floor = func() (telegramtest.LoadResult, error) {
				if err := f.setWebhook(eb.hook); err != nil {
					return telegramtest.LoadResult{}, err
				}
				res, err := f.load(telegramtest.LoadSpec{Users: large.pop.residents, Text: "hello",
					Closed: o.closedWriters, Rotate: true, Duration: o.dur})
				if herr := f.setWebhook(cb.hook); herr != nil {
					return res, herr
				}
				return res, err
			}
		}
		fig, err := measure(f, cb, d.pop, res.scenarios, o, d == large, o.rates, min(200, d.data.residents), floor)
		cb.stop()
		if err != nil {
			return fmt.Errorf("%w (log: %s)", err, filepath.Join(dir, cb.name+".log"))
		}
		fig.logErrors = logErrors(filepath.Join(dir, cb.name+".log"))
		if fig.ready, err = medianReady(cb, "cairbot-"+d.name, o.cairbot, []string{"run"}, benv, f, dir); err != nil {
			return err
		}
		if d == large {
			res.large = fig
		} else {
			res.small = fig
		}
	}

	stopEcho()

	if o.quick {
		phase("done (-quick: no report)")
		return nil
	}
	// The later processes on the large data set are restarts: the menus
	// are known (their own Redis prefix, since update ids begin again on
	// the other fake).
	for _, p := range []string{"broadcast", "reminders"} {
		if err := copyMarker(ctx, o, o.prefix+"-large", o.prefix+"-"+p); err != nil {
			return err
		}
	}
	phase("announcement to one floor (%d residents)", large.data.residents/large.data.floors)
	if res.broadcast, err = runBroadcast(ctx, o, fl, large, env(fl, large, "broadcast"), dir); err != nil {
		return fmt.Errorf("announcement: %w", err)
	}
	phase("%d reminders due at once, two processes", o.reminders)
	if res.reminders, err = runReminders(ctx, o, fl, large, env(fl, large, "reminders"), dir); err != nil {
		return fmt.Errorf("reminders: %w", err)
	}
	phase("done")
	report(os.Stdout, o, res)
	return nil
}

// freshDB drops and creates the benchmark's database and migrates it.
func freshDB(ctx context.Context, o opts, db string) (string, error) {
	conn, err := connect(ctx, o.adminURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	name := pgx.Identifier{db}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	cfg, err := pgx.ParseConfig(o.adminURL)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, db), nil
}

func clearRedis(ctx context.Context, o opts) error {
	ro, err := redis.ParseURL(o.redisURL)
	if err != nil {
		return err
	}
	rdb := redis.NewClient(ro)
	defer rdb.Close()
	iter := rdb.Scan(ctx, 0, o.prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
	return iter.Err()
}

// cli runs one of cairbot's administration commands.
func cli(o opts, env []string, args ...string) error {
	cmd := benchproc.DiesWithUs(exec.Command(o.cairbot, args...))
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("cairbot %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

const menusMarker = ":marker:command-menus"

// waitMarker waits until cairbot has set every command menu (its Redis
// marker is there) and says how long that took from now.
func waitMarker(ctx context.Context, o opts, prefix string, limit time.Duration) (time.Duration, error) {
	ro, err := redis.ParseURL(o.redisURL)
	if err != nil {
		return 0, err
	}
	rdb := redis.NewClient(ro)
	defer rdb.Close()
	start := time.Now()
	for time.Since(start) < limit {
		n, err := rdb.Exists(ctx, prefix+menusMarker).Result()
		if err != nil {
			return 0, err
		}
		if n == 1 {
			return time.Since(start), nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return 0, fmt.Errorf("cairbot did not set the command menus within %s", limit)
}

func copyMarker(ctx context.Context, o opts, from, to string) error {
	ro, err := redis.ParseURL(o.redisURL)
	if err != nil {
		return err
	}
	rdb := redis.NewClient(ro)
	defer rdb.Close()
	v, err := rdb.Get(ctx, from+menusMarker).Result()
	if err != nil {
		return fmt.Errorf("command menus marker: %w", err)
	}
	return rdb.Set(ctx, to+menusMarker, v, 0).Err()
}

// newPool is a small pool whose first connection is made, waiting a while
// when the server has no free one.
func newPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	for i := 0; ; i++ {
		err := pool.Ping(ctx)
		if err == nil {
			return pool, nil
		}
		if i == 60 {
			pool.Close()
			return nil, err
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// logErrors counts the lines of a bot's log that say something went wrong:
// errors, and jobs that failed and will be tried again.
func logErrors(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "level=ERROR") || strings.Contains(l, "Job errored") {
			n++
		}
	}
	return n
}
