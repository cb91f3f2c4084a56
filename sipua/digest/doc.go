// Package digest implements HTTP Digest authentication as SIP uses it
// (RFC 3261 §22.4, RFC 7616, RFC 8760): the client side that answers a 401
// or 407 challenge, and a small server side that issues challenges and
// verifies credentials.
//
// The algorithms are MD5, SHA-256 and SHA-512-256 (SHA-512/256 of FIPS
// 180-4), each also in its -sess form; the qop values are "auth" and
// "auth-int", and a challenge without qop is answered in the RFC 2069 style.
//
// Client side: ParseChallenge reads one WWW-Authenticate or
// Proxy-Authenticate value, Choose picks the challenges to answer from a
// response (per realm, the topmost one with a supported algorithm, RFC 8760
// §2.4), and Challenge.Authorize computes an Authorization or
// Proxy-Authorization value. A Client keeps the chosen challenges, the nonce
// counts and the credentials between requests.
//
// Server side: a Server issues challenges with stateless nonces that expire
// after a lifetime, ParseAuthorization reads credentials, and Server.Verify
// checks them against a password or a stored HA1. Its Throttle counts wrong
// answers per source address and blocks a source that guesses too fast,
// with a bounded table of sources.
//
// Not supported: the userhash, charset and domain parameters of RFC 7616
// (userhash is optional for a client; the others are ignored), the
// username* parameter, and the server-side tracking of nonce counts against
// replays.
package digest
