// Package wav reads and writes RIFF WAVE files.
//
// A Reader decodes PCM of 8, 16, 24 or 32 bits and IEEE float of 32 bits, any
// number of channels and any rate, to 16-bit mono samples. A Source turns a
// file into 20 ms frames at the rate a call runs at, resampling and mixing
// down as needed, and a Sink writes frames to a 16-bit mono file whose header
// is completed on Close. Both satisfy the device interfaces of package audio.
//
// Malformed files are reported as errors that say what is wrong and where;
// nothing in a file makes the package panic or allocate more than the file's
// header describes within fixed limits.
package wav

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Encodings in the format chunk.
const (
	FormatPCM        = 1      // integer PCM
	FormatFloat      = 3      // IEEE float
	FormatExtensible = 0xFFFE // WAVE_FORMAT_EXTENSIBLE: the real one is in the sub-format
)

// MaxChannels bounds the channels of a file the Reader accepts.
const MaxChannels = 32

// ErrFormat is wrapped by every error about a malformed or unsupported file.
var ErrFormat = errors.New("wav: bad file")

// Header describes the samples of a WAV file.
type Header struct {
	Format   int   // FormatPCM or FormatFloat, after resolving FormatExtensible
	Channels int   // interleaved channels per frame
	Rate     int   // frames per second
	Bits     int   // bits per sample: 8, 16, 24 or 32
	DataSize int64 // bytes of samples; -1 when the header leaves it open (a stream)
}

// BlockAlign is the size of one frame of all channels in bytes.
func (h Header) BlockAlign() int { return h.Channels * h.Bits / 8 }

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

// Reader decodes the samples of a WAV file to 16-bit mono.
type Reader struct {
	r       io.Reader
	h       Header
	dataOff int64 // offset of the first sample from the start of the file
	left    int64 // bytes of data not yet read; -1: until EOF
	raw     []byte
	part    int // bytes of an incomplete frame at the start of raw
}

const rawSize = 4096

// NewReader reads the header of a WAV file from r, up to the first sample.
func NewReader(r io.Reader) (*Reader, error) {
	var b [12]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, formatErr("reading RIFF header: %v", noEOF(err))
	}
	if string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, formatErr("not a RIFF WAVE file")
	}
	off := int64(12)
	var h Header
	haveFmt := false
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			if !haveFmt {
				return nil, formatErr("no fmt chunk: %v", noEOF(err))
			}
			return nil, formatErr("no data chunk: %v", noEOF(err))
		}
		off += 8
		id, size := string(ch[0:4]), int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch id {
		case "fmt ":
			if haveFmt {
				return nil, formatErr("second fmt chunk at offset %d", off-8)
			}
			if size < 16 || size > 1024 {
				return nil, formatErr("fmt chunk of %d bytes", size)
			}
			var f [1024]byte
			if _, err := io.ReadFull(r, f[:size]); err != nil {
				return nil, formatErr("reading fmt chunk: %v", noEOF(err))
			}
			var err error
			if h, err = parseFmt(f[:size]); err != nil {
				return nil, err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, formatErr("data chunk at offset %d before the fmt chunk", off-8)
			}
			h.DataSize = size
			if size == 0xFFFFFFFF || size == 0 {
				h.DataSize = -1 // streamed or never patched: read to EOF
			}
			rd := &Reader{r: r, h: h, dataOff: off, left: h.DataSize, raw: make([]byte, rawSize-rawSize%h.BlockAlign())}
			return rd, nil
		default:
			if _, err := io.CopyN(io.Discard, r, size+size&1); err != nil {
				return nil, formatErr("skipping %q chunk of %d bytes at offset %d: %v", id, size, off-8, noEOF(err))
			}
		}
		off += size + size&1
	}
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func parseFmt(f []byte) (Header, error) {
	le := binary.LittleEndian
	h := Header{
		Format:   int(le.Uint16(f[0:])),
		Channels: int(le.Uint16(f[2:])),
		Rate:     int(le.Uint32(f[4:])),
		Bits:     int(le.Uint16(f[14:])),
	}
	align := int(le.Uint16(f[12:]))
	if h.Format == FormatExtensible {
		if len(f) < 40 {
			return h, formatErr("extensible fmt chunk of %d bytes, want 40", len(f))
		}
		h.Format = int(le.Uint16(f[24:])) // first two bytes of the sub-format GUID
	}
	switch {
	case h.Format != FormatPCM && h.Format != FormatFloat:
		return h, formatErr("encoding %d is neither PCM (1) nor IEEE float (3)", h.Format)
	case h.Channels < 1 || h.Channels > MaxChannels:
		return h, formatErr("%d channels", h.Channels)
	case h.Rate < 1 || h.Rate > 1_000_000:
		return h, formatErr("sample rate %d", h.Rate)
	case h.Format == FormatPCM && h.Bits != 8 && h.Bits != 16 && h.Bits != 24 && h.Bits != 32:
		return h, formatErr("%d-bit PCM", h.Bits)
	case h.Format == FormatFloat && h.Bits != 32:
		return h, formatErr("%d-bit float", h.Bits)
	case align != h.BlockAlign():
		return h, formatErr("block align %d, want %d for %d channels of %d bits", align, h.BlockAlign(), h.Channels, h.Bits)
	}
	return h, nil
}

// Header returns the format of the file's samples.
func (r *Reader) Header() Header { return r.h }

// Rewind goes back to the first sample; the file must be an io.Seeker.
func (r *Reader) Rewind() error {
	s, ok := r.r.(io.Seeker)
	if !ok {
		return errors.New("wav: rewind: file cannot seek")
	}
	if _, err := s.Seek(r.dataOff, io.SeekStart); err != nil {
		return fmt.Errorf("wav: rewind: %w", err)
	}
	r.left, r.part = r.h.DataSize, 0
	return nil
}

// ReadMono decodes up to len(dst) frames, mixes each down to one 16-bit
// sample, and returns how many it stored. At the end of the data it returns
// 0, io.EOF; a trailing partial frame is dropped.
func (r *Reader) ReadMono(dst []int16) (int, error) {
	align := r.h.BlockAlign()
	want := min(len(dst)*align, len(r.raw))
	if r.left >= 0 {
		want = int(min(int64(want), r.left+int64(r.part)))
	}
	if want < align {
		if len(dst) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := r.part
	for n < align {
		m, err := r.r.Read(r.raw[n:want])
		n += m
		if r.left >= 0 {
			r.left -= int64(m)
		}
		if err == io.EOF || err == nil && m == 0 && n < align {
			if n < align {
				r.part, r.left = 0, 0
				return 0, io.EOF
			}
			break
		}
		if err != nil {
			return 0, fmt.Errorf("wav: reading samples: %w", err)
		}
	}
	frames := n / align
	r.decode(dst[:frames], r.raw[:frames*align])
	r.part = copy(r.raw, r.raw[frames*align:n])
	return frames, nil
}

func (r *Reader) decode(dst []int16, raw []byte) {
	ch, bps := r.h.Channels, r.h.Bits/8
	for i := range dst {
		f := raw[i*ch*bps : (i+1)*ch*bps]
		var sum float64
		switch {
		case r.h.Format == FormatFloat:
			for c := 0; c < ch; c++ {
				v := float64(math.Float32frombits(binary.LittleEndian.Uint32(f[c*4:])))
				if v != v { // NaN
					v = 0
				}
				sum += v * 32768
			}
		case bps == 1:
			for c := 0; c < ch; c++ {
				sum += float64((int(f[c]) - 128) << 8)
			}
		case bps == 2:
			for c := 0; c < ch; c++ {
				sum += float64(int16(binary.LittleEndian.Uint16(f[c*2:])))
			}
		case bps == 3:
			for c := 0; c < ch; c++ {
				v := int32(uint32(f[c*3])<<8|uint32(f[c*3+1])<<16|uint32(f[c*3+2])<<24) >> 8
				sum += float64(v) / 256
			}
		default:
			for c := 0; c < ch; c++ {
				sum += float64(int32(binary.LittleEndian.Uint32(f[c*4:]))) / 65536
			}
		}
		dst[i] = clip(sum / float64(ch))
	}
}

func clip(v float64) int16 {
	switch {
	case v != v: // NaN, from +Inf and -Inf in a float file
		return 0
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	}
	return int16(math.Round(v))
}
