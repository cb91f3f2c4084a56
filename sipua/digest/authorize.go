package digest

import (
	"errors"
	"fmt"
)

// Credentials are what a user authenticates with.
type Credentials struct {
	// Username is the user name, sent in the username parameter.
	Username string
	// Password is the password; it is not used when HA1 is set.
	Password string
	// HA1, when set, replaces Password: the hexadecimal digest of
	// username ":" realm ":" password with the hash function of the
	// challenge's algorithm (MD5 for MD5 and MD5-sess, and so on), as a
	// registrar may store it. For a -sess algorithm the nonce and cnonce
	// are hashed in from it.
	HA1 string
	// Realm, when set, restricts the credentials to that realm: a Client
	// does not answer the challenges of other realms with them.
	Realm string
}

// Request is the request that credentials are computed for or checked
// against.
type Request struct {
	// Method is the request method, such as "REGISTER".
	Method string
	// URI is the digest-uri: the Request-URI as it is sent.
	URI string
	// Body is the message body, hashed only for qop=auth-int.
	Body []byte
}

// QOP values.
const (
	qopAuth    = "auth"
	qopAuthInt = "auth-int"
)

// qop returns the qop to answer c with: auth when offered, else auth-int
// when offered, else none.
func (c *Challenge) qop() string {
	switch {
	case c.QOPAuth:
		return qopAuth
	case c.QOPAuthInt:
		return qopAuthInt
	}
	return ""
}

// Authorize returns the value of the Authorization (for a WWW-Authenticate
// challenge) or Proxy-Authorization (for a Proxy-Authenticate challenge)
// header field that answers c for req, as RFC 7616 §3.4 lays it out:
//
//	Digest username="...", realm="...", nonce="...", uri="...",
//	 response="...", algorithm=..., cnonce="...", opaque="...", qop=auth,
//	 nc=00000001
//
// nc is the nonce count, 1 for the first request with c's nonce; cnonce is
// the client nonce, which must be unpredictable (see Client). Both are
// sent only when the challenge has qop, and cnonce also for a -sess
// algorithm, whose HA1 needs it. The qop chosen is auth when offered, else
// auth-int.
func (c *Challenge) Authorize(cred Credentials, req Request, nc uint32, cnonce string) (string, error) {
	b, err := c.AppendAuthorize(nil, cred, req, nc, cnonce)
	return string(b), err
}

// AppendAuthorize is Authorize appending the value to dst; on error dst is
// returned unchanged.
func (c *Challenge) AppendAuthorize(dst []byte, cred Credentials, req Request, nc uint32, cnonce string) ([]byte, error) {
	in := input{
		alg: c.Algorithm, username: cred.Username, password: cred.Password, ha1: cred.HA1,
		realm: c.Realm, nonce: c.Nonce, cnonce: cnonce, qop: c.qop(), nc: nc,
		method: req.Method, uri: req.URI, body: req.Body,
	}
	if err := in.check(); err != nil {
		return dst, err
	}
	for _, f := range [...]struct{ name, v string }{
		{"username", cred.Username}, {"uri", req.URI}, {"cnonce", cnonce},
		{"realm", c.Realm}, {"nonce", c.Nonce}, {"opaque", c.Opaque},
	} {
		if err := checkText(f.name, f.v); err != nil {
			return dst, err
		}
	}
	var buf [maxHexLen]byte
	resp, err := in.response(buf[:0])
	if err != nil {
		return dst, err
	}
	dst = append(dst, "Digest username="...)
	dst = appendQuoted(dst, cred.Username)
	dst = append(dst, ", realm="...)
	dst = appendQuoted(dst, c.Realm)
	dst = append(dst, ", nonce="...)
	dst = appendQuoted(dst, c.Nonce)
	dst = append(dst, ", uri="...)
	dst = appendQuoted(dst, req.URI)
	dst = append(dst, `, response="`...)
	dst = append(dst, resp...)
	dst = append(dst, `", algorithm=`...)
	dst = append(dst, c.Algorithm.String()...)
	if in.qop != "" || in.alg.Session() {
		dst = append(dst, ", cnonce="...)
		dst = appendQuoted(dst, cnonce)
	}
	if c.Opaque != "" {
		dst = append(dst, ", opaque="...)
		dst = appendQuoted(dst, c.Opaque)
	}
	if in.qop != "" {
		dst = append(dst, ", qop="...)
		dst = append(dst, in.qop...)
		dst = append(dst, ", nc="...)
		dst = appendNC(dst, nc)
	}
	return dst, nil
}

// maxHexLen is the length of the longest digest in hexadecimal.
const maxHexLen = 64

// input is what a response is computed from (RFC 7616 §3.4.1).
type input struct {
	alg                       Algorithm
	username, password, ha1   string
	realm, nonce, cnonce, qop string
	nc                        uint32
	method, uri               string
	body                      []byte
}

// check checks what response relies on.
func (in *input) check() error {
	switch {
	case !in.alg.valid():
		return fmt.Errorf("digest: unsupported algorithm %v", in.alg)
	case in.method == "":
		return errors.New("digest: request method empty")
	case (in.qop != "" || in.alg.Session()) && in.cnonce == "":
		return errors.New("digest: cnonce empty")
	case in.qop != "" && in.nc == 0:
		return errors.New("digest: nonce count 0: the count starts at 1")
	}
	return nil
}

// response appends the hexadecimal request-digest to dst:
//
//	HA1 = H(username ":" realm ":" password)
//	  -sess: H(H(username ":" realm ":" password) ":" nonce ":" cnonce)
//	HA2 = H(method ":" uri), with qop=auth-int H(method ":" uri ":" H(body))
//	response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)
//	  without qop: H(HA1 ":" nonce ":" HA2)
func (in *input) response(dst []byte) ([]byte, error) {
	var scratch [256]byte
	var ha1Buf, ha2Buf, bodyBuf [maxHexLen]byte
	alg := in.alg
	var ha1 []byte
	if in.ha1 != "" {
		if len(in.ha1) != alg.hexLen() || !isHex(in.ha1) {
			return dst, fmt.Errorf("digest: HA1 is not a hexadecimal %v digest", alg&^1)
		}
		ha1 = appendLower(ha1Buf[:0], in.ha1)
	} else {
		b := append(scratch[:0], in.username...)
		b = append(append(b, ':'), in.realm...)
		b = append(append(b, ':'), in.password...)
		ha1 = alg.appendSum(ha1Buf[:0], b)
	}
	if alg.Session() {
		b := append(scratch[:0], ha1...)
		b = append(append(b, ':'), in.nonce...)
		b = append(append(b, ':'), in.cnonce...)
		ha1 = alg.appendSum(ha1Buf[:0], b)
	}
	b := append(scratch[:0], in.method...)
	b = append(append(b, ':'), in.uri...)
	if in.qop == qopAuthInt {
		b = append(append(b, ':'), alg.appendSum(bodyBuf[:0], in.body)...)
	}
	ha2 := alg.appendSum(ha2Buf[:0], b)

	b = append(scratch[:0], ha1...)
	b = append(append(b, ':'), in.nonce...)
	if in.qop != "" {
		b = appendNC(append(b, ':'), in.nc)
		b = append(append(b, ':'), in.cnonce...)
		b = append(append(b, ':'), in.qop...)
	}
	b = append(append(b, ':'), ha2...)
	return alg.appendSum(dst, b), nil
}

// appendNC appends n as the 8 lower-case hexadecimal digits of nc-value.
func appendNC(dst []byte, n uint32) []byte {
	const digits = "0123456789abcdef"
	for shift := 28; shift >= 0; shift -= 4 {
		dst = append(dst, digits[n>>shift&0xf])
	}
	return dst
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// appendLower appends s with ASCII upper-case letters made lower-case.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}
