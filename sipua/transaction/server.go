package transaction

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"intercom/sipua/message"
)

// Server is a server transaction: one received request and the responses the
// core sends to it.
type Server struct {
	l        *Layer
	key      string
	mergeKey string // Call-ID, From tag and CSeq of a request without To tag
	invite   bool
	to       Addr // where responses go (RFC 3261 §18.2.2, RFC 3581)
	reqToTag string
	toTag    string // the To tag of the final response, for RFC 2543 ACKs
	last     []byte // the last response sent, for retransmissions
	state    State
	interval time.Duration

	retransmit, timeout, linger timer // G; H; I, J or L
}

// State returns the transaction's state.
func (tx *Server) State() State {
	tx.l.mu.Lock()
	defer tx.l.mu.Unlock()
	return tx.state
}

// Respond sends resp, a response the core built for the transaction's
// request, and runs the state machine (RFC 3261 §17.2.1, §17.2.2, RFC 6026).
// A 2xx to an INVITE may be sent again while the core waits for the ACK.
func (tx *Server) Respond(resp *message.Message) error {
	code := resp.StatusCode()
	wire := resp.AppendTo(nil)
	l, t := tx.l, tx.l.timers
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case tx.state == Trying || tx.state == Proceeding:
	case tx.state == Accepted && code >= 200 && code < 300:
		return tx.send(wire)
	default:
		return fmt.Errorf("respond %d: transaction is %v", code, tx.state)
	}
	if err := tx.send(wire); err != nil {
		tx.end()
		return err
	}
	tx.last = wire
	if code < 200 {
		tx.state = Proceeding
		return nil
	}
	if to, err := resp.To(); err == nil {
		tx.toTag = string(to.Tag())
	}
	switch {
	case tx.invite && code < 300:
		tx.state = Accepted // the core retransmits the 2xx until the ACK
		tx.linger.start(l, 64*t.T1, func() func() { tx.end(); return nil })
	case tx.invite:
		tx.state = Completed
		if !tx.to.Reliable() {
			tx.interval = t.T1
			tx.retransmit.start(l, tx.interval, tx.onRetransmit)
		}
		tx.timeout.start(l, 64*t.T1, func() func() {
			tx.end()
			return func() { l.core.ServerError(tx, ErrTimeout) }
		})
	default:
		tx.state = Completed
		d := 64 * t.T1 // Timer J
		if tx.to.Reliable() {
			d = 0
		}
		tx.linger.start(l, d, func() func() { tx.end(); return nil })
	}
	return nil
}

func (tx *Server) send(wire []byte) error {
	if err := tx.l.tr.Send(tx.to, wire); err != nil {
		return fmt.Errorf("respond to %v: %w: %w", tx.to.AddrPort, ErrTransport, err)
	}
	return nil
}

// onRetransmit is Timer G: the final response again, doubling up to T2.
func (tx *Server) onRetransmit() func() {
	if tx.state != Completed {
		return nil
	}
	if err := tx.send(tx.last); err != nil {
		tx.end()
		return func() { tx.l.core.ServerError(tx, err) }
	}
	tx.interval = min(2*tx.interval, tx.l.timers.T2)
	tx.retransmit.start(tx.l, tx.interval, tx.onRetransmit)
	return nil
}

// end terminates the transaction; the caller holds the lock.
func (tx *Server) end() {
	if tx.state == Terminated {
		return
	}
	tx.state = Terminated
	tx.retransmit.stop()
	tx.timeout.stop()
	tx.linger.stop()
	delete(tx.l.servers, tx.key)
	if tx.mergeKey != "" && tx.l.merged[tx.mergeKey] == tx {
		delete(tx.l.merged, tx.mergeKey)
	}
}

// absorb handles a request that matched the transaction: a retransmission,
// or the ACK to a final response. It returns what to call after the lock is
// released.
func (tx *Server) absorb(req *message.Message, from Addr) func() {
	if req.Method() == message.ACK {
		switch tx.state {
		case Completed:
			tx.state = Confirmed
			tx.retransmit.stop()
			tx.timeout.stop()
			d := tx.l.timers.T4 // Timer I
			if tx.to.Reliable() {
				d = 0
			}
			tx.linger.start(tx.l, d, func() func() { tx.end(); return nil })
		case Accepted: // an RFC 2543 ACK to our 2xx, with the INVITE's branch
			return func() { tx.l.core.Request(nil, req, from) }
		}
		return nil
	}
	if (tx.state == Proceeding || tx.state == Completed) && tx.last != nil {
		_ = tx.send(tx.last) // the peer lost our response
	}
	return nil
}

// HandleRequest hands a received, validated request to the layer: a
// retransmission is absorbed, an ACK to a 2xx goes to the core as it is, a
// merged request (RFC 3261 §8.2.2.2) is answered 482, a CANCEL of no INVITE
// server transaction 481 (both statelessly), a request past MaxServers 503
// (ErrOverload), and any other request starts a server transaction and goes
// to the core.
func (l *Layer) HandleRequest(req *message.Message, from Addr) error {
	via, err := req.Via()
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	to, err := req.To()
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	fromHdr, err := req.From()
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	cseq, err := req.CSeq()
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	method := req.Method()
	var key string
	if via.RFC3261Branch() {
		key = transactionKey(via.Branch(), &via, method)
	} else {
		key = rfc2543Key(req, &via, fromHdr.Tag(), cseq)
	}

	l.mu.Lock()
	if tx := l.servers[key]; tx != nil && tx.matches2543(req, to.Tag()) {
		after := tx.absorb(req, from)
		l.mu.Unlock()
		if after != nil {
			after()
		}
		return nil
	}
	if method == message.ACK {
		l.mu.Unlock()
		l.core.Request(nil, req, from) // the ACK to a 2xx: a transaction of its own
		return nil
	}
	if method == message.CANCEL && via.RFC3261Branch() && l.servers[transactionKey(via.Branch(), &via, message.INVITE)] == nil {
		// A CANCEL of no INVITE we know (RFC 3261 §9.2): 481 at once,
		// statelessly, so that stray CANCELs, as a scanner or a fuzzer
		// sends them after each request, cost no transaction state. A
		// retransmission gets the same answer.
		var resp message.Message
		resp.InitResponse(req, 481, "Call/Transaction Does Not Exist", "")
		err := l.tr.Send(responseAddr(&via, from), resp.AppendTo(nil))
		l.mu.Unlock()
		return err
	}
	if len(l.servers) >= l.maxServers {
		// A flood: refuse statelessly rather than keep state for it
		// (RFC 3261 §21.5.4).
		var resp message.Message
		resp.InitResponse(req, 503, "Service Unavailable", "")
		resp.AddHeader("Retry-After", overloadRetryAfter)
		err := l.tr.Send(responseAddr(&via, from), resp.AppendTo(nil))
		l.mu.Unlock()
		if err != nil {
			return fmt.Errorf("%w: %w", ErrOverload, err)
		}
		return ErrOverload
	}
	tx := &Server{l: l, key: key, invite: method == message.INVITE, to: responseAddr(&via, from), reqToTag: string(to.Tag())}
	if to.Tag() == nil {
		tx.mergeKey = string(req.CallID()) + "|" + string(fromHdr.Tag()) + "|" + strconv.FormatUint(uint64(cseq.Seq), 10) + "|" + string(method)
		if other := l.merged[tx.mergeKey]; other != nil {
			// The same request again by another path: a loop or a fork.
			var resp message.Message
			resp.InitResponse(req, 482, "Loop Detected", "")
			err := l.tr.Send(tx.to, resp.AppendTo(nil))
			l.mu.Unlock()
			return err
		}
		l.merged[tx.mergeKey] = tx
	}
	l.servers[key] = tx
	tx.state = Trying
	if tx.invite {
		tx.state = Proceeding
		var trying message.Message // answer at once, so the client stops retransmitting
		trying.InitResponse(req, 100, "Trying", "")
		tx.last = trying.AppendTo(nil)
		if err := tx.send(tx.last); err != nil {
			tx.end()
			l.mu.Unlock()
			return err
		}
	}
	l.mu.Unlock()
	l.core.Request(tx, req, from)
	return nil
}

// matches2543 applies the To-tag part of the RFC 2543 matching rules
// (§17.2.3): a retransmission has the request's To tag, and an ACK the tag of
// the final response. RFC 3261 transactions match by key alone.
func (tx *Server) matches2543(req *message.Message, toTag []byte) bool {
	if len(tx.key) < 5 || tx.key[:5] != "2543|" {
		return true
	}
	if req.Method() == message.ACK {
		return string(toTag) == tx.toTag
	}
	return string(toTag) == tx.reqToTag
}

// rfc2543Key keys a request whose branch lacks the magic cookie by its
// Request-URI, From tag, Call-ID, CSeq and top Via (RFC 3261 §17.2.3); the
// To tag is compared apart (matches2543), and an ACK keys as its INVITE.
func rfc2543Key(req *message.Message, via *message.Via, fromTag []byte, cseq message.CSeq) string {
	method := cseq.Method
	if method == message.ACK {
		method = message.INVITE
	}
	top := via.AppendTo(nil)
	return "2543|" + string(req.RequestURI()) + "|" + string(fromTag) + "|" + string(req.CallID()) + "|" +
		strconv.FormatUint(uint64(cseq.Seq), 10) + "|" + string(method) + "|" + string(top)
}

// responseAddr is where responses to a request go (RFC 3261 §18.2.2 and RFC
// 3581): back over the connection on a reliable transport; with rport, to
// the source address and port; otherwise to the source address and the
// port in the Via's sent-by.
func responseAddr(via *message.Via, from Addr) Addr {
	if from.Reliable() {
		return from
	}
	if _, rport := via.RPort(); rport {
		return from
	}
	port := via.Port
	if port == 0 {
		port = 5060
	}
	return Addr{Transport: from.Transport, AddrPort: netip.AddrPortFrom(from.AddrPort.Addr(), uint16(port))}
}
