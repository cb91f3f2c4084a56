// Package sdp parses and writes session descriptions (SDP, RFC 8866, which
// obsoletes RFC 4566) and negotiates one audio stream with the offer/answer
// model of RFC 3264, as the SIP user agent needs for every INVITE, re-INVITE
// and UPDATE that carries a body.
//
// # Descriptions
//
// Parse reads a description with pion/sdp (github.com/pion/sdp/v3) into its
// SessionDescription, behind a boundary of this package: it bounds what it
// reads (MaxSize, MaxLines, MaxMedia, MaxFormats), accepts CRLF and bare LF
// line ends, blank lines, trailing white space and a missing final line
// end, and turns every refusal into a *SyntaxError that names the line
// ("sdp line 4: malformed o= line"), never a panic; its text never quotes
// the input. pion is stricter than RFC 8866 asks in places: it wants the
// lines in the order of RFC 8866 §5 and the mandatory s= and t= lines,
// allows one e= and one p= line, and knows only the registered media types
// (audio, video, text, application, message), transport protocols and
// bandwidth types; a description outside that is refused whole.
//
// Our own SDP is built as a pion SessionDescription and written with its
// Marshal, CRLF line ends in the order of RFC 8866 §5. Helpers of this
// package read what offer/answer needs from pion's media descriptions:
// rtpmap (with the static payload types of RFC 3551 known without one),
// fmtp, ptime, the direction attributes and rtcp (RFC 3605); pion's own
// codec helpers merge payload types across m= lines, which RFC 3264 does
// not allow, and are not used.
//
// # Offer and answer
//
// A Session is one side of the offer/answer exchanges of one SIP dialog: it
// makes our offers (Offer) and takes the answers to them (Accept), answers
// the remote party's offers (Answer), puts the stream on hold (Hold) and says
// what was agreed (Negotiated). It offers and accepts G.722, PCMU and PCMA
// over RTP/AVP, with telephone-event (RFC 4733) for DTMF, in the preference
// order of its Config. Streams it cannot use (video, DTLS-SRTP profiles, a
// second audio stream) are rejected with port 0, keeping the m-line count
// and order that RFC 3264 §6 and §8 require, and every SDP it writes
// carries the same o= session id with a version that grows by one whenever
// the description changes (RFC 3264 §8).
//
// # SRTP
//
// Config.SRTP keys SRTP (RFC 3711) with SDP security descriptions (SDES,
// RFC 4568) for AES_CM_128_HMAC_SHA1_80 and AES_CM_128_HMAC_SHA1_32:
// SRTPOff is plain RTP/AVP, SRTPOptional offers crypto lines on RTP/AVP
// (best-effort SRTP) and falls back to plain RTP, SRTPMandatory offers
// RTP/SAVP and refuses plain RTP. Offers carry a crypto line per suite,
// answers the one crypto line that the offer's first usable line asks for,
// each with a 30-byte master key and salt from crypto/rand. Crypto lines
// are parsed strictly; a line we cannot use (another suite, an MKI, a
// session parameter other than WSH, a malformed line) is skipped in an
// offer and refused in an answer. A Session keeps one master key per suite
// for its whole life: re-offers and re-answers carry the same keys (RFC
// 4568 §6.1 lets a re-offer keep them), so hold, resume and session
// refreshes do not re-key our sending side, while the remote party's keys
// are whatever its latest SDP says. Media.SRTP gives the profile and both
// sides' keys to the SRTP layer, nil for plain RTP.
//
// When no audio stream of an offer can be used, Answer returns an error that
// wraps ErrNotAcceptable, for the SIP layer to answer 488 Not Acceptable Here;
// a malformed offer yields a *SyntaxError (400 Bad Request). A call out of
// sequence, such as Accept with no offer pending, yields ErrNoOffer or
// ErrOfferPending and leaves the Session as it was.
//
// RTP itself is not here: Negotiated gives the codec, payload types, remote
// addresses, direction and packet time that an RTP session is set up with.
//
// # Concurrency
//
// A Session is not safe for concurrent use. The SIP layer owns a dialog's
// Session and serializes the calls to it, as it serializes the dialog's
// offers and answers. Distinct Sessions are independent.
package sdp
