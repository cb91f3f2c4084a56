// Package message parses and serializes SIP messages (RFC 3261 §7, §20, §25)
// for a small, long-running user agent.
//
// Parsing is lazy and allocation-free: Unmarshal splits a message into its
// start line, header fields and body, keeping every value as a slice of the
// received buffer, and the typed accessors (Via, From, CSeq, ...) interpret a
// value only when asked. A Message can be Reset and reused, so a transport
// that keeps one Message per socket parses without allocating.
//
// A parsed Message aliases the buffer it was parsed from: the caller must
// not modify that buffer while the Message is in use. Unmarshal rewrites
// folded header lines (CRLF followed by white space) in place into spaces,
// which RFC 3261 §7.3.1 makes equivalent.
//
// Validate checks what a user agent relies on (the mandatory header fields,
// their syntax and counts, the Request-URI, Date, ...); every error is a
// *ParseError that names the status code and reason a UAS answers with.
//
// Messages are built with the Init, Set and Add methods, which copy their
// arguments into the Message, and serialized with AppendTo into a
// caller-owned buffer.
//
// A Message is not safe for concurrent use.
package message
