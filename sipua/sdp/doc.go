// Package sdp parses and writes session descriptions (SDP, RFC 8866, which
// obsoletes RFC 4566) and negotiates one audio stream with the offer/answer
// model of RFC 3264, as the SIP user agent needs for every INVITE, re-INVITE
// and UPDATE that carries a body.
//
// # Descriptions
//
// Parse reads a description into a Description: the session-level lines
// (v, o, s, i, u, e, p, c, b, t, r, z, k, a) and one MediaDescription per m=
// line with its own i, c, b, k and a lines. Attributes are kept as they came,
// as name and value; helpers interpret the ones offer/answer needs: rtpmap
// (with the static payload types of RFC 3551 known without one), fmtp,
// ptime, maxptime, the direction attributes, rtcp (RFC 3605) and rtcp-mux.
// Anything else, crypto lines included, stays an attribute to be read by
// name.
//
// Parse accepts CRLF and bare LF line ends, ignores blank lines and trailing
// white space, and bounds what it reads (MaxSize, MaxLines, MaxMedia,
// MaxFormats). A malformed description yields a *SyntaxError that names the
// line ("sdp line 4: ..."), never a panic; its text never quotes the input.
// A parsed Description owns its strings: it does not alias the input.
//
// AppendTo and Marshal write a Description back with CRLF line ends, in the
// order RFC 8866 §5 prescribes. Parsing what AppendTo wrote gives back an
// equal Description.
//
// # Offer and answer
//
// A Session is one side of the offer/answer exchanges of one SIP dialog: it
// makes our offers (Offer) and takes the answers to them (Accept), answers
// the remote party's offers (Answer), puts the stream on hold (Hold) and says
// what was agreed (Negotiated). It offers and accepts G.722, PCMU and PCMA
// over RTP/AVP, with telephone-event (RFC 4733) for DTMF, in the preference
// order of its Config. Streams it cannot use (video, SRTP profiles, a second
// audio stream) are rejected with port 0, keeping the m-line count and order
// that RFC 3264 §6 and §8 require, and every SDP it writes carries the same
// o= session id with a version that grows by one whenever the description
// changes (RFC 3264 §8).
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
// Neither a Description nor a Session is safe for concurrent use. The SIP
// layer owns a dialog's Session and serializes the calls to it, as it
// serializes the dialog's offers and answers. Distinct Sessions are
// independent.
package sdp
