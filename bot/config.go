package bot

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aurore/cairbot/locales"
)

// Config is every setting of cairbot, read from the environment in one place
// (FromEnv) and passed down explicitly.
type Config struct {
	TelegramToken   string // TELEGRAM_TOKEN (required to run the bot)
	TelegramAPIURL  string // TELEGRAM_API_URL
	DatabaseURL     string // DATABASE_URL
	RedisURL        string // REDIS_URL
	RedisPrefix     string // REDIS_PREFIX: keys of this deployment
	WebhookURL      string // WEBHOOK_URL: set → webhook mode, else long polling
	WebhookSecret   string // WEBHOOK_SECRET
	SandboxAddr     string // SANDBOX_ADDR: the sandbox's page (`cairbot sandbox`); LISTEN_ADDR when unset
	ListenAddr      string // LISTEN_ADDR: webhook, /healthz, /readyz and /metrics
	LogFormat       string // LOG_FORMAT: text (default) or json
	TZ              string // TZ
	Location        *time.Location
	DefaultLanguage string        // DEFAULT_LANGUAGE
	Centre          string        // CENTRE: slug of the centre created on first start
	CentreName      string        // CENTRE_NAME
	InviteTTL       time.Duration // INVITE_TTL
	// InviteCentreTries is how many wrong invite codes every Telegram
	// account together may try within 15 minutes (INVITE_CENTRE_TRIES).
	InviteCentreTries int
	ConversationTTL   time.Duration // CONVERSATION_TTL
	Workers           int           // WORKERS: updates handled at once (each chat in order)
	JobWorkers        int           // JOB_WORKERS: jobs (outbox sends, reminders…) worked at once
	// DatabaseMaxConns is the pool size (DATABASE_MAX_CONNS); 0 sizes it
	// from the work that can run at once (PoolSize).
	DatabaseMaxConns int
	// JobRescueAfter is how long a job may run before it counts as cut by a
	// crash and is run again (JOB_RESCUE_AFTER); also each job's timeout.
	JobRescueAfter time.Duration
	GlobalRate     int  // SEND_RATE_GLOBAL: messages per second, all chats (what the bot sends on its own)
	ChatPerSecond  int  // SEND_RATE_CHAT: messages per second per chat, on average
	ChatRate       int  // SEND_RATE_CHAT_BURST: short burst allowed per chat
	MigrateOnStart bool // MIGRATE_ON_START
	// RetainAfterLeaving is how long a resident's personal data is kept
	// after he left (once his balance is settled): RETENTION_AFTER_LEAVING.
	RetainAfterLeaving time.Duration
	// classes and attendance
	ClassReminderBefore time.Duration // CLASS_REMINDER_BEFORE: reminder this long before each class
	ClassAbsenceAlert   int           // CLASS_ABSENCE_ALERT: unexcused absences in a row that alert the coordinators
	// appointments and interviews
	InterviewReminders []time.Duration // INTERVIEW_REMINDERS: before each appointment, e.g. "24h,2h"

	// Transport timings. Not read from the environment: the defaults suit
	// Telegram's own timings, and tests shorten them so as not to wait.
	//
	// SendBackoff is the Sender's first pause after a 5xx or network
	// error; it doubles with each try.
	SendBackoff time.Duration
	// RetryPause is, in polling mode, the first pause before an update
	// whose handling must be retried is tried again; it doubles up to
	// maxRetryPause while the failure lasts.
	RetryPause time.Duration
	// UpdateLease is how long an update stays claimed by a process that
	// stopped renewing its claim (it died) before another takes it over.
	UpdateLease time.Duration
	// WebhookReadTimeout bounds the time to read a webhook request, body
	// included: a client sending slowly is cut off.
	WebhookReadTimeout time.Duration

	// PprofAddr serves net/http/pprof when set (PPROF_ADDR), on a
	// loopback address only (pprof.go).
	PprofAddr string
	// MemoryLimitMiB is the Go runtime's soft memory limit of `run` and
	// `worker` (MEMORY_LIMIT_MIB; 0: none; GOMEMLIMIT, when set, wins):
	// memory.go.
	MemoryLimitMiB int
}

// Defaults are the local values that let `make run` work with nothing but
// a token on a machine with PostgreSQL and Redis on their usual ports.
func Defaults() Config {
	return Config{
		TelegramAPIURL:  "https://api.telegram.org",
		DatabaseURL:     "postgres://postgres@127.0.0.1:5432/cairbot?sslmode=disable",
		RedisURL:        "redis://127.0.0.1:6379/0",
		RedisPrefix:     "cairbot",
		ListenAddr:      "127.0.0.1:8080",
		LogFormat:       "text",
		TZ:              "Europe/Paris",
		DefaultLanguage: "fr",
		Centre:          "cair-paris12",
		CentreName:      "CAIR Paris 12e",
		InviteTTL:       14 * 24 * time.Hour,
		// A front desk handing out a dozen codes a day sees a few typos,
		// not thirty in a quarter of an hour.
		InviteCentreTries: 30,
		ConversationTTL:   24 * time.Hour,
		Workers:           16,
		JobWorkers:        10,
		JobRescueAfter:    time.Minute,
		GlobalRate:        25,
		ChatPerSecond:     1,
		ChatRate:          3,
		MigrateOnStart:    true,
		// Six months, the length of a stay: time enough for a late
		// payment, a certificate of residence or a question from OFII.
		RetainAfterLeaving: 180 * 24 * time.Hour,
		// classes and attendance
		ClassReminderBefore: time.Hour,
		ClassAbsenceAlert:   2,
		// appointments and interviews
		InterviewReminders: []time.Duration{24 * time.Hour, 2 * time.Hour},
		// transport timings
		SendBackoff: 500 * time.Millisecond,
		RetryPause:  time.Second,
		// Renewed every third of it, a lease survives two lost renewals;
		// a dead process's update is taken over within 10 s.
		UpdateLease:        10 * time.Second,
		WebhookReadTimeout: 15 * time.Second,
		MemoryLimitMiB:     DefaultMemoryLimitMiB,
	}
}

// withTransportDefaults fills the transport timings a Config built by hand
// (not from Defaults) leaves at zero.
func (c Config) withTransportDefaults() Config {
	d := Defaults()
	if c.SendBackoff <= 0 {
		c.SendBackoff = d.SendBackoff
	}
	if c.RetryPause <= 0 {
		c.RetryPause = d.RetryPause
	}
	if c.UpdateLease <= 0 {
		c.UpdateLease = d.UpdateLease
	}
	if c.WebhookReadTimeout <= 0 {
		c.WebhookReadTimeout = d.WebhookReadTimeout
	}
	return c
}

// requireFeatureSettings refuses a Config built by hand (not from Defaults
// or FromEnv) that leaves a feature setting at zero: handlers take these
// values as they are, and a zero would mean no invite code accepted, class
// reminders at the class's start or an alert after no absence at all.
func (c Config) requireFeatureSettings() error {
	var errs []error
	if c.InviteCentreTries <= 0 {
		errs = append(errs, errors.New("INVITE_CENTRE_TRIES: not set (start from bot.Defaults)"))
	}
	if c.ClassReminderBefore <= 0 {
		errs = append(errs, errors.New("CLASS_REMINDER_BEFORE: not set (start from bot.Defaults)"))
	}
	if c.ClassAbsenceAlert <= 0 {
		errs = append(errs, errors.New("CLASS_ABSENCE_ALERT: not set (start from bot.Defaults)"))
	}
	if len(c.InterviewReminders) == 0 {
		errs = append(errs, errors.New("INTERVIEW_REMINDERS: not set (start from bot.Defaults)"))
	}
	return errors.Join(errs...)
}

// ErrNoToken is returned when TELEGRAM_TOKEN is missing, so that `make run`
// can say exactly what to set.
var ErrNoToken = errors.New("TELEGRAM_TOKEN is not set: create a bot with @BotFather and run `TELEGRAM_TOKEN=123456:ABC... make run`")

var secretRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// FromEnv reads the configuration from getenv (os.Getenv in production) and
// validates it; the error names the faulty variable.
func FromEnv(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c := Defaults()
	str := func(name string, dst *string) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			*dst = v
		}
	}
	var errs []error
	dur := func(name string, dst *time.Duration) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Errorf("%s: %q is not a positive duration such as 336h", name, v))
				return
			}
			*dst = d
		}
	}
	num := func(name string, dst *int, min, max int) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < min || n > max {
				errs = append(errs, fmt.Errorf("%s: %q must be a whole number from %d to %d", name, v, min, max))
				return
			}
			*dst = n
		}
	}
	str("TELEGRAM_TOKEN", &c.TelegramToken)
	str("TELEGRAM_API_URL", &c.TelegramAPIURL)
	str("DATABASE_URL", &c.DatabaseURL)
	str("REDIS_URL", &c.RedisURL)
	str("REDIS_PREFIX", &c.RedisPrefix)
	str("WEBHOOK_URL", &c.WebhookURL)
	str("WEBHOOK_SECRET", &c.WebhookSecret)
	str("LISTEN_ADDR", &c.ListenAddr)
	str("SANDBOX_ADDR", &c.SandboxAddr)
	str("LOG_FORMAT", &c.LogFormat)
	str("PPROF_ADDR", &c.PprofAddr)
	str("TZ", &c.TZ)
	str("DEFAULT_LANGUAGE", &c.DefaultLanguage)
	str("CENTRE", &c.Centre)
	str("CENTRE_NAME", &c.CentreName)
	dur("INVITE_TTL", &c.InviteTTL)
	num("INVITE_CENTRE_TRIES", &c.InviteCentreTries, 5, 10000)
	dur("CONVERSATION_TTL", &c.ConversationTTL)
	dur("RETENTION_AFTER_LEAVING", &c.RetainAfterLeaving)
	num("WORKERS", &c.Workers, 1, 1024)
	num("MEMORY_LIMIT_MIB", &c.MemoryLimitMiB, 0, 1<<20)
	num("JOB_WORKERS", &c.JobWorkers, 1, 100)
	num("DATABASE_MAX_CONNS", &c.DatabaseMaxConns, MinDatabaseConns, 1000)
	dur("JOB_RESCUE_AFTER", &c.JobRescueAfter)
	num("SEND_RATE_GLOBAL", &c.GlobalRate, 1, 29)
	num("SEND_RATE_CHAT", &c.ChatPerSecond, 1, 29)
	num("SEND_RATE_CHAT_BURST", &c.ChatRate, 1, 5)
	if v := strings.TrimSpace(getenv("MIGRATE_ON_START")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("MIGRATE_ON_START: %q must be true or false", v))
		}
		c.MigrateOnStart = b
	}
	// classes and attendance
	dur("CLASS_REMINDER_BEFORE", &c.ClassReminderBefore)
	if c.ClassReminderBefore < time.Minute || c.ClassReminderBefore > 24*time.Hour {
		errs = append(errs, fmt.Errorf("CLASS_REMINDER_BEFORE: %v must be from 1m to 24h", c.ClassReminderBefore))
	}
	num("CLASS_ABSENCE_ALERT", &c.ClassAbsenceAlert, 1, 20)
	// appointments and interviews
	if v := strings.TrimSpace(getenv("INTERVIEW_REMINDERS")); v != "" {
		d, err := parseReminderOffsets(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("INTERVIEW_REMINDERS: %w", err))
		}
		c.InterviewReminders = d
	}
	errs = append(errs, c.validate()...)
	return c, errors.Join(errs...)
}

func (c *Config) validate() []error {
	var errs []error
	if _, err := url.ParseRequestURI(c.TelegramAPIURL); err != nil {
		errs = append(errs, fmt.Errorf("TELEGRAM_API_URL: %q is not a URL", c.TelegramAPIURL))
	}
	if !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("DATABASE_URL: must start with postgres://"))
	}
	if !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		errs = append(errs, errors.New("REDIS_URL: must start with redis:// or rediss://"))
	}
	if c.WebhookURL != "" {
		u, err := url.ParseRequestURI(c.WebhookURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			errs = append(errs, fmt.Errorf("WEBHOOK_URL: %q is not an http(s) URL", c.WebhookURL))
		}
		if !secretRe.MatchString(c.WebhookSecret) {
			errs = append(errs, errors.New("WEBHOOK_SECRET: required in webhook mode, 1–256 characters of A-Z a-z 0-9 _ -"))
		}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT: %q must be text or json", c.LogFormat))
	}
	loc, err := time.LoadLocation(c.TZ)
	if err != nil {
		errs = append(errs, fmt.Errorf("TZ: %q is not a known time zone such as Europe/Paris", c.TZ))
	}
	c.Location = loc
	if _, ok := locales.Lookup(c.DefaultLanguage); !ok {
		errs = append(errs, fmt.Errorf("DEFAULT_LANGUAGE: %q is not one of the supported languages", c.DefaultLanguage))
	}
	if c.PprofAddr != "" {
		if err := checkPprofAddr(c.PprofAddr); err != nil {
			errs = append(errs, err)
		}
	}
	if !regexp.MustCompile(`^[a-z0-9-]{1,40}$`).MatchString(c.Centre) {
		errs = append(errs, fmt.Errorf("CENTRE: %q must be 1–40 of a-z 0-9 -", c.Centre))
	}
	return errs
}

// MinDatabaseConns is the smallest pool cairbot works with: River keeps one
// connection for its notifications, and a job and an update need one each.
const MinDatabaseConns = 4

// PoolSize is the database pool: DATABASE_MAX_CONNS, or by default
// poolPerCore connections per core the process runs on (GOMAXPROCS), at
// most one for each piece of work that can run at once (the updates being
// handled, the jobs being worked) and four for River's own (notifications,
// fetching, leadership).
//
// It is not sized for everything that can run at once: no code holds a
// connection while waiting for Telegram, a rate limit or another
// connection, so work beyond the pool waits its turn for a moment, never
// for ever (TestMoneyBatchWithSmallPoolDoesNotFreeze runs a pool of two
// under a batch of receipts and statements). What more connections than
// that bring is more PostgreSQL backends at once than cores to run them:
// on two cores a `/balance` cost PostgreSQL 0.39–0.40 ms of CPU with the
// 30 connections of WORKERS + JOB_WORKERS + 4, and 0.32 ms with 8; its
// four statements cost 0.09–0.10 ms with one client and 0.17–0.18 ms with
// sixteen (docs/BENCHMARKS.md, "PostgreSQL's backends").
func (c Config) PoolSize() int {
	if c.DatabaseMaxConns > 0 {
		return c.DatabaseMaxConns
	}
	return c.poolSize(runtime.GOMAXPROCS(0))
}

// poolPerCore connections per core. On two cores pgbench ran `/balance`'s
// statements fastest with four clients (14,800 a second, against 8,400–
// 10,000 with one and 10,400–10,700 with sixteen), and `make bench`'s
// closed loops did best with eight connections: a connection's statements
// leave room between them (the bot's work, the network) that another
// connection fills.
const poolPerCore = 4

func (c Config) poolSize(cores int) int {
	return min(c.Workers+c.JobWorkers+4, max(MinDatabaseConns, poolPerCore*cores))
}

// RequireToken reports ErrNoToken when the bot cannot talk to Telegram.
func (c Config) RequireToken() error {
	if c.TelegramToken == "" {
		return ErrNoToken
	}
	return nil
}

// parseReminderOffsets reads INTERVIEW_REMINDERS: how long before an
// appointment the resident is reminded, e.g. "24h,2h" or "48h, 24h, 90m".
// Each is from 10 minutes to 30 days; at most 5; repeats are dropped. The
// result is the longest first.
func parseReminderOffsets(s string) ([]time.Duration, error) {
	var out []time.Duration
	seen := map[time.Duration]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, err := time.ParseDuration(part)
		if err != nil || d < 10*time.Minute || d > 30*24*time.Hour || d%time.Minute != 0 {
			return nil, fmt.Errorf("%q is not a whole number of minutes from 10m to 720h, such as 24h or 90m", part)
		}
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no reminder given: write them like 24h,2h")
	}
	if len(out) > 5 {
		return nil, errors.New("at most 5 reminders")
	}
	sort.Slice(out, func(i, j int) bool { return out[i] > out[j] })
	return out, nil
}
