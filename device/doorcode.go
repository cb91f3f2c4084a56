package device

import (
	"crypto/subtle"
	"errors"
	"strings"
	"sync"
	"time"
)

// CodeResult is what a DTMF digit did to the door code being entered.
type CodeResult int

// Results of CodeLock.Digit.
const (
	// CodePending: the digits so far may still become a code.
	CodePending CodeResult = iota
	// CodeOpen: a valid code was entered; open the door.
	CodeOpen
	// CodeWrong: the digits cannot become a code; they were discarded and
	// the failure counted.
	CodeWrong
	// CodeLocked: too many wrong codes; digits are ignored for a while.
	CodeLocked
)

func (r CodeResult) String() string {
	return [...]string{"pending", "open", "wrong", "locked"}[r]
}

// CodeLockConfig configures a CodeLock.
type CodeLockConfig struct {
	// Codes open the door from any call, each a string of 0-9, *, #, A-D
	// ("1#", "2580#").
	Codes []string
	// TargetCodes open it only in calls with that target (a flat's own
	// codes), by target URI.
	TargetCodes map[string][]string
	// DigitTimeout discards a half-entered code after this pause; default
	// 5 s.
	DigitTimeout time.Duration
	// MaxFailures wrong codes within Lockout lock the door for Lockout;
	// defaults 3 and 5 minutes.
	MaxFailures int
	Lockout     time.Duration
	// MaxLockout bounds the lockout, which doubles with each lockout that
	// follows another without a good code in between, so that a patient
	// guesser gets ever fewer tries: 3 in the first 5 minutes, about 75 a
	// day after the first hours. Default 1 hour; it is never below
	// Lockout.
	MaxLockout time.Duration
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
}

// CodeLock checks door codes entered as DTMF digits during calls: digits
// time out, codes are compared in constant time, and repeated wrong codes
// lock it out (for every call, since whoever guesses can call again), for
// longer each time up to MaxLockout: that bounds the rate of guesses, by
// RFC 4733 events, SIP INFO or any mix, to about 75 a day. It is safe for
// concurrent use.
type CodeLock struct {
	cfg CodeLockConfig

	mu          sync.Mutex
	entered     []byte
	discarding  bool // after a wrong digit, until '#' or a pause
	target      string
	last        time.Time
	failures    []time.Time // times of recent wrong codes
	lockedUntil time.Time
	lockout     time.Duration // the next lockout; doubles up to MaxLockout
}

// NewCodeLock checks the codes and returns a CodeLock.
func NewCodeLock(cfg CodeLockConfig) (*CodeLock, error) {
	if cfg.DigitTimeout <= 0 {
		cfg.DigitTimeout = 5 * time.Second
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 3
	}
	if cfg.Lockout <= 0 {
		cfg.Lockout = 5 * time.Minute
	}
	if cfg.MaxLockout <= 0 {
		cfg.MaxLockout = time.Hour
	}
	cfg.MaxLockout = max(cfg.MaxLockout, cfg.Lockout)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	all := append([]string(nil), cfg.Codes...)
	for _, cs := range cfg.TargetCodes {
		all = append(all, cs...)
	}
	for _, c := range all {
		if c == "" || strings.Trim(c, "0123456789*#ABCD") != "" {
			return nil, errors.New("device: a door code must be digits 0-9, *, #, A-D")
		}
	}
	return &CodeLock{cfg: cfg}, nil
}

// Digit takes one DTMF digit pressed in a call with target (the URI this
// station called, or "" for a call it received) and says what it did. A
// digit that no code can follow makes the attempt wrong, once: the digits
// after it are ignored until '#' or a pause of DigitTimeout, so that one
// mistyped code counts as one failure.
func (l *CodeLock) Digit(target string, digit byte) CodeResult {
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.lockedUntil) {
		return CodeLocked
	}
	if target != l.target || now.Sub(l.last) > l.cfg.DigitTimeout {
		l.entered = l.entered[:0]
		l.target = target
		l.discarding = false
	}
	l.last = now
	if l.discarding { // the rest of a wrong attempt counts no more
		l.discarding = digit != '#'
		return CodePending
	}
	l.entered = append(l.entered, digit)
	open, prefix := l.match(target)
	switch {
	case open:
		l.entered = l.entered[:0]
		l.failures = l.failures[:0]
		l.lockout = 0
		return CodeOpen
	case prefix:
		return CodePending
	}
	l.entered = l.entered[:0]
	l.discarding = digit != '#'
	return l.fail(now)
}

// match compares what was entered with every code the call may use, each
// in constant time and all of them every time, so that timing tells
// nothing about how close a guess was.
func (l *CodeLock) match(target string) (open, prefix bool) {
	check := func(code string) {
		c := []byte(code)
		if len(c) == len(l.entered) {
			open = subtle.ConstantTimeCompare(c, l.entered) == 1 || open
		}
		if len(c) > len(l.entered) {
			prefix = subtle.ConstantTimeCompare(c[:len(l.entered)], l.entered) == 1 || prefix
		}
	}
	for _, c := range l.cfg.Codes {
		check(c)
	}
	for _, c := range l.cfg.TargetCodes[target] {
		check(c)
	}
	return open, prefix
}

// fail counts a wrong code and locks out after too many. The caller holds
// l.mu.
func (l *CodeLock) fail(now time.Time) CodeResult {
	kept := l.failures[:0]
	for _, t := range l.failures {
		if now.Sub(t) < l.cfg.Lockout {
			kept = append(kept, t)
		}
	}
	l.failures = append(kept, now)
	if l.lockout > 0 && now.Sub(l.lockedUntil) > l.cfg.MaxLockout {
		l.lockout = 0 // quiet for long: the guessing is over
	}
	if len(l.failures) >= l.cfg.MaxFailures {
		if l.lockout == 0 {
			l.lockout = l.cfg.Lockout
		}
		l.lockedUntil = now.Add(l.lockout)
		l.lockout = min(2*l.lockout, l.cfg.MaxLockout)
		l.failures = l.failures[:0]
		return CodeLocked
	}
	return CodeWrong
}

// Locked reports whether wrong codes have locked the door out now.
func (l *CodeLock) Locked() bool {
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	return now.Before(l.lockedUntil)
}
