package digest

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"intercom/sipua/message"
)

// unauth401 is a registrar's answer to a REGISTER without credentials.
const unauth401 = "SIP/2.0 401 Unauthorized\r\n" +
	"Via: SIP/2.0/UDP 192.0.2.50:5060;rport=5060;received=192.0.2.50;branch=z9hG4bK-524287-1---1e8b7a6c5d4f3021\r\n" +
	"To: <sip:2001@pbx.example.com>;tag=as6f3a1c2d\r\n" +
	"From: <sip:2001@pbx.example.com>;tag=5b1c2e9a\r\n" +
	"Call-ID: 6a4f0d5e2c7b4b19a3e8f1d2c0b9a877@192.0.2.50\r\n" +
	"CSeq: 1 REGISTER\r\n" +
	"WWW-Authenticate: Digest realm=\"pbx.example.com\", nonce=\"6657a1b4000f5d2e8c91a7b3f4e5d6c7b8a9\",\r\n" +
	" opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", algorithm=SHA-256, qop=\"auth\"\r\n" +
	"WWW-Authenticate: Digest realm=\"pbx.example.com\", nonce=\"6657a1b4000f5d2e8c91a7b3f4e5d6c7b8a9\",\r\n" +
	" opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", algorithm=MD5, qop=\"auth\"\r\n" +
	"Server: ExamplePBX 20.5.0\r\n" +
	"Content-Length: 0\r\n\r\n"

func parse(t testing.TB, s string) *message.Message {
	t.Helper()
	m, err := message.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func register() *message.Message {
	m := new(message.Message)
	m.InitRequest(message.REGISTER, "sip:pbx.example.com")
	m.AddHeader("Call-ID", "6a4f0d5e2c7b4b19a3e8f1d2c0b9a877@192.0.2.50")
	return m
}

// challenge returns a response to req with the given status and
// WWW-Authenticate (401) or Proxy-Authenticate (407) values.
func challenge(req *message.Message, status int, vs ...string) *message.Message {
	m := new(message.Message)
	m.InitResponse(req, status, "Unauthorized", "t")
	name := "WWW-Authenticate"
	if status == 407 {
		name = "Proxy-Authenticate"
	}
	for _, v := range vs {
		m.AddHeader(name, v)
	}
	return m
}

// creds returns the credentials in req's header field name, parsed.
func creds(t *testing.T, req *message.Message, name string) []Authorization {
	t.Helper()
	var out []Authorization
	for v := range req.Values(name) {
		a, err := ParseAuthorization(v)
		if err != nil {
			t.Fatalf("%s: %s: %v", name, v, err)
		}
		out = append(out, a)
	}
	return out
}

// only returns the one credentials value of req's header field name.
func only(t *testing.T, req *message.Message, name string) Authorization {
	t.Helper()
	as := creds(t, req, name)
	if len(as) != 1 {
		t.Fatalf("%d %s header fields, want 1", len(as), name)
	}
	return as[0]
}

func TestClientRegister(t *testing.T) {
	cred := Credentials{Username: "2001", Password: "secret"}
	c := NewClient(cred)
	req := register()
	if err := c.Authorize(req); err != nil || len(creds(t, req, "Authorization")) != 0 {
		t.Fatalf("Authorize before any challenge: %v, %s", err, req)
	}

	stale, err := c.Challenged(req, parse(t, unauth401))
	if err != nil || stale {
		t.Fatalf("Challenged: %v, %v", stale, err)
	}
	var cnonces []string
	for nc := uint32(1); nc <= 3; nc++ {
		if err := c.Authorize(req); err != nil {
			t.Fatal(err)
		}
		// Through the wire and back.
		sent := parse(t, req.String())
		a := only(t, sent, "Authorization")
		if a.Algorithm != SHA256 || a.NC != nc || a.QOP != "auth" || a.Opaque != "5ccc069c403ebaf9f0171e9517f40e41" {
			t.Errorf("request %d: %+v", nc, a)
		}
		if err := a.Verify(Request{Method: "REGISTER", URI: "sip:pbx.example.com"}, cred); err != nil {
			t.Errorf("request %d: %v", nc, err)
		}
		cnonces = append(cnonces, a.CNonce)
	}
	if cnonces[0] == cnonces[1] || cnonces[1] == cnonces[2] || len(cnonces[0]) < 16 {
		t.Errorf("cnonces %q", cnonces)
	}

	// The nonce expires: stale=true, same credentials, count from 1.
	stale, err = c.Challenged(req, challenge(req, 401,
		`Digest realm="pbx.example.com", nonce="second", algorithm=SHA-256, qop="auth", stale=TRUE`))
	if err != nil || !stale {
		t.Fatalf("stale challenge: %v, %v", stale, err)
	}
	if err := c.Authorize(req); err != nil {
		t.Fatal(err)
	}
	if a := only(t, req, "Authorization"); a.Nonce != "second" || a.NC != 1 {
		t.Errorf("after stale: %+v", a)
	}

	// Challenged again, not stale, after sending credentials: refused.
	_, err = c.Challenged(req, challenge(req, 401, `Digest realm="pbx.example.com", nonce="third", qop="auth"`))
	if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), `realm "pbx.example.com"`) {
		t.Fatalf("second challenge: %v, want ErrRejected", err)
	}
	// ... and the Client is unchanged.
	if err := c.Authorize(req); err != nil {
		t.Fatal(err)
	}
	if a := only(t, req, "Authorization"); a.Nonce != "second" || a.NC != 2 {
		t.Errorf("after rejection: %+v", a)
	}

	// A request sent without credentials (say, before the first
	// challenge) is challenged: not a rejection.
	bare := register()
	if _, err := c.Challenged(bare, challenge(bare, 401, `Digest realm="pbx.example.com", nonce="fourth", qop="auth"`)); err != nil {
		t.Fatal(err)
	}
	if err := c.Authorize(req); err != nil {
		t.Fatal(err)
	}
	if a := only(t, req, "Authorization"); a.Nonce != "fourth" || a.NC != 1 || a.Algorithm != MD5 {
		t.Errorf("after a new challenge: %+v", a)
	}

	// The same nonce again keeps its count.
	if _, err := c.Challenged(nil, challenge(bare, 401, `Digest realm="pbx.example.com", nonce="fourth", qop="auth"`)); err != nil {
		t.Fatal(err)
	}
	if err := c.Authorize(req); err != nil {
		t.Fatal(err)
	}
	if a := only(t, req, "Authorization"); a.Nonce != "fourth" || a.NC != 2 {
		t.Errorf("same nonce again: %+v", a)
	}
}

func TestClientProxyAndRegistrar(t *testing.T) {
	cred := Credentials{Username: "door", Password: "pw"}
	c := NewClient(cred)
	invite := new(message.Message)
	invite.InitRequest(message.INVITE, "sip:flat1@pbx.example.org")
	invite.SetBody("application/sdp", []byte("v=0\r\n"))
	invite.AddHeader("Authorization", `Digest username="stale", realm="x", nonce="n", uri="u", response="r"`)

	if _, err := c.Challenged(invite, challenge(invite, 407,
		`Digest realm="proxy.example.org", nonce="p1", algorithm=SHA-512-256, qop="auth-int"`)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Challenged(invite, challenge(invite, 401,
		`Digest realm="pbx.example.org", nonce="r1", algorithm=MD5-sess, qop="auth"`)); err != nil {
		t.Fatal(err)
	}
	if err := c.Authorize(invite); err != nil {
		t.Fatal(err)
	}
	req := Request{Method: "INVITE", URI: "sip:flat1@pbx.example.org", Body: []byte("v=0\r\n")}
	p := only(t, invite, "Proxy-Authorization")
	if p.Realm != "proxy.example.org" || p.QOP != "auth-int" || p.Algorithm != SHA512_256 {
		t.Errorf("proxy credentials %+v", p)
	}
	a := only(t, invite, "Authorization") // the old one is gone
	if a.Realm != "pbx.example.org" || a.Algorithm != MD5Sess {
		t.Errorf("credentials %+v", a)
	}
	for _, x := range []Authorization{p, a} {
		if err := x.Verify(req, cred); err != nil {
			t.Errorf("%s: %v", x.Realm, err)
		}
	}
	// The proxy refuses them: its realm only.
	_, err := c.Challenged(invite, challenge(invite, 407, `Digest realm="proxy.example.org", nonce="p2", qop="auth"`))
	if !errors.Is(err, ErrRejected) {
		t.Errorf("proxy refusal: %v", err)
	}
	// A 401 for the registrar's realm is not answered by Proxy-Authorization.
	if !carried(invite, false, "pbx.example.org") || carried(invite, true, "pbx.example.org") {
		t.Error("carried mixes up the header fields")
	}
}

func TestClientErrors(t *testing.T) {
	c := NewClient(Credentials{Username: "door", Password: "pw", Realm: "pbx.example.org"})
	req := register()
	tests := []struct {
		resp *message.Message
		want string
	}{
		{challenge(req, 401), "digest: no challenge"},
		{challenge(req, 401, `Basic realm="pbx.example.org"`), `scheme "Basic" is not Digest`},
		{challenge(req, 407, `Digest realm="pbx.example.org", nonce="n", algorithm=SHA-1`), `unsupported algorithm "SHA-1"`},
		{challenge(req, 401, `Digest realm="evil.example.com", nonce="n"`), `no credentials for realm "evil.example.com"`},
	}
	for _, tt := range tests {
		stale, err := c.Challenged(req, tt.resp)
		if err == nil || stale || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Challenged(%s): %v, %v; want %q", tt.resp, stale, err, tt.want)
		}
	}
	if err := c.Authorize(req); err != nil || len(creds(t, req, "Authorization")) != 0 {
		t.Errorf("the Client kept a challenge: %v, %s", err, req)
	}

	// Credentials a challenge cannot be answered with.
	bad := NewClient(Credentials{Username: "door", HA1: "not hex"})
	if _, err := bad.Challenged(nil, challenge(req, 401, `Digest realm="r", nonce="n"`)); err != nil {
		t.Fatal(err)
	}
	if err := bad.Authorize(req); err == nil || !strings.Contains(err.Error(), `HA1 is not a hexadecimal MD5 digest (realm "r")`) {
		t.Errorf("Authorize with a bad HA1: %v", err)
	}
}

func TestClientRealmLimit(t *testing.T) {
	c := NewClient(Credentials{Username: "u", Password: "p"})
	req := register()
	for i := range maxRealms + 3 {
		realm := string(rune('a' + i))
		if _, err := c.Challenged(nil, challenge(req, 401, `Digest realm="`+realm+`", nonce="n"`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Authorize(req); err != nil {
		t.Fatal(err)
	}
	as := creds(t, req, "Authorization")
	if len(as) != maxRealms || as[0].Realm != "d" {
		t.Errorf("%d realms, first %q", len(as), as[0].Realm)
	}
}

func TestClientConcurrent(t *testing.T) {
	c := NewClient(Credentials{Username: "u", Password: "p"})
	if _, err := c.Challenged(nil, challenge(register(), 401, `Digest realm="r", nonce="n", qop="auth"`)); err != nil {
		t.Fatal(err)
	}
	const n = 4 * 25
	var mu sync.Mutex
	seen := make(map[uint32]bool)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range n / 4 {
				req := register()
				if err := c.Authorize(req); err != nil {
					t.Error(err)
					return
				}
				v, _ := req.Header("Authorization")
				a, err := ParseAuthorization(v)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[a.NC] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for nc := uint32(1); nc <= n; nc++ {
		if !seen[nc] {
			t.Errorf("nonce count %d not used", nc)
		}
	}
}
