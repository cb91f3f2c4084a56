package tone

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// play reads n samples from t in 20 ms frames.
func play(t *testing.T, tn *Tone, rate, n int) []int16 {
	t.Helper()
	out := make([]int16, 0, n+rate/50)
	frame := make([]int16, rate/50)
	for len(out) < n {
		err := tn.ReadFrame(frame)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, frame...)
	}
	return out[:min(n, len(out))]
}

// power of frequency f (cycles per sample) in x, by least squares.
func sinePower(x []int16, f float64) float64 {
	var yc, ys float64
	for i, v := range x {
		yc += float64(v) * math.Cos(2*math.Pi*f*float64(i))
		ys += float64(v) * math.Sin(2*math.Pi*f*float64(i))
	}
	a, b := 2*yc/float64(len(x)), 2*ys/float64(len(x))
	return (a*a + b*b) / 2
}

func meanSquare(x []int16) float64 {
	var p float64
	for _, v := range x {
		p += float64(v) * float64(v)
	}
	return p / float64(len(x))
}

// TestCadences checks every country's ringback and busy tone at both rates:
// the off segments are exact digital silence, the on segments start and end
// at silence (ramps), hold their frequencies, and fall where the cadence says
// to the sample, over two cycles.
func TestCadences(t *testing.T) {
	for _, country := range Countries() {
		for _, kind := range []string{"ringback", "busy"} {
			for _, rate := range []int{8000, 16000} {
				c, err := RingbackCadence(country)
				if kind == "busy" {
					c, err = BusyCadence(country)
				}
				if err != nil {
					t.Fatal(err)
				}
				checkCadence(t, country+"/"+kind, c, rate, 2)
			}
		}
	}
	checkCadence(t, "error", ErrorCadence, 8000, 1)
	checkCadence(t, "chime", ChimeCadence, 16000, 1)
}

func checkCadence(t *testing.T, name string, c Cadence, rate, cycles int) {
	t.Helper()
	tn, err := New(c, rate)
	if err != nil {
		t.Fatal(err)
	}
	var cycle int
	for _, s := range c.Segments {
		cycle += int(s.Duration) / int(time.Second/time.Duration(rate))
	}
	x := play(t, tn, rate, cycles*cycle)
	peak := 32767 * math.Pow(10, DefaultLevel/20)
	pos := 0
	for k := 0; k < cycles; k++ {
		for i, s := range c.Segments {
			n := int(s.Duration) / int(time.Second/time.Duration(rate))
			seg := x[pos : pos+n]
			pos += n
			if len(s.Freqs) == 0 {
				for j, v := range seg {
					if v != 0 {
						t.Fatalf("%s at %d Hz: segment %d (off) sample %d = %d", name, rate, i, j, v)
					}
				}
				continue
			}
			ramp := rate * int(Ramp) / int(time.Second)
			if a, b := seg[0], seg[n-1]; a != 0 || math.Abs(float64(b)) > peak*0.01 {
				t.Fatalf("%s at %d Hz: segment %d starts at %d and ends at %d, want near 0", name, rate, i, a, b)
			}
			if ms := meanSquare(seg[ramp:]); ms < peak*peak/8 {
				t.Fatalf("%s at %d Hz: segment %d right after its ramp is quiet", name, rate, i)
			}
			inner := seg[ramp : n-ramp]
			var tonal float64
			for _, f := range s.Freqs {
				tonal += sinePower(inner, f/float64(rate))
			}
			if r := tonal / meanSquare(inner); r < 0.98 || r > 1.02 {
				t.Fatalf("%s at %d Hz: segment %d has %.3f of its power in %v Hz", name, rate, i, r, s.Freqs)
			}
			if p := float64(maxAbs(inner)); p > peak*1.001 || (len(s.Freqs) == 1 && p < peak*0.99) {
				t.Fatalf("%s at %d Hz: segment %d peaks at %.0f, want %.0f", name, rate, i, p, peak)
			}
		}
	}
}

func maxAbs(x []int16) int {
	m := 0
	for _, v := range x {
		m = max(m, int(math.Abs(float64(v))))
	}
	return m
}

// TestNoClicks bounds the step between samples by the steepest slope the
// tone itself has: a burst that started or stopped without a ramp would
// jump by far more.
func TestNoClicks(t *testing.T) {
	for _, c := range []Cadence{usRingback, ukRingback, ErrorCadence, ChimeCadence} {
		tn, _ := New(c, 8000)
		x := play(t, tn, 8000, 8000*7)
		var fmax float64
		for _, s := range c.Segments {
			for _, f := range s.Freqs {
				fmax = max(fmax, f)
			}
		}
		limit := 32767 * math.Pow(10, DefaultLevel/20) * 2 * math.Pi * fmax / 8000
		for i := 1; i < len(x); i++ {
			if d := math.Abs(float64(x[i]) - float64(x[i-1])); d > limit*1.05+1 {
				t.Fatalf("step of %.0f at sample %d, limit %.0f", d, i, limit)
			}
		}
	}
}

func TestEnds(t *testing.T) {
	tn, err := Chime(8000)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, 160)
	frames := 0
	for {
		err := tn.ReadFrame(frame)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		frames++
	}
	if frames != 20 { // 400 ms
		t.Errorf("chime lasted %d frames, want 20", frames)
	}
	tn.Reset()
	if err := tn.ReadFrame(frame); err != nil {
		t.Errorf("after Reset: %v", err)
	}
	tn.Close()
	if err := tn.ReadFrame(frame); err != io.EOF {
		t.Errorf("after Close: %v", err)
	}
}

func TestCountries(t *testing.T) {
	def, _ := Ringback("", 8000)
	de, _ := Ringback("DE", 8000)
	if def == nil || de == nil || def.segs[0].n != de.segs[0].n || def.segs[0].n != 8000 {
		t.Error(`"" and "DE" should be the 425 Hz 1 s/4 s ringback`)
	}
	if _, err := Busy("xx", 8000); err == nil || !strings.Contains(err.Error(), `"xx"`) {
		t.Errorf("unknown country: %v", err)
	}
	for _, bad := range []Cadence{
		{},
		{Segments: []Segment{on(0, 440)}},
		{Segments: []Segment{on(ms, 4000)}},
		{Segments: []Segment{on(ms, 1, 2, 3, 4, 5)}},
		{Segments: []Segment{on(ms, 440)}, Level: 3},
	} {
		if _, err := New(bad, 8000); err == nil {
			t.Errorf("New(%+v) did not fail", bad)
		}
	}
}

func TestPrompt(t *testing.T) {
	name := filepath.Join(t.TempDir(), "p.wav")
	var b []byte
	b = append(b, "RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80\x3e\x00\x00\x00\x7d\x00\x00\x02\x00\x10\x00data"...)
	b = binary.LittleEndian.AppendUint32(b, 640)
	b = append(b, make([]byte, 640)...)
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Prompt(name, 8000)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	frame := make([]int16, 160)
	n := 0
	for {
		if err := p.ReadFrame(frame); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n < 1 || n > 2 {
		t.Errorf("a 20 ms prompt gave %d frames", n)
	}
}

func TestAllocs(t *testing.T) {
	tn, _ := Ringback("us", 16000)
	frame := make([]int16, 320)
	if n := testing.AllocsPerRun(500, func() { tn.ReadFrame(frame) }); n != 0 {
		t.Errorf("%v allocations a frame", n)
	}
}

func BenchmarkRingbackFrame(b *testing.B) {
	for _, rate := range []int{8000, 16000} {
		b.Run(map[int]string{8000: "8k", 16000: "16k"}[rate], func(b *testing.B) {
			tn, _ := Ringback("us", rate)
			frame := make([]int16, rate/50)
			b.ReportAllocs()
			for range b.N {
				tn.ReadFrame(frame)
			}
		})
	}
}
