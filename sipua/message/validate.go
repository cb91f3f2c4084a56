package message

import "bytes"

// Validate checks what a user agent relies on in a message that Unmarshal
// accepted, and returns the first fault as a *ParseError:
//   - a request's Request-URI parses, and a SIP URI there has no headers;
//   - Via, From, To, Call-ID and CSeq are present, and all but Via once
//     (Max-Forwards may be missing, for RFC 2543 peers, but not repeated);
//   - each of them, Contact, Route, Record-Route, Content-Type, Date and the
//     option-tag lists parse;
//   - a request's CSeq method is its method (a mismatch with an unknown
//     method is 501, RFC 4475 §3.1.2.18).
//
// What a request means to the UA (an unsupported URI scheme, extension or
// body type) is the UA's to answer; Validate checks only the syntax.
func (m *Message) Validate() error {
	if m.request {
		u, err := m.URI()
		if err != nil {
			return err
		}
		if u.IsSIP() && u.Headers != nil {
			return badRequest("Request-URI", "SIP URI with headers")
		}
	}
	var counts [numHeaderIDs]uint8
	for i := range m.headers {
		h := &m.headers[i]
		if counts[h.id] < 255 {
			counts[h.id]++
		}
		if err := validateField(h.id, h.value); err != nil {
			return err
		}
	}
	for _, id := range [...]headerID{hVia, hFrom, hTo, hCallID, hCSeq} {
		if counts[id] == 0 {
			return badRequest(headerInfos[id].name, "missing")
		}
	}
	for _, id := range [...]headerID{hFrom, hTo, hCallID, hCSeq, hMaxForwards, hContentType} {
		if counts[id] > 1 {
			return badRequest(headerInfos[id].name, "more than one value")
		}
	}
	if m.request {
		cseq, _ := m.CSeq() // validated above
		if method := methodOf(m.method); cseq.Method != method {
			if !method.Known() {
				return &ParseError{Status: 501, Header: "CSeq", Msg: "method differs from the request's unknown method"}
			}
			return badRequest("CSeq", "method differs from the request's")
		}
	}
	return nil
}

// validateField checks the syntax of one header field line of a known kind.
func validateField(id headerID, v []byte) error {
	var err error
	switch id {
	case hCallID:
		if !validCallID(v) {
			err = badRequest("", "malformed")
		}
	case hCSeq:
		_, err = ParseCSeq(v)
	case hFrom, hTo:
		_, err = ParseNameAddr(v)
	case hMaxForwards:
		if _, ok := parseUint(v, 255); !ok {
			err = badRequest("", "not a number from 0 to 255")
		}
	case hVia:
		err = eachListValue(v, func(e []byte) error { _, err := ParseVia(e); return err })
	case hContact:
		if string(v) != "*" {
			err = eachListValue(v, func(e []byte) error { _, err := ParseNameAddr(e); return err })
		}
	case hRoute, hRecordRoute:
		err = eachListValue(v, func(e []byte) error { _, err := ParseNameAddr(e); return err })
	case hContentType:
		if !validMediaType(v) {
			err = badRequest("", "malformed media type")
		}
	case hDate:
		if !validDate(v) {
			err = badRequest("", "not an RFC 1123 date in GMT")
		}
	case hRequire, hProxyRequire, hSupported, hUnsupported, hAllow:
		if len(v) > 0 && !validTokenList(v) {
			err = badRequest("", "malformed token list")
		}
	}
	if err != nil {
		return inHeader(err, headerInfos[id].name)
	}
	return nil
}

// eachListValue calls f on each element of a comma-separated list value; an
// empty element is an error.
func eachListValue(s []byte, f func([]byte) error) error {
	for v, rest := splitList(s); ; v, rest = splitList(rest) {
		if len(v) == 0 {
			return badRequest("", "empty list element")
		}
		if err := f(v); err != nil {
			return err
		}
		if rest == nil {
			return nil
		}
	}
}

// validCallID checks callid = word [ "@" word ].
func validCallID(v []byte) bool {
	at := bytes.IndexByte(v, '@')
	if at < 0 {
		return len(v) > 0 && allIn(v, &wordChars, false)
	}
	return at > 0 && at < len(v)-1 && allIn(v[:at], &wordChars, false) && allIn(v[at+1:], &wordChars, false)
}

// validMediaType checks m-type SLASH m-subtype *(SEMI m-parameter).
func validMediaType(v []byte) bool {
	i := scanToken(v, 0)
	if i == 0 {
		return false
	}
	i = skipWS(v, i)
	if i == len(v) || v[i] != '/' {
		return false
	}
	i = skipWS(v, i+1)
	j := scanToken(v, i)
	if j == i {
		return false
	}
	_, err := checkParams(Params(v[j:]), false, "")
	return err == nil
}
