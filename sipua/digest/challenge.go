package digest

import (
	"errors"
	"fmt"
	"iter"
	"strings"
)

// Challenge is a Digest challenge from a WWW-Authenticate or
// Proxy-Authenticate header field (RFC 7616 §3.3). Its strings are copies:
// a Challenge does not alias the message it was parsed from.
type Challenge struct {
	// Realm names the protection space, unquoted.
	Realm string
	// Nonce is the server's nonce, unquoted.
	Nonce string
	// Opaque is returned to the server unchanged; empty when absent.
	Opaque string
	// Algorithm is the digest algorithm, MD5 when the challenge names none.
	Algorithm Algorithm
	// QOPAuth and QOPAuthInt report which qop values the challenge offers.
	// Neither is set for a challenge without qop (RFC 2069), which is
	// answered without cnonce and nc.
	QOPAuth, QOPAuthInt bool
	// Stale reports stale=true: the server refused the previous request
	// only because its nonce had expired, and the same credentials may be
	// sent again at once with the new nonce.
	Stale bool
}

// ParseChallenge parses a WWW-Authenticate or Proxy-Authenticate value,
// which must use the Digest scheme (in any case) and have a realm and a
// nonce. Unknown parameters are ignored; a qop list that offers neither
// "auth" nor "auth-int" and an algorithm this package does not implement
// are errors.
func ParseChallenge(value []byte) (Challenge, error) {
	p, err := parseAuthParams(value)
	if err != nil {
		return Challenge{}, err
	}
	var c Challenge
	if c.Realm, err = p.require("realm"); err != nil {
		return Challenge{}, err
	}
	if c.Nonce, err = p.require("nonce"); err != nil {
		return Challenge{}, err
	}
	c.Opaque, _ = p.get("opaque")
	if c.Algorithm, err = p.algorithm(); err != nil {
		return Challenge{}, err
	}
	if qop, ok := p.get("qop"); ok {
		for v := range strings.SplitSeq(qop, ",") {
			switch v = strings.TrimSpace(v); {
			case strings.EqualFold(v, "auth"):
				c.QOPAuth = true
			case strings.EqualFold(v, "auth-int"):
				c.QOPAuthInt = true
			}
		}
		if !c.QOPAuth && !c.QOPAuthInt {
			return Challenge{}, fmt.Errorf("digest: qop %s offers neither auth nor auth-int", quote(qop))
		}
	}
	// Anything but "true" is false: a server that garbles stale loses only
	// the shortcut of a retry without asking the user.
	stale, _ := p.get("stale")
	c.Stale = strings.EqualFold(stale, "true")
	return c, nil
}

// Choose parses the values of the WWW-Authenticate (or Proxy-Authenticate)
// header fields of one response, in order, and returns the challenges to
// answer: for each realm, in the order the realms first appear, the topmost
// challenge that this package can answer.
//
// RFC 8760 §2.3 has a server list its challenges for a realm in its order
// of preference, most preferred first, and §2.4 has the client use the
// topmost one it supports. Values that are not Digest challenges, or that
// are malformed, or that name an unsupported algorithm, are skipped; when
// none is left, the error says why the first one was skipped.
//
// The order is the server's: a man in the middle who can reorder the header
// fields can also make MD5 the topmost (RFC 8760 §3). A client that must
// refuse MD5 should check the Algorithm of what Choose returns.
func Choose(values iter.Seq[[]byte]) ([]Challenge, error) {
	var chosen []Challenge
	var firstErr error
	for v := range values {
		c, err := ParseChallenge(v)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if !hasRealm(chosen, c.Realm) {
			chosen = append(chosen, c)
		}
	}
	switch {
	case len(chosen) > 0:
		return chosen, nil
	case firstErr != nil:
		return nil, fmt.Errorf("%w; no other challenge to answer", firstErr)
	}
	return nil, errNoChallenge
}

var errNoChallenge = errors.New("digest: no challenge")

func hasRealm(cs []Challenge, realm string) bool {
	for i := range cs {
		if cs[i].Realm == realm {
			return true
		}
	}
	return false
}
