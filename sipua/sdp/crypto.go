package sdp

import (
	crand "crypto/rand"
	"encoding/base64"
	"strings"

	psdp "github.com/pion/sdp/v3"
)

// SRTPMode says whether a Session protects the audio stream with SRTP
// (RFC 3711), keyed by SDP security descriptions (SDES, RFC 4568): a=crypto
// lines that carry the master keys in the SDP, which is only as secret as
// the signalling path (SIP over TLS).
type SRTPMode uint8

// The SRTP modes of a Session.
const (
	// SRTPOff offers RTP/AVP without crypto lines, rejects RTP/SAVP
	// streams, and answers RTP/AVP streams without crypto lines even when
	// they carry some: by RFC 4568 crypto lines on RTP/AVP ask for SRTP
	// on a best-effort basis, and an answer without them means plain RTP.
	SRTPOff SRTPMode = iota
	// SRTPOptional offers RTP/AVP with crypto lines (best-effort SRTP)
	// and takes an answer with or without one; it answers RTP/AVP and
	// RTP/SAVP streams with SRTP when they have a crypto line we support,
	// and RTP/AVP streams without one with plain RTP.
	SRTPOptional
	// SRTPMandatory offers RTP/SAVP with crypto lines and requires SRTP:
	// an answer without a crypto line we can use, or an offer whose audio
	// streams have none, is not acceptable (488).
	SRTPMandatory
)

// String returns "off", "optional" or "mandatory".
func (m SRTPMode) String() string {
	switch m {
	case SRTPOff:
		return "off"
	case SRTPOptional:
		return "optional"
	case SRTPMandatory:
		return "mandatory"
	}
	return "invalid"
}

// SRTPKeys are the SRTP master keys and salts of an audio stream, as an
// offer/answer exchange with crypto lines agreed on them: ours, to protect
// what we send, and the remote party's, to check and decrypt what we
// receive. They are not to be modified.
type SRTPKeys struct {
	// Profile is the crypto suite, the SRTP protection profile:
	// "AES_CM_128_HMAC_SHA1_80" or "AES_CM_128_HMAC_SHA1_32".
	Profile string
	// LocalKey and LocalSalt are our master key (16 bytes) and master
	// salt (14 bytes).
	LocalKey, LocalSalt []byte
	// RemoteKey and RemoteSalt are the remote party's master key (16
	// bytes) and master salt (14 bytes).
	RemoteKey, RemoteSalt []byte
}

// suites are the crypto suites (RFC 4568 §6.2) a Session offers and
// accepts, in our order of preference. The tag of each in our offers is its
// index plus one.
var suites = [...]string{"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"}

// The sizes of the master key and salt of our suites (RFC 4568 §6.2.1).
const (
	keyLen    = 16
	saltLen   = 14
	masterLen = keyLen + saltLen
)

// masterKey is a master key followed by its master salt, as the inline
// key-salt of a crypto line carries them.
type masterKey [masterLen]byte

// cryptoLine is a crypto line that a Session can use.
type cryptoLine struct {
	tag   string // as written, 1 to 9 digits
	suite int    // index in suites
	key   masterKey
}

// parseCrypto parses the value of an a=crypto attribute (RFC 4568 §9.1),
//
//	<tag> <crypto-suite> inline:<key-salt>[|<lifetime>][|<MKI>:<length>] [<session-param> ...]
//
// strictly. It returns the line when it is well formed and one we can use;
// otherwise a reason, and whether the line is malformed rather than well
// formed but unusable to us: another suite or key method, more than one
// key, an MKI (we do not support MKIs), or a session parameter other than
// the window-size hint WSH. A lifetime is checked but not enforced.
func parseCrypto(value string) (c cryptoLine, reason string, malformed bool) {
	tag, rest := nextField(value)
	if len(tag) > 9 || !digits(tag) {
		return c, "tag is not 1 to 9 digits", true
	}
	c.tag = tag
	suite, rest := nextField(rest)
	if suite == "" || strings.Trim(suite, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		return c, "no crypto suite", true
	}
	c.suite = -1
	for i, s := range suites {
		if suite == s {
			c.suite = i
		}
	}
	if c.suite < 0 {
		return c, "unsupported crypto suite", false
	}
	params, rest := nextField(rest)
	method, info, ok := strings.Cut(params, ":")
	if !ok || method == "" || info == "" {
		return c, "no key parameters", true
	}
	if !strings.EqualFold(method, "inline") {
		return c, "key method is not inline", false
	}
	if strings.Contains(info, ";") {
		return c, "more than one key", false
	}
	keySalt, extra, more := strings.Cut(info, "|")
	// 30 bytes are 40 characters of base64, without padding; checking the
	// length first keeps Decode within c.key.
	if len(keySalt) != 40 {
		return c, "key and salt are not 30 bytes of base64", true
	}
	if n, err := base64.StdEncoding.Strict().Decode(c.key[:], []byte(keySalt)); err != nil || n != masterLen {
		return c, "key and salt are not 30 bytes of base64", true
	}
	mki := false
	for i := 0; more; i++ {
		var part string
		part, extra, more = strings.Cut(extra, "|")
		if value, length, isMKI := strings.Cut(part, ":"); isMKI {
			n, ok := parseUint(length, 128)
			if more || !digits(value) || !ok || n == 0 {
				return c, "malformed MKI", true
			}
			mki = true
			continue
		}
		if i > 0 || !validLifetime(part) {
			return c, "malformed lifetime", true
		}
	}
	for {
		var param string
		if param, rest = nextField(rest); param == "" {
			break
		}
		// WSH, the window size hint (RFC 4568 §6.3.7), is at least 64.
		if v, ok := strings.CutPrefix(param, "WSH="); ok {
			if n, ok := parseUint(v, 1<<31); ok && n >= 64 {
				continue
			}
			return c, "malformed WSH", true
		}
		return c, "unsupported session parameter", false
	}
	if mki {
		return c, "MKI not supported", false
	}
	return c, "", false
}

// validLifetime reports whether s is a key lifetime, "2^<n>" or "<n>"
// packets, of at most 2^48, the SRTP maximum (RFC 3711 §9.2).
func validLifetime(s string) bool {
	if e, ok := strings.CutPrefix(s, "2^"); ok {
		_, ok := parseUint(e, 48)
		return ok
	}
	n, ok := parseUint(s, 1<<48)
	return ok && n > 0
}

// digits reports whether s is one or more decimal digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// chooseCrypto returns the first crypto line of the offered m= section m
// that we can use, in the offerer's order of preference, and false when
// there is none. Lines we cannot use are skipped (RFC 4568 §7.1.2).
func chooseCrypto(m *psdp.MediaDescription) (cryptoLine, bool) {
	for i := range m.Attributes {
		if !strings.EqualFold(m.Attributes[i].Key, "crypto") {
			continue
		}
		if c, reason, _ := parseCrypto(m.Attributes[i].Value); reason == "" {
			return c, true
		}
	}
	return cryptoLine{}, false
}

// inlineKey returns our master key and salt for suite i in base64, as the
// key-salt of a crypto line. The Session makes it from crypto/rand when it
// first needs it and keeps it for its whole life.
func (s *Session) inlineKey(i int) string {
	if s.inline[i] == "" {
		_, _ = crand.Read(s.keys[i][:]) // it never fails (crypto/rand)
		s.inline[i] = base64.StdEncoding.EncodeToString(s.keys[i][:])
	}
	return s.inline[i]
}

// srtpKeys returns the SRTPKeys of suite i with our key for it and the
// remote party's key remote, in arrays of their own.
func (s *Session) srtpKeys(i int, remote *masterKey) *SRTPKeys {
	s.inlineKey(i)
	var b [2 * masterLen]byte
	copy(b[:], s.keys[i][:])
	copy(b[masterLen:], remote[:])
	return &SRTPKeys{
		Profile:    suites[i],
		LocalKey:   b[:keyLen:keyLen],
		LocalSalt:  b[keyLen:masterLen:masterLen],
		RemoteKey:  b[masterLen : masterLen+keyLen : masterLen+keyLen],
		RemoteSalt: b[masterLen+keyLen:],
	}
}
