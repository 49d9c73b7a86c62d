package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Every update begins with the person who wrote (PersonByTelegramID): a
// PostgreSQL round trip, and the server's CPU, for an answer that changes
// a few times in a person's stay (his link, role, language, status). A
// process that listens to the database's notifications keeps these answers
// in memory and forgets one as soon as PostgreSQL says it changed.
//
// The triggers of migration 00018 notify peopleChannel with the Telegram
// id of every people row written (before and after the change), and
// centreBotsChannel when centre_bots changes (which bot reaches whom).
// PostgreSQL sends a notification when its transaction commits, and sends
// them in the order the transactions committed, so a listener hears of a
// change made anywhere, by any process or by hand in psql, at most a few
// milliseconds after it is visible.
//
// Answers are kept only while the listening connection is open: when it
// breaks, everything kept is forgotten and nothing is kept until it listens
// again (changes made meanwhile were not heard). A read that began before a
// change was heard is not kept (the generation), so a slow read cannot put
// back what the notification removed. The process's own writes forget at
// once, after their commit, so a user's next update reads what his last one
// wrote even before the notification arrives.
const (
	peopleChannel     = "cairbot_people"
	centreBotsChannel = "cairbot_centre_bots"
	// syncPrefix marks AwaitPeopleChanges' own notifications.
	syncPrefix = "sync:"
)

// peopleCacheSize bounds the answers kept: 25,000 covers a deployment of a
// hundred centres of 200 residents (or one of 20,000) with their staff and
// the strangers who wrote, in about 4 MB (people_packed.go). Beyond it an
// arbitrary answer is forgotten for each new one.
const peopleCacheSize = 25_000

type cachedPerson struct {
	centreID int64 // the centre whose bot was written to
	found    bool
	person   Person
}

type peopleCache struct {
	mu   sync.Mutex
	live bool   // a connection listens: changes reach this process
	gen  uint64 // moves at every change heard or made
	// byTG holds an account's first answer kept, others the rare answers
	// for more centres' bots (an account written to two of them).
	byTG   map[int64]packedPerson
	others map[int64][]packedPerson
	size   int
	// syncs are AwaitPeopleChanges' callers, by token.
	syncs map[string]chan struct{}

	hits, misses, forgotten atomic.Uint64
}

func newPeopleCache() *peopleCache {
	return &peopleCache{byTG: map[int64]packedPerson{}, others: map[int64][]packedPerson{}, syncs: map[string]chan struct{}{}}
}

// get returns the answer kept for a Telegram account written to the bot of
// centreID; ok is false when there is none (or nothing is kept).
func (c *peopleCache) get(centreID, telegramID int64) (cp cachedPerson, gen uint64, ok bool) {
	k, gen, ok := c.find(centreID, telegramID)
	if !ok {
		c.misses.Add(1)
		return cachedPerson{}, gen, false
	}
	c.hits.Add(1)
	// Unpacked once the lock is given back: every update's hit allocates.
	return k.unpack(), gen, true
}

// find looks up the packed answer under the lock.
func (c *peopleCache) find(centreID, telegramID int64) (packedPerson, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live {
		return packedPerson{}, c.gen, false
	}
	if k, ok := c.byTG[telegramID]; ok && k.centreID == centreID {
		return k, c.gen, true
	}
	for _, k := range c.others[telegramID] {
		if k.centreID == centreID {
			return k, c.gen, true
		}
	}
	return packedPerson{}, c.gen, false
}

// put keeps an answer read from the database, unless a change was heard
// (or the connection lost) since the read began at generation gen.
func (c *peopleCache) put(gen uint64, telegramID int64, e cachedPerson) {
	k, ok := pack(e)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || gen != c.gen {
		return
	}
	// Two reads of the same miss (two updates of one account at once):
	// the later answer replaces the first, and nothing need make room.
	if first, ok := c.byTG[telegramID]; ok && first.centreID == k.centreID {
		c.byTG[telegramID] = k
		return
	}
	for i, o := range c.others[telegramID] {
		if o.centreID == k.centreID {
			c.others[telegramID][i] = k
			return
		}
	}
	if c.size >= peopleCacheSize {
		for tg := range c.byTG {
			c.drop(tg)
			break
		}
	}
	if _, taken := c.byTG[telegramID]; taken {
		c.others[telegramID] = append(c.others[telegramID], k)
	} else {
		c.byTG[telegramID] = k
	}
	c.size++
}

// drop forgets every answer kept for an account; c.mu is held.
func (c *peopleCache) drop(telegramID int64) {
	if _, ok := c.byTG[telegramID]; ok {
		c.size -= 1 + len(c.others[telegramID])
	}
	delete(c.byTG, telegramID)
	delete(c.others, telegramID)
}

// forget drops what is kept of one Telegram account.
func (c *peopleCache) forget(telegramID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.drop(telegramID)
	c.forgotten.Add(1)
}

// forgetAll drops everything kept; listening says whether answers may be
// kept from now on.
func (c *peopleCache) forgetAll(listening bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.byTG)
	clear(c.others)
	c.size = 0
	c.live = listening
	c.forgotten.Add(1)
	if !listening {
		// Nothing is kept now: nobody needs to wait for a notification.
		for token, done := range c.syncs {
			close(done)
			delete(c.syncs, token)
		}
	}
}

func (c *peopleCache) listening() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live
}

// heard applies one notification.
func (c *peopleCache) heard(channel, payload string) {
	switch {
	case channel == centreBotsChannel:
		c.forgetAll(true)
	case strings.HasPrefix(payload, syncPrefix):
		c.mu.Lock()
		if done, ok := c.syncs[payload]; ok {
			close(done)
			delete(c.syncs, payload)
		}
		c.mu.Unlock()
	default:
		if tg, err := strconv.ParseInt(payload, 10, 64); err == nil {
			c.forget(tg)
		} else {
			c.forgetAll(true) // a TRUNCATE, or a payload we do not know
		}
	}
}

// peopleChanged is called after the process itself committed a change to people
// (or the rows that decide who a bot reaches).
func (s *Store) peopleChanged() { s.people.forgetAll(s.people.listening()) }

// accountsChanged is peopleChanged for a change that touched only the
// people linked to these Telegram accounts (0: none): what is kept of
// everyone else stays. A resident choosing his language or joining with
// his invite would otherwise make every other user's next update, in every
// centre of the deployment, read his person again.
func (s *Store) accountsChanged(telegramIDs ...int64) {
	for _, tg := range telegramIDs {
		if tg != 0 {
			s.people.forget(tg)
		}
	}
}

// PeopleCacheStats are the person cache's counts since the start.
type PeopleCacheStats struct {
	Hits, Misses, Forgotten uint64
	Listening               bool
}

// PeopleCache reports the cache's counts (for /metrics).
func (s *Store) PeopleCache() PeopleCacheStats {
	return PeopleCacheStats{
		Hits: s.people.hits.Load(), Misses: s.people.misses.Load(), Forgotten: s.people.forgotten.Load(),
		Listening: s.people.listening(),
	}
}

// ListenChanges opens a connection of its own, LISTENs to the changes of
// people and centre_bots, and keeps PersonByTelegramID's answers in memory
// while it does. centreBotsChanged is called when centre_bots changed, and
// once as soon as it listens (what changed while nobody listened). It
// returns when ctx ends (nil) or the connection fails (the error): the
// caller tries again; nothing is kept in between.
func (s *Store) ListenChanges(ctx context.Context, centreBotsChanged func()) error {
	cfg := s.pool.Config().ConnConfig.Copy()
	// Its one statement is not an update's: the round-trip counts and
	// error metrics are the pool's.
	cfg.Tracer = nil
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("store: listen: %w", err)
	}
	defer func() {
		s.people.forgetAll(false)
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+peopleChannel+`; LISTEN `+centreBotsChannel); err != nil {
		return fmt.Errorf("store: listen: %w", err)
	}
	s.people.forgetAll(true)
	centreBotsChanged()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("store: listen: %w", err)
		}
		s.people.heard(n.Channel, n.Payload)
		if n.Channel == centreBotsChannel {
			centreBotsChanged()
		}
	}
}

// AwaitPeopleChanges returns once this process has heard every change to
// people committed before the call (PostgreSQL delivers notifications in
// commit order, so hearing its own is enough). It returns at once when the
// process does not listen (it then keeps nothing). For a caller that just
// changed people through another connection and must see it on its next
// update: the tests, which write behind the bot's back.
func (s *Store) AwaitPeopleChanges(ctx context.Context) error {
	if !s.people.listening() {
		return nil
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	token := syncPrefix + hex.EncodeToString(b[:])
	done := make(chan struct{})
	s.people.mu.Lock()
	s.people.syncs[token] = done
	s.people.mu.Unlock()
	defer func() {
		s.people.mu.Lock()
		delete(s.people.syncs, token)
		s.people.mu.Unlock()
	}()
	if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, peopleChannel, token); err != nil {
		return fmt.Errorf("store: await people changes: %w", err)
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("store: await people changes: %w", ctx.Err())
	}
}

// deref is *v, or 0 for nil (a person not linked to Telegram).
func deref(v *int64) int64 {
	if v == nil {
		return 0
	}
	return *v
}
