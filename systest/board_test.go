// Package systest holds the system tests: the firmware as it ships, on a
// board, against real peers.
package systest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"intercom/internal/peertest"
)

// boardConfig is the firmware's config on the emulated board: registered
// at the sipp registrar, the doorbell on the PL061's line 3 and the relay on
// its line 4 (by the names the device tree gives them), the loopback sound
// card as microphone and speaker, and auto-answer for the concierge.
//
// The speaker plays on the loopback card's device 0 and the microphone
// records its device 1, which hears what device 0 plays: the phone's
// audio goes through the board's real ALSA playback and capture and comes
// back to the phone, so one stream checks both directions and times the
// round trip. The echo canceller is off, or it would take the loop out.
const boardConfig = `
[sip]
listen = "0.0.0.0:5060"
user = "door"
domain = "10.0.2.2:%d"
password = "board-secret"
register_expires = "1h"
keepalive = "0s"
rtp_ports = "30000-30009"

[audio]
source = "alsa:hw:CARD=Loopback,DEV=1"
sink = "alsa:hw:CARD=Loopback,DEV=0"
codecs = ["PCMU"]
echo_cancel = false

[board]
kind = "generic"

[[button]]
name = "flat1"
pin = "DOORBELL"
active_high = true
targets = ["sip:flat@10.0.2.2:%d"]

[door]
relay_pin = "RELAY"
pulse = "%s"
codes = ["1#"]
hangup_after = "1500ms"

[answer]
auto = true
delay = "0s"
allow = ["sip:concierge@caller.test"]
`

// relayPulse is the door's configured pulse; the relay line must stay high
// this long.
const relayPulse = time.Second

// TestBoardInTheLoop boots the static linux/arm64 firmware on an emulated
// arm64 board (QEMU's virt machine, Debian's kernel, busybox) with real
// GPIO (the PL061 through the GPIO character device) and real ALSA (the
// snd-aloop card), and drives it from the host like a visitor and a
// resident would:
//
//   - it registers with a sipp registrar that checks its Digest answer;
//   - QEMU's power button drives the doorbell line, and the INVITE reaches
//     the flat (sipp); the press-to-INVITE time is measured;
//   - the flat's tone bursts go through the board's speaker and microphone
//     and come back: both audio directions and their round trip;
//   - the flat types 1# as RFC 4733 keys: QEMU's trace shows the relay line
//     high for the configured pulse, and the station hangs up;
//   - an allowed caller is answered by itself, a stranger refused with 403.
//
// The figures are logged (go test -v) and kept in BENCHMARKS.md. The time
// is emulated: an arm64 CPU in software, several times slower than a board.
func TestBoardInTheLoop(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the board test boots Linux under QEMU on a Linux host")
	}
	dir := t.TempDir()
	parts := boardParts(t)
	fw := firmware(t, dir)
	dtb := boardDTB(t, dir)
	fwInfo, err := os.Stat(fw)
	if err != nil {
		t.Fatal(err)
	}

	media, err := newPhoneMedia()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go media.run(ctx)

	registrar := peertest.StartSippWithin(t, 3*time.Minute, filepath.Join("testdata", "registrar.xml"))
	flat := peertest.StartSippWithin(t, 3*time.Minute, filepath.Join("testdata", "flat.xml"),
		"-key", "rtp", strconv.Itoa(media.port()), "-trace_logs", "-log_file", "flat.log")
	sipPort := peertest.FreePort(t, "udp")
	config := fmt.Sprintf(boardConfig, registrar.Port, flat.Port, relayPulse)
	initrd := initramfs(t, dir, parts, fw, config, buildKernelTests(t, dir))

	b := bootBoard(t, dir, parts, dtb, initrd, sipPort)
	_, registeredAt, next := b.console.waitEvent(t, 0, 2*time.Minute, "registered")
	if err := registrar.Wait(t); err != nil {
		t.Fatalf("registrar: %v", err)
	}
	t.Logf("board: booted, ran the kernel tests and registered %v after QEMU started", registeredAt.Sub(b.started).Round(time.Millisecond))
	checkKernelTests(t, b.console.text())

	// The visitor presses the doorbell.
	pressed := time.Now()
	if err := b.qmp.execute("system_powerdown"); err != nil {
		t.Fatal(err)
	}
	inviteAt := sippLogTime(t, filepath.Join(flat.Dir, "flat.log"), "invite", 30*time.Second)
	_, _, next = b.console.waitEvent(t, next, 30*time.Second, "call_answered")

	// The flat talks: three tone bursts, 800 ms apart, come back through
	// the board's speaker and microphone.
	if !waitFor(10*time.Second, func() bool { n, _ := media.received(); return n > 0 }) {
		t.Fatal("no RTP from the board within 10 s of the answer")
	}
	const bursts = 3
	for range bursts {
		media.burst()
		time.Sleep(800 * time.Millisecond)
	}
	time.Sleep(time.Second)
	rtts := media.roundTrips()
	frames, toneFrames := media.received()
	if len(rtts) != bursts {
		t.Errorf("%d of %d tone bursts came back through the board's speaker and microphone (%d frames heard, %d with the tone)",
			len(rtts), bursts, frames, toneFrames)
	}
	// Each 200 ms burst should come back whole: ten frames, give or take
	// the edges.
	if toneFrames < bursts*(burstFrames-2) {
		t.Errorf("%d frames carried the tone back, want at least %d", toneFrames, bursts*(burstFrames-2))
	}

	// The resident types the door code.
	keysAt := time.Now()
	media.keys("1#")
	_, openedAt, next := b.console.waitEvent(t, next, 20*time.Second, "door_opened")
	if err := flat.Wait(t); err != nil { // the station hangs up after the door opened
		t.Errorf("flat: %v", err)
	}
	_, _, next = b.console.waitEvent(t, next, 10*time.Second, "call_ended")

	// The concierge calls: answered by the station itself; a stranger is
	// refused.
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	sinkPort := strconv.Itoa(sink.LocalAddr().(*net.UDPAddr).Port)
	caller := peertest.StartSippWithin(t, time.Minute, filepath.Join("testdata", "caller.xml"),
		"-key", "from", "concierge", "-key", "rtp", sinkPort, "-trace_logs", "-log_file", "caller.log",
		fmt.Sprintf("127.0.0.1:%d", sipPort))
	if err := caller.Wait(t); err != nil {
		t.Errorf("the allowed caller: %v", err)
	}
	callerLog := filepath.Join(caller.Dir, "caller.log")
	autoAnswer := sippLogTime(t, callerLog, "answered", time.Second).Sub(sippLogTime(t, callerLog, "invite", time.Second))
	_, _, next = b.console.waitEvent(t, next, 10*time.Second, "call_answered", "direction", "incoming")
	stranger := peertest.StartSippWithin(t, time.Minute, filepath.Join("testdata", "refused.xml"),
		"-key", "from", "stranger", "-key", "rtp", sinkPort, fmt.Sprintf("127.0.0.1:%d", sipPort))
	if err := stranger.Wait(t); err != nil {
		t.Errorf("the stranger: %v (want a 403)", err)
	}
	b.console.waitEvent(t, next, 10*time.Second, "call_ended", "direction", "incoming")

	b.stop(t)
	changes, err := lineChanges(b.trace)
	if err != nil {
		t.Fatal(err)
	}
	press, pulses := relayPulses(changes)
	for _, p := range pulses {
		if p < relayPulse-50*time.Millisecond || p > relayPulse*3/2 {
			t.Errorf("the relay line was high for %v, want the configured %v", p, relayPulse)
		}
	}
	if len(pulses) != 1 {
		t.Errorf("the relay line pulsed %d times (%v), want once", len(pulses), pulses)
	}
	if events := b.console.events(); slices.Contains(events, "relay_max_on_time") {
		t.Errorf("the relay hit its maximum on-time: %v", events)
	}

	t.Logf("board: firmware %s, %d bytes; parts %s", fw, fwInfo.Size(), filepath.Base(parts))
	t.Logf("board: press to INVITE on the wire: %v from the QMP command, %v from the doorbell line's edge",
		inviteAt.Sub(pressed).Round(time.Millisecond), durationSince(press, inviteAt))
	t.Logf("board: audio round trip (phone -> RTP -> speaker -> loopback -> microphone -> RTP -> phone): %v", roundAll(rtts))
	t.Logf("board: door code 1# (two 100 ms keys) sent to door_opened on the console: %v; relay high for %v",
		openedAt.Sub(keysAt).Round(time.Millisecond), roundAll(pulses))
	t.Logf("board: an allowed caller's INVITE to the station's 200 OK (auto-answer, delay 0s): %v", autoAnswer.Round(time.Millisecond))
}

// checkKernelTests checks, in the board's console, that each kernel test
// binary ran its *Kernel tests, none skipped, and exited 0.
func checkKernelTests(t *testing.T, console string) {
	t.Helper()
	for _, pkg := range kernelTests {
		bin := "/tests/" + filepath.Base(pkg) + ".test"
		_, out, ok := strings.Cut(console, "board: running "+bin+"\n")
		out, status, ok2 := strings.Cut(out, "board: "+bin+" exited with ")
		if !ok || !ok2 {
			t.Errorf("%s's kernel tests did not run on the board", pkg)
			continue
		}
		var passed []string
		for _, l := range strings.Split(out, "\n") {
			switch f := strings.Fields(l); {
			case len(f) >= 3 && f[0] == "---" && f[1] == "PASS:":
				passed = append(passed, f[2])
			case len(f) >= 3 && f[0] == "---":
				t.Errorf("%s on the board: %s", pkg, strings.TrimSpace(l))
			}
		}
		if !strings.HasPrefix(status, "0\n") || len(passed) == 0 {
			t.Errorf("%s's kernel tests on the board: exit status %q, passed %v", pkg, strings.TrimSpace(status), passed)
		}
		t.Logf("board: %s passed on the board: %v", pkg, passed)
	}
}

// stop asks QEMU to quit and waits for it, so that its trace is complete.
func (b *board) stop(t *testing.T) {
	t.Helper()
	_ = b.qmp.execute("quit") // the reply may be lost as QEMU exits
	select {
	case <-b.exited:
	case <-time.After(10 * time.Second):
		t.Error("qemu did not quit within 10 s")
	}
}

// sippLogTime waits for the line "WORD SEC USEC" in a sipp log (sipp writes
// its variables as floats, "invite 1795494840.000000 212272.000000") and
// returns that time.
func sippLogTime(t *testing.T, path, word string, within time.Duration) time.Time {
	t.Helper()
	var at time.Time
	ok := waitFor(within, func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			if len(f) == 3 && f[0] == word {
				sec, err1 := strconv.ParseFloat(f[1], 64)
				usec, err2 := strconv.ParseFloat(f[2], 64)
				if err1 == nil && err2 == nil {
					at = time.Unix(int64(sec), int64(usec)*1000)
					return true
				}
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("sipp logged no %q line in %s within %v", word, filepath.Base(path), within)
	}
	return at
}

// relayPulses returns the doorbell line's first rising edge and how long
// each high period of the relay line lasted.
func relayPulses(changes []lineChange) (press time.Time, pulses []time.Duration) {
	var on time.Time
	for _, c := range changes {
		switch {
		case c.input && c.line == doorbellLine && c.level == 1 && press.IsZero():
			press = c.at
		case !c.input && c.line == relayLine && c.level == 1:
			on = c.at
		case !c.input && c.line == relayLine && c.level == 0 && !on.IsZero():
			pulses = append(pulses, c.at.Sub(on))
			on = time.Time{}
		}
	}
	return press, pulses
}

// waitFor polls cond every 20 ms until it holds or within has passed.
func waitFor(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

func durationSince(from, to time.Time) string {
	if from.IsZero() {
		return "unknown (no edge traced)"
	}
	return to.Sub(from).Round(time.Millisecond).String()
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}
