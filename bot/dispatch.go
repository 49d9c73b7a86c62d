package bot

import (
	"context"
	"hash/maphash"
	"sync"

	"github.com/go-telegram/bot/models"
)

// Dispatcher keeps one chat's updates in order while different chats run
// in parallel: update → worker hash(chat) % N, each worker handling its
// queue one by one. Memory is bounded by the queues, and nothing else needs
// coordinating.
type Dispatcher struct {
	queues []chan job
	handle func(ctx context.Context, upd *models.Update) error
	wg     sync.WaitGroup
	seed   maphash.Seed
	once   sync.Once
}

type job struct {
	ctx  context.Context
	upd  *models.Update
	done chan error
}

// NewDispatcher starts n workers.
func NewDispatcher(n int, handle func(ctx context.Context, upd *models.Update) error) *Dispatcher {
	d := &Dispatcher{queues: make([]chan job, n), handle: handle, seed: maphash.MakeSeed()}
	for i := range d.queues {
		d.queues[i] = make(chan job, 64)
		d.wg.Add(1)
		go d.work(d.queues[i])
	}
	return d
}

func (d *Dispatcher) work(q chan job) {
	defer d.wg.Done()
	for j := range q {
		j.done <- d.handle(j.ctx, j.upd)
	}
}

// Submit queues an update behind the earlier ones of its chat. The channel
// receives the result once it is handled. The handling context is detached
// from cancellation: an update taken is finished even during shutdown.
func (d *Dispatcher) Submit(ctx context.Context, upd *models.Update) <-chan error {
	done := make(chan error, 1)
	q := d.queues[maphash.Comparable(d.seed, chatKey(upd))%uint64(len(d.queues))]
	q <- job{ctx: context.WithoutCancel(ctx), upd: upd, done: done}
	return done
}

// Close stops taking updates and waits for the queued ones to finish.
func (d *Dispatcher) Close() {
	d.once.Do(func() {
		for _, q := range d.queues {
			close(q)
		}
	})
	d.wg.Wait()
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
