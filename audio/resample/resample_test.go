package resample

import (
	"fmt"
	"math"
	"testing"
)

var pairs = [][2]int{
	{8000, 44100}, {8000, 48000}, {16000, 44100}, {16000, 48000},
	{44100, 8000}, {48000, 8000}, {44100, 16000}, {48000, 16000},
}

// convert runs n samples of a sine of frequency f and amplitude amp through
// r in 20 ms frames (or odd chunks when odd is set) and returns the output
// with the first skip seconds dropped.
func convert(t testing.TB, r *Resampler, f, amp float64, seconds float64, odd bool) []float64 {
	t.Helper()
	r.Reset()
	n := int(seconds * float64(r.in))
	src := make([]int16, n)
	for i := range src {
		src[i] = int16(math.Round(amp * math.Sin(2*math.Pi*f*float64(i)/float64(r.in))))
	}
	out := make([]int16, 0, r.MaxOut(n)+16)
	chunk := r.in / 50
	for i := 0; i < n; {
		c := min(chunk, n-i)
		if odd {
			c = min(1+(i*7919)%997, n-i)
		}
		out = r.Process(out, src[i:i+c])
		i += c
	}
	skip := int(math.Ceil(r.Delay()))*2 + 8
	y := make([]float64, 0, len(out))
	for _, s := range out[skip:] {
		y = append(y, float64(s))
	}
	return y
}

// fit returns the amplitude of the sine of frequency f (cycles per sample)
// that best fits y, and the power of what is left.
func fit(y []float64, f float64) (amp, residual float64) {
	var cc, ss, cs, yc, ys float64
	for i, v := range y {
		c, s := math.Cos(2*math.Pi*f*float64(i)), math.Sin(2*math.Pi*f*float64(i))
		cc += c * c
		ss += s * s
		cs += c * s
		yc += v * c
		ys += v * s
	}
	det := cc*ss - cs*cs
	a := (yc*ss - ys*cs) / det
	b := (ys*cc - yc*cs) / det
	for i, v := range y {
		e := v - a*math.Cos(2*math.Pi*f*float64(i)) - b*math.Sin(2*math.Pi*f*float64(i))
		residual += e * e
	}
	return math.Hypot(a, b), residual / float64(len(y))
}

func power(y []float64) float64 {
	var p float64
	for _, v := range y {
		p += v * v
	}
	return p / float64(len(y))
}

func db(x float64) float64 { return 10 * math.Log10(x) }

// TestStopband sweeps sines over the band the conversion must reject and
// measures what leaks through. Downsampling: sines from the output Nyquist
// frequency up to the input's, whose aliases must be 60 dB down. Upsampling:
// sines in the passband, whose images above the input Nyquist frequency must
// be 60 dB below the sine.
func TestStopband(t *testing.T) {
	const amp = 16000
	for _, p := range pairs {
		t.Run(fmt.Sprintf("%d-%d", p[0], p[1]), func(t *testing.T) {
			r, err := New(p[0], p[1])
			if err != nil {
				t.Fatal(err)
			}
			worst, worstF := math.Inf(-1), 0.0
			in := amp * amp / 2.0
			if p[1] < p[0] {
				lo, hi := float64(p[1])/2, float64(p[0])/2
				for i := 0; i <= 40; i++ {
					f := lo + (hi-lo)*float64(i)/41
					y := convert(t, r, f, amp, 0.25, false)
					if a := db(power(y) / in); a > worst {
						worst, worstF = a, f
					}
				}
			} else {
				hi := Passband * float64(p[0]) / 2
				for i := 1; i <= 40; i++ {
					f := hi * float64(i) / 40
					y := convert(t, r, f, amp, 0.25, false)
					a, res := fit(y, f/float64(p[1]))
					if e := db(res / (a * a / 2)); e > worst {
						worst, worstF = e, f
					}
				}
			}
			t.Logf("%d -> %d Hz: stopband %.1f dB (worst at %.0f Hz), %d taps per output", p[0], p[1], -worst, worstF, r.Taps())
			if worst > -60 {
				t.Errorf("stopband attenuation %.1f dB at %.0f Hz, want at least 60 dB", -worst, worstF)
			}
		})
	}
}

// TestPassband measures the gain of sines across 0-0.9 of the lower Nyquist
// frequency.
func TestPassband(t *testing.T) {
	const amp = 16000
	for _, p := range pairs {
		t.Run(fmt.Sprintf("%d-%d", p[0], p[1]), func(t *testing.T) {
			r, err := New(p[0], p[1])
			if err != nil {
				t.Fatal(err)
			}
			hi := Passband * float64(min(p[0], p[1])) / 2
			lo, hiDB := math.Inf(1), math.Inf(-1)
			for i := 1; i <= 45; i++ {
				f := hi * float64(i) / 45
				y := convert(t, r, f, amp, 0.2, false)
				a, _ := fit(y, f/float64(p[1]))
				g := 20 * math.Log10(a/amp)
				lo, hiDB = min(lo, g), max(hiDB, g)
			}
			t.Logf("%d -> %d Hz: passband gain %+.4f .. %+.4f dB (ripple %.4f dB)", p[0], p[1], lo, hiDB, hiDB-lo)
			if math.Abs(lo) >= 0.1 || math.Abs(hiDB) >= 0.1 {
				t.Errorf("passband gain %+.4f .. %+.4f dB, want within ±0.1 dB", lo, hiDB)
			}
		})
	}
}

// TestStreaming checks that frames and odd chunks give the same output as one
// call, and that 20 ms frames come out as exact frames.
func TestStreaming(t *testing.T) {
	for _, p := range append(pairs, [2]int{16000, 16000}, [2]int{8000, 16000}, [2]int{22050, 16000}) {
		r, err := New(p[0], p[1])
		if err != nil {
			t.Fatal(err)
		}
		src := make([]int16, p[0]/2)
		for i := range src {
			src[i] = int16(10000 * math.Sin(float64(i)*0.01*float64(i%97)))
		}
		whole := r.Process(nil, src)
		r.Reset()
		var parts []int16
		for i := 0; i < len(src); {
			c := min(1+(i*7919)%1500, len(src)-i)
			parts = r.Process(parts, src[i:i+c])
			i += c
		}
		if len(whole) != len(parts) {
			t.Fatalf("%v: %d samples in one call, %d in chunks", p, len(whole), len(parts))
		}
		for i := range whole {
			if whole[i] != parts[i] {
				t.Fatalf("%v: sample %d differs: %d vs %d", p, i, whole[i], parts[i])
			}
		}
		r.Reset()
		in, out := p[0]/50, p[1]/50
		var frame []int16
		for i := 0; i+in <= len(src); i += in {
			frame = r.Process(frame[:0], src[i:i+in])
			if len(frame) != out {
				t.Fatalf("%v: frame %d gave %d samples, want %d", p, i/in, len(frame), out)
			}
		}
	}
}

func TestIdentity(t *testing.T) {
	r, err := New(8000, 8000)
	if err != nil {
		t.Fatal(err)
	}
	src := []int16{1, -2, 32767, -32768, 0}
	got := r.Process(nil, src)
	if fmt.Sprint(got) != fmt.Sprint(src) {
		t.Fatalf("identity gave %v", got)
	}
}

func TestNewErrors(t *testing.T) {
	for _, p := range [][2]int{{0, 8000}, {8000, -1}, {8000, 12347}, {2_000_000, 8000}} {
		if _, err := New(p[0], p[1]); err == nil {
			t.Errorf("New(%d, %d) did not fail", p[0], p[1])
		}
	}
}

func TestAllocs(t *testing.T) {
	r, _ := New(44100, 16000)
	src := make([]int16, 882)
	dst := make([]int16, 0, r.MaxOut(len(src)))
	if n := testing.AllocsPerRun(100, func() { dst = r.Process(dst[:0], src) }); n != 0 {
		t.Fatalf("Process allocates %v times a frame", n)
	}
}

func BenchmarkFrame(b *testing.B) {
	for _, p := range [][2]int{{48000, 16000}, {16000, 48000}, {48000, 8000}, {8000, 48000}, {44100, 16000}, {16000, 44100}} {
		b.Run(fmt.Sprintf("%gk-%gk", float64(p[0])/1000, float64(p[1])/1000), func(b *testing.B) {
			r, err := New(p[0], p[1])
			if err != nil {
				b.Fatal(err)
			}
			src := make([]int16, p[0]/50)
			for i := range src {
				src[i] = int16(8000 * math.Sin(float64(i)*0.3))
			}
			dst := make([]int16, 0, r.MaxOut(len(src)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				dst = r.Process(dst[:0], src)
			}
		})
	}
}
