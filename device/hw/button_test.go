package hw

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"
)

func newTestButton(t *testing.T, cfg ButtonConfig) (*Button, *recorder) {
	t.Helper()
	rec := &recorder{}
	if cfg.Sink == nil {
		cfg.Sink = rec
	}
	b, err := NewButton(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b, rec
}

func TestButtonDefaultsActiveLowPullUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO17")
		b, _ := newTestButton(t, ButtonConfig{Name: "flat1", Pin: p})
		if p.Pull() != gpio.PullUp {
			t.Errorf("pull = %v, want PullUp", p.Pull())
		}
		if b.Pressed() {
			t.Error("idle button (line high) reads pressed")
		}
		p.Out(gpio.Low)
		if !b.Pressed() {
			t.Error("line low does not read pressed")
		}
		q := newPin("GPIO18")
		newTestButton(t, ButtonConfig{Name: "hi", Pin: q, ActiveHigh: true})
		if q.Pull() != gpio.PullDown {
			t.Errorf("active-high pull = %v, want PullDown", q.Pull())
		}
	})
}

// The press is reported at the first edge, at the very instant it is seen,
// and the bounce that follows is ignored, on press and on release.
func TestButtonFirstEdgeAndBounce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO17")
		b, rec := newTestButton(t, ButtonConfig{Name: "flat1", Pin: p})
		stop := start(t, b.Run)
		defer stop()

		t0 := time.Now()
		edge(p, gpio.Low)
		ev := rec.events()
		if len(ev) != 1 || ev[0].Kind != ButtonPressed || ev[0].Name != "flat1" || !ev[0].Time.Equal(t0) {
			t.Fatalf("right after the first edge: events %v, want one button_pressed at the edge", ev)
		}
		if got := time.Since(t0); got != 0 {
			t.Errorf("press reported %v after the edge, want 0", got)
		}
		// Contact bounce for 20 ms after the first edge, settling pressed.
		bounce(p, gpio.Low, 5, 2*time.Millisecond)
		time.Sleep(200 * time.Millisecond)
		// Release with bounce.
		edge(p, gpio.High)
		bounce(p, gpio.High, 5, 2*time.Millisecond)
		time.Sleep(200 * time.Millisecond)
		if got, want := rec.kinds(), []Kind{ButtonPressed, ButtonReleased}; !slices.Equal(got, want) {
			t.Errorf("events %v, want %v", got, want)
		}
	})
}

// A press shorter than the debounce time (released within the bounce) is
// still one press and one release.
func TestButtonShortPress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO17")
		b, rec := newTestButton(t, ButtonConfig{Name: "flat1", Pin: p})
		stop := start(t, b.Run)
		defer stop()
		edge(p, gpio.Low)
		time.Sleep(10 * time.Millisecond)
		edge(p, gpio.High)
		time.Sleep(time.Second)
		if got, want := rec.kinds(), []Kind{ButtonPressed, ButtonReleased}; !slices.Equal(got, want) {
			t.Errorf("events %v, want %v", got, want)
		}
	})
}

func TestButtonRepeatHoldOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO17")
		b, rec := newTestButton(t, ButtonConfig{Name: "flat1", Pin: p, Repeat: time.Second})
		stop := start(t, b.Run)
		defer stop()
		press := func() {
			edge(p, gpio.Low)
			time.Sleep(100 * time.Millisecond)
			edge(p, gpio.High)
			time.Sleep(100 * time.Millisecond)
		}
		press() // t=0: reported
		press() // t=200ms: within the hold-off
		press() // t=400ms: within the hold-off
		time.Sleep(600 * time.Millisecond)
		press() // t=1.2s: reported
		if got := rec.count(ButtonPressed); got != 2 {
			t.Errorf("%d presses reported, want 2: %v", got, rec.kinds())
		}
	})
}

func TestButtonNoRepeatHoldOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO17")
		b, rec := newTestButton(t, ButtonConfig{Name: "flat1", Pin: p, Repeat: -1})
		stop := start(t, b.Run)
		defer stop()
		for range 5 {
			edge(p, gpio.Low)
			time.Sleep(60 * time.Millisecond)
			edge(p, gpio.High)
			time.Sleep(60 * time.Millisecond)
		}
		if got := rec.count(ButtonPressed); got != 5 {
			t.Errorf("%d presses reported, want 5", got)
		}
	})
}

func TestButtonLongPress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO17")
		b, rec := newTestButton(t, ButtonConfig{Name: "flat1", Pin: p, LongPress: 2 * time.Second})
		stop := start(t, b.Run)
		defer stop()

		// A short press: no long press.
		edge(p, gpio.Low)
		time.Sleep(500 * time.Millisecond)
		edge(p, gpio.High)
		time.Sleep(3 * time.Second)
		if n := rec.count(LongPress); n != 0 {
			t.Fatalf("short press gave %d long presses", n)
		}

		// Held for 5 s: one long press, exactly 2 s after the press.
		t0 := time.Now()
		edge(p, gpio.Low)
		time.Sleep(5 * time.Second)
		edge(p, gpio.High)
		time.Sleep(time.Second)
		var long []Event
		for _, e := range rec.events() {
			if e.Kind == LongPress {
				long = append(long, e)
			}
		}
		if len(long) != 1 {
			t.Fatalf("long presses %v, want one", long)
		}
		if long[0].Duration != 2*time.Second || !long[0].Time.Equal(t0.Add(2*time.Second)) {
			t.Errorf("long press %v at %v, want 2s at t0+2s", long[0].Duration, long[0].Time.Sub(t0))
		}
		want := []Kind{ButtonPressed, ButtonReleased, ButtonPressed, LongPress, ButtonReleased}
		if got := rec.kinds(); !slices.Equal(got, want) {
			t.Errorf("events %v, want %v", got, want)
		}
	})
}

// A button held when the watcher starts (stuck, or pressed while booting) is
// not a press.
func TestButtonHeldAtStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO17")
		b, rec := newTestButton(t, ButtonConfig{Name: "flat1", Pin: p, LongPress: time.Second})
		p.Out(gpio.Low)
		stop := start(t, b.Run)
		defer stop()
		time.Sleep(3 * time.Second)
		edge(p, gpio.High)
		time.Sleep(time.Second)
		if ev := rec.events(); len(ev) != 0 {
			t.Errorf("events %v, want none", ev)
		}
	})
}

// A burst of presses while the consumer is slow loses none: the queue
// merges them into pending presses and drops nothing.
func TestButtonBurstSlowConsumer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPin("GPIO17")
		q := NewQueue(8)
		b, _ := newTestButton(t, ButtonConfig{Name: "flat1", Pin: p, Repeat: -1, Sink: q})
		stop := start(t, b.Run)

		presses := 0
		done := make(chan struct{})
		consumed := make(chan int)
		go func() {
			n := 0
			for {
				e, ok := q.Next(done)
				if !ok {
					consumed <- n
					return
				}
				if e.Kind == ButtonPressed {
					n += e.Count
				}
				time.Sleep(3 * time.Second) // a slow consumer: a SIP call set-up
			}
		}()
		const burst = 200
		for range burst {
			edge(p, gpio.Low)
			time.Sleep(60 * time.Millisecond)
			edge(p, gpio.High)
			time.Sleep(60 * time.Millisecond)
			presses++
		}
		time.Sleep(10 * time.Second) // the consumer drains what is pending
		stop()
		close(done)
		if got := <-consumed; got != presses {
			t.Errorf("consumer saw %d presses, want %d", got, presses)
		}
		if d := q.Dropped(); d != 0 {
			t.Errorf("%d events dropped", d)
		}
		if q.Merged() == 0 {
			t.Error("no events merged: the consumer was not slow")
		}
	})
}

func TestButtonNoPin(t *testing.T) {
	if _, err := NewButton(ButtonConfig{Name: "x"}); err == nil {
		t.Error("NewButton without a pin succeeded")
	}
}
