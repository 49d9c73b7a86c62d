package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
func startSandbox(t *testing.T) string {
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
		return addr
	case err := <-done:
		t.Fatalf("sandbox did not start: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("sandbox did not start within 60s")
	}
	return ""
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
	page := startSandbox(t)
	shots := filepath.Join("..", "..", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
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

	// 5. Ahmad's /classes counts this morning's class (two whole hours of
	// the two and a half) against the 200 prescribed; the numbers are
	// isolated (U+2068…U+2069) in the right-to-left text.
	n = bubbles("phone-0")
	send("phone-0", "/classes")
	if cls := lastBot("phone-0", n); !strings.Contains(cls, "⏱ ساعت‌های زبان فرانسوی که خوانده‌اید: \u2068۲\u2069 از \u2068۲۰۰\u2069.") {
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
