// Command centres is `make bench-centres`: one cairbot deployment serving
// many centres, each with its own bot, all announcing at once.
//
// It seeds, by SQL in a database of its own, N centres (the default one of
// TELEGRAM_TOKEN and N-1 added as `cairbot centre add` adds them, each with
// its own bot) with a staff member each; starts the fake Telegram in this
// process, one fake bot per centre behind one address (telegramtest.Hub),
// each enforcing Telegram's limits per bot (30 a second, 3 a second per
// chat: 429 above); runs the real cairbot binary in webhook mode; links R
// residents per centre by SQL; then every staff member, at once, announces
// a fire drill to his whole centre through his centre's bot (the real
// conversation: /announce, buttons, date, time, send). It measures what
// each bot delivered: rate, 429s, duplicates, and messages reaching a chat
// that is not of the bot's centre (crossings). Then every centre's French
// class starts at the same moment and the bot's class planner queues all
// their reminders at once (reminders.go): how long after their due time
// each centre's first and last arrived. It appends the figures to
// docs/BENCHMARKS.md below the marker kept by `make bench`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/scripts/bench/benchfig"
	"github.com/aurore/cairbot/scripts/bench/benchproc"
	"github.com/aurore/cairbot/store"
)

const (
	residentBase = 10_000_000 // resident r of centre c: residentBase + c*1000 + r
	staffBase    = 20_000_000 // staff of centre c: staffBase + c
	webhookPath  = "/telegram/webhook"
	marker       = "<!-- measured by other commands: kept by make bench -->"
	heading      = "## Many centres on one deployment (`make bench-centres`)"
)

type options struct {
	cairbot, adminURL, dbName, redisURL, doc, dir string
	centres, residents, jobWorkers                int
	timeout                                       time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.cairbot, "cairbot", "bin/bench/cairbot", "the cairbot binary")
	flag.StringVar(&o.adminURL, "admin-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL, to create the bench database")
	flag.StringVar(&o.dbName, "db", "cairbot_bench_centres", "the bench database (dropped and created)")
	flag.StringVar(&o.redisURL, "redis-url", "redis://127.0.0.1:6379/0", "Redis")
	flag.StringVar(&o.doc, "doc", "docs/BENCHMARKS.md", "where the figures go (empty: standard output only)")
	flag.StringVar(&o.dir, "dir", "bin/bench", "where cairbot's log goes")
	flag.IntVar(&o.centres, "centres", 100, "centres, each with its own bot")
	flag.IntVar(&o.residents, "residents", 200, "residents per centre")
	flag.IntVar(&o.jobWorkers, "job-workers", 16, "cairbot's JOB_WORKERS (outbox sends at once, over every bot)")
	flag.DurationVar(&o.timeout, "timeout", 20*time.Minute, "give up after")
	flag.Parse()
	// Interrupted, it still stops the cairbot it started.
	sig, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(sig, o.timeout)
	defer cancel()
	report, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-centres:", err)
		os.Exit(1)
	}
	fmt.Print(report)
	if o.doc != "" {
		if err := writeDoc(o.doc, report); err != nil {
			fmt.Fprintln(os.Stderr, "bench-centres:", err)
			os.Exit(1)
		}
	}
}

// centre is one seeded centre and its fake bot.
type centre struct {
	n       int
	slug    string
	id      int64
	tg      *telegramtest.Server
	staff   telegramtest.User
	preview int // the message the staff member confirmed: then the progress message
}

func run(ctx context.Context, o options) (string, error) {
	start := time.Now()
	pool, dbURL, err := freshDB(ctx, o)
	if err != nil {
		return "", err
	}
	defer pool.Close()
	if err := store.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		return "", err
	}
	// The fake Telegram: one bot per centre, each with Telegram's limits.
	centres := make([]*centre, o.centres)
	var bots []*telegramtest.Server
	for n := range centres {
		opts := telegramtest.Options{Limits: true}
		if n > 0 {
			opts = telegramtest.NthBot(n, opts)
		}
		c := &centre{n: n, slug: fmt.Sprintf("bench-c%03d", n), tg: telegramtest.Start(opts),
			staff: telegramtest.User{ID: staffBase + int64(n), FirstName: "Staff", LanguageCode: "fr"}}
		defer c.tg.Close()
		centres[n], bots = c, append(bots, c.tg)
	}
	hub := telegramtest.StartHub(bots...)
	defer hub.Close()
	if err := seedCentres(ctx, pool, centres); err != nil {
		return "", err
	}
	rdb := redis.NewClient(mustRedisOptions(o.redisURL))
	defer rdb.Close()
	prefix := fmt.Sprintf("cairbot-bench-centres-%d", time.Now().UnixNano())
	defer cleanRedis(context.WithoutCancel(ctx), rdb, prefix)

	addr, err := freeAddr()
	if err != nil {
		return "", err
	}
	env := append(os.Environ(),
		"TELEGRAM_TOKEN="+centres[0].tg.Token(), "TELEGRAM_API_URL="+hub.URL(),
		"DATABASE_URL="+dbURL, "REDIS_URL="+o.redisURL, "REDIS_PREFIX="+prefix,
		"CENTRE="+centres[0].slug, "CENTRE_NAME=Bench centre 0",
		"WEBHOOK_URL=http://"+addr+webhookPath, "WEBHOOK_SECRET=bench-default-secret", "LISTEN_ADDR="+addr,
		"JOB_WORKERS="+strconv.Itoa(o.jobWorkers), "LOG_LEVEL=WARN",
		"CLASS_REMINDER_BEFORE="+classReminderBefore.String())
	logPath := filepath.Join(o.dir, "bench-centres-cairbot.log")
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return "", err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return "", err
	}
	defer logFile.Close()
	cmd := benchproc.DiesWithUs(exec.CommandContext(ctx, o.cairbot, "run"))
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logFile, logFile
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start cairbot: %w", err)
	}
	defer func() { _ = cmd.Cancel(); _ = cmd.Wait() }()
	if err := waitFor(ctx, 60*time.Second, "cairbot ready and every webhook set", func() bool {
		for _, c := range centres {
			if c.tg.WebhookURL() == "" {
				return false
			}
		}
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}); err != nil {
		return "", fmt.Errorf("%w (log: %s)", err, logPath)
	}
	ready := time.Since(started)
	// Its command menus (8 calls at once over every bot, in the background) are
	// left to finish, so that they do not share the measure.
	menus := 14 * len(centres) // 13 languages' menus and the staff member's own, per bot
	_ = waitFor(ctx, 120*time.Second, "command menus set", func() bool {
		n := 0
		for _, c := range centres {
			n += len(c.tg.CallsTo("setMyCommands"))
		}
		return n >= menus
	})
	seedStart := time.Now()
	if err := seedResidents(ctx, pool, centres, o.residents); err != nil {
		return "", err
	}
	seeded := time.Since(seedStart)

	// Every staff member announces at once, each through his centre's bot.
	at := time.Now().In(paris()).AddDate(0, 0, 6)
	announceStart := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, len(centres))
	for _, c := range centres {
		wg.Go(func() {
			if err := announce(ctx, c, at); err != nil {
				errs <- fmt.Errorf("%s: %w", c.slug, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return "", fmt.Errorf("announce: %w (log: %s)", err, logPath)
	}
	confirmed := time.Since(announceStart)
	total := o.centres * o.residents
	if err := waitFor(ctx, o.timeout, "every announcement delivered", func() bool {
		return delivered(centres, time.Time{}) >= total
	}); err != nil {
		return "", fmt.Errorf("%w: %d of %d delivered (log: %s)", err, delivered(centres, time.Time{}), total, logPath)
	}
	// The last reports and any late duplicate get a moment to arrive.
	time.Sleep(3 * time.Second)
	rss := peakRSS(cmd.Process.Pid)
	m := measure(centres, time.Time{})
	m.progress = progress(centres, m)
	var rows, crossRows int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE o.state = 'sent'),
			count(*) FILTER (WHERE o.centre_id <> p.centre_id)
		FROM outbox o JOIN people p ON p.id = o.person_id WHERE o.kind = 'announcement'`).Scan(&rows, &crossRows); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "  %d of %d announcement messages delivered\n", rows, total)
	rf, err := classReminders(ctx, pool, centres, o.residents, o.timeout)
	if err != nil {
		return "", fmt.Errorf("class reminders: %w (log: %s)", err, logPath)
	}
	rf.rss = peakRSS(cmd.Process.Pid)
	return m.markdown(o, ready, seeded, confirmed, rows, crossRows, rss, time.Since(start)) + rf.markdown(o.centres), nil
}

// announce runs the staff member's announcement conversation: the
// template "fire drill" to everyone, on a date and at a time.
func announce(ctx context.Context, c *centre, at time.Time) error {
	u, tg := c.staff, c.tg
	n := len(tg.Messages(u.ID))
	wait := func(k int) (telegramtest.SentMessage, error) {
		var m telegramtest.SentMessage
		err := waitFor(ctx, 60*time.Second, fmt.Sprintf("message %d", k), func() bool {
			msgs := tg.Messages(u.ID)
			if len(msgs) >= k {
				m = msgs[k-1]
				return true
			}
			return false
		})
		return m, err
	}
	press := func(k int, prefix string) error {
		m, err := wait(k)
		if err != nil {
			return err
		}
		for _, row := range m.InlineKeyboard {
			for _, b := range row {
				if strings.HasPrefix(b.CallbackData, prefix) {
					tg.PressButton(u, m.ID, b.CallbackData)
					return nil
				}
			}
		}
		return fmt.Errorf("message %q has no button %q", m.Text, prefix)
	}
	tg.SendText(u, "/announce")
	if err := press(n+1, "ann:aud:all:"); err != nil {
		return err
	}
	if err := press(n+2, "ann:tpl:fire_drill:"); err != nil {
		return err
	}
	if _, err := wait(n + 3); err != nil {
		return err
	}
	tg.SendText(u, at.Format("02/01"))
	if _, err := wait(n + 4); err != nil {
		return err
	}
	tg.SendText(u, "14h30")
	preview, err := wait(n + 5)
	if err != nil {
		return err
	}
	c.preview = preview.ID
	return press(n+5, "ann:send:")
}

// delivered counts the messages the residents got since (zero: ever).
func delivered(centres []*centre, since time.Time) int {
	n := 0
	for _, c := range centres {
		for _, call := range c.tg.CallsTo("sendMessage") {
			if call.Status == http.StatusOK && isResident(call.Params["chat_id"]) && !call.At.Before(since) {
				n++
			}
		}
	}
	return n
}

func isResident(chat string) bool {
	id, err := strconv.ParseInt(chat, 10, 64)
	return err == nil && id >= residentBase && id < staffBase
}

// centreOfChat is the centre whose person a chat is, -1 for none.
func centreOfChat(chat string) int {
	id, err := strconv.ParseInt(chat, 10, 64)
	switch {
	case err != nil:
		return -1
	case id >= staffBase:
		return int(id - staffBase)
	case id >= residentBase:
		return int((id - residentBase) / 1000)
	}
	return -1
}

type botFigures struct {
	sent        int
	delivered   []time.Time // when each message to a resident arrived, in order
	first, last time.Time   // its first and last message to a resident
	rate        float64     // messages a second from its first to its last
	peak        int         // most messages within any one second
	duplicates  int
}

type figures struct {
	bots                        []botFigures
	tooMany, crossings, refused int
	tooManyResidents            int // of tooMany, to residents' chats (the announcements)
	first, last                 time.Time
	progress                    []benchfig.Progress // each centre's progress message (announcements only)
}

// measure reads what each fake bot received since (zero: ever): per bot
// its messages to residents (rate, busiest second, duplicates, first and
// last), and over all bots the 429s and every call that reached a chat of
// another centre.
func measure(centres []*centre, since time.Time) figures {
	var f figures
	for _, c := range centres {
		var times []time.Time
		seen := map[string]int{}
		for _, call := range c.tg.Calls() {
			if call.At.Before(since) {
				continue
			}
			chat := call.Params["chat_id"]
			if call.Status == http.StatusTooManyRequests {
				f.tooMany++
				if isResident(chat) {
					f.tooManyResidents++
				}
			}
			if chat != "" && centreOfChat(chat) != c.n {
				f.crossings++
			}
			if call.Method != "sendMessage" || !isResident(chat) {
				continue
			}
			if call.Status != http.StatusOK {
				if call.Status != http.StatusTooManyRequests {
					f.refused++
				}
				continue
			}
			seen[chat]++
			times = append(times, call.At)
		}
		b := botFigures{sent: len(times)}
		for _, k := range seen {
			b.duplicates += k - 1
		}
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		if len(times) > 1 {
			b.rate = float64(len(times)-1) / times[len(times)-1].Sub(times[0]).Seconds()
		}
		for i, j := 0, 0; i < len(times); i++ {
			for times[i].Sub(times[j]) >= time.Second {
				j++
			}
			b.peak = max(b.peak, i-j+1)
		}
		b.delivered = times
		if len(times) > 0 {
			b.first, b.last = times[0], times[len(times)-1]
			if f.first.IsZero() || times[0].Before(f.first) {
				f.first = times[0]
			}
			if times[len(times)-1].After(f.last) {
				f.last = times[len(times)-1]
			}
		}
		f.bots = append(f.bots, b)
	}
	return f
}

// frenchProgress is the count a French progress message shows ("📤
// Envoi : 12 sur 200 faits."); the staff members read French.
var frenchProgress = regexp.MustCompile(`(\d[\d\x{202F}\x{00A0} ]*) sur `)

// progress reads, for each centre, its progress message (the preview its
// staff member confirmed, edited as the messages went out) against when
// its residents' messages arrived (f, from measure).
func progress(centres []*centre, f figures) []benchfig.Progress {
	out := make([]benchfig.Progress, 0, len(centres))
	for i, c := range centres {
		staff, preview := strconv.FormatInt(c.staff.ID, 10), strconv.Itoa(c.preview)
		var shown []benchfig.Shown
		for _, call := range c.tg.CallsTo("editMessageText") {
			if call.Status != http.StatusOK || call.Params["chat_id"] != staff || call.Params["message_id"] != preview {
				continue
			}
			if n, ok := benchfig.Count(frenchProgress, call.Params["text"]); ok {
				shown = append(shown, benchfig.Shown{At: call.At, N: n})
			}
		}
		out = append(out, benchfig.ProgressOf(shown, f.bots[i].delivered, time.Now()))
	}
	return out
}

// spread is min / median / max of d, in seconds.
func spread(d []time.Duration) string {
	if len(d) == 0 {
		return "—"
	}
	d = slices.Sorted(slices.Values(d))
	return fmt.Sprintf("%.1f / %.1f / %.1f s", d[0].Seconds(), d[len(d)/2].Seconds(), d[len(d)-1].Seconds())
}

func (f figures) markdown(o options, ready, seeded, confirmed time.Duration, rows, crossRows int, rss int64, took time.Duration) string {
	rates := make([]float64, 0, len(f.bots))
	peaks := make([]int, 0, len(f.bots))
	sent, dups := 0, 0
	for _, b := range f.bots {
		rates, peaks = append(rates, b.rate), append(peaks, b.peak)
		sent += b.sent
		dups += b.duplicates
	}
	slices.Sort(rates)
	slices.Sort(peaks)
	span := f.last.Sub(f.first).Seconds()
	var s strings.Builder
	fmt.Fprintf(&s, "%s\n\n", heading)
	fmt.Fprintf(&s, "`make bench-centres` (scripts/bench/centres), %s, %d cores, load average %s; the run took %.0f s.\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), loadavg(), took.Seconds())
	settings := fmt.Sprintf("`JOB_WORKERS=%d`, `CLASS_REMINDER_BEFORE=%s`", o.jobWorkers, classReminderBefore)
	if v := os.Getenv("DATABASE_MAX_CONNS"); v != "" {
		settings += ", `DATABASE_MAX_CONNS=" + v + "`"
	}
	fmt.Fprintf(&s, "One `cairbot run` process (webhook mode, default settings but %s), one PostgreSQL, one Redis;\n", settings)
	fmt.Fprintf(&s, "%d centres, each with its own bot (the default centre's `TELEGRAM_TOKEN` and %d bots in `centre_bots`, one webhook path\n", o.centres, o.centres-1)
	fmt.Fprintf(&s, "and secret each), %d residents per centre linked by SQL (%d in %.1f s). The fake Telegram serves every bot at one\n", o.residents, o.centres*o.residents, seeded.Seconds())
	s.WriteString("address and enforces Telegram's limits **per bot** (over 30 messages a second, or 3 a second to one chat: 429).\n")
	s.WriteString("Every centre's staff member announces a fire drill to his whole centre at the same moment, through his bot\n")
	s.WriteString("(the real conversation: `/announce`, buttons, date, time, send).\n\n")
	s.WriteString("| figure | value |\n|---|---|\n")
	fmt.Fprintf(&s, "| ready (every bot's webhook set) | %.1f s |\n", ready.Seconds())
	fmt.Fprintf(&s, "| %d announcements confirmed (all conversations at once) | %.1f s |\n", o.centres, confirmed.Seconds())
	fmt.Fprintf(&s, "| messages delivered / expected | %d / %d (outbox rows sent: %d) |\n", sent, o.centres*o.residents, rows)
	fmt.Fprintf(&s, "| all delivered in | %.1f s, %.0f messages/s over all bots |\n", span, float64(sent)/max(span, 0.001))
	fmt.Fprintf(&s, "| a bot's messages over its first to last (min / median / max) | %.1f / %.1f / %.1f messages/s (each bot's turns, its jobs among the other bots' for the workers) |\n",
		rates[0], rates[len(rates)/2], rates[len(rates)-1])
	fmt.Fprintf(&s, "| busiest second of a bot (min / median / max) | %d / %d / %d messages (configured `SEND_RATE_GLOBAL` 25, Telegram 30) |\n", peaks[0], peaks[len(peaks)/2], peaks[len(peaks)-1])
	fmt.Fprintf(&s, "| crossings (a bot's call to a chat of another centre; outbox rows to another centre's person) | %d; %d |\n", f.crossings, crossRows)
	fmt.Fprintf(&s, "| duplicates | %d |\n", dups)
	stale := make([]time.Duration, 0, len(f.progress))
	behind, edits := 0, make([]int, 0, len(f.progress))
	for _, p := range f.progress {
		stale, edits = append(stale, p.Stale), append(edits, p.Edits)
		behind = max(behind, p.Behind)
	}
	slices.Sort(edits)
	fmt.Fprintf(&s, "| a centre's progress message: longest it showed a count already passed (min / median / max over centres; target 2 s) | %s |\n", spread(stale))
	if len(edits) > 0 {
		fmt.Fprintf(&s, "| … most messages it was behind when edited (over centres); its edits (median) | %d; %d |\n", behind, edits[len(edits)/2])
	}
	fmt.Fprintf(&s, "| 429 answers | %d (%d to residents' chats, %d to staff chats: conversation, progress, report) |\n",
		f.tooMany, f.tooManyResidents, f.tooMany-f.tooManyResidents)
	fmt.Fprintf(&s, "| other refusals | %d |\n", f.refused)
	fmt.Fprintf(&s, "| cairbot peak RSS | %s |\n\n", mib(rss))
	fmt.Fprintf(&s, "Each bot is paced on its own budget: its busiest second stays under its configured rate and Telegram's 30,\n")
	fmt.Fprintf(&s, "whatever the other %d do. Each announcement message takes its turn at its centre's pace (`announcement_turns`)\n", o.centres-1)
	s.WriteString("and the send jobs are handed out in the order of the turns, so the centres' announcements go out side by side\n")
	s.WriteString("rather than one after another. River hands out at most the free worker slots at a time, at most every 10 ms\n")
	s.WriteString("(`bot` `jobFetchCooldown`), and the fake answers at once, so how many messages leave a second in all is bound\n")
	s.WriteString("here by the machine's CPU (each message: a River job, the outbox row, the pacing in Redis, the HTTP call, and\n")
	s.WriteString("the fake itself); against Telegram, whose answer takes a round trip, by `JOB_WORKERS` ÷ that round trip.\n")
	s.WriteString("On a shared machine it is not comparable with a quiet one (see the load average).\n\n")
	return s.String()
}

// writeDoc puts the figures below the marker of docs/BENCHMARKS.md, in
// place of this command's previous section.
func writeDoc(path, report string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc := string(b)
	i := strings.Index(doc, marker)
	if i < 0 {
		doc = strings.TrimRight(doc, "\n") + "\n\n" + marker + "\n"
		i = strings.Index(doc, marker)
	}
	head, tail := doc[:i+len(marker)], doc[i+len(marker):]
	if j := strings.Index(tail, heading); j >= 0 {
		rest := tail[j+len(heading):]
		end := strings.Index(rest, "\n## ")
		if end < 0 {
			tail = strings.TrimRight(tail[:j], "\n") + "\n"
		} else {
			tail = tail[:j] + rest[end+1:]
		}
	}
	doc = head + strings.TrimRight(tail, "\n") + "\n\n" + report
	return os.WriteFile(path, []byte(strings.TrimRight(doc, "\n")+"\n"), 0o644)
}

func freshDB(ctx context.Context, o options) (*pgxpool.Pool, string, error) {
	admin, err := pgx.Connect(ctx, o.adminURL)
	if err != nil {
		return nil, "", fmt.Errorf("PostgreSQL: %w", err)
	}
	defer admin.Close(ctx)
	ident := pgx.Identifier{o.dbName}.Sanitize()
	if _, err := admin.Exec(ctx, `DROP DATABASE IF EXISTS `+ident+` WITH (FORCE)`); err != nil {
		return nil, "", err
	}
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+ident); err != nil {
		return nil, "", err
	}
	cfg, err := pgx.ParseConfig(o.adminURL)
	if err != nil {
		return nil, "", err
	}
	url := fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, o.dbName)
	pool, err := store.Open(ctx, url, 4)
	return pool, url, err
}

// seedCentres makes the centres, their bots (as `cairbot centre add`
// stores them) and one French-speaking staff member each.
func seedCentres(ctx context.Context, pool *pgxpool.Pool, centres []*centre) error {
	st := store.New(pool)
	for _, c := range centres {
		var err error
		if c.n == 0 {
			var row store.Centre
			row, err = st.EnsureCentre(ctx, c.slug, "Bench centre 0")
			c.id = row.ID
		} else {
			var row store.Centre
			row, err = st.AddCentreBot(ctx, c.slug, "Bench centre "+strconv.Itoa(c.n), store.CentreBot{
				Token: store.Secret(c.tg.Token()), Username: c.tg.BotUsername(),
				WebhookSecret: store.Secret("bench-secret-" + strconv.Itoa(c.n)),
			})
			c.id = row.ID
		}
		if err != nil {
			return err
		}
		c.tg.AddChat(c.staff.ID)
	}
	_, err := pool.Exec(ctx, `INSERT INTO people (centre_id, role, display_name, language, telegram_id, onboarded_at)
		SELECT c.id, 'staff', 'Staff ' || c.slug, 'fr', $1 + substr(c.slug, 8)::int, now()
		FROM centres c WHERE c.slug LIKE 'bench-c%'`, staffBase)
	return err
}

// seedResidents links residents residents to every centre, in one
// statement.
func seedResidents(ctx context.Context, pool *pgxpool.Pool, centres []*centre, residents int) error {
	_, err := pool.Exec(ctx, `INSERT INTO people (centre_id, role, display_name, room, floor, language, telegram_id, onboarded_at)
		SELECT c.id, 'resident', 'Resident ' || r, (100 + r % 300)::text, r % 5, 'fr',
			$1 + substr(c.slug, 8)::int * 1000 + r, now()
		FROM centres c CROSS JOIN generate_series(1, $2) r WHERE c.slug LIKE 'bench-c%'`, residentBase, residents)
	if err != nil {
		return fmt.Errorf("seed residents: %w", err)
	}
	for _, c := range centres {
		for r := 1; r <= residents; r++ {
			c.tg.AddChat(residentBase + int64(c.n)*1000 + int64(r))
		}
	}
	return nil
}

func cleanRedis(ctx context.Context, rdb *redis.Client, prefix string) {
	iter := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 1000 {
			rdb.Del(ctx, keys...)
			keys = keys[:0]
		}
	}
	if len(keys) > 0 {
		rdb.Del(ctx, keys...)
	}
}

func mustRedisOptions(url string) *redis.Options {
	o, err := redis.ParseURL(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-centres: REDIS_URL:", err)
		os.Exit(1)
	}
	return o
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitFor(ctx context.Context, timeout time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what)
		}
		select {
		case <-ctx.Done():
			return errors.Join(fmt.Errorf("waiting for %s", what), ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

func paris() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return time.UTC
	}
	return loc
}

// peakRSS is the process's VmHWM in bytes (0 when unknown).
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func mib(b int64) string {
	if b == 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.0f MB", float64(b)/(1<<20))
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
