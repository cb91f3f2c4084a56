// Package pace clocks real-time devices: a Pacer blocks until the next 20 ms
// frame is due, so a file or null device behaves like a sound card.
package pace

import "time"

// MaxLag is how far behind the clock a Pacer may fall before it gives up
// catching up and restarts its schedule from now (a stalled reader should not
// be answered with a burst of frames).
const MaxLag = 5

// ticker is a periodic clock that the network poller waits on: the kernel
// keeps the schedule, and a frame costs one wake-up and one read.
type ticker interface {
	// start sets it to expire every period, the first time a period
	// from now.
	start(period time.Duration) error
	// wait blocks until it has expired since the last wait, and says
	// how many times.
	wait() (uint64, error)
	close() error
}

// Pacer schedules frames of a fixed period. The zero value is not usable; make
// one with New.
type Pacer struct {
	period time.Duration

	// A ticker keeps the schedule where the system has one.
	clock   ticker
	started bool   // the clock runs
	owed    uint64 // frames due that Wait has yet to return for

	// Elsewhere, or once the ticker failed, the Pacer keeps it itself
	// on the runtime's timers.
	next  time.Time
	now   func() time.Time
	sleep func(time.Duration)
}

// New returns a Pacer for frames of the given period. The first call to Wait
// returns at once and starts the schedule.
func New(period time.Duration) *Pacer {
	p := &Pacer{period: period, now: time.Now, sleep: time.Sleep}
	if c, err := newClock(); err == nil {
		p.clock = c
	}
	return p
}

// Close releases the Pacer's clock. A closed Pacer still paces, on the
// runtime's timers.
func (p *Pacer) Close() error {
	if p.clock == nil {
		return nil
	}
	c := p.clock
	p.clock = nil
	return c.close()
}

// Wait blocks until the next frame is due.
func (p *Pacer) Wait() {
	if p.clock != nil && p.tick() {
		return
	}
	now := p.now()
	if p.next.IsZero() || now.Sub(p.next) > MaxLag*p.period {
		p.next = now.Add(p.period)
		return
	}
	if d := p.next.Sub(now); d > 0 {
		p.sleep(d)
	}
	p.next = p.next.Add(p.period)
}

// tick is Wait on the ticker. Should the ticker fail, it closes it and
// reports false: the runtime's timers take over with a new schedule.
func (p *Pacer) tick() bool {
	switch {
	case !p.started:
		p.started = p.clock.start(p.period) == nil
	case p.owed > 0:
		p.owed--
	default:
		n, err := p.clock.wait()
		switch {
		case err != nil:
			p.started = false
		case n-1 > MaxLag:
			p.owed = 0
			p.started = p.clock.start(p.period) == nil
		default:
			p.owed = n - 1
		}
	}
	if !p.started {
		p.Close()
	}
	return p.started
}
