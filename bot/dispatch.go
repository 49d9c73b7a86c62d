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
// update at a time until it is empty; at most `workers` updates are
// handled at once (the database pool is sized for that many). A handler
// that waits for its chat's pacing gives its slot back while it waits (see
// pause), so a chat waiting for its turn never holds up other chats.
//
// An update given with Do is handled in the goroutine that gives it (the
// webhook's request, which waits for the result anyway), once the chat's
// earlier updates are done; one given with Submit (the poller's batch) by
// a goroutine of its own.
type Dispatcher struct {
	handle func(ctx context.Context, upd *models.Update) error
	slots  chan struct{}
	wg     sync.WaitGroup

	mu sync.Mutex
	// chats holds, for each chat being worked, the updates waiting behind
	// the one in hand; a chat is absent when nothing of it is in hand.
	chats  map[int64][]job
	closed bool
}

// job is an update waiting for its chat's turn: Submit's is handled by the
// chat's goroutine, which sends the result to done; Do's is handled by its
// caller, told by closing turn.
type job struct {
	ctx  context.Context
	upd  *models.Update
	done chan error
	turn chan struct{}
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
	j := job{ctx: d.handling(ctx), upd: upd, done: done}
	queued, err := d.enter(key, &j)
	switch {
	case err != nil:
		done <- err
	case !queued:
		go d.work(key, j)
	}
	return done
}

// Do handles an update in the calling goroutine once the earlier ones of
// its chat are done, and returns its result. Like Submit's, its handling
// is detached from cancellation. It spares the webhook a goroutine per
// update — created, its stack grown, scheduled and waited for — where the
// request's own goroutine, its stack grown by earlier requests, is idle.
func (d *Dispatcher) Do(ctx context.Context, upd *models.Update) error {
	key := chatKey(upd)
	j := job{ctx: d.handling(ctx), upd: upd}
	queued, err := d.enter(key, &j)
	if err != nil {
		return err
	}
	if queued {
		// Not cancellable: the update is queued, and its chat's order
		// holds until it is handled (as Submit's, whose caller may stop
		// waiting but whose update is handled all the same).
		<-j.turn
	}
	// Deferred: a handler's panic, which net/http recovers from, must not
	// leave the chat's later updates waiting for ever.
	defer d.pass(key)
	return d.run(j)
}

// enter gives j its place in its chat's order: behind the chat's updates
// in hand (queued; a Do's job, which has no done channel, then gets the
// turn channel it waits on), or the chat's turn is j's at once. After
// Close it is refused.
func (d *Dispatcher) enter(key int64, j *job) (queued bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false, errStopping
	}
	if q, running := d.chats[key]; running {
		if j.done == nil {
			j.turn = make(chan struct{})
		}
		d.chats[key] = append(q, *j)
		return true, nil
	}
	d.wg.Add(1)
	d.chats[key] = nil
	return false, nil
}

// handling is the context an update is handled in: detached from the
// caller's cancellation, and carrying the dispatcher for pause.
func (d *Dispatcher) handling(ctx context.Context) context.Context {
	return context.WithValue(context.WithoutCancel(ctx), slotKey{}, d)
}

// run handles one update in one of the slots.
func (d *Dispatcher) run(j job) error {
	d.slots <- struct{}{}
	defer func() { <-d.slots }()
	return d.handle(j.ctx, j.upd)
}

// pass gives the chat's turn to its next waiting update — Do's caller is
// woken, Submit's is handled by a goroutine of its own — or ends the
// chat's turn when none is left.
func (d *Dispatcher) pass(key int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	q := d.chats[key]
	if len(q) == 0 {
		delete(d.chats, key)
		d.wg.Done()
		return
	}
	j := q[0]
	q[0] = job{}
	d.chats[key] = q[1:]
	if j.turn != nil {
		close(j.turn)
		return
	}
	go d.work(key, j)
}

// work handles a Submit update in its chat's turn, then passes the turn.
func (d *Dispatcher) work(key int64, j job) {
	defer d.pass(key)
	j.done <- d.run(j)
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
