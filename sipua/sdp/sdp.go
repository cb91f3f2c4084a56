package sdp

import (
	"net/netip"
	"strings"
)

// Limits on what Parse reads. A description over any of them is refused
// with a *SyntaxError, so a hostile peer cannot make a parse costly.
const (
	// MaxSize is the largest description Parse reads, in bytes.
	MaxSize = 64 << 10
	// MaxLines is the largest number of non-blank lines in a description.
	MaxLines = 1024
	// MaxMedia is the largest number of m= sections in a description.
	MaxMedia = 16
	// MaxFormats is the largest number of formats on one m= line.
	MaxFormats = 64
)

// Description is a parsed session description (RFC 8866 §5). The zero
// value is an empty description; fields left empty are not written, except
// the mandatory v=, o=, s= and t= lines.
type Description struct {
	// Origin is the o= line.
	Origin Origin
	// Name is the s= line. Parse reads an empty or missing s= line as "-",
	// and AppendTo writes an empty Name as "-" (RFC 8866 §5.3).
	Name string
	// Info is the session-level i= line, empty when absent.
	Info string
	// URI is the u= line, empty when absent.
	URI string
	// Emails are the e= lines.
	Emails []string
	// Phones are the p= lines.
	Phones []string
	// Connection is the session-level c= line; the zero Connection when
	// absent.
	Connection Connection
	// Bandwidths are the session-level b= lines.
	Bandwidths []Bandwidth
	// Times are the t= lines, each with its r= lines. Parse reads a
	// description without a t= line as one "t=0 0", and AppendTo writes
	// "t=0 0" when Times is empty.
	Times []Timing
	// TimeZones is the value of the z= line, empty when absent.
	TimeZones string
	// Key is the value of the session-level k= line, empty when absent.
	Key string
	// Attributes are the session-level a= lines, in order.
	Attributes Attributes
	// Media are the m= sections, in order.
	Media []MediaDescription
}

// Origin is the o= line: who made the description, and which version of
// the session it describes (RFC 8866 §5.2).
type Origin struct {
	// Username is the user's login on the originating host, or "-".
	Username string
	// SessionID, together with Username, NetType, AddrType and Address,
	// identifies the session. RFC 8866 makes it numeric; it is kept as
	// received.
	SessionID string
	// SessionVersion grows whenever the session description changes.
	SessionVersion uint64
	// NetType is the network type, "IN".
	NetType string
	// AddrType is the address type, "IP4" or "IP6".
	AddrType string
	// Address is the originating host's address or name.
	Address string
}

// Connection is a c= line (RFC 8866 §5.7). The zero Connection stands for
// no c= line.
type Connection struct {
	// NetType is the network type, "IN".
	NetType string
	// AddrType is the address type, "IP4" or "IP6".
	AddrType string
	// Address is the address as written: an IP address, a host name, or a
	// multicast address with its "/ttl" and "/count" suffixes.
	Address string
}

// IsZero reports whether c stands for no c= line.
func (c Connection) IsZero() bool {
	return c == Connection{}
}

// IP returns the address of an "IN" connection whose Address is an IP
// address of its AddrType (IPv4 for "IP4", IPv6 for "IP6"), without zone.
// It returns false for a host name, a multicast address with a TTL or count
// suffix, or any other network or address type.
func (c Connection) IP() (netip.Addr, bool) {
	if c.NetType != "IN" {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(c.Address)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	switch c.AddrType {
	case "IP4":
		return a, a.Is4()
	case "IP6":
		return a, a.Is6()
	}
	return netip.Addr{}, false
}

// IsHold reports whether c is the unspecified address, 0.0.0.0 (or ::),
// with which RFC 2543 put a call on hold. RFC 3264 §8.4 says it means that
// neither RTP nor RTCP is to be sent to the peer.
func (c Connection) IsHold() bool {
	a, ok := c.IP()
	return ok && a.IsUnspecified()
}

// Bandwidth is a b= line, "b=AS:64" (RFC 8866 §5.8).
type Bandwidth struct {
	// Type is the bandwidth type, such as "AS", "CT", "TIAS", "RS" or "RR".
	Type string
	// Value is the bandwidth, in the unit of Type (kbit/s for AS and CT).
	Value uint64
}

// Timing is a t= line with the r= lines that follow it (RFC 8866 §5.9,
// §5.10). VoIP uses "t=0 0": a session not bounded in time.
type Timing struct {
	// Start and Stop are NTP times in seconds; 0 means unbounded.
	Start, Stop uint64
	// Repeats are the values of the r= lines, as written.
	Repeats []string
}

// MediaDescription is one m= section (RFC 8866 §5.14) with its own lines.
type MediaDescription struct {
	// Type is the media type: "audio", "video", "application", ...
	Type string
	// Port is the transport port; 0 rejects or disables the stream.
	Port int
	// PortCount is the number of ports after a slash ("49170/2"), or 0
	// when the m= line has none.
	PortCount int
	// Proto is the transport protocol, such as "RTP/AVP" or "RTP/SAVP".
	Proto string
	// Formats are the media formats; for RTP, payload type numbers.
	Formats []string
	// Info is the media-level i= line, empty when absent.
	Info string
	// Connection is the media-level c= line, the zero Connection when
	// absent. When a section has several (layered multicast), Parse keeps
	// the first.
	Connection Connection
	// Bandwidths are the media-level b= lines.
	Bandwidths []Bandwidth
	// Key is the value of the media-level k= line, empty when absent.
	Key string
	// Attributes are the media-level a= lines, in order.
	Attributes Attributes
}

// Attribute is one a= line: "a=name" (a property attribute, with an empty
// Value) or "a=name:value" (RFC 8866 §5.13).
type Attribute struct {
	// Name is the attribute name, such as "rtpmap" or "sendrecv".
	Name string
	// Value is everything after the first colon, as written.
	Value string
}

// Attributes is a list of a= lines, in the order they came.
type Attributes []Attribute

// Get returns the value of the first attribute called name (compared
// without regard to case) and whether there is one.
func (a Attributes) Get(name string) (string, bool) {
	for i := range a {
		if strings.EqualFold(a[i].Name, name) {
			return a[i].Value, true
		}
	}
	return "", false
}

// Has reports whether there is an attribute called name (compared without
// regard to case).
func (a Attributes) Has(name string) bool {
	_, ok := a.Get(name)
	return ok
}

// Direction returns the direction given by the first of the attributes
// sendrecv, sendonly, recvonly and inactive (RFC 8866 §6.7), and false when
// there is none.
func (a Attributes) Direction() (Direction, bool) {
	for i := range a {
		if d, ok := parseDirection(a[i].Name); ok {
			return d, true
		}
	}
	return SendRecv, false
}

// MediaConnection returns the connection of the m= section i: its own c=
// line, else the session-level one; the zero Connection when neither is
// there. It panics if i is out of range, like an index expression.
func (d *Description) MediaConnection(i int) Connection {
	if c := d.Media[i].Connection; !c.IsZero() {
		return c
	}
	return d.Connection
}

// MediaDirection returns the direction of the m= section i: its own
// direction attribute, else the session-level one, else sendrecv (RFC 8866
// §6.7). The direction is the one of the description's author. It panics if
// i is out of range, like an index expression.
func (d *Description) MediaDirection(i int) Direction {
	if dir, ok := d.Media[i].Attributes.Direction(); ok {
		return dir
	}
	dir, _ := d.Attributes.Direction()
	return dir
}

// Direction says which way media flows on a stream, from the point of view
// of one side: whether it sends, receives, both or neither. Its values are
// bit sets: SendRecv is SendOnly|RecvOnly, and Inactive, the zero value, is
// neither.
type Direction uint8

// The four directions of RFC 8866 §6.7 (RFC 3264 §5.1).
const (
	Inactive Direction = 0
	SendOnly Direction = 1
	RecvOnly Direction = 2
	SendRecv Direction = SendOnly | RecvOnly
)

// Sends reports whether the side may send media.
func (d Direction) Sends() bool { return d&SendOnly != 0 }

// Receives reports whether the side may receive media.
func (d Direction) Receives() bool { return d&RecvOnly != 0 }

// Reverse returns the direction as the other side sees it: sendonly
// becomes recvonly and the other way round; sendrecv and inactive stay.
func (d Direction) Reverse() Direction {
	return (d&SendOnly)<<1 | (d&RecvOnly)>>1
}

// String returns the attribute name: "sendrecv", "sendonly", "recvonly" or
// "inactive".
func (d Direction) String() string {
	switch d & SendRecv {
	case SendOnly:
		return "sendonly"
	case RecvOnly:
		return "recvonly"
	case SendRecv:
		return "sendrecv"
	}
	return "inactive"
}

// parseDirection returns the Direction named by an attribute name.
func parseDirection(name string) (Direction, bool) {
	switch {
	case strings.EqualFold(name, "sendrecv"):
		return SendRecv, true
	case strings.EqualFold(name, "sendonly"):
		return SendOnly, true
	case strings.EqualFold(name, "recvonly"):
		return RecvOnly, true
	case strings.EqualFold(name, "inactive"):
		return Inactive, true
	}
	return 0, false
}
