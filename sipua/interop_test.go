package sipua

import (
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"intercom/sipua/sdp"
	"intercom/sipua/transport"
)

// needTool returns the path of a third-party program a test drives. Outside
// CI a missing one skips the test; in CI (CI=true) it fails it, so that no
// skipped test hides a missing install.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (make deps installs it)", name)
		}
		t.Skipf("%s is not installed; make deps installs it", name)
	}
	return path
}

// freeUDPPort returns a UDP port on 127.0.0.1 that was free a moment ago.
func freeUDPPort(t *testing.T) uint16 {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return uint16(c.LocalAddr().(*net.UDPAddr).Port)
}

// TestRegisterWithSipp registers at sipp acting as a registrar that
// challenges with Digest and checks the answer (testdata/sipp/registrar.xml),
// then unregisters. Both sides must agree: we see a 300 s registration, and
// sipp ends its scenario successfully.
func TestRegisterWithSipp(t *testing.T) {
	sippPath := needTool(t, "sipp")
	scenario, err := filepath.Abs("testdata/sipp/registrar.xml")
	if err != nil {
		t.Fatal(err)
	}
	port := freeUDPPort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sipp := exec.CommandContext(ctx, sippPath, "-sf", scenario, "-i", "127.0.0.1", "-p", strconv.Itoa(int(port)),
		"-m", "1", "-nostdin", "-timeout", "30s", "-timeout_error")
	sipp.Dir = t.TempDir()
	out := &lockedBuffer{}
	sipp.Stdout, sipp.Stderr = out, out
	if err := sipp.Start(); err != nil {
		t.Fatal(err)
	}
	sippDone := make(chan error, 1)
	go func() { sippDone <- sipp.Wait() }()

	layer, local := station(t)
	registrar := transport.Addr{Transport: "UDP", AddrPort: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)}
	r := NewRegistration(Account{User: "door", Domain: "door.test", Password: "secret"}, layer, registrar, local, nil)
	r.BackoffBase, r.BackoffMax, r.Timeout = 100*time.Millisecond, 500*time.Millisecond, 2*time.Second // sipp may still be starting
	runCtx, stop := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- r.Run(runCtx) }()

	waitFor(t, "registered at sipp", func() bool { return r.Status().State == Registered })
	if st := r.Status(); st.Expires != 300*time.Second {
		t.Errorf("granted %v, want the 300 s sipp's Contact gives", st.Expires)
	}
	stop()
	if err := <-runDone; err != nil {
		t.Errorf("unregister: %v", err)
	}
	select {
	case err := <-sippDone:
		if err != nil {
			t.Errorf("sipp failed: %v\n%s", err, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Errorf("sipp did not finish its scenario\n%s", out.String())
	}
}

// sipp runs sipp with a scenario (a built-in name such as "uas", or a file
// under testdata/sipp) on a free port of 127.0.0.1 and returns its port
// and a channel that gets its exit error when it ends.
func sipp(t *testing.T, scenario string, args ...string) (uint16, <-chan error, *lockedBuffer) {
	t.Helper()
	path := needTool(t, "sipp")
	port := freeUDPPort(t)
	var sf []string
	if filepath.Ext(scenario) == ".xml" {
		abs, err := filepath.Abs(filepath.Join("testdata/sipp", scenario))
		if err != nil {
			t.Fatal(err)
		}
		sf = []string{"-sf", abs}
	} else {
		sf = []string{"-sn", scenario}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	all := append(sf, "-i", "127.0.0.1", "-p", strconv.Itoa(int(port)), "-m", "1", "-nostdin",
		"-timeout", "30s", "-timeout_error", "-trace_msg", "-message_file", "sipp.log")
	cmd := exec.CommandContext(ctx, path, append(all, args...)...)
	cmd.Dir = t.TempDir()
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); cancel() }()
	t.Cleanup(func() {
		cancel()
		if t.Failed() {
			msgs, _ := os.ReadFile(filepath.Join(cmd.Dir, "sipp.log"))
			t.Logf("sipp output:\n%s\nsipp messages:\n%s", out.String(), msgs)
		}
	})
	return port, done, out
}

// sippDone waits for sipp to end its scenario and fails the test if it
// did not succeed.
func sippDone(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("sipp failed: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("sipp did not finish its scenario within 30 s")
	}
}

// TestCallSippUAS calls sipp's built-in UAS, which rings and answers; we
// hang up, and sipp must see its whole scenario through (ACK, BYE).
func TestCallSippUAS(t *testing.T) {
	port, done, _ := sipp(t, "uas")
	a := newTestUA(t, "door", nil)
	call, err := a.Dial(context.Background(), "sip:flat@127.0.0.1:"+strconv.Itoa(int(port)), DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a.expect(t, EventCallRinging)
	a.expect(t, EventCallAnswered)
	call.Hangup()
	if s := waitDone(t, call); !s.Answered || s.Reason != "local hangup" {
		t.Errorf("call: %+v", s)
	}
	sippDone(t, done)
}

// TestCallSippChallenge calls through sipp playing a proxy that challenges
// the INVITE with 407 and checks our digest answer before the callee
// answers.
func TestCallSippChallenge(t *testing.T) {
	port, done, _ := sipp(t, "uas_auth.xml")
	a := newTestUA(t, "door", func(c *Config) { c.Account.Password = "secret" })
	call, err := a.Dial(context.Background(), "sip:flat@127.0.0.1:"+strconv.Itoa(int(port)), DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a.expect(t, EventCallAnswered)
	call.mu.Lock()
	interval, weRefresh := call.interval, call.weRefresh
	call.mu.Unlock()
	if interval != 1800*time.Second || !weRefresh {
		t.Errorf("session timer %v, we refresh %v: want 1800 s refreshed by us (refresher=uac)", interval, weRefresh)
	}
	call.Hangup()
	waitDone(t, call)
	sippDone(t, done)
}

// TestCallFromSippUAC: sipp's built-in UAC calls the station, which
// answers; sipp hangs up.
func TestCallFromSippUAC(t *testing.T) {
	b := newTestUA(t, "door", answering)
	_, done, _ := sipp(t, "uac", "-s", "door", "-d", "200", b.Addr().AddrPort.String())
	in := b.expect(t, EventCallAnswered).Call
	if s := waitDone(t, in); s.Reason != "remote hangup" {
		t.Errorf("call: %+v", s)
	}
	sippDone(t, done)
}

// TestDialogWithSipp: sipp calls the station, holds and resumes it with
// re-INVITEs, sends DTMF as SIP INFO in both formats, asks OPTIONS inside
// the dialog and hangs up (testdata/sipp/uac_dialog.xml). sipp checks our
// answers (refresher=uac in Session-Expires, recvonly to its hold, INFO
// allowed); we check the digits and the hangup.
func TestDialogWithSipp(t *testing.T) {
	b := newTestUA(t, "door", func(c *Config) {
		answering(c)
		c.NewMedia = func(*Call) (Media, error) {
			return sdp.NewSession(sdp.Config{Addr: netip.MustParseAddr("127.0.0.1"), Port: 40000, Codecs: []string{"PCMU"}, DTMF: true})
		}
	})
	_, done, _ := sipp(t, "uac_dialog.xml", "-s", "door", b.Addr().AddrPort.String())
	in := b.expect(t, EventCallAnswered).Call
	if h := in.Header("Call-Info"); !strings.Contains(h, "answer-after=0") {
		t.Errorf("Call-Info %q: the application must see the auto-answer hint", h)
	}
	for _, want := range []string{"1", "#"} {
		if e := b.expect(t, EventDTMF); e.Digit != want {
			t.Errorf("DTMF %q, want %q", e.Digit, want)
		}
	}
	if s := waitDone(t, in); s.Reason != "remote hangup" || s.DTMF != "1#" {
		t.Errorf("call: %+v", s)
	}
	sippDone(t, done)
}
