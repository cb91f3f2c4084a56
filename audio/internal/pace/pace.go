// Package pace clocks real-time devices: a Pacer blocks until the next 20 ms
// frame is due, so a file or null device behaves like a sound card.
package pace

import "time"

// MaxLag is how far behind the clock a Pacer may fall before it gives up
// catching up and restarts its schedule from now (a stalled reader should not
// be answered with a burst of frames).
const MaxLag = 5

// Pacer schedules frames of a fixed period. The zero value is not usable; make
// one with New.
type Pacer struct {
	period time.Duration
	next   time.Time
	now    func() time.Time
	sleep  func(time.Duration)
	clock  *clock // the pollable clock sleep waits on, nil if none
}

// New returns a Pacer for frames of the given period. The first call to Wait
// returns at once and starts the schedule.
func New(period time.Duration) *Pacer {
	p := &Pacer{period: period, now: time.Now, sleep: time.Sleep}
	if c, err := newClock(); err == nil {
		p.clock, p.sleep = c, c.sleep
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
	p.clock, p.sleep = nil, time.Sleep
	return c.close()
}

// Wait blocks until the next frame is due.
func (p *Pacer) Wait() {
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

// Reset forgets the schedule; the next Wait starts a new one.
func (p *Pacer) Reset() { p.next = time.Time{} }
