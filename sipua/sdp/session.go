package sdp

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"

	psdp "github.com/pion/sdp/v3"
)

// Config configures a Session: what we offer and accept.
type Config struct {
	// Addr is our RTP address, written in the c= and o= lines. It must be
	// a unicast address, not 0.0.0.0 or ::; an IPv6 zone is dropped.
	Addr netip.Addr
	// Port is our RTP port, 1 to 65535; RTCP is on Port+1.
	Port int
	// Codecs are the codecs we offer and accept, in our order of
	// preference, from "G722", "PCMU" and "PCMA" (in any case). Empty
	// means all three, in that order.
	Codecs []string
	// DTMF offers and accepts telephone-event/8000 (RFC 4733) for the
	// events 0-16, with payload type 101 in our offers.
	DTMF bool
	// PTime is the packet duration we want to receive, in milliseconds:
	// a multiple of 10 from 10 to 120. Zero means 20.
	PTime int
	// Username is the user name of our o= lines; empty means
	// "intercom". It must not contain white space.
	Username string
	// SRTP says whether to protect the audio stream with SRTP keyed by
	// SDES crypto lines (RFC 4568), with AES_CM_128_HMAC_SHA1_80 or _32;
	// the zero value is SRTPOff, plain RTP.
	SRTP SRTPMode
}

// Media is what an offer/answer exchange agreed on for the audio stream:
// what an RTP session needs to send and receive it.
type Media struct {
	// Codec is the codec to send with: the first codec of the answer that
	// both sides support, with the payload type to put in our packets.
	// Packets we receive may use any codec of the answer.
	Codec Codec
	// DTMFPayloadType is the payload type of telephone-event, or -1 when
	// the exchange agreed on none.
	DTMFPayloadType int
	// Remote is where to send RTP: the remote party's address and port.
	// When the remote SDP had the hold address 0.0.0.0, Remote has it
	// too, and Direction does not allow sending.
	Remote netip.AddrPort
	// RemoteRTCP is where to send RTCP: the a=rtcp of the remote SDP
	// (RFC 3605), else the RTP port plus one. It is the zero AddrPort when
	// there is no such port.
	RemoteRTCP netip.AddrPort
	// Direction is ours: whether we may send media, receive it, both or
	// neither, as the exchange agreed.
	Direction Direction
	// PTime is the packet duration, in milliseconds, to send with: the
	// remote's a=ptime when it is from 10 to 120, else ours.
	PTime int
	// SRTP holds the SRTP profile and master keys when the exchange
	// agreed on SRTP, and is nil for plain RTP. Our keys stay the same
	// for the life of the Session; the remote party's are those of its
	// latest SDP, so a change of RemoteKey or RemoteSalt is the remote
	// party re-keying.
	SRTP *SRTPKeys
}

// ourEvents are the telephone-events we offer and accept: 0-16, the DTMF
// digits and flash (RFC 4733 §3.2).
const ourEvents events = 1<<17 - 1

// dtmfPayloadType is the payload type of telephone-event in our offers,
// when the session has not agreed on another.
const dtmfPayloadType = 101

// supported are the codecs a Session can offer, with the payload types it
// offers them with.
var supported = [...]Codec{
	{Name: "G722", PayloadType: 9, ClockRate: 8000, Channels: 1},
	{Name: "PCMU", PayloadType: 0, ClockRate: 8000, Channels: 1},
	{Name: "PCMA", PayloadType: 8, ClockRate: 8000, Channels: 1},
}

// Session negotiates the audio stream of one SIP dialog with the
// offer/answer model of RFC 3264: Offer and Accept when we offer, Answer
// when the remote party does. It keeps what every SDP it writes needs to
// stay consistent: one o= session id with a version that grows by one when
// the description changes, the m= lines of the session in their order, the
// payload types agreed on, and whether an offer of ours is pending.
//
// A Session is not safe for concurrent use: the SIP layer serializes the
// calls, as it serializes the offers and answers of the dialog.
type Session struct {
	addr     netip.Addr
	port     int
	codecs   []Codec // ours, in order of preference
	dtmf     bool
	ptime    int
	username string
	srtp     SRTPMode

	sessID  uint64
	version uint64
	sent    bool   // whether we have written an SDP, with version
	last    []byte // our last SDP, from the line after o=

	desc    psdp.SessionDescription  // our SDP, reused: all but its m= sections stay
	audioMD psdp.MediaDescription    // our audio m= section in desc, reused
	slots   []*psdp.MediaDescription // the session's m= sections: &audioMD for the audio stream, else the rejected line

	keys        [len(suites)]masterKey // our master key and salt for each suite, made when first needed
	inline      [len(suites)]string    // keys in base64; "" until made
	offerCrypto [len(suites)]string    // the crypto lines of our offers, once made
	savp        bool                   // whether the audio stream agreed on is RTP/SAVP

	hold      bool
	pending   bool      // an offer of ours awaits its answer
	offerDir  Direction // the direction of that offer
	offerDTMF int       // its telephone-event payload type, or -1
	offerSAVP bool      // whether that offer is RTP/SAVP
	audio     int       // the index of the audio stream in slots
	remoteDyn [2]uint64 // payload types the remote's last SDP mapped, bit n for type n

	media      Media
	negotiated bool
	answered   psdp.Origin // the o= of the answer Accept took last
}

// NewSession returns a Session for cfg, or an error saying what in cfg is
// wrong.
func NewSession(cfg Config) (*Session, error) {
	addr := cfg.Addr.Unmap().WithZone("")
	if !addr.IsValid() || addr.IsUnspecified() || addr.IsMulticast() {
		return nil, errors.New("sdp: config: Addr is not a unicast address")
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, errors.New("sdp: config: Port is not from 1 to 65535")
	}
	if cfg.SRTP > SRTPMandatory {
		return nil, errors.New("sdp: config: SRTP is not SRTPOff, SRTPOptional or SRTPMandatory")
	}
	s := &Session{addr: addr, port: cfg.Port, dtmf: cfg.DTMF, ptime: cfg.PTime, username: cfg.Username,
		srtp: cfg.SRTP, offerDTMF: -1}
	if s.ptime == 0 {
		s.ptime = 20
	}
	if s.ptime < 10 || s.ptime > 120 || s.ptime%10 != 0 {
		return nil, errors.New("sdp: config: PTime is not a multiple of 10 from 10 to 120")
	}
	if s.username == "" {
		s.username = "intercom"
	}
	for i := 0; i < len(s.username); i++ {
		if c := s.username[i]; c <= ' ' || c == 0x7f {
			return nil, errors.New("sdp: config: Username contains white space or a control character")
		}
	}
	names := cfg.Codecs
	if len(names) == 0 {
		names = []string{"G722", "PCMU", "PCMA"}
	}
	for _, name := range names {
		found := false
		for _, c := range supported {
			if strings.EqualFold(name, c.Name) {
				for _, have := range s.codecs {
					if have.Name == c.Name {
						return nil, fmt.Errorf("sdp: config: codec %q listed twice", name)
					}
				}
				s.codecs = append(s.codecs, c)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("sdp: config: unsupported codec %q (want G722, PCMU or PCMA)", name)
		}
	}
	s.sessID = uint64(rand.Uint32N(1<<31)) + 1
	s.version = uint64(rand.Uint32N(1 << 30))
	addrType := "IP4"
	if addr.Is6() {
		addrType = "IP6"
	}
	s.desc = psdp.SessionDescription{
		Origin: psdp.Origin{Username: s.username, SessionID: s.sessID, NetworkType: "IN",
			AddressType: addrType, UnicastAddress: addr.String()},
		SessionName: "-",
		ConnectionInformation: &psdp.ConnectionInformation{NetworkType: "IN", AddressType: addrType,
			Address: &psdp.Address{Address: addr.String()}},
		TimeDescriptions: []psdp.TimeDescription{{}},
	}
	return s, nil
}

// Hold sets whether we hold the call. While on, our offers ask for sendonly
// (RFC 3264 §8.4: we keep sending, we ask not to receive), or for inactive
// when the remote party had already put us on hold, and our answers never
// ask to receive; while off, they ask for sendrecv. It takes effect at the
// next Offer or Answer: the SIP layer sends a re-INVITE with a new Offer.
func (s *Session) Hold(on bool) {
	s.hold = on
}

// Pending reports whether an offer of ours awaits its answer.
func (s *Session) Pending() bool {
	return s.pending
}

// Negotiated returns what the last successful exchange agreed on, and false
// before any has succeeded.
func (s *Session) Negotiated() (Media, bool) {
	return s.media, s.negotiated
}

// Offer returns our offer: the first of the session or a re-offer (RFC 3264
// §8) with the same o= session id, whose version is one more than that of
// our previous SDP when the description changed and the same when it did
// not. The offer lists our codecs in our order, telephone-event when
// configured, our ptime and our direction (see Hold); a re-offer keeps every
// m= line of the session, those of rejected streams with port 0. The offer
// is then pending until Accept or CancelOffer; Offer returns
// ErrOfferPending while one is.
//
// With SRTP the offer carries two crypto lines, tag 1 for
// AES_CM_128_HMAC_SHA1_80 and tag 2 for AES_CM_128_HMAC_SHA1_32, each with
// a master key and salt of its own from crypto/rand. The stream is RTP/SAVP
// when SRTP is mandatory, RTP/AVP (best-effort SRTP) when it is optional;
// a re-offer keeps the protocol that the stream runs SRTP on. Re-offers
// carry the same keys (RFC 4568 §6.1 lets a re-offer keep them), so hold,
// resume and session refreshes do not re-key the stream.
func (s *Session) Offer() ([]byte, error) {
	if s.pending {
		return nil, ErrOfferPending
	}
	dir := SendRecv
	if s.hold {
		dir = SendOnly
		if s.negotiated && s.media.Direction == RecvOnly {
			dir = Inactive // RFC 3264 §8.4: a recvonly stream is held as inactive
		}
	}
	if len(s.slots) == 0 {
		s.slots = append(s.slots, &s.audioMD)
		s.audio = 0
	}
	dtmf := -1
	if s.dtmf {
		dtmf = s.offerDTMFPayloadType()
	}
	savp := s.srtp == SRTPMandatory
	if s.negotiated && s.media.SRTP != nil {
		savp = s.savp
	}
	var crypto []string
	if s.srtp != SRTPOff {
		if s.offerCrypto[0] == "" {
			for i, suite := range suites {
				s.offerCrypto[i] = strconv.Itoa(i+1) + " " + suite + " inline:" + s.inlineKey(i)
			}
		}
		crypto = s.offerCrypto[:]
	}
	s.describeAudio(savp, s.codecs, dtmf, ourEvents, dir, crypto...)
	s.pending, s.offerDir, s.offerDTMF, s.offerSAVP = true, dir, dtmf, savp
	return s.marshal(), nil
}

// CancelOffer forgets the pending offer, for when the request or response
// that carried it failed (a 488 or 491 to a re-INVITE, a timeout): the
// session stays as it was before the offer (RFC 3264 §8). It does nothing
// when no offer is pending.
func (s *Session) CancelOffer() {
	s.pending = false
}

// Accept takes the remote party's answer to our pending offer. It checks
// that the answer answers the offer: as many m= lines, the audio stream
// over the protocol we offered with a port, a codec we offered, payload
// types that mean what they meant in the offer, an IP address of our
// family, and when we offered crypto lines at most one in answer, with the
// tag and suite of one of ours and a key we can use; an RTP/SAVP answer
// must have one, an RTP/AVP answer without one means plain RTP unless SRTP
// is mandatory. On success it updates what Negotiated returns: the
// answer's first codec that we support, its telephone-event payload type,
// the remote addresses, our direction, which is the one we offered
// narrowed by the answer's, and the SRTP keys.
//
// The offer is no longer pending after Accept, whatever it returns; on
// error Negotiated keeps the previous exchange's result, and the SIP layer
// ends the call or makes a new offer. An answer that leaves no usable audio
// stream yields an error wrapping ErrNotAcceptable; a malformed one a
// *SyntaxError or another error. Without a pending offer Accept returns
// ErrNoOffer, except for the same answer again (same o= line, as when a
// reliable 183 and the 200 carry it), which it ignores.
func (s *Session) Accept(answer []byte) error {
	if !s.pending {
		if s.negotiated {
			if d, err := Parse(answer); err == nil && d.Origin == s.answered {
				return nil
			}
		}
		return ErrNoOffer
	}
	s.pending = false
	d, err := Parse(answer)
	if err != nil {
		return err
	}
	if len(d.MediaDescriptions) != len(s.slots) {
		return fmt.Errorf("sdp: the answer has %d m= lines for the %d of the offer", len(d.MediaDescriptions), len(s.slots))
	}
	m := d.MediaDescriptions[s.audio]
	proto := "AVP"
	if s.offerSAVP {
		proto = "SAVP"
	}
	if m.MediaName.Media != "audio" || !isProto(m, "RTP", proto) {
		return fmt.Errorf("sdp: m= line %d of the answer is not audio over RTP/%s", s.audio+1, proto)
	}
	if m.MediaName.Port.Value == 0 {
		return fmt.Errorf("%w: the answer rejects the audio stream", ErrNotAcceptable)
	}
	media, remoteHold, reason := s.remote(d, m)
	if reason != "" {
		return fmt.Errorf("%w: the answer's %s", ErrNotAcceptable, reason)
	}
	media.DTMFPayloadType = -1
	found := false
	for j, f := range m.MediaName.Formats {
		pt, ok := payloadType(f)
		if !ok {
			return fmt.Errorf("sdp: format %d of the answer's audio stream is not a payload type", j+1)
		}
		c, ok := codecOf(m, pt)
		if !ok {
			continue // not one we offered, and no use to us
		}
		if offered, ok := s.offered(pt); ok && !matches(c, offered) {
			return fmt.Errorf("sdp: the answer maps payload type %d to another codec than the offer", pt)
		}
		if matches(c, telephoneEvent) {
			if s.offerDTMF >= 0 && media.DTMFPayloadType < 0 {
				media.DTMFPayloadType = pt
			}
			continue
		}
		if ours, ok := s.ours(c); ok && !found {
			ours.PayloadType = pt
			media.Codec, found = ours, true
		}
	}
	if !found {
		return fmt.Errorf("%w: the answer has no codec we offered", ErrNotAcceptable)
	}
	if s.srtp != SRTPOff {
		if media.SRTP, err = s.acceptCrypto(m); err != nil {
			return err
		}
		if media.SRTP == nil && (s.offerSAVP || s.srtp == SRTPMandatory) {
			return fmt.Errorf("%w: the answer's audio stream has no crypto line", ErrNotAcceptable)
		}
	}
	theirs := mediaDirection(d, m)
	if remoteHold {
		theirs &^= RecvOnly
	}
	media.Direction = s.offerDir & theirs.Reverse()
	s.media, s.negotiated, s.answered, s.savp = media, true, d.Origin, s.offerSAVP
	s.remoteDyn = mapped(m)
	return nil
}

// Answer returns our answer to the remote party's offer, the first of the
// session or a re-offer (RFC 3264 §6, §8). It takes the first audio stream
// that has a port, a unicast address of our family, a codec in common, and
// what our SRTP mode asks for: RTP/AVP when SRTP is off, whatever crypto
// lines it has; RTP/AVP or RTP/SAVP with a crypto line we can use when SRTP
// is mandatory; with SRTP optional either of those, or RTP/AVP without one.
// It rejects every other stream with port 0 (video, RTP/SAVPF, a second
// audio stream, ...), keeping the offer's m= lines in order. With SRTP the
// answer has one crypto line: the tag and suite of the offer's first line
// that we can use (AES_CM_128_HMAC_SHA1_80 or _32, an inline key, no MKI,
// no session parameter but WSH) with our own key for that suite, made
// from crypto/rand when the Session first needs it and kept for its life.
// The answer names one codec: the offer's first that we support, with the
// offer's payload type, so that the peer sends nothing our stream cannot
// decode (RFC 3264 §6.1 lets an answer list a subset); telephone-event with
// the offer's payload type and the common events when both want DTMF; our
// ptime; and the direction that mirrors the offer's (sendonly becomes
// recvonly, ...), narrowed while we hold. A c= address of 0.0.0.0 in the
// offer is the old RFC 2543 hold: we do not send.
//
// When no stream can be used Answer returns an error wrapping
// ErrNotAcceptable, for the SIP layer to answer 488; a malformed offer
// yields a *SyntaxError; an offer crossing a pending one of ours yields
// ErrOfferPending. On error the Session is unchanged: a refused re-offer
// leaves the previous exchange's result in place (RFC 3264 §8).
func (s *Session) Answer(offer []byte) ([]byte, error) {
	if s.pending {
		return nil, ErrOfferPending
	}
	d, err := Parse(offer)
	if err != nil {
		return nil, err
	}
	var (
		chosen = -1
		media  Media
		common [MaxFormats]Codec
		n      int
		ev     events
		why    string
	)
	var (
		crypto cryptoLine
		secure bool // whether the chosen stream runs SRTP
		savp   bool // whether it is RTP/SAVP
	)
	for i, m := range d.MediaDescriptions {
		if m.MediaName.Port.Value == 0 || m.MediaName.Media != "audio" {
			continue
		}
		savp = isProto(m, "RTP", "SAVP")
		if !isProto(m, "RTP", "AVP") && (!savp || s.srtp == SRTPOff) {
			if why == "" {
				why = "the audio stream's protocol is not RTP/AVP"
				if s.srtp != SRTPOff {
					why += " or RTP/SAVP"
				}
			}
			continue
		}
		var remoteHold bool
		var reason string
		media, remoteHold, reason = s.remote(d, m)
		if reason == "" {
			n, media.DTMFPayloadType, ev = s.common(m, common[:])
			if n == 0 {
				reason = "audio stream has no codec in common with ours"
			}
		}
		secure = false
		if reason == "" && s.srtp != SRTPOff {
			crypto, secure = chooseCrypto(m)
			if !secure && (savp || s.srtp == SRTPMandatory) {
				reason = "audio stream has no crypto line we support"
			}
		}
		if reason != "" {
			if why == "" {
				why = "offer's " + reason
			}
			continue
		}
		theirs := mediaDirection(d, m)
		if remoteHold {
			theirs &^= RecvOnly
		}
		media.Direction = theirs.Reverse() & s.want()
		media.Codec = common[0]
		chosen = i
		break
	}
	if chosen < 0 {
		if why == "" {
			why = "the offer has no audio stream"
		}
		return nil, fmt.Errorf("%w: %s", ErrNotAcceptable, why)
	}

	// The answer is decided: write it and keep what the session needs.
	slots := s.slots[:0]
	for i, m := range d.MediaDescriptions {
		if i == chosen {
			slots = append(slots, &s.audioMD)
		} else {
			slots = append(slots, rejected(m))
		}
	}
	s.slots, s.audio = slots, chosen
	var line []string
	if secure {
		media.SRTP = s.srtpKeys(crypto.suite, &crypto.key)
		line = []string{crypto.tag + " " + suites[crypto.suite] + " inline:" + s.inlineKey(crypto.suite)}
	}
	s.describeAudio(savp, common[:1], media.DTMFPayloadType, ev, media.Direction, line...)
	s.media, s.negotiated, s.savp = media, true, savp
	s.remoteDyn = mapped(d.MediaDescriptions[chosen])
	return s.marshal(), nil
}

// want is the direction we want: sendrecv, or sendonly while we hold.
func (s *Session) want() Direction {
	if s.hold {
		return SendOnly
	}
	return SendRecv
}

// remote reads the remote addresses and ptime of the m= section m of a
// remote SDP d into a Media, and says whether its address is the hold
// address 0.0.0.0. It returns a reason when the stream cannot be used.
func (s *Session) remote(d *psdp.SessionDescription, m *psdp.MediaDescription) (media Media, hold bool, reason string) {
	c := connection(d, m)
	if c == nil {
		return media, false, "audio stream has no c= line"
	}
	ip, ok := connIP(c)
	if !ok {
		return media, false, "audio stream's c= line has no IP address"
	}
	if ip.IsMulticast() {
		return media, false, "audio stream's c= address is multicast"
	}
	hold = ip.IsUnspecified()
	if !hold && ip.Is4() != s.addr.Is4() {
		return media, false, "audio stream's c= address is not of our IP version"
	}
	port := m.MediaName.Port.Value
	media.Remote = netip.AddrPortFrom(ip, uint16(port))
	if rport, rconn, ok := rtcpOf(m); ok {
		rip := ip
		if a, ok := connIP(rconn); ok && !a.IsMulticast() && a.Is4() == ip.Is4() {
			rip = a
		}
		media.RemoteRTCP = netip.AddrPortFrom(rip, uint16(rport))
	} else if port < 65535 {
		media.RemoteRTCP = netip.AddrPortFrom(ip, uint16(port+1))
	}
	media.PTime = s.ptime
	if p, ok := ptimeOf(m); ok && p >= 10 && p <= 120 {
		media.PTime = p
	}
	return media, hold, ""
}

// common finds the codecs of the offered m= section that we support, in its
// order and with its payload types, and stores them in out. It returns how
// many there are, the offer's telephone-event/8000 payload type (or -1) and
// the events both sides support.
func (s *Session) common(m *psdp.MediaDescription, out []Codec) (n, dtmf int, ev events) {
	dtmf = -1
	for _, f := range m.MediaName.Formats {
		pt, ok := payloadType(f)
		if !ok {
			continue
		}
		c, ok := codecOf(m, pt)
		if !ok {
			continue
		}
		if matches(c, telephoneEvent) {
			if !s.dtmf || dtmf >= 0 {
				continue
			}
			offered := defaultEvents
			if f, ok := fmtpOf(m, pt); ok {
				if e, ok := parseEvents(f); ok {
					offered = e
				}
			}
			if offered&ourEvents != 0 {
				dtmf, ev = pt, offered&ourEvents
			}
			continue
		}
		if ours, ok := s.ours(c); ok && n < len(out) {
			ours.PayloadType = pt
			out[n] = ours
			n++
		}
	}
	return n, dtmf, ev
}

// offered returns the codec our pending offer gave payload type pt.
func (s *Session) offered(pt int) (Codec, bool) {
	for _, c := range s.codecs {
		if c.PayloadType == pt {
			return c, true
		}
	}
	if pt == s.offerDTMF {
		return telephoneEvent, true
	}
	return Codec{}, false
}

// ours returns our codec that c is, and false when c is none of ours.
func (s *Session) ours(c Codec) (Codec, bool) {
	for _, o := range s.codecs {
		if matches(c, o) {
			return o, true
		}
	}
	return Codec{}, false
}

// telephoneEvent is the DTMF format we offer and accept, without its
// payload type.
var telephoneEvent = Codec{Name: "telephone-event", ClockRate: 8000, Channels: 1}

// matches reports whether the remote codec c is the codec want, whatever
// their payload types: the same name, without regard to case, at the same
// clock rate, mono. G722/16000 is taken for G722, a common mistake for the
// 8000 that RFC 3551 §4.5.2 prescribes.
func matches(c, want Codec) bool {
	if c.Channels != 1 || !strings.EqualFold(c.Name, want.Name) {
		return false
	}
	return c.ClockRate == want.ClockRate || want.Name == "G722" && c.ClockRate == 16000
}

// offerDTMFPayloadType returns the payload type for telephone-event in our
// next offer: the one agreed on before, for the mapping of a payload type
// must not change within a session (RFC 3264 §8.3.2), else 101, else a
// dynamic one that the remote party has not mapped to something else.
func (s *Session) offerDTMFPayloadType() int {
	if s.negotiated && s.media.DTMFPayloadType >= 0 {
		return s.media.DTMFPayloadType
	}
	for _, pt := range [...]int{dtmfPayloadType, 100, 96, 97, 98, 99, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111,
		112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127} {
		if s.remoteDyn[pt/64]&(1<<(pt%64)) == 0 {
			return pt
		}
	}
	return dtmfPayloadType
}

// mapped returns the set of payload types a remote m= section lists.
func mapped(m *psdp.MediaDescription) [2]uint64 {
	var set [2]uint64
	for _, f := range m.MediaName.Formats {
		if pt, ok := payloadType(f); ok {
			set[pt/64] |= 1 << (pt % 64)
		}
	}
	return set
}

// rejected returns the m= section that rejects the offered stream m: its
// media and protocol, port 0 and its first format (RFC 3264 §6 wants at
// least one).
func rejected(m *psdp.MediaDescription) *psdp.MediaDescription {
	format := "0"
	if len(m.MediaName.Formats) > 0 {
		format = m.MediaName.Formats[0]
	}
	return &psdp.MediaDescription{MediaName: psdp.MediaName{Media: m.MediaName.Media,
		Protos: m.MediaName.Protos, Formats: []string{format}}}
}

// describeAudio sets our audio m= section, RTP/SAVP or RTP/AVP, to offer or
// answer codecs, telephone-event with payload type dtmf (none when
// negative) for the events ev, our ptime, direction dir and the crypto
// lines with the values crypto.
func (s *Session) describeAudio(savp bool, codecs []Codec, dtmf int, ev events, dir Direction, crypto ...string) {
	m := &s.audioMD
	m.MediaName.Media = "audio"
	m.MediaName.Port.Value = s.port
	m.MediaName.Protos = rtpAVP[:]
	if savp {
		m.MediaName.Protos = rtpSAVP[:]
	}
	m.MediaName.Formats = m.MediaName.Formats[:0]
	m.Attributes = m.Attributes[:0]
	for _, c := range codecs {
		m.MediaName.Formats = append(m.MediaName.Formats, strconv.Itoa(c.PayloadType))
		m.Attributes = append(m.Attributes, psdp.NewAttribute("rtpmap", rtpmap(c.PayloadType, c.Name)))
	}
	if dtmf >= 0 {
		m.MediaName.Formats = append(m.MediaName.Formats, strconv.Itoa(dtmf))
		m.Attributes = append(m.Attributes,
			psdp.NewAttribute("rtpmap", rtpmap(dtmf, "telephone-event")),
			psdp.NewAttribute("fmtp", string(appendEvents(append(strconv.AppendInt(nil, int64(dtmf), 10), ' '), ev))))
	}
	m.Attributes = append(m.Attributes, psdp.NewAttribute("ptime", strconv.Itoa(s.ptime)),
		psdp.NewPropertyAttribute(dir.String()))
	for _, c := range crypto {
		m.Attributes = append(m.Attributes, psdp.NewAttribute("crypto", c))
	}
}

// rtpAVP and rtpSAVP are the transport protocols of our audio stream, as
// pion splits them.
var (
	rtpAVP  = [...]string{"RTP", "AVP"}
	rtpSAVP = [...]string{"RTP", "SAVP"}
)

// acceptCrypto reads the crypto line of the audio stream m of an answer to
// our offer, which had crypto lines, and returns its keys, or nil when it
// has none.
func (s *Session) acceptCrypto(m *psdp.MediaDescription) (*SRTPKeys, error) {
	var value string
	n := 0
	for i := range m.Attributes {
		if strings.EqualFold(m.Attributes[i].Key, "crypto") {
			value = m.Attributes[i].Value
			n++
		}
	}
	switch {
	case n == 0:
		return nil, nil
	case n > 1:
		return nil, fmt.Errorf("sdp: the answer's audio stream has %d crypto lines, not one", n)
	}
	c, reason, malformed := parseCrypto(value)
	switch {
	case malformed:
		return nil, fmt.Errorf("sdp: the answer's crypto line is malformed: %s", reason)
	case c.suite < 0 || !ourTag(c.tag, c.suite):
		return nil, errors.New("sdp: the answer's crypto line has the tag and suite of none of the offer's")
	case reason != "":
		return nil, fmt.Errorf("%w: the answer's crypto line: %s", ErrNotAcceptable, reason)
	}
	return s.srtpKeys(c.suite, &c.key), nil
}

// ourTag reports whether tag is the one of suite i in our offers.
func ourTag(tag string, i int) bool {
	n, ok := parseUint(tag, 1<<32)
	return ok && n == uint64(i)+1
}

// rtpmap returns the value of the a=rtpmap line for payload type pt and the
// codec name, at 8000 Hz: "<pt> <name>/8000".
func rtpmap(pt int, name string) string {
	return strconv.Itoa(pt) + " " + name + "/8000"
}

// marshal writes our SDP: s.desc with the m= sections of s.slots. It raises
// the version when the lines after o= differ from our previous SDP's
// (RFC 3264 §8).
func (s *Session) marshal() []byte {
	d := &s.desc
	d.MediaDescriptions = append(d.MediaDescriptions[:0], s.slots...)
	d.Origin.SessionVersion = s.version
	out, _ := d.Marshal() // it never fails
	if s.sent && !bytes.Equal(afterOrigin(out), s.last) {
		s.version++
		d.Origin.SessionVersion = s.version
		out, _ = d.Marshal()
	}
	s.sent = true
	s.last = append(s.last[:0], afterOrigin(out)...)
	return out
}

// afterOrigin returns the lines of an SDP of ours after its o= line, the
// second.
func afterOrigin(sdp []byte) []byte {
	_, rest, _ := bytes.Cut(sdp, []byte("\r\n"))
	_, rest, _ = bytes.Cut(rest, []byte("\r\n"))
	return rest
}
