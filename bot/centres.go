package bot

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/store"
)

// One deployment, many centres: each centre has its own Telegram bot (its
// own @name, token and limits — Telegram counts its limits per bot), and
// one set of processes, one PostgreSQL and one Redis serve them all. The
// deployment's default centre (CENTRE) is served by TELEGRAM_TOKEN as it
// always was; the others' bots are rows of centre_bots, added with
// `cairbot centre add`.
//
// An update is routed to its centre by where it came in: the webhook path
// (WEBHOOK_URL for the default centre, WEBHOOK_URL/<slug> for the others,
// each with its own secret) or the bot whose getUpdates returned it. It
// carries its bot in the context: the person is looked up in that centre
// only, dedupe keys hold the bot (update ids are numbered per bot), and
// every reply leaves through that bot's Sender, with that bot's pacing.

// centreBot is one centre's bot in a running process.
type centreBot struct {
	centre   store.Centre
	username string
	token    store.Secret
	// webhookSecret is checked on each of the bot's webhook updates.
	webhookSecret store.Secret
	tg            *tgbot.Bot
	sender        *Sender
	// state is the shared State with the bot's own update dedupe keys.
	state *store.State
	// menuMarker names the fingerprint of the bot's command menus in Redis.
	menuMarker string
	// bulk bounds the job workers waiting on this bot's pacing at once.
	bulk bulkGate
}

// bulkInFlight is how many outbox sends of one bot may wait for its pacing
// at once when the process serves several bots: enough to keep a bot at
// its rate (each send takes a few tens of milliseconds), few enough that
// the job workers are shared by every bot with messages to send. River
// hands out jobs in the order they were queued: without the bound, a
// centre's announcement would hold every worker at its bot's 25 a second
// while the other centres' bots sat idle.
const bulkInFlight = 4

// bulkGate counts a bot's outbox sends in flight, and gives a send beyond
// bulkInFlight a turn later on: its job is snoozed until then (the row
// stays pending, nothing is claimed), and the worker takes another bot's
// message. Turns follow the bot's rate, so each waiting job is put off
// about once.
type bulkGate struct {
	mu       sync.Mutex
	inFlight int
	next     time.Time // the next turn free for a job put off
}

// enter takes a place, or says how long to put the send off.
func (g *bulkGate) enter(now time.Time, perSecond int) (wait time.Duration, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inFlight < bulkInFlight {
		g.inFlight++
		return 0, true
	}
	step := time.Second / time.Duration(max(perSecond, 1))
	turn := now.Add(time.Duration(g.inFlight) * step)
	if g.next.After(turn) {
		turn = g.next
	}
	turn = turn.Add(step)
	g.next = turn
	return turn.Sub(now), false
}

func (g *bulkGate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight--
}

type botKey struct{}

// withBot marks ctx as the handling of an update of bot b.
func withBot(ctx context.Context, b *centreBot) context.Context {
	return context.WithValue(ctx, botKey{}, b)
}

// botOf is the bot an update came in on; the default centre's when none is
// marked (tests that feed updates by hand).
func (a *App) botOf(ctx context.Context) *centreBot {
	if b, ok := ctx.Value(botKey{}).(*centreBot); ok {
		return b
	}
	return a.bots.def
}

// botSet holds every bot of the process. Bots added while it runs (`cairbot
// centre add`) are found on their first update in webhook mode or first
// send, and by the reload of centre_bots (centres_reload.go) in any mode.
type botSet struct {
	def      *centreBot
	newBot   func(store.CentreBot) (*centreBot, error)
	lookup   func(ctx context.Context, slug string) (store.CentreBot, error)
	lookupOf func(ctx context.Context, centreID int64) (store.CentreBot, error)
	// noBot remembers, for a minute, centres found without a bot of their
	// own: the default bot serves them.
	noBot map[int64]time.Time
	// bulkRate is every bot's SEND_RATE_GLOBAL.
	bulkRate int
	mu       sync.RWMutex
	byCentre map[int64]*centreBot
	bySlug   map[string]*centreBot
}

// many reports whether the process serves more than one bot.
func (s *botSet) many() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.byCentre) > 1
}

func (s *botSet) add(b *centreBot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byCentre[b.centre.ID] = b
	s.bySlug[b.centre.Slug] = b
}

// put serves b for its centre from now on, in place of the bot the centre
// had (a new token: centre_bots changed while the process runs).
func (s *botSet) put(b *centreBot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.byCentre[b.centre.ID]; ok {
		delete(s.bySlug, old.centre.Slug)
	}
	s.byCentre[b.centre.ID] = b
	s.bySlug[b.centre.Slug] = b
	delete(s.noBot, b.centre.ID)
}

// keepOnly forgets every centre bot but those of the centres listed: a bot
// removed from centre_bots is no longer its centre's, whose people the
// default bot reaches again.
func (s *botSet) keepOnly(listed map[int64]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, b := range s.byCentre {
		if b != s.def && !listed[id] {
			delete(s.byCentre, id)
			delete(s.bySlug, b.centre.Slug)
		}
	}
}

// all lists every bot, the default centre's first.
func (s *botSet) all() []*centreBot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []*centreBot{s.def}
	for _, b := range s.byCentre {
		if b != s.def {
			out = append(out, b)
		}
	}
	return out
}

func (s *botSet) centre(id int64) (*centreBot, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.byCentre[id]
	return b, ok
}

// noBotFor is how long a centre found without a bot is sent to through the
// default bot before the database is asked again (a bot added meanwhile).
const noBotFor = time.Minute

// serving is the bot that reaches centre id's people: its own, found in
// the database when added since the start, else the default bot (a centre
// without a bot of its own, as when one bot served every centre).
func (s *botSet) serving(ctx context.Context, id int64) (*centreBot, error) {
	if b, ok := s.centre(id); ok {
		return b, nil
	}
	s.mu.RLock()
	checked, known := s.noBot[id]
	s.mu.RUnlock()
	if known && time.Since(checked) < noBotFor {
		return s.def, nil
	}
	row, err := s.lookupOf(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		s.mu.Lock()
		s.noBot[id] = time.Now()
		s.mu.Unlock()
		return s.def, nil
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.byCentre[id]; ok {
		return b, nil
	}
	b, err := s.newBot(row)
	if err != nil {
		return nil, err
	}
	s.byCentre[b.centre.ID] = b
	s.bySlug[b.centre.Slug] = b
	return b, nil
}

// slug finds a centre's bot by its slug, looking in the database for a bot
// added since the process started. ErrNotFound for a slug without a bot.
func (s *botSet) slug(ctx context.Context, slug string) (*centreBot, error) {
	s.mu.RLock()
	b, ok := s.bySlug[slug]
	s.mu.RUnlock()
	if ok {
		return b, nil
	}
	if !slugRe.MatchString(slug) {
		return nil, store.ErrNotFound
	}
	row, err := s.lookup(ctx, slug)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.bySlug[slug]; ok {
		return b, nil
	}
	if b, err = s.newBot(row); err != nil {
		return nil, err
	}
	s.byCentre[b.centre.ID] = b
	s.bySlug[b.centre.Slug] = b
	return b, nil
}

// slugRe is a centre's slug (CENTRE, `cairbot centre add --slug`).
var slugRe = regexp.MustCompile(`^[a-z0-9-]{1,40}$`)

// newCentreBot builds the client, Sender and dedupe scope of a centre's bot
// from its row. Its pacing keys are its own: each bot has Telegram's whole
// budget (30/s overall, about 1/s per chat) to itself.
func (a *App) newCentreBot(row store.CentreBot) (*centreBot, error) {
	id := strconv.FormatInt(row.Centre.ID, 10)
	// Update ids and menus belong to the bot at Telegram, not to the
	// centre: another bot given to the centre (centre_bots changed while
	// the process runs) numbers its updates from the start again and has
	// none of the menus yet, while a token renewed for the same bot keeps
	// both. So the dedupe keys and the menus' marker name the bot: the
	// token's part before the colon is its id, as public as its @name.
	botID, _, _ := strings.Cut(row.Token.Reveal(), ":")
	scope := "c" + id + ":b" + botID
	b := &centreBot{
		centre: row.Centre, username: row.Username, token: row.Token, webhookSecret: row.WebhookSecret,
		state: store.NewState(a.redis, a.cfg.RedisPrefix, a.cfg.ConversationTTL,
			a.cfg.UpdateLease, store.WithUpdateScope(scope)),
		menuMarker: "command-menus:" + scope,
	}
	tg, err := a.newTelegramClient(row.Token.Reveal())
	if err != nil {
		return nil, fmt.Errorf("bot: telegram client of centre %q: %w", row.Centre.Slug, err)
	}
	b.tg = tg
	b.sender = a.newSender(tg, a.cfg.RedisPrefix+":c"+id, row.Centre.ID)
	return b, nil
}

// newTelegramClient is a go-telegram/bot client for one token over the
// process's one HTTP client. The library puts "***" for the token in the
// errors it returns.
func (a *App) newTelegramClient(token string) (*tgbot.Bot, error) {
	return tgbot.New(token,
		tgbot.WithServerURL(strings.TrimRight(a.cfg.TelegramAPIURL, "/")),
		tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(pollTimeout, wholeBodyClient{a.httpClient}),
		tgbot.WithErrorsHandler(func(err error) { a.log.Warn("telegram client", "err", err) }),
	)
}

// newSender is a bot's Sender; a 403 marks the person unreachable in the
// bot's centre only (blocking is per bot).
func (a *App) newSender(tg *tgbot.Bot, prefix string, centreID int64) *Sender {
	return NewSender(tg, a.redis, a.log, SenderOptions{
		GlobalPerSecond: a.cfg.GlobalRate,
		ChatPerSecond:   a.cfg.ChatPerSecond,
		ChatBurst:       a.cfg.ChatRate,
		Prefix:          prefix,
		BaseBackoff:     a.cfg.SendBackoff,
		Observe:         a.metrics.message,
		Unreachable: func(ctx context.Context, chatID int64) {
			if err := a.store.SetUnreachable(ctx, centreID, chatID, true); err != nil {
				a.log.WarnContext(ctx, "mark unreachable", "err", err)
			}
		},
	})
}

// Senders sends through the bot of the centre in the context
// (handlers.WithCentre): replies through the bot the update came in on,
// an outbox row through its recipient's centre's bot. Without a centre in
// the context it is the default centre's bot, as in a deployment of one.
type Senders struct {
	bots *botSet
}

func (s Senders) pick(ctx context.Context) (*Sender, error) {
	b, err := s.pickBot(ctx)
	if err != nil {
		return nil, err
	}
	return b.sender, nil
}

func (s Senders) pickBot(ctx context.Context) (*centreBot, error) {
	id, ok := handlers.CentreFrom(ctx)
	if !ok || id == s.bots.def.centre.ID {
		return s.bots.def, nil
	}
	return s.bots.serving(ctx, id)
}

// SendMessage sends a text message.
func (s Senders) SendMessage(ctx context.Context, p *tgbot.SendMessageParams) (*models.Message, error) {
	snd, err := s.pick(ctx)
	if err != nil {
		return nil, err
	}
	return snd.SendMessage(ctx, p)
}

// EditMessageText edits a message the bot sent.
func (s Senders) EditMessageText(ctx context.Context, p *tgbot.EditMessageTextParams) (*models.Message, error) {
	snd, err := s.pick(ctx)
	if err != nil {
		return nil, err
	}
	return snd.EditMessageText(ctx, p)
}

// EditMessageReplyMarkup changes the buttons of a message the bot sent.
func (s Senders) EditMessageReplyMarkup(ctx context.Context, p *tgbot.EditMessageReplyMarkupParams) (*models.Message, error) {
	snd, err := s.pick(ctx)
	if err != nil {
		return nil, err
	}
	return snd.EditMessageReplyMarkup(ctx, p)
}

// SendDocument sends a file.
func (s Senders) SendDocument(ctx context.Context, p *tgbot.SendDocumentParams) (*models.Message, error) {
	snd, err := s.pick(ctx)
	if err != nil {
		return nil, err
	}
	return snd.SendDocument(ctx, p)
}

// SendPhoto sends a picture.
func (s Senders) SendPhoto(ctx context.Context, p *tgbot.SendPhotoParams) (*models.Message, error) {
	snd, err := s.pick(ctx)
	if err != nil {
		return nil, err
	}
	return snd.SendPhoto(ctx, p)
}

// AnswerCallbackQuery stops a button's spinner.
func (s Senders) AnswerCallbackQuery(ctx context.Context, p *tgbot.AnswerCallbackQueryParams) error {
	snd, err := s.pick(ctx)
	if err != nil {
		return err
	}
	return snd.AnswerCallbackQuery(ctx, p)
}

// TakeTurn takes a chat's next turn under its pace, on the bot of the
// centre in the context (Sender.TakeTurn).
func (s Senders) TakeTurn(ctx context.Context, chatID int64) (context.Context, time.Duration, error) {
	snd, err := s.pick(ctx)
	if err != nil {
		return ctx, 0, err
	}
	return snd.TakeTurn(ctx, chatID)
}

// SetMyCommands sets a command menu of the bot.
func (s Senders) SetMyCommands(ctx context.Context, p *tgbot.SetMyCommandsParams) error {
	snd, err := s.pick(ctx)
	if err != nil {
		return err
	}
	return snd.SetMyCommands(ctx, p)
}

// SendBulk sends one outbox message under the bot's own pacing. With
// several bots, a bot with bulkInFlight sends waiting already answers
// *RetryAfterError: the outbox worker snoozes the job (bulkGate).
func (s Senders) SendBulk(ctx context.Context, p *tgbot.SendMessageParams, claim func(context.Context) error) (*models.Message, error) {
	b, err := s.pickBot(ctx)
	if err != nil {
		return nil, err
	}
	if s.bots.many() {
		wait, ok := b.bulk.enter(time.Now(), s.bots.bulkRate)
		if !ok {
			return nil, &RetryAfterError{After: wait}
		}
		defer b.bulk.leave()
	}
	return b.sender.SendBulk(ctx, p, claim)
}

// loadBots makes the default centre's bot and every centre bot of the
// database. A row that would serve the default centre, or share its
// token, is left out: the default centre's bot is TELEGRAM_TOKEN's.
func (a *App) loadBots(ctx context.Context, def *centreBot) error {
	a.bots = &botSet{
		def: def, newBot: a.newCentreBot, lookup: a.store.CentreBotBySlug, lookupOf: a.store.CentreBotOf,
		bulkRate: a.cfg.GlobalRate, noBot: map[int64]time.Time{},
		byCentre: map[int64]*centreBot{def.centre.ID: def}, bySlug: map[string]*centreBot{},
	}
	a.sender = Senders{bots: a.bots}
	rows, err := a.store.CentreBots(ctx)
	if err != nil {
		return err
	}
	for _, row := range rows {
		if row.Centre.ID == def.centre.ID || row.Token == def.token {
			a.log.Warn("centre bot left out: it is the default centre's (TELEGRAM_TOKEN)", "centre", row.Centre.Slug)
			continue
		}
		b, err := a.newCentreBot(row)
		if err != nil {
			return err
		}
		a.bots.add(b)
	}
	return nil
}

// deleteWebhook lets the bot be polled.
func (b *centreBot) deleteWebhook(ctx context.Context) error {
	return b.sender.do(ctx, "deleteWebhook", 0, false, func(ctx context.Context) error {
		_, err := b.tg.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{})
		return err
	})
}

// setWebhook asks Telegram to post the bot's updates to u with the bot's
// secret.
func (b *centreBot) setWebhook(ctx context.Context, u string) error {
	return b.sender.do(ctx, "setWebhook", 0, false, func(ctx context.Context) error {
		_, err := b.tg.SetWebhook(ctx, &tgbot.SetWebhookParams{
			URL: u, SecretToken: b.webhookSecret.Reveal(),
			AllowedUpdates: []string{"message", "callback_query"}, MaxConnections: 40,
		})
		return err
	})
}

// CentreWebhookURL is where Telegram posts the updates of a centre's own
// bot: WEBHOOK_URL/<slug>.
func CentreWebhookURL(webhookURL, slug string) string {
	return strings.TrimRight(webhookURL, "/") + "/" + slug
}

// botCalls bounds the calls made to Telegram at once for many bots at
// start (setWebhook, deleteWebhook): a hundred centres start in seconds
// without a hundred connections at once.
const botCalls = 8

// forEachBot runs call for every bot, a few at once, and returns the bots
// it succeeded for; failed is told of the others.
func forEachBot(ctx context.Context, bots []*centreBot, call func(context.Context, *centreBot) error, failed func(*centreBot, error)) []*centreBot {
	var (
		mu   sync.Mutex
		ok   []*centreBot
		wg   sync.WaitGroup
		sema = make(chan struct{}, botCalls)
	)
	for _, b := range bots {
		wg.Go(func() {
			sema <- struct{}{}
			defer func() { <-sema }()
			err := call(ctx, b)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed(b, err)
				return
			}
			ok = append(ok, b)
		})
	}
	wg.Wait()
	return ok
}

// ErrTokenRefused means Telegram does not know the token (getMe: 401).
var ErrTokenRefused = errors.New("bot: Telegram refused the token: copy it again from @BotFather")

// tokenRe is the shape of a Bot API token: the bot's id, a colon, a secret.
var tokenRe = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{1,200}$`)

// ValidToken reports whether s has the shape of a bot token.
func ValidToken(s string) bool { return tokenRe.MatchString(s) }

// ValidSlug reports whether s can name a centre (CENTRE, --slug).
func ValidSlug(s string) bool { return slugRe.MatchString(s) }

// toolClient is a Telegram client for one call of an administration command.
func toolClient(cfg Config, token string) (*tgbot.Bot, error) {
	b, err := tgbot.New(token, tgbot.WithServerURL(strings.TrimRight(cfg.TelegramAPIURL, "/")), tgbot.WithSkipGetMe())
	if err != nil {
		return nil, fmt.Errorf("bot: telegram client: %w", redact(err, token))
	}
	return b, nil
}

// CheckToken asks Telegram which bot a token belongs to, and returns its
// username: ErrTokenRefused for a token Telegram does not know.
func CheckToken(ctx context.Context, cfg Config, token string) (string, error) {
	b, err := toolClient(cfg, token)
	if err != nil {
		return "", err
	}
	me, err := b.GetMe(ctx)
	switch {
	case errors.Is(err, tgbot.ErrorUnauthorized), errors.Is(err, tgbot.ErrorNotFound):
		return "", ErrTokenRefused
	case err != nil:
		return "", fmt.Errorf("bot: getMe: %w", redact(err, token))
	case me.Username == "":
		return "", fmt.Errorf("bot: getMe: %w", ErrTokenRefused)
	}
	return me.Username, nil
}

// SetCentreWebhook points a centre's bot at WEBHOOK_URL/<slug>, with its
// secret: its updates come to this deployment from then on.
func SetCentreWebhook(ctx context.Context, cfg Config, c store.CentreBot) error {
	b, err := toolClient(cfg, c.Token.Reveal())
	if err != nil {
		return err
	}
	_, err = b.SetWebhook(ctx, &tgbot.SetWebhookParams{
		URL: CentreWebhookURL(cfg.WebhookURL, c.Centre.Slug), SecretToken: c.WebhookSecret.Reveal(),
		AllowedUpdates: []string{"message", "callback_query"}, MaxConnections: 40,
	})
	if err != nil {
		return fmt.Errorf("bot: setWebhook: %w", redact(err, c.Token.Reveal()))
	}
	return nil
}

// NewWebhookSecret makes a centre bot's webhook secret: 32 random bytes in
// the characters Telegram allows.
func NewWebhookSecret() (store.Secret, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("bot: webhook secret: %w", err)
	}
	return store.Secret(base64.RawURLEncoding.EncodeToString(b[:])), nil
}

// redact keeps a token out of an error's text, whatever wrapped it (a URL
// in a transport error holds it); errors.Is and errors.As still see the
// error underneath.
func redact(err error, token string) error {
	if err == nil || token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return redactedError{err: err, token: token}
}

type redactedError struct {
	err   error
	token string
}

func (e redactedError) Error() string { return strings.ReplaceAll(e.err.Error(), e.token, "***") }

func (e redactedError) Unwrap() error { return e.err }
