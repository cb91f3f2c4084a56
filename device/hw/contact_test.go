package hw

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"
)

func newTestDoor(t *testing.T, p gpio.PinIO, held time.Duration) (*Contact, *recorder) {
	t.Helper()
	rec := &recorder{}
	c, err := NewDoor(ContactConfig{Name: "door", Pin: p, HeldOpen: held, Sink: rec})
	if err != nil {
		t.Fatal(err)
	}
	return c, rec
}

func TestDoorOpenCloseDebounced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO23")
		c, rec := newTestDoor(t, p, 0)
		if p.Pull() != gpio.PullUp {
			t.Errorf("pull %v, want PullUp", p.Pull())
		}
		p.Out(gpio.Low) // closed: the contact pulls the line down
		stop := start(t, c.Run)
		defer stop()
		if c.Active() {
			t.Fatal("closed door reads open")
		}

		// A 20 ms glitch is no opening.
		edge(p, gpio.High)
		time.Sleep(20 * time.Millisecond)
		edge(p, gpio.Low)
		time.Sleep(time.Second)
		if ev := rec.events(); len(ev) != 0 {
			t.Fatalf("glitch gave %v", ev)
		}

		// Opening with contact bounce: one DoorOpened, timed at the start
		// of the level that stayed.
		edge(p, gpio.High)
		bounce(p, gpio.High, 3, 5*time.Millisecond)
		settled := time.Now()
		time.Sleep(10 * time.Second)
		if !c.Active() {
			t.Error("open door reads closed")
		}
		edge(p, gpio.Low)
		bounce(p, gpio.Low, 3, 5*time.Millisecond)
		time.Sleep(time.Second)
		ev := rec.events()
		if got, want := rec.kinds(), []Kind{DoorOpened, DoorClosed}; !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
		if !ev[0].Time.Equal(settled) {
			t.Errorf("opened at %v, want the last bounce's start", ev[0].Time)
		}
		if ev[1].Duration < 10*time.Second || ev[1].Duration > 11*time.Second {
			t.Errorf("closed after %v open", ev[1].Duration)
		}
		if c.Active() {
			t.Error("closed door reads open")
		}
	})
}

func TestDoorHeldOpen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO23")
		c, rec := newTestDoor(t, p, 30*time.Second)
		p.Out(gpio.Low)
		stop := start(t, c.Run)
		defer stop()

		// Open for 20 s: no alarm.
		edge(p, gpio.High)
		time.Sleep(20 * time.Second)
		edge(p, gpio.Low)
		time.Sleep(time.Minute)
		if n := rec.count(DoorHeldOpen); n != 0 {
			t.Fatalf("%d held-open events for 20 s open", n)
		}

		// Open for 2 min: one alarm, exactly 30 s after the opening.
		t0 := time.Now()
		edge(p, gpio.High)
		time.Sleep(2 * time.Minute)
		var held []Event
		for _, e := range rec.events() {
			if e.Kind == DoorHeldOpen {
				held = append(held, e)
			}
		}
		if len(held) != 1 {
			t.Fatalf("held-open events %v, want one", held)
		}
		if held[0].Duration != 30*time.Second || !held[0].Time.Equal(t0.Add(30*time.Second)) {
			t.Errorf("held open %v at t0+%v, want 30s at t0+30s", held[0].Duration, held[0].Time.Sub(t0))
		}
		if held[0].Kind.String() != "door_held_open" {
			t.Errorf("name %q", held[0].Kind)
		}

		// Closed and opened again: a new alarm.
		edge(p, gpio.Low)
		time.Sleep(time.Second)
		edge(p, gpio.High)
		time.Sleep(time.Minute)
		if n := rec.count(DoorHeldOpen); n != 2 {
			t.Errorf("%d held-open events after a second long opening, want 2", n)
		}
	})
}

// A door already open when watching starts raises the alarm HeldOpen later.
func TestDoorOpenAtStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO23")
		c, rec := newTestDoor(t, p, 30*time.Second) // pull-up: reads open
		stop := start(t, c.Run)
		defer stop()
		if !c.Active() {
			t.Fatal("open door reads closed")
		}
		time.Sleep(31 * time.Second)
		if got, want := rec.kinds(), []Kind{DoorHeldOpen}; !slices.Equal(got, want) {
			t.Errorf("events %v, want %v", got, want)
		}
	})
}

func TestTamper(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO24")
		rec := &recorder{}
		c, err := NewTamper(ContactConfig{Name: "tamper", Pin: p, Sink: rec, HeldOpen: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		p.Out(gpio.Low) // housing closed
		stop := start(t, c.Run)
		defer stop()
		t0 := time.Now()
		edge(p, gpio.High)
		time.Sleep(time.Minute)
		edge(p, gpio.Low)
		time.Sleep(time.Second)
		ev := rec.events()
		if got, want := rec.kinds(), []Kind{Tamper, TamperCleared}; !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
		if !ev[0].Time.Equal(t0) || ev[0].Name != "tamper" || ev[0].Kind.String() != "tamper" {
			t.Errorf("tamper event %+v", ev[0])
		}
	})
}

func TestContactActiveLow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO24")
		rec := &recorder{}
		c, err := NewDoor(ContactConfig{Name: "door", Pin: p, ActiveLow: true, Sink: rec})
		if err != nil {
			t.Fatal(err)
		}
		// A cut wire (pulled down) reads open.
		if p.Pull() != gpio.PullDown || !c.Active() {
			t.Fatalf("pull %v, active %v: want PullDown, open", p.Pull(), c.Active())
		}
		p.Out(gpio.High) // the closed contact holds the line high
		stop := start(t, c.Run)
		defer stop()
		if c.Active() {
			t.Fatal("closed door reads open")
		}
		edge(p, gpio.Low)
		time.Sleep(time.Second)
		if got, want := rec.kinds(), []Kind{DoorOpened}; !slices.Equal(got, want) {
			t.Errorf("events %v, want %v", got, want)
		}
	})
}
