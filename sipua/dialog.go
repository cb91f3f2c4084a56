package sipua

import (
	"slices"
	"strconv"

	"intercom/sipua/message"
)

// dialog is the state of a dialog (RFC 3261 §12): what every request
// inside it carries and where it goes.
type dialog struct {
	callID string
	// localTag and remoteTag are the tags of the local and remote party.
	localTag, remoteTag string
	// local and remote are the From and To values of requests we send,
	// tags included.
	local, remote string
	// remoteTarget is the peer's Contact URI.
	remoteTarget string
	// routeSet are the Route values requests carry, in order.
	routeSet []string
	// localSeq is the CSeq of our last request; remoteSeq of the peer's.
	localSeq, remoteSeq uint32
}

// id is the dialog's key in the user agent's table.
func (d *dialog) id() string { return dialogID(d.callID, d.localTag, d.remoteTag) }

// asUAS fills the dialog from an INVITE we received (§12.1.1).
func (d *dialog) asUAS(req *message.Message, localTag string) {
	d.callID = string(req.CallID())
	d.localTag = localTag
	from, _ := req.From() // Validate checked both
	d.remoteTag = string(from.Tag())
	to, _ := req.Header("To")
	d.local = string(to) + ";tag=" + localTag
	f, _ := req.Header("From")
	d.remote = string(f)
	d.routeSet = d.routeSet[:0]
	for v := range req.Values("Record-Route") {
		d.routeSet = append(d.routeSet, string(v))
	}
	d.setTarget(req)
	cseq, _ := req.CSeq()
	d.remoteSeq = cseq.Seq
}

// asUAC fills the dialog from a 2xx or 1xx to our INVITE (§12.1.2); local,
// callID, localTag and localSeq are already set.
func (d *dialog) asUAC(resp *message.Message) {
	to, _ := resp.To()
	d.remoteTag = string(to.Tag())
	t, _ := resp.Header("To")
	d.remote = string(t)
	d.routeSet = d.routeSet[:0]
	for v := range resp.Values("Record-Route") {
		d.routeSet = append(d.routeSet, string(v))
	}
	slices.Reverse(d.routeSet)
	d.setTarget(resp)
}

// setTarget takes the remote target from a message's Contact, if it has a
// usable one (§12.2.1.2, §12.2.2).
func (d *dialog) setTarget(m *message.Message) {
	for v := range m.Values("Contact") {
		if c, err := message.ParseNameAddr(v); err == nil && c.URI.IsSIP() {
			d.remoteTarget = c.URI.String()
		}
		return
	}
}

// request builds a request inside the dialog without its Via (§12.2.1.1),
// and returns it with the URI of the next hop. An ACK or CANCEL reuses the
// CSeq number given; any other request takes the next one.
func (d *dialog) request(method message.Method, seq uint32) (*message.Message, string) {
	if seq == 0 {
		d.localSeq++
		seq = d.localSeq
	}
	ruri, routes, next := d.route()
	m := new(message.Message)
	m.InitRequest(method, ruri)
	for _, r := range routes {
		m.AddHeader("Route", r)
	}
	m.AddHeader("Max-Forwards", "70")
	m.AddHeader("From", d.local)
	m.AddHeader("To", d.remote)
	m.AddHeader("Call-ID", d.callID)
	m.AddHeader("CSeq", strconv.FormatUint(uint64(seq), 10)+" "+string(method))
	return m, next
}

// route returns the Request-URI, the Route values and the next hop of a
// request in the dialog, for a loose or a strict first router.
func (d *dialog) route() (ruri string, routes []string, next string) {
	ruri, routes, next = d.remoteTarget, d.routeSet, d.remoteTarget
	if len(routes) > 0 {
		first, err := message.ParseNameAddr([]byte(routes[0]))
		switch {
		case err != nil:
		case first.URI.Params.Has("lr"):
			next = first.URI.String()
		default: // a strict router: it takes the Request-URI's place
			first.URI.Params = nil
			ruri = first.URI.String()
			next = ruri
			routes = append(slices.Clone(routes[1:]), "<"+d.remoteTarget+">")
		}
	}
	return ruri, routes, next
}
