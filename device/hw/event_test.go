package hw

import (
	"testing"
	"testing/synctest"
	"time"
)

// The names are a contract with logs, the event stream and scripts.
func TestKindNamesStable(t *testing.T) {
	want := map[Kind]string{
		ButtonPressed:  "button_pressed",
		ButtonReleased: "button_released",
		LongPress:      "long_press",
		DoorOpened:     "door_opened",
		DoorClosed:     "door_closed",
		DoorHeldOpen:   "door_held_open",
		Tamper:         "tamper",
		TamperCleared:  "tamper_cleared",
		RelayOn:        "relay_on",
		RelayOff:       "relay_off",
		RelayMaxOnTime: "relay_max_on_time",
		0:              "kind(0)",
		200:            "kind(200)",
	}
	for k, name := range want {
		if got := k.String(); got != name {
			t.Errorf("Kind(%d).String() = %q, want %q", uint8(k), got, name)
		}
	}
}

func TestQueueMergesMomentary(t *testing.T) {
	q := NewQueue(4)
	t0 := time.Unix(1000, 0)
	for i := range 100 {
		q.Post(Event{Kind: ButtonPressed, Name: "flat1", Time: t0.Add(time.Duration(i) * time.Second)})
	}
	q.Post(Event{Kind: ButtonPressed, Name: "flat2", Time: t0})
	q.Post(Event{Kind: DoorOpened, Name: "door", Time: t0})
	q.Post(Event{Kind: DoorClosed, Name: "door", Time: t0})
	if q.Len() != 4 || q.Dropped() != 0 || q.Merged() != 99 {
		t.Fatalf("len %d dropped %d merged %d, want 4 0 99", q.Len(), q.Dropped(), q.Merged())
	}
	e, ok := q.TryNext()
	if !ok || e.Kind != ButtonPressed || e.Name != "flat1" || e.Count != 100 || !e.Time.Equal(t0) {
		t.Errorf("first event %+v, want flat1 x100 at the first press", e)
	}
	// Once taken, a new press starts a new pending event, and later ones
	// merge into it even when the queue is full.
	q.Post(Event{Kind: ButtonPressed, Name: "flat1"})
	q.Post(Event{Kind: ButtonPressed, Name: "flat1"})
	if q.Dropped() != 0 {
		t.Errorf("dropped %d, want 0", q.Dropped())
	}
	q.Post(Event{Kind: DoorOpened, Name: "door"}) // full, not mergeable: dropped and counted
	if q.Dropped() != 1 {
		t.Errorf("dropped %d, want 1", q.Dropped())
	}
	var kinds []Kind
	for {
		e, ok := q.TryNext()
		if !ok {
			break
		}
		kinds = append(kinds, e.Kind)
		if e.Name == "flat1" && e.Count != 2 {
			t.Errorf("second flat1 press count %d, want 2", e.Count)
		}
	}
	want := []Kind{ButtonPressed, DoorOpened, DoorClosed, ButtonPressed}
	if len(kinds) != len(want) {
		t.Fatalf("drained %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Errorf("drained %v, want %v", kinds, want)
			break
		}
	}
}

func TestQueueNextWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := NewQueue(0)
		done := make(chan struct{})
		got := make(chan Event)
		go func() {
			for {
				e, ok := q.Next(done)
				if !ok {
					close(got)
					return
				}
				got <- e
			}
		}()
		time.Sleep(time.Second)
		q.Post(Event{Kind: Tamper, Name: "tamper"})
		if e := <-got; e.Kind != Tamper || e.Count != 1 {
			t.Errorf("got %+v", e)
		}
		close(done)
		if _, ok := <-got; ok {
			t.Error("Next returned an event after done")
		}
	})
}

func TestSinkFunc(t *testing.T) {
	var got Event
	post(SinkFunc(func(e Event) { got = e }), Event{Kind: LongPress, Name: "flat1", Duration: 2 * time.Second})
	if got.Kind != LongPress || got.Count != 1 || got.String() != "long_press flat1 2s" {
		t.Errorf("got %v (%+v)", got, got)
	}
	post(nil, Event{Kind: LongPress}) // a nil sink drops
}
