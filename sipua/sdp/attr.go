package sdp

import (
	"strconv"
	"strings"

	psdp "github.com/pion/sdp/v3"
)

// Codec is an RTP payload format: what an a=rtpmap line says of a payload
// type (RFC 8866 §6.6), or what RFC 3551 assigns to a static one.
type Codec struct {
	// Name is the encoding name, such as "PCMU" or "telephone-event",
	// spelled as written (compare it without regard to case).
	Name string
	// PayloadType is the RTP payload type, 0 to 127.
	PayloadType int
	// ClockRate is the RTP clock rate in Hz. For G.722 it is 8000,
	// though G.722 samples at 16 kHz (RFC 3551 §4.5.2).
	ClockRate int
	// Channels is the number of audio channels; 1 when the rtpmap line
	// gives none.
	Channels int
}

// static are the static payload types of RFC 3551 §6, tables 4 and 5, by
// number; an empty Name marks a number that is unassigned or dynamic.
var static = [35]Codec{
	0:  {Name: "PCMU", ClockRate: 8000, Channels: 1},
	3:  {Name: "GSM", ClockRate: 8000, Channels: 1},
	4:  {Name: "G723", ClockRate: 8000, Channels: 1},
	5:  {Name: "DVI4", ClockRate: 8000, Channels: 1},
	6:  {Name: "DVI4", ClockRate: 16000, Channels: 1},
	7:  {Name: "LPC", ClockRate: 8000, Channels: 1},
	8:  {Name: "PCMA", ClockRate: 8000, Channels: 1},
	9:  {Name: "G722", ClockRate: 8000, Channels: 1},
	10: {Name: "L16", ClockRate: 44100, Channels: 2},
	11: {Name: "L16", ClockRate: 44100, Channels: 1},
	12: {Name: "QCELP", ClockRate: 8000, Channels: 1},
	13: {Name: "CN", ClockRate: 8000, Channels: 1},
	14: {Name: "MPA", ClockRate: 90000, Channels: 1},
	15: {Name: "G728", ClockRate: 8000, Channels: 1},
	16: {Name: "DVI4", ClockRate: 11025, Channels: 1},
	17: {Name: "DVI4", ClockRate: 22050, Channels: 1},
	18: {Name: "G729", ClockRate: 8000, Channels: 1},
	25: {Name: "CelB", ClockRate: 90000, Channels: 1},
	26: {Name: "JPEG", ClockRate: 90000, Channels: 1},
	28: {Name: "nv", ClockRate: 90000, Channels: 1},
	31: {Name: "H261", ClockRate: 90000, Channels: 1},
	32: {Name: "MPV", ClockRate: 90000, Channels: 1},
	33: {Name: "MP2T", ClockRate: 90000, Channels: 1},
	34: {Name: "H263", ClockRate: 90000, Channels: 1},
}

// staticCodec returns the codec RFC 3551 assigns to the static payload type
// pt (0 PCMU/8000, 8 PCMA/8000, 9 G722/8000, 18 G729/8000, 13 CN/8000, ...),
// and false when pt is not one.
func staticCodec(pt int) (Codec, bool) {
	if pt < 0 || pt >= len(static) || static[pt].Name == "" {
		return Codec{}, false
	}
	c := static[pt]
	c.PayloadType = pt
	return c, true
}

// parseRTPMap parses the value of an a=rtpmap attribute,
// "<payload type> <encoding name>/<clock rate>[/<channels>]".
func parseRTPMap(value string) (Codec, bool) {
	pt, rest, ok := leadingPayloadType(value)
	if !ok {
		return Codec{}, false
	}
	enc, _ := nextField(rest)
	name, rate, ok := strings.Cut(enc, "/")
	if !ok || name == "" {
		return Codec{}, false
	}
	rate, chans, hasChans := strings.Cut(rate, "/")
	r, ok := parseUint(rate, 1<<31-1)
	if !ok || r == 0 {
		return Codec{}, false
	}
	c := Codec{Name: name, PayloadType: pt, ClockRate: int(r), Channels: 1}
	if hasChans {
		n, ok := parseUint(chans, 255)
		if !ok || n == 0 {
			return Codec{}, false
		}
		c.Channels = int(n)
	}
	return c, true
}

// leadingPayloadType reads the payload type, 0 to 127, at the start of an
// rtpmap or fmtp value and returns it with what follows the space after it.
func leadingPayloadType(value string) (pt int, rest string, ok bool) {
	f, rest := nextField(value)
	v, ok := parseUint(f, 127)
	return int(v), rest, ok
}

// payloadType returns the format f of an m= line as an RTP payload type,
// and false when it is not a number from 0 to 127.
func payloadType(f string) (int, bool) {
	v, ok := parseUint(f, 127)
	return int(v), ok
}

// codecOf returns the codec of payload type pt in the m= section m: the one
// its a=rtpmap line gives, else the static one of RFC 3551. It returns false
// when pt has neither, or its rtpmap line is malformed.
func codecOf(m *psdp.MediaDescription, pt int) (Codec, bool) {
	for i := range m.Attributes {
		a := &m.Attributes[i]
		if !strings.EqualFold(a.Key, "rtpmap") {
			continue
		}
		if p, _, ok := leadingPayloadType(a.Value); ok && p == pt {
			return parseRTPMap(a.Value)
		}
	}
	return staticCodec(pt)
}

// fmtpOf returns the format parameters of the a=fmtp line for payload type
// pt in the m= section m (the text after the payload type), and false when
// there is none.
func fmtpOf(m *psdp.MediaDescription, pt int) (string, bool) {
	for i := range m.Attributes {
		a := &m.Attributes[i]
		if !strings.EqualFold(a.Key, "fmtp") {
			continue
		}
		if p, rest, ok := leadingPayloadType(a.Value); ok && p == pt {
			return strings.TrimLeft(rest, " \t"), true
		}
	}
	return "", false
}

// ptimeOf returns the a=ptime of the m= section m, the packet duration in
// milliseconds its author wants to receive (RFC 8866 §6.4), and false when
// it has none or it is not a positive number. A fraction ("20.0") is cut
// to its whole milliseconds.
func ptimeOf(m *psdp.MediaDescription) (int, bool) {
	v, ok := attribute(m.Attributes, "ptime")
	if !ok {
		return 0, false
	}
	whole, _, _ := strings.Cut(strings.TrimSpace(v), ".")
	n, ok := parseUint(whole, 1<<20)
	if !ok || n == 0 {
		return 0, false
	}
	return int(n), true
}

// rtcpOf returns the a=rtcp attribute of the m= section m (RFC 3605): the
// port where its author receives RTCP, and the address when the attribute
// gives one (nil when it gives only a port: the RTP address is meant). It
// returns false when there is none or it is malformed.
func rtcpOf(m *psdp.MediaDescription) (port int, conn *psdp.ConnectionInformation, ok bool) {
	v, ok := attribute(m.Attributes, "rtcp")
	if !ok {
		return 0, nil, false
	}
	var f [4]string
	n := fields(v, f[:])
	if n != 1 && n != 4 {
		return 0, nil, false
	}
	p, ok := parseUint(f[0], 65535)
	if !ok || p == 0 {
		return 0, nil, false
	}
	if n == 4 {
		conn = &psdp.ConnectionInformation{NetworkType: f[1], AddressType: f[2], Address: &psdp.Address{Address: f[3]}}
	}
	return int(p), conn, true
}

// events is a set of telephone-event codes (RFC 4733 §3.2) from 0 to 31,
// bit n for event n; the DTMF digits are 0 to 15 and flash is 16.
type events uint32

// defaultEvents is what a telephone-event format without fmtp supports:
// 0-15 (RFC 4733 §2.4.1).
const defaultEvents events = 1<<16 - 1

// parseEvents parses a telephone-event fmtp value, such as "0-15,16",
// keeping the events from 0 to 31. It returns false when the list is
// malformed.
func parseEvents(s string) (events, bool) {
	var e events
	for s != "" {
		var item string
		item, s, _ = strings.Cut(s, ",")
		lo, hi, isRange := strings.Cut(strings.TrimSpace(item), "-")
		a, ok := parseUint(lo, 255)
		if !ok {
			return 0, false
		}
		b := a
		if isRange {
			if b, ok = parseUint(hi, 255); !ok || b < a {
				return 0, false
			}
		}
		for n := a; n <= b && n < 32; n++ {
			e |= 1 << n
		}
	}
	return e, true
}

// appendEvents appends e as a list of ranges, "0-16" or "0-11,16".
func appendEvents(b []byte, e events) []byte {
	first := true
	for n := 0; n < 32; {
		if e&(1<<n) == 0 {
			n++
			continue
		}
		end := n
		for end+1 < 32 && e&(1<<(end+1)) != 0 {
			end++
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = strconv.AppendInt(b, int64(n), 10)
		if end > n {
			b = append(b, '-')
			b = strconv.AppendInt(b, int64(end), 10)
		}
		n = end + 1
	}
	return b
}

// nextField returns the first space- or tab-separated field of s and what
// follows it; an empty field when s has none.
func nextField(s string) (field, rest string) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	j := i
	for j < len(s) && s[j] != ' ' && s[j] != '\t' {
		j++
	}
	return s[i:j], s[j:]
}

// fields stores the first len(out) fields of s in out and returns how many
// fields s has in all.
func fields(s string, out []string) int {
	n := 0
	for {
		var f string
		f, s = nextField(s)
		if f == "" {
			return n
		}
		if n < len(out) {
			out[n] = f
		}
		n++
	}
}

// parseUint parses a decimal number of at most max, without sign.
func parseUint(s string, max uint64) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if d > max || v > (max-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}
