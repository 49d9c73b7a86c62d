// Package bot is cairbot's Telegram transport: intake by long polling or
// webhook, update dedupe, per-chat ordered dispatch, the middlewares
// (recover, log, identify, errors), the route table, and the one Sender
// through which every message leaves.
package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"

	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// pollTimeout is the long-polling wait; HTTP timeouts are set above it.
const pollTimeout = 25 * time.Second

// Deps are the connections and clock the composition root hands in.
type Deps struct {
	Pool  *pgxpool.Pool
	Redis redis.UniversalClient
	Log   *slog.Logger
	// Clock is the time of handlers, store queries and jobs; tests move
	// it. Defaults to time.Now. Any other clock is River's too (jobs.go).
	Clock func() time.Time
	// Metrics are the process's; the composition root makes them first, to
	// count PostgreSQL and Redis errors on the connections it opens
	// (Metrics.PostgresTracer, Metrics.RedisHook). Nil: New makes its own.
	Metrics *Metrics
}

// App is one running cairbot process.
type App struct {
	cfg         Config
	log         *slog.Logger
	store       *store.Store
	state       *store.State
	tg          *tgbot.Bot
	sender      Senders // through the bot of the centre in the context (centres.go)
	bots        *botSet // every centre's bot; bots.def is the default centre's
	catalog     *locales.Catalog
	router      *Router
	features    handlers.Features
	dispatcher  *Dispatcher
	pipeline    HandlerFunc
	clock       func() time.Time
	instance    string
	botUsername string
	takeOver    bool
	httpClient  *http.Client
	jobs        *river.Client[pgx.Tx]
	// httpAddr is where the webhook and health server listens, once it does.
	httpAddr atomic.Value
	metrics  *Metrics
	redis    redis.UniversalClient
	// serving is true while the job queue runs and updates are taken:
	// /readyz answers 503 before and after.
	serving atomic.Bool
	// background is the work beside the updates, started once they are
	// served (the command menus, the reload of centre_bots); it ends with
	// Run's context, and Run waits for it.
	background sync.WaitGroup
}

// New assembles the bot: Telegram client, sender, handlers, route table,
// middlewares and dispatcher. It calls getMe to learn the bot's username
// (needed for /cmd@bot and deep links) and makes sure the centre exists.
func New(ctx context.Context, cfg Config, deps Deps) (*App, error) {
	if err := cfg.RequireToken(); err != nil {
		return nil, err
	}
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	if deps.Metrics == nil {
		deps.Metrics = NewMetrics()
	}
	cfg = cfg.withTransportDefaults()
	if err := cfg.requireFeatureSettings(); err != nil {
		return nil, err
	}
	a := &App{
		cfg:   cfg,
		log:   deps.Log,
		store: store.New(deps.Pool),
		state: store.NewState(deps.Redis, cfg.RedisPrefix, cfg.ConversationTTL, cfg.UpdateLease),
		clock: deps.Clock,
		// Only one poller may run at a time, so a lease it finds is its
		// own from before a crash, taken over at once; in webhook mode
		// another process may hold it right now, and a dead one's lease
		// lapses within UpdateLease.
		takeOver: cfg.WebhookURL == "",
		instance: newInstanceID(),
		metrics:  deps.Metrics,
		redis:    deps.Redis,
	}
	catalog, err := locales.Load()
	if err != nil {
		return nil, err
	}
	a.catalog = catalog
	// Go's default transport keeps 2 idle connections per host: under load
	// nearly every send would open a new connection.
	a.httpClient = &http.Client{
		Timeout: pollTimeout + 10*time.Second,
		Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        100,
			MaxIdleConnsPerHost: 100,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
		},
	}
	a.tg, err = a.newTelegramClient(cfg.TelegramToken)
	if err != nil {
		return nil, fmt.Errorf("bot: telegram client: %w", err)
	}
	// The default centre exists from the first start, so that
	// `cairbot people add` and the imports find it.
	centre, err := a.store.EnsureCentre(ctx, cfg.Centre, cfg.CentreName)
	if err != nil {
		return nil, err
	}
	// The default centre's bot keeps the keys it always had: no update
	// scope, and its pacing under REDIS_PREFIX itself.
	def := &centreBot{
		centre: centre, token: store.Secret(cfg.TelegramToken), webhookSecret: store.Secret(cfg.WebhookSecret),
		tg: a.tg, sender: a.newSender(a.tg, cfg.RedisPrefix, centre.ID), state: a.state, menuMarker: "command-menus",
	}
	me, err := a.getMe(ctx, def.sender)
	if err != nil {
		return nil, err
	}
	a.botUsername, def.username = me.Username, me.Username
	if err := a.loadBots(ctx, def); err != nil {
		return nil, err
	}
	// The menus read only the route table's commands, buttons and roles,
	// not its handlers, so they are built from the table before the
	// features that show them exist.
	menus := NewRouter(routes(handlers.Features{}), catalog, nil, nil)
	base := handlers.Base{
		Send:    a.sender,
		Conv:    a.state,
		Menus:   menus,
		Catalog: catalog,
		Log:     a.log,
		Clock:   deps.Clock,
		Zone:    cfg.Location,
		Lookup:  a.store,
	}
	classes := &handlers.Classes{Base: base, ClassStore: a.store, Enrolments: a.store, ClassReminderBefore: cfg.ClassReminderBefore}
	rota := &handlers.Rota{Base: base, Chores: a.store, RotaSetup: a.store}
	a.features = handlers.Features{
		People: &handlers.People{
			Base:               base,
			People:             a.store,
			Counters:           a.state,
			BotUsername:        func() string { return a.botUsername },
			InviteTTL:          cfg.InviteTTL,
			DefaultLang:        cfg.DefaultLanguage,
			Centre:             cfg.Centre,
			CentreCodeTries:    cfg.InviteCentreTries,
			Erase:              a.store,
			RetainAfterLeaving: cfg.RetainAfterLeaving,
		},
		Week:      &handlers.Week{Base: base, Week: a.store},
		Chores:    &handlers.Chores{Base: base, Chores: a.store},
		Rota:      rota,
		Money:     &handlers.Money{Base: base, Money: a.store, Residents: a.store, Outcomes: a.state},
		Residents: &handlers.Residents{Base: base, Residents: a.store, Money: a.store, Groups: classes, RotaMembers: rota},
		Classes:   classes,
		Attendance: &handlers.Attendance{Base: base, ClassStore: a.store, AttendanceStore: a.store, AttendanceDrafts: a.state,
			AbsenceAlertAfter: cfg.ClassAbsenceAlert},
		Appointments:  &handlers.Appointments{Base: base, AppointmentStore: a.store, InterviewReminders: cfg.InterviewReminders},
		Announcements: &handlers.Announcements{Base: base, Announcements: a.store, DefaultLang: cfg.DefaultLanguage, Jobs: workerJobs{}, Turns: a.sender},
		Reports:       handlers.NewReports(base, a.store, a.sender),
		Delivery:      &handlers.Delivery{Base: base, Bulk: a.sender, Outbox: a.store},
	}
	a.jobs, err = newJobClient(a.store.Pool(), a.features, cfg, deps.Clock, a.log)
	if err != nil {
		return nil, err
	}
	a.store.UseOutboxScheduler(NewOutboxScheduler(a.jobs))
	a.store.PaceBulk(cfg.GlobalRate)
	a.store.UseBroadcastWatcher(broadcastWatcher{a.jobs})
	a.router = NewRouter(routes(a.features), catalog, a.features.People.NotUnderstood, a.features.People.TextFromStranger)
	a.metrics.reg.MustRegister(newQueueCollector(a.store, deps.Clock, a.metrics.collectorErrors),
		newPeopleCacheCollector(a.store))
	a.pipeline = chain(a.route, a.recoverMW, a.logMW, a.identifyMW, a.errorsMW)
	a.dispatcher = NewDispatcher(cfg.Workers, func(ctx context.Context, upd *models.Update) error {
		return inChatOrder(ctx, upd, func() error { return a.handleUpdate(ctx, upd, a.takeOver) })
	})
	return a, nil
}

// getMe asks Telegram who we are, retrying while Telegram or the network
// is briefly unavailable.
func (a *App) getMe(ctx context.Context, sender *Sender) (*models.User, error) {
	var me *models.User
	err := sender.do(ctx, "getMe", 0, false, func(ctx context.Context) (err error) {
		me, err = a.tg.GetMe(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bot: getMe (is TELEGRAM_TOKEN right?): %w", err)
	}
	return me, nil
}

// Run serves until ctx ends, then stops taking updates, finishes those it
// took, and returns.
func (a *App) Run(ctx context.Context) error {
	defer a.dispatcher.Close()
	defer a.startPprof()()
	if err := a.jobs.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("bot: start job queue: %w", err)
	}
	defer a.stopJobs()
	a.serving.Store(true)
	defer a.serving.Store(false)
	// Before the job queue stops and the caller closes the connections.
	defer a.background.Wait()
	if a.cfg.WebhookURL != "" {
		return a.runWebhook(ctx)
	}
	return a.runPolling(ctx)
}

// RunWorkers runs only the durable jobs (reminders, broadcasts, monthly
// charges), without taking updates: `cairbot worker`, a second process
// sharing the load. River makes sure each job is worked once.
func (a *App) RunWorkers(ctx context.Context) error {
	defer a.startPprof()()
	if err := a.jobs.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("bot: start job queue: %w", err)
	}
	srv, err := a.healthServer(nil)
	if err != nil {
		// The jobs work without it; only health and metrics are missing.
		a.log.Error("http server", "addr", a.cfg.ListenAddr, "err", err)
	}
	a.serving.Store(true)
	// Its sends go through the centres' bots: it follows centre_bots too.
	watch := a.newBotWatch(nil)
	watch.serveAll(ctx, a.bots.all()[1:])
	a.background.Go(func() { watch.run(ctx) })
	<-ctx.Done()
	a.serving.Store(false)
	a.background.Wait()
	shutdown(srv)
	a.stopJobs()
	return nil
}

func (a *App) runPolling(ctx context.Context) error {
	// getUpdates is refused while a webhook is set; keep pending updates.
	// The default centre's bot must work; another centre's bot that
	// Telegram refuses (a revoked token) is left out, not the whole
	// deployment, and tried again at each reload.
	if err := a.bots.def.deleteWebhook(ctx); err != nil {
		return err
	}
	// One poller per bot: each bot confirms its own updates.
	watch := a.newBotWatch(a.pollBot)
	watch.serveAll(ctx, a.bots.all()[1:])
	srv, err := a.healthServer(nil)
	if err != nil {
		// Polling works without it; only /healthz is missing.
		a.log.Error("http server", "addr", a.cfg.ListenAddr, "err", err)
	}
	defer shutdown(srv)
	a.log.Info("polling for updates", "bot", a.botUsername, "bots", 1+len(watch.served))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = a.newPoller(a.bots.def).Run(ctx)
	}()
	a.startBackground(ctx, watch)
	<-done
	return nil
}

func (a *App) runWebhook(ctx context.Context) error {
	u, _ := url.Parse(a.cfg.WebhookURL)
	// The default centre's bot on WEBHOOK_URL's path, every other centre's
	// on a path below it: WebhookHandler tells them apart.
	srv, err := a.healthServer(map[string]http.Handler{
		u.Path: a.WebhookHandler(), strings.TrimRight(u.Path, "/") + "/": a.WebhookHandler(),
	})
	if err != nil {
		return err
	}
	if err := a.bots.def.setWebhook(ctx, a.cfg.WebhookURL); err != nil {
		shutdown(srv)
		return err
	}
	watch := a.newBotWatch(a.hookBot)
	watch.serveAll(ctx, a.bots.all()[1:])
	a.log.Info("webhook mode", "bot", a.botUsername, "path", u.Path, "bots", 1+len(watch.served))
	a.startBackground(ctx, watch)
	<-ctx.Done()
	// Not ready any more: a load balancer stops sending here at once.
	a.serving.Store(false)
	// Shutdown waits for the requests in flight, and they wait for their
	// updates: nothing taken is lost.
	shutdown(srv)
	return nil
}

// startBackground starts, once updates are served, what runs beside them:
// the command menus (up to 21,000 calls on a centre of 20,000 residents,
// which must not hold up the first reply nor /readyz) and the reload of
// centre_bots. Both end with ctx; Run waits for them.
func (a *App) startBackground(ctx context.Context, watch *botWatch) {
	a.background.Go(func() { a.setCommandMenus(ctx, a.bots.all()) })
	a.background.Go(func() { watch.run(ctx) })
}

// Timeouts of the webhook and health server. Telegram waits up to 60 s for
// the answer to an update, so the answer may take that long to write
// (webhookWriteTimeout is a little longer, never cutting an answer Telegram
// still waits for); the request itself must arrive quickly
// (Config.WebhookReadTimeout), so a client that sends its body slowly
// cannot hold a connection and a goroutine for long; idle keep-alive
// connections close after webhookIdleTimeout.
const (
	headerTimeout       = 10 * time.Second
	webhookWriteTimeout = 65 * time.Second
	webhookIdleTimeout  = 120 * time.Second
)

// healthServer serves /healthz, /readyz, /metrics (health.go) and the
// extra handlers (the webhook) on ListenAddr. Shutting the returned server
// down is safe even on an error.
func (a *App) healthServer(extra map[string]http.Handler) (*http.Server, error) {
	mux := http.NewServeMux()
	a.opsRoutes(mux)
	for path, h := range extra {
		mux.Handle(path, h)
	}
	srv := &http.Server{
		Addr:              a.cfg.ListenAddr,
		Handler:           mux,
		ReadHeaderTimeout: headerTimeout,
		ReadTimeout:       a.cfg.WebhookReadTimeout,
		WriteTimeout:      webhookWriteTimeout,
		IdleTimeout:       webhookIdleTimeout,
	}
	ln, err := net.Listen("tcp", a.cfg.ListenAddr)
	if err != nil {
		return srv, fmt.Errorf("bot: listen on LISTEN_ADDR: %w", err)
	}
	a.httpAddr.Store(ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("http server", "addr", a.cfg.ListenAddr, "err", err)
		}
	}()
	return srv, nil
}

func shutdown(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 70*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

// Jobs is the durable job queue client, for inserting jobs from tools.
func (a *App) Jobs() *river.Client[pgx.Tx] { return a.jobs }

// stopJobs lets running jobs finish (bounded), so a reminder being sent is
// not cut in the middle; a job cut anyway is retried after restart.
func (a *App) stopJobs() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.jobs.Stop(ctx); err != nil {
		a.log.Warn("job queue stop", "err", err)
	}
}

func newInstanceID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
