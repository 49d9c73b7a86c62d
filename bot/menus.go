package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"golang.org/x/sync/errgroup"

	"github.com/aurore/cairbot/handlers"
	"github.com/aurore/cairbot/locales"
	"github.com/aurore/cairbot/store"
)

// MenuCalls bounds the setMyCommands calls in flight at once while the
// menus are set. One after another, a centre of 20,000 residents took
// 21,000 round trips end to end; eight at once cut that eightfold while
// leaving the process's connections, and Telegram's patience with one bot,
// to the replies served meanwhile. Each call still goes through its bot's
// Sender, which waits out a 429's retry_after or a 5xx as for any call.
const MenuCalls = 8

// menuRechecks bounds the rounds that set again the menus of people whose
// role or language changed while the run was setting them (setCommandMenus).
const menuRechecks = 3

// menuRun is one bot's part of a run of setCommandMenus.
type menuRun struct {
	bot    *centreBot
	failed atomic.Bool
	people atomic.Int64 // menus set in chats
}

// setCommandMenus gives Telegram, for each of bots, the command menu of
// each language (for people not signed up and residents, by their app's
// language) and each signed-up person's menu of his role in his chosen
// language. It runs in the background once updates are served, and stops
// when ctx ends; the bot works meanwhile with the menus Telegram has.
//
// Telegram keeps these menus, so they are sent again only when the route
// table or a translation changed them: a fingerprint of every menu is kept
// in Redis, per bot, written only when every call of that bot succeeded
// (a run cut by a stop or an outage is done again at the next start).
// Otherwise each restart would send a call per resident.
func (a *App) setCommandMenus(ctx context.Context, bots []*centreBot) {
	fingerprint := a.menusFingerprint()
	runs := map[*centreBot]*menuRun{}
	for _, b := range bots {
		if done, err := a.state.Marker(ctx, b.menuMarker); err == nil && done == fingerprint {
			a.log.Info("command menus unchanged", "centre", b.centre.Slug)
			continue
		}
		runs[b] = &menuRun{bot: b}
	}
	if len(runs) == 0 {
		return
	}
	people, err := a.store.LinkedPeople(ctx)
	if err != nil {
		a.log.Warn("set chat command menus", "err", err)
		return
	}
	// Each person through the bot that reaches him: his centre's, or the
	// default bot for a centre without one.
	runOf := func(p store.Person) *menuRun {
		b := a.bots.def
		if cb, ok := a.bots.centre(p.CentreID); ok {
			b = cb
		}
		return runs[b]
	}

	g := new(errgroup.Group)
	g.SetLimit(MenuCalls)
	var (
		mu   sync.Mutex
		sent = map[int64]store.Person{} // the people whose menu was set, as it was set
	)
	setPerson := func(r *menuRun, p store.Person) {
		g.Go(func() error {
			err := a.features.People.SetChatCommands(handlers.WithCentre(ctx, r.bot.centre.ID), p)
			switch {
			case err == nil:
				r.people.Add(1)
				mu.Lock()
				sent[p.ID] = p
				mu.Unlock()
			case errors.Is(err, ErrUnreachable):
				// He blocked the bot: there is no menu of his to set.
			case ctx.Err() != nil:
				// Stopping: said once, at the end.
			default:
				r.failed.Store(true)
				a.log.Warn("set chat command menu", "person", p.ID, "err", err)
			}
			return nil
		})
	}
	for _, r := range runs {
		a.setLanguageMenus(ctx, g, r)
	}
	for _, p := range people {
		if ctx.Err() != nil {
			break // the process stops: the rest waits for the next start
		}
		if r := runOf(p); r != nil {
			setPerson(r, p)
		}
	}
	_ = g.Wait()

	// A person may change his language (or be given another role) while
	// the run goes on: his own change sets his menu at once, and the run's
	// call for him, made from what it read at its start, may reach
	// Telegram after it and bring the old menu back. So, once the run's
	// calls are all answered, the people are read again, and anyone whose
	// menu is not the one the run set gets his new one. A change made
	// after that reading needs no help: its own call starts after it, so
	// after every call of the run, and is the last Telegram gets. (Reading
	// each person again just before his call would still leave the moment
	// between the read and the call; skipping people changed since the
	// start would not undo a call already made.)
	for round := 0; len(sent) > 0 && ctx.Err() == nil; round++ {
		now, err := a.store.LinkedPeople(ctx)
		if err != nil {
			a.log.Warn("check chat command menus", "err", err)
			for _, r := range runs {
				r.failed.Store(true)
			}
			break
		}
		var changed []store.Person
		for _, q := range now {
			if p, ok := sent[q.ID]; ok && menuChanged(p, q) {
				changed = append(changed, q)
			}
		}
		if len(changed) == 0 {
			break
		}
		if round == menuRechecks {
			// Changing all the time: the next start sets them again.
			for _, q := range changed {
				if r := runOf(q); r != nil {
					r.failed.Store(true)
				}
			}
			break
		}
		sent = map[int64]store.Person{}
		for _, q := range changed {
			if r := runOf(q); r != nil {
				setPerson(r, q)
			}
		}
		_ = g.Wait()
	}

	for _, r := range runs {
		if r.failed.Load() || ctx.Err() != nil {
			a.log.Warn("command menus not all set: set again at the next start", "centre", r.bot.centre.Slug)
			continue
		}
		if err := a.state.SetMarker(ctx, r.bot.menuMarker, fingerprint); err != nil {
			a.log.Warn("remember command menus", "err", err)
			continue
		}
		a.log.Info("command menus set", "centre", r.bot.centre.Slug, "chats", r.people.Load())
	}
}

// menuChanged reports whether q, read again, needs another menu than the
// one set for p.
func menuChanged(p, q store.Person) bool {
	return p.Role != q.Role || p.Language != q.Language ||
		p.TelegramID == nil || q.TelegramID == nil || *p.TelegramID != *q.TelegramID
}

// setLanguageMenus queues the calls that set one bot's menu of each
// language, and the menu of the default language for every other.
func (a *App) setLanguageMenus(ctx context.Context, g *errgroup.Group, r *menuRun) {
	set := func(lang, code string) {
		g.Go(func() error {
			err := r.bot.sender.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{
				Commands:     a.router.Commands(store.RoleResident, a.catalog.Localizer(lang)),
				Scope:        &models.BotCommandScopeAllPrivateChats{},
				LanguageCode: code,
			})
			if err != nil {
				r.failed.Store(true)
				if ctx.Err() == nil {
					a.log.Warn("set command menu", "centre", r.bot.centre.Slug, "lang", code, "err", err)
				}
			}
			return nil
		})
	}
	for _, l := range locales.Languages {
		base, _, _ := strings.Cut(l.Tag, "-")
		set(l.Tag, base)
	}
	set(a.cfg.DefaultLanguage, "")
}

// menusFingerprint sums up every role's menu in every language.
func (a *App) menusFingerprint() string {
	h := sha256.New()
	for _, l := range locales.Languages {
		loc := a.catalog.Localizer(l.Tag)
		for _, role := range []store.Role{store.RoleResident, store.RoleStaff, store.RoleCoordinator, store.RoleAdmin} {
			b, _ := json.Marshal(a.router.Commands(role, loc))
			h.Write(b)
		}
	}
	h.Write([]byte(a.cfg.DefaultLanguage))
	return hex.EncodeToString(h.Sum(nil))
}
