package hw

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// newPin returns a fake pin whose edges the test drives. Call it inside the
// synctest bubble, so that a watcher blocked on its edges is durably blocked.
func newPin(name string) *gpiotest.Pin {
	return &gpiotest.Pin{N: name, EdgesChan: make(chan gpio.Level, 64)}
}

// edge makes the pin see an edge to level l and lets the watcher handle it.
func edge(p *gpiotest.Pin, l gpio.Level) {
	p.EdgesChan <- l
	synctest.Wait()
}

// bounce makes the pin chatter n times, step apart, between !settle and
// settle, ending on settle.
func bounce(p *gpiotest.Pin, settle gpio.Level, n int, step time.Duration) {
	for range n {
		time.Sleep(step)
		edge(p, !settle)
		time.Sleep(step)
		edge(p, settle)
	}
}

// start runs run on a goroutine and returns the function that cancels it
// and checks that it ended with the context's error.
func start(t *testing.T, run func(context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	synctest.Wait()
	return func() {
		t.Helper()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	}
}

// recorder is a Sink that keeps every event.
type recorder struct {
	mu sync.Mutex
	ev []Event
}

func (r *recorder) Post(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ev = append(r.ev, e)
}

func (r *recorder) events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ev)
}

func (r *recorder) kinds() []Kind {
	var ks []Kind
	for _, e := range r.events() {
		ks = append(ks, e.Kind)
	}
	return ks
}

func (r *recorder) count(k Kind) int {
	n := 0
	for _, e := range r.events() {
		if e.Kind == k {
			n++
		}
	}
	return n
}
