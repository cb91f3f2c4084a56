package transaction

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"intercom/sipua/message"
)

// ResponseFunc receives what happens to a client transaction: each response
// (resp != nil), or the error that ended it without a final response. It is
// called without the layer's lock held; resp aliases the transport's buffer.
type ResponseFunc func(tx *Client, resp *message.Message, err error)

// Client is a client transaction: one request sent and its responses.
type Client struct {
	l        *Layer
	key      string
	invite   bool
	to       Addr
	req      message.Message // owned copy, for the ACK to a failure
	wire     []byte
	ack      []byte
	state    State
	interval time.Duration
	onResp   ResponseFunc

	retransmit, timeout, linger timer // A or E; B or F; D, K or M
}

// Send starts a client transaction for req, which must carry a Via with an
// RFC 3261 branch, and sends it to addr. onResp gets every response and the
// error that ends the transaction without one. req is copied.
func (l *Layer) Send(req *message.Message, to Addr, onResp ResponseFunc) (*Client, error) {
	via, err := req.Via()
	if err != nil {
		return nil, fmt.Errorf("send %s: %w", req.Method(), err)
	}
	if !via.RFC3261Branch() {
		return nil, fmt.Errorf("send %s: Via branch %q lacks the magic cookie", req.Method(), via.Branch())
	}
	tx := &Client{l: l, invite: req.Method() == message.INVITE, to: to, onResp: onResp}
	tx.key = transactionKey(via.Branch(), &via, req.Method())
	tx.req.CopyFrom(req)
	tx.wire = req.AppendTo(nil)
	tx.state = Trying
	if tx.invite {
		tx.state = Calling
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if _, dup := l.clients[tx.key]; dup {
		return nil, fmt.Errorf("send %s: a transaction with branch %s is already running", req.Method(), via.Branch())
	}
	if err := l.tr.Send(to, tx.wire); err != nil {
		return nil, fmt.Errorf("send %s to %v: %w: %w", req.Method(), to.AddrPort, ErrTransport, err)
	}
	l.clients[tx.key] = tx
	t := l.timers
	if !to.Reliable() {
		tx.interval = t.T1
		tx.retransmit.start(l, tx.interval, tx.onRetransmit)
	}
	tx.timeout.start(l, 64*t.T1, func() func() { return tx.end(ErrTimeout) })
	return tx, nil
}

// Abandon ends the transaction without a word to its user, who gave up on
// a peer that has not answered at all: an INVITE cannot be cancelled
// before a provisional response (RFC 3261 §9.1), so it just stops being
// retransmitted. A late response then matches nothing, like a stray one.
func (tx *Client) Abandon() {
	tx.l.mu.Lock()
	defer tx.l.mu.Unlock()
	tx.end(nil)
}

// State returns the transaction's state.
func (tx *Client) State() State {
	tx.l.mu.Lock()
	defer tx.l.mu.Unlock()
	return tx.state
}

// onRetransmit is Timer A (INVITE: doubling) or Timer E (non-INVITE:
// doubling up to T2, then every T2).
func (tx *Client) onRetransmit() func() {
	if tx.state != Calling && tx.state != Trying && tx.state != Proceeding {
		return nil
	}
	if err := tx.l.tr.Send(tx.to, tx.wire); err != nil {
		return tx.end(fmt.Errorf("%w: %w", ErrTransport, err))
	}
	tx.interval *= 2
	if !tx.invite {
		if tx.state == Proceeding || tx.interval > tx.l.timers.T2 {
			tx.interval = tx.l.timers.T2
		}
	}
	tx.retransmit.start(tx.l, tx.interval, tx.onRetransmit)
	return nil
}

// end terminates the transaction under the lock and returns what reports
// err, if any, to the transaction user once the lock is released.
func (tx *Client) end(err error) func() {
	if tx.state == Terminated {
		return nil
	}
	tx.state = Terminated
	tx.retransmit.stop()
	tx.timeout.stop()
	tx.linger.stop()
	delete(tx.l.clients, tx.key)
	if err == nil {
		return nil
	}
	return func() { tx.onResp(tx, nil, err) }
}

// receive runs the state machine on a response that matched tx, under the
// lock, and returns what to call once the lock is released.
func (tx *Client) receive(resp *message.Message) func() {
	code := resp.StatusCode()
	deliver := func() { tx.onResp(tx, resp, nil) }
	t := tx.l.timers
	switch {
	case tx.state == Calling || tx.state == Trying || tx.state == Proceeding:
		if code < 200 {
			tx.state = Proceeding
			if tx.invite {
				tx.retransmit.stop()
			}
			return deliver
		}
		tx.retransmit.stop()
		tx.timeout.stop()
		switch {
		case tx.invite && code < 300:
			tx.state = Accepted // RFC 6026: wait for 2xx retransmissions
			tx.linger.start(tx.l, 64*t.T1, func() func() { return tx.end(nil) })
		case tx.invite:
			tx.state = Completed
			tx.ack = tx.ackFor(resp)
			if err := tx.l.tr.Send(tx.to, tx.ack); err != nil {
				return join(deliver, tx.end(fmt.Errorf("%w: %w", ErrTransport, err)))
			}
			tx.lingerFor(32 * time.Second)
		default:
			tx.state = Completed
			tx.lingerFor(t.T4)
		}
		return deliver
	case tx.state == Accepted && code >= 200 && code < 300:
		return deliver // a retransmitted or forked 2xx: the core ACKs it
	case tx.state == Completed && tx.invite && code >= 300:
		_ = tx.l.tr.Send(tx.to, tx.ack) // the peer lost our ACK
	}
	return nil
}

// lingerFor keeps a completed transaction for d on an unreliable transport
// to absorb retransmissions (Timer D or K), and ends it at once otherwise.
func (tx *Client) lingerFor(d time.Duration) {
	if tx.to.Reliable() {
		d = 0
	}
	tx.linger.start(tx.l, d, func() func() { return tx.end(nil) })
}

// ackFor builds the ACK for a non-2xx final response (RFC 3261 §17.1.1.3).
func (tx *Client) ackFor(resp *message.Message) []byte {
	req := &tx.req
	var ack message.Message
	ack.InitRequest(message.ACK, string(req.RequestURI()))
	for v := range req.Values("Via") {
		ack.AddHeaderBytes("Via", v)
		break
	}
	for r := range req.Values("Route") {
		ack.AddHeaderBytes("Route", r)
	}
	ack.AddHeader("Max-Forwards", "70")
	if v, ok := req.Header("From"); ok {
		ack.AddHeaderBytes("From", v)
	}
	if v, ok := resp.Header("To"); ok {
		ack.AddHeaderBytes("To", v)
	}
	ack.AddHeaderBytes("Call-ID", req.CallID())
	cseq, _ := req.CSeq() // parsed when the transaction started
	ack.AddHeader("CSeq", strconv.FormatUint(uint64(cseq.Seq), 10)+" ACK")
	return ack.AppendTo(nil)
}

// join returns a function that calls each non-nil function in turn.
func join(fs ...func()) func() {
	return func() {
		for _, f := range fs {
			if f != nil {
				f()
			}
		}
	}
}

// HandleResponse hands a received response to the client transaction it
// matches (RFC 3261 §17.1.3: the top Via's branch and the CSeq method), or
// to the core as a stray response.
func (l *Layer) HandleResponse(resp *message.Message, from Addr) error {
	via, err := resp.Via()
	if err != nil {
		return fmt.Errorf("response: %w", err)
	}
	cseq, err := resp.CSeq()
	if err != nil {
		return fmt.Errorf("response: %w", err)
	}
	key := transactionKey(via.Branch(), &via, cseq.Method)
	if cseq.Method == message.ACK {
		return errors.New("response to an ACK")
	}
	l.mu.Lock()
	tx := l.clients[key]
	var after func()
	if tx != nil {
		after = tx.receive(resp)
	}
	l.mu.Unlock()
	switch {
	case after != nil:
		after()
	case tx == nil:
		l.core.StrayResponse(resp, from)
	}
	return nil
}
