package digest

import "testing"

// BenchmarkAuthorizeRegister computes the Authorization value of a
// REGISTER retried after a 401, into a reused buffer.
func BenchmarkAuthorizeRegister(b *testing.B) {
	for _, alg := range []string{"MD5", "SHA-256"} {
		b.Run(alg, func(b *testing.B) {
			ch, err := ParseChallenge([]byte(`Digest realm="pbx.example.com", nonce="6657a1b4000f5d2e8c91a7b3f4e5d6c7b8a9", ` +
				`opaque="5ccc069c403ebaf9f0171e9517f40e41", algorithm=` + alg + `, qop="auth"`))
			if err != nil {
				b.Fatal(err)
			}
			cred := Credentials{Username: "2001", Password: "secret"}
			req := Request{Method: "REGISTER", URI: "sip:pbx.example.com"}
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			for b.Loop() {
				if buf, err = ch.AppendAuthorize(buf[:0], cred, req, 1, "0a4f113b"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
