package sipua

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"intercom/sipua/message"
	"intercom/sipua/transaction"
	"intercom/sipua/transport"
)

// pinged is a registrar on 127.0.0.1 that answers REGISTER (200, or 403
// when told to refuse) and OPTIONS, and answers nothing while down, as a
// registrar that stopped or that the network cut off.
type pinged struct {
	tr      *transport.Transport
	ready   chan struct{}
	down    atomic.Bool
	refuse  atomic.Bool
	mu      sync.Mutex
	reg     int // REGISTERs answered 200
	options int // OPTIONS answered
}

func newPinged(t *testing.T) *pinged {
	t.Helper()
	p := &pinged{ready: make(chan struct{})}
	var err error
	p.tr, err = transport.Listen(transport.Config{UDP: "127.0.0.1:0"}, p.handle)
	if err != nil {
		t.Fatal(err)
	}
	close(p.ready)
	t.Cleanup(func() { p.tr.Close() })
	return p
}

func (p *pinged) addr() transport.Addr { a, _ := p.tr.LocalAddr("UDP"); return a }

func (p *pinged) counts() (reg, options int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reg, p.options
}

func (p *pinged) handle(m *message.Message, from transport.Addr, err error) {
	<-p.ready
	if err != nil || !m.IsRequest() || p.down.Load() {
		return
	}
	var resp message.Message
	switch m.Method() {
	case message.OPTIONS:
		resp.InitResponse(m, 200, "OK", "p")
		p.mu.Lock()
		p.options++
		p.mu.Unlock()
	case message.REGISTER:
		if p.refuse.Load() {
			resp.InitResponse(m, 403, "Forbidden", "p")
			break
		}
		exp, _, _ := m.Expires()
		resp.InitResponse(m, 200, "OK", "p")
		if c, ok := m.Header("Contact"); ok && exp > 0 {
			resp.AddHeader("Contact", string(c)+";expires="+strconv.Itoa(int(exp)))
		}
		p.mu.Lock()
		p.reg++
		p.mu.Unlock()
	default:
		return
	}
	_ = p.tr.Send(from, resp.AppendTo(nil))
}

// quickStation is station with short transaction timers: a request
// nobody answers fails after 64*T1 = 640 ms.
func quickStation(t *testing.T) (*transaction.Layer, transport.Addr) {
	t.Helper()
	return stationWithTimers(t, transaction.Timers{T1: 10 * time.Millisecond, T2: 40 * time.Millisecond})
}

// statusLog records every status a registration goes through.
type statusLog struct {
	mu  sync.Mutex
	all []RegStatus
}

func (l *statusLog) add(s RegStatus) { l.mu.Lock(); l.all = append(l.all, s); l.mu.Unlock() }

func (l *statusLog) saw(st RegState) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.all {
		if s.State == st {
			return true
		}
	}
	return false
}

func runRegistration(t *testing.T, r *Registration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// TestProbeNoticesOutage: a registered station whose registrar stops
// answering its OPTIONS probes turns failed within the probe's wait, long
// before its registration would be refreshed, and registers again by
// itself once the registrar answers again (as after a restart that lost
// the bindings).
func TestProbeNoticesOutage(t *testing.T) {
	reg := newPinged(t)
	layer, local := quickStation(t)
	var log statusLog
	r := NewRegistration(Account{User: "door", Domain: "door.test", Expires: time.Hour}, layer, reg.addr(), local, log.add)
	r.keepAlive, r.ProbeWait = 30*time.Millisecond, 150*time.Millisecond
	r.BackoffBase = time.Hour // only a probe's answer can end the back-off in time
	runRegistration(t, r)
	waitFor(t, "registered", func() bool { return r.Status().State == Registered })
	waitFor(t, "probed", func() bool { _, n := reg.counts(); return n >= 2 })
	if log.saw(RegFailed) {
		t.Fatal("failed while the registrar answered")
	}

	reg.down.Store(true)
	waitFor(t, "failed", func() bool { return r.Status().State == RegFailed })
	if err := r.Status().Err; !errors.Is(err, ErrRegistrarSilent) && !errors.Is(err, transaction.ErrTimeout) {
		t.Errorf("failed with %v, want the registrar silent or a timeout", err)
	}
	before, _ := reg.counts()
	reg.down.Store(false)
	waitFor(t, "registered again", func() bool { return r.Status().State == Registered })
	if after, _ := reg.counts(); after <= before {
		t.Errorf("REGISTERs answered: %d before the return, %d after; want a new registration", before, after)
	}
}

// TestBackoffEndsOnProbeAnswer: a station that never reached its
// registrar backs off for an hour, probing; the registrar's first answer
// ends the back-off and the station registers.
func TestBackoffEndsOnProbeAnswer(t *testing.T) {
	reg := newPinged(t)
	reg.down.Store(true)
	layer, local := quickStation(t)
	r := NewRegistration(Account{User: "door", Domain: "door.test"}, layer, reg.addr(), local, nil)
	r.BackoffBase, r.BackoffMax = time.Hour, time.Hour
	runRegistration(t, r)
	waitFor(t, "failed", func() bool { return r.Status().State == RegFailed })
	reg.down.Store(false)
	waitFor(t, "registered once the registrar answered", func() bool { return r.Status().State == Registered })
	if _, n := reg.counts(); n == 0 {
		t.Error("no OPTIONS probe reached the registrar")
	}
}

// TestNoProbeWhenRefused: a registrar that answers, but refuses the
// registration, is not asked again before the back-off ends however
// readily it answers probes.
func TestNoProbeWhenRefused(t *testing.T) {
	reg := newPinged(t)
	reg.refuse.Store(true)
	layer, local := quickStation(t)
	r := NewRegistration(Account{User: "door", Domain: "door.test"}, layer, reg.addr(), local, nil)
	r.BackoffBase, r.BackoffMax = time.Hour, time.Hour
	runRegistration(t, r)
	waitFor(t, "failed", func() bool { return r.Status().State == RegFailed })
	time.Sleep(300 * time.Millisecond)
	if _, n := reg.counts(); n != 0 {
		t.Errorf("%d OPTIONS probes sent to a registrar that answered", n)
	}
}

// TestRegistrarIgnoringOptions: a registrar that answers REGISTER but
// never OPTIONS (the test registrar of register_test.go) is checked once
// with a REGISTER; the station stays registered and keeps it alive with
// CRLF keep-alives from then on.
func TestRegistrarIgnoringOptions(t *testing.T) {
	reg := newRegistrar(t, "127.0.0.1:0", 0, 0)
	layer, local := quickStation(t)
	var log statusLog
	r := NewRegistration(Account{User: "door", Domain: "door.test", Password: "secret", Expires: time.Hour},
		layer, reg.addr(), local, log.add)
	r.keepAlive, r.ProbeWait = 20*time.Millisecond, 100*time.Millisecond
	var pings atomic.Int32
	r.ping = func(transport.Addr) { pings.Add(1) }
	runRegistration(t, r)
	waitFor(t, "registered twice (the check)", func() bool { return len(reg.accepted()) >= 2 })
	time.Sleep(300 * time.Millisecond) // a dozen keep-alives
	if n := len(reg.accepted()); n != 2 {
		t.Errorf("%d REGISTERs accepted, want 2: the first and the one check", n)
	}
	if log.saw(RegFailed) {
		t.Error("the registration failed")
	}
	if pings.Load() == 0 {
		t.Error("no CRLF keep-alive after the probes were found unanswered")
	}
}

// TestRegisterWithoutDNS: when the targets can no longer be resolved, the
// refresh goes where they pointed last time.
func TestRegisterWithoutDNS(t *testing.T) {
	reg := newPinged(t)
	layer, local := quickStation(t)
	var log statusLog
	r := NewRegistration(Account{User: "door", Domain: "door.test", Expires: 2 * time.Second}, layer, reg.addr(), local, log.add)
	var lookups atomic.Int32
	r.targets = func(context.Context) ([]hop, error) {
		if lookups.Add(1) > 1 {
			return nil, errors.New("DNS is down")
		}
		return []hop{{addr: reg.addr()}}, nil
	}
	runRegistration(t, r)
	waitFor(t, "refreshed without DNS", func() bool { n, _ := reg.counts(); return n >= 2 })
	if log.saw(RegFailed) || lookups.Load() < 2 {
		t.Errorf("failed %v, lookups %d: want a refresh at the old address after a failed lookup", log.saw(RegFailed), lookups.Load())
	}
}
