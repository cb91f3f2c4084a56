package transport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"intercom/sipua/message"
)

// got is one message a test transport received.
type got struct {
	from     Addr
	callID   string
	received string // the top Via's received parameter
	err      error
}

// listen starts a transport on 127.0.0.1 that reports what it reads on a
// channel, and closes it when the test ends.
func listen(t *testing.T, cfg Config) (*Transport, chan got) {
	t.Helper()
	ch := make(chan got, 16)
	tr, err := Listen(cfg, func(m *message.Message, from Addr, err error) {
		via, _ := m.Via()
		ch <- got{from, string(m.CallID()), string(via.Received()), err}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr, ch
}

// receive waits, at most 5 s, for the next message.
func receive(t *testing.T, ch chan got) got {
	t.Helper()
	select {
	case g := <-ch:
		return g
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received within 5 s")
		return got{}
	}
}

func options(callID string) []byte {
	return []byte("OPTIONS sip:door@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP door.invalid;branch=z9hG4bK" + callID +
		"\r\nMax-Forwards: 70\r\nTo: <sip:door@127.0.0.1>\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\nCall-ID: " + callID +
		"\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
}

func TestUDP(t *testing.T) {
	a, aIn := listen(t, Config{UDP: "127.0.0.1:0"})
	b, bIn := listen(t, Config{UDP: "127.0.0.1:0"})
	aAddr, _ := a.LocalAddr("UDP")
	bAddr, _ := b.LocalAddr("UDP")
	if err := a.Send(bAddr, options("u1")); err != nil {
		t.Fatal(err)
	}
	g := receive(t, bIn)
	if g.err != nil || g.callID != "u1" || g.from != aAddr {
		t.Fatalf("b got %+v, want u1 from %v", g, aAddr)
	}
	if g.received != "127.0.0.1" { // the Via's sent-by is a name, not the source IP
		t.Errorf("top Via received=%q, want 127.0.0.1", g.received)
	}
	if err := b.Send(g.from, options("u2")); err != nil { // answer to the source
		t.Fatal(err)
	}
	if g := receive(t, aIn); g.callID != "u2" {
		t.Fatalf("a got %+v", g)
	}
	// Keep-alives are skipped; a malformed datagram is reported with its error.
	if err := a.Send(bAddr, []byte("\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := a.Send(bAddr, []byte("OPTIONS sip:x SIP/2.0\r\nCall-ID: bad\r\nbroken\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	g = receive(t, bIn)
	var pe *message.ParseError
	if !errors.As(g.err, &pe) || pe.Status != 400 || g.callID != "bad" {
		t.Errorf("malformed datagram: %+v, want a 400 ParseError with the Call-ID read", g)
	}
	if err := a.Send(Addr{Transport: "TCP", AddrPort: bAddr.AddrPort}, nil); err == nil {
		t.Error("TCP send without a TCP peer listening succeeded")
	}
}

func TestTCPReuseAndKeepAlive(t *testing.T) {
	server, serverIn := listen(t, Config{TCP: "127.0.0.1:0"})
	client, clientIn := listen(t, Config{}) // no listener: it only dials
	sAddr, _ := server.LocalAddr("TCP")
	for i, id := range []string{"t1", "t2"} {
		if err := client.Send(sAddr, options(id)); err != nil {
			t.Fatal(err)
		}
		g := receive(t, serverIn)
		if g.err != nil || g.callID != id {
			t.Fatalf("server got %+v", g)
		}
		// The answer goes back over the same connection.
		if err := server.Send(g.from, options(id+"-back")); err != nil {
			t.Fatal(err)
		}
		if g := receive(t, clientIn); g.callID != id+"-back" || g.from != sAddr {
			t.Fatalf("client got %+v", g)
		}
		if client.Conns() != 1 || server.Conns() != 1 {
			t.Fatalf("after message %d: %d and %d connections, want 1 each", i+1, client.Conns(), server.Conns())
		}
	}
	// A CRLFCRLF ping on the connection is answered with a CRLF pong.
	nc, err := net.Dial("tcp", sAddr.AddrPort.String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc.Write([]byte("\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	pong := make([]byte, 2)
	if _, err := io.ReadFull(nc, pong); err != nil || string(pong) != "\r\n" {
		t.Errorf("pong %q, %v", pong, err)
	}
	// A framing error is reported and the connection closed.
	if _, err := nc.Write([]byte("OPTIONS sip:x SIP/2.0\r\nCall-ID: lie\r\nContent-Length: -5\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if g := receive(t, serverIn); g.err == nil || g.callID != "lie" {
		t.Errorf("framing error: %+v", g)
	}
	if n, err := nc.Read(pong); err == nil {
		t.Errorf("connection still open after a framing error: read %d bytes", n)
	}
}

func TestLimits(t *testing.T) {
	server, _ := listen(t, Config{TCP: "127.0.0.1:0", MaxConns: 2, IdleTimeout: 300 * time.Millisecond})
	sAddr, _ := server.LocalAddr("TCP")
	var conns []net.Conn
	for range 3 {
		nc, err := net.Dial("tcp", sAddr.AddrPort.String())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		conns = append(conns, nc)
	}
	// The third connection is refused: the server closes it.
	conns[2].SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conns[2].Read(make([]byte, 1)); err == nil {
		t.Error("a connection over MaxConns was kept")
	}
	// Idle connections are closed; wait for it, bounded.
	for i := 0; server.Conns() > 0; i++ {
		if i == 100 {
			t.Fatalf("%d idle connections still open after 5 s", server.Conns())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	server, serverIn := listen(t, Config{TLS: "127.0.0.1:0", TLSServer: &tls.Config{Certificates: []tls.Certificate{cert}}})
	sAddr, _ := server.LocalAddr("TLS")

	trusting, _ := listen(t, Config{TLSClient: &tls.Config{RootCAs: pool, ServerName: "door.test"}})
	if err := trusting.Send(sAddr, options("tls1")); err != nil {
		t.Fatal(err)
	}
	if g := receive(t, serverIn); g.callID != "tls1" || g.from.Transport != "TLS" {
		t.Errorf("server got %+v", g)
	}
	untrusting, _ := listen(t, Config{TLSClient: &tls.Config{ServerName: "door.test"}})
	if err := untrusting.Send(sAddr, options("tls2")); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("send with an unknown CA: %v, want a certificate error", err)
	}
	// A per-target server name (from RFC 3263 location) overrides the
	// configured one: the wrong name fails, the right one is verified.
	named, _ := listen(t, Config{TLSClient: &tls.Config{RootCAs: pool}})
	if err := named.Connect(sAddr, "other.test"); err == nil {
		t.Error("connected to door.test verifying other.test")
	}
	if err := named.Connect(sAddr, "door.test"); err != nil {
		t.Fatal(err)
	}
	if err := named.Send(sAddr, options("tls3")); err != nil || named.Conns() != 1 {
		t.Fatalf("send over the connected TLS: %v (%d conns)", err, named.Conns())
	}
	if g := receive(t, serverIn); g.callID != "tls3" {
		t.Errorf("server got %+v", g)
	}
	// Without a certificate a TLS transport only connects out; it names
	// the configured address (port 0: 5061) and gets answers over its own
	// connection.
	client, clientIn := listen(t, Config{TLS: "127.0.0.1:0", TLSClient: &tls.Config{RootCAs: pool, ServerName: "door.test"}})
	if a, ok := client.LocalAddr("TLS"); !ok || a.AddrPort.String() != "127.0.0.1:5061" {
		t.Errorf("outbound-only TLS LocalAddr = %v, %v; want 127.0.0.1:5061", a, ok)
	}
	if err := client.Send(sAddr, options("tls4")); err != nil {
		t.Fatal(err)
	}
	g := receive(t, serverIn)
	if err := server.Send(g.from, options("tls4-back")); err != nil {
		t.Fatal(err)
	}
	if g := receive(t, clientIn); g.callID != "tls4-back" {
		t.Errorf("outbound-only TLS client got %+v", g)
	}
	if _, err := Listen(Config{TLS: "door.test:5061"}, nil); err == nil {
		t.Error("an outbound-only TLS transport took a host name for its address")
	}
}

// selfSigned makes a certificate for door.test and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "door.test"},
		DNSNames:              []string{"door.test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(parsed)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func TestAddr(t *testing.T) {
	a := Addr{Transport: "UDP", AddrPort: netip.MustParseAddrPort("[2001:db8::1]:5060")}
	if a.Reliable() || a.String() != "UDP [2001:db8::1]:5060" {
		t.Errorf("%v reliable %v", a, a.Reliable())
	}
	if !(Addr{Transport: "TLS"}).Reliable() {
		t.Error("TLS not reliable")
	}
}

func TestIPv6(t *testing.T) {
	a, _ := listen(t, Config{UDP: "[::1]:0", TCP: "[::1]:0"})
	b, bIn := listen(t, Config{UDP: "[::1]:0"})
	bAddr, _ := b.LocalAddr("UDP")
	aTCP, _ := a.LocalAddr("TCP")
	if !bAddr.AddrPort.Addr().Is6() || !aTCP.AddrPort.Addr().Is6() {
		t.Fatalf("addresses %v %v", bAddr, aTCP)
	}
	if err := a.Send(bAddr, options("v6")); err != nil {
		t.Fatal(err)
	}
	if g := receive(t, bIn); g.callID != "v6" || !g.from.AddrPort.Addr().Is6() {
		t.Errorf("got %+v", g)
	}
}
