package audio

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"intercom/audio/internal/pace"
)

// FrameDuration is the length of every frame a Source produces and a Sink
// consumes.
const FrameDuration = 20 * time.Millisecond

// FrameSamples is the number of samples in one frame at rate: rate/50.
func FrameSamples(rate int) int { return rate / 50 }

// Rates are the sample rates devices run at: narrowband (G.711) and wideband
// (G.722).
var Rates = [...]int{8000, 16000}

// ErrRate reports a sample rate the devices do not run at.
var ErrRate = errors.New("audio: sample rate must be 8000 or 16000")

// CheckRate returns ErrRate unless rate is one of Rates.
func CheckRate(rate int) error {
	for _, r := range Rates {
		if rate == r {
			return nil
		}
	}
	return fmt.Errorf("%w, not %d", ErrRate, rate)
}

// Format describes the frames of a device: 16-bit mono PCM at Rate.
type Format struct {
	Rate int // samples per second: 8000 or 16000
}

// FrameSamples is the number of samples in one frame of f.
func (f Format) FrameSamples() int { return FrameSamples(f.Rate) }

// Source produces frames.
type Source interface {
	// ReadFrame fills pcm (len = FrameSamples(rate)) with the next frame,
	// blocking until it is due for real-time devices. A finite source
	// returns io.EOF once it has nothing more.
	ReadFrame(pcm []int16) error
	// Close releases the device.
	Close() error
}

// Sink consumes frames.
type Sink interface {
	// WriteFrame plays one frame, blocking when its buffer is full for
	// real-time devices.
	WriteFrame(pcm []int16) error
	// Close releases the device, after playing what it holds where it can.
	Close() error
}

// Direction is the way audio flows through a device.
type Direction int

// Directions.
const (
	Capture  Direction = iota + 1 // a Source: microphone, file read
	Playback                      // a Sink: speaker, file written
)

// String returns "capture" or "playback".
func (d Direction) String() string {
	switch d {
	case Capture:
		return "capture"
	case Playback:
		return "playback"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// Backend opens the devices of one kind. Either function may be nil when the
// backend has no devices in that direction (oto plays only).
type Backend struct {
	// OpenSource opens a capture device; arg is what follows "kind:" in
	// the device string ("" when there is no colon).
	OpenSource func(arg string, f Format) (Source, error)
	// OpenSink opens a playback device.
	OpenSink func(arg string, f Format) (Sink, error)
}

var (
	backendsMu sync.RWMutex
	backends   = map[string]Backend{}
)

// pending are backends that exist in the design but are not wired in yet;
// opening them says so rather than calling the kind unknown.
var pending = map[string]bool{"alsa": true, "oto": true}

// Register makes the devices of kind openable by OpenSource, OpenSink and
// Open. Backends call it from an init function. It panics when kind is empty,
// contains a colon, is registered twice, or b opens nothing, as these are
// programming errors.
func Register(kind string, b Backend) {
	if kind == "" || strings.Contains(kind, ":") {
		panic(fmt.Sprintf("audio: Register of bad kind %q", kind))
	}
	if b.OpenSource == nil && b.OpenSink == nil {
		panic("audio: Register of backend " + kind + " that opens nothing")
	}
	backendsMu.Lock()
	defer backendsMu.Unlock()
	if _, dup := backends[kind]; dup {
		panic("audio: Register called twice for backend " + kind)
	}
	backends[kind] = b
}

// Backends returns the registered kinds, sorted.
func Backends() []string {
	backendsMu.RLock()
	defer backendsMu.RUnlock()
	kinds := make([]string, 0, len(backends))
	for k := range backends {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

func backend(spec string, dir Direction) (Backend, string, error) {
	kind, arg, _ := strings.Cut(spec, ":")
	backendsMu.RLock()
	b, ok := backends[kind]
	backendsMu.RUnlock()
	switch {
	case ok:
	case pending[kind]:
		return b, "", fmt.Errorf("audio: open %s device %q: the %s backend is not built in yet", dir, spec, kind)
	default:
		return b, "", fmt.Errorf("audio: open %s device %q: unknown kind %q (have %s)", dir, spec, kind, strings.Join(Backends(), ", "))
	}
	if dir == Capture && b.OpenSource == nil || dir == Playback && b.OpenSink == nil {
		return b, "", fmt.Errorf("audio: open %s device %q: %s has no %s devices", dir, spec, kind, dir)
	}
	return b, arg, nil
}

// OpenSource opens the capture device named by spec ("null", "wav:FILE",
// "alsa:DEVICE", ...) for frames at rate.
func OpenSource(spec string, rate int) (Source, error) {
	if err := CheckRate(rate); err != nil {
		return nil, fmt.Errorf("audio: open capture device %q: %w", spec, err)
	}
	b, arg, err := backend(spec, Capture)
	if err != nil {
		return nil, err
	}
	s, err := b.OpenSource(arg, Format{Rate: rate})
	if err != nil {
		return nil, fmt.Errorf("audio: open capture device %q: %w", spec, err)
	}
	return s, nil
}

// OpenSink opens the playback device named by spec ("null", "wav:FILE",
// "oto", "alsa:DEVICE", ...) for frames at rate.
func OpenSink(spec string, rate int) (Sink, error) {
	if err := CheckRate(rate); err != nil {
		return nil, fmt.Errorf("audio: open playback device %q: %w", spec, err)
	}
	b, arg, err := backend(spec, Playback)
	if err != nil {
		return nil, err
	}
	s, err := b.OpenSink(arg, Format{Rate: rate})
	if err != nil {
		return nil, fmt.Errorf("audio: open playback device %q: %w", spec, err)
	}
	return s, nil
}

// Open opens spec in direction dir; the result is a Source for Capture and a
// Sink for Playback.
func Open(spec string, rate int, dir Direction) (Source, Sink, error) {
	switch dir {
	case Capture:
		s, err := OpenSource(spec, rate)
		return s, nil, err
	case Playback:
		s, err := OpenSink(spec, rate)
		return nil, s, err
	}
	return nil, nil, fmt.Errorf("audio: open %q: bad direction %v", spec, dir)
}

// ErrClosed is returned by a device used after Close.
var ErrClosed = errors.New("audio: device closed")

// Null is both a Source of silence and a Sink that discards, paced by a 20 ms
// clock like a sound card unless made with NewUnpacedNull.
type Null struct {
	pacer  *pace.Pacer
	closed bool
}

// NewNull returns a Null device paced in real time.
func NewNull() *Null { return &Null{pacer: pace.New(FrameDuration)} }

// NewUnpacedNull returns a Null device that never blocks, for tests.
func NewUnpacedNull() *Null { return &Null{} }

// ReadFrame fills pcm with silence once the frame is due.
func (n *Null) ReadFrame(pcm []int16) error {
	if n.closed {
		return ErrClosed
	}
	if n.pacer != nil {
		n.pacer.Wait()
	}
	clear(pcm)
	return nil
}

// WriteFrame discards pcm once the frame is due.
func (n *Null) WriteFrame(pcm []int16) error {
	if n.closed {
		return ErrClosed
	}
	if n.pacer != nil {
		n.pacer.Wait()
	}
	return nil
}

// Close makes further reads and writes fail with ErrClosed, and releases
// the clock.
func (n *Null) Close() error {
	n.closed = true
	if n.pacer != nil {
		return n.pacer.Close()
	}
	return nil
}

func init() {
	Register("null", Backend{
		OpenSource: func(arg string, _ Format) (Source, error) {
			if arg != "" {
				return nil, fmt.Errorf("null takes no argument")
			}
			return NewNull(), nil
		},
		OpenSink: func(arg string, _ Format) (Sink, error) {
			if arg != "" {
				return nil, fmt.Errorf("null takes no argument")
			}
			return NewNull(), nil
		},
	})
}
