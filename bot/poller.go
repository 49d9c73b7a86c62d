package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// Poller is our own getUpdates loop (go-telegram/bot's loses buffered
// updates at shutdown). It hands a batch to the dispatcher, waits until every
// update of it is handled, and only then asks for the next batch with a
// higher offset — which is what confirms the batch to Telegram. A stop, even
// SIGKILL, therefore loses nothing: the unconfirmed batch comes again and
// dedupe absorbs what was already done.
//
// An update whose handling must be retried (Telegram, PostgreSQL or Redis
// down: ErrRetry) is never given up: it holds the confirmation, and the
// batch is tried again after a pause that doubles up to maxRetryPause for
// as long as the failure lasts. Telegram keeps updates 24 h, and skipping
// one would lose its reply, or its action, for good.
type Poller struct {
	app *App
	// bot is the centre's bot polled; its updates carry it.
	bot     *centreBot
	client  *http.Client
	url     string
	timeout time.Duration
	// retryPause is the first pause before a held update is tried again.
	retryPause time.Duration
}

// maxRetryPause caps the pause between tries of a held update: an outage
// that ends is noticed within about this long.
const maxRetryPause = 30 * time.Second

type apiResult[T any] struct {
	OK          bool   `json:"ok"`
	Result      T      `json:"result"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

func (p *Poller) getUpdates(ctx context.Context, offset int64, timeout time.Duration) ([]*models.Update, error) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("offset", strconv.FormatInt(offset, 10))
	_ = w.WriteField("timeout", strconv.Itoa(int(timeout/time.Second)))
	_ = w.WriteField("limit", "100")
	_ = w.WriteField("allowed_updates", `["message","callback_query"]`)
	_ = w.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, &body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := p.client.Do(req)
	if err != nil {
		// The URL holds the token: never let it reach a log.
		var uerr interface{ Unwrap() error }
		if errors.As(err, &uerr) {
			return nil, fmt.Errorf("bot: getUpdates: %w", uerr.Unwrap())
		}
		return nil, errors.New("bot: getUpdates: request failed")
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, fmt.Errorf("bot: getUpdates: %w", err)
	}
	var res apiResult[[]*models.Update]
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("bot: getUpdates: HTTP %d, unreadable answer", resp.StatusCode)
	}
	if !res.OK {
		if res.Parameters.RetryAfter > 0 {
			return nil, &retryAfterError{wait: time.Duration(res.Parameters.RetryAfter) * time.Second}
		}
		return nil, fmt.Errorf("bot: getUpdates: %d %s", res.ErrorCode, res.Description)
	}
	return res.Result, nil
}

type retryAfterError struct{ wait time.Duration }

func (e *retryAfterError) Error() string { return "bot: getUpdates: retry after " + e.wait.String() }

// Run polls until ctx ends, then finishes the batch in hand and confirms it.
func (p *Poller) Run(ctx context.Context) error {
	var offset int64
	backoff := time.Duration(0) // before the next getUpdates
	pause := time.Duration(0)   // the last pause for a held update
	tries := map[int64]int{}
	for ctx.Err() == nil {
		if backoff > 0 {
			if sleep(ctx, backoff) != nil {
				break
			}
		}
		updates, err := p.getUpdates(ctx, offset, p.timeout)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			var ra *retryAfterError
			if errors.As(err, &ra) {
				backoff = ra.wait
			} else {
				backoff = min(max(2*backoff, 500*time.Millisecond), 30*time.Second)
			}
			p.app.log.Warn("polling failed", "err", err, "next_try_in", backoff)
			continue
		}
		next, held := p.handleBatch(ctx, updates, tries)
		if next > offset {
			offset = next
		}
		backoff = 0
		if held {
			pause = min(max(2*pause, p.retryPause), maxRetryPause)
			backoff = pause
		} else {
			pause = 0
		}
	}
	p.confirm(offset)
	return nil
}

// handleBatch runs a batch through the dispatcher (chats in parallel) and
// returns the offset that confirms what is done — up to the first update
// that must be retried — and whether there is such an update.
func (p *Poller) handleBatch(ctx context.Context, updates []*models.Update, tries map[int64]int) (next int64, held bool) {
	results := make([]<-chan error, len(updates))
	bctx := context.WithValue(withBot(ctx, p.bot), batchKey{}, &batch{failed: map[int64]bool{}})
	for i, u := range updates {
		results[i] = p.app.dispatcher.Submit(bctx, u)
	}
	for i, u := range updates {
		err := <-results[i]
		if held {
			continue
		}
		if errors.Is(err, ErrRetry) {
			tries[u.ID]++
			p.app.log.Warn("update will be retried", "update_id", u.ID, "try", tries[u.ID], "err", err)
			held = true
			continue
		}
		if err != nil {
			// handleUpdate returns only retryable errors; anything else
			// would fail the same way again.
			p.app.log.Error("update given up", "update_id", u.ID, "err", err)
		}
		delete(tries, u.ID)
		next = u.ID + 1
	}
	return next, held
}

// batch is what the updates of one polled batch share: the chats whose
// update failed and will be retried.
type batch struct {
	mu     sync.Mutex
	failed map[int64]bool
}

type batchKey struct{}

// inChatOrder runs handle for upd unless an earlier update of its chat in
// the same polled batch failed: that one is retried first, so a chat's
// later updates must wait for it rather than overtake it (the dispatcher
// already has them queued). A chat's updates run one after another, so
// the earlier one has finished when a later one gets here.
func inChatOrder(ctx context.Context, upd *models.Update, handle func() error) error {
	b, ok := ctx.Value(batchKey{}).(*batch)
	if !ok {
		return handle()
	}
	chat := chatKey(upd)
	b.mu.Lock()
	failed := b.failed[chat]
	b.mu.Unlock()
	if failed {
		return fmt.Errorf("%w: an earlier update of the chat is retried first", ErrRetry)
	}
	err := handle()
	if err != nil {
		b.mu.Lock()
		b.failed[chat] = true
		b.mu.Unlock()
	}
	return err
}

// confirm tells Telegram the last batch is done, so a restart does not
// have to skip it through dedupe. It asks for at most one update without
// waiting; that one stays unconfirmed and comes again after the restart.
func (p *Poller) confirm(offset int64) {
	if offset == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := p.getUpdates(ctx, offset, 0); err != nil {
		p.app.log.Warn("final confirmation failed; the batch will be deduplicated on restart", "err", err)
	}
}
