package digest

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"strings"
	"testing"
)

// Published examples. The responses were also recomputed with Python's
// hashlib, independently of this package.
var vectors = []struct {
	name      string
	challenge string
	cred      Credentials
	req       Request
	cnonce    string
	// response is the published request-digest; authorization, when set,
	// is the published credentials value, which Verify must accept.
	response      string
	authorization string
}{
	{
		// RFC 7616 §3.9.1, MD5 (password "Circle of Life", erratum 4495).
		name: "RFC 7616 MD5",
		challenge: `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, ` +
			`nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
		cred:     Credentials{Username: "Mufasa", Password: "Circle of Life"},
		req:      Request{Method: "GET", URI: "/dir/index.html"},
		cnonce:   "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
		response: "8ca523f5e9506fed4657c9700eebdbec",
		authorization: `Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", ` +
			`algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, ` +
			`cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, ` +
			`response="8ca523f5e9506fed4657c9700eebdbec", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
	},
	{
		// RFC 7616 §3.9.1, SHA-256.
		name: "RFC 7616 SHA-256",
		challenge: `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, ` +
			`nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
		cred:     Credentials{Username: "Mufasa", Password: "Circle of Life"},
		req:      Request{Method: "GET", URI: "/dir/index.html"},
		cnonce:   "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
		response: "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
		authorization: `Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", ` +
			`algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, ` +
			`cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, ` +
			`response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", ` +
			`opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
	},
	{
		// RFC 2617 §3.5 (password "Circle Of Life").
		name: "RFC 2617",
		challenge: `Digest realm="testrealm@host.com", qop="auth,auth-int", ` +
			`nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
		cred:     Credentials{Username: "Mufasa", Password: "Circle Of Life"},
		req:      Request{Method: "GET", URI: "/dir/index.html"},
		cnonce:   "0a4f113b",
		response: "6629fae49393a05397450978507c4ef1",
		authorization: `Digest username="Mufasa", realm="testrealm@host.com", ` +
			`nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, ` +
			`cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
	},
	{
		// RFC 2069 §2.4: no qop.
		name: "RFC 2069",
		challenge: `Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ` +
			`opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
		cred:     Credentials{Username: "Mufasa", Password: "CircleOfLife"},
		req:      Request{Method: "GET", URI: "/dir/index.html"},
		response: "1949323746fe6a43ef61f9606e7febea",
		authorization: `Digest username="Mufasa", realm="testrealm@host.com", ` +
			`nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", ` +
			`response="1949323746fe6a43ef61f9606e7febea", opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
	},
}

func TestVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			ch, err := ParseChallenge([]byte(v.challenge))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ch.Authorize(v.cred, v.req, 1, v.cnonce)
			if err != nil {
				t.Fatal(err)
			}
			a, err := ParseAuthorization([]byte(got))
			if err != nil {
				t.Fatalf("own value %q: %v", got, err)
			}
			if a.Response != v.response {
				t.Errorf("response %s, want %s", a.Response, v.response)
			}
			if err := a.Verify(v.req, v.cred); err != nil {
				t.Errorf("own value: %v", err)
			}
			published, err := ParseAuthorization([]byte(v.authorization))
			if err != nil {
				t.Fatalf("published value: %v", err)
			}
			if err := published.Verify(v.req, v.cred); err != nil {
				t.Errorf("published value: %v", err)
			}
		})
	}
}

// TestAuthorizeLayout checks the whole value for the RFC 7616 example.
func TestAuthorizeLayout(t *testing.T) {
	v := vectors[0]
	ch, err := ParseChallenge([]byte(v.challenge))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ch.Authorize(v.cred, v.req, 1, v.cnonce)
	if err != nil {
		t.Fatal(err)
	}
	want := `Digest username="Mufasa", realm="http-auth@example.org", ` +
		`nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", uri="/dir/index.html", ` +
		`response="8ca523f5e9506fed4657c9700eebdbec", algorithm=MD5, ` +
		`cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", ` +
		`opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", qop=auth, nc=00000001`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// h is the hash of alg's family in hexadecimal, written apart from the
// package's own code.
func h(alg Algorithm, s string) string {
	switch alg {
	case MD5, MD5Sess:
		sum := md5.Sum([]byte(s))
		return hex.EncodeToString(sum[:])
	case SHA256, SHA256Sess:
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	sum := sha512.Sum512_256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestRegisterByHand computes the response to a registrar's challenge step
// by step, as RFC 7616 §3.4 writes it, and also compares it with values
// computed with Python's hashlib.
func TestRegisterByHand(t *testing.T) {
	const (
		user, realm, pass = "door", "pbx.example.org", "s3cret door"
		nonce, cnonce     = "6657a1b4000f5d2e8c91a7b3f4e5d6c7b8a9", "0a4f113b"
		uri               = "sip:pbx.example.org"
	)
	tests := []struct {
		alg    Algorithm
		qop    string
		method string
		uri    string
		body   string
		nc     uint32
		python string
	}{
		{alg: MD5Sess, qop: "auth", method: "REGISTER", uri: uri, nc: 1,
			python: "77486f82e4ac9dea772e570ecfe39a87"},
		{alg: SHA512_256, qop: "auth", method: "REGISTER", uri: uri, nc: 1,
			python: "0c3443d3938df358e94db06a314bc70f2c93518afb1395c123771f5c20cc370e"},
		{alg: SHA512_256Sess, qop: "auth", method: "REGISTER", uri: uri, nc: 1,
			python: "f536b317fa5dbf41f289c8d653c0354642812b6898ff500f03d0c78d89c70ade"},
		{alg: SHA256Sess, qop: "auth", method: "REGISTER", uri: uri, nc: 1,
			python: "ebe293f340ed60e8935262207d07be00f1087126145a8e5ee05a147187f974d0"},
		{alg: SHA512_256, qop: "auth-int", method: "INVITE", uri: "sip:flat1@pbx.example.org", body: "v=0\r\n", nc: 2,
			python: "85d5598b64171f4edab023cae5c65215940cc86e27b8d0a15df2b0fdbbfeb7d7"},
	}
	for _, tt := range tests {
		t.Run(tt.alg.String()+"/"+tt.qop, func(t *testing.T) {
			ha1 := h(tt.alg, user+":"+realm+":"+pass)
			if tt.alg.Session() {
				ha1 = h(tt.alg, ha1+":"+nonce+":"+cnonce)
			}
			a2 := tt.method + ":" + tt.uri
			if tt.qop == "auth-int" {
				a2 += ":" + h(tt.alg, tt.body)
			}
			nc := strings.Repeat("0", 7) + string(rune('0'+tt.nc))
			want := h(tt.alg, ha1+":"+nonce+":"+nc+":"+cnonce+":"+tt.qop+":"+h(tt.alg, a2))
			if want != tt.python {
				t.Fatalf("by hand %s, Python %s", want, tt.python)
			}

			value := `Digest realm="pbx.example.org", nonce="` + nonce + `", algorithm=` + tt.alg.String() +
				`, qop="` + tt.qop + `"`
			ch, err := ParseChallenge([]byte(value))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ch.Authorize(Credentials{Username: user, Password: pass},
				Request{Method: tt.method, URI: tt.uri, Body: []byte(tt.body)}, tt.nc, cnonce)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got, `response="`+want+`"`) || !strings.Contains(got, "nc="+nc) ||
				!strings.Contains(got, "qop="+tt.qop+",") {
				t.Errorf("got %s, want response %s", got, want)
			}

			// The same with the HA1 a registrar stores instead of the password.
			got2, err := ch.Authorize(Credentials{Username: user, HA1: strings.ToUpper(h(tt.alg, user+":"+realm+":"+pass))},
				Request{Method: tt.method, URI: tt.uri, Body: []byte(tt.body)}, tt.nc, cnonce)
			if err != nil || got2 != got {
				t.Errorf("with HA1: %s, %v", got2, err)
			}
		})
	}
}
