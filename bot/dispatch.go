package bot

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// Dispatcher keeps one chat's updates in order while different chats run
// in parallel. Each chat with updates waiting has its own queue, worked one
// update at a time by a goroutine that ends when the queue is empty; at
// most `workers` updates are handled at once (the database pool is sized
// for that many). A handler that waits for its chat's pacing gives its slot
// back while it waits (see pause), so a chat waiting for its turn never
// holds up other chats.
type Dispatcher struct {
	handle func(ctx context.Context, upd *models.Update) error
	slots  chan struct{}
	wg     sync.WaitGroup

	mu     sync.Mutex
	chats  map[int64][]job
	closed bool
}

type job struct {
	ctx  context.Context
	upd  *models.Update
	done chan error
}

// errStopping answers updates submitted after Close: they are not taken,
// so Telegram delivers them again to whoever runs next.
var errStopping = errors.New("bot: stopping")

// NewDispatcher handles at most workers updates at once.
func NewDispatcher(workers int, handle func(ctx context.Context, upd *models.Update) error) *Dispatcher {
	return &Dispatcher{handle: handle, slots: make(chan struct{}, max(workers, 1)), chats: map[int64][]job{}}
}

// Submit queues an update behind the earlier ones of its chat. The channel
// receives the result once it is handled. The handling context is detached
// from cancellation: an update taken is finished even during shutdown.
func (d *Dispatcher) Submit(ctx context.Context, upd *models.Update) <-chan error {
	done := make(chan error, 1)
	key := chatKey(upd)
	j := job{ctx: context.WithValue(context.WithoutCancel(ctx), slotKey{}, d), upd: upd, done: done}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		done <- errStopping
		return done
	}
	q, running := d.chats[key]
	d.chats[key] = append(q, j)
	if !running {
		d.wg.Add(1)
		go d.work(key)
	}
	return done
}

// work handles one chat's queue until it is empty.
func (d *Dispatcher) work(key int64) {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		q := d.chats[key]
		if len(q) == 0 {
			delete(d.chats, key)
			d.mu.Unlock()
			return
		}
		j := q[0]
		q[0] = job{}
		d.chats[key] = q[1:]
		d.mu.Unlock()

		d.slots <- struct{}{}
		err := d.handle(j.ctx, j.upd)
		<-d.slots
		j.done <- err
	}
}

// Close stops taking updates and waits for the queued ones to finish.
func (d *Dispatcher) Close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.wg.Wait()
}

type slotKey struct{}

// pause waits d (pacing, retry_after, backoff). When ctx is an update's
// handling, its dispatch slot is given back for the wait and taken again
// after, so that waiting chats do not starve the others.
func pause(ctx context.Context, wait time.Duration) error {
	d, _ := ctx.Value(slotKey{}).(*Dispatcher)
	if d == nil {
		return sleep(ctx, wait)
	}
	<-d.slots
	err := sleep(ctx, wait)
	d.slots <- struct{}{}
	return err
}

// chatKey is the chat an update belongs to (the user for updates without a
// chat), so one conversation is never handled out of order.
func chatKey(upd *models.Update) int64 {
	switch {
	case upd.Message != nil:
		return upd.Message.Chat.ID
	case upd.CallbackQuery != nil:
		if m := upd.CallbackQuery.Message.Message; m != nil {
			return m.Chat.ID
		}
		return upd.CallbackQuery.From.ID
	case upd.EditedMessage != nil:
		return upd.EditedMessage.Chat.ID
	case upd.MyChatMember != nil:
		return upd.MyChatMember.Chat.ID
	}
	return 0
}
