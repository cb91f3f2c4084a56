package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"intercom/sipua/message"
)

// Handler receives each message read, with where it came from. When a message
// could not be read whole, err says why and m holds what was read before the
// fault (enough, often, to answer 400). m is valid only during the call.
// Handlers run on the reading goroutine of the socket or connection.
type Handler func(m *message.Message, from Addr, err error)

// Config says where to listen and how to bound the work.
type Config struct {
	// UDP, TCP and TLS are listen addresses ("127.0.0.1:5060"); empty ones
	// are off. Port 0 picks a free port (see LocalAddr).
	UDP, TCP, TLS string
	// TLSServer holds the certificate for the TLS listener. Without one a
	// TLS transport only connects out: TLS is still its address, as Via
	// and Contact name it, and peers reach it over the connections it
	// opened (RFC 5923's reuse, what a TLS phone behind NAT gets anyway).
	TLSServer *tls.Config
	// TLSClient is used to connect to TLS peers: RootCAs for a private CA,
	// ServerName for the name to verify.
	TLSClient *tls.Config
	// Limits bound each message read.
	Limits message.Limits
	// MaxConns bounds the TCP and TLS connections; default 64.
	MaxConns int
	// IdleTimeout closes a connection nothing was read from for this long;
	// default 10 minutes (peers send keep-alives more often, RFC 5626).
	IdleTimeout time.Duration
	// MessageTimeout bounds the reading of one message on a connection,
	// from its first byte to its last; default 30 seconds. It closes the
	// connection of a peer that sends a message slowly (slow loris) or
	// never sends the body its Content-Length announced.
	MessageTimeout time.Duration
	// DialTimeout bounds connecting to a peer; default 5 seconds.
	DialTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.MaxConns <= 0 {
		c.MaxConns = 64
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 10 * time.Minute
	}
	if c.MessageTimeout <= 0 {
		c.MessageTimeout = 30 * time.Second
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 5 * time.Second
	}
	return c
}

// Errors of Send.
var (
	ErrClosed      = errors.New("transport closed")
	ErrNoTransport = errors.New("transport not enabled")
	ErrTooManyConn = errors.New("too many connections")
)

// Transport is the set of sockets of one user agent. It is safe for
// concurrent use.
type Transport struct {
	cfg     Config
	handler Handler
	udp     *net.UDPConn
	tcp     net.Listener
	tls     net.Listener
	tlsOut  netip.AddrPort // the address of a TLS transport without a listener

	mu     sync.Mutex
	conns  map[Addr]*conn
	closed bool
	wg     sync.WaitGroup
}

// Listen opens the configured sockets and starts reading them.
func Listen(cfg Config, h Handler) (*Transport, error) {
	t := &Transport{cfg: cfg.withDefaults(), handler: h, conns: make(map[Addr]*conn)}
	if cfg.UDP != "" {
		ua, err := net.ResolveUDPAddr("udp", cfg.UDP)
		if err != nil {
			return nil, fmt.Errorf("listen udp %s: %w", cfg.UDP, err)
		}
		if t.udp, err = net.ListenUDP("udp", ua); err != nil {
			return nil, fmt.Errorf("listen udp %s: %w", cfg.UDP, err)
		}
	}
	if cfg.TCP != "" {
		ln, err := net.Listen("tcp", cfg.TCP)
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("listen tcp %s: %w", cfg.TCP, err)
		}
		t.tcp = ln
	}
	if cfg.TLS != "" && cfg.TLSServer == nil {
		ap, err := netip.ParseAddrPort(cfg.TLS)
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("tls %s: want ip:port: %w", cfg.TLS, err)
		}
		if ap.Port() == 0 {
			ap = netip.AddrPortFrom(ap.Addr(), 5061)
		}
		t.tlsOut = ap
	} else if cfg.TLS != "" {
		ln, err := tls.Listen("tcp", cfg.TLS, cfg.TLSServer)
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("listen tls %s: %w", cfg.TLS, err)
		}
		t.tls = ln
	}
	if t.udp != nil {
		t.wg.Add(1)
		go t.readUDP()
	}
	for name, ln := range map[string]net.Listener{"TCP": t.tcp, "TLS": t.tls} {
		if ln != nil {
			t.wg.Add(1)
			go t.accept(name, ln)
		}
	}
	return t, nil
}

// LocalAddr returns the address a transport ("UDP", "TCP", "TLS") listens
// on, and whether it is enabled.
func (t *Transport) LocalAddr(transport string) (Addr, bool) {
	var a net.Addr
	switch {
	case transport == "UDP" && t.udp != nil:
		a = t.udp.LocalAddr()
	case transport == "TCP" && t.tcp != nil:
		a = t.tcp.Addr()
	case transport == "TLS" && t.tls != nil:
		a = t.tls.Addr()
	case transport == "TLS" && t.tlsOut.IsValid():
		return Addr{Transport: transport, AddrPort: t.tlsOut}, true
	default:
		return Addr{}, false
	}
	ap, err := netip.ParseAddrPort(a.String())
	return Addr{Transport: transport, AddrPort: ap}, err == nil
}

// Conns returns the number of open TCP and TLS connections.
func (t *Transport) Conns() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.conns)
}

// Close closes every socket and connection and waits for the readers.
func (t *Transport) Close() error {
	t.mu.Lock()
	t.closed = true
	for _, c := range t.conns {
		c.nc.Close()
	}
	t.mu.Unlock()
	if t.udp != nil {
		t.udp.Close()
	}
	for _, ln := range []net.Listener{t.tcp, t.tls} {
		if ln != nil {
			ln.Close()
		}
	}
	t.wg.Wait()
	return nil
}

// Send writes a message in wire form to addr: as one datagram on UDP, on the
// connection to addr on TCP and TLS, which it opens if there is none.
func (t *Transport) Send(to Addr, wire []byte) error {
	if to.Transport == "UDP" {
		if t.udp == nil {
			return fmt.Errorf("send to %v: %w", to, ErrNoTransport)
		}
		_, err := t.udp.WriteToUDPAddrPort(wire, to.AddrPort)
		return err
	}
	c, err := t.connTo(to, "")
	if err != nil {
		return fmt.Errorf("send to %v: %w", to, err)
	}
	return c.write(wire)
}

// readUDP reads datagrams until the socket is closed.
func (t *Transport) readUDP() {
	defer t.wg.Done()
	buf := make([]byte, 65536) // one more than the largest datagram: oversize shows
	var m message.Message
	m.Limits = t.cfg.Limits
	for {
		n, from, err := t.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if t.isClosed() {
				return
			}
			continue // a transient error, such as ICMP port unreachable
		}
		data := buf[:n]
		if onlyCRLF(data) { // a keep-alive
			continue
		}
		src := netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		if err = m.Unmarshal(data); err == nil && m.IsRequest() {
			m.SetReceived(src)
		}
		t.handler(&m, Addr{Transport: "UDP", AddrPort: src}, err)
	}
}

func onlyCRLF(b []byte) bool {
	for _, c := range b {
		if c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

func (t *Transport) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// accept accepts connections until the listener is closed.
func (t *Transport) accept(name string, ln net.Listener) {
	defer t.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if t.isClosed() {
				return
			}
			time.Sleep(10 * time.Millisecond) // out of file descriptors: do not spin
			continue
		}
		ap, err := netip.ParseAddrPort(nc.RemoteAddr().String())
		if err != nil {
			nc.Close()
			continue
		}
		if _, err := t.addConn(Addr{Transport: name, AddrPort: ap}, nc); err != nil {
			nc.Close()
		}
	}
}

// connTo returns the connection to addr, dialling one if there is none.
// Connect opens a connection to a TCP or TLS peer unless one is open, so
// that later sends reuse it; over TLS it verifies the peer's certificate
// for serverName (empty: the configured TLSClient.ServerName). UDP needs no
// connection. Dialing may take up to the dial timeout, so callers connect
// before sending through a layer that holds a lock.
func (t *Transport) Connect(to Addr, serverName string) error {
	if to.Transport == "UDP" {
		if t.udp == nil {
			return fmt.Errorf("connect %v: %w", to, ErrNoTransport)
		}
		return nil
	}
	if _, err := t.connTo(to, serverName); err != nil {
		return fmt.Errorf("connect %v: %w", to, err)
	}
	return nil
}

func (t *Transport) connTo(to Addr, serverName string) (*conn, error) {
	t.mu.Lock()
	c := t.conns[to]
	t.mu.Unlock()
	if c != nil {
		return c, nil
	}
	d := net.Dialer{Timeout: t.cfg.DialTimeout}
	var nc net.Conn
	var err error
	switch to.Transport {
	case "TCP":
		nc, err = d.Dial("tcp", to.AddrPort.String())
	case "TLS":
		cfg := t.cfg.TLSClient
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if serverName != "" && serverName != cfg.ServerName {
			cfg = cfg.Clone()
			cfg.ServerName = serverName
		}
		td := tls.Dialer{NetDialer: &d, Config: cfg}
		nc, err = td.DialContext(context.Background(), "tcp", to.AddrPort.String())
	default:
		return nil, ErrNoTransport
	}
	if err != nil {
		return nil, err
	}
	c, err = t.addConn(to, nc)
	if err != nil {
		nc.Close()
	}
	return c, err
}

// addConn registers a connection and starts its reader.
func (t *Transport) addConn(a Addr, nc net.Conn) (*conn, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.closed:
		return nil, ErrClosed
	case len(t.conns) >= t.cfg.MaxConns:
		return nil, ErrTooManyConn
	}
	if old := t.conns[a]; old != nil {
		return old, nil // a connection raced ours; the caller closes its own
	}
	c := &conn{t: t, addr: a, nc: nc}
	t.conns[a] = c
	t.wg.Add(1)
	go c.read()
	return c, nil
}

// conn is one TCP or TLS connection.
type conn struct {
	t    *Transport
	addr Addr
	nc   net.Conn
	wmu  sync.Mutex
}

// writeTimeout bounds a write to a stalled peer.
const writeTimeout = 10 * time.Second

func (c *conn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := c.nc.Write(b)
	if err != nil {
		c.nc.Close() // the reader sees it and removes the connection
	}
	return err
}

// read reads messages until the connection fails, idles out or is closed.
func (c *conn) read() {
	defer c.t.wg.Done()
	defer func() {
		c.nc.Close()
		c.t.mu.Lock()
		if c.t.conns[c.addr] == c {
			delete(c.t.conns, c.addr)
		}
		c.t.mu.Unlock()
	}()
	dr := &deadlineReader{nc: c.nc, idle: c.t.cfg.IdleTimeout, whole: c.t.cfg.MessageTimeout}
	sr := message.NewStreamReader(dr)
	sr.Limits = c.t.cfg.Limits
	sr.KeepAlive = func() { _ = c.write([]byte("\r\n")) }
	var m message.Message
	for {
		err := sr.Read(&m)
		if err != nil {
			var pe *message.ParseError
			if errors.As(err, &pe) {
				c.t.handler(&m, c.addr, err) // framing is lost: report, then close
			}
			return
		}
		// The next message's clock starts with its first byte, which may
		// be in already.
		dr.started = time.Time{}
		if sr.Buffered() > 0 {
			dr.started = time.Now()
		}
		if m.IsRequest() {
			m.SetReceived(c.addr.AddrPort)
		}
		c.t.handler(&m, c.addr, nil)
	}
}

// deadlineReader gives every read of a connection a deadline: the idle
// timeout, and no later than the message timeout after the first byte of
// the message being read (CRLF keep-alives do not start a message).
type deadlineReader struct {
	nc          net.Conn
	idle, whole time.Duration
	started     time.Time // zero between messages
}

func (r *deadlineReader) Read(p []byte) (int, error) {
	now := time.Now()
	deadline := now.Add(r.idle)
	if end := r.started.Add(r.whole); !r.started.IsZero() && end.Before(deadline) {
		deadline = end
	}
	r.nc.SetReadDeadline(deadline)
	n, err := r.nc.Read(p)
	if r.started.IsZero() && !onlyCRLF(p[:n]) {
		r.started = now
	}
	return n, err
}
