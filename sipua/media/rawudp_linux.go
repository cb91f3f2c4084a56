package media

import (
	"encoding/binary"
	"net"
	"net/netip"
	"syscall"
	"unsafe"
)

// rawUDP sends and receives a stream's RTP with raw system calls. The
// net package's calls tell the scheduler they enter a system call, which
// wakes the runtime's monitor thread when everything was idle: with a
// packet each way every 20 ms that was most of the context switches of a
// call. sendto and recvfrom on a non-blocking UDP socket never block, so
// they need no such notice; waiting for a packet still parks the reader in
// the network poller.
//
// One goroutine at a time may write, and one read: the state of each call
// lives in the struct, so that the functions handed to the RawConn are
// made once and a packet allocates nothing.
type rawUDP struct {
	conn *net.UDPConn
	rc   syscall.RawConn
	v6   bool // the socket is AF_INET6 (IPv4 peers are reached v4-mapped)

	wbuf   []byte
	wsa    rawSockaddr
	werrno syscall.Errno
	write  func(fd uintptr) bool

	rbuf     []byte
	rn       uintptr
	rerrno   syscall.Errno
	rfrom    [syscall.SizeofSockaddrInet6]byte
	rfromLen uint32
	read     func(fd uintptr) bool
}

func newRawUDP(c *net.UDPConn) (*rawUDP, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &rawUDP{conn: c, rc: rc}
	r.write, r.read = r.sendto, r.recvfrom
	var serr error
	if err := rc.Control(func(fd uintptr) {
		var sa syscall.Sockaddr
		if sa, serr = syscall.Getsockname(int(fd)); serr == nil {
			_, r.v6 = sa.(*syscall.SockaddrInet6)
		}
	}); err != nil {
		return nil, err
	}
	return r, serr
}

// rawSockaddr is a sockaddr_in or sockaddr_in6 built for the socket.
type rawSockaddr struct {
	buf [syscall.SizeofSockaddrInet6]byte
	len uintptr
}

func (r *rawUDP) sockaddr(to netip.AddrPort, sa *rawSockaddr) {
	*sa = rawSockaddr{}
	addr := to.Addr()
	if r.v6 {
		a := (*syscall.RawSockaddrInet6)(unsafe.Pointer(&sa.buf[0]))
		a.Family = syscall.AF_INET6
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&a.Port))[:], to.Port())
		a.Addr = addr.As16() // an IPv4 address comes out v4-mapped
		sa.len = syscall.SizeofSockaddrInet6
		return
	}
	a := (*syscall.RawSockaddrInet4)(unsafe.Pointer(&sa.buf[0]))
	a.Family = syscall.AF_INET
	binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&a.Port))[:], to.Port())
	a.Addr = addr.Unmap().As4()
	sa.len = syscall.SizeofSockaddrInet4
}

// writeTo sends b to the peer; a full socket buffer drops the packet, as
// the network would.
func (r *rawUDP) writeTo(b []byte, to netip.AddrPort) error {
	if len(b) == 0 {
		return nil
	}
	if !r.v6 && !to.Addr().Unmap().Is4() {
		return syscall.EAFNOSUPPORT
	}
	r.sockaddr(to, &r.wsa)
	r.wbuf = b
	err := r.rc.Write(r.write)
	r.wbuf = nil
	if err != nil {
		return err
	}
	if r.werrno != 0 && r.werrno != syscall.EAGAIN {
		return r.werrno
	}
	return nil
}

func (r *rawUDP) sendto(fd uintptr) bool {
	_, _, r.werrno = syscall.RawSyscall6(syscall.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&r.wbuf[0])), uintptr(len(r.wbuf)),
		syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&r.wsa.buf[0])), r.wsa.len)
	return true
}

// readFrom waits for a datagram and returns its length and source.
func (r *rawUDP) readFrom(b []byte) (int, netip.AddrPort, error) {
	if len(b) == 0 {
		return 0, netip.AddrPort{}, syscall.EINVAL
	}
	r.rbuf = b
	err := r.rc.Read(r.read)
	r.rbuf = nil
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	if r.rerrno != 0 {
		return 0, netip.AddrPort{}, r.rerrno
	}
	return int(r.rn), parseSockaddr(r.rfrom[:min(int(r.rfromLen), len(r.rfrom))]), nil
}

func (r *rawUDP) recvfrom(fd uintptr) bool {
	r.rfromLen = uint32(len(r.rfrom))
	r.rn, _, r.rerrno = syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&r.rbuf[0])), uintptr(len(r.rbuf)),
		syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&r.rfrom[0])), uintptr(unsafe.Pointer(&r.rfromLen)))
	return r.rerrno != syscall.EAGAIN // false parks the reader in the poller
}

// parseSockaddr reads a sockaddr_in or sockaddr_in6; IPv4-mapped
// addresses come out as IPv4.
func parseSockaddr(b []byte) netip.AddrPort {
	if len(b) < 8 {
		return netip.AddrPort{}
	}
	family := *(*uint16)(unsafe.Pointer(&b[0]))
	port := binary.BigEndian.Uint16(b[2:4])
	switch {
	case family == syscall.AF_INET:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), port)
	case family == syscall.AF_INET6 && len(b) >= syscall.SizeofSockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[8:24])).Unmap(), port)
	}
	return netip.AddrPort{}
}
