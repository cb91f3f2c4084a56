//go:build oto

package oto

import (
	"errors"
	"fmt"
	"sync"
	"time"

	otov2 "github.com/hajimehoshi/oto/v2"
)

// The latency budget: a sample given to WriteFrame waits behind at most
// queueFrames in the Sink's queue, playerFrames in oto's buffer for the Sink
// and deviceBuffer in alsa-lib before it is played: 20 + 40 + 40 = 100 ms
// when the writer keeps everything full, as one paced by WriteFrame does.
const (
	// frameDuration is the length of one frame: 20 ms, rate/50 samples.
	frameDuration = 20 * time.Millisecond
	// queueFrames is how many frames the Sink's own queue holds before
	// WriteFrame blocks.
	queueFrames = 1
	// playerFrames is how many frames oto's buffer for the Sink holds.
	playerFrames = 2
	// deviceBuffer is the ALSA buffer oto asks for; oto splits it into two
	// periods, so one 20 ms period is written while the other plays.
	// alsa-lib may round it (dmix, for one, has its own period size).
	deviceBuffer = 40 * time.Millisecond
	// readWait bounds how long oto's mixing loop waits on an empty Sink,
	// which also bounds how long it may keep another Sink waiting.
	readWait = 5 * time.Millisecond
	// stallTimeout is how long WriteFrame waits for room before it looks for
	// a failed output stream.
	stallTimeout = time.Second
	// stallLimit is how long WriteFrame waits for room in all before it
	// gives up on an output stream that takes nothing and reports no error.
	stallLimit = 3 * time.Second
	// drainTimeout bounds how long Close waits for the queued samples to
	// reach alsa-lib.
	drainTimeout = 500 * time.Millisecond
	// openTimeout bounds how long Open waits for alsa-lib to open and set up
	// the device; a busy hw: device can make snd_pcm_open wait indefinitely.
	openTimeout = 5 * time.Second
)

// ErrClosed is returned by WriteFrame once the Sink is closed.
var ErrClosed = errors.New("oto: sink closed")

// The one oto context of the process: oto supports no second one, so every
// Sink shares it, and so its sample rate.
var shared struct {
	mu    sync.Mutex
	ctx   *otov2.Context
	ready chan struct{}
	rate  int
}

// Sink plays 16-bit mono frames on alsa-lib's default PCM through oto.
// WriteFrame and Close may be called from different goroutines.
type Sink struct {
	ctx    *otov2.Context
	player otov2.Player
	q      *queue
	rate   int

	closeOnce sync.Once
	closeErr  error
}

// Open opens a playback Sink of 16-bit mono samples at rate Hz (a frame of
// 20 ms is rate/50 samples, so rate must be a positive multiple of 50) on
// alsa-lib's "default" PCM, or the first other PCM alsa-lib offers if
// "default" fails to open. alsa-lib converts the rate and format for the
// device when its configuration allows (plug, dmix, PulseAudio, PipeWire).
//
// The first Open of the process opens the device; later ones share it, and
// must ask for the same rate: oto runs one output stream per process, which
// stays open when the sinks close. If that stream has failed (say, a USB
// sound card was unplugged), the next Open tries to open a fresh one.
func Open(rate int) (*Sink, error) {
	if rate <= 0 || rate%50 != 0 {
		return nil, fmt.Errorf("oto: open at %d Hz: the rate must be a positive multiple of 50 (20 ms frames)", rate)
	}
	ctx, err := sharedContext(rate)
	if err != nil {
		return nil, err
	}
	frame := rate / 50
	q := newQueue(queueFrames*frame, readWait)
	p := ctx.NewPlayer(q)
	// oto's default player buffer is half a second. Its mixer pads with
	// silence whatever its output loop asks for and the buffer lacks, and
	// that loop may ask for two periods at once when alsa-lib has room for
	// them, so the buffer holds playerFrames, two periods' worth.
	if bs, ok := p.(otov2.BufferSizeSetter); ok {
		bs.SetBufferSize(playerFrames * frame * 2)
	}
	p.Play()
	return &Sink{ctx: ctx, player: p, q: q, rate: rate}, nil
}

// sharedContext returns the process's oto context at rate, opening it on
// first use or after it failed.
func sharedContext(rate int) (*otov2.Context, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()

	if shared.ctx != nil && isClosed(shared.ready) && shared.ctx.Err() != nil {
		// A failed stream: oto leaves its alsa-lib handle open, but a new
		// context opens a new one, which works on dmix, PulseAudio and
		// PipeWire.
		shared.ctx = nil
	}
	if shared.ctx == nil {
		ctx, ready, err := otov2.NewContextWithOptions(&otov2.NewContextOptions{
			SampleRate:   rate,
			ChannelCount: 1,
			Format:       otov2.FormatSignedInt16LE,
			BufferSize:   deviceBuffer,
		})
		if err != nil {
			return nil, fmt.Errorf("oto: open at %d Hz: %w", rate, err)
		}
		shared.ctx, shared.ready, shared.rate = ctx, ready, rate
	}
	if rate != shared.rate {
		return nil, fmt.Errorf("oto: open at %d Hz: playback already runs at %d Hz, and oto allows one rate per process", rate, shared.rate)
	}

	t := time.NewTimer(openTimeout)
	defer t.Stop()
	select {
	case <-shared.ready:
	case <-t.C:
		return nil, fmt.Errorf("oto: open at %d Hz: the ALSA device is not ready after %v (busy?)", rate, openTimeout)
	}
	if err := shared.ctx.Err(); err != nil {
		shared.ctx = nil
		return nil, fmt.Errorf("oto: open at %d Hz: %w", rate, err)
	}
	return shared.ctx, nil
}

// isClosed reports whether c is closed.
func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// Rate returns the Sink's sample rate in Hz.
func (s *Sink) Rate() int { return s.rate }

// WriteFrame queues pcm, 16-bit mono samples at the Sink's rate, for playing
// after what was written before. A frame is 20 ms (rate/50 samples), but any
// length is accepted. It blocks while the Sink's small buffer is full, so a
// caller that writes frame after frame is paced by the device's clock. It
// does not keep pcm.
//
// It returns ErrClosed once the Sink is closed, and an error when the output
// stream has failed or has taken no samples for a few seconds.
func (s *Sink) WriteFrame(pcm []int16) error {
	var waited time.Duration
	err := s.q.write(pcm, stallTimeout, func() error {
		if err := s.ctx.Err(); err != nil {
			return fmt.Errorf("oto: write: %w", err)
		}
		waited += stallTimeout
		if waited >= stallLimit {
			return fmt.Errorf("oto: write: %w", errStalled)
		}
		return nil
	})
	return err
}

// Close stops the Sink: a WriteFrame blocked in it or called after it
// returns ErrClosed. Close lets the samples already queued play (waiting for
// them at most half a second), then removes the Sink from oto's mixer. The
// process's output stream stays open for the next Open. Close may be called
// more than once; later calls return what the first returned.
func (s *Sink) Close() error {
	s.closeOnce.Do(func() {
		s.q.close()
		deadline := time.Now().Add(drainTimeout)
		for s.player.IsPlaying() && s.ctx.Err() == nil && time.Now().Before(deadline) {
			time.Sleep(frameDuration / 4)
		}
		s.closeErr = s.player.Close()
	})
	return s.closeErr
}
