package alsa

import (
	"math"
	"strings"
	"testing"

	"intercom/audio"
)

// fakeCard produces a 1 kHz tone at its rate and records what is played.
type fakeCard struct {
	rate    int
	n       int
	written int
	closed  bool
}

func (f *fakeCard) Read(frames []int16) error {
	for i := range frames {
		frames[i] = int16(10000 * math.Sin(2*math.Pi*1000*float64(f.n)/float64(f.rate)))
		f.n++
	}
	return nil
}

func (f *fakeCard) Write(frames []int16) error { f.written += len(frames); return nil }
func (f *fakeCard) Close() error               { f.closed = true; return nil }

func TestSourceResamples(t *testing.T) {
	for _, hwRate := range []int{16000, 44100, 48000} {
		card := &fakeCard{rate: hwRate}
		s, err := newSource(card, hwRate, 16000)
		if err != nil {
			t.Fatal(err)
		}
		pcm := make([]int16, audio.FrameSamples(16000))
		var peak int16
		for i := 0; i < 50; i++ {
			if err := s.ReadFrame(pcm); err != nil {
				t.Fatal(err)
			}
			if i > 5 {
				for _, v := range pcm {
					peak = max(peak, v)
				}
			}
		}
		if peak < 9000 || peak > 11000 {
			t.Errorf("%d Hz card: 1 kHz tone peak %d after resampling, want ~10000", hwRate, peak)
		}
		// One second of frames takes about one second of the card.
		if d := card.n - hwRate; d < -hwRate/50 || d > hwRate/25 {
			t.Errorf("%d Hz card: read %d samples for 1 s", hwRate, card.n)
		}
		if a := testing.AllocsPerRun(20, func() { _ = s.ReadFrame(pcm) }); a != 0 {
			t.Errorf("%d Hz card: %v allocations per frame", hwRate, a)
		}
		s.Close()
		if !card.closed {
			t.Error("Close did not close the card")
		}
	}
}

func TestSinkResamples(t *testing.T) {
	for _, hwRate := range []int{8000, 44100, 48000} {
		card := &fakeCard{rate: hwRate}
		s, err := newSink(card, 8000, hwRate)
		if err != nil {
			t.Fatal(err)
		}
		pcm := make([]int16, audio.FrameSamples(8000))
		for i := 0; i < 50; i++ {
			if err := s.WriteFrame(pcm); err != nil {
				t.Fatal(err)
			}
		}
		if d := card.written - hwRate; d < -hwRate/50 || d > hwRate/50 {
			t.Errorf("%d Hz card: wrote %d samples for 1 s", hwRate, card.written)
		}
		if a := testing.AllocsPerRun(20, func() { _ = s.WriteFrame(pcm) }); a != 0 {
			t.Errorf("%d Hz card: %v allocations per frame", hwRate, a)
		}
	}
}

func TestBackendRegistered(t *testing.T) {
	found := false
	for _, k := range audio.Backends() {
		found = found || k == "alsa"
	}
	if !found {
		t.Fatalf("alsa not registered: %v", audio.Backends())
	}
	_, err := audio.OpenSource("alsa:hw:CARD=NoSuchCard,DEV=0", 16000)
	if err == nil || !strings.Contains(err.Error(), "NoSuchCard") && !strings.Contains(err.Error(), "not supported") {
		t.Errorf("open of a missing card: %v", err)
	}
}
