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

// Mark is a resident's mark in the draft: present unless a tap changed it
// (everyone starts present, so only absences need a tap), and present for
// a mark the draft should not hold. tapDraft applies the same rule in Lua.
func (d AttendanceDraft) Mark(personID int64) AttendanceMark {
	if m, ok := d.Marks[personID]; ok && m.Valid() {
		return m
	}
	return MarkPresent
}

// decodeDraft reads a draft's hash fields. Its identity is its key's, not
// the body's: once tapDraft has rewritten the body, Redis's cjson keeps 14
// significant digits of a number, so only the marks (keys are strings) and
// the small base revision are read back from it.
func decodeDraft(centreID, sessionID int64, date string, v, body any) (AttendanceDraft, error) {
	vs, ok1 := v.(string)
	bs, ok2 := body.(string)
	if !ok1 || !ok2 {
		return AttendanceDraft{}, ErrNoDraft
	}
	var b struct {
		BaseRevision int                      `json:"base_revision"`
		Marks        map[int64]AttendanceMark `json:"marks"`
	}
	if err := json.Unmarshal([]byte(bs), &b); err != nil {
		return AttendanceDraft{}, fmt.Errorf("store: decode attendance draft: %w", err)
	}
	n, err := strconv.ParseInt(vs, 10, 64)
	if err != nil {
		return AttendanceDraft{}, fmt.Errorf("store: decode attendance draft version: %w", err)
	}
	return AttendanceDraft{CentreID: centreID, SessionID: sessionID, Date: date,
		BaseRevision: b.BaseRevision, Marks: b.Marks, Version: n}, nil
}

// AttendanceDraft returns the open draft of an occurrence, or ErrNoDraft.
func (s *State) AttendanceDraft(ctx context.Context, centreID, sessionID int64, date string) (AttendanceDraft, error) {
	vals, err := s.rdb.HMGet(ctx, s.draftKey(centreID, sessionID, date), "v", "body").Result()
	if err != nil {
		return AttendanceDraft{}, fmt.Errorf("store: get attendance draft: %w", err)
	}
	return decodeDraft(centreID, sessionID, date, vals[0], vals[1])
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
	return decodeDraft(d.CentreID, d.SessionID, d.Date, fmt.Sprint(vals[0]), vals[1])
}

// tapDraft is a tap on a resident, in one round trip: if the draft
// (KEYS[1]) is still at the version the button carries (ARGV[1]), the
// resident (ARGV[2]) moves to his next mark, the version goes up by one
// and the draft lives attendanceDraftTTL (ARGV[3], ms) from now. It
// answers {1, version, body} when done, {0, version, body} with the
// current draft when the version differs, and nil when there is no draft.
//
// The cycle is AttendanceMark.Next's, and a missing or unknown mark counts
// as present as in AttendanceDraft.Mark: change all three together
// (TestTapAttendanceDraftCyclesAsNext compares them for every mark).
var tapDraft = redis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 'v', 'body')
if not cur[1] or not cur[2] then return nil end
if tonumber(cur[1]) ~= tonumber(ARGV[1]) then return {0, cur[1], cur[2]} end
local nextMark = {present = 'absent', absent = 'excused', excused = 'present'}
local d = cjson.decode(cur[2])
if type(d.marks) ~= 'table' then d.marks = {} end
local m = d.marks[ARGV[2]]
if not nextMark[m] then m = 'present' end
d.marks[ARGV[2]] = nextMark[m]
local body = cjson.encode(d)
local nv = tonumber(cur[1]) + 1
redis.call('HSET', KEYS[1], 'v', nv, 'body', body)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, tostring(nv), body}`)

// TapAttendanceDraft moves a resident to his next mark
// (AttendanceMark.Next) if nobody changed the draft since version, and
// returns the draft with its new version. It returns ErrConflict, with
// the current draft (to show it without another read), when someone did,
// and ErrNoDraft when the draft is gone (saved or expired).
func (s *State) TapAttendanceDraft(ctx context.Context, centreID, sessionID int64, date string, personID, version int64) (AttendanceDraft, error) {
	vals, err := tapDraft.Run(ctx, s.rdb, []string{s.draftKey(centreID, sessionID, date)},
		version, personID, attendanceDraftTTL.Milliseconds()).Slice()
	if errors.Is(err, redis.Nil) {
		return AttendanceDraft{}, ErrNoDraft
	}
	if err != nil {
		return AttendanceDraft{}, fmt.Errorf("store: tap attendance draft: %w", err)
	}
	if len(vals) != 3 {
		return AttendanceDraft{}, fmt.Errorf("store: tap attendance draft: unexpected reply of %d values", len(vals))
	}
	d, err := decodeDraft(centreID, sessionID, date, vals[1], vals[2])
	if err != nil {
		return AttendanceDraft{}, err
	}
	if done, _ := vals[0].(int64); done != 1 {
		return d, ErrConflict
	}
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
