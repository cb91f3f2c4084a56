package digest

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Authorization is the Digest credentials of an Authorization or
// Proxy-Authorization header field (RFC 7616 §3.4), as a server reads them.
type Authorization struct {
	Username string
	Realm    string
	Nonce    string
	// URI is the digest-uri, which must be the Request-URI.
	URI string
	// Response is the request-digest in hexadecimal.
	Response  string
	Algorithm Algorithm
	// CNonce and NC are the client nonce and the nonce count, set when
	// QOP is; CNonce is also set for a -sess algorithm without qop.
	CNonce string
	NC     uint32
	// QOP is "auth", "auth-int" or, for RFC 2069 credentials, empty.
	QOP    string
	Opaque string
}

// ErrMismatch is returned by Verify when the response is not the one the
// credentials give: a wrong password, or a request other than the one the
// credentials were computed for.
var ErrMismatch = errors.New("digest: response does not match")

// ParseAuthorization parses an Authorization or Proxy-Authorization value
// with the Digest scheme. It requires username, realm, nonce, uri and
// response, and with qop also cnonce and an nc of 8 hexadecimal digits.
func ParseAuthorization(value []byte) (Authorization, error) {
	p, err := parseAuthParams(value)
	if err != nil {
		return Authorization{}, err
	}
	var a Authorization
	for _, f := range [...]struct {
		name string
		dst  *string
	}{
		{"username", &a.Username}, {"realm", &a.Realm}, {"nonce", &a.Nonce},
		{"uri", &a.URI}, {"response", &a.Response},
	} {
		if *f.dst, err = p.require(f.name); err != nil {
			return Authorization{}, err
		}
	}
	if a.Algorithm, err = p.algorithm(); err != nil {
		return Authorization{}, err
	}
	a.Opaque, _ = p.get("opaque")
	a.CNonce, _ = p.get("cnonce") // also sent without qop for -sess
	qop, ok := p.get("qop")
	if !ok {
		return a, nil
	}
	switch {
	case strings.EqualFold(qop, qopAuth):
		a.QOP = qopAuth
	case strings.EqualFold(qop, qopAuthInt):
		a.QOP = qopAuthInt
	default:
		return Authorization{}, fmt.Errorf("digest: qop %s is neither auth nor auth-int", quote(qop))
	}
	if _, err = p.require("cnonce"); err != nil {
		return Authorization{}, err
	}
	nc, err := p.require("nc")
	if err != nil {
		return Authorization{}, err
	}
	n, err := strconv.ParseUint(nc, 16, 32)
	if err != nil || len(nc) != 8 || n == 0 {
		return Authorization{}, fmt.Errorf("digest: nc %s is not 8 hexadecimal digits from 00000001", quote(nc))
	}
	a.NC = uint32(n)
	return a, nil
}

// Verify checks that a answers req with cred: that the digest-uri is
// req.URI, that cred is for a's user name, and that the response is the
// one computed from cred's password (or HA1), compared in constant time.
// A wrong response is ErrMismatch. Verify does not judge the nonce, the
// realm or the algorithm; Server.Verify does.
func (a *Authorization) Verify(req Request, cred Credentials) error {
	if a.URI != req.URI {
		return fmt.Errorf("digest: uri %s is not the Request-URI", quote(a.URI))
	}
	if cred.Username != a.Username {
		return fmt.Errorf("digest: credentials for user %s, not %s", quote(cred.Username), quote(a.Username))
	}
	in := input{
		alg: a.Algorithm, username: a.Username, password: cred.Password, ha1: cred.HA1,
		realm: a.Realm, nonce: a.Nonce, cnonce: a.CNonce, qop: a.QOP, nc: a.NC,
		method: req.Method, uri: a.URI, body: req.Body,
	}
	if err := in.check(); err != nil {
		return err
	}
	var buf, got [maxHexLen]byte
	want, err := in.response(buf[:0])
	if err != nil {
		return err
	}
	if len(a.Response) > len(got) {
		return ErrMismatch
	}
	if subtle.ConstantTimeCompare(want, appendLower(got[:0], a.Response)) != 1 {
		return ErrMismatch
	}
	return nil
}
