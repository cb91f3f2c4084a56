// Package resample converts 16-bit PCM between sample rates with a polyphase
// FIR filter: a Kaiser-windowed sinc whose passband reaches 0.9 of the lower
// rate's Nyquist frequency and whose stopband, from that Nyquist frequency on,
// is attenuated by at least 60 dB (designed for 75 dB).
//
// A Resampler streams: it keeps the filter history between calls, so a signal
// cut into frames comes out as if it had been converted in one piece. It is
// made for the conversions a sound card needs, 8 or 16 kHz to and from 44.1 or
// 48 kHz, but takes any pair of rates whose ratio reduces to at most
// MaxFactor. Process allocates nothing.
package resample

import (
	"fmt"
	"math"
)

// Design figures of the filter, relative to the lower of the two rates.
const (
	// Passband is the passband edge as a fraction of the lower Nyquist
	// frequency.
	Passband = 0.9
	// AttenuationDB is the stopband attenuation the filter is designed
	// for; the stopband starts at the lower Nyquist frequency.
	AttenuationDB = 75
	// MaxFactor bounds the reduced interpolation and decimation factors
	// (44100/16000 reduces to 441/160).
	MaxFactor = 1000
)

// blockSize is how many input samples a Resampler converts at a time.
const blockSize = 1024

// Resampler converts a stream from one rate to another. Use New.
type Resampler struct {
	in, out int
	up      int       // L: interpolation factor
	down    int       // M: decimation factor
	taps    int       // K: taps per phase
	coefs   []float32 // phase p at [p*taps:(p+1)*taps], reversed, gain folded in
	buf     []float32 // taps-1 samples of history, then the current block
	fill    int       // samples in buf
	n       int       // index in buf of the newest input of the next output
	phase   int       // phase of the next output
}

// New returns a Resampler from rate in to rate out.
func New(in, out int) (*Resampler, error) {
	if in <= 0 || out <= 0 || in > 1_000_000 || out > 1_000_000 {
		return nil, fmt.Errorf("resample: bad rates %d -> %d", in, out)
	}
	g := gcd(in, out)
	up, down := out/g, in/g
	if up > MaxFactor || down > MaxFactor {
		return nil, fmt.Errorf("resample: %d -> %d Hz reduces to %d/%d, beyond %d", in, out, up, down, MaxFactor)
	}
	r := &Resampler{in: in, out: out, up: up, down: down}
	if up == 1 && down == 1 {
		r.taps = 1
		r.coefs = []float32{1}
	} else {
		r.design()
	}
	r.buf = make([]float32, r.taps-1+blockSize)
	r.Reset()
	return r, nil
}

// design computes the polyphase coefficients of a Kaiser-windowed sinc.
func (r *Resampler) design() {
	low := float64(min(r.in, r.out))
	fs := float64(r.in) * float64(r.up) // rate of the prototype filter
	pass, stop := Passband*low/2, low/2
	cutoff := (pass + stop) / 2 / fs // cycles per sample
	width := 2 * math.Pi * (stop - pass) / fs
	const a = AttenuationDB
	beta := 0.1102 * (a - 8.7)
	n := int(math.Ceil((a-7.95)/(2.285*width))) + 1
	taps := (n + r.up - 1) / r.up
	n = taps * r.up
	r.taps = taps
	h := make([]float64, n)
	mid := float64(n-1) / 2
	i0b := besselI0(beta)
	for i := range h {
		x := float64(i) - mid
		s := 2 * cutoff
		if x != 0 {
			s = math.Sin(2*math.Pi*cutoff*x) / (math.Pi * x)
		}
		t := 2*float64(i)/float64(n-1) - 1
		w := besselI0(beta*math.Sqrt(max(0, 1-t*t))) / i0b
		h[i] = s * w * float64(r.up)
	}
	// Phase p's k-th tap is h[p+k*up], applied to the input k samples
	// before the newest; store it reversed so that a phase is a dot
	// product with a contiguous, oldest-first window of the input.
	r.coefs = make([]float32, r.up*taps)
	for p := 0; p < r.up; p++ {
		c := r.coefs[p*taps : (p+1)*taps]
		for k := 0; k < taps; k++ {
			c[taps-1-k] = float32(h[p+k*r.up])
		}
	}
}

// besselI0 is the modified Bessel function of the first kind, order zero.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 200; k++ {
		term *= (x / 2 / float64(k)) * (x / 2 / float64(k))
		sum += term
		if term < 1e-17*sum {
			break
		}
	}
	return sum
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Reset clears the history, as if the Resampler were new.
func (r *Resampler) Reset() {
	clear(r.buf)
	r.fill = r.taps - 1
	r.n = r.taps - 1
	r.phase = 0
}

// InRate is the rate the Resampler converts from.
func (r *Resampler) InRate() int { return r.in }

// OutRate is the rate the Resampler converts to.
func (r *Resampler) OutRate() int { return r.out }

// Taps is the number of filter taps each output sample costs.
func (r *Resampler) Taps() int { return r.taps }

// Delay is the filter's group delay in output samples.
func (r *Resampler) Delay() float64 {
	if r.up == 1 && r.down == 1 {
		return 0
	}
	return float64(r.taps*r.up-1) / 2 / float64(r.down)
}

// MaxOut is the most samples Process appends for n input samples.
func (r *Resampler) MaxOut(n int) int {
	return int((int64(n)*int64(r.up))/int64(r.down)) + 1
}

// Process converts src, appends the output samples to dst and returns it.
// Over a stream, n input samples yield n*out/in output samples, give or take
// one; each 20 ms frame of a rate that divides into frames yields exactly a
// frame at the other rate. It allocates nothing when dst has room for
// MaxOut(len(src)) more samples.
func (r *Resampler) Process(dst, src []int16) []int16 {
	for len(src) > 0 {
		n := min(len(src), len(r.buf)-r.fill)
		for i, s := range src[:n] {
			r.buf[r.fill+i] = float32(s)
		}
		r.fill += n
		src = src[n:]
		dst = r.run(dst)
	}
	return dst
}

// run produces every output whose inputs are in buf, then keeps the last
// taps-1 samples as history.
func (r *Resampler) run(dst []int16) []int16 {
	taps, buf := r.taps, r.buf[:r.fill]
	for r.n < len(buf) {
		c := r.coefs[r.phase*taps : (r.phase+1)*taps]
		x := buf[r.n+1-taps : r.n+1]
		x = x[:len(c)]
		var s0, s1, s2, s3 float32
		i := 0
		for ; i+4 <= len(c); i += 4 {
			s0 += c[i] * x[i]
			s1 += c[i+1] * x[i+1]
			s2 += c[i+2] * x[i+2]
			s3 += c[i+3] * x[i+3]
		}
		for ; i < len(c); i++ {
			s0 += c[i] * x[i]
		}
		dst = append(dst, clip(s0+s1+s2+s3))
		r.phase += r.down
		r.n += r.phase / r.up
		r.phase %= r.up
	}
	keep := taps - 1
	shift := r.fill - keep
	copy(r.buf, r.buf[shift:r.fill])
	r.fill = keep
	r.n -= shift
	return dst
}

func clip(v float32) int16 {
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	case v >= 0:
		return int16(v + 0.5)
	default:
		return int16(v - 0.5)
	}
}
