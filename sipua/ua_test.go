package sipua

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"
)

// fakeMedia is a media session for tests of signalling: it offers and
// answers fixed bodies and records what it was given.
type fakeMedia struct {
	mu       sync.Mutex
	offers   int
	answered [][]byte // offers it answered
	accepted [][]byte // answers it took
	refuse   bool     // answer nothing: 488
	closed   int      // times closed
}

// Close records that the media was closed (the call ended, or its offer
// was refused).
func (m *fakeMedia) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed++
	return nil
}

const testSDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"

func (m *fakeMedia) Offer() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.offers++
	return []byte(testSDP), nil
}

func (m *fakeMedia) Answer(offer []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.refuse {
		return nil, fmt.Errorf("no common codec")
	}
	m.answered = append(m.answered, append([]byte(nil), offer...))
	return []byte(testSDP), nil
}

func (m *fakeMedia) Accept(answer []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(answer) == 0 {
		return fmt.Errorf("empty answer")
	}
	m.accepted = append(m.accepted, append([]byte(nil), answer...))
	return nil
}

// testUA is a user agent on 127.0.0.1 with what it saw.
type testUA struct {
	*UA
	media  fakeMedia
	events chan Event
}

// newTestUA starts a UA for user on 127.0.0.1 with an ephemeral port; tune
// changes its config before it starts.
func newTestUA(t *testing.T, user string, tune func(*Config)) *testUA {
	t.Helper()
	tu := &testUA{events: make(chan Event, 64)}
	cfg := Config{
		Listen:  "127.0.0.1:0",
		Account: Account{User: user},
		OnEvent: func(e Event) {
			select {
			case tu.events <- e:
			default:
				t.Errorf("%s: event %s dropped", user, e.Name)
			}
		},
		NewMedia: func(*Call) (Media, error) { return &tu.media, nil },
		Logger:   slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if tune != nil {
		tune(&cfg)
	}
	ua, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tu.UA = ua
	t.Cleanup(ua.Close)
	return tu
}

func (tu *testUA) uri() string {
	return "sip:" + tu.cfg.Account.User + "@" + tu.Addr().AddrPort.String()
}

// expect waits up to 10 s for the named event and returns it; events of
// other names are skipped.
func (tu *testUA) expect(t *testing.T, name string) Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-tu.events:
			if e.Name == name {
				return e
			}
		case <-timeout:
			t.Fatalf("%s: no %s event within 10 s", tu.cfg.Account.User, name)
		}
	}
}

// answering makes a UA answer every call.
func answering(c *Config) { c.OnIncoming = func(call *Call) { _ = call.Answer() } }

func waitDone(t *testing.T, c *Call) Summary {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("call %s did not end within 10 s (state %v)", c.CallID(), c.State())
	}
	return c.Summary()
}

func TestCallAnsweredAndHungUp(t *testing.T) {
	a := newTestUA(t, "door", nil)
	b := newTestUA(t, "flat", answering)
	call, err := a.Dial(context.Background(), b.uri(), DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a.expect(t, EventCallRinging)
	a.expect(t, EventCallAnswered)
	in := b.expect(t, EventCallAnswered).Call
	if call.State() != CallAnswered || in.State() != CallAnswered {
		t.Fatalf("states %v and %v", call.State(), in.State())
	}
	// The ACK reached the callee: its 2xx retransmissions stopped.
	waitFor(t, "ACK received", func() bool { in.mu.Lock(); defer in.mu.Unlock(); return in.ok == nil })
	if n := len(a.media.accepted); n != 1 {
		t.Errorf("caller took %d answers, want 1", n)
	}
	if n := len(b.media.answered); n != 1 {
		t.Errorf("callee answered %d offers, want 1", n)
	}
	call.Hangup()
	if s := waitDone(t, in); s.Reason != "remote hangup" || !s.Answered {
		t.Errorf("callee: %+v", s)
	}
	if s := waitDone(t, call); s.Reason != "local hangup" || !s.Answered || s.Setup <= 0 {
		t.Errorf("caller: %+v", s)
	}
}

func TestCallRejected(t *testing.T) {
	a := newTestUA(t, "door", nil)
	b := newTestUA(t, "flat", func(c *Config) { c.OnIncoming = func(call *Call) { _ = call.Reject(486) } })
	call, err := a.Dial(context.Background(), b.uri(), DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := waitDone(t, call); s.Code != 486 || s.Answered {
		t.Errorf("caller: %+v, want ended by 486", s)
	}
	if e := b.expect(t, EventCallEnded); e.Code != 486 {
		t.Errorf("callee ended with %d", e.Code)
	}
}

func TestCallCancelled(t *testing.T) {
	a := newTestUA(t, "door", nil)
	b := newTestUA(t, "flat", func(c *Config) { c.OnIncoming = func(*Call) {} }) // rings forever
	call, err := a.Dial(context.Background(), b.uri(), DialOptions{RingTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if s := waitDone(t, call); s.Code != 487 || s.Reason != "ring timeout" {
		t.Errorf("caller: %+v, want 487 after the ring timeout", s)
	}
	if e := b.expect(t, EventCallEnded); e.Code != 487 || e.Reason != "cancelled by the caller" {
		t.Errorf("callee: %+v", e)
	}
}

func TestBusyAndPolicy(t *testing.T) {
	a := newTestUA(t, "door", func(c *Config) { c.MaxCalls = 2 })
	b := newTestUA(t, "flat", func(c *Config) {
		answering(c)
		c.Policy = func(call *Call) int {
			if call.Remote() == "sip:stranger@127.0.0.1" {
				return 403
			}
			return 0
		}
	})
	first, err := a.Dial(context.Background(), b.uri(), DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	<-first.Answered()
	second, err := a.Dial(context.Background(), b.uri(), DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := waitDone(t, second); s.Code != 486 {
		t.Errorf("second call: %+v, want 486 Busy Here", s)
	}
	first.Hangup()
	waitDone(t, first)
	b.expect(t, EventCallEnded)

	s := newTestUA(t, "stranger", nil) // no domain: From is sip:stranger@127.0.0.1
	call, err := s.Dial(context.Background(), b.uri(), DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum := waitDone(t, call); sum.Code != 403 {
		t.Errorf("stranger's call: %+v, want 403", sum)
	}
}

// TestReinvite: the station puts a call on hold with a re-INVITE it sends
// (the media session makes the new offer) and the peer answers it.
func TestReinvite(t *testing.T) {
	a := newTestUA(t, "door", nil)
	b := newTestUA(t, "flat", answering)
	call, err := a.Dial(context.Background(), b.uri(), DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	<-call.Answered()
	in := b.expect(t, EventCallAnswered).Call
	waitFor(t, "ACK received", func() bool { in.mu.Lock(); defer in.mu.Unlock(); return in.ok == nil })
	code, err := call.Reinvite()
	if err != nil || code != 200 {
		t.Fatalf("re-INVITE: %d %v", code, err)
	}
	b.media.mu.Lock()
	offers := len(b.media.answered)
	b.media.mu.Unlock()
	a.media.mu.Lock()
	answers := len(a.media.accepted)
	a.media.mu.Unlock()
	if offers != 2 || answers != 2 {
		t.Errorf("callee answered %d offers, caller took %d answers; want 2 each", offers, answers)
	}
	waitFor(t, "ACK to the re-INVITE", func() bool { in.mu.Lock(); defer in.mu.Unlock(); return in.ok == nil })
	call.Hangup()
	waitDone(t, in)
}

// TestCallTransports: calls over TCP, over TLS (each side verifying the
// other's certificate) and over IPv6.
func TestCallTransports(t *testing.T) {
	cert, roots := testCertificate(t)
	tlsCfg := func(c *Config) {
		c.Transport = "tls"
		c.TLSServer = &tls.Config{Certificates: []tls.Certificate{cert}}
		c.TLSClient = &tls.Config{RootCAs: roots}
	}
	for _, tc := range []struct {
		name string
		tune func(*Config)
		uri  func(*testUA) string
	}{
		{"tcp", func(c *Config) { c.Transport = "tcp" }, func(u *testUA) string { return u.uri() + ";transport=tcp" }},
		{"tls", tlsCfg, func(u *testUA) string { return u.uri() + ";transport=tls" }},
		{"ipv6", func(c *Config) { c.Listen = "[::1]:0" }, func(u *testUA) string { return u.uri() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestUA(t, "door", tc.tune)
			b := newTestUA(t, "flat", both(answering, tc.tune))
			call, err := a.Dial(context.Background(), tc.uri(b), DialOptions{})
			if err != nil {
				t.Fatal(err)
			}
			in := b.expect(t, EventCallAnswered).Call
			<-call.Answered()
			in.Hangup() // the BYE goes the other way, to the caller's Contact
			if s := waitDone(t, call); s.Reason != "remote hangup" {
				t.Errorf("caller: %+v", s)
			}
		})
	}
}

// testCertificate makes a certificate for 127.0.0.1 and a pool that trusts
// it.
func testCertificate(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "door.test"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// TestInboundAuth: a station that challenges its callers answers only a
// caller that proves a known user's password, and tells the policy who
// it is; the wrong password gets the call refused with 401.
func TestInboundAuth(t *testing.T) {
	var seen []string
	var mu sync.Mutex
	b := newTestUA(t, "door", func(c *Config) {
		answering(c)
		c.InboundAuth = func(user string) (string, bool) { return "flat-secret", user == "flat" }
		c.Policy = func(call *Call) int {
			mu.Lock()
			seen = append(seen, call.AuthUser())
			mu.Unlock()
			return 0
		}
	})
	good := newTestUA(t, "flat", func(c *Config) { c.Account.Password = "flat-secret" })
	call, err := good.Dial(context.Background(), b.uri(), DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	<-call.Answered()
	call.Hangup()
	waitDone(t, call)

	bad := newTestUA(t, "flat", func(c *Config) { c.Account.Password = "guess" })
	call, err = bad.Dial(context.Background(), b.uri(), DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := waitDone(t, call); s.Code != 401 || s.Answered {
		t.Errorf("wrong password: %+v, want refused 401", s)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0] != "flat" {
		t.Errorf("policy saw callers %q, want only the authenticated flat", seen)
	}
}

// TestNoCancelAfterAnswer: ending the Dial context once the call is up
// (as a ring timer released when the call is answered does, racing the
// dialer's own reading of the 2xx) must not send a CANCEL.
func TestNoCancelAfterAnswer(t *testing.T) {
	a := newTestUA(t, "door", nil)
	c := newCall(a.UA, true, "x@intercom", "sip:flat@127.0.0.1")
	c.state, c.provisional, c.got2xx = CallAnswered, true, true
	c.mu.Lock()
	c.cancel("cancelled") // unlocks
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancelSent || c.cancelReason != "" {
		t.Errorf("an answered call was cancelled (sent %v, reason %q)", c.cancelSent, c.cancelReason)
	}
}
