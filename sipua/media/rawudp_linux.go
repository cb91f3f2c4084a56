package media

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// rawUDP is a stream's RTP socket, driven by raw system calls and kept out
// of the network poller. The net package's calls tell the scheduler they
// enter a system call, which wakes the runtime's monitor thread when all
// was idle; and a socket in the poller wakes the process for every packet
// even when nobody waits for it. With a packet each way every 20 ms that
// was most of what a call cost. So the socket is a non-blocking descriptor
// of its own: sendto and recvmsg never block, and the kernel stamps each
// packet's arrival (SO_TIMESTAMPNS), so that packets read in a batch once a
// frame keep their true arrival times for the jitter buffer.
//
// A goroutine that must wait for packets waits on a duplicate descriptor
// that is in the poller (wait), until stopWaiting takes it out.
//
// One goroutine at a time may write, and one read: the state of each call
// lives in the struct, so that a packet allocates nothing.
type rawUDP struct {
	fd      int
	local   netip.AddrPort
	v6      bool // the socket is AF_INET6 (IPv4 peers are reached v4-mapped)
	stamped bool // the kernel stamps arrivals (SO_TIMESTAMPNS)

	waiter *os.File // the duplicate in the poller; nil once stopped
	waitRC syscall.RawConn
	peek   func(fd uintptr) bool

	wsa rawSockaddr

	msg     syscall.Msghdr
	iov     syscall.Iovec
	from    [syscall.SizeofSockaddrInet6]byte
	control [64]byte // one SCM_TIMESTAMPNS
}

// errNoPacket is readFrom's answer when no packet is waiting.
var errNoPacket = errors.New("media: no packet waiting")

// listenRawUDP opens the socket on ip:port. The net package makes it
// (dual-stack rules and all), then hands over a duplicate of its
// descriptor.
func listenRawUDP(ip netip.Addr, port int) (*rawUDP, error) {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	r := &rawUDP{fd: -1, local: c.LocalAddr().(*net.UDPAddr).AddrPort()}
	r.local = netip.AddrPortFrom(r.local.Addr().Unmap(), r.local.Port())
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		var sa syscall.Sockaddr
		if sa, serr = syscall.Getsockname(int(fd)); serr != nil {
			return
		}
		_, r.v6 = sa.(*syscall.SockaddrInet6)
		// Without kernel timestamps (qemu-user lacks the option), a
		// packet's arrival is when it is read.
		r.stamped = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1) == nil
		r.fd, serr = dupCloexec(int(fd))
	}); err != nil {
		return nil, err
	}
	if serr != nil {
		r.close()
		return nil, serr
	}
	wfd, err := dupCloexec(r.fd)
	if err != nil {
		r.close()
		return nil, err
	}
	r.waiter = os.NewFile(uintptr(wfd), "rtp") // non-blocking: in the poller
	if r.waitRC, err = r.waiter.SyscallConn(); err != nil {
		r.close()
		return nil, err
	}
	r.peek = r.peekPacket
	return r, nil
}

func dupCloexec(fd int) (int, error) {
	n, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

// localAddr is the address the socket is bound to.
func (r *rawUDP) localAddr() netip.AddrPort { return r.local }

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
	if r.fd < 0 {
		return net.ErrClosed
	}
	if !r.v6 && !to.Addr().Unmap().Is4() {
		return syscall.EAFNOSUPPORT
	}
	r.sockaddr(to, &r.wsa)
	_, _, e := syscall.RawSyscall6(syscall.SYS_SENDTO, uintptr(r.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
		syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&r.wsa.buf[0])), r.wsa.len)
	if e != 0 && e != syscall.EAGAIN {
		return e
	}
	return nil
}

// readFrom takes the next waiting datagram into b, without blocking: its
// length, source and arrival time (the kernel's, on the wall clock), or
// errNoPacket.
func (r *rawUDP) readFrom(b []byte) (int, netip.AddrPort, time.Time, error) {
	if len(b) == 0 {
		return 0, netip.AddrPort{}, time.Time{}, syscall.EINVAL
	}
	if r.fd < 0 {
		return 0, netip.AddrPort{}, time.Time{}, net.ErrClosed
	}
	r.iov.Base = &b[0]
	r.iov.SetLen(len(b))
	r.msg = syscall.Msghdr{Name: &r.from[0], Namelen: uint32(len(r.from)), Iov: &r.iov, Control: &r.control[0]}
	r.msg.Iovlen = 1
	r.msg.SetControllen(len(r.control))
	n, _, e := syscall.RawSyscall(syscall.SYS_RECVMSG, uintptr(r.fd), uintptr(unsafe.Pointer(&r.msg)), syscall.MSG_DONTWAIT)
	r.iov.Base = nil
	switch e {
	case 0:
	case syscall.EAGAIN:
		return 0, netip.AddrPort{}, time.Time{}, errNoPacket
	default:
		return 0, netip.AddrPort{}, time.Time{}, e
	}
	from := parseSockaddr(r.from[:min(int(r.msg.Namelen), len(r.from))])
	return int(n), from, r.arrival(), nil
}

// arrival reads the kernel's timestamp from the last message's control
// data; the zero time if there is none.
func (r *rawUDP) arrival() time.Time {
	data := syscall.CmsgLen(0)
	end := min(int(r.msg.Controllen), len(r.control))
	for off := 0; off+data <= end; {
		h := (*syscall.Cmsghdr)(unsafe.Pointer(&r.control[off]))
		l := int(h.Len)
		if l < data || off+l > end {
			break
		}
		if h.Level == syscall.SOL_SOCKET && h.Type == syscall.SCM_TIMESTAMPNS && l >= syscall.CmsgLen(int(unsafe.Sizeof(syscall.Timespec{}))) {
			ts := (*syscall.Timespec)(unsafe.Pointer(&r.control[off+data]))
			return time.Unix(ts.Unix())
		}
		off += syscall.CmsgSpace(l - data)
	}
	return time.Time{}
}

// wait blocks until a datagram is waiting, parked in the poller; it fails
// once stopWaiting or close was called.
func (r *rawUDP) wait() error {
	if r.waitRC == nil {
		return net.ErrClosed
	}
	return r.waitRC.Read(r.peek)
}

// peekPacket reports whether a datagram is waiting, leaving it there;
// false parks the waiter in the poller.
func (r *rawUDP) peekPacket(fd uintptr) bool {
	_, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, 0, 0, syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
	return e != syscall.EAGAIN
}

// stopWaiting takes the socket out of the poller, waking a goroutine in
// wait with an error. From then on packets wake nobody: they wait in the
// socket until readFrom takes them. It reports whether it could (it can
// on Linux).
func (r *rawUDP) stopWaiting() bool {
	if r.waiter != nil {
		r.waiter.Close()
		r.waiter = nil
	}
	return true
}

// close stops waiting and closes the socket. Nothing may read or write
// concurrently.
func (r *rawUDP) close() error {
	r.stopWaiting()
	if r.fd < 0 {
		return nil
	}
	fd := r.fd
	r.fd = -1
	return syscall.Close(fd)
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
