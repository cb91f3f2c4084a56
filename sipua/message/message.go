package message

import (
	"bytes"
	"cmp"
	"iter"
	"strconv"
)

// Method is a SIP request method. Methods are case-sensitive (RFC 3261 §7.1).
type Method string

// The methods of RFC 3261 and the extensions a door station meets.
const (
	INVITE    Method = "INVITE"
	ACK       Method = "ACK"
	BYE       Method = "BYE"
	CANCEL    Method = "CANCEL"
	OPTIONS   Method = "OPTIONS"
	REGISTER  Method = "REGISTER"
	INFO      Method = "INFO"      // RFC 6086
	UPDATE    Method = "UPDATE"    // RFC 3311
	PRACK     Method = "PRACK"     // RFC 3262
	SUBSCRIBE Method = "SUBSCRIBE" // RFC 6665
	NOTIFY    Method = "NOTIFY"    // RFC 6665
	REFER     Method = "REFER"     // RFC 3515
	MESSAGE   Method = "MESSAGE"   // RFC 3428
	PUBLISH   Method = "PUBLISH"   // RFC 3903
)

// methodOf returns the Method spelled b, without allocating for the methods
// the package knows.
func methodOf(b []byte) Method {
	switch string(b) {
	case "INVITE":
		return INVITE
	case "ACK":
		return ACK
	case "BYE":
		return BYE
	case "CANCEL":
		return CANCEL
	case "OPTIONS":
		return OPTIONS
	case "REGISTER":
		return REGISTER
	case "INFO":
		return INFO
	case "UPDATE":
		return UPDATE
	case "PRACK":
		return PRACK
	case "SUBSCRIBE":
		return SUBSCRIBE
	case "NOTIFY":
		return NOTIFY
	case "REFER":
		return REFER
	case "MESSAGE":
		return MESSAGE
	case "PUBLISH":
		return PUBLISH
	}
	return Method(b)
}

// Known reports whether m is one of the methods the package defines.
func (m Method) Known() bool {
	switch m {
	case INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, INFO, UPDATE, PRACK,
		SUBSCRIBE, NOTIFY, REFER, MESSAGE, PUBLISH:
		return true
	}
	return false
}

// Limits bound what Unmarshal and StreamReader accept, to protect a small
// board from hostile or broken peers. A zero field takes its default.
type Limits struct {
	// MaxMessageSize bounds the whole message, start line to end of body,
	// in bytes. Default 65535, the largest UDP datagram.
	MaxMessageSize int
	// MaxHeaders bounds the number of header field lines. Default 100.
	MaxHeaders int
	// MaxLineLength bounds the start line and each header field, after
	// unfolding, in bytes. Default 8192.
	MaxLineLength int
}

// Default limits.
const (
	DefaultMaxMessageSize = 65535
	DefaultMaxHeaders     = 100
	DefaultMaxLineLength  = 8192
)

func (l Limits) withDefaults() Limits {
	if l.MaxMessageSize <= 0 {
		l.MaxMessageSize = DefaultMaxMessageSize
	}
	if l.MaxHeaders <= 0 {
		l.MaxHeaders = DefaultMaxHeaders
	}
	if l.MaxLineLength <= 0 {
		l.MaxLineLength = DefaultMaxLineLength
	}
	return l
}

// header is one header field line: its name as received (or the canonical
// name for a field set by this package) and its value with the leading and
// trailing white space removed.
type header struct {
	name  []byte
	value []byte
	id    headerID
}

// inlineHeaders is how many header fields a Message holds before it
// allocates; it covers the usual INVITE, 200 OK and REGISTER.
const inlineHeaders = 24

// Message is a SIP request or response. The zero value is an empty message
// ready for Unmarshal or for building with the Init methods. A Message must
// not be copied once used.
type Message struct {
	// Limits bounds what Unmarshal accepts; it survives Reset.
	Limits Limits

	request bool
	method  []byte // request: method
	target  []byte // request: Request-URI
	status  int    // response: status code
	reason  []byte // response: reason phrase
	headers []header
	body    []byte
	ext     []byte // storage for what the Init, Set and Add methods copy in
	inline  [inlineHeaders]header
}

// Parse parses one SIP message from a datagram; see Message.Unmarshal.
func Parse(data []byte) (*Message, error) {
	m := new(Message)
	if err := m.Unmarshal(data); err != nil {
		return nil, err
	}
	return m, nil
}

// Reset empties m for reuse, keeping its storage and its Limits.
func (m *Message) Reset() {
	clear(m.headers) // drop references to the previous buffer
	m.headers = m.headers[:0]
	if cap(m.headers) == 0 || cap(m.headers) > 4*inlineHeaders {
		m.headers = m.inline[:0]
	}
	m.request, m.method, m.target, m.status, m.reason = false, nil, nil, 0, nil
	m.body, m.ext = nil, m.ext[:0]
}

// Unmarshal parses a message received as one datagram into m, replacing what
// m held. The message aliases data (see the package documentation). Bytes
// after the body that Content-Length announces are ignored, and a message
// without Content-Length takes the rest of the datagram as its body (RFC 3261
// §18.3). Leading CRLFs are skipped.
//
// Unmarshal checks the framing, the start line and the header field syntax
// in general; Validate checks the header fields a user agent relies on. On
// error, m keeps the start line and the header fields read before the fault,
// so that a response can still be addressed; a datagram over
// Limits.MaxMessageSize is refused 513 once its head is read.
func (m *Message) Unmarshal(data []byte) error {
	m.Reset()
	lim := m.Limits.withDefaults()
	bodyStart, err := m.parseHead(data, lim)
	if err != nil {
		return err
	}
	if len(data) > lim.MaxMessageSize {
		// After the head, whose parsing is bounded by the other limits, so
		// that the 513 can be addressed (RFC 3261 §21.5.14).
		return &ParseError{Status: 513, Msg: "message larger than " + strconv.Itoa(lim.MaxMessageSize) + " bytes"}
	}
	rest := data[bodyStart:]
	cl, err := m.declaredContentLength()
	switch {
	case err != nil:
		return err
	case cl < 0:
		m.body = rest
	case cl > len(rest):
		return badRequest("Content-Length", "larger than the body received")
	default:
		m.body = rest[:cl]
	}
	return nil
}

// parseHead parses the start line and the header fields of data and returns
// the index where the body starts.
func (m *Message) parseHead(data []byte, lim Limits) (int, error) {
	pos := 0
	for pos < len(data) && (data[pos] == '\r' || data[pos] == '\n') {
		pos++
	}
	end, next := lineAt(data, pos)
	if next < 0 {
		return 0, ErrIncomplete
	}
	// A request line with the shape Method SP Request-URI SP SIP-Version
	// but a fault inside (a version other than 2.0, an invalid method, too
	// long) is answered, so the header fields are read for the response
	// before the fault is returned; any other fault ends the parse.
	var lineErr error
	if end-pos > lim.MaxLineLength {
		lineErr = &ParseError{Status: 513, Msg: "start line longer than " + strconv.Itoa(lim.MaxLineLength) + " bytes"}
	}
	if err := m.parseStartLine(data[pos:end]); err != nil {
		if !m.request {
			return 0, err
		}
		lineErr = cmp.Or(lineErr, err)
	} else if lineErr != nil && !m.request {
		return 0, lineErr
	}
	bodyStart, err := m.parseFields(data, next, lim)
	if lineErr != nil {
		return 0, lineErr
	}
	return bodyStart, err
}

// parseFields parses the header fields of data from pos, up to the blank
// line, and returns the index where the body starts.
func (m *Message) parseFields(data []byte, pos int, lim Limits) (int, error) {
	// The header field being read: where its line starts, where its value
	// starts and where its last line ends.
	cur, valStart, prevEnd := -1, 0, 0
	for {
		end, next := lineAt(data, pos)
		if next < 0 {
			if pos < len(data) {
				return 0, ErrIncomplete
			}
			// The datagram ends after a whole line but without the blank
			// line: the datagram's end frames the message (liberal).
			end, next = pos, pos
		}
		if end > pos && isWS(data[pos]) {
			// A continuation line: fold it into the field being read.
			if cur < 0 {
				return 0, badRequest("", "continuation line before the first header field")
			}
			for i := prevEnd; i < pos; i++ {
				data[i] = ' '
			}
		} else {
			if cur >= 0 {
				m.headers[len(m.headers)-1].value = trimWS(data[valStart:prevEnd])
			}
			if end == pos { // the blank line that ends the header fields
				return next, nil
			}
			if len(m.headers) >= lim.MaxHeaders {
				return 0, &ParseError{Status: 513, Msg: "more than " + strconv.Itoa(lim.MaxHeaders) + " header fields"}
			}
			line := data[pos:end]
			colon := bytes.IndexByte(line, ':')
			if colon < 0 {
				return 0, badRequest("", "header field line without a colon")
			}
			name := line[:colon]
			for len(name) > 0 && isWS(name[len(name)-1]) {
				name = name[:len(name)-1]
			}
			id := lookupHeader(name) // a known name is a token
			if id == hOther && !isToken(name) {
				return 0, badRequest("", "invalid header field name")
			}
			m.headers = append(m.headers, header{name: name, id: id})
			cur, valStart = pos, pos+colon+1
		}
		if end-cur > lim.MaxLineLength {
			return 0, &ParseError{Status: 513, Header: m.headerName(len(m.headers) - 1),
				Msg: "header field longer than " + strconv.Itoa(lim.MaxLineLength) + " bytes"}
		}
		prevEnd, pos = end, next
	}
}

// lineAt returns the end of the line that starts at pos (without its CRLF or
// LF) and the start of the next line, or next < 0 if no line ends in data.
func lineAt(data []byte, pos int) (end, next int) {
	i := bytes.IndexByte(data[pos:], '\n')
	if i < 0 {
		return 0, -1
	}
	end, next = pos+i, pos+i+1
	if end > pos && data[end-1] == '\r' {
		end--
	}
	return end, next
}

// parseStartLine parses a Request-Line or a Status-Line (RFC 3261 §7.1, §7.2).
func (m *Message) parseStartLine(line []byte) error {
	if len(line) >= 4 && equalFold(line[:4], "sip/") {
		sp := bytes.IndexByte(line, ' ')
		if sp < 0 {
			return badRequest("", "status line without a status code")
		}
		if err := checkVersion(line[:sp], false); err != nil {
			return err
		}
		rest := line[sp+1:]
		if len(rest) < 3 || !isDigitTable[rest[0]] || !isDigitTable[rest[1]] || !isDigitTable[rest[2]] ||
			(len(rest) > 3 && rest[3] != ' ') {
			return badRequest("", "status code is not three digits")
		}
		code := int(rest[0]-'0')*100 + int(rest[1]-'0')*10 + int(rest[2]-'0')
		if code < 100 || code > 699 {
			return badRequest("", "status code out of range 100-699")
		}
		m.status = code
		if len(rest) > 4 {
			m.reason = rest[4:]
		}
		return nil
	}
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 < 0 {
		return badRequest("", "request line is not Method SP Request-URI SP SIP-Version")
	}
	sp2 := bytes.IndexByte(line[sp1+1:], ' ')
	if sp2 < 0 {
		return badRequest("", "request line is not Method SP Request-URI SP SIP-Version")
	}
	sp2 += sp1 + 1
	method, target, version := line[:sp1], line[sp1+1:sp2], line[sp2+1:]
	if len(method) == 0 || len(target) == 0 || bytes.IndexByte(version, ' ') >= 0 || bytes.IndexByte(target, '\t') >= 0 {
		return badRequest("", "request line is not Method SP Request-URI SP SIP-Version")
	}
	// The shape of a request: what follows is answered (see parseHead).
	m.request, m.method, m.target = true, method, target
	if !isToken(method) {
		return badRequest("", "invalid method")
	}
	return checkVersion(version, true)
}

// checkVersion checks a SIP-Version ("SIP" "/" 1*DIGIT "." 1*DIGIT, the
// name in any case) and that it is 2.0.
func checkVersion(v []byte, request bool) error {
	if len(v) < 4 || !equalFold(v[:4], "sip/") {
		return badRequest("", "invalid SIP version")
	}
	num := v[4:]
	dot := bytes.IndexByte(num, '.')
	if dot <= 0 || dot == len(num)-1 || !allIn(num[:dot], &isDigitTable, false) || !allIn(num[dot+1:], &isDigitTable, false) {
		return badRequest("", "invalid SIP version")
	}
	if string(num) != "2.0" {
		if request {
			return &ParseError{Status: 505, Msg: "SIP version is not 2.0"}
		}
		return badRequest("", "SIP version is not 2.0")
	}
	return nil
}

// declaredContentLength returns the value of the Content-Length header field,
// or -1 if there is none. More than one is an error (RFC 4475 §3.3.9).
func (m *Message) declaredContentLength() (int, error) {
	cl := -1
	for i := range m.headers {
		if m.headers[i].id != hContentLength {
			continue
		}
		if cl >= 0 {
			return 0, badRequest("Content-Length", "more than one value")
		}
		n, ok := parseUint(m.headers[i].value, DefaultMaxMessageSize*16)
		if !ok {
			return 0, badRequest("Content-Length", "not a number of bytes")
		}
		cl = int(n)
	}
	return cl, nil
}

// headerName returns the canonical name of header i for error messages; an
// extension header is not named, as its name is the peer's text.
func (m *Message) headerName(i int) string {
	if id := m.headers[i].id; id != hOther {
		return headerInfos[id].name
	}
	return "extension header"
}

// IsRequest reports whether m is a request.
func (m *Message) IsRequest() bool { return m.request }

// Method returns a request's method, or "" for a response (whose method is in
// its CSeq).
func (m *Message) Method() Method {
	if !m.request {
		return ""
	}
	return methodOf(m.method)
}

// RequestURI returns a request's Request-URI as received; see URI for it
// parsed.
func (m *Message) RequestURI() []byte { return m.target }

// URI parses and returns a request's Request-URI.
func (m *Message) URI() (URI, error) {
	u, err := ParseURI(m.target)
	if err != nil {
		return u, inHeader(err, "Request-URI")
	}
	return u, nil
}

// StatusCode returns a response's status code, or 0 for a request.
func (m *Message) StatusCode() int { return m.status }

// Reason returns a response's reason phrase, possibly empty.
func (m *Message) Reason() []byte { return m.reason }

// Body returns the message body, possibly empty.
func (m *Message) Body() []byte { return m.body }

// Header returns the value of the first header field called name (in any
// letter case or compact form), as one string even if it is a list, and
// whether there is one.
func (m *Message) Header(name string) ([]byte, bool) {
	id := lookupHeader(name)
	for i := range m.headers {
		if m.headers[i].id == id && (id != hOther || equalFoldString(m.headers[i].name, name)) {
			return m.headers[i].value, true
		}
	}
	return nil, false
}

// Values returns every value of the header fields called name, in order. The
// values of a header field that the package knows as a comma-separated list
// (Via, Contact, Route, Allow, Supported, ...) are yielded one by one; any
// other field is yielded whole, once per line.
func (m *Message) Values(name string) iter.Seq[[]byte] {
	id := lookupHeader(name)
	return func(yield func([]byte) bool) {
		for i := range m.headers {
			h := &m.headers[i]
			if h.id != id || (id == hOther && !equalFoldString(h.name, name)) {
				continue
			}
			if !headerInfos[id].list {
				if !yield(h.value) {
					return
				}
				continue
			}
			for v, rest := splitList(h.value); ; v, rest = splitList(rest) {
				if !yield(v) {
					return
				}
				if rest == nil {
					break
				}
			}
		}
	}
}

// All returns every header field as a name and its value, in order, names as
// received and lists unsplit.
func (m *Message) All() iter.Seq2[[]byte, []byte] {
	return func(yield func(name, value []byte) bool) {
		for i := range m.headers {
			if !yield(m.headers[i].name, m.headers[i].value) {
				return
			}
		}
	}
}

// first returns the value of the first header field with the given ID.
func (m *Message) first(id headerID) ([]byte, bool) {
	for i := range m.headers {
		if m.headers[i].id == id {
			return m.headers[i].value, true
		}
	}
	return nil, false
}

// firstListValue returns the first element of the first header field with
// the given list-valued ID.
func (m *Message) firstListValue(id headerID) ([]byte, bool) {
	v, ok := m.first(id)
	if !ok {
		return nil, false
	}
	v, _ = splitList(v)
	return v, true
}

// splitList returns the first comma-separated element of a list value,
// trimmed, and the rest after the comma, or nil when there is no comma. Commas
// inside quoted strings and angle brackets do not split.
func splitList(s []byte) (elem, rest []byte) {
	if bytes.IndexByte(s, ',') < 0 { // the usual case: one element
		return trimWS(s), nil
	}
	angle := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			j := scanQuoted(s, i)
			if j < 0 {
				return trimWS(s), nil
			}
			i = j - 1
		case '<':
			angle = true
		case '>':
			angle = false
		case ',':
			if !angle {
				return trimWS(s[:i]), s[i+1:]
			}
		}
	}
	return trimWS(s), nil
}

// HasToken reports whether a list header field called name (Supported,
// Require, Allow, ...) has the token tok, compared without regard to case.
func (m *Message) HasToken(name, tok string) bool {
	for v := range m.Values(name) {
		if equalFoldString(v, tok) {
			return true
		}
	}
	return false
}

// ContactStar reports whether the message has the Contact "*" that removes
// every binding in a REGISTER (RFC 3261 §10.2.2).
func (m *Message) ContactStar() bool {
	for v := range m.Values("Contact") {
		if string(v) == "*" {
			return true
		}
	}
	return false
}

// CallID returns the Call-ID.
func (m *Message) CallID() []byte {
	v, _ := m.first(hCallID)
	return v
}

// ContentType returns the value of Content-Type, or nil.
func (m *Message) ContentType() []byte {
	v, _ := m.first(hContentType)
	return v
}

// CSeq returns the parsed CSeq header field.
func (m *Message) CSeq() (CSeq, error) {
	v, ok := m.first(hCSeq)
	if !ok {
		return CSeq{}, badRequest("CSeq", "missing")
	}
	return ParseCSeq(v)
}

// Via returns the topmost Via header field value, parsed.
func (m *Message) Via() (Via, error) {
	v, ok := m.firstListValue(hVia)
	if !ok {
		return Via{}, badRequest("Via", "missing")
	}
	return ParseVia(v)
}

// From returns the parsed From header field.
func (m *Message) From() (NameAddr, error) { return m.nameAddr(hFrom) }

// To returns the parsed To header field.
func (m *Message) To() (NameAddr, error) { return m.nameAddr(hTo) }

func (m *Message) nameAddr(id headerID) (NameAddr, error) {
	v, ok := m.first(id)
	if !ok {
		return NameAddr{}, badRequest(headerInfos[id].name, "missing")
	}
	na, err := ParseNameAddr(v)
	if err != nil {
		return na, inHeader(err, headerInfos[id].name)
	}
	return na, nil
}

// MaxForwards returns the Max-Forwards value and whether the field is present.
func (m *Message) MaxForwards() (int, bool, error) {
	v, ok := m.first(hMaxForwards)
	if !ok {
		return 0, false, nil
	}
	n, ok := parseUint(v, 255)
	if !ok {
		return 0, true, badRequest("Max-Forwards", "not a number from 0 to 255")
	}
	return int(n), true, nil
}

// Expires returns the Expires value in seconds and whether the field is
// present.
func (m *Message) Expires() (uint32, bool, error) {
	v, ok := m.first(hExpires)
	if !ok {
		return 0, false, nil
	}
	n, err := deltaSeconds(v, "Expires")
	return n, true, err
}

// deltaSeconds parses delta-seconds (RFC 3261 §25.1), which must be below
// 2^32, for the header field called header.
func deltaSeconds(v []byte, header string) (uint32, error) {
	n, ok := parseUint(v, 1<<32-1)
	if !ok {
		return 0, badRequest(header, "not a number of seconds below 2^32")
	}
	return uint32(n), nil
}
