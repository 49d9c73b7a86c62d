package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aurore/cairbot/bot/telegramtest"
	"github.com/aurore/cairbot/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplate()
	os.Exit(code)
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// testClock is the commands' clock in a test: storetest.Now, standing still.
func testClock(t *testing.T) func() time.Time {
	now := storetest.Now(t)
	return func() time.Time { return now }
}

func TestPeopleAdd(t *testing.T) {
	tg := telegramtest.New(t, telegramtest.Options{})
	t.Setenv("DATABASE_URL", storetest.NewDB(t))
	t.Setenv("TELEGRAM_TOKEN", tg.Token())
	t.Setenv("TELEGRAM_API_URL", tg.URL())
	var out bytes.Buffer
	err := run(context.Background(), []string{"people", "add", "--name", "Ahmad K.", "--role", "resident",
		"--room", "214", "--lang", "fa-AF"}, &out, discard, testClock(t))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`invite code: ([A-Z0-9]{10})`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no code in %q", out.String())
	}
	if !strings.Contains(out.String(), "https://t.me/"+tg.BotUsername()+"?start="+m[1]) {
		t.Fatalf("no deep link in %q", out.String())
	}

	bad := []struct {
		args []string
		want string
	}{
		{[]string{"people", "add", "--name", "X", "--role", "boss"}, "--role"},
		{[]string{"people", "add", "--name", "X", "--lang", "uk"}, "--lang"},
		{[]string{"people", "add", "--name", "  "}, "--name"},
		{[]string{"people", "fly"}, "unknown"},
		{[]string{"dance"}, "unknown command"},
	}
	for _, b := range bad {
		if err := run(context.Background(), b.args, io.Discard, discard, testClock(t)); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%v: err = %v, want it to mention %s", b.args, err, b.want)
		}
	}
}

func TestRunWithoutTokenSaysWhatToSet(t *testing.T) {
	t.Setenv("TELEGRAM_TOKEN", "")
	err := run(context.Background(), []string{"run"}, io.Discard, discard, testClock(t))
	if err == nil || !strings.Contains(err.Error(), "TELEGRAM_TOKEN") {
		t.Fatalf("err = %v", err)
	}
}

// TestImportChoresExample runs the example chores file through the CLI
// twice: the second import changes nothing.
func TestImportChoresExample(t *testing.T) {
	t.Setenv("DATABASE_URL", storetest.NewDB(t))
	t.Setenv("TELEGRAM_TOKEN", "")
	ctx := context.Background()
	for _, kind := range []string{"residents", "chores"} {
		var out bytes.Buffer
		if err := run(ctx, []string{"import", kind, "../../docs/examples/" + kind + ".csv"}, &out, discard, testClock(t)); err != nil {
			t.Fatalf("import %s: %v\n%s", kind, err, out.String())
		}
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"import", "chores", "../../docs/examples/chores.csv"}, &out, discard, testClock(t)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "nothing to change") {
		t.Fatalf("second import:\n%s", out.String())
	}
	if err := run(ctx, []string{"import", "rooms", "x.csv"}, io.Discard, discard, testClock(t)); err == nil || !strings.Contains(err.Error(), "unknown kind") {
		t.Fatalf("unknown kind: %v", err)
	}
}
