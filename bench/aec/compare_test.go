package aec

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"intercom/audio/aec"
	"intercom/audio/aec/aectest"
)

// tail is the echo tail both cancellers cover.
const tail = 160 * time.Millisecond

func needSpeex(tb testing.TB) {
	tb.Helper()
	if haveSpeex {
		return
	}
	msg := "speex comparison not built: install libspeexdsp-dev (/usr/include/speex/speex_echo.h) and run go test -tags speex with CGO_ENABLED=1"
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

type system struct {
	name    string
	process func(mic, far, out []int16)
	close   func()
}

func ours(rate int) system {
	c := aec.New(aec.Config{SampleRate: rate, FrameSamples: rate / 50, FilterLength: tail})
	return system{"ours", c.Process, func() {}}
}

func theirs(rate int) system {
	s := newSpeex(rate, rate/50, int(tail.Seconds()*float64(rate)), 0)
	return system{"speex", s.process, s.close}
}

// latency finds by how many samples a system's output lags its input, on
// near-end speech without echo.
func latency(rate int, mk func(int) system) int {
	s := aectest.Generate(aectest.DoubleTalk, rate)
	mic := make([]int16, len(s.Mic))
	copy(mic, s.Near)
	far := make([]int16, len(s.Far))
	sc := *s
	sc.Mic, sc.Far = mic, far
	sys := mk(rate)
	defer sys.close()
	out := aectest.Run(&sc, rate/50, sys.process)
	best, bestV := 0, math.Inf(-1)
	for lag := 0; lag <= rate/25; lag++ {
		var v float64
		for i := s.NearFrom; i+lag < len(out); i++ {
			v += float64(mic[i]) * float64(out[i+lag])
		}
		if v > bestV {
			best, bestV = lag, v
		}
	}
	return best
}

func TestCompareSpeex(t *testing.T) {
	needSpeex(t)
	var tab strings.Builder
	fmt.Fprintf(&tab, "%-5s %-12s %-6s %8s %8s %8s %9s\n", "rate", "scenario", "aec", "ERLE dB", "t10 s", "t20 s", "nearSNR")
	for _, rate := range []int{8000, 16000} {
		lagOurs, lagSpeex := latency(rate, ours), latency(rate, theirs)
		t.Logf("%d Hz: output latency ours %d, speex %d samples", rate, lagOurs, lagSpeex)
		for _, k := range aectest.Kinds {
			s := aectest.Generate(k, rate)
			var res [2]aectest.Result
			for i, mk := range []func(int) system{ours, theirs} {
				sys := mk(rate)
				out := aectest.Run(s, rate/50, sys.process)
				sys.close()
				lag := lagOurs
				if i == 1 {
					lag = lagSpeex
				}
				res[i] = aectest.Measure(s, out, lag)
				fmt.Fprintf(&tab, "%-5d %-12s %-6s %8.1f %8.2f %8.2f %9.1f\n", rate, k, sys.name,
					res[i].ERLE, res[i].Conv10, res[i].Conv20, res[i].NearSNR)
			}
			o, x := res[0], res[1]
			t.Run(fmt.Sprintf("%d/%s", rate, k), func(t *testing.T) {
				if o.ERLE < x.ERLE {
					t.Errorf("ERLE %.1f dB < speex %.1f dB", o.ERLE, x.ERLE)
				}
				if o.Conv10 > x.Conv10 {
					t.Errorf("10 dB convergence %.2f s > speex %.2f s", o.Conv10, x.Conv10)
				}
				if o.Conv20 > x.Conv20 {
					t.Errorf("20 dB convergence %.2f s > speex %.2f s", o.Conv20, x.Conv20)
				}
				if !math.IsNaN(x.NearSNR) && o.NearSNR < x.NearSNR {
					t.Errorf("near-end SNR %.1f dB < speex %.1f dB", o.NearSNR, x.NearSNR)
				}
			})
		}
	}
	t.Log("\n" + tab.String())
}

func benchFrame(b *testing.B, rate int, mk func(int) system) {
	needSpeex(b)
	s := aectest.Generate(aectest.DoubleTalk, rate)
	sys := mk(rate)
	defer sys.close()
	n := rate / 50
	out := make([]int16, n)
	frames := len(s.Mic) / n
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f := i % frames
		sys.process(s.Mic[f*n:(f+1)*n], s.Far[f*n:(f+1)*n], out)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)*50/1e6, "ms/call-s")
}

func BenchmarkFrame(b *testing.B) {
	for _, rate := range []int{8000, 16000} {
		b.Run(fmt.Sprintf("ours/%dHz", rate), func(b *testing.B) { benchFrame(b, rate, ours) })
		b.Run(fmt.Sprintf("speex/%dHz", rate), func(b *testing.B) { benchFrame(b, rate, theirs) })
	}
}
