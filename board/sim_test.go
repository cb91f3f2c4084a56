package board

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/pin"
)

// short is how long a test waits for an edge that must not come; long is how
// long it allows one that must. Neither is a timing assertion.
const (
	short = 20 * time.Millisecond
	long  = 5 * time.Second
)

func simPin(t *testing.T, s *Sim, name string) gpio.PinIO {
	t.Helper()
	p, err := s.Pin(name)
	if err != nil {
		t.Fatalf("Pin(%q): %v", name, err)
	}
	return p
}

func TestSimSamePinUnderEveryName(t *testing.T) {
	s := NewSim()
	a, b := simPin(t, s, "GPIO17"), simPin(t, s, "P1-11")
	if a != b || a.Name() != "GPIO17" || a.Number() != 17 {
		t.Errorf("GPIO17 = %v, P1-11 = %v", a, b)
	}
	if _, err := s.Pin("doorbell"); !errors.Is(err, ErrUnknownPin) {
		t.Errorf("Pin(doorbell) error = %v", err)
	}
	if err := s.Set("P1-2", gpio.High); !errors.Is(err, ErrReservedPin) {
		t.Errorf("Set(P1-2) error = %v", err)
	}
}

func TestSimPull(t *testing.T) {
	s := NewSim()
	p := simPin(t, s, "GPIO17")
	for _, tt := range []struct {
		pull gpio.Pull
		want gpio.Level
	}{{gpio.PullUp, gpio.High}, {gpio.PullDown, gpio.Low}, {gpio.Float, gpio.Low}, {gpio.PullUp, gpio.High}, {gpio.PullNoChange, gpio.High}} {
		if err := p.In(tt.pull, gpio.NoEdge); err != nil {
			t.Fatal(err)
		}
		if got := p.Read(); got != tt.want {
			t.Errorf("In(%s): Read = %s; want %s", tt.pull, got, tt.want)
		}
	}
	if p.Pull() != gpio.PullUp {
		t.Errorf("Pull after PullNoChange = %s; want PullUp kept", p.Pull())
	}
	if err := s.Set("GPIO17", gpio.Low); err != nil {
		t.Fatal(err)
	}
	if p.Read() != gpio.Low {
		t.Error("driven Low reads High")
	}
	if err := s.Release("GPIO17"); err != nil {
		t.Fatal(err)
	}
	if p.Read() != gpio.High {
		t.Error("released pulled-up pin reads Low")
	}
	if err := p.In(gpio.Pull(99), gpio.NoEdge); err == nil {
		t.Error("In(invalid pull): no error")
	}
}

func TestSimEdges(t *testing.T) {
	for _, tt := range []struct {
		edge          gpio.Edge
		press, depart bool // whether pressing (High->Low) and releasing (Low->High) are seen
	}{
		{gpio.FallingEdge, true, false},
		{gpio.RisingEdge, false, true},
		{gpio.BothEdges, true, true},
		{gpio.NoEdge, false, false},
	} {
		s := NewSim()
		p := simPin(t, s, "P1-11")
		if err := p.In(gpio.PullUp, tt.edge); err != nil {
			t.Fatal(err)
		}
		if p.WaitForEdge(0) {
			t.Errorf("%s: edge queued by In", tt.edge)
		}
		_ = s.Set("GPIO17", gpio.Low) // press: the button shorts to ground
		if got := p.WaitForEdge(short); got != tt.press {
			t.Errorf("%s: press seen = %v", tt.edge, got)
		}
		_ = s.Set("GPIO17", gpio.Low) // no change, no edge
		if p.WaitForEdge(0) {
			t.Errorf("%s: edge without a change", tt.edge)
		}
		_ = s.Release("GPIO17") // the pull-up takes the line High again
		if got := p.WaitForEdge(short); got != tt.depart {
			t.Errorf("%s: release seen = %v", tt.edge, got)
		}
	}
}

func TestSimEdgeWakesWaiter(t *testing.T) {
	s := NewSim()
	p := simPin(t, s, "GPIO22")
	_ = p.In(gpio.PullUp, gpio.FallingEdge)
	got := make(chan bool)
	go func() { got <- p.WaitForEdge(long) }()
	_ = s.Set("GPIO22", gpio.Low)
	if !<-got {
		t.Error("waiter missed the edge")
	}
	// Edges queue between calls: two presses, two edges.
	_ = s.Release("GPIO22")
	_ = s.Set("GPIO22", gpio.Low)
	_ = s.Release("GPIO22")
	_ = s.Set("GPIO22", gpio.Low)
	n := 0
	for p.WaitForEdge(0) {
		n++
	}
	if n != 2 {
		t.Errorf("%d queued edges; want 2", n)
	}
}

func TestSimWaitForEdgeEndsOnHaltInClose(t *testing.T) {
	for _, stop := range []struct {
		name string
		f    func(*Sim, gpio.PinIO)
	}{
		{"Halt", func(_ *Sim, p gpio.PinIO) { _ = p.Halt() }},
		{"In", func(_ *Sim, p gpio.PinIO) { _ = p.In(gpio.PullDown, gpio.RisingEdge) }},
		{"Out", func(_ *Sim, p gpio.PinIO) { _ = p.Out(gpio.High) }},
		{"Close", func(s *Sim, _ gpio.PinIO) { _ = s.Close() }},
	} {
		s := NewSim()
		p := simPin(t, s, "GPIO5")
		_ = p.In(gpio.PullUp, gpio.BothEdges)
		got := make(chan bool)
		go func() { got <- p.WaitForEdge(-1) }()
		// Stop until the waiter returns: it may not have started waiting
		// when the first stop comes.
		for done := false; !done; {
			stop.f(s, p)
			select {
			case v := <-got:
				if v {
					t.Errorf("%s: WaitForEdge = true", stop.name)
				}
				done = true
			case <-time.After(time.Millisecond):
				_ = p.In(gpio.PullUp, gpio.BothEdges)
			}
		}
	}
	s := NewSim()
	_ = s.Close()
	if _, err := s.Pin("GPIO5"); err == nil {
		t.Error("Pin after Close: no error")
	}
}

func TestSimOutput(t *testing.T) {
	s := NewSim()
	relay := simPin(t, s, "GPIO27")
	if err := relay.Out(gpio.High); err != nil {
		t.Fatal(err)
	}
	if l, err := s.Level("P1-13"); err != nil || l != gpio.High {
		t.Errorf("Level = %s, %v; want High", l, err)
	}
	_ = s.Set("GPIO27", gpio.Low) // outside drive does not override an output
	if relay.Read() != gpio.High || relay.WaitForEdge(0) {
		t.Error("output overridden by outside drive, or edge on an output")
	}
	if f := relay.(pin.PinFunc).Func(); f != gpio.OUT {
		t.Errorf("Func = %s", f)
	}
	if err := relay.PWM(gpio.DutyHalf, 0); err == nil {
		t.Error("PWM: no error")
	}
	if _, err := s.Level("nope"); err == nil {
		t.Error("Level(nope): no error")
	}

	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	go func() {
		time.Sleep(time.Millisecond)
		_ = relay.Out(gpio.Low)
	}()
	if err := s.WaitLevel(ctx, "GPIO27", gpio.Low); err != nil {
		t.Error(err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), short)
	defer cancel2()
	if err := s.WaitLevel(short, "GPIO27", gpio.High); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitLevel for a level that never comes = %v", err)
	}
}

func TestSimSetFunc(t *testing.T) {
	s := NewSim()
	p := simPin(t, s, "GPIO6").(*SimPin)
	if p.Func() != pin.FuncNone {
		t.Errorf("fresh pin Func = %s", p.Func())
	}
	if err := p.SetFunc(gpio.IN); err != nil || p.Func() != gpio.IN || p.Function() != "IN" {
		t.Errorf("SetFunc(IN) = %v, Func %s", err, p.Func())
	}
	if err := p.SetFunc(gpio.OUT); err != nil || p.Func() != gpio.OUT || p.Read() != gpio.Low {
		t.Errorf("SetFunc(OUT) = %v, Func %s", err, p.Func())
	}
	if err := p.SetFunc("I2C1_SDA"); err == nil {
		t.Error("SetFunc(I2C): no error")
	}
	if p.String() != "sim/GPIO6(6)" || p.DefaultPull() != gpio.Float || len(p.SupportedFuncs()) != 2 {
		t.Errorf("String %q DefaultPull %s", p.String(), p.DefaultPull())
	}
}

// TestSimConcurrent drives, reads and reconfigures pins from many goroutines;
// run with -race.
func TestSimConcurrent(t *testing.T) {
	s := NewSim()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, _ := s.Pin("GPIO17")
			for j := 0; j < 200; j++ {
				switch j % 5 {
				case 0:
					_ = s.Set("P1-11", gpio.Level(j%2 == 0))
				case 1:
					_ = p.In(gpio.PullUp, gpio.BothEdges)
				case 2:
					p.WaitForEdge(time.Microsecond)
				case 3:
					_, _ = s.Level("GPIO17")
				case 4:
					_ = s.Release("GPIO17")
				}
			}
		}()
	}
	wg.Wait()
	_ = s.Close()
}
