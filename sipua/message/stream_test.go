package message

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestStreamReader(t *testing.T) {
	invite := readSIP(t, "invite_sdp.sip")
	ok200 := readSIP(t, "ok200_sdp.sip")
	var stream bytes.Buffer
	stream.WriteString("\r\n\r\n") // keep-alive ping before the first message
	stream.Write(invite)
	stream.WriteString("\r\n") // pong
	stream.Write(ok200)
	stream.Write(msg("OPTIONS sip:a@b SIP/2.0\nCall-ID: no-length\n\n")) // no Content-Length: empty body
	stream.Write(msg(options))

	for name, r := range map[string]io.Reader{
		"whole":    bytes.NewReader(stream.Bytes()),
		"bytewise": iotest.OneByteReader(bytes.NewReader(stream.Bytes())),
		"halves":   iotest.HalfReader(bytes.NewReader(stream.Bytes())),
	} {
		t.Run(name, func(t *testing.T) {
			sr := NewStreamReader(r)
			var m Message
			var got []string
			for range 10 {
				err := sr.Read(&m)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("after %q: %v", got, err)
				}
				got = append(got, string(m.CallID())+"/"+string(rune('0'+len(m.Body())%10)))
				if m.StatusCode() == 200 && !bytes.HasPrefix(m.Body(), []byte("v=0")) {
					t.Errorf("200 OK body %q", m.Body())
				}
			}
			if len(got) != 4 || got[2] != "no-length/0" || !strings.HasPrefix(got[3], "a84b4c76e66710") {
				t.Errorf("messages %q", got)
			}
		})
	}
}

func TestStreamReaderErrors(t *testing.T) {
	tests := []struct {
		name, data string
		lim        Limits
		want       string
	}{
		{"eof in head", "OPTIONS sip:a SIP/2.0\r\nVia: x", Limits{}, io.ErrUnexpectedEOF.Error()},
		{"eof in body", "MESSAGE sip:a SIP/2.0\r\nl: 10\r\n\r\nabc", Limits{}, io.ErrUnexpectedEOF.Error()},
		{"endless head", "OPTIONS sip:a SIP/2.0\r\nX: " + strings.Repeat("y", 300), Limits{MaxMessageSize: 100}, "than 100 bytes"},
		{"big body", "MESSAGE sip:a SIP/2.0\r\nl: 500\r\n\r\n", Limits{MaxMessageSize: 100}, "than 100 bytes"},
		{"bad length", "MESSAGE sip:a SIP/2.0\r\nl: -1\r\n\r\n", Limits{}, "not a number"},
		{"bad start", "HELLO\r\n\r\n", Limits{}, "request line"},
	}
	for _, tt := range tests {
		sr := NewStreamReader(strings.NewReader(tt.data))
		sr.Limits = tt.lim
		var m Message
		err := sr.Read(&m)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	sr := NewStreamReader(strings.NewReader("\r\n\r\n"))
	var m Message
	if err := sr.Read(&m); err != io.EOF {
		t.Errorf("keep-alives then end: %v, want io.EOF", err)
	}
}

func TestStreamReaderKeepAlive(t *testing.T) {
	sr := NewStreamReader(strings.NewReader("\r\n\r\n\r\n\r\n" + string(msg(options)) + "\r\n\r\n"))
	pings := 0
	sr.KeepAlive = func() { pings++ }
	var m Message
	if err := sr.Read(&m); err != nil {
		t.Fatal(err)
	}
	if err := sr.Read(&m); err != io.EOF {
		t.Fatalf("after the last ping: %v, want io.EOF", err)
	}
	if pings != 3 {
		t.Errorf("%d pings, want 3", pings)
	}
}
