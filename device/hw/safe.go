package hw

import (
	"errors"
	"sync"
	"sync/atomic"
)

// The relays AllSafe drives off: every Relay between NewRelay and Close.
var (
	relaysMu sync.Mutex
	relays   = map[*Relay]struct{}{}
	tripped  atomic.Bool // set by AllSafe(true): no relay may switch on again
)

func register(r *Relay) {
	relaysMu.Lock()
	defer relaysMu.Unlock()
	relays[r] = struct{}{}
}

func unregister(r *Relay) {
	relaysMu.Lock()
	defer relaysMu.Unlock()
	delete(relays, r)
}

// AllSafe drives every open relay to its safe state (off) now and returns
// the errors driving their pins. It does not wait for a relay's lock, so it
// works from a panicking goroutine.
func AllSafe() error {
	relaysMu.Lock()
	list := make([]*Relay, 0, len(relays))
	for r := range relays {
		list = append(list, r)
	}
	relaysMu.Unlock()
	var errs []error
	for _, r := range list {
		if err := r.forceSafe(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// SafeOnPanic is deferred first thing by main and by every goroutine of the
// firmware:
//
//	go func() {
//		defer hw.SafeOnPanic()
//		...
//	}()
//
// On a panic it forces every relay off (AllSafe), refuses any further
// switching on (commands return ErrSafeStop) and panics again with the same
// value, so the process still crashes with its stack trace. An unrecovered
// panic in any goroutine ends the whole process, so one goroutine without
// the defer is enough to skip it: defer it everywhere. After the crash,
// systemd restarts the service and NewRelay drives the relay off again at
// construction, since a GPIO line may keep its level across the process's
// death.
func SafeOnPanic() {
	if v := recover(); v != nil {
		tripped.Store(true)
		_ = AllSafe()
		panic(v)
	}
}
