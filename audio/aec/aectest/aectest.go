// Package aectest generates deterministic, synthetic but realistic echo
// cancellation scenarios (speech-like far and near ends, room impulse
// responses with a strong direct path, a small loudspeaker's distortion, an
// echo path change, background noise) and measures a canceller's output on
// them: ERLE, convergence time and near-end distortion.
//
// It is a normal package so that comparisons in other modules (bench/aec)
// run on the very same signals.
package aectest

import (
	"math"
	"math/rand/v2"
)

// Kind names a scenario.
type Kind int

// The scenarios.
const (
	// SingleTalk: far end only, echo through a fixed room, mild loudspeaker
	// compression, background noise.
	SingleTalk Kind = iota
	// DoubleTalk: as SingleTalk, with a near-end talker over the far end in
	// the second half.
	DoubleTalk
	// PathChange: the echo path changes (a door opens, someone leans on
	// the station) half-way.
	PathChange
	// Distortion: a small loudspeaker driven hard: soft clipping and even
	// harmonics.
	Distortion
)

// Kinds lists every scenario.
var Kinds = []Kind{SingleTalk, DoubleTalk, PathChange, Distortion}

func (k Kind) String() string {
	switch k {
	case SingleTalk:
		return "single-talk"
	case DoubleTalk:
		return "double-talk"
	case PathChange:
		return "path-change"
	case Distortion:
		return "distortion"
	}
	return "unknown"
}

// Scenario is one recording: what was played (Far), what the microphone
// picked up (Mic = Echo + Near + noise), and its parts.
type Scenario struct {
	Kind Kind
	Rate int
	// Far is the far-end signal played on the loudspeaker; Mic the
	// microphone; Echo and Near the echo and the clean near-end talker in
	// Mic.
	Far, Mic, Echo, Near []int16
	// ERLEFrom and ERLETo bound the samples (single talk, converged) over
	// which ERLE is measured.
	ERLEFrom, ERLETo int
	// ConvFrom is where convergence is timed from (0, or the path change).
	ConvFrom int
	// NearFrom is where the near-end talker starts (len(Mic) if never).
	NearFrom int
}

// Duration of every scenario, in seconds.
const Duration = 12

// Generate returns scenario k at rate samples per second. The same
// arguments always give the same signals.
func Generate(k Kind, rate int) *Scenario {
	n := Duration * rate
	s := &Scenario{Kind: k, Rate: rate, NearFrom: n}
	rng := rand.New(rand.NewPCG(uint64(k)+1, uint64(rate)))
	far := speech(rng, rate, n, 110, 0.1)
	// Loudspeaker.
	drive, h2 := 1.0, 0.05
	if k == Distortion {
		drive, h2 = 3.0, 0.15
	}
	spk := make([]float64, n)
	for i, v := range far {
		spk[i] = math.Tanh(drive*v)/drive + h2*v*v
	}
	rir := RoomResponse(rng, rate, 0.005, 0.15, 0.25)
	echo := convolve(spk, rir)
	if k == PathChange {
		rir2 := RoomResponse(rng, rate, 0.005, 0.15, 0.3)
		rir2[int(0.005*float64(rate))] *= -0.6 // the direct path changes too
		echo2 := convolve(spk, rir2)
		s.ConvFrom = n / 2
		copy(echo[n/2:], echo2[n/2:])
	}
	near := make([]float64, n)
	if k == DoubleTalk {
		s.NearFrom = n / 2
		nr := speech(rng, rate, n-n/2, 210, 0.05)
		copy(near[n/2:], nr)
	}
	noise := make([]float64, n)
	var lp float64
	for i := range noise {
		lp = 0.7*lp + 0.3*rng.NormFloat64()
		noise[i] = lp * 0.0006
	}
	s.Far = make([]int16, n)
	s.Mic = make([]int16, n)
	s.Echo = make([]int16, n)
	s.Near = make([]int16, n)
	for i := 0; i < n; i++ {
		s.Far[i] = q16(far[i])
		s.Echo[i] = q16(echo[i])
		s.Near[i] = q16(near[i])
		s.Mic[i] = q16(echo[i] + near[i] + noise[i])
	}
	switch k {
	case DoubleTalk:
		s.ERLEFrom, s.ERLETo = 3*rate, n/2
	case PathChange:
		s.ERLEFrom, s.ERLETo = n/2+2*rate, n
	default:
		s.ERLEFrom, s.ERLETo = 4*rate, n
	}
	return s
}

func q16(v float64) int16 {
	v *= 32768
	if v > 32767 {
		return 32767
	}
	if v < -32768 {
		return -32768
	}
	return int16(math.Round(v))
}

// resonator is a two-pole band-pass at a formant.
type resonator struct{ a1, a2, g, y1, y2 float64 }

func (r *resonator) set(f, bw float64, rate int) {
	rad := math.Exp(-math.Pi * bw / float64(rate))
	r.a1 = 2 * rad * math.Cos(2*math.Pi*f/float64(rate))
	r.a2 = -rad * rad
	r.g = 1 - rad
}

func (r *resonator) step(x float64) float64 {
	y := r.g*x + r.a1*r.y1 + r.a2*r.y2
	r.y2, r.y1 = r.y1, y
	return y
}

// speech returns n samples of a speech-like signal (full scale 1): voiced
// syllables (a glottal pulse train with jittered pitch around f0 through
// three formant resonators), unvoiced noise bursts, and pauses; active
// parts have an RMS near level.
func speech(rng *rand.Rand, rate, n int, f0, level float64) []float64 {
	out := make([]float64, n)
	var f [3]resonator
	var hp float64
	phase := 0.0
	i := 0
	for i < n {
		// A pause, sometimes a long one.
		pause := 0.05 + 0.15*rng.Float64()
		if rng.IntN(5) == 0 {
			pause = 0.4 + 0.6*rng.Float64()
		}
		i += int(pause * float64(rate))
		// A syllable: maybe a fricative, then a vowel.
		if rng.IntN(2) == 0 {
			d := int((0.05 + 0.1*rng.Float64()) * float64(rate))
			for j := 0; j < d && i < n; j, i = j+1, i+1 {
				w := rng.NormFloat64()
				v := w - hp
				hp = w
				env := math.Sin(math.Pi * float64(j) / float64(d))
				out[i] = 0.35 * v * env
			}
		}
		d := int((0.08 + 0.22*rng.Float64()) * float64(rate))
		f1 := 300 + 500*rng.Float64()
		f2 := 900 + 1400*rng.Float64()
		f3 := 2500 + 400*rng.Float64()
		if f3 > 0.45*float64(rate) {
			f3 = 0.4 * float64(rate)
		}
		f[0].set(f1, 80, rate)
		f[1].set(f2, 100, rate)
		f[2].set(f3, 150, rate)
		pitch := f0 * (0.85 + 0.3*rng.Float64())
		glide := (rng.Float64() - 0.5) * 0.4 * pitch
		for j := 0; j < d && i < n; j, i = j+1, i+1 {
			t := float64(j) / float64(d)
			p := pitch + glide*t
			phase += p * (1 + 0.01*rng.NormFloat64()) / float64(rate)
			src := 0.0
			if phase >= 1 {
				phase -= 1
				src = 1
			}
			src += 0.02 * rng.NormFloat64()
			v := f[0].step(src)*3 + f[1].step(src)*2 + f[2].step(src)
			env := math.Min(1, math.Min(t*10, (1-t)*6))
			out[i] = 8 * v * env
		}
	}
	// A microphone's and a codec's high-pass (about 60 Hz, second order):
	// speech carries no DC.
	a := 1 - 2*math.Pi*60/float64(rate)
	for pass := 0; pass < 2; pass++ {
		var x1, y1 float64
		for i, v := range out {
			y := v - x1 + a*y1
			x1, y1 = v, y
			out[i] = y
		}
	}
	// Normalise the active parts to level.
	var sum float64
	var cnt int
	for _, v := range out {
		if v != 0 {
			sum += v * v
			cnt++
		}
	}
	if cnt > 0 {
		g := level / math.Sqrt(sum/float64(cnt))
		for i := range out {
			out[i] *= g
		}
	}
	return out
}

// RoomResponse returns an impulse response at rate: silence for delay
// seconds (the sound card and the air between loudspeaker and microphone),
// a strong direct path shaped by the housing, early reflections, and an
// exponentially decaying diffuse tail to length seconds with reverberation
// time rt60 seconds.
func RoomResponse(rng *rand.Rand, rate int, delay, length, rt60 float64) []float64 {
	n := int(length * float64(rate))
	h := make([]float64, n)
	d := int(delay * float64(rate))
	// Direct path: a short band-limited pulse (the housing's resonance).
	h[d] = 0.7
	h[d+1] = 0.25
	h[d+2] = -0.15
	h[d+3] = 0.05
	// Early reflections within 15 ms.
	for r := 0; r < 6; r++ {
		j := d + 4 + rng.IntN(int(0.015*float64(rate)))
		h[j] += 0.25 * (rng.Float64() - 0.5)
	}
	// Diffuse tail.
	for j := d + 4; j < n; j++ {
		t := float64(j-d) / float64(rate)
		h[j] += 0.06 * rng.NormFloat64() * math.Exp(-6.9*t/rt60)
	}
	return h
}

// convolve returns x convolved with h, cut to len(x), by FFT.
func convolve(x, h []float64) []float64 {
	n := 1
	for n < len(x)+len(h) {
		n *= 2
	}
	a := make([]complex128, n)
	b := make([]complex128, n)
	for i, v := range x {
		a[i] = complex(v, 0)
	}
	for i, v := range h {
		b[i] = complex(v, 0)
	}
	fft(a, false)
	fft(b, false)
	for i := range a {
		a[i] *= b[i]
	}
	fft(a, true)
	y := make([]float64, len(x))
	for i := range y {
		y[i] = real(a[i]) / float64(n)
	}
	return y
}

// fft is an in-place radix-2 FFT (unnormalised; inverse when inv).
func fft(a []complex128, inv bool) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for size := 2; size <= n; size *= 2 {
		ang := -2 * math.Pi / float64(size)
		if inv {
			ang = -ang
		}
		wn := complex(math.Cos(ang), math.Sin(ang))
		for start := 0; start < n; start += size {
			w := complex(1, 0)
			for k := 0; k < size/2; k++ {
				u, v := a[start+k], a[start+k+size/2]*w
				a[start+k], a[start+k+size/2] = u+v, u-v
				w *= wn
			}
		}
	}
}
