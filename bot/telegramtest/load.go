package telegramtest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Load generation for `make bench` (cmd/faketelegram, scripts/bench.sh):
// users write to the bot through the webhook, the way Telegram would, and
// each update's latency is measured at this server, from the moment the
// update was due to leave until the bot's first sendMessage in that chat
// arrives. Measuring from the due time, not from when the POST actually
// left, keeps a slow bot from hiding its own queueing (coordinated
// omission): in an open run a late update counts late.

// LoadSpec is one load run. Exactly one of Closed, Rate or Burst is set.
type LoadSpec struct {
	// Users write in their private chats, taken in turn.
	Users []User `json:"users"`
	// Text is what every user writes ("/balance", a menu button's label…).
	Text string `json:"text"`
	// Press, instead of writing, makes each user press the first button of
	// row Row of the bot's last message in his chat, with the callback data
	// the button carries at that moment (an attendance sheet whose version
	// moves with every tap). The bot's answer is then its next sendMessage
	// or editMessageText in that chat.
	Press bool `json:"press,omitempty"`
	Row   int  `json:"row,omitempty"`
	// Rotate makes a closed loop take the users in turn: each writer's
	// next message comes from the next user of the list, so that with
	// enough users no chat writes more often than Telegram's 1 a second
	// and the run measures the bot, not its per-chat pacing.
	Rotate bool `json:"rotate,omitempty"`
	// Closed, when positive, is a closed loop: that many users at once,
	// each writing his next message only once the bot answered the
	// previous one (and Telegram's POST of it returned).
	Closed int `json:"closed,omitempty"`
	// Rate, when positive, is an open loop: that many updates a second
	// whatever the answers.
	Rate float64 `json:"rate,omitempty"`
	// Burst: every user writes once, all at the same moment.
	Burst bool `json:"burst,omitempty"`
	// Duration is how long a closed or open run writes.
	Duration time.Duration `json:"duration,omitempty"`
	// Rounds, in a closed loop, is how many messages each writer writes
	// at least, however long it takes (1 when zero): a test then knows
	// its count whatever the machine's speed.
	Rounds int `json:"rounds,omitempty"`
	// Wait is how long answers are waited for after the last message
	// (10 s when zero); an update not answered by then counts as lost.
	Wait time.Duration `json:"wait,omitempty"`
}

// LoadResult is what a run measured. Latencies are in milliseconds.
type LoadResult struct {
	Sent     int `json:"sent"`
	Answered int `json:"answered"`
	// Seconds is from the first update until the last answer (Burst), or
	// the writing time (Closed, Rate).
	Seconds float64 `json:"seconds"`
	// PerSecond is answers per second of writing time.
	PerSecond float64 `json:"per_second"`
	P50       float64 `json:"p50_ms"`
	P99       float64 `json:"p99_ms"`
	Max       float64 `json:"max_ms"`
	// Limited is how many sends Options.Limits refused with 429 meanwhile.
	Limited int `json:"limited"`
	// Extra is how many bot messages came with no update waiting for one
	// in their chat (a second message for one update).
	Extra int `json:"extra"`
}

// loadWaiter is one update waiting for its answer.
type loadWaiter struct {
	due  time.Time
	at   time.Time // when the answer arrived
	done chan struct{}
}

// loadState matches the bot's messages to the updates waiting for them,
// per chat in order. Its own lock: the hook runs under Server.mu.
type loadState struct {
	mu    sync.Mutex
	chats map[int64][]*loadWaiter
	extra int
	// edits: an editMessageText answers too (Press runs).
	edits bool
}

// answered is called by recordLocked for every accepted sendMessage.
func (l *loadState) answered(chatID int64, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.chats[chatID]
	if len(q) == 0 {
		l.extra++
		return
	}
	w := q[0]
	l.chats[chatID] = q[1:]
	w.at = at
	close(w.done)
}

func (l *loadState) wait(chatID int64, due time.Time) *loadWaiter {
	w := &loadWaiter{due: due, done: make(chan struct{})}
	l.mu.Lock()
	l.chats[chatID] = append(l.chats[chatID], w)
	l.mu.Unlock()
	return w
}

// forget takes a waiter that timed out out of its chat's queue, so that a
// late answer does not count for the next update.
func (l *loadState) forget(chatID int64, w *loadWaiter) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i := slices.Index(l.chats[chatID], w); i >= 0 {
		l.chats[chatID] = slices.Delete(l.chats[chatID], i, i+1)
	}
}

// ErrLoadBusy is returned when a load run is asked for during another.
var ErrLoadBusy = errors.New("telegramtest: a load run is already going on")

// RunLoad runs spec against the bot behind the webhook and measures it.
func (s *Server) RunLoad(ctx context.Context, spec LoadSpec) (LoadResult, error) {
	if len(spec.Users) == 0 || (spec.Text == "" && !spec.Press) {
		return LoadResult{}, errors.New("telegramtest: a load run needs users and a text or a press")
	}
	if spec.Wait <= 0 {
		spec.Wait = 10 * time.Second
	}
	ls := &loadState{chats: map[int64][]*loadWaiter{}, edits: spec.Press}
	s.mu.Lock()
	if s.load != nil {
		s.mu.Unlock()
		return LoadResult{}, ErrLoadBusy
	}
	s.load = ls
	limited0 := s.limited
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.load = nil
		s.mu.Unlock()
	}()

	var (
		mu      sync.Mutex
		waiters []*loadWaiter
		wg      sync.WaitGroup
	)
	send := func(u User, due time.Time) *loadWaiter {
		w := ls.wait(u.ID, due)
		mu.Lock()
		waiters = append(waiters, w)
		mu.Unlock()
		if spec.Press {
			s.pressLast(u, spec.Row)
		} else {
			s.SendText(u, spec.Text)
		}
		return w
	}
	start := time.Now()
	end := start.Add(spec.Duration)
	switch {
	case spec.Closed > 0:
		var next atomic.Int64
		next.Store(int64(spec.Closed) - 1)
		for i := 0; i < spec.Closed; i++ {
			u := spec.Users[i%len(spec.Users)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Each writer sends his Rounds messages whatever the time, so
				// a run on a starved machine still measures something and
				// its count is known.
				rounds := max(spec.Rounds, 1)
				for k := 0; (k < rounds || time.Now().Before(end)) && ctx.Err() == nil; k++ {
					first := k == 0
					if spec.Rotate && !first {
						u = spec.Users[int(next.Add(1))%len(spec.Users)]
					}
					w := send(u, time.Now())
					select {
					case <-w.done:
					case <-time.After(spec.Wait):
						ls.forget(u.ID, w)
					case <-ctx.Done():
					}
				}
			}()
		}
	case spec.Rate > 0:
		gap := time.Duration(float64(time.Second) / spec.Rate)
		for k := 0; ctx.Err() == nil; k++ {
			due := start.Add(time.Duration(k) * gap)
			if !due.Before(end) {
				break
			}
			time.Sleep(time.Until(due))
			u := spec.Users[k%len(spec.Users)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				send(u, due)
			}()
		}
	case spec.Burst:
		for _, u := range spec.Users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				send(u, start)
			}()
		}
	default:
		return LoadResult{}, errors.New("telegramtest: a load run is closed, open (rate) or a burst")
	}
	wg.Wait()
	writing := time.Since(start)
	// Every update has left; wait for the answers still due.
	wctx, cancel := context.WithTimeout(ctx, spec.Wait)
	defer cancel()
	var lat []time.Duration
	var last time.Time
	mu.Lock()
	all := waiters
	mu.Unlock()
	res := LoadResult{Sent: len(all)}
	for _, w := range all {
		select {
		case <-w.done:
		case <-wctx.Done():
		}
		select {
		case <-w.done:
			lat = append(lat, w.at.Sub(w.due))
			if w.at.After(last) {
				last = w.at
			}
		default:
		}
	}
	res.Answered = len(lat)
	res.Seconds = writing.Seconds()
	if spec.Burst && !last.IsZero() {
		res.Seconds = last.Sub(start).Seconds()
	}
	if (spec.Closed > 0 || spec.Rate > 0) && spec.Duration > 0 {
		res.PerSecond = float64(res.Answered) / spec.Duration.Seconds()
	} else if res.Seconds > 0 {
		res.PerSecond = float64(res.Answered) / res.Seconds
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		res.P50 = ms(lat[(len(lat)-1)*50/100])
		res.P99 = ms(lat[(len(lat)-1)*99/100])
		res.Max = ms(lat[len(lat)-1])
	}
	s.mu.Lock()
	res.Limited = s.limited - limited0
	s.mu.Unlock()
	ls.mu.Lock()
	res.Extra = ls.extra
	ls.mu.Unlock()
	return res, nil
}

// pressLast presses, as u, the first button of row row of the bot's last
// message in u's chat that has one (a warning the bot sent since does not
// hide the sheet above it), with the data it carries now; nothing when
// there is no such button (the run then counts the update as unanswered).
func (s *Server) pressLast(u User, row int) {
	// Looked for under the lock, newest first, without copying the chat:
	// a staff member's chat grows by a message a tap over a run.
	var id int
	var data string
	s.mu.Lock()
	if c := s.chats[u.ID]; c != nil {
		for i := len(c.msgs) - 1; i >= 0; i-- {
			if m := c.msgs[i]; !m.Deleted && row < len(m.InlineKeyboard) && len(m.InlineKeyboard[row]) > 0 {
				id, data = m.ID, m.InlineKeyboard[row][0].CallbackData
				break
			}
		}
	}
	s.mu.Unlock()
	if id != 0 {
		s.PressButton(u, id, data)
	}
}

// ControlHandler is the HTTP side of the fake for a load generator in
// another process: POST /load with a LoadSpec in JSON runs it and answers
// the LoadResult; GET /webhook answers the webhook URL currently set (to
// know a bot is ready for updates); GET /last?chat=ID the bot's last text
// there.
func (s *Server) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /load", func(w http.ResponseWriter, r *http.Request) {
		var spec LoadSpec
		if err := json.NewDecoder(r.Body).Decode(&spec); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		res, err := s.RunLoad(r.Context(), spec)
		if err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(res)
	})
	// GET /last?chat=ID: the text of the bot's last message in a chat, so
	// that a report can show the answers measured were real ones.
	mux.HandleFunc("GET /last", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.URL.Query().Get("chat"), 10, 64)
		m, _ := s.LastMessage(id)
		_, _ = w.Write([]byte(m.PlainText))
	})
	mux.HandleFunc("GET /webhook", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(s.WebhookURL()))
	})
	return mux
}
