package message

import (
	"bytes"
	"strconv"
)

// URI is a parsed SIP or SIPS URI (RFC 3261 §19.1), a tel URI (RFC 3966), or
// any other absolute URI, kept opaque. Every field is a slice of the parsed
// text, escapes as received.
type URI struct {
	// Scheme is the scheme as received; compare it with SchemeIs.
	Scheme []byte
	// User is the user part of a SIP URI, or the number of a tel URI.
	User []byte
	// Password follows the user and a colon in a SIP URI; rarely used.
	Password []byte
	// Host is a host name, an IPv4 address, or an IPv6 reference with its
	// brackets.
	Host []byte
	// Port is 0 when the URI names none.
	Port int
	// Params are the uri-parameters, from the first ';' on.
	Params Params
	// Headers are the header fields after '?', as received.
	Headers []byte
	// Opaque is everything after the colon of a URI of another scheme.
	Opaque []byte
}

// SchemeIs reports whether the URI's scheme is s (given in lower case).
func (u *URI) SchemeIs(s string) bool { return equalFold(u.Scheme, s) }

// IsSIP reports whether the URI is a SIP or SIPS URI.
func (u *URI) IsSIP() bool { return u.SchemeIs("sip") || u.SchemeIs("sips") }

// ParseURI parses a URI: SIP and SIPS URIs and tel URIs in full, any other
// absolute URI as a scheme and opaque characters.
func ParseURI(s []byte) (URI, error) {
	colon := bytes.IndexByte(s, ':')
	if colon <= 0 || !isAlpha(s[0]) || !allIn(s[:colon], &schemeChars, false) {
		return URI{}, badRequest("", "URI without a valid scheme")
	}
	u := URI{Scheme: s[:colon]}
	rest := s[colon+1:]
	switch {
	case u.IsSIP():
		return u, u.parseSIP(rest)
	case u.SchemeIs("tel"):
		return u, u.parseTel(rest)
	}
	if len(rest) == 0 || !allIn(rest, &uricChars, true) {
		return URI{}, badRequest("", "malformed URI")
	}
	u.Opaque = rest
	return u, nil
}

func isAlpha(c byte) bool { return 'a' <= lowerASCII[c] && lowerASCII[c] <= 'z' }

// parseSIP parses what follows "sip:" or "sips:".
func (u *URI) parseSIP(s []byte) error {
	if at := bytes.IndexByte(s, '@'); at >= 0 {
		userinfo := s[:at]
		s = s[at+1:]
		user, pass := userinfo, []byte(nil)
		if c := bytes.IndexByte(userinfo, ':'); c >= 0 {
			user, pass = userinfo[:c], userinfo[c+1:]
			if !allIn(pass, &passChars, true) {
				return badRequest("", "invalid character in the URI's password")
			}
			u.Password = pass
		}
		if len(user) == 0 || !allIn(user, &userChars, true) {
			return badRequest("", "invalid URI user part")
		}
		u.User = user
	}
	i, err := u.parseHostPort(s)
	if err != nil {
		return err
	}
	if i < len(s) && s[i] == ';' {
		j := bytes.IndexByte(s[i:], '?')
		if j < 0 {
			j = len(s)
		} else {
			j += i
		}
		u.Params = Params(s[i:j])
		if _, err := checkParams(u.Params, true, ""); err != nil {
			return err
		}
		i = j
	}
	if i < len(s) && s[i] == '?' {
		u.Headers = s[i+1:]
		if !validURIHeaders(u.Headers) {
			return badRequest("", "malformed URI headers")
		}
		i = len(s)
	}
	if i != len(s) {
		return badRequest("", "invalid character after the URI's host")
	}
	return nil
}

// parseHostPort parses host [":" port] at the start of s and returns the index
// after it.
func (u *URI) parseHostPort(s []byte) (int, error) {
	i, err := scanHost(s, 0)
	if err != nil {
		return 0, err
	}
	u.Host = s[:i]
	if i < len(s) && s[i] == ':' {
		j := i + 1
		for j < len(s) && isDigitTable[s[j]] {
			j++
		}
		port, ok := parseUint(s[i+1:j], 65535)
		if !ok || port == 0 {
			return 0, badRequest("", "invalid port in URI")
		}
		u.Port, i = int(port), j
	}
	return i, nil
}

// scanHost returns the end of the host (a name, an IPv4 address or a
// bracketed IPv6 reference) that starts at s[i].
func scanHost(s []byte, i int) (int, error) {
	if i < len(s) && s[i] == '[' {
		j := bytes.IndexByte(s[i:], ']')
		if j < 0 || !validIPv6(s[i+1:i+j]) {
			return 0, badRequest("", "invalid IPv6 reference")
		}
		return i + j + 1, nil
	}
	j := i
	for j < len(s) && hostChars[s[j]] {
		j++
	}
	if j == i {
		return 0, badRequest("", "missing host")
	}
	return j, nil
}

// validIPv6 loosely checks the text inside an IPv6 reference's brackets.
func validIPv6(s []byte) bool {
	if len(s) < 2 || bytes.IndexByte(s, ':') < 0 {
		return false
	}
	for _, c := range s {
		if !hexDigit[c] && c != ':' && c != '.' {
			return false
		}
	}
	return true
}

// validURIHeaders checks hname "=" hvalue *( "&" hname "=" hvalue ).
func validURIHeaders(h []byte) bool {
	if len(h) == 0 {
		return false
	}
	for len(h) > 0 {
		field := h
		if amp := bytes.IndexByte(h, '&'); amp >= 0 {
			field, h = h[:amp], h[amp+1:]
			if len(h) == 0 {
				return false
			}
		} else {
			h = nil
		}
		eq := bytes.IndexByte(field, '=')
		if eq <= 0 || !allIn(field[:eq], &headerChars, true) || !allIn(field[eq+1:], &headerChars, true) {
			return false
		}
	}
	return true
}

// parseTel parses the telephone-subscriber of a tel URI: a number, then
// parameters.
func (u *URI) parseTel(s []byte) error {
	end := bytes.IndexByte(s, ';')
	if end < 0 {
		end = len(s)
	}
	if end == 0 || !allIn(s[:end], &telChars, false) {
		return badRequest("", "invalid tel URI number")
	}
	u.User, u.Params = s[:end], Params(s[end:])
	_, err := checkParams(u.Params, true, "")
	return err
}

// AppendTo appends the URI's text to dst.
func (u *URI) AppendTo(dst []byte) []byte {
	dst = append(dst, u.Scheme...)
	dst = append(dst, ':')
	if u.Opaque != nil {
		return append(dst, u.Opaque...)
	}
	if u.SchemeIs("tel") {
		dst = append(dst, u.User...)
		return append(dst, u.Params...)
	}
	if len(u.User) > 0 {
		dst = append(dst, u.User...)
		if len(u.Password) > 0 {
			dst = append(dst, ':')
			dst = append(dst, u.Password...)
		}
		dst = append(dst, '@')
	}
	dst = append(dst, u.Host...)
	if u.Port != 0 {
		dst = append(dst, ':')
		dst = strconv.AppendInt(dst, int64(u.Port), 10)
	}
	dst = append(dst, u.Params...)
	if len(u.Headers) > 0 {
		dst = append(dst, '?')
		dst = append(dst, u.Headers...)
	}
	return dst
}

// String returns the URI's text.
func (u *URI) String() string { return string(u.AppendTo(nil)) }

// AppendUnescaped appends s to dst with every "%" HEX HEX escape replaced by
// the octet it encodes (RFC 3261 §19.1.2), once: "%2541" gives "%41". A
// malformed escape is kept as it is.
func AppendUnescaped(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && hexDigit[s[i+1]] && hexDigit[s[i+2]] {
			dst = append(dst, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		dst = append(dst, s[i])
	}
	return dst
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
