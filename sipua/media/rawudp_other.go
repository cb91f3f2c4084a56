//go:build !linux

package media

import (
	"net"
	"net/netip"
)

// rawUDP is the net package's UDP elsewhere than on Linux.
type rawUDP struct{ conn *net.UDPConn }

func newRawUDP(c *net.UDPConn) (*rawUDP, error) { return &rawUDP{conn: c}, nil }

func (r *rawUDP) writeTo(b []byte, to netip.AddrPort) error {
	_, err := r.conn.WriteToUDPAddrPort(b, to)
	return err
}

func (r *rawUDP) readFrom(b []byte) (int, netip.AddrPort, error) {
	n, from, err := r.conn.ReadFromUDPAddrPort(b)
	return n, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), err
}
