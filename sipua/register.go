package sipua

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"intercom/sipua/digest"
	"intercom/sipua/message"
	"intercom/sipua/transaction"
	"intercom/sipua/transport"
)

// Account is who the station is at its registrar.
type Account struct {
	// User is the user part of the address of record, sip:User@Domain.
	User string
	// Domain is the registrar's domain, used in the address of record and
	// the Request-URI.
	Domain string
	// Password is the digest password; AuthUser, if set, the digest user
	// name when it differs from User.
	Password, AuthUser string
	// Expires is the registration lifetime asked for; default 10 minutes.
	Expires time.Duration
}

// RegState is the state of a registration.
type RegState int

// Registration states.
const (
	Unregistered RegState = iota
	Registering
	Registered
	RegFailed
)

func (s RegState) String() string {
	return [...]string{"unregistered", "registering", "registered", "failed"}[s]
}

// RegStatus is what an observer sees of a registration.
type RegStatus struct {
	State RegState
	// Expires is the lifetime the registrar granted (when Registered).
	Expires time.Duration
	// Err is why the last attempt failed (when RegFailed).
	Err error
}

// Registration keeps an account registered (RFC 3261 §10): it registers,
// answers digest challenges, honours the registrar's Expires and
// Min-Expires (423), refreshes before expiry, backs off with jitter after
// failures and unregisters when its context ends.
//
// It also notices by itself when its registrar goes away and comes back:
//
//   - While registered with keep-alives on, a keep-alive is an OPTIONS
//     probe of the registrar when it has shown that it answers them (a
//     CRLF otherwise). A probe not answered within ProbeWait means the
//     registrar, or the way to it, is down: the status turns RegFailed at
//     once (so that calls through it can fail fast) and the registration
//     is sent again, so that a registrar that restarted and lost its
//     bindings gets ours back as soon as it answers.
//   - After a failure where no registrar answered at all (timeouts,
//     transport errors), the back-off is spent probing the registrars
//     with OPTIONS; any answer ends it, and the station registers at once.
//     The back-off is capped at BackoffMax (30 s) in any case.
//   - When the registrar's name cannot be resolved (DNS down), the
//     addresses it resolved to last time are used.
type Registration struct {
	acct     Account
	layer    *transaction.Layer
	auth     *digest.Client
	onChange func(RegStatus)

	// targets returns where REGISTER may go, in order: the next is tried
	// after a timeout, a transport error or a 503 (RFC 3263 §4.3).
	targets func(context.Context) ([]hop, error)
	// localFor returns our address as seen towards a registrar, for the
	// Via and the Contact.
	localFor func(to transport.Addr) transport.Addr
	// learnt, if set, is told the address the registrar saw us at
	// (received and rport of RFC 3581); it returns whether that changed
	// our address, so the Contact must be registered again.
	learnt func(seen netip.AddrPort) bool
	// keepAlive, if positive, is the interval of CRLF keep-alives sent to
	// the registrar while registered, to keep NAT bindings open.
	keepAlive time.Duration
	// ping sends one keep-alive.
	ping func(to transport.Addr)
	// connect, if set, opens the connection to a hop before a send.
	connect func(hop) error

	// BackoffBase and BackoffMax bound the delay after a failure, which
	// doubles from the base and is jittered to 50–100% (RFC 5626 §4.5).
	// Defaults 1 s and 30 s, so a station is back soon after its server
	// even when no probe tells it so.
	BackoffBase, BackoffMax time.Duration
	// Timeout bounds one REGISTER transaction; default 32 s (64*T1).
	Timeout time.Duration
	// ProbeWait is how long an OPTIONS probe of the registrar may go
	// unanswered before the registrar counts as unreachable; default 2 s
	// (the first answer normally comes within one round trip, and two
	// retransmissions fit in 2 s).
	ProbeWait time.Duration

	// lastHops are the targets of the last attempt, used when they cannot
	// be resolved again and probed during a back-off.
	lastHops []hop
	// answered is whether any registrar answered the last attempt.
	answered bool
	// probes is what is known of the current registrar's answers to
	// OPTIONS.
	probes probeState

	callID, fromTag string
	cseq            uint32
	registrar       transport.Addr // the target that answered last
	contactURI      string         // the Contact of the last REGISTER

	mu     sync.Mutex
	status RegStatus
}

// hop is a next hop: where to send, and the name a TLS server must prove.
type hop struct {
	addr       transport.Addr
	serverName string
}

// NewRegistration returns a registration of acct at registrar, sent from
// local through layer. onChange, if not nil, is called on every change of
// status.
func NewRegistration(acct Account, layer *transaction.Layer, registrar, local transport.Addr, onChange func(RegStatus)) *Registration {
	if acct.Expires <= 0 {
		acct.Expires = 10 * time.Minute
	}
	r := &Registration{
		acct: acct, layer: layer, onChange: onChange,
		BackoffBase: time.Second, BackoffMax: 30 * time.Second, Timeout: 32 * time.Second,
		ProbeWait: 2 * time.Second,
		targets:   func(context.Context) ([]hop, error) { return []hop{{addr: registrar}}, nil },
		localFor:  func(transport.Addr) transport.Addr { return local },
		callID:    randomToken() + "@" + local.AddrPort.Addr().String(),
		fromTag:   randomToken(),
	}
	r.auth = r.newAuth()
	return r
}

// newAuth returns a digest client with the account's credentials.
func (r *Registration) newAuth() *digest.Client {
	user := r.acct.AuthUser
	if user == "" {
		user = r.acct.User
	}
	return digest.NewClient(digest.Credentials{Username: user, Password: r.acct.Password})
}

// Status returns the current status.
func (r *Registration) Status() RegStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

func (r *Registration) set(s RegStatus) {
	r.mu.Lock()
	changed := r.status.State != s.State || r.status.Expires != s.Expires || (s.Err != nil) != (r.status.Err != nil)
	r.status = s
	r.mu.Unlock()
	if changed && r.onChange != nil {
		r.onChange(s)
	}
}

// Run registers and keeps the registration fresh until ctx ends, then
// unregisters (bounded by 5 seconds) and returns.
func (r *Registration) Run(ctx context.Context) error {
	failures := 0
	for {
		// A refresh keeps the status; so do retries after a failure, so
		// that the status says "failed" until the registrar is back.
		if st := r.Status().State; st != Registered && st != RegFailed {
			r.set(RegStatus{State: Registering})
		}
		stopWatch := r.watchSilent()
		granted, err := r.register(ctx, r.acct.Expires)
		if stopWatch() { // the REGISTER was silent too: an outage
			r.probes.verdictPending = false
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			r.probes.verdictPending = false // the silent probe was an outage
			r.set(RegStatus{State: RegFailed, Err: err})
			wait := r.backoff(failures)
			failures++
			if !r.waitBackoff(ctx, wait, !r.answered) {
				break
			}
			continue
		}
		if r.probes.verdictPending { // silent to OPTIONS, yet registered
			r.probes.verdictPending, r.probes.off = false, true
		}
		r.set(RegStatus{State: Registered, Expires: granted})
		failures = 0
		again, why := r.whileRegistered(ctx, refreshIn(granted))
		if !again {
			break
		}
		if why != nil {
			r.set(RegStatus{State: RegFailed, Err: why})
		}
	}
	if r.Status().State == Registered {
		unreg, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := r.register(unreg, 0); err != nil {
			return fmt.Errorf("unregister: %w", err)
		}
	}
	r.set(RegStatus{State: Unregistered})
	return nil
}

// probeState is what is known of a registrar's answers to OPTIONS.
type probeState struct {
	registrar transport.Addr // whom it is about
	answered  bool           // it answered a probe
	off       bool           // it answers REGISTER but not OPTIONS: no probes
	// verdictPending: a probe of a registrar that never answered one
	// went unanswered; the REGISTER that follows tells whether it is
	// down (it fails) or ignores OPTIONS (it succeeds).
	verdictPending bool
}

// watchSilent, after a probe that a registrar never known to answer
// OPTIONS left unanswered, turns the status RegFailed when the REGISTER
// that follows is not answered within ProbeWait either, without waiting
// for its transaction to time out. The function it returns ends the
// watch, waits for it and reports whether it turned the status.
func (r *Registration) watchSilent() func() bool {
	if !r.probes.verdictPending {
		return func() bool { return false }
	}
	registrar := r.registrar
	done := make(chan struct{})
	t := time.AfterFunc(r.ProbeWait, func() {
		defer close(done)
		r.set(RegStatus{State: RegFailed, Err: fmt.Errorf("%w: neither OPTIONS nor REGISTER answered by %v within %v",
			ErrRegistrarSilent, registrar, r.ProbeWait)})
	})
	return func() bool {
		if t.Stop() {
			return false
		}
		<-done
		return true
	}
}

// ErrRegistrarSilent is wrapped by the status error when the registrar
// stopped answering the probes of a registered station.
var ErrRegistrarSilent = errors.New("registrar not answering")

// whileRegistered waits d until the next refresh, sending keep-alives to
// the registrar meanwhile: OPTIONS probes when it answers them, CRLF
// otherwise. It reports whether ctx is still alive, and, when it returns
// early because a probe went unanswered, why the registration is to be
// considered failed (nil when the registrar never answered a probe: the
// REGISTER sent next tells whether it is down).
func (r *Registration) whileRegistered(ctx context.Context, d time.Duration) (bool, error) {
	end := time.NewTimer(d)
	defer end.Stop()
	var tick <-chan time.Time
	if r.keepAlive > 0 {
		t := time.NewTicker(r.keepAlive)
		defer t.Stop()
		tick = t.C
	}
	if r.probes.registrar != r.registrar {
		r.probes = probeState{registrar: r.registrar}
	}
	answer := make(chan bool, 1) // the outcome of the probe in flight
	inFlight := false
	late := time.NewTimer(r.ProbeWait)
	late.Stop()
	defer late.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case <-end.C:
			return true, nil
		case <-tick:
			switch {
			case !inFlight && !r.probes.off && r.layer != nil:
				inFlight = true
				ch := answer
				r.probe(hop{addr: r.registrar}, func(ok bool) { ch <- ok })
				late.Reset(r.ProbeWait)
			case r.ping != nil:
				r.ping(r.registrar)
			}
		case ok := <-answer:
			inFlight = false
			late.Stop()
			if ok {
				r.probes.answered = true
				continue
			}
			// A transport error: unreachable at once.
			return true, r.silent(fmt.Errorf("%w: probe of %v failed", ErrRegistrarSilent, r.registrar))
		case <-late.C:
			return true, r.silent(fmt.Errorf("%w: no answer from %v within %v", ErrRegistrarSilent, r.registrar, r.ProbeWait))
		}
	}
}

// silent returns err when the registrar, silent to a probe, answered
// probes before; else it notes that the REGISTER sent next must tell
// whether it is down or merely ignores OPTIONS, and returns nil.
func (r *Registration) silent(err error) error {
	if r.probes.answered {
		return err
	}
	r.probes.verdictPending = true
	return nil
}

// maxProbed is how many registrars are probed at once during a back-off.
const maxProbed = 4

// waitBackoff waits d after a failure and reports whether ctx is still
// alive. When no registrar answered the failed attempt (unreachable), it
// probes the registrars of that attempt with OPTIONS meanwhile, one
// transaction each at a time (whose retransmissions reach a registrar
// within T2 of its return), and returns early on the first answer.
func (r *Registration) waitBackoff(ctx context.Context, d time.Duration, unreachable bool) bool {
	end := time.NewTimer(d)
	defer end.Stop()
	hops := r.lastHops[:min(len(r.lastHops), maxProbed)]
	if !unreachable || r.layer == nil {
		hops = nil
	}
	type result struct {
		i  int
		ok bool
	}
	// One probe at most in flight per registrar, and each reports once:
	// the buffer never fills.
	results := make(chan result, len(hops))
	inFlight := make([]bool, len(hops))
	start := func(i int) {
		inFlight[i] = true
		r.probe(hops[i], func(ok bool) { results <- result{i, ok} })
	}
	for i := range hops {
		start(i)
	}
	// A probe that failed at once (a refused connection) is sent again
	// after a pause, never more often.
	retry := time.NewTicker(time.Second)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-end.C:
			return true
		case res := <-results:
			inFlight[res.i] = false
			if res.ok {
				return true
			}
		case <-retry.C:
			for i := range hops {
				if !inFlight[i] {
					start(i)
				}
			}
		}
	}
}

// probe sends one OPTIONS to h and calls done once: with true when a
// final response (of any status: the server is alive) comes back, with
// false when the transaction fails without one. done must not block.
func (r *Registration) probe(h hop, done func(ok bool)) {
	var once sync.Once
	report := func(ok bool) { once.Do(func() { done(ok) }) }
	if r.connect != nil {
		if err := r.connect(h); err != nil {
			report(false)
			return
		}
	}
	local := r.localFor(h.addr)
	aor := "sip:" + r.acct.User + "@" + r.acct.Domain
	var m message.Message
	m.InitRequest(message.OPTIONS, "sip:"+r.acct.Domain)
	m.AddHeader("Via", "SIP/2.0/"+local.Transport+" "+local.AddrPort.String()+";rport;branch="+message.MagicCookie+randomToken())
	m.AddHeader("Max-Forwards", "70")
	m.AddHeader("From", "<"+aor+">;tag="+randomToken())
	m.AddHeader("To", "<sip:"+r.acct.Domain+">")
	m.AddHeader("Call-ID", randomToken()+"@"+local.AddrPort.Addr().String())
	m.AddHeader("CSeq", "1 OPTIONS")
	m.AddHeader("User-Agent", "intercom")
	_, err := r.layer.Send(&m, h.addr, func(_ *transaction.Client, resp *message.Message, err error) {
		switch {
		case err != nil:
			report(false)
		case resp.StatusCode() >= 200:
			report(true)
		}
	})
	if err != nil {
		report(false)
	}
}

// refreshIn is when to refresh a registration granted for d: at three
// quarters of its life, and never later than 30 s before it ends.
func refreshIn(d time.Duration) time.Duration {
	return max(min(d*3/4, d-30*time.Second), time.Second)
}

// backoff returns the delay after the given number of earlier failures.
func (r *Registration) backoff(failures int) time.Duration {
	d := r.BackoffBase << min(failures, 16)
	if d > r.BackoffMax || d <= 0 {
		d = r.BackoffMax
	}
	return d/2 + time.Duration(mrand.Int64N(int64(d/2)+1))
}

// register tries each target in turn until one gives a final answer
// other than 503, and returns the lifetime granted.
func (r *Registration) register(ctx context.Context, expires time.Duration) (time.Duration, error) {
	r.answered = false
	targets, err := r.targets(ctx)
	switch {
	case err != nil && len(r.lastHops) > 0 && ctx.Err() == nil:
		targets = r.lastHops // DNS is down: where it pointed last time
	case err != nil:
		return 0, fmt.Errorf("register: %w", err)
	default:
		r.lastHops = targets
	}
	for _, h := range targets {
		var granted time.Duration
		granted, err = r.registerAt(ctx, h, expires)
		var next tryNext
		if err == nil || ctx.Err() != nil || !errors.As(err, &next) {
			return granted, err
		}
	}
	if err == nil {
		err = errors.New("no registrar")
	}
	return 0, fmt.Errorf("register: %w", err)
}

// tryNext wraps a failure after which the next target is tried: a
// timeout, a transport error or 503 Service Unavailable (RFC 3263 §4.3).
type tryNext struct{ error }

func (e tryNext) Unwrap() error { return e.error }

// registerAt sends REGISTER to one target with the given expiry (0
// unregisters) until it gets a final answer, answering up to three
// challenges or 423s on the way, and returns the lifetime granted.
func (r *Registration) registerAt(ctx context.Context, h hop, expires time.Duration) (time.Duration, error) {
	r.registrar = h.addr
	fresh := false // req answers a challenge of this attempt
	for range 4 {
		req := r.request(expires)
		if err := r.auth.Authorize(req); err != nil {
			return 0, fmt.Errorf("register: %w", err)
		}
		resp, err := r.send(ctx, h, req)
		if err != nil {
			return 0, tryNext{err}
		}
		r.answered = true
		code := resp.StatusCode()
		switch {
		case code >= 200 && code < 300:
			if r.learnt != nil && expires > 0 && r.learntChanged(resp) {
				continue // register the Contact the registrar can reach
			}
			return r.granted(resp, expires), nil
		case code == 503:
			return 0, tryNext{fmt.Errorf("at %v: 503 %s", h.addr, resp.Reason())}
		case code == 401 || code == 407:
			_, err := r.auth.Challenged(req, resp)
			if errors.Is(err, digest.ErrRejected) && !fresh {
				// The credentials answered an older challenge, whose
				// nonce a registrar that restarted no longer knows (it
				// challenges again without stale=true): answer this one.
				r.auth = r.newAuth()
				_, err = r.auth.Challenged(nil, resp)
			}
			if err != nil {
				return 0, fmt.Errorf("register: %d %s: %w", code, resp.Reason(), err)
			}
			fresh = true
		case code == 423:
			v, _ := resp.Header("Min-Expires")
			n, err := strconv.ParseUint(string(v), 10, 32)
			if err != nil || time.Duration(n)*time.Second <= expires {
				return 0, fmt.Errorf("register: 423 without a usable Min-Expires (%q)", v)
			}
			expires = time.Duration(n) * time.Second
		default:
			return 0, fmt.Errorf("register: %d %s", code, resp.Reason())
		}
	}
	return 0, errors.New("register: too many challenges")
}

// learntChanged reads the received and rport the registrar put in our Via
// and tells them to learnt.
func (r *Registration) learntChanged(resp *message.Message) bool {
	via, err := resp.Via()
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(strings.Trim(string(via.Received()), "[]"))
	if err != nil {
		return false
	}
	port, ok := via.RPort()
	if !ok || port == 0 {
		port = via.Port
	}
	if port == 0 {
		return false
	}
	return r.learnt(netip.AddrPortFrom(ip.Unmap(), uint16(port)))
}

// request builds the next REGISTER.
func (r *Registration) request(expires time.Duration) *message.Message {
	r.cseq++
	aor := "sip:" + r.acct.User + "@" + r.acct.Domain
	local := r.localFor(r.registrar)
	r.contactURI = contactURI(r.acct.User, local)
	var m message.Message
	m.InitRequest(message.REGISTER, "sip:"+r.acct.Domain)
	m.AddHeader("Via", "SIP/2.0/"+local.Transport+" "+local.AddrPort.String()+";rport;branch="+message.MagicCookie+randomToken())
	m.AddHeader("Max-Forwards", "70")
	m.AddHeader("From", "<"+aor+">;tag="+r.fromTag)
	m.AddHeader("To", "<"+aor+">")
	m.AddHeader("Call-ID", r.callID)
	m.AddHeader("CSeq", strconv.FormatUint(uint64(r.cseq), 10)+" REGISTER")
	m.AddHeader("Contact", "<"+r.contactURI+">")
	m.AddHeader("Expires", strconv.Itoa(int(expires/time.Second)))
	m.AddHeader("User-Agent", "intercom")
	return &m
}

// contactURI is the URI a user is reached at on a local address.
func contactURI(user string, local transport.Addr) string {
	c := "sip:" + user + "@" + local.AddrPort.String()
	if local.Transport != "UDP" {
		c += ";transport=" + strings.ToLower(local.Transport)
	}
	return c
}

// granted reads the lifetime a 2xx grants our Contact: its expires
// parameter, else the Expires header field, else what was asked.
func (r *Registration) granted(resp *message.Message, asked time.Duration) time.Duration {
	ours := r.contactURI
	for v := range resp.Values("Contact") {
		c, err := message.ParseNameAddr(v)
		if err != nil || c.URI.String() != ours {
			continue
		}
		if s, ok, err := c.Expires(); ok && err == nil {
			return time.Duration(s) * time.Second
		}
	}
	if s, ok, err := resp.Expires(); ok && err == nil {
		return time.Duration(s) * time.Second
	}
	return asked
}

// send runs one client transaction and waits for its final response, which
// it returns as a copy.
func (r *Registration) send(ctx context.Context, h hop, req *message.Message) (*message.Message, error) {
	if r.connect != nil {
		if err := r.connect(h); err != nil {
			return nil, err
		}
	}
	return sendAndWait(ctx, r.layer, req, h, r.Timeout)
}

// sendAndWait runs one non-INVITE client transaction and waits, at most
// timeout, for its final response, which it returns as a copy.
func sendAndWait(ctx context.Context, layer *transaction.Layer, req *message.Message, h hop, timeout time.Duration) (*message.Message, error) {
	final := make(chan *message.Message, 1)
	failed := make(chan error, 1)
	_, err := layer.Send(req, h.addr, func(_ *transaction.Client, resp *message.Message, err error) {
		switch {
		case err != nil:
			failed <- err
		case resp.StatusCode() >= 200:
			c := new(message.Message)
			c.CopyFrom(resp)
			final <- c
		}
	})
	if err != nil {
		return nil, err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	method := req.Method()
	select {
	case resp := <-final:
		return resp, nil
	case err := <-failed:
		return nil, fmt.Errorf("%s to %v: %w", method, h.addr, err)
	case <-t.C:
		return nil, fmt.Errorf("%s to %v: %w", method, h.addr, transaction.ErrTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// randomToken returns 16 random characters for tags, branches and Call-IDs.
func randomToken() string {
	return rand.Text()[:16]
}
