package aec

import (
	"math"
	"time"
)

// Config says how a Canceller is built. Zero fields take the defaults noted.
type Config struct {
	// SampleRate is 8000 or 16000 (default 8000).
	SampleRate int
	// FrameSamples is the number of samples of each Process call: 160 or 320
	// are 20 ms at 8 and 16 kHz (default 20 ms). Any even size whose
	// half factors into 2, 3 and 5 works.
	FrameSamples int
	// FilterLength is the echo tail the adaptive filter covers (default
	// 128 ms); it is rounded up to a whole number of frames.
	FilterLength time.Duration
	// BulkDelay delays the far-end signal by this much before the filter sees
	// it, to cover a sound card's fixed output-to-input delay without
	// spending filter taps on it. With EstimateDelay it is the initial value.
	BulkDelay time.Duration
	// EstimateDelay turns on the bulk-delay estimator: the far-end delay is
	// set from the cross-correlation of the decimated signals, up to
	// MaxDelay, keeping DelayMargin of the filter's tail before the echo.
	EstimateDelay bool
	// MaxDelay bounds the delay estimate (default 400 ms).
	MaxDelay time.Duration
	// DelayMargin is kept between the estimated delay and the far-end
	// delay the filter sees, so that a late estimate does not cut off the
	// direct path (default 10 ms).
	DelayMargin time.Duration
	// NoPostFilter turns off the residual echo suppressor.
	NoPostFilter bool
	// EchoSuppress is the attenuation of residual echo in dB when the near
	// end is silent (default -40) and EchoSuppressActive while the near end
	// talks (default -15); both are negative.
	EchoSuppress, EchoSuppressActive float64
	// Budget, when positive, is the processing time a frame may take on
	// average; a Canceller that runs over it falls back on half-duplex
	// ducking (see Stats.HalfDuplex). Zero never falls back.
	Budget time.Duration
	// Ducker configures the half-duplex fallback.
	Ducker DuckerConfig
}

// Stats reports a Canceller's state.
type Stats struct {
	// ERLE is the echo return loss enhancement in dB of the linear filter
	// (microphone power over error power), smoothed over about a second of
	// far-end activity.
	ERLE float64
	// Delay is the far-end delay in use and DelayEstimate the last
	// estimate of the bulk delay (-1 until there is one).
	Delay, DelayEstimate time.Duration
	// Adapted is true once the filter has converged enough to drive the
	// fine adaptation and the residual echo estimate.
	Adapted bool
	// HalfDuplex is true when the Canceller has fallen back on ducking.
	HalfDuplex bool
	// Resets counts the times the filter reset itself after diverging.
	Resets int
}

// Canceller is an acoustic echo canceller. It is not safe for concurrent
// use.
type Canceller struct {
	cfg        Config
	n, l, m, k int
	fft        *rfft

	x        []float64      // far end, pre-emphasised, [previous, current]
	xs       [][]complex128 // far-end spectra, ring of m+1
	xhead    int
	w, fg    [][]complex128 // background (adapting) and foreground filters
	bigE, bY []complex128
	phi      []complex128
	e, y     []float64
	wtmp     []float64
	input    []float64
	window   []float64

	power, power1, rf, yf, xf, eh, yh []float64
	prop                              []float64

	memX, memD, memE float64
	notch            [2]float64
	notchRadius      float64
	preemph          float64

	davg1, davg2, dvar1, dvar2 float64
	pey, pyy, leak             float64
	sumAdapt                   float64
	adapted                    bool
	saturated, screwedUp       int
	cancelCount                int
	specAverage, beta0, betaMx float64

	lastY []float64 // echo estimate, [previous, current], for the post-filter
	post  *postFilter

	// far-end delay line
	dline     []int16
	dpos      int
	delay     int
	delayEst  *delayEstimator
	farFrame  []int16
	micPow    float64
	errPow    float64
	resets    int
	duck      *Ducker
	half      bool
	overCount int
	avgTime   float64
}

// New returns a Canceller for cfg. It panics on a sample rate or frame size
// it cannot use.
func New(cfg Config) *Canceller {
	if cfg.SampleRate == 0 {
		cfg.SampleRate = 8000
	}
	if cfg.SampleRate != 8000 && cfg.SampleRate != 16000 {
		panic("aec: SampleRate must be 8000 or 16000")
	}
	if cfg.FrameSamples == 0 {
		cfg.FrameSamples = cfg.SampleRate / 50
	}
	if cfg.FilterLength == 0 {
		cfg.FilterLength = 128 * time.Millisecond
	}
	if cfg.MaxDelay == 0 {
		cfg.MaxDelay = 400 * time.Millisecond
	}
	if cfg.DelayMargin == 0 {
		cfg.DelayMargin = 10 * time.Millisecond
	}
	if cfg.EchoSuppress == 0 {
		cfg.EchoSuppress = -40
	}
	if cfg.EchoSuppressActive == 0 {
		cfg.EchoSuppressActive = -15
	}
	n := cfg.FrameSamples
	if n <= 0 || n%2 != 0 {
		panic("aec: FrameSamples must be even and positive")
	}
	tail := int(cfg.FilterLength.Seconds()*float64(cfg.SampleRate) + 0.5)
	m := (tail + n - 1) / n
	if m < 1 {
		m = 1
	}
	c := &Canceller{cfg: cfg, n: n, l: 2 * n, m: m, k: n + 1}
	c.fft = newRFFT(2 * n)
	l, k := 2*n, n+1
	c.x = make([]float64, l)
	c.xs = make2c(m+1, k)
	c.w = make2c(m, k)
	c.fg = make2c(m, k)
	c.bigE = make([]complex128, k)
	c.bY = make([]complex128, k)
	c.phi = make([]complex128, k)
	c.e = make([]float64, l)
	c.y = make([]float64, l)
	c.wtmp = make([]float64, l)
	c.input = make([]float64, n)
	c.window = make([]float64, l)
	for i := range c.window {
		c.window[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(l))
	}
	c.power = make([]float64, k)
	c.power1 = make([]float64, k)
	c.rf = make([]float64, k)
	c.yf = make([]float64, k)
	c.xf = make([]float64, k)
	c.eh = make([]float64, k)
	c.yh = make([]float64, k)
	c.prop = make([]float64, m)
	c.lastY = make([]float64, l)
	// DC blocker: a first-order high-pass near 5 Hz. (speex's notch sits
	// near 130 Hz at 8 kHz, which shifts the phase of a near-end voice's
	// fundamental: a distortion of the near end.)
	c.notchRadius = 1 - 2*math.Pi*5/float64(cfg.SampleRate)
	c.preemph = 0.9
	c.specAverage = float64(n) / float64(cfg.SampleRate)
	c.beta0 = 2 * float64(n) / float64(cfg.SampleRate)
	c.betaMx = 0.5 * float64(n) / float64(cfg.SampleRate)
	if !cfg.NoPostFilter {
		c.post = newPostFilter(c)
	}
	maxDelay := int(cfg.BulkDelay.Seconds() * float64(cfg.SampleRate))
	if cfg.EstimateDelay {
		md := int(cfg.MaxDelay.Seconds() * float64(cfg.SampleRate))
		if md > maxDelay {
			maxDelay = md
		}
		c.delayEst = newDelayEstimator(cfg.SampleRate, n, md)
	}
	c.dline = make([]int16, maxDelay+n)
	c.farFrame = make([]int16, n)
	c.duck = NewDucker(cfg.SampleRate, cfg.Ducker)
	c.Reset()
	return c
}

func make2c(a, b int) [][]complex128 {
	back := make([]complex128, a*b)
	s := make([][]complex128, a)
	for i := range s {
		s[i] = back[i*b : (i+1)*b : (i+1)*b]
	}
	return s
}

// Reset forgets the echo path and all signal history, as at the start of a
// call. The far-end delay goes back to Config.BulkDelay, and a fallen-back
// Canceller tries full duplex again.
func (c *Canceller) Reset() {
	c.resetFilter()
	clear(c.dline)
	c.dpos = 0
	c.delay = int(c.cfg.BulkDelay.Seconds() * float64(c.cfg.SampleRate))
	if c.delay > len(c.dline)-c.n {
		c.delay = len(c.dline) - c.n
	}
	if c.delayEst != nil {
		c.delayEst.reset()
	}
	c.half = false
	c.overCount = 0
	c.avgTime = 0
	c.resets = 0
	c.duck.Reset()
}

// resetFilter forgets the adaptive filter and its signal statistics.
func (c *Canceller) resetFilter() {
	clear(c.x)
	for i := range c.xs {
		clear(c.xs[i])
	}
	for i := range c.w {
		clear(c.w[i])
		clear(c.fg[i])
	}
	clear(c.bigE)
	clear(c.bY)
	clear(c.e)
	clear(c.y)
	clear(c.lastY)
	clear(c.power)
	for i := range c.power1 {
		c.power1[i] = 1
	}
	clear(c.eh)
	clear(c.yh)
	decay := math.Exp(-2.4 / float64(c.m))
	sum := 0.0
	for i := range c.prop {
		if i == 0 {
			c.prop[i] = 0.7
		} else {
			c.prop[i] = c.prop[i-1] * decay
		}
		sum += c.prop[i]
	}
	for i := range c.prop {
		c.prop[i] = 0.8 * c.prop[i] / sum
	}
	c.memX, c.memD, c.memE = 0, 0, 0
	c.notch = [2]float64{}
	c.davg1, c.davg2, c.dvar1, c.dvar2 = 0, 0, 0, 0
	c.pey, c.pyy, c.leak = 1, 1, 0
	c.sumAdapt = 0
	c.adapted = false
	c.saturated, c.screwedUp, c.cancelCount = 0, 0, 0
	c.micPow, c.errPow = 0, 0
	if c.post != nil {
		c.post.reset()
	}
}

// Stats reports the Canceller's state.
func (c *Canceller) Stats() Stats {
	s := Stats{
		ERLE:          10 * math.Log10((c.micPow+1)/(c.errPow+1)),
		Delay:         samplesToDuration(c.delay, c.cfg.SampleRate),
		DelayEstimate: -1,
		Adapted:       c.adapted,
		HalfDuplex:    c.half,
		Resets:        c.resets,
	}
	if c.delayEst != nil && c.delayEst.est >= 0 {
		s.DelayEstimate = samplesToDuration(c.delayEst.est, c.cfg.SampleRate)
	}
	return s
}

// SetHalfDuplex switches between echo cancellation and half-duplex
// ducking by hand.
func (c *Canceller) SetHalfDuplex(on bool) {
	if on == c.half {
		return
	}
	c.half = on
	c.overCount = 0
	c.avgTime = 0
	if !on {
		c.resetFilter()
	}
}

func samplesToDuration(n, rate int) time.Duration {
	return time.Duration(n) * time.Second / time.Duration(rate)
}

// Process cancels the echo of one frame: mic is the microphone signal, far
// the signal played on the loudspeaker at the same time, out receives the
// microphone without the echo. All three hold FrameSamples samples; out may
// be mic.
func (c *Canceller) Process(mic, far, out []int16) {
	n := c.n
	if len(mic) < n || len(far) < n || len(out) < n {
		panic("aec: Process needs FrameSamples samples in mic, far and out")
	}
	var start time.Time
	if c.cfg.Budget > 0 {
		start = time.Now()
	}
	// The far-end delay line.
	dl := len(c.dline)
	for i := 0; i < n; i++ {
		c.dline[(c.dpos+i)%dl] = far[i]
	}
	if c.delayEst != nil {
		c.delayEst.process(mic[:n], far[:n])
		c.applyDelayEstimate()
	}
	rd := c.dpos - c.delay
	for i := 0; i < n; i++ {
		c.farFrame[i] = c.dline[((rd+i)%dl+dl)%dl]
	}
	c.dpos = (c.dpos + n) % dl

	if c.half {
		c.duck.Process(mic[:n], c.farFrame, out[:n])
	} else {
		c.cancel(mic[:n], c.farFrame, out[:n])
		if c.post != nil {
			c.post.process(c, out[:n])
		}
	}
	if c.cfg.Budget > 0 && !c.half {
		d := float64(time.Since(start))
		c.avgTime += 0.05 * (d - c.avgTime)
		if c.avgTime > float64(c.cfg.Budget) {
			c.overCount++
			if c.overCount > 50 {
				c.SetHalfDuplex(true)
			}
		} else {
			c.overCount = 0
		}
	}
}

// applyDelayEstimate moves the far-end delay to the estimate when it is
// confident and far enough from the one in use.
func (c *Canceller) applyDelayEstimate() {
	d := c.delayEst
	if !d.fresh {
		return
	}
	d.fresh = false
	margin := int(c.cfg.DelayMargin.Seconds() * float64(c.cfg.SampleRate))
	want := d.est - margin
	if want < 0 {
		want = 0
	}
	if want > len(c.dline)-c.n {
		want = len(c.dline) - c.n
	}
	// Keep the current delay while the echo stays well inside the tail.
	tail := c.m * c.n
	if off := d.est - c.delay; off >= 0 && off < tail/2 && c.adapted {
		return
	}
	if abs(want-c.delay) < c.n/2 {
		return
	}
	c.delay = want
	c.resetFilter()
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// spectrum returns the far-end spectrum j blocks ago.
func (c *Canceller) spectrum(j int) []complex128 {
	return c.xs[(c.xhead+j)%(c.m+1)]
}

func innerProd(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// cancel runs the MDF on one frame.
func (c *Canceller) cancel(mic, far, out []int16) {
	n, m := c.n, c.m
	// DC blocker on the microphone, pre-emphasis on both.
	r := c.notchRadius
	for i := 0; i < n; i++ {
		vin := float64(mic[i])
		v := vin - c.notch[0] + r*c.notch[1]
		c.notch[0], c.notch[1] = vin, v
		c.input[i] = v - c.preemph*c.memD
		c.memD = v
	}
	for i := 0; i < n; i++ {
		c.x[i] = c.x[i+n]
		f := float64(far[i])
		c.x[i+n] = f - c.preemph*c.memX
		c.memX = f
		if far[i] <= -32000 || far[i] >= 32000 {
			c.saturated = m + 1
		}
	}
	// Shift the far-end spectra and transform the new block.
	c.xhead = (c.xhead + m) % (m + 1)
	x0 := c.spectrum(0)
	c.fft.forward(c.x, x0)
	sxx := innerProd(c.x[n:], c.x[n:])

	// Foreground filter output and error.
	Y := c.bY
	spectralMulAccum(c, c.fg, Y)
	c.fft.inverse(Y, c.e)
	for i := 0; i < n; i++ {
		c.e[i] = c.input[i] - c.e[i+n]
	}
	sff := innerProd(c.e[:n], c.e[:n])

	if c.adapted {
		c.adjustProp()
	}
	// Gradient step with last frame's error.
	if c.saturated == 0 {
		for j := m - 1; j >= 0; j-- {
			xj := c.spectrum(j + 1)
			wj := c.w[j]
			p := c.prop[j]
			for i := range wj {
				g := c.power1[i] * p
				wj[i] += complex(g, 0) * complexConjMul(xj[i], c.bigE[i])
			}
		}
	} else {
		c.saturated--
	}
	// Constrain one partition a frame (and the first every frame): the
	// other partitions stay unconstrained (AUMDF).
	for j := 0; j < m; j++ {
		if j == 0 || (m > 1 && c.cancelCount%(m-1) == j-1) {
			c.fft.inverse(c.w[j], c.wtmp)
			clear(c.wtmp[n:])
			c.fft.forward(c.wtmp, c.w[j])
		}
	}
	c.cancelCount++

	// Background filter output.
	spectralMulAccum(c, c.w, Y)
	c.fft.inverse(Y, c.y)
	for i := 0; i < n; i++ {
		c.e[i] = c.e[i+n] - c.y[i+n]
	}
	dbf := 10 + innerProd(c.e[:n], c.e[:n])
	for i := 0; i < n; i++ {
		c.e[i] = c.input[i] - c.y[i+n]
	}
	see := innerProd(c.e[:n], c.e[:n])

	// Foreground/background logic.
	const var1Update, var2Update, varBacktrack = 0.5, 0.25, 4.0
	d := sff - see
	c.davg1 = 0.6*c.davg1 + 0.4*d
	c.davg2 = 0.85*c.davg2 + 0.15*d
	c.dvar1 = 0.36*c.dvar1 + 0.16*sff*dbf
	c.dvar2 = 0.7225*c.dvar2 + 0.0225*sff*dbf
	update := d*math.Abs(d) > sff*dbf ||
		c.davg1*math.Abs(c.davg1) > var1Update*c.dvar1 ||
		c.davg2*math.Abs(c.davg2) > var2Update*c.dvar2
	if update {
		c.davg1, c.davg2, c.dvar1, c.dvar2 = 0, 0, 0, 0
		for j := range c.w {
			copy(c.fg[j], c.w[j])
		}
		// Cross-fade the echo estimate from foreground to background.
		for i := 0; i < n; i++ {
			c.e[i+n] = c.window[i+n]*c.e[i+n] + c.window[i]*c.y[i+n]
		}
	} else {
		reset := -d*math.Abs(d) > varBacktrack*sff*dbf ||
			-c.davg1*math.Abs(c.davg1) > varBacktrack*c.dvar1 ||
			-c.davg2*math.Abs(c.davg2) > varBacktrack*c.dvar2
		if reset {
			for j := range c.w {
				copy(c.w[j], c.fg[j])
			}
			for i := 0; i < n; i++ {
				c.y[i+n] = c.e[i+n]
				c.e[i] = c.input[i] - c.y[i+n]
			}
			see = sff
			c.davg1, c.davg2, c.dvar1, c.dvar2 = 0, 0, 0, 0
		}
	}

	// Output: input minus foreground echo estimate, de-emphasised.
	var sdd float64
	for i := 0; i < n; i++ {
		v := c.input[i] - c.e[i+n] + c.preemph*c.memE
		c.memE = v
		if mic[i] <= -32000 || mic[i] >= 32000 {
			if c.saturated == 0 {
				c.saturated = 1
			}
		}
		out[i] = sat16(v)
		sdd += c.input[i] * c.input[i]
	}
	// ERLE statistic (linear filter), on frames with far-end activity.
	if sxx > float64(n)*1e4 {
		var mp, ep float64
		for i := 0; i < n; i++ {
			mp += float64(mic[i]) * float64(mic[i])
			ep += float64(out[i]) * float64(out[i])
		}
		c.micPow += 0.05 * (mp - c.micPow)
		c.errPow += 0.05 * (ep - c.errPow)
	}
	// Error for the next update.
	for i := 0; i < n; i++ {
		c.e[i+n] = c.e[i]
		c.e[i] = 0
	}
	sey := innerProd(c.e[n:], c.y[n:])
	syy := innerProd(c.y[n:], c.y[n:])

	if !(syy >= 0 && sxx >= 0 && see >= 0) || !(sff < float64(n)*1e9 && syy < float64(n)*1e9 && sxx < float64(n)*1e9) {
		c.screwedUp += 50
		clear(out)
	} else if sff/4 > sdd+float64(n)*10000/64 {
		c.screwedUp++
	} else {
		c.screwedUp = 0
	}
	if c.screwedUp >= 50 {
		c.resets++
		c.resetFilter()
		return
	}
	if see < float64(n)*100/64 {
		see = float64(n) * 100 / 64
	}
	c.fft.forward(c.e, c.bigE)
	clear(c.y[:n])
	c.fft.forward(c.y, c.bY)
	powerSpectrum(c.bigE, c.rf)
	powerSpectrum(c.bY, c.yf)
	powerSpectrum(x0, c.xf)
	ss := 0.35 / float64(m)
	for j := range c.power {
		c.power[j] = (1-ss)*c.power[j] + 1 + ss*c.xf[j]
	}
	var pey, pyy float64
	for j := range c.rf {
		eh := c.rf[j] - c.eh[j]
		yh := c.yf[j] - c.yh[j]
		pey += eh * yh
		pyy += yh * yh
		c.eh[j] = (1-c.specAverage)*c.eh[j] + c.specAverage*c.rf[j]
		c.yh[j] = (1-c.specAverage)*c.yh[j] + c.specAverage*c.yf[j]
	}
	pyy = math.Sqrt(pyy)
	if pyy > 0 {
		pey /= pyy
	}
	t := c.beta0 * syy
	if t > c.betaMx*see {
		t = c.betaMx * see
	}
	alpha := t / see
	c.pey = (1-alpha)*c.pey + alpha*pey
	c.pyy = (1-alpha)*c.pyy + alpha*pyy
	if c.pyy < 1 {
		c.pyy = 1
	}
	const minLeak = 0.005
	if c.pey < minLeak*c.pyy {
		c.pey = minLeak * c.pyy
	}
	if c.pey > c.pyy {
		c.pey = c.pyy
	}
	c.leak = c.pey / c.pyy

	rer := (0.0001*sxx + 3*c.leak*syy) / see
	if lb := sey * sey / (1 + see*syy); rer < lb {
		rer = lb
	}
	if rer > 0.5 {
		rer = 0.5
	}
	if !c.adapted && c.sumAdapt > float64(m) && c.leak*syy > 0.03*syy {
		c.adapted = true
	}
	if c.adapted {
		for i := range c.power1 {
			r := c.leak * c.yf[i]
			e := c.rf[i] + 1
			if r > 0.5*e {
				r = 0.5 * e
			}
			r = 0.7*r + 0.3*rer*e
			c.power1[i] = r / (e * (c.power[i] + 10))
		}
	} else {
		adapt := 0.0
		if sxx > float64(n)*1000/64 {
			t := 0.25 * sxx
			if t > 0.25*see {
				t = 0.25 * see
			}
			adapt = t / see
		}
		for i := range c.power1 {
			c.power1[i] = adapt / (c.power[i] + 10)
		}
		c.sumAdapt += adapt
	}
	// Echo estimate for the residual echo suppressor.
	copy(c.lastY[:n], c.lastY[n:])
	if c.adapted {
		for i := 0; i < n; i++ {
			c.lastY[n+i] = float64(mic[i]) - float64(out[i])
		}
	} else {
		for i := 0; i < n; i++ {
			c.lastY[n+i] = float64(far[i])
		}
	}
}

// adjustProp sets the per-partition step sizes in proportion to the
// partition's weight (proportionate NLMS), as speex does.
func (c *Canceller) adjustProp() {
	maxSum, propSum := 1.0, 1.0
	for i, w := range c.w {
		t := 1.0
		for _, v := range w[:c.n] {
			t += real(v)*real(v) + imag(v)*imag(v)
		}
		// speex sums squares of its real-FFT layout scaled by 2^-18 in
		// Q-format; the scale cancels in the normalisation below.
		c.prop[i] = math.Sqrt(t)
		if c.prop[i] > maxSum {
			maxSum = c.prop[i]
		}
	}
	for i := range c.prop {
		c.prop[i] += 0.1 * maxSum
		propSum += c.prop[i]
	}
	for i := range c.prop {
		c.prop[i] = 0.99 * c.prop[i] / propSum
	}
}

func complexConjMul(x, e complex128) complex128 {
	// conj(x)·e
	return complex(real(x)*real(e)+imag(x)*imag(e), real(x)*imag(e)-imag(x)*real(e))
}

func spectralMulAccum(c *Canceller, w [][]complex128, y []complex128) {
	clear(y)
	for j := range w {
		xj := c.spectrum(j)
		wj := w[j]
		for i := range y {
			y[i] += xj[i] * wj[i]
		}
	}
}

func powerSpectrum(x []complex128, p []float64) {
	for i, v := range x {
		p[i] = real(v)*real(v) + imag(v)*imag(v)
	}
}

func sat16(v float64) int16 {
	if v > 32767 {
		return 32767
	}
	if v < -32768 {
		return -32768
	}
	return int16(math.Round(v))
}
