package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// updates is the Server's update queue state; it is guarded by Server.mu.
type updates struct {
	nextUpdateID int64
	history      map[int64][]byte // every update ever delivered, by id

	// getUpdates mode
	pending []pendingUpdate // unconfirmed updates, ascending id (forced first when returned)
	signal  chan struct{}   // closed and replaced whenever pending grows or the mode changes
	poll    *pollWaiter     // the long poll currently waiting, if any

	// webhook mode
	webhookURL      string
	webhookSecret   string
	webhookAllowed  []string
	webhookMaxConn  int
	webhookQueue    []*webhookItem
	webhookWake     chan struct{} // buffered(1): wakes the delivery worker
	webhookStatuses []int
	lastErrorDate   int
	lastErrorMsg    string
}

type pendingUpdate struct {
	id     int64
	raw    []byte
	forced bool // Redeliver: returned once whatever the offset
}

type pollWaiter struct {
	kick chan struct{} // closed when a newer getUpdates supersedes this one
}

type webhookItem struct {
	id          int64
	chat        int64 // updates of one chat are posted one after another
	raw         []byte
	attempts    int
	inFlight    bool
	dropped     bool          // drop_pending_updates while in flight: forget it afterwards
	first       chan struct{} // closed after the first attempt (or when the item leaves the queue)
	firstClosed bool
}

func (u *updates) init() {
	u.nextUpdateID = 1
	u.history = map[int64][]byte{}
	u.signal = make(chan struct{})
	u.webhookWake = make(chan struct{}, 1)
}

func (it *webhookItem) releaseFirst() {
	if !it.firstClosed {
		it.firstClosed = true
		close(it.first)
	}
}

// broadcastLocked wakes every waiting long poll.
func (s *Server) broadcastLocked() {
	close(s.signal)
	s.signal = make(chan struct{})
}

func (s *Server) wakeWebhookLocked() {
	select {
	case s.webhookWake <- struct{}{}:
	default:
	}
}

// Deliver hands a raw update to the bot: POSTed to the webhook if one is set
// (Deliver returns after the first delivery attempt), otherwise queued for
// getUpdates. If upd.ID is 0 the next update id is assigned. A message's chat
// becomes known to the server (so the bot may answer) and its message id is
// reserved in that chat. Deliver returns the update id.
func (s *Server) Deliver(upd models.Update) int64 {
	s.beforeUpdate()
	s.mu.Lock()
	if upd.ID == 0 {
		upd.ID = s.nextUpdateID
	}
	if upd.ID >= s.nextUpdateID {
		s.nextUpdateID = upd.ID + 1
	}
	for _, m := range []*models.Message{upd.Message, upd.EditedMessage, upd.ChannelPost} {
		if m == nil {
			continue
		}
		c := s.ensureChatLocked(m.Chat)
		if m.ID >= c.nextMsgID {
			c.nextMsgID = m.ID + 1
		}
		c.userMsgs[m.ID] = false
	}
	if cq := upd.CallbackQuery; cq != nil && cq.ID != "" {
		if _, ok := s.callbacks[cq.ID]; !ok {
			st := &callbackState{id: cq.ID, updateID: upd.ID}
			s.callbacks[cq.ID] = st
			s.callbackByUpd[upd.ID] = st
		}
	}
	wait := s.submitLocked(&upd, false)
	s.mu.Unlock()
	s.waitFirst(wait)
	return upd.ID
}

func (s *Server) beforeUpdate() {
	if s.opts.BeforeUpdate != nil {
		s.opts.BeforeUpdate()
	}
}

// Redeliver delivers an already delivered update again with the same
// update_id, as Telegram does when it believes the bot did not get it. In
// getUpdates mode the copy is returned by the next getUpdates call even if
// its id is below the offset already confirmed (so a bot that deduplicates by
// update_id can be tested); in webhook mode it is POSTed again.
func (s *Server) Redeliver(updateID int64) {
	s.mu.Lock()
	raw, ok := s.history[updateID]
	var wait <-chan struct{}
	if ok {
		wait = s.enqueueLocked(updateID, raw, true)
	}
	s.mu.Unlock()
	if !ok {
		s.errorf("telegramtest: Redeliver(%d): no such update was delivered", updateID)
		return
	}
	s.waitFirst(wait)
}

// nextUpdateIDLocked allocates an update id.
func (s *Server) nextUpdateIDLocked() int64 {
	id := s.nextUpdateID
	s.nextUpdateID++
	return id
}

// submitLocked marshals upd, remembers it for Redeliver and enqueues it.
// Callers allocate the id in the same critical section, so ids enter the
// queue in increasing order; otherwise a bot could confirm an offset past an
// id that is not queued yet and the update would be lost.
func (s *Server) submitLocked(upd *models.Update, forced bool) <-chan struct{} {
	raw, err := json.Marshal(upd)
	if err != nil {
		s.errorf("telegramtest: marshal update %d: %v", upd.ID, err)
		return nil
	}
	s.history[upd.ID] = raw
	if s.opts.MaxCalls > 0 {
		delete(s.history, upd.ID-int64(s.opts.MaxCalls))
	}
	return s.enqueueLocked(upd.ID, raw, forced)
}

// enqueueLocked queues an update for getUpdates or the webhook. For the
// webhook it returns a channel closed after the first delivery attempt.
func (s *Server) enqueueLocked(id int64, raw []byte, forced bool) <-chan struct{} {
	if s.webhookURL == "" {
		s.addPendingLocked(pendingUpdate{id: id, raw: raw, forced: forced})
		return nil
	}
	it := newWebhookItem(id, raw)
	s.webhookQueue = append(s.webhookQueue, it)
	s.wakeWebhookLocked()
	return it.first
}

// waitFirst blocks until the first webhook attempt (nil: nothing to wait for).
func (s *Server) waitFirst(ch <-chan struct{}) {
	if ch == nil {
		return
	}
	select {
	case <-ch:
	case <-s.closed:
	}
}

func (s *Server) addPendingLocked(p pendingUpdate) {
	i := sort.Search(len(s.pending), func(i int) bool { return s.pending[i].id > p.id })
	s.pending = append(s.pending, pendingUpdate{})
	copy(s.pending[i+1:], s.pending[i:])
	s.pending[i] = p
	s.broadcastLocked()
}

// PendingUpdates is the number of updates not yet confirmed by getUpdates or
// not yet accepted by the webhook.
func (s *Server) PendingUpdates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending) + len(s.webhookQueue)
}

// --- getUpdates ------------------------------------------------------------

const (
	errWebhookActive   = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
	errTerminatedPoll  = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
	maxLongPollTimeout = 50 * time.Second
)

func (s *Server) getUpdates(hr *http.Request, r *request) (any, *apiError) {
	offset, ok1 := r.integer("offset")
	limit, ok2 := r.integer("limit")
	timeout, ok3 := r.integer("timeout")
	if !ok1 || !ok2 || !ok3 {
		return nil, badRequest("wrong parameter type")
	}
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	wait := time.Duration(timeout) * time.Second
	if wait > maxLongPollTimeout {
		wait = maxLongPollTimeout
	}

	s.mu.Lock()
	if s.webhookURL != "" {
		s.mu.Unlock()
		return nil, &apiError{Code: http.StatusConflict, Description: errWebhookActive}
	}
	s.confirmLocked(offset)
	if s.poll != nil { // an older long poll is still waiting: it loses
		close(s.poll.kick)
		s.poll = nil
	}
	res := s.takeLocked(offset, int(limit))
	if len(res) > 0 || wait <= 0 {
		s.mu.Unlock()
		return res, nil
	}
	pw := &pollWaiter{kick: make(chan struct{})}
	s.poll = pw
	sig := s.signal
	s.mu.Unlock()

	done := func() {
		s.mu.Lock()
		if s.poll == pw {
			s.poll = nil
		}
		s.mu.Unlock()
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	ctx := hr.Context()
	for {
		select {
		case <-sig:
			s.mu.Lock()
			if s.webhookURL != "" {
				if s.poll == pw {
					s.poll = nil
				}
				s.mu.Unlock()
				return nil, &apiError{Code: http.StatusConflict, Description: errWebhookActive}
			}
			res := s.takeLocked(offset, int(limit))
			if len(res) > 0 {
				if s.poll == pw {
					s.poll = nil
				}
				s.mu.Unlock()
				return res, nil
			}
			sig = s.signal
			s.mu.Unlock()
		case <-pw.kick:
			return nil, &apiError{Code: http.StatusConflict, Description: errTerminatedPoll}
		case <-timer.C:
			done()
			return []json.RawMessage{}, nil
		case <-ctx.Done():
			done()
			return []json.RawMessage{}, nil
		case <-s.closed:
			done()
			return []json.RawMessage{}, nil
		}
	}
}

// confirmLocked forgets updates confirmed by offset (Telegram semantics:
// every update with id < offset; a negative offset keeps the last -offset).
func (s *Server) confirmLocked(offset int64) {
	switch {
	case offset > 0:
		kept := s.pending[:0]
		for _, p := range s.pending {
			if p.id >= offset || p.forced {
				kept = append(kept, p)
			}
		}
		s.pending = kept
	case offset < 0:
		n := int(-offset)
		var normal []pendingUpdate
		var forced []pendingUpdate
		for _, p := range s.pending {
			if p.forced {
				forced = append(forced, p)
			} else {
				normal = append(normal, p)
			}
		}
		if len(normal) > n {
			normal = normal[len(normal)-n:]
		}
		s.pending = append(forced, normal...)
		sort.SliceStable(s.pending, func(i, j int) bool { return s.pending[i].id < s.pending[j].id })
	}
}

// takeLocked returns up to limit updates: redelivered (forced) ones first,
// removed once returned, then unconfirmed ones, which stay until confirmed.
func (s *Server) takeLocked(offset int64, limit int) []json.RawMessage {
	out := []json.RawMessage{}
	kept := s.pending[:0]
	for _, p := range s.pending {
		if p.forced && len(out) < limit {
			out = append(out, p.raw)
			continue
		}
		kept = append(kept, p)
	}
	s.pending = kept
	for _, p := range s.pending {
		if len(out) >= limit {
			break
		}
		if !p.forced && p.id >= offset {
			out = append(out, p.raw)
		}
	}
	return out
}

// --- webhook ---------------------------------------------------------------

var secretTokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func (s *Server) setWebhook(r *request) (any, *apiError) {
	raw := strings.TrimSpace(r.str("url"))
	if raw == "" {
		return s.deleteWebhook(r)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, badRequest("bad webhook: An HTTPS URL must be provided for webhook")
	}
	secret := r.str("secret_token")
	if secret != "" && !secretTokenRE.MatchString(secret) {
		return nil, badRequest("bad webhook: secret token contains unallowed characters")
	}
	var allowed []string
	if a := r.str("allowed_updates"); a != "" {
		if err := json.Unmarshal([]byte(a), &allowed); err != nil {
			return nil, badRequest("can't parse allowed updates JSON object")
		}
	}
	maxConn, ok := r.integer("max_connections")
	if !ok || maxConn < 0 || maxConn > maxWebhookConnections {
		return nil, badRequest("bad webhook: max_connections must be between 1 and 100")
	}
	if maxConn == 0 {
		maxConn = 40
	}
	desc := "Webhook was set"
	if s.webhookURL == raw && s.webhookSecret == secret {
		desc = "Webhook is already set"
	}
	s.webhookURL, s.webhookSecret, s.webhookAllowed, s.webhookMaxConn = raw, secret, allowed, int(maxConn)
	if r.boolean("drop_pending_updates") {
		s.pending = nil
		s.dropWebhookQueueLocked()
	}
	// Unconfirmed getUpdates updates now go to the webhook.
	for _, p := range s.pending {
		s.webhookQueue = append(s.webhookQueue, newWebhookItem(p.id, p.raw))
	}
	s.pending = nil
	s.broadcastLocked() // waiting long polls end with 409
	if s.poll != nil {
		s.poll = nil
	}
	s.wakeWebhookLocked()
	return withDescription{result: true, description: desc}, nil
}

func (s *Server) deleteWebhook(r *request) (any, *apiError) {
	if s.webhookURL == "" {
		if r.boolean("drop_pending_updates") {
			s.pending = nil
		}
		return withDescription{result: true, description: "Webhook is already deleted"}, nil
	}
	s.webhookURL, s.webhookSecret, s.webhookAllowed, s.webhookMaxConn = "", "", nil, 0
	if r.boolean("drop_pending_updates") {
		s.dropWebhookQueueLocked()
		s.pending = nil
	}
	// Undelivered updates wait for getUpdates; the one being posted right
	// now is settled by the worker.
	kept := s.webhookQueue[:0]
	for _, it := range s.webhookQueue {
		if it.inFlight {
			kept = append(kept, it)
			continue
		}
		it.releaseFirst()
		s.addPendingLocked(pendingUpdate{id: it.id, raw: it.raw})
	}
	s.webhookQueue = kept
	s.broadcastLocked()
	return withDescription{result: true, description: "Webhook was deleted"}, nil
}

func (s *Server) dropWebhookQueueLocked() {
	kept := s.webhookQueue[:0]
	for _, it := range s.webhookQueue {
		if it.inFlight {
			it.dropped = true
			kept = append(kept, it)
			continue
		}
		it.releaseFirst()
	}
	s.webhookQueue = kept
}

func (s *Server) getWebhookInfo(*request) (any, *apiError) {
	info := models.WebhookInfo{
		URL:                s.webhookURL,
		PendingUpdateCount: len(s.pending) + len(s.webhookQueue),
		LastErrorDate:      s.lastErrorDate,
		LastErrorMessage:   s.lastErrorMsg,
	}
	if s.webhookURL != "" {
		info.MaxConnections = s.webhookMaxConn
		info.AllowedUpdates = append([]string(nil), s.webhookAllowed...)
	}
	return info, nil
}

// WebhookURL is the URL registered with setWebhook ("" if none).
func (s *Server) WebhookURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhookURL
}

// WebhookSecret is the secret_token registered with setWebhook ("" if none).
func (s *Server) WebhookSecret() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhookSecret
}

// WebhookStatuses lists the HTTP status of every webhook delivery attempt,
// in order; 0 means the request failed without a response.
func (s *Server) WebhookStatuses() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.webhookStatuses...)
}

func newWebhookItem(id int64, raw []byte) *webhookItem {
	return &webhookItem{id: id, chat: chatOfUpdate(raw), raw: raw, first: make(chan struct{})}
}

// chatOfUpdate is the chat an update belongs to (the user for a button
// without its message), 0 when it has none. It reads only the ids it
// needs: decoding the whole update (a button's message with its keyboard)
// was the fake's largest cost per update in `make bench`.
func chatOfUpdate(raw []byte) int64 {
	type message struct {
		Date int64 `json:"date"`
		Chat struct {
			ID int64 `json:"id"`
		} `json:"chat"`
	}
	var u struct {
		Message       *message `json:"message"`
		EditedMessage *message `json:"edited_message"`
		ChannelPost   *message `json:"channel_post"`
		CallbackQuery *struct {
			From struct {
				ID int64 `json:"id"`
			} `json:"from"`
			Message *message `json:"message"`
		} `json:"callback_query"`
	}
	if json.Unmarshal(raw, &u) != nil {
		return 0
	}
	for _, m := range []*message{u.Message, u.EditedMessage, u.ChannelPost} {
		if m != nil {
			return m.Chat.ID
		}
	}
	if cq := u.CallbackQuery; cq != nil {
		// A message Telegram no longer gives (date 0: inaccessible) is
		// not a chat to order by, as models.MaybeInaccessibleMessage reads it.
		if cq.Message != nil && cq.Message.Date != 0 {
			return cq.Message.Chat.ID
		}
		return cq.From.ID
	}
	return 0
}

// webhookWorker posts queued updates to the webhook the way Telegram does:
// the updates of one chat one after another, in order, each waiting until
// the previous one is accepted; different chats at the same time, up to
// max_connections. So one chat whose update keeps failing holds up only
// that chat.
func (s *Server) webhookWorker() {
	defer s.workers.Done()
	var posting sync.WaitGroup
	defer posting.Wait()
	for {
		s.mu.Lock()
		var start []*webhookItem
		if s.webhookURL != "" {
			start = s.nextWebhookItemsLocked()
		}
		s.mu.Unlock()
		for _, it := range start {
			posting.Add(1)
			go func() {
				defer posting.Done()
				s.deliverWebhook(it)
			}()
		}
		select {
		case <-s.webhookWake:
		case <-s.closed:
			return
		}
	}
}

// nextWebhookItemsLocked marks in flight, and returns, the first queued
// update of every chat that has none in flight, within max_connections.
func (s *Server) nextWebhookItemsLocked() []*webhookItem {
	busy := map[int64]bool{}
	n := 0
	for _, it := range s.webhookQueue {
		if it.inFlight {
			busy[it.chat] = true
			n++
		}
	}
	var out []*webhookItem
	for _, it := range s.webhookQueue {
		if n >= max(s.webhookMaxConn, 1) {
			break
		}
		if busy[it.chat] {
			continue
		}
		busy[it.chat] = true
		it.inFlight = true
		n++
		out = append(out, it)
	}
	return out
}

// deliverWebhook posts one update until the webhook accepts it (2xx), with
// WebhookRetryDelay between attempts and at most WebhookMaxAttempts
// attempts; if the webhook is deleted meanwhile, the update waits for
// getUpdates again.
func (s *Server) deliverWebhook(it *webhookItem) {
	for {
		s.mu.Lock()
		target, secret := s.webhookURL, s.webhookSecret
		s.mu.Unlock()
		status, errMsg, success := 0, "", false
		if target != "" {
			status, errMsg = s.postWebhook(target, secret, it.raw)
			success = status >= 200 && status < 300
		}

		s.mu.Lock()
		if target != "" {
			s.webhookStatuses = append(s.webhookStatuses, status)
			it.attempts++
			if !success {
				s.lastErrorDate = int(time.Now().Unix())
				s.lastErrorMsg = errMsg
			}
		}
		settled := success || it.dropped || it.attempts >= s.opts.WebhookMaxAttempts
		stillWebhook := s.webhookURL != ""
		finished := settled || !stillWebhook
		if finished {
			it.inFlight = false
			if i := slices.Index(s.webhookQueue, it); i >= 0 {
				s.webhookQueue = slices.Delete(s.webhookQueue, i, i+1)
			}
			if !settled && !it.dropped {
				s.addPendingLocked(pendingUpdate{id: it.id, raw: it.raw})
			}
			// The chat's next update may go now.
			s.wakeWebhookLocked()
		}
		it.releaseFirst()
		s.mu.Unlock()
		if finished {
			return
		}
		select {
		case <-time.After(s.opts.WebhookRetryDelay):
		case <-s.closed:
			return
		}
	}
}

func (s *Server) postWebhook(target, secret string, raw []byte) (int, string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(raw))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "Connection refused"
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, fmt.Sprintf("Wrong response from the webhook: %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
}
