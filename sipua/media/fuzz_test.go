package media

import (
	"net/netip"
	"testing"
	"time"

	"intercom/audio/codec"
)

// FuzzReceive feeds arbitrary datagrams to a configured stream, as RTP
// and as RTCP: nothing may panic, and what is played stays a frame long.
func FuzzReceive(f *testing.F) {
	f.Add([]byte{0x80, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0, 1, 0xff, 0xff})
	f.Add([]byte{0x80, 101, 0, 2, 0, 0, 0, 160, 0, 0, 0, 1, 5, 0x8a, 3, 0x20})
	f.Add([]byte{0x81, 200, 0, 12, 0, 0, 0, 1})
	s := listenAny(f, func(byte) {})
	if err := s.Configure(Config{Codec: codec.PCMU, PayloadType: 0, DTMFPayloadType: 101, Send: true, Receive: true,
		Remote: netip.MustParseAddrPort("127.0.0.1:9"), RemoteRTCP: netip.MustParseAddrPort("127.0.0.1:10")}); err != nil {
		f.Fatal(err)
	}
	from := netip.MustParseAddrPort("127.0.0.1:9")
	now := time.Now()
	out := make([]int16, 0, 160)
	f.Fuzz(func(t *testing.T, b []byte) {
		now = now.Add(FrameDuration)
		s.receive(b, from, now)
		s.receiveRTCP(b, from, now)
		if out = s.readFrameAt(out, now); len(out) != 160 {
			t.Fatalf("frame of %d samples", len(out))
		}
	})
}
