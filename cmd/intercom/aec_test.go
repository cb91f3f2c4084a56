package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"intercom/audio/aec/aectest"
	"intercom/audio/wav"
)

// TestAECCommand: "intercom aec" on recordings of the single-talk
// scenario (a far-end talker heard through a small housing's echo path)
// writes a microphone track whose echo is gone, and reports the ERLE.
func TestAECCommand(t *testing.T) {
	s := aectest.Generate(aectest.SingleTalk, 8000)
	dir := t.TempDir()
	far, mic, out := filepath.Join(dir, "far.wav"), filepath.Join(dir, "mic.wav"), filepath.Join(dir, "out.wav")
	for name, pcm := range map[string][]int16{far: s.Far, mic: s.Mic} {
		w, err := wav.Create(name, 8000, wav.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteFrame(pcm); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"aec", "--far", far, "--mic", mic, "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "ERLE") {
		t.Errorf("output %q", stdout.String())
	}
	r, err := wav.Open(out, 8000, wav.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := make([]int16, 0, len(s.Mic))
	frame := make([]int16, 160)
	for r.ReadFrame(frame) == nil {
		got = append(got, frame...)
	}
	if len(got) < len(s.Mic)-160 {
		t.Fatalf("%d samples out of %d", len(got), len(s.Mic))
	}
	res := aectest.Measure(s, got[:min(len(got), len(s.Mic))], 0)
	t.Logf("ERLE %.1f dB, 10 dB after %.2f s", res.ERLE, res.Conv10)
	if res.ERLE < 20 {
		t.Errorf("ERLE %.1f dB through the command, want at least 20", res.ERLE)
	}
	if code := run([]string{"aec", "--far", far}, &stdout, &stderr); code != 2 {
		t.Errorf("missing flags: exit %d, want 2", code)
	}
}
