package alsa

import (
	"fmt"

	"intercom/audio"
	"intercom/audio/resample"
)

// This file plugs the package into audio's registry: importing it makes
// "alsa:DEVICE" open with audio.OpenSource and audio.OpenSink. The frames
// there are mono at 8 or 16 kHz; when the card runs another rate the adapter
// converts with audio/resample, which allocates nothing per frame.

func init() {
	audio.Register("alsa", audio.Backend{
		OpenSource: func(arg string, f audio.Format) (audio.Source, error) {
			d, err := OpenCapture(arg, Params{Rate: f.Rate, Channels: 1})
			if err != nil {
				return nil, err
			}
			s, err := newSource(d, d.Params().Rate, f.Rate)
			if err != nil {
				d.Close()
				return nil, err
			}
			return s, nil
		},
		OpenSink: func(arg string, f audio.Format) (audio.Sink, error) {
			d, err := OpenPlayback(arg, Params{Rate: f.Rate, Channels: 1})
			if err != nil {
				return nil, err
			}
			s, err := newSink(d, f.Rate, d.Params().Rate)
			if err != nil {
				d.Close()
				return nil, err
			}
			return s, nil
		},
	})
}

// pcmReader and pcmWriter are the parts of a Device the adapters use, so
// that tests can stand in for a card.
type pcmReader interface {
	Read(frames []int16) error
	Close() error
}

type pcmWriter interface {
	Write(frames []int16) error
	Close() error
}

// source adapts a capture Device to audio.Source at the call's rate.
type source struct {
	dev  pcmReader
	rs   *resample.Resampler // nil when the card runs at the call's rate
	hw   []int16             // one 20 ms frame at the card's rate
	fifo []int16             // converted samples not yet returned
}

func newSource(dev pcmReader, hwRate, rate int) (*source, error) {
	s := &source{dev: dev}
	if hwRate == rate {
		return s, nil
	}
	rs, err := resample.New(hwRate, rate)
	if err != nil {
		return nil, fmt.Errorf("alsa: card runs at %d Hz: %w", hwRate, err)
	}
	s.rs = rs
	s.hw = make([]int16, audio.FrameSamples(hwRate))
	s.fifo = make([]int16, 0, audio.FrameSamples(rate)+rs.MaxOut(len(s.hw)))
	return s, nil
}

// ReadFrame fills pcm with the next frame, blocking until the card has it.
func (s *source) ReadFrame(pcm []int16) error {
	if s.rs == nil {
		return s.dev.Read(pcm)
	}
	for len(s.fifo) < len(pcm) {
		if err := s.dev.Read(s.hw); err != nil {
			return err
		}
		s.fifo = s.rs.Process(s.fifo, s.hw)
	}
	copy(pcm, s.fifo)
	s.fifo = s.fifo[:copy(s.fifo, s.fifo[len(pcm):])]
	return nil
}

// Close closes the card.
func (s *source) Close() error { return s.dev.Close() }

// sink adapts a playback Device to audio.Sink at the call's rate.
type sink struct {
	dev pcmWriter
	rs  *resample.Resampler // nil when the card runs at the call's rate
	out []int16             // converted frame
}

func newSink(dev pcmWriter, rate, hwRate int) (*sink, error) {
	s := &sink{dev: dev}
	if hwRate == rate {
		return s, nil
	}
	rs, err := resample.New(rate, hwRate)
	if err != nil {
		return nil, fmt.Errorf("alsa: card runs at %d Hz: %w", hwRate, err)
	}
	s.rs = rs
	s.out = make([]int16, 0, rs.MaxOut(audio.FrameSamples(rate)))
	return s, nil
}

// WriteFrame queues one frame, blocking while the card's buffer is full.
func (s *sink) WriteFrame(pcm []int16) error {
	if s.rs == nil {
		return s.dev.Write(pcm)
	}
	s.out = s.rs.Process(s.out[:0], pcm)
	return s.dev.Write(s.out)
}

// Close plays what is queued, when the card can, and closes it.
func (s *sink) Close() error {
	if d, ok := s.dev.(interface{ Drain() error }); ok {
		_ = d.Drain()
	}
	return s.dev.Close()
}

// OpenFrames opens capture and playback of one card as a Duplex, started
// together, adapted to mono frames at rate: what an echo canceller needs,
// where separately opened streams would start at unrelated times. spec is
// the device without its "alsa:" prefix.
func OpenFrames(spec string, rate int) (audio.Source, audio.Sink, error) {
	if err := audio.CheckRate(rate); err != nil {
		return nil, nil, err
	}
	x, err := OpenDuplex(spec, Params{Rate: rate, Channels: 1})
	if err != nil {
		return nil, nil, err
	}
	src, err := newSource(x.Capture, x.Capture.Params().Rate, rate)
	if err != nil {
		x.Close()
		return nil, nil, err
	}
	snk, err := newSink(x.Playback, rate, x.Playback.Params().Rate)
	if err != nil {
		x.Close()
		return nil, nil, err
	}
	if err := x.Start(0); err != nil {
		x.Close()
		return nil, nil, err
	}
	return src, snk, nil
}
