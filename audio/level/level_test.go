package level

import (
	"encoding/json"
	"math"
	"sync"
	"testing"
	"time"
)

func sine(n int, amp float64) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(math.Round(amp * math.Sin(2*math.Pi*float64(i)/32)))
	}
	return pcm
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestLevels(t *testing.T) {
	for _, tt := range []struct {
		name      string
		pcm       []int16
		peak, rms float64
	}{
		{"silence", make([]int16, 160), Floor, Floor},
		{"empty", nil, Floor, Floor},
		{"full square", []int16{-32768, -32768}, 0, 0},
		{"full sine", sine(320, 32767), 0, -3.01},
		{"-20 dBFS sine", sine(320, 3276.8), -20, -23.01},
		{"one LSB", []int16{1, -1}, -90.31, -90.31},
	} {
		if p := Peak(tt.pcm); !near(p, tt.peak, 0.01) {
			t.Errorf("%s: Peak = %.3f, want %.3f", tt.name, p, tt.peak)
		}
		if r := RMS(tt.pcm); !near(r, tt.rms, 0.01) {
			t.Errorf("%s: RMS = %.3f, want %.3f", tt.name, r, tt.rms)
		}
	}
}

func TestMeter(t *testing.T) {
	var m Meter
	if r := m.Read(); r.Peak != Floor || r.RMS != Floor {
		t.Fatalf("zero meter reads %+v", r)
	}
	loud, quiet := sine(160, 32767), sine(160, 327.67)
	m.Update(loud, 20*time.Millisecond)
	if r := m.Read(); !near(r.Peak, 0, 0.01) || !near(r.RMS, -3.01, 0.01) || r.Clip != 1 {
		t.Fatalf("after a loud frame: %+v", r)
	}
	// The peak holds for a second, then falls by 20 dB/s; the RMS follows
	// within a few time constants.
	for range 45 {
		m.Update(quiet, 20*time.Millisecond)
	}
	if r := m.Read(); !near(r.Peak, 0, 0.01) {
		t.Errorf("peak not held: %+v", r)
	}
	for range 55 {
		m.Update(quiet, 20*time.Millisecond)
	}
	r := m.Read()
	if !near(r.Peak, -20*1.0, 1) {
		t.Errorf("peak after 2 s: %.2f, want about -20", r.Peak)
	}
	for range 150 {
		m.Update(quiet, 20*time.Millisecond)
	}
	r = m.Read()
	if !near(r.RMS, -43.01, 0.1) || !near(r.Peak, -40, 0.01) {
		t.Errorf("after 5 s: %+v, want RMS -43.01 and peak -40", r)
	}
	if _, err := json.Marshal(Readings{}); err != nil {
		t.Error(err)
	}
	m.Reset()
	if r := m.Read(); r.Peak != Floor || r.Clip != 0 {
		t.Errorf("after Reset: %+v", r)
	}
}

func TestMeterConcurrentRead(t *testing.T) {
	var m Meters
	frame := sine(320, 1000)
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 1000 {
			m.Capture.Update(frame, 20*time.Millisecond)
		}
	})
	for range 1000 {
		_ = m.Read()
	}
	wg.Wait()
}

func TestAllocs(t *testing.T) {
	var m Meter
	frame := sine(320, 1000)
	if n := testing.AllocsPerRun(100, func() { m.Update(frame, 20*time.Millisecond); _ = m.Read() }); n != 0 {
		t.Errorf("%v allocations a frame", n)
	}
}

func BenchmarkPeakRMS(b *testing.B) {
	frame := sine(320, 1000)
	b.ReportAllocs()
	for range b.N {
		_ = Peak(frame)
		_ = RMS(frame)
	}
}

func BenchmarkMeterUpdate(b *testing.B) {
	var m Meter
	frame := sine(320, 1000)
	b.ReportAllocs()
	for range b.N {
		m.Update(frame, 20*time.Millisecond)
	}
}
