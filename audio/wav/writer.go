package wav

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"intercom/audio/internal/pace"
)

// Sink writes 20 ms frames (or any run of samples) of 16-bit PCM to a WAV
// file; Close writes the sizes into the header. It implements audio.Sink.
type Sink struct {
	w        io.WriteSeeker
	closer   io.Closer
	pacer    *pace.Pacer
	channels int
	rate     int
	bytes    int64
	buf      []byte
	err      error
}

// maxData is the most sample bytes a RIFF file's 32-bit sizes can describe.
const maxData = 0xFFFFFFFF - 36

// Create creates the named file and returns a Sink writing mono frames at
// rate to it. Only opt.Paced applies.
func Create(name string, rate int, opt Options) (*Sink, error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	s, err := NewSink(f, rate, 1, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// NewSink writes a header for 16-bit PCM of the given channels at rate to w
// and returns a Sink for the samples, interleaved when channels > 1. Close
// patches the header and closes w when it is an io.Closer.
func NewSink(w io.WriteSeeker, rate, channels int, opt Options) (*Sink, error) {
	if rate < 1 || rate > 1_000_000 || channels < 1 || channels > MaxChannels {
		return nil, fmt.Errorf("wav: cannot write %d channels at %d Hz", channels, rate)
	}
	s := &Sink{w: w, channels: channels, rate: rate, buf: make([]byte, 44, 44+2*rate/50*channels)}
	if c, ok := w.(io.Closer); ok {
		s.closer = c
	}
	if opt.Paced {
		s.pacer = pace.New(frameDuration)
	}
	s.header(s.buf)
	if _, err := w.Write(s.buf); err != nil {
		return nil, fmt.Errorf("wav: writing header: %w", err)
	}
	return s, nil
}

func (s *Sink) header(b []byte) {
	le := binary.LittleEndian
	copy(b[0:], "RIFF")
	le.PutUint32(b[4:], uint32(36+s.bytes))
	copy(b[8:], "WAVEfmt ")
	le.PutUint32(b[16:], 16)
	le.PutUint16(b[20:], FormatPCM)
	le.PutUint16(b[22:], uint16(s.channels))
	le.PutUint32(b[24:], uint32(s.rate))
	le.PutUint32(b[28:], uint32(s.rate*s.channels*2))
	le.PutUint16(b[32:], uint16(s.channels*2))
	le.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	le.PutUint32(b[40:], uint32(s.bytes))
}

// WriteFrame appends the samples of pcm to the file.
func (s *Sink) WriteFrame(pcm []int16) error {
	if s.err != nil {
		return s.err
	}
	if len(pcm)%s.channels != 0 {
		return fmt.Errorf("wav: %d samples do not divide into %d channels", len(pcm), s.channels)
	}
	if s.bytes+int64(2*len(pcm)) > maxData {
		return errors.New("wav: file would exceed 4 GiB")
	}
	if s.pacer != nil {
		s.pacer.Wait()
	}
	b := s.buf[:0]
	for _, v := range pcm {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	s.buf = b[:0]
	if _, err := s.w.Write(b); err != nil {
		s.err = fmt.Errorf("wav: writing samples: %w", err)
		return s.err
	}
	s.bytes += int64(len(b))
	return nil
}

// Close writes the sizes into the header and closes the file.
func (s *Sink) Close() error {
	if s.err == errSinkClosed {
		return nil
	}
	err := s.err
	s.err = errSinkClosed
	if s.pacer != nil {
		s.pacer.Close()
	}
	if err == nil {
		var h [44]byte
		s.header(h[:])
		if _, err = s.w.Seek(0, io.SeekStart); err == nil {
			_, err = s.w.Write(h[:])
		}
		if err == nil {
			_, err = s.w.Seek(0, io.SeekEnd)
		}
		if err != nil {
			err = fmt.Errorf("wav: patching header: %w", err)
		}
	}
	if s.closer != nil {
		if cerr := s.closer.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

var errSinkClosed = errors.New("wav: sink closed")
