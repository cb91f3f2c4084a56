package sdp

import (
	"bytes"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// rfcKey is the key-salt of the examples of RFC 4568.
const rfcKey = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"

func TestParseCrypto(t *testing.T) {
	tests := []struct {
		value     string
		tag       string
		suite     int
		reason    string // "" for a line we can use
		malformed bool
	}{
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey, "1", 0, "", false},
		{"2 AES_CM_128_HMAC_SHA1_32 inline:" + rfcKey, "2", 1, "", false},
		{"123456789 AES_CM_128_HMAC_SHA1_80 INLINE:" + rfcKey, "123456789", 0, "", false},
		{"1  AES_CM_128_HMAC_SHA1_80\tinline:" + rfcKey + "|2^31", "1", 0, "", false},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + "|2^48", "1", 0, "", false},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + "|1048576", "1", 0, "", false},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + " WSH=64", "1", 0, "", false},
		// Well formed, but not for us: the line is skipped.
		{"1 AES_256_CM_HMAC_SHA1_80 inline:" + rfcKey, "1", -1, "unsupported crypto suite", false},
		{"1 aes_cm_128_hmac_sha1_80 inline:" + rfcKey, "1", -1, "unsupported crypto suite", false},
		{"1 AES_CM_128_HMAC_SHA1_80 mikey:" + rfcKey, "1", 0, "key method is not inline", false},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + "|2^20|1:4", "1", 0, "MKI not supported", false},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + "|1:4", "1", 0, "MKI not supported", false},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + "|2^20|1:4;inline:" + rfcKey + "|2^20|2:4", "1", 0, "more than one key", false},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + " UNENCRYPTED_SRTCP", "1", 0, "unsupported session parameter", false},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + " KDR=23", "1", 0, "unsupported session parameter", false},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + " WSH=128 FEC_ORDER=FEC_SRTP", "1", 0, "unsupported session parameter", false},
		// Malformed.
		{"", "", 0, "tag is not 1 to 9 digits", true},
		{"x AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey, "", 0, "tag is not 1 to 9 digits", true},
		{"1234567890 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey, "", 0, "tag is not 1 to 9 digits", true},
		{"1", "1", 0, "no crypto suite", true},
		{"1 AES-CM inline:" + rfcKey, "1", 0, "no crypto suite", true},
		{"1 AES_CM_128_HMAC_SHA1_80", "1", 0, "no key parameters", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:", "1", 0, "no key parameters", true},
		{"1 AES_CM_128_HMAC_SHA1_80 " + rfcKey, "1", 0, "no key parameters", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey[:36], "1", 0, "key and salt are not 30 bytes of base64", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + "AAAA", "1", 0, "key and salt are not 30 bytes of base64", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey[:36] + "AA==", "1", 0, "key and salt are not 30 bytes of base64", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey[:39] + "!", "1", 0, "key and salt are not 30 bytes of base64", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + "|", "1", 0, "malformed lifetime", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + "|2^49", "1", 0, "malformed lifetime", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + "|0", "1", 0, "malformed lifetime", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + "|2^x", "1", 0, "malformed lifetime", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + "|2^20|2^20", "1", 0, "malformed lifetime", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + "|1:4|2^20", "1", 0, "malformed MKI", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + "|1:0", "1", 0, "malformed MKI", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + "|1:129", "1", 0, "malformed MKI", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + "|x:4", "1", 0, "malformed MKI", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + "|2^20|1:4|1:4", "1", 0, "malformed MKI", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + " WSH=32", "1", 0, "malformed WSH", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + " WSH=x", "1", 0, "malformed WSH", true},
	}
	want, _ := base64.StdEncoding.DecodeString(rfcKey)
	for _, tt := range tests {
		c, reason, malformed := parseCrypto(tt.value)
		if reason != tt.reason || malformed != tt.malformed {
			t.Errorf("parseCrypto(%q) = %q, malformed %v; want %q, %v", tt.value, reason, malformed, tt.reason, tt.malformed)
			continue
		}
		if reason == "" && (c.tag != tt.tag || c.suite != tt.suite || !bytes.Equal(c.key[:], want)) {
			t.Errorf("parseCrypto(%q) = %+v", tt.value, c)
		}
	}
}

// cryptoLines returns the values of the crypto lines of the audio stream of
// an SDP of ours, the one with a port.
func cryptoLines(t testing.TB, sdp []byte) []string {
	t.Helper()
	var lines []string
	for _, m := range mustParse(t, sdp).MediaDescriptions {
		if m.MediaName.Port.Value == 0 {
			continue
		}
		for _, a := range m.Attributes {
			if a.Key == "crypto" {
				lines = append(lines, a.Value)
			}
		}
	}
	return lines
}

// keyOf returns the master key and salt of a crypto line.
func keyOf(t testing.TB, line string) (key, salt []byte) {
	t.Helper()
	c, reason, _ := parseCrypto(line)
	if reason != "" {
		t.Fatalf("crypto line %q: %s", line, reason)
	}
	return c.key[:keyLen], c.key[keyLen:]
}

// remoteCrypto returns the value of the crypto line with the tag in the
// SDP body of testdata/ name.
func remoteCrypto(t testing.TB, name, tag string) string {
	t.Helper()
	for _, m := range mustParse(t, testdata(t, name)).MediaDescriptions {
		for _, a := range m.Attributes {
			if a.Key == "crypto" && strings.HasPrefix(a.Value, tag+" ") {
				return a.Value
			}
		}
	}
	t.Fatalf("%s: no crypto line with tag %s", name, tag)
	return ""
}

// checkKeys checks the SRTP keys of an exchange against the crypto lines
// that carried them.
func checkKeys(t testing.TB, got *SRTPKeys, profile, local, remote string) {
	t.Helper()
	if got == nil {
		t.Fatal("no SRTP keys")
	}
	lk, ls := keyOf(t, local)
	rk, rs := keyOf(t, remote)
	if got.Profile != profile || !bytes.Equal(got.LocalKey, lk) || !bytes.Equal(got.LocalSalt, ls) ||
		!bytes.Equal(got.RemoteKey, rk) || !bytes.Equal(got.RemoteSalt, rs) {
		t.Fatalf("SRTP keys %+v\nwant %s, local %q, remote %q", got, profile, local, remote)
	}
	if len(got.LocalKey) != 16 || len(got.LocalSalt) != 14 || len(got.RemoteKey) != 16 || len(got.RemoteSalt) != 14 {
		t.Fatalf("key sizes %d %d %d %d", len(got.LocalKey), len(got.LocalSalt), len(got.RemoteKey), len(got.RemoteSalt))
	}
}

func TestSRTPOffer(t *testing.T) {
	tests := []struct {
		mode   SRTPMode
		mline  string
		crypto bool
	}{
		{SRTPOff, "audio 40000 RTP/AVP 9 0 8 101", false},
		{SRTPOptional, "audio 40000 RTP/AVP 9 0 8 101", true},
		{SRTPMandatory, "audio 40000 RTP/SAVP 9 0 8 101", true},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			s := newSession(t, Config{DTMF: true, SRTP: tt.mode})
			offer, err := s.Offer()
			if err != nil {
				t.Fatal(err)
			}
			if got := mLines(t, offer); !reflect.DeepEqual(got, []string{tt.mline}) {
				t.Errorf("m= lines %q, want %q", got, tt.mline)
			}
			lines := cryptoLines(t, offer)
			if !tt.crypto {
				if len(lines) != 0 {
					t.Fatalf("crypto lines %q", lines)
				}
				return
			}
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "1 AES_CM_128_HMAC_SHA1_80 inline:") ||
				!strings.HasPrefix(lines[1], "2 AES_CM_128_HMAC_SHA1_32 inline:") {
				t.Fatalf("crypto lines %q", lines)
			}
			// Every key is fresh: no two lines or sessions share one.
			for _, line := range lines {
				key, salt := keyOf(t, line)
				k := string(key) + string(salt)
				if seen[k] || strings.Contains(line, "|") {
					t.Fatalf("crypto line %q repeats a key or has more than a key", line)
				}
				seen[k] = true
			}
			// The crypto lines come last, after the direction.
			if !bytes.HasSuffix(offer, []byte("a=sendrecv\r\na=crypto:"+lines[0]+"\r\na=crypto:"+lines[1]+"\r\n")) {
				t.Fatalf("offer:\n%s", offer)
			}
		})
	}
	if _, err := NewSession(Config{Addr: ours4, Port: 1, SRTP: SRTPMandatory + 1}); err == nil ||
		err.Error() != "sdp: config: SRTP is not SRTPOff, SRTPOptional or SRTPMandatory" {
		t.Fatalf("bad SRTP mode: %v", err)
	}
}

// TestSRTPAnswer answers offers with crypto lines from baresip, Asterisk,
// FreeSWITCH and Linphone, and plain ones, in each mode.
func TestSRTPAnswer(t *testing.T) {
	tests := []struct {
		name   string
		mode   SRTPMode
		offer  string   // a file of testdata/
		mlines []string // of the answer
		tag    string   // of the offer's crypto line we take; "" for plain RTP
		suite  string
	}{
		{"baresip best effort, off", SRTPOff, "baresip-srtp-offer.sdp", []string{"audio 40000 RTP/AVP 9 101"}, "", ""},
		{"baresip best effort, optional", SRTPOptional, "baresip-srtp-offer.sdp", []string{"audio 40000 RTP/AVP 9 101"}, "1", "AES_CM_128_HMAC_SHA1_80"},
		{"baresip best effort, mandatory", SRTPMandatory, "baresip-srtp-offer.sdp", []string{"audio 40000 RTP/AVP 9 101"}, "1", "AES_CM_128_HMAC_SHA1_80"},
		{"Asterisk SAVP, optional", SRTPOptional, "asterisk-srtp-offer.sdp", []string{"audio 40000 RTP/SAVP 0 101"}, "1", "AES_CM_128_HMAC_SHA1_80"},
		{"Asterisk SAVP, mandatory", SRTPMandatory, "asterisk-srtp-offer.sdp", []string{"audio 40000 RTP/SAVP 0 101"}, "1", "AES_CM_128_HMAC_SHA1_80"},
		{"FreeSWITCH, GCM and AES-256 skipped, off", SRTPOff, "freeswitch-srtp-offer.sdp", []string{"audio 40000 RTP/AVP 9 101"}, "", ""},
		{"FreeSWITCH, GCM and AES-256 skipped, optional", SRTPOptional, "freeswitch-srtp-offer.sdp", []string{"audio 40000 RTP/AVP 9 101"}, "5", "AES_CM_128_HMAC_SHA1_80"},
		{"FreeSWITCH, GCM and AES-256 skipped, mandatory", SRTPMandatory, "freeswitch-srtp-offer.sdp", []string{"audio 40000 RTP/AVP 9 101"}, "5", "AES_CM_128_HMAC_SHA1_80"},
		{"FreeSWITCH with a lifetime, optional", SRTPOptional, "freeswitch-offer.sdp", []string{"audio 40000 RTP/AVP 9 101"}, "1", "AES_CM_128_HMAC_SHA1_80"},
		{"FreeSWITCH SAVP and AVP lines, off", SRTPOff, "freeswitch-savp-avp.sdp", []string{"audio 0 RTP/SAVP 0", "audio 40000 RTP/AVP 0 101"}, "", ""},
		{"FreeSWITCH SAVP and AVP lines, optional", SRTPOptional, "freeswitch-savp-avp.sdp", []string{"audio 40000 RTP/SAVP 0 101", "audio 0 RTP/AVP 0"}, "1", "AES_CM_128_HMAC_SHA1_80"},
		{"FreeSWITCH SAVP and AVP lines, mandatory", SRTPMandatory, "freeswitch-savp-avp.sdp", []string{"audio 40000 RTP/SAVP 0 101", "audio 0 RTP/AVP 0"}, "1", "AES_CM_128_HMAC_SHA1_80"},
		{"Linphone SAVP with video, optional", SRTPOptional, "linphone-srtp-offer.sdp", []string{"audio 40000 RTP/SAVP 0 100", "video 0 RTP/SAVP 96"}, "1", "AES_CM_128_HMAC_SHA1_80"},
		{"Linphone SAVP with video, mandatory", SRTPMandatory, "linphone-srtp-offer.sdp", []string{"audio 40000 RTP/SAVP 0 100", "video 0 RTP/SAVP 96"}, "1", "AES_CM_128_HMAC_SHA1_80"},
		{"plain Asterisk, off", SRTPOff, "asterisk-offer.sdp", []string{"audio 40000 RTP/AVP 0 101"}, "", ""},
		{"plain Asterisk, optional", SRTPOptional, "asterisk-offer.sdp", []string{"audio 40000 RTP/AVP 0 101"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(t, Config{DTMF: true, SRTP: tt.mode})
			answer, err := s.Answer(testdata(t, tt.offer))
			if err != nil {
				t.Fatal(err)
			}
			if got := mLines(t, answer); !reflect.DeepEqual(got, tt.mlines) {
				t.Errorf("m= lines %q, want %q", got, tt.mlines)
			}
			lines := cryptoLines(t, answer)
			m, _ := s.Negotiated()
			if tt.tag == "" {
				if len(lines) != 0 || m.SRTP != nil {
					t.Fatalf("plain RTP answered with crypto lines %q, keys %+v", lines, m.SRTP)
				}
				return
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], tt.tag+" "+tt.suite+" inline:") || strings.ContainsAny(lines[0], "| ") && len(strings.Fields(lines[0])) != 3 {
				t.Fatalf("crypto lines %q, want one with tag %s and %s", lines, tt.tag, tt.suite)
			}
			checkKeys(t, m.SRTP, tt.suite, lines[0], remoteCrypto(t, tt.offer, tt.tag))
			// Our key is ours: not the offer's.
			if bytes.Equal(m.SRTP.LocalKey, m.SRTP.RemoteKey) {
				t.Fatal("our key is the offer's")
			}
		})
	}
}

// TestSRTPNotAcceptable refuses offers that SRTP mandatory, or the lack of
// a usable crypto line on RTP/SAVP, leaves without a stream: the SIP layer
// answers them with 488.
func TestSRTPNotAcceptable(t *testing.T) {
	head := []string{"v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "c=IN IP4 192.0.2.9", "t=0 0"}
	offer := func(lines ...string) []byte { return crlf(append(append([]string{}, head...), lines...)...) }
	tests := []struct {
		name  string
		mode  SRTPMode
		offer []byte
		want  string
	}{
		{"plain RTP/AVP to mandatory", SRTPMandatory, testdata(t, "asterisk-offer.sdp"),
			"sdp: not acceptable: offer's audio stream has no crypto line we support"},
		{"plain RTP/AVP and video to mandatory", SRTPMandatory, testdata(t, "linphone-offer.sdp"),
			"sdp: not acceptable: offer's audio stream has no crypto line we support"},
		{"RTP/SAVP to off", SRTPOff, testdata(t, "asterisk-srtp-offer.sdp"),
			"sdp: not acceptable: the audio stream's protocol is not RTP/AVP"},
		{"Linphone RTP/SAVP to off", SRTPOff, testdata(t, "linphone-srtp-offer.sdp"),
			"sdp: not acceptable: the audio stream's protocol is not RTP/AVP"},
		{"only suites we lack, mandatory", SRTPMandatory, offer("m=audio 4000 RTP/AVP 0",
			"a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:Ng5YAKc5Svrj6DVgAl4w690MewAWva+2mvPxBIsdmYhEYGOnwaNdVhdrt2vXTQ==",
			"a=crypto:2 AEAD_AES_128_GCM inline:zNyVvWLCYhPoqaKi2ADAXw7fZ7aFiaoAzsUCwg=="),
			"sdp: not acceptable: offer's audio stream has no crypto line we support"},
		{"RTP/SAVP with only an MKI line, optional", SRTPOptional, offer("m=audio 4000 RTP/SAVP 0",
			"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"+rfcKey+"|2^20|1:4"),
			"sdp: not acceptable: offer's audio stream has no crypto line we support"},
		{"RTP/SAVP with malformed lines, optional", SRTPOptional, offer("m=audio 4000 RTP/SAVP 0",
			"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"+rfcKey[:30],
			"a=crypto:x AES_CM_128_HMAC_SHA1_32 inline:"+rfcKey),
			"sdp: not acceptable: offer's audio stream has no crypto line we support"},
		{"RTP/SAVP without crypto, optional", SRTPOptional, offer("m=audio 4000 RTP/SAVP 0"),
			"sdp: not acceptable: offer's audio stream has no crypto line we support"},
		{"DTLS-SRTP, optional", SRTPOptional, offer("m=audio 4000 UDP/TLS/RTP/SAVPF 0"),
			"sdp: not acceptable: the audio stream's protocol is not RTP/AVP or RTP/SAVP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(t, Config{DTMF: true, SRTP: tt.mode})
			answer, err := s.Answer(tt.offer)
			if err == nil {
				t.Fatalf("no error; answer\n%s", answer)
			}
			if !errors.Is(err, ErrNotAcceptable) || err.Error() != tt.want {
				t.Fatalf("error %q, want %q wrapping ErrNotAcceptable", err, tt.want)
			}
			if _, ok := s.Negotiated(); ok || s.sent {
				t.Error("session changed")
			}
		})
	}
	// Bad lines before a good one are skipped; best-effort RTP/AVP whose
	// lines are all unusable is answered plain.
	s := newSession(t, Config{SRTP: SRTPMandatory})
	answer, err := s.Answer(offer("m=audio 4000 RTP/AVP 0",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"+rfcKey+"|1:4",
		"a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:"+rfcKey+" UNENCRYPTED_SRTP",
		"a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:"+rfcKey+"|2^",
		"a=crypto:4 AES_CM_128_HMAC_SHA1_32 inline:"+rfcKey+"|2^31 WSH=64"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := cryptoLines(t, answer); len(lines) != 1 || !strings.HasPrefix(lines[0], "4 AES_CM_128_HMAC_SHA1_32 inline:") {
		t.Fatalf("crypto lines %q", lines)
	}
	s = newSession(t, Config{SRTP: SRTPOptional})
	answer, err = s.Answer(offer("m=audio 4000 RTP/AVP 0", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"+rfcKey+"|1:4"))
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Negotiated(); len(cryptoLines(t, answer)) != 0 || m.SRTP != nil {
		t.Fatalf("answer with crypto:\n%s", answer)
	}
}

func TestSRTPAccept(t *testing.T) {
	tests := []struct {
		name   string
		mode   SRTPMode
		answer string // a file of testdata/
		tag    string // of our crypto line the answer takes; "" for plain RTP
		suite  string
	}{
		{"baresip best effort, optional", SRTPOptional, "baresip-srtp-answer.sdp", "1", "AES_CM_128_HMAC_SHA1_80"},
		{"plain answer to best effort", SRTPOptional, "asterisk-answer.sdp", "", ""},
		{"crypto in an answer to a plain offer is ignored", SRTPOff, "baresip-srtp-answer.sdp", "", ""},
		{"Asterisk, mandatory", SRTPMandatory, "asterisk-srtp-answer.sdp", "1", "AES_CM_128_HMAC_SHA1_80"},
		{"FreeSWITCH takes the 32-bit tag, mandatory", SRTPMandatory, "freeswitch-srtp-answer.sdp", "2", "AES_CM_128_HMAC_SHA1_32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(t, Config{DTMF: true, SRTP: tt.mode})
			offer, err := s.Offer()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Accept(testdata(t, tt.answer)); err != nil {
				t.Fatal(err)
			}
			m, _ := s.Negotiated()
			if tt.tag == "" {
				if m.SRTP != nil {
					t.Fatalf("SRTP keys %+v for plain RTP", m.SRTP)
				}
				return
			}
			var ours string
			for _, line := range cryptoLines(t, offer) {
				if strings.HasPrefix(line, tt.tag+" ") {
					ours = line
				}
			}
			checkKeys(t, m.SRTP, tt.suite, ours, remoteCrypto(t, tt.answer, tt.tag))
		})
	}
}

func TestSRTPAcceptBadAnswer(t *testing.T) {
	answer := func(proto string, crypto ...string) []byte {
		attrs := []string{"a=rtpmap:101 telephone-event/8000"}
		for _, c := range crypto {
			attrs = append(attrs, "a=crypto:"+c)
		}
		return answerTo("audio 5000 "+proto+" 0 101", attrs...)
	}
	const good = "1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey
	tests := []struct {
		name       string
		mode       SRTPMode
		answer     []byte
		acceptable bool // whether the error wraps ErrNotAcceptable
		want       string
	}{
		{"RTP/AVP to RTP/SAVP", SRTPMandatory, testdata(t, "asterisk-answer.sdp"), false, "sdp: m= line 1 of the answer is not audio over RTP/SAVP"},
		{"RTP/SAVP to RTP/AVP", SRTPOptional, testdata(t, "asterisk-srtp-answer.sdp"), false, "sdp: m= line 1 of the answer is not audio over RTP/AVP"},
		{"RTP/SAVP without crypto", SRTPMandatory, answer("RTP/SAVP"), true, "sdp: not acceptable: the answer's audio stream has no crypto line"},
		{"two crypto lines", SRTPOptional, answer("RTP/AVP", good, "2 AES_CM_128_HMAC_SHA1_32 inline:"+rfcKey), false,
			"sdp: the answer's audio stream has 2 crypto lines, not one"},
		{"malformed key", SRTPMandatory, answer("RTP/SAVP", "1 AES_CM_128_HMAC_SHA1_80 inline:"+rfcKey[:20]), false,
			"sdp: the answer's crypto line is malformed: key and salt are not 30 bytes of base64"},
		{"a tag we did not offer", SRTPMandatory, answer("RTP/SAVP", "3 AES_CM_128_HMAC_SHA1_80 inline:"+rfcKey), false,
			"sdp: the answer's crypto line has the tag and suite of none of the offer's"},
		{"our tag with the other suite", SRTPOptional, answer("RTP/AVP", "1 AES_CM_128_HMAC_SHA1_32 inline:"+rfcKey), false,
			"sdp: the answer's crypto line has the tag and suite of none of the offer's"},
		{"a suite we did not offer", SRTPMandatory, answer("RTP/SAVP", "1 AES_256_CM_HMAC_SHA1_80 inline:"+rfcKey), false,
			"sdp: the answer's crypto line has the tag and suite of none of the offer's"},
		{"an MKI", SRTPMandatory, answer("RTP/SAVP", good+"|2^31|1:1"), true,
			"sdp: not acceptable: the answer's crypto line: MKI not supported"},
		{"a session parameter", SRTPOptional, answer("RTP/AVP", good+" UNENCRYPTED_SRTCP"), true,
			"sdp: not acceptable: the answer's crypto line: unsupported session parameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(t, Config{DTMF: true, SRTP: tt.mode})
			// A first exchange, whose result a bad answer must not touch.
			if _, err := s.Offer(); err != nil {
				t.Fatal(err)
			}
			first := "asterisk-srtp-answer.sdp"
			if tt.mode == SRTPOptional {
				first = "baresip-srtp-answer.sdp"
			}
			if err := s.Accept(testdata(t, first)); err != nil {
				t.Fatal(err)
			}
			before, _ := s.Negotiated()
			if _, err := s.Offer(); err != nil {
				t.Fatal(err)
			}
			err := s.Accept(tt.answer)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if errors.Is(err, ErrNotAcceptable) != tt.acceptable {
				t.Errorf("errors.Is(%v, ErrNotAcceptable) = %v", err, !tt.acceptable)
			}
			if after, _ := s.Negotiated(); after != before {
				t.Errorf("Negotiated changed to %+v", after)
			}
		})
	}
}

// TestSRTPReoffer keeps our keys across re-offers in both directions and
// follows the remote party's keys (RFC 4568 §6.1, §7.1.4).
func TestSRTPReoffer(t *testing.T) {
	t.Run("our re-offers", func(t *testing.T) {
		s := newSession(t, Config{DTMF: true, SRTP: SRTPOptional})
		offer1, _ := s.Offer()
		if err := s.Accept(testdata(t, "baresip-srtp-answer.sdp")); err != nil {
			t.Fatal(err)
		}
		m1, _ := s.Negotiated()
		// A session refresh: the same offer, the same version, the same keys.
		offer2, _ := s.Offer()
		if !bytes.Equal(offer1, offer2) {
			t.Fatalf("unchanged re-offer differs:\n%s\n%s", offer1, offer2)
		}
		if err := s.Accept(testdata(t, "baresip-srtp-answer.sdp")); err != nil {
			t.Fatal(err)
		}
		m2, _ := s.Negotiated()
		if !reflect.DeepEqual(m1.SRTP, m2.SRTP) {
			t.Fatalf("keys changed: %+v\n%+v", m1.SRTP, m2.SRTP)
		}
		// Hold: a new version with the same crypto lines; the peer
		// re-keys in its answer.
		s.Hold(true)
		offer3, _ := s.Offer()
		if !reflect.DeepEqual(cryptoLines(t, offer3), cryptoLines(t, offer1)) {
			t.Fatalf("hold re-offer changed the keys:\n%s", offer3)
		}
		newKey := "1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey
		if err := s.Accept(answerTo("audio 10176 RTP/AVP 9", "a=recvonly", "a=crypto:"+newKey)); err != nil {
			t.Fatal(err)
		}
		m3, _ := s.Negotiated()
		checkKeys(t, m3.SRTP, "AES_CM_128_HMAC_SHA1_80", cryptoLines(t, offer1)[0], newKey)
		if !bytes.Equal(m3.SRTP.LocalKey, m1.SRTP.LocalKey) || bytes.Equal(m3.SRTP.RemoteKey, m1.SRTP.RemoteKey) {
			t.Fatal("our key changed, or the peer's did not")
		}
	})
	t.Run("mandatory over best effort", func(t *testing.T) {
		s := newSession(t, Config{DTMF: true, SRTP: SRTPMandatory})
		if _, err := s.Answer(testdata(t, "baresip-srtp-offer.sdp")); err != nil {
			t.Fatal(err)
		}
		// Our re-offer stays on RTP/AVP, where the stream runs SRTP, and
		// still requires it.
		offer, _ := s.Offer()
		if got := mLines(t, offer); got[0] != "audio 40000 RTP/AVP 9 0 8 101" || len(cryptoLines(t, offer)) != 2 {
			t.Fatalf("re-offer:\n%s", offer)
		}
		err := s.Accept(answerTo("audio 10174 RTP/AVP 9"))
		if !errors.Is(err, ErrNotAcceptable) || err.Error() != "sdp: not acceptable: the answer's audio stream has no crypto line" {
			t.Fatalf("error %v", err)
		}
		if m, _ := s.Negotiated(); m.SRTP == nil {
			t.Fatal("SRTP dropped")
		}
	})
	t.Run("the peer's re-offers", func(t *testing.T) {
		s := newSession(t, Config{DTMF: true, SRTP: SRTPOptional})
		offer := testdata(t, "asterisk-srtp-offer.sdp")
		answer1, err := s.Answer(offer)
		if err != nil {
			t.Fatal(err)
		}
		m1, _ := s.Negotiated()
		ours := cryptoLines(t, answer1)[0]
		// Asterisk holds, keeping its key: we answer with ours again.
		hold := bytes.Replace(offer, []byte("a=sendrecv"), []byte("a=sendonly"), 1)
		answer2, err := s.Answer(hold)
		if err != nil {
			t.Fatal(err)
		}
		m2, _ := s.Negotiated()
		if got := cryptoLines(t, answer2); !reflect.DeepEqual(got, []string{ours}) || !reflect.DeepEqual(m1.SRTP, m2.SRTP) {
			t.Fatalf("re-answer crypto %q, keys %+v; want %q, %+v", got, m2.SRTP, ours, m1.SRTP)
		}
		// Asterisk re-keys: its new key, our old one.
		theirs := remoteCrypto(t, "asterisk-srtp-offer.sdp", "1")
		rekeyed := bytes.Replace(offer, []byte(theirs), []byte("1 AES_CM_128_HMAC_SHA1_80 inline:"+rfcKey), 1)
		answer3, err := s.Answer(rekeyed)
		if err != nil {
			t.Fatal(err)
		}
		m3, _ := s.Negotiated()
		checkKeys(t, m3.SRTP, "AES_CM_128_HMAC_SHA1_80", ours, "1 AES_CM_128_HMAC_SHA1_80 inline:"+rfcKey)
		if got := cryptoLines(t, answer3); !reflect.DeepEqual(got, []string{ours}) {
			t.Fatalf("re-answer crypto %q", got)
		}
		// Our own re-offer stays on RTP/SAVP and offers our key for the
		// suite in use under tag 1.
		offer4, err := s.Offer()
		if err != nil {
			t.Fatal(err)
		}
		if got := mLines(t, offer4); got[0] != "audio 40000 RTP/SAVP 9 0 8 101" {
			t.Fatalf("re-offer m= %q", got)
		}
		lines := cryptoLines(t, offer4)
		if k, _ := keyOf(t, lines[0]); len(lines) != 2 || !bytes.Equal(k, m1.SRTP.LocalKey) {
			t.Fatalf("re-offer crypto %q", lines)
		}
		if err := s.Accept(answerTo("audio 12050 RTP/SAVP 0", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"+rfcKey)); err != nil {
			t.Fatal(err)
		}
		if m4, _ := s.Negotiated(); !reflect.DeepEqual(m4.SRTP, m3.SRTP) {
			t.Fatalf("keys %+v, want %+v", m4.SRTP, m3.SRTP)
		}
	})
}
