package media

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"intercom/audio/codec"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// pair starts two streams on 127.0.0.1 configured to talk to each other
// with codec c; tune may change each side's config.
func pair(t testing.TB, c codec.Codec, tune func(a, b *Config)) (a, b *Stream, keysA, keysB *dtmfLog) {
	t.Helper()
	keysA, keysB = &dtmfLog{}, &dtmfLog{}
	a, b = listenAny(t, keysA.add), listenAny(t, keysB.add)
	t.Cleanup(func() { a.Close(); b.Close() })
	ca := Config{Codec: c, PayloadType: c.PayloadType, DTMFPayloadType: 101, Send: true, Receive: true,
		Remote: b.rtp.localAddr(), RemoteRTCP: addrOf(b.rtcpConn)}
	cb := ca
	cb.Remote, cb.RemoteRTCP = a.rtp.localAddr(), addrOf(a.rtcpConn)
	if tune != nil {
		tune(&ca, &cb)
	}
	if err := a.Configure(ca); err != nil {
		t.Fatal(err)
	}
	if err := b.Configure(cb); err != nil {
		t.Fatal(err)
	}
	return a, b, keysA, keysB
}

// listenAny opens a stream on a free pair of ports of 127.0.0.1.
func listenAny(t testing.TB, onDTMF func(byte)) *Stream {
	t.Helper()
	for range 50 {
		if s, err := Listen(loopback, 20000+2*rand.IntN(20000), nil, onDTMF); err == nil {
			return s
		}
	}
	t.Fatal("no free pair of UDP ports in 50 tries")
	return nil
}

func addrOf(c *net.UDPConn) netip.AddrPort { return c.LocalAddr().(*net.UDPAddr).AddrPort() }

// dtmfLog collects the keys a stream reports.
type dtmfLog struct {
	mu   sync.Mutex
	keys []byte
}

func (l *dtmfLog) add(k byte) { l.mu.Lock(); l.keys = append(l.keys, k); l.mu.Unlock() }
func (l *dtmfLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.keys)
}

// sine fills a frame of a tone at freq, continuing from sample n.
func sine(pcm []int16, rate, freq, n int) {
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*float64(freq)*float64(n+i)/float64(rate)))
	}
}

func rms(pcm []int16) float64 {
	var sum float64
	for _, s := range pcm {
		sum += float64(s) * float64(s)
	}
	return math.Sqrt(sum / float64(max(len(pcm), 1)))
}

// talk runs n frames in real time: a writes a tone, b reads; it returns
// the RMS of each frame b played.
func talk(t testing.TB, a, b *Stream, c codec.Codec, n int) []float64 {
	t.Helper()
	samples := c.FrameSamples(FrameDuration)
	in, out := make([]int16, samples), make([]int16, 0, samples)
	var levels []float64
	tick := time.NewTicker(FrameDuration)
	defer tick.Stop()
	for i := range n {
		sine(in, c.SampleRate, 440, i*samples)
		if err := a.WriteFrame(in); err != nil {
			t.Fatal(err)
		}
		<-tick.C
		out = b.ReadFrame(out)
		if len(out) != samples {
			t.Fatalf("frame of %d samples, want %d", len(out), samples)
		}
		levels = append(levels, rms(out))
	}
	return levels
}

// TestStreamCarriesAudio: a tone sent by one stream is played by the other
// after the jitter buffer's delay, with every packet counted on both sides,
// for each codec.
func TestStreamCarriesAudio(t *testing.T) {
	for _, c := range []codec.Codec{codec.PCMU, codec.PCMA, codec.G722} {
		for _, drained := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/drained=%v", c.Name, drained), func(t *testing.T) {
				a, b, _, _ := pair(t, c, nil)
				if drained {
					b.DrainOnRead()
				}
				levels := talk(t, a, b, c, 50)
				loud := 0
				for _, l := range levels[10:] {
					if l > 3000 { // the tone's RMS is 5657
						loud++
					}
				}
				if loud < 35 {
					t.Errorf("%d of the last 40 frames carried the tone; levels %.0f", loud, levels)
				}
				sa, sb := a.Stats(), b.Stats()
				if sa.PacketsSent != 50 || sb.PacketsReceived != 50 || sb.Lost != 0 || sb.Codec != c.Name {
					t.Errorf("sent %+v\nreceived %+v", sa, sb)
				}
			})
		}
	}
}

// TestArrivalStamped: packets taken in a batch keep the kernel's arrival
// time, not the time they were read.
func TestArrivalStamped(t *testing.T) {
	a, b, _, _ := pair(t, codec.PCMU, nil)
	b.DrainOnRead()
	sent := time.Now()
	if err := a.WriteFrame(make([]int16, 160)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	pkt, from, at, err := b.rtp.readNext()
	if err != nil {
		t.Fatal(err)
	}
	if len(pkt) != 12+160 || from != a.rtp.localAddr() {
		t.Errorf("read %d bytes from %v", len(pkt), from)
	}
	if !b.rtp.stamped {
		// qemu-user, which runs the arm64 tests (with -short), lacks
		// SO_TIMESTAMPNS; a kernel has it.
		if !testing.Short() {
			t.Fatal("the RTP socket has no kernel timestamps")
		}
		t.Log("no SO_TIMESTAMPNS here: arrivals are stamped when read")
	} else if at.Before(sent.Add(-time.Second)) || !at.Before(sent.Add(30*time.Millisecond)) {
		t.Errorf("stamped %v after sending, read %v after", at.Sub(sent), time.Since(sent))
	}
	if _, _, _, err := b.rtp.readNext(); err != errNoPacket {
		t.Errorf("an empty socket read %v, want errNoPacket", err)
	}
}

func TestStreamDTMF(t *testing.T) {
	for _, drained := range []bool{false, true} {
		t.Run(fmt.Sprintf("drained=%v", drained), func(t *testing.T) {
			a, b, _, keys := pair(t, codec.PCMU, nil)
			if drained {
				b.DrainOnRead()
			}
			if err := a.SendDTMF("1#9"); err != nil {
				t.Fatal(err)
			}
			if err := a.SendDTMF("x"); err == nil {
				t.Error("x taken as a DTMF key")
			}
			talk(t, a, b, codec.PCMU, 40) // 3 keys of 5 frames, 3 pauses of 3 frames
			if got := keys.String(); got != "1#9" {
				t.Errorf("keys %q, want 1#9", got)
			}
			if st := a.Stats(); st.DTMFSent != 3 {
				t.Errorf("sent %d keys", st.DTMFSent)
			}
		})
	}
}

// TestStrangerDropped: once the stream has latched onto its peer's source,
// packets from anyone else are dropped, however valid.
func TestStrangerDropped(t *testing.T) {
	a, b, _, _ := pair(t, codec.PCMU, nil)
	talk(t, a, b, codec.PCMU, 3)
	stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	pkt := []byte{0x80, 0, 0x12, 0x34, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef}
	pkt = append(pkt, bytes.Repeat([]byte{0x55}, 160)...)
	for range 5 {
		if _, err := stranger.WriteToUDPAddrPort(pkt, b.rtp.localAddr()); err != nil {
			t.Fatal(err)
		}
	}
	waitStats(t, b, func(s Stats) bool { return s.Strangers == 5 })
	if st := b.Stats(); st.PacketsReceived != 3 {
		t.Errorf("received %d packets, want the peer's 3 only", st.PacketsReceived)
	}
}

// TestInvalidPackets: malformed RTP is dropped and counted.
func TestInvalidPackets(t *testing.T) {
	_, b, _, _ := pair(t, codec.PCMU, nil)
	good := []byte{0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}
	for _, p := range [][]byte{
		{0x80, 0, 0},                      // shorter than a header
		append([]byte{0x40}, good[1:]...), // version 1
		append([]byte{0x8f}, good[1:]...), // 15 CSRCs announced, none there
		append([]byte{0x90}, append(good[1:], 0xbe, 0xde, 0, 9)...), // an extension longer than the packet
		append([]byte{0x80, 99}, good[2:]...),                       // an unknown payload type
	} {
		b.receive(p, netip.MustParseAddrPort("127.0.0.1:9"), time.Now())
	}
	if st := b.Stats(); st.Invalid != 5 || st.PacketsReceived != 0 {
		t.Errorf("invalid %d, received %d; want 5 and 0", st.Invalid, st.PacketsReceived)
	}
}

// TestSRTP: with SDES keys both ways the tone gets through encrypted; with
// a wrong key nothing is taken.
func TestSRTP(t *testing.T) {
	key := func(b byte) []byte { return bytes.Repeat([]byte{b}, 16) }
	salt := func(b byte) []byte { return bytes.Repeat([]byte{b}, 14) }
	for _, tc := range []struct {
		name    string
		profile string
		wrong   bool
	}{
		{"80", "AES_CM_128_HMAC_SHA1_80", false},
		{"32", "AES_CM_128_HMAC_SHA1_32", false},
		{"wrong key", "AES_CM_128_HMAC_SHA1_80", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b, _, _ := pair(t, codec.PCMU, func(ca, cb *Config) {
				ca.SRTP = &Keys{Profile: tc.profile, LocalKey: key(1), LocalSalt: salt(2), RemoteKey: key(3), RemoteSalt: salt(4)}
				cb.SRTP = &Keys{Profile: tc.profile, LocalKey: key(3), LocalSalt: salt(4), RemoteKey: key(1), RemoteSalt: salt(2)}
				if tc.wrong {
					cb.SRTP.RemoteKey = key(9)
				}
			})
			talk(t, a, b, codec.PCMU, 10)
			st := b.Stats()
			if tc.wrong {
				if st.PacketsReceived != 0 || st.Invalid != 10 {
					t.Errorf("wrong key: received %d, invalid %d", st.PacketsReceived, st.Invalid)
				}
				return
			}
			if st.PacketsReceived != 10 || st.Invalid != 0 {
				t.Errorf("received %d, invalid %d", st.PacketsReceived, st.Invalid)
			}
		})
	}
}

// TestRTCP: with reports every few tens of milliseconds, each side learns
// the round-trip time and what the other lost.
func TestRTCP(t *testing.T) {
	defer func(old time.Duration) { rtcpInterval = old }(rtcpInterval)
	rtcpInterval = 40 * time.Millisecond
	a, b, _, _ := pair(t, codec.PCMU, nil)
	talk(t, a, b, codec.PCMU, 10)
	talk(t, b, a, codec.PCMU, 10)
	waitStats(t, a, func(s Stats) bool { return s.RTT > 0 })
	if rtt := a.Stats().RTT; rtt > time.Second {
		t.Errorf("RTT %v on loopback", rtt)
	}
}

func waitStats(t *testing.T, s *Stream, cond func(Stats) bool) {
	t.Helper()
	for range 200 {
		if cond(s.Stats()) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("stats never got there: %+v", s.Stats())
}

// TestPeerSwitchesCodec: a peer that answered PCMU and PCMA may send
// either; the stream follows it from PCMU to PCMA. G.722 is not taken in
// their place.
func TestPeerSwitchesCodec(t *testing.T) {
	a, b, _, _ := pair(t, codec.PCMU, func(ca, cb *Config) { ca.Codec, ca.PayloadType = codec.PCMA, 8 })
	levels := talk(t, a, b, codec.PCMA, 30)
	loud := 0
	for _, l := range levels[10:] {
		if l > 3000 {
			loud++
		}
	}
	if loud < 15 {
		t.Errorf("%d of 20 frames carried the tone after the switch; levels %.0f", loud, levels)
	}
	b.receive([]byte{0x80, 9, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 1, 2}, a.rtp.localAddr(), time.Now())
	if st := b.Stats(); st.Invalid != 1 {
		t.Errorf("a G.722 packet in a G.711 stream: invalid %d, want 1", st.Invalid)
	}
}
