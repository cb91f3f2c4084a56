package jitter

import (
	"fmt"
	"testing"
	"time"
)

// TestDrift plays an hour-long call (180000 frames) with the sender's clock
// or the playback clock off by 100 ppm: the delay must stay bounded, and
// the frames dropped or inserted must be what the drift requires: 360 ms
// over the hour, 18 frames of 20 ms, not more.
func TestDrift(t *testing.T) {
	const frames = 180000
	tests := []struct {
		name       string
		senderPPM  float64 // the sender's clock runs fast by this much
		playoutPPM float64 // the playback clock runs fast by this much
		jitterUs   int64   // ± independent jitter
		dropped    [2]uint64
		concealed  [2]uint64
	}{
		{name: "sender fast", senderPPM: 100, dropped: [2]uint64{16, 19}, concealed: [2]uint64{0, 1}},
		{name: "sender slow", senderPPM: -100, dropped: [2]uint64{0, 0}, concealed: [2]uint64{16, 19}},
		{name: "playback slow", playoutPPM: -100, dropped: [2]uint64{16, 19}, concealed: [2]uint64{0, 1}},
		{name: "playback fast", playoutPPM: 100, dropped: [2]uint64{0, 0}, concealed: [2]uint64{16, 19}},
		{name: "sender fast, jitter", senderPPM: 100, jitterUs: 15000, dropped: [2]uint64{16, 22}, concealed: [2]uint64{0, 4}},
		{name: "sender slow, jitter", senderPPM: -100, jitterUs: 15000, dropped: [2]uint64{0, 3}, concealed: [2]uint64{16, 22}},
		{name: "no drift", dropped: [2]uint64{0, 0}, concealed: [2]uint64{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := New(Config{})
			r := rng{42}
			sendPeriod := 20e6 / (1 + tt.senderPPM*1e-6) // ns, in our time
			popPeriod := 20e6 / (1 + tt.playoutPPM*1e-6) // ns
			payload := make([]byte, 160)
			var minD, maxD, maxT time.Duration
			k := 0 // next packet
			nextArr := func() time.Duration {
				j := int64(0)
				if tt.jitterUs > 0 {
					j = r.in(-tt.jitterUs, tt.jitterUs) * 1000
				}
				return time.Duration(float64(k)*sendPeriod) + 40*time.Millisecond + time.Duration(j)
			}
			arr := nextArr()
			started := false
			for i := 0; i < frames; i++ {
				now := time.Duration(float64(i)*popPeriod) + 7*time.Millisecond
				for arr <= now {
					b.Push(uint16(k), uint32(k*160), k == 0, payload, epoch.Add(arr))
					k++
					arr = nextArr()
				}
				f := b.Pop(epoch.Add(now))
				if f.Kind == Play {
					started = true
				}
				if started {
					if f.Kind == Silence {
						t.Fatalf("frame %d: silence in a steady stream", i)
					}
					s := b.Stats()
					if minD == 0 {
						minD = s.Delay
					}
					minD, maxD, maxT = min(minD, s.Delay), max(maxD, s.Delay), max(maxT, s.Target)
				}
			}
			s := b.Stats()
			t.Logf("delay %v..%v, target up to %v; %+v", minD, maxD, maxT, s)
			if s.Dropped < tt.dropped[0] || s.Dropped > tt.dropped[1] {
				t.Errorf("dropped %d frames, want %d..%d", s.Dropped, tt.dropped[0], tt.dropped[1])
			}
			if s.Concealed < tt.concealed[0] || s.Concealed > tt.concealed[1] {
				t.Errorf("concealed %d frames, want %d..%d", s.Concealed, tt.concealed[0], tt.concealed[1])
			}
			if s.Lost != 0 || s.Late > 2 {
				t.Errorf("lost %d, late %d", s.Lost, s.Late)
			}
			// Bounded: the delay stays within the band the control keeps,
			// target −¼ frame .. target +1½ frames, give or take the jitter.
			lo, hi := 20*time.Millisecond-5*time.Millisecond, maxT+30*time.Millisecond+2*time.Duration(tt.jitterUs)*time.Microsecond
			if minD < lo || maxD > hi {
				t.Errorf("delay %v..%v, want within %v..%v", minD, maxD, lo, hi)
			}
		})
	}
}

// TestDriftInPauses plays an hour of talkspurts (2 s of speech, 1 s of
// pause, marker bits) from a sender 100 ppm fast or slow: the pauses absorb
// the drift, so no frame of speech is dropped or inserted and the delay
// stays bounded.
func TestDriftInPauses(t *testing.T) {
	const frames = 180000
	for _, ppm := range []float64{100, -100} {
		t.Run(fmt.Sprintf("%+.0fppm", ppm), func(t *testing.T) {
			t.Parallel()
			b := New(Config{})
			sendPeriod := 20e6 / (1 + ppm*1e-6)
			payload := make([]byte, 160)
			var maxD time.Duration
			k := 0 // frame of the sender's clock; frames 100..149 of every 150 are a pause
			arr := func() time.Duration { return time.Duration(float64(k)*sendPeriod) + 40*time.Millisecond }
			for i := 0; i < frames; i++ {
				now := time.Duration(i)*20*time.Millisecond + 7*time.Millisecond
				for arr() <= now {
					if k%150 < 100 {
						seq := k/150*100 + k%150
						b.Push(uint16(seq), uint32(k*160), k%150 == 0, payload, epoch.Add(arr()))
					}
					k++
				}
				b.Pop(epoch.Add(now))
				if b.running {
					maxD = max(maxD, b.Stats().Delay)
				}
			}
			s := b.Stats()
			t.Logf("delay up to %v; %+v", maxD, s)
			if s.Dropped != 0 || s.Lost != 0 || s.Late != 0 {
				t.Errorf("dropped %d, lost %d, late %d", s.Dropped, s.Lost, s.Late)
			}
			if maxD > 50*time.Millisecond {
				t.Errorf("delay up to %v", maxD)
			}
			// Each pause begins with MaxDelay of concealment (the buffer
			// cannot know yet that it is a pause), and nothing else.
			if pauses := uint64(frames / 150); s.Concealed > pauses*15 {
				t.Errorf("concealed %d frames, more than the %d pauses' starts", s.Concealed, pauses)
			}
		})
	}
}
