package hw

import (
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// lit reports whether the LED on p (active high) is lit.
func lit(p interface{ Read() gpio.Level }) bool { return p.Read() == gpio.High }

func TestLEDPatterns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO5")
		l, err := NewLED(LEDConfig{Name: "status", Pin: p})
		if err != nil {
			t.Fatal(err)
		}
		stop := start(t, l.Run)
		defer stop()

		if lit(p) {
			t.Error("idle LED lit")
		}

		// Calling: 500 ms on, 500 ms off; sampled mid-step.
		l.SetState(LEDCalling)
		synctest.Wait()
		want := []bool{true, false, true, false}
		for i, w := range want {
			if i > 0 {
				time.Sleep(500 * time.Millisecond)
			}
			if i == 0 {
				time.Sleep(250 * time.Millisecond)
			}
			if lit(p) != w || l.Lit() != w {
				t.Errorf("calling, step %d: lit %v, want %v", i, lit(p), w)
			}
		}

		// Switching is immediate and starts the new pattern at its first
		// step: ringing is 125 ms on, 125 ms off. Now (1.75 s) calling is
		// in an off step.
		l.SetState(LEDRinging)
		synctest.Wait()
		if !lit(p) {
			t.Error("ringing not lit at once")
		}
		time.Sleep(60 * time.Millisecond)
		if !lit(p) {
			t.Error("ringing: off during its first on step")
		}
		time.Sleep(125 * time.Millisecond)
		if lit(p) {
			t.Error("ringing: lit during its off step")
		}

		// Steady states stay put without the goroutine waking: an hour of
		// fake time passes only if the goroutine is blocked.
		l.SetState(LEDConnected)
		synctest.Wait()
		time.Sleep(time.Hour)
		if !lit(p) || l.State() != LEDConnected {
			t.Error("connected not steady on")
		}
		l.SetState(LEDIdle)
		synctest.Wait()
		if lit(p) {
			t.Error("idle lit")
		}
	})
}

func TestLEDDoubleFlashAndActiveLow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO6")
		l, err := NewLED(LEDConfig{Name: "door", Pin: p, ActiveLow: true})
		if err != nil {
			t.Fatal(err)
		}
		if p.Read() != gpio.High {
			t.Error("active-low LED not dark (high) after NewLED")
		}
		stop := start(t, l.Run)
		l.SetState(LEDDoorOpen)
		synctest.Wait()
		// 100 on, 100 off, 100 on, 700 off; sampled at 50, 150, 250, 350,
		// ... 950 ms and again a period later.
		want := []bool{true, false, true, false, false, false, false, false, false, false}
		time.Sleep(50 * time.Millisecond)
		for period := range 2 {
			for i, w := range want {
				if got := p.Read() == gpio.Low; got != w {
					t.Errorf("period %d, %d ms: lit %v, want %v", period, 50+100*i, got, w)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		stop()
		if p.Read() != gpio.High {
			t.Error("LED lit after Run ended")
		}
	})
}

func TestLEDCustomPattern(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO5")
		l, err := NewLED(LEDConfig{Name: "status", Pin: p, Patterns: map[LEDState]Pattern{
			LEDError: {{On: true, For: time.Second}, {On: false, For: 3 * time.Second}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		stop := start(t, l.Run)
		defer stop()
		l.SetState(LEDError)
		time.Sleep(500 * time.Millisecond)
		if !lit(p) {
			t.Error("custom pattern: not lit in its first second")
		}
		time.Sleep(2 * time.Second)
		if lit(p) {
			t.Error("custom pattern: lit in its off step")
		}
	})
}

func TestLEDRejectsBusyPattern(t *testing.T) {
	p := newPin("GPIO5")
	_, err := NewLED(LEDConfig{Name: "status", Pin: p, Patterns: map[LEDState]Pattern{
		LEDError: {{On: true}, {On: false, For: time.Second}},
	}})
	if err == nil {
		t.Error("a zero-length step was accepted")
	}
	if _, err := NewLED(LEDConfig{Name: "status", Pin: p, Patterns: map[LEDState]Pattern{99: PatternSteady}}); err == nil {
		t.Error("an unknown state was accepted")
	}
}

func TestLEDStateNames(t *testing.T) {
	for s := range numLEDStates {
		if s.String() == "" || s.String()[0] == 'l' {
			t.Errorf("state %d has no name: %q", s, s)
		}
	}
}
