package sipua

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"time"

	"intercom/sipua/digest"
	"intercom/sipua/message"
	"intercom/sipua/transaction"
	"intercom/sipua/transport"
)

// ringLimit is how long an incoming call may ring unanswered before it is
// answered 480 (the caller's own timer C is 3 minutes).
const ringLimit = 170 * time.Second

// Request receives each new request from the transaction layer (the
// transaction.Core interface); an ACK to a 2xx comes with tx nil.
func (ua *UA) Request(tx *transaction.Server, req *message.Message, from transport.Addr) {
	method := req.Method()
	if tx == nil {
		if c := ua.dialogFor(req, true); c != nil {
			c.onACK(req)
		}
		return
	}
	if u, err := req.URI(); err != nil || (!u.IsSIP() && !u.SchemeIs("tel")) {
		ua.respond(tx, req, 416, "Unsupported URI Scheme")
		return
	}
	if method != message.CANCEL {
		if bad := unsupported(req); bad != "" {
			ua.respond(tx, req, 420, "Bad Extension", "Unsupported", bad)
			return
		}
	}
	if method == message.CANCEL {
		ua.onCancel(tx, req)
		return
	}
	if to, _ := req.To(); to.Tag() != nil {
		c := ua.dialogFor(req, true)
		if c == nil {
			ua.respond(tx, req, 481, "Call/Transaction Does Not Exist")
			return
		}
		c.inDialog(tx, req)
		return
	}
	switch method {
	case message.INVITE:
		ua.onInvite(tx, req, from)
	case message.OPTIONS:
		ua.respond(tx, req, 200, "OK", "Allow", allowed, "Accept", accepted, "Supported", supported)
	case message.BYE, message.INFO, message.UPDATE, message.PRACK:
		ua.respond(tx, req, 481, "Call/Transaction Does Not Exist")
	default:
		ua.refuse(tx, req)
	}
}

// refuse answers a method we do not take: 405 for a method SIP defines,
// 501 for one we do not know (RFC 3261 §8.2.1).
func (ua *UA) refuse(tx *transaction.Server, req *message.Message) {
	if req.Method().Known() {
		ua.respond(tx, req, 405, "Method Not Allowed", "Allow", allowed)
		return
	}
	ua.respond(tx, req, 501, "Not Implemented", "Allow", allowed)
}

// unsupported returns the option tags of Require we do not support
// (§8.2.2.3), comma-separated, or "".
func unsupported(req *message.Message) string {
	var bad []string
	for v := range req.Values("Require") {
		if !strings.EqualFold(string(v), "timer") {
			bad = append(bad, string(v))
		}
	}
	return strings.Join(bad, ", ")
}

// isSDP reports whether a request's body, if any, is a session
// description.
func isSDP(req *message.Message) bool {
	if len(req.Body()) == 0 {
		return true
	}
	ct, _, _ := bytes.Cut(req.ContentType(), []byte(";"))
	return strings.EqualFold(string(bytes.TrimSpace(ct)), "application/sdp")
}

// onInvite handles a new incoming call: it checks what it can refuse at
// once, asks the policy, answers the offer, rings (180) and tells the
// application.
func (ua *UA) onInvite(tx *transaction.Server, req *message.Message, from transport.Addr) {
	if !isSDP(req) {
		ua.respond(tx, req, 415, "Unsupported Media Type", "Accept", "application/sdp")
		return
	}
	if v, ok := req.Header("Session-Expires"); ok {
		if n, _ := parseSessionExpires(v); n > 0 && n < minSE {
			ua.respond(tx, req, 422, "Session Interval Too Small", "Min-SE", strconv.Itoa(int(minSE/time.Second)))
			return
		}
	}
	remote := ""
	if f, err := req.From(); err == nil {
		remote = f.URI.String()
	}
	c := newCall(ua, false, string(req.CallID()), remote)
	c.source = from.AddrPort
	c.request.CopyFrom(req) // for the policy: Call.Header
	if ua.inbound != nil {
		if !ua.checkAuth(tx, req, c, from, remote) {
			return
		}
	}
	if ua.cfg.Policy != nil {
		if code := ua.cfg.Policy(c); code != 0 {
			ua.respond(tx, req, code, reasonPhrase(code))
			ua.log.Info("incoming call refused by policy", "remote", remote, "source", from.AddrPort.String(), "code", code)
			return
		}
	}
	if !ua.addCall(c) {
		// The call in progress may last minutes: a caller should not retry
		// at once (RFC 3261 §21.4.7, §20.33).
		ua.respond(tx, req, 486, "Busy Here", "Retry-After", "60")
		ua.log.Info("incoming call refused: busy", "remote", remote)
		return
	}
	var answer []byte
	if ua.cfg.NewMedia != nil {
		var err error
		if c.media, err = ua.cfg.NewMedia(c); err != nil {
			c.media = nil
		} else if len(req.Body()) > 0 {
			if answer, err = c.media.Answer(req.Body()); err != nil {
				// Its sockets are bound: free them, or every refused
				// offer keeps two RTP ports for good.
				closeMedia(c.media)
			}
		}
		if err != nil {
			ua.removeCall(c)
			ua.respond(tx, req, 488, "Not Acceptable Here", "Warning", `304 intercom "`+strings.ReplaceAll(err.Error(), `"`, "'")+`"`)
			// Logged: a caller refused for its offer (plain RTP with SRTP
			// mandatory, no common codec) is a setup problem to see.
			ua.log.Info("incoming call refused: media not acceptable", "remote", remote, "source", from.AddrPort.String(),
				"code", 488, "err", err)
			return
		}
	}

	c.mu.Lock()
	c.dlg.asUAS(req, randomToken())
	_, _, next := c.dlg.route()
	c.nextHop = c.dialogHop(next, from)
	c.serverTx = tx
	c.answerSDP = answer
	c.peerUpdate = req.HasToken("Allow", "UPDATE")
	c.state = CallRinging
	c.ringTimer = time.AfterFunc(ringLimit, func() { _ = c.reject(480, "no answer") })
	var ringing message.Message
	ringing.InitResponse(req, 180, "Ringing", c.dlg.localTag)
	ringing.AddHeader("Contact", "<"+ua.contactFor(from)+">")
	ringing.AddHeader("Server", ua.cfg.UserAgent)
	c.mu.Unlock()
	ua.addDialog(c.dlg.id(), c)
	ua.emit(Event{Name: EventCallStarted, Call: c})
	if err := tx.Respond(&ringing); err != nil {
		c.finish(0, err.Error())
		return
	}
	ua.emit(Event{Name: EventCallRinging, Call: c, Code: 180})
	if ua.cfg.OnIncoming == nil {
		_ = c.reject(480, "no one answers")
		return
	}
	ua.cfg.OnIncoming(c)
}

// authResult is what the credentials of a request were worth.
type authResult int

const (
	authNone  authResult = iota // no Digest credentials
	authOK                      // right, with a fresh nonce
	authStale                   // right, with an expired nonce
	authWrong                   // wrong: unknown user, bad password, a nonce not ours
)

// checkAuth challenges an incoming INVITE with Digest (InboundAuth) and
// limits password guessing per source address: a source whose answers
// were wrong too often is refused 403 with Retry-After, without its
// credentials being checked, until its block ends. It reports whether the
// caller passed, and sets c.authUser. A burst of wrong answers is logged
// once (event auth_failed) and a block once (event auth_blocked), with the
// source; Throttle().Stats() counts them all.
func (ua *UA) checkAuth(tx *transaction.Server, req *message.Message, c *Call, from transport.Addr, remote string) bool {
	th := ua.inbound.Throttle()
	src := from.AddrPort.Addr()
	if left, blocked := th.Blocked(src); blocked {
		ua.respond(tx, req, 403, "Forbidden", "Retry-After", strconv.Itoa(int((left+time.Second-1)/time.Second)))
		ua.log.Debug("incoming call refused: source blocked", "source", from.AddrPort.String())
		return false
	}
	user, res := ua.authenticate(req)
	switch res {
	case authOK:
		c.authUser = user
		return true
	case authWrong:
		first, blocked := th.Fail(src)
		if first {
			ua.log.Warn("wrong credentials", "event", "auth_failed", "source", src.String(), "user", user, "remote", remote)
		}
		if blocked {
			lim := th.Limits()
			ua.log.Warn("source blocked after wrong credentials", "event", "auth_blocked", "source", src.String(),
				"failures", lim.MaxFailures, "for", lim.Block.String())
			ua.respond(tx, req, 403, "Forbidden", "Retry-After", strconv.Itoa(int(lim.Block/time.Second)))
			return false
		}
	}
	var resp message.Message
	resp.InitResponse(req, 401, "Unauthorized", randomToken())
	for _, ch := range ua.inbound.Challenges(res == authStale) {
		resp.AddHeader("WWW-Authenticate", ch)
	}
	resp.AddHeader("Server", ua.cfg.UserAgent)
	_ = tx.Respond(&resp)
	if res == authNone {
		ua.log.Info("incoming call challenged", "remote", remote, "source", from.AddrPort.String())
	}
	return false
}

// AuthStats counts the wrong Digest answers of callers, the sources
// blocked for guessing and the requests refused while blocked; zero
// without InboundAuth.
func (ua *UA) AuthStats() digest.ThrottleStats {
	if ua.inbound == nil {
		return digest.ThrottleStats{}
	}
	return ua.inbound.Throttle().Stats()
}

// authenticate checks the Digest credentials of a request against
// InboundAuth. An unknown user is checked against a random password, so
// that neither the answer (stale or not) nor the time taken tells whether
// a user name exists.
func (ua *UA) authenticate(req *message.Message) (string, authResult) {
	v, found := req.Header("Authorization")
	if !found {
		return "", authNone
	}
	a, err := digest.ParseAuthorization(v)
	if err != nil {
		return "", authWrong
	}
	password, known := ua.cfg.InboundAuth(a.Username)
	if !known {
		password = randomToken() + randomToken()
	}
	err = ua.inbound.Verify(&a, digest.Request{Method: string(req.Method()), URI: string(req.RequestURI()), Body: req.Body()},
		digest.Credentials{Username: a.Username, Password: password})
	switch {
	case err == nil && known:
		return a.Username, authOK
	case errors.Is(err, digest.ErrStale) && known:
		return a.Username, authStale
	}
	return a.Username, authWrong
}

// reasonPhrase returns the usual phrase of a status code we send.
func reasonPhrase(code int) string {
	switch code {
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 480:
		return "Temporarily Unavailable"
	case 486:
		return "Busy Here"
	case 487:
		return "Request Terminated"
	case 488:
		return "Not Acceptable Here"
	case 603:
		return "Decline"
	}
	switch code / 100 {
	case 4:
		return "Request Failure"
	case 5:
		return "Server Failure"
	}
	return "Global Failure"
}

// ErrNotRinging is returned by Answer and Reject on a call that does not
// ring here.
var ErrNotRinging = errors.New("sipua: the call does not ring here")

// Answer answers an incoming call that rings.
func (c *Call) Answer() error {
	c.mu.Lock()
	if c.outgoing || c.state != CallRinging {
		c.mu.Unlock()
		return ErrNotRinging
	}
	c.ringTimer.Stop()
	body := c.answerSDP
	offered := false
	if body == nil && c.media != nil {
		var err error
		if body, err = c.media.Offer(); err != nil {
			c.mu.Unlock()
			return c.reject(500, "media: "+err.Error())
		}
		offered = true
	}
	resp := c.okFor(&c.request, body)
	c.up()
	c.answerSDP = nil
	if offered {
		c.answerSDP = []byte{} // the answer comes in the ACK
	}
	tx := c.serverTx
	c.mu.Unlock()
	if err := c.sendOK(tx, resp); err != nil {
		c.finish(0, err.Error())
		return err
	}
	c.ua.emit(Event{Name: EventCallAnswered, Call: c, Code: 200})
	return nil
}

// okFor builds our 2xx to an INVITE or UPDATE, with session timer headers
// (RFC 4028 §9). The caller holds c.mu.
func (c *Call) okFor(req *message.Message, body []byte) *message.Message {
	resp := new(message.Message)
	resp.InitResponse(req, 200, "OK", c.dlg.localTag)
	resp.AddHeader("Contact", "<"+c.ua.contactFor(c.nextHop.addr)+">")
	c.ua.addCapabilities(resp)
	resp.AddHeader("Accept", accepted)
	n, refresher := time.Duration(0), ""
	if v, ok := req.Header("Session-Expires"); ok {
		n, refresher = parseSessionExpires(v)
	}
	peerTimer := req.HasToken("Supported", "timer") || req.HasToken("Require", "timer")
	if n <= 0 {
		n = c.ua.cfg.SessionExpires
	}
	if refresher != "uac" && refresher != "uas" {
		refresher = "uas"
		if peerTimer {
			refresher = "uac"
		}
	}
	c.interval, c.weRefresh = n, refresher == "uas"
	resp.AddHeader("Session-Expires", strconv.Itoa(int(n/time.Second))+";refresher="+refresher)
	if peerTimer {
		resp.AddHeader("Require", "timer")
	}
	resp.AddHeader("Server", c.ua.cfg.UserAgent)
	if body != nil {
		resp.SetBody("application/sdp", body)
	}
	return resp
}

// sendOK sends a 2xx to an INVITE and retransmits it, from T1 doubling to
// T2, until the ACK comes; without an ACK within 64*T1 the call ends with a
// BYE (RFC 3261 §13.3.1.4).
func (c *Call) sendOK(tx *transaction.Server, resp *message.Message) error {
	cseq, _ := resp.CSeq()
	if cseq.Method != message.INVITE {
		return tx.Respond(resp)
	}
	t := c.ua.layer.Timers()
	c.mu.Lock()
	defer c.mu.Unlock()
	// The 2xx is recorded before it leaves: an ACK that comes back at once
	// must find it, or the 2xx would be resent until the peer gave up.
	c.ok, c.okInterval, c.okSince = resp, t.T1, time.Now()
	if err := tx.Respond(resp); err != nil {
		c.ok = nil
		return err
	}
	var again func()
	again = func() {
		c.mu.Lock()
		if c.ok != resp || c.state == CallEnded {
			c.mu.Unlock()
			return
		}
		if time.Since(c.okSince) >= 64*t.T1 {
			c.ok = nil
			c.mu.Unlock()
			c.bye("no ACK")
			return
		}
		_ = tx.Respond(resp)
		c.okInterval = min(2*c.okInterval, t.T2)
		c.okTimer = time.AfterFunc(c.okInterval, again)
		c.mu.Unlock()
	}
	c.okTimer = time.AfterFunc(c.okInterval, again)
	return nil
}

// onACK takes the ACK to our 2xx: retransmissions stop, and the answer to
// an offer we made in the 2xx is taken.
func (c *Call) onACK(req *message.Message) {
	c.mu.Lock()
	if c.ok == nil {
		c.mu.Unlock()
		return
	}
	c.ok = nil
	if c.okTimer != nil {
		c.okTimer.Stop()
	}
	wantAnswer := c.answerSDP != nil && len(c.answerSDP) == 0
	c.answerSDP = nil
	c.mu.Unlock()
	if wantAnswer && c.media != nil {
		if err := c.media.Accept(req.Body()); err != nil {
			c.ua.log.Warn("answer in ACK rejected", "call_id", c.callID, "err", err)
			c.bye("bad session description in the ACK")
		}
	}
}

// Reject refuses an incoming call that rings with code (4xx-6xx).
func (c *Call) Reject(code int) error {
	if code < 400 || code > 699 {
		code = 603
	}
	return c.reject(code, "rejected")
}

func (c *Call) reject(code int, reason string) error {
	c.mu.Lock()
	if c.outgoing || c.state != CallRinging {
		c.mu.Unlock()
		return ErrNotRinging
	}
	var resp message.Message
	resp.InitResponse(&c.request, code, reasonPhrase(code), c.dlg.localTag)
	resp.AddHeader("Server", c.ua.cfg.UserAgent)
	tx := c.serverTx
	c.mu.Unlock()
	err := tx.Respond(&resp)
	c.finish(code, reason)
	return err
}

// onCancel answers a CANCEL: 200 to it, and 487 to the INVITE it cancels
// if that still rings (§9.2).
func (ua *UA) onCancel(tx *transaction.Server, req *message.Message) {
	var target *Call
	for _, c := range ua.Calls() {
		if !c.outgoing && c.callID == string(req.CallID()) && c.cancels(req) {
			target = c
			break
		}
	}
	if target == nil {
		ua.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	ua.respond(tx, req, 200, "OK")
	_ = target.reject(487, "cancelled by the caller")
}

// cancels reports whether a CANCEL matches the INVITE being answered: same
// From tag, CSeq number and top Via.
func (c *Call) cancels(cancel *message.Message) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	cf, _ := cancel.From()
	if string(cf.Tag()) != c.dlg.remoteTag {
		return false
	}
	a, _ := cancel.CSeq()
	b, _ := c.request.CSeq()
	va, _ := cancel.Via()
	vb, _ := c.request.Via()
	return a.Seq == b.Seq && bytes.Equal(va.Branch(), vb.Branch())
}

// inDialog handles a request inside one of our dialogs (§12.2.2).
func (c *Call) inDialog(tx *transaction.Server, req *message.Message) {
	ua := c.ua
	cseq, _ := req.CSeq()
	c.mu.Lock()
	if cseq.Seq <= c.dlg.remoteSeq && c.dlg.remoteSeq != 0 {
		c.mu.Unlock()
		ua.respond(tx, req, 500, "Server Internal Error", "Warning", `399 intercom "CSeq out of order"`)
		return
	}
	c.dlg.remoteSeq = cseq.Seq
	state := c.state
	c.mu.Unlock()
	switch req.Method() {
	case message.BYE:
		ua.respond(tx, req, 200, "OK")
		if state == CallRinging && !c.outgoing {
			_ = c.reject(487, "remote hangup")
		}
		c.finish(0, "remote hangup")
	case message.INVITE, message.UPDATE:
		c.onReoffer(tx, req)
	case message.INFO:
		c.onInfo(tx, req)
	case message.OPTIONS:
		ua.respond(tx, req, 200, "OK", "Allow", allowed, "Accept", accepted, "Supported", supported)
	default:
		ua.refuse(tx, req)
	}
}

// onReoffer answers a re-INVITE or an UPDATE: a new offer (hold, resume,
// a changed address) or a session refresh (RFC 4028).
func (c *Call) onReoffer(tx *transaction.Server, req *message.Message) {
	ua := c.ua
	c.mu.Lock()
	pending := c.reinviting || c.ok != nil
	up := c.state == CallAnswered
	c.mu.Unlock()
	switch {
	case !up:
		ua.respond(tx, req, 491, "Request Pending")
		return
	case pending && req.Method() == message.INVITE:
		ua.respond(tx, req, 491, "Request Pending")
		return
	case !isSDP(req):
		ua.respond(tx, req, 415, "Unsupported Media Type", "Accept", "application/sdp")
		return
	}
	var body []byte
	offered := false
	if c.media != nil {
		var err error
		if len(req.Body()) > 0 {
			body, err = c.media.Answer(req.Body())
		} else if req.Method() == message.INVITE {
			body, err = c.media.Offer()
			offered = true
		}
		if err != nil {
			ua.respond(tx, req, 488, "Not Acceptable Here")
			return
		}
	}
	c.mu.Lock()
	c.dlg.setTarget(req)
	resp := c.okFor(req, body)
	c.armSessionTimer()
	if offered {
		c.answerSDP = []byte{}
	}
	c.mu.Unlock()
	if err := c.sendOK(tx, resp); err != nil {
		ua.log.Debug("re-INVITE answer", "err", err)
	}
}

// onInfo takes DTMF sent as SIP INFO (application/dtmf-relay, as Cisco
// and Asterisk send it, or application/dtmf) and hands the digit on.
func (c *Call) onInfo(tx *transaction.Server, req *message.Message) {
	body := req.Body()
	if len(body) == 0 {
		c.ua.respond(tx, req, 200, "OK") // an INFO as keep-alive
		return
	}
	ct, _, _ := bytes.Cut(req.ContentType(), []byte(";"))
	var digit string
	switch strings.ToLower(strings.TrimSpace(string(ct))) {
	case "application/dtmf-relay":
		for line := range strings.Lines(string(body)) {
			if k, v, ok := strings.Cut(line, "="); ok && strings.EqualFold(strings.TrimSpace(k), "Signal") {
				digit = dtmfDigit(strings.TrimSpace(v))
			}
		}
	case "application/dtmf":
		digit = dtmfDigit(strings.TrimSpace(string(body)))
	default:
		c.ua.respond(tx, req, 415, "Unsupported Media Type", "Accept", "application/dtmf-relay, application/dtmf")
		return
	}
	if digit == "" {
		c.ua.respond(tx, req, 400, "Bad Request", "Warning", `399 intercom "no DTMF signal"`)
		return
	}
	c.ua.respond(tx, req, 200, "OK")
	c.ReportDTMF(digit, "info")
}

// ReportDTMF records a key the peer pressed and emits a dtmf event; the
// media layer reports the keys it receives as RTP telephone-events here
// (source "rfc4733"), SIP INFO ones arrive by themselves ("info").
//
// Only a call that is up takes keys: those of a call still ringing (INFO
// in its early dialog, telephone-events with early media) are dropped, so
// that no one reaches the door code before the call was accepted.
func (c *Call) ReportDTMF(digit, source string) {
	c.mu.Lock()
	if c.state != CallAnswered {
		state := c.state
		c.mu.Unlock()
		c.ua.log.Debug("DTMF dropped: the call is not up", "call_id", c.callID, "state", state.String(), "source", source)
		return
	}
	c.dtmf.WriteString(digit)
	c.mu.Unlock()
	c.ua.emit(Event{Name: EventDTMF, Call: c, Digit: digit, Source: source})
}

// dtmfDigit maps a DTMF signal to its key: 0-9, *, #, A-D, with the
// event codes 10 and 11 of RFC 4733 for * and #.
func dtmfDigit(s string) string {
	switch s {
	case "10":
		return "*"
	case "11":
		return "#"
	}
	if len(s) == 1 && strings.ContainsAny(s, "0123456789*#ABCDabcd") {
		return strings.ToUpper(s)
	}
	return ""
}
