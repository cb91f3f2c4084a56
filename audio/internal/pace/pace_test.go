package pace

import (
	"runtime"
	"testing"
	"time"
)

func TestPacer(t *testing.T) {
	now := time.Unix(1000, 0)
	var slept []time.Duration
	p := New(20 * time.Millisecond)
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

func TestClock(t *testing.T) {
	p := New(20 * time.Millisecond)
	defer p.Close()
	if p.clock == nil && runtime.GOOS == "linux" {
		t.Fatal("no pollable clock on linux")
	}
	start := time.Now()
	p.sleep(30 * time.Millisecond)
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("woke after %v, before the 30ms asked", d)
	}
	if a := testing.AllocsPerRun(5, func() { p.sleep(time.Millisecond) }); a != 0 {
		t.Fatalf("a sleep allocates %v times", a)
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
