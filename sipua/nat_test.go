package sipua

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"intercom/sipua/transaction"
	"intercom/sipua/transport"
)

// TestNATAddressLearnt: the registrar sees the station at another address
// than it thinks it has (a NAT in between). The station registers again
// at once with the address the registrar saw in its Contact, so that calls
// through the registrar reach it, and uses it in Via and Contact towards
// the registrar from then on.
func TestNATAddressLearnt(t *testing.T) {
	reg := newRegistrar(t, "127.0.0.1:0", 0, 0)
	nat := netip.MustParseAddrPort("127.0.0.2:40123")
	reg.nat.Store(&nat)
	door := newTestUA(t, "door", func(c *Config) {
		c.Account = Account{User: "door", Domain: "door.test", Password: "secret"}
		c.OutboundProxy = "sip:" + reg.addr().AddrPort.String()
	})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go door.Run(ctx)
	door.expect(t, EventRegistered)
	reg.mu.Lock()
	contacts := append([]string(nil), reg.contacts...)
	reg.mu.Unlock()
	if n := len(contacts); n < 2 || !strings.Contains(contacts[n-1], nat.String()) || strings.Contains(contacts[0], nat.String()) {
		t.Errorf("contacts registered %q: want the local one, then %v", contacts, nat)
	}
	if got := door.contactFor(reg.addr()); got != "sip:door@"+nat.String() {
		t.Errorf("Contact towards the registrar %q, want the NAT address", got)
	}
	if got := door.contactFor(transport.Addr{Transport: "UDP", AddrPort: netip.MustParseAddrPort("192.168.1.20:5060")}); strings.Contains(got, nat.String()) {
		t.Errorf("Contact towards a LAN phone %q: want the LAN address", got)
	}
}

// TestKeepAlive: while registered, the registration pings its registrar
// every KeepAlive interval, and not after it ends.
func TestKeepAlive(t *testing.T) {
	reg := newRegistrar(t, "127.0.0.1:0", 0, 0)
	layer, local := station(t)
	r := NewRegistration(Account{User: "door", Domain: "door.test", Password: "secret"}, layer, reg.addr(), local, nil)
	var pings atomic.Int32
	r.keepAlive = 20 * time.Millisecond
	r.ping = func(to transport.Addr) {
		if to == reg.addr() {
			pings.Add(1)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	waitFor(t, "three keep-alives", func() bool { return pings.Load() >= 3 })
	cancel()
	<-done
	after := pings.Load()
	time.Sleep(100 * time.Millisecond)
	if pings.Load() != after {
		t.Error("keep-alives went on after the registration ended")
	}
}

// dnsZone serves SRV and A records for the tests on 127.0.0.1.
func dnsZone(t *testing.T, srv []*dns.SRV) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		name := q.Question[0].Name
		switch q.Question[0].Qtype {
		case dns.TypeSRV:
			for _, r := range srv {
				if r.Hdr.Name == name {
					m.Answer = append(m.Answer, r)
				}
			}
		case dns.TypeA:
			if strings.HasSuffix(name, ".fail.test.") {
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(127, 0, 0, 1)})
			}
		}
		_ = w.WriteMsg(m)
	})}
	go s.ActivateAndServe()
	t.Cleanup(func() { _ = s.Shutdown() })
	return pc.LocalAddr().String()
}

func srvRecord(prio uint16, target string, port int) *dns.SRV {
	return &dns.SRV{Hdr: dns.RR_Header{Name: "_sip._udp.fail.test.", Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: 60},
		Priority: prio, Weight: 10, Port: uint16(port), Target: target}
}

// TestRegistrarFailover: the domain's SRV records name three registrars.
// The first does not answer, the second answers 503; the station registers
// at the third (RFC 3263 §4.3).
func TestRegistrarFailover(t *testing.T) {
	silent := newRawPeer(t) // reads nothing, answers nothing
	busy := newRegistrar(t, "127.0.0.1:0", 0, 0)
	busy.unavailable.Store(true)
	good := newRegistrar(t, "127.0.0.1:0", 0, 0)
	server := dnsZone(t, []*dns.SRV{
		srvRecord(10, "a.fail.test.", silent.port()),
		srvRecord(20, "b.fail.test.", int(busy.addr().AddrPort.Port())),
		srvRecord(30, "c.fail.test.", int(good.addr().AddrPort.Port())),
	})
	door := newTestUA(t, "door", func(c *Config) {
		c.Account = Account{User: "door", Domain: "fail.test", Password: "secret"}
		c.DNSServers = []string{server}
		c.Timers = transaction.Timers{T1: 10 * time.Millisecond} // the silent one times out in 640 ms
	})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go door.Run(ctx)
	door.expect(t, EventRegistered)
	busy.mu.Lock()
	tried := busy.seen
	busy.mu.Unlock()
	if tried == 0 || len(good.accepted()) == 0 {
		t.Errorf("REGISTERs: %d at the busy one, %d accepted by the good one; want both tried", tried, len(good.accepted()))
	}
}
