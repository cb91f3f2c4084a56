// Package transport carries SIP messages over UDP, TCP and TLS (RFC 3261
// §18): one goroutine reads each socket and connection, parses what arrives
// into a reused message, and hands it to a handler; Send writes a message in
// wire form, reusing a connection to the peer on TCP and TLS. It answers the
// CRLF keep-alive pings of RFC 5626 §4.4.1 on connections, and bounds the
// number of connections and their idle time.
package transport

import "net/netip"

// Addr is a transport address: the transport's name and the IP and port.
type Addr struct {
	// Transport is "UDP", "TCP" or "TLS".
	Transport string
	AddrPort  netip.AddrPort
}

// Reliable reports whether the transport delivers in order without loss, in
// which case the transaction layer never retransmits.
func (a Addr) Reliable() bool { return a.Transport != "UDP" }

// String returns "UDP 192.0.2.1:5060".
func (a Addr) String() string { return a.Transport + " " + a.AddrPort.String() }
