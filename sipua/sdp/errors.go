package sdp

import (
	"errors"
	"strconv"
)

// SyntaxError says why a description is malformed and where. Its text never
// contains bytes of the description, so it can be logged, or put into a
// reason phrase, as it is.
type SyntaxError struct {
	// Line is the number of the offending line, counting from 1 and
	// including blank lines, or 0 when the fault is in the whole
	// description (its size, a missing line).
	Line int
	// Msg says what is wrong, in lower case without a final period.
	Msg string
}

// Error returns "sdp line N: " followed by Msg, or "sdp: " and Msg when the
// fault has no line.
func (e *SyntaxError) Error() string {
	if e.Line == 0 {
		return "sdp: " + e.Msg
	}
	return "sdp line " + strconv.Itoa(e.Line) + ": " + e.Msg
}

// ErrNotAcceptable is wrapped by the errors of Answer when the offer is
// well formed but no audio stream of it can be used (no common codec, a
// transport protocol or crypto lines our SRTP mode cannot use, no usable
// address), and by those of Accept when the answer leaves no usable audio
// stream (rejected, no codec we offered, no crypto line on RTP/SAVP, a
// crypto line with an MKI). The SIP layer answers such an offer with
// 488 Not Acceptable Here (RFC 3261 §13.3.1.1). Test for it with errors.Is.
var ErrNotAcceptable = errors.New("sdp: not acceptable")

// ErrOfferPending is returned by Offer and Answer while an offer of ours
// awaits its answer: RFC 3264 §4 allows one offer at a time. A remote offer
// crossing ours is a glare, which SIP answers with 491 Request Pending.
var ErrOfferPending = errors.New("sdp: an offer of ours is awaiting its answer")

// ErrNoOffer is returned by Accept when no offer of ours is awaiting an
// answer.
var ErrNoOffer = errors.New("sdp: no offer of ours is awaiting an answer")
