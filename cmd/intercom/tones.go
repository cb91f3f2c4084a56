package main

import (
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"intercom/audio"
	"intercom/audio/tone"
	"intercom/sipua"
)

// toneRate is the rate of call progress tones: narrowband is enough.
const toneRate = 8000

// progressTones plays the call progress of outgoing calls on the speaker:
// ringback while the callee rings, then a busy tone (486, 600) or the
// error tone when the call fails. A call's audio waits for its ringback
// to give the speaker back.
type progressTones struct {
	audio *Audio
	log   *slog.Logger

	mu       sync.Mutex
	ringing  map[*sipua.Call]chan struct{} // closed when the ringback stopped
	shutdown sync.WaitGroup
}

func newProgressTones(a *Audio, log *slog.Logger) *progressTones {
	return &progressTones{audio: a, log: log, ringing: make(map[*sipua.Call]chan struct{})}
}

// event starts or stops tones for a call event.
func (p *progressTones) event(e sipua.Event) {
	c := e.Call
	if c == nil || c.Direction() != "outgoing" {
		return
	}
	switch e.Name {
	case sipua.EventCallRinging:
		p.mu.Lock()
		if _, on := p.ringing[c]; on {
			p.mu.Unlock()
			return
		}
		stopped := make(chan struct{})
		p.ringing[c] = stopped
		p.mu.Unlock()
		p.play(func() (*tone.Tone, error) { return tone.Ringback(p.audio.Country, toneRate) }, c, stopped)
	case sipua.EventCallEnded:
		if e.Code == 0 || c.Summary().Answered {
			return
		}
		p.wait(c)
		t := func() (*tone.Tone, error) { return tone.Error(toneRate) }
		if e.Code == 486 || e.Code == 600 {
			t = func() (*tone.Tone, error) { return tone.Busy(p.audio.Country, toneRate) }
		}
		p.play(t, nil, nil)
	}
}

// wait returns once the ringback of c, if any, has given the speaker back.
func (p *progressTones) wait(c *sipua.Call) {
	p.mu.Lock()
	stopped, ok := p.ringing[c]
	delete(p.ringing, c)
	p.mu.Unlock()
	if ok {
		<-stopped
	}
}

// busyFor bounds a busy tone.
const busyFor = 3 * time.Second

// play plays a tone on the speaker: until call c is answered or ends, or,
// with no call, for at most busyFor; then closes stopped.
func (p *progressTones) play(newTone func() (*tone.Tone, error), c *sipua.Call, stopped chan struct{}) {
	p.shutdown.Add(1)
	go func() {
		defer p.shutdown.Done()
		if stopped != nil {
			defer close(stopped)
		}
		t, err := newTone()
		if err != nil {
			p.log.Warn("tone", "err", err)
			return
		}
		sink, err := audio.OpenSink(p.audio.Sink, toneRate)
		if err != nil {
			p.log.Debug("no speaker for tones", "err", err)
			return
		}
		defer sink.Close()
		var until, answered, done <-chan struct{}
		if c != nil {
			answered, done = c.Answered(), c.Done()
		} else {
			until = timeAfter(busyFor)
		}
		frame := make([]int16, audio.FrameSamples(toneRate))
		for {
			select {
			case <-answered:
				return
			case <-done:
				return
			case <-until:
				return
			default:
			}
			if err := t.ReadFrame(frame); errors.Is(err, io.EOF) {
				return
			}
			if err := sink.WriteFrame(frame); err != nil {
				return
			}
		}
	}()
}

// timeAfter is a channel closed after d.
func timeAfter(d time.Duration) <-chan struct{} {
	ch := make(chan struct{})
	time.AfterFunc(d, func() { close(ch) })
	return ch
}
