package jitter

import (
	"testing"
	"time"
)

// BenchmarkPushPop measures one packet through the buffer: a Push and the
// Pop that plays it, in a steady stream.
func BenchmarkPushPop(b *testing.B) {
	jb := New(Config{})
	payload := make([]byte, 160)
	now := epoch
	k := 0
	for ; k < 10; k++ { // fill to the target
		jb.Push(uint16(k), uint32(160*k), k == 0, payload, now)
		jb.Pop(now)
		now = now.Add(20 * time.Millisecond)
	}
	b.ReportAllocs()
	for b.Loop() {
		jb.Push(uint16(k), uint32(160*k), false, payload, now)
		if f := jb.Pop(now); f.Kind != Play {
			b.Fatalf("frame %d: %v", k, f.Kind)
		}
		now = now.Add(20 * time.Millisecond)
		k++
	}
	b.StopTimer()
	if s := jb.Stats(); s.Concealed+s.Dropped+s.Late+s.Lost > 0 {
		b.Fatalf("not steady: %+v", s)
	}
}

// BenchmarkPushPopJitter is BenchmarkPushPop with arrivals jittered by
// ±40 ms (so reordered) and 5 % loss: sorting, concealment, adaptation.
// One op is one frame: a Pop and, 95 % of the time, a Push.
func BenchmarkPushPopJitter(b *testing.B) {
	jb := New(Config{})
	payload := make([]byte, 160)
	r := rng{1}
	type packet struct {
		k  int
		at time.Duration
	}
	var pending [8]packet // in flight; at < 0: free
	for i := range pending {
		pending[i].at = -1
	}
	k := 0
	b.ReportAllocs()
	for b.Loop() {
		now := time.Duration(20*k) * time.Millisecond
		if !r.chance(50000) {
			for i := range pending {
				if pending[i].at < 0 {
					pending[i] = packet{k, now + time.Duration(40+r.in(-40, 40))*time.Millisecond}
					break
				}
			}
		}
		for i := range pending {
			if p := pending[i]; p.at >= 0 && p.at <= now {
				jb.Push(uint16(p.k), uint32(160*p.k), false, payload, epoch.Add(p.at))
				pending[i].at = -1
			}
		}
		jb.Pop(epoch.Add(now))
		k++
	}
	b.StopTimer()
	if s := jb.Stats(); s.Played < uint64(k)*8/10 {
		b.Fatalf("%d frames, %+v", k, s)
	}
}

// BenchmarkConceal measures the first concealed frame of a loss (the pitch
// search and the synthesis), after a good frame, at 8 and 16 kHz.
func BenchmarkConceal(b *testing.B) {
	for _, rate := range []int{8000, 16000} {
		b.Run(map[int]string{8000: "8kHz", 16000: "16kHz"}[rate], func(b *testing.B) {
			frame := rate / 50
			x := voiced(rate, rate, 0)
			c := NewConcealer(rate, frame)
			for i := 0; i+frame <= len(x); i += frame {
				c.Good(x[i : i+frame])
			}
			good := make([]int16, frame)
			dst := make([]int16, frame)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				copy(good, x[i:i+frame])
				c.Good(good) // merges the previous loss
				c.Conceal(dst)
				if i += frame; i+frame > len(x) {
					i = 0
				}
			}
		})
	}
}

// BenchmarkGood measures recording a good frame outside a loss.
func BenchmarkGood(b *testing.B) {
	c := NewConcealer(16000, 320)
	x := voiced(16000, 320, 0)
	b.ReportAllocs()
	for b.Loop() {
		c.Good(x)
	}
}
