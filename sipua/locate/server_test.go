package locate

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"
)

// zoneText is the zone the test server answers from. Names under extra.test
// have A records served only in the additional section of SRV answers.
const zoneText = `
naptr.test.           NAPTR 10 50 "s" "SIP+D2T"  "" _sip._tcp.naptr.test.
naptr.test.           NAPTR 10 10 "s" "SIP+D2U"  "" _sip._udp.naptr.test.
naptr.test.           NAPTR 20 10 "s" "SIPS+D2T" "" _sips._tcp.naptr.test.
naptr.test.           NAPTR 5  10 "s" "SIP+D2S"  "" _sip._sctp.naptr.test.
naptr.test.           NAPTR 5  10 "u" "E2U+sip"  "!^.*$!sip:x@example.org!" .
naptr.test.           A     192.0.2.9
_sip._udp.naptr.test. SRV   0 0 5060 a.naptr.test.
_sip._tcp.naptr.test. SRV   0 0 5070 b.naptr.test.
_sips._tcp.naptr.test. SRV  0 0 5061 b.naptr.test.
_sip._sctp.naptr.test. SRV  0 0 5060 a.naptr.test.
a.naptr.test.         A     192.0.2.1
a.naptr.test.         AAAA  2001:db8::1
b.naptr.test.         CNAME c.naptr.test.
c.naptr.test.         A     192.0.2.2

_sip._udp.srv.test.   SRV   0 0 0 .
_sip._tcp.srv.test.   SRV   10 60 5060 s1.srv.test.
_sip._tcp.srv.test.   SRV   10 30 5060 s2.srv.test.
_sip._tcp.srv.test.   SRV   10 10 5060 s3.srv.test.
_sip._tcp.srv.test.   SRV   20 0  5062 s4.srv.test.
_sip._tcp.srv.test.   SRV   5  0  5065 s0.srv.test.
s0.srv.test.          A     192.0.2.20
s1.srv.test.          A     192.0.2.21
s2.srv.test.          A     192.0.2.22
s3.srv.test.          A     192.0.2.23
s4.srv.test.          A     192.0.2.24

a.test.               A     192.0.2.10
a.test.               AAAA  2001:db8::10

_sip._udp.extra.test. SRV   0 0 5080 x.extra.test.

_sip._udp.noaddr.test. SRV  0 0 5060 gone.test.

loop1.test.           CNAME loop2.test.
loop2.test.           CNAME loop1.test.
`

// extraText holds records served only in additional sections.
const extraText = `
x.extra.test.         A     192.0.2.30
`

// testServer is a DNS server on 127.0.0.1 serving a fixed zone.
type testServer struct {
	addr    string
	zone    map[string][]dns.RR
	extra   map[string][]dns.RR
	queries atomic.Int64
	tcp     atomic.Int64 // queries over TCP
}

// parseRRs parses one record a line into a map by lower-case owner name.
func parseRRs(t testing.TB, text string) map[string][]dns.RR {
	m := make(map[string][]dns.RR)
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		rr, err := dns.NewRR(line)
		if err != nil {
			t.Fatalf("bad test record %q: %v", line, err)
		}
		name := strings.ToLower(rr.Header().Name)
		m[name] = append(m[name], rr)
	}
	return m
}

// startServer starts a DNS server for zone (and additional-only records)
// on a free UDP port of 127.0.0.1, stopped when the test ends.
func startServer(t testing.TB, zone, extra string) *testServer {
	t.Helper()
	s := &testServer{zone: parseRRs(t, zone), extra: parseRRs(t, extra)}
	// UDP and TCP on the same port, for answers truncated over UDP; the
	// TCP port may be taken by another process, so try a few.
	var pc net.PacketConn
	var ln net.Listener
	var err error
	for range 10 {
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		s.addr = pc.LocalAddr().String()
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		pc.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: s}, {Listener: ln, Handler: s}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
		t.Cleanup(func() { srv.Shutdown() })
	}
	return s
}

// ServeDNS answers with the zone's records of the asked name and type (or
// its CNAME), NXDOMAIN for a name the zone does not have, and the
// additional-only address records of SRV targets, truncated over UDP to the
// size the query allows.
func (s *testServer) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	s.queries.Add(1)
	if w.LocalAddr().Network() == "tcp" {
		s.tcp.Add(1)
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	rrs, ok := s.zone[name]
	if !ok && s.extra[name] == nil {
		m.Rcode = dns.RcodeNameError
	}
	for _, rr := range rrs {
		if rr.Header().Rrtype == q.Qtype || rr.Header().Rrtype == dns.TypeCNAME {
			m.Answer = append(m.Answer, rr)
		}
		if srv, ok := rr.(*dns.SRV); ok && q.Qtype == dns.TypeSRV {
			m.Extra = append(m.Extra, s.extra[strings.ToLower(srv.Target)]...)
		}
	}
	if w.LocalAddr().Network() == "udp" {
		size := dns.MinMsgSize
		if opt := req.IsEdns0(); opt != nil {
			size = int(opt.UDPSize())
		}
		m.Truncate(size)
	}
	w.WriteMsg(m)
}

// silentServer returns the address of a UDP socket on 127.0.0.1 that never
// answers.
func silentServer(t testing.TB) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}
