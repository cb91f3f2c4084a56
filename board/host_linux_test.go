package board

import (
	"errors"
	"os"
	"testing"

	"periph.io/x/conn/v3/gpio"
)

// TestHostKernel drives a real GPIO character device through the host
// board. It needs a chip whose lines 3 and 5 are named DOORBELL and SPARE:
// the emulated board of make test-board (systest) has one, and runs this
// test there.
func TestHostKernel(t *testing.T) {
	if _, err := os.Stat("/dev/gpiochip0"); err != nil {
		t.Skip("no /dev/gpiochip0: make test-board runs this test on an emulated arm64 board")
	}
	b, err := Open(KindGeneric)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	bell, err := b.Pin("DOORBELL")
	if errors.Is(err, ErrUnknownPin) {
		t.Skip("no line named DOORBELL: not the emulated board of make test-board")
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := bell.In(gpio.PullDown, gpio.BothEdges); err != nil {
		t.Fatal(err)
	}
	if l := bell.Read(); l != gpio.Low {
		t.Errorf("DOORBELL reads %v at rest, want low", l)
	}
	spare, err := b.Pin("SPARE")
	if err != nil {
		t.Fatal(err)
	}
	if same, err := b.Pin("gpiochip0:5"); err != nil || same != spare {
		t.Errorf("gpiochip0:5 is %v (%v), want the same pin as SPARE", same, err)
	}
	for _, l := range []gpio.Level{gpio.High, gpio.Low} {
		if err := spare.Out(l); err != nil {
			t.Fatal(err)
		}
		if got := spare.Read(); got != l {
			t.Errorf("SPARE driven %v reads back %v", l, got)
		}
	}
	if _, err := b.Pin("NO_SUCH_LINE"); !errors.Is(err, ErrUnknownPin) {
		t.Errorf("an unknown line name: %v, want ErrUnknownPin", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Pin("SPARE"); err == nil {
		t.Error("a closed board handed out a pin")
	}
}
