package message

import "testing"

func TestParseNameAddr(t *testing.T) {
	tests := []struct {
		in                   string
		display, uri, params string
		tag                  string
		wantErr              bool
	}{
		{in: `"Lobby Door" <sip:2001@192.0.2.50>;tag=9fxced76sl`, display: `"Lobby Door"`, uri: "sip:2001@192.0.2.50", params: ";tag=9fxced76sl", tag: "9fxced76sl"},
		{in: `<sip:flat1@pbx.example.org>`, uri: "sip:flat1@pbx.example.org"},
		{in: `sip:flat1@pbx.example.org;tag=abc`, uri: "sip:flat1@pbx.example.org", params: ";tag=abc", tag: "abc"},
		{in: `Flat One <sip:flat1@pbx.example.org;transport=tcp>;expires=60`, display: "Flat One", uri: "sip:flat1@pbx.example.org;transport=tcp", params: ";expires=60"},
		{in: `caller<sip:caller@example.com>;tag=323`, display: "caller", uri: "sip:caller@example.com", params: ";tag=323", tag: "323"},
		{in: `  <sip:a@b> ; tag = x ; q=0.5 `, uri: "sip:a@b", params: "; tag = x ; q=0.5 ", tag: "x"},
		{in: `"a \"quoted\" name" <tel:+4930123>`, display: `"a \"quoted\" name"`, uri: "tel:+4930123"},
		{in: `<sip:[2001:db8::5]:5060>;received=[2001:db8::9]`, uri: "sip:[2001:db8::5]:5060", params: ";received=[2001:db8::9]"},
		{in: `<urn:service:sos>`, uri: "urn:service:sos"},
		{in: ``, wantErr: true},
		{in: `"unterminated <sip:a@b>`, wantErr: true},
		{in: `"name" sip:a@b`, wantErr: true},
		{in: `<sip:a@b`, wantErr: true},
		{in: `< sip:a@b>`, wantErr: true},
		{in: `<sip:a@b >`, wantErr: true},
		{in: `sip:a@b?x=y`, wantErr: true},
		{in: `Bell, Alex <sip:a@b>`, wantErr: true},
		{in: `<sip:a@b>;;`, wantErr: true},
		{in: `<sip:a@b>;tag=`, wantErr: true},
		{in: `<sip:a@b> junk`, wantErr: true},
		{in: `<sip:a@b>;x="open`, wantErr: true},
	}
	for _, tt := range tests {
		n, err := ParseNameAddr([]byte(tt.in))
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseNameAddr(%q) = %+v, want an error", tt.in, n)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseNameAddr(%q): %v", tt.in, err)
			continue
		}
		if string(n.DisplayName) != tt.display || n.URI.String() != tt.uri || string(n.Params) != tt.params || string(n.Tag()) != tt.tag {
			t.Errorf("ParseNameAddr(%q) = display %q uri %q params %q tag %q", tt.in, n.DisplayName, n.URI.String(), n.Params, n.Tag())
		}
		again, err := ParseNameAddr(n.AppendTo(nil))
		if err != nil || again.URI.String() != tt.uri || string(again.Tag()) != tt.tag {
			t.Errorf("%q does not survive AppendTo: %q, %v", tt.in, n.AppendTo(nil), err)
		}
	}
}

func TestParseVia(t *testing.T) {
	tests := []struct {
		in                string
		transport, host   string
		port              int
		branch, received  string
		rport             int
		hasRPort, rfc3261 bool
		wantErr           bool
	}{
		{in: "SIP/2.0/UDP 192.0.2.50:5060;rport;branch=z9hG4bK-524287-1", transport: "UDP", host: "192.0.2.50", port: 5060, branch: "z9hG4bK-524287-1", hasRPort: true, rfc3261: true},
		{in: "SIP/2.0/TCP door.local;branch=z9hG4bKx;received=203.0.113.7;rport=41234", transport: "TCP", host: "door.local", branch: "z9hG4bKx", received: "203.0.113.7", rport: 41234, hasRPort: true, rfc3261: true},
		// RFC 3261's via-received takes an IPv6 address without brackets.
		{in: "SIP/2.0/UDP [2001:db8::5]:5060;rport=5060;branch=z9hG4bKx;received=2001:db8::9", transport: "UDP", host: "[2001:db8::5]", port: 5060, branch: "z9hG4bKx", received: "2001:db8::9", rport: 5060, hasRPort: true, rfc3261: true},
		{in: "SIP / 2.0 / TLS [2001:db8::1] : 5061 ; branch = z9hG4bKabc", transport: "TLS", host: "[2001:db8::1]", port: 5061, branch: "z9hG4bKabc", rfc3261: true},
		{in: "SIP/2.0/UDP iftgw.example.com", transport: "UDP", host: "iftgw.example.com"},
		{in: "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK", transport: "UDP", host: "192.0.2.1", branch: "z9hG4bK"},
		{in: "sip/2.0/ws df7jal23ls0d.invalid;branch=z9hG4bKa", transport: "ws", host: "df7jal23ls0d.invalid", branch: "z9hG4bKa", rfc3261: true},
		{in: "SIP/2.0/UDP", wantErr: true},
		{in: "SIP/2.0 192.0.2.1", wantErr: true},
		{in: "HTTP/1.1/TCP host", wantErr: true},
		{in: "SIP/2.0/UDP host:0", wantErr: true},
		{in: "SIP/2.0/UDP host:70000", wantErr: true},
		{in: "SIP/2.0/UDP host;;", wantErr: true},
		{in: "SIP/2.0/UDP host junk", wantErr: true},
		{in: "SIP/2.0/UDPhost", wantErr: true},
	}
	for _, tt := range tests {
		v, err := ParseVia([]byte(tt.in))
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseVia(%q) = %+v, want an error", tt.in, v)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseVia(%q): %v", tt.in, err)
			continue
		}
		rport, hasRPort := v.RPort()
		if string(v.Transport) != tt.transport || string(v.Host) != tt.host || v.Port != tt.port ||
			string(v.Branch()) != tt.branch || string(v.Received()) != tt.received ||
			rport != tt.rport || hasRPort != tt.hasRPort || v.RFC3261Branch() != tt.rfc3261 {
			t.Errorf("ParseVia(%q) = transport %q host %q port %d branch %q received %q rport %d,%v rfc3261 %v",
				tt.in, v.Transport, v.Host, v.Port, v.Branch(), v.Received(), rport, hasRPort, v.RFC3261Branch())
		}
		again, err := ParseVia(v.AppendTo(nil))
		if err != nil || string(again.Branch()) != tt.branch || string(again.Host) != tt.host || again.Port != tt.port {
			t.Errorf("%q does not survive AppendTo: %q, %v", tt.in, v.AppendTo(nil), err)
		}
	}
}

func TestParseCSeq(t *testing.T) {
	for in, want := range map[string]CSeq{
		"1 INVITE":       {1, INVITE},
		"  0009 \t ACK ": {9, ACK},
		"4294967295 BYE": {4294967295, BYE},
		"7 NEWMETHOD":    {7, "NEWMETHOD"},
	} {
		got, err := ParseCSeq([]byte(in))
		if err != nil || got != want {
			t.Errorf("ParseCSeq(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "INVITE", "1", "1INVITE", "4294967296 INVITE", "-1 INVITE", "1 INV ITE", "1 INVITE;x"} {
		if got, err := ParseCSeq([]byte(in)); err == nil {
			t.Errorf("ParseCSeq(%q) = %+v, want an error", in, got)
		}
	}
}

func TestChallenge(t *testing.T) {
	c, err := ParseChallenge([]byte(`Digest realm="pbx.example.org", nonce="a,b", algorithm=SHA-256, qop="auth,auth-int", stale=TRUE`))
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Scheme) != "Digest" {
		t.Errorf("scheme %q", c.Scheme)
	}
	for name, want := range map[string]string{"realm": "pbx.example.org", "nonce": "a,b", "ALGORITHM": "SHA-256", "qop": "auth,auth-int", "stale": "TRUE"} {
		if v, ok := c.Param(name); !ok || string(v) != want {
			t.Errorf("%s = %q, %v; want %q", name, v, ok, want)
		}
	}
	if _, ok := c.Param("opaque"); ok {
		t.Error("opaque found")
	}
	for _, in := range []string{"", `"Digest" realm=x`, "Digest,realm=x"} {
		if _, err := ParseChallenge([]byte(in)); err == nil {
			t.Errorf("ParseChallenge(%q) accepted", in)
		}
	}
}

func TestContactParams(t *testing.T) {
	tests := []struct {
		in            string
		expires       uint32
		hasExp        bool
		q             int
		hasQ, wantErr bool
	}{
		{in: "<sip:a@b>;expires=3600;q=0.7", expires: 3600, hasExp: true, q: 700, hasQ: true},
		{in: "<sip:a@b>;q=1.000", q: 1000, hasQ: true},
		{in: "<sip:a@b>;q=0", q: 0, hasQ: true},
		{in: "<sip:a@b>;q=0.123", q: 123, hasQ: true},
		{in: "<sip:a@b>"},
		{in: "<sip:a@b>;q=1.5", hasQ: true, wantErr: true},
		{in: "<sip:a@b>;q=0.1234", hasQ: true, wantErr: true},
		{in: "<sip:a@b>;q=2", hasQ: true, wantErr: true},
		{in: "<sip:a@b>;expires=280297596632815", hasExp: true, wantErr: true},
	}
	for _, tt := range tests {
		n, err := ParseNameAddr([]byte(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		exp, hasExp, errExp := n.Expires()
		q, hasQ, errQ := n.Q()
		gotErr := errExp != nil || errQ != nil
		if gotErr != tt.wantErr || hasExp != tt.hasExp || hasQ != tt.hasQ || (!tt.wantErr && (exp != tt.expires || q != tt.q)) {
			t.Errorf("%q: expires %d %v %v, q %d %v %v", tt.in, exp, hasExp, errExp, q, hasQ, errQ)
		}
	}
}

func TestUnquoteUnescape(t *testing.T) {
	for in, want := range map[string]string{`"J Rosenberg \\\""`: `J Rosenberg \"`, `"a"`: "a", `plain`: "plain", `""`: ""} {
		if got := string(AppendUnquoted(nil, []byte(in))); got != want {
			t.Errorf("AppendUnquoted(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"%75se%72": "user", "null-%00-null": "null-\x00-null", "v%61lue%25%34%31": "value%41", "50%": "50%", "%zz": "%zz"} {
		if got := string(AppendUnescaped(nil, []byte(in))); got != want {
			t.Errorf("AppendUnescaped(%q) = %q, want %q", in, got, want)
		}
	}
}
