package sipua

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// CallState is where a call is in its life.
type CallState int

// Call states.
const (
	// CallCalling: an outgoing INVITE is out, nothing rings yet.
	CallCalling CallState = iota
	// CallRinging: the callee rings (180/183), or an incoming call rings
	// here.
	CallRinging
	// CallAnswered: the call is up.
	CallAnswered
	// CallEnded: the call is over.
	CallEnded
)

func (s CallState) String() string {
	return [...]string{"calling", "ringing", "answered", "ended"}[s]
}

// Call is one call, placed or received. Its methods are safe for
// concurrent use.
type Call struct {
	ua       *UA
	outgoing bool
	callID   string
	remote   string         // the remote party's URI
	source   netip.AddrPort // where an incoming INVITE came from
	authUser string         // who passed our Digest challenge, if asked
	media    Media
	auth     *digest.Client
	done     chan struct{}
	answered chan struct{}

	mu        sync.Mutex
	state     CallState
	dlg       dialog
	nextHop   hop // of the dialog, once it is established
	started   time.Time
	setup     time.Duration // from start to answer
	upSince   time.Time
	endCode   int
	endReason string
	dtmf      strings.Builder

	// Outgoing calls.
	invite       message.Message // the INVITE of the current attempt
	inviteTx     *transaction.Client
	inviteHop    hop
	finals       chan attempt // the outcome of each attempt
	got2xx       bool         // the first 2xx went to the dialer
	ack          []byte       // the ACK to our 2xx, for retransmitted 2xx
	provisional  bool
	cancelReason string // why we cancel, once we want to
	cancelSent   bool

	// Incoming calls and re-INVITEs we answer.
	serverTx   *transaction.Server
	request    message.Message // the INVITE being answered
	answerSDP  []byte          // our answer to its offer; nil: we offer in the 2xx
	ok         *message.Message
	okTimer    *time.Timer
	okInterval time.Duration
	okSince    time.Time
	ringTimer  *time.Timer

	// Session timers (RFC 4028) and the longest call.
	interval     time.Duration
	weRefresh    bool
	peerUpdate   bool // the peer allows UPDATE, a cheaper refresh
	sessionTimer *time.Timer
	maxTimer     *time.Timer
	reinviting   bool // our re-INVITE is out: another is answered 491
}

// attempt is how one INVITE attempt ended: its final response (a copy) or
// the error that ended its transaction.
type attempt struct {
	resp *message.Message
	err  error
}

func newCall(ua *UA, outgoing bool, callID, remote string) *Call {
	return &Call{ua: ua, outgoing: outgoing, callID: callID, remote: remote, started: time.Now(),
		done: make(chan struct{}), answered: make(chan struct{}), finals: make(chan attempt, 4)}
}

// Direction returns "outgoing" or "incoming".
func (c *Call) Direction() string {
	if c.outgoing {
		return "outgoing"
	}
	return "incoming"
}

// CallID returns the call's Call-ID.
func (c *Call) CallID() string { return c.callID }

// Remote returns the remote party's URI: whom we call, or who calls.
func (c *Call) Remote() string { return c.remote }

// Source returns the address an incoming call came from.
func (c *Call) Source() netip.AddrPort { return c.source }

// AuthUser returns the user name an incoming caller proved with Digest,
// when the station challenges callers (Config.InboundAuth), else "".
func (c *Call) AuthUser() string { return c.authUser }

// Header returns the first value of a header field of the INVITE that
// started an incoming call, such as Call-Info (answer-after) or
// Alert-Info, for the policy and the application; "" if absent.
func (c *Call) Header(name string) string {
	if c.outgoing {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, _ := c.request.Header(name)
	return string(v)
}

// Media returns the call's media session, nil if it has none.
func (c *Call) Media() Media { return c.media }

// State returns the call's state.
func (c *Call) State() CallState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Done is closed when the call has ended.
func (c *Call) Done() <-chan struct{} { return c.done }

// Answered is closed when the call is answered.
func (c *Call) Answered() <-chan struct{} { return c.answered }

// Summary is what a call was, for reports.
type Summary struct {
	// Answered tells whether the call was answered.
	Answered bool
	// Setup is the time from the start to the answer.
	Setup time.Duration
	// Duration is how long the call was up.
	Duration time.Duration
	// Code is the status code that ended an unanswered call (0 when we
	// ended it), Reason why the call ended.
	Code   int
	Reason string
	// DTMF are the digits received.
	DTMF string
}

// Summary returns what the call is or was.
func (c *Call) Summary() Summary {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Summary{Answered: !c.upSince.IsZero(), Setup: c.setup, Code: c.endCode, Reason: c.endReason, DTMF: c.dtmf.String()}
	if s.Answered {
		s.Duration = time.Since(c.upSince)
	}
	return s
}

// Hangup ends the call: a call that is up gets a BYE, an outgoing call
// that rings is cancelled, an incoming one is declined (603).
func (c *Call) Hangup() { c.hangup("local hangup") }

func (c *Call) hangup(reason string) {
	c.mu.Lock()
	switch {
	case c.state == CallEnded:
		c.mu.Unlock()
	case c.state == CallAnswered:
		c.mu.Unlock()
		c.bye(reason)
	case c.outgoing:
		c.cancel(reason) // unlocks
	default:
		c.mu.Unlock()
		_ = c.Reject(603)
	}
}

// cancel asks for the outgoing INVITE to be cancelled: at once if the
// callee has answered provisionally, else as soon as it does (§9.1). The
// caller holds c.mu, which cancel releases.
func (c *Call) cancel(reason string) {
	if c.state == CallAnswered || c.state == CallEnded || c.got2xx {
		c.mu.Unlock() // too late to cancel: the caller hangs up instead
		return
	}
	if c.cancelReason == "" {
		c.cancelReason = reason
	}
	send := c.provisional && !c.cancelSent
	c.cancelSent = c.cancelSent || send
	var req *message.Message
	if send {
		req = c.cancelRequest()
	}
	h := c.inviteHop
	c.mu.Unlock()
	if req != nil {
		c.ua.spawn(func() { _, _ = sendAndWait(context.Background(), c.ua.layer, req, h, 32*time.Second) })
	}
}

// cancelRequest builds the CANCEL of the current INVITE (§9.1).
func (c *Call) cancelRequest() *message.Message {
	inv := &c.invite
	m := new(message.Message)
	m.InitRequest(message.CANCEL, string(inv.RequestURI()))
	for v := range inv.Values("Via") {
		m.AddHeaderBytes("Via", v)
		break
	}
	for v := range inv.Values("Route") {
		m.AddHeaderBytes("Route", v)
	}
	m.AddHeader("Max-Forwards", "70")
	for _, name := range []string{"From", "To", "Call-ID"} {
		v, _ := inv.Header(name)
		m.AddHeaderBytes(name, v)
	}
	cseq, _ := inv.CSeq()
	m.AddHeader("CSeq", strconv.FormatUint(uint64(cseq.Seq), 10)+" CANCEL")
	return m
}

// bye ends an established call with a BYE, answered or not.
func (c *Call) bye(reason string) {
	c.mu.Lock()
	if c.state == CallEnded {
		c.mu.Unlock()
		return
	}
	req, next := c.dlg.request(message.BYE, 0)
	c.mu.Unlock()
	c.finish(0, reason)
	c.ua.spawn(func() {
		if _, err := c.sendInDialog(context.Background(), req, next); err != nil {
			c.ua.log.Debug("BYE", "call_id", c.callID, "err", err)
		}
	})
}

// finish ends the call once: timers stop, the user agent forgets it, and
// call_ended is emitted.
func (c *Call) finish(code int, reason string) {
	c.mu.Lock()
	if c.state == CallEnded {
		c.mu.Unlock()
		return
	}
	c.state = CallEnded
	c.endCode, c.endReason = code, reason
	for _, t := range []*time.Timer{c.okTimer, c.sessionTimer, c.maxTimer, c.ringTimer} {
		if t != nil {
			t.Stop()
		}
	}
	c.mu.Unlock()
	if err := closeMedia(c.media); err != nil {
		c.ua.log.Debug("media close", "call_id", c.callID, "err", err)
	}
	c.ua.removeCall(c)
	close(c.done)
	c.ua.emit(Event{Name: EventCallEnded, Call: c, Code: code, Reason: reason})
}

// closeMedia closes a call's media, when it has any and it can be closed.
func closeMedia(m Media) error {
	if closer, ok := m.(io.Closer); ok && m != nil {
		return closer.Close()
	}
	return nil
}

// up marks the call answered and starts its timers; the caller holds c.mu.
func (c *Call) up() {
	c.state = CallAnswered
	c.upSince = time.Now()
	c.setup = c.upSince.Sub(c.started)
	close(c.answered)
	if d := c.ua.cfg.MaxCallDuration; d > 0 {
		c.maxTimer = time.AfterFunc(d, func() { c.hangup("max call duration") })
	}
	c.armSessionTimer()
}

// armSessionTimer (re)starts the session timer (RFC 4028 §10): the
// refresher refreshes at half the interval; the other side gives up when
// no refresh came by the interval less a third (at most 32 s). The caller
// holds c.mu.
func (c *Call) armSessionTimer() {
	if c.sessionTimer != nil {
		c.sessionTimer.Stop()
	}
	if c.interval <= 0 || c.state != CallAnswered {
		return
	}
	if c.weRefresh {
		c.sessionTimer = time.AfterFunc(c.interval/2, c.refresh)
		return
	}
	c.sessionTimer = time.AfterFunc(c.interval-min(32*time.Second, c.interval/3), func() {
		c.bye("session expired")
	})
}

// refresh refreshes the session: UPDATE without a body where the peer
// allows it, else a re-INVITE with our offer. A peer that is gone (481,
// 408, no answer) ends the call.
func (c *Call) refresh() { c.ua.spawn(c.refreshNow) }

func (c *Call) refreshNow() {
	c.mu.Lock()
	if c.state != CallAnswered {
		c.mu.Unlock()
		return
	}
	method := message.INVITE
	if c.peerUpdate {
		method = message.UPDATE
	}
	c.mu.Unlock()
	code, err := c.reoffer(method, method == message.INVITE)
	switch {
	case err != nil || code == 408 || code == 481:
		c.bye("session refresh failed")
	default:
		c.mu.Lock()
		c.armSessionTimer()
		c.mu.Unlock()
	}
}

// Reinvite sends a new offer in a re-INVITE, after the media session
// changed (hold, resume), and reports the peer's status code.
func (c *Call) Reinvite() (int, error) { return c.reoffer(message.INVITE, true) }

// reoffer sends a re-INVITE or UPDATE, with our offer if withSDP, and
// waits for its final response.
func (c *Call) reoffer(method message.Method, withSDP bool) (int, error) {
	c.mu.Lock()
	if c.state != CallAnswered || c.reinviting {
		c.mu.Unlock()
		return 0, errors.New("call is not up, or a re-INVITE is out")
	}
	c.reinviting = true
	req, next := c.dlg.request(method, 0)
	c.mu.Unlock()
	defer func() { c.mu.Lock(); c.reinviting = false; c.mu.Unlock() }()

	req.AddHeader("Contact", "<"+c.ua.contactFor(c.nextHop.addr)+">")
	req.AddHeader("Session-Expires", strconv.Itoa(int(c.interval/time.Second))+";refresher=uac")
	c.ua.addCapabilities(req)
	if withSDP && c.media != nil {
		offer, err := c.media.Offer()
		if err != nil {
			return 0, err
		}
		req.SetBody("application/sdp", offer)
	}
	resp, err := c.sendInDialog(c.ua.ctx, req, next)
	if err != nil {
		if cancel, ok := c.media.(interface{ CancelOffer() }); ok && withSDP {
			cancel.CancelOffer() // the offer is void: the next one starts afresh
		}
		return 0, err
	}
	code := resp.StatusCode()
	if code/100 != 2 && withSDP {
		if cancel, ok := c.media.(interface{ CancelOffer() }); ok {
			cancel.CancelOffer()
		}
	}
	if code/100 == 2 {
		c.mu.Lock()
		c.dlg.setTarget(resp)
		c.readSessionExpires(resp, true)
		c.mu.Unlock()
		if withSDP && c.media != nil {
			if err := c.media.Accept(resp.Body()); err != nil {
				c.ua.log.Warn("re-INVITE answer rejected", "call_id", c.callID, "err", err)
			}
		}
	}
	return code, nil
}

// readSessionExpires takes the session interval and refresher from a 2xx
// (asUAC) or a request we answer. The caller holds c.mu.
func (c *Call) readSessionExpires(m *message.Message, asUAC bool) {
	v, ok := m.Header("Session-Expires")
	if !ok {
		return
	}
	n, refresher := parseSessionExpires(v)
	if n <= 0 {
		return
	}
	c.interval = n
	switch refresher {
	case "uac":
		c.weRefresh = asUAC
	case "uas":
		c.weRefresh = !asUAC
	}
}

// parseSessionExpires reads "1800;refresher=uac".
func parseSessionExpires(v []byte) (time.Duration, string) {
	s := string(v)
	num, params, _ := strings.Cut(s, ";")
	n, err := strconv.ParseUint(strings.TrimSpace(num), 10, 32)
	if err != nil {
		return 0, ""
	}
	refresher := ""
	for p := range strings.SplitSeq(params, ";") {
		if k, val, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "refresher") {
			refresher = strings.ToLower(strings.TrimSpace(val))
		}
	}
	return time.Duration(n) * time.Second, refresher
}

// sendInDialog sends a request of the dialog to its next hop and waits
// for the final response, answering one digest challenge. An INVITE's 2xx
// is acknowledged.
func (c *Call) sendInDialog(ctx context.Context, req *message.Message, next string) (*message.Message, error) {
	h, err := c.hopFor(ctx, next)
	if err != nil {
		return nil, err
	}
	for range 2 {
		req.SetHeader("Via", c.ua.via(h.addr))
		if c.auth != nil {
			_ = c.auth.Authorize(req)
		}
		var resp *message.Message
		if req.Method() == message.INVITE {
			resp, err = c.inviteAndWait(ctx, req, h)
		} else {
			if err = c.ua.connect(h); err == nil {
				resp, err = sendAndWait(ctx, c.ua.layer, req, h, 32*time.Second)
			}
		}
		if err != nil {
			return nil, err
		}
		code := resp.StatusCode()
		if (code == 401 || code == 407) && c.auth != nil {
			if _, err := c.auth.Challenged(req, resp); err == nil {
				c.mu.Lock()
				c.dlg.localSeq++
				req.SetHeader("CSeq", strconv.FormatUint(uint64(c.dlg.localSeq), 10)+" "+string(req.Method()))
				c.mu.Unlock()
				continue
			}
		}
		return resp, nil
	}
	return nil, errors.New("challenged twice")
}

// inviteAndWait runs a re-INVITE transaction, waits for its final response
// and acknowledges a 2xx.
func (c *Call) inviteAndWait(ctx context.Context, req *message.Message, h hop) (*message.Message, error) {
	if err := c.ua.connect(h); err != nil {
		return nil, err
	}
	final := make(chan attempt, 1)
	_, err := c.ua.layer.Send(req, h.addr, func(_ *transaction.Client, resp *message.Message, err error) {
		switch {
		case err != nil:
			select {
			case final <- attempt{err: err}:
			default:
			}
		case resp.StatusCode() >= 200:
			cp := new(message.Message)
			cp.CopyFrom(resp)
			select {
			case final <- attempt{resp: cp}:
			default: // a retransmitted 2xx: our ACK went, the transaction absorbs it
			}
		}
	})
	if err != nil {
		return nil, err
	}
	t := time.NewTimer(40 * time.Second)
	defer t.Stop()
	select {
	case a := <-final:
		if a.err != nil {
			return nil, a.err
		}
		if a.resp.StatusCode()/100 == 2 {
			cseq, _ := req.CSeq()
			c.mu.Lock()
			ack, _ := c.dlg.request(message.ACK, cseq.Seq)
			c.mu.Unlock()
			ack.AddHeader("Via", c.ua.via(h.addr))
			_ = c.ua.tr.Send(h.addr, ack.AppendTo(nil))
		}
		return a.resp, nil
	case <-t.C:
		return nil, transaction.ErrTimeout
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// hopFor resolves the next hop of an in-dialog request; the dialog's
// first hop is kept, so a dialog's requests need no DNS after the first.
func (c *Call) hopFor(ctx context.Context, next string) (hop, error) {
	c.mu.Lock()
	h := c.nextHop
	c.mu.Unlock()
	if h.addr.AddrPort.IsValid() {
		return h, nil
	}
	u, err := message.ParseURI([]byte(next))
	if err != nil {
		return hop{}, fmt.Errorf("next hop %q: %w", next, err)
	}
	hops, err := c.ua.resolve(ctx, &u)
	if err != nil {
		return hop{}, err
	}
	c.mu.Lock()
	c.nextHop = hops[0]
	c.mu.Unlock()
	return hops[0], nil
}

// dialogHop is where a dialog's requests go when it is set up from a
// message that came from addr: the next hop is resolved without DNS when
// it is numeric, else the message's source is used.
func (c *Call) dialogHop(next string, from transport.Addr) hop {
	if u, err := message.ParseURI([]byte(next)); err == nil {
		if ap, err := netip.ParseAddr(strings.Trim(string(u.Host), "[]")); err == nil {
			port := u.Port
			tp := from.Transport
			if t, ok := u.Params.Get("transport"); ok {
				tp = strings.ToUpper(string(t))
			}
			if port == 0 {
				port = 5060
				if tp == "TLS" {
					port = 5061
				}
			}
			return hop{addr: transport.Addr{Transport: tp, AddrPort: netip.AddrPortFrom(ap, uint16(port))}}
		}
	}
	return hop{addr: from}
}
