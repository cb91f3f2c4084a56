package wav

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"intercom/audio/internal/pace"
	"intercom/audio/resample"
)

// Options says how a Source plays its file.
type Options struct {
	// Loop starts the file over at its end instead of ending with io.EOF.
	Loop bool
	// Paced makes ReadFrame (and a Sink's WriteFrame) block until the frame
	// is due, every 20 ms, like a sound card; unpaced is for tests and
	// offline work.
	Paced bool
}

const frameDuration = 20 * time.Millisecond

// Source reads a WAV file as 20 ms frames of 16-bit mono PCM at a chosen rate.
// It implements audio.Source.
type Source struct {
	rd      *Reader
	closer  io.Closer
	rs      *resample.Resampler
	pacer   *pace.Pacer
	loop    bool
	in      []int16 // decoded samples at the file's rate, one block
	out     []int16 // resampled samples not yet returned
	outPos  int
	eof     bool // the file (and the resampler's tail) is spent
	flushed int  // samples of silence fed to drain the resampler
	err     error
}

// Open opens the named file as a Source of frames at rate.
func Open(name string, rate int, opt Options) (*Source, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	s, err := NewSource(f, rate, opt)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s.closer = f
	return s, nil
}

// NewSource reads a WAV file from r as a Source of frames at rate. Looping
// needs r to be an io.Seeker. Close closes r when it is an io.Closer.
func NewSource(r io.Reader, rate int, opt Options) (*Source, error) {
	rd, err := NewReader(r)
	if err != nil {
		return nil, err
	}
	if rate < 1 {
		return nil, fmt.Errorf("wav: bad frame rate %d", rate)
	}
	if _, ok := r.(io.Seeker); opt.Loop && !ok {
		return nil, errors.New("wav: looping needs a file that can seek")
	}
	rs, err := resample.New(rd.h.Rate, rate)
	if err != nil {
		return nil, fmt.Errorf("wav: %w", err)
	}
	block := max(1, rd.h.Rate/50)
	s := &Source{rd: rd, rs: rs, loop: opt.Loop, in: make([]int16, block)}
	s.out = make([]int16, 0, rs.MaxOut(block)+rate/50)
	if c, ok := r.(io.Closer); ok {
		s.closer = c
	}
	if opt.Paced {
		s.pacer = pace.New(frameDuration)
	}
	return s, nil
}

// Header returns the format of the file's samples.
func (s *Source) Header() Header { return s.rd.Header() }

// ReadFrame fills pcm with the next samples. The last frame of a file that does
// not loop is padded with silence; the call after it returns io.EOF.
func (s *Source) ReadFrame(pcm []int16) error {
	if s.err != nil {
		return s.err
	}
	if s.pacer != nil {
		s.pacer.Wait()
	}
	n := 0
	for n < len(pcm) {
		if s.outPos < len(s.out) {
			c := copy(pcm[n:], s.out[s.outPos:])
			n += c
			s.outPos += c
			continue
		}
		if s.eof {
			if n == 0 {
				s.err = io.EOF
				return io.EOF
			}
			clear(pcm[n:])
			return nil
		}
		if err := s.fill(); err != nil {
			s.err = err
			return err
		}
	}
	return nil
}

// fill decodes and resamples one more block.
func (s *Source) fill() error {
	s.out, s.outPos = s.out[:0], 0
	m, err := s.rd.ReadMono(s.in)
	switch {
	case err == io.EOF && s.loop:
		if s.rd.h.DataSize == 0 || s.flushed < 0 {
			return errors.New("wav: looping a file without samples")
		}
		s.flushed = -1 // seen EOF right after a rewind means no samples
		return s.rd.Rewind()
	case err == io.EOF:
		// Feed silence through the filter so the file's last samples
		// come out, then stop.
		tail := int(math.Ceil(s.rs.Delay() * float64(s.rd.h.Rate) / float64(s.rs.OutRate())))
		if s.flushed >= tail {
			s.eof = true
			return nil
		}
		k := min(len(s.in), tail-s.flushed)
		clear(s.in[:k])
		s.flushed += k
		s.out = s.rs.Process(s.out, s.in[:k])
		return nil
	case err != nil:
		return err
	}
	s.flushed = 0
	s.out = s.rs.Process(s.out, s.in[:m])
	return nil
}

// Close closes the file.
func (s *Source) Close() error {
	s.err = errors.New("wav: source closed")
	if s.pacer != nil {
		s.pacer.Close()
	}
	if s.closer != nil {
		c := s.closer
		s.closer = nil
		return c.Close()
	}
	return nil
}
