package bot

import (
	"testing"
	"time"
)

// River keeps the database's clock unless the bot runs on another one.
func TestRiverClockOnlyForAnotherClock(t *testing.T) {
	t.Parallel()
	now := time.Now
	if !realClock(nil) || !realClock(time.Now) || !realClock(now) {
		t.Fatal("time.Now is not taken for the real clock")
	}
	at := time.Date(2027, 3, 28, 1, 30, 0, 0, time.UTC)
	fixed := func() time.Time { return at }
	if realClock(fixed) {
		t.Fatal("a test clock is taken for the real one")
	}
	rc := riverClock(fixed)
	if got := rc.NowOrNil(); got == nil || !got.Equal(at) || !rc.Now().Equal(at) {
		t.Fatalf("River's time = %v, %v; want %v", rc.Now(), got, at)
	}
}
