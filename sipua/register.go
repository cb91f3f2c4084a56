package sipua

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
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
type Registration struct {
	acct      Account
	layer     *transaction.Layer
	registrar transport.Addr // where REGISTER goes
	local     transport.Addr // our address, for Via and Contact
	auth      *digest.Client
	onChange  func(RegStatus)

	// BackoffBase and BackoffMax bound the delay after a failure, which
	// doubles from the base and is jittered to 50–100% (RFC 5626 §4.5).
	// Defaults 1 s and 60 s, so a station is back soon after its server.
	BackoffBase, BackoffMax time.Duration
	// Timeout bounds one REGISTER transaction; default 32 s (64*T1).
	Timeout time.Duration

	callID, fromTag string
	cseq            uint32

	mu     sync.Mutex
	status RegStatus
}

// NewRegistration returns a registration of acct at registrar, sent from
// local through layer. onChange, if not nil, is called on every change of
// status.
func NewRegistration(acct Account, layer *transaction.Layer, registrar, local transport.Addr, onChange func(RegStatus)) *Registration {
	if acct.Expires <= 0 {
		acct.Expires = 10 * time.Minute
	}
	user := acct.AuthUser
	if user == "" {
		user = acct.User
	}
	return &Registration{
		acct: acct, layer: layer, registrar: registrar, local: local, onChange: onChange,
		auth:        digest.NewClient(digest.Credentials{Username: user, Password: acct.Password}),
		BackoffBase: time.Second, BackoffMax: time.Minute, Timeout: 32 * time.Second,
		callID:  randomToken() + "@" + local.AddrPort.Addr().String(),
		fromTag: randomToken(),
	}
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
		r.set(RegStatus{State: Registering})
		granted, err := r.register(ctx, r.acct.Expires)
		var wait time.Duration
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			r.set(RegStatus{State: RegFailed, Err: err})
			wait = r.backoff(failures)
			failures++
		} else {
			r.set(RegStatus{State: Registered, Expires: granted})
			failures = 0
			wait = refreshIn(granted)
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
			continue
		}
		break
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

// register sends REGISTER with the given expiry (0 unregisters) until it
// gets a final answer, answering up to three challenges or 423s on the way,
// and returns the lifetime granted.
func (r *Registration) register(ctx context.Context, expires time.Duration) (time.Duration, error) {
	for range 4 {
		req := r.request(expires)
		if err := r.auth.Authorize(req); err != nil {
			return 0, fmt.Errorf("register: %w", err)
		}
		resp, err := r.send(ctx, req)
		if err != nil {
			return 0, err
		}
		code := resp.StatusCode()
		switch {
		case code >= 200 && code < 300:
			return r.granted(resp, expires), nil
		case code == 401 || code == 407:
			if _, err := r.auth.Challenged(req, resp); err != nil {
				return 0, fmt.Errorf("register: %d %s: %w", code, resp.Reason(), err)
			}
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

// request builds the next REGISTER.
func (r *Registration) request(expires time.Duration) *message.Message {
	r.cseq++
	aor := "sip:" + r.acct.User + "@" + r.acct.Domain
	local := r.local.AddrPort.String()
	var m message.Message
	m.InitRequest(message.REGISTER, "sip:"+r.acct.Domain)
	m.AddHeader("Via", "SIP/2.0/"+r.local.Transport+" "+local+";rport;branch="+message.MagicCookie+randomToken())
	m.AddHeader("Max-Forwards", "70")
	m.AddHeader("From", "<"+aor+">;tag="+r.fromTag)
	m.AddHeader("To", "<"+aor+">")
	m.AddHeader("Call-ID", r.callID)
	m.AddHeader("CSeq", strconv.FormatUint(uint64(r.cseq), 10)+" REGISTER")
	m.AddHeader("Contact", "<"+r.contact()+">")
	m.AddHeader("Expires", strconv.Itoa(int(expires/time.Second)))
	m.AddHeader("User-Agent", "intercom")
	return &m
}

// contact is the URI the station is reached at.
func (r *Registration) contact() string {
	c := "sip:" + r.acct.User + "@" + r.local.AddrPort.String()
	if r.local.Transport != "UDP" {
		c += ";transport=" + r.local.Transport
	}
	return c
}

// granted reads the lifetime a 2xx grants our Contact: its expires
// parameter, else the Expires header field, else what was asked.
func (r *Registration) granted(resp *message.Message, asked time.Duration) time.Duration {
	ours := r.contact()
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
func (r *Registration) send(ctx context.Context, req *message.Message) (*message.Message, error) {
	final := make(chan *message.Message, 1)
	failed := make(chan error, 1)
	_, err := r.layer.Send(req, r.registrar, func(_ *transaction.Client, resp *message.Message, err error) {
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
		return nil, fmt.Errorf("register: %w", err)
	}
	timeout := time.NewTimer(r.Timeout)
	defer timeout.Stop()
	select {
	case resp := <-final:
		return resp, nil
	case err := <-failed:
		return nil, fmt.Errorf("register at %v: %w", r.registrar, err)
	case <-timeout.C:
		return nil, fmt.Errorf("register at %v: %w", r.registrar, transaction.ErrTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// randomToken returns 16 random characters for tags, branches and Call-IDs.
func randomToken() string {
	return rand.Text()[:16]
}
