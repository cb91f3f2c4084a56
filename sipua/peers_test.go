package sipua

import (
	"context"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"intercom/internal/peertest"
	"intercom/sipua/sdp"
)

// withSDP gives a test UA real session descriptions, as phones want them.
func withSDP(port int) func(*Config) {
	return func(c *Config) {
		c.NewMedia = func(*Call) (Media, error) {
			return sdp.NewSession(sdp.Config{Addr: netip.MustParseAddr("127.0.0.1"), Port: port, Codecs: []string{"PCMU", "PCMA"}, DTMF: true})
		}
	}
}

func both(fs ...func(*Config)) func(*Config) {
	return func(c *Config) {
		for _, f := range fs {
			f(c)
		}
	}
}

// TestBaresipCallsUs: baresip, a real softphone, calls the station
// directly; the station answers; baresip hangs up. Both sides see the call
// established and closed.
func TestBaresipCallsUs(t *testing.T) {
	peertest.NeedTool(t, "baresip")
	door := newTestUA(t, "door", both(answering, withSDP(41000)))
	phone := peertest.StartBaresip(t, peertest.BaresipConfig{User: "flat"})
	if err := phone.Dial(door.uri()); err != nil {
		t.Fatal(err)
	}
	in := door.expect(t, EventCallAnswered).Call
	if e := phone.WaitEvent(t, "CALL_ESTABLISHED", 10*time.Second); !strings.Contains(e.PeerURI, "door@127.0.0.1") {
		t.Errorf("baresip talks to %q", e.PeerURI)
	}
	if m, ok := in.Media().(*sdp.Session).Negotiated(); !ok || m.Codec.Name != "PCMU" {
		t.Errorf("negotiated %+v %v, want PCMU", m, ok)
	}
	if err := phone.Hangup(); err != nil {
		t.Fatal(err)
	}
	if s := waitDone(t, in); s.Reason != "remote hangup" {
		t.Errorf("station: %+v", s)
	}
	phone.WaitEvent(t, "CALL_CLOSED", 10*time.Second)
}

// TestWeCallBaresip: the station calls baresip, which answers by itself;
// the station hangs up.
func TestWeCallBaresip(t *testing.T) {
	peertest.NeedTool(t, "baresip")
	door := newTestUA(t, "door", withSDP(41010))
	phone := peertest.StartBaresip(t, peertest.BaresipConfig{User: "flat", AutoAnswer: true})
	call, err := door.Dial(context.Background(), phone.URI(), DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	door.expect(t, EventCallAnswered)
	phone.WaitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	call.Hangup()
	if s := waitDone(t, call); !s.Answered || s.Reason != "local hangup" {
		t.Errorf("station: %+v", s)
	}
	if e := phone.WaitEvent(t, "CALL_CLOSED", 10*time.Second); !strings.Contains(strings.ToLower(e.Param), "connection reset") && e.Param == "" {
		t.Logf("baresip closed with %q", e.Param)
	}
}

// TestThroughKamailio: the station and baresip register at kamailio, a
// registrar and proxy that checks digest credentials for REGISTER and
// INVITE. The station calls baresip by its user name, then baresip calls
// the station; kamailio routes both by the registrations, and each call is
// established and hung up on both sides.
func TestThroughKamailio(t *testing.T) {
	peertest.NeedTool(t, "kamailio")
	peertest.NeedTool(t, "baresip")
	k := peertest.StartKamailio(t, peertest.KamailioConfig{Users: map[string]string{"door": "door-secret", "flat": "flat-secret"}})
	door := newTestUA(t, "door", both(answering, withSDP(41020), func(c *Config) {
		c.Account = Account{User: "door", Domain: k.Domain(), Password: "door-secret"}
		c.OutboundProxy = k.URI()
	}))
	phone := peertest.StartBaresip(t, peertest.BaresipConfig{User: "flat", Password: "flat-secret", Domain: k.Domain(), Registrar: k.URI(), AutoAnswer: true})
	phone.WaitEvent(t, "REGISTER_OK", 10*time.Second)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	runDone := make(chan error, 1)
	go func() { runDone <- door.Run(ctx) }()
	door.expect(t, EventRegistered)

	// The station calls "flat": kamailio challenges the INVITE, then
	// routes it to baresip's registered contact.
	call, err := door.Dial(ctx, "flat", DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	door.expect(t, EventCallAnswered)
	if e := phone.WaitEvent(t, "CALL_ESTABLISHED", 10*time.Second); !strings.Contains(e.PeerURI, "door@"+k.Domain()) {
		t.Errorf("baresip sees the call from %q", e.PeerURI)
	}
	call.Hangup()
	waitDone(t, call)
	phone.WaitEvent(t, "CALL_CLOSED", 10*time.Second)

	// baresip calls the station at its address of record; it answers.
	if err := phone.Dial("sip:door@" + k.Domain()); err != nil {
		t.Fatal(err)
	}
	in := door.expect(t, EventCallAnswered).Call
	phone.WaitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	if err := phone.Hangup(); err != nil {
		t.Fatal(err)
	}
	if s := waitDone(t, in); s.Reason != "remote hangup" {
		t.Errorf("station: %+v", s)
	}
	out := k.Output()
	for _, want := range []string{"INVITE sip:flat@" + k.Domain(), "INVITE sip:door@" + k.Domain(), "BYE "} {
		if !strings.Contains(out, want) {
			t.Errorf("kamailio did not route %q", want)
		}
	}
	stop()
	if err := <-runDone; err != nil {
		t.Errorf("unregister: %v", err)
	}
}

// TestSofiaOptions: sofia-sip's sip-options (FreeSWITCH's SIP stack) asks
// the station what it can do; the answer must list our methods, bodies and
// extensions, and come from us (Server: intercom).
func TestSofiaOptions(t *testing.T) {
	tool := peertest.NeedTool(t, "sip-options")
	door := newTestUA(t, "door", nil)
	bind := "--bind=sip:127.0.0.1:" + strconv.Itoa(peertest.FreePort(t, "udp"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, tool, bind, door.uri()).CombinedOutput()
	if err != nil {
		t.Fatalf("sip-options: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"SIP/2.0 200 OK", "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE",
		"Accept: application/sdp", "Accept: application/dtmf-relay", "Supported: timer", "Server: intercom"} {
		if !strings.Contains(text, want) {
			t.Errorf("sip-options printed no %q:\n%s", want, text)
		}
	}
}
