package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/redis/go-redis/v9"

	"github.com/aurore/cairbot/bot"
	"github.com/aurore/cairbot/sandbox"
	"github.com/aurore/cairbot/store/storetest"
)

// chromium finds Debian's chromium, installing it when it is missing and
// the test runs as root (as scripts/services.sh does); the test is skipped
// only when it is absent and cannot be installed.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "/usr/bin/chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("apt-get"); err == nil {
			cmd := exec.Command("sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Logf("apt-get install chromium: %v\n%s", err, out)
			}
			if p, err := exec.LookPath("chromium"); err == nil {
				return p
			}
		}
	}
	t.Skip("skipped: Debian's chromium is not installed and cannot be installed here (apt-get install chromium)")
	return ""
}

// startSandbox runs `cairbot sandbox` on a database and Redis prefix of its
// own, its clock starting at 10:00 in Paris on the test's day (or the next
// day): a French class of the demo began at 09:30.
func startSandbox(t *testing.T) (page string, start time.Time) {
	t.Helper()
	cfg := bot.Defaults()
	cfg.DatabaseURL = storetest.AdminURL()
	cfg.RedisURL = storetest.RedisURL()
	var b [6]byte
	_, _ = rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	cfg.RedisPrefix = "cairbot_test_" + suffix
	cfg.SandboxAddr = "127.0.0.1:0"
	cfg.Location, _ = time.LoadLocation("Europe/Paris")
	name := sandbox.Database + "_test_" + suffix
	begin := storetest.Day(storetest.Now(t), 0, 10, 0)
	if begin.Before(storetest.Now(t)) {
		begin = storetest.Day(storetest.Now(t), 1, 10, 0)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out strings.Builder
	go func() {
		done <- runSandbox(ctx, sandbox.Options{Config: cfg, Log: discard, Out: &out, Clock: time.Now,
			Start: begin, DatabaseName: name, Ready: func(addr string) { ready <- addr }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("sandbox: %v", err)
		}
		_ = sandbox.DropDatabase(context.Background(), cfg.DatabaseURL, name)
		opts, _ := redis.ParseURL(cfg.RedisURL)
		rdb := redis.NewClient(opts)
		defer rdb.Close()
		iter := rdb.Scan(context.Background(), 0, cfg.RedisPrefix+"*", 1000).Iterator()
		for iter.Next(context.Background()) {
			rdb.Del(context.Background(), iter.Val())
		}
	})
	select {
	case addr := <-ready:
		if !strings.Contains(out.String(), "open "+addr) {
			t.Fatalf("start line = %q, want the page's address %s", out.String(), addr)
		}
		return addr, begin
	case err := <-done:
		t.Fatalf("sandbox did not start: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("sandbox did not start within 60s")
	}
	return "", begin
}

// TestSandboxInBrowser drives the sandbox's page in headless Chromium: a
// demo resident signs up with his code and picks Dari (his phone and his
// messages right to left), opens "My week" and /balance; staff take the
// attendance with the inline buttons and the resident's /classes counts
// the hours; the clock button brings the next class's reminder. Each step
// is saved as a PNG under screenshots/ (ignored by git); the assertions
// are on the page's DOM.
func TestSandboxInBrowser(t *testing.T) {
	browser := chromium(t)
	page, _ := startSandbox(t)
	shots := filepath.Join("..", "..", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1100, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()
	// The first action starts the browser: on a context without a timeout,
	// or the timeout would stop the browser.
	if err := chromedp.Do(tab, chromedp.Navigate(page+"/?left=D-01&right=S-01")); err != nil {
		t.Fatalf("open the page: %v", err)
	}
	ctx, cancel := context.WithTimeout(tab, 90*time.Second)
	defer cancel()

	step := 0
	shot := func(name string) {
		t.Helper()
		step++
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, fmt.Sprintf("sandbox-%02d-%s.png", step, name)), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			shot("failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	// waitFor polls a JavaScript condition on the page.
	waitFor := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[any](js, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			shot("failed")
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	// bubbles counts the bot's messages in a phone.
	bubbles := func(phone string) int {
		t.Helper()
		return eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll('#%s .msg.bot').length`, phone))
	}
	// lastBot waits for the phone's bot message number n+1 and returns its text.
	lastBot := func(phone string, n int) string {
		t.Helper()
		waitFor("message "+fmt.Sprint(n+1)+" in "+phone, fmt.Sprintf(`document.querySelectorAll('#%s .msg.bot').length > %d`, phone, n))
		return eval[string](t, ctx, fmt.Sprintf(`[...document.querySelectorAll('#%s .msg.bot .text')].pop().textContent`, phone))
	}
	send := func(phone, text string) {
		t.Helper()
		run("type "+text, chromedp.SendKeys(chromedp.CSS("#"+phone+" .entry"), text), chromedp.Click(chromedp.CSS("#"+phone+" .send")))
	}
	// press clicks the button (inline or menu) of a phone whose text contains label.
	press := func(phone, sel, label string) {
		t.Helper()
		js := fmt.Sprintf(`(() => { const b = [...document.querySelectorAll('#%s %s button')].reverse().find(b => b.textContent.includes(%q)); if (!b) return false; b.click(); return true; })()`, phone, sel, label)
		waitFor("button "+label, js)
	}

	waitFor("page ready", `document.body.dataset.ready === "1" && document.body.dataset.live === "1"`)
	banner := eval[string](t, ctx, `document.querySelector('#banner').textContent`)
	if !strings.Contains(banner, "DEMO") {
		t.Fatalf("banner = %q, want it marked DEMO", banner)
	}
	code := eval[string](t, ctx, `document.querySelector('#phone-0 .signup-text').textContent`)
	code = code[strings.LastIndex(code, " ")+1:]
	if len(code) != 10 {
		t.Fatalf("no invite code shown: %q", code)
	}
	shot("start")

	// 1. Ahmad signs up with his code and picks Dari.
	send("phone-0", "/start "+code)
	lastBot("phone-0", 1) // welcome, then the language picker
	press("phone-0", ".inline", "دری")
	waitFor("Ahmad's menu", `document.querySelectorAll('#phone-0 .kb button').length > 0`)
	type direction struct {
		Phone, Attr, Computed string
		Menu                  bool
	}
	dir := eval[direction](t, ctx, `(() => {
		const b = [...document.querySelectorAll('#phone-0 .msg.bot .bubble')].pop();
		return {Phone: document.querySelector('#phone-0').dir, Attr: b.getAttribute('dir'),
			Computed: getComputedStyle(b).direction,
			Menu: [...document.querySelectorAll('#phone-0 .kb button')].some(x => x.textContent === '🗓️ هفتهٔ من')};
	})()`)
	if dir.Phone != "rtl" || dir.Attr != "auto" || dir.Computed != "rtl" || !dir.Menu {
		t.Fatalf("Ahmad's phone in Dari = %+v, want rtl, a bubble dir=auto computed rtl, and the menu button 🗓️ هفتهٔ من", dir)
	}
	shot("signed-up-dari")

	// 2. My week, from the menu under the text box.
	n := bubbles("phone-0")
	press("phone-0", ".kb", "🗓️ هفتهٔ من")
	if week := lastBot("phone-0", n); !strings.Contains(week, "🗓️ ۷ روز آیندهٔ شما") {
		t.Fatalf("My week = %q", week)
	}
	shot("my-week")

	// 3. /balance typed: this month's contribution and his payment of 20 €.
	n = bubbles("phone-0")
	send("phone-0", "/balance")
	if bal := lastBot("phone-0", n); !strings.Contains(bal, "💶 سهم ماهوار شما") || !strings.Contains(bal, "پرداخت، رسید") {
		t.Fatalf("balance = %q", bal)
	}
	shot("balance")

	// 4. Claire (staff) signs up on the other phone and takes this
	// morning's attendance: Ahmad is marked present, then saved.
	run("staff sign-up", chromedp.Click(chromedp.CSS("#phone-1 .signup")))
	lastBot("phone-1", 1)
	press("phone-1", ".inline", "Français")
	waitFor("staff menu", `document.querySelectorAll('#phone-1 .kb button').length > 0`)
	n = bubbles("phone-1")
	send("phone-1", "/attendance")
	if list := lastBot("phone-1", n); !strings.Contains(list, "Cours de français d'aujourd'hui") {
		t.Fatalf("attendance = %q", list)
	}
	press("phone-1", ".inline", "09:30 · A1 matin (demo)")
	lastBot("phone-1", n+1)
	waitFor("Ahmad on the sheet", `[...document.querySelectorAll('#phone-1 .inline button')].some(b => b.textContent.startsWith('✅ Ahmad'))`)
	shot("attendance-sheet")
	press("phone-1", ".inline", "💾 Enregistrer")
	waitFor("attendance saved", `[...document.querySelectorAll('#phone-1 .msg.bot .text')].some(b => b.textContent.includes('Appel enregistré'))`)
	shot("attendance-saved")

	// 5. Ahmad's /classes counts this morning's class (two and a half
	// hours: ۲½) against the 200 prescribed; the numbers are isolated
	// (U+2068…U+2069) in the right-to-left text.
	n = bubbles("phone-0")
	send("phone-0", "/classes")
	if cls := lastBot("phone-0", n); !strings.Contains(cls, "⏱ ساعت‌های زبان فرانسوی که خوانده‌اید: \u2068۲½\u2069 از \u2068۲۰۰\u2069.") {
		t.Fatalf("classes = %q", cls)
	}
	shot("classes-hours")

	// 6. The clock: "next scheduled message" until tomorrow's class
	// reminder arrives (other messages may be due first).
	for i := 0; ; i++ {
		if eval[bool](t, ctx, `[...document.querySelectorAll('#phone-0 .msg.bot .text')].some(b => b.textContent.startsWith('⏰ صنف زبان فرانسوی ساعت'))`) {
			break
		}
		if i == 6 {
			shot("no-reminder")
			t.Fatal("no class reminder after 6 moves of the clock")
		}
		before := eval[string](t, ctx, `document.body.dataset.now`)
		run("next", chromedp.Click(chromedp.CSS("#next")))
		waitFor("clock moved", fmt.Sprintf(`document.body.dataset.now !== %q`, before))
		// Give what fell due a moment to arrive; not arriving is no error.
		_, _ = chromedp.Run(ctx, chromedp.Poll[any](`[...document.querySelectorAll('#phone-0 .msg.bot .text')].some(b => b.textContent.startsWith('⏰'))`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(3*time.Second)))
	}
	shot("class-reminder")
}

// eval runs JavaScript on the page and returns its value.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// api calls the sandbox page's JSON API.
func api[T any](t *testing.T, method, url string, body any) T {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var v T
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("%s %s: %d %s", method, url, res.StatusCode, b)
	}
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return v
}

type sbxState struct {
	Now    time.Time
	People []sandbox.Person
}

type sbxChat struct {
	Messages []sbxMessage
	Keyboard [][]string
}

type sbxMessage struct {
	ID     int
	Mine   bool
	Text   string
	Inline [][]struct {
		Text         string `json:"text"`
		CallbackData string `json:"callback_data"`
	}
}

// waitChat polls a demo person's chat until cond holds.
func waitChat(t *testing.T, page string, tg int64, what string, cond func(sbxChat) bool) sbxChat {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c := api[sbxChat](t, "GET", fmt.Sprintf("%s/api/chat/%d", page, tg), nil)
		if cond(c) {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("chat %d: no %s within 20s: %+v", tg, what, c.Messages)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func hasText(prefix string) func(sbxChat) bool {
	return func(c sbxChat) bool {
		for _, m := range c.Messages {
			if !m.Mine && strings.HasPrefix(m.Text, prefix) {
				return true
			}
		}
		return false
	}
}

// TestSandboxClockAndReset: through the page's API, a French demo resident
// signs up; "next scheduled message" moves the sandbox's clock from one
// message to the next, and the Monday rota message and the month's
// statement arrive; "Reset demo" makes the demo again (nobody signed up,
// chats empty, the clock back at its start).
func TestSandboxClockAndReset(t *testing.T) {
	page, start := startSandbox(t)
	st := api[sbxState](t, "GET", page+"/api/state", nil)
	begin := st.Now
	var moussa sandbox.Person
	for _, p := range st.People {
		if p.ExternalID == "D-05" {
			moussa = p
		}
	}
	if moussa.Code == "" || moussa.Linked || moussa.Language != "fr" {
		t.Fatalf("demo resident D-05 = %+v", moussa)
	}
	if len(st.People) != 22 {
		t.Fatalf("%d demo people, want 20 residents, a staff member and a coordinator", len(st.People))
	}

	api[map[string]any](t, "POST", page+"/api/send", map[string]any{"tg": moussa.TelegramID, "text": "/start " + moussa.Code})
	// The picker, wherever it is: his statement of the month, queued before
	// he signed up, may leave as soon as he has.
	isPicker := func(m sbxMessage) bool {
		return len(m.Inline) > 0 && strings.HasPrefix(m.Inline[0][0].CallbackData, "lang:")
	}
	c := waitChat(t, page, moussa.TelegramID, "language picker", func(c sbxChat) bool {
		return slices.ContainsFunc(c.Messages, isPicker)
	})
	picker := c.Messages[slices.IndexFunc(c.Messages, isPicker)]
	api[map[string]any](t, "POST", page+"/api/press", map[string]any{"tg": moussa.TelegramID, "message": picker.ID, "data": "lang:fr"})
	waitChat(t, page, moussa.TelegramID, "menu", func(c sbxChat) bool { return len(c.Keyboard) > 0 })

	// One scheduled message at a time, until the 1st of next month, 09:30
	// (the month's statement) and a Monday when he has cleaning turns (the
	// rota takes him one week in two or three).
	loc, _ := time.LoadLocation("Europe/Paris")
	b := begin.In(loc)
	first := time.Date(b.Year(), b.Month()+1, 1, 9, 30, 0, 0, loc)
	rota := hasText("🧹 Vos tours de ménage cette semaine :")
	now := begin
	for moves := 0; now.Before(first) || !rota(api[sbxChat](t, "GET", fmt.Sprintf("%s/api/chat/%d", page, moussa.TelegramID), nil)); moves++ {
		if moves == 80 {
			t.Fatalf("still at %v after 80 moves of the clock, without the statement or the rota: %+v", now,
				api[sbxChat](t, "GET", fmt.Sprintf("%s/api/chat/%d", page, moussa.TelegramID), nil).Messages)
		}
		next := api[map[string]string](t, "POST", page+"/api/clock/next", nil)
		moved, err := time.Parse(time.RFC3339, next["now"])
		if err != nil || !moved.After(now) {
			t.Fatalf("clock moved from %v to %q (%v)", now, next["now"], err)
		}
		now = moved
	}
	waitChat(t, page, moussa.TelegramID, "monthly statement", hasText("📅 Votre participation de"))

	// +1 hour and +1 day.
	for _, m := range []struct {
		how  string
		want time.Duration
	}{{"hour", time.Hour}, {"day", 24 * time.Hour}} {
		to := api[map[string]string](t, "POST", page+"/api/clock/"+m.how, nil)
		got, _ := time.Parse(time.RFC3339, to["now"])
		if d := got.Sub(now); d < m.want || d > m.want+time.Minute {
			t.Fatalf("+1 %s moved the clock by %v", m.how, d)
		}
		now = got
	}

	api[map[string]any](t, "POST", page+"/api/reset", nil)
	st = api[sbxState](t, "GET", page+"/api/state", nil)
	if d := st.Now.Sub(start); d < 0 || d > time.Minute {
		t.Fatalf("after the reset the clock is at %v, want back at its start %v", st.Now, start)
	}
	for _, p := range st.People {
		if p.Linked || p.Code == "" {
			t.Fatalf("after the reset %s is signed up or has no code: %+v", p.ExternalID, p)
		}
	}
	if c := api[sbxChat](t, "GET", fmt.Sprintf("%s/api/chat/%d", page, moussa.TelegramID), nil); len(c.Messages) != 0 {
		t.Fatalf("after the reset the chat still has %d messages", len(c.Messages))
	}
}

// TestSandboxNeverDropsRealData: the sandbox drops and recreates only
// databases of its own.
func TestSandboxNeverDropsRealData(t *testing.T) {
	for _, name := range []string{"cairbot", "test", "postgres", "cairbotsandbox"} {
		if err := sandbox.DropDatabase(context.Background(), storetest.AdminURL(), name); err == nil {
			t.Errorf("DropDatabase(%q) = nil, want a refusal", name)
		}
	}
}
