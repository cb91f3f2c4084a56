package media

import (
	"testing"
	"time"

	"intercom/audio/codec"
)

// BenchmarkFrame is one 20 ms frame end to end: a tone encoded,
// packetized and sent on a UDP socket by one stream; received from the
// socket, checked, buffered, decoded by the other. Its time times 50 is
// the CPU cost of one call-second in both directions.
func BenchmarkFrame(b *testing.B) {
	for _, c := range []codec.Codec{codec.PCMU, codec.PCMA, codec.G722} {
		for _, srtp := range []bool{false, true} {
			name := c.Name
			if srtp {
				name += "/SRTP"
			}
			b.Run(name, func(b *testing.B) { benchFrame(b, c, srtp) })
		}
	}
}

func benchFrame(b *testing.B, c codec.Codec, srtp bool) {
	tx, rx, _, _ := pair(b, c, func(ca, cb *Config) {
		if srtp {
			k := make([]byte, 16)
			s := make([]byte, 14)
			ca.SRTP = &Keys{Profile: "AES_CM_128_HMAC_SHA1_80", LocalKey: k, LocalSalt: s, RemoteKey: k, RemoteSalt: s}
			cb.SRTP = ca.SRTP
		}
	})
	// The packets go to the receiving stream's own socket, which the
	// benchmark reads as ReadFrame would after DrainOnRead (kernel
	// timestamps and all), but with a clock of its own, a frame a loop.
	rx.DrainOnRead()
	tx.mu.Lock()
	tx.sendTo = rx.rtp.localAddr()
	tx.mu.Unlock()
	samples := c.FrameSamples(FrameDuration)
	in, out := make([]int16, samples), make([]int16, 0, samples)
	sine(in, c.SampleRate, 440, 0)
	now := time.Now()
	played := 0
	b.ReportAllocs()
	for b.Loop() {
		if err := tx.WriteFrame(in); err != nil {
			b.Fatal(err)
		}
		pkt, from, _, err := rx.rtp.readNext()
		for tries := 0; err == errNoPacket && tries < 1000; tries++ {
			pkt, from, _, err = rx.rtp.readNext() // loopback delivers at once, as a rule
		}
		if err != nil {
			b.Fatal(err)
		}
		now = now.Add(FrameDuration)
		rx.receive(pkt, from, now)
		out = rx.readFrameAt(out, now)
		if rms(out) > 1000 {
			played++
		}
	}
	if b.N > 100 && played < b.N/2 {
		b.Fatalf("only %d of %d frames played the tone", played, b.N)
	}
}
