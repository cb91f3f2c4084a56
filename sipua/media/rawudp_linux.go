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
// of its own: sendto and recvmmsg never block, and the kernel stamps each
// packet's arrival (SO_TIMESTAMPNS), so that packets read in a batch once a
// frame keep their true arrival times for the jitter buffer. One recvmmsg
// takes a frame's packet and finds the socket empty, where recvmsg took
// two calls.
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

	// The batch the last recvmmsg took: count datagrams, next the one
	// to hand out; short, if the socket had fewer than rxBatch waiting.
	msgs        [rxBatch]mmsghdr
	iovs        [rxBatch]syscall.Iovec
	from        [rxBatch][syscall.SizeofSockaddrInet6]byte
	control     [rxBatch][64]byte // one SCM_TIMESTAMPNS each
	bufs        [rxBatch][maxDatagram]byte
	count, next int
	short       bool
}

// mmsghdr is struct mmsghdr, one message of recvmmsg.
type mmsghdr struct {
	hdr syscall.Msghdr
	len uint32
}

// rxBatch is how many datagrams one recvmmsg takes: a frame brings one,
// or a few after a delay on the way.
const rxBatch = 4

// maxDatagram is the largest datagram taken whole: an Ethernet frame's
// payload. RTP on a voice call is far smaller.
const maxDatagram = 1500

// errNoPacket is readNext's answer when no packet is waiting.
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
	for i := range r.msgs { // each message's buffers, set once
		r.iovs[i].Base = &r.bufs[i][0]
		r.iovs[i].SetLen(maxDatagram)
		r.msgs[i].hdr = syscall.Msghdr{Name: &r.from[i][0], Iov: &r.iovs[i], Control: &r.control[i][0]}
		r.msgs[i].hdr.Iovlen = 1
	}
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
		// Don't fragment: an IPv4 packet with DF set may carry the ID 0
		// (RFC 6864), where one without draws a random ID each send.
		// RTP packets are far smaller than any path's MTU.
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_MTU_DISCOVER, syscall.IP_PMTUDISC_DO)
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

// readNext hands out the next waiting datagram, without blocking: its
// bytes, valid until the next call, its source and its arrival time (the
// kernel's, on the wall clock); or errNoPacket, once each time the socket
// is found empty. It takes datagrams rxBatch at a time.
func (r *rawUDP) readNext() ([]byte, netip.AddrPort, time.Time, error) {
	if r.next == r.count {
		if r.short {
			r.short = false
			return nil, netip.AddrPort{}, time.Time{}, errNoPacket
		}
		if err := r.readBatch(); err != nil {
			return nil, netip.AddrPort{}, time.Time{}, err
		}
	}
	i := r.next
	r.next++
	m := &r.msgs[i]
	from := parseSockaddr(r.from[i][:min(int(m.hdr.Namelen), len(r.from[i]))])
	return r.bufs[i][:m.len], from, arrival(r.control[i][:min(int(m.hdr.Controllen), len(r.control[i]))]), nil
}

// readBatch takes up to rxBatch waiting datagrams with one recvmmsg.
func (r *rawUDP) readBatch() error {
	r.count, r.next = 0, 0
	if r.fd < 0 {
		return net.ErrClosed
	}
	for i := range r.msgs { // the lengths the kernel overwrote
		r.msgs[i].hdr.Namelen = uint32(len(r.from[i]))
		r.msgs[i].hdr.SetControllen(len(r.control[i]))
	}
	n, _, e := syscall.RawSyscall6(syscall.SYS_RECVMMSG, uintptr(r.fd), uintptr(unsafe.Pointer(&r.msgs[0])), rxBatch,
		syscall.MSG_DONTWAIT, 0, 0)
	switch e {
	case 0:
	case syscall.EAGAIN:
		return errNoPacket
	default:
		return e
	}
	r.count = int(n)
	r.short = r.count < rxBatch
	return nil
}

// arrival reads the kernel's timestamp from a message's control data;
// the zero time if there is none.
func arrival(control []byte) time.Time {
	data := syscall.CmsgLen(0)
	for off := 0; off+data <= len(control); {
		h := (*syscall.Cmsghdr)(unsafe.Pointer(&control[off]))
		l := int(h.Len)
		if l < data || off+l > len(control) {
			break
		}
		if h.Level == syscall.SOL_SOCKET && h.Type == syscall.SCM_TIMESTAMPNS && l >= syscall.CmsgLen(int(unsafe.Sizeof(syscall.Timespec{}))) {
			ts := (*syscall.Timespec)(unsafe.Pointer(&control[off+data]))
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
