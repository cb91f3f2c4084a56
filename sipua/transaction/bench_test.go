package transaction

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"testing"

	"intercom/sipua/message"
)

// discard is a transport that sends nowhere.
type discard struct{}

func (discard) Send(Addr, []byte) error { return nil }

// answering is a core that answers every request 200 at once.
type answering struct{ resp message.Message }

func (a *answering) Request(tx *Server, req *message.Message, _ Addr) {
	a.resp.InitResponse(req, 200, "OK", "door")
	_ = tx.Respond(&a.resp)
}
func (*answering) StrayResponse(*message.Message, Addr) {}
func (*answering) ServerError(*Server, error)           {}

// BenchmarkServerTransaction measures one whole non-INVITE server
// transaction: an OPTIONS parsed, a new transaction, the core's 200
// serialized and sent. Each request has a new branch; over TCP each
// transaction ends at once (Timer J is zero).
func BenchmarkServerTransaction(b *testing.B) {
	wire := []byte("OPTIONS sip:door@192.0.2.10 SIP/2.0\r\n" +
		"Via: SIP/2.0/TCP 192.0.2.20:5060;branch=z9hG4bK00000000\r\nMax-Forwards: 70\r\n" +
		"To: <sip:door@192.0.2.10>\r\nFrom: <sip:pbx@192.0.2.20>;tag=1928301774\r\n" +
		"Call-ID: a84b4c76e66710\r\nCSeq: 63104 OPTIONS\r\nContent-Length: 0\r\n\r\n")
	branch := bytes.Index(wire, []byte("z9hG4bK")) + len("z9hG4bK")
	l := NewLayer(discard{}, &answering{}, Timers{})
	from := Addr{Transport: "TCP", AddrPort: netip.MustParseAddrPort("192.0.2.20:5060")}
	var req message.Message
	n := uint32(0)
	b.ReportAllocs()
	for b.Loop() {
		n++
		hex.Encode(wire[branch:branch+8], []byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
		if err := req.Unmarshal(wire); err != nil {
			b.Fatal(err)
		}
		if err := l.HandleRequest(&req, from); err != nil {
			b.Fatal(err)
		}
	}
}
