package codec

import (
	"slices"
	"testing"
	"time"
)

var codecs = []Codec{PCMU, PCMA, G722}

func TestLookup(t *testing.T) {
	tests := []struct {
		name string
		want string
		ok   bool
	}{
		{"PCMU", "PCMU", true},
		{"pcmu", "PCMU", true},
		{"PCMA", "PCMA", true},
		{"pcmA", "PCMA", true},
		{"G722", "G722", true},
		{"g722", "G722", true},
		{"G.722", "", false},
		{"opus", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		c, ok := Lookup(tt.name)
		if ok != tt.ok || c.Name != tt.want {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tt.name, c.Name, ok, tt.want, tt.ok)
		}
		if ok && (c.NewEncoder == nil || c.NewDecoder == nil) {
			t.Errorf("Lookup(%q): no encoder or decoder", tt.name)
		}
	}
}

func TestCodecs(t *testing.T) {
	tests := []struct {
		c                   Codec
		name                string
		pt                  uint8
		clock, rate         int
		samples20, samples5 int
	}{
		{PCMU, "PCMU", 0, 8000, 8000, 160, 40},
		{PCMA, "PCMA", 8, 8000, 8000, 160, 40},
		{G722, "G722", 9, 8000, 16000, 320, 80},
	}
	for _, tt := range tests {
		c := tt.c
		if c.Name != tt.name || c.PayloadType != tt.pt || c.ClockRate != tt.clock || c.SampleRate != tt.rate {
			t.Errorf("%s: %s/%d pt %d at %d Hz, want %s/%d pt %d at %d Hz",
				tt.name, c.Name, c.ClockRate, c.PayloadType, c.SampleRate, tt.name, tt.clock, tt.pt, tt.rate)
		}
		if got := c.FrameSamples(20 * time.Millisecond); got != tt.samples20 {
			t.Errorf("%s: FrameSamples(20ms) = %d, want %d", c.Name, got, tt.samples20)
		}
		if got := c.FrameSamples(5 * time.Millisecond); got != tt.samples5 {
			t.Errorf("%s: FrameSamples(5ms) = %d, want %d", c.Name, got, tt.samples5)
		}
		for _, d := range []struct {
			d     time.Duration
			ticks uint32
		}{{20 * time.Millisecond, 160}, {30 * time.Millisecond, 240}, {time.Second, 8000}, {0, 0}} {
			if got := c.FrameTicks(d.d); got != d.ticks {
				t.Errorf("%s: FrameTicks(%v) = %d, want %d", c.Name, d.d, got, d.ticks)
			}
		}
		// A frame's payload: 160 bytes for 20 ms in all three codecs.
		pcm := make([]int16, c.FrameSamples(20*time.Millisecond))
		payload := c.NewEncoder().Encode(nil, pcm)
		if len(payload) != 160 {
			t.Errorf("%s: 20 ms payload is %d bytes, want 160", c.Name, len(payload))
		}
		if got := c.NewDecoder().Decode(nil, payload); len(got) != len(pcm) {
			t.Errorf("%s: 20 ms payload decodes to %d samples, want %d", c.Name, len(got), len(pcm))
		}
	}
}

// TestAppend checks that Encode and Decode append, leaving what dst held.
func TestAppend(t *testing.T) {
	for _, c := range codecs {
		pcm := speechLike(c.FrameSamples(20*time.Millisecond), c.SampleRate)
		want := c.NewEncoder().Encode(nil, pcm)
		got := c.NewEncoder().Encode([]byte("head"), pcm)
		if string(got[:4]) != "head" || !slices.Equal(got[4:], want) {
			t.Errorf("%s: Encode does not append", c.Name)
		}
		wantPCM := c.NewDecoder().Decode(nil, want)
		gotPCM := c.NewDecoder().Decode([]int16{1, 2, 3}, want)
		if !slices.Equal(gotPCM[:3], []int16{1, 2, 3}) || !slices.Equal(gotPCM[3:], wantPCM) {
			t.Errorf("%s: Decode does not append", c.Name)
		}
	}
}

// TestNoAllocs checks that a frame allocates nothing when the buffers have
// the capacity.
func TestNoAllocs(t *testing.T) {
	for _, c := range codecs {
		pcm := speechLike(c.FrameSamples(20*time.Millisecond), c.SampleRate)
		enc, dec := c.NewEncoder(), c.NewDecoder()
		payload := make([]byte, 0, 160)
		out := make([]int16, 0, len(pcm))
		if n := testing.AllocsPerRun(100, func() { payload = enc.Encode(payload[:0], pcm) }); n != 0 {
			t.Errorf("%s: Encode allocates %v times a frame", c.Name, n)
		}
		if n := testing.AllocsPerRun(100, func() { out = dec.Decode(out[:0], payload) }); n != 0 {
			t.Errorf("%s: Decode allocates %v times a frame", c.Name, n)
		}
	}
}

// Benchmarks code one 20 ms frame of the speech-like signal an operation,
// and report ns/call-s: the time a second of a call's audio takes one way,
// 50 frames.
func BenchmarkEncode(b *testing.B) {
	for _, c := range codecs {
		b.Run(c.Name, func(b *testing.B) {
			pcm := speechLike(c.FrameSamples(20*time.Millisecond), c.SampleRate)
			enc := c.NewEncoder()
			payload := make([]byte, 0, 160)
			b.ReportAllocs()
			for b.Loop() {
				payload = enc.Encode(payload[:0], pcm)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)*50, "ns/call-s")
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range codecs {
		b.Run(c.Name, func(b *testing.B) {
			pcm := speechLike(c.FrameSamples(20*time.Millisecond), c.SampleRate)
			payload := c.NewEncoder().Encode(nil, pcm)
			dec := c.NewDecoder()
			out := make([]int16, 0, len(pcm))
			b.ReportAllocs()
			for b.Loop() {
				out = dec.Decode(out[:0], payload)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)*50, "ns/call-s")
		})
	}
}

// FuzzDecode decodes arbitrary payloads: no codec may panic, each gives its
// samples per byte, and G.722 decodes the same in two pieces as in one.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x00, 0x01, 0x02, 0x03, 0xff, 0x7f, 0x80})
	f.Add(G722.NewEncoder().Encode(nil, noise(640, 0, 1)))
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, c := range codecs {
			out := c.NewDecoder().Decode(nil, payload)
			// All three run at 64 kbit/s: a byte is 8000 Hz / SampleRate.
			if want := len(payload) * c.SampleRate / 8000; len(out) != want {
				t.Fatalf("%s: %d bytes decode to %d samples, want %d", c.Name, len(payload), len(out), want)
			}
			dec := c.NewDecoder()
			half := len(payload) / 2
			split := dec.Decode(dec.Decode(nil, payload[:half]), payload[half:])
			if !slices.Equal(split, out) {
				t.Fatalf("%s: decoding in two pieces differs", c.Name)
			}
		}
	})
}

// FuzzEncode encodes arbitrary PCM: no codec may panic, each gives its bytes
// per sample, and G.722 encodes the same in two pieces as in one.
func FuzzEncode(f *testing.F) {
	f.Add([]byte{}, 0)
	f.Add([]byte{0xff, 0x7f, 0x00, 0x80, 0x01}, 1)
	f.Add(pcmBytes(noise(320, 0, 2)), 101)
	f.Fuzz(func(t *testing.T, raw []byte, cut int) {
		pcm := make([]int16, len(raw)/2)
		for i := range pcm {
			pcm[i] = int16(raw[2*i]) | int16(raw[2*i+1])<<8
		}
		if cut < 0 || cut > len(pcm) {
			cut = len(pcm) / 2
		}
		for _, c := range codecs {
			payload := c.NewEncoder().Encode(nil, pcm)
			want := len(pcm) / (c.SampleRate / 8000)
			if len(payload) != want {
				t.Fatalf("%s: %d samples encode to %d bytes, want %d", c.Name, len(pcm), len(payload), want)
			}
			enc := c.NewEncoder()
			if split := enc.Encode(enc.Encode(nil, pcm[:cut]), pcm[cut:]); !slices.Equal(split, payload) {
				t.Fatalf("%s: encoding in two pieces, cut at %d, differs", c.Name, cut)
			}
		}
	})
}
