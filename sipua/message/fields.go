package message

import (
	"bytes"
	"time"
)

// CSeq is a parsed CSeq header field (RFC 3261 §20.16).
type CSeq struct {
	Seq    uint32
	Method Method
}

// ParseCSeq parses 1*DIGIT LWS Method; the number is below 2^32.
func ParseCSeq(s []byte) (CSeq, error) {
	s = trimWS(s)
	i := 0
	for i < len(s) && isDigitTable[s[i]] {
		i++
	}
	n, ok := parseUint(s[:i], 1<<32-1)
	if !ok {
		return CSeq{}, badRequest("CSeq", "sequence number is not a number below 2^32")
	}
	j := skipWS(s, i)
	if j == i || !isToken(s[j:]) {
		return CSeq{}, badRequest("CSeq", "malformed method")
	}
	return CSeq{Seq: uint32(n), Method: methodOf(s[j:])}, nil
}

// validTokenList reports whether a list value such as Allow, Supported,
// Require or Unsupported is one or more comma-separated tokens.
func validTokenList(s []byte) bool {
	for v, rest := splitList(s); ; v, rest = splitList(rest) {
		if !isToken(v) {
			return false
		}
		if rest == nil {
			return true
		}
	}
}

// Challenge is a WWW-Authenticate or Proxy-Authenticate value, or the
// credentials of an Authorization or Proxy-Authorization value (RFC 3261
// §20.7, §20.27; RFC 7616): an authentication scheme and its parameters.
type Challenge struct {
	// Scheme is the scheme as received, usually "Digest".
	Scheme []byte
	// Params are the comma-separated auth-params after the scheme.
	Params []byte
}

// ParseChallenge splits a challenge or credentials value into its scheme and
// its parameters.
func ParseChallenge(s []byte) (Challenge, error) {
	s = trimWS(s)
	i := scanToken(s, 0)
	if i == 0 || (i < len(s) && !isWS(s[i])) {
		return Challenge{}, badRequest("", "malformed authentication scheme")
	}
	return Challenge{Scheme: s[:i], Params: trimWS(s[i:])}, nil
}

// Param returns the value of the auth-param called name, without the quotes
// of a quoted-string (quoted-pairs kept), and whether it is present.
func (c *Challenge) Param(name string) ([]byte, bool) {
	for p, rest := splitList(c.Params); ; p, rest = splitList(rest) {
		eq := bytes.IndexByte(p, '=')
		if eq > 0 && equalFoldString(trimWS(p[:eq]), name) {
			v := trimWS(p[eq+1:])
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			return v, true
		}
		if rest == nil {
			return nil, false
		}
	}
}

// RetryAfter returns the Retry-After value in seconds (RFC 3261 §20.33) and
// whether the field is present; a comment and parameters are ignored.
func (m *Message) RetryAfter() (uint32, bool, error) {
	v, ok := m.first(hRetryAfter)
	if !ok {
		return 0, false, nil
	}
	i := 0
	for i < len(v) && isDigitTable[v[i]] {
		i++
	}
	n, err := deltaSeconds(v[:i], "Retry-After")
	return n, true, err
}

// validDate checks an RFC 1123 date in GMT, the only form RFC 3261 §20.17
// allows: "Sat, 13 Nov 2010 23:29:00 GMT".
func validDate(s []byte) bool {
	_, err := time.Parse(time.RFC1123, string(s))
	return err == nil && bytes.HasSuffix(s, []byte(" GMT"))
}
