package hw

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// errClosed is returned by commands to a relay after Close.
var errClosed = errors.New("closed")

// Relay defaults.
const (
	// DefaultPulse is the length of Pulse(0).
	DefaultPulse = 3 * time.Second
	// DefaultMaxOn is the longest a relay may stay on, whatever the
	// commands, when RelayConfig.MaxOn is 0.
	DefaultMaxOn = 10 * time.Second
)

// ErrResting is returned by commands that would switch a relay on while it
// rests after its maximum on-time forced it off.
var ErrResting = errors.New("relay: resting after its maximum on-time")

// ErrSafeStop is returned by commands that would switch a relay on after
// AllSafe ran (a goroutine panicked): the process is going down and stays
// safe until it restarts.
var ErrSafeStop = errors.New("relay: forced safe after a panic")

// RelayConfig describes the door relay (or any relay) on an output pin.
type RelayConfig struct {
	// Name identifies the relay in events ("door").
	Name string
	// Pin is the output driving the relay (through its transistor or
	// opto-coupler).
	Pin gpio.PinOut
	// ActiveLow means the relay is on while the pin is Low (common on
	// relay boards with an opto-coupler); the default is active high. Off
	// is the safe state, so off is the inactive level.
	ActiveLow bool
	// Pulse is the length of Pulse(0); 0 means DefaultPulse.
	Pulse time.Duration
	// MaxOn is the longest the relay stays on in one go, whatever the
	// commands: a timer forces it off then. 0 means DefaultMaxOn.
	MaxOn time.Duration
	// Rest is how long the relay stays off, whatever the commands, after
	// MaxOn forced it off: a caller that keeps pulsing cannot keep the door
	// unlocked, and a door strike's coil cools down. 0 means MaxOn.
	Rest time.Duration
	// Sink receives RelayOn, RelayOff and RelayMaxOnTime; nil drops them.
	Sink Sink
}

// RelayState is a snapshot of a relay.
type RelayState struct {
	// On is whether the relay is on now.
	On bool
	// Since is when it last switched (on or off); zero if it never did.
	Since time.Time
	// LastPulse is when the last Pulse started; zero if none did.
	LastPulse time.Time
	// LastPulseLength is the length granted to the last Pulse (after the
	// MaxOn cap).
	LastPulseLength time.Duration
	// Pulses counts the Pulse commands that switched or kept it on.
	Pulses int
	// MaxOnTrips counts how often MaxOn forced the relay off.
	MaxOnTrips int
	// Err is the last error driving the pin, if any.
	Err error
}

// Relay drives a relay output. Its safe state is off: it is driven off when
// constructed, on Close, when MaxOn runs out (after which it rests for
// Rest), and by AllSafe (SafeOnPanic).
// A pin's level survives the process, so after a crash and a restart by
// systemd it is NewRelay, run first thing at start-up, that makes the relay
// safe again.
//
// A Relay is safe for concurrent use. It needs no goroutine of its own: the
// timers that end a pulse and enforce MaxOn run by themselves.
type Relay struct {
	cfg RelayConfig

	mu       sync.Mutex
	state    RelayState
	deadline time.Time   // when the current on period ends
	limit    time.Time   // onSince + MaxOn: no command goes past it
	restEnd  time.Time   // after a MaxOn trip: no switching on before
	timer    *time.Timer // fires at deadline
	gen      uint64      // invalidates timers of earlier on periods
	closed   bool
}

// NewRelay checks cfg, fills in its defaults, drives the relay off and
// registers it with AllSafe.
func NewRelay(cfg RelayConfig) (*Relay, error) {
	if cfg.Pin == nil {
		return nil, fmt.Errorf("relay %q: no pin", cfg.Name)
	}
	if cfg.MaxOn <= 0 {
		cfg.MaxOn = DefaultMaxOn
	}
	if cfg.Pulse <= 0 {
		cfg.Pulse = DefaultPulse
	}
	cfg.Pulse = min(cfg.Pulse, cfg.MaxOn)
	if cfg.Rest <= 0 {
		cfg.Rest = cfg.MaxOn
	}
	r := &Relay{cfg: cfg}
	if err := r.drive(false); err != nil {
		return nil, fmt.Errorf("relay %q: drive safe: %w", cfg.Name, err)
	}
	register(r)
	return r, nil
}

// Name returns the relay's configured name.
func (r *Relay) Name() string { return r.cfg.Name }

// MaxOn returns the relay's maximum on-time.
func (r *Relay) MaxOn() time.Duration { return r.cfg.MaxOn }

// drive sets the pin to on or off.
func (r *Relay) drive(on bool) error {
	return r.cfg.Pin.Out(gpio.Level(on != r.cfg.ActiveLow))
}

// Pulse switches the relay on for d (the configured Pulse if d <= 0), never
// past MaxOn from when it switched on. A Pulse while the relay is on extends
// the on period to now+d, capped the same way.
func (r *Relay) Pulse(d time.Duration) error {
	if d <= 0 {
		d = r.cfg.Pulse
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	granted, err := r.onLocked(now, now.Add(d))
	if err != nil {
		return err
	}
	r.state.Pulses++
	r.state.LastPulse = now
	r.state.LastPulseLength = granted
	return nil
}

// Hold switches the relay on until Hold(false) (or Off), or off. On is still
// capped by MaxOn.
func (r *Relay) Hold(on bool) error {
	if !on {
		return r.Off()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	_, err := r.onLocked(now, now.Add(r.cfg.MaxOn))
	return err
}

// onLocked switches on (or keeps on) until until, capped by MaxOn; it
// returns the on-time granted from now.
func (r *Relay) onLocked(now, until time.Time) (time.Duration, error) {
	if r.closed {
		return 0, fmt.Errorf("relay %q: %w", r.cfg.Name, errClosed)
	}
	if tripped.Load() {
		return 0, fmt.Errorf("relay %q: %w", r.cfg.Name, ErrSafeStop)
	}
	if !r.state.On {
		if now.Before(r.restEnd) {
			return 0, fmt.Errorf("relay %q: %w until %v", r.cfg.Name, ErrResting, r.restEnd.Sub(now))
		}
		if err := r.drive(true); err != nil {
			r.state.Err = err
			_ = r.drive(false)
			return 0, fmt.Errorf("relay %q: switch on: %w", r.cfg.Name, err)
		}
		r.state.On, r.state.Since = true, now
		r.limit = now.Add(r.cfg.MaxOn)
		r.deadline = time.Time{}
		post(r.cfg.Sink, Event{Kind: RelayOn, Name: r.cfg.Name, Time: now})
	}
	if until.After(r.limit) {
		until = r.limit
	}
	if until.After(r.deadline) {
		r.deadline = until
		r.armLocked(now)
	}
	return until.Sub(now), nil
}

// armLocked (re)starts the timer that ends the current on period.
func (r *Relay) armLocked(now time.Time) {
	if r.timer != nil {
		r.timer.Stop()
	}
	r.gen++
	gen := r.gen
	r.timer = time.AfterFunc(r.deadline.Sub(now), func() { r.expire(gen) })
}

// expire ends the on period the timer of generation gen was armed for.
func (r *Relay) expire(gen uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if gen != r.gen || !r.state.On {
		return
	}
	now := time.Now()
	if !now.Before(r.limit) {
		r.state.MaxOnTrips++
		r.restEnd = now.Add(r.cfg.Rest)
		post(r.cfg.Sink, Event{Kind: RelayMaxOnTime, Name: r.cfg.Name, Time: now, Duration: now.Sub(r.state.Since)})
	}
	r.offLocked(now)
}

// Off switches the relay off now.
func (r *Relay) Off() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.offLocked(time.Now())
}

// offLocked drives the pin off (always, even if the state says off) and
// records it.
func (r *Relay) offLocked(now time.Time) error {
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	r.gen++
	err := r.drive(false)
	if err != nil {
		r.state.Err = err
		err = fmt.Errorf("relay %q: switch off: %w", r.cfg.Name, err)
	}
	if r.state.On {
		on := now.Sub(r.state.Since)
		r.state.On, r.state.Since = false, now
		post(r.cfg.Sink, Event{Kind: RelayOff, Name: r.cfg.Name, Time: now, Duration: on})
	}
	return err
}

// State returns a snapshot of the relay.
func (r *Relay) State() RelayState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// Close switches the relay off for good and unregisters it from AllSafe;
// later commands fail. Close is idempotent.
func (r *Relay) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.offLocked(time.Now())
	if !r.closed {
		r.closed = true
		unregister(r)
	}
	return err
}

// forceSafe drives the pin off without waiting for the relay's lock if it is
// held (AllSafe may run while a panicking goroutine held it), then records
// the state when it can.
func (r *Relay) forceSafe() error {
	err := r.drive(false)
	if r.mu.TryLock() {
		defer r.mu.Unlock()
		if offErr := r.offLocked(time.Now()); err == nil {
			err = offErr
		}
	}
	return err
}
