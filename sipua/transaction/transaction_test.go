package transaction

import (
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"intercom/sipua/message"
)

// sent is one message the layer sent: when (on the test's fake clock), to
// where, and the message parsed.
type sent struct {
	at  time.Duration
	to  Addr
	msg *message.Message
}

// recorder is the transport and the core of the tests.
type recorder struct {
	start time.Time

	mu        sync.Mutex
	sent      []sent
	requests  []*message.Message
	ackNoTx   int
	strays    int
	srvErrors []error
	serverTx  *Server
}

func newRecorder() *recorder { return &recorder{start: time.Now()} }

func (r *recorder) Send(to Addr, wire []byte) error {
	m, err := message.Parse(append([]byte(nil), wire...))
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.sent = append(r.sent, sent{time.Since(r.start), to, m})
	r.mu.Unlock()
	return nil
}

func (r *recorder) Request(tx *Server, req *message.Message, from Addr) {
	var c message.Message
	c.CopyFrom(req)
	r.mu.Lock()
	defer r.mu.Unlock()
	if tx == nil {
		r.ackNoTx++
		return
	}
	r.requests = append(r.requests, &c)
	r.serverTx = tx
}

func (r *recorder) StrayResponse(*message.Message, Addr) {
	r.mu.Lock()
	r.strays++
	r.mu.Unlock()
}

func (r *recorder) ServerError(_ *Server, err error) {
	r.mu.Lock()
	r.srvErrors = append(r.srvErrors, err)
	r.mu.Unlock()
}

// sends returns the times, in ms, at which messages with the given method
// (or status code, for responses) were sent.
func (r *recorder) sends(what string) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var at []int
	for _, s := range r.sent {
		if string(s.msg.Method()) == what || (s.msg.StatusCode() != 0 && itoa(s.msg.StatusCode()) == what) {
			at = append(at, int(s.at/time.Millisecond))
		}
	}
	return at
}

func itoa(n int) string {
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}

var (
	udpPeer = Addr{Transport: "UDP", AddrPort: netip.MustParseAddrPort("192.0.2.20:5062")}
	tcpPeer = Addr{Transport: "TCP", AddrPort: netip.MustParseAddrPort("192.0.2.20:5062")}
)

func request(method, branch, toTag string) *message.Message {
	to := "<sip:flat1@192.0.2.20>"
	if toTag != "" {
		to += ";tag=" + toTag
	}
	text := method + " sip:flat1@192.0.2.20 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 192.0.2.50:5060;branch=" + branch + "\r\n" +
		"Max-Forwards: 70\r\nTo: " + to + "\r\n" +
		"From: <sip:door@192.0.2.50>;tag=door1\r\nCall-ID: call-1@192.0.2.50\r\n" +
		"CSeq: 1 " + method + "\r\nContent-Length: 0\r\n\r\n"
	m, err := message.Parse([]byte(text))
	if err != nil {
		panic(err)
	}
	return m
}

func response(req *message.Message, code int, toTag string) *message.Message {
	var r message.Message
	r.InitResponse(req, code, "Reason", toTag)
	m, err := message.Parse(r.AppendTo(nil))
	if err != nil {
		panic(err)
	}
	return m
}

func resErr(c *clientResult) error   { _, err := c.get(); return err }
func resCodes(c *clientResult) []int { codes, _ := c.get(); return codes }

// clientResult collects what a client transaction reported.
type clientResult struct {
	mu    sync.Mutex
	codes []int
	err   error
}

func (c *clientResult) on(_ *Client, resp *message.Message, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.err = err
		return
	}
	c.codes = append(c.codes, resp.StatusCode())
}

// get returns what the transaction reported so far.
func (c *clientResult) get() ([]int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.codes...), c.err
}

// core is a snapshot of what the core was given.
type core struct {
	requests  []*message.Message
	ackNoTx   int
	strays    int
	srvErrors []error
	tx        *Server
	last      *message.Message // the last message sent
	nsent     int
}

func (r *recorder) core() core {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := core{requests: r.requests, ackNoTx: r.ackNoTx, strays: r.strays, srvErrors: r.srvErrors, tx: r.serverTx, nsent: len(r.sent)}
	if len(r.sent) > 0 {
		c.last = r.sent[len(r.sent)-1].msg
	}
	return c
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestClientTimeouts(t *testing.T) {
	tests := []struct {
		name, method string
		to           Addr
		want         []int // send times in ms
	}{
		// Timer A doubles from T1; Timer B ends it at 64*T1.
		{"INVITE over UDP", "INVITE", udpPeer, []int{0, 500, 1500, 3500, 7500, 15500, 31500}},
		// Timer E doubles up to T2; Timer F ends it at 64*T1.
		{"OPTIONS over UDP", "OPTIONS", udpPeer, []int{0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500}},
		{"INVITE over TCP", "INVITE", tcpPeer, []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := newRecorder()
				l := NewLayer(rec, rec, Timers{})
				var res clientResult
				if _, err := l.Send(request(tt.method, "z9hG4bK-a", ""), tt.to, res.on); err != nil {
					t.Fatal(err)
				}
				time.Sleep(31999 * time.Millisecond)
				if resErr(&res) != nil {
					t.Fatalf("ended before 64*T1: %v", resErr(&res))
				}
				time.Sleep(2 * time.Millisecond)
				if got := rec.sends(tt.method); !equalInts(got, tt.want) {
					t.Errorf("sent at %v ms, want %v", got, tt.want)
				}
				if !errors.Is(resErr(&res), ErrTimeout) {
					t.Errorf("error %v, want ErrTimeout", resErr(&res))
				}
				if c, _ := l.Counts(); c != 0 {
					t.Errorf("%d client transactions left", c)
				}
			})
		})
	}
}

func TestInviteClientFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		l := NewLayer(rec, rec, Timers{})
		var res clientResult
		req := request("INVITE", "z9hG4bK-b", "")
		tx, err := l.Send(req, udpPeer, res.on)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		_ = l.HandleResponse(response(req, 180, "flat"), udpPeer)
		time.Sleep(1000 * time.Millisecond) // no retransmission in Proceeding
		busy := response(req, 486, "flat")
		_ = l.HandleResponse(busy, udpPeer)
		_ = l.HandleResponse(busy, udpPeer) // retransmitted: ACK again, not delivered
		if !equalInts(resCodes(&res), []int{180, 486}) || tx.State() != Completed {
			t.Fatalf("delivered %v, state %v", resCodes(&res), tx.State())
		}
		if got := rec.sends("INVITE"); !equalInts(got, []int{0}) {
			t.Errorf("INVITE sent at %v", got)
		}
		acks := rec.sends("ACK")
		if len(acks) != 2 {
			t.Fatalf("%d ACKs, want 2", len(acks))
		}
		ack := rec.core().last
		via, _ := ack.Via()
		to, _ := ack.To()
		cseq, _ := ack.CSeq()
		if string(via.Branch()) != "z9hG4bK-b" || string(to.Tag()) != "flat" || cseq != (message.CSeq{Seq: 1, Method: message.ACK}) ||
			string(ack.RequestURI()) != "sip:flat1@192.0.2.20" {
			t.Errorf("ACK:\n%s", ack)
		}
		time.Sleep(32*time.Second + time.Millisecond) // Timer D
		if tx.State() != Terminated || resErr(&res) != nil {
			t.Errorf("after Timer D: %v, %v", tx.State(), resErr(&res))
		}
	})
}

func TestInviteClientAccepted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		l := NewLayer(rec, rec, Timers{})
		var res clientResult
		req := request("INVITE", "z9hG4bK-c", "")
		tx, _ := l.Send(req, udpPeer, res.on)
		ok := response(req, 200, "flat")
		_ = l.HandleResponse(ok, udpPeer)
		time.Sleep(2 * time.Second)
		_ = l.HandleResponse(ok, udpPeer) // retransmitted 2xx reaches the core, which ACKs it
		if !equalInts(resCodes(&res), []int{200, 200}) || tx.State() != Accepted {
			t.Errorf("delivered %v, state %v", resCodes(&res), tx.State())
		}
		if n := len(rec.sends("INVITE")); n != 1 {
			t.Errorf("INVITE sent %d times", n)
		}
		time.Sleep(31 * time.Second) // Timer M
		if tx.State() != Terminated {
			t.Errorf("state %v after Timer M", tx.State())
		}
		_ = l.HandleResponse(ok, udpPeer)
		if rec.core().strays != 1 {
			t.Errorf("%d stray responses, want 1", rec.core().strays)
		}
	})
}

func TestNonInviteClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		l := NewLayer(rec, rec, Timers{})
		var res clientResult
		req := request("REGISTER", "z9hG4bK-d", "")
		tx, _ := l.Send(req, udpPeer, res.on)
		time.Sleep(600 * time.Millisecond)
		_ = l.HandleResponse(response(req, 100, ""), udpPeer)
		time.Sleep(5000 * time.Millisecond) // in Proceeding, Timer E fires every T2
		_ = l.HandleResponse(response(req, 200, "r"), udpPeer)
		_ = l.HandleResponse(response(req, 200, "r"), udpPeer) // absorbed
		if got := rec.sends("REGISTER"); !equalInts(got, []int{0, 500, 1500, 5500}) {
			t.Errorf("REGISTER sent at %v", got)
		}
		if !equalInts(resCodes(&res), []int{100, 200}) || tx.State() != Completed {
			t.Errorf("delivered %v, state %v", resCodes(&res), tx.State())
		}
		time.Sleep(5*time.Second + time.Millisecond) // Timer K = T4
		if tx.State() != Terminated {
			t.Errorf("state %v after Timer K", tx.State())
		}
	})
}

func TestSendErrors(t *testing.T) {
	rec := newRecorder()
	l := NewLayer(rec, rec, Timers{})
	if _, err := l.Send(request("OPTIONS", "old2543", ""), udpPeer, nil); err == nil || !strings.Contains(err.Error(), "magic cookie") {
		t.Errorf("branch without cookie: %v", err)
	}
	synctest.Test(t, func(t *testing.T) {
		l := NewLayer(newRecorder(), newRecorder(), Timers{})
		var res clientResult
		if _, err := l.Send(request("OPTIONS", "z9hG4bK-e", ""), tcpPeer, res.on); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Send(request("OPTIONS", "z9hG4bK-e", ""), tcpPeer, res.on); err == nil {
			t.Error("a second transaction with the same branch was started")
		}
		time.Sleep(33 * time.Second)
	})
}

func TestInviteServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		l := NewLayer(rec, rec, Timers{})
		inv := request("INVITE", "z9hG4bK-f", "")
		if err := l.HandleRequest(inv, udpPeer); err != nil {
			t.Fatal(err)
		}
		if len(rec.core().requests) != 1 || rec.core().tx == nil {
			t.Fatalf("core got %d requests", len(rec.core().requests))
		}
		tx := rec.core().tx
		time.Sleep(time.Second)
		_ = l.HandleRequest(inv, udpPeer) // retransmission: 100 again, core not called
		if len(rec.core().requests) != 1 || !equalInts(rec.sends("100"), []int{0, 1000}) {
			t.Fatalf("requests %d, 100 sent at %v", len(rec.core().requests), rec.sends("100"))
		}
		if err := tx.Respond(response(inv, 486, "door")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(4 * time.Second) // Timer G: 486 again at +0.5, +1.5, +3.5 s
		_ = l.HandleRequest(ackFor(inv, "door"), udpPeer)
		time.Sleep(10 * time.Second)
		if got := rec.sends("486"); !equalInts(got, []int{1000, 1500, 2500, 4500}) {
			t.Errorf("486 sent at %v", got)
		}
		if tx.State() != Terminated || len(rec.core().srvErrors) != 0 || rec.core().ackNoTx != 0 {
			t.Errorf("state %v, errors %v, stray ACKs %d", tx.State(), rec.core().srvErrors, rec.core().ackNoTx)
		}
	})
}

func ackFor(inv *message.Message, toTag string) *message.Message {
	via, _ := inv.Via()
	return request("ACK", string(via.Branch()), toTag)
}

func TestInviteServerNoAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		l := NewLayer(rec, rec, Timers{})
		inv := request("INVITE", "z9hG4bK-g", "")
		_ = l.HandleRequest(inv, udpPeer)
		_ = rec.core().tx.Respond(response(inv, 603, "door"))
		time.Sleep(33 * time.Second) // Timer H
		if len(rec.core().srvErrors) != 1 || !errors.Is(rec.core().srvErrors[0], ErrTimeout) {
			t.Errorf("server errors %v, want one ErrTimeout", rec.core().srvErrors)
		}
		if n := len(rec.sends("603")); n != 11 { // at 0, .5, 1.5, 3.5, 7.5, then every 4 s to 31.5
			t.Errorf("603 sent %d times", n)
		}
	})
}

func TestInviteServerAccepted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		l := NewLayer(rec, rec, Timers{})
		inv := request("INVITE", "z9hG4bK-h", "")
		_ = l.HandleRequest(inv, udpPeer)
		tx := rec.core().tx
		ok := response(inv, 200, "door")
		if err := tx.Respond(ok); err != nil {
			t.Fatal(err)
		}
		if err := tx.Respond(ok); err != nil { // the core retransmits its 2xx
			t.Fatal(err)
		}
		_ = l.HandleRequest(inv, udpPeer) // a late retransmission is absorbed
		_ = l.HandleRequest(request("ACK", "z9hG4bK-ack", "door"), udpPeer)
		if len(rec.core().requests) != 1 || rec.core().ackNoTx != 1 || len(rec.sends("200")) != 2 {
			t.Errorf("requests %d, ACKs to the core %d, 200 sent %d times", len(rec.core().requests), rec.core().ackNoTx, len(rec.sends("200")))
		}
		if err := tx.Respond(response(inv, 500, "door")); err == nil {
			t.Error("a 500 after the 200 was accepted")
		}
		time.Sleep(33 * time.Second) // Timer L
		if _, s := l.Counts(); s != 0 {
			t.Errorf("%d server transactions left", s)
		}
	})
}

func TestNonInviteServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		l := NewLayer(rec, rec, Timers{})
		opt := request("OPTIONS", "z9hG4bK-i", "")
		_ = l.HandleRequest(opt, udpPeer)
		_ = l.HandleRequest(opt, udpPeer) // in Trying: absorbed, nothing sent
		if rec.core().nsent != 0 {
			t.Fatalf("sent %d messages in Trying", rec.core().nsent)
		}
		_ = rec.core().tx.Respond(response(opt, 200, "door"))
		time.Sleep(10 * time.Second)
		_ = l.HandleRequest(opt, udpPeer) // in Completed: the 200 again
		if got := rec.sends("200"); !equalInts(got, []int{0, 10000}) || len(rec.core().requests) != 1 {
			t.Errorf("200 sent at %v, %d requests to the core", got, len(rec.core().requests))
		}
		time.Sleep(23 * time.Second) // Timer J = 64*T1
		if _, s := l.Counts(); s != 0 {
			t.Errorf("%d server transactions left", s)
		}
	})
}

// TestRFC2543Matching: a peer without the magic cookie is matched by the
// request's fields (§17.2.3); its ACK matches by the To tag we sent.
func TestRFC2543Matching(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		l := NewLayer(rec, rec, Timers{})
		inv := request("INVITE", "2543branch", "")
		_ = l.HandleRequest(inv, udpPeer)
		_ = l.HandleRequest(request("INVITE", "2543branch", ""), udpPeer) // retransmission
		if len(rec.core().requests) != 1 {
			t.Fatalf("%d requests to the core, want 1", len(rec.core().requests))
		}
		tx := rec.core().tx
		_ = tx.Respond(response(inv, 486, "door"))
		_ = l.HandleRequest(request("ACK", "2543branch", "other"), udpPeer) // wrong To tag: not ours
		if tx.State() != Completed || rec.core().ackNoTx != 1 {
			t.Errorf("after a foreign ACK: %v, %d ACKs to the core", tx.State(), rec.core().ackNoTx)
		}
		_ = l.HandleRequest(request("ACK", "2543branch", "door"), udpPeer)
		if tx.State() != Confirmed {
			t.Errorf("after our ACK: %v", tx.State())
		}
		time.Sleep(6 * time.Second)
	})
}

func TestMergedRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		l := NewLayer(rec, rec, Timers{})
		_ = l.HandleRequest(request("INVITE", "z9hG4bK-path1", ""), udpPeer)
		_ = l.HandleRequest(request("INVITE", "z9hG4bK-path2", ""), udpPeer) // same request by another path
		if len(rec.core().requests) != 1 || len(rec.sends("482")) != 1 {
			t.Errorf("%d requests to the core, 482 sent %d times", len(rec.core().requests), len(rec.sends("482")))
		}
		_ = rec.core().tx.Respond(response(rec.core().requests[0], 486, "door"))
		time.Sleep(40 * time.Second)
	})
}

func TestResponseAddr(t *testing.T) {
	src := Addr{Transport: "UDP", AddrPort: netip.MustParseAddrPort("203.0.113.7:41234")}
	for via, want := range map[string]string{
		"SIP/2.0/UDP 192.168.1.5:5062;branch=z9hG4bKa;rport": "203.0.113.7:41234",
		"SIP/2.0/UDP 192.168.1.5:5062;branch=z9hG4bKa":       "203.0.113.7:5062",
		"SIP/2.0/UDP 192.168.1.5;branch=z9hG4bKa":            "203.0.113.7:5060",
	} {
		v, err := message.ParseVia([]byte(via))
		if err != nil {
			t.Fatal(err)
		}
		if got := responseAddr(&v, src).AddrPort.String(); got != want {
			t.Errorf("%s: responses to %s, want %s", via, got, want)
		}
	}
	if got := responseAddr(&message.Via{}, tcpPeer); got != tcpPeer {
		t.Errorf("TCP: responses to %v, want the connection's peer", got)
	}
}
