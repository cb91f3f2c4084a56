package compare

import (
	"bytes"
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// sniffer records, with the kernel's receive timestamps, the UDP packets on
// the loopback interface to or from a set of ports: the answering peer's
// SIP and RTP ports. It needs CAP_NET_RAW (root).
type sniffer struct {
	fd    int
	ports map[uint16]bool

	mu      sync.Mutex
	packets []packet
	done    chan struct{}
	stop    atomic.Bool
}

// packet is one captured UDP datagram: when the kernel saw it, its ports,
// and the start of its payload.
type packet struct {
	at       time.Time
	src, dst uint16
	head     []byte // at most 32 bytes of payload
}

// htons converts a 16-bit value to network order for AF_PACKET's protocol.
func htons(v uint16) uint16 { return v<<8 | v>>8 }

// newSniffer opens a packet socket bound to lo that timestamps every packet.
func newSniffer(ports ...int) (*sniffer, error) {
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_DGRAM, int(htons(syscall.ETH_P_IP)))
	if err != nil {
		return nil, err
	}
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrLinklayer{Protocol: htons(syscall.ETH_P_IP), Ifindex: lo.Index}); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	// Reads wake up every 100 ms so that close is seen.
	tv := syscall.Timeval{Usec: 100000}
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	s := &sniffer{fd: fd, ports: map[uint16]bool{}, done: make(chan struct{})}
	for _, p := range ports {
		s.ports[uint16(p)] = true
	}
	go s.run()
	return s, nil
}

// run reads packets until close is called; on loopback each packet is seen twice
// (outgoing and incoming), so only the incoming copy is kept.
func (s *sniffer) run() {
	defer close(s.done)
	defer syscall.Close(s.fd)
	buf := make([]byte, 2048)
	oob := make([]byte, 128)
	for !s.stop.Load() {
		n, oobn, _, from, err := syscall.Recvmsg(s.fd, buf, oob, 0)
		if err == syscall.EAGAIN || err == syscall.EINTR {
			continue
		}
		if err != nil {
			return
		}
		if ll, ok := from.(*syscall.SockaddrLinklayer); ok && ll.Pkttype == syscall.PACKET_OUTGOING {
			continue
		}
		p, ok := parseUDP(buf[:n])
		if !ok || !s.ports[p.src] && !s.ports[p.dst] {
			continue
		}
		p.at = time.Now()
		if msgs, err := syscall.ParseSocketControlMessage(oob[:oobn]); err == nil {
			for _, m := range msgs {
				if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SO_TIMESTAMPNS && len(m.Data) >= int(unsafe.Sizeof(syscall.Timespec{})) {
					ts := (*syscall.Timespec)(unsafe.Pointer(&m.Data[0]))
					p.at = time.Unix(ts.Sec, ts.Nsec)
				}
			}
		}
		s.mu.Lock()
		if len(s.packets) < 1<<20 {
			s.packets = append(s.packets, p)
		}
		s.mu.Unlock()
	}
}

// parseUDP reads the ports and payload start of an IPv4 UDP packet.
func parseUDP(b []byte) (packet, bool) {
	if len(b) < 20 || b[0]>>4 != 4 || b[9] != syscall.IPPROTO_UDP {
		return packet{}, false
	}
	ihl := int(b[0]&0x0f) * 4
	if len(b) < ihl+8 {
		return packet{}, false
	}
	u := b[ihl:]
	p := packet{src: binary.BigEndian.Uint16(u[0:2]), dst: binary.BigEndian.Uint16(u[2:4])}
	p.head = append([]byte(nil), u[8:min(len(u), 8+32)]...)
	return p, true
}

// close stops the capture; the packets seen stay. It may be called more
// than once. The reader closes the socket itself, within 100 ms: closed
// under a read, its number could be given to another descriptor that the
// read would then take from.
func (s *sniffer) close() {
	s.stop.Store(true)
	<-s.done
}

// first returns the time of the first packet after from that matches.
func (s *sniffer) first(from time.Time, match func(packet) bool) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.packets {
		if !p.at.Before(from) && match(p) {
			return p.at, true
		}
	}
	return time.Time{}, false
}

// to matches a packet to port whose payload starts with prefix.
func to(port int, prefix string) func(packet) bool {
	return func(p packet) bool { return p.dst == uint16(port) && bytes.HasPrefix(p.head, []byte(prefix)) }
}

// from matches a packet from port whose payload starts with prefix.
func from(port int, prefix string) func(packet) bool {
	return func(p packet) bool { return p.src == uint16(port) && bytes.HasPrefix(p.head, []byte(prefix)) }
}

// rtpTo matches an RTP packet (version 2) to port.
func rtpTo(port int) func(packet) bool {
	return func(p packet) bool { return p.dst == uint16(port) && len(p.head) >= 12 && p.head[0]>>6 == 2 }
}
