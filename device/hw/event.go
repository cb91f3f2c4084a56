package hw

import (
	"fmt"
	"sync"
	"time"
)

// Kind says what happened on a peripheral.
type Kind uint8

// The kinds of event. Their String forms are stable names, used as the
// `event` key in logs and in the HTTP event stream.
const (
	// ButtonPressed: a button went to its active level (reported on the
	// first edge, before bounce settles).
	ButtonPressed Kind = iota + 1
	// ButtonReleased: a pressed button was let go.
	ButtonReleased
	// LongPress: a button stayed pressed for its LongPress time.
	LongPress
	// DoorOpened: the door contact reports the door open.
	DoorOpened
	// DoorClosed: the door contact reports the door closed.
	DoorClosed
	// DoorHeldOpen: the door has been open for longer than allowed.
	DoorHeldOpen
	// Tamper: the tamper switch triggered (housing opened).
	Tamper
	// TamperCleared: the tamper switch returned to normal.
	TamperCleared
	// RelayOn: the relay was switched on.
	RelayOn
	// RelayOff: the relay was switched off; Event.Duration is how long it
	// was on.
	RelayOff
	// RelayMaxOnTime: the relay's maximum on-time ran out and it was forced
	// off (a RelayOff follows).
	RelayMaxOnTime
)

var kindNames = [...]string{
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
}

// String returns the kind's stable snake_case name, such as "button_pressed".
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// momentary reports whether events of this kind only say "it happened" and
// may be merged while one is already pending (see Queue).
func (k Kind) momentary() bool {
	switch k {
	case ButtonPressed, ButtonReleased, LongPress, DoorHeldOpen, Tamper, RelayMaxOnTime:
		return true
	}
	return false
}

// Event is one thing that happened on a peripheral.
type Event struct {
	// Kind is what happened.
	Kind Kind
	// Name is the peripheral's configured name ("flat1", "door", ...).
	Name string
	// Time is when it happened: for a press, the first edge.
	Time time.Time
	// Duration is how long the state lasted, where that means something:
	// the hold time of a LongPress, the open time of a DoorHeldOpen, the
	// on-time of a RelayOff.
	Duration time.Duration
	// Count is how many occurrences this event stands for: 1, or more when
	// a Queue merged momentary events that arrived while one was pending.
	Count int
}

// String formats the event for logs and test failures.
func (e Event) String() string {
	s := e.Kind.String() + " " + e.Name
	if e.Duration != 0 {
		s += " " + e.Duration.String()
	}
	if e.Count > 1 {
		s += fmt.Sprintf(" x%d", e.Count)
	}
	return s
}

// Sink receives events from the pin watchers. Post must not block: it runs
// on the goroutine that watches a pin (or on a relay timer).
type Sink interface {
	Post(Event)
}

// SinkFunc adapts a function to Sink. The function must return quickly and
// never block.
type SinkFunc func(Event)

// Post calls f(e).
func (f SinkFunc) Post(e Event) { f(e) }

// post sends e to s, if there is a sink.
func post(s Sink, e Event) {
	if e.Count == 0 {
		e.Count = 1
	}
	if s != nil {
		s.Post(e)
	}
}

// DefaultQueueSize is the capacity of a Queue made with size 0.
const DefaultQueueSize = 64

// Queue is a bounded, non-blocking Sink that the behaviour layer reads from.
//
// Post never blocks. A momentary event (ButtonPressed, ButtonReleased,
// LongPress, DoorHeldOpen, Tamper, RelayMaxOnTime) whose Kind and Name match
// one still pending in the queue is merged into it (its Count grows, its Time
// stays the first one, its Duration is the longest): a burst of presses while
// the consumer is busy becomes one pending press, and the press is never
// lost. Merged events keep the order of their first occurrence; the current
// level of an input is read from the peripheral (Button.Pressed,
// Contact.Active). State changes (DoorOpened/DoorClosed, TamperCleared,
// RelayOn/RelayOff) are not merged; they are debounced or command-driven, so
// a consumer would have to stall for many seconds to fill DefaultQueueSize.
// Only if the queue is full anyway is an event dropped, and Dropped counts
// it.
type Queue struct {
	mu      sync.Mutex
	buf     []Event
	size    int
	ready   chan struct{} // one token while buf is non-empty
	dropped uint64
	merged  uint64
}

// NewQueue returns a Queue that holds up to size pending events
// (DefaultQueueSize if size <= 0).
func NewQueue(size int) *Queue {
	if size <= 0 {
		size = DefaultQueueSize
	}
	return &Queue{size: size, buf: make([]Event, 0, size), ready: make(chan struct{}, 1)}
}

// Post queues e without blocking; see Queue for merging and drops.
func (q *Queue) Post(e Event) {
	if e.Count == 0 {
		e.Count = 1
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if e.Kind.momentary() {
		for i := range q.buf {
			if q.buf[i].Kind == e.Kind && q.buf[i].Name == e.Name {
				q.buf[i].Count += e.Count
				if e.Duration > q.buf[i].Duration {
					q.buf[i].Duration = e.Duration
				}
				q.merged++
				return
			}
		}
	}
	if len(q.buf) >= q.size {
		q.dropped++
		return
	}
	q.buf = append(q.buf, e)
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// Ready returns a channel that has a value while events may be pending; after
// receiving from it, call TryNext until it reports false.
func (q *Queue) Ready() <-chan struct{} { return q.ready }

// TryNext returns the oldest pending event, or false if there is none.
func (q *Queue) TryNext() (Event, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.buf) == 0 {
		return Event{}, false
	}
	e := q.buf[0]
	n := copy(q.buf, q.buf[1:])
	q.buf = q.buf[:n]
	if n > 0 {
		select {
		case q.ready <- struct{}{}:
		default:
		}
	}
	return e, true
}

// Next waits for the oldest pending event, or until done is closed (pass
// ctx.Done()); ok is false in that case.
func (q *Queue) Next(done <-chan struct{}) (e Event, ok bool) {
	for {
		if e, ok := q.TryNext(); ok {
			return e, true
		}
		select {
		case <-q.ready:
		case <-done:
			return Event{}, false
		}
	}
}

// Len returns the number of pending events.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.buf)
}

// Dropped returns how many events were dropped because the queue was full.
func (q *Queue) Dropped() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}

// Merged returns how many momentary events were merged into a pending one.
func (q *Queue) Merged() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.merged
}
