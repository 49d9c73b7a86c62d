package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"

	"github.com/aurore/cairbot/store"
	"github.com/aurore/cairbot/store/storetest"
)

// TestTakeUpdateReadsConversationAndReservesPace: one round trip claims
// the update, reads the user's conversation and takes the chat's next
// message on the pacing the Sender's limiter (redis_rate) keeps; a refused
// claim reads and takes nothing; ending the update gives an unused
// reservation back.
func TestTakeUpdateReadsConversationAndReservesPace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, limiter, prefix := newPaceState(t)
	// One message a minute, no burst: the reservation is the only one.
	limit := redis_rate.Limit{Rate: 1, Burst: 1, Period: time.Minute}
	pace := &store.Pace{Key: "rate:" + prefix + ":pace:42", Rate: 1, Burst: 1, Period: time.Minute}
	allowed := func() bool {
		t.Helper()
		res, err := limiter.Allow(ctx, prefix+":pace:42", limit)
		if err != nil {
			t.Fatal(err)
		}
		return res.Allowed > 0
	}
	ref := &store.ConversationRef{CentreID: 1, ChatID: 42, UserID: 42}
	saved, err := st.SaveConversation(ctx, 1, 42, 42, store.Conversation{Step: "pay.amount", Data: map[string]string{"person": "7"}})
	if err != nil {
		t.Fatal(err)
	}

	got, err := st.TakeUpdate(ctx, store.UpdateIntake{UpdateID: 1, Owner: "a", Conversation: ref, Pace: pace})
	if err != nil {
		t.Fatal(err)
	}
	if got.Conv == nil || got.Conv.Step != "pay.amount" || got.Conv.Data["person"] != "7" || got.Conv.Version != saved.Version {
		t.Fatalf("conversation = %+v, want %+v", got.Conv, saved)
	}
	if !got.Paced {
		t.Fatal("the chat's first reply was not reserved")
	}
	if allowed() {
		t.Fatal("the limiter does not see the reservation")
	}

	// Another process: the update is busy, nothing read or reserved.
	if _, err := st.TakeUpdate(ctx, store.UpdateIntake{UpdateID: 1, Owner: "b", Conversation: ref, Pace: pace}); !errors.Is(err, store.ErrUpdateInProgress) {
		t.Fatalf("second process: %v, want ErrUpdateInProgress", err)
	}
	// Another update of the chat while its pace is spent: taken, not paced.
	other, err := st.TakeUpdate(ctx, store.UpdateIntake{UpdateID: 2, Owner: "a", Pace: pace})
	if err != nil || other.Paced || other.Conv != nil {
		t.Fatalf("second update = %+v, %v; want taken, not paced, no conversation asked", other, err)
	}

	// No reply used the reservation: it is given back as the update ends.
	if err := st.EndUpdate(ctx, 1, "a", true, store.PaceAtEnd{Pace: pace, GiveBack: true}); err != nil {
		t.Fatal(err)
	}
	if !allowed() {
		t.Fatal("the unused reservation was not given back")
	}
	if _, err := st.TakeUpdate(ctx, store.UpdateIntake{UpdateID: 1, Owner: "b", Conversation: ref, Pace: pace}); !errors.Is(err, store.ErrDuplicateUpdate) {
		t.Fatalf("after finish: %v, want ErrDuplicateUpdate", err)
	}

	// A release (retry later) ends only the owner's lease; the update can
	// be taken at once, and a user without conversation reads none.
	if err := st.EndUpdate(ctx, 2, "a", false, store.PaceAtEnd{}); err != nil {
		t.Fatal(err)
	}
	again, err := st.TakeUpdate(ctx, store.UpdateIntake{UpdateID: 2, Owner: "b",
		Conversation: &store.ConversationRef{CentreID: 1, ChatID: 43, UserID: 43}})
	if err != nil || again.Conv != nil {
		t.Fatalf("after release = %+v, %v; want taken without conversation", again, err)
	}
}

// TestEndUpdateCountsALateMessageFromNow: an update whose message was
// slow on its way ends with the chat's pace counted from now, as if that
// message left now (a burst of three then has two left, not three); a
// pace already further on (a backlog) is left as it is.
func TestEndUpdateCountsALateMessageFromNow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, limiter, prefix := newPaceState(t)
	limit := redis_rate.Limit{Rate: 1, Burst: 3, Period: time.Minute}
	tests := []struct {
		name         string
		sentBefore   int // messages the chat's pace counted before the update ended
		allowedAfter int
	}{
		{"a quiet chat", 0, 2},
		{"one message", 1, 2},
		{"a backlog", 3, 0},
	}
	for i, tt := range tests {
		key := fmt.Sprintf("%s:pace:%d", prefix, i)
		for range tt.sentBefore {
			if res, err := limiter.Allow(ctx, key, limit); err != nil || res.Allowed == 0 {
				t.Fatalf("%s: message before: %+v %v", tt.name, res, err)
			}
		}
		pace := &store.Pace{Key: "rate:" + key, Rate: 1, Burst: 3, Period: time.Minute}
		if _, err := st.TakeUpdate(ctx, store.UpdateIntake{UpdateID: int64(i + 1), Owner: "a"}); err != nil {
			t.Fatal(err)
		}
		if err := st.EndUpdate(ctx, int64(i+1), "a", true, store.PaceAtEnd{Pace: pace, Late: true}); err != nil {
			t.Fatal(err)
		}
		allowed := 0
		for range 4 {
			res, err := limiter.Allow(ctx, key, limit)
			if err != nil {
				t.Fatal(err)
			}
			allowed += res.Allowed
		}
		if allowed != tt.allowedAfter {
			t.Errorf("%s: %d messages allowed after the late update, want %d", tt.name, allowed, tt.allowedAfter)
		}
	}
}

// newPaceState is a State and the Sender's limiter (redis_rate) over the
// test's own Redis keys, and their prefix.
func newPaceState(t *testing.T) (*store.State, *redis_rate.Limiter, string) {
	t.Helper()
	rdb, prefix := storetest.NewRedis(t)
	return store.NewState(rdb, prefix, time.Minute, 10*time.Second), redis_rate.NewLimiter(rdb), prefix
}
