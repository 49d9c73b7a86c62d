package telegramtest

import (
	"strings"
	"sync"
)

// Held is a hold on the calls to one method (Server.Hold).
type Held struct {
	s       *Server
	method  string
	n       int
	waiting int
	most    int
	arrived chan struct{}
	free    chan struct{}
	once    sync.Once
}

// Hold makes every call to method (case-insensitive) wait, before it takes
// effect, until Release; Arrived is closed once n calls wait at once. It
// shows without timing that a client makes its calls concurrently: one
// making them one after another never has a second call waiting, and a
// bound on the calls in flight shows in Most. Closing the server releases
// them too.
func (s *Server) Hold(method string, n int) *Held {
	h := &Held{s: s, method: method, n: max(n, 1), arrived: make(chan struct{}), free: make(chan struct{})}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holds = append(s.holds, h)
	return h
}

// Arrived is closed once n calls wait at once.
func (h *Held) Arrived() <-chan struct{} { return h.arrived }

// Most is the most calls that waited at once.
func (h *Held) Most() int {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	return h.most
}

// Release lets the calls waiting go on, and the next ones through at once.
// It may be called more than once.
func (h *Held) Release() {
	h.once.Do(func() {
		h.s.mu.Lock()
		defer h.s.mu.Unlock()
		for i, o := range h.s.holds {
			if o == h {
				h.s.holds = append(h.s.holds[:i], h.s.holds[i+1:]...)
				break
			}
		}
		close(h.free)
	})
}

// waitIfHeld makes a call to method wait while a hold is on it.
func (s *Server) waitIfHeld(method string) {
	s.mu.Lock()
	var h *Held
	for _, o := range s.holds {
		if strings.EqualFold(o.method, method) {
			h = o
			break
		}
	}
	if h == nil {
		s.mu.Unlock()
		return
	}
	h.waiting++
	h.most = max(h.most, h.waiting)
	if h.waiting == h.n && h.most == h.n {
		close(h.arrived) // the first time only: most grows past n after it
	}
	s.mu.Unlock()
	select {
	case <-h.free:
	case <-s.closed:
	}
	s.mu.Lock()
	h.waiting--
	s.mu.Unlock()
}
