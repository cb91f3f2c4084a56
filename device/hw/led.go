package hw

import (
	"context"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// LEDState is what a status LED shows; each state has a blink pattern.
type LEDState uint8

// The states of a status LED.
const (
	// LEDIdle: not registered (yet) and nothing happening.
	LEDIdle LEDState = iota
	// LEDRegistered: registered with the SIP server, waiting.
	LEDRegistered
	// LEDCalling: a call is being set up.
	LEDCalling
	// LEDRinging: the far end is ringing.
	LEDRinging
	// LEDConnected: a call is up.
	LEDConnected
	// LEDDoorOpen: the door relay is on.
	LEDDoorOpen
	// LEDError: something needs attention (registration failed, ...).
	LEDError
	numLEDStates
)

var ledStateNames = [...]string{"idle", "registered", "calling", "ringing", "connected", "door_open", "error"}

// String returns the state's stable snake_case name.
func (s LEDState) String() string {
	if s < numLEDStates {
		return ledStateNames[s]
	}
	return fmt.Sprintf("led_state(%d)", uint8(s))
}

// Step is one part of a blink pattern: the LED on or off for a while.
type Step struct {
	// On is whether the LED is lit during the step.
	On bool
	// For is how long the step lasts.
	For time.Duration
}

// Pattern is a blink pattern: its steps repeat forever. An empty pattern is
// steady off; a single step is steady (its For is ignored).
type Pattern []Step

// MinStep is the shortest step a pattern of several steps may have: it keeps
// a mistaken pattern from turning the LED goroutine into a busy loop.
const MinStep = 10 * time.Millisecond

// The stock patterns.
var (
	// PatternOff: dark.
	PatternOff = Pattern{}
	// PatternSteady: lit.
	PatternSteady = Pattern{{On: true}}
	// PatternHeartbeat: a short flash every two seconds.
	PatternHeartbeat = Pattern{{true, 50 * time.Millisecond}, {false, 1950 * time.Millisecond}}
	// PatternSlowBlink: 1 Hz.
	PatternSlowBlink = Pattern{{true, 500 * time.Millisecond}, {false, 500 * time.Millisecond}}
	// PatternFastBlink: 4 Hz.
	PatternFastBlink = Pattern{{true, 125 * time.Millisecond}, {false, 125 * time.Millisecond}}
	// PatternDoubleFlash: two short flashes a second.
	PatternDoubleFlash = Pattern{{true, 100 * time.Millisecond}, {false, 100 * time.Millisecond}, {true, 100 * time.Millisecond}, {false, 700 * time.Millisecond}}
	// PatternFlicker: 10 Hz, for errors.
	PatternFlicker = Pattern{{true, 50 * time.Millisecond}, {false, 50 * time.Millisecond}}
)

// DefaultPatterns returns the stock pattern of each state: idle off,
// registered heartbeat, calling slow blink, ringing fast blink, connected
// steady, door open double flash, error flicker.
func DefaultPatterns() map[LEDState]Pattern {
	return map[LEDState]Pattern{
		LEDIdle:       PatternOff,
		LEDRegistered: PatternHeartbeat,
		LEDCalling:    PatternSlowBlink,
		LEDRinging:    PatternFastBlink,
		LEDConnected:  PatternSteady,
		LEDDoorOpen:   PatternDoubleFlash,
		LEDError:      PatternFlicker,
	}
}

// LEDConfig describes a status LED on an output pin.
type LEDConfig struct {
	// Name identifies the LED ("status").
	Name string
	// Pin is the output driving the LED.
	Pin gpio.PinOut
	// ActiveLow means the LED is lit while the pin is Low.
	ActiveLow bool
	// Patterns overrides the patterns of some states; the others keep
	// DefaultPatterns.
	Patterns map[LEDState]Pattern
}

// LED shows an LEDState as a blink pattern. One goroutine per LED, Run,
// steps through the pattern on a timer; a steady pattern waits for the next
// SetState without waking.
type LED struct {
	cfg      LEDConfig
	patterns [numLEDStates]Pattern
	wake     chan struct{} // one token: the state changed

	mu    sync.Mutex
	state LEDState
	lit   bool
}

// NewLED checks cfg (every pattern of several steps has steps of at least
// MinStep) and switches the LED off; it shows LEDIdle once Run runs.
func NewLED(cfg LEDConfig) (*LED, error) {
	if cfg.Pin == nil {
		return nil, fmt.Errorf("led %q: no pin", cfg.Name)
	}
	l := &LED{cfg: cfg, wake: make(chan struct{}, 1)}
	for s, p := range DefaultPatterns() {
		l.patterns[s] = p
	}
	for s, p := range cfg.Patterns {
		if s >= numLEDStates {
			return nil, fmt.Errorf("led %q: unknown state %v", cfg.Name, s)
		}
		if len(p) > 1 {
			for i, st := range p {
				if st.For < MinStep {
					return nil, fmt.Errorf("led %q: pattern %v step %d lasts %v, less than %v", cfg.Name, s, i, st.For, MinStep)
				}
			}
		}
		l.patterns[s] = p
	}
	if err := l.set(false); err != nil {
		return nil, fmt.Errorf("led %q: %w", cfg.Name, err)
	}
	return l, nil
}

// set lights or darkens the LED.
func (l *LED) set(on bool) error {
	l.mu.Lock()
	l.lit = on
	l.mu.Unlock()
	return l.cfg.Pin.Out(gpio.Level(on != l.cfg.ActiveLow))
}

// SetState switches the LED to state s. It never blocks; Run starts the new
// pattern from its first step at once.
func (l *LED) SetState(s LEDState) {
	l.mu.Lock()
	l.state = s
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// State returns the state last set.
func (l *LED) State() LEDState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

// Lit reports whether the LED is lit now.
func (l *LED) Lit() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lit
}

// Run drives the LED until ctx is cancelled, switches it off and returns
// ctx's error. Call it once, on a goroutine its owner waits for.
func (l *LED) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	timer.Stop()
	defer timer.Stop()
	var (
		pattern Pattern
		step    int
	)
	start := func() {
		pattern, step = l.patterns[l.State()], 0
		timer.Stop()
		if len(pattern) == 0 {
			_ = l.set(false)
			return
		}
		_ = l.set(pattern[0].On)
		if len(pattern) > 1 {
			timer.Reset(pattern[0].For)
		}
	}
	start()
	for {
		select {
		case <-ctx.Done():
			_ = l.set(false)
			return ctx.Err()
		case <-l.wake:
			start()
		case <-timer.C:
			step = (step + 1) % len(pattern)
			_ = l.set(pattern[step].On)
			timer.Reset(pattern[step].For)
		}
	}
}
