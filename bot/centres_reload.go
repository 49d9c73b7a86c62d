package bot

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/aurore/cairbot/store"
)

// centreBotsReload is how often a running process reads centre_bots again,
// so that a centre added with `cairbot centre add` (or a bot whose token
// was changed or removed there) is served without a restart. A process
// that listens to the database's notifications (listenChanges) reads it
// again as soon as it changes; this is for when it does not (its listening
// connection broke): one small query per process, half a minute at most.
const centreBotsReload = 30 * time.Second

// reloadTick is how often the reload loop looks at the App's clock. The
// reload is timed on that clock, so a test moving it drives the reload; in
// production it is the machine's, and the reload comes every
// centreBotsReload give or take a tick.
const reloadTick = time.Second

// botWatch keeps the centre bots a process serves as centre_bots lists
// them: it starts serving a bot added, serves a bot whose row changed (a
// new token or secret) as a new bot, and stops serving a bot removed (its
// centre's people are then reached through the default bot again, as any
// centre without a bot of its own). The default centre's bot
// (TELEGRAM_TOKEN) is not the table's, and is never touched.
type botWatch struct {
	a *App
	// serve starts taking the updates of a bot (polling: its poller;
	// webhook: its webhook pointed here), returning how to stop; nil in
	// `cairbot worker`, which takes no updates but sends through the bots.
	serve func(ctx context.Context, b *centreBot) (stop func(), err error)
	// served are the bots served by centre id; only the loop's goroutine
	// touches it once run started.
	served map[int64]servedBot
	// changed is signalled when centre_bots changed (a notification of
	// the database): the loop reads it again at once.
	changed chan struct{}
}

type servedBot struct {
	bot  *centreBot
	stop func()
}

func (a *App) newBotWatch(serve func(context.Context, *centreBot) (func(), error)) *botWatch {
	return &botWatch{a: a, serve: serve, served: map[int64]servedBot{}, changed: make(chan struct{}, 1)}
}

// start serves b, or only records it where the process takes no updates.
func (w *botWatch) start(ctx context.Context, b *centreBot) (stop func(), err error) {
	if w.serve == nil {
		return func() {}, nil
	}
	return w.serve(ctx, b)
}

// serveAll serves the bots of the start, a few at once. A bot that fails
// (a revoked token, Telegram unreachable) is logged, left out, and tried
// again at each reload.
func (w *botWatch) serveAll(ctx context.Context, bots []*centreBot) {
	var mu sync.Mutex
	forEachBot(ctx, bots, func(ctx context.Context, b *centreBot) error {
		stop, err := w.start(ctx, b)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		w.served[b.centre.ID] = servedBot{bot: b, stop: stop}
		return nil
	}, func(b *centreBot, err error) {
		w.a.log.Error("centre bot not served", "centre", b.centre.Slug, "err", err)
	})
}

// centreBotsChanged tells the loop to read centre_bots again; it never
// blocks (one signal pending is enough).
func (w *botWatch) centreBotsChanged() {
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

// run listens to the database's changes (listenChanges) and reloads
// centre_bots when it changed, and every centreBotsReload, until ctx ends;
// then it stops serving every bot it serves (a poller finishes its batch).
func (w *botWatch) run(ctx context.Context) {
	defer w.stopAll()
	var listener sync.WaitGroup
	defer listener.Wait()
	listener.Go(func() { w.a.listenChanges(ctx, w.centreBotsChanged) })
	tick := time.NewTicker(reloadTick)
	defer tick.Stop()
	next := w.a.clock().Add(centreBotsReload)
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.changed:
		case <-tick.C:
			if w.a.clock().Before(next) {
				continue
			}
		}
		if err := w.reload(ctx); err != nil && ctx.Err() == nil {
			w.a.log.Warn("reload centre bots", "err", err)
		}
		next = w.a.clock().Add(centreBotsReload)
	}
}

func (w *botWatch) stopAll() {
	for id, s := range w.served {
		s.stop()
		delete(w.served, id)
	}
}

// reload brings the bots served in line with centre_bots.
func (w *botWatch) reload(ctx context.Context) error {
	rows, err := w.a.store.CentreBots(ctx)
	if err != nil {
		return err
	}
	def := w.a.bots.def
	listed := map[int64]bool{}
	for _, row := range rows {
		if row.Centre.ID == def.centre.ID || row.Token == def.token {
			continue // left out at the start already, saying why (loadBots)
		}
		id := row.Centre.ID
		listed[id] = true
		if s, ok := w.served[id]; ok && s.bot.isRow(row) {
			continue
		}
		// A bot found on its first update or send (botSet.slug, .serving)
		// is taken as it is; a bot of another row is made anew.
		b, ok := w.a.bots.centre(id)
		if !ok || !b.isRow(row) {
			if b, err = w.a.newCentreBot(row); err != nil {
				w.a.log.Error("centre bot not served", "centre", row.Centre.Slug, "err", err)
				continue
			}
		}
		if s, ok := w.served[id]; ok {
			s.stop()
			delete(w.served, id)
		}
		w.a.bots.put(b)
		stop, err := w.start(ctx, b)
		if err != nil {
			w.a.log.Error("centre bot not served", "centre", b.centre.Slug, "err", err)
			continue
		}
		w.served[id] = servedBot{bot: b, stop: stop}
		w.a.log.Info("centre bot served", "centre", b.centre.Slug, "bot", b.username)
		if w.serve != nil {
			// The process serving updates sets the menus, as at its start.
			w.a.background.Go(func() { w.a.setCommandMenus(ctx, []*centreBot{b}) })
		}
	}
	for id, s := range w.served {
		if !listed[id] {
			s.stop()
			delete(w.served, id)
			w.a.log.Info("centre bot no longer served", "centre", s.bot.centre.Slug)
		}
	}
	// Bots found on demand whose row is gone since go too.
	w.a.bots.keepOnly(listed)
	return nil
}

// isRow reports whether b is the bot row describes: same centre slug, bot,
// token and webhook secret.
func (b *centreBot) isRow(row store.CentreBot) bool {
	return b.centre.Slug == row.Centre.Slug && b.username == row.Username &&
		b.token == row.Token && b.webhookSecret == row.WebhookSecret
}

// pollBot starts polling a centre's bot, as the start does.
func (a *App) pollBot(ctx context.Context, b *centreBot) (stop func(), err error) {
	// getUpdates is refused while a webhook is set; keep pending updates.
	if err := b.deleteWebhook(ctx); err != nil {
		return nil, err
	}
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	p := a.newPoller(b)
	go func() {
		defer close(done)
		_ = p.Run(pctx)
	}()
	return func() { cancel(); <-done }, nil
}

// hookBot points a centre's bot at WEBHOOK_URL/<slug>. `cairbot centre add`
// does it already; doing it again mends an add whose call failed.
func (a *App) hookBot(ctx context.Context, b *centreBot) (stop func(), err error) {
	if err := b.setWebhook(ctx, CentreWebhookURL(a.cfg.WebhookURL, b.centre.Slug)); err != nil {
		return nil, err
	}
	return func() {}, nil
}

// newPoller is the getUpdates loop of one bot.
func (a *App) newPoller(b *centreBot) *Poller {
	return &Poller{
		app: a, bot: b, client: a.httpClient, timeout: pollTimeout, retryPause: a.cfg.RetryPause,
		url: strings.TrimRight(a.cfg.TelegramAPIURL, "/") + "/bot" + b.token.Reveal() + "/getUpdates",
	}
}

// listenChanges keeps the store listening to the database's notifications
// of changes to people and centre_bots (store.ListenChanges: the person of
// each update is then read from memory) until ctx ends. When the
// connection breaks it connects again at once (after 100 ms), and when
// connecting fails it tries again after 1 s, doubling up to 30 s; in
// between, every person is read from PostgreSQL, as without it.
func (a *App) listenChanges(ctx context.Context, centreBotsChanged func()) {
	wait := time.Second
	for {
		listened := false
		err := a.store.ListenChanges(ctx, func() {
			listened = true
			centreBotsChanged()
		})
		if ctx.Err() != nil {
			return
		}
		pause := wait
		if listened {
			pause, wait = 100*time.Millisecond, time.Second
		} else {
			wait = min(2*wait, 30*time.Second)
		}
		a.log.Warn("not listening to database changes: people are read from the database until it listens again",
			"err", err, "retry_in", pause)
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
	}
}

// AwaitPeopleChanges returns once the process has heard of every change to
// people committed before the call (store.AwaitPeopleChanges).
func (a *App) AwaitPeopleChanges(ctx context.Context) error { return a.store.AwaitPeopleChanges(ctx) }
