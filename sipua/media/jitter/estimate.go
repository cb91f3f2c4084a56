package jitter

// The delay estimator. For every packet it computes the transit
// r = arrival − send time (the send time read from the RTP timestamp, so r
// carries an unknown constant offset), and the relative delay
// rel = r − min(r over the last two seconds): how much later than the
// fastest recent packet this one arrived. Two seconds is long enough to find
// the fastest packets under heavy jitter and short enough that clock drift
// (±100 ppm is 0.2 ms in two seconds) does not matter.
//
// The relative delays go into a histogram whose old samples fade with a
// forgetting factor; the target delay is a high quantile of it plus a
// margin. Packets that arrive too late to play also raise a peak that is
// held for a while and then decays slowly: the target grows at once after
// late packets and shrinks only gradually.

const (
	// window is how far back the fastest packet is looked for.
	window = 2e9 // ns
	// windowCap bounds the packets remembered for it (2 s of 20 ms packets,
	// plus room for reordering and bursts).
	windowCap = 128
	// quantile of the relative delay the target covers.
	quantile = 0.98
	// forget is the per-packet weight of the past in the histogram: a time
	// constant of 1000 packets, 20 s of 20 ms packets.
	forget = 1 - 1.0/1000
	// maxBuckets bounds the histogram.
	maxBuckets = 1024
	// peakHold is how long a late packet's delay is held as a floor of the
	// target, peakDecay how fast the floor then sinks (ns per ns: 10 ms/s).
	peakHold  = 5e9 // ns
	peakDecay = 0.01
)

type estimator struct {
	// The fastest transits of the window: a deque of (arrival in ns since
	// the buffer's origin, r in ns), arrivals increasing and transits
	// increasing, so that its front is the minimum.
	winT, winR []int64
	winHead    int
	winLen     int
	minR       int64 // the front's transit; valid once a packet was observed

	width int64     // histogram bucket width, ns
	hist  []float64 // weight per bucket of rel; the last bucket also holds everything beyond
	w     float64   // weight of the next sample (grows instead of decaying the past)
	sum   float64
	qb    int     // the quantile's bucket: the highest with more than 1−quantile of the weight at or above it
	above float64 // the weight above qb

	peak   int64 // ns; 0 = none
	peakAt int64 // when peak was last raised, ns since the origin
	maxNs  int64
}

func (e *estimator) init(maxNs, frameNs int64) {
	e.maxNs = maxNs
	e.width = frameNs / 8
	if e.width < 1e6 {
		e.width = 1e6
	}
	n := maxNs/e.width + 2
	if n > maxBuckets {
		e.width = maxNs/(maxBuckets-2) + 1
		n = maxNs/e.width + 2
	}
	e.winT = make([]int64, windowCap)
	e.winR = make([]int64, windowCap)
	e.hist = make([]float64, n)
	e.reset()
}

// reset forgets everything.
func (e *estimator) reset() {
	e.resetWindow()
	clear(e.hist)
	e.w, e.sum, e.qb, e.above = 1, 0, 0, 0
	e.peak, e.peakAt = 0, 0
}

// resetWindow forgets the transits (after a re-sync their offset changes);
// the histogram and the peak describe the network and stay.
func (e *estimator) resetWindow() {
	e.winHead, e.winLen, e.minR = 0, 0, 0
}

// observe records a packet that arrived at a with transit r and returns its
// relative delay.
func (e *estimator) observe(a, r int64) int64 {
	n := len(e.winT)
	back := func() int { return (e.winHead + e.winLen - 1) % n }
	if e.winLen > 0 && a < e.winT[back()]-window {
		e.resetWindow() // the clock went back
	}
	// Drop what is too old, or slower than this packet and older.
	for e.winLen > 0 && a-e.winT[e.winHead] > window {
		e.winHead = (e.winHead + 1) % n
		e.winLen--
	}
	for e.winLen > 0 && e.winR[back()] >= r {
		e.winLen--
	}
	if e.winLen == n {
		e.winHead = (e.winHead + 1) % n
		e.winLen--
	}
	e.winLen++
	i := back()
	e.winT[i], e.winR[i] = a, r
	e.minR = e.winR[e.winHead]
	rel := r - e.minR
	if rel <= e.maxNs {
		// A packet later than that could not have been saved by any
		// allowed delay: it says nothing about the delay to aim for.
		e.add(rel)
	}
	return rel
}

// add puts a relative delay into the histogram and moves the quantile.
func (e *estimator) add(rel int64) {
	b := len(e.hist) - 1
	if q := rel / e.width; q < int64(b) {
		b = int(q)
	}
	e.w /= forget
	e.hist[b] += e.w
	e.sum += e.w
	if b > e.qb {
		e.above += e.w
	}
	if e.w > 1e100 {
		s := 1 / e.w
		e.sum, e.above = 0, 0
		for i := range e.hist {
			e.hist[i] *= s
			e.sum += e.hist[i]
			if i > e.qb {
				e.above += e.hist[i]
			}
		}
		e.w = 1
	}
	tail := (1 - quantile) * e.sum
	for e.above > tail && e.qb < len(e.hist)-1 {
		e.qb++
		e.above -= e.hist[e.qb]
	}
	for e.qb > 0 && e.above+e.hist[e.qb] <= tail {
		e.above += e.hist[e.qb]
		e.qb--
	}
}

// quant is the quantile of the relative delay, ns: the upper edge of its
// bucket.
func (e *estimator) quant() int64 {
	if e.sum == 0 {
		return 0
	}
	return int64(e.qb+1) * e.width
}

// late records that a packet with relative delay rel arrived at a too late
// to be played. Packets later than the largest allowed delay could not
// have been saved by any delay and do not count.
func (e *estimator) late(rel, a int64) {
	if rel > e.maxNs {
		return
	}
	if rel >= e.peakNow(a) {
		e.peak, e.peakAt = rel, a
	}
}

// peakNow is the peak as it has decayed by time t.
func (e *estimator) peakNow(t int64) int64 {
	if e.peak == 0 {
		return 0
	}
	p := e.peak
	if d := t - e.peakAt - peakHold; d > 0 {
		p -= int64(float64(d) * peakDecay)
	}
	return max(p, 0)
}

// need is the relative delay the target must cover at time t.
func (e *estimator) need(t int64) int64 {
	return max(e.quant(), e.peakNow(t))
}
