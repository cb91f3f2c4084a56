package aec

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"intercom/audio/aec/aectest"
)

var (
	scenMu sync.Mutex
	scens  = map[[2]int]*aectest.Scenario{}
)

// scenario returns aectest.Generate(k, rate), generated once per test binary.
// Callers must not modify it.
func scenario(k aectest.Kind, rate int) *aectest.Scenario {
	scenMu.Lock()
	defer scenMu.Unlock()
	key := [2]int{int(k), rate}
	if s := scens[key]; s != nil {
		return s
	}
	s := aectest.Generate(k, rate)
	scens[key] = s
	return s
}

func run(t *testing.T, cfg Config, s *aectest.Scenario) (aectest.Result, *Canceller) {
	t.Helper()
	c := New(cfg)
	frame := c.cfg.FrameSamples
	out := aectest.Run(s, frame, c.Process)
	lag := 0
	if !cfg.NoPostFilter {
		lag = frame
	}
	return aectest.Measure(s, out, lag), c
}

// TestScenarios holds the canceller to floors on every scenario (well below
// what it reaches, so that the test is not brittle; bench/aec compares with
// speex).
func TestScenarios(t *testing.T) {
	// Every scenario at 8 kHz, double talk at 16 kHz: the whole
	// matrix is in bench/aec, and this also runs under qemu.
	for _, rate := range []int{8000, 16000} {
		for _, k := range aectest.Kinds {
			if rate == 16000 && k != aectest.DoubleTalk {
				continue
			}
			t.Run(fmt.Sprintf("%d/%s", rate, k), func(t *testing.T) {
				s := scenario(k, rate)
				cfg := Config{SampleRate: rate, FrameSamples: rate / 50, FilterLength: 160 * time.Millisecond}
				r, c := run(t, cfg, s)
				rl := r
				if rate == 8000 && (k == aectest.SingleTalk || k == aectest.DoubleTalk) {
					lin := cfg
					lin.NoPostFilter = true
					rl, _ = run(t, lin, s)
				}
				t.Logf("ERLE %.1f dB (linear %.1f, estimate %.1f), t10 %.2f s, t20 %.2f s, near SNR %.1f dB",
					r.ERLE, rl.ERLE, c.Stats().ERLE, r.Conv10, r.Conv20, r.NearSNR)
				minERLE := 25.0
				if k == aectest.Distortion {
					minERLE = 18
				}
				if r.ERLE < minERLE {
					t.Errorf("ERLE %.1f dB < %.0f", r.ERLE, minERLE)
				}
				if rl.ERLE < 12 {
					t.Errorf("linear filter ERLE %.1f dB < 12", rl.ERLE)
				}
				if r.Conv10 > 1.5 {
					t.Errorf("10 dB ERLE after %.2f s", r.Conv10)
				}
				if k == aectest.DoubleTalk && r.NearSNR < 3 {
					t.Errorf("near-end SNR %.1f dB < 3", r.NearSNR)
				}
				if !c.Stats().Adapted {
					t.Error("not adapted at the end")
				}
			})
		}
	}
}

// TestNearEndOnly checks that a near-end talker without echo comes through
// nearly untouched.
func TestNearEndOnly(t *testing.T) {
	s := scenario(aectest.DoubleTalk, 8000)
	sc := *s
	sc.Mic = append([]int16(nil), s.Near...)
	sc.Far = make([]int16, len(s.Far))
	r, _ := run(t, Config{SampleRate: 8000}, &sc)
	if r.NearSNR < 15 {
		t.Errorf("near-end SNR %.1f dB without echo", r.NearSNR)
	}
}

func TestZeroAllocs(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		s := scenario(aectest.DoubleTalk, rate)
		c := New(Config{SampleRate: rate, EstimateDelay: true, Budget: time.Second})
		n := rate / 50
		out := make([]int16, n)
		f := 0
		allocs := testing.AllocsPerRun(200, func() {
			c.Process(s.Mic[f*n:(f+1)*n], s.Far[f*n:(f+1)*n], out)
			f++
		})
		if allocs != 0 {
			t.Errorf("%d Hz: %v allocations per frame", rate, allocs)
		}
	}
}

// TestDelayEstimate puts 150 ms of sound-card delay in front of the echo
// path: the estimator finds it and the filter, whose tail alone could not
// reach the echo, cancels it.
func TestDelayEstimate(t *testing.T) {
	const rate = 8000
	s := scenario(aectest.SingleTalk, rate)
	d := 150 * rate / 1000
	sc := *s
	sc.Mic = make([]int16, len(s.Mic))
	copy(sc.Mic[d:], s.Mic)
	sc.Echo = make([]int16, len(s.Echo))
	copy(sc.Echo[d:], s.Echo)
	cfg := Config{SampleRate: rate, FilterLength: 100 * time.Millisecond, EstimateDelay: true}
	r, c := run(t, cfg, &sc)
	st := c.Stats()
	t.Logf("delay estimate %v, in use %v, ERLE %.1f dB", st.DelayEstimate, st.Delay, r.ERLE)
	// The direct path is at 150 ms + 5 ms.
	if st.DelayEstimate < 150*time.Millisecond || st.DelayEstimate > 160*time.Millisecond {
		t.Errorf("delay estimate %v, want 155 ms", st.DelayEstimate)
	}
	if r.ERLE < 20 {
		t.Errorf("ERLE %.1f dB with delay estimation", r.ERLE)
	}
}

func TestDuckerAndFallback(t *testing.T) {
	const rate = 8000
	s := scenario(aectest.SingleTalk, rate)
	d := NewDucker(rate, DuckerConfig{})
	out := aectest.Run(s, 160, d.Process)
	r := aectest.Measure(s, out, 0)
	if r.ERLE < 20 {
		t.Errorf("ducker attenuates echo by %.1f dB", r.ERLE)
	}
	// A budget no frame can meet: the canceller falls back on ducking.
	c := New(Config{SampleRate: rate, Budget: time.Nanosecond})
	out = aectest.Run(s, 160, c.Process)
	if !c.Stats().HalfDuplex {
		t.Fatal("no fallback to half duplex over budget")
	}
	r = aectest.Measure(s, out, 0)
	if r.ERLE < 15 {
		t.Errorf("fallback attenuates echo by %.1f dB", r.ERLE)
	}
	c.Reset()
	if c.Stats().HalfDuplex {
		t.Error("still half duplex after Reset")
	}
}

func TestResetRepeats(t *testing.T) {
	full := scenario(aectest.SingleTalk, 8000)
	s := *full
	s.Mic, s.Far = full.Mic[:3*8000], full.Far[:3*8000]
	c := New(Config{SampleRate: 8000, EstimateDelay: true})
	a := aectest.Run(&s, 160, c.Process)
	c.Reset()
	b := aectest.Run(&s, 160, c.Process)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("sample %d differs after Reset: %d vs %d", i, a[i], b[i])
		}
	}
}

func TestSilence(t *testing.T) {
	c := New(Config{SampleRate: 16000})
	z := make([]int16, 320)
	out := make([]int16, 320)
	for i := 0; i < 100; i++ {
		c.Process(z, z, out)
	}
	for _, v := range out {
		if v != 0 {
			t.Fatal("silence in, noise out")
		}
	}
	if e := c.Stats().ERLE; math.IsNaN(e) {
		t.Error("ERLE NaN")
	}
}

// TestHostileInput feeds full-scale noise, clipping and DC: the output stays
// finite and the filter resets itself at worst.
func TestHostileInput(t *testing.T) {
	c := New(Config{SampleRate: 8000, EstimateDelay: true})
	mic := make([]int16, 160)
	far := make([]int16, 160)
	out := make([]int16, 160)
	var x uint32 = 1
	for f := 0; f < 500; f++ {
		for i := range mic {
			x = x*1664525 + 1013904223
			switch (f / 50) % 4 {
			case 0:
				mic[i], far[i] = int16(x>>16), int16(x)
			case 1:
				mic[i], far[i] = 32767, -32768
			case 2:
				mic[i], far[i] = int16(x>>16), 0
			case 3:
				mic[i], far[i] = 0, int16(x)
			}
		}
		c.Process(mic, far, out)
	}
	if e := c.Stats().ERLE; math.IsNaN(e) || math.IsInf(e, 0) {
		t.Errorf("ERLE %v", e)
	}
	// Longer slices than a frame: only the frame is processed.
	long := make([]int16, 400)
	c.SetHalfDuplex(true)
	c.Process(long, long, long)
	c.SetHalfDuplex(false)
	c.Process(long, long, long)
}

func BenchmarkProcess(b *testing.B) {
	for _, bc := range []struct {
		rate  int
		delay bool
	}{{8000, false}, {16000, false}, {8000, true}, {16000, true}} {
		name := fmt.Sprintf("%dHz", bc.rate)
		if bc.delay {
			name += "/delay-estimate"
		}
		rate := bc.rate
		b.Run(name, func(b *testing.B) {
			s := scenario(aectest.DoubleTalk, rate)
			c := New(Config{SampleRate: rate, FilterLength: 160 * time.Millisecond, EstimateDelay: bc.delay})
			n := rate / 50
			out := make([]int16, n)
			frames := len(s.Mic) / n
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f := i % frames
				c.Process(s.Mic[f*n:(f+1)*n], s.Far[f*n:(f+1)*n], out)
			}
		})
	}
}

// TestDelayNoEcho: a near-end talker and an unrelated far end give no
// delay estimate, and the delay in use stays put.
func TestDelayNoEcho(t *testing.T) {
	s := scenario(aectest.DoubleTalk, 8000)
	sc := *s
	sc.Mic = s.Near
	sc.Echo = make([]int16, len(s.Echo))
	cfg := Config{SampleRate: 8000, EstimateDelay: true, BulkDelay: 20 * time.Millisecond}
	_, c := run(t, cfg, &sc)
	if st := c.Stats(); st.DelayEstimate != -1 || st.Delay != 20*time.Millisecond {
		t.Errorf("without echo: estimate %v, delay %v", st.DelayEstimate, st.Delay)
	}
}
