package locate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// lookup is the state of one Lookup: the targets found so far, the records
// learnt from additional sections, and the first hard error.
type lookup struct {
	r       *Resolver
	ctx     context.Context
	domain  string
	targets []Target
	extra   map[rrKey][]dns.RR
	dead    []bool // servers that timed out
	queries int
	err     error  // a failure that stops further queries
	why     string // the first negative answer, for ErrNoService
}

type rrKey struct {
	name  string // lower case, fully qualified
	qtype uint16
}

// result returns the targets, or why there are none.
func (l *lookup) result() ([]Target, error) {
	switch {
	case len(l.targets) > 0:
		return l.targets, nil
	case l.err != nil:
		return nil, l.err
	case l.why == "":
		l.why = "no records"
	}
	return nil, fmt.Errorf("%w for %s: %s", ErrNoService, l.domain, l.why)
}

// naptrServices maps the NAPTR services of RFC 3263 §4.1 to transports.
var naptrServices = map[string]Transport{
	"sip+d2u":  UDP,
	"sip+d2t":  TCP,
	"sips+d2t": TLS,
}

// naptr resolves domain through its NAPTR records and reports whether that
// gave any target (RFC 3263 §4.1). Only the records of the lowest order that
// has a usable one are used, by preference: once a record matches, records
// of another order MUST NOT be considered (RFC 3403 §4.1).
func (l *lookup) naptr(domain string, sips bool) bool {
	var recs []*dns.NAPTR
	for _, rr := range l.query(domain, dns.TypeNAPTR) {
		n, ok := rr.(*dns.NAPTR)
		if !ok || !strings.EqualFold(n.Flags, "s") || n.Regexp != "" || n.Replacement == "." {
			continue
		}
		tp, ok := naptrServices[strings.ToLower(n.Service)]
		if !ok || !l.r.supports(tp) || (sips && tp != TLS) {
			continue
		}
		recs = append(recs, n)
		if len(recs) == maxRecords {
			break
		}
	}
	slices.SortStableFunc(recs, func(a, b *dns.NAPTR) int {
		return cmp.Or(cmp.Compare(a.Order, b.Order), cmp.Compare(a.Preference, b.Preference))
	})
	if i := slices.IndexFunc(recs, func(n *dns.NAPTR) bool { return n.Order != recs[0].Order }); i > 0 {
		recs = recs[:i]
	}
	before := len(l.targets)
	for _, n := range recs {
		l.srv(naptrServices[strings.ToLower(n.Service)], n.Replacement)
	}
	return len(l.targets) > before
}

// srv adds the targets of the SRV records of name, in the order of
// RFC 2782, and reports whether there were any records, including one that
// says the service is not offered.
func (l *lookup) srv(tp Transport, name string) bool {
	var recs []*dns.SRV
	for _, rr := range l.query(name, dns.TypeSRV) {
		if s, ok := rr.(*dns.SRV); ok && len(recs) < maxRecords {
			recs = append(recs, s)
		}
	}
	for _, s := range orderSRV(recs, l.r.randN) {
		if s.Target == "." || s.Port == 0 {
			l.why = "SRV " + trimDot(name) + " says the service is not offered"
			continue
		}
		l.addHost(tp, trimDot(s.Target), s.Port)
	}
	return len(recs) > 0
}

// orderSRV sorts records by priority and, within a priority, by the
// weighted random selection of RFC 2782; randN(n) returns a number in
// [0, n).
func orderSRV(recs []*dns.SRV, randN func(uint64) uint64) []*dns.SRV {
	slices.SortStableFunc(recs, func(a, b *dns.SRV) int {
		return cmp.Compare(a.Priority, b.Priority)
	})
	out := make([]*dns.SRV, 0, len(recs))
	for len(recs) > 0 {
		n := 1
		for n < len(recs) && recs[n].Priority == recs[0].Priority {
			n++
		}
		group := recs[:n]
		recs = recs[n:]
		// Weight 0 records first, so that they are picked only by a 0.
		slices.SortStableFunc(group, func(a, b *dns.SRV) int {
			return cmp.Compare(min(a.Weight, 1), min(b.Weight, 1))
		})
		for len(group) > 0 {
			var sum uint64
			for _, s := range group {
				sum += uint64(s.Weight)
			}
			pick, run := randN(sum+1), uint64(0)
			i := 0
			for ; i < len(group)-1; i++ {
				run += uint64(group[i].Weight)
				if run >= pick {
					break
				}
			}
			out = append(out, group[i])
			group = slices.Delete(group, i, i+1)
		}
	}
	return out
}

// addHost adds a target for each address of name.
func (l *lookup) addHost(tp Transport, name string, port uint16) {
	for _, ip := range l.addrs(name) {
		l.add(tp, name, ip, port)
	}
}

// add adds a target unless the list is full or already has it.
func (l *lookup) add(tp Transport, name string, ip netip.Addr, port uint16) {
	t := Target{Transport: tp, Host: name, ServerName: l.domain, Addr: netip.AddrPortFrom(ip.Unmap(), port)}
	if len(l.targets) >= MaxTargets {
		return
	}
	for _, o := range l.targets {
		if o.Transport == t.Transport && o.Addr == t.Addr {
			return
		}
	}
	l.targets = append(l.targets, t)
}

// addrs returns the addresses of name, from the hosts file, the additional
// sections seen, or A and AAAA queries, in the configured family order.
func (l *lookup) addrs(name string) []netip.Addr {
	if ips, ok := l.r.hostAddrs(name); ok {
		return ips
	}
	types := []uint16{dns.TypeA, dns.TypeAAAA}
	if l.r.ipv6First {
		types[0], types[1] = types[1], types[0]
	}
	fq := dns.CanonicalName(name)
	fromExtra := len(l.extra[rrKey{fq, dns.TypeA}])+len(l.extra[rrKey{fq, dns.TypeAAAA}]) > 0
	var ips []netip.Addr
	for _, qt := range types {
		rrs := l.extra[rrKey{fq, qt}]
		if !fromExtra {
			rrs = l.query(name, qt)
		}
		for _, rr := range rrs {
			var ip netip.Addr
			switch a := rr.(type) {
			case *dns.A:
				ip, _ = netip.AddrFromSlice(a.A.To4())
			case *dns.AAAA:
				ip, _ = netip.AddrFromSlice(a.AAAA.To16())
			}
			if ip.IsValid() {
				ips = append(ips, ip)
			}
		}
	}
	return ips
}

// query returns the records of type qtype for name, following CNAME records
// within and across answers, or nil after a negative answer or an error.
func (l *lookup) query(name string, qtype uint16) []dns.RR {
	name = dns.CanonicalName(name)
	for range maxCNAME + 1 {
		if rrs, ok := l.extra[rrKey{name, qtype}]; ok {
			return rrs
		}
		if l.err != nil {
			return nil
		}
		if l.queries++; l.queries > maxQueries {
			l.err = errors.New("too many DNS queries")
			return nil
		}
		in, err := l.exchange(name, qtype)
		if err != nil {
			l.err = err
			return nil
		}
		l.learn(in.Extra)
		if in.Rcode != dns.RcodeSuccess {
			l.negative(name, qtype, dns.RcodeToString[in.Rcode])
			return nil
		}
		rrs, next := follow(in.Answer, name, qtype)
		if len(rrs) > 0 || next == "" {
			return rrs
		}
		name = next
	}
	l.err = fmt.Errorf("CNAME chain longer than %d at %s", maxCNAME, trimDot(name))
	return nil
}

// follow returns the records of type qtype for name in an answer, after the
// CNAME chain the answer holds, or the name the chain ends at when the
// answer has no such records.
func follow(answer []dns.RR, name string, qtype uint16) (rrs []dns.RR, next string) {
	asked := name
	for range maxCNAME + 1 {
		alias := ""
		for _, rr := range answer {
			h := rr.Header()
			if !strings.EqualFold(h.Name, name) {
				continue
			}
			if h.Rrtype == qtype {
				rrs = append(rrs, rr)
			} else if c, ok := rr.(*dns.CNAME); ok && alias == "" {
				alias = dns.CanonicalName(c.Target)
			}
		}
		if len(rrs) > 0 {
			return rrs, ""
		}
		if alias == "" {
			if name == asked {
				return nil, ""
			}
			return nil, name
		}
		name = alias
	}
	return nil, name
}

// learn keeps the SRV and address records of an additional section.
func (l *lookup) learn(extra []dns.RR) {
	for _, rr := range extra {
		h := rr.Header()
		switch h.Rrtype {
		case dns.TypeA, dns.TypeAAAA, dns.TypeSRV:
		default:
			continue
		}
		if l.extra == nil {
			l.extra = make(map[rrKey][]dns.RR)
		}
		k := rrKey{dns.CanonicalName(h.Name), h.Rrtype}
		if len(l.extra[k]) < maxRecords {
			l.extra[k] = append(l.extra[k], rr)
		}
	}
}

// negative keeps a negative answer to explain an empty result: the last
// one to an address query, else the first.
func (l *lookup) negative(name string, qtype uint16, rcode string) {
	if l.why != "" && qtype != dns.TypeA && qtype != dns.TypeAAAA {
		return
	}
	l.why = rcode
	if n := trimDot(name); n != l.domain {
		l.why += " for " + n
	}
}

// exchange sends one query to the first server that answers, over TCP
// again when the UDP answer is truncated.
func (l *lookup) exchange(name string, qtype uint16) (*dns.Msg, error) {
	if l.dead == nil {
		l.dead = make([]bool, len(l.r.servers))
	}
	var last error
	for i, server := range l.r.servers {
		if l.dead[i] {
			continue
		}
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		m.SetEdns0(1232, false)
		in, _, err := l.r.udp.ExchangeContext(l.ctx, m, server)
		if err == nil && in.Truncated {
			in, _, err = l.r.tcp.ExchangeContext(l.ctx, m, server)
		}
		if err == nil {
			return in, nil
		}
		if ctxErr := l.ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		l.dead[i] = true
		last = &queryError{server: server, query: dns.TypeToString[qtype] + " " + trimDot(name), err: err}
	}
	if last == nil {
		last = errors.New("no DNS server left to ask")
	}
	return nil, last
}

// queryError is a query that a server did not answer.
type queryError struct {
	server, query string
	err           error
}

func (e *queryError) Error() string {
	var ne interface{ Timeout() bool }
	if errors.As(e.err, &ne) && ne.Timeout() {
		return "timeout asking " + e.server + " for " + e.query
	}
	return "asking " + e.server + " for " + e.query + ": " + e.err.Error()
}

func (e *queryError) Unwrap() error { return e.err }

func trimDot(name string) string { return strings.TrimSuffix(name, ".") }
