// Package locate finds the servers to send a SIP request to, following
// RFC 3263 §4 (client usage): the transport comes from the URI's transport
// parameter, its scheme, NAPTR records or SRV records; the addresses and
// ports from the numeric host, SRV records or A and AAAA records.
//
// Lookup returns an ordered list of targets. The caller tries them in turn,
// moving to the next one when a request times out or is answered 503
// (RFC 3263 §4.3).
//
// Names listed in the hosts file (/etc/hosts unless configured otherwise),
// and "localhost" always, are resolved from there and never sent to DNS:
// such a host is contacted directly on the URI's port or the default port,
// with no NAPTR or SRV lookup, so a station calling a name pinned in its
// hosts file, or itself, works with no DNS server reachable. The hosts file
// also answers for the targets of SRV records before DNS is asked.
//
// When DNS cannot be reached (a query times out or is refused), Lookup
// returns the targets it found for the same URI last time, up to
// Config.StaleFor after they were found ("serve stale", as RFC 8767 does
// for resolvers): a station keeps reaching its registrar and phones while
// its DNS server is down, and asks DNS again on every Lookup, so that it
// follows changes once DNS is back. A negative answer (no such name, no
// records) is never replaced by stale targets.
package locate

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"intercom/sipua/message"
)

// Transport is a SIP transport protocol, named as in the URI's transport
// parameter.
type Transport string

// The transports a target can name.
const (
	UDP Transport = "udp"
	TCP Transport = "tcp"
	TLS Transport = "tls"
)

// DefaultPort returns the port a transport uses when nothing names one:
// 5061 for TLS, 5060 otherwise (RFC 3261 §19.1.2).
func (t Transport) DefaultPort() uint16 {
	if t == TLS {
		return 5061
	}
	return 5060
}

// Target is one place to send a request to.
type Target struct {
	// Transport is the protocol to use.
	Transport Transport
	// Host is the name whose address Addr is (an SRV target or the URI's
	// host, without a final dot), or the address's text for a numeric host.
	Host string
	// ServerName is the domain a TLS server's certificate must match
	// (RFC 5922 §4.1): the host of the URI that was resolved (or of its
	// maddr parameter), never a name learnt from DNS.
	ServerName string
	// Addr is the IP address and port to send to.
	Addr netip.AddrPort
}

// String returns "transport host addr:port".
func (t Target) String() string {
	return string(t.Transport) + " " + t.Host + " " + t.Addr.String()
}

// ErrNoService is wrapped by the error Lookup returns when DNS has no usable
// records for a name.
var ErrNoService = errors.New("no SIP service")

// Limits that bound the work of one Lookup.
const (
	// MaxTargets is the most targets Lookup returns.
	MaxTargets = 16
	// maxCNAME is the longest chain of CNAME records followed for a name.
	maxCNAME = 8
	// maxQueries is the most DNS queries one Lookup sends (not counting
	// retries on other servers or over TCP).
	maxQueries = 32
	// maxRecords is the most NAPTR or SRV records used from one answer.
	maxRecords = 32
)

// Config says how to resolve. The zero value is usable: UDP and TCP, the
// servers of /etc/resolv.conf, 2 s per query, IPv4 before IPv6.
type Config struct {
	// Transports are the transports the user agent supports, in its order
	// of preference for SRV lookups when a domain has no NAPTR records;
	// nil means UDP then TCP.
	Transports []Transport
	// OutboundProxy, when not nil, is resolved instead of every URI passed
	// to Lookup.
	OutboundProxy *message.URI
	// Servers are the DNS servers, "ip:port" (or a bare IP for port 53),
	// asked in order; a server that times out is skipped for the rest of a
	// Lookup. Nil means those of /etc/resolv.conf, or 127.0.0.1:53.
	Servers []string
	// Timeout bounds each query to one server; 0 means 2 s.
	Timeout time.Duration
	// IPv6First puts AAAA addresses before A addresses of each host.
	IPv6First bool
	// HostsFile is the hosts file to read once in New; empty means
	// /etc/hosts. A file that cannot be read is treated as empty.
	HostsFile string
	// Rand, when not nil, chooses among SRV records of equal priority, so
	// that tests can seed it; nil means the global source.
	Rand *rand.Rand
	// StaleFor is how long the targets of a URI are kept, to be returned
	// when DNS cannot be reached; 0 means 24 hours, a negative value
	// keeps none.
	StaleFor time.Duration
}

// maxStale is the most URIs whose targets are kept for when DNS is down.
const maxStale = 64

// Resolver locates SIP servers. It is safe for concurrent use.
type Resolver struct {
	transports []Transport
	proxy      *message.URI
	servers    []string
	udp, tcp   dns.Client
	ipv6First  bool
	hosts      map[string][]netip.Addr

	randMu sync.Mutex
	rand   *rand.Rand

	staleFor time.Duration
	staleMu  sync.Mutex
	stale    map[string]staleTargets // by URI, as resolved
}

// staleTargets are the targets found for a URI, and when.
type staleTargets struct {
	targets []Target
	found   time.Time
}

// New returns a Resolver for cfg.
func New(cfg Config) (*Resolver, error) {
	r := &Resolver{
		transports: cfg.Transports,
		proxy:      cfg.OutboundProxy,
		ipv6First:  cfg.IPv6First,
		rand:       cfg.Rand,
		staleFor:   cfg.StaleFor,
	}
	if r.staleFor == 0 {
		r.staleFor = 24 * time.Hour
	}
	if len(r.transports) == 0 {
		r.transports = []Transport{UDP, TCP}
	}
	for _, t := range r.transports {
		if t != UDP && t != TCP && t != TLS {
			return nil, fmt.Errorf("locate: unknown transport %q", t)
		}
	}
	servers := cfg.Servers
	if servers == nil {
		servers = systemServers("/etc/resolv.conf")
	}
	for _, s := range servers {
		ap, err := parseServer(s)
		if err != nil {
			return nil, err
		}
		r.servers = append(r.servers, ap.String())
	}
	if len(r.servers) == 0 {
		return nil, errors.New("locate: no DNS server")
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	r.udp = dns.Client{Net: "udp", Timeout: timeout}
	r.tcp = dns.Client{Net: "tcp", Timeout: timeout}
	hostsFile := cfg.HostsFile
	if hostsFile == "" {
		hostsFile = "/etc/hosts"
	}
	r.hosts = readHosts(hostsFile)
	return r, nil
}

// parseServer parses "ip:port" or "ip".
func parseServer(s string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(a, 53), nil
	}
	return netip.AddrPort{}, fmt.Errorf("locate: DNS server %q is not ip:port", s)
}

// systemServers returns the name servers of a resolv.conf file, or
// 127.0.0.1:53 when it names none.
func systemServers(path string) []string {
	var out []string
	if cc, err := dns.ClientConfigFromFile(path); err == nil {
		for _, s := range cc.Servers {
			out = append(out, net.JoinHostPort(s, cc.Port))
		}
	}
	if len(out) == 0 {
		out = []string{"127.0.0.1:53"}
	}
	return out
}

// Lookup returns the targets to try, in order, to reach uri (a sip: or
// sips: URI), or the configured outbound proxy instead when there is one.
// When some DNS query fails after targets were found, Lookup returns those
// targets and no error. A query is bounded by the configured timeout; ctx
// stops Lookup between queries and bounds each one by its deadline.
func (r *Resolver) Lookup(ctx context.Context, uri *message.URI) ([]Target, error) {
	if r.proxy != nil {
		uri = r.proxy
	}
	if uri == nil {
		return nil, errors.New("locate: no URI")
	}
	targets, err := r.lookup(ctx, uri)
	key := staleKey(uri)
	switch {
	case err == nil:
		r.keep(key, targets)
	case unreachable(err) && ctx.Err() == nil:
		if old, ok := r.kept(key); ok {
			return old, nil
		}
	}
	if err != nil {
		// Name the URI without its user part, which may hold a password.
		where := string(uri.Scheme) + ":" + string(uri.Host)
		if uri.Port != 0 {
			where += ":" + strconv.Itoa(uri.Port)
		}
		return nil, fmt.Errorf("locate %s: %w", where, err)
	}
	return targets, nil
}

// staleKey is what the targets of uri depend on: its scheme, host, port,
// and transport and maddr parameters.
func staleKey(uri *message.URI) string {
	k := strings.ToLower(string(uri.Scheme) + ":" + string(uri.Host) + ":" + strconv.Itoa(uri.Port))
	for _, p := range []string{"transport", "maddr"} {
		if v, ok := uri.Params.Get(p); ok {
			k += ";" + p + "=" + strings.ToLower(string(v))
		}
	}
	return k
}

// unreachable reports whether a Lookup failed because DNS could not be
// asked (a timeout, a refused or failed exchange), rather than because it
// answered that there is nothing.
func unreachable(err error) bool {
	var qe *queryError
	return errors.As(err, &qe)
}

// keep remembers the targets found for a URI.
func (r *Resolver) keep(key string, targets []Target) {
	if r.staleFor < 0 || len(targets) == 0 {
		return
	}
	r.staleMu.Lock()
	defer r.staleMu.Unlock()
	if r.stale == nil {
		r.stale = make(map[string]staleTargets)
	}
	if _, ok := r.stale[key]; !ok && len(r.stale) >= maxStale {
		for k := range r.stale { // full: forget one
			delete(r.stale, k)
			break
		}
	}
	r.stale[key] = staleTargets{targets: slices.Clone(targets), found: time.Now()}
}

// kept returns the targets found for a URI within StaleFor.
func (r *Resolver) kept(key string) ([]Target, bool) {
	r.staleMu.Lock()
	defer r.staleMu.Unlock()
	st, ok := r.stale[key]
	if !ok || time.Since(st.found) > r.staleFor {
		return nil, false
	}
	return slices.Clone(st.targets), true
}

func (r *Resolver) lookup(ctx context.Context, uri *message.URI) ([]Target, error) {
	if !uri.IsSIP() {
		return nil, errors.New("not a sip or sips URI")
	}
	sips := uri.SchemeIs("sips")
	host := uri.Host
	if maddr, ok := uri.Params.Get("maddr"); ok && len(maddr) > 0 {
		host = maddr
	}
	name := strings.ToLower(strings.TrimSuffix(strings.Trim(string(host), "[]"), "."))
	tp, explicit, err := r.transport(uri, sips)
	if err != nil {
		return nil, err
	}
	port := uint16(uri.Port)
	if port == 0 {
		port = tp.DefaultPort()
	}
	l := &lookup{r: r, ctx: ctx, domain: name}

	// RFC 3263 §4.1, §4.2: a numeric host needs no DNS at all.
	if ip, err := netip.ParseAddr(name); err == nil {
		l.add(tp, name, ip, port)
		return l.targets, nil
	}
	if _, ok := dns.IsDomainName(name); !ok || name == "" {
		return nil, fmt.Errorf("invalid host %q", name)
	}
	if _, ok := r.hostAddrs(name); ok || uri.Port != 0 {
		// A pinned name, or an explicit port: A/AAAA only.
		l.addHost(tp, name, port)
	} else if explicit {
		if !l.srv(tp, srvName(tp, name)) {
			l.addHost(tp, name, port)
		}
	} else if !l.naptr(name, sips) {
		found := false
		for _, t := range r.transports {
			if !sips || t == TLS {
				found = l.srv(t, srvName(t, name)) || found
			}
		}
		if !found {
			l.addHost(tp, name, port)
		}
	}
	return l.result()
}

// transport returns the transport to use without NAPTR or SRV records, and
// whether the URI named it (RFC 3263 §4.1).
func (r *Resolver) transport(uri *message.URI, sips bool) (tp Transport, explicit bool, err error) {
	if v, ok := uri.Params.Get("transport"); ok {
		tp, explicit = Transport(strings.ToLower(string(v))), true
		switch {
		case sips && tp == TCP:
			tp = TLS // RFC 3261 §26.2.2: sips over TCP means TLS
		case sips && tp != TLS:
			return "", false, fmt.Errorf("sips URI with transport %s", tp)
		}
	} else {
		tp = UDP
		if sips {
			tp = TLS
		} else if !r.supports(UDP) {
			tp = r.transports[0]
		}
	}
	if !r.supports(tp) {
		return "", false, fmt.Errorf("transport %s not supported", tp)
	}
	return tp, explicit, nil
}

func (r *Resolver) supports(tp Transport) bool {
	for _, t := range r.transports {
		if t == tp {
			return true
		}
	}
	return false
}

// srvName returns the SRV owner name for a transport (RFC 3263 §4.2).
func srvName(tp Transport, domain string) string {
	switch tp {
	case TLS:
		return "_sips._tcp." + domain
	case TCP:
		return "_sip._tcp." + domain
	}
	return "_sip._udp." + domain
}

// randN returns a uniform random number in [0, n).
func (r *Resolver) randN(n uint64) uint64 {
	if r.rand == nil {
		return rand.Uint64N(n)
	}
	r.randMu.Lock()
	defer r.randMu.Unlock()
	return r.rand.Uint64N(n)
}
