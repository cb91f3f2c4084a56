package board

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/pin"
)

// Sim is a simulated board for tests and the demo. Its pins are the GPIOs of
// a Raspberry Pi header (GPIO0-GPIO27, P1-n), created on first use. The
// station configures and uses them as gpio.PinIO; tests and the HTTP API play
// the outside world: Set and Release drive an input as a button or sensor
// would, Level reads back what an output drives, WaitLevel waits for one.
// All methods are safe for concurrent use.
type Sim struct {
	mu     sync.Mutex
	pins   map[int]*SimPin
	closed bool
}

// NewSim returns a simulated board with every pin unconfigured and undriven.
func NewSim() *Sim {
	return &Sim{pins: map[int]*SimPin{}}
}

// Name implements Board.
func (s *Sim) Name() string { return Profiles[KindSim].Name }

// Pin implements Board: the simulated pin the name resolves to.
func (s *Sim) Pin(name string) (gpio.PinIO, error) {
	return s.pin(name)
}

// pin returns the SimPin for name, creating it on first use.
func (s *Sim) pin(name string) (*SimPin, error) {
	l, err := Resolve(Profiles[KindSim], name)
	if err != nil {
		return nil, err
	}
	if l.Offset < 0 {
		return nil, fmt.Errorf("pin %s: %w", name, ErrUnknownPin)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("pin %s: board closed", name)
	}
	p := s.pins[l.Offset]
	if p == nil {
		p = newSimPin(l.Name, l.Offset)
		s.pins[l.Offset] = p
	}
	return p, nil
}

// Set drives the named pin from outside to level, as a button to ground
// (Low) or a door sensor would, until Release or the next Set. A pin set up
// as an input with edge detection sees an edge when its level changes.
func (s *Sim) Set(name string, level gpio.Level) error {
	p, err := s.pin(name)
	if err != nil {
		return err
	}
	p.drive(true, level)
	return nil
}

// Release stops driving the named pin from outside: an input then reads what
// its pull resistor gives (High for PullUp, Low otherwise).
func (s *Sim) Release(name string) error {
	p, err := s.pin(name)
	if err != nil {
		return err
	}
	p.drive(false, gpio.Low)
	return nil
}

// Level returns the named pin's level: what an output drives, or what an
// input reads.
func (s *Sim) Level(name string) (gpio.Level, error) {
	p, err := s.pin(name)
	if err != nil {
		return gpio.Low, err
	}
	return p.Read(), nil
}

// WaitLevel waits until the named pin's level is level (at once if it
// already is) or ctx ends.
func (s *Sim) WaitLevel(ctx context.Context, name string, level gpio.Level) error {
	p, err := s.pin(name)
	if err != nil {
		return err
	}
	for {
		p.mu.Lock()
		l, changed := p.levelLocked(), p.changed
		p.mu.Unlock()
		if l == level {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("pin %s: waiting for %s: %w", name, level, ctx.Err())
		}
	}
}

// Close implements Board: it halts every pin, ending their WaitForEdge calls,
// and refuses pins from then on.
func (s *Sim) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, p := range s.pins {
		_ = p.Halt()
	}
	return nil
}

// simDir is what a SimPin is set up as.
type simDir int

const (
	dirNone simDir = iota
	dirIn
	dirOut
)

// edgeQueue is how many edges a SimPin keeps for WaitForEdge; more are
// dropped, as a kernel's event buffer would.
const edgeQueue = 16

// SimPin is a pin of a Sim board. It implements gpio.PinIO and pin.PinFunc.
// As an input it honours In's pull (what it reads when nothing drives it)
// and edge (which changes WaitForEdge reports). It is safe for concurrent use.
type SimPin struct {
	name string
	num  int

	mu      sync.Mutex
	dir     simDir
	pull    gpio.Pull
	edge    gpio.Edge
	out     gpio.Level    // level an output drives
	driven  bool          // whether Sim.Set drives the pin from outside
	ext     gpio.Level    // level Sim.Set drives
	edges   chan struct{} // edges not yet consumed by WaitForEdge
	halt    chan struct{} // closed by In, Out and Halt to end waits
	changed chan struct{} // closed and replaced whenever the level changes
}

func newSimPin(name string, num int) *SimPin {
	return &SimPin{
		name: name, num: num, pull: gpio.Float,
		edges: make(chan struct{}, edgeQueue), halt: make(chan struct{}), changed: make(chan struct{}),
	}
}

// levelLocked returns the pin's level; p.mu must be held.
func (p *SimPin) levelLocked() gpio.Level {
	switch {
	case p.dir == dirOut:
		return p.out
	case p.driven:
		return p.ext
	case p.pull == gpio.PullUp:
		return gpio.High
	}
	return gpio.Low
}

// update runs f with p.mu held and then signals a level change and, when
// edges is set, an edge to an input that detects that kind of change. Setting
// a pin up (In, Out) changes levels without edges.
func (p *SimPin) update(edges bool, f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.levelLocked()
	f()
	after := p.levelLocked()
	if before == after {
		return
	}
	close(p.changed)
	p.changed = make(chan struct{})
	if edges && p.dir == dirIn && (p.edge == gpio.BothEdges ||
		p.edge == gpio.RisingEdge && after == gpio.High ||
		p.edge == gpio.FallingEdge && after == gpio.Low) {
		select {
		case p.edges <- struct{}{}:
		default:
		}
	}
}

// drive sets or clears the outside drive.
func (p *SimPin) drive(on bool, l gpio.Level) {
	p.update(true, func() { p.driven, p.ext = on, l })
}

// resetLocked ends pending waits and forgets queued edges; p.mu must be held.
func (p *SimPin) resetLocked() {
	close(p.halt)
	p.halt = make(chan struct{})
	p.edges = make(chan struct{}, edgeQueue)
}

// String implements conn.Resource.
func (p *SimPin) String() string { return fmt.Sprintf("sim/%s(%d)", p.name, p.num) }

// Name implements pin.Pin: the pin's canonical name ("GPIO17").
func (p *SimPin) Name() string { return p.name }

// Number implements pin.Pin: the BCM GPIO number.
func (p *SimPin) Number() int { return p.num }

// Function implements pin.Pin.
//
// Deprecated: use Func.
func (p *SimPin) Function() string { return string(p.Func()) }

// Func implements pin.PinFunc: IN, OUT or empty before the pin is set up.
func (p *SimPin) Func() pin.Func {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.dir {
	case dirIn:
		return gpio.IN
	case dirOut:
		return gpio.OUT
	}
	return pin.FuncNone
}

// SupportedFuncs implements pin.PinFunc.
func (p *SimPin) SupportedFuncs() []pin.Func { return []pin.Func{gpio.IN, gpio.OUT} }

// SetFunc implements pin.PinFunc: IN sets the pin up as an input with no
// pull and no edge detection, OUT as an output driving Low.
func (p *SimPin) SetFunc(f pin.Func) error {
	switch f {
	case gpio.IN:
		return p.In(gpio.Float, gpio.NoEdge)
	case gpio.OUT:
		return p.Out(gpio.Low)
	}
	return fmt.Errorf("%s: function %q not supported", p, f)
}

// Halt implements conn.Resource: it ends pending WaitForEdge calls, which
// return false.
func (p *SimPin) Halt() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	close(p.halt)
	p.halt = make(chan struct{})
	return nil
}

// In implements gpio.PinIn: the pin becomes an input with the pull and edge
// detection given. Pending WaitForEdge calls return false and queued edges
// are forgotten. PullNoChange keeps the pull set before (Float at first).
func (p *SimPin) In(pull gpio.Pull, edge gpio.Edge) error {
	if edge > gpio.BothEdges || pull > gpio.PullUp {
		return fmt.Errorf("%s: invalid pull %s or edge %s", p, pull, edge)
	}
	p.update(false, func() {
		p.dir, p.edge = dirIn, edge
		if pull != gpio.PullNoChange {
			p.pull = pull
		}
		p.resetLocked()
	})
	return nil
}

// Read implements gpio.PinIn: an output reads what it drives; an input what
// Sim.Set drives, else what its pull gives (High for PullUp, Low otherwise).
func (p *SimPin) Read() gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.levelLocked()
}

// WaitForEdge implements gpio.PinIn. It returns true at once for an edge
// queued since the last call, else waits up to timeout for one of the kind
// In asked for; a negative timeout waits until an edge, In, Out or Halt. It
// returns false at once for a pin without edge detection.
func (p *SimPin) WaitForEdge(timeout time.Duration) bool {
	p.mu.Lock()
	edges, halt, detect := p.edges, p.halt, p.dir == dirIn && p.edge != gpio.NoEdge
	p.mu.Unlock()
	if !detect {
		return false
	}
	select {
	case <-edges:
		return true
	default:
	}
	if timeout == 0 {
		return false
	}
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case <-edges:
		return true
	case <-halt:
		return false
	case <-expired:
		return false
	}
}

// Pull implements gpio.PinIn: the pull In set, Float before.
func (p *SimPin) Pull() gpio.Pull {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pull
}

// DefaultPull implements gpio.PinIn: simulated pins have no pull at reset.
func (p *SimPin) DefaultPull() gpio.Pull { return gpio.Float }

// Out implements gpio.PinOut: the pin becomes an output driving l. Pending
// WaitForEdge calls return false.
func (p *SimPin) Out(l gpio.Level) error {
	p.update(false, func() {
		if p.dir != dirOut {
			p.resetLocked()
		}
		p.dir, p.out, p.edge = dirOut, l, gpio.NoEdge
	})
	return nil
}

// errNoPWM is PWM's error: simulated pins have no PWM.
var errNoPWM = errors.New("PWM not supported on the simulated board")

// PWM implements gpio.PinOut; simulated pins have none.
func (p *SimPin) PWM(gpio.Duty, physic.Frequency) error {
	return fmt.Errorf("%s: %w", p, errNoPWM)
}

var (
	_ Board       = (*Sim)(nil)
	_ gpio.PinIO  = (*SimPin)(nil)
	_ pin.PinFunc = (*SimPin)(nil)
)
