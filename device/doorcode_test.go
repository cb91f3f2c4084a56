package device

import (
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestCodeLock(t *testing.T) {
	type press struct {
		target string
		digits string
		wait   time.Duration // before the digits
		want   CodeResult    // after the last digit
	}
	for _, tc := range []struct {
		name    string
		presses []press
	}{
		{"global code", []press{{"", "1#", 0, CodeOpen}}},
		{"digits in between are pending", []press{{"", "1", 0, CodePending}, {"", "#", time.Second, CodeOpen}}},
		{"a wrong attempt ends with #", []press{{"", "2", 0, CodeWrong}, {"", "55#", 0, CodePending}, {"", "1#", 0, CodeOpen}}},
		{"or with a pause", []press{{"", "2", 0, CodeWrong}, {"", "1#", 0, CodePending}, {"", "1#", 6 * time.Second, CodeOpen}}},
		{"timed out between digits", []press{{"", "1", 0, CodePending}, {"", "#", 6 * time.Second, CodeWrong}}},
		{"a flat's code only in its calls", []press{
			{"sip:flat2@pbx", "2580#", 0, CodeOpen},
			{"sip:flat1@pbx", "2", 0, CodeWrong}, {"sip:flat1@pbx", "580#", 0, CodePending},
			{"", "2", 0, CodeWrong}}},
		{"lockout after three wrong codes", []press{
			{"", "9#", 0, CodePending}, {"", "8#", 0, CodePending}, {"", "7", 0, CodeLocked},
			{"", "1#", 0, CodeLocked}, // even the right code, while locked
			{"", "1#", 5*time.Minute + time.Second, CodeOpen}}},
		{"failures far apart do not lock", []press{
			{"", "9#", 0, CodePending}, {"", "8#", 0, CodePending}, {"", "7", 6 * time.Minute, CodeWrong}}},
		{"a good code clears the failures", []press{
			{"", "9#", 0, CodePending}, {"", "8#", 0, CodePending}, {"", "1#", 0, CodeOpen}, {"", "7", 0, CodeWrong}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Unix(1_000_000, 0)}
			l, err := NewCodeLock(CodeLockConfig{Codes: []string{"1#"},
				TargetCodes: map[string][]string{"sip:flat2@pbx": {"2580#"}}, Now: clock.now})
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range tc.presses {
				clock.advance(p.wait)
				var got CodeResult
				for j := range len(p.digits) {
					got = l.Digit(p.target, p.digits[j])
				}
				if got != p.want {
					t.Errorf("press %d (%q to %q): %v, want %v", i, p.digits, p.target, got, p.want)
				}
			}
		})
	}
	if _, err := NewCodeLock(CodeLockConfig{Codes: []string{"12x"}}); err == nil {
		t.Error("a code with x accepted")
	}
}
