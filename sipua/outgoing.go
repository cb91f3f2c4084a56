package sipua

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"intercom/sipua/digest"
	"intercom/sipua/message"
	"intercom/sipua/transaction"
)

// DialOptions tune one outgoing call.
type DialOptions struct {
	// RingTimeout, if positive, cancels the call when nobody answered
	// within it.
	RingTimeout time.Duration
}

// Errors of Dial.
var (
	// ErrBusy: MaxCalls calls are up already.
	ErrBusy = errors.New("sipua: busy with another call")
	// ErrBadTarget: the target is not a SIP URI, nor a user at a domain.
	ErrBadTarget = errors.New("sipua: bad call target")
)

// Limits of one outgoing call's attempts.
const (
	maxRedirects = 5
	maxAttempts  = 12
)

// Dial places a call to target: a SIP URI, "user@host", or a bare user at
// the account's domain. It returns once the INVITE is on its way; the call
// reports its progress through events, State, Answered and Done. Ending
// ctx before the call is answered cancels it.
func (ua *UA) Dial(ctx context.Context, target string, opts DialOptions) (*Call, error) {
	uri, err := ua.targetURI(target)
	if err != nil {
		return nil, err
	}
	c := newCall(ua, true, randomToken()+"@intercom", uri)
	if !ua.addCall(c) {
		return nil, ErrBusy
	}
	var offer []byte
	if ua.cfg.NewMedia != nil {
		if c.media, err = ua.cfg.NewMedia(c); err != nil {
			c.media = nil
		} else if offer, err = c.media.Offer(); err != nil {
			closeMedia(c.media)
		}
		if err != nil {
			ua.removeCall(c)
			return nil, fmt.Errorf("sipua: media: %w", err)
		}
	}
	user := ua.cfg.Account.AuthUser
	if user == "" {
		user = ua.cfg.Account.User
	}
	c.auth = digest.NewClient(digest.Credentials{Username: user, Password: ua.cfg.Account.Password})
	c.dlg.callID = c.callID
	c.dlg.localTag = randomToken()
	c.dlg.local = "<" + ua.aor() + ">;tag=" + c.dlg.localTag
	c.dlg.remote = "<" + uri + ">"
	c.dlg.localSeq = 1
	c.interval = ua.cfg.SessionExpires
	c.weRefresh = true // until a 2xx names the refresher
	ua.emit(Event{Name: EventCallStarted, Call: c})
	if !ua.spawn(func() { c.dial(ctx, uri, offer, opts) }) {
		c.finish(0, "user agent closed")
	}
	return c, nil
}

// targetURI completes what a user typed into a SIP URI.
func (ua *UA) targetURI(target string) (string, error) {
	t := strings.TrimSpace(target)
	if t == "" {
		return "", ErrBadTarget
	}
	if !strings.Contains(t, ":") || (strings.Contains(t, "@") && !strings.HasPrefix(strings.ToLower(t), "sip")) {
		if !strings.Contains(t, "@") {
			if ua.cfg.Account.Domain == "" {
				return "", fmt.Errorf("%w: %q names no host and the account has no domain", ErrBadTarget, target)
			}
			t += "@" + ua.cfg.Account.Domain
		}
		t = "sip:" + t
	}
	u, err := message.ParseURI([]byte(t))
	if err != nil || !u.IsSIP() || len(u.Host) == 0 {
		return "", fmt.Errorf("%w: %q", ErrBadTarget, target)
	}
	return t, nil
}

// dial runs the call's INVITE attempts: it answers challenges, follows
// redirects, fails over to the next server on a timeout or 503, and
// cancels when ctx ends or the ring timeout passes.
func (c *Call) dial(ctx context.Context, uri string, offer []byte, opts DialOptions) {
	var ring <-chan time.Time
	if opts.RingTimeout > 0 {
		t := time.NewTimer(opts.RingTimeout)
		defer t.Stop()
		ring = t.C
	}
	hops, err := c.resolve(ctx, uri)
	if err != nil {
		c.finish(0, err.Error())
		return
	}
	redirects, challenges, next := 0, 0, 0
	for range maxAttempts {
		a := c.attempt(ctx, uri, hops[next], offer, ring)
		if a.err != nil {
			if next++; next < len(hops) && !c.cancelling() {
				continue // RFC 3263 §4.3: the next server
			}
			c.finish(408, a.err.Error())
			return
		}
		resp := a.resp
		code := resp.StatusCode()
		switch {
		case code/100 == 2:
			return // the call is up (or was hung up in the race)
		case (code == 401 || code == 407) && challenges < 2:
			c.mu.Lock()
			_, err := c.auth.Challenged(&c.invite, resp)
			c.mu.Unlock()
			if err == nil {
				challenges++
				continue
			}
		case code == 503 && next+1 < len(hops):
			next++
			continue
		case code == 422:
			if v, ok := resp.Header("Min-SE"); ok {
				if n, _ := parseSessionExpires(v); n > c.interval {
					c.mu.Lock()
					c.interval = n
					c.mu.Unlock()
					continue
				}
			}
		case code/100 == 3 && redirects < maxRedirects && !c.cancelling():
			if to := redirectTarget(resp); to != "" {
				if h, err := c.resolve(ctx, to); err == nil {
					redirects++
					uri, hops, next = to, h, 0
					c.mu.Lock()
					c.dlg.remote = "<" + to + ">"
					c.mu.Unlock()
					continue
				}
			}
		}
		c.finish(code, reasonFor(c, code, resp))
		return
	}
	c.finish(0, "too many attempts")
}

// reasonFor says why an unanswered call ended.
func reasonFor(c *Call, code int, resp *message.Message) string {
	c.mu.Lock()
	cancelled := c.cancelReason
	c.mu.Unlock()
	if code == 487 && cancelled != "" {
		return cancelled
	}
	return strconv.Itoa(code) + " " + string(resp.Reason())
}

func (c *Call) cancelling() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cancelReason != ""
}

// resolve locates the next hops of a request URI.
func (c *Call) resolve(ctx context.Context, uri string) ([]hop, error) {
	u, err := message.ParseURI([]byte(uri))
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrBadTarget, uri)
	}
	hops, err := c.ua.resolve(ctx, &u)
	if err != nil {
		return nil, fmt.Errorf("locate %s: %w", uri, err)
	}
	return hops, nil
}

// redirectTarget picks the Contact of a 3xx with the highest q.
func redirectTarget(resp *message.Message) string {
	type contact struct {
		uri string
		q   int
	}
	var cs []contact
	for v := range resp.Values("Contact") {
		n, err := message.ParseNameAddr(v)
		if err != nil || !n.URI.IsSIP() {
			continue
		}
		q, ok, err := n.Q()
		if !ok || err != nil {
			q = 1000
		}
		cs = append(cs, contact{n.URI.String(), q})
	}
	slices.SortStableFunc(cs, func(a, b contact) int { return cmp.Compare(b.q, a.q) })
	if len(cs) == 0 {
		return ""
	}
	return cs[0].uri
}

// attempt sends one INVITE to one hop and waits for how it ends. While it
// waits, ctx ending or the ring timeout cancels it.
func (c *Call) attempt(ctx context.Context, uri string, h hop, offer []byte, ring <-chan time.Time) attempt {
	if err := c.ua.connect(h); err != nil {
		return attempt{err: err}
	}
	c.mu.Lock()
	if c.cancelReason != "" || c.state == CallEnded {
		c.mu.Unlock()
		return attempt{err: errors.New(cmp.Or(c.cancelReason, "ended"))}
	}
	req := c.inviteRequest(uri, h, offer)
	if err := c.auth.Authorize(req); err != nil {
		c.mu.Unlock()
		return attempt{err: err}
	}
	c.invite.CopyFrom(req)
	c.inviteHop = h
	c.provisional, c.cancelSent = false, false
	var tx *transaction.Client
	tx, err := c.ua.layer.Send(req, h.addr, c.onInviteResponse)
	c.inviteTx = tx
	c.mu.Unlock()
	if err != nil {
		return attempt{err: err}
	}
	// A hop that says nothing at all, not even 100 Trying, is taken for
	// unreachable well before Timer B's 32 s, so that the next server or
	// the button's fallback rings while the visitor still waits. A proxy
	// answers 100 at once, a phone 100 or 180.
	silence := time.NewTimer(8 * c.ua.layer.Timers().T1)
	defer silence.Stop()
	done := ctx.Done()
	for {
		select {
		case a := <-c.finals:
			return a
		case <-silence.C:
			c.mu.Lock()
			heard, why := c.provisional, c.cancelReason
			c.mu.Unlock()
			if !heard {
				tx.Abandon()
				return attempt{err: errors.New(cmp.Or(why, fmt.Sprintf("no response from %v", h.addr)))}
			}
		case <-done:
			done = nil
			c.mu.Lock()
			c.cancel("cancelled")
		case <-ring:
			ring = nil
			c.mu.Lock()
			c.cancel("ring timeout")
		}
	}
}

// inviteRequest builds the INVITE of an attempt. The caller holds c.mu.
func (c *Call) inviteRequest(uri string, h hop, offer []byte) *message.Message {
	ua := c.ua
	c.dlg.localSeq++
	m := new(message.Message)
	m.InitRequest(message.INVITE, uri)
	m.AddHeader("Via", ua.via(h.addr))
	m.AddHeader("Max-Forwards", "70")
	m.AddHeader("From", c.dlg.local)
	m.AddHeader("To", c.dlg.remote)
	m.AddHeader("Call-ID", c.callID)
	m.AddHeader("CSeq", strconv.FormatUint(uint64(c.dlg.localSeq), 10)+" INVITE")
	m.AddHeader("Contact", "<"+ua.contactFor(h.addr)+">")
	ua.addCapabilities(m)
	m.AddHeader("Session-Expires", strconv.Itoa(int(c.interval/time.Second)))
	m.AddHeader("Min-SE", strconv.Itoa(int(minSE/time.Second)))
	m.AddHeader("User-Agent", ua.cfg.UserAgent)
	if offer != nil {
		m.SetBody("application/sdp", offer)
	}
	return m
}

// onInviteResponse receives the responses of our INVITEs, on the
// transport's goroutine: provisional ones make the call ring, the first
// 2xx sets the call up, later 2xx from other forks are acknowledged and
// hung up, and the final outcome goes to the dialer.
func (c *Call) onInviteResponse(tx *transaction.Client, resp *message.Message, err error) {
	c.mu.Lock()
	current := tx == c.inviteTx
	c.mu.Unlock()
	if err != nil {
		if current {
			c.report(attempt{err: err})
		}
		return
	}
	code := resp.StatusCode()
	switch {
	case code < 200:
		c.onProvisional(resp)
	case code < 300:
		c.on2xx(resp)
	case current:
		cp := new(message.Message)
		cp.CopyFrom(resp)
		c.report(attempt{resp: cp})
	}
}

// report hands an attempt's outcome to the dialer without blocking.
func (c *Call) report(a attempt) {
	select {
	case c.finals <- a:
	default:
	}
}

// onProvisional makes the call ring on 180/183, and sends a CANCEL that
// waited for the first provisional response.
func (c *Call) onProvisional(resp *message.Message) {
	code := resp.StatusCode()
	c.mu.Lock()
	c.provisional = true
	if c.cancelReason != "" && !c.cancelSent {
		c.cancel(c.cancelReason) // unlocks
		return
	}
	ringing := code > 100 && c.state == CallCalling
	if ringing {
		c.state = CallRinging
	}
	c.mu.Unlock()
	if ringing {
		c.ua.emit(Event{Name: EventCallRinging, Call: c, Code: code})
	}
}

// on2xx handles every 2xx to our INVITE (§13.2.2.4).
func (c *Call) on2xx(resp *message.Message) {
	to, _ := resp.To()
	c.mu.Lock()
	if c.got2xx {
		if string(to.Tag()) == c.dlg.remoteTag {
			ack, h := c.ack, c.nextHop
			c.mu.Unlock()
			if ack != nil {
				_ = c.ua.tr.Send(h.addr, ack) // the peer lost our ACK
			}
			return
		}
		c.mu.Unlock()
		c.dropFork(resp)
		return
	}
	c.got2xx = true
	c.dlg.asUAC(resp)
	c.readSessionExpires(resp, true)
	if _, ok := resp.Header("Session-Expires"); !ok {
		c.weRefresh = true // the peer knows no session timer: we probe
	}
	c.peerUpdate = resp.HasToken("Allow", "UPDATE")
	cseq, _ := resp.CSeq()
	ack, next := c.dlg.request(message.ACK, cseq.Seq)
	c.nextHop = c.dialogHop(next, c.inviteHop.addr)
	c.copyAuth(ack)
	ack.AddHeader("Via", c.ua.via(c.nextHop.addr))
	c.ack = ack.AppendTo(nil)
	h := c.nextHop
	cancelled := c.cancelReason != "" || c.state == CallEnded
	c.ua.addDialog(c.dlg.id(), c)
	c.mu.Unlock()
	_ = c.ua.tr.Send(h.addr, c.ack)

	cp := new(message.Message)
	cp.CopyFrom(resp)
	if cancelled { // the callee answered as we gave up: hang up at once
		c.mu.Lock()
		c.state = CallAnswered
		c.mu.Unlock()
		c.bye(c.cancelReason)
		c.report(attempt{resp: cp})
		return
	}
	var mediaErr error
	if c.media != nil {
		mediaErr = c.media.Accept(resp.Body())
	}
	c.mu.Lock()
	c.up()
	c.mu.Unlock()
	c.ua.emit(Event{Name: EventCallAnswered, Call: c, Code: resp.StatusCode()})
	c.report(attempt{resp: cp})
	if mediaErr != nil {
		c.ua.log.Warn("answer rejected", "call_id", c.callID, "err", mediaErr)
		c.bye("bad session description in the answer")
	}
}

// copyAuth copies the INVITE's credentials into its ACK (§13.2.2.4, §22).
// The caller holds c.mu.
func (c *Call) copyAuth(ack *message.Message) {
	for _, name := range []string{"Authorization", "Proxy-Authorization"} {
		for v := range c.invite.Values(name) {
			ack.AddHeaderBytes(name, v)
		}
	}
}

// dropFork acknowledges a 2xx from a second fork of our INVITE and ends
// that dialog with a BYE: a door station talks to the first who answers.
func (c *Call) dropFork(resp *message.Message) {
	fork := &Call{ua: c.ua, callID: c.callID, done: make(chan struct{}), answered: make(chan struct{})}
	c.mu.Lock()
	fork.dlg = dialog{callID: c.dlg.callID, localTag: c.dlg.localTag, local: c.dlg.local}
	fork.inviteHop = c.inviteHop
	fork.invite.CopyFrom(&c.invite)
	c.mu.Unlock()
	fork.dlg.asUAC(resp)
	cseq, _ := resp.CSeq()
	fork.dlg.localSeq = cseq.Seq
	ack, next := fork.dlg.request(message.ACK, cseq.Seq)
	fork.nextHop = fork.dialogHop(next, fork.inviteHop.addr)
	fork.copyAuth(ack)
	ack.AddHeader("Via", c.ua.via(fork.nextHop.addr))
	_ = c.ua.tr.Send(fork.nextHop.addr, ack.AppendTo(nil))
	bye, _ := fork.dlg.request(message.BYE, 0)
	c.ua.log.Info("second answer to a forked call hung up", "call_id", c.callID, "tag", fork.dlg.remoteTag)
	c.ua.spawn(func() { _, _ = fork.sendInDialog(context.Background(), bye, next) })
}

// onStray2xx answers a 2xx retransmitted after the INVITE transaction
// ended with our ACK again.
func (c *Call) onStray2xx(resp *message.Message) {
	if c.outgoing {
		c.on2xx(resp)
	}
}
