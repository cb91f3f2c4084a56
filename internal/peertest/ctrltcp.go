package peertest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// Event is one event reported by baresip's ctrl_tcp module, such as
//
//	{"event":true,"class":"call","type":"CALL_ESTABLISHED",
//	 "accountaor":"sip:a@sip.test","direction":"outgoing",
//	 "peeruri":"sip:b@sip.test","id":"...","param":"sip:b@sip.test"}
type Event struct {
	// Type names the event: REGISTER_OK, REGISTER_FAIL, CALL_INCOMING,
	// CALL_RINGING, CALL_PROGRESS, CALL_ESTABLISHED, CALL_CLOSED,
	// CALL_DTMF_START, CALL_DTMF_END, CALL_RTPESTAB, ...
	Type string `json:"type"`
	// Class groups event types: "register", "call", ...
	Class string `json:"class"`
	// AccountAOR is the address of record of the account concerned.
	AccountAOR string `json:"accountaor"`
	// Direction is "incoming" or "outgoing" for call events.
	Direction string `json:"direction"`
	// PeerURI and PeerName identify the other party of a call.
	PeerURI  string `json:"peeruri"`
	PeerName string `json:"peerdisplayname"`
	// ID identifies the call (its SIP Call-ID).
	ID string `json:"id"`
	// Param carries details: the status of REGISTER_FAIL ("401
	// Unauthorized"), the reason of CALL_CLOSED, the digit of
	// CALL_DTMF_START.
	Param string `json:"param"`
	// Raw is the event's whole JSON object as received.
	Raw json.RawMessage `json:"-"`
	// At is when the harness read the event.
	At time.Time `json:"-"`
}

// String gives the event's type, direction, peer and parameter on one line.
func (e Event) String() string {
	return fmt.Sprintf("%s %s peer=%q param=%q", e.Type, e.Direction, e.PeerURI, e.Param)
}

// ctrl_tcp limits: the largest message accepted, the most events kept.
const (
	maxNetstring = 1 << 20
	maxEvents    = 1024
)

// readNetstring reads one netstring ("5:hello,") from r. It returns io.EOF
// only when r ends cleanly between two netstrings.
func readNetstring(r *bufio.Reader) ([]byte, error) {
	n, digits := 0, 0
	for {
		c, err := r.ReadByte()
		if err != nil {
			if err == io.EOF && digits == 0 {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("netstring length: %w", noEOF(err))
		}
		if c == ':' {
			break
		}
		if c < '0' || c > '9' {
			return nil, fmt.Errorf("netstring length: unexpected byte %q", c)
		}
		if digits++; digits > 7 {
			return nil, errors.New("netstring length: too many digits")
		}
		n = n*10 + int(c-'0')
	}
	if digits == 0 {
		return nil, errors.New("netstring length: no digits")
	}
	if n > maxNetstring {
		return nil, fmt.Errorf("netstring of %d bytes: more than %d", n, maxNetstring)
	}
	buf := make([]byte, n+1)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("netstring of %d bytes: %w", n, noEOF(err))
	}
	if buf[n] != ',' {
		return nil, fmt.Errorf("netstring of %d bytes: ends with %q, not ','", n, buf[n])
	}
	return buf[:n], nil
}

// noEOF turns io.EOF in the middle of a netstring into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// appendNetstring appends p to dst as a netstring.
func appendNetstring(dst, p []byte) []byte {
	dst = strconv.AppendInt(dst, int64(len(p)), 10)
	dst = append(dst, ':')
	dst = append(dst, p...)
	return append(dst, ',')
}

// ctrlMessage is what ctrl_tcp sends: a response to a command or an event.
type ctrlMessage struct {
	Event    bool   `json:"event"`
	Response bool   `json:"response"`
	OK       bool   `json:"ok"`
	Data     string `json:"data"`
	Token    string `json:"token"`
}

// ctrlClient talks to baresip's ctrl_tcp module: commands one at a time,
// each answered by a response carrying its token; events arrive in between.
// One goroutine reads the connection and dispatches both.
type ctrlClient struct {
	conn net.Conn

	cmdMu     sync.Mutex // one command at a time
	token     int        // last token sent, guarded by cmdMu
	responses chan ctrlMessage

	mu      sync.Mutex
	pending []Event // not yet taken by waitEvent, oldest first
	history []Event // everything received, for failure reports
	dropped int     // events dropped unread because pending was full
	notify  chan struct{}

	done    chan struct{} // closed when the read loop ends
	readErr error         // why it ended, valid once done is closed
}

// newCtrlClient starts the read loop on conn.
func newCtrlClient(conn net.Conn) *ctrlClient {
	c := &ctrlClient{
		conn:      conn,
		responses: make(chan ctrlMessage, 8),
		notify:    make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	go c.readLoop()
	return c
}

func (c *ctrlClient) readLoop() {
	defer close(c.done)
	r := bufio.NewReader(c.conn)
	for {
		msg, err := readNetstring(r)
		if err != nil {
			c.readErr = err
			return
		}
		var m ctrlMessage
		if err := json.Unmarshal(msg, &m); err != nil {
			c.readErr = fmt.Errorf("ctrl_tcp message %q: %w", msg, err)
			return
		}
		switch {
		case m.Event:
			e := Event{Raw: json.RawMessage(msg), At: time.Now()}
			if err := json.Unmarshal(msg, &e); err != nil {
				c.readErr = fmt.Errorf("ctrl_tcp event %q: %w", msg, err)
				return
			}
			c.addEvent(e)
		case m.Response:
			select {
			case c.responses <- m:
			default: // nobody waits for it: a late answer to a timed-out command
			}
		}
	}
}

func (c *ctrlClient) addEvent(e Event) {
	c.mu.Lock()
	if len(c.pending) == maxEvents {
		c.pending = c.pending[1:]
		c.dropped++
	}
	c.pending = append(c.pending, e)
	if len(c.history) < maxEvents {
		c.history = append(c.history, e)
	}
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// command sends a command with its parameters and waits up to timeout for
// its response; it returns the response's data, or an error carrying it
// when baresip says the command failed.
func (c *ctrlClient) command(cmd, params string, timeout time.Duration) (string, error) {
	c.cmdMu.Lock()
	defer c.cmdMu.Unlock()
	c.token++
	token := strconv.Itoa(c.token)
	body, err := json.Marshal(struct {
		Command string `json:"command"`
		Params  string `json:"params,omitempty"`
		Token   string `json:"token"`
	}{cmd, params, token})
	if err != nil {
		return "", err
	}
	deadline := time.Now().Add(timeout)
	if err := c.conn.SetWriteDeadline(deadline); err != nil {
		return "", err
	}
	if _, err := c.conn.Write(appendNetstring(nil, body)); err != nil {
		return "", fmt.Errorf("send %s: %w", cmd, err)
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		select {
		case m := <-c.responses:
			if m.Token != token {
				continue // a late answer to an earlier command
			}
			if !m.OK {
				return m.Data, fmt.Errorf("%s %s: baresip says: %s", cmd, params, m.Data)
			}
			return m.Data, nil
		case <-c.done:
			return "", fmt.Errorf("%s: ctrl_tcp connection ended: %v", cmd, c.readErr)
		case <-timer.C:
			return "", fmt.Errorf("%s: no response within %v", cmd, timeout)
		}
	}
}

// waitEvent takes the oldest pending event for which match is true, waiting
// up to timeout for one. Events that do not match stay pending.
func (c *ctrlClient) waitEvent(match func(Event) bool, timeout time.Duration) (Event, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		if e, ok := c.take(match); ok {
			return e, nil
		}
		select {
		case <-c.notify:
		case <-c.done:
			if e, ok := c.take(match); ok {
				return e, nil
			}
			return Event{}, fmt.Errorf("ctrl_tcp connection ended: %v", c.readErr)
		case <-timer.C:
			return Event{}, fmt.Errorf("no such event within %v", timeout)
		}
	}
}

func (c *ctrlClient) take(match func(Event) bool) (Event, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.pending {
		if match(e) {
			c.pending = append(c.pending[:i:i], c.pending[i+1:]...)
			return e, true
		}
	}
	return Event{}, false
}

// events returns a copy of every event received (up to maxEvents) and how
// many were dropped.
func (c *ctrlClient) events() ([]Event, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.history...), c.dropped
}

// close closes the connection and waits for the read loop to end.
func (c *ctrlClient) close() {
	c.conn.Close()
	<-c.done
}
