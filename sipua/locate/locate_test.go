package locate

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"intercom/sipua/message"
)

func mustURI(t testing.TB, s string) *message.URI {
	t.Helper()
	u, err := message.ParseURI([]byte(s))
	if err != nil {
		t.Fatalf("ParseURI(%q): %v", s, err)
	}
	return &u
}

// testConfig returns a Config that asks only server and reads an empty
// hosts file, with a fixed random seed.
func testConfig(t testing.TB, server string) Config {
	hosts := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(hosts, []byte("192.0.2.77 pbx.lan # pinned\n::1 ip6-localhost\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return Config{
		Transports: []Transport{UDP, TCP, TLS},
		Servers:    []string{server},
		Timeout:    time.Second,
		HostsFile:  hosts,
		Rand:       rand.New(rand.NewPCG(1, 2)),
	}
}

func lookupStrings(t *testing.T, cfg Config, uri string) ([]string, error) {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	targets, err := r.Lookup(context.Background(), mustURI(t, uri))
	var out []string
	for _, tg := range targets {
		out = append(out, tg.String())
	}
	return out, err
}

func TestLookup(t *testing.T) {
	srv := startServer(t, zoneText, extraText)
	onlyTCP := func(c *Config) { c.Transports = []Transport{TCP} }
	onlyUDP := func(c *Config) { c.Transports = []Transport{UDP} }
	onlyTLS := func(c *Config) { c.Transports = []Transport{TLS} }
	v6First := func(c *Config) { c.IPv6First = true }
	proxy := func(c *Config) { c.OutboundProxy = mustURI(t, "sip:naptr.test;transport=tcp;lr") }
	tests := []struct {
		name string
		uri  string
		cfg  func(*Config)
		want []string
	}{
		{"naptr lowest usable order only, by preference, via SRV and CNAME", "sip:bob@naptr.test", nil, []string{
			"udp a.naptr.test 192.0.2.1:5060",
			"udp a.naptr.test [2001:db8::1]:5060",
			"tcp b.naptr.test 192.0.2.2:5070",
		}},
		{"naptr order without a usable record does not count", "sip:bob@naptr.test", onlyTLS, []string{
			"tls b.naptr.test 192.0.2.2:5061",
		}},
		{"naptr for sips keeps SIPS+D2T only", "sips:bob@naptr.test", nil, []string{
			"tls b.naptr.test 192.0.2.2:5061",
		}},
		{"naptr skips unsupported transports", "sip:bob@naptr.test", onlyTCP, []string{
			"tcp b.naptr.test 192.0.2.2:5070",
		}},
		{"naptr with IPv6 first", "sip:bob@naptr.test", func(c *Config) { onlyUDP(c); v6First(c) }, []string{
			"udp a.naptr.test [2001:db8::1]:5060",
			"udp a.naptr.test 192.0.2.1:5060",
		}},
		{"explicit port skips NAPTR and SRV", "sip:bob@naptr.test:5080", nil, []string{
			"udp naptr.test 192.0.2.9:5080",
		}},
		{"SRV only, priorities, weights and a '.' target", "sip:bob@srv.test", nil, []string{
			"tcp s0.srv.test 192.0.2.20:5065",
			"tcp s2.srv.test 192.0.2.22:5060",
			"tcp s1.srv.test 192.0.2.21:5060",
			"tcp s3.srv.test 192.0.2.23:5060",
			"tcp s4.srv.test 192.0.2.24:5062",
		}},
		{"transport param asks that SRV only", "sip:bob@srv.test;transport=TCP", onlyTCP, []string{
			"tcp s0.srv.test 192.0.2.20:5065",
			"tcp s2.srv.test 192.0.2.22:5060",
			"tcp s1.srv.test 192.0.2.21:5060",
			"tcp s3.srv.test 192.0.2.23:5060",
			"tcp s4.srv.test 192.0.2.24:5062",
		}},
		{"A and AAAA only", "sip:bob@a.test", nil, []string{
			"udp a.test 192.0.2.10:5060",
			"udp a.test [2001:db8::10]:5060",
		}},
		{"A and AAAA, IPv6 first", "sip:bob@a.test", v6First, []string{
			"udp a.test [2001:db8::10]:5060",
			"udp a.test 192.0.2.10:5060",
		}},
		{"A only for sips", "sips:bob@a.test", nil, []string{
			"tls a.test 192.0.2.10:5061",
			"tls a.test [2001:db8::10]:5061",
		}},
		{"A only with transport param", "sip:bob@a.test;transport=tcp", nil, []string{
			"tcp a.test 192.0.2.10:5060",
			"tcp a.test [2001:db8::10]:5060",
		}},
		{"sips with transport=tcp is TLS", "sips:bob@a.test:5999;transport=tcp", nil, []string{
			"tls a.test 192.0.2.10:5999",
			"tls a.test [2001:db8::10]:5999",
		}},
		{"no UDP: TCP by default", "sip:bob@a.test:5070", onlyTCP, []string{
			"tcp a.test 192.0.2.10:5070",
			"tcp a.test [2001:db8::10]:5070",
		}},
		{"address records from the additional section", "sip:bob@extra.test", nil, []string{
			"udp x.extra.test 192.0.2.30:5080",
		}},
		{"outbound proxy replaces the target", "sip:bob@192.0.2.99", proxy, []string{
			"tcp b.naptr.test 192.0.2.2:5070",
		}},
		{"maddr replaces the host", "sip:bob@nowhere.test;maddr=a.test", nil, []string{
			"udp a.test 192.0.2.10:5060",
			"udp a.test [2001:db8::10]:5060",
		}},
		{"hosts file", "sip:bob@PBX.lan", nil, []string{"udp pbx.lan 192.0.2.77:5060"}},
		{"localhost", "sips:bob@localhost", nil, []string{
			"tls localhost 127.0.0.1:5061",
			"tls localhost [::1]:5061",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, srv.addr)
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			got, err := lookupStrings(t, cfg, tc.uri)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("Lookup(%s):\n got %q\nwant %q", tc.uri, got, tc.want)
			}
		})
	}
}

// TestLookupNoDNS proves that numeric hosts and names of the hosts file
// resolve with no DNS server answering, without sending any query.
func TestLookupNoDNS(t *testing.T) {
	srv := startServer(t, zoneText, "")
	tests := []struct{ uri, want string }{
		{"sip:bob@192.0.2.55", "udp 192.0.2.55 192.0.2.55:5060"},
		{"sip:192.0.2.55:5999;transport=tcp", "tcp 192.0.2.55 192.0.2.55:5999"},
		{"sips:bob@192.0.2.55", "tls 192.0.2.55 192.0.2.55:5061"},
		{"sip:bob@[2001:db8::5]", "udp 2001:db8::5 [2001:db8::5]:5060"},
		{"sip:bob@[2001:DB8::5]:5062;transport=tls", "tls 2001:db8::5 [2001:db8::5]:5062"},
		{"sip:bob@a.test;maddr=192.0.2.56", "udp 192.0.2.56 192.0.2.56:5060"},
		{"sip:bob@ip6-localhost", "udp ip6-localhost [::1]:5060"},
	}
	for _, tc := range tests {
		for _, server := range []string{srv.addr, "127.0.0.1:1"} {
			got, err := lookupStrings(t, testConfig(t, server), tc.uri)
			if err != nil || len(got) != 1 || got[0] != tc.want {
				t.Errorf("Lookup(%s) via %s = %q, %v; want %q", tc.uri, server, got, err, tc.want)
			}
		}
	}
	if n := srv.queries.Load(); n != 0 {
		t.Errorf("%d DNS queries sent, want none", n)
	}
}

func TestLookupErrors(t *testing.T) {
	srv := startServer(t, zoneText, "")
	tests := []struct {
		name, uri, want string
		is              error
	}{
		{"NXDOMAIN", "sip:bob@nowhere.test", "no SIP service for nowhere.test: NXDOMAIN", ErrNoService},
		{"service not offered", "sip:bob@srv.test;transport=udp", "no SIP service for srv.test: SRV _sip._udp.srv.test says the service is not offered", ErrNoService},
		{"SRV target without address", "sip:bob@noaddr.test", "no SIP service for noaddr.test: NXDOMAIN for gone.test", ErrNoService},
		{"CNAME loop", "sip:bob@loop1.test:5060", "CNAME chain longer than 8", nil},
		{"sips over UDP", "sips:bob@a.test;transport=udp", "sips URI with transport udp", nil},
		{"unknown transport", "sip:bob@a.test;transport=sctp", "transport sctp not supported", nil},
		{"root as host", "sip:bob@.", "invalid host", nil},
		{"tel URI", "tel:+1-201-555-0123", "not a sip or sips URI", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := lookupStrings(t, testConfig(t, srv.addr), tc.uri)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Lookup(%s): %v", tc.uri, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Lookup(%s) = %q, %v; want error with %q", tc.uri, got, err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
}

// TestLookupTimeout proves that a server that does not answer gives a
// timeout error after one query, and that the next server is asked then.
func TestLookupTimeout(t *testing.T) {
	silent := silentServer(t)
	cfg := testConfig(t, silent)
	cfg.Timeout = 50 * time.Millisecond
	_, err := lookupStrings(t, cfg, "sip:bob@a.test")
	want := "timeout asking " + silent + " for NAPTR a.test"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("err %v is not os.ErrDeadlineExceeded", err)
	}

	srv := startServer(t, zoneText, "")
	cfg.Servers = []string{silent, srv.addr}
	got, err := lookupStrings(t, cfg, "sip:bob@a.test")
	if err != nil || len(got) != 2 {
		t.Fatalf("with a second server: %q, %v", got, err)
	}
}

// TestLookupCapped proves that an answer too big for UDP is asked again
// over TCP, and that the list of targets is capped.
func TestLookupCapped(t *testing.T) {
	var zone strings.Builder
	for i := range 200 {
		fmt.Fprintf(&zone, "many.test. A 198.51.100.%d\n", i)
	}
	srv := startServer(t, zone.String(), "")
	got, err := lookupStrings(t, testConfig(t, srv.addr), "sip:many.test:5060")
	if err != nil || len(got) != MaxTargets {
		t.Fatalf("got %d targets, %v; want %d", len(got), err, MaxTargets)
	}
	if srv.tcp.Load() == 0 {
		t.Error("no query over TCP after a truncated answer")
	}
}

// TestLookupCanceled proves that a canceled context stops Lookup before it
// waits for any server.
func TestLookupCanceled(t *testing.T) {
	r, err := New(testConfig(t, silentServer(t)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = r.Lookup(ctx, mustURI(t, "sip:bob:secret@a.test"))
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "secret") {
		t.Errorf("err = %v, want context.Canceled without the password", err)
	}
}

// TestOrderSRVWeights checks that weights 60/30/10 give about those shares
// of first picks, and that weight 0 records come last among weighted ones.
func TestOrderSRVWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	first := map[string]int{}
	for range 1000 {
		recs := []*dns.SRV{
			{Priority: 1, Weight: 10, Target: "c."},
			{Priority: 1, Weight: 0, Target: "zero."},
			{Priority: 1, Weight: 60, Target: "a."},
			{Priority: 1, Weight: 30, Target: "b."},
			{Priority: 0, Weight: 5, Target: "top."},
		}
		out := orderSRV(recs, rng.Uint64N)
		if len(out) != 5 || out[0].Target != "top." {
			t.Fatalf("order %v", out)
		}
		first[out[1].Target]++
	}
	bounds := map[string][2]int{"a.": {520, 680}, "b.": {230, 370}, "c.": {50, 150}, "zero.": {0, 30}}
	for target, b := range bounds {
		if n := first[target]; n < b[0] || n > b[1] {
			t.Errorf("%s first %d times in 1000, want %d..%d", target, n, b[0], b[1])
		}
	}
}

func TestNew(t *testing.T) {
	if _, err := New(Config{Transports: []Transport{"sctp"}}); err == nil {
		t.Error("New accepted transport sctp")
	}
	if _, err := New(Config{Servers: []string{"dns.example.org:53"}}); err == nil {
		t.Error("New accepted a server name")
	}
	r, err := New(Config{Servers: []string{"127.0.0.1", "[::1]:5353"}})
	if err != nil || strings.Join(r.servers, " ") != "127.0.0.1:53 [::1]:5353" {
		t.Errorf("servers %v, %v", r.servers, err)
	}
	if _, err := r.Lookup(context.Background(), nil); err == nil {
		t.Error("Lookup(nil) gave no error")
	}
	if got := systemServers(filepath.Join(t.TempDir(), "missing")); len(got) != 1 || got[0] != "127.0.0.1:53" {
		t.Errorf("systemServers without resolv.conf = %v", got)
	}
}

func BenchmarkLookupNumeric(b *testing.B) {
	r, err := New(Config{Servers: []string{"127.0.0.1:1"}, HostsFile: os.DevNull})
	if err != nil {
		b.Fatal(err)
	}
	uri := mustURI(b, "sip:door@192.0.2.1:5062;transport=tcp")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Lookup(ctx, uri); err != nil {
			b.Fatal(err)
		}
	}
}
