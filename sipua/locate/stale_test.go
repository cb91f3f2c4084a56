package locate

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// flakyServer is a DNS server on 127.0.0.1 that answers from a zone until
// it is told to go silent, as a DNS server that went down does.
type flakyServer struct {
	addr   string
	zone   map[string][]dns.RR
	silent atomic.Bool
	asked  atomic.Int64
}

func startFlakyServer(t *testing.T, zone string) *flakyServer {
	t.Helper()
	s := &flakyServer{zone: parseRRs(t, zone)}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = pc.LocalAddr().String()
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		s.asked.Add(1)
		if s.silent.Load() {
			return
		}
		m := new(dns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		rrs, ok := s.zone[strings.ToLower(q.Name)]
		if !ok {
			m.Rcode = dns.RcodeNameError
		}
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
		_ = w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return s
}

const flakyZone = `
_sip._udp.pbx.test. SRV 10 10 5070 reg.pbx.test.
reg.pbx.test.       A   192.0.2.50
`

// TestStaleWhileDNSDown: targets found while DNS answered are returned
// again while it is silent, and DNS is still asked each time; a name DNS
// never resolved, or a resolver that keeps nothing, fails as before.
func TestStaleWhileDNSDown(t *testing.T) {
	s := startFlakyServer(t, flakyZone)
	hosts := t.TempDir() + "/hosts"
	newResolver := func(staleFor time.Duration) *Resolver {
		r, err := New(Config{Servers: []string{s.addr}, Timeout: 200 * time.Millisecond, HostsFile: hosts, StaleFor: staleFor})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, none := newResolver(0), newResolver(-1)
	uri := mustURI(t, "sip:pbx.test")
	fresh, err := r.Lookup(ctx, uri)
	if err != nil || len(fresh) != 1 || fresh[0].Addr.String() != "192.0.2.50:5070" {
		t.Fatalf("with DNS up: %v, %v", fresh, err)
	}
	if _, err := none.Lookup(ctx, uri); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Lookup(ctx, mustURI(t, "sip:nowhere.test")); !errors.Is(err, ErrNoService) {
		t.Fatalf("unknown name: %v, want ErrNoService", err)
	}

	s.silent.Store(true)
	before := s.asked.Load()
	stale, err := r.Lookup(ctx, uri)
	if err != nil || !slices.Equal(stale, fresh) {
		t.Errorf("with DNS down: %v, %v; want the targets found before, %v", stale, err, fresh)
	}
	if s.asked.Load() == before {
		t.Error("DNS was not asked again before the stale targets were used")
	}
	if got, err := r.Lookup(ctx, mustURI(t, "sip:nowhere.test")); err == nil {
		t.Errorf("a name never resolved gave %v with DNS down", got)
	}
	if got, err := r.Lookup(ctx, mustURI(t, "sip:pbx.test;transport=tcp")); err == nil {
		t.Errorf("another transport of the URI gave %v with DNS down", got)
	}
	if got, err := none.Lookup(ctx, uri); err == nil {
		t.Errorf("StaleFor < 0 kept %v", got)
	}

	s.silent.Store(false)
	if got, err := r.Lookup(ctx, uri); err != nil || !slices.Equal(got, fresh) {
		t.Errorf("with DNS back: %v, %v", got, err)
	}
}

// TestStaleExpires: targets older than StaleFor are not used.
func TestStaleExpires(t *testing.T) {
	s := startFlakyServer(t, flakyZone)
	r, err := New(Config{Servers: []string{s.addr}, Timeout: 200 * time.Millisecond, HostsFile: t.TempDir() + "/hosts",
		StaleFor: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := r.Lookup(ctx, mustURI(t, "sip:pbx.test")); err != nil {
		t.Fatal(err)
	}
	s.silent.Store(true)
	time.Sleep(time.Millisecond)
	if got, err := r.Lookup(ctx, mustURI(t, "sip:pbx.test")); err == nil {
		t.Errorf("expired targets %v used", got)
	}
}

// TestStaleBounded: the resolver keeps the targets of at most maxStale
// URIs.
func TestStaleBounded(t *testing.T) {
	r := &Resolver{staleFor: time.Hour}
	for i := range maxStale * 2 {
		r.keep(strings.Repeat("x", i+1), []Target{{Transport: UDP}})
	}
	if n := len(r.stale); n != maxStale {
		t.Errorf("%d URIs kept, want %d", n, maxStale)
	}
}
