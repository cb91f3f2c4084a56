package aec

import "math"

// DuckerConfig configures a Ducker. Zero fields take the defaults noted.
type DuckerConfig struct {
	// Attenuation is the gain in dB applied to the microphone while the far
	// end talks (default -30).
	Attenuation float64
	// Threshold is the far-end level in dBFS above which the far end counts
	// as talking (default -45).
	Threshold float64
	// Hold keeps the microphone ducked this many milliseconds after the far
	// end stops, to let the room's echo die out (default 150).
	Hold int
}

// Ducker is a half-duplex fallback: it attenuates the microphone while the
// far end is talking, with smooth gain ramps. It costs a few operations a
// sample.
type Ducker struct {
	gainDuck, thresh float64
	hold, holdLeft   int
	env, gain        float64
	attack, release  float64
}

// NewDucker returns a Ducker for signals at rate samples per second.
func NewDucker(rate int, cfg DuckerConfig) *Ducker {
	if cfg.Attenuation == 0 {
		cfg.Attenuation = -30
	}
	if cfg.Threshold == 0 {
		cfg.Threshold = -45
	}
	if cfg.Hold == 0 {
		cfg.Hold = 150
	}
	d := &Ducker{
		gainDuck: math.Pow(10, cfg.Attenuation/20),
		thresh:   32768 * math.Pow(10, cfg.Threshold/20),
		hold:     cfg.Hold * rate / 1000,
		attack:   1 - math.Exp(-1/(0.005*float64(rate))),
		release:  1 - math.Exp(-1/(0.050*float64(rate))),
	}
	d.Reset()
	return d
}

// Reset forgets the signal levels.
func (d *Ducker) Reset() {
	d.env, d.gain, d.holdLeft = 0, 1, 0
}

// Process writes mic to out, attenuated while far is active. All three have
// the same length; out may be mic.
func (d *Ducker) Process(mic, far, out []int16) {
	for i := range out {
		a := math.Abs(float64(far[i]))
		if a > d.env {
			d.env += d.attack * (a - d.env)
		} else {
			d.env += d.release * (a - d.env)
		}
		target := 1.0
		if d.env > d.thresh {
			d.holdLeft = d.hold
		}
		if d.holdLeft > 0 {
			d.holdLeft--
			target = d.gainDuck
		}
		if target < d.gain {
			d.gain += d.attack * (target - d.gain)
		} else {
			d.gain += d.release * (target - d.gain)
		}
		out[i] = sat16(float64(mic[i]) * d.gain)
	}
}
