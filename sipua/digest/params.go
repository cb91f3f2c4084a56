package digest

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"intercom/sipua/message"
)

// maxParams bounds the parameters of one challenge or credentials value.
const maxParams = 32

// authParams is the parsed scheme and parameters of a challenge or
// credentials value, checked for syntax.
type authParams struct {
	c message.Challenge
}

// parseAuthParams splits value into its scheme, which must be Digest, and
// its parameters, and checks that these are a well-formed list of
// name=value pairs (RFC 7235 §2.1) with no name twice.
func parseAuthParams(value []byte) (authParams, error) {
	c, err := message.ParseChallenge(value)
	if err != nil { // its only error
		return authParams{}, errors.New("digest: malformed authentication scheme")
	}
	if !bytes.EqualFold(c.Scheme, []byte("Digest")) {
		return authParams{}, fmt.Errorf("digest: scheme %s is not Digest", quote(string(c.Scheme)))
	}
	if err := checkParams(c.Params); err != nil {
		return authParams{}, err
	}
	return authParams{c: c}, nil
}

// get returns the unquoted and unescaped value of parameter name and
// whether it is present.
func (p *authParams) get(name string) (string, bool) {
	v, ok := p.c.Param(name)
	if !ok {
		return "", false
	}
	return unescape(v), true
}

// require returns the value of parameter name, which must be present and
// not empty.
func (p *authParams) require(name string) (string, error) {
	v, ok := p.get(name)
	switch {
	case !ok:
		return "", fmt.Errorf("digest: %s parameter missing", name)
	case v == "":
		return "", fmt.Errorf("digest: %s parameter empty", name)
	}
	return v, nil
}

// algorithm returns the algorithm parameter, MD5 when absent.
func (p *authParams) algorithm() (Algorithm, error) {
	v, ok := p.get("algorithm")
	if !ok {
		return MD5, nil
	}
	return ParseAlgorithm(v)
}

// checkParams checks that p is a comma-separated list of auth-params:
// token BWS "=" BWS ( token / quoted-string ), with empty list elements
// allowed. An unquoted value may hold any visible character but the
// delimiters '"', ',', '\\', '<' and '>', to accept the nonces that some
// servers send unquoted.
func checkParams(p []byte) error {
	var names [maxParams][]byte
	n := 0
	for i := 0; ; {
		for i < len(p) && (p[i] == ',' || isWS(p[i])) {
			i++
		}
		if i == len(p) {
			return nil
		}
		start := i
		for i < len(p) && isTchar(p[i]) {
			i++
		}
		if i == start {
			return fmt.Errorf("digest: expected a parameter name at %s", quote(string(p[i:])))
		}
		name := p[start:i]
		for k := range n {
			if bytes.EqualFold(names[k], name) {
				return fmt.Errorf("digest: %s parameter given twice", cut(name))
			}
		}
		if n == maxParams {
			return fmt.Errorf("digest: more than %d parameters", maxParams)
		}
		names[n] = name
		n++
		i = skipWS(p, i)
		if i == len(p) || p[i] != '=' {
			return fmt.Errorf("digest: %s parameter without a value", cut(name))
		}
		i = skipWS(p, i+1)
		if i < len(p) && p[i] == '"' {
			end, err := scanQuoted(p, i)
			if err != nil {
				return fmt.Errorf("digest: %s parameter: %w", cut(name), err)
			}
			i = end
		} else {
			vs := i
			for i < len(p) && isValueChar(p[i]) {
				i++
			}
			if i == vs {
				return fmt.Errorf("digest: %s parameter without a value", cut(name))
			}
		}
		i = skipWS(p, i)
		if i < len(p) && p[i] != ',' {
			return fmt.Errorf("digest: %s parameter followed by %s instead of a comma", cut(name), quote(string(p[i:])))
		}
	}
}

// scanQuoted returns the index after the quoted-string that opens at p[i].
func scanQuoted(p []byte, i int) (int, error) {
	for i++; i < len(p); i++ {
		switch c := p[i]; {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			i++
			if i == len(p) {
				return 0, fmt.Errorf("unterminated quoted string")
			}
			if isCTL(p[i]) {
				return 0, fmt.Errorf("control character in a quoted string")
			}
		case isCTL(c):
			return 0, fmt.Errorf("control character in a quoted string")
		}
	}
	return 0, fmt.Errorf("unterminated quoted string")
}

// unescape resolves the quoted-pairs of a quoted-string's content.
func unescape(v []byte) string {
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v)
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// appendQuoted appends s as a quoted-string, escaping '"' and '\\'.
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

// checkText reports an error if s, a parameter value to be sent, has a
// control character, which would break the header field.
func checkText(name, s string) error {
	for i := 0; i < len(s); i++ {
		if isCTL(s[i]) {
			return fmt.Errorf("digest: %s has a control character", name)
		}
	}
	return nil
}

// quote returns s quoted for an error message, cut to 40 bytes: s may come
// from the network.
func quote(s string) string {
	if len(s) > 40 {
		return strconv.Quote(s[:40]) + "..."
	}
	return strconv.Quote(s)
}

// cut returns a token from the network for an error message, cut to 40
// bytes.
func cut(tok []byte) string {
	if len(tok) > 40 {
		return string(tok[:40]) + "..."
	}
	return string(tok)
}

func isWS(c byte) bool { return c == ' ' || c == '\t' }

func skipWS(p []byte, i int) int {
	for i < len(p) && isWS(p[i]) {
		i++
	}
	return i
}

// isCTL reports whether c is a control character other than HTAB.
func isCTL(c byte) bool { return (c < 0x20 && c != '\t') || c == 0x7f }

// isTchar reports whether c may be in a token (RFC 7230 §3.2.6).
func isTchar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isValueChar reports whether c may be in an unquoted parameter value.
func isValueChar(c byte) bool {
	return 0x21 <= c && c <= 0x7e && strings.IndexByte("\",\\<>", c) < 0
}
