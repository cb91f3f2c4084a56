package sdp

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// crlf joins lines with CRLF line ends.
func crlf(lines ...string) []byte {
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

// readTestdata returns the SDP bodies of testdata/, by file name.
func readTestdata(t testing.TB) map[string][]byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.sdp"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	bodies := make(map[string][]byte, len(names))
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		bodies[filepath.Base(name)] = b
	}
	return bodies
}

func TestParseFull(t *testing.T) {
	body := crlf(
		"v=0",
		"o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5",
		"s=SDP Seminar",
		"i=A Seminar on the session description protocol",
		"u=http://www.example.com/seminars/sdp.pdf",
		"e=j.doe@example.com (Jane Doe)",
		"p=+1 617 555-6011",
		"c=IN IP4 224.2.17.12/127",
		"b=CT:128",
		"t=2873397496 2873404696",
		"r=7d 1h 0 25h",
		"z=2882844526 -1h 2898848070 0",
		"k=prompt",
		"a=recvonly",
		"m=audio 49170 RTP/AVP 0",
		"i=voice",
		"b=AS:64",
		"k=clear:secret",
		"m=video 51372/2 RTP/AVP 99",
		"c=IN IP6 2001:db8::1",
		"c=IN IP6 2001:db8::2",
		"a=rtpmap:99 h263-1998/90000",
	)
	d, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	want := &Description{
		Origin: Origin{Username: "jdoe", SessionID: "2890844526", SessionVersion: 2890842807,
			NetType: "IN", AddrType: "IP4", Address: "10.47.16.5"},
		Name:       "SDP Seminar",
		Info:       "A Seminar on the session description protocol",
		URI:        "http://www.example.com/seminars/sdp.pdf",
		Emails:     []string{"j.doe@example.com (Jane Doe)"},
		Phones:     []string{"+1 617 555-6011"},
		Connection: Connection{"IN", "IP4", "224.2.17.12/127"},
		Bandwidths: []Bandwidth{{"CT", 128}},
		Times:      []Timing{{Start: 2873397496, Stop: 2873404696, Repeats: []string{"7d 1h 0 25h"}}},
		TimeZones:  "2882844526 -1h 2898848070 0",
		Key:        "prompt",
		Attributes: Attributes{{Name: "recvonly"}},
		Media: []MediaDescription{
			{Type: "audio", Port: 49170, Proto: "RTP/AVP", Formats: []string{"0"}, Info: "voice",
				Bandwidths: []Bandwidth{{"AS", 64}}, Key: "clear:secret"},
			{Type: "video", Port: 51372, PortCount: 2, Proto: "RTP/AVP", Formats: []string{"99"},
				Connection: Connection{"IN", "IP6", "2001:db8::1"},
				Attributes: Attributes{{Name: "rtpmap", Value: "99 h263-1998/90000"}}},
		},
	}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("got\n%#v\nwant\n%#v", d, want)
	}
	if got := d.Marshal(); !bytes.Equal(got, bytes.Replace(body, []byte("c=IN IP6 2001:db8::2\r\n"), nil, 1)) {
		t.Fatalf("Marshal:\n%s", got)
	}
	if d.MediaDirection(0) != RecvOnly || d.MediaDirection(1) != RecvOnly {
		t.Error("session-level recvonly not inherited")
	}
	if c := d.MediaConnection(0); c != d.Connection {
		t.Errorf("MediaConnection(0) = %v", c)
	}
	if _, ok := d.MediaConnection(0).IP(); ok {
		t.Error("multicast address with a TTL read as an IP address")
	}
}

// TestParseTestdata parses every body of testdata/, writes it back, and
// checks that the result parses to the same Description.
func TestParseTestdata(t *testing.T) {
	for name, body := range readTestdata(t) {
		t.Run(name, func(t *testing.T) {
			d, err := Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Media) == 0 {
				t.Fatal("no media")
			}
			out := d.Marshal()
			back, err := Parse(out)
			if err != nil {
				t.Fatalf("written description does not parse: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(d, back) {
				t.Fatalf("round trip changed the description\n%#v\n%#v", d, back)
			}
			// Bodies with CRLF line ends and nothing to normalize come
			// back byte for byte.
			if bytes.Contains(body, []byte("\r\n")) && !bytes.Contains(body, []byte("s=\r\n")) && !bytes.Equal(out, body) {
				t.Errorf("written differently:\n%s\nwant\n%s", out, body)
			}
		})
	}
}

func TestParseLenient(t *testing.T) {
	tests := []struct {
		name string
		body string
		test func(t *testing.T, d *Description)
	}{
		{"bare LF", "v=0\no=- 1 2 IN IP4 192.0.2.1\ns=x\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 4000 RTP/AVP 0\n",
			func(t *testing.T, d *Description) {
				if d.Media[0].Port != 4000 || d.Origin.SessionVersion != 2 {
					t.Errorf("%+v", d)
				}
			}},
		{"mixed line ends, blank lines and trailing space",
			"v=0\r\no=- 1 2 IN IP4 192.0.2.1 \n\ns=x\t\r\nt=0 0\r\n\r\nm=audio 4000 RTP/AVP 0 \r\na=rtpmap:0 PCMU/8000  \r\n\r\n\r\n",
			func(t *testing.T, d *Description) {
				if d.Origin.Address != "192.0.2.1" || d.Name != "x" || d.Media[0].Attributes[0].Value != "0 PCMU/8000" {
					t.Errorf("%+v", d)
				}
			}},
		{"no final line end", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0",
			func(t *testing.T, d *Description) {
				if d.Media[0].Formats[0] != "0" {
					t.Errorf("%+v", d)
				}
			}},
		{"empty and missing s=, missing t=", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=\r\n",
			func(t *testing.T, d *Description) {
				if d.Name != "-" || !reflect.DeepEqual(d.Times, []Timing{{}}) {
					t.Errorf("%+v", d)
				}
			}},
		{"missing s=", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\nt=0 0\r\n",
			func(t *testing.T, d *Description) {
				if d.Name != "-" {
					t.Errorf("%+v", d)
				}
			}},
		{"lines out of order, multiple spaces", "v=0\r\ns=x\r\nt=0 0\r\nc=IN  IP4   192.0.2.9\r\no=-  1 2 IN IP4 192.0.2.1\r\nm=audio  4000  RTP/AVP  0  8\r\n",
			func(t *testing.T, d *Description) {
				if d.Connection.Address != "192.0.2.9" || len(d.Media[0].Formats) != 2 {
					t.Errorf("%+v", d)
				}
			}},
		{"attribute with colons and an empty value", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\nt=0 0\r\na=tool:x:y\r\na=foo:\r\n",
			func(t *testing.T, d *Description) {
				want := Attributes{{"tool", "x:y"}, {"foo", ""}}
				if !reflect.DeepEqual(d.Attributes, want) {
					t.Errorf("%+v", d.Attributes)
				}
			}},
		{"m= line without formats", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\nt=0 0\r\nm=audio 0 RTP/AVP\r\n",
			func(t *testing.T, d *Description) {
				if d.Media[0].Formats != nil {
					t.Errorf("%+v", d.Media[0])
				}
			}},
		{"huge session id and version", "v=0\r\no=- 123456789012345678901234567890 18446744073709551615 IN IP4 192.0.2.1\r\ns=x\r\nt=0 0\r\n",
			func(t *testing.T, d *Description) {
				if d.Origin.SessionVersion != 1<<64-1 {
					t.Errorf("%+v", d.Origin)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			tt.test(t, d)
			back, err := Parse(d.Marshal())
			if err != nil || !reflect.DeepEqual(back, d) {
				t.Fatalf("round trip: %v\n%#v\n%#v", err, d, back)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const head = "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\nt=0 0\r\n"
	tests := []struct {
		name string
		body string
		want string
	}{
		{"empty", "", "sdp: empty description"},
		{"blank lines only", "\r\n\n \r\n", "sdp: empty description"},
		{"no v=", "o=- 1 2 IN IP4 192.0.2.1\r\n", "sdp line 1: first line is not v="},
		{"v=1", "v=1\r\n", "sdp line 1: version is not 0"},
		{"no o=", "v=0\r\ns=x\r\n", "sdp: no o= line"},
		{"o= short", "v=0\r\no=- 1 2 IN IP4\r\n", "sdp line 2: o= line without 6 fields"},
		{"o= long", "v=0\r\no=- 1 2 IN IP4 a b\r\n", "sdp line 2: o= line without 6 fields"},
		{"o= version", "v=0\r\no=- 1 x IN IP4 192.0.2.1\r\n", "sdp line 2: o= session version is not a 64-bit number"},
		{"o= version overflow", "v=0\r\no=- 1 18446744073709551616 IN IP4 192.0.2.1\r\n", "sdp line 2: o= session version is not a 64-bit number"},
		{"two o=", head + "o=- 1 2 IN IP4 192.0.2.1\r\n", "sdp line 5: more than one o= line"},
		{"two v=", head + "v=0\r\n", "sdp line 5: more than one v= line"},
		{"two s=", head + "s=y\r\n", "sdp line 5: more than one s= line"},
		{"two session c=", head + "c=IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.2\r\n", "sdp line 6: more than one c= line"},
		{"not type=value", head + "hello\r\n", "sdp line 5: not a type=value line"},
		{"upper-case type", head + "A=x\r\n", "sdp line 5: unknown line type"},
		{"unknown type", head + "y=0123456789\r\n", "sdp line 5: unknown line type"},
		{"leading space", head + " a=x\r\n", "sdp line 5: not a type=value line"},
		{"CR inside", head + "a=x\ry\r\n", "sdp line 5: CR or NUL inside a line"},
		{"NUL inside", head + "a=x\x00y\r\n", "sdp line 5: CR or NUL inside a line"},
		{"c= short", head + "c=IN IP4\r\n", "sdp line 5: c= line without 3 fields"},
		{"b= no colon", head + "b=AS64\r\n", "sdp line 5: b= line is not type:bandwidth"},
		{"b= not a number", head + "b=AS:x\r\n", "sdp line 5: b= bandwidth is not a number"},
		{"t= one field", head + "t=0\r\n", "sdp line 5: t= line without 2 fields"},
		{"t= negative", head + "t=-1 0\r\n", "sdp line 5: t= time is not a number"},
		{"r= first", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\nr=1d 1h 0\r\n", "sdp line 3: r= line before any t= line"},
		{"a= no name", head + "a=:x\r\n", "sdp line 5: a= line without an attribute name"},
		{"a= empty", head + "a=\r\n", "sdp line 5: a= line without an attribute name"},
		{"a= space in name", head + "a=rtp map:0\r\n", "sdp line 5: a= line without an attribute name"},
		{"m= short", head + "m=audio 4000\r\n", "sdp line 5: m= line without media, port and protocol"},
		{"m= port", head + "m=audio x RTP/AVP 0\r\n", "sdp line 5: m= port is not a number up to 65535"},
		{"m= port range", head + "m=audio 65536 RTP/AVP 0\r\n", "sdp line 5: m= port is not a number up to 65535"},
		{"m= port negative", head + "m=audio -1 RTP/AVP 0\r\n", "sdp line 5: m= port is not a number up to 65535"},
		{"m= port count 0", head + "m=audio 4000/0 RTP/AVP 0\r\n", "sdp line 5: m= port count is not a number from 1 to 65535"},
		{"t= in media", head + "m=audio 4000 RTP/AVP 0\r\nt=0 0\r\n", "sdp line 6: t= line inside a media section"},
		{"o= in media", head + "m=audio 4000 RTP/AVP 0\r\no=- 1 2 IN IP4 192.0.2.1\r\n", "sdp line 6: o= line inside a media section"},
		{"two i= in media", head + "m=audio 4000 RTP/AVP 0\r\ni=a\r\ni=b\r\n", "sdp line 7: more than one i= line"},
		{"line numbers count blank lines", "v=0\n\n\no=x\n", "sdp line 4: o= line without 6 fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse([]byte(tt.body))
			if err == nil {
				t.Fatalf("no error; got %+v", d)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is a %T", err, err)
			}
			if err.Error() != tt.want {
				t.Fatalf("error %q, want %q", err, tt.want)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	const head = "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\nt=0 0\r\n"
	big := head + "a=x:" + strings.Repeat("y", MaxSize) + "\r\n"
	if _, err := Parse([]byte(big)); err == nil || err.Error() != "sdp: description larger than 64 KiB" {
		t.Errorf("oversized: %v", err)
	}
	media := head + strings.Repeat("m=audio 0 RTP/AVP 0\r\n", MaxMedia)
	if _, err := Parse([]byte(media)); err != nil {
		t.Errorf("%d m= lines: %v", MaxMedia, err)
	}
	if _, err := Parse([]byte(media + "m=audio 0 RTP/AVP 0\r\n")); err == nil || err.Error() != "sdp line 21: more than 16 m= lines" {
		t.Errorf("%d m= lines: %v", MaxMedia+1, err)
	}
	formats := head + "m=audio 4000 RTP/AVP" + strings.Repeat(" 0", MaxFormats) + "\r\n"
	if _, err := Parse([]byte(formats)); err != nil {
		t.Errorf("%d formats: %v", MaxFormats, err)
	}
	if _, err := Parse([]byte(strings.Replace(formats, "RTP/AVP", "RTP/AVP 0", 1))); err == nil || err.Error() != "sdp line 5: m= line with more than 64 formats" {
		t.Errorf("%d formats: %v", MaxFormats+1, err)
	}
	lines := head + strings.Repeat("a=x\r\n", MaxLines-4)
	if _, err := Parse([]byte(lines)); err != nil {
		t.Errorf("%d lines: %v", MaxLines, err)
	}
	if _, err := Parse([]byte(lines + "a=x\r\n")); err == nil || err.Error() != "sdp line 1025: more than 1024 lines" {
		t.Errorf("%d lines: %v", MaxLines+1, err)
	}
}

func TestConnection(t *testing.T) {
	tests := []struct {
		c    Connection
		ip   string // "" when IP must fail
		hold bool
	}{
		{Connection{"IN", "IP4", "192.0.2.1"}, "192.0.2.1", false},
		{Connection{"IN", "IP4", "0.0.0.0"}, "0.0.0.0", true},
		{Connection{"IN", "IP6", "2001:db8::1"}, "2001:db8::1", false},
		{Connection{"IN", "IP6", "::"}, "::", true},
		{Connection{"IN", "IP4", "2001:db8::1"}, "", false},
		{Connection{"IN", "IP6", "192.0.2.1"}, "", false},
		{Connection{"IN", "IP6", "fe80::1%eth0"}, "", false},
		{Connection{"IN", "IP4", "host.example.com"}, "", false},
		{Connection{"IN", "IP4", "224.2.1.1/127"}, "", false},
		{Connection{"ATM", "NSAP", "x"}, "", false},
		{Connection{}, "", false},
	}
	for _, tt := range tests {
		ip, ok := tt.c.IP()
		if ok != (tt.ip != "") || ok && ip != netip.MustParseAddr(tt.ip) {
			t.Errorf("%v.IP() = %v, %v", tt.c, ip, ok)
		}
		if tt.c.IsHold() != tt.hold {
			t.Errorf("%v.IsHold() = %v", tt.c, !tt.hold)
		}
	}
}

func TestDirection(t *testing.T) {
	body := crlf("v=0", "o=- 1 2 IN IP4 192.0.2.1", "s=x", "t=0 0", "a=sendonly",
		"m=audio 4000 RTP/AVP 0",
		"m=audio 4002 RTP/AVP 0", "a=recvonly",
		"m=audio 4004 RTP/AVP 0", "a=inactive",
		"m=audio 4006 RTP/AVP 0", "a=sendrecv",
		"m=audio 4008 RTP/AVP 0", "a=SendOnly")
	d, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	want := []Direction{SendOnly, RecvOnly, Inactive, SendRecv, SendOnly}
	for i, w := range want {
		if got := d.MediaDirection(i); got != w {
			t.Errorf("media %d: %v, want %v", i, got, w)
		}
	}
	d.Attributes = nil
	if got := d.MediaDirection(0); got != SendRecv {
		t.Errorf("default direction %v", got)
	}
	for _, tt := range []struct {
		d, rev     Direction
		name       string
		send, recv bool
	}{
		{SendRecv, SendRecv, "sendrecv", true, true},
		{SendOnly, RecvOnly, "sendonly", true, false},
		{RecvOnly, SendOnly, "recvonly", false, true},
		{Inactive, Inactive, "inactive", false, false},
	} {
		if tt.d.Reverse() != tt.rev || tt.d.String() != tt.name || tt.d.Sends() != tt.send || tt.d.Receives() != tt.recv {
			t.Errorf("%v: reverse %v, sends %v, receives %v", tt.d, tt.d.Reverse(), tt.d.Sends(), tt.d.Receives())
		}
	}
}

func TestMediaAttributes(t *testing.T) {
	body := crlf("v=0", "o=- 1 2 IN IP4 192.0.2.1", "s=x", "c=IN IP4 192.0.2.1", "t=0 0",
		"m=audio 4000 RTP/AVP 0 8 9 18 13 3 96 101 102 103 abc",
		"a=rtpmap:8 PCMA/8000/1",
		"a=rtpmap:96 opus/48000/2",
		"a=RTPMAP:101 telephone-event/8000",
		"a=fmtp:101 0-15,16",
		"a=fmtp:18 annexb=no",
		"a=rtpmap:102 broken",
		"a=ptime:30",
		"a=maxptime:60",
		"a=rtcp:4011 IN IP4 192.0.2.2",
		"a=rtcp-mux",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32",
		"m=audio 5000 RTP/AVP 0",
		"a=ptime:20.5",
		"a=rtcp:5001",
		"m=audio 6000 RTP/AVP 0",
		"a=ptime:0",
		"a=rtcp:x")
	d, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	m := &d.Media[0]
	codecs := []struct {
		pt   int
		want Codec
		ok   bool
	}{
		{0, Codec{"PCMU", 0, 8000, 1}, true},
		{8, Codec{"PCMA", 8, 8000, 1}, true},
		{9, Codec{"G722", 9, 8000, 1}, true},
		{18, Codec{"G729", 18, 8000, 1}, true},
		{13, Codec{"CN", 13, 8000, 1}, true},
		{3, Codec{"GSM", 3, 8000, 1}, true},
		{96, Codec{"opus", 96, 48000, 2}, true},
		{101, Codec{"telephone-event", 101, 8000, 1}, true},
		{102, Codec{}, false},
		{103, Codec{}, false},
		{2, Codec{}, false},
	}
	for _, tt := range codecs {
		c, ok := m.Codec(tt.pt)
		if ok != tt.ok || c != tt.want {
			t.Errorf("Codec(%d) = %+v, %v", tt.pt, c, ok)
		}
	}
	if pt, ok := m.PayloadType(10); ok {
		t.Errorf("PayloadType of abc = %d", pt)
	}
	if pt, ok := m.PayloadType(7); !ok || pt != 101 {
		t.Errorf("PayloadType(7) = %d, %v", pt, ok)
	}
	if f, ok := m.Fmtp(101); !ok || f != "0-15,16" {
		t.Errorf("Fmtp(101) = %q, %v", f, ok)
	}
	if f, ok := m.Fmtp(0); ok {
		t.Errorf("Fmtp(0) = %q", f)
	}
	if p, ok := m.PTime(); !ok || p != 30 {
		t.Errorf("PTime = %d, %v", p, ok)
	}
	if p, ok := m.MaxPTime(); !ok || p != 60 {
		t.Errorf("MaxPTime = %d, %v", p, ok)
	}
	if r, ok := m.RTCP(); !ok || r != (RTCP{4011, Connection{"IN", "IP4", "192.0.2.2"}}) {
		t.Errorf("RTCP = %+v, %v", r, ok)
	}
	if !m.RTCPMux() {
		t.Error("no rtcp-mux")
	}
	if v, ok := m.Attributes.Get("crypto"); !ok || !strings.HasPrefix(v, "1 AES_CM_128_HMAC_SHA1_80 inline:") {
		t.Errorf("crypto = %q, %v", v, ok)
	}
	m = &d.Media[1]
	if p, ok := m.PTime(); !ok || p != 20 {
		t.Errorf("PTime of 20.5 = %d, %v", p, ok)
	}
	if _, ok := m.MaxPTime(); ok {
		t.Error("MaxPTime without a=maxptime")
	}
	if r, ok := m.RTCP(); !ok || r != (RTCP{Port: 5001}) {
		t.Errorf("RTCP = %+v, %v", r, ok)
	}
	if m.RTCPMux() {
		t.Error("rtcp-mux without a=rtcp-mux")
	}
	m = &d.Media[2]
	if p, ok := m.PTime(); ok {
		t.Errorf("PTime of 0 = %d", p)
	}
	if r, ok := m.RTCP(); ok {
		t.Errorf("RTCP of x = %+v", r)
	}
}

func TestParseRTPMap(t *testing.T) {
	tests := []struct {
		in   string
		want Codec
		ok   bool
	}{
		{"0 PCMU/8000", Codec{"PCMU", 0, 8000, 1}, true},
		{"9 G722/8000/1", Codec{"G722", 9, 8000, 1}, true},
		{"96 opus/48000/2", Codec{"opus", 96, 48000, 2}, true},
		{"127 x/1", Codec{"x", 127, 1, 1}, true},
		{"128 x/8000", Codec{}, false},
		{"-1 x/8000", Codec{}, false},
		{"96", Codec{}, false},
		{"96 opus", Codec{}, false},
		{"96 /8000", Codec{}, false},
		{"96 opus/", Codec{}, false},
		{"96 opus/0", Codec{}, false},
		{"96 opus/48000/", Codec{}, false},
		{"96 opus/48000/0", Codec{}, false},
		{"96 opus/4x", Codec{}, false},
	}
	for _, tt := range tests {
		c, ok := ParseRTPMap(tt.in)
		if ok != tt.ok || c != tt.want {
			t.Errorf("ParseRTPMap(%q) = %+v, %v", tt.in, c, ok)
		}
	}
	for pt := -1; pt < 130; pt++ {
		c, ok := StaticCodec(pt)
		if ok != (pt >= 0 && pt <= 34 && static[pt].Name != "") || ok && c.PayloadType != pt {
			t.Errorf("StaticCodec(%d) = %+v, %v", pt, c, ok)
		}
	}
}

func TestEvents(t *testing.T) {
	tests := []struct {
		in   string
		want events
		ok   bool
		out  string
	}{
		{"0-15", 0xffff, true, "0-15"},
		{"0-16", 0x1ffff, true, "0-16"},
		{"0-11,16", 0x10fff, true, "0-11,16"},
		{"0-15, 16", 0x1ffff, true, "0-16"},
		{"16", 1 << 16, true, "16"},
		{"0-255", 0xffffffff, true, "0-31"},
		{"32-40", 0, true, ""},
		{"5-3", 0, false, ""},
		{"x", 0, false, ""},
		{"0-", 0, false, ""},
		{"", 0, true, ""},
	}
	for _, tt := range tests {
		e, ok := parseEvents(tt.in)
		if e != tt.want || ok != tt.ok {
			t.Errorf("parseEvents(%q) = %#x, %v", tt.in, e, ok)
		}
		if ok {
			if got := string(appendEvents(nil, e)); got != tt.out {
				t.Errorf("appendEvents(%#x) = %q", e, got)
			}
		}
	}
}
