package main

// The rig: real cairbot processes (the binary, built once per test run)
// against real PostgreSQL and Redis and the fake Telegram server. Used by
// the crash tests (crash_*_test.go, `make test-crash`) and by the
// end-to-end tests of several processes and of backup and restore, which
// run in `make test`.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// cairbotBinary builds the real binary once per test run.
func cairbotBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cairbot-crash-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "cairbot")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// jobWorkers is JOB_WORKERS of every process of the rig: a kill can leave
// in doubt at most the rows this many jobs were sending.
const jobWorkers = 10

// rig is one deployment: a database, a Redis prefix, the fake Telegram and
// the cairbot processes running against them.
type rig struct {
	t      *testing.T
	bin    string
	dir    string
	tg     *telegramtest.Server
	dbURL  string
	prefix string
	pool   *pgxpool.Pool
	rdb    *redis.Client
	st     *store.Store
	centre store.Centre
	env    []string

	// launching lets one process start at a time: a worker counts as
	// started once Telegram saw its getMe.
	launching sync.Mutex
	mu        sync.Mutex
	procs     map[*proc]bool // the running ones
	runs      int
}

// proc is one cairbot process: what it runs and where it listens, kept
// across restarts (a webhook's address stays the same, as in production).
type proc struct {
	args []string
	env  []string
	addr string
	cmd  *exec.Cmd
	log  string
}

func newRig(t *testing.T, extraEnv ...string) *rig {
	t.Helper()
	tg := telegramtest.New(t, telegramtest.Options{
		Limits: true,
		// Telegram posts an update the webhook did not take again for
		// hours; two minutes outlast any restart here.
		WebhookRetryDelay:  100 * time.Millisecond,
		WebhookMaxAttempts: 1200,
	})
	dbURL := storetest.NewDB(t)
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	rdb, prefix := storetest.NewRedis(t)
	st := store.New(pool)
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	st.UseOutboxScheduler(bot.NewOutboxScheduler(jobs))
	centre, err := st.EnsureCentre(context.Background(), "cair-paris12", "CAIR Paris 12e")
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{
		t: t, bin: cairbotBinary(t), dir: t.TempDir(), tg: tg, dbURL: dbURL, prefix: prefix, pool: pool, rdb: rdb, st: st, centre: centre,
		procs: map[*proc]bool{},
	}
	r.env = append([]string{
		"TELEGRAM_TOKEN=" + tg.Token(),
		"TELEGRAM_API_URL=" + tg.URL(),
		"DATABASE_URL=" + dbURL,
		"REDIS_URL=" + storetest.RedisURL(),
		"REDIS_PREFIX=" + prefix,
		"CENTRE=cair-paris12",
		"TZ=Europe/Paris",
		"JOB_WORKERS=" + strconv.Itoa(jobWorkers),
		// Jobs cut by a kill are run again after this long.
		"JOB_RESCUE_AFTER=5s",
		"LOG_LEVEL=warn",
	}, extraEnv...)
	t.Cleanup(r.stopAll)
	t.Cleanup(r.dumpLogsOnFailure)
	return r
}

// freeAddr finds a local port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start runs `cairbot args…` (env added to the rig's) and waits until it
// is up.
func (r *rig) start(args []string, env ...string) *proc {
	r.t.Helper()
	p := &proc{args: args, env: env, addr: freeAddr(r.t)}
	r.launch(p)
	return p
}

// launch starts p's process and waits until it is up: `run` answers
// /healthz; `worker` serves no HTTP, so it is up once it reached Telegram
// (its getMe), a moment before its job queue starts.
func (r *rig) launch(p *proc) {
	r.t.Helper()
	r.launching.Lock()
	defer r.launching.Unlock()
	r.mu.Lock()
	r.runs++
	p.log = filepath.Join(r.dir, fmt.Sprintf("%02d-%s.log", r.runs, strings.Join(p.args, "-")))
	r.mu.Unlock()
	logFile, err := os.Create(p.log)
	if err != nil {
		r.t.Fatal(err)
	}
	defer logFile.Close()
	getMes := len(r.tg.CallsTo("getMe"))
	cmd := exec.Command(r.bin, p.args...)
	cmd.Env = append(append(append(os.Environ(), r.env...), "LISTEN_ADDR="+p.addr), p.env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	p.cmd = cmd
	r.mu.Lock()
	r.procs[p] = true
	r.mu.Unlock()
	up := func() bool {
		resp, err := http.Get("http://" + p.addr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	if p.args[0] == "worker" {
		up = func() bool { return len(r.tg.CallsTo("getMe")) > getMes }
	}
	deadline := time.Now().Add(30 * time.Second)
	for !up() {
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(p.log)
			r.t.Fatalf("cairbot %v did not start:\n%s", p.args, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends a process with SIGKILL: no shutdown, no cleanup.
func (r *rig) kill(p *proc) {
	r.t.Helper()
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	r.mu.Lock()
	delete(r.procs, p)
	r.mu.Unlock()
}

// restart kills p and starts it again, same command, same address.
func (r *rig) restart(p *proc) {
	r.t.Helper()
	r.kill(p)
	r.launch(p)
}

// killAtRandom kills p at `kills` random moments, each within spread of
// the previous restart, restarting it each time.
func (r *rig) killAtRandom(p *proc, kills int, spread time.Duration) {
	r.t.Helper()
	for i := 0; i < kills; i++ {
		time.Sleep(time.Duration(rand.Int64N(int64(spread))))
		r.restart(p)
	}
}

// slowTelegram makes Telegram slow for the next JOB_WORKERS messages: each
// arrives at once, its answer 2 s later. A process killed meanwhile does
// not know they arrived.
func (r *rig) slowTelegram() {
	r.tg.SlowNext("sendMessage", 0, 2*time.Second, jobWorkers)
}

// killWhileSending kills p once outbox rows of kind are 'sending' (after
// slowTelegram they stay so for a while), and starts it again: the doubt a
// crash can leave, at most JOB_WORKERS rows a process. It returns how many
// rows were 'sending' at the kill.
func (r *rig) killWhileSending(p *proc, kind string) int {
	r.t.Helper()
	sending := func() int {
		return r.count(`SELECT count(*) FROM outbox WHERE kind = $1 AND state = 'sending'`, kind)
	}
	// A row due now waits for River's leader to make its job available
	// (every 5 s), and after a kill for a new leader (up to ~20 s).
	within(40*time.Second, func() bool { return sending() > 0 })
	// A moment more lets other jobs reach Telegram too.
	time.Sleep(time.Duration(rand.Int64N(int64(300 * time.Millisecond))))
	r.kill(p)
	n := sending()
	r.launch(p)
	return n
}

func (r *rig) stopAll() {
	r.mu.Lock()
	procs := make([]*proc, 0, len(r.procs))
	for p := range r.procs {
		procs = append(procs, p)
	}
	r.mu.Unlock()
	for _, p := range procs {
		_ = p.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
	}
}

// dumpLogsOnFailure shows the end of each process's log when the test
// failed: what the processes said is the first clue.
func (r *rig) dumpLogsOnFailure() {
	if !r.t.Failed() {
		return
	}
	logs, _ := filepath.Glob(filepath.Join(r.dir, "*.log"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		r.t.Logf("--- %s (last lines)\n%s", filepath.Base(l), strings.Join(lines[max(0, len(lines)-15):], "\n"))
	}
}

// cli runs an administration command (`cairbot payment add …`) as staff do,
// and returns what it printed.
func (r *rig) cli(args ...string) string {
	r.t.Helper()
	cmd := exec.Command(r.bin, args...)
	cmd.Env = append(os.Environ(), r.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("cairbot %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// person creates a person and links him to the Telegram account uid, as
// his invite would, without the conversation.
func (r *rig) person(np store.NewPerson, uid int64) store.Person {
	r.t.Helper()
	ctx := context.Background()
	np.CentreID = r.centre.ID
	p, code, err := r.st.CreatePersonWithInvite(ctx, np, nil, time.Now().Add(24*time.Hour))
	if err != nil {
		r.t.Fatal(err)
	}
	if p, err = r.st.RedeemInvite(ctx, code, uid, time.Now()); err != nil {
		r.t.Fatal(err)
	}
	r.tg.AddChat(uid)
	return p
}

// member links a member of staff (or a coordinator) and returns him and
// the Telegram user the test acts as.
func (r *rig) member(role store.Role, name, lang string, uid int64) (store.Person, telegramtest.User) {
	r.t.Helper()
	p := r.person(store.NewPerson{Role: role, DisplayName: name, Language: lang}, uid)
	return p, telegramtest.User{ID: uid, FirstName: name, LanguageCode: lang}
}

// residents links n residents to Telegram accounts (ids from base), in the
// languages given in turn: "Resident 007" lives in room 107, external id
// R-<his Telegram id>.
func (r *rig) residents(n int, base int64, langs ...string) []store.Person {
	r.t.Helper()
	out := make([]store.Person, 0, n)
	for i := 0; i < n; i++ {
		uid := base + int64(i)
		ext := "R-" + strconv.FormatInt(uid, 10)
		out = append(out, r.person(store.NewPerson{Role: store.RoleResident, DisplayName: fmt.Sprintf("Resident %03d", i),
			Room: strconv.Itoa(100 + i), Language: langs[i%len(langs)], ExternalID: &ext}, uid))
	}
	return out
}

// user is the Telegram user a linked person is.
func user(p store.Person) telegramtest.User {
	return telegramtest.User{ID: *p.TelegramID, FirstName: p.DisplayName, LanguageCode: p.Language}
}

// waitMessage waits for the chat's message number n (1-based).
func (r *rig) waitMessage(u telegramtest.User, n int, within time.Duration) telegramtest.SentMessage {
	r.t.Helper()
	return r.tg.WaitMessages(r.t, u.ID, n, within)[n-1]
}

// waitButton waits for a message of the chat, from its message number
// since on (0-based), with a button whose data starts with prefix, and
// returns the newest.
func (r *rig) waitButton(u telegramtest.User, since int, prefix string) telegramtest.SentMessage {
	r.t.Helper()
	var found telegramtest.SentMessage
	r.tg.WaitFor(r.t, 10*time.Second, fmt.Sprintf("chat %d: a button %q", u.ID, prefix), func() bool {
		msgs := r.tg.Messages(u.ID)
		for i := len(msgs) - 1; i >= since; i-- {
			for _, row := range msgs[i].InlineKeyboard {
				for _, b := range row {
					if strings.HasPrefix(b.CallbackData, prefix) {
						found = msgs[i]
						return true
					}
				}
			}
		}
		return false
	})
	return found
}

// press presses the button of m whose data starts with prefix.
func (r *rig) press(u telegramtest.User, m telegramtest.SentMessage, prefix string) int64 {
	r.t.Helper()
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if strings.HasPrefix(b.CallbackData, prefix) {
				return r.tg.PressButton(u, m.ID, b.CallbackData)
			}
		}
	}
	r.t.Fatalf("message %q has no button %q: %+v", m.Text, prefix, m.InlineKeyboard)
	return 0
}

// count runs a query returning one number.
func (r *rig) count(query string, args ...any) int {
	r.t.Helper()
	var n int
	if err := r.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		r.t.Fatal(err)
	}
	return n
}

// tally counts, for each person, the messages his chat received whose text
// passes match.
func (r *rig) tally(people []store.Person, match func(string) bool) (missing, duplicated, extra int) {
	for _, p := range people {
		n := 0
		for _, m := range r.tg.Messages(*p.TelegramID) {
			if match(m.Text) {
				n++
			}
		}
		switch {
		case n == 0:
			missing++
		case n > 1:
			duplicated++
			extra += n - 1
		}
	}
	return missing, duplicated, extra
}

// outboxStates counts outbox rows by state and note.
func (r *rig) outboxStates(kind string) map[string]int {
	r.t.Helper()
	rows, err := r.pool.Query(context.Background(), `SELECT state || CASE WHEN note <> '' THEN '/' || note ELSE '' END, count(*)
		FROM outbox WHERE kind = $1 GROUP BY 1`, kind)
	if err != nil {
		r.t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct {
		k string
		n int
	}, error) {
		var v struct {
			k string
			n int
		}
		err := row.Scan(&v.k, &v.n)
		return v, err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	m := map[string]int{}
	for _, v := range out {
		m[v.k] = v.n
	}
	return m
}

// waitSettled waits until no outbox row of kind is pending or sending.
func (r *rig) waitSettled(kind string, d time.Duration) {
	r.t.Helper()
	r.waitUntil(d, "outbox "+kind+" settled", func() bool {
		return r.count(`SELECT count(*) FROM outbox WHERE kind = $1 AND state IN ('pending', 'sending')`, kind) == 0
	})
}

// waitUntil polls cond, a query more often than not, until it holds; after
// d it fails the test saying what was awaited.
func (r *rig) waitUntil(d time.Duration, what string, cond func() bool) {
	r.t.Helper()
	if !within(d, cond) {
		r.t.Fatalf("timed out after %v waiting for %s", d, what)
	}
}

// updatesInProgress lists which of the updates 1…last (the fake numbers
// them from 1) a process has claimed and not finished: their dedupe
// marker names the process instead of saying "done".
func (r *rig) updatesInProgress(last int64) []int64 {
	r.t.Helper()
	keys := make([]string, last)
	for i := range keys {
		keys[i] = r.prefix + ":upd:" + strconv.Itoa(i+1)
	}
	vals, err := r.rdb.MGet(context.Background(), keys...).Result()
	if err != nil {
		r.t.Fatal(err)
	}
	var ids []int64
	for i, v := range vals {
		if s, ok := v.(string); ok && s != "done" {
			ids = append(ids, int64(i+1))
		}
	}
	return ids
}

// within polls cond until it holds or d has passed, and says which.
func within(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}
