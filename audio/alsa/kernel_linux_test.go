//go:build linux && (amd64 || arm64 || riscv64 || loong64)

package alsa

import (
	"bytes"
	"errors"
	"math"
	"os"
	"testing"
	"time"
)

// loopbackCard skips the test unless the snd-aloop "Loopback" card is
// present. These tests talk to the real kernel; build machines have no
// sound card, so make test-board runs them on an emulated arm64 board that
// loads snd-aloop (systest).
func loopbackCard(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile("/proc/asound/cards")
	if err != nil {
		t.Skip("no /proc/asound/cards: no ALSA here; needs snd-aloop (modprobe snd-aloop), which make test-board loads on an emulated arm64 board")
	}
	cards, _ := parseProcCards(bytes.NewReader(b))
	for _, c := range cards {
		if c.id == "Loopback" {
			return
		}
	}
	t.Skip("no Loopback card: needs snd-aloop (modprobe snd-aloop), which make test-board loads on an emulated arm64 board")
}

func TestListKernel(t *testing.T) {
	loopbackCard(t)
	cards, err := List()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cards {
		if c.ID != "Loopback" {
			continue
		}
		if len(c.PCMs) < 2 || c.PCMs[0].Playback == nil || c.PCMs[0].Capture == nil {
			t.Fatalf("Loopback card: %+v", c)
		}
		if c.PCMs[0].Playback.MaxRate < 48000 {
			t.Errorf("Loopback playback: %+v", *c.PCMs[0].Playback)
		}
		return
	}
	t.Errorf("List did not report the Loopback card: %+v", cards)
}

// openLoopback opens playback on Loopback device 0 and capture on device
// 1, at 16 kHz mono; t.Cleanup closes both.
func openLoopback(t *testing.T) (play, rec *Device) {
	t.Helper()
	want := Params{Rate: 16000, Channels: 1}
	play, err := OpenPlayback("hw:CARD=Loopback,DEV=0", want)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { play.Close() })
	rec, err = OpenCapture("hw:CARD=Loopback,DEV=1", want)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })
	return play, rec
}

// TestLoopbackKernel plays a tone on Loopback device 0 and records it from
// device 1, where snd-aloop hands it over.
func TestLoopbackKernel(t *testing.T) {
	loopbackCard(t)
	play, rec := openLoopback(t)
	t.Logf("playback %v, capture %v", play.Params(), rec.Params())
	p := play.Params()
	if p.Rate != 16000 || p.Format != FormatS16LE {
		t.Errorf("Loopback offers S16_LE at 16 kHz, got %v", p)
	}

	frame := make([]int16, p.Rate/50) // 20 ms
	in := make([]int16, len(frame))
	done := make(chan error, 1)
	go func() {
		var err error
		for i := 0; i < 50 && err == nil; i++ {
			for j := range frame {
				n := i*len(frame) + j
				frame[j] = int16(8000 * math.Sin(2*math.Pi*1000*float64(n)/float64(p.Rate)))
			}
			err = play.Write(frame)
		}
		done <- err
	}()
	var peak int16
	for i := 0; i < 40; i++ {
		if err := rec.Read(in); err != nil {
			t.Fatal(err)
		}
		for _, s := range in {
			peak = max(peak, s)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if peak < 4000 {
		t.Errorf("captured peak %d, want the 8000 tone", peak)
	}
	if delay, err := play.Delay(); err != nil || delay < 0 || delay > play.Params().BufferFrames {
		t.Errorf("playback Delay = %d, %v", delay, err)
	}
	t.Logf("playback stats %+v, capture stats %+v", play.Stats(), rec.Stats())
}

func TestDuplexKernel(t *testing.T) {
	loopbackCard(t)
	d, err := OpenDuplex("hw:CARD=Loopback,DEV=0", Params{Rate: 16000, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Start(0); err != nil {
		t.Fatal(err)
	}
	t.Logf("linked %v", d.Linked)
	frame := make([]int16, d.Capture.Params().Rate/50)
	for i := 0; i < 10; i++ {
		if err := d.Playback.Write(frame); err != nil {
			t.Fatal(err)
		}
		if err := d.Capture.Read(frame); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReadNoAllocKernel checks that a transfer, which waits for the card in
// Go's poller, allocates nothing: 50 frames from the Loopback capture while
// a tone plays into it.
func TestReadNoAllocKernel(t *testing.T) {
	loopbackCard(t)
	play, rec := openLoopback(t)
	// A file outside the poller has no deadlines (os.ErrNoDeadline), and
	// its transfers would wait in poll(2), a blocking system call.
	for _, d := range []*Device{play, rec} {
		if err := d.file.SetDeadline(time.Time{}); err != nil {
			t.Errorf("%s is not in Go's poller: %v", d.path, err)
		}
	}
	out := make([]int16, play.Params().Rate/50)
	for i := range out {
		out[i] = int16(8000 * math.Sin(2*math.Pi*float64(i)/16))
	}
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		var err error
		for err == nil {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			err = play.Write(out)
		}
		done <- err
	}()
	in := make([]int16, len(out))
	var rerr error
	allocs := testing.AllocsPerRun(50, func() {
		if err := rec.Read(in); err != nil && rerr == nil {
			rerr = err
		}
	})
	close(stop)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if allocs != 0 {
		t.Errorf("%v allocations per 20 ms frame, want 0", allocs)
	}
	t.Logf("playback stats %+v, capture stats %+v", play.Stats(), rec.Stats())
}

// parkedRead starts a Read of a capture stream that is never started, so
// that it waits in the poller for good, and checks that it does wait.
func parkedRead(t *testing.T) (*Device, <-chan error) {
	t.Helper()
	rec, err := open("hw:CARD=Loopback,DEV=1", Params{Rate: 16000, Channels: 1}, streamCapture, true)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- rec.Read(make([]int16, 320)) }()
	select {
	case err := <-done:
		rec.Close()
		t.Fatalf("Read of a stream never started returned %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	return rec, done
}

// TestCloseWakesReadKernel closes a device under a Read waiting for the
// card: the Read returns os.ErrClosed.
func TestCloseWakesReadKernel(t *testing.T) {
	loopbackCard(t)
	rec, done := parkedRead(t)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("Read after Close: %v, want os.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake the Read")
	}
}

// TestStopWakesReadKernel stops a device under a Read waiting for the card:
// the Read returns an error.
func TestStopWakesReadKernel(t *testing.T) {
	loopbackCard(t)
	rec, done := parkedRead(t)
	defer rec.Close()
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("Read of a stopped stream returned nil")
		}
		t.Logf("Read after Stop: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not wake the Read")
	}
}

func TestOpenMissingKernel(t *testing.T) {
	if _, err := OpenPlayback("hw:CARD=NoSuchCard,DEV=0", Params{}); err == nil {
		t.Error("opened a card that does not exist")
	}
	if _, err := OpenCapture("hw:31,0", Params{}); err == nil {
		t.Error("opened card 31")
	}
}
