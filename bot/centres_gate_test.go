package bot

import (
	"testing"
	"time"
)

// TestBulkGateGivesLaterTurnsAtTheBotsRate: a bot's first bulkInFlight
// sends go on; the next ones are put off to turns one pacing step apart,
// after the sends in flight; a place freed is taken at once.
func TestBulkGateGivesLaterTurnsAtTheBotsRate(t *testing.T) {
	t.Parallel()
	var g bulkGate
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	steps := []struct {
		leave    bool
		wantOK   bool
		wantWait time.Duration
	}{
		{wantOK: true}, {wantOK: true}, {wantOK: true}, {wantOK: true},
		// 25 a second: 40 ms a message; 4 in flight come first.
		{wantWait: 200 * time.Millisecond},
		{wantWait: 240 * time.Millisecond},
		{wantWait: 280 * time.Millisecond},
		{leave: true, wantOK: true},
		{wantWait: 320 * time.Millisecond},
	}
	for i, s := range steps {
		if s.leave {
			g.leave()
		}
		wait, ok := g.enter(now, 25)
		if ok != s.wantOK || wait != s.wantWait {
			t.Fatalf("step %d: enter = %v, %v; want %v, %v", i, wait, ok, s.wantWait, s.wantOK)
		}
	}
}
