package pace

import (
	"errors"
	"runtime"
	"testing"
	"time"
)

func TestPacer(t *testing.T) {
	now := time.Unix(1000, 0)
	var slept []time.Duration
	p := New(20 * time.Millisecond)
	p.Close() // the Pacer's own schedule, on the runtime's timers
	p.now = func() time.Time { return now }
	p.sleep = func(d time.Duration) { slept = append(slept, d); now = now.Add(d) }

	p.Wait() // starts the schedule
	now = now.Add(5 * time.Millisecond)
	p.Wait() // due at +20ms: sleeps 15ms
	p.Wait() // due at +40ms: sleeps 20ms
	now = now.Add(30 * time.Millisecond)
	p.Wait() // due at +60ms, now +70ms: late, no sleep
	p.Wait() // due at +80ms: sleeps 10ms
	want := []time.Duration{15 * time.Millisecond, 20 * time.Millisecond, 10 * time.Millisecond}
	if len(slept) != len(want) {
		t.Fatalf("slept %v, want %v", slept, want)
	}
	for i := range want {
		if slept[i] != want[i] {
			t.Fatalf("slept %v, want %v", slept, want)
		}
	}
	now = now.Add(time.Second) // stalled: restart rather than burst
	p.Wait()
	p.Wait()
	if got := slept[len(slept)-1]; got != 20*time.Millisecond {
		t.Fatalf("after a stall slept %v, want a fresh 20ms", got)
	}
}

// fakeTicker expires as often as its script says, one entry a wait.
type fakeTicker struct {
	script []uint64
	waits  int
	starts int
	closed bool
}

func (f *fakeTicker) start(time.Duration) error { f.starts++; return nil }
func (f *fakeTicker) close() error              { f.closed = true; return nil }

func (f *fakeTicker) wait() (uint64, error) {
	if f.waits >= len(f.script) {
		return 0, errors.New("script ended")
	}
	f.waits++
	return f.script[f.waits-1], nil
}

// TestTicker: on a ticker, Wait returns at once for the frames a late
// reader owes, restarts after a stall of more than MaxLag frames, and
// falls back to the runtime's timers when the ticker fails.
func TestTicker(t *testing.T) {
	f := &fakeTicker{script: []uint64{1, 3, 1, MaxLag + 2, 1}}
	p := New(time.Millisecond)
	p.Close()
	p.clock = f
	// Each Wait's expected count of the ticker's waits and starts.
	for i, want := range [][2]int{
		{0, 1}, // starts the clock
		{1, 1}, // on time
		{2, 1}, // two frames late
		{2, 1}, //   owed
		{2, 1}, //   owed
		{3, 1}, // on time
		{4, 2}, // stalled: restarted, nothing owed
		{5, 2}, // on time
	} {
		p.Wait()
		if f.waits != want[0] || f.starts != want[1] {
			t.Fatalf("wait %d: the ticker waited %d times and started %d, want %d and %d", i, f.waits, f.starts, want[0], want[1])
		}
	}
	p.Wait() // the script has ended: the ticker fails
	if !f.closed || p.clock != nil {
		t.Fatal("a failed ticker was kept")
	}
	start := time.Now()
	p.Wait()
	p.Wait()
	if d := time.Since(start); d < time.Millisecond {
		t.Fatalf("after the ticker failed two frames came through in %v", d)
	}
}

func TestClock(t *testing.T) {
	p := New(20 * time.Millisecond)
	defer p.Close()
	if p.clock == nil && runtime.GOOS == "linux" {
		t.Fatal("no pollable clock on linux")
	}
	start := time.Now()
	for range 3 {
		p.Wait()
	}
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Fatalf("three frames in %v, under the 40ms two periods take", d)
	}
	if p.clock == nil {
		return
	}
	if a := testing.AllocsPerRun(5, p.Wait); a != 0 {
		t.Fatalf("a wait allocates %v times", a)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	p.Wait()
	p.Wait() // a closed Pacer still paces
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Fatalf("a closed Pacer let two frames through in %v", d)
	}
}

// TestClockNoLostExpiry: two Pacers waited on in turn by one goroutine,
// as a call's paced source and sink are, and a Pacer waited on after
// sleeping past its frame. Each expiry reaches the poller while nobody
// waits on its clock; no Wait may then hang.
func TestClockNoLostExpiry(t *testing.T) {
	src, sink := New(5*time.Millisecond), New(5*time.Millisecond)
	defer src.Close()
	defer sink.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20 {
			src.Wait()
			if i%5 == 4 {
				time.Sleep(12 * time.Millisecond)
			}
			sink.Wait()
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a Wait hung: an expiry was lost")
	}
}
