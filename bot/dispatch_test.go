package bot

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

func update(id, chat int64) *models.Update {
	return &models.Update{ID: id, Message: &models.Message{Chat: models.Chat{ID: chat}, From: &models.User{ID: chat}}}
}

func TestDispatcherKeepsEachChatInOrder(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[int64][]int64{}
	d := NewDispatcher(3, func(_ context.Context, upd *models.Update) error {
		mu.Lock()
		defer mu.Unlock()
		seen[upd.Message.Chat.ID] = append(seen[upd.Message.Chat.ID], upd.ID)
		return nil
	})
	var results []<-chan error
	for i := int64(0); i < 200; i++ {
		results = append(results, d.Submit(context.Background(), update(i, i%7)))
	}
	for _, r := range results {
		if err := <-r; err != nil {
			t.Fatal(err)
		}
	}
	d.Close()
	for chat, ids := range seen {
		for i := 1; i < len(ids); i++ {
			if ids[i] < ids[i-1] {
				t.Fatalf("chat %d handled out of order: %v", chat, ids)
			}
		}
	}
	if len(seen) != 7 {
		t.Fatalf("%d chats handled, want 7", len(seen))
	}
}

// With a single slot, a chat waiting for its pacing must not hold up
// another chat: the waiting handler gives its slot back.
func TestDispatcherChatWaitingForItsPaceDoesNotHoldOthers(t *testing.T) {
	t.Parallel()
	released := make(chan struct{})
	d := NewDispatcher(1, func(ctx context.Context, upd *models.Update) error {
		if upd.Message.Chat.ID == 1 {
			// Waits as the Sender does for the chat's pacing.
			return pause(ctx, 5*time.Second)
		}
		close(released)
		return nil
	})
	defer d.Close()
	slow := d.Submit(context.Background(), update(1, 1))
	time.Sleep(10 * time.Millisecond) // let chat 1 take the only slot first
	fast := d.Submit(context.Background(), update(2, 2))
	select {
	case <-released:
	case <-time.After(3 * time.Second):
		t.Fatal("chat 2 waited behind chat 1's pacing")
	}
	if err := <-fast; err != nil {
		t.Fatal(err)
	}
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
}

func TestDispatcherRefusesUpdatesAfterClose(t *testing.T) {
	t.Parallel()
	d := NewDispatcher(2, func(context.Context, *models.Update) error { return nil })
	d.Close()
	if err := <-d.Submit(context.Background(), update(1, 1)); err == nil {
		t.Fatal("an update submitted after Close was taken")
	}
	if err := d.Do(context.Background(), update(2, 1)); err == nil {
		t.Fatal("an update given to Do after Close was taken")
	}
}

// queued is how many updates of a chat wait behind the one in hand.
func queued(d *Dispatcher, chat int64) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.chats[chat])
}

func waitQueued(t *testing.T, d *Dispatcher, chat int64, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for queued(d, chat) != n {
		if time.Now().After(deadline) {
			t.Fatalf("chat %d: %d updates waiting, want %d", chat, queued(d, chat), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// Updates given with Do (the webhook) and Submit (the poller) to one chat
// are handled in the order they came, each Do returning its own result,
// while another chat is not held up; a handler's panic in Do does not
// leave the chat's later updates waiting; Close waits for the chat.
func TestDispatcherDoAndSubmitShareTheChatsOrder(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var order []int64
	hold := make(chan struct{})
	errOf := func(id int64) error { return fmt.Errorf("update %d", id) }
	d := NewDispatcher(2, func(_ context.Context, upd *models.Update) error {
		if upd.ID == 1 {
			<-hold
		}
		if upd.ID == 5 {
			panic("handler bug")
		}
		mu.Lock()
		order = append(order, upd.ID)
		mu.Unlock()
		return errOf(upd.ID)
	})
	first := d.Submit(context.Background(), update(1, 7))
	results := map[int64]chan error{2: make(chan error, 1), 4: make(chan error, 1), 6: make(chan error, 1)}
	do := func(id int64) {
		go func() {
			defer func() {
				if p := recover(); p != nil {
					results[id] <- fmt.Errorf("panic: %v", p)
				}
			}()
			results[id] <- d.Do(context.Background(), update(id, 7))
		}()
	}
	do(2)
	waitQueued(t, d, 7, 1)
	third := d.Submit(context.Background(), update(3, 7))
	do(4)
	waitQueued(t, d, 7, 3)
	results[5] = make(chan error, 1)
	do(5)
	waitQueued(t, d, 7, 4)
	do(6)
	waitQueued(t, d, 7, 5)

	// Another chat goes ahead while chat 7 waits.
	if err := d.Do(context.Background(), update(10, 8)); err == nil || err.Error() != "update 10" {
		t.Fatalf("chat 8's update: %v, want its own result", err)
	}
	close(hold)
	for id, got := range map[int64]<-chan error{1: first, 2: results[2], 3: third, 4: results[4], 5: results[5], 6: results[6]} {
		select {
		case err := <-got:
			want := errOf(id).Error()
			if id == 5 {
				want = "panic: handler bug"
			}
			if err == nil || err.Error() != want {
				t.Errorf("update %d: %v, want %q", id, err, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("update %d never handled", id)
		}
	}
	d.Close()
	if want := []int64{10, 1, 2, 3, 4, 6}; !slices.Equal(order, want) {
		t.Fatalf("handled in the order %v, want %v", order, want)
	}
	if queued(d, 7) != 0 || len(d.chats) != 0 {
		t.Fatalf("chats still held after every update: %v", d.chats)
	}
}

// Replies take only their chat's pacing: a broadcast filling the global
// budget does not delay them.
func TestRepliesDoNotWaitBehindBulkSends(t *testing.T) {
	t.Parallel()
	s, srv, _ := newTestSender(t, 1, 3) // 1 bulk message a second overall
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i := int64(1); i <= 20; i++ {
		srv.AddChat(1000 + i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = s.SendBulk(ctx, &tgbot.SendMessageParams{ChatID: 1000 + i, Text: "bulk"}, func(context.Context) error { return nil })
		}()
	}
	time.Sleep(100 * time.Millisecond) // the broadcast holds the budget
	start := time.Now()
	for i := int64(1); i <= 10; i++ {
		srv.AddChat(2000 + i)
		if _, err := s.SendMessage(context.Background(), &tgbot.SendMessageParams{ChatID: 2000 + i, Text: "reply"}); err != nil {
			t.Fatal(err)
		}
	}
	// Behind the broadcast's 20 messages at 1/s, ten replies would need
	// 20 s or more; on their own they need a few round trips.
	if took := time.Since(start); took > 8*time.Second {
		t.Fatalf("10 replies during a broadcast took %v", took)
	}
	cancel()
	wg.Wait()
}
