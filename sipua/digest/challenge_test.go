package digest

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseChallenge(t *testing.T) {
	tests := []struct {
		in   string
		want Challenge
	}{
		{
			in:   `Digest realm="pbx.example.org", nonce="abc"`,
			want: Challenge{Realm: "pbx.example.org", Nonce: "abc", Algorithm: MD5},
		},
		{
			in: `digest REALM="r", Nonce="n", ALGORITHM=sha-512-256-SESS, qop="auth-int,auth", stale=TRUE, opaque="o"`,
			want: Challenge{Realm: "r", Nonce: "n", Opaque: "o", Algorithm: SHA512_256Sess,
				QOPAuth: true, QOPAuthInt: true, Stale: true},
		},
		{
			// Liberal: quoted algorithm, unquoted nonce with base64
			// characters, white space around "=", empty list elements,
			// unknown parameters and qop values, folded white space.
			in: "DIGEST  realm = \"a \\\"quoted\\\" realm\" ,, nonce=YWJj/+=, algorithm=\"SHA-256\",\t" +
				`qop=" auth-conf , auth-int ", stale=false, userhash=true, domain="sip:a sip:b", charset=UTF-8,`,
			want: Challenge{Realm: `a "quoted" realm`, Nonce: "YWJj/+=", Algorithm: SHA256, QOPAuthInt: true},
		},
		{
			in:   `Digest realm="", nonce="n", stale=maybe`,
			want: Challenge{Realm: "", Nonce: "n"},
		},
		{
			// Commas inside quotes do not split.
			in:   `Digest nonce="a,b", realm="x,y", algorithm=MD5-sess`,
			want: Challenge{Realm: "x,y", Nonce: "a,b", Algorithm: MD5Sess},
		},
	}
	for _, tt := range tests {
		got, err := ParseChallenge([]byte(tt.in))
		if tt.want.Realm == "" {
			// An empty realm is refused.
			if err == nil {
				t.Errorf("ParseChallenge(%q) = %+v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseChallenge(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseChallenge(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseChallengeErrors(t *testing.T) {
	tests := []struct {
		in, want string // want: a part of the error text
	}{
		{``, "malformed authentication scheme"},
		{`Basic realm="x"`, `scheme "Basic" is not Digest`},
		{`Bearer`, `scheme "Bearer" is not Digest`},
		{`Digest`, "realm parameter missing"},
		{`Digest nonce="n"`, "realm parameter missing"},
		{`Digest realm="r"`, "nonce parameter missing"},
		{`Digest realm="r", nonce=""`, "nonce parameter empty"},
		{`Digest realm="", nonce="n"`, "realm parameter empty"},
		{`Digest realm="r", nonce="n", algorithm=SHA-1`, `unsupported algorithm "SHA-1"`},
		{`Digest realm="r", nonce="n", algorithm=SHA-512/256`, `unsupported algorithm "SHA-512/256"`},
		{`Digest realm="r", nonce="n", algorithm=""`, `unsupported algorithm ""`},
		{`Digest realm="r", nonce="n", qop="auth-conf"`, `qop "auth-conf" offers neither auth nor auth-int`},
		{`Digest realm="r", nonce="n", qop=""`, `qop "" offers neither`},
		{`Digest realm=pbx example, nonce="n"`, `realm parameter followed by "example, nonce=\"n\"" instead of a comma`},
		{`Digest realm="r" nonce="n"`, `realm parameter followed by "nonce=\"n\"" instead of a comma`},
		{`Digest realm="r, nonce="n"`, `realm parameter followed by "n\""`},
		{`Digest realm="r", nonce="n`, "nonce parameter: unterminated quoted string"},
		{`Digest realm="r", nonce="n\`, "nonce parameter: unterminated quoted string"},
		{"Digest realm=\"r\x01\", nonce=\"n\"", "realm parameter: control character"},
		{`Digest realm="r", nonce`, "nonce parameter without a value"},
		{`Digest realm="r", nonce=`, "nonce parameter without a value"},
		{`Digest realm="r", nonce=, qop="auth"`, "nonce parameter without a value"},
		{`Digest realm="r", =x`, `expected a parameter name at "=x"`},
		{`Digest realm="r", "n"`, `expected a parameter name at "\"n\""`},
		{`Digest realm="r", nonce=<n>`, "nonce parameter without a value"},
		{`Digest realm="r", nonce="n", Realm="s"`, "Realm parameter given twice"},
		{`Digest realm="r", nonce="n", Digest realm="s", nonce="m"`, "Digest parameter without a value"},
		{`Digest garbage`, "garbage parameter without a value"},
		{`Digest realm="r", nonce="n", ` + manyParams(40), "more than 32 parameters"},
		{`Digest realm="` + strings.Repeat("r", 100), `unterminated quoted string`},
	}
	for _, tt := range tests {
		_, err := ParseChallenge([]byte(tt.in))
		if err == nil {
			t.Errorf("ParseChallenge(%q) accepted", tt.in)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "digest: ") {
			t.Errorf("ParseChallenge(%q) error %q, want it to say %q", tt.in, err, tt.want)
		}
	}
}

func manyParams(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(", x" + strconv.Itoa(i) + "=1")
	}
	return b.String()
}

// TestErrorTextBounded checks that peer text in errors is cut short.
func TestErrorTextBounded(t *testing.T) {
	long := strings.Repeat("A", 1000)
	for _, in := range []string{
		`Digest realm="r", nonce="n", algorithm=` + long,
		`Digest ` + long,
		`Digest realm="r", nonce="n", x=y ` + long,
		`Basic` + long,
	} {
		_, err := ParseChallenge([]byte(in))
		if err == nil || len(err.Error()) > 120 {
			t.Errorf("error %q", err)
		}
	}
}

func TestAlgorithm(t *testing.T) {
	for a := range numAlgorithms {
		got, err := ParseAlgorithm(strings.ToLower(a.String()))
		if err != nil || got != a {
			t.Errorf("ParseAlgorithm(%q) = %v, %v", strings.ToLower(a.String()), got, err)
		}
		if a.Session() != strings.HasSuffix(a.String(), "-sess") {
			t.Errorf("%v.Session() = %v", a, a.Session())
		}
	}
	if s := Algorithm(42).String(); s != "Algorithm(42)" {
		t.Errorf("Algorithm(42).String() = %q", s)
	}
	var zero Challenge
	if _, err := (&Challenge{Realm: "r", Nonce: "n", Algorithm: 42}).Authorize(Credentials{}, Request{Method: "A"}, 1, "c"); err == nil {
		t.Error("Authorize with an invalid algorithm accepted")
	}
	if zero.Algorithm != MD5 {
		t.Error("the zero Algorithm is not MD5")
	}
}

func values(vs ...string) [][]byte {
	out := make([][]byte, len(vs))
	for i, v := range vs {
		out[i] = []byte(v)
	}
	return out
}

func TestChoose(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    []string // realm/algorithm of each chosen challenge
		wantErr string
	}{
		{
			name: "server order, first supported per realm",
			in: []string{
				`Digest realm="a", nonce="1", algorithm=SHA-512-256, qop="auth"`,
				`Digest realm="a", nonce="2", algorithm=SHA-256, qop="auth"`,
				`Digest realm="a", nonce="3", algorithm=MD5, qop="auth"`,
			},
			want: []string{"a/SHA-512-256"},
		},
		{
			name: "the server prefers MD5",
			in: []string{
				`Digest realm="a", nonce="3", qop="auth"`,
				`Digest realm="a", nonce="2", algorithm=SHA-256, qop="auth"`,
			},
			want: []string{"a/MD5"},
		},
		{
			name: "unsupported and foreign ones skipped",
			in: []string{
				`Digest realm="a", nonce="1", algorithm=SHA-3, qop="auth"`,
				`Basic realm="a"`,
				`Digest realm="a", nonce="2", qop="auth-conf"`,
				`Digest realm="a", nonce="3", algorithm=sha-256, qop="auth"`,
				`Digest realm="a", nonce="4", algorithm=MD5, qop="auth"`,
			},
			want: []string{"a/SHA-256"},
		},
		{
			name: "one per realm, in order of first appearance",
			in: []string{
				`Digest realm="b", nonce="1", algorithm=SHA-256`,
				`Digest realm="a", nonce="2", algorithm=SHA-256`,
				`Digest realm="b", nonce="3", algorithm=MD5`,
				`Digest realm="a", nonce="4", algorithm=MD5`,
			},
			want: []string{"b/SHA-256", "a/SHA-256"},
		},
		{
			name:    "nothing supported",
			in:      []string{`Digest realm="a", nonce="1", algorithm=SHA-1`, `Basic realm="a"`},
			wantErr: `digest: unsupported algorithm "SHA-1"; no other challenge to answer`,
		},
		{
			name:    "nothing at all",
			wantErr: "digest: no challenge",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Choose(slices.Values(values(tt.in...)))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range got {
				names = append(names, c.Realm+"/"+c.Algorithm.String())
			}
			if !slices.Equal(names, tt.want) {
				t.Errorf("chose %v, want %v", names, tt.want)
			}
		})
	}
}
