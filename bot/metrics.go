package bot

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/aurore/cairbot/store"
)

// Metrics are what /metrics shows, in Prometheus' format. Every label is
// drawn from a short fixed list (a kind of update, an outcome, a state, an
// error class): never a name, a text, a chat or a person, so no personal
// data can reach a dashboard.
//
// Each process has its own registry (not Prometheus' global one), so tests
// can run several bots in one process.
type Metrics struct {
	reg             *prometheus.Registry
	updates         *prometheus.CounterVec
	updateDuration  *prometheus.HistogramVec
	messages        *prometheus.CounterVec
	postgresErrors  *prometheus.CounterVec
	redisErrors     *prometheus.CounterVec
	collectorErrors prometheus.Counter
	roundTrips      *prometheus.HistogramVec
	// onUpdateCost, when set (tests), is told what each update cost.
	onUpdateCost func(UpdateCost)
}

// Update outcomes (label outcome of cairbot_updates_total).
const (
	outcomeHandled   = "handled"    // answered as meant
	outcomeExplained = "user_error" // a known error, explained to the user
	outcomeError     = "error"      // a bug: the user got an apology with a reference
	outcomePanic     = "panic"      // a panic, recovered: an apology too
	outcomeRetry     = "retry"      // left unconfirmed: Telegram or our infrastructure was down
	outcomeDuplicate = "duplicate"  // already handled (a re-delivery)
	outcomeIgnored   = "ignored"    // a kind of update cairbot does not handle
)

// NewMetrics makes the metrics of one process, with Go's and the process's
// own (memory, goroutines, open files).
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cairbot_updates_total",
			Help: "Telegram updates taken in, by kind (command, button, text, other) and outcome (handled, user_error, error, panic, retry, duplicate, ignored).",
		}, []string{"kind", "outcome"}),
		updateDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cairbot_update_duration_seconds",
			Help:    "Time to handle one update, answer included, by kind.",
			Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"kind"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cairbot_messages_total",
			Help: "Tries to send a message to a chat, by path (reply, outbox) and outcome (sent, 429, 5xx, network, maybe_sent, unreachable, refused, retried, gave_up).",
		}, []string{"path", "outcome"}),
		postgresErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cairbot_postgres_errors_total",
			Help: "Failed PostgreSQL queries and connections, by class: connection, or the SQLSTATE class (23 integrity, 40 serialization, 57 operator…).",
		}, []string{"class"}),
		redisErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cairbot_redis_errors_total",
			Help: "Failed Redis commands and connections, by class (connection, timeout, command).",
		}, []string{"class"}),
		collectorErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cairbot_metrics_collect_errors_total",
			Help: "Scrapes whose outbox or job queue figures could not be read.",
		}),
		roundTrips: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cairbot_update_round_trips",
			Help:    "Round trips to PostgreSQL or Redis (label backend) made to handle one update, by kind.",
			Buckets: []float64{0, 1, 2, 3, 4, 6, 8, 12, 20},
		}, []string{"kind", "backend"}),
	}
	m.reg.MustRegister(m.updates, m.updateDuration, m.messages, m.postgresErrors, m.redisErrors, m.collectorErrors, m.roundTrips,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is what /metrics serves.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func (m *Metrics) update(kind, outcome string, took time.Duration) {
	m.updates.WithLabelValues(kind, outcome).Inc()
	if outcome != outcomeDuplicate && outcome != outcomeIgnored {
		m.updateDuration.WithLabelValues(kind).Observe(took.Seconds())
	}
}

// updateCost records what one update cost in round trips.
func (m *Metrics) updateCost(c UpdateCost) {
	t := c.Total()
	m.roundTrips.WithLabelValues(c.Kind, "postgres").Observe(float64(t.Postgres))
	m.roundTrips.WithLabelValues(c.Kind, "redis").Observe(float64(t.Redis))
	if m.onUpdateCost != nil {
		m.onUpdateCost(c)
	}
}

// message counts one try to send on path ("reply" or "outbox").
func (m *Metrics) message(path, outcome string) { m.messages.WithLabelValues(path, outcome).Inc() }

// sendOutcome names what became of one try to send.
func sendOutcome(err error) string {
	if err == nil {
		return "sent"
	}
	f, _ := classify(err)
	switch f {
	case failRetryAfter:
		return "429"
	case failUnreachable:
		return "unreachable"
	case failPermanent:
		return "refused"
	case failMaybeSent:
		return "maybe_sent"
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return "network"
	}
	return "5xx"
}

// PostgresTracer counts PostgreSQL errors, and the round trips each update
// makes (UpdateCost); store.Open takes it (store.WithTracer), and it sees
// River's queries too.
func (m *Metrics) PostgresTracer() pgx.QueryTracer { return pgTracer{m} }

type pgTracer struct{ m *Metrics }

func (t pgTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	countPostgresTrip(ctx)
	return ctx
}

// A batch is one round trip whatever the number of its queries.
func (t pgTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	countPostgresTrip(ctx)
	return ctx
}

func (t pgTracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

func (t pgTracer) TraceBatchEnd(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchEndData) {
	t.m.postgresError(d.Err)
}

func (t pgTracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	countPostgresTrip(ctx)
	return ctx
}

func (t pgTracer) TraceCopyFromEnd(_ context.Context, _ *pgx.Conn, d pgx.TraceCopyFromEndData) {
	t.m.postgresError(d.Err)
}

func (t pgTracer) TraceQueryEnd(_ context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	t.m.postgresError(d.Err)
}

// TraceAcquireStart and TraceAcquireEnd make it a pgxpool.AcquireTracer:
// a pool that cannot connect fails there, before any query.
func (t pgTracer) TraceAcquireStart(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireStartData) context.Context {
	return ctx
}

func (t pgTracer) TraceAcquireEnd(_ context.Context, _ *pgxpool.Pool, d pgxpool.TraceAcquireEndData) {
	t.m.postgresError(d.Err)
}

func (m *Metrics) postgresError(err error) {
	if err == nil || errors.Is(err, context.Canceled) {
		// A cancelled query is a stop or a client gone, not a fault.
		return
	}
	class := "connection"
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && len(pgErr.Code) >= 2 {
		class = pgErr.Code[:2]
	}
	m.postgresErrors.WithLabelValues(class).Inc()
}

// RedisHook counts Redis errors, and the round trips each update makes
// (UpdateCost: a pipeline is one); the composition root adds it to the
// client. redis.Nil (no such key) and a failed WATCH transaction (a
// compare-and-set that lost, retried by design) are answers, not errors.
func (m *Metrics) RedisHook() redis.Hook { return redisHook{m} }

type redisHook struct{ m *Metrics }

func (h redisHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err != nil && !errors.Is(err, context.Canceled) {
			h.m.redisErrors.WithLabelValues("connection").Inc()
		}
		return c, err
	}
}

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		countRedisTrip(ctx)
		err := next(ctx, cmd)
		h.m.redisError(err)
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		countRedisTrip(ctx)
		err := next(ctx, cmds)
		h.m.redisError(err)
		return err
	}
}

func (m *Metrics) redisError(err error) {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, redis.TxFailedErr) || errors.Is(err, context.Canceled) {
		return
	}
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, redis.ErrPoolTimeout):
		m.redisErrors.WithLabelValues("timeout").Inc()
	case errors.As(err, &netErr), errors.Is(err, redis.ErrClosed):
		m.redisErrors.WithLabelValues("connection").Inc()
	default:
		m.redisErrors.WithLabelValues("command").Inc()
	}
}

// queueCollector reads the outbox and the job queue at each scrape: the
// figures live in PostgreSQL, shared by every process, so any process's
// /metrics gives the deployment's queues.
type queueCollector struct {
	store  *store.Store
	clock  func() time.Time
	errors prometheus.Counter

	outbox       *prometheus.Desc
	outboxOldest *prometheus.Desc
	jobs         *prometheus.Desc
	jobsFailed   *prometheus.Desc
}

func newQueueCollector(st *store.Store, clock func() time.Time, errs prometheus.Counter) *queueCollector {
	return &queueCollector{
		store: st, clock: clock, errors: errs,
		outbox: prometheus.NewDesc("cairbot_outbox_messages",
			"Outbox rows (messages the bot sends on its own) by state: pending and sending are the depth still to send.", []string{"state"}, nil),
		outboxOldest: prometheus.NewDesc("cairbot_outbox_oldest_pending_age_seconds",
			"How long the oldest message due and not yet sent has been waiting (0 when none).", nil, nil),
		jobs: prometheus.NewDesc("cairbot_jobs",
			"River jobs by state (available, scheduled, running, retryable, discarded, cancelled); completed ones are not counted.", []string{"state"}, nil),
		jobsFailed: prometheus.NewDesc("cairbot_jobs_failed",
			"River jobs that failed for good (discarded after their last try).", nil, nil),
	}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.outbox
	ch <- c.outboxOldest
	ch <- c.jobs
	ch <- c.jobsFailed
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, oldest, err := c.store.OutboxStats(ctx)
	if err != nil {
		c.errors.Inc()
	} else {
		for _, st := range []store.OutboxState{store.OutboxPending, store.OutboxSending, store.OutboxSent, store.OutboxUnreachable, store.OutboxFailed, store.OutboxCancelled} {
			ch <- prometheus.MustNewConstMetric(c.outbox, prometheus.GaugeValue, float64(counts[st]), string(st))
		}
		age := 0.0
		if !oldest.IsZero() {
			age = max(c.clock().Sub(oldest).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(c.outboxOldest, prometheus.GaugeValue, age)
	}
	jobs, err := c.store.JobStats(ctx)
	if err != nil {
		c.errors.Inc()
		return
	}
	for _, st := range []string{"available", "scheduled", "running", "retryable", "pending", "discarded", "cancelled"} {
		ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.GaugeValue, float64(jobs[st]), st)
	}
	ch <- prometheus.MustNewConstMetric(c.jobsFailed, prometheus.GaugeValue, float64(jobs["discarded"]))
}

// peopleCacheCollector reports the person cache of this process
// (store/people_cache.go): how often an update's person was found in
// memory, read from PostgreSQL, or forgotten on a change, and whether the
// process listens to changes (without which it keeps nothing).
type peopleCacheCollector struct {
	store                   *store.Store
	hits, misses, forgotten *prometheus.Desc
	listening               *prometheus.Desc
}

func newPeopleCacheCollector(st *store.Store) *peopleCacheCollector {
	return &peopleCacheCollector{
		store: st,
		hits: prometheus.NewDesc("cairbot_people_cache_hits_total",
			"Updates whose person (or the knowledge that the account is nobody's) was found in memory.", nil, nil),
		misses: prometheus.NewDesc("cairbot_people_cache_misses_total",
			"Updates whose person was read from PostgreSQL.", nil, nil),
		forgotten: prometheus.NewDesc("cairbot_people_cache_forgotten_total",
			"Changes to people (or to centre_bots) that made the process forget what it kept.", nil, nil),
		listening: prometheus.NewDesc("cairbot_people_cache_listening",
			"1 while the process listens to PostgreSQL's notifications of changes (and so keeps people in memory), 0 otherwise.", nil, nil),
	}
}

func (c *peopleCacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.hits
	ch <- c.misses
	ch <- c.forgotten
	ch <- c.listening
}

func (c *peopleCacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.store.PeopleCache()
	ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, float64(s.Hits))
	ch <- prometheus.MustNewConstMetric(c.misses, prometheus.CounterValue, float64(s.Misses))
	ch <- prometheus.MustNewConstMetric(c.forgotten, prometheus.CounterValue, float64(s.Forgotten))
	listening := 0.0
	if s.Listening {
		listening = 1
	}
	ch <- prometheus.MustNewConstMetric(c.listening, prometheus.GaugeValue, listening)
}
