package message

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The RFC 4475 torture messages: what the parser (Unmarshal), the syntax
// check (Validate) and a UAS do with each. Messages the RFC calls valid must
// pass both; invalid ones must be refused at the stage named, with the status
// code a UAS answers and the header field at fault. Where the RFC's answer
// depends on what the UA supports (416, 420, 415, 406, 405), the message is
// well formed and the user agent answers it; the note says so.
var rfc4475Cases = []struct {
	file   string
	stage  string // "" valid; "unmarshal" or "validate" refused there
	status int
	header string
	note   string
}{
	// §3.1.1 valid messages.
	{file: "wsinv", note: "short tortuous INVITE"},
	{file: "intmeth", note: "wide range of valid characters; UA answers 501"},
	{file: "esc01", note: "valid % escaping"},
	{file: "escnull", note: "escaped nulls in URIs"},
	{file: "esc02", note: "% that is not an escape; UA answers 501"},
	{file: "lwsdisp", note: "no LWS between display name and <"},
	{file: "longreq", note: "long values in header fields"},
	{file: "dblreq", note: "extra trailing octets in a UDP datagram"},
	{file: "semiuri", note: "semicolon in the URI user part"},
	{file: "transports", note: "varied and unknown transports"},
	{file: "mpart01", note: "multipart MIME body with NULs"},
	{file: "unreason", note: "unusual reason phrase"},
	{file: "noreason", note: "empty reason phrase"},
	// §3.1.2 invalid messages.
	{file: "badinv01", stage: "validate", status: 400, header: "Via", note: "extraneous separators"},
	{file: "clerr", stage: "unmarshal", status: 400, header: "Content-Length", note: "Content-Length larger than the message"},
	{file: "ncl", stage: "unmarshal", status: 400, header: "Content-Length", note: "negative Content-Length"},
	{file: "scalar02", stage: "validate", status: 400, header: "CSeq", note: "overlarge request scalars"},
	{file: "scalarlg", stage: "validate", status: 400, header: "CSeq", note: "overlarge response scalars; UA drops it"},
	{file: "quotbal", stage: "validate", status: 400, header: "To", note: "unterminated quoted display name"},
	{file: "ltgtruri", stage: "validate", status: 400, header: "Request-URI", note: "<> around the Request-URI"},
	{file: "lwsruri", stage: "unmarshal", status: 400, note: "LWS in the Request-URI"},
	{file: "lwsstart", stage: "unmarshal", status: 400, note: "several SP in the request line"},
	{file: "trws", stage: "unmarshal", status: 400, note: "SP at the end of the request line"},
	{file: "escruri", stage: "validate", status: 400, header: "Request-URI", note: "escaped headers in the Request-URI"},
	{file: "baddate", stage: "validate", status: 400, header: "Date", note: "time zone other than GMT"},
	{file: "regbadct", stage: "validate", status: 400, header: "Contact", note: "URI with headers not in <>"},
	{file: "badaspec", stage: "validate", status: 400, header: "To", note: "spaces in the addr-spec"},
	{file: "baddn", stage: "validate", status: 400, header: "From", note: "non-token characters in the display name"},
	{file: "badvers", stage: "unmarshal", status: 505, note: "SIP/7.0"},
	{file: "mismatch01", stage: "validate", status: 400, header: "CSeq", note: "CSeq method differs"},
	{file: "mismatch02", stage: "validate", status: 501, header: "CSeq", note: "unknown method, CSeq method differs"},
	{file: "bigcode", stage: "unmarshal", status: 400, note: "status code 4294967301; UA drops it"},
	// §3.2 transaction layer: well formed; the bare cookie is an RFC 2543 branch.
	{file: "badbranch", note: "branch is the bare magic cookie"},
	// §3.3 application layer.
	{file: "insuf", stage: "validate", status: 400, header: "From", note: "no Call-ID, From or To"},
	{file: "unkscm", note: "unknown Request-URI scheme; UA answers 416"},
	{file: "novelsc", note: "atypical Request-URI scheme; UA answers 416"},
	{file: "unksm2", note: "unknown schemes in header fields"},
	{file: "bext01", note: "unknown Require and Proxy-Require; UA answers 420"},
	{file: "invut", note: "unknown Content-Type; UA answers 415"},
	{file: "regaut01", note: "unknown Authorization scheme; UA answers 405"},
	{file: "multi01", stage: "validate", status: 400, header: "From", note: "several values in single-value fields"},
	{file: "mcl01", stage: "unmarshal", status: 400, header: "Content-Length", note: "several Content-Length values"},
	{file: "bcast", note: "broadcast Via in a response; UA drops it"},
	{file: "zeromf", note: "Max-Forwards 0"},
	{file: "cparam01", note: "contact-param, not url-param"},
	{file: "cparam02", note: "url-parameter in Contact"},
	{file: "regescrt", note: "escaped header in a Contact URI"},
	{file: "sdp01", note: "Accept without SDP; UA answers 406"},
	// §3.4 backward compatibility.
	{file: "inv2543", note: "RFC 2543 INVITE"},
	// In the RFC's archive but not its text: no SIP version, a line without a colon.
	{file: "test", stage: "unmarshal", status: 400, note: "request line without SIP version"},
}

func readRFC4475(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "rfc4475", name+".dat"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestRFC4475(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "rfc4475", "*.dat"))
	if len(files) != len(rfc4475Cases) {
		t.Fatalf("%d torture messages in testdata, %d in the table", len(files), len(rfc4475Cases))
	}
	for _, tc := range rfc4475Cases {
		t.Run(tc.file, func(t *testing.T) {
			data := readRFC4475(t, tc.file)
			var m Message
			err := m.Unmarshal(data)
			stage := "unmarshal"
			if err == nil {
				stage = "validate"
				err = m.Validate()
			}
			if tc.stage == "" {
				if err != nil {
					t.Fatalf("valid message (%s) refused at %s: %v", tc.note, stage, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("invalid message (%s) accepted", tc.note)
			}
			pe, ok := err.(*ParseError)
			if !ok {
				t.Fatalf("error %v is a %T, want *ParseError", err, err)
			}
			if stage != tc.stage || pe.Status != tc.status || pe.Header != tc.header {
				t.Errorf("refused at %s with %d, header %q (%v); want %s, %d, header %q",
					stage, pe.Status, pe.Header, err, tc.stage, tc.status, tc.header)
			}
			if strings.ContainsAny(pe.Reason(), "\r\n") {
				t.Errorf("reason %q has a line break", pe.Reason())
			}
			t.Logf("%s: %v", tc.note, err)
			if m.IsRequest() {
				checkErrorResponse(t, &m, pe)
			}
		})
	}
}

// checkErrorResponse builds the response a UAS sends to a refused request
// and checks that it parses and answers the same transaction.
func checkErrorResponse(t *testing.T, req *Message, pe *ParseError) {
	t.Helper()
	var resp Message
	resp.InitResponse(req, pe.Status, pe.Reason(), "uas-tag")
	wire := resp.AppendTo(nil)
	var back Message
	if err := back.Unmarshal(wire); err != nil {
		t.Fatalf("response does not parse: %v\n%s", err, wire)
	}
	if back.StatusCode() != pe.Status || string(back.Reason()) != pe.Reason() {
		t.Errorf("response status line %d %q, want %d %q", back.StatusCode(), back.Reason(), pe.Status, pe.Reason())
	}
	if !bytes.Equal(back.CallID(), req.CallID()) {
		t.Errorf("response Call-ID %q, want %q", back.CallID(), req.CallID())
	}
}

// TestRFC4475Details checks what the parser makes of the valid torture
// messages, beyond accepting them.
func TestRFC4475Details(t *testing.T) {
	parse := func(t *testing.T, name string) *Message {
		t.Helper()
		m, err := Parse(readRFC4475(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	t.Run("wsinv", func(t *testing.T) {
		m := parse(t, "wsinv")
		var branches, transports []string
		for v := range m.Values("v") {
			via, err := ParseVia(v)
			if err != nil {
				t.Fatal(err)
			}
			branches = append(branches, string(via.Branch()))
			transports = append(transports, string(via.Transport))
		}
		if got := strings.Join(branches, ","); got != "390skdjuw,z9hG4bK9ikj8,z9hG4bK30239" {
			t.Errorf("Via branches %s", got)
		}
		if got := strings.Join(transports, ","); got != "UDP,TCP,UDP" {
			t.Errorf("Via transports %s", got)
		}
		top, _ := m.Via()
		if top.RFC3261Branch() || string(top.Host) != "192.0.2.2" {
			t.Errorf("top Via %q host %q: want an RFC 2543 branch from 192.0.2.2", top.Branch(), top.Host)
		}
		from, _ := m.From()
		if string(from.Tag()) != "98asjd8" || string(from.DisplayName) != `"J Rosenberg \\\""` {
			t.Errorf("From tag %q display name %q", from.Tag(), from.DisplayName)
		}
		to, _ := m.To()
		if string(to.Tag()) != "1918181833n" || string(to.URI.User) != "vivekg" {
			t.Errorf("To tag %q user %q", to.Tag(), to.URI.User)
		}
		cseq, _ := m.CSeq()
		if cseq != (CSeq{Seq: 9, Method: INVITE}) {
			t.Errorf("CSeq %+v", cseq)
		}
		if mf, ok, err := m.MaxForwards(); mf != 68 || !ok || err != nil {
			t.Errorf("Max-Forwards %d %v %v", mf, ok, err)
		}
		contact, ok := m.Header("Contact")
		if !ok {
			t.Fatal("no Contact")
		}
		c, err := ParseNameAddr(contact)
		if err != nil {
			t.Fatal(err)
		}
		if q, _ := c.Params.Get("q"); string(q) != "0.33" || !c.Params.Has("secondparam") {
			t.Errorf("Contact params %q", c.Params)
		}
		if subj, ok := m.Header("Subject"); !ok || len(subj) != 0 {
			t.Errorf("Subject %q %v, want present and empty", subj, ok)
		}
		if v, _ := m.Header("NewFangledHeader"); string(v) != "newfangled value   continued newfangled value" {
			t.Errorf("folded header %q", v)
		}
		if v, _ := m.Header("UnknownHeaderWithUnusualValue"); string(v) != ";;,,;;,;" {
			t.Errorf("unknown header %q", v)
		}
		if len(m.Body()) != 150 {
			t.Errorf("body %d bytes", len(m.Body()))
		}
	})
	t.Run("intmeth", func(t *testing.T) {
		m := parse(t, "intmeth")
		if m.Method() != "!interesting-Method0123456789_*+`.%indeed'~" || m.Method().Known() {
			t.Errorf("method %q", m.Method())
		}
		u, err := m.URI()
		if err != nil {
			t.Fatal(err)
		}
		if string(u.User) != "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*" ||
			string(u.Password) != "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)" || string(u.Host) != "example.com" {
			t.Errorf("URI user %q password %q host %q", u.User, u.Password, u.Host)
		}
		from, _ := m.From()
		if string(from.Tag()) != "_token~1'+`*%!-." {
			t.Errorf("From tag %q", from.Tag())
		}
	})
	t.Run("esc02", func(t *testing.T) {
		m := parse(t, "esc02")
		n := 0
		for range m.Values("Contact") {
			n++
		}
		if n != 2 || m.Method() == REGISTER {
			t.Errorf("%d Contact values, method %q; want 2, not REGISTER", n, m.Method())
		}
	})
	t.Run("semiuri", func(t *testing.T) {
		u, err := parse(t, "semiuri").URI()
		if err != nil || string(u.User) != "user;par=u%40example.net" || string(u.Host) != "example.com" {
			t.Errorf("URI user %q host %q, %v", u.User, u.Host, err)
		}
	})
	t.Run("longreq", func(t *testing.T) {
		n := 0
		for range parse(t, "longreq").Values("Via") {
			n++
		}
		if n != 34 {
			t.Errorf("%d Via values, want 34", n)
		}
	})
	t.Run("dblreq", func(t *testing.T) {
		m := parse(t, "dblreq")
		if m.Method() != REGISTER || len(m.Body()) != 0 {
			t.Errorf("method %q body %d bytes; want REGISTER with no body", m.Method(), len(m.Body()))
		}
	})
	t.Run("mpart01", func(t *testing.T) {
		m := parse(t, "mpart01")
		if len(m.Body()) != 553 || !bytes.Contains(m.Body(), []byte{0}) {
			t.Errorf("body %d bytes, want 553 with NULs", len(m.Body()))
		}
	})
	t.Run("unreason", func(t *testing.T) {
		m := parse(t, "unreason")
		if m.StatusCode() != 200 || !strings.HasPrefix(string(m.Reason()), "= 2**3 * 5**2 но") {
			t.Errorf("status %d reason %q", m.StatusCode(), m.Reason())
		}
	})
	t.Run("noreason", func(t *testing.T) {
		m := parse(t, "noreason")
		if m.StatusCode() != 100 || len(m.Reason()) != 0 {
			t.Errorf("status %d reason %q", m.StatusCode(), m.Reason())
		}
	})
	t.Run("badbranch", func(t *testing.T) {
		v, _ := parse(t, "badbranch").Via()
		if v.RFC3261Branch() {
			t.Error("a bare magic cookie counts as an RFC 3261 branch")
		}
	})
	t.Run("inv2543", func(t *testing.T) {
		m := parse(t, "inv2543")
		v, _ := m.Via()
		from, _ := m.From()
		_, hasMF, _ := m.MaxForwards()
		if v.Branch() != nil || from.Tag() != nil || hasMF || len(m.Body()) == 0 {
			t.Errorf("branch %q tag %q Max-Forwards %v body %d bytes", v.Branch(), from.Tag(), hasMF, len(m.Body()))
		}
	})
	t.Run("cparam01", func(t *testing.T) {
		c, _ := parse(t, "cparam01").Header("Contact")
		na, err := ParseNameAddr(c)
		if err != nil || na.URI.Params != nil || !na.Params.Has("unknownparam") {
			t.Errorf("URI params %q header params %q, %v", na.URI.Params, na.Params, err)
		}
	})
	t.Run("cparam02", func(t *testing.T) {
		c, _ := parse(t, "cparam02").Header("Contact")
		na, err := ParseNameAddr(c)
		if err != nil || !na.URI.Params.Has("unknownparam") || na.Params != nil {
			t.Errorf("URI params %q header params %q, %v", na.URI.Params, na.Params, err)
		}
	})
	t.Run("regescrt", func(t *testing.T) {
		c, _ := parse(t, "regescrt").Header("m")
		na, err := ParseNameAddr(c)
		if err != nil || string(na.URI.Headers) != "Route=%3Csip:sip.example.com%3E" {
			t.Errorf("URI headers %q, %v", na.URI.Headers, err)
		}
	})
	t.Run("transports", func(t *testing.T) {
		var got []string
		for v := range parse(t, "transports").Values("Via") {
			via, _ := ParseVia(v)
			got = append(got, string(via.Transport))
		}
		if strings.Join(got, ",") != "UDP,SCTP,TLS,UNKNOWN,TCP" {
			t.Errorf("transports %v", got)
		}
	})
}
