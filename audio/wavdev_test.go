package audio

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestWAVDevices(t *testing.T) {
	name := filepath.Join(t.TempDir(), "rec.wav")
	_, sink, err := Open("wav:"+name, 8000, Playback)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, FrameSamples(8000))
	frame[0] = 1234
	if err := sink.WriteFrame(frame); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	src, err := OpenSource("wav:"+name, 8000)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for range 3 { // loops
		if err := src.ReadFrame(frame); err != nil {
			t.Fatal(err)
		}
		if frame[0] != 1234 {
			t.Fatalf("sample 0 = %d", frame[0])
		}
	}
	if _, err := OpenSource("wav:"+name+".missing", 8000); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := OpenSource("wav", 8000); err == nil {
		t.Error("wav without a file opened")
	}
}
