package message

// ParseError says why a message is malformed and how a UAS answers it.
// Its text never contains bytes of the message, so Reason can be put into a
// response's reason phrase and Error into a log line as they are.
type ParseError struct {
	// Status is the response code a UAS sends for a malformed request:
	// 400, 505 (SIP version), 501 (unknown method in a mismatched CSeq) or
	// 513 (over a size limit). A malformed response is dropped instead.
	Status int
	// Header is the canonical name of the header field at fault, or empty
	// when the fault is in the start line or the framing.
	Header string
	// Msg says what is wrong, in lower case without a final period.
	Msg string
}

// Error returns "sip: " followed by the header name, if any, and Msg.
func (e *ParseError) Error() string {
	if e.Header != "" {
		return "sip: " + e.Header + ": " + e.Msg
	}
	return "sip: " + e.Msg
}

// Reason returns a reason phrase for the response to the malformed request,
// for example "Bad Request (Via: empty parameter)".
func (e *ParseError) Reason() string {
	phrase := "Bad Request"
	switch e.Status {
	case 501:
		phrase = "Not Implemented"
	case 505:
		phrase = "Version Not Supported"
	case 513:
		phrase = "Message Too Large"
	}
	if e.Header != "" {
		return phrase + " (" + e.Header + ": " + e.Msg + ")"
	}
	return phrase + " (" + e.Msg + ")"
}

// badRequest returns a 400 ParseError.
func badRequest(header, msg string) *ParseError {
	return &ParseError{Status: 400, Header: header, Msg: msg}
}

// ErrIncomplete is returned by Unmarshal when a datagram ends before the
// blank line that ends the header fields.
var ErrIncomplete = &ParseError{Status: 400, Msg: "message ends inside the header fields"}
