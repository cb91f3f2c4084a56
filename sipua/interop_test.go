package sipua

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"intercom/internal/peertest"
	"intercom/sipua/sdp"
	"intercom/sipua/transport"
)

// TestRegisterWithSipp registers at sipp acting as a registrar that
// challenges with Digest and checks the answer (testdata/sipp/registrar.xml),
// then unregisters. Both sides must agree: we see a 300 s registration, and
// sipp ends its scenario successfully.
func TestRegisterWithSipp(t *testing.T) {
	sipp := peertest.StartSipp(t, "testdata/sipp/registrar.xml")
	port := uint16(sipp.Port)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

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
	if err := sipp.Wait(t); err != nil {
		t.Errorf("sipp failed: %v", err)
	}
}

// TestCallSippUAS calls sipp's built-in UAS, which rings and answers; we
// hang up, and sipp must see its whole scenario through (ACK, BYE).
func TestCallSippUAS(t *testing.T) {
	sipp := peertest.StartSipp(t, "uas")
	port := uint16(sipp.Port)
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
	if err := sipp.Wait(t); err != nil {
		t.Errorf("sipp failed: %v", err)
	}
}

// TestCallSippChallenge calls through sipp playing a proxy that challenges
// the INVITE with 407 and checks our digest answer before the callee
// answers.
func TestCallSippChallenge(t *testing.T) {
	sipp := peertest.StartSipp(t, "testdata/sipp/uas_auth.xml")
	port := uint16(sipp.Port)
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
	if err := sipp.Wait(t); err != nil {
		t.Errorf("sipp failed: %v", err)
	}
}

// TestCallFromSippUAC: sipp's built-in UAC calls the station, which
// answers; sipp hangs up.
func TestCallFromSippUAC(t *testing.T) {
	b := newTestUA(t, "door", answering)
	sipp := peertest.StartSipp(t, "uac", "-s", "door", "-d", "200", b.Addr().AddrPort.String())
	in := b.expect(t, EventCallAnswered).Call
	if s := waitDone(t, in); s.Reason != "remote hangup" {
		t.Errorf("call: %+v", s)
	}
	if err := sipp.Wait(t); err != nil {
		t.Errorf("sipp failed: %v", err)
	}
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
	sipp := peertest.StartSipp(t, "testdata/sipp/uac_dialog.xml", "-s", "door", b.Addr().AddrPort.String())
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
	if err := sipp.Wait(t); err != nil {
		t.Errorf("sipp failed: %v", err)
	}
}
