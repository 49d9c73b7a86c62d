package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/store"
)

// get fetches a path of the bot's own HTTP server.
func get(t *testing.T, app *bot.App, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + app.HTTPAddr() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metricValue reads one sample of the Prometheus text format, -1 when absent.
func metricValue(t *testing.T, body, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("%s: %v", series, err)
	}
	return v
}

// In polling mode the bot serves /healthz, /readyz and /metrics on
// LISTEN_ADDR; the metrics count what it did without naming anyone.
func TestHealthReadinessAndMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.tg.WaitFor(t, 10*time.Second, "the server listening", func() bool { return h.app.HTTPAddr() != "" })
	u := telegramtest.User{ID: 15001, FirstName: "Mariam", LastName: "Osmani", LanguageCode: "fa-AF"}
	p, n := h.signUp(u, store.RoleResident, "Mariam Osmani", "fa-AF")
	h.tg.SendText(u, "/balance")
	h.waitText(u, n+1)
	// A message due 90 minutes ago that nothing sends (no job): the outbox
	// is late, and the metrics must say by how much.
	now := h.clock.Now()
	if _, err := h.pool.Exec(context.Background(), `INSERT INTO outbox
		(centre_id, person_id, kind, dedupe_key, not_before, created_at, updated_at)
		VALUES ($1, $2, 'notify', 'test:stuck', $3, $3, $3)`, p.CentreID, p.ID, now.Add(-90*time.Minute)); err != nil {
		t.Fatal(err)
	}
	h.quiet(u, n+1)

	code, body := get(t, h.app, "/healthz")
	var health struct{ Status, Version string }
	if err := json.Unmarshal([]byte(body), &health); err != nil || code != http.StatusOK {
		t.Fatalf("/healthz = %d %q (%v)", code, body, err)
	}
	if health.Status != "ok" || health.Version == "" || health.Version != bot.BuildVersion() {
		t.Fatalf("/healthz = %+v, version want %q", health, bot.BuildVersion())
	}

	code, body = get(t, h.app, "/readyz")
	var ready struct {
		Status string
		Checks map[string]string
	}
	if err := json.Unmarshal([]byte(body), &ready); err != nil || code != http.StatusOK || ready.Status != "ready" {
		t.Fatalf("/readyz = %d %q (%v)", code, body, err)
	}
	for _, c := range []string{"postgres", "redis", "jobs"} {
		if ready.Checks[c] != "ok" {
			t.Errorf("/readyz check %s = %q", c, ready.Checks[c])
		}
	}
	if !strings.HasPrefix(ready.Checks["telegram"], "ok") {
		t.Errorf("/readyz check telegram = %q", ready.Checks["telegram"])
	}

	code, body = get(t, h.app, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	atLeast := []struct {
		series string
		min    float64
	}{
		// /start, /balance (and the test's probes, which are buttons)
		{`cairbot_updates_total{kind="command",outcome="handled"}`, 2},
		{`cairbot_updates_total{kind="button",outcome="handled"}`, 1},
		{`cairbot_update_duration_seconds_count{kind="command"}`, 2},
		// welcome, language picker, privacy notice, menu, balance
		{`cairbot_messages_total{outcome="sent",path="reply"}`, 5},
		{`cairbot_outbox_messages{state="pending"}`, 1},
		{`cairbot_outbox_oldest_pending_age_seconds`, 90 * 60},
		{`cairbot_jobs{state="available"}`, 0},
		{`cairbot_jobs_failed`, 0},
		{`go_goroutines`, 1},
	}
	for _, c := range atLeast {
		if v := metricValue(t, body, c.series); v < c.min {
			t.Errorf("%s = %v, want at least %v", c.series, v, c.min)
		}
	}
	if v := metricValue(t, body, `cairbot_outbox_oldest_pending_age_seconds`); v > 2*60*60 {
		t.Errorf("oldest pending age %v s, want about 90 min", v)
	}
	for _, personal := range []string{"Mariam", "Osmani", "15001", "/balance"} {
		if strings.Contains(body, personal) {
			t.Errorf("/metrics shows %q", personal)
		}
	}
}

// /readyz answers 503 and says what is not ready: here Redis is not
// reachable and the job queue is not started.
func TestReadinessSaysWhatIsDown(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { dead.Close() })
	app, err := bot.New(context.Background(), h.cfg, bot.Deps{Pool: h.pool, Redis: dead,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	app.OpsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	var ready struct {
		Status string
		Checks map[string]string
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &ready); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusServiceUnavailable || ready.Status != "not ready" {
		t.Fatalf("/readyz = %d %s", rec.Code, rec.Body)
	}
	want := map[string]string{
		"postgres": "ok",
		"redis":    "redis: ping:",
		"jobs":     "job queue not running",
		"telegram": "ok (getMe at start)",
	}
	for k, w := range want {
		if !strings.HasPrefix(ready.Checks[k], w) {
			t.Errorf("check %s = %q, want it to start with %q", k, ready.Checks[k], w)
		}
	}
	// The process is alive all the same.
	rec = httptest.NewRecorder()
	app.OpsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/healthz = %d", rec.Code)
	}
}

// syncBuffer is a log destination written by many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Every log line, debug included, in JSON as LOG_FORMAT=json writes them,
// while a resident signs up, writes free text, asks for his data, and a
// member of staff looks him up: none names him, quotes him, or gives his
// Telegram account, his invite code or the bot's token.
func TestLogsCarryNoPersonalData(t *testing.T) {
	t.Parallel()
	out := &syncBuffer{}
	h := newHarness(t, func(h *harness) {
		h.logOut = bot.NewLogger(out, "json", "debug").Handler()
	})
	u := telegramtest.User{ID: 15101, FirstName: "Zainab", LastName: "Haidari", Username: "zainab_h", LanguageCode: "ps"}
	p, code := h.addPerson(store.RoleResident, "Zainab Haidari", "B7Z", "ps")
	h.tg.SendText(u, "/start "+code)
	picker := h.tg.WaitMessages(t, u.ID, 2, 10*time.Second)[1]
	h.tg.PressButton(u, picker.ID, "lang:ps")
	h.tg.WaitMessages(t, u.ID, 4, 10*time.Second)
	h.tg.SendText(u, "my phone is 0612345678, I am from Kandahar")
	h.tg.SendText(u, "/mydata")
	h.tg.SendText(u, "/balance")
	h.waitText(u, 7)
	// A message he cannot receive any more: the failure is logged.
	h.tg.Block(u.ID)
	h.tg.SendText(u, "/balance")
	staff := telegramtest.User{ID: 15102, FirstName: "Claire", LanguageCode: "fr"}
	_, n := h.signUp(staff, store.RoleStaff, "Claire Dupont", "fr")
	h.tg.SendText(staff, "/residents")
	h.waitText(staff, n+1)
	h.quiet(staff, n+1)
	h.tg.WaitFor(t, 10*time.Second, "the resident marked unreachable", func() bool {
		return h.count(`SELECT count(*) FROM people WHERE id = $1 AND unreachable`, p.ID) == 1
	})

	logs := out.String()
	if !strings.Contains(logs, `"msg":"update handled"`) {
		t.Fatalf("no update was logged; the test would prove nothing:\n%s", logs)
	}
	for i, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if !json.Valid([]byte(line)) {
			t.Fatalf("line %d is not JSON: %s", i+1, line)
		}
	}
	// Numbers count only whole: a duration in nanoseconds may hold any
	// digits.
	for _, personal := range []string{"Zainab", "Haidari", "zainab_h", `\b15101\b`, `\b15102\b`, "Claire", "Dupont",
		`\b0612345678\b`, "Kandahar", "B7Z", code, regexp.QuoteMeta(h.cfg.TelegramToken)} {
		if loc := regexp.MustCompile(personal).FindStringIndex(logs); loc != nil {
			t.Errorf("the logs contain %q: …%s…", personal, logs[max(0, loc[0]-200):min(len(logs), loc[1]+100)])
		}
	}
}
