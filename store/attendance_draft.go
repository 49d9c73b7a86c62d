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

// An attendance draft is the list being marked, before Save: in Redis, one
// per centre, session and date, shared by every staff member who opens the
// same class, with a version so that two of them tapping at once cannot
// silently overwrite each other.

// ErrNoDraft means no attendance draft is open for the class (never opened,
// saved, or expired).
var ErrNoDraft = errors.New("store: no attendance draft")

// attendanceDraftTTL bounds how long an unsaved list is kept.
const attendanceDraftTTL = 24 * time.Hour

// AttendanceDraft is the marks of one occurrence being taken.
type AttendanceDraft struct {
	CentreID  int64  `json:"centre_id"`
	SessionID int64  `json:"session_id"`
	Date      string `json:"date"` // ClassDateKey
	// BaseRevision is the saved register the draft started from (0: none).
	BaseRevision int                      `json:"base_revision"`
	Marks        map[int64]AttendanceMark `json:"marks"`
	// Version counts the draft's changes; it is not part of the JSON body.
	Version int64 `json:"-"`
}

func (s *State) draftKey(centreID, sessionID int64, date string) string {
	return s.prefix + ":attdraft:" + strconv.FormatInt(centreID, 10) + ":" +
		strconv.FormatInt(sessionID, 10) + ":" + date
}

func decodeDraft(v, body any) (AttendanceDraft, error) {
	vs, ok1 := v.(string)
	bs, ok2 := body.(string)
	if !ok1 || !ok2 {
		return AttendanceDraft{}, ErrNoDraft
	}
	var d AttendanceDraft
	if err := json.Unmarshal([]byte(bs), &d); err != nil {
		return AttendanceDraft{}, fmt.Errorf("store: decode attendance draft: %w", err)
	}
	n, err := strconv.ParseInt(vs, 10, 64)
	if err != nil {
		return AttendanceDraft{}, fmt.Errorf("store: decode attendance draft version: %w", err)
	}
	d.Version = n
	return d, nil
}

// AttendanceDraft returns the open draft of an occurrence, or ErrNoDraft.
func (s *State) AttendanceDraft(ctx context.Context, centreID, sessionID int64, date string) (AttendanceDraft, error) {
	vals, err := s.rdb.HMGet(ctx, s.draftKey(centreID, sessionID, date), "v", "body").Result()
	if err != nil {
		return AttendanceDraft{}, fmt.Errorf("store: get attendance draft: %w", err)
	}
	return decodeDraft(vals[0], vals[1])
}

// openDraft creates the draft unless one exists, and returns the one that
// is there: two staff members opening the same class share one list.
var openDraft = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'v', 1, 'body', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return redis.call('HMGET', KEYS[1], 'v', 'body')`)

// OpenAttendanceDraft stores d as the occurrence's draft unless one is
// already open, and returns the open draft.
func (s *State) OpenAttendanceDraft(ctx context.Context, d AttendanceDraft) (AttendanceDraft, error) {
	body, err := json.Marshal(d)
	if err != nil {
		return d, fmt.Errorf("store: encode attendance draft: %w", err)
	}
	vals, err := openDraft.Run(ctx, s.rdb, []string{s.draftKey(d.CentreID, d.SessionID, d.Date)},
		body, attendanceDraftTTL.Milliseconds()).Slice()
	if err != nil {
		return d, fmt.Errorf("store: open attendance draft: %w", err)
	}
	if len(vals) != 2 {
		return d, fmt.Errorf("store: open attendance draft: unexpected reply")
	}
	return decodeDraft(fmt.Sprint(vals[0]), vals[1])
}

// saveDraft replaces the draft only if its version is still ARGV[1].
var saveDraft = redis.NewScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if cur == 0 then return 0 end
if cur ~= tonumber(ARGV[1]) then return -1 end
local nv = cur + 1
redis.call('HSET', KEYS[1], 'v', nv, 'body', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return nv`)

// SaveAttendanceDraft stores d if nobody changed the draft since d.Version
// was read, and returns it with its new version. It returns ErrConflict
// when someone did, and ErrNoDraft when the draft is gone (saved).
func (s *State) SaveAttendanceDraft(ctx context.Context, d AttendanceDraft) (AttendanceDraft, error) {
	body, err := json.Marshal(d)
	if err != nil {
		return d, fmt.Errorf("store: encode attendance draft: %w", err)
	}
	nv, err := saveDraft.Run(ctx, s.rdb, []string{s.draftKey(d.CentreID, d.SessionID, d.Date)},
		d.Version, body, attendanceDraftTTL.Milliseconds()).Int64()
	if err != nil {
		return d, fmt.Errorf("store: save attendance draft: %w", err)
	}
	switch {
	case nv == 0:
		return d, ErrNoDraft
	case nv < 0:
		return d, ErrConflict
	}
	d.Version = nv
	return d, nil
}

// deleteDraft removes the draft if its version is ARGV[1] (0: any).
var deleteDraft = redis.NewScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if ARGV[1] ~= '0' and cur ~= tonumber(ARGV[1]) then return 0 end
return redis.call('DEL', KEYS[1])`)

// DeleteAttendanceDraft closes the draft after a save. With version > 0 it
// only deletes that version, so marks tapped meanwhile are not lost
// silently: they stay in the draft, whose next save then reports the
// conflict.
func (s *State) DeleteAttendanceDraft(ctx context.Context, centreID, sessionID int64, date string, version int64) error {
	err := deleteDraft.Run(ctx, s.rdb, []string{s.draftKey(centreID, sessionID, date)},
		strconv.FormatInt(version, 10)).Err()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("store: delete attendance draft: %w", err)
	}
	return nil
}
