// Package level measures the loudness of 16-bit PCM frames: peak and RMS in
// dBFS, and a smoothed Meter per direction for diagnostics and the status API.
// Nothing here allocates.
package level

import (
	"math"
	"sync/atomic"
	"time"
)

// Floor is the level of digital silence in dBFS. It stands for -Inf so that
// readings stay finite numbers, which JSON can carry.
const Floor = -100.0

// full is the amplitude of a full-scale sine's peak, 0 dBFS.
const full = 32768.0

// DBFS converts an amplitude (0..32768) to dBFS, no lower than Floor.
func DBFS(amplitude float64) float64 {
	if amplitude <= 0 {
		return Floor
	}
	return max(Floor, 20*math.Log10(amplitude/full))
}

// PeakAmplitude is the largest absolute sample of pcm.
func PeakAmplitude(pcm []int16) int {
	p := 0
	for _, s := range pcm {
		v := int(s)
		if v < 0 {
			v = -v
		}
		p = max(p, v)
	}
	return p
}

// Peak is the peak level of pcm in dBFS: 0 for a full-scale sample.
func Peak(pcm []int16) float64 { return DBFS(float64(PeakAmplitude(pcm))) }

// MeanSquare is the mean of the squared samples of pcm.
func MeanSquare(pcm []int16) float64 {
	if len(pcm) == 0 {
		return 0
	}
	var sum int64
	for _, s := range pcm {
		sum += int64(s) * int64(s)
	}
	return float64(sum) / float64(len(pcm))
}

// RMS is the RMS level of pcm in dBFS, where a full-scale square wave reads 0
// (a full-scale sine reads -3.01).
func RMS(pcm []int16) float64 { return DBFS(math.Sqrt(MeanSquare(pcm))) }

// Reading is what a Meter shows.
type Reading struct {
	Peak float64 `json:"peak_dbfs"` // peak with hold and decay, dBFS
	RMS  float64 `json:"rms_dbfs"`  // RMS averaged over about RMSWindow, dBFS
	Clip uint64  `json:"clipped"`   // frames with a sample at full scale
}

// Meter timing.
const (
	// RMSWindow is the time constant of the RMS average.
	RMSWindow = 300 * time.Millisecond
	// PeakHold is how long a peak is held before it decays.
	PeakHold = time.Second
	// PeakDecay is how fast the peak falls after the hold, in dB a second.
	PeakDecay = 20.0
)

// Meter smooths the levels of a stream of frames. Update is called by the
// goroutine that moves the audio; Read may be called from any goroutine. The
// zero value is ready: it reads Floor until it has seen a frame.
type Meter struct {
	ms   float64 // smoothed mean square (only the updater touches it)
	peak float64 // held peak in dBFS (updater)
	held time.Duration
	init bool

	rms, pk, clip atomic.Uint64 // published: float64 bits, float64 bits, count
}

// Update feeds the frame pcm, which lasts d (20 ms frames: audio.FrameDuration).
func (m *Meter) Update(pcm []int16, d time.Duration) {
	ms := MeanSquare(pcm)
	amp := PeakAmplitude(pcm)
	p := DBFS(float64(amp))
	if !m.init {
		m.init, m.ms, m.peak = true, ms, p
	} else {
		a := 1 - math.Exp(-float64(d)/float64(RMSWindow))
		m.ms += a * (ms - m.ms)
		if p >= m.peak {
			m.peak, m.held = p, 0
		} else if m.held += d; m.held > PeakHold {
			m.peak = max(p, m.peak-PeakDecay*d.Seconds())
		}
	}
	if amp >= 32767 {
		m.clip.Add(1)
	}
	m.rms.Store(math.Float64bits(DBFS(math.Sqrt(m.ms))))
	m.pk.Store(math.Float64bits(m.peak))
}

// Read returns the current levels.
func (m *Meter) Read() Reading {
	r := Reading{Peak: Floor, RMS: Floor, Clip: m.clip.Load()}
	if b := m.pk.Load(); b != 0 {
		r.Peak = math.Float64frombits(b)
	}
	if b := m.rms.Load(); b != 0 {
		r.RMS = math.Float64frombits(b)
	}
	return r
}

// Reset forgets what the Meter has seen. Call it from the updating goroutine.
func (m *Meter) Reset() {
	m.ms, m.peak, m.held, m.init = 0, 0, 0, false
	m.rms.Store(0)
	m.pk.Store(0)
	m.clip.Store(0)
}

// Meters are the levels of a call in both directions.
type Meters struct {
	Capture  Meter // what the microphone hears, before encoding
	Playback Meter // what the speaker plays, after decoding
}

// Readings is a snapshot of Meters.
type Readings struct {
	Capture  Reading `json:"capture"`
	Playback Reading `json:"playback"`
}

// Read returns both directions' levels.
func (m *Meters) Read() Readings {
	return Readings{Capture: m.Capture.Read(), Playback: m.Playback.Read()}
}
