package locate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"intercom/internal/peertest"
)

// targetGroup is a run of targets that sip-dig prints with one preference
// number: the addresses of the targets of one SRV priority, or of one host.
type targetGroup struct {
	// anyOrder is set for several SRV targets of one priority, which RFC
	// 2782 orders at random by weight (we) or lists by weight (sip-dig).
	anyOrder bool
	// targets are "transport address:port", IPv4 before IPv6 for each host.
	targets []string
}

func seq(targets ...string) targetGroup   { return targetGroup{targets: targets} }
func anyOf(targets ...string) targetGroup { return targetGroup{anyOrder: true, targets: targets} }

// sipDigCases are the URIs resolved against testdata/sipdig/zone.conf, with
// the targets RFC 3263 gives, which both resolvers must return.
var sipDigCases = []struct {
	uri  string
	want []targetGroup // nil: no service
	// digTCPTwins: when nothing in DNS names a transport, sip-dig offers
	// TCP beside each UDP target (at the same preference, or the next one
	// for a numeric host). RFC 3263 §4.1 says a client SHOULD use UDP for a
	// sip URI then, as we do; such TCP lines are dropped from sip-dig's
	// output, each only if its UDP twin is there.
	digTCPTwins bool
	// digUnsorted: when it looks SRV records up without NAPTR (no NAPTR
	// records, or a transport parameter), sip-dig takes them in the order
	// the server sent them rather than by priority (RFC 2782), so only its
	// set of targets is compared.
	digUnsorted bool
}{
	// NAPTR order 10 only: TLS, TCP, UDP by preference, no SCTP; each SRV
	// by priority; the order 20 record (p9) must not be used.
	{uri: "sip:door@naptr.sipdig.test", want: []targetGroup{
		seq("tls 192.0.2.11:5061", "tls [2001:db8::11]:5061"),
		seq("tls 192.0.2.12:5061"),
		anyOf("tcp 192.0.2.11:5060", "tcp [2001:db8::11]:5060", "tcp 192.0.2.12:5060"),
		seq("tcp [2001:db8::13]:5062"),
		seq("udp 192.0.2.11:5060", "udp [2001:db8::11]:5060"),
	}},
	{uri: "sips:door@naptr.sipdig.test", want: []targetGroup{
		seq("tls 192.0.2.11:5061", "tls [2001:db8::11]:5061"),
		seq("tls 192.0.2.12:5061"),
	}},
	{uri: "sip:door@naptr.sipdig.test;transport=tcp", digUnsorted: true, want: []targetGroup{
		anyOf("tcp 192.0.2.11:5060", "tcp [2001:db8::11]:5060", "tcp 192.0.2.12:5060"),
		seq("tcp [2001:db8::13]:5062"),
	}},
	{uri: "sip:door@naptr.sipdig.test;transport=udp", want: []targetGroup{
		seq("udp 192.0.2.11:5060", "udp [2001:db8::11]:5060"),
	}},
	// No NAPTR: the SRV records of each transport, UDP, TCP, then TLS.
	{uri: "sip:door@srv.sipdig.test", want: []targetGroup{
		anyOf("udp 192.0.2.21:5070", "udp [2001:db8::21]:5070", "udp 192.0.2.22:5072"),
		seq("tcp 192.0.2.22:5072"),
		seq("tls 192.0.2.21:5071", "tls [2001:db8::21]:5071"),
	}},
	{uri: "sips:door@srv.sipdig.test", want: []targetGroup{
		seq("tls 192.0.2.21:5071", "tls [2001:db8::21]:5071"),
	}},
	{uri: "sip:door@srv.sipdig.test;transport=tcp", want: []targetGroup{
		seq("tcp 192.0.2.22:5072"),
	}},
	{uri: "sip:door@srvorder.sipdig.test", digUnsorted: true, want: []targetGroup{
		seq("udp 192.0.2.51:5060"),
		seq("udp 192.0.2.52:5060"),
		seq("udp 192.0.2.53:5060"),
	}},
	// No NAPTR, no SRV: A and AAAA records on the default port.
	{uri: "sip:door@aonly.sipdig.test", digTCPTwins: true, want: []targetGroup{
		seq("udp 192.0.2.31:5060"),
	}},
	{uri: "sip:door@dual.sipdig.test", digTCPTwins: true, want: []targetGroup{
		seq("udp 192.0.2.41:5060", "udp [2001:db8::41]:5060"),
	}},
	{uri: "sips:door@dual.sipdig.test", want: []targetGroup{
		seq("tls 192.0.2.41:5061", "tls [2001:db8::41]:5061"),
	}},
	{uri: "sip:door@dual.sipdig.test;transport=tcp", want: []targetGroup{
		seq("tcp 192.0.2.41:5060", "tcp [2001:db8::41]:5060"),
	}},
	// An explicit port: A and AAAA only, even where there are NAPTR records.
	{uri: "sip:door@dual.sipdig.test:5080", digTCPTwins: true, want: []targetGroup{
		seq("udp 192.0.2.41:5080", "udp [2001:db8::41]:5080"),
	}},
	{uri: "sip:door@naptr.sipdig.test:5080"},
	{uri: "sip:door@192.0.2.99", digTCPTwins: true, want: []targetGroup{
		seq("udp 192.0.2.99:5060"),
	}},
	{uri: "sip:door@nowhere.sipdig.test"},
}

// TestSipDigAgrees resolves the same URIs against the same zone with our
// Resolver and with sofia-sip's sip-dig (FreeSWITCH's SIP stack), once with
// IPv4 preferred and once with IPv6 preferred, and checks that both return
// the targets RFC 3263 gives, in the same order.
//
// The zone (testdata/sipdig/zone.conf) is served by dnsmasq on 127.0.0.1 and
// a free port. sip-dig ignores its documented "@dnsserver" argument (the
// code is commented out in sofia-sip 1.12.11) and sofia's resolver has no
// environment variable for a server or port, but SRESOLV_CONF names the
// resolv.conf it reads, and that file may say "port N" (a sofia extension).
func TestSipDigAgrees(t *testing.T) {
	sipDig := peertest.NeedTool(t, "sip-dig")
	dnsmasq := peertest.NeedTool(t, "dnsmasq")
	zone, err := filepath.Abs("testdata/sipdig/zone.conf")
	if err != nil {
		t.Fatal(err)
	}
	server := startDnsmasq(t, dnsmasq, zone)
	resolvConf := filepath.Join(t.TempDir(), "resolv.conf")
	conf := fmt.Sprintf("nameserver 127.0.0.1\nport %d\n", server.Port())
	if err := os.WriteFile(resolvConf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	hosts := filepath.Join(t.TempDir(), "hosts") // empty: DNS answers everything
	if err := os.WriteFile(hosts, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	for _, ipv6First := range []bool{false, true} {
		r, err := New(Config{
			Transports: []Transport{UDP, TCP, TLS},
			Servers:    []string{server.String()},
			Timeout:    2 * time.Second,
			IPv6First:  ipv6First,
			HostsFile:  hosts,
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range sipDigCases {
			name := tc.uri
			if ipv6First {
				name += " IPv6 first"
			}
			t.Run(name, func(t *testing.T) {
				want := tc.want
				if ipv6First {
					want = preferIPv6(want)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()

				var ours []string
				targets, ourErr := r.Lookup(ctx, mustURI(t, tc.uri))
				for _, tg := range targets {
					ours = append(ours, string(tg.Transport)+" "+tg.Addr.String())
				}
				digLines, digOut := runSipDig(ctx, t, sipDig, resolvConf, tc.uri, ipv6First)
				if tc.digTCPTwins {
					var err error
					if digLines, err = dropTCPTwins(digLines); err != nil {
						t.Errorf("sip-dig: %v\n%s", err, digOut)
					}
				}
				dig := make([]string, len(digLines))
				for i, l := range digLines {
					dig[i] = l.target
				}

				if want == nil {
					if !errors.Is(ourErr, ErrNoService) {
						t.Errorf("we found %q, %v; want no service", ours, ourErr)
					}
					if len(dig) > 0 {
						t.Errorf("sip-dig found %q; want none\n%s", dig, digOut)
					}
					return
				}
				if ourErr != nil {
					t.Errorf("we found nothing: %v", ourErr)
				} else if err := matchGroups(ours, want); err != nil {
					t.Errorf("ours: %v", err)
				}
				var digErr error
				if tc.digUnsorted {
					digErr = matchSet(dig, want)
				} else if digErr = matchGroups(dig, want); digErr == nil {
					digErr = matchPreferences(digLines, want)
				}
				if digErr != nil {
					t.Errorf("sip-dig: %v\n%s", digErr, digOut)
				}
				if t.Failed() {
					t.Logf("ours:    %q\nsip-dig: %q", ours, dig)
				}
			})
		}
	}
}

// preferIPv6 returns groups with the IPv6 targets of each ordered group
// first; an ordered group holds one host's addresses.
func preferIPv6(groups []targetGroup) []targetGroup {
	if groups == nil {
		return nil
	}
	out := make([]targetGroup, len(groups))
	for i, g := range groups {
		g.targets = slices.Clone(g.targets)
		if !g.anyOrder {
			slices.SortStableFunc(g.targets, func(a, b string) int {
				return boolInt(!strings.Contains(a, "[")) - boolInt(!strings.Contains(b, "["))
			})
		}
		out[i] = g
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// matchGroups checks that got is the targets of groups in turn, each group
// in its order unless any order is allowed.
func matchGroups(got []string, groups []targetGroup) error {
	n := 0
	for _, g := range groups {
		n += len(g.targets)
	}
	if len(got) != n {
		return fmt.Errorf("%d targets %q, want %d", len(got), got, n)
	}
	rest := got
	for i, g := range groups {
		part := slices.Clone(rest[:len(g.targets)])
		rest = rest[len(g.targets):]
		want := slices.Clone(g.targets)
		if g.anyOrder {
			slices.Sort(part)
			slices.Sort(want)
		}
		if !slices.Equal(part, want) {
			return fmt.Errorf("group %d is %q, want %q (any order: %v)", i+1, part, want, g.anyOrder)
		}
	}
	return nil
}

// matchSet checks that got holds the targets of groups, in any order.
func matchSet(got []string, groups []targetGroup) error {
	var want []string
	for _, g := range groups {
		want = append(want, g.targets...)
	}
	got = slices.Clone(got)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("targets %q, want %q in any order", got, want)
	}
	return nil
}

// matchPreferences checks that sip-dig gave each group its own preference
// number, rising from one group to the next.
func matchPreferences(lines []digLine, groups []targetGroup) error {
	i := 0
	last := 0
	for gi, g := range groups {
		pref := lines[i].pref
		if pref <= last {
			return fmt.Errorf("group %d has preference %d after %d", gi+1, pref, last)
		}
		for _, l := range lines[i : i+len(g.targets)] {
			if l.pref != pref {
				return fmt.Errorf("group %d mixes preferences %d and %d", gi+1, pref, l.pref)
			}
		}
		i += len(g.targets)
		last = pref
	}
	return nil
}

// digLine is one target sip-dig printed.
type digLine struct {
	pref   int
	target string // "transport address:port"
}

// runSipDig resolves uri with sip-dig asking only the server of resolvConf,
// over UDP, TCP and TLS (as our Config), and returns the targets it printed
// and its whole output. sip-dig queries first the address family whose
// flag comes last: "-6 -4" gives A before AAAA, like our default.
func runSipDig(ctx context.Context, t *testing.T, path, resolvConf, uri string, ipv6First bool) ([]digLine, string) {
	t.Helper()
	args := []string{"-6", "-4"}
	if ipv6First {
		args = []string{"-4", "-6"}
	}
	args = append(args, "--udp", "--tcp", "--tls", uri)
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.WaitDelay = time.Second
	// Only our resolv.conf, and no resolver settings of the caller's.
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "SRESOLV_CONF", "SRES_OPTIONS", "RES_OPTIONS", "LOCALDOMAIN", "SRESOLV_DEBUG":
		default:
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "SRESOLV_CONF="+resolvConf)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := fmt.Sprintf("$ SRESOLV_CONF=%s %s %s\n%s%s", resolvConf, path, strings.Join(args, " "), stdout.String(), stderr.String())
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() == 1 && strings.Contains(stderr.String(), "not found"):
		if stdout.Len() > 0 {
			t.Errorf("sip-dig found nothing but printed targets\n%s", out)
		}
		return nil, out
	default:
		t.Fatalf("sip-dig: %v\n%s", err, out)
	}
	var lines []digLine
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		l, err := parseDigLine(line)
		if err != nil {
			t.Fatalf("sip-dig printed %q: %v\n%s", line, err, out)
		}
		lines = append(lines, l)
	}
	return lines, out
}

// parseDigLine parses "<preference> <weight> <transport> <port> <address>".
func parseDigLine(line string) (digLine, error) {
	f := strings.Fields(line)
	if len(f) != 5 {
		return digLine{}, errors.New("not 5 fields")
	}
	pref, err := strconv.Atoi(f[0])
	if err != nil || pref < 1 {
		return digLine{}, fmt.Errorf("preference %q", f[0])
	}
	if w, err := strconv.ParseFloat(f[1], 64); err != nil || w < 0 || w > 1 {
		return digLine{}, fmt.Errorf("weight %q", f[1])
	}
	switch Transport(f[2]) {
	case UDP, TCP, TLS:
	default:
		return digLine{}, fmt.Errorf("transport %q", f[2])
	}
	port, err := strconv.ParseUint(f[3], 10, 16)
	if err != nil || port == 0 {
		return digLine{}, fmt.Errorf("port %q", f[3])
	}
	ip, err := netip.ParseAddr(f[4])
	if err != nil {
		return digLine{}, err
	}
	return digLine{pref: pref, target: f[2] + " " + netip.AddrPortFrom(ip, uint16(port)).String()}, nil
}

// dropTCPTwins removes the TCP lines that repeat the address and port of a
// UDP line, and fails on any other TCP line.
func dropTCPTwins(lines []digLine) ([]digLine, error) {
	var out []digLine
	for _, l := range lines {
		rest, isTCP := strings.CutPrefix(l.target, "tcp ")
		if !isTCP {
			out = append(out, l)
			continue
		}
		if !slices.ContainsFunc(lines, func(u digLine) bool { return u.target == "udp "+rest }) {
			return nil, fmt.Errorf("TCP target %q has no UDP twin", l.target)
		}
	}
	return out, nil
}

// dnsmasqServer is a dnsmasq process serving a zone on 127.0.0.1.
type dnsmasqServer struct {
	addr netip.AddrPort
	log  *peertest.Buffer
}

func (s *dnsmasqServer) Port() uint16   { return s.addr.Port() }
func (s *dnsmasqServer) String() string { return s.addr.String() }

// startDnsmasq starts dnsmasq with the records of zone on a free port of
// 127.0.0.1, answering only from them: it reads neither resolv.conf nor
// /etc/hosts nor /etc/dnsmasq.conf, forwards nothing, serves no DHCP and
// writes no pid file. It is killed when the test ends, and its log of
// queries is shown when the test failed.
func startDnsmasq(t *testing.T, path, zone string) *dnsmasqServer {
	t.Helper()
	var errs []error
	for range 3 { // another process may take the free port before dnsmasq does
		s, err := tryDnsmasq(t, path, zone, freeDNSPort(t))
		if err == nil {
			return s
		}
		errs = append(errs, err)
	}
	t.Fatalf("dnsmasq did not start: %v", errors.Join(errs...))
	return nil
}

func tryDnsmasq(t *testing.T, path, zone string, port uint16) (*dnsmasqServer, error) {
	args := []string{
		"--conf-file=" + zone,
		"--no-daemon", // foreground, log to stderr, no forks for TCP
		"--no-resolv", "--no-hosts", "--local=/sipdig.test/",
		"--listen-address=127.0.0.1", "--bind-interfaces",
		"--port=" + strconv.Itoa(int(port)),
		"--pid-file=",
		"--log-queries",
	}
	s := &dnsmasqServer{addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), port), log: &peertest.Buffer{}}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// Ready when it answers from the zone.
	m := new(dns.Msg)
	m.SetQuestion("aonly.sipdig.test.", dns.TypeA)
	c := dns.Client{Timeout: 200 * time.Millisecond}
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; i < 100 && time.Now().Before(deadline); i++ {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("%s %s: %v\n%s", path, strings.Join(args, " "), err, s.log)
		default:
		}
		if in, _, err := c.Exchange(m, s.String()); err == nil && len(in.Answer) > 0 {
			t.Logf("%s %s", path, strings.Join(args, " "))
			t.Cleanup(func() {
				cmd.Process.Kill()
				<-exited
				if t.Failed() {
					t.Logf("dnsmasq log:\n%s", s.log)
				}
			})
			return s, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	<-exited
	return nil, fmt.Errorf("no answer from dnsmasq on %s\n%s", s, s.log)
}

// freeDNSPort returns a port of 127.0.0.1 that was free for both UDP and TCP
// a moment ago.
func freeDNSPort(t *testing.T) uint16 {
	t.Helper()
	for range 10 {
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		pc.Close()
		if err == nil {
			ln.Close()
			return uint16(port)
		}
	}
	t.Fatal("no port free for both UDP and TCP on 127.0.0.1")
	return 0
}
