package message

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// addSeeds adds every test message (RFC 4475 and the benchmark messages) to
// the fuzz corpus.
func addSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "rfc4475", "*.dat"))
	more, _ := filepath.Glob(filepath.Join("testdata", "sip", "*.sip"))
	for _, name := range append(files, more...) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzParse feeds arbitrary datagrams to Unmarshal, Validate and every
// accessor. Nothing may panic, every error must be a *ParseError with a
// status a UAS can send, and a message that parses must parse again, the
// same, after AppendTo.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Message
		err := m.Unmarshal(data)
		if err == nil {
			err = m.Validate()
			exercise(&m)
			wire := m.AppendTo(nil)
			var back Message
			if err := back.Unmarshal(wire); err != nil {
				t.Fatalf("serialized message does not parse: %v\n%q", err, wire)
			}
			if !bytes.Equal(back.Body(), m.Body()) || back.StatusCode() != m.StatusCode() || back.Method() != m.Method() {
				t.Fatalf("round trip changed the message\n%q\n%q", data, wire)
			}
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is a %T", err, err)
			}
			switch pe.Status {
			case 400, 501, 505, 513:
			default:
				t.Fatalf("error status %d", pe.Status)
			}
			if bytes.ContainsAny([]byte(pe.Reason()), "\r\n") {
				t.Fatalf("reason %q has a line break", pe.Reason())
			}
			if m.IsRequest() {
				var resp Message
				resp.InitResponse(&m, pe.Status, pe.Reason(), "tag")
				_ = resp.AppendTo(nil)
			}
		}
	})
}

// exercise calls every accessor of a parsed message.
func exercise(m *Message) {
	_, _ = m.URI()
	_, _ = m.Via()
	_, _ = m.From()
	_, _ = m.To()
	_, _ = m.CSeq()
	_, _, _ = m.MaxForwards()
	_, _, _ = m.Expires()
	_, _, _ = m.RetryAfter()
	for _, name := range []string{"Via", "Contact", "Route", "Record-Route", "Supported", "X-Unknown"} {
		for v := range m.Values(name) {
			if na, err := ParseNameAddr(v); err == nil {
				_ = na.Tag()
				_ = na.AppendTo(nil)
			}
			if via, err := ParseVia(v); err == nil {
				_, _ = via.RPort()
				_ = via.RFC3261Branch()
				_ = via.AppendTo(nil)
			}
		}
	}
	for _, name := range []string{"WWW-Authenticate", "Authorization"} {
		if v, ok := m.Header(name); ok {
			if c, err := ParseChallenge(v); err == nil {
				_, _ = c.Param("nonce")
			}
		}
	}
}

// FuzzParseURI checks that a URI that parses prints as text that parses to
// the same URI.
func FuzzParseURI(f *testing.F) {
	for _, s := range []string{
		"sip:door@192.0.2.10:5060;transport=udp", "sips:[2001:db8::1]", "tel:+49-30-1234;phone-context=x",
		"sip:user;par=u%40example.net@example.com", "sip:a@b?Route=%3Csip:c%3E", "urn:service:sos",
		"sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := ParseURI(data)
		if err != nil {
			return
		}
		again, err := ParseURI([]byte(u.String()))
		if err != nil || again.String() != u.String() || again.Port != u.Port || !bytes.Equal(again.Host, u.Host) ||
			!bytes.Equal(again.User, u.User) || !bytes.Equal(again.Params, u.Params) {
			t.Fatalf("ParseURI(%q) prints as %q, which parses to %+v, %v", data, u.String(), again, err)
		}
		for n := range u.Params.All() {
			if !u.Params.Has(string(n)) {
				t.Fatalf("param %q listed by All is not found by Has", n)
			}
		}
	})
}

// FuzzStreamReader feeds arbitrary streams to the stream reader: it must end
// with an error or io.EOF, never panic or loop.
func FuzzStreamReader(f *testing.F) {
	addSeeds(f)
	f.Add([]byte("\r\n\r\nOPTIONS sip:a SIP/2.0\r\nl: 3\r\n\r\nabcOPTIONS sip:b SIP/2.0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sr := NewStreamReader(bytes.NewReader(data))
		sr.Limits = Limits{MaxMessageSize: 4096}
		var m Message
		for range len(data) + 1 {
			if err := sr.Read(&m); err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					var pe *ParseError
					if !errors.As(err, &pe) {
						t.Fatalf("error %v is a %T", err, err)
					}
				}
				return
			}
			exercise(&m)
		}
		t.Fatal("more messages than bytes")
	})
}
