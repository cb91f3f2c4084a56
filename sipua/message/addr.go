package message

import "bytes"

// NameAddr is the value of a From, To, Contact, Route or Record-Route header
// field: an optional display name, a URI and header parameters.
type NameAddr struct {
	// DisplayName is the display name as received: a quoted string with its
	// quotes, or tokens; nil when there is none.
	DisplayName []byte
	// URI is the address.
	URI URI
	// Params are the header parameters after the URI (tag, expires, q, ...).
	Params Params

	tag       []byte // the tag ParseNameAddr found in Params
	tagParsed bool
}

// Tag returns the tag parameter, or nil.
func (n *NameAddr) Tag() []byte {
	if n.tagParsed {
		return n.tag
	}
	t, _ := n.Params.Get("tag")
	return t
}

// ParseNameAddr parses a name-addr or an addr-spec with header parameters
// (RFC 3261 §20.10, §20.20, §20.39). In the addr-spec form the URI ends at
// the first ';', and a URI with '?' headers must be inside "<>".
func ParseNameAddr(s []byte) (NameAddr, error) {
	var n NameAddr
	i := skipWS(s, 0)
	if i == len(s) {
		return n, badRequest("", "empty address")
	}
	angle := false
	if s[i] == '"' {
		j := scanQuoted(s, i)
		if j < 0 {
			return n, badRequest("", "unterminated quoted display name")
		}
		n.DisplayName = s[i:j]
		if i = skipWS(s, j); i == len(s) || s[i] != '<' {
			return n, badRequest("", "display name not followed by <URI>")
		}
		angle = true
	} else {
		j := i
		for j < len(s) && (tokenChars[s[j]] || isWS(s[j])) {
			j++
		}
		if j < len(s) && s[j] == '<' {
			if dn := trimWS(s[i:j]); len(dn) > 0 {
				n.DisplayName = dn
			}
			i, angle = j, true
		}
	}
	var uriText []byte
	if angle {
		k := bytes.IndexByte(s[i:], '>')
		if k < 0 {
			return n, badRequest("", "missing '>' after the URI")
		}
		uriText = s[i+1 : i+k]
		if len(uriText) > 0 && (isWS(uriText[0]) || isWS(uriText[len(uriText)-1])) {
			return n, badRequest("", "white space inside <URI>")
		}
		i += k + 1
	} else {
		end := bytes.IndexByte(s[i:], ';')
		if end < 0 {
			end = len(s)
		} else {
			end += i
		}
		uriText = trimWS(s[i:end])
		if bytes.IndexByte(uriText, '?') >= 0 || bytes.IndexByte(uriText, ',') >= 0 {
			return n, badRequest("", "URI with '?' or ',' not enclosed in <>")
		}
		if bytes.IndexByte(uriText, ' ') >= 0 || bytes.IndexByte(uriText, '\t') >= 0 {
			return n, badRequest("", "white space inside the address")
		}
		i = end
	}
	u, err := ParseURI(uriText)
	if err != nil {
		return n, err
	}
	n.URI = u
	if i = skipWS(s, i); i < len(s) {
		if s[i] != ';' {
			return n, badRequest("", "unexpected text after the address")
		}
		n.Params = Params(s[i:])
		if n.tag, err = checkParams(n.Params, false, "tag"); err != nil {
			return n, err
		}
	}
	n.tagParsed = true
	return n, nil
}

// AppendTo appends the address in name-addr form ("display" <uri>;params).
func (n *NameAddr) AppendTo(dst []byte) []byte {
	if len(n.DisplayName) > 0 {
		dst = append(dst, n.DisplayName...)
		dst = append(dst, ' ')
	}
	dst = append(dst, '<')
	dst = n.URI.AppendTo(dst)
	dst = append(dst, '>')
	return append(dst, n.Params...)
}

// Expires returns the expires parameter of a Contact (RFC 3261 §20.10) and
// whether it is present.
func (n *NameAddr) Expires() (uint32, bool, error) {
	v, ok := n.Params.Get("expires")
	if !ok {
		return 0, false, nil
	}
	s, err := deltaSeconds(v, "Contact")
	return s, true, err
}

// Q returns the q parameter of a Contact in thousandths (q=0.7 gives 700)
// and whether it is present.
func (n *NameAddr) Q() (int, bool, error) {
	v, ok := n.Params.Get("q")
	if !ok {
		return 0, false, nil
	}
	// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
	bad := badRequest("Contact", "q is not a qvalue from 0 to 1")
	if len(v) == 0 || len(v) > 5 || (v[0] != '0' && v[0] != '1') || (len(v) > 1 && v[1] != '.') {
		return 0, true, bad
	}
	q := int(v[0]-'0') * 1000
	for i, scale := 2, 100; i < len(v); i, scale = i+1, scale/10 {
		if !isDigitTable[v[i]] {
			return 0, true, bad
		}
		q += int(v[i]-'0') * scale
	}
	if q > 1000 {
		return 0, true, bad
	}
	return q, true, nil
}

// AppendUnquoted appends the text of a quoted string (such as a quoted
// display name) to dst, without its quotes and with quoted-pairs resolved;
// anything else is appended as it is.
func AppendUnquoted(dst, s []byte) []byte {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return append(dst, s...)
	}
	for i := 1; i < len(s)-1; i++ {
		if s[i] == '\\' && i+1 < len(s)-1 {
			i++
		}
		dst = append(dst, s[i])
	}
	return dst
}
