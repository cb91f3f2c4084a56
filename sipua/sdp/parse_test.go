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

	psdp "github.com/pion/sdp/v3"
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
		"a=rtpmap:99 h263-1998/90000",
	)
	d, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if o := d.Origin; o.Username != "jdoe" || o.SessionID != 2890844526 || o.SessionVersion != 2890842807 || o.UnicastAddress != "10.47.16.5" {
		t.Errorf("o= %+v", o)
	}
	if len(d.MediaDescriptions) != 2 || d.MediaDescriptions[1].MediaName.Port.Range == nil || *d.MediaDescriptions[1].MediaName.Port.Range != 2 {
		t.Fatalf("m= %+v", d.MediaDescriptions)
	}
	// pion writes r= and z= in seconds; the rest comes back as it was.
	want := strings.Replace(strings.Replace(string(body), "r=7d 1h 0 25h", "r=604800 3600 0 90000", 1),
		"z=2882844526 -1h 2898848070 0", "z=2882844526 -3600 2898848070 0", 1)
	if got, _ := d.Marshal(); string(got) != want {
		t.Fatalf("Marshal:\n%s", got)
	}
	for _, m := range d.MediaDescriptions {
		if mediaDirection(d, m) != RecvOnly {
			t.Error("session-level recvonly not inherited")
		}
	}
	if c := connection(d, d.MediaDescriptions[0]); c != d.ConnectionInformation {
		t.Errorf("connection of m= 1 = %v", c)
	}
	if _, ok := connIP(connection(d, d.MediaDescriptions[0])); ok {
		t.Error("multicast address with a TTL read as an IP address")
	}
	if ip, ok := connIP(connection(d, d.MediaDescriptions[1])); !ok || ip != netip.MustParseAddr("2001:db8::1") {
		t.Errorf("media-level c= %v, %v", ip, ok)
	}
}

// TestParseTestdata parses every body of testdata/, writes it back, and
// checks that the result parses to the same description.
func TestParseTestdata(t *testing.T) {
	for name, body := range readTestdata(t) {
		t.Run(name, func(t *testing.T) {
			d, err := Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.MediaDescriptions) == 0 {
				t.Fatal("no media")
			}
			out, err := d.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse(out)
			if err != nil {
				t.Fatalf("written description does not parse: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(d, back) {
				t.Fatalf("round trip changed the description\n%#v\n%#v", d, back)
			}
			// Bodies with CRLF line ends come back byte for byte.
			if bytes.Contains(body, []byte("\r\n")) && !bytes.Equal(out, body) {
				t.Errorf("written differently:\n%s\nwant\n%s", out, body)
			}
		})
	}
}

func TestParseLenient(t *testing.T) {
	tests := []struct {
		name string
		body string
		test func(t *testing.T, d *psdp.SessionDescription)
	}{
		{"bare LF", "v=0\no=- 1 2 IN IP4 192.0.2.1\ns=x\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 4000 RTP/AVP 0\n",
			func(t *testing.T, d *psdp.SessionDescription) {
				if d.MediaDescriptions[0].MediaName.Port.Value != 4000 || d.Origin.SessionVersion != 2 {
					t.Errorf("%+v", d)
				}
			}},
		{"mixed line ends, blank lines and trailing space",
			"v=0\r\no=- 1 2 IN IP4 192.0.2.1 \n\ns=x\t\r\nt=0 0\r\n\r\nm=audio 4000 RTP/AVP 0 \r\na=rtpmap:0 PCMU/8000  \r\n \r\n\r\n",
			func(t *testing.T, d *psdp.SessionDescription) {
				if d.Origin.UnicastAddress != "192.0.2.1" || d.SessionName != "x" || d.MediaDescriptions[0].Attributes[0].Value != "0 PCMU/8000" {
					t.Errorf("%+v", d)
				}
			}},
		{"no final line end", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv",
			func(t *testing.T, d *psdp.SessionDescription) {
				if d.MediaDescriptions[0].Attributes[0].Key != "sendrecv" {
					t.Errorf("%+v", d)
				}
			}},
		{"empty s=", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=\r\nt=0 0\r\n",
			func(t *testing.T, d *psdp.SessionDescription) {
				if d.SessionName != "" || len(d.TimeDescriptions) != 1 {
					t.Errorf("%+v", d)
				}
			}},
		{"multiple spaces", "v=0\r\no=-  1 2 IN IP4 192.0.2.1\r\ns=x\r\nc=IN  IP4   192.0.2.9\r\nt=0 0\r\nm=audio  4000  RTP/AVP  0  8\r\n",
			func(t *testing.T, d *psdp.SessionDescription) {
				if d.ConnectionInformation.Address.Address != "192.0.2.9" || len(d.MediaDescriptions[0].MediaName.Formats) != 2 {
					t.Errorf("%+v", d)
				}
			}},
		{"attribute with colons and an empty value", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\nt=0 0\r\na=tool:x:y\r\na=foo:\r\n",
			func(t *testing.T, d *psdp.SessionDescription) {
				want := []psdp.Attribute{{Key: "tool", Value: "x:y"}, {Key: "foo"}}
				if !reflect.DeepEqual(d.Attributes, want) {
					t.Errorf("%+v", d.Attributes)
				}
			}},
		{"m= line without formats", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\nt=0 0\r\nm=audio 0 RTP/AVP\r\n",
			func(t *testing.T, d *psdp.SessionDescription) {
				if d.MediaDescriptions[0].MediaName.Formats != nil {
					t.Errorf("%+v", d.MediaDescriptions[0])
				}
			}},
		{"largest version", "v=0\r\no=- 1 18446744073709551615 IN IP4 192.0.2.1\r\ns=x\r\nt=0 0\r\n",
			func(t *testing.T, d *psdp.SessionDescription) {
				if d.Origin.SessionVersion != 1<<64-1 {
					t.Errorf("%+v", d.Origin)
				}
			}},
		// What pion accepts that our own parser refused.
		{"o= without address (pion: 0.0.0.0)", "v=0\r\no=- 1 2 IN IP4\r\ns=x\r\nt=0 0\r\n",
			func(t *testing.T, d *psdp.SessionDescription) {
				if d.Origin.UnicastAddress != "0.0.0.0" {
					t.Errorf("%+v", d.Origin)
				}
			}},
		{"t= with one time (pion: t=0 0)", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\nt=0\r\n",
			func(t *testing.T, d *psdp.SessionDescription) {
				if len(d.TimeDescriptions) != 1 {
					t.Errorf("%+v", d.TimeDescriptions)
				}
			}},
		{"a= without name (pion: kept as it is)", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\nt=0 0\r\na=:x\r\na=rtp map:0\r\n",
			func(t *testing.T, d *psdp.SessionDescription) {
				if len(d.Attributes) != 2 {
					t.Errorf("%+v", d.Attributes)
				}
			}},
		{"two c= in a media section (pion: the last)", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.2\r\n",
			func(t *testing.T, d *psdp.SessionDescription) {
				if ip, _ := connIP(d.MediaDescriptions[0].ConnectionInformation); ip != netip.MustParseAddr("192.0.2.2") {
					t.Errorf("%v", ip)
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
			out, _ := d.Marshal()
			back, err := Parse(out)
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
		{"no v=", "o=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\nt=0 0\r\n", "sdp line 1: first line is not v="},
		{"v=1", "v=1\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\nt=0 0\r\n", "sdp line 1: malformed v= line"},
		{"v= only", "v=0\r\n", "sdp: no o= line"},
		{"no o=", "v=0\r\ns=x\r\nt=0 0\r\n", "sdp: no o= line"},
		{"no s=", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\nt=0 0\r\n", "sdp: no s= line"},
		{"no t=", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\nm=audio 4000 RTP/AVP 0\r\n", "sdp: no t= line"},
		{"no t=, nothing after s=", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\n", "sdp: no t= line"},
		{"lines out of order", "v=0\r\ns=x\r\nt=0 0\r\nc=IN IP4 192.0.2.9\r\no=- 1 2 IN IP4 192.0.2.1\r\n", "sdp line 2: s= line out of place or repeated"},
		{"c= after t=", head + "c=IN IP4 192.0.2.9\r\n", "sdp line 5: c= line out of place or repeated"},
		{"o= long", "v=0\r\no=- 1 2 IN IP4 a b\r\ns=x\r\nt=0 0\r\n", "sdp line 2: malformed o= line"},
		{"o= session id", "v=0\r\no=- x 2 IN IP4 192.0.2.1\r\ns=x\r\nt=0 0\r\n", "sdp line 2: malformed o= line"},
		{"o= version", "v=0\r\no=- 1 x IN IP4 192.0.2.1\r\ns=x\r\nt=0 0\r\n", "sdp line 2: malformed o= line"},
		{"o= network type", "v=0\r\no=- 1 2 ATM NSAP x\r\ns=x\r\nt=0 0\r\n", "sdp line 2: malformed o= line"},
		{"two o=", head + "o=- 1 2 IN IP4 192.0.2.1\r\n", "sdp line 5: o= line out of place or repeated"},
		{"two v=", head + "v=0\r\n", "sdp line 5: v= line out of place or repeated"},
		{"two s=", head + "s=y\r\n", "sdp line 5: s= line out of place or repeated"},
		{"two e=", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\ne=a@example.com\r\ne=b@example.com\r\nt=0 0\r\n", "sdp line 5: e= line out of place or repeated"},
		{"two session c=", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\nc=IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\n", "sdp line 5: c= line out of place or repeated"},
		{"not type=value", head + "hello\r\n", "sdp line 5: not a type=value line"},
		{"upper-case type", head + "A=x\r\n", "sdp line 5: unknown line type"},
		{"unknown type", head + "y=0123456789\r\n", "sdp line 5: unknown line type"},
		{"unknown type in media", head + "m=audio 4000 RTP/AVP 0\r\nx=1\r\n", "sdp line 6: unknown line type"},
		{"leading space", head + " a=x\r\n", "sdp line 5: not a type=value line"},
		{"CR inside", head + "a=x\ry\r\n", "sdp line 5: CR or NUL inside a line"},
		{"NUL inside", head + "a=x\x00y\r\n", "sdp line 5: CR or NUL inside a line"},
		{"c= network type", head + "m=audio 4000 RTP/AVP 0\r\nc=ATM NSAP x\r\n", "sdp line 6: malformed c= line"},
		{"b= no colon", head + "m=audio 4000 RTP/AVP 0\r\nb=AS64\r\n", "sdp line 6: malformed b= line"},
		{"b= not a number", head + "m=audio 4000 RTP/AVP 0\r\nb=AS:x\r\n", "sdp line 6: malformed b= line"},
		{"b= unknown type", head + "m=audio 4000 RTP/AVP 0\r\nb=FOO:1\r\n", "sdp line 6: malformed b= line"},
		{"t= negative", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\nt=-1 0\r\n", "sdp line 4: malformed t= line"},
		{"r= first", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\nr=1d 1h 0\r\nt=0 0\r\n", "sdp line 4: r= line out of place or repeated"},
		{"r= not a time", head + "r=x\r\n", "sdp line 5: malformed r= line"},
		{"u= not a URI", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\nu=http://x/%zz\r\nt=0 0\r\n", "sdp line 4: malformed u= line"},
		{"m= short", head + "m=audio 4000\r\n", "sdp line 5: malformed m= line"},
		{"m= port", head + "m=audio x RTP/AVP 0\r\n", "sdp line 5: malformed m= line"},
		{"m= port range", head + "m=audio 65536 RTP/AVP 0\r\n", "sdp line 5: malformed m= line"},
		{"m= port negative", head + "m=audio -1 RTP/AVP 0\r\n", "sdp line 5: malformed m= line"},
		{"m= unregistered media (pion)", head + "m=image 4000 udptl t38\r\n", "sdp line 5: malformed m= line"},
		{"m= lower-case protocol (pion)", head + "m=audio 4000 rtp/avp 0\r\n", "sdp line 5: malformed m= line"},
		{"t= in media", head + "m=audio 4000 RTP/AVP 0\r\nt=0 0\r\n", "sdp line 6: t= line out of place or repeated"},
		{"o= in media", head + "m=audio 4000 RTP/AVP 0\r\no=- 1 2 IN IP4 192.0.2.1\r\n", "sdp line 6: o= line out of place or repeated"},
		{"line numbers count blank lines", "v=0\n\n\no=- 1 2 IN IP4 192.0.2.1 x\ns=x\nt=0 0\n", "sdp line 4: malformed o= line"},
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

func TestConnIP(t *testing.T) {
	conn := func(net, typ, addr string) *psdp.ConnectionInformation {
		return &psdp.ConnectionInformation{NetworkType: net, AddressType: typ, Address: &psdp.Address{Address: addr}}
	}
	ttl := 127
	tests := []struct {
		c  *psdp.ConnectionInformation
		ip string // "" when connIP must fail
	}{
		{conn("IN", "IP4", "192.0.2.1"), "192.0.2.1"},
		{conn("IN", "IP4", "0.0.0.0"), "0.0.0.0"},
		{conn("IN", "IP6", "2001:db8::1"), "2001:db8::1"},
		{conn("IN", "IP6", "::"), "::"},
		{conn("IN", "IP4", "2001:db8::1"), ""},
		{conn("IN", "IP6", "192.0.2.1"), ""},
		{conn("IN", "IP6", "fe80::1%eth0"), ""},
		{conn("IN", "IP4", "host.example.com"), ""},
		{conn("IN", "IP4", "224.2.1.1/127"), ""},
		{&psdp.ConnectionInformation{NetworkType: "IN", AddressType: "IP4", Address: &psdp.Address{Address: "224.2.1.1", TTL: &ttl}}, ""},
		{conn("ATM", "NSAP", "x"), ""},
		{&psdp.ConnectionInformation{NetworkType: "IN", AddressType: "IP4"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		ip, ok := connIP(tt.c)
		if ok != (tt.ip != "") || ok && ip != netip.MustParseAddr(tt.ip) {
			t.Errorf("connIP(%v) = %v, %v", tt.c, ip, ok)
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
		if got := mediaDirection(d, d.MediaDescriptions[i]); got != w {
			t.Errorf("media %d: %v, want %v", i, got, w)
		}
	}
	d.Attributes = nil
	if got := mediaDirection(d, d.MediaDescriptions[0]); got != SendRecv {
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
		"a=rtcp:4011 IN IP4 192.0.2.2",
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
	m := d.MediaDescriptions[0]
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
		c, ok := codecOf(m, tt.pt)
		if ok != tt.ok || c != tt.want {
			t.Errorf("codecOf(%d) = %+v, %v", tt.pt, c, ok)
		}
	}
	if pt, ok := payloadType(m.MediaName.Formats[10]); ok {
		t.Errorf("payloadType of abc = %d", pt)
	}
	if pt, ok := payloadType(m.MediaName.Formats[7]); !ok || pt != 101 {
		t.Errorf("payloadType of format 7 = %d, %v", pt, ok)
	}
	if f, ok := fmtpOf(m, 101); !ok || f != "0-15,16" {
		t.Errorf("fmtpOf(101) = %q, %v", f, ok)
	}
	if f, ok := fmtpOf(m, 0); ok {
		t.Errorf("fmtpOf(0) = %q", f)
	}
	if p, ok := ptimeOf(m); !ok || p != 30 {
		t.Errorf("ptimeOf = %d, %v", p, ok)
	}
	if p, c, ok := rtcpOf(m); !ok || p != 4011 || c == nil || c.Address.Address != "192.0.2.2" {
		t.Errorf("rtcpOf = %d, %v, %v", p, c, ok)
	}
	if v, ok := attribute(m.Attributes, "Crypto"); !ok || !strings.HasPrefix(v, "1 AES_CM_128_HMAC_SHA1_80 inline:") {
		t.Errorf("crypto = %q, %v", v, ok)
	}
	m = d.MediaDescriptions[1]
	if p, ok := ptimeOf(m); !ok || p != 20 {
		t.Errorf("ptimeOf 20.5 = %d, %v", p, ok)
	}
	if p, c, ok := rtcpOf(m); !ok || p != 5001 || c != nil {
		t.Errorf("rtcpOf = %d, %v, %v", p, c, ok)
	}
	m = d.MediaDescriptions[2]
	if p, ok := ptimeOf(m); ok {
		t.Errorf("ptimeOf 0 = %d", p)
	}
	if p, _, ok := rtcpOf(m); ok {
		t.Errorf("rtcpOf x = %d", p)
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
		c, ok := parseRTPMap(tt.in)
		if ok != tt.ok || c != tt.want {
			t.Errorf("parseRTPMap(%q) = %+v, %v", tt.in, c, ok)
		}
	}
	for pt := -1; pt < 130; pt++ {
		c, ok := staticCodec(pt)
		if ok != (pt >= 0 && pt <= 34 && static[pt].Name != "") || ok && c.PayloadType != pt {
			t.Errorf("staticCodec(%d) = %+v, %v", pt, c, ok)
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
