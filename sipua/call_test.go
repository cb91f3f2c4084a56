package sipua

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"intercom/sipua/message"
)

// rawPeer is a scripted SIP peer on a bare UDP socket, for the cases no
// real program produces on demand (forked answers, redirects): the test
// reads each request and writes each response itself.
type rawPeer struct {
	conn *net.UDPConn
}

func newRawPeer(t *testing.T) *rawPeer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawPeer{conn: c}
}

func (p *rawPeer) port() int { return p.conn.LocalAddr().(*net.UDPAddr).Port }

// next reads the next request, skipping responses, within 5 s, and fails
// the test unless it has the given method.
func (p *rawPeer) next(t *testing.T, method message.Method) (*message.Message, netip.AddrPort) {
	t.Helper()
	buf := make([]byte, 65536)
	for range 20 {
		_ = p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, from, err := p.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("peer waiting for %s: %v", method, err)
		}
		m, err := message.Parse(append([]byte(nil), buf[:n]...))
		if err != nil {
			t.Fatalf("peer: %v", err)
		}
		if !m.IsRequest() {
			continue
		}
		if m.Method() != method {
			t.Fatalf("peer got %s, want %s:\n%s", m.Method(), method, m.String())
		}
		return m, from
	}
	t.Fatalf("peer: no %s among 20 messages", method)
	return nil, netip.AddrPort{}
}

// reply answers req with code, giving the To tag and extra header fields
// (name, value pairs) and an SDP body on 2xx to INVITE.
func (p *rawPeer) reply(t *testing.T, req *message.Message, to netip.AddrPort, code int, toTag string, hdrs ...string) {
	t.Helper()
	var resp message.Message
	resp.InitResponse(req, code, "Whatever", toTag)
	for i := 0; i+1 < len(hdrs); i += 2 {
		resp.AddHeader(hdrs[i], hdrs[i+1])
	}
	if req.Method() == message.INVITE && code/100 == 2 {
		resp.AddHeader("Contact", "<sip:flat@127.0.0.1:"+strconv.Itoa(p.port())+">")
		resp.SetBody("application/sdp", []byte(testSDP))
	}
	if _, err := p.conn.WriteToUDPAddrPort(resp.AppendTo(nil), to); err != nil {
		t.Fatal(err)
	}
}

func toTag(t *testing.T, m *message.Message) string {
	t.Helper()
	to, err := m.To()
	if err != nil {
		t.Fatal(err)
	}
	return string(to.Tag())
}

// TestForkedAnswers: a forking proxy delivers two 2xx with different To
// tags. The station keeps the first, and acknowledges and hangs up the
// second (RFC 3261 §13.2.2.4).
func TestForkedAnswers(t *testing.T) {
	door := newTestUA(t, "door", nil)
	peer := newRawPeer(t)
	call, err := door.Dial(context.Background(), "sip:flat@127.0.0.1:"+strconv.Itoa(peer.port()), DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inv, from := peer.next(t, message.INVITE)
	peer.reply(t, inv, from, 200, "first")
	peer.reply(t, inv, from, 200, "second")
	acks := map[string]bool{}
	for range 2 {
		ack, _ := peer.next(t, message.ACK)
		acks[toTag(t, ack)] = true
	}
	if !acks["first"] || !acks["second"] {
		t.Errorf("ACKs for %v, want both answers", acks)
	}
	bye, byeFrom := peer.next(t, message.BYE)
	if tag := toTag(t, bye); tag != "second" {
		t.Errorf("BYE to %q, want the second fork", tag)
	}
	peer.reply(t, bye, byeFrom, 200, "")
	if call.State() != CallAnswered {
		t.Errorf("call %v, want it up with the first answer", call.State())
	}
	call.mu.Lock()
	kept := call.dlg.remoteTag
	call.mu.Unlock()
	if kept != "first" {
		t.Errorf("dialog with %q, want first", kept)
	}
	call.Hangup()
	bye, byeFrom = peer.next(t, message.BYE)
	if tag := toTag(t, bye); tag != "first" {
		t.Errorf("hangup BYE to %q, want the first", tag)
	}
	peer.reply(t, bye, byeFrom, 200, "")
	waitDone(t, call)
}

// TestRedirect: a 302 sends the call to the Contact it names, where a
// station answers.
func TestRedirect(t *testing.T) {
	door := newTestUA(t, "door", nil)
	flat := newTestUA(t, "flat", answering)
	peer := newRawPeer(t)
	call, err := door.Dial(context.Background(), "sip:old@127.0.0.1:"+strconv.Itoa(peer.port()), DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inv, from := peer.next(t, message.INVITE)
	peer.reply(t, inv, from, 302, "moved", "Contact", "<sip:nowhere@127.0.0.1:9>;q=0.1", "Contact", "<"+flat.uri()+">;q=0.9")
	peer.next(t, message.ACK)
	door.expect(t, EventCallAnswered)
	in := flat.expect(t, EventCallAnswered).Call
	if in.CallID() != call.CallID() {
		t.Errorf("redirected call has Call-ID %q, want %q", in.CallID(), call.CallID())
	}
	call.Hangup()
	waitDone(t, in)
}

// TestSessionTimer: with a short session interval the caller refreshes at
// half of it (UPDATE, which the callee allows); when the caller vanishes
// without a BYE, the callee ends the call when the interval runs out.
func TestSessionTimer(t *testing.T) {
	defer func(old time.Duration) { minSE = old }(minSE)
	minSE = time.Second
	short := func(c *Config) { c.SessionExpires = 2 * time.Second }
	a := newTestUA(t, "door", short)
	b := newTestUA(t, "flat", both(answering, short))
	call, err := a.Dial(context.Background(), b.uri(), DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	<-call.Answered()
	in := b.expect(t, EventCallAnswered).Call
	call.mu.Lock()
	weRefresh, peerUpdate := call.weRefresh, call.peerUpdate
	call.mu.Unlock()
	if !weRefresh || !peerUpdate {
		t.Fatalf("caller refreshes %v with UPDATE %v; want both (refresher=uac)", weRefresh, peerUpdate)
	}
	// Two refreshes keep the call up past the interval.
	waitFor(t, "two refreshes", func() bool {
		in.mu.Lock()
		defer in.mu.Unlock()
		return in.dlg.remoteSeq >= 3 // INVITE 2, then UPDATE 3 and 4
	})
	if in.State() != CallAnswered {
		t.Fatalf("callee's call %v after refreshes", in.State())
	}
	a.tr.Close() // the caller's box loses power: no BYE
	if s := waitDone(t, in); s.Reason != "session expired" {
		t.Errorf("callee: %+v, want session expired", s)
	}
	if s := waitDone(t, call); s.Reason != "session refresh failed" {
		t.Errorf("caller: %+v, want session refresh failed", s)
	}
}

// TestMaxCallDuration: the application's longest call is enforced with a
// BYE.
func TestMaxCallDuration(t *testing.T) {
	a := newTestUA(t, "door", func(c *Config) { c.MaxCallDuration = 300 * time.Millisecond })
	b := newTestUA(t, "flat", answering)
	call, err := a.Dial(context.Background(), b.uri(), DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := waitDone(t, call); s.Reason != "max call duration" || !s.Answered {
		t.Errorf("caller: %+v", s)
	}
	if e := b.expect(t, EventCallEnded); e.Reason != "remote hangup" {
		t.Errorf("callee: %+v", e)
	}
}

// TestRequestsRefused: requests the station does not take get the codes
// RFC 3261 names for them.
func TestRequestsRefused(t *testing.T) {
	door := newTestUA(t, "door", answering)
	peer := newRawPeer(t)
	to, _ := netip.ParseAddrPort(door.Addr().AddrPort.String())
	for _, tc := range []struct {
		name, req string
		code      int
		hdr       string
	}{
		{"unknown dialog", "BYE sip:door@x SIP/2.0\r\nTo: <sip:door@x>;tag=nope\r\n", 481, ""},
		{"unknown method", "FROB sip:door@x SIP/2.0\r\nTo: <sip:door@x>\r\n", 501, "Allow"},
		{"known method", "SUBSCRIBE sip:door@x SIP/2.0\r\nTo: <sip:door@x>\r\nEvent: presence\r\n", 405, "Allow"},
		{"extension", "INVITE sip:door@x SIP/2.0\r\nTo: <sip:door@x>\r\nRequire: 100rel\r\nContact: <sip:a@127.0.0.1>\r\n", 420, "Unsupported"},
		{"body type", "INVITE sip:door@x SIP/2.0\r\nTo: <sip:door@x>\r\nContact: <sip:a@127.0.0.1>\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi", 415, "Accept"},
		{"no common codec", "INVITE sip:door@x SIP/2.0\r\nTo: <sip:door@x>\r\nContact: <sip:a@127.0.0.1>\r\nContent-Type: application/sdp\r\n", 488, ""},
		{"short session", "INVITE sip:door@x SIP/2.0\r\nTo: <sip:door@x>\r\nContact: <sip:a@127.0.0.1>\r\nSession-Expires: 30\r\n", 422, "Min-SE"},
		{"URI scheme", "OPTIONS mailto:door@x SIP/2.0\r\nTo: <sip:door@x>\r\n", 416, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			door.media.mu.Lock()
			door.media.refuse = tc.code == 488
			closed := door.media.closed
			door.media.mu.Unlock()
			if tc.code == 488 {
				// The media made for the refused offer is closed, so its
				// RTP ports are free again (PROTOS's 2,075 SDP cases once
				// held every port of the range).
				defer func() {
					door.media.mu.Lock()
					defer door.media.mu.Unlock()
					if door.media.closed != closed+1 {
						t.Errorf("media closed %d times for the refused offer, want once", door.media.closed-closed)
					}
				}()
			}
			head, body, _ := strings.Cut(tc.req, "\r\n\r\n")
			head = strings.TrimSuffix(head, "\r\n")
			if !strings.Contains(head, "Content-Length") {
				head += "\r\nContent-Length: 0"
			}
			if tc.code == 488 {
				body = testSDP
				head = strings.Replace(head, "Content-Length: 0", "Content-Length: "+strconv.Itoa(len(body)), 1)
			}
			wire := head + "\r\nVia: SIP/2.0/UDP 127.0.0.1:" + strconv.Itoa(peer.port()) + ";branch=z9hG4bK" + randomToken() +
				"\r\nFrom: <sip:tester@127.0.0.1>;tag=t1\r\nCall-ID: " + randomToken() + "\r\nCSeq: 1 " + strings.Fields(head)[0] +
				"\r\nMax-Forwards: 70\r\n\r\n" + body
			if _, err := peer.conn.WriteToUDPAddrPort([]byte(wire), to); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 65536)
			for range 5 {
				_ = peer.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				n, _, err := peer.conn.ReadFromUDPAddrPort(buf)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := message.Parse(buf[:n])
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode() == 100 {
					continue
				}
				if resp.StatusCode() != tc.code {
					t.Errorf("answered %d %s, want %d", resp.StatusCode(), resp.Reason(), tc.code)
				}
				if _, ok := resp.Header(tc.hdr); tc.hdr != "" && !ok {
					t.Errorf("no %s in the %d", tc.hdr, tc.code)
				}
				return
			}
		})
	}
}
