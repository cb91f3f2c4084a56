package message

import (
	"bytes"
	"iter"
)

// Params is a list of ";name[=value]" parameters as received, from its first
// ';' on: the uri-parameters of a URI, or the header parameters after a
// name-addr or a Via (which may have white space around ';' and '=').
type Params []byte

// Get returns the value of the parameter called name (compared without regard
// to ASCII case), with the quotes of a quoted-string value kept, and whether
// it is present. A parameter without a value gives an empty value.
func (p Params) Get(name string) ([]byte, bool) {
	for i := 0; i < len(p); {
		n, v, next, ok := scanParam(p, i, false)
		if !ok {
			return nil, false
		}
		if equalFoldString(n, name) {
			return v, true
		}
		i = next
	}
	return nil, false
}

// Has reports whether the parameter called name is present.
func (p Params) Has(name string) bool {
	_, ok := p.Get(name)
	return ok
}

// All returns each parameter's name and value, in order, until the end or
// the first malformed parameter.
func (p Params) All() iter.Seq2[[]byte, []byte] {
	return func(yield func(name, value []byte) bool) {
		for i := 0; i < len(p); {
			n, v, next, ok := scanParam(p, i, false)
			if !ok || !yield(n, v) {
				return
			}
			i = next
		}
	}
}

// scanParam reads the parameter that starts at p[i] (at white space or the
// ';' before it) and returns its name, its value and the index after it.
// In a URI (uri true) names and values are paramchar with escapes and there
// is no white space; in a header, names are tokens and values are tokens,
// hosts or quoted strings, with white space allowed around ';' and '='.
// scanIPv6 returns the end of an IPv6 address without brackets at i, as
// the received and maddr parameters of a Via carry it (RFC 3261 §25.1:
// via-received = "received" EQUAL (IPv4address / IPv6address)), or i when
// there is none.
func scanIPv6(p []byte, i int) int {
	j := i
	for j < len(p) && (hexDigit[p[j]] || p[j] == ':' || p[j] == '.') {
		j++
	}
	if !validIPv6(p[i:j]) {
		return i
	}
	return j
}

func scanParam(p []byte, i int, uri bool) (name, value []byte, next int, ok bool) {
	if !uri {
		i = skipWS(p, i)
	}
	if i >= len(p) || p[i] != ';' {
		return nil, nil, 0, false
	}
	i++
	if !uri {
		i = skipWS(p, i)
	}
	start := i
	if uri {
		i = scanClass(p, i, &paramChars)
	} else {
		i = scanToken(p, i)
	}
	if i == start {
		return nil, nil, 0, false
	}
	name = p[start:i]
	j := i
	if !uri {
		j = skipWS(p, i)
	}
	if j < len(p) && p[j] == '=' {
		j++
		if !uri {
			j = skipWS(p, j)
		}
		vs := j
		switch {
		case uri:
			j = scanClass(p, j, &paramChars)
		case j < len(p) && p[j] == '"':
			if j = scanQuoted(p, j); j < 0 {
				return nil, nil, 0, false
			}
		case j < len(p) && p[j] == '[':
			k := bytes.IndexByte(p[j:], ']')
			if k < 0 || !validIPv6(p[j+1:j+k]) {
				return nil, nil, 0, false
			}
			j += k + 1
		default:
			if k := scanToken(p, j); k < len(p) && p[k] == ':' {
				j = max(k, scanIPv6(p, j))
			} else {
				j = k
			}
		}
		if j == vs {
			return nil, nil, 0, false
		}
		value = p[vs:j]
		i = j
	}
	if !uri {
		i = skipWS(p, i)
	}
	if i < len(p) && p[i] != ';' {
		return nil, nil, 0, false
	}
	return name, value, i, true
}

// scanClass returns the end of the run of class characters and "%" HEX HEX
// escapes that starts at i.
func scanClass(s []byte, i int, class *[256]bool) int {
	for i < len(s) {
		switch {
		case class[s[i]]:
			i++
		case s[i] == '%' && i+2 < len(s) && hexDigit[s[i+1]] && hexDigit[s[i+2]]:
			i += 3
		default:
			return i
		}
	}
	return i
}

// checkParams checks that p is a well-formed parameter list and returns the
// value of the first parameter called want, which the caller keeps so that
// it need not scan the list again.
func checkParams(p Params, uri bool, want string) (wanted []byte, err error) {
	found := false
	for i := 0; i < len(p); {
		name, value, next, ok := scanParam(p, i, uri)
		if !ok {
			if uri {
				return nil, badRequest("", "malformed URI parameter")
			}
			return nil, badRequest("", "malformed parameter")
		}
		if !found && want != "" && equalFoldString(name, want) {
			wanted, found = value, true
		}
		i = next
	}
	return wanted, nil
}
