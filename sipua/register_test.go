package sipua

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"intercom/sipua/digest"
	"intercom/sipua/message"
	"intercom/sipua/transaction"
	"intercom/sipua/transport"
)

// registrar is a small digest-authenticating registrar on 127.0.0.1 for the
// tests of this layer.
type registrar struct {
	t          testing.TB
	tr         *transport.Transport
	ds         *digest.Server
	password   string
	minExpires int           // answer 423 below this
	grant      int           // expires granted; 0 grants what was asked
	ready      chan struct{} // closed once tr is set

	// unavailable makes it answer 503; nat, if set, is the address its
	// 2xx says it saw us at (received, rport), as if a NAT were between.
	unavailable atomic.Bool
	nat         atomic.Pointer[netip.AddrPort]

	mu       sync.Mutex
	expires  []int    // the Expires of each REGISTER accepted
	contacts []string // and its Contact
	seen     int      // REGISTERs received
}

func newRegistrar(t testing.TB, addr string, minExpires, grant int) *registrar {
	t.Helper()
	ds, err := digest.NewServer("door.test", digest.SHA256, digest.MD5)
	if err != nil {
		t.Fatal(err)
	}
	r := &registrar{t: t, ds: ds, password: "secret", minExpires: minExpires, grant: grant, ready: make(chan struct{})}
	r.tr, err = transport.Listen(transport.Config{UDP: addr}, r.handle)
	if err != nil {
		t.Fatal(err)
	}
	close(r.ready)
	t.Cleanup(func() { r.tr.Close() })
	return r
}

func (r *registrar) addr() transport.Addr { a, _ := r.tr.LocalAddr("UDP"); return a }

func (r *registrar) accepted() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.expires...)
}

func (r *registrar) handle(m *message.Message, from transport.Addr, err error) {
	<-r.ready
	if err != nil || !m.IsRequest() || m.Method() != message.REGISTER {
		return
	}
	var resp message.Message
	reply := func() { _ = r.tr.Send(from, resp.AppendTo(nil)) }
	r.mu.Lock()
	r.seen++
	r.mu.Unlock()
	if r.unavailable.Load() {
		resp.InitResponse(m, 503, "Service Unavailable", "reg")
		reply()
		return
	}
	authOK := false
	if v, ok := m.Header("Authorization"); ok {
		if a, err := digest.ParseAuthorization(v); err == nil {
			authOK = r.ds.Verify(&a, digest.Request{Method: "REGISTER", URI: string(m.RequestURI())},
				digest.Credentials{Username: "door", Password: r.password}) == nil
		}
	}
	exp, _, _ := m.Expires()
	switch {
	case !authOK:
		resp.InitResponse(m, 401, "Unauthorized", "reg")
		for _, c := range r.ds.Challenges(false) {
			resp.AddHeader("WWW-Authenticate", c)
		}
		reply()
	case exp != 0 && int(exp) < r.minExpires:
		resp.InitResponse(m, 423, "Interval Too Brief", "reg")
		resp.AddHeader("Min-Expires", strconv.Itoa(r.minExpires))
		reply()
	default:
		grant := int(exp)
		if r.grant != 0 && exp != 0 {
			grant = r.grant
		}
		resp.InitResponse(m, 200, "OK", "reg")
		if nat := r.nat.Load(); nat != nil {
			v, _ := m.Header("Via")
			var kept []string
			for _, p := range strings.Split(string(v), ";") {
				if !strings.HasPrefix(p, "received") && !strings.HasPrefix(p, "rport") {
					kept = append(kept, p)
				}
			}
			resp.SetHeader("Via", strings.Join(kept, ";")+";received="+nat.Addr().String()+";rport="+strconv.Itoa(int(nat.Port())))
		}
		c, _ := m.Header("Contact")
		if exp != 0 {
			resp.AddHeader("Contact", string(c)+";expires="+strconv.Itoa(grant))
		}
		r.mu.Lock()
		r.contacts = append(r.contacts, string(c))
		r.expires = append(r.expires, int(exp))
		r.mu.Unlock()
		reply()
	}
}

type nopCore struct{}

func (nopCore) Request(*transaction.Server, *message.Message, transaction.Addr) {}
func (nopCore) StrayResponse(*message.Message, transaction.Addr)                {}
func (nopCore) ServerError(*transaction.Server, error)                          {}

// station starts a UDP transport and transaction layer on 127.0.0.1.
func station(t testing.TB) (*transaction.Layer, transport.Addr) {
	t.Helper()
	return stationWithTimers(t, transaction.Timers{})
}

// stationWithTimers is station with the given transaction timers.
func stationWithTimers(t testing.TB, timers transaction.Timers) (*transaction.Layer, transport.Addr) {
	t.Helper()
	var layer *transaction.Layer
	tr, err := transport.Listen(transport.Config{UDP: "127.0.0.1:0"}, func(m *message.Message, from transport.Addr, err error) {
		if err == nil && !m.IsRequest() {
			_ = layer.HandleResponse(m, from)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	layer = transaction.NewLayer(tr, nopCore{}, timers)
	local, _ := tr.LocalAddr("UDP")
	return layer, local
}

// waitFor polls cond for at most 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("not %s within 10 s", what)
}

func TestRegistration(t *testing.T) {
	reg := newRegistrar(t, "127.0.0.1:0", 120, 2) // 423 first, then a 2 s lifetime: refreshed after 1 s
	layer, local := station(t)
	var mu sync.Mutex
	var states []RegState
	r := NewRegistration(Account{User: "door", Domain: "door.test", Password: "secret", Expires: 60 * time.Second},
		layer, reg.addr(), local, func(s RegStatus) { mu.Lock(); states = append(states, s.State); mu.Unlock() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()

	waitFor(t, "refreshed", func() bool { return len(reg.accepted()) >= 2 })
	if st := r.Status(); st.State != Registered || st.Expires != 2*time.Second {
		t.Errorf("status %+v, want registered for 2 s", st)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := reg.accepted()
	if got[0] != 120 || got[len(got)-1] != 0 {
		t.Errorf("accepted Expires %v: want 120 after the 423, and 0 at the end", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if states[0] != Registering || states[1] != Registered || states[len(states)-1] != Unregistered {
		t.Errorf("states %v", states)
	}
}

func TestRegistrationWrongPassword(t *testing.T) {
	reg := newRegistrar(t, "127.0.0.1:0", 0, 0)
	layer, local := station(t)
	r := NewRegistration(Account{User: "door", Domain: "door.test", Password: "wrong"}, layer, reg.addr(), local, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	waitFor(t, "failed", func() bool { return r.Status().State == RegFailed })
	if err := r.Status().Err; !errors.Is(err, digest.ErrRejected) {
		t.Errorf("error %v, want digest.ErrRejected", err)
	}
}

// TestRegistrationRecovers: with the registrar away, the station fails and
// retries; when the registrar comes back at the same address, it registers.
func TestRegistrationRecovers(t *testing.T) {
	layer, local := station(t)
	probe := newRegistrar(t, "127.0.0.1:0", 0, 0) // find a free port, then free it
	addr := probe.addr()
	probe.tr.Close()

	r := NewRegistration(Account{User: "door", Domain: "door.test", Password: "secret"}, layer, addr, local, nil)
	r.BackoffBase, r.BackoffMax, r.Timeout = 20*time.Millisecond, 200*time.Millisecond, 300*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	waitFor(t, "failed", func() bool { return r.Status().State == RegFailed })
	reg := newRegistrar(t, addr.AddrPort.String(), 0, 0)
	waitFor(t, "registered after the registrar came back", func() bool { return r.Status().State == Registered })
	if n := len(reg.accepted()); n != 1 {
		t.Errorf("%d REGISTERs accepted, want 1", n)
	}
}

func TestRefreshAndBackoff(t *testing.T) {
	for d, want := range map[time.Duration]time.Duration{
		3600 * time.Second: 2700 * time.Second,
		60 * time.Second:   30 * time.Second,
		2 * time.Second:    time.Second,
	} {
		if got := refreshIn(d); got != want {
			t.Errorf("refreshIn(%v) = %v, want %v", d, got, want)
		}
	}
	r := &Registration{BackoffBase: time.Second, BackoffMax: time.Minute}
	for failures, limit := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		for range 50 {
			if d := r.backoff(failures); d < limit/2 || d > limit {
				t.Fatalf("backoff after %d failures = %v, want %v..%v", failures, d, limit/2, limit)
			}
		}
	}
	if d := r.backoff(40); d > time.Minute || d < 30*time.Second {
		t.Errorf("backoff after 40 failures = %v, want capped at 1 min", d)
	}
}
