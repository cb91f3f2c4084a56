// Package tone generates the call-progress tones and prompts the door station
// plays on its own speaker: ringback with the cadence of the country it is
// installed in, busy, an error tone, a chime for "door opened", and spoken
// prompts from WAV files.
//
// A Tone is an audio.Source that is not paced: the playback device it feeds
// sets the pace. Cadences are exact to the sample, and every burst of tone
// fades in and out over Ramp so that nothing clicks. ReadFrame allocates
// nothing.
package tone

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"intercom/audio/wav"
)

// DefaultLevel is the peak level of a tone, in dBFS, when a Cadence does not
// set one.
const DefaultLevel = -12.0

// Ramp is how long a burst of tone takes to fade in, and to fade out.
const Ramp = 5 * time.Millisecond

// Segment is one step of a cadence: the frequencies sounding together for
// Duration, or silence when there are none.
type Segment struct {
	Freqs    []float64 // Hz, each below half the sample rate
	Duration time.Duration
}

// Cadence is a sequence of segments, played once or over and over.
type Cadence struct {
	Segments []Segment
	Repeat   bool
	Level    float64 // peak of the sum of the frequencies, dBFS; 0 means DefaultLevel
}

func on(d time.Duration, f ...float64) Segment { return Segment{Freqs: f, Duration: d} }
func off(d time.Duration) Segment              { return Segment{Duration: d} }

const ms = time.Millisecond

// Country tones, after ITU-T E.180 Supplement 2 and ETSI TR 101 041.
var (
	usRingback = Cadence{Repeat: true, Segments: []Segment{on(2000*ms, 440, 480), off(4000 * ms)}}
	ukRingback = Cadence{Repeat: true, Segments: []Segment{on(400*ms, 400, 450), off(200 * ms), on(400*ms, 400, 450), off(2000 * ms)}}
	euRingback = Cadence{Repeat: true, Segments: []Segment{on(1000*ms, 425), off(4000 * ms)}}
	frRingback = Cadence{Repeat: true, Segments: []Segment{on(1500*ms, 440), off(3500 * ms)}}
	esRingback = Cadence{Repeat: true, Segments: []Segment{on(1500*ms, 425), off(3000 * ms)}}
	seRingback = Cadence{Repeat: true, Segments: []Segment{on(1000*ms, 425), off(5000 * ms)}}

	usBusy = Cadence{Repeat: true, Segments: []Segment{on(500*ms, 480, 620), off(500 * ms)}}
	ukBusy = Cadence{Repeat: true, Segments: []Segment{on(375*ms, 400), off(375 * ms)}}
	euBusy = Cadence{Repeat: true, Segments: []Segment{on(500*ms, 425), off(500 * ms)}}
	frBusy = Cadence{Repeat: true, Segments: []Segment{on(500*ms, 440), off(500 * ms)}}
	esBusy = Cadence{Repeat: true, Segments: []Segment{on(200*ms, 425), off(200 * ms)}}
	seBusy = Cadence{Repeat: true, Segments: []Segment{on(250*ms, 425), off(250 * ms)}}
)

type countryTones struct{ ringback, busy Cadence }

var (
	us = countryTones{usRingback, usBusy}
	uk = countryTones{ukRingback, ukBusy}
	eu = countryTones{euRingback, euBusy}
	fr = countryTones{frRingback, frBusy}
	es = countryTones{esRingback, esBusy}
	se = countryTones{seRingback, seBusy}
)

// countries maps ISO 3166-1 alpha-2 codes (and "eu", "uk") to their tones.
var countries = map[string]countryTones{
	"eu": eu, "de": eu, "at": eu, "ch": eu, "nl": eu, "be": eu, "lu": eu,
	"it": eu, "pl": eu, "cz": eu, "sk": eu, "hu": eu, "dk": eu, "no": eu,
	"fi": eu, "pt": eu, "gr": eu, "si": eu, "hr": eu, "ro": eu,
	"us": us, "ca": us,
	"uk": uk, "gb": uk, "ie": uk,
	"fr": fr, "es": es, "se": se,
}

// Countries returns the codes Ringback and Busy know, sorted.
func Countries() []string {
	var cs []string
	for c := range countries {
		cs = append(cs, c)
	}
	slices.Sort(cs)
	return cs
}

func lookup(country string) (countryTones, error) {
	c := strings.ToLower(strings.TrimSpace(country))
	if c == "" {
		c = "eu"
	}
	t, ok := countries[c]
	if !ok {
		return t, fmt.Errorf("tone: no tones for country %q (know %s)", country, strings.Join(Countries(), ", "))
	}
	return t, nil
}

// RingbackCadence is the ringback of country, an ISO 3166-1 code such as
// "de", "us" or "gb"; "" means "eu" (425 Hz, 1 s on, 4 s off).
func RingbackCadence(country string) (Cadence, error) {
	t, err := lookup(country)
	return t.ringback, err
}

// BusyCadence is the busy tone of country.
func BusyCadence(country string) (Cadence, error) {
	t, err := lookup(country)
	return t.busy, err
}

// ErrorCadence is a special information tone (ETSI: 950, 1400 and 1800 Hz,
// 330 ms each, then a second of silence), three times.
var ErrorCadence = Cadence{Segments: []Segment{
	on(330*ms, 950), on(330*ms, 1400), on(330*ms, 1800), off(1000 * ms),
	on(330*ms, 950), on(330*ms, 1400), on(330*ms, 1800), off(1000 * ms),
	on(330*ms, 950), on(330*ms, 1400), on(330*ms, 1800),
}}

// ChimeCadence is the short rising two-note chime that says the door opened.
var ChimeCadence = Cadence{Segments: []Segment{on(120*ms, 880), off(30 * ms), on(250*ms, 1318.5)}}

// Ringback returns the ringback tone of country at rate.
func Ringback(country string, rate int) (*Tone, error) {
	c, err := RingbackCadence(country)
	if err != nil {
		return nil, err
	}
	return New(c, rate)
}

// Busy returns the busy tone of country at rate.
func Busy(country string, rate int) (*Tone, error) {
	c, err := BusyCadence(country)
	if err != nil {
		return nil, err
	}
	return New(c, rate)
}

// Error returns the error tone at rate; it ends after about 5 s.
func Error(rate int) (*Tone, error) { return New(ErrorCadence, rate) }

// Chime returns the "door opened" chime at rate; it ends after 0.4 s.
func Chime(rate int) (*Tone, error) { return New(ChimeCadence, rate) }

// Prompt opens a WAV file to play once as frames at rate, converted to mono
// and resampled as needed. Its ReadFrame returns io.EOF at the end.
func Prompt(file string, rate int) (*wav.Source, error) {
	return wav.Open(file, rate, wav.Options{})
}

// maxFreqs bounds the frequencies of one segment.
const maxFreqs = 4

type osc struct{ c, s, wc, ws, amp float64 } // rotating phasor

type segment struct {
	n    int // samples
	ramp int // samples of fade at each end
	oscs []osc
}

// Tone plays a Cadence as 16-bit mono frames. It implements audio.Source.
type Tone struct {
	segs []segment
	env  []float64 // fade-in envelope, Ramp long
	rep  bool
	seg  int // current segment
	pos  int // sample within it
	done bool
}

// New returns a Tone that plays c at rate.
func New(c Cadence, rate int) (*Tone, error) {
	if rate < 1000 || rate > 192000 {
		return nil, fmt.Errorf("tone: bad rate %d", rate)
	}
	if len(c.Segments) == 0 {
		return nil, errors.New("tone: empty cadence")
	}
	level := c.Level
	if level == 0 {
		level = DefaultLevel
	}
	if level > 0 {
		return nil, fmt.Errorf("tone: level %g dBFS above full scale", level)
	}
	peak := 32767 * math.Pow(10, level/20)
	ramp := int(int64(Ramp) * int64(rate) / int64(time.Second))
	t := &Tone{rep: c.Repeat, env: make([]float64, ramp)}
	for i := range t.env {
		x := math.Sin(math.Pi / 2 * float64(i) / float64(ramp))
		t.env[i] = x * x
	}
	for i, s := range c.Segments {
		n := int((int64(s.Duration)*int64(rate) + int64(time.Second)/2) / int64(time.Second))
		if n <= 0 {
			return nil, fmt.Errorf("tone: segment %d lasts %v", i, s.Duration)
		}
		if len(s.Freqs) > maxFreqs {
			return nil, fmt.Errorf("tone: segment %d has %d frequencies, at most %d", i, len(s.Freqs), maxFreqs)
		}
		seg := segment{n: n, ramp: min(ramp, n/2)}
		for _, f := range s.Freqs {
			if f <= 0 || f >= float64(rate)/2 {
				return nil, fmt.Errorf("tone: segment %d: %g Hz at %d Hz sampling", i, f, rate)
			}
			w := 2 * math.Pi * f / float64(rate)
			seg.oscs = append(seg.oscs, osc{wc: math.Cos(w), ws: math.Sin(w), amp: peak / float64(len(s.Freqs))})
		}
		t.segs = append(t.segs, seg)
	}
	t.Reset()
	return t, nil
}

// Reset starts the cadence over.
func (t *Tone) Reset() {
	t.seg, t.pos, t.done = 0, 0, false
	t.startSegment()
}

func (t *Tone) startSegment() {
	for i := range t.segs[t.seg].oscs {
		o := &t.segs[t.seg].oscs[i]
		o.c, o.s = 1, 0 // phase 0: every burst starts at a zero crossing
	}
}

// ReadFrame fills pcm with the next samples of the cadence. A cadence that does
// not repeat pads its last frame with silence, and then returns io.EOF.
func (t *Tone) ReadFrame(pcm []int16) error {
	if t.done {
		return io.EOF
	}
	for len(pcm) > 0 {
		seg := &t.segs[t.seg]
		k := min(len(pcm), seg.n-t.pos)
		t.render(seg, pcm[:k])
		pcm = pcm[k:]
		t.pos += k
		if t.pos < seg.n {
			continue
		}
		t.pos = 0
		t.seg++
		if t.seg == len(t.segs) {
			t.seg = 0
			if !t.rep {
				t.done = true
				clear(pcm)
				return nil
			}
		}
		t.startSegment()
	}
	return nil
}

// render writes the samples pos..pos+len(out) of seg.
func (t *Tone) render(seg *segment, out []int16) {
	if len(seg.oscs) == 0 {
		clear(out)
		return
	}
	for i := range out {
		p := t.pos + i
		g := 1.0
		if p < seg.ramp {
			g = t.fade(seg, p)
		} else if q := seg.n - 1 - p; q < seg.ramp {
			g = t.fade(seg, q)
		}
		var v float64
		for j := range seg.oscs {
			o := &seg.oscs[j]
			v += o.s * o.amp
			o.c, o.s = o.c*o.wc-o.s*o.ws, o.s*o.wc+o.c*o.ws
		}
		out[i] = int16(math.Round(v * g))
	}
	// Keep the phasors on the unit circle against rounding drift.
	for j := range seg.oscs {
		o := &seg.oscs[j]
		m := 1 / math.Sqrt(o.c*o.c+o.s*o.s)
		o.c, o.s = o.c*m, o.s*m
	}
}

// fade is the gain p samples into the fade of seg: the table for a full
// Ramp, computed for a segment too short for one.
func (t *Tone) fade(seg *segment, p int) float64 {
	if seg.ramp == len(t.env) {
		return t.env[p]
	}
	x := math.Sin(math.Pi / 2 * float64(p) / float64(seg.ramp))
	return x * x
}

// Close ends the tone; ReadFrame returns io.EOF after it.
func (t *Tone) Close() error {
	t.done = true
	return nil
}
