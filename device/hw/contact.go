package hw

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// ContactConfig describes a switch contact on an input pin: the door
// contact (active = door open) or a tamper switch (active = triggered).
type ContactConfig struct {
	// Name identifies the input in events ("door", "tamper").
	Name string
	// Pin is the input the contact is wired to.
	Pin gpio.PinIn
	// ActiveLow means the line is Low when the door is open (or the tamper
	// switch triggered). The default is active high: a normally-closed
	// contact to ground with a pull-up, so that a cut wire also reads as
	// open or triggered.
	ActiveLow bool
	// Pull is the pin's resistor. The zero value (gpio.PullNoChange) picks
	// gpio.PullUp for an active-high input and gpio.PullDown for an
	// active-low one; gpio.Float leaves it to an external resistor.
	Pull gpio.Pull
	// Debounce is how long a new level must stay before it counts; 0 means
	// DefaultDebounce. The event's Time is when the level first changed.
	Debounce time.Duration
	// HeldOpen, for a door, is how long it may stay open before a
	// DoorHeldOpen event (once per opening); 0 means never.
	HeldOpen time.Duration
	// Sink receives the events; it must not block (see Queue). Nil drops
	// them.
	Sink Sink
}

// Contact watches a debounced switch contact: a door contact (NewDoor) or a
// tamper switch (NewTamper).
type Contact struct {
	cfg             ContactConfig
	onKind, offKind Kind
	active          atomic.Bool // debounced state, for Active
}

// NewDoor returns a door contact that posts DoorOpened, DoorClosed and,
// with cfg.HeldOpen set, DoorHeldOpen.
func NewDoor(cfg ContactConfig) (*Contact, error) {
	return newContact(cfg, DoorOpened, DoorClosed)
}

// NewTamper returns a tamper input that posts Tamper when it triggers and
// TamperCleared when it returns to normal. cfg.HeldOpen is ignored.
func NewTamper(cfg ContactConfig) (*Contact, error) {
	cfg.HeldOpen = 0
	return newContact(cfg, Tamper, TamperCleared)
}

func newContact(cfg ContactConfig, on, off Kind) (*Contact, error) {
	if cfg.Pin == nil {
		return nil, fmt.Errorf("contact %q: no pin", cfg.Name)
	}
	if cfg.Debounce <= 0 {
		cfg.Debounce = DefaultDebounce
	}
	if cfg.HeldOpen < 0 {
		return nil, fmt.Errorf("contact %q: negative held-open time %v", cfg.Name, cfg.HeldOpen)
	}
	if cfg.Pull == gpio.PullNoChange {
		cfg.Pull = gpio.PullUp
		if cfg.ActiveLow {
			cfg.Pull = gpio.PullDown
		}
	}
	if err := cfg.Pin.In(cfg.Pull, gpio.BothEdges); err != nil {
		return nil, fmt.Errorf("contact %q: set up %s: %w", cfg.Name, cfg.Pin, err)
	}
	c := &Contact{cfg: cfg, onKind: on, offKind: off}
	c.active.Store(c.read())
	return c, nil
}

// Name returns the contact's configured name.
func (c *Contact) Name() string { return c.cfg.Name }

// read reports whether the line is at its active level now.
func (c *Contact) read() bool {
	return c.cfg.Pin.Read() == gpio.Level(!c.cfg.ActiveLow)
}

// Active reports the debounced state: the door open, or the tamper switch
// triggered.
func (c *Contact) Active() bool { return c.active.Load() }

// Run watches the contact until ctx is cancelled and then returns ctx's
// error. Call it once, on a goroutine its owner waits for. The state at
// start is taken as it is, without an event (the owner reads Active).
func (c *Contact) Run(ctx context.Context) error {
	var (
		stable     = c.read()
		changeAt   time.Time // when the level left stable; zero if it did not
		activeAt   time.Time // when the current active period began
		heldSent   bool
		candidate  bool
		heldOpenOn = c.cfg.HeldOpen > 0
	)
	c.active.Store(stable)
	if stable {
		activeAt = time.Now() // open at start: count from now
	}
	defer haltOnCancel(ctx, c.cfg.Pin)()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := time.Now()
		wait := PollInterval
		if !changeAt.IsZero() {
			wait = min(wait, changeAt.Add(c.cfg.Debounce).Sub(now))
		}
		if heldOpenOn && stable && !heldSent {
			wait = min(wait, activeAt.Add(c.cfg.HeldOpen).Sub(now))
		}
		if wait > 0 {
			c.cfg.Pin.WaitForEdge(wait)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		now = time.Now()
		level := c.read()
		switch {
		case level == stable:
			changeAt = time.Time{} // bounced back
		case changeAt.IsZero() || level != candidate:
			candidate, changeAt = level, now
		}
		if !changeAt.IsZero() && now.Sub(changeAt) >= c.cfg.Debounce {
			at := changeAt
			stable = candidate
			changeAt = time.Time{}
			c.active.Store(stable)
			if stable {
				activeAt, heldSent = at, false
				post(c.cfg.Sink, Event{Kind: c.onKind, Name: c.cfg.Name, Time: at})
			} else {
				post(c.cfg.Sink, Event{Kind: c.offKind, Name: c.cfg.Name, Time: at, Duration: at.Sub(activeAt)})
			}
		}
		if heldOpenOn && stable && !heldSent && now.Sub(activeAt) >= c.cfg.HeldOpen {
			heldSent = true
			post(c.cfg.Sink, Event{Kind: DoorHeldOpen, Name: c.cfg.Name, Time: now, Duration: now.Sub(activeAt)})
		}
	}
}
