// Command cairbench is the load generator of `make bench` (scripts/bench.sh):
// it starts the fake Telegram (cmd/faketelegram) as a process of its own,
// seeds a realistic centre into a database of its own, then runs, one after
// the other against the same fake, the bare echo bot (scripts/bench/echobot)
// and the real cairbot binary in webhook mode with its default settings,
// asks the fake to make residents write, and prints the figures as the
// Markdown of docs/BENCHMARKS.md.
//
// Every latency is measured by the fake: from the moment an update was due
// to be POSTed to the bot's webhook until the bot's sendMessage in that chat
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
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/store"
)

const (
	residents = 200
	baseUID   = 710_000_000
	centre    = "cair-paris12"
	secret    = "bench-secret"
	// pause between runs: a chat's pacing allowance (3) is back after 3 s.
	pause = 3 * time.Second
)

type opts struct {
	cairbot, echobot, fake string
	adminURL, dbName       string
	redisURL, prefix       string
	dur                    time.Duration
	dir                    string
	// loose is the settings of the second cairbot phase (-loose), each
	// checked by cairbot's own configuration like any other.
	loose []string
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
	flag.DurationVar(&o.dur, "duration", 6*time.Second, "length of each closed or open run")
	loose := flag.String("loose", "SEND_RATE_CHAT=29,SEND_RATE_CHAT_BURST=5", "settings of a second cairbot phase, one text only (empty: none): the loosest per-chat pacing a user may set, to tell the pacing from the rest")
	flag.Parse()
	if *loose != "" {
		o.loose = strings.Split(*loose, ",")
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

func startFake(o opts) (*fake, error) {
	cmd := exec.Command(o.fake)
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
}

// startBot starts a bot listening on a fresh address and waits until it is
// ready (readyPath answers 200) and its webhook is the fake's.
func startBot(name, bin string, args []string, env []string, readyPath string, f *fake, logDir string) (*botProc, error) {
	addr := freeAddr()
	hook := "http://" + addr + "/telegram/webhook"
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), append(env, "WEBHOOK_URL="+hook, "WEBHOOK_SECRET="+secret, "LISTEN_ADDR="+addr)...)
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
	for f.get("/webhook") != hook {
		if time.Since(start) > 30*time.Second {
			b.stop()
			return nil, fmt.Errorf("%s did not set its webhook", name)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return b, nil
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

// A scenario is what residents write and how.
type scenario struct {
	label, text string
}

// runs is one bot's figures for one text.
type runs struct {
	closed, open100, open300 telegramtest.LoadResult
	sample                   string
}

type botFigures struct {
	ready     time.Duration
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

func measure(f *fake, b *botProc, users []telegramtest.User, scenarios []scenario, dur time.Duration) (*botFigures, error) {
	fig := &botFigures{ready: b.ready, perText: map[string]*runs{}}
	fig.startPeak, fig.startCPU = b.usage()
	// Warm-up, not reported: connections, caches, anything the start left
	// to send.
	if _, err := f.load(telegramtest.LoadSpec{Users: users, Text: scenarios[0].text, Closed: 20, Duration: 2 * time.Second}); err != nil {
		return nil, err
	}
	add := func(r telegramtest.LoadResult) {
		fig.answered += r.Answered
		fig.limited += r.Limited
		fig.extra += r.Extra
		fig.lost += r.Sent - r.Answered
	}
	for _, sc := range scenarios {
		r := &runs{}
		var err error
		fmt.Fprintf(os.Stderr, "  %s %q: closed loop, %d users\n", b.name, sc.text, len(users))
		if r.closed, err = f.load(telegramtest.LoadSpec{Users: users, Text: sc.text, Closed: len(users), Duration: dur}); err != nil {
			return nil, err
		}
		add(r.closed)
		r.sample = f.get("/last?chat=" + strconv.FormatInt(users[0].ID, 10))
		// cairbot keeps every chat to SEND_RATE_CHAT (1 a second, burst
		// 3); a closed loop empties every chat's allowance, so each run
		// starts once it came back, not in the previous run's debt.
		time.Sleep(pause)
		fmt.Fprintf(os.Stderr, "  %s %q: open 100/s\n", b.name, sc.text)
		if r.open100, err = f.load(telegramtest.LoadSpec{Users: users, Text: sc.text, Rate: 100, Duration: dur}); err != nil {
			return nil, err
		}
		add(r.open100)
		time.Sleep(pause)
		fmt.Fprintf(os.Stderr, "  %s %q: open 300/s\n", b.name, sc.text)
		if r.open300, err = f.load(telegramtest.LoadSpec{Users: users, Text: sc.text, Rate: 300, Duration: dur}); err != nil {
			return nil, err
		}
		add(r.open300)
		fig.perText[sc.text] = r
		time.Sleep(pause)
	}
	fmt.Fprintf(os.Stderr, "  %s: %d residents tap at once\n", b.name, len(users))
	var err error
	if fig.burst, err = f.load(telegramtest.LoadSpec{Users: users, Text: scenarios[0].text, Burst: true, Wait: 30 * time.Second}); err != nil {
		return nil, err
	}
	add(fig.burst)
	fig.peakMB, fig.cpu = b.usage()
	return fig, nil
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

	dbURL, err := freshDB(ctx, o)
	if err != nil {
		return err
	}
	if err := clearRedis(ctx, o); err != nil {
		return err
	}
	env := []string{
		"TELEGRAM_TOKEN=" + f.token, "TELEGRAM_API_URL=" + f.api,
		"DATABASE_URL=" + dbURL, "REDIS_URL=" + o.redisURL, "REDIS_PREFIX=" + o.prefix,
		"CENTRE=" + centre, "TZ=Europe/Paris",
	}
	fmt.Fprintln(os.Stderr, "seeding: migrations, 200 residents, classes, rota, ledger")
	users, err := seed(ctx, o, env, dbURL)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}

	// The floor first: the echo bot answers every text alike, so one text.
	fmt.Fprintln(os.Stderr, "echo bot")
	eb, err := startBot("echobot", o.echobot, nil, env, "/healthz", f, dir)
	if err != nil {
		return err
	}
	echo, err := measure(f, eb, users, []scenario{{"plain text", "hello"}}, o.dur)
	eb.stop()
	if err != nil {
		return err
	}

	fmt.Fprintln(os.Stderr, "cairbot")
	cb, err := startBot("cairbot", o.cairbot, []string{"run"}, env, "/readyz", f, dir)
	if err != nil {
		return err
	}
	// The statements and receipts of the ledger, queued while nobody was
	// linked, leave through the outbox now (25 a second): measured while
	// they leave, they would pass for answers.
	drained, err := waitOutbox(ctx, dbURL)
	if err != nil {
		cb.stop()
		return err
	}
	fmt.Fprintf(os.Stderr, "  the outbox sent what the seeding queued in %.1f s\n", drained.Seconds())
	scenarios := []scenario{
		{"`/balance`", "/balance"},
		{"\"My week\" (menu button)", "🗓️ My week"},
		{"`/chores`", "/chores"},
		{"plain text", "hello"},
	}
	cair, err := measure(f, cb, users, scenarios, o.dur)
	cb.stop()
	if err != nil {
		return fmt.Errorf("%w (log: %s)", err, filepath.Join(dir, "cairbot.log"))
	}
	var loose *botFigures
	if len(o.loose) > 0 {
		fmt.Fprintln(os.Stderr, "cairbot with", strings.Join(o.loose, " "))
		lb, err := startBot("cairbot-loose", o.cairbot, []string{"run"}, append(env, o.loose...), "/readyz", f, dir)
		if err != nil {
			return err
		}
		loose, err = measure(f, lb, users, scenarios[:1], o.dur)
		lb.stop()
		if err != nil {
			return fmt.Errorf("%w (log: %s)", err, filepath.Join(dir, "cairbot-loose.log"))
		}
	}
	report(os.Stdout, o, echo, cair, loose, scenarios)
	return nil
}

// freshDB drops and creates the benchmark's database and migrates it.
func freshDB(ctx context.Context, o opts) (string, error) {
	conn, err := pgx.Connect(ctx, o.adminURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	name := pgx.Identifier{o.dbName}.Sanitize()
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
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, o.dbName), nil
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
	cmd := exec.Command(o.cairbot, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("cairbot %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// seed builds the centre the way its team would: residents, classes and the
// cleaning rota imported from CSV files with cairbot's own commands (the
// formats of docs/examples), a month of charges and some payments, then
// every resident linked to his Telegram account as his invite would.
func seed(ctx context.Context, o opts, env []string, dbURL string) ([]telegramtest.User, error) {
	if err := cli(o, env, "migrate"); err != nil {
		return nil, err
	}
	var res, cls, chores strings.Builder
	res.WriteString("external_id,name,room,language,role,arrived_on,monthly_amount,monthly_resources\n")
	chores.WriteString("kind,key,name,days,start,end,active\n" +
		"area,kitchen-1,Kitchen floor 1,mon thu,18:00,20:00,yes\n" +
		"area,kitchen-2,Kitchen floor 2,tue fri,18:00,20:00,yes\n" +
		"area,showers-1,Showers floor 1,wed sat,09:00,11:00,yes\n" +
		"area,corridors,Corridors,mon,10:00,12:00,yes\n" +
		"area,laundry,Laundry,thu,14:00,16:00,yes\n" +
		"area,courtyard,Courtyard,sun,10:00,12:00,yes\n")
	cls.WriteString("kind,id,group,level,name,weekday,start,end,room,teacher,resident,hours\n" +
		"group,G-A1-MATIN,,A1,A1 matin,,,,,,,\n" +
		"group,G-ALPHA,,Alpha,Alpha,,,,,,,\n" +
		"session,S-A1M-LUN,G-A1-MATIN,,,lundi,09:30,12:00,1,Marie Dupont,,\n" +
		"session,S-A1M-MER,G-A1-MATIN,,,mercredi,09:30,12:00,1,Marie Dupont,,\n" +
		"session,S-A1M-VEN,G-A1-MATIN,,,vendredi,09:30,12:00,2,Marie Dupont,,\n" +
		"session,S-ALPHA-MAR,G-ALPHA,,,mardi,14:00,17:00,Bibliothèque,Karim Benali,,\n" +
		"session,S-ALPHA-JEU,G-ALPHA,,,jeudi,14:00,17:00,Bibliothèque,Karim Benali,,\n")
	arrived := time.Now().AddDate(0, -2, 0).Format("2006-01-02")
	for i := 1; i <= residents; i++ {
		ext := fmt.Sprintf("R-%04d", i)
		fmt.Fprintf(&res, "%s,Resident %03d,%d,en,,%s,45,\n", ext, i, 100+i, arrived)
		fmt.Fprintf(&chores, "member,%s,,,,,yes\n", ext)
		group := "G-A1-MATIN"
		if i%2 == 0 {
			group = "G-ALPHA"
		}
		fmt.Fprintf(&cls, "enrolment,,%s,,,,,,,,%s,200\n", group, ext)
	}
	for name, body := range map[string]string{"residents.csv": res.String(), "classes.csv": cls.String(), "chores.csv": chores.String()} {
		if err := os.WriteFile(filepath.Join(o.dir, name), []byte(body), 0o600); err != nil {
			return nil, err
		}
	}
	for _, kind := range []string{"residents", "classes", "chores"} {
		if err := cli(o, env, "import", kind, filepath.Join(o.dir, kind+".csv")); err != nil {
			return nil, err
		}
	}
	// The ledger: this month's charges for everyone, and payments from
	// some, before anyone is linked (their receipts would otherwise be
	// sent during the measure).
	if err := cli(o, env, "money", "charges"); err != nil {
		return nil, err
	}
	for i := 1; i <= residents; i += 10 {
		if err := cli(o, env, "payment", "add", "--room", strconv.Itoa(100+i), "--amount", "20,00"); err != nil {
			return nil, err
		}
	}

	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	jobs, err := bot.NewInsertOnlyJobs(pool, time.Now)
	if err != nil {
		return nil, err
	}
	st := store.New(pool)
	st.UseOutboxScheduler(bot.NewOutboxScheduler(jobs))
	c, err := st.EnsureCentre(ctx, centre, "CAIR Paris 12e")
	if err != nil {
		return nil, err
	}
	rows, err := pool.Query(ctx, `SELECT id, external_id FROM people WHERE centre_id = $1 AND external_id LIKE 'R-%' ORDER BY external_id`, c.ID)
	if err != nil {
		return nil, err
	}
	type person struct {
		id  int64
		ext string
	}
	var people []person
	for rows.Next() {
		var p person
		if err := rows.Scan(&p.id, &p.ext); err != nil {
			return nil, err
		}
		people = append(people, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(people) != residents {
		return nil, fmt.Errorf("%d residents imported, want %d", len(people), residents)
	}
	users := make([]telegramtest.User, 0, residents)
	for i, p := range people {
		code, err := st.ReissueInvite(ctx, c.ID, p.id, nil, time.Now().Add(time.Hour))
		if err != nil {
			return nil, err
		}
		uid := int64(baseUID + i)
		if _, err := st.RedeemInvite(ctx, code, uid, time.Now()); err != nil {
			return nil, err
		}
		users = append(users, telegramtest.User{ID: uid, FirstName: fmt.Sprintf("Resident %03d", i+1), LanguageCode: "en"})
	}
	return users, nil
}

// waitOutbox waits until nothing due is left in the outbox.
func waitOutbox(ctx context.Context, dbURL string) (time.Duration, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	start := time.Now()
	for time.Since(start) < 2*time.Minute {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM outbox
			WHERE state IN ('pending', 'sending') AND not_before <= now()`).Scan(&n); err != nil {
			return 0, err
		}
		if n == 0 {
			return time.Since(start), nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return 0, errors.New("the outbox did not drain within 2 minutes")
}
