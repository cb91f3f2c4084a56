package message

import (
	"bytes"
	"errors"
	"io"
	"strconv"
)

// StreamReader reads SIP messages from a byte stream (TCP or TLS), framed by
// their Content-Length (RFC 3261 §18.3). CRLFs between messages, such as the
// keep-alives of RFC 5626 §4.4.1, are skipped. A message without
// Content-Length has an empty body.
//
// After an error other than io.EOF the framing is lost: the caller closes
// the connection.
type StreamReader struct {
	// Limits bounds each message; a zero field takes its default.
	Limits Limits
	// KeepAlive, if set, is called for each CRLFCRLF ping between messages
	// (RFC 5626 §4.4.1), so that the caller can answer it with a CRLF pong.
	KeepAlive func()

	r          io.Reader
	buf        []byte
	start, end int // the unread bytes are buf[start:end]
}

// streamReadSize is the buffer's first size and the least it reads at once.
const streamReadSize = 4096

// NewStreamReader returns a StreamReader that reads from r.
func NewStreamReader(r io.Reader) *StreamReader {
	return &StreamReader{r: r}
}

// Read reads the next message into m, replacing what m held. m aliases the
// reader's buffer and stays valid until the next Read. At the end of the
// stream between messages Read returns io.EOF, and io.ErrUnexpectedEOF within
// one.
func (s *StreamReader) Read(m *Message) error {
	lim := s.Limits.withDefaults()
	if s.start > 0 { // move what is left of the stream to the front
		s.end = copy(s.buf, s.buf[s.start:s.end])
		s.start = 0
	}
	var headLen int
	m.Reset()
	lineChecked := false
	for {
		for s.start < s.end && (s.buf[s.start] == '\r' || s.buf[s.start] == '\n') {
			if s.KeepAlive != nil && s.end-s.start >= 4 && string(s.buf[s.start:s.start+4]) == "\r\n\r\n" {
				s.start += 4
				s.KeepAlive()
				continue
			}
			s.start++
		}
		if !lineChecked {
			// Refuse garbage, such as the rest of a body longer than its
			// Content-Length said, as soon as its first line is in,
			// rather than when a blank line or a timeout comes.
			if end, next := lineAt(s.buf[s.start:s.end], 0); next >= 0 {
				lineChecked = true
				// A request line with a fault inside is answered once its
				// header fields are in (parseHead); garbage is not.
				if err := m.parseStartLine(s.buf[s.start : s.start+end]); err != nil && !m.request {
					return err
				}
			} else if s.end-s.start > lim.MaxLineLength {
				return &ParseError{Status: 513, Msg: "start line longer than " + strconv.Itoa(lim.MaxLineLength) + " bytes"}
			}
		}
		if headLen = headEnd(s.buf[s.start:s.end]); headLen > 0 {
			break
		}
		if s.end-s.start > lim.MaxMessageSize {
			return &ParseError{Status: 513, Msg: "header fields longer than " + strconv.Itoa(lim.MaxMessageSize) + " bytes"}
		}
		if err := s.fill(lim); err != nil {
			return err
		}
	}
	m.Reset()
	head := s.buf[s.start : s.start+headLen]
	if _, err := m.parseHead(head, lim); err != nil {
		return err
	}
	cl, err := m.declaredContentLength()
	if err != nil {
		return err
	}
	cl = max(cl, 0)
	if headLen+cl > lim.MaxMessageSize {
		return &ParseError{Status: 513, Msg: "message larger than " + strconv.Itoa(lim.MaxMessageSize) + " bytes"}
	}
	for s.end-s.start < headLen+cl {
		if err := s.fill(lim); err != nil {
			return err
		}
	}
	m.body = s.buf[s.start+headLen : s.start+headLen+cl]
	s.start += headLen + cl
	return nil
}

// Buffered returns the number of bytes read from the stream but not yet
// returned in a message: the start of the next message, if any.
func (s *StreamReader) Buffered() int { return s.end - s.start }

// fill reads more of the stream, growing the buffer up to twice the largest
// message (one message and the start of the next). It never moves bytes
// within the buffer, which a message being read may alias; it grows into a
// new one instead.
func (s *StreamReader) fill(lim Limits) error {
	if len(s.buf)-s.end < streamReadSize {
		size := max(2*len(s.buf), streamReadSize)
		size = min(size, 2*lim.MaxMessageSize+streamReadSize)
		if size <= len(s.buf) {
			return &ParseError{Status: 513, Msg: "message larger than " + strconv.Itoa(lim.MaxMessageSize) + " bytes"}
		}
		grown := make([]byte, size)
		s.end = copy(grown, s.buf[s.start:s.end])
		s.buf, s.start = grown, 0
	}
	n, err := s.r.Read(s.buf[s.end:])
	s.end += n
	if n > 0 {
		return nil
	}
	if errors.Is(err, io.EOF) && s.end > s.start {
		return io.ErrUnexpectedEOF
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// headEnd returns the length of the head (start line and header fields up to
// and including the blank line) at the start of b, or 0 if b does not hold
// all of it yet.
func headEnd(b []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return 0
		}
		i += j + 1
		if i < len(b) && b[i] == '\n' {
			return i + 1
		}
		if i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n' {
			return i + 2
		}
	}
}
