package sdp

import (
	"net/netip"
	"strings"

	psdp "github.com/pion/sdp/v3"
)

// attribute returns the value of the first attribute of attrs called name
// (compared without regard to case) and whether there is one.
func attribute(attrs []psdp.Attribute, name string) (string, bool) {
	for i := range attrs {
		if strings.EqualFold(attrs[i].Key, name) {
			return attrs[i].Value, true
		}
	}
	return "", false
}

// connection returns the connection of the m= section m of d: its own c=
// line, else the session-level one; nil when neither is there.
func connection(d *psdp.SessionDescription, m *psdp.MediaDescription) *psdp.ConnectionInformation {
	if m.ConnectionInformation != nil {
		return m.ConnectionInformation
	}
	return d.ConnectionInformation
}

// connIP returns the address of an "IN" connection whose address is an IP
// address of its address type (IPv4 for "IP4", IPv6 for "IP6"), without
// zone. It returns false for a host name, a multicast address with a TTL or
// count suffix, a connection without address, or any other type.
func connIP(c *psdp.ConnectionInformation) (netip.Addr, bool) {
	if c == nil || c.NetworkType != "IN" || c.Address == nil || c.Address.TTL != nil || c.Address.Range != nil {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(c.Address.Address)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	switch c.AddressType {
	case "IP4":
		return a, a.Is4()
	case "IP6":
		return a, a.Is6()
	}
	return netip.Addr{}, false
}

// isProto reports whether the m= section m uses the transport protocol
// whose parts, split at "/", are parts.
func isProto(m *psdp.MediaDescription, parts ...string) bool {
	p := m.MediaName.Protos
	if len(p) != len(parts) {
		return false
	}
	for i := range p {
		if p[i] != parts[i] {
			return false
		}
	}
	return true
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

// direction returns the direction given by the first of the attributes
// sendrecv, sendonly, recvonly and inactive in attrs (compared without
// regard to case), and false when there is none.
func direction(attrs []psdp.Attribute) (Direction, bool) {
	for i := range attrs {
		switch k := attrs[i].Key; {
		case strings.EqualFold(k, "sendrecv"):
			return SendRecv, true
		case strings.EqualFold(k, "sendonly"):
			return SendOnly, true
		case strings.EqualFold(k, "recvonly"):
			return RecvOnly, true
		case strings.EqualFold(k, "inactive"):
			return Inactive, true
		}
	}
	return SendRecv, false
}

// mediaDirection returns the direction of the m= section m of d: its own
// direction attribute, else the session-level one, else sendrecv (RFC 8866
// §6.7). The direction is the one of the description's author.
func mediaDirection(d *psdp.SessionDescription, m *psdp.MediaDescription) Direction {
	if dir, ok := direction(m.Attributes); ok {
		return dir
	}
	dir, _ := direction(d.Attributes)
	return dir
}
