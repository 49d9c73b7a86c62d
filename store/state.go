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

// StateOption changes a State made by NewState.
type StateOption func(*State)

// WithUpdateScope keeps the update dedupe keys of one bot apart from
// another's: update ids are numbered per bot, so two bots of one
// deployment send equal ids. Conversations and the rest are not scoped:
// their keys already hold the centre.
func WithUpdateScope(scope string) StateOption {
	return func(s *State) { s.updScope = scope }
}

// redisBufferSize is each Redis connection's read and write buffer. What
// the bot sends and reads back is small: a claim, a conversation, an
// attendance draft, a pacing decision. go-redis gives every connection
// 32 KiB each way, 1.3 MB for a pool of twenty that sits in the heap the
// memory limit leaves room for (bot/memory.go); a larger reply is still
// read whole, in more than one read.
const redisBufferSize = 4 << 10

// RedisOptions reads a REDIS_URL into the options of the bot's client.
func RedisOptions(url string) (*redis.Options, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("store: redis url: %w", err)
	}
	o.ReadBufferSize, o.WriteBufferSize = redisBufferSize, redisBufferSize
	return o, nil
}

// NewState uses keys under prefix (so tests and deployments can share one
// Redis); conversations expire after ttl of silence, and a claimed update
// stays claimed for lease when its holder stops renewing it
// (bot.Config.UpdateLease, whose default is in bot.Defaults).
func NewState(rdb redis.UniversalClient, prefix string, ttl, lease time.Duration, opts ...StateOption) *State {
	s := &State{rdb: rdb, prefix: prefix, ttl: ttl, lease: lease}
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
	return decodeConversation(vals[0].(string), vals[1].(string))
}

// decodeConversation reads a conversation's stored version and body.
func decodeConversation(version, body string) (Conversation, error) {
	var c Conversation
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		return Conversation{}, fmt.Errorf("store: decode conversation: %w", err)
	}
	var err error
	if c.Version, err = strconv.ParseInt(version, 10, 64); err != nil {
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
const dedupeDoneTTL = 24 * time.Hour

func (s *State) updateKey(updateID int64) string {
	if s.updScope != "" {
		return s.prefix + ":upd:" + s.updScope + ":" + strconv.FormatInt(updateID, 10)
	}
	return s.prefix + ":upd:" + strconv.FormatInt(updateID, 10)
}

// UpdateLease is how long a claim lasts unless renewed.
func (s *State) UpdateLease() time.Duration { return s.lease }

// Pace is one chat's pacing as the Sender's limiter keeps it in Redis
// (GCRA, go-redis/redis_rate's layout: the key holds the theoretical
// arrival time in seconds since 2017-01-01): taking an update in reserves
// its first reply there, in the same round trip.
type Pace struct {
	Key    string // the limiter's full Redis key of the chat
	Rate   int    // messages per Period
	Burst  int
	Period time.Duration
}

// interval is the time the pace counts for one message, in seconds.
func (p *Pace) interval() float64 { return p.Period.Seconds() / float64(p.Rate) }

// paceFromNowLua counts a chat's pace from now, as if a message left now:
// its theoretical arrival time becomes now plus one interval, unless it
// already reaches further (a backlog). Shared by endUpdate and
// paceFromNow.
const paceFromNowLua = `
local function pace_from_now(key, now, interval, tat)
  if now + interval > tonumber(tat or '0') then
    redis.call('SET', key, now + interval, 'EX', math.ceil(interval))
  end
end
`

var paceFromNow = redis.NewScript(paceFromNowLua + `
local t = redis.call('TIME')
local now = (t[1] - 1483228800) + (t[2] / 1000000)
pace_from_now(KEYS[1], now, tonumber(ARGV[1]), redis.call('GET', KEYS[1]))
return 1`)

// PaceFromNow counts the chat's pace p from now, as PaceAtEnd.Late does
// at an update's end, for a message sent outside an update (a job's) that
// reached Telegram later than its pace counted it.
func PaceFromNow(ctx context.Context, rdb redis.UniversalClient, p *Pace) error {
	if err := paceFromNow.Run(ctx, rdb, []string{p.Key}, p.interval()).Err(); err != nil {
		return fmt.Errorf("store: pace from now: %w", err)
	}
	return nil
}

// PaceAtEnd is what ending an update does to its chat's pace.
type PaceAtEnd struct {
	Pace *Pace
	// GiveBack returns the message TakeUpdate reserved that no message
	// used.
	GiveBack bool
	// Late counts the chat's pace again from now, as if the update's last
	// message left now: one of its messages took long enough on its way to
	// reach Telegram later than the pace counted it, and the chat's next
	// messages must not arrive on its heels.
	Late bool
}

// UpdateIntake is what taking an update in asks Redis for.
type UpdateIntake struct {
	UpdateID int64
	Owner    string
	// TakeOver lets a lone poller reclaim the lease left by a crashed run
	// of itself at once.
	TakeOver bool
	// Conversation, when set, is read: the user's in this chat.
	Conversation *ConversationRef
	// Pace, when set, reserves one message to the chat if its pacing
	// allows one now.
	Pace *Pace
}

// ConversationRef names a user's conversation in a chat of a centre.
type ConversationRef struct{ CentreID, ChatID, UserID int64 }

// Intake is what an update found in Redis when it was taken in.
type Intake struct {
	// Conv is the user's conversation, nil when none (or not asked).
	Conv *Conversation
	// Paced: one message to the chat is reserved (EndUpdate gives it
	// back if no message used it).
	Paced bool
}

// intakeUpdate leases KEYS[1] (the update) to ARGV[1] unless it is done
// or leased by someone else; then reads the conversation KEYS[2] (when
// ARGV[4] is 1) and takes one message of the chat's pacing KEYS[3] (when
// ARGV[5] is 1) if it allows one now, with redis_rate's GCRA (burst
// ARGV[6], rate ARGV[7] per ARGV[8] seconds) so that the Sender's limiter
// sees it. A refused pace takes nothing: the reply then waits its turn
// through the limiter.
var intakeUpdate = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur == 'done' then return {'done'} end
if cur and cur ~= ARGV[1] and ARGV[3] ~= '1' then return {'busy'} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local v, body = false, false
if ARGV[4] == '1' then
  local c = redis.call('HMGET', KEYS[2], 'v', 'body')
  v, body = c[1], c[2]
end
local paced = 0
if ARGV[5] == '1' then
  local interval = tonumber(ARGV[8]) / tonumber(ARGV[7])
  local t = redis.call('TIME')
  local now = (t[1] - 1483228800) + (t[2] / 1000000)
  local tat = tonumber(redis.call('GET', KEYS[3]) or now)
  tat = math.max(tat, now)
  local new_tat = tat + interval
  if now - (new_tat - interval * tonumber(ARGV[6])) >= 0 then
    redis.call('SET', KEYS[3], new_tat, 'EX', math.ceil(new_tat - now))
    paced = 1
  end
end
return {'ok', v, body, paced}`)

// TakeUpdate starts handling an update under a lease of UpdateLease and,
// in the same round trip, reads the user's conversation and reserves the
// chat's first reply. It returns ErrDuplicateUpdate when the update was
// already handled, ErrUpdateInProgress when another process holds its
// lease (unless TakeOver); then nothing is read or reserved.
func (s *State) TakeUpdate(ctx context.Context, in UpdateIntake) (Intake, error) {
	keys := []string{s.updateKey(in.UpdateID), "", ""}
	args := []any{in.Owner, s.lease.Milliseconds(), flag(in.TakeOver), "0", "0", 0, 0, 0}
	if c := in.Conversation; c != nil {
		keys[1], args[3] = s.convKey(c.CentreID, c.ChatID, c.UserID), "1"
	}
	if p := in.Pace; p != nil {
		keys[2], args[4], args[5], args[6], args[7] = p.Key, "1", p.Burst, p.Rate, p.Period.Seconds()
	}
	res, err := intakeUpdate.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return Intake{}, fmt.Errorf("store: take update: %w", err)
	}
	switch res[0] {
	case "done":
		return Intake{}, ErrDuplicateUpdate
	case "busy":
		return Intake{}, ErrUpdateInProgress
	}
	var out Intake
	out.Paced = res[3] == int64(1)
	v, _ := res[1].(string)
	body, _ := res[2].(string)
	if v == "" || body == "" {
		return out, nil
	}
	c, err := decodeConversation(v, body)
	if err != nil {
		return out, err
	}
	out.Conv = &c
	return out, nil
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// ClaimUpdate leases an update, as TakeUpdate does with nothing to read
// or reserve.
func (s *State) ClaimUpdate(ctx context.Context, updateID int64, owner string, takeOver bool) error {
	_, err := s.TakeUpdate(ctx, UpdateIntake{UpdateID: updateID, Owner: owner, TakeOver: takeOver})
	return err
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

// endUpdate marks the update KEYS[1] done for ARGV[2] seconds (ARGV[1] is
// 'done'), or deletes owner ARGV[3]'s lease only (ARGV[1] is 'release':
// after a lapse another process may hold the update, and its lease must
// stay); and, when ARGV[4] is 1, gives back the message reserved on the
// chat's pacing KEYS[2] (one interval of ARGV[6] seconds / ARGV[5]) that
// no message used. Giving back one interval leaves the messages sent
// since, by any process, counted. When ARGV[7] is 1 the chat's pace then
// counts from now (PaceAtEnd.Late), unless it already reaches further.
var endUpdate = redis.NewScript(paceFromNowLua + `
if ARGV[1] == 'done' then
  redis.call('SET', KEYS[1], 'done', 'EX', ARGV[2])
elseif redis.call('GET', KEYS[1]) == ARGV[3] then
  redis.call('DEL', KEYS[1])
end
if ARGV[4] == '1' or ARGV[7] == '1' then
  local t = redis.call('TIME')
  local now = (t[1] - 1483228800) + (t[2] / 1000000)
  local interval = tonumber(ARGV[6]) / tonumber(ARGV[5])
  local tat = redis.call('GET', KEYS[2])
  if ARGV[4] == '1' and tat then
    local back = tonumber(tat) - interval
    if back <= now then redis.call('DEL', KEYS[2]); tat = false
    else redis.call('SET', KEYS[2], back, 'EX', math.ceil(back - now)); tat = back end
  end
  if ARGV[7] == '1' then pace_from_now(KEYS[2], now, interval, tat) end
end
return 1`)

// EndUpdate ends the handling of an update in one round trip: done marks
// it handled for 24 h; otherwise (a failure that should be retried) only
// owner's lease is ended, so the re-delivery is handled at once instead of
// refused until the lease lapses. unused, when set, is the reservation of
// TakeUpdate that no message used, given back to the chat's pacing.
func (s *State) EndUpdate(ctx context.Context, updateID int64, owner string, done bool, pace PaceAtEnd) error {
	keys := []string{s.updateKey(updateID), ""}
	args := []any{"release", int64(dedupeDoneTTL / time.Second), owner, "0", 0, 0, "0"}
	if done {
		args[0] = "done"
	}
	if p := pace.Pace; p != nil && (pace.GiveBack || pace.Late) {
		keys[1], args[4], args[5] = p.Key, p.Rate, p.Period.Seconds()
		if pace.GiveBack {
			args[3] = "1"
		}
		if pace.Late {
			args[6] = "1"
		}
	}
	if err := endUpdate.Run(ctx, s.rdb, keys, args...).Err(); err != nil {
		return fmt.Errorf("store: end update: %w", err)
	}
	return nil
}

// FinishUpdate marks an update handled for 24 h.
func (s *State) FinishUpdate(ctx context.Context, updateID int64) error {
	return s.EndUpdate(ctx, updateID, "", true, PaceAtEnd{})
}

// ReleaseUpdate ends owner's lease after a failure that should be retried.
func (s *State) ReleaseUpdate(ctx context.Context, updateID int64, owner string) error {
	return s.EndUpdate(ctx, updateID, owner, false, PaceAtEnd{})
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
