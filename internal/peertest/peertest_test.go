package peertest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// eventTimeout bounds each wait for a baresip event in these tests; on
// 127.0.0.1 every one comes within milliseconds.
const eventTimeout = 10 * time.Second

// TestCallThroughKamailio registers two baresip user agents at kamailio,
// calls b from a through it, sends a DTMF digit and hangs up: registration
// with digest auth, location lookup, record-routing and the in-dialog BYE
// must all work.
func TestCallThroughKamailio(t *testing.T) {
	t.Parallel()
	needPeers(t)
	k := StartKamailio(t, KamailioConfig{Domain: "sip.test", Users: map[string]string{"a": "alpha-secret", "b": "bravo-secret"}})
	a := StartBaresip(t, BaresipConfig{User: "a", Password: "alpha-secret", Domain: k.Domain(), Registrar: k.URI(), ToneHz: 1000})
	b := StartBaresip(t, BaresipConfig{User: "b", Password: "bravo-secret", Domain: k.Domain(), Registrar: k.URI(), AutoAnswer: true})

	for _, ua := range []*Baresip{a, b} {
		if e := ua.WaitEvent(t, "REGISTER_OK", eventTimeout); e.AccountAOR != ua.AOR() {
			t.Errorf("REGISTER_OK for %q, want %q", e.AccountAOR, ua.AOR())
		}
	}
	if err := a.Dial(k.UserURI("b")); err != nil {
		t.Fatal(err)
	}
	// Answering by itself, b reports no CALL_INCOMING.
	estB := b.WaitEvent(t, "CALL_ESTABLISHED", eventTimeout)
	estA := a.WaitEvent(t, "CALL_ESTABLISHED", eventTimeout)
	if estB.Direction != "incoming" || estB.PeerURI != "sip:a@sip.test" {
		t.Errorf("b: CALL_ESTABLISHED %v, want an incoming call from sip:a@sip.test", estB)
	}
	if estA.Direction != "outgoing" || estA.PeerURI != "sip:b@sip.test" {
		t.Errorf("a: CALL_ESTABLISHED %v, want an outgoing call to sip:b@sip.test", estA)
	}
	if estA.ID == "" || estA.ID != estB.ID {
		t.Errorf("call IDs differ: a %q, b %q; a proxy keeps the Call-ID", estA.ID, estB.ID)
	}
	// The INVITE reached b at its registered contact, through kamailio.
	waitOutput(t, k.Output, fmt.Sprintf(`INVITE sip:b@sip\.test from 127\.0\.0\.1:%d\n`, a.Port()))

	// The media flow directly; the tone gives a's DTMF a clock.
	if err := a.SendDTMF("5"); err != nil {
		t.Fatal(err)
	}
	if e := b.WaitEvent(t, "CALL_DTMF_START", eventTimeout); e.Param != "5" {
		t.Errorf("b: DTMF %q, want 5", e.Param)
	}

	if err := a.Hangup(); err != nil {
		t.Fatal(err)
	}
	if e := b.WaitEvent(t, "CALL_CLOSED", eventTimeout); e.ID != estB.ID {
		t.Errorf("b: CALL_CLOSED for call %q, want %q", e.ID, estB.ID)
	}
	a.WaitEvent(t, "CALL_CLOSED", eventTimeout)
	// The BYE followed the Record-Route through kamailio to b's contact
	// (whose user part baresip 1.0.0 makes "b-0x<address>").
	waitOutput(t, k.Output, fmt.Sprintf(`BYE sip:b(-0x[0-9a-f]+)?@127\.0\.0\.1:%d from 127\.0\.0\.1:%d\n`, b.Port(), a.Port()))
}

// TestKamailioTCP: kamailio answers on TCP as well as UDP.
func TestKamailioTCP(t *testing.T) {
	t.Parallel()
	k := StartKamailio(t, KamailioConfig{})
	c, err := net.DialTimeout("tcp", k.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	local := c.LocalAddr().String()
	fmt.Fprintf(c, "OPTIONS %s SIP/2.0\r\nVia: SIP/2.0/TCP %s;branch=z9hG4bK-tcp1\r\nMax-Forwards: 70\r\n"+
		"From: <sip:probe@%s>;tag=1\r\nTo: <%s>\r\nCall-ID: tcp1@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		k.URI(), local, local, k.URI())
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "SIP/2.0 200 ") {
		t.Errorf("OPTIONS over TCP: %q, %v; want 200", line, err)
	}
}

// TestRegisterRejected: kamailio refuses a wrong password and an unknown
// user, and baresip reports REGISTER_FAIL, never REGISTER_OK.
func TestRegisterRejected(t *testing.T) {
	t.Parallel()
	needPeers(t)
	k := StartKamailio(t, KamailioConfig{Users: map[string]string{"a": "right"}})
	for _, cfg := range []BaresipConfig{
		{User: "a", Password: "wrong"},
		{User: "nobody", Password: "right"},
	} {
		cfg.Domain, cfg.Registrar = k.Domain(), k.URI()
		ua := StartBaresip(t, cfg)
		e := ua.WaitEvent(t, "REGISTER_OK|REGISTER_FAIL", eventTimeout)
		if e.Type != "REGISTER_FAIL" {
			t.Errorf("%s with password %q: %v, want REGISTER_FAIL", cfg.User, cfg.Password, e)
		}
		if !strings.Contains(e.Param, "401") && !strings.Contains(e.Param, "403") {
			t.Errorf("%s: REGISTER_FAIL %q, want it to carry kamailio's 401 or 403", cfg.User, e.Param)
		}
	}
}

// TestInviteNeedsAuth: kamailio challenges an INVITE from its domain, and
// one with a wrong password never reaches the callee.
func TestInviteNeedsAuth(t *testing.T) {
	t.Parallel()
	needPeers(t)
	k := StartKamailio(t, KamailioConfig{Users: map[string]string{"a": "right", "b": "bravo"}})
	b := StartBaresip(t, BaresipConfig{User: "b", Password: "bravo", Domain: k.Domain(), Registrar: k.URI(), AutoAnswer: true})
	a := StartBaresip(t, BaresipConfig{User: "a", Password: "wrong", Domain: k.Domain(), Registrar: k.URI()})
	b.WaitEvent(t, "REGISTER_OK", eventTimeout)
	a.WaitEvent(t, "REGISTER_FAIL", eventTimeout)

	if err := a.Dial(k.UserURI("b")); err != nil {
		t.Fatal(err)
	}
	e := a.WaitEvent(t, "CALL_ESTABLISHED|CALL_CLOSED", eventTimeout)
	if e.Type != "CALL_CLOSED" || !strings.Contains(e.Param, "407") {
		t.Errorf("a: %v, want CALL_CLOSED with kamailio's 407", e)
	}
	waitOutput(t, k.Output, fmt.Sprintf(`INVITE sip:b@sip\.test from 127\.0\.0\.1:%d\n`, a.Port()))
	for _, e := range b.Events() {
		if e.Class == "call" {
			t.Errorf("b saw %v, want no call", e)
		}
	}
}

// TestDirectCallWithDTMF calls b directly (no registrar), b answers by
// command, a sends audio from a file and DTMF, b receives the digits and
// records the call.
func TestDirectCallWithDTMF(t *testing.T) {
	t.Parallel()
	wav := filepath.Join(t.TempDir(), "tone.wav")
	writeToneWAV(t, wav, 5*time.Second)
	rec := t.TempDir()
	a := StartBaresip(t, BaresipConfig{User: "a", AudioFile: wav})
	b := StartBaresip(t, BaresipConfig{User: "b", RecordDir: rec})

	if err := a.Dial(b.URI()); err != nil {
		t.Fatal(err)
	}
	in := b.WaitEvent(t, "CALL_INCOMING", eventTimeout)
	if !strings.HasPrefix(in.PeerURI, "sip:a@127.0.0.1") {
		t.Errorf("b: CALL_INCOMING from %q, want sip:a@127.0.0.1", in.PeerURI)
	}
	a.WaitEvent(t, "CALL_RINGING", eventTimeout)
	if err := b.Answer(); err != nil {
		t.Fatal(err)
	}
	a.WaitEvent(t, "CALL_ESTABLISHED", eventTimeout)
	b.WaitEvent(t, "CALL_ESTABLISHED", eventTimeout)

	if err := a.SendDTMF("1#"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1", "#"} {
		if e := b.WaitEvent(t, "CALL_DTMF_START", eventTimeout); e.Param != want {
			t.Errorf("b: DTMF %q, want %q", e.Param, want)
		}
	}

	if err := b.Hangup(); err != nil {
		t.Fatal(err)
	}
	a.WaitEvent(t, "CALL_CLOSED", eventTimeout)
	b.WaitEvent(t, "CALL_CLOSED", eventTimeout)
	b.Close() // sndfile completes its WAV headers when the call ends
	dec, _ := filepath.Glob(filepath.Join(rec, "dump-*-dec.wav"))
	if len(dec) != 1 {
		t.Fatalf("recordings of received audio: %q, want one", dec)
	}
	if fi, err := os.Stat(dec[0]); err != nil || fi.Size() <= 44 {
		t.Errorf("recording %s: %v, want audio beyond the 44-byte header", dec[0], err)
	}
}

// needPeers skips (or in CI fails) a test that needs both peers before it
// starts either.
func needPeers(t *testing.T) {
	t.Helper()
	NeedTool(t, "kamailio")
	NeedTool(t, "baresip")
}

// waitOutput waits (5 s at most) for a peer's log to match the regular
// expression want: a peer writes its log on its own schedule.
func waitOutput(t *testing.T, output func() string, want string) {
	t.Helper()
	re := regexp.MustCompile(want)
	deadline := time.Now().Add(5 * time.Second)
	for !re.MatchString(output()) {
		if time.Now().After(deadline) {
			t.Fatalf("log does not show %q within 5 s", want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// writeToneWAV writes d of a 440 Hz tone as 16-bit mono 8000 Hz WAV.
func writeToneWAV(t *testing.T, path string, d time.Duration) {
	t.Helper()
	const rate = 8000
	n := int(d.Seconds() * rate)
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("RIFF")
	b.Write(le.AppendUint32(nil, uint32(36+2*n)))
	b.WriteString("WAVEfmt ")
	b.Write(le.AppendUint32(nil, 16))
	b.Write(le.AppendUint16(nil, 1)) // PCM
	b.Write(le.AppendUint16(nil, 1)) // mono
	b.Write(le.AppendUint32(nil, rate))
	b.Write(le.AppendUint32(nil, 2*rate))
	b.Write(le.AppendUint16(nil, 2))
	b.Write(le.AppendUint16(nil, 16))
	b.WriteString("data")
	b.Write(le.AppendUint32(nil, uint32(2*n)))
	for i := range n {
		s := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/rate))
		b.Write(le.AppendUint16(nil, uint16(s)))
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestFreePorts: the ports can be bound on every network asked for, and no
// port is handed out twice.
func TestFreePorts(t *testing.T) {
	seen := map[int]bool{}
	for range 20 {
		p := FreePorts(t, 2, "udp", "tcp")
		for _, port := range []int{p, p + 1} {
			if seen[port] {
				t.Fatalf("port %d handed out twice", port)
			}
			seen[port] = true
			for _, nw := range []string{"udp", "tcp"} {
				l, err := listenPort(nw, port)
				if err != nil {
					t.Fatalf("FreePorts gave %d, but %s %d: %v", p, nw, port, err)
				}
				l.close()
			}
		}
	}
	if p := FreePort(t, "udp"); p <= 0 || p > 65535 || seen[p] {
		t.Errorf("FreePort(udp) = %d", p)
	}
}

// fakeTB records how NeedTool ends a test, without ending this one.
type fakeTB struct {
	testing.TB
	how string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.how = "skip: " + fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.how = "fatal: " + fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestNeedTool: a missing program skips the test, except in CI where it
// fails it; a present one is found.
func TestNeedTool(t *testing.T) {
	const missing = "peertest-no-such-program"
	for _, tc := range []struct{ ci, want string }{{"", "skip: "}, {"false", "skip: "}, {"true", "fatal: "}} {
		t.Setenv("CI", tc.ci)
		f := &fakeTB{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			NeedTool(f, missing)
			f.how = "returned"
		}()
		<-done
		if !strings.HasPrefix(f.how, tc.want) || !strings.Contains(f.how, missing) {
			t.Errorf("CI=%q: NeedTool of a missing program: %q, want %s naming it", tc.ci, f.how, tc.want)
		}
	}
	if p := NeedTool(t, "go"); !filepath.IsAbs(p) {
		t.Errorf("NeedTool(go) = %q, want an absolute path", p)
	}
}
