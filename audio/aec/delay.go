package aec

// delayEstimator estimates the bulk delay between the far-end signal and
// its echo in the microphone: both are decimated to 1 kHz (box-car
// anti-aliasing), whitened with a first difference, and their
// cross-correlation at every lag up to the maximum is averaged over time
// (about 2 s). The lag of the peak is the estimate once it stands out of the
// others and has held for a few updates.
type delayEstimator struct {
	dec            int       // decimation factor
	maxLag         int       // in decimated samples
	farHist        []float64 // newest first, twice over: farHist[fpos+lag]
	fpos           int
	corr           []float64
	mpow, fpow     float64
	accM, accF     float64
	cnt            int
	lastM, lastF   float64
	decay          float64
	frames, period int
	est            int // in samples at the full rate; -1 unknown
	cand, candN    int
	fresh          bool
}

func newDelayEstimator(rate, frame, maxDelay int) *delayEstimator {
	dec := rate / 1000
	ml := maxDelay/dec + 1
	d := &delayEstimator{
		dec: dec, maxLag: ml,
		farHist: make([]float64, 2*ml),
		corr:    make([]float64, ml),
		decay:   1 - 1.0/2000,
		period:  (rate / 10) / frame, // every ~100 ms
	}
	if d.period < 1 {
		d.period = 1
	}
	d.reset()
	return d
}

func (d *delayEstimator) reset() {
	clear(d.farHist)
	clear(d.corr)
	d.mpow, d.fpow = 0, 0
	d.accM, d.accF, d.cnt, d.lastM, d.lastF = 0, 0, 0, 0, 0
	d.fpos, d.frames = 0, 0
	d.est, d.cand, d.candN = -1, -1, 0
	d.fresh = false
}

func (d *delayEstimator) process(mic, far []int16) {
	for i := range mic {
		d.accM += float64(mic[i])
		d.accF += float64(far[i])
		d.cnt++
		if d.cnt < d.dec {
			continue
		}
		m := d.accM - d.lastM
		f := d.accF - d.lastF
		d.lastM, d.lastF = d.accM, d.accF
		d.accM, d.accF, d.cnt = 0, 0, 0
		d.fpos--
		if d.fpos < 0 {
			d.fpos = d.maxLag - 1
		}
		d.farHist[d.fpos] = f
		d.farHist[d.fpos+d.maxLag] = f
		d.mpow = d.decay*d.mpow + m*m
		// The far end's power is taken as the same at every lag: over the
		// averaging time it nearly is.
		d.fpow = d.decay*d.fpow + f*f
		hist := d.farHist[d.fpos : d.fpos+d.maxLag]
		corr := d.corr[:len(hist)]
		decay := d.decay
		for lag, fv := range hist {
			corr[lag] = decay*corr[lag] + m*fv
		}
	}
	d.frames++
	if d.frames%d.period == 0 {
		d.update()
	}
}

func (d *delayEstimator) update() {
	best, bestV, sum := -1, 0.0, 0.0
	den := d.fpow * d.mpow
	if den <= 0 {
		return
	}
	for lag, c := range d.corr {
		v := c * c / den
		sum += v
		if v > bestV {
			best, bestV = lag, v
		}
	}
	// The peak must explain a fair part of the microphone and stand well
	// above the average lag.
	if best < 0 || bestV < 0.05 || bestV < 8*sum/float64(len(d.corr)) {
		d.candN = 0
		return
	}
	if best == d.cand {
		d.candN++
	} else {
		d.cand, d.candN = best, 1
	}
	if d.candN >= 3 {
		e := best * d.dec
		if e != d.est {
			d.est = e
			d.fresh = true
		}
	}
}
