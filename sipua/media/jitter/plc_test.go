package jitter

import (
	"math"
	"testing"
)

// voiced returns n samples of a voiced-like signal at rate: a 140 Hz
// fundamental (a period of 57.1 samples at 8 kHz, not a whole number) and
// four harmonics falling off as 1/k. With glide, the fundamental rises
// linearly by glide Hz per second, and the amplitude wavers by ±20 % at 3 Hz.
func voiced(rate, n int, glide float64) []int16 {
	x := make([]int16, n)
	for i := range x {
		t := float64(i) / float64(rate)
		phase := 2 * math.Pi * (140*t + glide*t*t/2)
		a := 1.0
		if glide != 0 {
			a = 1 + 0.2*math.Sin(2*math.Pi*3*t)
		}
		v := 0.0
		for k := 1; k <= 5; k++ {
			v += a * 8000 / float64(k) * math.Sin(float64(k)*phase+float64(k)*0.7)
		}
		x[i] = int16(math.Round(v))
	}
	return x
}

func snr(ref, got []int16) float64 {
	var s, e float64
	for i := range ref {
		d := float64(ref[i]) - float64(got[i])
		s += float64(ref[i]) * float64(ref[i])
		e += d * d
	}
	if e == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(s/e)
}

func rms(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}

// maxSteps returns the largest first and second differences in x[from:to].
func maxSteps(x []int16, from, to int) (d1, d2 float64) {
	for i := max(from, 2); i < to; i++ {
		d1 = max(d1, math.Abs(float64(x[i])-float64(x[i-1])))
		d2 = max(d2, math.Abs(float64(x[i])-2*float64(x[i-1])+float64(x[i-2])))
	}
	return d1, d2
}

// TestConcealer conceals gaps of 20, 40, 60 and 100 ms in a voiced signal,
// at 8 and 16 kHz: the start of the concealment must be closer to the
// truth than zeros, the output must fade to silence after 60 ms, and there
// must be no clicks where concealment starts and ends.
func TestConcealer(t *testing.T) {
	for _, tt := range []struct {
		rate         int
		glide        float64
		min10, min20 float64 // least SNR over the first 10 and 20 ms, dB
	}{
		{8000, 0, 35, 18},
		{16000, 0, 35, 18},
		{8000, 40, 20, 14},
		{16000, 40, 20, 14},
	} {
		rate := tt.rate
		for _, gapMs := range []int{20, 40, 60, 100} {
			frame := rate / 50
			ms := rate / 1000
			x := voiced(rate, rate, tt.glide) // 1 s
			y := make([]int16, len(x))
			c := NewConcealer(rate, frame)
			gapFrom := 300 * ms
			gapTo := gapFrom + gapMs*ms
			for i := 0; i < len(x); i += frame {
				out := y[i : i+frame]
				if i >= gapFrom && i < gapTo {
					c.Conceal(out)
					continue
				}
				copy(out, x[i:i+frame])
				c.Good(out)
			}
			snr10 := snr(x[gapFrom:gapFrom+10*ms], y[gapFrom:gapFrom+10*ms])
			snr20 := snr(x[gapFrom:gapFrom+20*ms], y[gapFrom:gapFrom+20*ms])
			if snr10 < tt.min10 || snr20 < tt.min20 {
				t.Errorf("%d Hz, %d ms gap: SNR %.1f dB over the first 10 ms, %.1f dB over 20 ms; zero-fill is 0 dB", rate, gapMs, snr10, snr20)
			}
			// Attenuation: full for 10 ms, then falling, silent after 60 ms.
			if gapMs >= 40 {
				r1, r3 := rms(y[gapFrom:gapFrom+10*ms]), rms(y[gapFrom+20*ms:gapFrom+30*ms])
				if r3 >= r1 {
					t.Errorf("%d Hz, %d ms gap: no attenuation: rms %.0f then %.0f", rate, gapMs, r1, r3)
				}
			}
			for i := gapFrom + 60*ms; i < gapTo; i++ {
				if y[i] != 0 {
					t.Fatalf("%d Hz, %d ms gap: sample %d ms into the gap is %d, want silence", rate, gapMs, (i-gapFrom)/ms, y[i])
				}
			}
			// No clicks: around both joins the steps stay within the
			// signal's own there.
			n1, n2 := maxSteps(x, gapFrom-frame, gapTo+frame)
			s1, s2 := maxSteps(y, gapFrom-frame, gapTo+frame)
			if s1 > 1.1*n1 || s2 > 1.25*n2 {
				t.Errorf("%d Hz, %d ms gap: steps up to %.0f (2nd difference %.0f), the signal's own up to %.0f (%.0f)", rate, gapMs, s1, s2, n1, n2)
			}
			// Past the merge, the good frames are untouched.
			for i := gapTo + 10*ms; i < len(x); i++ {
				if y[i] != x[i] {
					t.Fatalf("%d Hz, %d ms gap: good sample %d changed", rate, gapMs, i)
				}
			}
			t.Logf("glide %2.0f Hz/s, %5d Hz, %3d ms gap: SNR first 10 ms %5.1f dB, first 20 ms %5.1f dB; max step %.0f / 2nd diff %.0f (signal %.0f / %.0f)",
				tt.glide, rate, gapMs, snr10, snr20, s1, s2, n1, n2)
		}
	}
}

// TestConcealerPitch checks that the pitch search finds the period of a
// train of smooth pulses (like a glottal pulse through the telephone band),
// and its multiple for a pitch above 200 Hz.
func TestConcealerPitch(t *testing.T) {
	for _, tt := range []struct{ rate, period, want int }{
		{8000, 40, 40}, {8000, 57, 57}, {8000, 100, 100}, {8000, 120, 120}, {8000, 30, 60},
		{16000, 80, 80}, {16000, 150, 150}, {16000, 240, 240},
	} {
		c := NewConcealer(tt.rate, tt.rate/50)
		x := make([]int16, len(c.hist))
		pulse := []int16{2000, 6000, 10000, 6000, 2000, -1000, -3000, -1000}
		for i := range x {
			x[i] = pulse[min(i%tt.period, len(pulse)-1)]
			if i%tt.period >= len(pulse) {
				x[i] = 0
			}
		}
		c.Good(x)
		if got := c.findPitch(); got != tt.want {
			t.Errorf("%d Hz, period %d: found %d, want %d", tt.rate, tt.period, got, tt.want)
		}
	}
}

// TestConcealerEdges feeds odd frame lengths and silence.
func TestConcealerEdges(t *testing.T) {
	c := NewConcealer(0, 0)
	dst := make([]int16, 7)
	c.Conceal(dst) // nothing played yet: silence
	for _, v := range dst {
		if v != 0 {
			t.Fatalf("concealment of nothing is %v", dst)
		}
	}
	c.Good(make([]int16, 1000)) // longer than the history
	c.Good(nil)
	big := make([]int16, 2000)
	for i := range big {
		big[i] = 32767
		if i%2 == 1 {
			big[i] = -32768
		}
	}
	c.Good(big)
	c.Conceal(make([]int16, 3))
	c.Conceal(make([]int16, 5000))
	c.Good(big[:1])
	c.Reset()
	c.Conceal(dst)
	for _, v := range dst {
		if v != 0 {
			t.Fatalf("after Reset, concealment is %v", dst)
		}
	}
}
