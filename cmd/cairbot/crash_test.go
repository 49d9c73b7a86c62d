//go:build crash

// Crash tests: real cairbot processes, killed with SIGKILL at random
// moments, against real PostgreSQL and Redis and the fake Telegram server
// with Telegram's limits. Run with `make test-crash` (CI runs it after
// `make test`); docs/RELIABILITY.md gives the figures.
package main

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
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/handlers"
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

// rig is one deployment: a database, a Redis prefix, the fake Telegram and
// the cairbot processes running against them.
type rig struct {
	t      *testing.T
	bin    string
	tg     *telegramtest.Server
	dbURL  string
	prefix string
	pool   *pgxpool.Pool
	st     *store.Store
	centre store.Centre
	env    []string

	mu    sync.Mutex
	procs map[*exec.Cmd]string // process → its LISTEN_ADDR
	runs  int
}

func newRig(t *testing.T, extraEnv ...string) *rig {
	t.Helper()
	tg := telegramtest.New(t, telegramtest.Options{Limits: true})
	dbURL := storetest.NewDB(t)
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	_, prefix := storetest.NewRedis(t)
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
		t: t, bin: cairbotBinary(t), tg: tg, dbURL: dbURL, prefix: prefix, pool: pool, st: st, centre: centre,
		procs: map[*exec.Cmd]string{},
	}
	r.env = append([]string{
		"TELEGRAM_TOKEN=" + tg.Token(),
		"TELEGRAM_API_URL=" + tg.URL(),
		"DATABASE_URL=" + dbURL,
		"REDIS_URL=" + storetest.RedisURL(),
		"REDIS_PREFIX=" + prefix,
		"CENTRE=cair-paris12",
		// Jobs cut by a kill are run again after this long.
		"JOB_RESCUE_AFTER=5s",
		"LOG_LEVEL=warn",
	}, extraEnv...)
	t.Cleanup(r.stopAll)
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

// start runs `cairbot args…` and waits until it answers /healthz.
func (r *rig) start(args []string, env ...string) *exec.Cmd {
	r.t.Helper()
	addr := freeAddr(r.t)
	r.mu.Lock()
	r.runs++
	logPath := filepath.Join(r.t.TempDir(), "cairbot-"+strconv.Itoa(r.runs)+".log")
	r.mu.Unlock()
	logFile, err := os.Create(logPath)
	if err != nil {
		r.t.Fatal(err)
	}
	cmd := exec.Command(r.bin, args...)
	cmd.Env = append(append(append(os.Environ(), r.env...), "LISTEN_ADDR="+addr), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.procs[cmd] = addr
	r.mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			r.t.Fatalf("cairbot %v did not start:\n%s", args, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends a process with SIGKILL: no shutdown, no cleanup.
func (r *rig) kill(cmd *exec.Cmd) {
	r.t.Helper()
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	r.mu.Lock()
	delete(r.procs, cmd)
	r.mu.Unlock()
}

func (r *rig) stopAll() {
	r.mu.Lock()
	procs := make([]*exec.Cmd, 0, len(r.procs))
	for c := range r.procs {
		procs = append(procs, c)
	}
	r.mu.Unlock()
	for _, c := range procs {
		_ = c.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = c.Process.Kill()
			<-done
		}
	}
}

// residents links n residents to Telegram accounts (ids from base), in the
// languages given in turn.
func (r *rig) residents(n int, base int64, langs ...string) []store.Person {
	r.t.Helper()
	ctx := context.Background()
	out := make([]store.Person, 0, n)
	for i := 0; i < n; i++ {
		lang := langs[i%len(langs)]
		p, code, err := r.st.CreatePersonWithInvite(ctx, store.NewPerson{
			CentreID: r.centre.ID, Role: store.RoleResident, DisplayName: "Resident " + strconv.Itoa(i),
			Room: strconv.Itoa(100 + i), Language: lang,
		}, nil, time.Now().Add(24*time.Hour))
		if err != nil {
			r.t.Fatal(err)
		}
		uid := base + int64(i)
		if p, err = r.st.RedeemInvite(ctx, code, uid, time.Now()); err != nil {
			r.t.Fatal(err)
		}
		r.tg.AddChat(uid)
		out = append(out, p)
	}
	return out
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
func (r *rig) waitSettled(kind string, within time.Duration) {
	r.t.Helper()
	r.tg.WaitFor(r.t, within, "outbox "+kind+" settled", func() bool {
		var n int
		err := r.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE kind = $1 AND state IN ('pending', 'sending')`, kind).Scan(&n)
		return err == nil && n == 0
	})
}

// killAtRandom kills the process at `kills` random moments within spread,
// restarting it each time, and returns the last process.
func (r *rig) killAtRandom(cmd *exec.Cmd, args []string, kills int, spread time.Duration) *exec.Cmd {
	for i := 0; i < kills; i++ {
		time.Sleep(time.Duration(rand.Int64N(int64(spread))))
		r.kill(cmd)
		cmd = r.start(args)
	}
	return cmd
}

// Messages queued by a change (here written straight to the outbox) reach
// every recipient across several SIGKILLs; a plain notification left in
// doubt is sent again, so duplicates are possible but bounded: at most one
// row per job worker per kill.
func TestCrashOutboxNotificationsReachEveryone(t *testing.T) {
	r := newRig(t)
	people := r.residents(200, 710000, "fr", "fa-AF", "ti", "ar", "ps")
	cmd := r.start([]string{"run"})
	msgs := make([]store.OutboxMessage, len(people))
	for i, p := range people {
		msgs[i] = store.OutboxMessage{CentreID: r.centre.ID, PersonID: p.ID, Kind: handlers.KindNotify,
			Key: "crash:notify:" + strconv.FormatInt(p.ID, 10), MsgID: "error.busy"}
	}
	if _, err := r.st.Enqueue(context.Background(), time.Now(), msgs...); err != nil {
		t.Fatal(err)
	}
	const kills = 3
	cmd = r.killAtRandom(cmd, []string{"run"}, kills, 3*time.Second)
	r.waitSettled(handlers.KindNotify, 3*time.Minute)
	missing, dup, extra := r.tally(people, func(string) bool { return true })
	t.Logf("notify: %d recipients, %d kills: missing %d, duplicated %d (%d extra), 429 answered %d, states %v",
		len(people), kills, missing, dup, extra, r.tg.Limited(), r.outboxStates(handlers.KindNotify))
	if missing != 0 {
		t.Fatalf("%d residents never got their message", missing)
	}
	if extra > kills*10 {
		t.Fatalf("%d duplicates after %d kills; the documented window is one per job worker per kill", extra, kills)
	}
	r.kill(cmd)
}
