package digest

import (
	"net/netip"
	"sync"
	"time"
)

// Limits bound how fast one source may guess passwords against a Server:
// after MaxFailures wrong answers within Window, the source is blocked for
// Block, and its credentials are not even checked until the block ends.
type Limits struct {
	// MaxFailures wrong answers within Window block a source; 0 means 5,
	// a negative value turns the limit off.
	MaxFailures int
	// Window is how long a wrong answer counts; 0 means 1 minute.
	Window time.Duration
	// Block is how long a source stays blocked; 0 means 5 minutes.
	Block time.Duration
	// MaxSources bounds the sources tracked at once, so that a flood
	// from many addresses cannot exhaust memory; 0 means 4096. When the
	// table is full, new sources share one entry: they are limited
	// together rather than not at all.
	MaxSources int
}

// DefaultLimits are the limits of a Server made by NewServer.
var DefaultLimits = Limits{MaxFailures: 5, Window: time.Minute, Block: 5 * time.Minute, MaxSources: 4096}

// withDefaults fills in the zero fields of l.
func (l Limits) withDefaults() Limits {
	if l.MaxFailures == 0 {
		l.MaxFailures = DefaultLimits.MaxFailures
	}
	if l.Window <= 0 {
		l.Window = DefaultLimits.Window
	}
	if l.Block <= 0 {
		l.Block = DefaultLimits.Block
	}
	if l.MaxSources <= 0 {
		l.MaxSources = DefaultLimits.MaxSources
	}
	return l
}

// ThrottleStats counts what a Throttle saw since it was made.
type ThrottleStats struct {
	// Failures are the wrong answers counted (unknown user, wrong
	// password, a nonce not ours).
	Failures uint64
	// Blocks are the times a source was blocked.
	Blocks uint64
	// Refused are the requests refused because their source was blocked.
	Refused uint64
	// Sources is how many sources are tracked now.
	Sources int
}

// Throttle counts wrong Digest answers per source address and blocks the
// sources that guess too much (see Limits). IPv6 sources are counted by
// their /64 prefix, the usual size of one customer's network. It keeps at
// most MaxSources entries. It is safe for concurrent use.
type Throttle struct {
	mu      sync.Mutex
	limits  Limits
	sources map[netip.Addr]*source
	swept   time.Time // last sweep of expired entries
	stats   ThrottleStats
	now     func() time.Time
}

// source is what a Throttle knows of one address.
type source struct {
	failures     int       // within the current window
	windowStart  time.Time // first failure of the window
	blockedUntil time.Time
}

// overflow is the key the sources share once the table is full.
var overflow = netip.IPv6Unspecified()

// NewThrottle returns a Throttle with limits l (zero fields take the
// values of DefaultLimits).
func NewThrottle(l Limits) *Throttle {
	return &Throttle{limits: l.withDefaults(), sources: make(map[netip.Addr]*source), now: time.Now}
}

// SetLimits changes the limits; it may be called while the Throttle is in
// use.
func (t *Throttle) SetLimits(l Limits) {
	t.mu.Lock()
	t.limits = l.withDefaults()
	t.mu.Unlock()
}

// Limits returns the limits in force, defaults filled in.
func (t *Throttle) Limits() Limits {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.limits
}

// key is the map key of an address: IPv4 as is, IPv6 by its /64.
func key(a netip.Addr) netip.Addr {
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// Blocked reports whether src is blocked now and, if so, for how much
// longer; a blocked request is counted as refused.
func (t *Throttle) Blocked(src netip.Addr) (time.Duration, bool) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.limits.MaxFailures < 0 {
		return 0, false
	}
	s := t.sources[key(src)]
	if s == nil {
		s = t.sources[overflow]
	}
	if s == nil || !now.Before(s.blockedUntil) {
		return 0, false
	}
	t.stats.Refused++
	return s.blockedUntil.Sub(now), true
}

// Fail counts a wrong answer from src. first reports the first failure of
// src's window (to log one event per burst, not one per guess), blocked
// that this failure blocked src.
func (t *Throttle) Fail(src netip.Addr) (first, blocked bool) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stats.Failures++
	if t.limits.MaxFailures < 0 {
		return true, false
	}
	t.sweep(now)
	k := key(src)
	s := t.sources[k]
	if s == nil {
		if len(t.sources) >= t.limits.MaxSources {
			k = overflow
			s = t.sources[k]
		}
		if s == nil {
			s = new(source)
			t.sources[k] = s
		}
	}
	if s.failures == 0 || now.Sub(s.windowStart) > t.limits.Window {
		s.failures, s.windowStart = 0, now
		first = true
	}
	s.failures++
	if s.failures >= t.limits.MaxFailures {
		s.failures = 0
		s.blockedUntil = now.Add(t.limits.Block)
		t.stats.Blocks++
		blocked = true
	}
	return first, blocked
}

// sweep drops the entries that no longer matter, at most once a Window, so
// that the cost of the scan is spread over many calls. The caller holds
// t.mu.
func (t *Throttle) sweep(now time.Time) {
	if now.Sub(t.swept) < t.limits.Window && len(t.sources) < t.limits.MaxSources {
		return
	}
	if now.Sub(t.swept) < time.Second { // a full table: at most once a second
		return
	}
	t.swept = now
	for k, s := range t.sources {
		if !now.Before(s.blockedUntil) && now.Sub(s.windowStart) > t.limits.Window {
			delete(t.sources, k)
		}
	}
}

// Stats returns the counters.
func (t *Throttle) Stats() ThrottleStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.stats
	st.Sources = len(t.sources)
	return st
}
