package digest

import (
	"errors"
	"strings"
	"testing"
)

// TestRoundTrip answers a challenge for every algorithm and qop and checks
// the answer with Verify, and that Verify refuses it for anything changed.
func TestRoundTrip(t *testing.T) {
	cred := Credentials{Username: `door "main" \ 1`, Password: "pässwörd"}
	req := Request{Method: "INVITE", URI: "sip:flat1@pbx.example.org;transport=tcp", Body: []byte("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n")}
	for a := range numAlgorithms {
		for _, qop := range []string{"auth", "auth-int", "auth, auth-int", ""} {
			t.Run(a.String()+"/"+qop, func(t *testing.T) {
				value := `Digest realm="pbx \"x\"", nonce="n1", opaque="op", algorithm=` + a.String()
				if qop != "" {
					value += `, qop="` + qop + `"`
				}
				ch, err := ParseChallenge([]byte(value))
				if err != nil {
					t.Fatal(err)
				}
				got, err := ch.Authorize(cred, req, 7, "c-nonce")
				if err != nil {
					t.Fatal(err)
				}
				auth, err := ParseAuthorization([]byte(got))
				if err != nil {
					t.Fatalf("%s: %v", got, err)
				}
				wantQOP := map[string]string{"auth": "auth", "auth-int": "auth-int", "auth, auth-int": "auth"}[qop]
				if auth.Username != cred.Username || auth.Realm != `pbx "x"` || auth.Nonce != "n1" ||
					auth.Opaque != "op" || auth.Algorithm != a || auth.QOP != wantQOP || auth.URI != req.URI {
					t.Errorf("parsed back %+v from %s", auth, got)
				}
				if wantQOP != "" && (auth.NC != 7 || auth.CNonce != "c-nonce") {
					t.Errorf("nc %d cnonce %q", auth.NC, auth.CNonce)
				}
				if wantQOP == "" && strings.Contains(got, "nc=") {
					t.Errorf("nc sent without qop: %s", got)
				}
				if (wantQOP != "" || a.Session()) != strings.Contains(got, "cnonce=") {
					t.Errorf("cnonce sent or not wrongly: %s", got)
				}
				if err := auth.Verify(req, cred); err != nil {
					t.Fatal(err)
				}
				ha1 := Credentials{Username: cred.Username, HA1: h(a, cred.Username+`:pbx "x":`+cred.Password)}
				if err := auth.Verify(req, ha1); err != nil {
					t.Errorf("with HA1: %v", err)
				}

				mismatches := map[string]func(*Authorization, *Request, *Credentials){
					"password": func(_ *Authorization, _ *Request, c *Credentials) { c.Password += "x" },
					"method":   func(_ *Authorization, r *Request, _ *Credentials) { r.Method = "BYE" },
					"nonce":    func(a *Authorization, _ *Request, _ *Credentials) { a.Nonce = "n2" },
					"realm":    func(a *Authorization, _ *Request, _ *Credentials) { a.Realm = "other" },
					"response": func(a *Authorization, _ *Request, _ *Credentials) { a.Response = a.Response[:len(a.Response)-1] },
				}
				if wantQOP != "" {
					mismatches["nc"] = func(a *Authorization, _ *Request, _ *Credentials) { a.NC++ }
					mismatches["cnonce"] = func(a *Authorization, _ *Request, _ *Credentials) { a.CNonce += "x" }
				}
				if wantQOP == "auth-int" {
					mismatches["body"] = func(_ *Authorization, r *Request, _ *Credentials) { r.Body = []byte("v=1") }
				}
				for name, change := range mismatches {
					a2, r2, c2 := auth, req, cred
					change(&a2, &r2, &c2)
					if err := a2.Verify(r2, c2); !errors.Is(err, ErrMismatch) {
						t.Errorf("changed %s: %v, want ErrMismatch", name, err)
					}
				}
				if wantQOP != "auth-int" {
					r2 := req
					r2.Body = nil
					if err := auth.Verify(r2, cred); err != nil {
						t.Errorf("body hashed without auth-int: %v", err)
					}
				}
				r2 := req
				r2.URI = "sip:flat2@pbx.example.org"
				if err := auth.Verify(r2, cred); err == nil || !strings.Contains(err.Error(), "not the Request-URI") {
					t.Errorf("other Request-URI: %v", err)
				}
				c2 := cred
				c2.Username = "other"
				if err := auth.Verify(req, c2); err == nil || errors.Is(err, ErrMismatch) {
					t.Errorf("other user: %v", err)
				}
			})
		}
	}
}

func TestAuthorizeErrors(t *testing.T) {
	ch := Challenge{Realm: "r", Nonce: "n", QOPAuth: true}
	cred := Credentials{Username: "u", Password: "p"}
	req := Request{Method: "REGISTER", URI: "sip:r"}
	tests := []struct {
		name   string
		ch     Challenge
		cred   Credentials
		req    Request
		nc     uint32
		cnonce string
		want   string
	}{
		{"nc 0", ch, cred, req, 0, "c", "nonce count 0"},
		{"no cnonce", ch, cred, req, 1, "", "cnonce empty"},
		{"no cnonce for -sess", Challenge{Realm: "r", Nonce: "n", Algorithm: MD5Sess}, cred, req, 1, "", "cnonce empty"},
		{"no method", ch, cred, Request{URI: "sip:r"}, 1, "c", "request method empty"},
		{"CRLF in username", ch, Credentials{Username: "u\r\nVia: x", Password: "p"}, req, 1, "c", "username has a control character"},
		{"CRLF in uri", ch, cred, Request{Method: "REGISTER", URI: "sip:r\n"}, 1, "c", "uri has a control character"},
		{"short HA1", ch, Credentials{Username: "u", HA1: "abcd"}, req, 1, "c", "HA1 is not a hexadecimal MD5 digest"},
		{"SHA-256 HA1 for MD5", ch, Credentials{Username: "u", HA1: strings.Repeat("a", 64)}, req, 1, "c", "HA1 is not"},
		{"HA1 not hex", Challenge{Realm: "r", Nonce: "n", Algorithm: SHA256Sess}, Credentials{Username: "u", HA1: strings.Repeat("g", 64)}, req, 1, "c", "HA1 is not a hexadecimal SHA-256 digest"},
	}
	for _, tt := range tests {
		got, err := tt.ch.AppendAuthorize([]byte("x"), tt.cred, tt.req, tt.nc, tt.cnonce)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
		if string(got) != "x" {
			t.Errorf("%s: dst changed to %q", tt.name, got)
		}
	}
	// RFC 2069 style needs neither nc nor cnonce.
	if _, err := (&Challenge{Realm: "r", Nonce: "n"}).Authorize(cred, req, 0, ""); err != nil {
		t.Errorf("no qop: %v", err)
	}
}

func TestParseAuthorizationErrors(t *testing.T) {
	const ok = `Digest username="u", realm="r", nonce="n", uri="sip:r", response="0123", `
	tests := []struct{ in, want string }{
		{`Basic dXNlcjpwYXNz`, `scheme "Basic" is not Digest`},
		{`Digest realm="r", nonce="n", uri="sip:r", response="0123"`, "username parameter missing"},
		{`Digest username="u", realm="r", nonce="n", response="0123"`, "uri parameter missing"},
		{`Digest username="u", realm="r", nonce="n", uri="sip:r"`, "response parameter missing"},
		{ok + `qop=auth, nc=00000001`, "cnonce parameter missing"},
		{ok + `qop=auth, cnonce="c"`, "nc parameter missing"},
		{ok + `qop=auth, cnonce="c", nc=1`, `nc "1" is not 8 hexadecimal digits`},
		{ok + `qop=auth, cnonce="c", nc=0000000g`, `nc "0000000g"`},
		{ok + `qop=auth, cnonce="c", nc=00000000`, `nc "00000000"`},
		{ok + `qop=auth, cnonce="c", nc=+0000001`, `nc "+0000001"`},
		{ok + `qop=auth-conf, cnonce="c", nc=00000001`, `qop "auth-conf" is neither auth nor auth-int`},
		{ok + `algorithm=MD4`, `unsupported algorithm "MD4"`},
		{ok + `username="v"`, "username parameter given twice"},
	}
	for _, tt := range tests {
		_, err := ParseAuthorization([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseAuthorization(%q): error %v, want %q", tt.in, err, tt.want)
		}
	}
	a, err := ParseAuthorization([]byte(ok + `QOP=Auth-Int, cnonce="c", NC=0000000A, algorithm=sha-256-SESS`))
	if err != nil || a.QOP != "auth-int" || a.NC != 10 || a.Algorithm != SHA256Sess {
		t.Errorf("got %+v, %v", a, err)
	}
	a.Response = strings.Repeat("a", 200)
	if err := a.Verify(Request{Method: "A", URI: "sip:r"}, Credentials{Username: "u"}); !errors.Is(err, ErrMismatch) {
		t.Errorf("long response: %v", err)
	}
}
