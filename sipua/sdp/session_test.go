package sdp

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"

	psdp "github.com/pion/sdp/v3"
)

var (
	ours4 = netip.MustParseAddr("192.0.2.50")
	ours6 = netip.MustParseAddr("2001:db8:200::50")
)

// newSession returns a Session for cfg with the defaults of these tests:
// 192.0.2.50, port 40000, DTMF, when cfg leaves them empty.
func newSession(t testing.TB, cfg Config) *Session {
	t.Helper()
	if !cfg.Addr.IsValid() {
		cfg.Addr = ours4
	}
	if cfg.Port == 0 {
		cfg.Port = 40000
	}
	s, err := NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// origin matches our o= line, to check and then blank its numbers.
var origin = regexp.MustCompile(`(?m)^o=(\S+) (\d+) (\d+) (IN IP[46] \S+)\r$`)

// originOf returns the session id and version of an SDP of ours.
func originOf(t testing.TB, sdp []byte) (id, version string) {
	t.Helper()
	m := origin.FindSubmatch(sdp)
	if m == nil {
		t.Fatalf("no o= line in\n%s", sdp)
	}
	return string(m[2]), string(m[3])
}

// blankOrigin replaces the session id and version of an SDP of ours by
// ID and VERSION.
func blankOrigin(sdp []byte) string {
	return origin.ReplaceAllString(string(sdp), "o=$1 ID VERSION $4\r")
}

// mustParse parses an SDP of ours, which must be well formed.
func mustParse(t testing.TB, sdp []byte) *psdp.SessionDescription {
	t.Helper()
	d, err := Parse(sdp)
	if err != nil {
		t.Fatalf("%v\n%s", err, sdp)
	}
	return d
}

// mLines returns the m= lines of an SDP, without "m=".
func mLines(t testing.TB, sdp []byte) []string {
	t.Helper()
	d := mustParse(t, sdp)
	var lines []string
	for _, m := range d.MediaDescriptions {
		lines = append(lines, m.MediaName.String())
	}
	return lines
}

func TestNewSessionConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // "" for no error
	}{
		{"defaults", Config{Addr: ours4, Port: 40000}, ""},
		{"IPv6 with zone", Config{Addr: netip.MustParseAddr("fe80::1%eth0"), Port: 40000}, ""},
		{"no address", Config{Port: 40000}, "sdp: config: Addr is not a unicast address"},
		{"unspecified", Config{Addr: netip.IPv4Unspecified(), Port: 40000}, "sdp: config: Addr is not a unicast address"},
		{"multicast", Config{Addr: netip.MustParseAddr("224.0.0.1"), Port: 40000}, "sdp: config: Addr is not a unicast address"},
		{"port 0", Config{Addr: ours4}, "sdp: config: Port is not from 1 to 65535"},
		{"port 65536", Config{Addr: ours4, Port: 65536}, "sdp: config: Port is not from 1 to 65535"},
		{"codecs in any case", Config{Addr: ours4, Port: 1, Codecs: []string{"pcma", "g722"}}, ""},
		{"unknown codec", Config{Addr: ours4, Port: 1, Codecs: []string{"opus"}}, `sdp: config: unsupported codec "opus" (want G722, PCMU or PCMA)`},
		{"codec twice", Config{Addr: ours4, Port: 1, Codecs: []string{"PCMU", "pcmu"}}, `sdp: config: codec "pcmu" listed twice`},
		{"ptime 30", Config{Addr: ours4, Port: 1, PTime: 30}, ""},
		{"ptime 25", Config{Addr: ours4, Port: 1, PTime: 25}, "sdp: config: PTime is not a multiple of 10 from 10 to 120"},
		{"ptime 130", Config{Addr: ours4, Port: 1, PTime: 130}, "sdp: config: PTime is not a multiple of 10 from 10 to 120"},
		{"username with space", Config{Addr: ours4, Port: 1, Username: "door bell"}, "sdp: config: Username contains white space or a control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSession(tt.cfg)
			if got := ""; err != nil {
				got = err.Error()
				if got != tt.want {
					t.Fatalf("error %q, want %q", got, tt.want)
				}
			} else if tt.want != "" {
				t.Fatalf("no error, want %q", tt.want)
			}
		})
	}
}

func TestOffer(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"door station", Config{DTMF: true}, "v=0\r\n" +
			"o=intercom ID VERSION IN IP4 192.0.2.50\r\n" +
			"s=-\r\n" +
			"c=IN IP4 192.0.2.50\r\n" +
			"t=0 0\r\n" +
			"m=audio 40000 RTP/AVP 9 0 8 101\r\n" +
			"a=rtpmap:9 G722/8000\r\n" +
			"a=rtpmap:0 PCMU/8000\r\n" +
			"a=rtpmap:8 PCMA/8000\r\n" +
			"a=rtpmap:101 telephone-event/8000\r\n" +
			"a=fmtp:101 0-16\r\n" +
			"a=ptime:20\r\n" +
			"a=sendrecv\r\n"},
		{"one codec, no DTMF, IPv6", Config{Addr: ours6, Port: 30000, Codecs: []string{"pcma"}, PTime: 30, Username: "door"}, "v=0\r\n" +
			"o=door ID VERSION IN IP6 2001:db8:200::50\r\n" +
			"s=-\r\n" +
			"c=IN IP6 2001:db8:200::50\r\n" +
			"t=0 0\r\n" +
			"m=audio 30000 RTP/AVP 8\r\n" +
			"a=rtpmap:8 PCMA/8000\r\n" +
			"a=ptime:30\r\n" +
			"a=sendrecv\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(t, tt.cfg)
			offer, err := s.Offer()
			if err != nil {
				t.Fatal(err)
			}
			if got := blankOrigin(offer); got != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
			if !s.Pending() {
				t.Error("offer not pending")
			}
			if _, ok := s.Negotiated(); ok {
				t.Error("negotiated before any answer")
			}
		})
	}
}

// TestOfferAccept offers as the shared INVITE does and accepts the shared
// 200 OK's answer.
func TestOfferAccept(t *testing.T) {
	s := newSession(t, Config{DTMF: true})
	if _, err := s.Offer(); err != nil {
		t.Fatal(err)
	}
	if err := s.Accept(testdata(t, "shared-ok200_sdp.sdp")); err != nil {
		t.Fatal(err)
	}
	got, ok := s.Negotiated()
	want := Media{
		Codec:           Codec{"G722", 9, 8000, 1},
		DTMFPayloadType: 101,
		Remote:          netip.MustParseAddrPort("192.0.2.20:52000"),
		RemoteRTCP:      netip.MustParseAddrPort("192.0.2.20:52001"),
		Direction:       SendRecv,
		PTime:           20,
	}
	if !ok || got != want {
		t.Fatalf("Negotiated = %+v, %v; want %+v", got, ok, want)
	}
	if s.Pending() {
		t.Error("offer still pending")
	}
}

func TestAccept(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		answer string
		want   Media
	}{
		{"Asterisk", Config{DTMF: true}, "asterisk-answer.sdp", Media{Codec{"G722", 9, 8000, 1}, 101,
			netip.MustParseAddrPort("203.0.113.5:14562"), netip.MustParseAddrPort("203.0.113.5:14563"), SendRecv, 20, nil}},
		{"FreeSWITCH with a=rtcp", Config{DTMF: true}, "freeswitch-answer.sdp", Media{Codec{"PCMU", 0, 8000, 1}, 101,
			netip.MustParseAddrPort("198.51.100.7:24600"), netip.MustParseAddrPort("198.51.100.7:24601"), SendRecv, 20, nil}},
		{"sipp uas, no DTMF offered", Config{Codecs: []string{"PCMU"}}, "sipp-uas-answer.sdp", Media{Codec{"PCMU", 0, 8000, 1}, -1,
			netip.MustParseAddrPort("127.0.0.1:6000"), netip.MustParseAddrPort("127.0.0.1:6001"), SendRecv, 20, nil}},
		{"DTMF answered but not offered", Config{}, "asterisk-answer.sdp", Media{Codec{"G722", 9, 8000, 1}, -1,
			netip.MustParseAddrPort("203.0.113.5:14562"), netip.MustParseAddrPort("203.0.113.5:14563"), SendRecv, 20, nil}},
		{"IPv6", Config{Addr: ours6, DTMF: true}, "fritzbox-ipv6-offer.sdp", Media{Codec{"G722", 9, 8000, 1}, 101,
			netip.MustParseAddrPort("[2001:db8:100::1]:7082"), netip.MustParseAddrPort("[2001:db8:100::1]:7083"), SendRecv, 20, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(t, tt.cfg)
			if _, err := s.Offer(); err != nil {
				t.Fatal(err)
			}
			if err := s.Accept(testdata(t, tt.answer)); err != nil {
				t.Fatal(err)
			}
			if got, ok := s.Negotiated(); !ok || got != tt.want {
				t.Fatalf("Negotiated = %+v, %v; want %+v", got, ok, tt.want)
			}
		})
	}
}

// answerTo builds an answer to an offer of ours from its audio m= line and
// attributes, on 192.0.2.77.
func answerTo(mline string, attrs ...string) []byte {
	lines := append([]string{"v=0", "o=peer 7 7 IN IP4 192.0.2.77", "s=-", "c=IN IP4 192.0.2.77", "t=0 0", "m=" + mline}, attrs...)
	return crlf(lines...)
}

func TestAcceptBadAnswer(t *testing.T) {
	tests := []struct {
		name       string
		answer     []byte
		acceptable bool // whether the error wraps ErrNotAcceptable
		want       string
	}{
		{"malformed", crlf("v=0", "o=peer 7 7 IN IP4 192.0.2.77", "s=-", "t=0 0", "m=audio"), false, "sdp line 5: malformed m= line"},
		{"two m= lines for one", append(answerTo("audio 5000 RTP/AVP 0"), "m=video 0 RTP/AVP 31\r\n"...), false,
			"sdp: the answer has 2 m= lines for the 1 of the offer"},
		{"no m= line", crlf("v=0", "o=peer 7 7 IN IP4 192.0.2.77", "s=-", "t=0 0"), false, "sdp: the answer has 0 m= lines for the 1 of the offer"},
		{"video for audio", answerTo("video 5000 RTP/AVP 31"), false, "sdp: m= line 1 of the answer is not audio over RTP/AVP"},
		{"RTP/SAVP", answerTo("audio 5000 RTP/SAVP 0"), false, "sdp: m= line 1 of the answer is not audio over RTP/AVP"},
		{"rejected", answerTo("audio 0 RTP/AVP 0"), true, "sdp: not acceptable: the answer rejects the audio stream"},
		{"codec not offered", answerTo("audio 5000 RTP/AVP 18", "a=rtpmap:18 G729/8000"), true, "sdp: not acceptable: the answer has no codec we offered"},
		{"Grandstream G.729", testdata(t, "grandstream-answer-g729.sdp"), true, "sdp: not acceptable: the answer has no codec we offered"},
		{"only telephone-event", answerTo("audio 5000 RTP/AVP 101", "a=rtpmap:101 telephone-event/8000"), true, "sdp: not acceptable: the answer has no codec we offered"},
		{"static type remapped", answerTo("audio 5000 RTP/AVP 0", "a=rtpmap:0 PCMA/8000"), false,
			"sdp: the answer maps payload type 0 to another codec than the offer"},
		{"telephone-event type remapped", answerTo("audio 5000 RTP/AVP 0 101", "a=rtpmap:101 opus/48000/2"), false,
			"sdp: the answer maps payload type 101 to another codec than the offer"},
		{"format not a payload type", answerTo("audio 5000 RTP/AVP 0 x"), false, "sdp: format 2 of the answer's audio stream is not a payload type"},
		{"no c=", crlf("v=0", "o=peer 7 7 IN IP4 192.0.2.77", "s=-", "t=0 0", "m=audio 5000 RTP/AVP 0"), true,
			"sdp: not acceptable: the answer's audio stream has no c= line"},
		{"host name", crlf("v=0", "o=peer 7 7 IN IP4 192.0.2.77", "s=-", "c=IN IP4 peer.example.com", "t=0 0", "m=audio 5000 RTP/AVP 0"), true,
			"sdp: not acceptable: the answer's audio stream's c= line has no IP address"},
		{"IPv6 for IPv4", crlf("v=0", "o=peer 7 7 IN IP6 2001:db8::77", "s=-", "c=IN IP6 2001:db8::77", "t=0 0", "m=audio 5000 RTP/AVP 0"), true,
			"sdp: not acceptable: the answer's audio stream's c= address is not of our IP version"},
		{"multicast", crlf("v=0", "o=peer 7 7 IN IP4 192.0.2.77", "s=-", "c=IN IP4 224.2.1.1", "t=0 0", "m=audio 5000 RTP/AVP 0"), true,
			"sdp: not acceptable: the answer's audio stream's c= address is multicast"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(t, Config{DTMF: true})
			// A first exchange, whose result a bad answer must not touch.
			if _, err := s.Offer(); err != nil {
				t.Fatal(err)
			}
			if err := s.Accept(testdata(t, "asterisk-answer.sdp")); err != nil {
				t.Fatal(err)
			}
			before, _ := s.Negotiated()
			if _, err := s.Offer(); err != nil {
				t.Fatal(err)
			}
			err := s.Accept(tt.answer)
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tt.want {
				t.Errorf("error %q, want %q", err, tt.want)
			}
			if errors.Is(err, ErrNotAcceptable) != tt.acceptable {
				t.Errorf("errors.Is(%v, ErrNotAcceptable) = %v", err, !tt.acceptable)
			}
			if after, ok := s.Negotiated(); !ok || after != before {
				t.Errorf("Negotiated changed to %+v", after)
			}
			if s.Pending() {
				t.Error("offer still pending after a failed Accept")
			}
		})
	}
}

func TestAcceptLenient(t *testing.T) {
	tests := []struct {
		name   string
		offer  Config
		answer []byte
		want   Media
	}{
		{"several codecs, first of ours is used", Config{DTMF: true},
			answerTo("audio 5000 RTP/AVP 18 8 0 101", "a=rtpmap:101 telephone-event/8000"),
			Media{Codec{"PCMA", 8, 8000, 1}, 101, netip.MustParseAddrPort("192.0.2.77:5000"), netip.MustParseAddrPort("192.0.2.77:5001"), SendRecv, 20, nil}},
		{"telephone-event on another payload type", Config{DTMF: true},
			answerTo("audio 5000 RTP/AVP 0 100", "a=rtpmap:100 telephone-event/8000", "a=ptime:30"),
			Media{Codec{"PCMU", 0, 8000, 1}, 100, netip.MustParseAddrPort("192.0.2.77:5000"), netip.MustParseAddrPort("192.0.2.77:5001"), SendRecv, 30, nil}},
		{"G722/16000 and a dynamic type", Config{},
			answerTo("audio 5000 RTP/AVP 9 96", "a=rtpmap:9 G722/16000", "a=rtpmap:96 opus/48000/2", "a=ptime:5"),
			Media{Codec{"G722", 9, 8000, 1}, -1, netip.MustParseAddrPort("192.0.2.77:5000"), netip.MustParseAddrPort("192.0.2.77:5001"), SendRecv, 20, nil}},
		{"PCMU on a dynamic type", Config{},
			answerTo("audio 5000 RTP/AVP 97", "a=rtpmap:97 pcmu/8000"),
			Media{Codec{"PCMU", 97, 8000, 1}, -1, netip.MustParseAddrPort("192.0.2.77:5000"), netip.MustParseAddrPort("192.0.2.77:5001"), SendRecv, 20, nil}},
		{"c= at media level and RTCP elsewhere", Config{},
			crlf("v=0", "o=peer 7 7 IN IP4 192.0.2.77", "s=-", "t=0 0", "m=audio 5000 RTP/AVP 0", "c=IN IP4 192.0.2.78", "a=rtcp:6000 IN IP4 192.0.2.79"),
			Media{Codec{"PCMU", 0, 8000, 1}, -1, netip.MustParseAddrPort("192.0.2.78:5000"), netip.MustParseAddrPort("192.0.2.79:6000"), SendRecv, 20, nil}},
		{"answer sendonly", Config{},
			answerTo("audio 5000 RTP/AVP 0", "a=sendonly"),
			Media{Codec{"PCMU", 0, 8000, 1}, -1, netip.MustParseAddrPort("192.0.2.77:5000"), netip.MustParseAddrPort("192.0.2.77:5001"), RecvOnly, 20, nil}},
		{"answer with the hold address", Config{},
			crlf("v=0", "o=peer 7 7 IN IP4 0.0.0.0", "s=-", "c=IN IP4 0.0.0.0", "t=0 0", "m=audio 5000 RTP/AVP 0"),
			Media{Codec{"PCMU", 0, 8000, 1}, -1, netip.MustParseAddrPort("0.0.0.0:5000"), netip.MustParseAddrPort("0.0.0.0:5001"), RecvOnly, 20, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(t, tt.offer)
			if _, err := s.Offer(); err != nil {
				t.Fatal(err)
			}
			if err := s.Accept(tt.answer); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.Negotiated(); got != tt.want {
				t.Fatalf("Negotiated = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestAnswer(t *testing.T) {
	ipv4 := func(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
	tests := []struct {
		name   string
		cfg    Config
		offer  string // a file of testdata/
		mlines []string
		fmtp   string // the a=fmtp of the answer, "" for none
		dir    string // the direction attribute of the answer
		want   Media
	}{
		{"sipp uac", Config{DTMF: true}, "sipp-uac-offer.sdp", []string{"audio 40000 RTP/AVP 0"}, "", "sendrecv",
			Media{Codec{"PCMU", 0, 8000, 1}, -1, ipv4("127.0.0.1:6000"), ipv4("127.0.0.1:6001"), SendRecv, 20, nil}},
		{"Asterisk: the offer's order", Config{DTMF: true}, "asterisk-offer.sdp", []string{"audio 40000 RTP/AVP 0 101"}, "101 0-16", "sendrecv",
			Media{Codec{"PCMU", 0, 8000, 1}, 101, ipv4("203.0.113.5:12018"), ipv4("203.0.113.5:12019"), SendRecv, 20, nil}},
		{"baresip", Config{DTMF: true}, "baresip-offer.sdp", []string{"audio 40000 RTP/AVP 9 101"}, "101 0-15", "sendrecv",
			Media{Codec{"G722", 9, 8000, 1}, 101, ipv4("192.0.2.41:10172"), ipv4("192.0.2.41:10173"), SendRecv, 20, nil}},
		{"FreeSWITCH: crypto and CN dropped, a=rtcp", Config{DTMF: true}, "freeswitch-offer.sdp", []string{"audio 40000 RTP/AVP 9 101"}, "101 0-16", "sendrecv",
			Media{Codec{"G722", 9, 8000, 1}, 101, ipv4("198.51.100.7:16384"), ipv4("198.51.100.7:16385"), SendRecv, 20, nil}},
		{"FreeSWITCH: SAVP rejected, AVP taken", Config{DTMF: true}, "freeswitch-savp-avp.sdp",
			[]string{"audio 0 RTP/SAVP 0", "audio 40000 RTP/AVP 0 101"}, "101 0-16", "sendrecv",
			Media{Codec{"PCMU", 0, 8000, 1}, 101, ipv4("198.51.100.7:16392"), ipv4("198.51.100.7:16393"), SendRecv, 20, nil}},
		{"Linphone: video rejected, telephone-event/8000 on 100", Config{DTMF: true}, "linphone-offer.sdp",
			[]string{"audio 40000 RTP/AVP 0 100", "video 0 RTP/AVP 96"}, "100 0-15", "sendrecv",
			Media{Codec{"PCMU", 0, 8000, 1}, 100, ipv4("192.0.2.33:7078"), ipv4("192.0.2.33:7079"), SendRecv, 20, nil}},
		{"Linphone without DTMF", Config{}, "linphone-offer.sdp",
			[]string{"audio 40000 RTP/AVP 0", "video 0 RTP/AVP 96"}, "", "sendrecv",
			Media{Codec{"PCMU", 0, 8000, 1}, -1, ipv4("192.0.2.33:7078"), ipv4("192.0.2.33:7079"), SendRecv, 20, nil}},
		{"Yealink", Config{DTMF: true}, "yealink-offer.sdp", []string{"audio 40000 RTP/AVP 0 101"}, "101 0-15", "sendrecv",
			Media{Codec{"PCMU", 0, 8000, 1}, 101, ipv4("192.0.2.61:11796"), ipv4("192.0.2.61:11797"), SendRecv, 20, nil}},
		{"Grandstream", Config{DTMF: true}, "grandstream-offer.sdp", []string{"audio 40000 RTP/AVP 8 101"}, "101 0-15", "sendrecv",
			Media{Codec{"PCMA", 8, 8000, 1}, 101, ipv4("192.0.2.70:5004"), ipv4("192.0.2.70:5005"), SendRecv, 20, nil}},
		{"FritzBox", Config{DTMF: true}, "fritzbox-offer.sdp", []string{"audio 40000 RTP/AVP 9 101"}, "101 0-15", "sendrecv",
			Media{Codec{"G722", 9, 8000, 1}, 101, ipv4("192.0.2.1:7078"), ipv4("192.0.2.1:7079"), SendRecv, 20, nil}},
		{"FritzBox over IPv6", Config{Addr: ours6, DTMF: true}, "fritzbox-ipv6-offer.sdp", []string{"audio 40000 RTP/AVP 9 101"}, "101 0-15", "sendrecv",
			Media{Codec{"G722", 9, 8000, 1}, 101, ipv4("[2001:db8:100::1]:7082"), ipv4("[2001:db8:100::1]:7083"), SendRecv, 20, nil}},
		{"our codecs only", Config{Codecs: []string{"PCMA"}, PTime: 30}, "fritzbox-offer.sdp", []string{"audio 40000 RTP/AVP 8"}, "", "sendrecv",
			Media{Codec{"PCMA", 8, 8000, 1}, -1, ipv4("192.0.2.1:7078"), ipv4("192.0.2.1:7079"), SendRecv, 20, nil}},
		{"held by Asterisk", Config{DTMF: true}, "asterisk-hold.sdp", []string{"audio 40000 RTP/AVP 0 101"}, "101 0-16", "recvonly",
			Media{Codec{"PCMU", 0, 8000, 1}, 101, ipv4("203.0.113.5:12018"), ipv4("203.0.113.5:12019"), RecvOnly, 20, nil}},
		{"RFC 2543 hold with 0.0.0.0", Config{DTMF: true}, "rfc2543-hold.sdp", []string{"audio 40000 RTP/AVP 0 101"}, "101 0-15", "recvonly",
			Media{Codec{"PCMU", 0, 8000, 1}, 101, ipv4("0.0.0.0:11796"), ipv4("0.0.0.0:11797"), RecvOnly, 20, nil}},
		{"our own kind of offer", Config{DTMF: true}, "shared-invite_sdp.sdp", []string{"audio 40000 RTP/AVP 9 101"}, "101 0-16", "sendrecv",
			Media{Codec{"G722", 9, 8000, 1}, 101, ipv4("192.0.2.50:40000"), ipv4("192.0.2.50:40001"), SendRecv, 20, nil}},
		{"bare LF", Config{DTMF: true}, "bare-lf-offer.sdp", []string{"audio 40000 RTP/AVP 8"}, "", "sendrecv",
			Media{Codec{"PCMA", 8, 8000, 1}, -1, ipv4("192.0.2.90:4000"), ipv4("192.0.2.90:4001"), SendRecv, 20, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(t, tt.cfg)
			offer := testdata(t, tt.offer)
			answer, err := s.Answer(offer)
			if err != nil {
				t.Fatal(err)
			}
			d := mustParse(t, answer)
			if got := mLines(t, answer); !reflect.DeepEqual(got, tt.mlines) {
				t.Errorf("m= lines %q, want %q", got, tt.mlines)
			}
			var audio *psdp.MediaDescription
			for i, m := range d.MediaDescriptions {
				if m.MediaName.Port.Value != 0 {
					audio = m
				} else if len(m.Attributes) != 0 {
					t.Errorf("rejected stream %d has attributes %v", i, m.Attributes)
				}
			}
			fmtp, _ := attribute(audio.Attributes, "fmtp")
			if fmtp != tt.fmtp {
				t.Errorf("fmtp %q, want %q", fmtp, tt.fmtp)
			}
			if dir, ok := direction(audio.Attributes); !ok || dir.String() != tt.dir {
				t.Errorf("direction %v, %v, want %s", dir, ok, tt.dir)
			}
			for _, f := range audio.MediaName.Formats {
				pt, _ := payloadType(f)
				if c, ok := codecOf(audio, pt); !ok || c.Name == "" {
					t.Errorf("no rtpmap for %s", f)
				}
			}
			if p, _ := ptimeOf(audio); p != newSession(t, tt.cfg).ptime {
				t.Errorf("ptime %d", p)
			}
			if got, ok := s.Negotiated(); !ok || got != tt.want {
				t.Errorf("Negotiated = %+v, %v\nwant %+v", got, ok, tt.want)
			}
			if c := d.ConnectionInformation; c.AddressType != map[bool]string{true: "IP4", false: "IP6"}[s.addr.Is4()] || c.Address.Address != s.addr.String() {
				t.Errorf("c= %+v", c)
			}
		})
	}
}

func TestAnswerFull(t *testing.T) {
	s := newSession(t, Config{DTMF: true})
	answer, err := s.Answer(testdata(t, "linphone-offer.sdp"))
	if err != nil {
		t.Fatal(err)
	}
	want := "v=0\r\n" +
		"o=intercom ID VERSION IN IP4 192.0.2.50\r\n" +
		"s=-\r\n" +
		"c=IN IP4 192.0.2.50\r\n" +
		"t=0 0\r\n" +
		"m=audio 40000 RTP/AVP 0 100\r\n" + // the one codec both send
		"a=rtpmap:0 PCMU/8000\r\n" +
		"a=rtpmap:100 telephone-event/8000\r\n" +
		"a=fmtp:100 0-15\r\n" +
		"a=ptime:20\r\n" +
		"a=sendrecv\r\n" +
		"m=video 0 RTP/AVP 96\r\n"
	if got := blankOrigin(answer); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestAnswerNotAcceptable(t *testing.T) {
	rfc4317 := bytes.ReplaceAll(testdata(t, "rfc4317-2.1-offer.sdp"), []byte("host.atlanta.example.com"), []byte("192.0.2.101"))
	tests := []struct {
		name  string
		cfg   Config
		offer []byte
		want  string
	}{
		{"no common codec", Config{Codecs: []string{"G722"}}, testdata(t, "grandstream-offer.sdp"),
			"sdp: not acceptable: offer's audio stream has no codec in common with ours"},
		{"only telephone-event in common", Config{DTMF: true}, crlf("v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "c=IN IP4 192.0.2.9", "t=0 0",
			"m=audio 4000 RTP/AVP 18 101", "a=rtpmap:101 telephone-event/8000"),
			"sdp: not acceptable: offer's audio stream has no codec in common with ours"},
		{"only SRTP", Config{}, crlf("v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "c=IN IP4 192.0.2.9", "t=0 0",
			"m=audio 4000 RTP/SAVP 0", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"),
			"sdp: not acceptable: the audio stream's protocol is not RTP/AVP"},
		{"SAVPF", Config{}, crlf("v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "c=IN IP4 192.0.2.9", "t=0 0", "m=audio 4000 UDP/TLS/RTP/SAVPF 0"),
			"sdp: not acceptable: the audio stream's protocol is not RTP/AVP"},
		{"video only", Config{}, crlf("v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "c=IN IP4 192.0.2.9", "t=0 0", "m=video 4000 RTP/AVP 31"),
			"sdp: not acceptable: the offer has no audio stream"},
		{"no m= line", Config{}, crlf("v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "c=IN IP4 192.0.2.9", "t=0 0"),
			"sdp: not acceptable: the offer has no audio stream"},
		{"audio disabled", Config{}, crlf("v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "c=IN IP4 192.0.2.9", "t=0 0", "m=audio 0 RTP/AVP 0"),
			"sdp: not acceptable: the offer has no audio stream"},
		{"host names (RFC 4317 as written)", Config{}, testdata(t, "rfc4317-2.1-offer.sdp"),
			"sdp: not acceptable: offer's audio stream's c= line has no IP address"},
		{"IPv6 offer to an IPv4 station", Config{}, testdata(t, "fritzbox-ipv6-offer.sdp"),
			"sdp: not acceptable: offer's audio stream's c= address is not of our IP version"},
		{"IPv4 offer to an IPv6 station", Config{Addr: ours6}, rfc4317,
			"sdp: not acceptable: offer's audio stream's c= address is not of our IP version"},
		{"multicast", Config{}, crlf("v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "c=IN IP4 224.2.1.1/127", "t=0 0", "m=audio 4000 RTP/AVP 0"),
			"sdp: not acceptable: offer's audio stream's c= line has no IP address"},
		{"no c=", Config{}, crlf("v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "t=0 0", "m=audio 4000 RTP/AVP 0"),
			"sdp: not acceptable: offer's audio stream has no c= line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(t, tt.cfg)
			answer, err := s.Answer(tt.offer)
			if err == nil {
				t.Fatalf("no error; answer\n%s", answer)
			}
			if !errors.Is(err, ErrNotAcceptable) || err.Error() != tt.want {
				t.Fatalf("error %q, want %q wrapping ErrNotAcceptable", err, tt.want)
			}
			if _, ok := s.Negotiated(); ok {
				t.Error("negotiated")
			}
			// The session is unchanged: its first SDP is still to come.
			if s.sent || len(s.slots) != 0 {
				t.Error("session changed")
			}
		})
	}
	t.Run("malformed", func(t *testing.T) {
		_, err := newSession(t, Config{}).Answer([]byte("v=0\r\nm=audio x RTP/AVP 0\r\n"))
		var se *SyntaxError
		if !errors.As(err, &se) || errors.Is(err, ErrNotAcceptable) {
			t.Fatalf("error %v", err)
		}
	})
}

// TestAnswerTwoAudioStreams takes the first usable audio stream and
// rejects the rest (RFC 4317 §2.4 has two audio streams).
func TestAnswerTwoAudioStreams(t *testing.T) {
	offer := crlf("v=0", "o=alice 2890844526 2890844526 IN IP4 192.0.2.101", "s=-", "c=IN IP4 192.0.2.101", "t=0 0",
		"m=audio 49170 RTP/AVP 97", "a=rtpmap:97 iLBC/8000",
		"m=audio 49172 RTP/AVP 98 8", "a=rtpmap:98 telephone-event/8000",
		"m=audio 49174 RTP/AVP 0")
	s := newSession(t, Config{DTMF: true})
	answer, err := s.Answer(offer)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"audio 0 RTP/AVP 97", "audio 40000 RTP/AVP 8 98", "audio 0 RTP/AVP 0"}
	if got := mLines(t, answer); !reflect.DeepEqual(got, want) {
		t.Fatalf("m= lines %q, want %q", got, want)
	}
	if m, _ := s.Negotiated(); m.Remote.Port() != 49172 || m.DTMFPayloadType != 98 {
		t.Fatalf("Negotiated = %+v", m)
	}
	// A re-offer of ours keeps the three m= lines, the audio one in the
	// middle, and the telephone-event payload type agreed on.
	offer2, err := s.Offer()
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"audio 0 RTP/AVP 97", "audio 40000 RTP/AVP 9 0 8 98", "audio 0 RTP/AVP 0"}
	if got := mLines(t, offer2); !reflect.DeepEqual(got, want) {
		t.Fatalf("re-offer m= lines %q, want %q", got, want)
	}
	if err := s.Accept(crlf("v=0", "o=alice 2890844526 2890844527 IN IP4 192.0.2.101", "s=-", "c=IN IP4 192.0.2.101", "t=0 0",
		"m=audio 0 RTP/AVP 97", "m=audio 49172 RTP/AVP 8 98", "a=rtpmap:98 telephone-event/8000", "m=audio 0 RTP/AVP 0")); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Negotiated(); m.Codec.PayloadType != 8 || m.DTMFPayloadType != 98 {
		t.Fatalf("Negotiated = %+v", m)
	}
}

// TestReofferVersion follows RFC 3264 §8: one session id throughout, the
// version one more for each changed SDP, the same for an unchanged one.
func TestReofferVersion(t *testing.T) {
	s := newSession(t, Config{DTMF: true})
	offer1, _ := s.Offer()
	id, v1 := originOf(t, offer1)
	if err := s.Accept(testdata(t, "asterisk-answer.sdp")); err != nil {
		t.Fatal(err)
	}
	// A session refresh: nothing changed, same version, same body.
	offer2, err := s.Offer()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(offer1, offer2) {
		t.Fatalf("unchanged re-offer differs:\n%s\n%s", offer1, offer2)
	}
	if err := s.Accept(testdata(t, "asterisk-answer.sdp")); err != nil {
		t.Fatal(err)
	}
	// Hold: changed, version + 1.
	s.Hold(true)
	offer3, _ := s.Offer()
	id3, v3 := originOf(t, offer3)
	if id3 != id || !versionPlus(v1, v3, 1) {
		t.Fatalf("hold offer o= %s %s after %s %s", id3, v3, id, v1)
	}
	s.CancelOffer() // say, a 491
	// The same offer again: unchanged from the last SDP sent.
	offer4, _ := s.Offer()
	if _, v4 := originOf(t, offer4); v4 != v3 {
		t.Fatalf("repeated offer has version %s after %s", v4, v3)
	}
	if err := s.Accept(answerTo("audio 14562 RTP/AVP 9 101", "a=rtpmap:101 telephone-event/8000", "a=recvonly")); err != nil {
		t.Fatal(err)
	}
	// An answer of ours is our SDP too: its version follows.
	answer, err := s.Answer(testdata(t, "asterisk-offer.sdp"))
	if err != nil {
		t.Fatal(err)
	}
	if id5, v5 := originOf(t, answer); id5 != id || !versionPlus(v1, v5, 2) {
		t.Fatalf("answer o= %s %s after %s %s", id5, v5, id, v3)
	}
	again, _ := s.Answer(testdata(t, "asterisk-offer.sdp"))
	if !bytes.Equal(answer, again) {
		t.Fatalf("answer to the same offer differs:\n%s\n%s", answer, again)
	}
}

// versionPlus reports whether version b is a plus n.
func versionPlus(a, b string, n uint64) bool {
	x, _ := parseUint(a, 1<<64-1)
	y, _ := parseUint(b, 1<<64-1)
	return y == x+n
}

// directionOf returns the direction attribute of the audio stream of an
// SDP of ours.
func directionOf(t *testing.T, sdp []byte) Direction {
	t.Helper()
	d := mustParse(t, sdp)
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Port.Value != 0 {
			dir, ok := direction(m.Attributes)
			if !ok {
				t.Fatalf("no direction in\n%s", sdp)
			}
			return dir
		}
	}
	t.Fatalf("no audio stream in\n%s", sdp)
	return 0
}

// TestHold walks through hold and resume in both directions (RFC 3264
// §8.4, RFC 4317 §3.1).
func TestHold(t *testing.T) {
	s := newSession(t, Config{DTMF: true})
	answerWith := func(dir string) []byte {
		return answerTo("audio 5000 RTP/AVP 0 101", "a=rtpmap:101 telephone-event/8000", "a="+dir)
	}
	offerWith := func(dir string) []byte {
		return crlf("v=0", "o=peer 9 9 IN IP4 192.0.2.77", "s=-", "c=IN IP4 192.0.2.77", "t=0 0",
			"m=audio 5000 RTP/AVP 0 101", "a=rtpmap:101 telephone-event/8000", "a="+dir)
	}
	direction := func() Direction {
		m, _ := s.Negotiated()
		return m.Direction
	}
	steps := []struct {
		name     string
		hold     *bool // Hold(*hold) before the step
		offer    []byte
		answer   []byte // to Accept after our Offer, when offer is nil
		ourDir   Direction
		mediaDir Direction
	}{
		{name: "call", answer: answerWith("sendrecv"), ourDir: SendRecv, mediaDir: SendRecv},
		{name: "we hold", hold: ptr(true), answer: answerWith("recvonly"), ourDir: SendOnly, mediaDir: SendOnly},
		{name: "we hold, the peer answers sendrecv", answer: answerWith("sendrecv"), ourDir: SendOnly, mediaDir: SendOnly},
		{name: "we hold, the peer answers inactive", answer: answerWith("inactive"), ourDir: SendOnly, mediaDir: Inactive},
		{name: "we resume", hold: ptr(false), answer: answerWith("sendrecv"), ourDir: SendRecv, mediaDir: SendRecv},
		{name: "the peer holds us", offer: offerWith("sendonly"), ourDir: RecvOnly, mediaDir: RecvOnly},
		{name: "we hold too: inactive", hold: ptr(true), answer: answerWith("inactive"), ourDir: Inactive, mediaDir: Inactive},
		{name: "the peer resumes while we hold", offer: offerWith("sendrecv"), ourDir: SendOnly, mediaDir: SendOnly},
		{name: "the peer holds with inactive", offer: offerWith("inactive"), ourDir: Inactive, mediaDir: Inactive},
		{name: "we resume, the peer still holds", hold: ptr(false), answer: answerWith("sendonly"), ourDir: SendRecv, mediaDir: RecvOnly},
		{name: "the peer resumes", offer: offerWith("sendrecv"), ourDir: SendRecv, mediaDir: SendRecv},
		{name: "the peer holds the RFC 2543 way", offer: bytes.ReplaceAll(offerWith("sendrecv"), []byte("192.0.2.77"), []byte("0.0.0.0")),
			ourDir: RecvOnly, mediaDir: RecvOnly},
		{name: "the peer resumes from 0.0.0.0", offer: offerWith("sendrecv"), ourDir: SendRecv, mediaDir: SendRecv},
	}
	for _, st := range steps {
		if st.hold != nil {
			s.Hold(*st.hold)
		}
		var sdp []byte
		var err error
		if st.offer != nil {
			sdp, err = s.Answer(st.offer)
		} else {
			if sdp, err = s.Offer(); err == nil {
				err = s.Accept(st.answer)
			}
		}
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := directionOf(t, sdp); got != st.ourDir {
			t.Errorf("%s: our SDP says %v, want %v", st.name, got, st.ourDir)
		}
		if got := direction(); got != st.mediaDir {
			t.Errorf("%s: Negotiated direction %v, want %v", st.name, got, st.mediaDir)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestSequence(t *testing.T) {
	t.Run("Accept without Offer", func(t *testing.T) {
		s := newSession(t, Config{})
		if err := s.Accept(testdata(t, "asterisk-answer.sdp")); err != ErrNoOffer {
			t.Fatalf("error %v", err)
		}
		if _, ok := s.Negotiated(); ok {
			t.Fatal("negotiated")
		}
	})
	t.Run("two offers", func(t *testing.T) {
		s := newSession(t, Config{})
		first, _ := s.Offer()
		if _, err := s.Offer(); err != ErrOfferPending {
			t.Fatalf("error %v", err)
		}
		if err := s.Accept(testdata(t, "asterisk-answer.sdp")); err != nil {
			t.Fatal(err)
		}
		second, err := s.Offer()
		if err != nil || !bytes.Equal(first, second) {
			t.Fatalf("%v\n%s\n%s", err, first, second)
		}
	})
	t.Run("glare", func(t *testing.T) {
		s := newSession(t, Config{})
		s.Offer()
		if _, err := s.Answer(testdata(t, "asterisk-offer.sdp")); err != ErrOfferPending {
			t.Fatalf("error %v", err)
		}
		if !s.Pending() {
			t.Fatal("offer no longer pending")
		}
		// The offer is still the one to answer.
		if err := s.Accept(testdata(t, "asterisk-answer.sdp")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("cancelled offer", func(t *testing.T) {
		s := newSession(t, Config{})
		s.Offer()
		s.CancelOffer()
		if s.Pending() {
			t.Fatal("still pending")
		}
		if err := s.Accept(testdata(t, "asterisk-answer.sdp")); err != ErrNoOffer {
			t.Fatalf("error %v", err)
		}
		if _, err := s.Answer(testdata(t, "asterisk-offer.sdp")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("answer repeated", func(t *testing.T) {
		s := newSession(t, Config{})
		s.Offer()
		if err := s.Accept(testdata(t, "asterisk-answer.sdp")); err != nil {
			t.Fatal(err)
		}
		// A reliable 183 and the 200 carry the same answer.
		if err := s.Accept(testdata(t, "asterisk-answer.sdp")); err != nil {
			t.Fatalf("same answer again: %v", err)
		}
		if err := s.Accept(testdata(t, "freeswitch-answer.sdp")); err != ErrNoOffer {
			t.Fatalf("another answer: %v", err)
		}
		if m, _ := s.Negotiated(); m.Codec.Name != "G722" {
			t.Fatalf("Negotiated = %+v", m)
		}
	})
	t.Run("failed Answer keeps the session", func(t *testing.T) {
		s := newSession(t, Config{DTMF: true})
		first, err := s.Answer(testdata(t, "asterisk-offer.sdp"))
		if err != nil {
			t.Fatal(err)
		}
		before, _ := s.Negotiated()
		if _, err := s.Answer(testdata(t, "grandstream-answer-g729.sdp")); !errors.Is(err, ErrNotAcceptable) {
			t.Fatalf("error %v", err)
		}
		if _, err := s.Answer(testdata(t, "linphone-offer.sdp")[:40]); err == nil {
			t.Fatal("truncated offer accepted")
		}
		if after, _ := s.Negotiated(); after != before {
			t.Fatalf("Negotiated changed to %+v", after)
		}
		// A re-offer of ours is what the session was: one m= line, the
		// same version as the answer, which said the same.
		offer, _ := s.Offer()
		if _, v := originOf(t, offer); true {
			_, v0 := originOf(t, first)
			if !versionPlus(v0, v, 0) && !versionPlus(v0, v, 1) {
				t.Fatalf("version %s after %s", v, v0)
			}
		}
		if got := mLines(t, offer); len(got) != 1 {
			t.Fatalf("m= lines %q", got)
		}
	})
}

// TestReofferAfterRejectedVideo keeps the video m= line of the remote's
// offer in our re-offers, with port 0 (RFC 3264 §8), and requires it in the
// answer.
func TestReofferAfterRejectedVideo(t *testing.T) {
	s := newSession(t, Config{DTMF: true})
	if _, err := s.Answer(testdata(t, "linphone-offer.sdp")); err != nil {
		t.Fatal(err)
	}
	s.Hold(true)
	offer, err := s.Offer()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"audio 40000 RTP/AVP 9 0 8 100", "video 0 RTP/AVP 96"}
	if got := mLines(t, offer); !reflect.DeepEqual(got, want) {
		t.Fatalf("m= lines %q, want %q", got, want)
	}
	if directionOf(t, offer) != SendOnly {
		t.Fatalf("not sendonly:\n%s", offer)
	}
	// Linphone answers with both m= lines.
	if err := s.Accept(crlf("v=0", "o=flat12 3016 1790 IN IP4 192.0.2.33", "s=Talk", "c=IN IP4 192.0.2.33", "t=0 0",
		"m=audio 7078 RTP/AVP 0 100", "a=rtpmap:100 telephone-event/8000", "a=recvonly", "m=video 0 RTP/AVP 96")); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Negotiated(); m.Direction != SendOnly || m.DTMFPayloadType != 100 {
		t.Fatalf("Negotiated = %+v", m)
	}
	// An answer without the video line does not answer the offer.
	s.Hold(false)
	s.Offer()
	if err := s.Accept(testdata(t, "asterisk-answer.sdp")); err == nil || errors.Is(err, ErrNotAcceptable) {
		t.Fatalf("error %v", err)
	}
}

// TestTelephoneEventPayloadType keeps payload type mappings across the
// session (RFC 3264 §8.3.2).
func TestTelephoneEventPayloadType(t *testing.T) {
	t.Run("the offerer's type is kept in our re-offers", func(t *testing.T) {
		s := newSession(t, Config{DTMF: true})
		if _, err := s.Answer(crlf("v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "c=IN IP4 192.0.2.9", "t=0 0",
			"m=audio 4000 RTP/AVP 0 96", "a=rtpmap:96 telephone-event/8000", "a=fmtp:96 0-11,16")); err != nil {
			t.Fatal(err)
		}
		if m, _ := s.Negotiated(); m.DTMFPayloadType != 96 {
			t.Fatalf("Negotiated = %+v", m)
		}
		offer, _ := s.Offer()
		m := mustParse(t, offer).MediaDescriptions[0]
		if f, _ := fmtpOf(m, 96); f != "0-16" {
			t.Fatalf("re-offer:\n%s", offer)
		}
		if c, _ := codecOf(m, 96); c.Name != "telephone-event" {
			t.Fatalf("re-offer:\n%s", offer)
		}
	})
	t.Run("the common events are answered", func(t *testing.T) {
		s := newSession(t, Config{DTMF: true})
		answer, err := s.Answer(crlf("v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "c=IN IP4 192.0.2.9", "t=0 0",
			"m=audio 4000 RTP/AVP 0 96", "a=rtpmap:96 telephone-event/8000", "a=fmtp:96 0-11,16,32-40"))
		if err != nil {
			t.Fatal(err)
		}
		if f, _ := fmtpOf(mustParse(t, answer).MediaDescriptions[0], 96); f != "0-11,16" {
			t.Fatalf("answer:\n%s", answer)
		}
	})
	t.Run("no common event, no telephone-event", func(t *testing.T) {
		s := newSession(t, Config{DTMF: true})
		answer, err := s.Answer(crlf("v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "c=IN IP4 192.0.2.9", "t=0 0",
			"m=audio 4000 RTP/AVP 0 96", "a=rtpmap:96 telephone-event/8000", "a=fmtp:96 32-40"))
		if err != nil {
			t.Fatal(err)
		}
		if got := mLines(t, answer); got[0] != "audio 40000 RTP/AVP 0" {
			t.Fatalf("answer:\n%s", answer)
		}
		if m, _ := s.Negotiated(); m.DTMFPayloadType != -1 {
			t.Fatalf("Negotiated = %+v", m)
		}
	})
	t.Run("101 taken by the peer", func(t *testing.T) {
		s := newSession(t, Config{DTMF: true})
		if _, err := s.Answer(crlf("v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "c=IN IP4 192.0.2.9", "t=0 0",
			"m=audio 4000 RTP/AVP 0 101 100", "a=rtpmap:101 opus/48000/2", "a=rtpmap:100 telephone-event/48000")); err != nil {
			t.Fatal(err)
		}
		offer, _ := s.Offer()
		if got := mLines(t, offer); got[0] != "audio 40000 RTP/AVP 9 0 8 96" {
			t.Fatalf("re-offer:\n%s", offer)
		}
	})
	t.Run("malformed fmtp means 0-15", func(t *testing.T) {
		s := newSession(t, Config{DTMF: true})
		answer, err := s.Answer(crlf("v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "c=IN IP4 192.0.2.9", "t=0 0",
			"m=audio 4000 RTP/AVP 8 101", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 x"))
		if err != nil {
			t.Fatal(err)
		}
		if f, _ := fmtpOf(mustParse(t, answer).MediaDescriptions[0], 101); f != "0-15" {
			t.Fatalf("answer:\n%s", answer)
		}
	})
}

// TestAnswerPTime takes the remote's ptime when it is sensible.
func TestAnswerPTime(t *testing.T) {
	for _, tt := range []struct {
		attr string
		want int
	}{{"a=ptime:30", 30}, {"a=ptime:10", 10}, {"a=ptime:5", 20}, {"a=ptime:500", 20}, {"a=x", 20}} {
		s := newSession(t, Config{})
		if _, err := s.Answer(crlf("v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "c=IN IP4 192.0.2.9", "t=0 0",
			"m=audio 4000 RTP/AVP 0", tt.attr)); err != nil {
			t.Fatal(err)
		}
		if m, _ := s.Negotiated(); m.PTime != tt.want {
			t.Errorf("%s: PTime %d, want %d", tt.attr, m.PTime, tt.want)
		}
	}
}
