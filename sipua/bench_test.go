package sipua

import (
	"context"
	"net"
	"testing"
	"time"

	"intercom/sipua/message"
	"intercom/sipua/transport"
)

// quickRegistrar answers REGISTER on a bare UDP socket with as little work
// as it can: 401 with a Digest challenge to a request without credentials,
// 200 to any other (it checks nothing), so that a benchmark measures the
// station's side of a refresh.
func quickRegistrar(b *testing.B) transport.Addr {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 65536)
		var req, resp message.Message
		var out []byte
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if req.Unmarshal(buf[:n]) != nil {
				continue
			}
			if _, ok := req.Header("Authorization"); ok {
				resp.InitResponse(&req, 200, "OK", "reg")
				resp.AddHeader("Expires", "600")
			} else {
				resp.InitResponse(&req, 401, "Unauthorized", "reg")
				resp.AddHeader("WWW-Authenticate", `Digest realm="door.test", nonce="a8f3c29d01be4e6f", qop="auth", algorithm=SHA-256`)
			}
			out = resp.AppendTo(out[:0])
			_, _ = c.WriteToUDPAddrPort(out, from)
		}
	}()
	return transport.Addr{Transport: "UDP", AddrPort: c.LocalAddr().(*net.UDPAddr).AddrPort()}
}

// BenchmarkRegisterRefresh is one refresh of a registration whose digest
// challenge is known: REGISTER built and authorized (SHA-256, qop=auth,
// the next nonce count), sent over UDP on loopback, its 200 received,
// matched and read.
func BenchmarkRegisterRefresh(b *testing.B) {
	registrar := quickRegistrar(b)
	layer, local := station(b)
	r := NewRegistration(Account{User: "door", Domain: "door.test", Password: "secret"}, layer, registrar, local, nil)
	ctx := context.Background()
	if _, err := r.register(ctx, 600*time.Second); err != nil { // learns the challenge
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.register(ctx, 600*time.Second); err != nil {
			b.Fatal(err)
		}
	}
}
