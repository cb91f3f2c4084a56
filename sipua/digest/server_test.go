package digest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"intercom/sipua/message"
)

// clock is a settable time for a Server.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestServer(t *testing.T, algs ...Algorithm) (*Server, *clock) {
	t.Helper()
	s, err := NewServer("door.example.org", algs...)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	s.now = clk.now
	return s, clk
}

// verify checks the Authorization of req, as received, with s.
func verify(s *Server, req *message.Message, password string) error {
	v, ok := req.Header("Authorization")
	if !ok {
		return errors.New("no Authorization")
	}
	a, err := ParseAuthorization(v)
	if err != nil {
		return err
	}
	r := Request{Method: string(req.Method()), URI: string(req.RequestURI()), Body: req.Body()}
	return s.Verify(&a, r, Credentials{Username: a.Username, Password: password})
}

func invite() *message.Message {
	m := new(message.Message)
	m.InitRequest(message.INVITE, "sip:door@192.0.2.10:5060")
	m.SetBody("application/sdp", []byte("v=0\r\n"))
	return m
}

func TestServerChallenges(t *testing.T) {
	s, _ := newTestServer(t)
	vs := s.Challenges(false)
	if len(vs) != 2 {
		t.Fatalf("%d challenges", len(vs))
	}
	var nonce string
	for i, want := range []Algorithm{SHA256, MD5} {
		ch, err := ParseChallenge([]byte(vs[i]))
		if err != nil {
			t.Fatalf("%s: %v", vs[i], err)
		}
		if ch.Algorithm != want || ch.Realm != "door.example.org" || !ch.QOPAuth || ch.QOPAuthInt || ch.Stale {
			t.Errorf("challenge %d: %+v", i, ch)
		}
		if i > 0 && ch.Nonce != nonce {
			t.Error("the challenges do not share their nonce")
		}
		nonce = ch.Nonce
	}
	if again := s.Challenges(true); strings.Contains(again[0], nonce) || !strings.HasSuffix(again[0], ", stale=true") {
		t.Errorf("second challenge %s", again[0])
	}
}

func TestServerRoundTrip(t *testing.T) {
	for a := range numAlgorithms {
		t.Run(a.String(), func(t *testing.T) {
			s, clk := newTestServer(t, a)
			c := NewClient(Credentials{Username: "flat1", Password: "open sesame"})
			req := invite()
			resp := challenge(req, 401, s.Challenges(false)...)
			if _, err := c.Challenged(req, resp); err != nil {
				t.Fatal(err)
			}
			if err := c.Authorize(req); err != nil {
				t.Fatal(err)
			}
			if err := verify(s, req, "open sesame"); err != nil {
				t.Fatal(err)
			}
			if err := verify(s, req, "open sesame!"); !errors.Is(err, ErrMismatch) {
				t.Errorf("wrong password: %v", err)
			}

			// The nonce expires: right credentials are stale, wrong ones
			// still wrong.
			clk.t = clk.t.Add(DefaultNonceLifetime + time.Second)
			if err := c.Authorize(req); err != nil {
				t.Fatal(err)
			}
			if err := verify(s, req, "open sesame!"); !errors.Is(err, ErrMismatch) {
				t.Errorf("wrong password, old nonce: %v", err)
			}
			if err := verify(s, req, "open sesame"); !errors.Is(err, ErrStale) {
				t.Fatalf("old nonce: %v, want ErrStale", err)
			}
			stale, err := c.Challenged(req, challenge(req, 401, s.Challenges(true)...))
			if err != nil || !stale {
				t.Fatalf("stale challenge: %v, %v", stale, err)
			}
			if err := c.Authorize(req); err != nil {
				t.Fatal(err)
			}
			if err := verify(s, req, "open sesame"); err != nil {
				t.Errorf("after the stale challenge: %v", err)
			}
		})
	}
}

func TestServerLifetime(t *testing.T) {
	s, clk := newTestServer(t, MD5)
	s.Lifetime = time.Hour
	ch, err := ParseChallenge([]byte(s.Challenges(false)[0]))
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Method: "OPTIONS", URI: "sip:door.example.org"}
	cred := Credentials{Username: "u", Password: "p"}
	check := func() error {
		v, err := ch.Authorize(cred, req, 1, "c")
		if err != nil {
			t.Fatal(err)
		}
		a, err := ParseAuthorization([]byte(v))
		if err != nil {
			t.Fatal(err)
		}
		return s.Verify(&a, req, cred)
	}
	clk.t = clk.t.Add(59 * time.Minute)
	if err := check(); err != nil {
		t.Errorf("59 minutes: %v", err)
	}
	clk.t = clk.t.Add(2 * time.Minute)
	if err := check(); !errors.Is(err, ErrStale) {
		t.Errorf("61 minutes: %v", err)
	}
	clk.t = clk.t.Add(-3 * time.Hour) // the clock went back
	if err := check(); !errors.Is(err, ErrStale) {
		t.Errorf("from the future: %v", err)
	}
}

func TestServerRefuses(t *testing.T) {
	s, _ := newTestServer(t, SHA256)
	other, _ := newTestServer(t, SHA256)
	req := Request{Method: "INVITE", URI: "sip:door@192.0.2.10"}
	cred := Credentials{Username: "u", Password: "p"}
	good, err := ParseChallenge([]byte(s.Challenges(false)[0]))
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := ParseChallenge([]byte(other.Challenges(false)[0]))
	if err != nil {
		t.Fatal(err)
	}
	tampered := good
	flip := "A" // another valid base64 character, so that the MAC is what fails
	if tampered.Nonce[10] == 'A' {
		flip = "B"
	}
	tampered.Nonce = tampered.Nonce[:10] + flip + tampered.Nonce[11:]
	tests := []struct {
		name string
		ch   Challenge
		want string
	}{
		{"another server's nonce", foreign, "nonce not issued by this server"},
		{"tampered nonce", tampered, "nonce not issued by this server"},
		{"short nonce", Challenge{Realm: good.Realm, Nonce: "abc", Algorithm: SHA256, QOPAuth: true}, "nonce not issued"},
		{"bad base64", Challenge{Realm: good.Realm, Nonce: strings.Repeat("*", len(good.Nonce)), Algorithm: SHA256, QOPAuth: true}, "nonce not issued"},
		{"other realm", Challenge{Realm: "x", Nonce: good.Nonce, Algorithm: SHA256, QOPAuth: true}, `realm "x" is not "door.example.org"`},
		{"algorithm not offered", Challenge{Realm: good.Realm, Nonce: good.Nonce, Algorithm: MD5, QOPAuth: true}, "algorithm MD5 not offered"},
		{"no qop", Challenge{Realm: good.Realm, Nonce: good.Nonce, Algorithm: SHA256}, "qop missing"},
	}
	for _, tt := range tests {
		v, err := tt.ch.Authorize(cred, req, 1, "c")
		if err != nil {
			t.Fatal(err)
		}
		a, err := ParseAuthorization([]byte(v))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Verify(&a, req, cred); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestNewServerErrors(t *testing.T) {
	for _, tt := range []struct {
		realm string
		algs  []Algorithm
		want  string
	}{
		{"", nil, "realm empty"},
		{"a\r\nb", nil, "realm has a control character"},
		{"r", []Algorithm{MD5, 9}, "unsupported algorithm Algorithm(9)"},
	} {
		if _, err := NewServer(tt.realm, tt.algs...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewServer(%q, %v): %v, want %q", tt.realm, tt.algs, err, tt.want)
		}
	}
}
