//go:build oto

package oto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests play through alsa-lib's file plugin: the "default" PCM of an
// ALSA configuration made for the test writes what oto plays, as WAV, into a
// socket, over the null plugin. The null plugin takes samples as fast as they
// come, so the test's reader of the socket is the clock: it reads at the rate
// a sound card would play, and the full socket paces oto's output loop.
// oto allows one output stream per process, so TestMain sets it up once for
// all the tests (and for -count=N).

// testRate is the rate of every Sink in the tests: 16 kHz, G.722's.
const testRate = 16000

var played *capture

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "oto-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)

	// The file plugin writes to a descriptor of ours, one end of a socket
	// pair whose send buffer is as small as the kernel allows: a pipe would
	// do, but a pipe frees room a 4 KiB page at a time, which makes the
	// stream take 64 ms at once at 16 kHz, far burstier than a sound card.
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "socketpair:", err)
		return 1
	}
	if err := syscall.SetsockoptInt(fds[0], syscall.SOL_SOCKET, syscall.SO_SNDBUF, 1); err != nil {
		fmt.Fprintln(os.Stderr, "SO_SNDBUF:", err)
		return 1
	}
	asoundrc := fmt.Sprintf(`pcm.!default {
	type file
	slave.pcm "null"
	file %d
	format "wav"
}
`, fds[0])
	if err := os.WriteFile(filepath.Join(dir, ".asoundrc"), []byte(asoundrc), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.Setenv("HOME", dir)
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, ".config"))
	os.Unsetenv("ALSA_CONFIG_PATH")

	played = startCapture(os.NewFile(uintptr(fds[1]), "capture"), testRate)

	// Open the output stream and let it settle before the tests. Until the
	// pipe, the file plugin's buffer and the ALSA buffer have filled, the
	// stream takes samples as fast as they come, faster than any writer, and
	// what it does not find it plays as silence; once full, it takes them at
	// the reader's pace, as a sound card would.
	s, err := Open(testRate)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s.Close()
	if _, _, err := played.waitFor(0, 10*time.Second, func(s []float32) bool { return len(s) >= testRate/4 }); err != nil {
		fmt.Fprintln(os.Stderr, "waiting for the output stream:", err)
		return 1
	}
	return m.Run()
}

// capture reads the socket that the file plugin writes: a WAV header, then
// float samples, at the pace of a sound card playing them. It keeps reading
// until the process exits, so the output stream never sees a broken pipe.
type capture struct {
	mu      sync.Mutex
	header  wavFormat
	samples []float32 // all read so far, first channel
	err     error
	changed chan struct{}
}

// wavFormat is the fmt chunk of the WAV header the file plugin writes.
type wavFormat struct {
	tag, channels, blockAlign, bits uint16
	rate, byteRate                  uint32
}

func startCapture(f *os.File, rate int) *capture {
	c := &capture{changed: make(chan struct{}, 1)}
	go c.run(f, rate)
	return c
}

func (c *capture) fail(err error) {
	c.mu.Lock()
	c.err = err
	c.mu.Unlock()
	notify(c.changed)
}

func (c *capture) run(f *os.File, rate int) {
	var hdr [44]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		c.fail(fmt.Errorf("reading the WAV header: %w", err))
		return
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:16]) != "WAVEfmt " || string(hdr[36:40]) != "data" {
		c.fail(fmt.Errorf("not the WAV header the file plugin writes: % x", hdr))
		return
	}
	le := binary.LittleEndian
	h := wavFormat{
		tag:        le.Uint16(hdr[20:]),
		channels:   le.Uint16(hdr[22:]),
		rate:       le.Uint32(hdr[24:]),
		byteRate:   le.Uint32(hdr[28:]),
		blockAlign: le.Uint16(hdr[32:]),
		bits:       le.Uint16(hdr[34:]),
	}
	c.mu.Lock()
	c.header = h
	c.mu.Unlock()
	if h.bits != 32 || h.blockAlign == 0 || h.blockAlign%4 != 0 {
		c.fail(fmt.Errorf("the file plugin writes %d-bit samples in %d-byte frames; oto sends 32-bit floats", h.bits, h.blockAlign))
		return
	}

	// Read 10 ms at a time, at most as fast as a sound card would play.
	chunk := make([]byte, rate/100*int(h.blockAlign))
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		if _, err := io.ReadFull(f, chunk); err != nil {
			c.fail(err)
			return
		}
		c.mu.Lock()
		for off := 0; off < len(chunk); off += int(h.blockAlign) {
			c.samples = append(c.samples, math.Float32frombits(le.Uint32(chunk[off:])))
		}
		c.mu.Unlock()
		notify(c.changed)
	}
}

// mark returns how many samples were read so far.
func (c *capture) mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.samples)
}

// waitFor waits until ok, called with the samples read since mark, returns
// true, or until timeout. It returns the samples since mark and the header.
func (c *capture) waitFor(mark int, timeout time.Duration, ok func([]float32) bool) ([]float32, wavFormat, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		s, h, err := c.samples[mark:], c.header, c.err
		c.mu.Unlock()
		if err != nil {
			return s, h, fmt.Errorf("capture: %w", err)
		}
		if ok(s) {
			return s, h, nil
		}
		select {
		case <-c.changed:
		case <-deadline.C:
			return s, h, fmt.Errorf("capture: timed out after %v with %d samples", timeout, len(s))
		}
	}
}

// testSignal returns what TestPlayback plays: 500 ms of a 1 kHz cosine at
// half of full scale (its first sample is the peak, so its start is plain),
// then a ramp over the whole 16-bit range in steps of 16, then silence to a
// whole number of frames.
func testSignal(rate int) (sig []int16, toneLen int) {
	const amplitude = 16384
	toneLen = rate / 2
	for n := range toneLen {
		sig = append(sig, int16(math.Round(amplitude*math.Cos(2*math.Pi*1000*float64(n)/float64(rate)))))
	}
	for v := -32768; v <= 32767; v += 16 {
		sig = append(sig, int16(v))
	}
	frame := rate / 50
	for len(sig)%frame != 0 {
		sig = append(sig, 0)
	}
	return sig, toneLen
}

// TestPlayback plays a tone and a ramp through Open, WriteFrame and Close and
// checks what reached alsa-lib: the format oto set up (32-bit float, mono, at
// the Sink's rate), then every sample, exactly, in order with no gap, after
// the leading silence; and, read off the samples themselves, the tone's
// frequency and level.
func TestPlayback(t *testing.T) {
	mark := played.mark()
	s, err := Open(testRate)
	if err != nil {
		t.Fatal(err)
	}
	sig, toneLen := testSignal(testRate)
	frame := testRate / 50
	for off := 0; off < len(sig); off += frame {
		if err := s.WriteFrame(sig[off : off+frame]); err != nil {
			t.Fatalf("WriteFrame at sample %d: %v", off, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// Wait for the first sound and what should follow it, plus a frame of
	// the silence after it.
	start := 0
	got, h, err := played.waitFor(mark, 15*time.Second, func(s []float32) bool {
		for start < len(s) && s[start] == 0 {
			start++
		}
		return start < len(s) && len(s)-start >= len(sig)+frame
	})
	if err != nil {
		t.Fatalf("%v (sound starts at %d)", err, start)
	}
	t.Logf("file plugin: WAV format tag %d, %d channel(s), %d Hz, %d bits, %d-byte frames; leading silence %d samples",
		h.tag, h.channels, h.rate, h.bits, h.blockAlign, start)

	// What oto asked alsa-lib for: 32-bit little-endian floats (oto always
	// mixes to float), one channel, our rate. alsa-lib's file plugin labels
	// floats as PCM (tag 1) in its WAV header; a fixed one would say 3.
	if h.channels != 1 || h.rate != testRate || h.bits != 32 || h.blockAlign != 4 || (h.tag != 1 && h.tag != 3) {
		t.Errorf("the file plugin got format tag %d, %d channels, %d Hz, %d bits; want float (tag 1 or 3), 1 channel, %d Hz, 32 bits",
			h.tag, h.channels, h.rate, h.bits, testRate)
	}

	// Sample-exact: oto's mixer turns a 16-bit sample v into float32 v/32768,
	// which is exact, and one player at volume 1 adds nothing to it.
	out := got[start : start+len(sig)]
	bad := 0
	for i, want := range sig {
		if g := out[i] * 32768; g != float32(want) {
			if bad < 5 {
				t.Errorf("sample %d (of %d): got %v, want %d", i, len(sig), g, want)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d samples differ", bad, len(sig))
	}
	for i, v := range got[start+len(sig) : start+len(sig)+frame] {
		if v != 0 {
			t.Errorf("after the signal, sample %d is %v, want silence", i, v)
			break
		}
	}

	// The tone as a meter would read it.
	tone := out[:toneLen]
	var sum float64
	crossings, prev := 0, float32(0)
	for _, v := range tone {
		sum += float64(v) * float64(v)
		if v != 0 {
			if prev != 0 && (v > 0) != (prev > 0) {
				crossings++
			}
			prev = v
		}
	}
	level := 10 * math.Log10(sum/float64(len(tone)))
	freq := float64(crossings) / 2 / (float64(len(tone)) / testRate)
	t.Logf("tone: %.2f dBFS, %.1f Hz", level, freq)
	// A cosine at half of full scale: 20*log10(0.5/sqrt(2)) = -9.03 dBFS.
	if want := 20 * math.Log10(0.5/math.Sqrt2); math.Abs(level-want) > 0.05 {
		t.Errorf("tone level %.3f dBFS, want %.3f", level, want)
	}
	if math.Abs(freq-1000) > 4 {
		t.Errorf("tone frequency %.1f Hz, want 1000", freq)
	}
}

func TestOpenRejectsBadRate(t *testing.T) {
	for _, rate := range []int{0, -8000, 8001, 11025} {
		if s, err := Open(rate); err == nil {
			s.Close()
			t.Errorf("Open(%d) succeeded, want an error", rate)
		}
	}
}

// TestOpenOneRate checks that a second rate is refused while the process's
// output stream runs at another, and that two sinks at the same rate open at
// once.
func TestOpenOneRate(t *testing.T) {
	a, err := Open(testRate)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(testRate)
	if err != nil {
		t.Fatalf("second Open at the same rate: %v", err)
	}
	defer b.Close()
	if s, err := Open(8000); err == nil {
		s.Close()
		t.Fatalf("Open(8000) with the stream at %d Hz succeeded, want an error", testRate)
	} else {
		t.Log(err)
	}
}

// TestClose checks that Close wakes a WriteFrame blocked on a full buffer,
// that WriteFrame fails with ErrClosed after Close, and that Close may be
// called twice. It plays silence, which TestPlayback does not look at.
func TestClose(t *testing.T) {
	s, err := Open(testRate)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		// Ten seconds of silence: more than fits in the buffers, so the
		// write blocks until Close.
		done <- s.WriteFrame(make([]int16, 10*testRate))
	}()
	time.Sleep(50 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("blocked WriteFrame returned %v after Close, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WriteFrame still blocked 5 s after Close")
	}
	if err := s.WriteFrame(make([]int16, testRate/50)); !errors.Is(err, ErrClosed) {
		t.Errorf("WriteFrame after Close returned %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
