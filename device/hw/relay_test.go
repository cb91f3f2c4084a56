package hw

import (
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"
)

func newTestRelay(t *testing.T, cfg RelayConfig) (*Relay, *recorder) {
	t.Helper()
	rec := &recorder{}
	cfg.Sink = rec
	r, err := NewRelay(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r, rec
}

func TestRelaySafeAtConstruction(t *testing.T) {
	for _, activeLow := range []bool{false, true} {
		p := newPin("GPIO27")
		on := gpio.Level(!activeLow)
		p.Out(on) // left on by a crashed process
		r, _ := newTestRelay(t, RelayConfig{Name: "door", Pin: p, ActiveLow: activeLow})
		if p.Read() == on {
			t.Errorf("activeLow=%v: relay still on after NewRelay", activeLow)
		}
		if r.State().On {
			t.Errorf("activeLow=%v: state says on", activeLow)
		}
		r.Close()
	}
}

// A pulse lasts exactly its length on the fake clock.
func TestRelayPulse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO27")
		r, rec := newTestRelay(t, RelayConfig{Name: "door", Pin: p, Pulse: 3 * time.Second})
		defer r.Close()
		t0 := time.Now()
		if err := r.Pulse(0); err != nil {
			t.Fatal(err)
		}
		if p.Read() != gpio.High || !r.State().On {
			t.Fatal("relay not on after Pulse")
		}
		time.Sleep(3*time.Second - time.Nanosecond)
		if !r.State().On {
			t.Fatal("relay off before its pulse ended")
		}
		time.Sleep(time.Second)
		st := r.State()
		if st.On || p.Read() != gpio.Low {
			t.Fatal("relay still on after its pulse")
		}
		if got := st.Since.Sub(t0); got != 3*time.Second {
			t.Errorf("pulse lasted %v, want 3s", got)
		}
		if !st.LastPulse.Equal(t0) || st.LastPulseLength != 3*time.Second || st.Pulses != 1 {
			t.Errorf("state %+v, want one 3s pulse at t0", st)
		}
		ev := rec.events()
		if len(ev) != 2 || ev[0].Kind != RelayOn || ev[1].Kind != RelayOff || ev[1].Duration != 3*time.Second {
			t.Errorf("events %v, want relay_on, relay_off 3s", ev)
		}

		// An explicit length.
		t1 := time.Now()
		r.Pulse(1500 * time.Millisecond)
		time.Sleep(5 * time.Second)
		if got := r.State().Since.Sub(t1); got != 1500*time.Millisecond {
			t.Errorf("Pulse(1.5s) lasted %v", got)
		}
	})
}

// No command keeps the relay on past MaxOn from when it switched on.
func TestRelayMaxOn(t *testing.T) {
	tests := []struct {
		name string
		cmd  func(r *Relay)
	}{
		{"long pulse", func(r *Relay) { r.Pulse(time.Hour) }},
		{"hold", func(r *Relay) { r.Hold(true) }},
		{"pulses that extend", func(r *Relay) {
			for range 20 {
				r.Pulse(2 * time.Second)
				time.Sleep(time.Second)
			}
		}},
		{"hold then pulses", func(r *Relay) {
			r.Hold(true)
			for range 20 {
				time.Sleep(500 * time.Millisecond)
				r.Hold(true)
				r.Pulse(4 * time.Second)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPin("GPIO27")
				r, rec := newTestRelay(t, RelayConfig{Name: "door", Pin: p, MaxOn: 5 * time.Second})
				defer r.Close()
				done := make(chan struct{})
				go func() {
					defer close(done)
					tt.cmd(r)
				}()
				// Watch the pin every 10 ms for 30 s: no run of on
				// samples may be longer than MaxOn (500 samples, and one
				// at each end where a sample and a switch fall on the same
				// instant; the events below give the exact times).
				run, longest := 0, 0
				for i := 0; i < 3000; i++ {
					time.Sleep(10 * time.Millisecond)
					if p.Read() == gpio.High {
						run++
						longest = max(longest, run)
					} else {
						run = 0
					}
				}
				<-done
				if longest > 502 {
					t.Errorf("relay on for %d ms in a row, MaxOn is 5s", longest*10)
				}
				st := r.State()
				if st.MaxOnTrips < 1 {
					t.Errorf("MaxOnTrips = %d, want at least 1", st.MaxOnTrips)
				}
				if rec.count(RelayMaxOnTime) < 1 {
					t.Errorf("no relay_max_on_time event: %v", rec.kinds())
				}
				var tripAt time.Time
				for _, e := range rec.events() {
					switch e.Kind {
					case RelayOff:
						if e.Duration > 5*time.Second {
							t.Errorf("on for %v", e.Duration)
						}
					case RelayMaxOnTime:
						tripAt = e.Time
					case RelayOn:
						if !tripAt.IsZero() && e.Time.Sub(tripAt) < 5*time.Second {
							t.Errorf("on again %v after a MaxOn trip, Rest is 5s", e.Time.Sub(tripAt))
						}
					}
				}
			})
		})
	}
}

// After MaxOn forced it off, the relay refuses to switch on for Rest.
func TestRelayRest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO27")
		r, _ := newTestRelay(t, RelayConfig{Name: "door", Pin: p, MaxOn: 5 * time.Second, Rest: 2 * time.Second})
		defer r.Close()
		r.Hold(true)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if r.State().On {
			t.Fatal("on after MaxOn")
		}
		time.Sleep(2*time.Second - time.Nanosecond)
		if err := r.Pulse(0); !errors.Is(err, ErrResting) {
			t.Errorf("Pulse while resting: %v, want ErrResting", err)
		}
		if p.Read() != gpio.Low {
			t.Error("switched on while resting")
		}
		time.Sleep(time.Nanosecond)
		if err := r.Pulse(0); err != nil {
			t.Errorf("Pulse after the rest: %v", err)
		}
	})
}

func TestRelayHoldOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO27")
		r, rec := newTestRelay(t, RelayConfig{Name: "door", Pin: p})
		defer r.Close()
		r.Hold(true)
		time.Sleep(time.Second)
		if !r.State().On {
			t.Fatal("held relay is off")
		}
		r.Hold(false)
		if r.State().On || p.Read() != gpio.Low {
			t.Fatal("Hold(false) left it on")
		}
		time.Sleep(time.Minute) // the stopped timer does nothing
		if got, want := rec.kinds(), []Kind{RelayOn, RelayOff}; !slices.Equal(got, want) {
			t.Errorf("events %v, want %v", got, want)
		}
	})
}

func TestRelayClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO27")
		r, _ := newTestRelay(t, RelayConfig{Name: "door", Pin: p, ActiveLow: true})
		r.Hold(true)
		if p.Read() != gpio.Low {
			t.Fatal("active-low relay: pin not low when on")
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if p.Read() != gpio.High || r.State().On {
			t.Error("relay on after Close")
		}
		if err := r.Pulse(0); !errors.Is(err, errClosed) {
			t.Errorf("Pulse after Close: %v, want errClosed", err)
		}
		if p.Read() != gpio.High {
			t.Error("Pulse after Close switched it on")
		}
		if err := r.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

// A panic in a goroutine that deferred SafeOnPanic drives every relay off,
// panics again with the same value, and later commands cannot switch on.
func TestSafeOnPanic(t *testing.T) {
	t.Cleanup(func() { tripped.Store(false) })
	synctest.Test(t, func(t *testing.T) {
		p1, p2 := newPin("GPIO27"), newPin("GPIO22")
		r1, _ := newTestRelay(t, RelayConfig{Name: "door", Pin: p1})
		r2, _ := newTestRelay(t, RelayConfig{Name: "gate", Pin: p2, ActiveLow: true})
		defer r1.Close()
		defer r2.Close()
		r1.Hold(true)
		r2.Pulse(time.Second)

		repanicked := make(chan any, 1)
		go func() {
			defer func() { repanicked <- recover() }()
			defer SafeOnPanic()
			panic("boom")
		}()
		if v := <-repanicked; v != "boom" {
			t.Fatalf("re-panicked with %v, want boom", v)
		}
		if p1.Read() != gpio.Low || p2.Read() != gpio.High {
			t.Error("relays not safe after the panic")
		}
		if r1.State().On || r2.State().On {
			t.Error("state still on after the panic")
		}
		if err := r1.Pulse(0); !errors.Is(err, ErrSafeStop) {
			t.Errorf("Pulse after the panic: %v, want ErrSafeStop", err)
		}
		if p1.Read() != gpio.Low {
			t.Error("relay switched on after the panic")
		}
	})
}

// SafeOnPanic does nothing without a panic.
func TestSafeOnPanicNoPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO27")
		r, _ := newTestRelay(t, RelayConfig{Name: "door", Pin: p})
		defer r.Close()
		func() {
			defer SafeOnPanic()
			r.Hold(true)
		}()
		if !r.State().On {
			t.Error("SafeOnPanic without a panic switched the relay off")
		}
	})
}

// AllSafe drives the pin off even while the relay's lock is held (a
// goroutine panicked inside it).
func TestAllSafeLockHeld(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO27")
		r, _ := newTestRelay(t, RelayConfig{Name: "door", Pin: p})
		defer r.Close()
		r.Hold(true)
		r.mu.Lock()
		err := AllSafe()
		r.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		if p.Read() != gpio.Low {
			t.Error("relay on after AllSafe")
		}
	})
}

func TestRelayNoPin(t *testing.T) {
	if _, err := NewRelay(RelayConfig{Name: "door"}); err == nil {
		t.Error("NewRelay without a pin succeeded")
	}
}
