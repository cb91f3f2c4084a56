package sdnotify

import (
	"context"
	"sync"
	"time"
)

// A Monitor turns systemd's service watchdog into a liveness check of the
// loops that matter: each monitored loop calls Beat with its name every time
// round, and Run sends WATCHDOG=1 every half interval only while every loop
// registered so far has beaten since the previous ping. A stuck loop thus
// stops the pings, and systemd restarts the service after WatchdogSec.
// (The type is not called Watchdog: that is the function sending one ping.)
//
// A loop is registered by its first Beat (or by Register, to watch it from
// the start). Unregister drops a loop that ends on purpose, such as a call's
// media loop when the call hangs up.
type Monitor struct {
	interval time.Duration
	send     func() error // WATCHDOG=1; replaced in tests

	mu    sync.Mutex
	loops map[string]bool // name -> beaten since the last ping
}

// NewWatchdog returns a Monitor for systemd's watchdog timeout interval,
// as WatchdogInterval reports it.
func NewWatchdog(interval time.Duration) *Monitor {
	return &Monitor{interval: interval, send: Watchdog, loops: make(map[string]bool)}
}

// Register adds a loop that must beat before the next ping, without marking
// it as having beaten.
func (w *Monitor) Register(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.loops[name]; !ok {
		w.loops[name] = false
	}
}

// Unregister stops watching a loop.
func (w *Monitor) Unregister(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.loops, name)
}

// Beat records that the named loop is alive, registering it if new.
func (w *Monitor) Beat(name string) {
	w.mu.Lock()
	w.loops[name] = true
	w.mu.Unlock()
}

// healthy reports whether every registered loop has beaten since the last
// call, and starts a new round.
func (w *Monitor) healthy() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	ok := true
	for name, beaten := range w.loops {
		if !beaten {
			ok = false
		}
		w.loops[name] = false
	}
	return ok
}

// Run pings systemd every half interval while all loops are alive, until
// ctx ends. It returns ctx's error; a failed send is not fatal (systemd will
// notice the missing pings), so Run keeps going. A non-positive interval
// means no watchdog: Run just waits for ctx.
func (w *Monitor) Run(ctx context.Context) error {
	if w.interval <= 0 {
		<-ctx.Done()
		return ctx.Err()
	}
	t := time.NewTicker(w.interval / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if w.healthy() {
				_ = w.send()
			}
		}
	}
}
