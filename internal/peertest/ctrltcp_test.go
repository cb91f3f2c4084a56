package peertest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestReadNetstring(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []string // the netstrings read before the end
		wantErr string   // "" for a clean io.EOF at the end
	}{
		{in: "", want: nil},
		{in: "5:hello,", want: []string{"hello"}},
		{in: "0:,3:abc,", want: []string{"", "abc"}},
		{in: "5:hel", wantErr: "unexpected EOF"},
		{in: "12", wantErr: "unexpected EOF"},
		{in: "5:hello;", wantErr: "not ','"},
		{in: "x:", wantErr: "unexpected byte"},
		{in: "-1:", wantErr: "unexpected byte"},
		{in: ":,", wantErr: "no digits"},
		{in: "12345678:", wantErr: "too many digits"},
		{in: "2000000:", wantErr: "more than"},
		{in: "3:abc,4:ab", want: []string{"abc"}, wantErr: "unexpected EOF"},
	} {
		r := bufio.NewReader(strings.NewReader(tc.in))
		var got []string
		var err error
		for range 10 {
			var p []byte
			if p, err = readNetstring(r); err != nil {
				break
			}
			got = append(got, string(p))
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("%q: read %q, want %q", tc.in, got, tc.want)
		}
		switch {
		case tc.wantErr == "" && err != io.EOF:
			t.Errorf("%q: ended with %v, want io.EOF", tc.in, err)
		case tc.wantErr != "" && (err == nil || err == io.EOF || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%q: ended with %v, want an error with %q", tc.in, err, tc.wantErr)
		}
	}
}

// FuzzNetstring: any input is read without a panic, and whatever
// appendNetstring writes reads back unchanged.
func FuzzNetstring(f *testing.F) {
	f.Add([]byte(`{"command":"dial","params":"sip:b@127.0.0.1","token":"1"}`))
	f.Add([]byte("5:hello,"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, p []byte) {
		r := bufio.NewReader(bytes.NewReader(p))
		for range len(p) + 1 {
			if _, err := readNetstring(r); err != nil {
				break
			}
		}
		got, err := readNetstring(bufio.NewReader(bytes.NewReader(appendNetstring(nil, p))))
		if err != nil || !bytes.Equal(got, p) {
			t.Fatalf("round trip of %q: %q, %v", p, got, err)
		}
	})
}

// fakeCtrl is the baresip end of a ctrl_tcp connection.
type fakeCtrl struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func newFakeCtrl(t *testing.T) (*ctrlClient, *fakeCtrl) {
	t.Helper()
	client, server := net.Pipe()
	c := newCtrlClient(client)
	t.Cleanup(func() {
		server.Close()
		c.close()
	})
	return c, &fakeCtrl{t: t, conn: server, r: bufio.NewReader(server)}
}

// command reads one command.
func (f *fakeCtrl) command() (cmd, params, token string) {
	p, err := readNetstring(f.r)
	if err != nil {
		f.t.Errorf("fake ctrl_tcp: %v", err)
		return
	}
	var m struct{ Command, Params, Token string }
	if err := json.Unmarshal(p, &m); err != nil {
		f.t.Errorf("fake ctrl_tcp: command %q: %v", p, err)
	}
	return m.Command, m.Params, m.Token
}

// send writes v as one JSON netstring.
func (f *fakeCtrl) send(v any) {
	p, err := json.Marshal(v)
	if err != nil {
		f.t.Error(err)
		return
	}
	if _, err := f.conn.Write(appendNetstring(nil, p)); err != nil {
		f.t.Errorf("fake ctrl_tcp: %v", err)
	}
}

func event(typ, param string) map[string]any {
	return map[string]any{"event": true, "class": "call", "type": typ, "param": param, "rtcp_stats": map[string]any{"rtt": 0}}
}

// TestCtrlClientCommand: a response is matched to its command by token; a
// late response to an earlier command and events in between do not confuse
// it; a failed command returns baresip's text as its error.
func TestCtrlClientCommand(t *testing.T) {
	c, f := newFakeCtrl(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		cmd, params, token := f.command()
		if cmd != "dial" || params != "sip:b@127.0.0.1:5070" {
			t.Errorf("fake got %q %q, want dial sip:b@127.0.0.1:5070", cmd, params)
		}
		f.send(event("CALL_RINGING", ""))
		f.send(map[string]any{"response": true, "ok": true, "data": "stale", "token": "old"})
		f.send(map[string]any{"response": true, "ok": true, "data": "dialing", "token": token})
		_, _, token = f.command()
		f.send(map[string]any{"response": true, "ok": false, "data": "no active call", "token": token})
	}()
	data, err := c.command("dial", "sip:b@127.0.0.1:5070", 5*time.Second)
	if err != nil || data != "dialing" {
		t.Errorf("dial: %q, %v; want dialing, nil", data, err)
	}
	data, err = c.command("hangup", "", 5*time.Second)
	if err == nil || data != "no active call" || !strings.Contains(err.Error(), "no active call") {
		t.Errorf("hangup: %q, %v; want an error saying no active call", data, err)
	}
	<-done
	if e, err := c.waitEvent(func(e Event) bool { return e.Type == "CALL_RINGING" }, 5*time.Second); err != nil {
		t.Errorf("the event that came before the response: %v", err)
	} else if e.Class != "call" || !bytes.Contains(e.Raw, []byte(`"rtcp_stats"`)) {
		t.Errorf("event %v, raw %s: want class call and the raw JSON", e, e.Raw)
	}
}

// TestCtrlClientEvents: waitEvent takes the oldest match and leaves the rest
// queued; it times out; it ends at once when the connection does.
func TestCtrlClientEvents(t *testing.T) {
	c, f := newFakeCtrl(t)
	f.send(event("CALL_DTMF_START", "1"))
	f.send(event("CALL_DTMF_END", ""))
	f.send(event("CALL_DTMF_START", "#"))
	isType := func(typ string) func(Event) bool { return func(e Event) bool { return e.Type == typ } }

	for _, want := range []string{"1", "#"} {
		e, err := c.waitEvent(isType("CALL_DTMF_START"), time.Second)
		if err != nil || e.Param != want {
			t.Errorf("DTMF %q, %v; want %q", e.Param, err, want)
		}
	}
	if _, err := c.waitEvent(isType("CALL_DTMF_END"), time.Second); err != nil {
		t.Errorf("the event passed over stays queued: %v", err)
	}
	start := time.Now()
	if _, err := c.waitEvent(isType("CALL_CLOSED"), 50*time.Millisecond); err == nil {
		t.Error("waitEvent found an event nobody sent")
	} else if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a 50 ms wait took %v", d)
	}
	if ev, _ := c.events(); len(ev) != 3 {
		t.Errorf("history holds %d events, want 3", len(ev))
	}

	f.conn.Close()
	if _, err := c.waitEvent(isType("CALL_CLOSED"), time.Minute); err == nil || !strings.Contains(err.Error(), "connection ended") {
		t.Errorf("after the connection ended: %v, want connection ended", err)
	}
	if _, err := c.command("hangup", "", time.Minute); err == nil {
		t.Error("a command on a closed connection succeeded")
	}
}

// TestCtrlClientBadMessage: a message that is not JSON ends the read loop
// with an error that shows it.
func TestCtrlClientBadMessage(t *testing.T) {
	c, f := newFakeCtrl(t)
	if _, err := f.conn.Write([]byte("3:abc,")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		t.Fatal("read loop still running after a message that is not JSON")
	}
	if c.readErr == nil || !strings.Contains(c.readErr.Error(), `"abc"`) || errors.Is(c.readErr, io.EOF) {
		t.Errorf("read loop ended with %v, want a JSON error naming the message", c.readErr)
	}
}

// TestCtrlClientEventLimit: a flood of events unread keeps the newest
// maxEvents and counts the dropped ones.
func TestCtrlClientEventLimit(t *testing.T) {
	c, _ := newFakeCtrl(t)
	for i := range maxEvents + 10 {
		c.addEvent(Event{Type: "CALL_RTCP", ID: string(rune('a' + i%26))})
	}
	if _, dropped := c.events(); dropped != 10 {
		t.Errorf("dropped %d, want 10", dropped)
	}
	c.mu.Lock()
	n := len(c.pending)
	c.mu.Unlock()
	if n != maxEvents {
		t.Errorf("%d events pending, want %d", n, maxEvents)
	}
}
