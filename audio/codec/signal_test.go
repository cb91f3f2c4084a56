package codec

import (
	"math"
	"math/rand/v2"
)

// Test signals and measurements shared by the codecs' tests.

// sine returns n samples at rate of a sine of freq Hz whose peak is level
// dB below full scale (32767).
func sine(n, rate int, freq, level float64) []int16 {
	amp := 32767 * math.Pow(10, -level/20)
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(math.Round(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
	}
	return out
}

// speechLike returns n samples at rate of a synthetic voice: syllables of
// 250 ms, each a vowel (a glottal pulse train whose pitch glides between 90
// and 210 Hz, through four formant resonators) peaking at -6 dBFS, then a
// fricative (noise around 3.5 kHz) peaking at -20 dBFS. Its spectrum, like
// speech's, has most energy below 1 kHz but spans the band.
func speechLike(n, rate int) []int16 {
	vowels := [...][4]float64{
		{730, 1090, 2440, 3400}, // a
		{270, 2290, 3010, 3700}, // i
		{530, 1840, 2480, 3500}, // e
		{300, 870, 2240, 3300},  // u
	}
	bandwidths := [4]float64{60, 90, 120, 150}
	rng := rand.New(rand.NewPCG(1, 2))
	fs := float64(rate)
	syllable := rate / 4
	voiced := syllable * 7 / 10

	// resonate passes x through the two-pole resonator of state st at f
	// Hz, bandwidth bw Hz.
	resonate := func(x float64, st *[2]float64, f, bw float64) float64 {
		r := math.Exp(-math.Pi * bw / fs)
		o := (1-r)*x + 2*r*math.Cos(2*math.Pi*f/fs)*st[0] - r*r*st[1]
		st[1], st[0] = st[0], o
		return o
	}
	vowel, fric := make([]float64, n), make([]float64, n)
	var formant [4][2]float64
	var hiss [2]float64
	var tilt, phase float64
	for i := range n {
		k, pos := i/syllable, i%syllable
		if pos >= voiced {
			env := math.Sin(math.Pi * float64(pos-voiced) / float64(syllable-voiced))
			fric[i] = resonate(rng.NormFloat64()*env, &hiss, 3500, 1500)
			continue
		}
		// Glottal pulses with a -6 dB/octave tilt, under a raised sine.
		f0 := 150 + 60*math.Sin(2*math.Pi*0.7*float64(i)/fs)
		phase += f0 / fs
		pulse := 0.0
		if phase >= 1 {
			phase--
			pulse = 1
		}
		tilt = pulse + 0.9*tilt
		env := math.Sin(math.Pi * float64(pos) / float64(voiced))
		x := tilt * env * env
		for j, f := range vowels[k%len(vowels)] {
			x = resonate(x, &formant[j], f, bandwidths[j])
		}
		vowel[i] = x
	}
	peak := func(s []float64) (p float64) {
		for _, v := range s {
			p = max(p, math.Abs(v))
		}
		return p
	}
	gv, gf := 16384/peak(vowel), 3277/peak(fric)
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(math.Round(gv*vowel[i] + gf*fric[i]))
	}
	return out
}

// noise returns n samples of Gaussian noise whose RMS is level dB below full
// scale, saturated to 16 bits.
func noise(n int, level float64, seed uint64) []int16 {
	rng := rand.New(rand.NewPCG(seed, 7))
	rms := 32767 * math.Pow(10, -level/20)
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(max(-32768, min(32767, math.Round(rms*rng.NormFloat64()))))
	}
	return out
}

// snr returns the ratio in dB of the power of ref[skip:] to that of its
// difference from got, got lagging ref by delay samples.
func snr(ref, got []int16, delay, skip int) float64 {
	var sig, errp float64
	for i := skip; i < len(ref) && i+delay < len(got); i++ {
		r := float64(ref[i])
		d := r - float64(got[i+delay])
		sig += r * r
		errp += d * d
	}
	if errp == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(sig/errp)
}
