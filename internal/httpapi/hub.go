package httpapi

import (
	"sync"
	"sync/atomic"
)

// DefaultHubBuffer is the number of events a [Hub] buffers per subscriber
// when NewHub is given 0.
const DefaultHubBuffer = 64

// Hub fans events out to subscribers without ever blocking the publisher:
// each subscriber has a bounded buffer, and events that do not fit are
// dropped and counted. A Station can implement Subscribe with it. The zero
// value is not usable; call [NewHub].
type Hub struct {
	buffer  int
	dropped atomic.Uint64

	mu   sync.Mutex
	subs map[chan Event]struct{}
}

// NewHub returns a Hub buffering up to buffer events per subscriber
// (DefaultHubBuffer if buffer <= 0).
func NewHub(buffer int) *Hub {
	if buffer <= 0 {
		buffer = DefaultHubBuffer
	}
	return &Hub{buffer: buffer, subs: make(map[chan Event]struct{})}
}

// Publish sends ev to every subscriber that has room; it never blocks.
func (h *Hub) Publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- ev:
		default:
			h.dropped.Add(1)
		}
	}
}

// Subscribe returns a channel of events published from now on and a cancel
// function that unsubscribes and closes the channel; cancel is idempotent.
func (h *Hub) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, h.buffer)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, ch)
			close(ch)
			h.mu.Unlock()
		})
	}
}

// Dropped returns the number of events dropped because a subscriber's
// buffer was full.
func (h *Hub) Dropped() uint64 { return h.dropped.Load() }

// Subscribers returns the number of current subscribers.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}
