package message

import (
	"bytes"
	"net/netip"
	"strconv"
)

// InitRequest empties m and makes it a request with the given method and
// Request-URI, which are copied.
func (m *Message) InitRequest(method Method, requestURI string) {
	m.Reset()
	m.request = true
	m.method = m.store(string(method))
	m.target = m.store(requestURI)
}

// InitResponse empties m and makes it the response to req with the given
// status code and reason phrase (RFC 3261 §8.2.6): the Via, From, To,
// Call-ID and CSeq header fields of req are copied, and toTag is added to
// the To header field if it has no tag, the code is above 100 and toTag is
// not empty. Whatever req lacks is left out, so that even a malformed
// request can be answered with what could be read of it.
func (m *Message) InitResponse(req *Message, code int, reason, toTag string) {
	m.Reset()
	m.status = code
	m.reason = m.store(reason)
	for i := range req.headers {
		h := &req.headers[i]
		switch h.id {
		case hVia, hFrom, hCallID, hCSeq:
			addValue(m, h.id, "", h.value)
		case hTo:
			start := len(m.ext)
			m.ext = append(m.ext, h.value...)
			if code > 100 && toTag != "" {
				if to, err := ParseNameAddr(h.value); err == nil && to.Tag() == nil {
					m.ext = append(m.ext, ";tag="...)
					m.ext = append(m.ext, toTag...)
				}
			}
			m.headers = append(m.headers, header{name: canonicalNames[hTo], value: m.ext[start:len(m.ext):len(m.ext)], id: hTo})
		}
	}
}

// store copies s into m's own storage and returns the copy.
func (m *Message) store(s string) []byte {
	start := len(m.ext)
	m.ext = append(m.ext, s...)
	return m.ext[start:len(m.ext):len(m.ext)]
}

// addValue appends a header field of the given ID (or, for hOther, the given
// name), copying the value.
func addValue[V string | []byte](m *Message, id headerID, name string, value V) {
	start := len(m.ext)
	m.ext = append(m.ext, value...)
	v := m.ext[start:len(m.ext):len(m.ext)]
	var n []byte
	if id != hOther {
		n = canonicalNames[id]
	} else {
		n = m.store(name)
	}
	m.headers = append(m.headers, header{name: n, value: v, id: id})
}

// canonicalNames holds each known header's canonical name as bytes.
var canonicalNames = func() (names [numHeaderIDs][]byte) {
	for id := range names {
		names[id] = []byte(headerInfos[id].name)
	}
	return names
}()

// AddHeader appends a header field; the value is copied. A known name is
// written in its canonical form.
func (m *Message) AddHeader(name, value string) {
	addValue(m, lookupHeader(name), name, value)
}

// AddHeaderBytes is AddHeader with the value in a byte slice.
func (m *Message) AddHeaderBytes(name string, value []byte) {
	addValue(m, lookupHeader(name), name, value)
}

// SetHeader replaces every header field called name by one with value.
func (m *Message) SetHeader(name, value string) {
	m.DelHeader(name)
	m.AddHeader(name, value)
}

// DelHeader removes every header field called name and returns how many it
// removed.
func (m *Message) DelHeader(name string) int {
	id := lookupHeader(name)
	kept := m.headers[:0]
	for _, h := range m.headers {
		if h.id != id || (id == hOther && !equalFoldString(h.name, name)) {
			kept = append(kept, h)
		}
	}
	n := len(m.headers) - len(kept)
	clear(m.headers[len(kept):])
	m.headers = kept
	return n
}

// SetBody sets the body, copied, and its Content-Type (none if contentType
// is empty). AppendTo writes the Content-Length.
func (m *Message) SetBody(contentType string, body []byte) {
	m.DelHeader("Content-Type")
	if contentType != "" {
		m.AddHeader("Content-Type", contentType)
	}
	start := len(m.ext)
	m.ext = append(m.ext, body...)
	m.body = m.ext[start:len(m.ext):len(m.ext)]
}

// AppendTo appends the message in wire form to dst. The header fields are
// written in order, names as received or in canonical form, except any
// Content-Length, which is written last with the body's real length, so the
// framing is always right.
func (m *Message) AppendTo(dst []byte) []byte {
	if m.request {
		dst = append(dst, m.method...)
		dst = append(dst, ' ')
		dst = append(dst, m.target...)
		dst = append(dst, " SIP/2.0\r\n"...)
	} else {
		dst = append(dst, "SIP/2.0 "...)
		dst = strconv.AppendInt(dst, int64(m.status), 10)
		dst = append(dst, ' ')
		dst = append(dst, m.reason...)
		dst = append(dst, "\r\n"...)
	}
	for i := range m.headers {
		h := &m.headers[i]
		if h.id == hContentLength {
			continue
		}
		dst = append(dst, h.name...)
		dst = append(dst, ": "...)
		dst = append(dst, h.value...)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(m.body)), 10)
	dst = append(dst, "\r\n\r\n"...)
	return append(dst, m.body...)
}

// String returns the message in wire form.
func (m *Message) String() string { return string(m.AppendTo(nil)) }

// CopyFrom makes m a copy of src that owns all its bytes, so that it stays
// valid after src's buffer is reused; src's Limits are not copied.
func (m *Message) CopyFrom(src *Message) {
	m.Reset()
	m.request, m.status = src.request, src.status
	m.method = m.store(string(src.method))
	m.target = m.store(string(src.target))
	m.reason = m.store(string(src.reason))
	for i := range src.headers {
		h := &src.headers[i]
		addValue(m, h.id, string(h.name), h.value)
		if h.id != hOther { // keep the name as received, compact forms too
			m.headers[len(m.headers)-1].name = m.store(string(h.name))
		}
	}
	start := len(m.ext)
	m.ext = append(m.ext, src.body...)
	m.body = m.ext[start:len(m.ext):len(m.ext)]
}

// SetReceived records where a request came from in its top Via, as the
// server transport must (RFC 3261 §18.2.1, RFC 3581 §4): received=IP when
// the sent-by host is not that IP or the Via asks for rport, and rport=PORT
// when it asks for it. It returns false, changing nothing, when the top Via
// does not parse.
func (m *Message) SetReceived(src netip.AddrPort) bool {
	i := -1
	for j := range m.headers {
		if m.headers[j].id == hVia {
			i = j
			break
		}
	}
	if i < 0 {
		return false
	}
	elem, rest := splitList(m.headers[i].value)
	via, err := ParseVia(elem)
	if err != nil {
		return false
	}
	_, rport := via.RPort()
	ip := src.Addr().Unmap()
	if !rport && hostIsIP(via.Host, ip) {
		return true // nothing to add
	}
	start := len(m.ext)
	m.ext = append(m.ext, elem[:len(elem)-len(via.Params)]...)
	m.ext = bytes.TrimRight(m.ext, " \t")
	for name, value := range via.Params.All() {
		switch {
		case equalFold(name, "received"):
			continue
		case equalFold(name, "rport"):
			m.ext = append(m.ext, ";rport="...)
			m.ext = strconv.AppendUint(m.ext, uint64(src.Port()), 10)
			continue
		}
		m.ext = append(m.ext, ';')
		m.ext = append(m.ext, name...)
		if len(value) > 0 {
			m.ext = append(m.ext, '=')
			m.ext = append(m.ext, value...)
		}
	}
	m.ext = append(m.ext, ";received="...)
	m.ext = ip.AppendTo(m.ext)
	if rest != nil {
		m.ext = append(m.ext, ',')
		m.ext = append(m.ext, rest...)
	}
	m.headers[i].value = m.ext[start:len(m.ext):len(m.ext)]
	return true
}

// hostIsIP reports whether a sent-by host is the address ip.
func hostIsIP(host []byte, ip netip.Addr) bool {
	host = bytes.TrimSuffix(bytes.TrimPrefix(host, []byte("[")), []byte("]"))
	a, err := netip.ParseAddr(string(host))
	return err == nil && a.Unmap() == ip
}
