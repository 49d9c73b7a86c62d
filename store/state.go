package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNoConversation means the user is not in a multi-step conversation.
var ErrNoConversation = errors.New("store: no conversation")

// ErrUpdateInProgress means another process is handling this update now.
var ErrUpdateInProgress = errors.New("store: update in progress elsewhere")

// ErrDuplicateUpdate means the update was already handled.
var ErrDuplicateUpdate = errors.New("store: update already handled")

// ErrLeaseLost means an update's lease is no longer the caller's: it
// lapsed and another process claimed the update, or it was finished.
var ErrLeaseLost = errors.New("store: update lease lost")

// Conversation is where a user stands in a multi-step exchange: a named step
// and the answers gathered so far. Version guards against lost updates.
type Conversation struct {
	Step    string            `json:"step"`
	Data    map[string]string `json:"data,omitempty"`
	Version int64             `json:"-"`
}

// State is the Redis side of cairbot: short-lived data that must survive a
// restart and be shared by every bot process.
type State struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
	lease  time.Duration
	// updScope is put in update keys (WithUpdateScope); "" for the
	// deployment's default bot, whose keys stay as they always were.
	updScope string
}

// StateOption changes a State's defaults.
type StateOption func(*State)

// WithUpdateLease sets how long a claimed update stays claimed when its
// holder stops renewing it (DefaultUpdateLease). Tests shorten it.
func WithUpdateLease(d time.Duration) StateOption {
	return func(s *State) {
		if d > 0 {
			s.lease = d
		}
	}
}

// WithUpdateScope keeps the update dedupe keys of one bot apart from
// another's: update ids are numbered per bot, so two bots of one
// deployment send equal ids. Conversations and the rest are not scoped:
// their keys already hold the centre.
func WithUpdateScope(scope string) StateOption {
	return func(s *State) { s.updScope = scope }
}

// NewState uses keys under prefix (so tests and deployments can share one
// Redis); conversations expire after ttl of silence.
func NewState(rdb redis.UniversalClient, prefix string, ttl time.Duration, opts ...StateOption) *State {
	s := &State{rdb: rdb, prefix: prefix, ttl: ttl, lease: DefaultUpdateLease}
	for _, o := range opts {
		o(s)
	}
	return s
}

func (s *State) convKey(centreID, chatID, userID int64) string {
	return s.prefix + ":conv:" + strconv.FormatInt(centreID, 10) + ":" +
		strconv.FormatInt(chatID, 10) + ":" + strconv.FormatInt(userID, 10)
}

// Conversation returns the user's conversation in this chat, or
// ErrNoConversation.
func (s *State) Conversation(ctx context.Context, centreID, chatID, userID int64) (Conversation, error) {
	vals, err := s.rdb.HMGet(ctx, s.convKey(centreID, chatID, userID), "v", "body").Result()
	if err != nil {
		return Conversation{}, fmt.Errorf("store: get conversation: %w", err)
	}
	if vals[0] == nil || vals[1] == nil {
		return Conversation{}, ErrNoConversation
	}
	var c Conversation
	if err := json.Unmarshal([]byte(vals[1].(string)), &c); err != nil {
		return Conversation{}, fmt.Errorf("store: decode conversation: %w", err)
	}
	if c.Version, err = strconv.ParseInt(vals[0].(string), 10, 64); err != nil {
		return Conversation{}, fmt.Errorf("store: decode conversation version: %w", err)
	}
	return c, nil
}

// saveConversation writes only if the stored version is still the one the
// caller read (0 = none), so two updates handled at once cannot silently
// overwrite each other: the loser gets ErrConflict and nothing changes.
var saveConversation = redis.NewScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if cur ~= tonumber(ARGV[1]) then return -1 end
local nv = cur + 1
redis.call('HSET', KEYS[1], 'v', nv, 'body', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return nv`)

// SaveConversation stores c if nobody changed it since it was read, and
// returns it with its new version. It returns ErrConflict otherwise.
func (s *State) SaveConversation(ctx context.Context, centreID, chatID, userID int64, c Conversation) (Conversation, error) {
	body, err := json.Marshal(c)
	if err != nil {
		return c, fmt.Errorf("store: encode conversation: %w", err)
	}
	nv, err := saveConversation.Run(ctx, s.rdb, []string{s.convKey(centreID, chatID, userID)},
		c.Version, body, s.ttl.Milliseconds()).Int64()
	if err != nil {
		return c, fmt.Errorf("store: save conversation: %w", err)
	}
	if nv < 0 {
		return c, ErrConflict
	}
	c.Version = nv
	return c, nil
}

// ClearConversation ends any conversation of the user in this chat.
func (s *State) ClearConversation(ctx context.Context, centreID, chatID, userID int64) error {
	if err := s.rdb.Del(ctx, s.convKey(centreID, chatID, userID)).Err(); err != nil {
		return fmt.Errorf("store: clear conversation: %w", err)
	}
	return nil
}

// Update dedupe. Telegram re-delivers an update when we did not confirm it
// (polling) or did not answer 2xx (webhook); update ids are kept 24 h.
//
// While an update is handled, its key holds the handling process's id
// under a short lease that the process renews (RenewUpdate), rather than a
// fixed marker: a process that dies (SIGKILL, a lost machine) stops
// renewing, and another process — or the same one restarted — takes the
// update over within one lease, instead of every re-delivery being refused
// for minutes.
const (
	dedupeDoneTTL = 24 * time.Hour
	// DefaultUpdateLease is how long a claimed update stays claimed by a
	// holder that stopped renewing it. Renewed every third of it, it
	// survives two lost renewals.
	DefaultUpdateLease = 10 * time.Second
)

func (s *State) updateKey(updateID int64) string {
	if s.updScope != "" {
		return s.prefix + ":upd:" + s.updScope + ":" + strconv.FormatInt(updateID, 10)
	}
	return s.prefix + ":upd:" + strconv.FormatInt(updateID, 10)
}

// UpdateLease is how long a claim lasts unless renewed.
func (s *State) UpdateLease() time.Duration { return s.lease }

// claimUpdate leases an update to owner, unless it is done or leased by
// someone else. takeOver lets a lone poller reclaim the lease left by a
// crashed run of itself at once.
var claimUpdate = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur == 'done' then return 'done' end
if cur and cur ~= ARGV[1] and ARGV[3] ~= '1' then return 'busy' end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 'ok'`)

// ClaimUpdate starts handling an update under a lease of UpdateLease. It
// returns ErrDuplicateUpdate when the update was already handled,
// ErrUpdateInProgress when another process holds its lease (unless
// takeOver, for the single poller that restarts after a crash).
func (s *State) ClaimUpdate(ctx context.Context, updateID int64, owner string, takeOver bool) error {
	to := "0"
	if takeOver {
		to = "1"
	}
	res, err := claimUpdate.Run(ctx, s.rdb, []string{s.updateKey(updateID)},
		owner, s.lease.Milliseconds(), to).Text()
	if err != nil {
		return fmt.Errorf("store: claim update: %w", err)
	}
	switch res {
	case "done":
		return ErrDuplicateUpdate
	case "busy":
		return ErrUpdateInProgress
	}
	return nil
}

// renewUpdate extends owner's lease. A lease that lapsed with nobody
// taking the update is taken again, so no one starts it while its holder
// is still at work.
var renewUpdate = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if not cur then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`)

// RenewUpdate extends owner's lease on an update it is handling by
// UpdateLease. It returns ErrLeaseLost when the update is now someone
// else's or already done.
func (s *State) RenewUpdate(ctx context.Context, updateID int64, owner string) error {
	n, err := renewUpdate.Run(ctx, s.rdb, []string{s.updateKey(updateID)}, owner, s.lease.Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("store: renew update: %w", err)
	}
	if n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// FinishUpdate marks an update handled for 24 h.
func (s *State) FinishUpdate(ctx context.Context, updateID int64) error {
	if err := s.rdb.Set(ctx, s.updateKey(updateID), "done", dedupeDoneTTL).Err(); err != nil {
		return fmt.Errorf("store: finish update: %w", err)
	}
	return nil
}

// releaseUpdate deletes owner's lease only: after a lapse another process
// may hold the update, and its lease must stay.
var releaseUpdate = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// ReleaseUpdate ends owner's lease after a failure that should be retried,
// so the re-delivery is handled at once instead of refused until the lease
// lapses.
func (s *State) ReleaseUpdate(ctx context.Context, updateID int64, owner string) error {
	if err := releaseUpdate.Run(ctx, s.rdb, []string{s.updateKey(updateID)}, owner).Err(); err != nil {
		return fmt.Errorf("store: release update: %w", err)
	}
	return nil
}

// outcomeTTL is as long as Telegram may deliver an update again.
const outcomeTTL = 24 * time.Hour

// RememberOutcome notes what an update did (e.g. the ledger entry a button
// press recorded) under a key of the caller's, for as long as Telegram may
// deliver that update again: its re-delivery, after an outage ate the
// answer, can then answer the same without doing the change twice.
func (s *State) RememberOutcome(ctx context.Context, key, value string) error {
	if err := s.rdb.Set(ctx, s.prefix+":outcome:"+key, value, outcomeTTL).Err(); err != nil {
		return fmt.Errorf("store: remember outcome: %w", err)
	}
	return nil
}

// Outcome reads what RememberOutcome noted, or ErrNotFound.
func (s *State) Outcome(ctx context.Context, key string) (string, error) {
	v, err := s.rdb.Get(ctx, s.prefix+":outcome:"+key).Result()
	if errors.Is(err, redis.Nil) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: outcome: %w", err)
	}
	return v, nil
}

// takeTries reserves one try on each counter KEYS[i] whose limit is
// ARGV[i], all within the window ARGV[#KEYS+1] (seconds), unless one of
// them is at its limit: then nothing changes and the script answers that
// counter's number (1-based). Checking and counting in one script keeps the
// limit exact when many accounts try at once.
var takeTries = redis.NewScript(`
local n = #KEYS
for i = 1, n do
  local v = tonumber(redis.call('GET', KEYS[i]) or '0')
  if v >= tonumber(ARGV[i]) then return i end
end
for i = 1, n do
  redis.call('INCR', KEYS[i])
  if redis.call('TTL', KEYS[i]) < 0 then redis.call('EXPIRE', KEYS[i], ARGV[n + 1]) end
end
return 0
`)

// giveBackTries returns a try reserved by takeTries on each counter that
// still holds one.
var giveBackTries = redis.NewScript(`
for i = 1, #KEYS do
  local v = tonumber(redis.call('GET', KEYS[i]) or '0')
  if v > 0 then redis.call('DECR', KEYS[i]) end
end
return 0
`)

// TryLimit is one counter of TakeTry: at most Limit tries within the window.
type TryLimit struct {
	Key   string
	Limit int64
}

// TakeTry counts one try on every counter at once, in one round trip, when
// none of them is at its limit; else it changes nothing and returns the
// index of the first counter at its limit (ok false). Each counter expires
// window after its first try. Used to slow down wrong invite codes, per
// Telegram account and per centre.
func (s *State) TakeTry(ctx context.Context, window time.Duration, limits ...TryLimit) (blocked int, ok bool, err error) {
	keys := make([]string, len(limits))
	args := make([]any, 0, len(limits)+1)
	for i, l := range limits {
		keys[i] = s.prefix + ":count:" + l.Key
		args = append(args, l.Limit)
	}
	args = append(args, int64(max(window/time.Second, 1)))
	n, err := takeTries.Run(ctx, s.rdb, keys, args...).Int()
	if err != nil {
		return 0, false, fmt.Errorf("store: take try: %w", err)
	}
	if n > 0 {
		return n - 1, false, nil
	}
	return 0, true, nil
}

// GiveBackTry undoes a TakeTry whose try turned out not to count (the
// code was right), in one round trip.
func (s *State) GiveBackTry(ctx context.Context, keys ...string) error {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = s.prefix + ":count:" + k
	}
	if err := giveBackTries.Run(ctx, s.rdb, full).Err(); err != nil {
		return fmt.Errorf("store: give back try: %w", err)
	}
	return nil
}

// Marker reads a small named value of this deployment ("" when unset).
func (s *State) Marker(ctx context.Context, name string) (string, error) {
	v, err := s.rdb.Get(ctx, s.prefix+":marker:"+name).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: marker: %w", err)
	}
	return v, nil
}

// SetMarker stores a small named value of this deployment, without expiry.
func (s *State) SetMarker(ctx context.Context, name, value string) error {
	if err := s.rdb.Set(ctx, s.prefix+":marker:"+name, value, 0).Err(); err != nil {
		return fmt.Errorf("store: set marker: %w", err)
	}
	return nil
}
