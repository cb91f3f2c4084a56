package message

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

// msg turns a readable message into wire form: "\n" becomes CRLF.
func msg(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

const options = `OPTIONS sip:door@192.0.2.10 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK776asdhds
Max-Forwards: 70
To: <sip:door@192.0.2.10>
From: "Flat 1" <sip:flat1@192.0.2.20>;tag=1928301774
Call-ID: a84b4c76e66710
CSeq: 63104 OPTIONS
Content-Length: 0

`

func TestUnmarshalRequest(t *testing.T) {
	m, err := Parse(msg(options))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	if !m.IsRequest() || m.Method() != OPTIONS || string(m.RequestURI()) != "sip:door@192.0.2.10" || m.StatusCode() != 0 {
		t.Errorf("request line: %v %q %q %d", m.IsRequest(), m.Method(), m.RequestURI(), m.StatusCode())
	}
	if string(m.CallID()) != "a84b4c76e66710" {
		t.Errorf("Call-ID %q", m.CallID())
	}
	if v, ok := m.Header("max-forwards"); !ok || string(v) != "70" {
		t.Errorf("Header(max-forwards) = %q, %v", v, ok)
	}
	if _, ok := m.Header("Subject"); ok {
		t.Error("Header(Subject) found")
	}
	var names []string
	for n := range m.All() {
		names = append(names, string(n))
	}
	if want := []string{"Via", "Max-Forwards", "To", "From", "Call-ID", "CSeq", "Content-Length"}; !slices.Equal(names, want) {
		t.Errorf("All names %q, want %q", names, want)
	}
}

func TestUnmarshalResponse(t *testing.T) {
	tests := []struct {
		line   string
		code   int
		reason string
	}{
		{"SIP/2.0 200 OK", 200, "OK"},
		{"SIP/2.0 180 Ringing now", 180, "Ringing now"},
		{"sip/2.0 486 Busy Here", 486, "Busy Here"},
		{"SIP/2.0 100", 100, ""},
		{"SIP/2.0 699 ", 699, ""},
	}
	for _, tt := range tests {
		data := msg(tt.line + "\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\nContent-Length: 0\n\n")
		m, err := Parse(data)
		if err != nil {
			t.Errorf("%q: %v", tt.line, err)
			continue
		}
		if m.IsRequest() || m.StatusCode() != tt.code || string(m.Reason()) != tt.reason || m.Method() != "" {
			t.Errorf("%q: code %d reason %q", tt.line, m.StatusCode(), m.Reason())
		}
	}
}

func TestUnmarshalErrors(t *testing.T) {
	valid := "Via: SIP/2.0/UDP h;branch=z9hG4bKa\nContent-Length: 0\n\n"
	tests := []struct {
		name, data string
		status     int
		text       string
	}{
		{"empty", "", 400, "ends inside"},
		{"only CRLF", "\n\n", 400, "ends inside"},
		{"no colon", "OPTIONS sip:a SIP/2.0\nVia\n\n", 400, "without a colon"},
		{"bad name", "OPTIONS sip:a SIP/2.0\nV@a: x\n\n", 400, "invalid header field name"},
		{"empty name", "OPTIONS sip:a SIP/2.0\n: x\n\n", 400, "invalid header field name"},
		{"fold first", "OPTIONS sip:a SIP/2.0\n folded: x\n\n", 400, "continuation line"},
		{"request two parts", "OPTIONS sip:a\n" + valid, 400, "request line"},
		{"request four parts", "OPTIONS sip:a SIP/2.0 x\n" + valid, 400, "request line"},
		{"method not token", "OPT(ONS sip:a SIP/2.0\n" + valid, 400, "invalid method"},
		{"tab in URI", "OPTIONS sip:a\t SIP/2.0\n" + valid, 400, "request line"},
		{"version", "OPTIONS sip:a SIP/3.0\n" + valid, 505, "not 2.0"},
		{"version junk", "OPTIONS sip:a SIP/2.0a\n" + valid, 400, "invalid SIP version"},
		{"version name", "OPTIONS sip:a HTTP/1.1\n" + valid, 400, "invalid SIP version"},
		{"status short", "SIP/2.0 20 OK\n" + valid, 400, "three digits"},
		{"status range", "SIP/2.0 099 Low\n" + valid, 400, "out of range"},
		{"status missing", "SIP/2.0\n" + valid, 400, "without a status code"},
		{"status no space", "SIP/2.0 200OK\n" + valid, 400, "three digits"},
		{"response version", "SIP/1.0 200 OK\n" + valid, 400, "not 2.0"},
		{"no blank line mid-line", "OPTIONS sip:a SIP/2.0\nVia: x", 400, "ends inside"},
		{"content-length words", "OPTIONS sip:a SIP/2.0\nl: five\n\n", 400, "not a number"},
		{"content-length huge", "OPTIONS sip:a SIP/2.0\nl: 99999999999999999999\n\n", 400, "not a number"},
		{"content-length twice", "OPTIONS sip:a SIP/2.0\nl: 0\nContent-Length: 0\n\n", 400, "more than one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Message
			err := m.Unmarshal(msg(tt.data))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v, want a *ParseError", err)
			}
			if pe.Status != tt.status || !strings.Contains(pe.Error(), tt.text) {
				t.Errorf("error %d %q, want %d containing %q", pe.Status, pe.Error(), tt.status, tt.text)
			}
		})
	}
}

func TestUnmarshalFoldingAndForms(t *testing.T) {
	data := []byte("INVITE sip:door@example.org SIP/2.0\n" +
		"v: SIP/2.0/UDP a.example.org;branch=z9hG4bK1,\n" +
		"\tSIP/2.0/TCP b.example.org;branch=z9hG4bK2\n" +
		"VIA: SIP/2.0/UDP c.example.org;branch=z9hG4bK3\n" +
		"f: <sip:a@example.org>;tag=x\n" +
		"t: <sip:door@example.org>\n" +
		"i: call-1\n" +
		"cseq: 1\n   INVITE\n" +
		"Max-Forwards: 70\n" +
		"k: timer, 100rel\n" +
		"X-Custom: one\n" +
		"x-custom: two\n" +
		"c: application/sdp\n" +
		"\nv=0\n") // LF line endings, accepted; no Content-Length: body runs to the end
	m, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	var hosts []string
	for v := range m.Values("Via") {
		via, err := ParseVia(v)
		if err != nil {
			t.Fatal(err)
		}
		hosts = append(hosts, string(via.Host))
	}
	if want := []string{"a.example.org", "b.example.org", "c.example.org"}; !slices.Equal(hosts, want) {
		t.Errorf("Via hosts %q, want %q", hosts, want)
	}
	cseq, _ := m.CSeq()
	if cseq != (CSeq{1, INVITE}) {
		t.Errorf("folded CSeq %+v", cseq)
	}
	var sup []string
	for v := range m.Values("Supported") {
		sup = append(sup, string(v))
	}
	if !slices.Equal(sup, []string{"timer", "100rel"}) {
		t.Errorf("Supported %q", sup)
	}
	var custom []string
	for v := range m.Values("X-CUSTOM") {
		custom = append(custom, string(v))
	}
	if !slices.Equal(custom, []string{"one", "two"}) {
		t.Errorf("X-Custom %q", custom)
	}
	if string(m.ContentType()) != "application/sdp" || string(m.Body()) != "v=0\n" {
		t.Errorf("Content-Type %q body %q", m.ContentType(), m.Body())
	}
	for _, c := range []struct{ in, want string }{{"v", "Via"}, {"CALL-ID", "Call-ID"}, {"www-authenticate", "WWW-Authenticate"}, {"X-Foo", "X-Foo"}} {
		if got := CanonicalName(c.in); got != c.want {
			t.Errorf("CanonicalName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestUnmarshalContentLength(t *testing.T) {
	head := "MESSAGE sip:a@b SIP/2.0\nContent-Length: 5\n\n"
	m, err := Parse(msg(head + "helloEXTRA"))
	if err != nil || string(m.Body()) != "hello" {
		t.Errorf("body %q, %v; want the 5 bytes Content-Length gives", m.Body(), err)
	}
	if _, err := Parse(msg(head + "hi")); err == nil {
		t.Error("a body shorter than Content-Length was accepted")
	}
}

func TestUnmarshalKeepsHeadersOnError(t *testing.T) {
	data := msg("OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\nCall-ID: c1\nCSeq: 1 OPTIONS\nbroken line\n\n")
	var m Message
	if err := m.Unmarshal(data); err == nil {
		t.Fatal("accepted a line without a colon")
	}
	if string(m.CallID()) != "c1" || m.Method() != OPTIONS {
		t.Errorf("after the error: Call-ID %q method %q; want what was read before it", m.CallID(), m.Method())
	}
}

func TestLimits(t *testing.T) {
	var many bytes.Buffer
	many.WriteString("OPTIONS sip:a SIP/2.0\r\n")
	for range 11 {
		many.WriteString("X-A: b\r\n")
	}
	many.WriteString("\r\n")
	long := "OPTIONS sip:a SIP/2.0\r\nSubject: " + strings.Repeat("x", 100) + "\r\n\r\n"
	longFolded := "OPTIONS sip:a SIP/2.0\r\nSubject: " + strings.Repeat("x\r\n y", 30) + "\r\n\r\n"
	tests := []struct {
		name string
		lim  Limits
		data string
		text string
	}{
		{"size", Limits{MaxMessageSize: 50}, options, "larger than 50 bytes"},
		{"headers", Limits{MaxHeaders: 10}, many.String(), "more than 10 header fields"},
		{"line", Limits{MaxLineLength: 64}, long, "longer than 64 bytes"},
		{"folded line", Limits{MaxLineLength: 64}, longFolded, "longer than 64 bytes"},
		{"start line", Limits{MaxLineLength: 10}, options, "start line longer"},
	}
	for _, tt := range tests {
		m := Message{Limits: tt.lim}
		err := m.Unmarshal([]byte(tt.data))
		pe, ok := err.(*ParseError)
		if !ok || pe.Status != 513 || !strings.Contains(pe.Msg, tt.text) {
			t.Errorf("%s: %v, want 513 %q", tt.name, err, tt.text)
		}
		if pe != nil && pe.Reason() != "Message Too Large ("+pe.Msg+")" && pe.Header == "" {
			t.Errorf("%s: reason %q", tt.name, pe.Reason())
		}
	}
	// The same messages pass with the default limits.
	var m Message
	if err := m.Unmarshal(many.Bytes()); err != nil {
		t.Errorf("11 header fields under the default limits: %v", err)
	}
}

func TestReuse(t *testing.T) {
	var m Message
	if err := m.Unmarshal(readRFC4475(t, "longreq")); err != nil { // spills past the inline headers
		t.Fatal(err)
	}
	if err := m.Unmarshal(msg(options)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for range m.All() {
		n++
	}
	if n != 7 || m.Method() != OPTIONS {
		t.Errorf("after reuse: %d header fields, method %q; want 7, OPTIONS", n, m.Method())
	}
	if _, ok := m.Header("Unknown-LongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLong-Name"); ok {
		t.Error("a header field of the previous message survived Unmarshal")
	}
}

func TestFieldAccessors(t *testing.T) {
	m, err := Parse(msg("SIP/2.0 503 Service Unavailable\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\n" +
		"Retry-After: 120 (maintenance);duration=3600\nExpires: 0\nMax-Forwards: 256\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s, ok, err := m.RetryAfter(); s != 120 || !ok || err != nil {
		t.Errorf("RetryAfter = %d %v %v", s, ok, err)
	}
	if s, ok, err := m.Expires(); s != 0 || !ok || err != nil {
		t.Errorf("Expires = %d %v %v", s, ok, err)
	}
	if _, ok, err := m.MaxForwards(); !ok || err == nil {
		t.Errorf("Max-Forwards 256: %v %v, want an error", ok, err)
	}
	if _, err := m.CSeq(); err == nil {
		t.Error("CSeq of a message without one: no error")
	}
	if _, err := m.From(); err == nil {
		t.Error("From of a message without one: no error")
	}
	m2, _ := Parse(msg("SIP/2.0 200 OK\nExpires: 4294967296\nRetry-After: x\n\n"))
	if _, _, err := m2.Expires(); err == nil {
		t.Error("Expires 2^32: no error")
	}
	if _, _, err := m2.RetryAfter(); err == nil {
		t.Error("Retry-After x: no error")
	}
	if _, err := m2.Via(); err == nil {
		t.Error("Via of a message without one: no error")
	}
}

func TestTokensAndStar(t *testing.T) {
	m, err := Parse(msg("REGISTER sip:pbx SIP/2.0\nSupported: path, Timer\nk: gruu\nContact: *\nExpires: 0\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !m.HasToken("Supported", "timer") || !m.HasToken("supported", "GRUU") || m.HasToken("Supported", "100rel") {
		t.Error("HasToken")
	}
	if !m.ContactStar() {
		t.Error("ContactStar false for Contact: *")
	}
	if o, _ := Parse(msg(options)); o.ContactStar() {
		t.Error("ContactStar true without Contact")
	}
}
