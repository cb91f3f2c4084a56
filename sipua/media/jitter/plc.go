package jitter

import "math"

// Concealer synthesizes audio for lost frames from the audio played before,
// after ITU-T G.711 Appendix I: it finds the pitch period of the last
// 20 ms, repeats the last period (the last two from 10 ms on, the last
// three from 20 ms on, cross-fading each change over a quarter period),
// attenuates from 10 ms on by 20 % per 10 ms to silence at 60 ms, and
// merges the next good frame by overlap-add over 4 to 10 ms.
//
// Unlike Appendix I it does not delay the audio by 3.75 ms to cross-fade
// the start of a loss into the repetition. Instead each repeated span (one,
// two, three periods) is the lag near the pitch multiple, to a fraction of
// a sample, whose start best continues the last good samples (least
// squared difference over a quarter period, refined by a parabola), and
// the span is read with linear interpolation: the repetition joins the
// good audio, and itself at every wrap, without a kink, also when the pitch
// is not a whole number of samples or glides.
//
// Call Good with every frame decoded from a packet, Conceal for every lost
// frame, and Good with a frame of zeros for silence. A Concealer is for one
// goroutine and allocates nothing after NewConcealer.
type Concealer struct {
	frame   int // usual frame length
	pmin    int // shortest pitch period searched, samples (5 ms: 200 Hz)
	pmax    int // longest (15 ms: 66.7 Hz)
	corrLen int // samples compared by the pitch search (20 ms)
	ms10    int // samples in 10 ms

	hist []int16 // the last samples played, good or concealed

	// The current erasure.
	lost  int        // samples concealed so far; 0 = not in an erasure
	pitch int        // period, samples
	spans [3]float64 // one, two and three periods, each refined on its own
	pbuf  []float32  // the last 3*pmax samples of history when it started
	span  float64    // length of the repeated segment, the end of pbuf
	pos   float64    // read position in the segment
	// A cross-fade from the previous, shorter segment after it grew.
	xf, xfLen     int
	xfPos, xfSpan float64
}

// NewConcealer returns a Concealer for mono audio at sampleRate (8000 for
// G.711, 16000 for G.722) in frames of frameSamples samples (160 and 320
// for 20 ms). Good and Conceal accept frames of any length; frameSamples
// bounds the merge at the end of a loss. Rates below 4000 Hz are raised to
// 8000.
func NewConcealer(sampleRate, frameSamples int) *Concealer {
	if sampleRate < 4000 {
		sampleRate = 8000
	}
	if frameSamples <= 0 {
		frameSamples = sampleRate / 50
	}
	c := &Concealer{
		frame:   frameSamples,
		pmin:    sampleRate / 200,
		pmax:    sampleRate * 15 / 1000,
		corrLen: sampleRate / 50,
		ms10:    sampleRate / 100,
	}
	c.hist = make([]int16, 3*c.pmax+c.pmax/4)
	c.pbuf = make([]float32, 3*c.pmax)
	return c
}

// Reset forgets the audio played, as after NewConcealer.
func (c *Concealer) Reset() {
	clear(c.hist)
	c.lost = 0
}

// Good records a frame decoded from a packet. After a loss it first merges
// the frame with the continued concealment (overlap-add), changing the
// start of pcm in place.
func (c *Concealer) Good(pcm []int16) {
	if c.lost > 0 {
		// 4 ms for a loss up to 10 ms, 4 ms more per further 10 ms, at most 10 ms.
		l := c.ms10 * 4 / 10 * (1 + (c.lost-1)/c.ms10)
		l = min(l, c.ms10, c.frame, len(pcm))
		for i := 0; i < l; i++ {
			w := float32(i+1) / float32(l+1)
			pcm[i] = clamp16(c.synth()*(1-w) + float32(pcm[i])*w)
		}
		c.lost = 0
	}
	c.remember(pcm)
}

// Conceal fills dst, one lost frame, with concealment.
func (c *Concealer) Conceal(dst []int16) {
	if c.lost == 0 {
		c.start()
	}
	for i := range dst {
		dst[i] = clamp16(c.synth())
	}
	c.remember(dst)
}

// start begins an erasure: find the pitch, keep the history to repeat.
func (c *Concealer) start() {
	c.pitch = c.findPitch()
	// Repeat the span that joins its end to its start best, near one, two
	// and three periods: a pitch that is not a whole number of samples, or
	// that glides, leaves the least kink at each wrap.
	c.spans[0] = c.joinLag(c.pitch-2, c.pitch+2)
	for k := 2; k <= 3; k++ {
		c.spans[k-1] = c.joinLag(k*c.pitch-k-1, min(k*c.pitch+k+1, len(c.pbuf)-1))
	}
	h := c.hist[len(c.hist)-len(c.pbuf):]
	for i, v := range h {
		c.pbuf[i] = float32(v)
	}
	c.span = c.spans[0]
	c.pos = 0
	c.xf = 0
}

// synth returns the next concealed sample and advances the erasure.
func (c *Concealer) synth() float32 {
	t := c.lost
	c.lost++
	if t >= 6*c.ms10 {
		return 0
	}
	if k := t / c.ms10; t%c.ms10 == 0 && (k == 1 || k == 2) && c.spans[k] > c.span {
		// Repeat one period more, from the same phase one period back,
		// cross-fading from the old segment over a quarter period.
		c.xfSpan, c.xfPos = c.span, c.pos
		c.span = c.spans[k]
		c.xfLen = max(c.pitch/4, 1)
		c.xf = c.xfLen
	}
	v := c.read(c.span, &c.pos)
	if c.xf > 0 {
		w := float32(c.xf) / float32(c.xfLen+1)
		v = v*(1-w) + c.read(c.xfSpan, &c.xfPos)*w
		c.xf--
	}
	if t >= c.ms10 {
		v *= 1 - float32(t-c.ms10)/float32(5*c.ms10)
	}
	return v
}

// read returns the sample at position *pos of the segment of length span
// at the end of pbuf, interpolating between samples and wrapping around,
// and advances *pos by one.
func (c *Concealer) read(span float64, pos *float64) float32 {
	n := len(c.pbuf)
	x := float64(n) - span + *pos
	i := int(x)
	f := float32(x - float64(i))
	a := c.pbuf[min(i, n-1)]
	var b float32
	if i+1 < n {
		b = c.pbuf[i+1]
	} else {
		// Past the end comes the start again.
		y := float64(n) - span + float64(i+1-n)
		j := int(y)
		g := float32(y - float64(j))
		b = c.pbuf[j]*(1-g) + c.pbuf[min(j+1, n-1)]*g
	}
	if *pos++; *pos >= span {
		*pos -= span
	}
	return a*(1-f) + b*f
}

// findPitch returns the period, between pmin and pmax, at which the last
// corrLen samples of history best match the samples one period earlier
// (normalized cross-correlation): a search on every other period and
// sample, as in G.711 Appendix I, then refined. A period a half or a third
// as long that matches nearly as well is preferred: a multiple of the
// period matches too.
func (c *Concealer) findPitch() int {
	p, _ := c.bestLag(c.pmin, c.pmax, 2)
	p, s := c.bestLag(max(p-1, c.pmin), min(p+1, c.pmax), 1)
	for _, d := range []int{3, 2} {
		q := (p + d/2) / d
		if q-1 < c.pmin {
			continue
		}
		if q, qs := c.bestLag(q-1, q+1, 1); qs >= 0.9*s {
			return q
		}
	}
	return p
}

// bestLag returns the lag in lo..hi (every step-th) at which the end of the
// history best matches the history that much earlier, comparing every
// step-th sample of the last corrLen (fewer for lags too long for that).
func (c *Concealer) bestLag(lo, hi, lagStep int) (lag int, score float64) {
	h := c.hist
	best, bs := lo, math.Inf(-1)
	for lag = lo; lag <= hi && lag <= len(h)-c.pmin; lag += lagStep {
		w := min(c.corrLen, len(h)-lag)
		r, l := h[len(h)-w:], h[len(h)-w-lag:]
		var cc, e int64
		for j := 0; j < w; j += lagStep {
			cc += int64(r[j]) * int64(l[j])
			e += int64(l[j]) * int64(l[j])
		}
		if e == 0 {
			continue
		}
		if s := float64(cc) / math.Sqrt(float64(e)); s > bs {
			best, bs = lag, s
		}
	}
	return best, bs
}

// joinLag returns the lag in lo..hi at which the last quarter period of
// the history best matches (least squared difference) the samples that
// much earlier: the repetition that joins its own end most smoothly. The
// lag is refined to a fraction of a sample by a parabola through the
// differences around the best.
func (c *Concealer) joinLag(lo, hi int) float64 {
	h := c.hist
	n := len(h)
	k := max(c.pitch/4, 4)
	ssd := func(lag int) float64 {
		var d int64
		for j := 1; j <= k; j++ {
			e := int64(h[n-j]) - int64(h[n-j-lag])
			d += e * e
		}
		return float64(d)
	}
	lo = max(lo, c.pmin)
	hi = min(hi, n-k)
	best, bd := lo, math.Inf(1)
	for lag := lo; lag <= hi; lag++ {
		if d := ssd(lag); d < bd {
			best, bd = lag, d
		}
	}
	if best-1 < c.pmin || best+1 > n-k || best+1 > len(c.pbuf)-1 {
		return float64(best)
	}
	l, r := ssd(best-1), ssd(best+1)
	den := l - 2*bd + r
	if den <= 0 {
		return float64(best)
	}
	return float64(best) + min(max((l-r)/(2*den), -0.5), 0.5)
}

// remember appends samples to the history.
func (c *Concealer) remember(s []int16) {
	h := c.hist
	if len(s) >= len(h) {
		copy(h, s[len(s)-len(h):])
		return
	}
	copy(h, h[len(s):])
	copy(h[len(h)-len(s):], s)
}

func clamp16(v float32) int16 {
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	case v >= 0:
		return int16(v + 0.5)
	}
	return int16(v - 0.5)
}
