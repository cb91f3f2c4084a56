package message

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildRequest(t *testing.T) {
	var m Message
	m.InitRequest(INVITE, "sip:flat1@pbx.example.org")
	m.AddHeader("v", "SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bK-1;rport")
	m.AddHeader("Max-Forwards", "70")
	m.AddHeader("From", `"Door" <sip:door@pbx.example.org>;tag=abc`)
	m.AddHeader("To", "<sip:flat1@pbx.example.org>")
	m.AddHeaderBytes("Call-ID", []byte("c-1@192.0.2.50"))
	m.AddHeader("CSeq", "1 INVITE")
	m.AddHeader("X-Door", "front")
	m.AddHeader("Content-Length", "999") // a lie AppendTo must not send
	m.SetBody("application/sdp", []byte("v=0\r\n"))

	wire := string(m.AppendTo(nil))
	want := "INVITE sip:flat1@pbx.example.org SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bK-1;rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: \"Door\" <sip:door@pbx.example.org>;tag=abc\r\n" +
		"To: <sip:flat1@pbx.example.org>\r\n" +
		"Call-ID: c-1@192.0.2.50\r\n" +
		"CSeq: 1 INVITE\r\n" +
		"X-Door: front\r\n" +
		"Content-Type: application/sdp\r\n" +
		"Content-Length: 5\r\n\r\nv=0\r\n"
	if wire != want {
		t.Errorf("AppendTo:\n%s\nwant:\n%s", wire, want)
	}
	back, err := Parse([]byte(wire))
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(); err != nil {
		t.Fatal(err)
	}

	if n := m.DelHeader("x-door"); n != 1 {
		t.Errorf("DelHeader removed %d", n)
	}
	m.SetHeader("Max-Forwards", "69")
	m.SetHeader("Max-Forwards", "68")
	if v, _ := m.Header("Max-Forwards"); string(v) != "68" || strings.Count(m.String(), "Max-Forwards") != 1 {
		t.Errorf("after SetHeader: %q in\n%s", v, m.String())
	}
	if strings.Contains(m.String(), "X-Door") {
		t.Error("X-Door survived DelHeader")
	}
}

func TestInitResponse(t *testing.T) {
	req, err := Parse(msg(options + "")) // options has no To tag
	if err != nil {
		t.Fatal(err)
	}
	var resp Message
	resp.InitResponse(req, 200, "OK", "resp-tag")
	resp.AddHeader("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS")
	back, err := Parse(resp.AppendTo(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(); err != nil {
		t.Fatalf("%v\n%s", err, resp.String())
	}
	to, _ := back.To()
	from, _ := back.From()
	via, _ := back.Via()
	cseq, _ := back.CSeq()
	if back.StatusCode() != 200 || string(to.Tag()) != "resp-tag" || string(from.Tag()) != "1928301774" ||
		string(via.Branch()) != "z9hG4bK776asdhds" || cseq != (CSeq{63104, OPTIONS}) || string(back.CallID()) != "a84b4c76e66710" {
		t.Errorf("response:\n%s", resp.String())
	}
	// A 100 Trying gets no tag, and a To that has one keeps it.
	resp.InitResponse(req, 100, "Trying", "t")
	if to, _ := resp.To(); to.Tag() != nil {
		t.Errorf("100 Trying has To tag %q", to.Tag())
	}
	resp.InitResponse(back, 487, "Request Terminated", "other")
	if to, _ := resp.To(); string(to.Tag()) != "resp-tag" {
		t.Errorf("To tag %q, want the request's", to.Tag())
	}
}

// TestRoundTrip serializes every valid test message and parses it again: the
// header fields and the body must come back the same.
func TestRoundTrip(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "sip", "*.sip"))
	for _, tc := range rfc4475Cases {
		if tc.stage == "" {
			files = append(files, filepath.Join("testdata", "rfc4475", tc.file+".dat"))
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m, back Message
		if err := m.Unmarshal(data); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		wire := m.AppendTo(nil)
		if err := back.Unmarshal(wire); err != nil {
			t.Fatalf("%s: serialized form does not parse: %v\n%s", f, err, wire)
		}
		if !bytes.Equal(m.Body(), back.Body()) || m.StatusCode() != back.StatusCode() || m.Method() != back.Method() {
			t.Errorf("%s: start line or body changed", f)
		}
		var before, after []string
		for n, v := range m.All() {
			if lookupHeader(n) != hContentLength {
				before = append(before, string(n)+": "+string(v))
			}
		}
		for n, v := range back.All() {
			if lookupHeader(n) != hContentLength {
				after = append(after, string(n)+": "+string(v))
			}
		}
		if strings.Join(before, "\n") != strings.Join(after, "\n") {
			t.Errorf("%s: header fields changed:\n%q\n%q", f, before, after)
		}
	}
}

func TestCopyFrom(t *testing.T) {
	data := readRFC4475(t, "wsinv")
	orig, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	want := orig.String()
	var c Message
	c.CopyFrom(orig)
	clear(data) // the copy must not alias the received buffer
	if got := c.String(); got != want {
		t.Errorf("copy:\n%s\nwant:\n%s", got, want)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestSetReceived(t *testing.T) {
	src := netip.MustParseAddrPort("203.0.113.7:41234")
	tests := []struct{ via, want string }{
		{"SIP/2.0/UDP 192.168.1.5:5060;branch=z9hG4bKa;rport", "SIP/2.0/UDP 192.168.1.5:5060;branch=z9hG4bKa;rport=41234;received=203.0.113.7"},
		{"SIP/2.0/UDP door.local;branch=z9hG4bKa", "SIP/2.0/UDP door.local;branch=z9hG4bKa;received=203.0.113.7"},
		{"SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bKa", "SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bKa"},
		{"SIP/2.0/UDP 203.0.113.7 ; rport ; branch=z9hG4bKa", "SIP/2.0/UDP 203.0.113.7;rport=41234;branch=z9hG4bKa;received=203.0.113.7"},
		{"SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2", "SIP/2.0/UDP a;branch=z9hG4bK1;received=203.0.113.7, SIP/2.0/UDP b;branch=z9hG4bK2"},
	}
	for _, tt := range tests {
		m, err := Parse([]byte("OPTIONS sip:a SIP/2.0\r\nVia: " + tt.via + "\r\nVia: SIP/2.0/UDP z;branch=z9hG4bKz\r\n\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		if !m.SetReceived(src) {
			t.Fatalf("%s: SetReceived failed", tt.via)
		}
		if v, _ := m.Header("Via"); string(v) != tt.want {
			t.Errorf("Via %q\n got %q\nwant %q", tt.via, v, tt.want)
		}
		if via, err := m.Via(); err != nil || (strings.Contains(tt.want, "received") && string(via.Received()) != "203.0.113.7") {
			t.Errorf("%s: top Via %+v, %v", tt.via, via, err)
		}
	}
	if m, _ := Parse([]byte("OPTIONS sip:a SIP/2.0\r\nVia: junk\r\n\r\n")); m.SetReceived(src) {
		t.Error("SetReceived on a malformed Via reported success")
	}
}
