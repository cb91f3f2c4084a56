package digest

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Algorithm is a digest algorithm of the IANA "HTTP Digest Hash Algorithms"
// registry (RFC 7616 §6.1). The zero value is MD5, the algorithm of a
// challenge that names none.
type Algorithm uint8

// The algorithms this package implements. Each -sess algorithm follows
// its base algorithm, so that a&^1 is the base of a.
const (
	MD5            Algorithm = iota // MD5 (RFC 2617), the default
	MD5Sess                         // MD5-sess
	SHA256                          // SHA-256 (RFC 7616, RFC 8760)
	SHA256Sess                      // SHA-256-sess
	SHA512_256                      // SHA-512-256: SHA-512/256 of FIPS 180-4
	SHA512_256Sess                  // SHA-512-256-sess
	numAlgorithms
)

var algorithmNames = [numAlgorithms]string{
	MD5:            "MD5",
	MD5Sess:        "MD5-sess",
	SHA256:         "SHA-256",
	SHA256Sess:     "SHA-256-sess",
	SHA512_256:     "SHA-512-256",
	SHA512_256Sess: "SHA-512-256-sess",
}

// ParseAlgorithm returns the algorithm called name, compared without regard
// to ASCII case.
func ParseAlgorithm(name string) (Algorithm, error) {
	for a, n := range algorithmNames {
		if strings.EqualFold(name, n) {
			return Algorithm(a), nil
		}
	}
	return 0, fmt.Errorf("digest: unsupported algorithm %s", quote(name))
}

// String returns the algorithm's registered name, such as "SHA-256-sess".
func (a Algorithm) String() string {
	if a.valid() {
		return algorithmNames[a]
	}
	return "Algorithm(" + strconv.Itoa(int(a)) + ")"
}

// Session reports whether a is a -sess algorithm, whose HA1 also hashes the
// nonce and the cnonce (RFC 7616 §3.4.2).
func (a Algorithm) Session() bool { return a.valid() && a%2 == 1 }

func (a Algorithm) valid() bool { return a < numAlgorithms }

// hexLen returns the length of a's digests in hexadecimal.
func (a Algorithm) hexLen() int {
	if a&^1 == MD5 {
		return 2 * md5.Size
	}
	return 2 * sha256.Size // SHA-512/256 is as long as SHA-256
}

// appendSum appends the lower-case hexadecimal digest of data (RFC 8760
// §2.2) to dst. a must be valid.
func (a Algorithm) appendSum(dst, data []byte) []byte {
	switch a &^ 1 {
	case MD5:
		s := md5.Sum(data)
		return hex.AppendEncode(dst, s[:])
	case SHA256:
		s := sha256.Sum256(data)
		return hex.AppendEncode(dst, s[:])
	default:
		s := sha512.Sum512_256(data)
		return hex.AppendEncode(dst, s[:])
	}
}
