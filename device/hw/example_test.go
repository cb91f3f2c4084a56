package hw_test

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"intercom/board"
	"intercom/device/hw"
)

// The wiring the firmware does: one queue for every input, one goroutine
// per watcher owned by a WaitGroup, SafeOnPanic deferred in each, and the
// behaviour layer reading the queue. The pins come from the board package:
// here the simulated board's.
func Example() {
	sim := board.NewSim()
	defer sim.Close()
	bellPin, _ := sim.Pin("GPIO17")
	doorPin, _ := sim.Pin("GPIO23")
	relayPin, _ := sim.Pin("GPIO27")

	defer hw.SafeOnPanic()
	q := hw.NewQueue(0)
	relay, err := hw.NewRelay(hw.RelayConfig{Name: "door", Pin: relayPin, Pulse: 3 * time.Second, Sink: q})
	if err != nil {
		panic(err)
	}
	defer relay.Close()
	bell, err := hw.NewButton(hw.ButtonConfig{Name: "flat1", Pin: bellPin, LongPress: 2 * time.Second, Sink: q})
	if err != nil {
		panic(err)
	}
	door, err := hw.NewDoor(hw.ContactConfig{Name: "door", Pin: doorPin, HeldOpen: time.Minute, Sink: q})
	if err != nil {
		panic(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{bell.Run, door.Run} {
		wg.Go(func() {
			defer hw.SafeOnPanic()
			_ = run(ctx)
		})
	}
	for {
		e, ok := q.Next(ctx.Done())
		if !ok {
			break
		}
		slog.Info("device", "event", e.Kind.String(), "name", e.Name, "count", e.Count)
		if e.Kind == hw.LongPress {
			_ = relay.Pulse(0)
		}
	}
	wg.Wait()
	// Output:
}
