package wav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// build returns a WAV file with the given format fields and raw data, and
// extra chunks before the data chunk.
func build(format, channels, rate, bits int, data []byte, extra ...string) []byte {
	le := binary.LittleEndian
	var b bytes.Buffer
	b.WriteString("RIFF\x00\x00\x00\x00WAVE")
	for _, e := range extra {
		b.WriteString(e)
	}
	fmtc := make([]byte, 16)
	le.PutUint16(fmtc[0:], uint16(format))
	le.PutUint16(fmtc[2:], uint16(channels))
	le.PutUint32(fmtc[4:], uint32(rate))
	le.PutUint32(fmtc[8:], uint32(rate*channels*bits/8))
	le.PutUint16(fmtc[12:], uint16(channels*bits/8))
	le.PutUint16(fmtc[14:], uint16(bits))
	b.WriteString("fmt \x10\x00\x00\x00")
	b.Write(fmtc)
	b.WriteString("data")
	binary.Write(&b, le, uint32(len(data)))
	b.Write(data)
	out := b.Bytes()
	le.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

// memFile is an in-memory io.ReadWriteSeeker.
type memFile struct {
	b   []byte
	off int64
}

func (m *memFile) Read(p []byte) (int, error) {
	if m.off >= int64(len(m.b)) {
		return 0, io.EOF
	}
	n := copy(p, m.b[m.off:])
	m.off += int64(n)
	return n, nil
}

func (m *memFile) Write(p []byte) (int, error) {
	if need := m.off + int64(len(p)); need > int64(len(m.b)) {
		m.b = append(m.b, make([]byte, need-int64(len(m.b)))...)
	}
	n := copy(m.b[m.off:], p)
	m.off += int64(n)
	return n, nil
}

func (m *memFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		m.off = off
	case io.SeekCurrent:
		m.off += off
	case io.SeekEnd:
		m.off = int64(len(m.b)) + off
	}
	return m.off, nil
}

func readAll(t *testing.T, r *Reader) []int16 {
	t.Helper()
	var out []int16
	buf := make([]int16, 7)
	for {
		n, err := r.ReadMono(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestDecode(t *testing.T) {
	le := binary.LittleEndian
	f32 := func(vs ...float32) []byte {
		var b []byte
		for _, v := range vs {
			b = le.AppendUint32(b, math.Float32bits(v))
		}
		return b
	}
	for _, tt := range []struct {
		name                   string
		format, ch, rate, bits int
		data                   []byte
		want                   []int16
	}{
		{"16-bit mono", 1, 1, 8000, 16, []byte{1, 0, 0xff, 0xff, 0, 0x80, 0xff, 0x7f}, []int16{1, -1, -32768, 32767}},
		{"16-bit stereo mixes", 1, 2, 8000, 16, []byte{100, 0, 200, 0, 0, 0x80, 0, 0x80}, []int16{150, -32768}},
		{"8-bit", 1, 1, 8000, 8, []byte{128, 0, 255, 192}, []int16{0, -32768, 32512, 16384}},
		{"24-bit", 1, 1, 8000, 24, []byte{0x00, 0x01, 0x00, 0xff, 0xff, 0x7f, 0x00, 0x00, 0x80}, []int16{1, 32767, -32768}},
		{"32-bit", 1, 1, 8000, 32, []byte{0, 0, 0x01, 0x00, 0, 0, 0x00, 0xc0}, []int16{1, -16384}},
		{"float", 3, 1, 8000, 32, f32(0.5, -1, 2, float32(math.NaN())), []int16{16384, -32768, 32767, 0}},
		{"partial last frame dropped", 1, 2, 8000, 16, []byte{1, 0, 1, 0, 5}, []int16{1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(build(tt.format, tt.ch, tt.rate, tt.bits, tt.data, "LIST\x03\x00\x00\x00abc\x00")))
			if err != nil {
				t.Fatal(err)
			}
			got := readAll(t, r)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	good := build(1, 1, 8000, 16, []byte{1, 0})
	for _, tt := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "reading RIFF header"},
		{"not riff", []byte("RIFX\x00\x00\x00\x00WAVE"), "not a RIFF WAVE"},
		{"no chunks", good[:12], "no fmt chunk"},
		{"no data", good[:36], "no data chunk"},
		{"truncated fmt", good[:24], "reading fmt chunk"},
		{"encoding", build(2, 1, 8000, 16, nil), "encoding 2"},
		{"channels", build(1, 0, 8000, 16, nil), "0 channels"},
		{"rate", build(1, 1, 0, 16, nil), "sample rate 0"},
		{"bits", build(1, 1, 8000, 12, nil), "12-bit PCM"},
		{"float bits", build(3, 1, 8000, 16, nil), "16-bit float"},
		{"data first", []byte("RIFF\x00\x00\x00\x00WAVEdata\x00\x00\x00\x00"), "before the fmt chunk"},
		{"huge chunk", []byte("RIFF\x00\x00\x00\x00WAVEjunk\xff\xff\xff\xff"), `skipping "junk"`},
		{"fmt size", []byte("RIFF\x00\x00\x00\x00WAVEfmt \x08\x00\x00\x00"), "fmt chunk of 8 bytes"},
	} {
		_, err := NewReader(bytes.NewReader(tt.file))
		if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an ErrFormat with %q", tt.name, err, tt.want)
		}
	}
}

func TestSinkRoundTrip(t *testing.T) {
	m := &memFile{}
	s, err := NewSink(m, 16000, 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, 320)
	for k := range 5 {
		for i := range frame {
			frame[i] = int16(k*1000 + i)
		}
		if err := s.WriteFrame(frame); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal("second close:", err)
	}
	if len(m.b) != 44+5*640 {
		t.Fatalf("file of %d bytes", len(m.b))
	}
	src, err := NewSource(bytes.NewReader(m.b), 16000, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if h := src.Header(); h.Rate != 16000 || h.Channels != 1 || h.Bits != 16 || h.DataSize != 5*640 {
		t.Fatalf("header %+v", h)
	}
	for k := range 5 {
		if err := src.ReadFrame(frame); err != nil {
			t.Fatal(err)
		}
		for i := range frame {
			if frame[i] != int16(k*1000+i) {
				t.Fatalf("frame %d sample %d = %d", k, i, frame[i])
			}
		}
	}
	if err := src.ReadFrame(frame); err != io.EOF {
		t.Fatalf("after the last frame: %v", err)
	}
}

func TestSourceResamplesAndLoops(t *testing.T) {
	// 0.5 s of a 1 kHz stereo sine at 48 kHz, read as 8 kHz frames.
	const rate = 48000
	var data []byte
	for i := range rate / 2 {
		v := int16(10000 * math.Sin(2*math.Pi*1000*float64(i)/rate))
		data = binary.LittleEndian.AppendUint16(data, uint16(v))
		data = binary.LittleEndian.AppendUint16(data, uint16(v))
	}
	file := build(1, 2, rate, 16, data)
	src, err := NewSource(bytes.NewReader(file), 8000, Options{})
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, 160)
	frames := 0
	var sum float64
	var n int
	for {
		err := src.ReadFrame(frame)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		frames++
		if frames > 2 && frames < 24 {
			for _, v := range frame {
				sum += float64(v) * float64(v)
				n++
			}
		}
	}
	if frames != 26 { // 25 frames and the resampler's tail
		t.Errorf("%d frames, want 26", frames)
	}
	if rms := math.Sqrt(sum / float64(n)); math.Abs(rms-7071) > 70 {
		t.Errorf("RMS %.0f, want about 7071", rms)
	}

	loop, err := NewSource(bytes.NewReader(file), 16000, Options{Loop: true})
	if err != nil {
		t.Fatal(err)
	}
	frame = make([]int16, 320)
	for range 200 { // 4 s of a 0.5 s file
		if err := loop.ReadFrame(frame); err != nil {
			t.Fatal(err)
		}
	}
	if testing.AllocsPerRun(50, func() { loop.ReadFrame(frame) }) != 0 {
		t.Error("ReadFrame allocates")
	}

	empty, err := NewSource(bytes.NewReader(build(1, 1, 8000, 16, nil)), 8000, Options{Loop: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := empty.ReadFrame(frame[:160]); err == nil {
		t.Error("looping an empty file did not fail")
	}
}

func TestFiles(t *testing.T) {
	name := filepath.Join(t.TempDir(), "x.wav")
	s, err := Create(name, 8000, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFrame(make([]int16, 160)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	src, err := Open(name, 8000, Options{Loop: true, Paced: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.ReadFrame(make([]int16, 160)); err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(name, []byte("RIFF"), 0o644)
	if _, err := Open(name, 8000, Options{}); err == nil || !strings.Contains(err.Error(), name) {
		t.Errorf("opening a bad file: %v", err)
	}
}

func FuzzSource(f *testing.F) {
	f.Add(build(1, 1, 8000, 16, []byte{1, 2, 3, 4}))
	f.Add(build(1, 2, 44100, 24, make([]byte, 60)))
	f.Add(build(3, 1, 48000, 32, make([]byte, 40)))
	f.Add(build(1, 3, 11025, 8, make([]byte, 31)))
	f.Add(build(1, 1, 8, 8, make([]byte, 300)))
	f.Fuzz(func(t *testing.T, file []byte) {
		src, err := NewSource(bytes.NewReader(file), 8000, Options{})
		if err != nil {
			if !errors.Is(err, ErrFormat) && !strings.Contains(err.Error(), "resample") {
				t.Fatalf("error without ErrFormat: %v", err)
			}
			return
		}
		// A file that does not loop ends: no more frames than its samples
		// make at 8 kHz, and the resampler's tail.
		h := src.Header()
		limit := int64(len(file)/h.BlockAlign())*8000/int64(h.Rate)/160 + 3 + int64(src.rs.Delay())/160
		frame := make([]int16, 160)
		for range limit + 1 {
			if err := src.ReadFrame(frame); err != nil {
				if err != io.EOF {
					t.Fatalf("error after the header: %v", err)
				}
				return
			}
		}
		t.Fatalf("%d bytes gave more than %d frames", len(file), limit)
	})
}

func BenchmarkSourceFrame(b *testing.B) {
	data := make([]byte, 48000*2*2)
	file := build(1, 2, 48000, 16, data)
	src, err := NewSource(bytes.NewReader(file), 16000, Options{Loop: true})
	if err != nil {
		b.Fatal(err)
	}
	frame := make([]int16, 320)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := src.ReadFrame(frame); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSinkFrame(b *testing.B) {
	s, err := NewSink(&memFile{b: make([]byte, 0, 1<<20)}, 16000, 1, Options{})
	if err != nil {
		b.Fatal(err)
	}
	frame := make([]int16, 320)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.w.Seek(44, io.SeekStart) // keep the memory file small
		s.bytes = 0
		if err := s.WriteFrame(frame); err != nil {
			b.Fatal(err)
		}
	}
}
