package sipua

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"intercom/sipua/digest"
	"intercom/sipua/locate"
	"intercom/sipua/message"
	"intercom/sipua/transaction"
	"intercom/sipua/transport"
)

// Config describes a user agent. Only Account.User is required.
type Config struct {
	// Listen is the local address, "0.0.0.0:5060" by default; port 0
	// picks a free port.
	Listen string
	// Transport is "udp" (the default), "tcp" or "tls".
	Transport string
	// TLSServer holds the certificate of a TLS listener; TLSClient the
	// roots that verify TLS servers (nil: the system's).
	TLSServer, TLSClient *tls.Config
	// Account is who the station is. With an empty Domain the station
	// registers nowhere and is called, and calls, by IP address.
	Account Account
	// OutboundProxy, if set, is a SIP URI every request out of a dialog is
	// sent to.
	OutboundProxy string
	// DNSServers are asked instead of those of /etc/resolv.conf.
	DNSServers []string
	// KeepAlive is the interval of CRLF keep-alives to the registrar, which
	// keep a NAT binding open (RFC 5626 §4.4.1); 0 sends none.
	KeepAlive time.Duration
	// SessionExpires is the session interval of RFC 4028: a call whose
	// session is not refreshed within it is ended; default 30 minutes,
	// at least 90 s.
	SessionExpires time.Duration
	// MaxCallDuration, if positive, ends every call that lasts longer.
	MaxCallDuration time.Duration
	// MaxCalls is how many calls may be up at once (more than one to ring
	// several phones in parallel). An incoming call while any call is up
	// or ringing is answered 486 Busy Here. Default 1: a door station
	// talks to one flat at a time.
	MaxCalls int
	// Timers are the RFC 3261 timer bases.
	Timers transaction.Timers
	// Logger receives the log; nil means slog.Default().
	Logger *slog.Logger
	// NewMedia returns the media session of a new call. Nil means calls
	// carry no session description.
	NewMedia func(*Call) (Media, error)
	// Policy decides whether an incoming call is allowed: it returns 0 to
	// let it ring, or the status code to reject it with (403, 603, ...).
	// Nil allows every call.
	Policy func(*Call) int
	// InboundAuth, if set, makes the station challenge every incoming
	// INVITE with Digest (RFC 7616, SHA-256 and MD5) in the realm of
	// InboundRealm (default the account's domain, else "intercom"): it
	// returns the password of a user, and whether the user is known. A
	// caller that cannot answer is refused 401 before the policy sees it;
	// Call.AuthUser tells the policy who passed.
	InboundAuth  func(user string) (password string, ok bool)
	InboundRealm string
	// InboundAlgorithms are the Digest algorithms callers are challenged
	// with, one WWW-Authenticate each, in order of preference; default
	// SHA-256 then MD5. Some phones (libre 1.x: baresip 1.0) give up on a
	// challenge that offers SHA-256 at all and need MD5 alone.
	InboundAlgorithms []digest.Algorithm
	// OnIncoming is told of an incoming call once it rings; the
	// application answers or rejects it (it must not block). Nil rejects
	// every incoming call with 480 Temporarily Unavailable.
	OnIncoming func(*Call)
	// OnEvent, if set, receives every event; it must not block.
	OnEvent func(Event)
	// UserAgent is the User-Agent and Server header value.
	UserAgent string
	// Limits bound each message received (size, header fields, line
	// length); zero fields take the message package's defaults.
	Limits message.Limits
	// MaxTransactions bounds the server transactions alive at once; past
	// it a new request is answered 503 with Retry-After, statelessly.
	// Default transaction.DefaultMaxServers.
	MaxTransactions int
	// MaxConns bounds the TCP and TLS connections (default 64);
	// IdleTimeout closes one nothing is read from (default 10 minutes);
	// MessageTimeout bounds the reading of one message on it, first byte
	// to last (default 30 s), against peers that send slowly.
	MaxConns                    int
	IdleTimeout, MessageTimeout time.Duration
}

// Media is a call's session description, negotiated by offer and answer
// (RFC 3264). Calls serialize their use of it. A Media that is also an
// io.Closer is closed when its call ends; one with a CancelOffer method is
// told when the peer refused our offer.
type Media interface {
	// Offer returns our offer, for an INVITE, a re-INVITE or a 2xx to an
	// INVITE without one.
	Offer() ([]byte, error)
	// Answer returns our answer to the peer's offer; an error rejects it
	// (488).
	Answer(offer []byte) ([]byte, error)
	// Accept takes the peer's answer to our last offer.
	Accept(answer []byte) error
}

// What the user agent supports, for Allow, Supported and Accept.
const (
	allowed   = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE"
	supported = "timer"
	accepted  = "application/sdp, application/dtmf-relay, application/dtmf"
)

// minSE is the smallest session interval we accept, RFC 4028's Min-SE
// floor; tests lower it.
var minSE = 90 * time.Second

// UA is a SIP user agent: it registers, places and receives calls.
type UA struct {
	cfg       Config
	log       *slog.Logger
	tr        *transport.Transport
	layer     *transaction.Layer
	loc       *locate.Resolver
	listen    transport.Addr
	reg       *Registration
	inbound   *digest.Server // challenges callers, with InboundAuth
	ready     chan struct{}  // closed once tr is set
	closeOnce sync.Once
	// ctx ends with Close, aborting refreshes and re-INVITEs in flight.
	ctx    context.Context
	cancel context.CancelFunc

	// Counters of what was received, and the limiter of the warnings
	// about it.
	malformedAnswered, malformedDropped, overloaded, dropped atomic.Uint64
	warn                                                     warnLimiter

	mu        sync.Mutex
	public    netip.AddrPort   // our address as a registrar saw it (RFC 3581)
	registrar netip.Addr       // the registrar that saw it
	closing   bool             // Close waits for the goroutines: no new ones
	dialogs   map[string]*Call // by dialog ID: Call-ID, local tag, remote tag
	calls     map[*Call]struct{}
	wg        sync.WaitGroup
}

// New starts a user agent listening as cfg says.
func New(cfg Config) (*UA, error) {
	if cfg.Account.User == "" {
		return nil, errors.New("sipua: Account.User is empty")
	}
	if cfg.Listen == "" {
		cfg.Listen = "0.0.0.0:5060"
	}
	if cfg.Transport == "" {
		cfg.Transport = "udp"
	}
	if cfg.SessionExpires == 0 {
		cfg.SessionExpires = 30 * time.Minute
	}
	cfg.SessionExpires = max(cfg.SessionExpires, minSE)
	if cfg.MaxCalls <= 0 {
		cfg.MaxCalls = 1
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "intercom"
	}
	ua := &UA{cfg: cfg, log: cfg.Logger, ready: make(chan struct{}),
		dialogs: make(map[string]*Call), calls: make(map[*Call]struct{})}
	ua.ctx, ua.cancel = context.WithCancel(context.Background())
	if ua.log == nil {
		ua.log = slog.Default()
	}
	tc := transport.Config{TLSServer: cfg.TLSServer, TLSClient: cfg.TLSClient, Limits: cfg.Limits,
		MaxConns: cfg.MaxConns, IdleTimeout: cfg.IdleTimeout, MessageTimeout: cfg.MessageTimeout}
	tpName := strings.ToUpper(cfg.Transport)
	switch tpName {
	case "UDP":
		tc.UDP = cfg.Listen
	case "TCP":
		tc.TCP = cfg.Listen
	case "TLS":
		tc.TLS = cfg.Listen
	default:
		return nil, fmt.Errorf("sipua: transport %q is not udp, tcp or tls", cfg.Transport)
	}
	lc := locate.Config{Transports: []locate.Transport{locate.Transport(strings.ToLower(tpName))}, Servers: cfg.DNSServers}
	if cfg.OutboundProxy != "" {
		u, err := message.ParseURI([]byte(cfg.OutboundProxy))
		if err != nil || !u.IsSIP() {
			return nil, fmt.Errorf("sipua: outbound proxy %q is not a SIP URI", cfg.OutboundProxy)
		}
		lc.OutboundProxy = &u
	}
	var err error
	if ua.loc, err = locate.New(lc); err != nil {
		return nil, fmt.Errorf("sipua: %w", err)
	}
	if cfg.InboundAuth != nil { // before the transport delivers any request
		realm := cmp.Or(cfg.InboundRealm, cfg.Account.Domain, "intercom")
		algs := cfg.InboundAlgorithms
		if len(algs) == 0 {
			algs = []digest.Algorithm{digest.SHA256, digest.MD5}
		}
		if ua.inbound, err = digest.NewServer(realm, algs...); err != nil {
			return nil, fmt.Errorf("sipua: %w", err)
		}
	}
	ua.layer = transaction.NewLayer(sender{ua}, ua, cfg.Timers)
	ua.layer.SetMaxServers(cfg.MaxTransactions)
	if ua.tr, err = transport.Listen(tc, ua.receive); err != nil {
		ua.cancel()
		return nil, fmt.Errorf("sipua: %w", err)
	}
	ua.listen, _ = ua.tr.LocalAddr(tpName)
	close(ua.ready)
	if cfg.Account.Domain != "" {
		ua.reg = ua.newRegistration()
	}
	return ua, nil
}

// sender lets the transaction layer send through the UA's transport.
type sender struct{ ua *UA }

func (s sender) Send(to transport.Addr, wire []byte) error { return s.ua.tr.Send(to, wire) }

// Addr returns the transport address the user agent listens on.
func (ua *UA) Addr() transport.Addr { return ua.listen }

// Run keeps the account registered, if it has a domain, until ctx ends;
// then it hangs up every call, unregisters and closes the user agent.
func (ua *UA) Run(ctx context.Context) error {
	var err error
	if ua.reg != nil {
		err = ua.reg.Run(ctx)
	} else {
		<-ctx.Done()
	}
	ua.Close()
	return err
}

// Close hangs up every call, waits (bounded) for the BYEs to be answered
// and closes the sockets.
func (ua *UA) Close() {
	ua.closeOnce.Do(func() {
		ua.cancel()
		for _, c := range ua.Calls() {
			c.Hangup()
		}
		ua.mu.Lock()
		ua.closing = true
		ua.mu.Unlock()
		done := make(chan struct{})
		go func() { ua.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		ua.tr.Close()
		ua.layer.Close()
	})
}

// spawn runs f in a goroutine Close waits for, unless Close has begun to
// wait, and reports whether it did.
func (ua *UA) spawn(f func()) bool {
	ua.mu.Lock()
	defer ua.mu.Unlock()
	if ua.closing {
		return false
	}
	ua.wg.Add(1)
	go func() {
		defer ua.wg.Done()
		f()
	}()
	return true
}

// Calls returns the calls not yet ended.
func (ua *UA) Calls() []*Call {
	ua.mu.Lock()
	defer ua.mu.Unlock()
	cs := make([]*Call, 0, len(ua.calls))
	for c := range ua.calls {
		cs = append(cs, c)
	}
	return cs
}

// Registration returns the status of the registration; Unregistered when
// the account has no domain.
func (ua *UA) Registration() RegStatus {
	if ua.reg == nil {
		return RegStatus{}
	}
	return ua.reg.Status()
}

// newRegistration sets up the registration of the account at its domain,
// located by RFC 3263, with NAT learning and keep-alives.
func (ua *UA) newRegistration() *Registration {
	r := NewRegistration(ua.cfg.Account, ua.layer, transport.Addr{}, ua.listen, func(s RegStatus) {
		switch s.State {
		case Registered:
			ua.emit(Event{Name: EventRegistered, Reason: s.Expires.String()})
		case RegFailed:
			ua.emit(Event{Name: EventRegistrationFailed, Reason: errString(s.Err)})
		case Unregistered:
			ua.emit(Event{Name: EventUnregistered})
		}
	})
	domain := ua.cfg.Account.Domain
	r.targets = func(ctx context.Context) ([]hop, error) {
		u, err := message.ParseURI([]byte("sip:" + domain))
		if err != nil {
			return nil, fmt.Errorf("domain %q: %w", domain, err)
		}
		return ua.resolve(ctx, &u)
	}
	r.localFor = ua.localFor
	r.learnt = ua.learn
	r.connect = ua.connect
	r.keepAlive = ua.cfg.KeepAlive
	r.ping = func(to transport.Addr) { _ = ua.tr.Send(to, []byte("\r\n\r\n")) }
	return r
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// resolve locates the next hops for a URI (RFC 3263), through the outbound
// proxy if one is set.
func (ua *UA) resolve(ctx context.Context, u *message.URI) ([]hop, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	targets, err := ua.loc.Lookup(ctx, u)
	if err != nil {
		return nil, err
	}
	hops := make([]hop, 0, len(targets))
	for _, t := range targets {
		hops = append(hops, hop{
			addr:       transport.Addr{Transport: strings.ToUpper(string(t.Transport)), AddrPort: t.Addr},
			serverName: t.ServerName,
		})
	}
	return hops, nil
}

// connect opens the connection to a hop on TCP or TLS before a
// transaction sends on it.
func (ua *UA) connect(h hop) error { return ua.tr.Connect(h.addr, h.serverName) }

// learn records the address a registrar saw us at. It reports whether that
// changed the address we give in Via and Contact.
func (ua *UA) learn(seen netip.AddrPort) bool {
	ua.mu.Lock()
	defer ua.mu.Unlock()
	if ua.reg != nil {
		ua.registrar = ua.reg.registrar.AddrPort.Addr()
	}
	if seen == ua.public || (seen.Addr() == ua.listen.AddrPort.Addr() && seen.Port() == ua.listen.AddrPort.Port()) {
		return false
	}
	if !ua.public.IsValid() && ua.listen.AddrPort.Addr().IsUnspecified() && seen.Port() == ua.listen.AddrPort.Port() && isLocal(seen.Addr()) {
		return false // our own interface address: no NAT in between
	}
	ua.public = seen
	ua.log.Info("address learnt from the registrar", "addr", seen.String())
	return true
}

// isLocal reports whether ip is one of this host's interface addresses.
func isLocal(ip netip.Addr) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Unmap() == ip {
			return true
		}
	}
	return false
}

// localFor returns our address for Via and Contact towards a peer: the one
// a registrar saw, towards that registrar and peers on the public
// Internet (through the same NAT); else the listen address, with an
// unspecified IP replaced by the source address the system would use to
// reach the peer. A phone on the LAN is given the LAN address.
func (ua *UA) localFor(to transport.Addr) transport.Addr {
	ua.mu.Lock()
	public, registrar := ua.public, ua.registrar
	ua.mu.Unlock()
	a := ua.listen
	dst := to.AddrPort.Addr()
	beyondNAT := dst == registrar || (dst.IsGlobalUnicast() && !dst.IsPrivate())
	if public.IsValid() && (beyondNAT || !to.AddrPort.IsValid()) {
		a.AddrPort = public
		return a
	}
	if a.AddrPort.Addr().IsUnspecified() && to.AddrPort.IsValid() {
		if c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(to.AddrPort)); err == nil {
			src := c.LocalAddr().(*net.UDPAddr).AddrPort()
			c.Close()
			a.AddrPort = netip.AddrPortFrom(src.Addr().Unmap(), a.AddrPort.Port())
		}
	}
	return a
}

// Stats are counters of what the user agent received from the network
// since it started, for monitoring hostile or broken peers.
type Stats struct {
	// MalformedAnswered counts malformed requests answered with an error
	// status, statelessly: 400, 501, 505 or 513.
	MalformedAnswered uint64
	// MalformedDropped counts malformed messages dropped unanswered, as
	// RFC 3261 wants for responses and ACKs, and requests too broken to
	// address a response to (no request line or no Via).
	MalformedDropped uint64
	// Overloaded counts requests refused 503 because the server
	// transaction table was at its bound (Config.MaxTransactions).
	Overloaded uint64
	// Dropped counts well-formed messages the transaction layer could not
	// take, such as a response to an ACK, or whose answer failed to send.
	Dropped uint64
	// ServerTransactions and ClientTransactions are the transactions
	// alive now.
	ServerTransactions, ClientTransactions int
	// Conns is the number of open TCP and TLS connections.
	Conns int
}

// Stats returns the counters of what was received.
func (ua *UA) Stats() Stats {
	clients, servers := ua.layer.Counts()
	return Stats{
		MalformedAnswered:  ua.malformedAnswered.Load(),
		MalformedDropped:   ua.malformedDropped.Load(),
		Overloaded:         ua.overloaded.Load(),
		Dropped:            ua.dropped.Load(),
		ServerTransactions: servers, ClientTransactions: clients,
		Conns: ua.tr.Conns(),
	}
}

// receive is the transport's handler: it checks what was read and hands it
// to the transaction layer, answering a malformed request statelessly.
// Whatever it refuses is counted (Stats) and logged at most once a minute
// per source address, so that a flood cannot flood the log.
func (ua *UA) receive(m *message.Message, from transport.Addr, err error) {
	<-ua.ready
	if err == nil {
		err = m.Validate()
	}
	if err != nil {
		ua.malformed(m, from, err)
		return
	}
	if m.IsRequest() {
		err = ua.layer.HandleRequest(m, from)
	} else {
		err = ua.layer.HandleResponse(m, from)
	}
	switch {
	case err == nil:
	case errors.Is(err, transaction.ErrOverload):
		ua.overloaded.Add(1)
		if n, ok := ua.warn.allow(netip.Addr{}, time.Now()); ok {
			ua.log.Warn("too many transactions: requests refused 503", "transactions", ua.Stats().ServerTransactions,
				"refused_since_last", n)
		}
	default:
		ua.dropped.Add(1)
		ua.log.Debug("message dropped", "from", from.String(), "err", err)
	}
}

// malformed answers a malformed request 4xx/5xx statelessly, or drops a
// malformed response, ACK or request without a request line or Via.
func (ua *UA) malformed(m *message.Message, from transport.Addr, err error) {
	var pe *message.ParseError
	answered := false
	if errors.As(err, &pe) && m.IsRequest() && m.Method() != message.ACK {
		if _, ok := m.Header("Via"); ok {
			var resp message.Message
			resp.InitResponse(m, pe.Status, pe.Reason(), "")
			resp.AddHeader("Warning", `399 intercom "`+strings.ReplaceAll(pe.Error(), `"`, "'")+`"`)
			resp.AddHeader("Server", ua.cfg.UserAgent)
			answered = ua.tr.Send(from, resp.AppendTo(nil)) == nil
		}
	}
	if answered {
		ua.malformedAnswered.Add(1)
	} else {
		ua.malformedDropped.Add(1)
	}
	if n, ok := ua.warn.allow(from.AddrPort.Addr(), time.Now()); ok {
		ua.log.Warn("malformed SIP message", "from", from.String(), "err", err, "answered", answered,
			"suppressed_since_last", n)
	} else {
		ua.log.Debug("malformed SIP message", "from", from.String(), "err", err, "answered", answered)
	}
}

// warnEvery is how often a source of bad messages is warned about.
const warnEvery = time.Minute

// maxWarnSources bounds the sources warnLimiter remembers; a flood from
// more addresses shares one slot.
const maxWarnSources = 256

// warnLimiter lets one warning a minute through per source address and
// counts the others. The zero value is ready to use.
type warnLimiter struct {
	mu      sync.Mutex
	sources map[netip.Addr]*warnState
}

type warnState struct {
	last       time.Time
	suppressed uint64
}

// allow reports whether a warning about src may be logged at now, and how
// many were suppressed since the last one.
func (w *warnLimiter) allow(src netip.Addr, now time.Time) (suppressed uint64, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sources == nil {
		w.sources = make(map[netip.Addr]*warnState)
	}
	shared := netip.IPv6Unspecified() // the slot of the sources past the bound
	if w.sources[src] == nil && len(w.sources) >= maxWarnSources-1 {
		for a, s := range w.sources {
			if now.Sub(s.last) >= warnEvery {
				delete(w.sources, a)
			}
		}
		if len(w.sources) >= maxWarnSources-1 {
			src = shared
		}
	}
	st := w.sources[src]
	if st == nil {
		w.sources[src] = &warnState{last: now}
		return 0, true
	}
	if now.Sub(st.last) < warnEvery {
		st.suppressed++
		return 0, false
	}
	n := st.suppressed
	st.last, st.suppressed = now, 0
	return n, true
}

// StrayResponse answers a 2xx to an INVITE whose transaction has ended
// with the ACK again (RFC 3261 §13.2.2.4).
func (ua *UA) StrayResponse(resp *message.Message, from transport.Addr) {
	cseq, err := resp.CSeq()
	if err != nil || cseq.Method != message.INVITE || resp.StatusCode()/100 != 2 {
		return
	}
	if c := ua.dialogFor(resp, false); c != nil {
		c.onStray2xx(resp)
	}
}

// ServerError ends the call whose 2xx or final response was never
// acknowledged.
func (ua *UA) ServerError(tx *transaction.Server, err error) {
	ua.log.Debug("server transaction failed", "err", err)
}

// dialogFor finds the call of the dialog a message belongs to. For a
// request we received, our tag is in To; for a response, in From.
func (ua *UA) dialogFor(m *message.Message, request bool) *Call {
	from, err1 := m.From()
	to, err2 := m.To()
	if err1 != nil || err2 != nil {
		return nil
	}
	local, remote := from.Tag(), to.Tag()
	if request {
		local, remote = remote, local
	}
	ua.mu.Lock()
	defer ua.mu.Unlock()
	return ua.dialogs[dialogID(string(m.CallID()), string(local), string(remote))]
}

func dialogID(callID, localTag, remoteTag string) string {
	return callID + "|" + localTag + "|" + remoteTag
}

// addCall records a live call; it fails when MaxCalls are up, and for an
// incoming call while any call is.
func (ua *UA) addCall(c *Call) bool {
	ua.mu.Lock()
	defer ua.mu.Unlock()
	// MaxCalls above 1 is for ringing several phones at once; an incoming
	// call finds the station busy while any call is up or ringing, for it
	// talks to one party at a time.
	if len(ua.calls) >= ua.cfg.MaxCalls || !c.outgoing && len(ua.calls) > 0 {
		return false
	}
	ua.calls[c] = struct{}{}
	return true
}

// removeCall forgets an ended call and its dialogs.
func (ua *UA) removeCall(c *Call) {
	ua.mu.Lock()
	defer ua.mu.Unlock()
	delete(ua.calls, c)
	for id, d := range ua.dialogs {
		if d == c {
			delete(ua.dialogs, id)
		}
	}
}

// addDialog indexes a call by one of its dialog IDs.
func (ua *UA) addDialog(id string, c *Call) {
	ua.mu.Lock()
	ua.dialogs[id] = c
	ua.mu.Unlock()
}

// contactFor is our Contact URI towards a peer.
func (ua *UA) contactFor(to transport.Addr) string {
	return contactURI(ua.cfg.Account.User, ua.localFor(to))
}

// via returns a new top Via towards a peer.
func (ua *UA) via(to transport.Addr) string {
	local := ua.localFor(to)
	return "SIP/2.0/" + local.Transport + " " + local.AddrPort.String() + ";rport;branch=" + message.MagicCookie + randomToken()
}

// aor is the station's address of record.
func (ua *UA) aor() string {
	host := ua.cfg.Account.Domain
	if host == "" {
		host = ua.localFor(transport.Addr{}).AddrPort.Addr().String()
		if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() {
			host = "[" + host + "]"
		}
	}
	return "sip:" + ua.cfg.Account.User + "@" + host
}

// addCapabilities adds what we allow, support and accept to a message.
func (ua *UA) addCapabilities(m *message.Message) {
	m.AddHeader("Allow", allowed)
	m.AddHeader("Supported", supported)
}

// respond answers a request on its server transaction.
func (ua *UA) respond(tx *transaction.Server, req *message.Message, code int, reason string, hdrs ...string) {
	var resp message.Message
	resp.InitResponse(req, code, reason, randomToken())
	for i := 0; i+1 < len(hdrs); i += 2 {
		resp.AddHeader(hdrs[i], hdrs[i+1])
	}
	resp.AddHeader("Server", ua.cfg.UserAgent)
	if err := tx.Respond(&resp); err != nil {
		ua.log.Debug("respond", "code", code, "err", err)
	}
}
