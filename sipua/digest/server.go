package digest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"
)

// DefaultNonceLifetime is how long a Server's nonce is good for when its
// Lifetime is zero.
const DefaultNonceLifetime = 5 * time.Minute

// ErrStale is returned by Server.Verify for credentials that are right but
// whose nonce has expired: the server answers with a challenge with stale
// set, and the client retries at once with the new nonce (RFC 7616 §3.3).
var ErrStale = errors.New("digest: nonce expired")

// Server issues Digest challenges for one realm and verifies the
// credentials that answer them. Its nonces are stateless: each carries the
// time it was issued and a MAC under a key the Server draws at random, so a
// Server keeps nothing per nonce, and its nonces are worthless to another
// Server or after a restart. It does not track nonce counts, so it does not
// detect replays within a nonce's lifetime.
//
// A Server must be made with NewServer. It is safe for concurrent use as
// long as Lifetime is not changed.
type Server struct {
	// Lifetime is how long a nonce is accepted; a request with an older
	// nonce and the right response gets ErrStale. Zero means
	// DefaultNonceLifetime.
	Lifetime time.Duration

	realm string
	algs  []Algorithm
	key   [32]byte
	now   func() time.Time // for tests

	throttle *Throttle
}

// nonce layout before base64: issue time in Unix nanoseconds, random bytes,
// MAC of both and the realm.
const (
	nonceTimeLen = 8
	nonceRandLen = 8
	nonceMACLen  = 16
	nonceLen     = nonceTimeLen + nonceRandLen + nonceMACLen
)

// NewServer returns a Server for realm that offers the given algorithms in
// that order of preference, by default SHA-256 and then MD5 (most SIP
// phones support only MD5; RFC 8760 §2.3).
func NewServer(realm string, algs ...Algorithm) (*Server, error) {
	if realm == "" {
		return nil, errors.New("digest: realm empty")
	}
	if err := checkText("realm", realm); err != nil {
		return nil, err
	}
	if len(algs) == 0 {
		algs = []Algorithm{SHA256, MD5}
	}
	for _, a := range algs {
		if !a.valid() {
			return nil, fmt.Errorf("digest: unsupported algorithm %v", a)
		}
	}
	s := &Server{realm: realm, algs: slices.Clone(algs), now: time.Now, throttle: NewThrottle(DefaultLimits)}
	rand.Read(s.key[:]) // never fails (crypto/rand, Go 1.24+)
	return s, nil
}

// Throttle returns the Server's limit on password guessing, with
// DefaultLimits until changed with SetLimits. Verify does not consult it:
// the caller, who knows the request's source, asks Throttle.Blocked before
// checking credentials and calls Throttle.Fail when they are wrong.
func (s *Server) Throttle() *Throttle { return s.throttle }

// Challenges returns the values of the WWW-Authenticate (or
// Proxy-Authenticate) header fields for a 401 (or 407) response, one per
// algorithm, in order of preference, sharing one fresh nonce, with
// qop="auth", and with stale=true when stale is set (after Verify returned
// ErrStale).
func (s *Server) Challenges(stale bool) []string {
	nonce := s.newNonce()
	out := make([]string, len(s.algs))
	for i, a := range s.algs {
		b := appendQuoted([]byte("Digest realm="), s.realm)
		b = append(b, `, nonce="`...)
		b = append(b, nonce...)
		b = append(b, `", algorithm=`...)
		b = append(b, a.String()...)
		b = append(b, `, qop="auth"`...)
		if stale {
			b = append(b, ", stale=true"...)
		}
		out[i] = string(b)
	}
	return out
}

func (s *Server) newNonce() string {
	var n [nonceLen]byte
	binary.BigEndian.PutUint64(n[:nonceTimeLen], uint64(s.now().UnixNano()))
	rand.Read(n[nonceTimeLen : nonceTimeLen+nonceRandLen])
	s.mac(n[nonceTimeLen+nonceRandLen:], n[:nonceTimeLen+nonceRandLen])
	return base64.RawURLEncoding.EncodeToString(n[:])
}

// mac writes the MAC of the nonce's time and random bytes to dst.
func (s *Server) mac(dst, data []byte) {
	m := hmac.New(sha256.New, s.key[:])
	m.Write([]byte(s.realm))
	m.Write([]byte{0})
	m.Write(data)
	copy(dst, m.Sum(nil))
}

// nonceTime returns when nonce was issued, or an error if this Server did
// not issue it.
func (s *Server) nonceTime(nonce string) (time.Time, error) {
	var n [nonceLen]byte
	if base64.RawURLEncoding.EncodedLen(nonceLen) != len(nonce) {
		return time.Time{}, errors.New("digest: nonce not issued by this server")
	}
	if _, err := base64.RawURLEncoding.Decode(n[:], []byte(nonce)); err != nil {
		return time.Time{}, errors.New("digest: nonce not issued by this server")
	}
	var want [nonceMACLen]byte
	s.mac(want[:], n[:nonceTimeLen+nonceRandLen])
	if !hmac.Equal(want[:], n[nonceTimeLen+nonceRandLen:]) {
		return time.Time{}, errors.New("digest: nonce not issued by this server")
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(n[:nonceTimeLen]))), nil
}

// Verify checks credentials that answer one of s's challenges: the realm,
// an algorithm s offers, qop auth or auth-int, a nonce s issued, and the
// response (Authorization.Verify). Right credentials with a nonce older
// than the Lifetime give ErrStale, a wrong response ErrMismatch.
func (s *Server) Verify(a *Authorization, req Request, cred Credentials) error {
	if a.Realm != s.realm {
		return fmt.Errorf("digest: realm %s is not %s", quote(a.Realm), quote(s.realm))
	}
	if !slices.Contains(s.algs, a.Algorithm) {
		return fmt.Errorf("digest: algorithm %v not offered", a.Algorithm)
	}
	if a.QOP == "" {
		return errors.New("digest: qop missing: credentials without qop are not accepted")
	}
	issued, err := s.nonceTime(a.Nonce)
	if err != nil {
		return err
	}
	if err := a.Verify(req, cred); err != nil {
		return err
	}
	lifetime := s.Lifetime
	if lifetime == 0 {
		lifetime = DefaultNonceLifetime
	}
	if age := s.now().Sub(issued); age > lifetime || age < -time.Minute {
		return ErrStale
	}
	return nil
}
