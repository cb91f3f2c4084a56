package aectest

import "math"

// Result is how well a canceller did on a scenario.
type Result struct {
	// ERLE is the echo return loss enhancement in dB over the scenario's
	// converged single-talk part: microphone power over output power, on
	// the 20 ms blocks where the echo is active.
	ERLE float64
	// Conv10 and Conv20 are the seconds from Scenario.ConvFrom until the
	// ERLE over the next 0.5 s of echo first reaches 10 and 20 dB (+Inf if
	// never).
	Conv10, Conv20 float64
	// NearSNR is the near-end talker's power over the power of the output
	// minus the near end, in dB, where the near end talks (double talk);
	// NaN when the scenario has no near-end talker. Lower is more
	// distortion (or more residual echo) of the near end.
	NearSNR float64
}

// Run feeds s through process one frame of frame samples at a time and
// returns the output. process gets the microphone, far-end and output
// frames, as aec.Canceller.Process does.
func Run(s *Scenario, frame int, process func(mic, far, out []int16)) []int16 {
	out := make([]int16, len(s.Mic))
	for i := 0; i+frame <= len(s.Mic); i += frame {
		process(s.Mic[i:i+frame], s.Far[i:i+frame], out[i:i+frame])
	}
	return out
}

// Measure measures out, the output of a canceller on s that lags the
// microphone by lag samples (a post-filter's overlap-add).
func Measure(s *Scenario, out []int16, lag int) Result {
	at := func(i int) float64 {
		if i+lag < len(out) {
			return float64(out[i+lag])
		}
		return 0
	}
	blk := s.Rate / 50
	echoOn := func(i int) bool { // block starting at i carries echo
		var e float64
		for j := i; j < i+blk; j++ {
			e += float64(s.Echo[j]) * float64(s.Echo[j])
		}
		return e/float64(blk) > 100*100
	}
	erle := func(from, to int) float64 {
		var mp, op float64
		for i := from; i+blk <= to; i += blk {
			if !echoOn(i) {
				continue
			}
			for j := i; j < i+blk; j++ {
				m := float64(s.Mic[j])
				mp += m * m
				o := at(j)
				op += o * o
			}
		}
		return 10 * math.Log10((mp+1)/(op+1))
	}
	r := Result{ERLE: erle(s.ERLEFrom, s.ERLETo), Conv10: math.Inf(1), Conv20: math.Inf(1), NearSNR: math.NaN()}
	win := s.Rate / 2
	end := min(s.NearFrom, len(s.Mic))
	for i := s.ConvFrom; i+win <= end; i += blk {
		e := erle(i, i+win)
		t := float64(i-s.ConvFrom) / float64(s.Rate)
		if e >= 10 && math.IsInf(r.Conv10, 1) {
			r.Conv10 = t
		}
		if e >= 20 && math.IsInf(r.Conv20, 1) {
			r.Conv20 = t
			break
		}
	}
	if s.NearFrom < len(s.Mic) {
		var np, dp float64
		for i := s.NearFrom; i < len(s.Mic); i++ {
			nv := float64(s.Near[i])
			np += nv * nv
			d := at(i) - nv
			dp += d * d
		}
		r.NearSNR = 10 * math.Log10((np+1)/(dp+1))
	}
	return r
}
