package main

import "testing"

func TestMixSaturates(t *testing.T) {
	a := []int16{1000, 30000, -30000, 0}
	mix(a, []int16{500, 10000, -10000, -1})
	if want := []int16{1500, 32767, -32768, -1}; a[0] != want[0] || a[1] != want[1] || a[2] != want[2] || a[3] != want[3] {
		t.Errorf("mixed %v, want %v", a, want)
	}
}

// TestCues: the door-opened cue reaches the audio loop of its call only,
// never blocks, and a call that ended gets none.
func TestCues(t *testing.T) {
	var q cues
	a, b := q.add("a"), q.add("b")
	q.doorOpened("a")
	q.answered("a") // a second cue while one waits is dropped, not blocked on
	q.doorOpened("nobody")
	if len(a) != 1 || len(b) != 0 {
		t.Errorf("cues waiting: a %d, b %d", len(a), len(b))
	}
	q.remove("b")
	q.doorOpened("b")
	if len(b) != 0 {
		t.Error("a removed call got a cue")
	}
}
