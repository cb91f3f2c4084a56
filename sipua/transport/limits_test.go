package transport

import (
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"intercom/sipua/message"
)

// closedWithin reads nc until it is closed by the peer (EOF or reset),
// at most d; it reports whether it was.
func closedWithin(nc net.Conn, d time.Duration) bool {
	nc.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 512)
	for range 1000 {
		if _, err := nc.Read(buf); err != nil {
			var ne net.Error
			return !(errors.As(err, &ne) && ne.Timeout())
		}
	}
	return false
}

// noMessage checks that nothing was handed to the handler.
func noMessage(t *testing.T, ch chan got) {
	t.Helper()
	select {
	case g := <-ch:
		t.Errorf("handler called: %+v", g)
	default:
	}
}

func wantParseError(t *testing.T, g got, status int, callID string) {
	t.Helper()
	var pe *message.ParseError
	if !errors.As(g.err, &pe) || pe.Status != status || g.callID != callID {
		t.Errorf("got %+v (err %v), want a %d ParseError with Call-ID %q", g, g.err, status, callID)
	}
}

// TestOversizedDatagram: a datagram over MaxMessageSize is refused 513,
// with its head read so that the 513 can be addressed.
func TestOversizedDatagram(t *testing.T) {
	server, in := listen(t, Config{UDP: "127.0.0.1:0", Limits: message.Limits{MaxMessageSize: 4096}})
	sAddr, _ := server.LocalAddr("UDP")
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(sAddr.AddrPort))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := strings.Repeat("x", 60000)
	msg := strings.Replace(string(options("big")), "Content-Length: 0", "Content-Length: 60000", 1) + body
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	wantParseError(t, receive(t, in), 513, "big")
	// The reader goes on.
	if _, err := c.Write(options("after")); err != nil {
		t.Fatal(err)
	}
	if g := receive(t, in); g.err != nil || g.callID != "after" {
		t.Errorf("after the big datagram: %+v", g)
	}
}

// TestHeaderLimits: too many header fields, or one too long, are refused
// 513 with the fields read before kept; on TCP the connection is closed.
func TestHeaderLimits(t *testing.T) {
	server, in := listen(t, Config{UDP: "127.0.0.1:0", TCP: "127.0.0.1:0"})
	uAddr, _ := server.LocalAddr("UDP")
	tAddr, _ := server.LocalAddr("TCP")
	many := strings.Replace(string(options("many")), "Content-Length", strings.Repeat("X-Pad: 1\r\n", 200)+"Content-Length", 1)
	long := strings.Replace(string(options("long")), "Content-Length", "X-Pad: "+strings.Repeat("y", 20000)+"\r\nContent-Length", 1)
	for _, tt := range []struct{ name, msg, callID string }{{"200 header fields", many, "many"}, {"a 20000-byte header field", long, "long"}} {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(uAddr.AddrPort))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte(tt.msg)); err != nil {
			t.Fatal(err)
		}
		c.Close()
		g := receive(t, in)
		t.Logf("UDP %s: %v", tt.name, g.err)
		wantParseError(t, g, 513, tt.callID)

		nc, err := net.Dial("tcp", tAddr.AddrPort.String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nc.Write([]byte(tt.msg)); err != nil {
			t.Fatal(err)
		}
		wantParseError(t, receive(t, in), 513, tt.callID)
		if !closedWithin(nc, 5*time.Second) {
			t.Errorf("TCP %s: connection kept open", tt.name)
		}
		nc.Close()
	}
}

// TestContentLengthLies: on TCP, a Content-Length longer than what is
// sent leaves the message unfinished until the message timeout closes
// the connection (the idle timeout is far away); one shorter leaves
// garbage, refused at its first line, and the connection is closed.
func TestContentLengthLies(t *testing.T) {
	server, in := listen(t, Config{TCP: "127.0.0.1:0", IdleTimeout: time.Hour, MessageTimeout: 300 * time.Millisecond})
	sAddr, _ := server.LocalAddr("TCP")

	longer, err := net.Dial("tcp", sAddr.AddrPort.String())
	if err != nil {
		t.Fatal(err)
	}
	defer longer.Close()
	msg := strings.Replace(string(options("longer")), "Content-Length: 0", "Content-Length: 1000", 1) + "only this"
	if _, err := longer.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if !closedWithin(longer, 10*time.Second) {
		t.Error("a message shorter than its Content-Length kept the connection open")
	}
	noMessage(t, in)

	server2, in2 := listen(t, Config{TCP: "127.0.0.1:0", IdleTimeout: time.Hour, MessageTimeout: time.Hour})
	s2Addr, _ := server2.LocalAddr("TCP")
	shorter, err := net.Dial("tcp", s2Addr.AddrPort.String())
	if err != nil {
		t.Fatal(err)
	}
	defer shorter.Close()
	msg = strings.Replace(string(options("shorter")), "Content-Length: 0", "Content-Length: 4", 1) + "abcd and then some garbage\r\n"
	if _, err := shorter.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if g := receive(t, in2); g.err != nil || g.callID != "shorter" {
		t.Errorf("the message before the garbage: %+v", g)
	}
	g := receive(t, in2)
	var pe *message.ParseError
	if !errors.As(g.err, &pe) || pe.Status != 400 {
		t.Errorf("garbage after the body: %+v, want a 400 ParseError", g)
	}
	// Closed at once: both timeouts are an hour away.
	if !closedWithin(shorter, 10*time.Second) {
		t.Error("garbage after a message kept the connection open")
	}
}

// TestSlowLoris: a peer that sends a message a byte at a time, each byte
// well within the idle timeout, is cut off by the message timeout before
// the message is whole.
func TestSlowLoris(t *testing.T) {
	server, in := listen(t, Config{TCP: "127.0.0.1:0", IdleTimeout: time.Hour, MessageTimeout: 500 * time.Millisecond})
	sAddr, _ := server.LocalAddr("TCP")
	nc, err := net.Dial("tcp", sAddr.AddrPort.String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	msg := options("slow")
	cut := false
	for i := 0; i < len(msg) && !cut; i++ { // at most len(msg) * 30 ms
		if _, err := nc.Write(msg[i : i+1]); err != nil {
			cut = true
			break
		}
		cut = closedWithin(nc, 30*time.Millisecond)
	}
	if !cut {
		t.Fatalf("a %d-byte message sent a byte every 30 ms was read whole", len(msg))
	}
	noMessage(t, in)
	if n := server.Conns(); n > 1 {
		t.Errorf("%d connections open", n)
	}
}

// TestConnectionFlood opens 1000 connections at a transport with MaxConns
// 16 and keeps them open: those past the bound are closed at once, and
// the transport's goroutines and heap stay bounded. It logs the figures.
func TestConnectionFlood(t *testing.T) {
	const maxConns, attempts = 16, 1000
	runtime.GC()
	var before, during, after runtime.MemStats
	runtime.ReadMemStats(&before)
	gBefore := runtime.NumGoroutine()

	server, in := listen(t, Config{TCP: "127.0.0.1:0", MaxConns: maxConns})
	sAddr, _ := server.LocalAddr("TCP")
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range attempts {
		nc, err := net.Dial("tcp", sAddr.AddrPort.String())
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		conns = append(conns, nc)
		if n := server.Conns(); n > maxConns {
			t.Fatalf("after %d connections the transport holds %d, over MaxConns %d", i+1, n, maxConns)
		}
	}
	// Every connection past the bound is closed by the transport; the
	// first ones are kept (their reads time out).
	closed := 0
	for _, c := range conns[maxConns:] {
		if closedWithin(c, 5*time.Second) {
			closed++
		}
	}
	if closed != attempts-maxConns {
		t.Errorf("%d of the %d connections past MaxConns closed", closed, attempts-maxConns)
	}
	// The connections kept still work.
	if _, err := conns[0].Write(options("kept")); err != nil {
		t.Fatal(err)
	}
	if g := receive(t, in); g.err != nil || g.callID != "kept" {
		t.Errorf("a kept connection: %+v", g)
	}
	runtime.GC()
	runtime.ReadMemStats(&during)
	gDuring := runtime.NumGoroutine()
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	for i := 0; server.Conns() > 0; i++ {
		if i == 100 {
			t.Fatalf("%d connections still open 5 s after the peers closed them", server.Conns())
		}
		time.Sleep(50 * time.Millisecond)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	gAfter := runtime.NumGoroutine()
	t.Logf("%d connection attempts, MaxConns %d: goroutines %d before, %d with the flood open, %d after; heap %.2f MiB before, %.2f MiB during, %.2f MiB after",
		attempts, maxConns, gBefore, gDuring, gAfter, mib(before.HeapAlloc), mib(during.HeapAlloc), mib(after.HeapAlloc))
	// A reader per connection kept, the accept loop, and the test's own.
	if gDuring > gBefore+maxConns+10 {
		t.Errorf("goroutines grew from %d to %d with %d connections kept", gBefore, gDuring, maxConns)
	}
	if during.HeapAlloc > before.HeapAlloc+8<<20 {
		t.Errorf("heap grew by %.1f MiB", mib(during.HeapAlloc-before.HeapAlloc))
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
