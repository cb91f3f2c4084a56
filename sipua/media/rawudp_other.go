//go:build !linux

package media

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"time"
)

// rawUDP is the net package's UDP elsewhere than on Linux: a goroutine
// waits for each packet, and arrival times are read when it is taken.
type rawUDP struct {
	conn    *net.UDPConn
	local   netip.AddrPort
	stamped bool // never: arrivals are stamped when read
	buf     []byte
}

// errNoPacket is readNext's answer when no packet is waiting.
var errNoPacket = errors.New("media: no packet waiting")

func listenRawUDP(ip netip.Addr, port int) (*rawUDP, error) {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
	if err != nil {
		return nil, err
	}
	l := c.LocalAddr().(*net.UDPAddr).AddrPort()
	return &rawUDP{conn: c, local: netip.AddrPortFrom(l.Addr().Unmap(), l.Port()), buf: make([]byte, 1500)}, nil
}

func (r *rawUDP) localAddr() netip.AddrPort { return r.local }

func (r *rawUDP) writeTo(b []byte, to netip.AddrPort) error {
	_, err := r.conn.WriteToUDPAddrPort(b, to)
	return err
}

// wait returns at once: readNext blocks instead.
func (r *rawUDP) wait() error { return nil }

// readNext waits for the next datagram, up to a frame; errNoPacket if none
// came. Its bytes are valid until the next call.
func (r *rawUDP) readNext() ([]byte, netip.AddrPort, time.Time, error) {
	_ = r.conn.SetReadDeadline(time.Now().Add(FrameDuration))
	n, from, err := r.conn.ReadFromUDPAddrPort(r.buf)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nil, netip.AddrPort{}, time.Time{}, errNoPacket
	}
	return r.buf[:n], netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), time.Now(), err
}

// stopWaiting reports that the socket cannot leave the poller here.
func (r *rawUDP) stopWaiting() bool { return false }

func (r *rawUDP) close() error { return r.conn.Close() }
