package hw

import (
	"context"
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// PollInterval bounds every WaitForEdge of an input watcher, for pins
// whose Halt does not end a wait (periph's gpiotest). A cancelled context
// halts the pin, which ends the wait at once on the GPIO character device
// and the simulated board. It was 100 ms, then 1 s: an idle station woke
// 39, then 4 times a second for one button; a wake-up every 30 s per
// input costs nothing measurable.
const PollInterval = 30 * time.Second

// haltOnCancel halts pin when ctx is cancelled, ending a pending
// WaitForEdge; the watcher calls the returned stop when it returns. A Halt
// that comes just before a wait begins is lost (periph's GPIO line sets its
// read deadline as the wait starts), so the pin is halted again every
// 10 ms, for up to 5 s, until the watcher has returned.
func haltOnCancel(ctx context.Context, pin gpio.PinIn) (stop func()) {
	returned := make(chan struct{})
	stopAfter := context.AfterFunc(ctx, func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for range 500 {
			_ = pin.Halt()
			select {
			case <-returned:
				return
			case <-t.C:
			}
		}
	})
	return func() { close(returned); stopAfter() }
}

// Button defaults.
const (
	// DefaultDebounce is how long edges are ignored after a press or a
	// release is seen (contact bounce).
	DefaultDebounce = 50 * time.Millisecond
	// DefaultRepeat is how long after a reported press another press of the
	// same button is not reported again.
	DefaultRepeat = time.Second
)

// ButtonConfig describes a push button on an input pin.
type ButtonConfig struct {
	// Name identifies the button in events ("flat1").
	Name string
	// Pin is the input the button is wired to.
	Pin gpio.PinIn
	// ActiveHigh means the line is High while pressed (button to 3V3 with a
	// pull-down). The default is active low: button to ground, pull-up.
	ActiveHigh bool
	// Pull is the pin's resistor. The zero value (gpio.PullNoChange) picks
	// gpio.PullUp for an active-low button and gpio.PullDown for an
	// active-high one; gpio.Float leaves it to an external resistor.
	Pull gpio.Pull
	// Debounce is how long edges are ignored after a press or a release is
	// seen; 0 means DefaultDebounce. The press itself is reported on the
	// first edge: debouncing adds no latency.
	Debounce time.Duration
	// Repeat is the hold-off after a reported press during which further
	// presses are not reported; 0 means DefaultRepeat, negative none.
	Repeat time.Duration
	// LongPress is how long the button must stay pressed for a LongPress
	// event (once per press); 0 means no long-press detection.
	LongPress time.Duration
	// Sink receives the events; it must not block (see Queue). Nil drops
	// them.
	Sink Sink
}

// Button watches a push button and posts ButtonPressed, ButtonReleased and
// LongPress events.
type Button struct {
	cfg ButtonConfig
}

// NewButton checks cfg, fills in its defaults and sets the pin up as an
// input with its pull and edge detection on both edges.
func NewButton(cfg ButtonConfig) (*Button, error) {
	if cfg.Pin == nil {
		return nil, fmt.Errorf("button %q: no pin", cfg.Name)
	}
	if cfg.Debounce <= 0 {
		cfg.Debounce = DefaultDebounce
	}
	if cfg.Repeat == 0 {
		cfg.Repeat = DefaultRepeat
	}
	if cfg.Repeat < 0 {
		cfg.Repeat = 0
	}
	if cfg.LongPress < 0 {
		return nil, fmt.Errorf("button %q: negative long press %v", cfg.Name, cfg.LongPress)
	}
	if cfg.Pull == gpio.PullNoChange {
		cfg.Pull = gpio.PullUp
		if cfg.ActiveHigh {
			cfg.Pull = gpio.PullDown
		}
	}
	if err := cfg.Pin.In(cfg.Pull, gpio.BothEdges); err != nil {
		return nil, fmt.Errorf("button %q: set up %s: %w", cfg.Name, cfg.Pin, err)
	}
	return &Button{cfg: cfg}, nil
}

// Name returns the button's configured name.
func (b *Button) Name() string { return b.cfg.Name }

// Pressed reads the pin now and reports whether the button is held
// (undebounced).
func (b *Button) Pressed() bool {
	return b.cfg.Pin.Read() == gpio.Level(b.cfg.ActiveHigh)
}

// Run watches the button until ctx is cancelled and then returns ctx's
// error. Call it once, on a goroutine its owner waits for.
//
// A press is reported at the first edge to the active level. Then edges are
// ignored for Debounce, after which the pin is read again to learn whether
// the button is still held; the release is handled the same way. A press
// within Repeat of the last reported one is tracked (for LongPress) but not
// reported, nor is its release unless its long press was.
func (b *Button) Run(ctx context.Context) error {
	var (
		held        = b.Pressed() // debounced state
		pressStart  time.Time
		longSent    = true // no long press pending until a press is seen
		reported    bool   // the current press (or its long press) was reported
		lastPress   time.Time
		ignoreUntil time.Time
	)
	defer haltOnCancel(ctx, b.cfg.Pin)()
	// A button held at start-up (stuck, or pressed while booting) is not a
	// press; its release is not reported either.
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := time.Now()
		wait := PollInterval
		if d := ignoreUntil.Sub(now); d > 0 {
			wait = min(wait, d)
		}
		if held && !longSent {
			wait = min(wait, pressStart.Add(b.cfg.LongPress).Sub(now))
		}
		if wait > 0 {
			b.cfg.Pin.WaitForEdge(wait)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		now = time.Now()
		if now.Before(ignoreUntil) {
			continue // bounce
		}
		active := b.Pressed()
		switch {
		case active && !held:
			held, pressStart, longSent = true, now, b.cfg.LongPress == 0
			ignoreUntil = now.Add(b.cfg.Debounce)
			reported = lastPress.IsZero() || now.Sub(lastPress) >= b.cfg.Repeat
			if reported {
				lastPress = now
				post(b.cfg.Sink, Event{Kind: ButtonPressed, Name: b.cfg.Name, Time: now})
			}
		case !active && held:
			held = false
			ignoreUntil = now.Add(b.cfg.Debounce)
			if reported {
				post(b.cfg.Sink, Event{Kind: ButtonReleased, Name: b.cfg.Name, Time: now, Duration: now.Sub(pressStart)})
			}
		case active && held && !longSent && now.Sub(pressStart) >= b.cfg.LongPress:
			longSent, reported = true, true
			post(b.cfg.Sink, Event{Kind: LongPress, Name: b.cfg.Name, Time: now, Duration: now.Sub(pressStart)})
		}
	}
}
