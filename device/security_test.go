package device

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"intercom/audio/tone"
	"intercom/board"
	"intercom/device/hw"
	"intercom/sipua"
	"intercom/sipua/digest"
	"intercom/sipua/media"
	"intercom/sipua/message"
)

// TestCodeLockBruteForce: a guesser types every 4-digit code followed by
// '#', one key every 100 ms (a flood of RFC 4733 events or INFO requests
// would be no faster at the lock), for a simulated day. The doubling
// lockout lets only a few dozen codes be checked; the door never opens.
func TestCodeLockBruteForce(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	l, err := NewCodeLock(CodeLockConfig{Codes: []string{"7391#"}, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	const day = 24 * time.Hour
	var keys, checked, locked, opened int
	start := clock.t
	for guess := 0; clock.t.Sub(start) < day && keys < 1_000_000; guess++ {
		code := fmt.Sprintf("%04d#", guess%10000)
		for i := range len(code) {
			keys++
			clock.advance(100 * time.Millisecond)
			switch l.Digit("", code[i]) {
			case CodeOpen:
				opened++
			case CodeWrong:
				checked++
			case CodeLocked:
				locked++
			}
		}
	}
	lockouts := checked / 2 // every third wrong code locks: CodeLocked, not CodeWrong
	tried := checked + lockouts
	t.Logf("a day of guessing: %d keys typed, %d codes checked (%d locked out), %d keys refused while locked; "+
		"a 4-digit code takes %.0f days on average at this rate", keys, tried, lockouts, locked, 5000/float64(tried))
	if opened != 0 {
		t.Fatalf("the door opened %d times", opened)
	}
	if tried > 100 {
		t.Errorf("%d codes checked in a day, want at most 100", tried)
	}
}

// TestCodeLockEscalationResets: after a long quiet time the lockout is
// back to its base length, so a resident who mistyped last week is not
// locked out for an hour.
func TestCodeLockEscalationResets(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	l, err := NewCodeLock(CodeLockConfig{Codes: []string{"1#"}, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	wrong3 := func() {
		for _, k := range "9#9#9" {
			l.Digit("", byte(k))
		}
	}
	wrong3()
	clock.advance(5*time.Minute + time.Second)
	wrong3() // the second lockout in a row: 10 minutes
	clock.advance(5*time.Minute + time.Second)
	if !l.Locked() {
		t.Error("the second lockout was not longer")
	}
	clock.advance(2 * time.Hour)
	wrong3()
	clock.advance(5*time.Minute + time.Second)
	if l.Locked() {
		t.Error("after two quiet hours the lockout still doubled")
	}
}

// door is a station on 127.0.0.1 with the code 1# and a relay on the
// simulated board, whose user agent challenges callers (user flat,
// password pw) and refuses calls from mallory.
type door struct {
	ua       *sipua.UA
	relay    *hw.Relay
	ringing  chan *sipua.Call
	rejected atomic.Int32 // door_code_rejected events
}

func newDoor(t *testing.T) *door {
	t.Helper()
	sim := board.NewSim()
	t.Cleanup(func() { sim.Close() })
	pin, err := sim.Pin("GPIO27")
	if err != nil {
		t.Fatal(err)
	}
	d := &door{ringing: make(chan *sipua.Call, 4)}
	if d.relay, err = hw.NewRelay(hw.RelayConfig{Name: "door", Pin: pin, Pulse: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.relay.Close() })
	codes, err := NewCodeLock(CodeLockConfig{Codes: []string{"1#"}})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := NewStation(StationConfig{Relay: d.relay, Codes: codes, Log: quiet, OnEvent: func(e Event) {
		if e.Name == "door_code_rejected" {
			d.rejected.Add(1)
		}
	}})
	d.ua, err = sipua.New(sipua.Config{Listen: "127.0.0.1:0", Account: sipua.Account{User: "door"}, Logger: quiet,
		NewMedia:    withMedia,
		InboundAuth: func(user string) (string, bool) { return "pw", user == "flat" },
		Policy: func(c *sipua.Call) int {
			if strings.Contains(c.Remote(), "mallory") {
				return 403
			}
			return 0
		},
		OnIncoming: func(c *sipua.Call) { d.ringing <- c },
		OnEvent:    st.SIPEvent,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.ua.Close)
	st.Attach(d.ua)
	return d
}

// pulses is how often the door opened.
func (d *door) pulses() int { return int(d.relay.State().Pulses) }

// rawCaller speaks SIP over UDP by hand, to send what no polite user
// agent sends.
type rawCaller struct {
	conn    *net.UDPConn
	rtp     *net.UDPConn
	station netip.AddrPort
	uri     string
	user    string
	callID  string
	fromTag string
	cseq    int
	seq     uint16
	ts      uint32
}

func newRawCaller(t *testing.T, d *door, user string) *rawCaller {
	t.Helper()
	c, err1 := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	r, err2 := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	t.Cleanup(func() { c.Close(); r.Close() })
	st := d.ua.Addr().AddrPort
	return &rawCaller{conn: c, rtp: r, station: st, uri: "sip:door@" + st.String(), user: user,
		callID: strconv.FormatInt(time.Now().UnixNano(), 36), fromTag: "f" + user}
}

// send sends a request of the caller's call with the To tag toTag (none
// if empty), extra header lines and a body of content type ct.
func (p *rawCaller) send(t *testing.T, method, toTag, extra, ct, body string) {
	t.Helper()
	if method != "ACK" {
		p.cseq++
	}
	to := "<" + p.uri + ">"
	if toTag != "" {
		to += ";tag=" + toTag
	}
	port := p.conn.LocalAddr().(*net.UDPAddr).Port
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s%d%s\r\n", method, p.uri, port, p.callID, p.cseq, method)
	fmt.Fprintf(&b, "From: <sip:%s@127.0.0.1>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\nMax-Forwards: 70\r\n",
		p.user, p.fromTag, to, p.callID, p.cseq, method)
	fmt.Fprintf(&b, "Contact: <sip:%s@127.0.0.1:%d>\r\n%s", p.user, port, extra)
	if body != "" {
		fmt.Fprintf(&b, "Content-Type: %s\r\n", ct)
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	if _, err := p.conn.WriteToUDPAddrPort([]byte(b.String()), p.station); err != nil {
		t.Fatal(err)
	}
}

// response waits up to 5 s for a response to method with a status of at
// least min, skipping the others and any request.
func (p *rawCaller) response(t *testing.T, method string, min int) *message.Message {
	t.Helper()
	buf := make([]byte, 65536)
	for range 20 {
		_ = p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := p.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("waiting for a response to %s: %v", method, err)
		}
		m, err := message.Parse(append([]byte(nil), buf[:n]...))
		if err != nil || m.IsRequest() {
			continue
		}
		if cs, _ := m.CSeq(); string(cs.Method) == method && m.StatusCode() >= min {
			return m
		}
	}
	t.Fatalf("no response to %s among 20 messages", method)
	return nil
}

// info sends a key by SIP INFO (application/dtmf-relay) and returns the
// status of the answer.
func (p *rawCaller) info(t *testing.T, toTag string, key byte) int {
	t.Helper()
	p.send(t, "INFO", toTag, "", "application/dtmf-relay", "Signal="+string(key)+"\r\nDuration=160\r\n")
	return p.response(t, "INFO", 200).StatusCode()
}

// events sends keys as RFC 4733 telephone-events (payload type 101) to
// the station's RTP port, each one start packet and three end packets.
func (p *rawCaller) events(t *testing.T, port int, keys string) {
	t.Helper()
	to := netip.AddrPortFrom(p.station.Addr(), uint16(port))
	for _, k := range []byte(keys) {
		ev := byte(strings.IndexByte("0123456789*#", k))
		p.ts += 1600
		for i, end := range []bool{false, true, true, true} {
			pkt := make([]byte, 16)
			pkt[0] = 0x80
			pkt[1] = 101
			if i == 0 {
				pkt[1] |= 0x80 // marker: a new event
			}
			p.seq++
			binary.BigEndian.PutUint16(pkt[2:], p.seq)
			binary.BigEndian.PutUint32(pkt[4:], p.ts)
			binary.BigEndian.PutUint32(pkt[8:], 0x5eed)
			pkt[12] = ev
			pkt[13] = 10 // volume
			if end {
				pkt[13] |= 0x80
			}
			binary.BigEndian.PutUint16(pkt[14:], 800)
			if _, err := p.rtp.WriteToUDPAddrPort(pkt, to); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
}

// offer is the caller's SDP: PCMU and telephone-events at its RTP port.
func (p *rawCaller) offer() string {
	port := p.rtp.LocalAddr().(*net.UDPAddr).Port
	return fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n", port)
}

// authorize answers the station's 401 with user's password.
func (p *rawCaller) authorize(t *testing.T, resp *message.Message, user, password string) string {
	t.Helper()
	chs, err := digest.Choose(resp.Values("WWW-Authenticate"))
	if err != nil || len(chs) == 0 {
		t.Fatalf("no challenge in %d: %v", resp.StatusCode(), err)
	}
	a, err := chs[0].Authorize(digest.Credentials{Username: user, Password: password},
		digest.Request{Method: "INVITE", URI: p.uri}, 1, "c0ffee42")
	if err != nil {
		t.Fatal(err)
	}
	return "Authorization: " + a + "\r\n"
}

// toTagOf returns the To tag of a response.
func toTagOf(t *testing.T, m *message.Message) string {
	t.Helper()
	to, err := m.To()
	if err != nil {
		t.Fatal(err)
	}
	return string(to.Tag())
}

// waitFor polls cond for up to 5 s.
func waitFor(cond func() bool) bool {
	for range 100 {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

// TestNoDoorForStrangers sends the right door code, 1#, from everyone who
// must not open the door, by SIP INFO and by RFC 4733 telephone-events:
// with no dialog at all, from callers the station refused (no
// credentials, a wrong password, a caller the policy refuses), with a
// wrong dialog tag, and in the early dialog of an allowed call that still
// rings. The door stays shut. Then the station answers, and the same code
// by telephone-events opens it (the control: the keys were well formed);
// a flood of wrong codes by telephone-events and by INFO locks the code
// out, and the right code after the flood opens nothing.
func TestNoDoorForStrangers(t *testing.T) {
	d := newDoor(t)

	// No dialog: INFO out of the blue.
	stranger := newRawCaller(t, d, "stranger")
	for _, k := range []byte("1#") {
		if code := stranger.info(t, "", k); code != 481 {
			t.Errorf("INFO outside a dialog: %d, want 481", code)
		}
	}
	// Refused callers, then INFO in the dialog they did not get.
	for _, tc := range []struct {
		name, user, password string
		want                 int
	}{
		{"no credentials", "flat", "", 401},
		{"wrong password", "flat", "guess", 401},
		{"refused by policy", "mallory", "pw", 403}, // flat's password, but From mallory
	} {
		c := newRawCaller(t, d, tc.user)
		c.send(t, "INVITE", "", "", "application/sdp", c.offer())
		resp := c.response(t, "INVITE", 200)
		if tc.password != "" {
			c.send(t, "ACK", toTagOf(t, resp), "", "", "")
			c.send(t, "INVITE", "", c.authorize(t, resp, "flat", tc.password), "application/sdp", c.offer())
			resp = c.response(t, "INVITE", 200)
		}
		if resp.StatusCode() != tc.want {
			t.Errorf("%s: INVITE answered %d, want %d", tc.name, resp.StatusCode(), tc.want)
		}
		tag := toTagOf(t, resp)
		c.send(t, "ACK", tag, "", "", "")
		for _, k := range []byte("1#") {
			if code := c.info(t, tag, k); code != 481 {
				t.Errorf("%s: INFO after the refusal: %d, want 481", tc.name, code)
			}
		}
	}

	// An allowed caller whose call rings: early dialog.
	flat := newRawCaller(t, d, "flat")
	flat.send(t, "INVITE", "", "", "application/sdp", flat.offer())
	challenge := flat.response(t, "INVITE", 200)
	flat.send(t, "ACK", toTagOf(t, challenge), "", "", "")
	flat.send(t, "INVITE", "", flat.authorize(t, challenge, "flat", "pw"), "application/sdp", flat.offer())
	ringing := flat.response(t, "INVITE", 180)
	if ringing.StatusCode() != 180 {
		t.Fatalf("the allowed caller got %d, want 180", ringing.StatusCode())
	}
	tag := toTagOf(t, ringing)
	var call *sipua.Call
	select {
	case call = <-d.ringing:
	case <-time.After(5 * time.Second):
		t.Fatal("the station was not told of the call")
	}
	rtpPort := call.Media().(*media.Call).Stream().Port()
	for _, k := range []byte("1#") {
		if code := flat.info(t, tag, k); code != 200 && code != 481 {
			t.Errorf("INFO in the early dialog: %d", code)
		}
	}
	if code := flat.info(t, "wrong-tag", '1'); code != 481 {
		t.Errorf("INFO with a wrong To tag: %d, want 481", code)
	}
	flat.events(t, rtpPort, "1#")
	time.Sleep(300 * time.Millisecond) // the early keys had time to arrive
	if n := d.pulses(); n != 0 {
		t.Fatalf("the door opened %d times before any call was answered", n)
	}
	if st := call.Media().(*media.Call).Stream().Stats(); st.DTMFReceived == 0 {
		t.Logf("early telephone-events were not even received (stats %+v)", st)
	}

	// Answered: the control, then the floods.
	if err := call.Answer(); err != nil {
		t.Fatal(err)
	}
	ok := flat.response(t, "INVITE", 200)
	flat.send(t, "ACK", toTagOf(t, ok), "", "", "")
	flat.events(t, rtpPort, "1#")
	if !waitFor(func() bool { return d.pulses() == 1 }) {
		t.Fatalf("the right code in the answered call opened the door %d times, want once (the control)", d.pulses())
	}
	flood := strings.Repeat("9#", 20) + "1#"
	flat.events(t, rtpPort, flood)
	for i := range 20 {
		flat.info(t, tag, byte('0'+i%9))
		flat.info(t, tag, '#')
	}
	for _, k := range []byte("1#") {
		flat.info(t, tag, k)
	}
	waitFor(func() bool { return d.rejected.Load() >= 60 })
	t.Logf("after the control: %d wrong codes by RFC 4733 and %d by INFO, then 1# twice: %d door_code_rejected events, %d door openings in all",
		20, 20, d.rejected.Load(), d.pulses())
	if n := d.pulses(); n != 1 {
		t.Errorf("the door opened %d times, want only the control's once", n)
	}
}

// dtmfTone is the cadence of keys played as sound: the two frequencies of
// each key for 100 ms, then 100 ms of silence (ITU-T Q.23).
func dtmfTone(keys string) tone.Cadence {
	low := map[byte]float64{'1': 697, '2': 697, '3': 697, '4': 770, '5': 770, '6': 770, '7': 852, '8': 852, '9': 852, '*': 941, '0': 941, '#': 941}
	high := map[byte]float64{'1': 1209, '2': 1336, '3': 1477, '4': 1209, '5': 1336, '6': 1477, '7': 1209, '8': 1336, '9': 1477, '*': 1209, '0': 1336, '#': 1477}
	var c tone.Cadence
	for _, k := range []byte(keys) {
		c.Segments = append(c.Segments, tone.Segment{Freqs: []float64{low[k], high[k]}, Duration: 100 * time.Millisecond},
			tone.Segment{Duration: 100 * time.Millisecond})
	}
	c.Level = -6
	return c
}

// TestNoDoorFromInBandTones: a caller the station answers plays the right
// code, 1#, as DTMF tones in its audio (PCMU), three times. Only RFC 4733
// events and SIP INFO carry keys: the tones open nothing and make no dtmf
// event, though the station received the audio. The same code sent as
// telephone-events then opens the door (the control).
func TestNoDoorFromInBandTones(t *testing.T) {
	d := newDoor(t)
	var dtmf atomic.Int32
	caller, err := sipua.New(sipua.Config{Listen: "127.0.0.1:0", Account: sipua.Account{User: "flat", Password: "pw"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), NewMedia: withMedia})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() {
		select {
		case c := <-d.ringing:
			_ = c.Answer()
		case <-ctx.Done():
		}
	}()
	call, err := caller.Dial(ctx, "sip:door@"+d.ua.Addr().AddrPort.String(), sipua.DialOptions{RingTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-call.Answered():
	case <-call.Done():
		t.Fatalf("the call was not answered: %+v", call.Summary())
	}
	s := call.Media().(*media.Call).Stream()
	tn, err := tone.New(dtmfTone("1#1#1#"), 8000)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, 160)
	tick := time.NewTicker(media.FrameDuration)
	defer tick.Stop()
	sent := 0
	for range 60 { // 1.2 s: the tones and some silence
		<-tick.C
		clear(frame)
		if err := tn.ReadFrame(frame); err != nil && err != io.EOF {
			t.Fatal(err)
		}
		if err := s.WriteFrame(frame); err != nil {
			t.Fatal(err)
		}
		sent++
	}
	var station *sipua.Call
	for _, c := range d.ua.Calls() {
		station = c
	}
	if station == nil {
		t.Fatal("the station has no call")
	}
	st := station.Media().(*media.Call).Stream().Stats()
	dtmf.Store(int32(st.DTMFReceived))
	t.Logf("in-band: %d frames of tones sent, the station received %d RTP packets, %d DTMF keys, %d door openings",
		sent, st.PacketsReceived, st.DTMFReceived, d.pulses())
	if st.PacketsReceived < 20 {
		t.Errorf("the station received %d packets of the tones; the test proves nothing", st.PacketsReceived)
	}
	if st.DTMFReceived != 0 || d.pulses() != 0 {
		t.Errorf("in-band tones gave %d keys and %d door openings, want none", st.DTMFReceived, d.pulses())
	}
	// The control: the same code as telephone-events.
	if err := s.SendDTMF("1#"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100 && d.pulses() == 0; i++ {
		<-tick.C
		clear(frame)
		_ = s.WriteFrame(frame)
	}
	if d.pulses() != 1 {
		t.Errorf("the code by telephone-events opened the door %d times, want once (the control)", d.pulses())
	}
	call.Hangup()
}
