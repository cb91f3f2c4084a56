package digest

import (
	"errors"
	"testing"
)

// FuzzParseChallenge checks that ParseChallenge never panics, and that a
// challenge it accepts can be answered with credentials that parse back
// and verify.
func FuzzParseChallenge(f *testing.F) {
	for _, v := range vectors {
		f.Add([]byte(v.challenge))
	}
	for _, s := range []string{
		`Digest realm="r", nonce="n", algorithm=SHA-512-256-sess, qop="auth-int", stale=true, opaque="o"`,
		`digest realm = "a \"b\"" ,, nonce=YWJj/+=, algorithm="SHA-256", qop=" auth-conf , auth "`,
		`Digest realm="r, nonce="n"`,
		`Digest realm="r", nonce="n\`,
		`Basic realm="r"`,
	} {
		f.Add([]byte(s))
	}
	cred := Credentials{Username: `u "x"`, Password: "p"}
	req := Request{Method: "REGISTER", URI: "sip:r", Body: []byte("body")}
	f.Fuzz(func(t *testing.T, value []byte) {
		ch, err := ParseChallenge(value)
		if err != nil {
			return
		}
		if ch.Realm == "" || ch.Nonce == "" {
			t.Fatalf("%q: accepted without realm or nonce", value)
		}
		v, err := ch.Authorize(cred, req, 1, "c")
		if err != nil {
			return // a control character in a value: refused, not sent
		}
		a, err := ParseAuthorization([]byte(v))
		if err != nil {
			t.Fatalf("%q: own credentials %q do not parse: %v", value, v, err)
		}
		if a.Realm != ch.Realm || a.Nonce != ch.Nonce || a.Opaque != ch.Opaque || a.Algorithm != ch.Algorithm {
			t.Fatalf("%q: %+v parsed back as %+v", value, ch, a)
		}
		if err := a.Verify(req, cred); err != nil {
			t.Fatalf("%q: own credentials %q do not verify: %v", value, v, err)
		}
		cred2 := cred
		cred2.Password = "q"
		if err := a.Verify(req, cred2); !errors.Is(err, ErrMismatch) {
			t.Fatalf("%q: verified with the wrong password: %v", value, err)
		}
	})
}

// FuzzParseAuthorization checks that ParseAuthorization and Verify never
// panic.
func FuzzParseAuthorization(f *testing.F) {
	for _, v := range vectors {
		f.Add([]byte(v.authorization))
	}
	f.Add([]byte(`Digest username="u", realm="r", nonce="n", uri="sip:r", response="0123", qop=auth, cnonce="c", nc=0000000A`))
	f.Fuzz(func(t *testing.T, value []byte) {
		a, err := ParseAuthorization(value)
		if err != nil {
			return
		}
		_ = a.Verify(Request{Method: "INVITE", URI: a.URI}, Credentials{Username: a.Username, Password: "p"})
	})
}
