package audio

import (
	"errors"
	"strings"
	"testing"
)

func TestFrameSamples(t *testing.T) {
	for _, tt := range []struct{ rate, n int }{{8000, 160}, {16000, 320}, {48000, 960}, {44100, 882}} {
		if got := FrameSamples(tt.rate); got != tt.n {
			t.Errorf("FrameSamples(%d) = %d, want %d", tt.rate, got, tt.n)
		}
	}
	if (Format{Rate: 16000}).FrameSamples() != 320 {
		t.Error("Format.FrameSamples")
	}
}

func TestOpenErrors(t *testing.T) {
	for _, tt := range []struct {
		spec string
		rate int
		dir  Direction
		want string
	}{
		{"alsa:hw:0", 8000, Capture, "alsa backend is not built in yet"},
		{"oto", 16000, Playback, "oto backend is not built in yet"},
		{"pulse", 8000, Playback, `unknown kind "pulse"`},
		{"null", 44100, Capture, "must be 8000 or 16000"},
		{"null:x", 8000, Capture, "takes no argument"},
		{"null", 8000, Direction(7), "bad direction"},
	} {
		_, _, err := Open(tt.spec, tt.rate, tt.dir)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%q, %d, %v) = %v, want an error with %q", tt.spec, tt.rate, tt.dir, err, tt.want)
		}
	}
}

func TestRegister(t *testing.T) {
	Register("test-sink", Backend{OpenSink: func(arg string, f Format) (Sink, error) {
		if arg != "a:b" || f.Rate != 16000 {
			t.Errorf("opener got %q %+v", arg, f)
		}
		return NewUnpacedNull(), nil
	}})
	if _, err := OpenSink("test-sink:a:b", 16000); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSource("test-sink:a:b", 16000); err == nil || !strings.Contains(err.Error(), "no capture devices") {
		t.Fatalf("OpenSource of a sink-only backend: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("second Register did not panic")
		}
	}()
	Register("test-sink", Backend{OpenSink: func(string, Format) (Sink, error) { return nil, nil }})
}

func TestNull(t *testing.T) {
	src, _, err := Open("null", 8000, Capture)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, FrameSamples(8000))
	for i := range pcm {
		pcm[i] = 7
	}
	for range 4 {
		if err := src.ReadFrame(pcm); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range pcm {
		if s != 0 {
			t.Fatal("null source gave non-silence")
		}
	}
	src.Close()
	if err := src.ReadFrame(pcm); !errors.Is(err, ErrClosed) {
		t.Errorf("read after close: %v", err)
	}

	n := NewUnpacedNull()
	for range 1000 {
		if err := n.WriteFrame(pcm); err != nil {
			t.Fatal(err)
		}
	}
	var _ Source = n
	var _ Sink = n
}
