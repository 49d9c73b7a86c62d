package bot

import (
	"log/slog"
	"math"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // a variable name the error must name; "" = valid
	}{
		{"defaults are valid", nil, ""},
		{"webhook without secret", map[string]string{"WEBHOOK_URL": "https://x.example/hook"}, "WEBHOOK_SECRET"},
		{"bad secret", map[string]string{"WEBHOOK_URL": "https://x.example/hook", "WEBHOOK_SECRET": "has space"}, "WEBHOOK_SECRET"},
		{"webhook ok", map[string]string{"WEBHOOK_URL": "https://x.example/hook", "WEBHOOK_SECRET": "abc_DEF-1"}, ""},
		{"bad tz", map[string]string{"TZ": "Mars/Olympus"}, "TZ"},
		{"bad language", map[string]string{"DEFAULT_LANGUAGE": "uk"}, "DEFAULT_LANGUAGE"},
		{"bad db", map[string]string{"DATABASE_URL": "mysql://x"}, "DATABASE_URL"},
		{"bad redis", map[string]string{"REDIS_URL": "localhost:6379"}, "REDIS_URL"},
		{"bad duration", map[string]string{"INVITE_TTL": "two weeks"}, "INVITE_TTL"},
		{"rate over telegram's", map[string]string{"SEND_RATE_GLOBAL": "30"}, "SEND_RATE_GLOBAL"},
		{"chat rate of zero", map[string]string{"SEND_RATE_CHAT": "0"}, "SEND_RATE_CHAT"},
		{"chat rate not a number", map[string]string{"SEND_RATE_CHAT": "fast"}, "SEND_RATE_CHAT"},
		{"bad bool", map[string]string{"MIGRATE_ON_START": "maybe"}, "MIGRATE_ON_START"},
		{"json logs", map[string]string{"LOG_FORMAT": "json"}, ""},
		{"unknown log format", map[string]string{"LOG_FORMAT": "xml"}, "LOG_FORMAT"},
		{"memory limit off", map[string]string{"MEMORY_LIMIT_MIB": "0"}, ""},
		{"memory limit negative", map[string]string{"MEMORY_LIMIT_MIB": "-5"}, "MEMORY_LIMIT_MIB"},
		{"memory limit with a unit", map[string]string{"MEMORY_LIMIT_MIB": "32MiB"}, "MEMORY_LIMIT_MIB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := FromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if cfg.Location == nil || cfg.Location.String() != "Europe/Paris" {
					t.Fatalf("location = %v", cfg.Location)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v does not name %s", err, tt.wantErr)
			}
		})
	}
	if err := (Config{}).RequireToken(); err == nil || !strings.Contains(err.Error(), "TELEGRAM_TOKEN") {
		t.Fatalf("missing token: %v", err)
	}
}

func TestSendRateChat(t *testing.T) {
	t.Parallel()
	for env, want := range map[string]int{"": 1, "2": 2, " 29 ": 29} {
		cfg, err := FromEnv(func(k string) string { return map[string]string{"SEND_RATE_CHAT": env}[k] })
		if err != nil || cfg.ChatPerSecond != want {
			t.Errorf("SEND_RATE_CHAT=%q → %d a second, %v; want %d", env, cfg.ChatPerSecond, err, want)
		}
	}
}

// The defaults of the feature settings live in Defaults only: handlers
// take the values they are given, so a Config that leaves one at zero is
// refused rather than run with a limit of zero.
func TestFeatureDefaults(t *testing.T) {
	t.Parallel()
	d := Defaults()
	if d.InviteCentreTries != 30 || d.ClassReminderBefore != time.Hour || d.ClassAbsenceAlert != 2 ||
		!slices.Equal(d.InterviewReminders, []time.Duration{24 * time.Hour, 2 * time.Hour}) {
		t.Fatalf("defaults = %d tries, %v before class, alert after %d, reminders %v",
			d.InviteCentreTries, d.ClassReminderBefore, d.ClassAbsenceAlert, d.InterviewReminders)
	}
	if err := d.requireFeatureSettings(); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
	tests := []struct {
		name  string
		unset func(*Config)
	}{
		{"INVITE_CENTRE_TRIES", func(c *Config) { c.InviteCentreTries = 0 }},
		{"CLASS_REMINDER_BEFORE", func(c *Config) { c.ClassReminderBefore = 0 }},
		{"CLASS_ABSENCE_ALERT", func(c *Config) { c.ClassAbsenceAlert = 0 }},
		{"INTERVIEW_REMINDERS", func(c *Config) { c.InterviewReminders = nil }},
	}
	for _, tt := range tests {
		c := Defaults()
		tt.unset(&c)
		if err := c.requireFeatureSettings(); err == nil || !strings.Contains(err.Error(), tt.name) {
			t.Errorf("%s unset: error %v does not name it", tt.name, err)
		}
	}
}

func TestParseReminderOffsets(t *testing.T) {
	tests := []struct {
		in      string
		want    []time.Duration
		wantErr string
	}{
		{in: "24h,2h", want: []time.Duration{24 * time.Hour, 2 * time.Hour}},
		{in: " 2h , 24h ", want: []time.Duration{24 * time.Hour, 2 * time.Hour}},
		{in: "48h,24h,90m", want: []time.Duration{48 * time.Hour, 24 * time.Hour, 90 * time.Minute}},
		{in: "24h,24h", want: []time.Duration{24 * time.Hour}},
		{in: "1h30m", want: []time.Duration{90 * time.Minute}},
		{in: "", wantErr: "no reminder"},
		{in: ",", wantErr: "no reminder"},
		{in: "5m", wantErr: "10m to 720h"},
		{in: "721h", wantErr: "10m to 720h"},
		{in: "tomorrow", wantErr: "10m to 720h"},
		{in: "-2h", wantErr: "10m to 720h"},
		{in: "90s", wantErr: "10m to 720h"},
		{in: "1h,2h,3h,4h,5h,6h", wantErr: "at most 5"},
	}
	for _, tt := range tests {
		got, err := parseReminderOffsets(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseReminderOffsets(%q) = %v, %v; want error with %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseReminderOffsets(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// TestApplyMemoryLimit: the configured limit reaches the runtime, 0 leaves
// it unlimited, and GOMEMLIMIT (the operator's own) is left alone.
func TestApplyMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	log := slog.New(slog.DiscardHandler)
	cfg := Defaults()
	t.Setenv("GOMEMLIMIT", "")
	ApplyMemoryLimit(cfg, log)
	if got := debug.SetMemoryLimit(-1); got != int64(DefaultMemoryLimitMiB)<<20 {
		t.Fatalf("limit %d, want %d MiB", got, DefaultMemoryLimitMiB)
	}
	debug.SetMemoryLimit(math.MaxInt64)
	cfg.MemoryLimitMiB = 0
	ApplyMemoryLimit(cfg, log)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("MEMORY_LIMIT_MIB=0 set the limit to %d", got)
	}
	t.Setenv("GOMEMLIMIT", "100MiB")
	cfg.MemoryLimitMiB = 16
	ApplyMemoryLimit(cfg, log)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("with GOMEMLIMIT set, the limit became %d", got)
	}
}

// TestHeapProfileOnlyWithPprof: without PPROF_ADDR the runtime stops
// recording allocations for a heap profile nobody can read; with it, the
// profile is kept.
func TestHeapProfileOnlyWithPprof(t *testing.T) {
	before := runtime.MemProfileRate
	t.Cleanup(func() { runtime.MemProfileRate = before })
	limit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(limit) })
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		pprof string
		want  int
	}{
		{pprof: "127.0.0.1:6060", want: 512 * 1024},
		{pprof: "", want: 0},
	}
	for _, tt := range tests {
		runtime.MemProfileRate = 512 * 1024
		cfg := Defaults()
		cfg.PprofAddr = tt.pprof
		ApplyMemoryLimit(cfg, log)
		if runtime.MemProfileRate != tt.want {
			t.Errorf("PPROF_ADDR %q: MemProfileRate %d, want %d", tt.pprof, runtime.MemProfileRate, tt.want)
		}
	}
}

// TestPoolSize: DATABASE_MAX_CONNS when set; else four connections a core,
// at least MinDatabaseConns, at most what the workers can use at once.
func TestPoolSize(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                 string
		workers, jobs, conns int
		cores, want          int
	}{
		{"defaults on two cores", 16, 10, 0, 2, 8},
		{"defaults on eight cores", 16, 10, 0, 8, 30},
		{"one core: the smallest pool", 16, 10, 0, 1, MinDatabaseConns},
		{"few workers on many cores", 2, 1, 0, 16, 7},
		{"set by DATABASE_MAX_CONNS", 16, 10, 50, 2, 50},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{Workers: c.workers, JobWorkers: c.jobs, DatabaseMaxConns: c.conns}
			got := cfg.poolSize(c.cores)
			if c.conns > 0 {
				got = cfg.PoolSize()
			}
			if got != c.want {
				t.Fatalf("pool %d, want %d", got, c.want)
			}
		})
	}
}
