package sipua

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"intercom/internal/peertest"
)

// hostileUA starts a user agent on 127.0.0.1 whose log goes to a buffer.
func hostileUA(t *testing.T, cfg Config) (*UA, *peertest.Buffer) {
	t.Helper()
	logs := new(peertest.Buffer)
	cfg.Listen = "127.0.0.1:0"
	cfg.Account = Account{User: "door"}
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ua, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ua.Close)
	return ua, logs
}

// peer is a UDP socket on 127.0.0.1 that talks to the UA.
type peer struct {
	t    *testing.T
	c    *net.UDPConn
	port int
	buf  []byte
}

func newPeer(t *testing.T, to netip.AddrPort) *peer {
	t.Helper()
	c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, net.UDPAddrFromAddrPort(to))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &peer{t: t, c: c, port: c.LocalAddr().(*net.UDPAddr).Port, buf: make([]byte, 65536)}
}

func (p *peer) send(s string) {
	p.t.Helper()
	if _, err := p.c.Write([]byte(s)); err != nil {
		p.t.Fatal(err)
	}
}

// recv returns the next datagram, or "" after d.
func (p *peer) recv(d time.Duration) string {
	p.c.SetReadDeadline(time.Now().Add(d))
	n, err := p.c.Read(p.buf)
	if err != nil {
		return ""
	}
	return string(p.buf[:n])
}

// request is a request from the peer; extra header lines go before
// Content-Length.
func (p *peer) request(method, id, extra string) string {
	return method + " sip:door@127.0.0.1 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:" + strconv.Itoa(p.port) + ";branch=z9hG4bK" + id + "\r\n" +
		"From: <sip:x@127.0.0.1>;tag=" + id + "\r\nTo: <sip:door@127.0.0.1>\r\nCall-ID: " + id + "\r\n" +
		"CSeq: 1 " + method + "\r\nMax-Forwards: 70\r\n" + extra + "Content-Length: 0\r\n\r\n"
}

var statusLine = regexp.MustCompile(`^SIP/2\.0 (\d{3}) `)

func status(resp string) int {
	m := statusLine.FindStringSubmatch(resp)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestMalformedCountedAndWarnedOnce sends a burst of malformed requests,
// responses and ACKs: each request is answered 400 (505 for a version),
// the others dropped; all are counted; the log has one warning for the
// burst, not one each; and the UA still answers a valid request.
func TestMalformedCountedAndWarnedOnce(t *testing.T) {
	ua, logs := hostileUA(t, Config{})
	p := newPeer(t, ua.Addr().AddrPort)
	const burst = 50
	for i := range burst {
		id := fmt.Sprintf("bad%d", i)
		p.send(p.request("OPTIONS", id, "Max-Forwards: 70\r\n")) // a second Max-Forwards
		if got := status(p.recv(5 * time.Second)); got != 400 {
			t.Fatalf("malformed request %d answered %d, want 400", i, got)
		}
	}
	p.send(strings.Replace(p.request("OPTIONS", "vers", ""), "SIP/2.0\r\n", "SIP/3.0\r\n", 1))
	if got := status(p.recv(5 * time.Second)); got != 505 {
		t.Errorf("a request of SIP/3.0 answered %d, want 505", got)
	}
	// Dropped: a malformed response, a malformed ACK, garbage.
	p.send("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\nCSeq: one INVITE\r\n\r\n")
	p.send(strings.Replace(p.request("ACK", "badack", ""), "CSeq: 1 ACK", "CSeq: x ACK", 1))
	p.send("\x00\x01 garbage\r\n\r\n")
	p.send(p.request("OPTIONS", "good", ""))
	if resp := p.recv(5 * time.Second); status(resp) != 200 || !strings.Contains(resp, "Call-ID: good") {
		t.Fatalf("the valid OPTIONS after the burst: %q", resp)
	}
	st := ua.Stats()
	if st.MalformedAnswered != burst+1 || st.MalformedDropped != 3 {
		t.Errorf("stats %+v, want %d malformed answered and 3 dropped", st, burst+1)
	}
	if n := strings.Count(logs.String(), `"msg":"malformed SIP message"`); n != 1 {
		t.Errorf("%d warnings for a burst of %d malformed messages from one source, want 1:\n%s", n, burst+4, logs.String())
	}
}

// TestWarnLimiter: one warning a minute per source, the rest counted, and
// a bounded table of sources.
func TestWarnLimiter(t *testing.T) {
	var w warnLimiter
	t0 := time.Unix(1e9, 0)
	a := netip.MustParseAddr("192.0.2.1")
	if _, ok := w.allow(a, t0); !ok {
		t.Fatal("first warning suppressed")
	}
	for i := range 10 {
		if _, ok := w.allow(a, t0.Add(time.Duration(i)*time.Second)); ok {
			t.Fatalf("warning %d within the minute let through", i)
		}
	}
	if n, ok := w.allow(a, t0.Add(time.Minute)); !ok || n != 10 {
		t.Fatalf("a minute later: %v, %d suppressed; want let through, 10", ok, n)
	}
	for i := range 10 * maxWarnSources {
		w.allow(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), t0.Add(time.Minute))
	}
	if n := len(w.sources); n > maxWarnSources {
		t.Errorf("%d sources remembered, over the bound %d", n, maxWarnSources)
	}
}

// TestTransactionBound sets a small MaxTransactions and floods the UA
// with OPTIONS: past the bound each is answered 503 with Retry-After,
// statelessly, and counted; the table stays at the bound.
func TestTransactionBound(t *testing.T) {
	const bound = 20
	ua, logs := hostileUA(t, Config{MaxTransactions: bound})
	p := newPeer(t, ua.Addr().AddrPort)
	codes := map[int]int{}
	for i := range 3 * bound {
		p.send(p.request("OPTIONS", fmt.Sprintf("flood%d", i), ""))
		resp := p.recv(5 * time.Second)
		codes[status(resp)]++
		if status(resp) == 503 && !strings.Contains(resp, "\r\nRetry-After: ") {
			t.Fatalf("503 without Retry-After: %q", resp)
		}
	}
	if codes[200] != bound || codes[503] != 2*bound {
		t.Errorf("answers %v, want %d × 200 and %d × 503", codes, bound, 2*bound)
	}
	st := ua.Stats()
	if st.Overloaded != 2*bound || st.ServerTransactions != bound {
		t.Errorf("stats %+v, want %d overloaded and %d server transactions", st, 2*bound, bound)
	}
	if n := strings.Count(logs.String(), "too many transactions"); n != 1 {
		t.Errorf("%d overload warnings, want 1", n)
	}
}
