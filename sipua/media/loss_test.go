package media

import (
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"intercom/audio/codec"
)

// faults is what a relay does to the packets it forwards, each with its
// probability.
type faults struct {
	drop, reorder, dup float64
}

// relay is a UDP relay on 127.0.0.1 between two streams: what a sends to
// its a-side socket goes on to b from its b-side socket, with faults, and
// what b sends back goes to a untouched.
type relay struct {
	sideA, sideB *net.UDPConn
	to           netip.AddrPort // b's RTP address
	f            faults
	rnd          *rand.Rand
	wg           sync.WaitGroup

	mu                              sync.Mutex
	from                            netip.AddrPort // a's address, once it sent
	forwarded, dropped, held, duped int
}

func startRelay(t testing.TB, to netip.AddrPort, f faults, seed uint64) *relay {
	t.Helper()
	open := func() *net.UDPConn {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	r := &relay{sideA: open(), sideB: open(), to: to, f: f, rnd: rand.New(rand.NewPCG(seed, 1))}
	r.wg.Add(2)
	go r.forward()
	go r.back()
	t.Cleanup(func() { r.sideA.Close(); r.sideB.Close(); r.wg.Wait() })
	return r
}

// forward passes a's packets on to b: some dropped, some held back to go
// after the next one (reordered), some sent twice.
func (r *relay) forward() {
	defer r.wg.Done()
	buf, heldBuf := make([]byte, 1500), make([]byte, 0, 1500)
	holding := false
	for {
		n, from, err := r.sideA.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		r.mu.Lock()
		r.from = from
		x := r.rnd.Float64()
		switch {
		case x < r.f.drop:
			r.dropped++
		case !holding && x < r.f.drop+r.f.reorder:
			heldBuf = append(heldBuf[:0], buf[:n]...)
			holding = true
			r.held++
		default:
			_, _ = r.sideB.WriteToUDPAddrPort(buf[:n], r.to)
			r.forwarded++
			if r.rnd.Float64() < r.f.dup {
				_, _ = r.sideB.WriteToUDPAddrPort(buf[:n], r.to)
				r.duped++
			}
			if holding {
				_, _ = r.sideB.WriteToUDPAddrPort(heldBuf, r.to)
				holding = false
				r.forwarded++
			}
		}
		r.mu.Unlock()
	}
}

// back passes b's packets on to a, untouched.
func (r *relay) back() {
	defer r.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, _, err := r.sideB.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		r.mu.Lock()
		to := r.from
		r.mu.Unlock()
		if to.IsValid() {
			_, _ = r.sideA.WriteToUDPAddrPort(buf[:n], to)
		}
	}
}

func abs(x int) int { return max(x, -x) }

// toneFrame reports whether a frame carries the 1 kHz tone: loud enough,
// and crossing zero about 40 times in 20 ms at 8 kHz.
func toneFrame(pcm []int16) bool {
	crossings := 0
	for i := 1; i < len(pcm); i++ {
		if (pcm[i-1] < 0) != (pcm[i] < 0) {
			crossings++
		}
	}
	return rms(pcm) > 1000 && crossings >= 30 && crossings <= 50
}

// TestLossAndReordering runs a call's audio (a 1 kHz tone, PCMU, 20 ms
// frames in real time) through a relay that drops, reorders and
// duplicates packets, and measures what the receiving stream plays: the
// share of frames that carry the tone once it started (lost frames are
// concealed, so the tone should go on through most of them), the longest
// run of frames without it, and the jitter buffer's counts. The figures
// are logged; the assertions are generous:
//
//	go test -run TestLossAndReordering -v ./sipua/media
func TestLossAndReordering(t *testing.T) {
	if testing.Short() {
		t.Skip("3 s of real-time audio per case")
	}
	const frames = 150 // 3 s
	for _, tc := range []struct {
		name string
		f    faults
		// The least share of frames with the tone, once it started.
		minTone float64
		// flood, if set, is how many loud RTP packets a stranger sends
		// the receiver, as fast as it can, once the call is up.
		flood int
	}{
		{"clean", faults{}, 0.95, 0},
		{"loss5", faults{drop: 0.05}, 0.9, 0},
		{"loss20", faults{drop: 0.20}, 0.7, 0},
		{"reorder10dup5", faults{reorder: 0.10, dup: 0.05}, 0.9, 0},
		{"loss5reorder10dup5", faults{drop: 0.05, reorder: 0.10, dup: 0.05}, 0.85, 0},
		{"strangerflood", faults{}, 0.95, 20000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := listenAny(t, nil), listenAny(t, nil)
			t.Cleanup(func() { a.Close(); b.Close() })
			r := startRelay(t, b.rtp.localAddr(), tc.f, 7)
			c := codec.PCMU
			ca := Config{Codec: c, PayloadType: c.PayloadType, DTMFPayloadType: -1, Send: true, Receive: true,
				Remote: addrOf(r.sideA), RemoteRTCP: addrOf(b.rtcpConn)}
			cb := Config{Codec: c, PayloadType: c.PayloadType, DTMFPayloadType: -1, Send: true, Receive: true,
				Remote: addrOf(r.sideB), RemoteRTCP: addrOf(a.rtcpConn)}
			if err := a.Configure(ca); err != nil {
				t.Fatal(err)
			}
			if err := b.Configure(cb); err != nil {
				t.Fatal(err)
			}
			b.DrainOnRead() // as a call's audio loop reads it
			samples := c.FrameSamples(FrameDuration)
			in, out, silence := make([]int16, samples), make([]int16, 0, samples), make([]int16, samples)
			tick := time.NewTicker(FrameDuration)
			defer tick.Stop()
			started, tone, run, longest := -1, 0, 0, 0
			var prev int16
			step := 0                    // the largest jump between two samples played: a seam
			for i := range frames + 10 { // 10 more frames to read what is buffered
				if i < frames {
					for j := range in {
						in[j] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i*samples+j)/8000))
					}
					_ = a.WriteFrame(in)
				} else {
					_ = a.WriteFrame(silence)
				}
				_ = b.WriteFrame(silence) // the other way, through the relay untouched
				if i == 20 && tc.flood > 0 {
					go floodRTP(t, b.rtp.localAddr(), tc.flood)
				}
				<-tick.C
				out = b.ReadFrame(out)
				if i >= frames {
					continue
				}
				if started >= 0 {
					for _, v := range out {
						step = max(step, abs(int(v)-int(prev)))
						prev = v
					}
				}
				prev = out[len(out)-1]
				switch {
				case toneFrame(out):
					if started < 0 {
						started = i
					}
					tone++
					run = 0
				case started >= 0:
					run++
					longest = max(longest, run)
				}
			}
			st := b.Stats()
			r.mu.Lock()
			fwd, drop, held, dup := r.forwarded, r.dropped, r.held, r.duped
			r.mu.Unlock()
			played := frames - max(started, 0)
			share := float64(tone) / float64(max(played, 1))
			t.Logf("%s: relay forwarded %d, dropped %d, reordered %d, duplicated %d; receiver: %d packets, lost %d, late %d, "+
				"concealed %d frames, jitter %v, delay %v; tone in %d of %d frames (%.1f%%) from frame %d, longest run without %d frames; "+
				"largest step between samples %d (the tone's own: 6123)",
				tc.name, fwd, drop, held, dup, st.PacketsReceived, st.Lost, st.Late, st.Concealed,
				st.Jitter.Round(time.Microsecond), st.JitterDelay, tone, played, 100*share, started, longest, step)
			if started < 0 || started > 20 || share < tc.minTone {
				t.Errorf("the tone played in %.1f%% of the frames from frame %d, want at least %.0f%%",
					100*share, started, 100*tc.minTone)
			}
			if tc.f.drop > 0 && st.Concealed == 0 {
				t.Errorf("%d packets dropped and no frame concealed", drop)
			}
			if a.Stats().PacketsReceived == 0 {
				t.Error("nothing came back the other way: the call did not survive")
			}
			if tc.flood > 0 {
				t.Logf("%s: %d packets from a stranger, %d dropped as strangers (the rest overflowed the socket)", tc.name, tc.flood, st.Strangers)
				if st.Strangers == 0 {
					t.Error("the stranger's flood was not seen, or was taken as the call's audio")
				}
			}
		})
	}
}

// floodRTP sends n loud RTP packets (PCMU noise, payload type 0) to the
// address from another socket, as fast as the socket takes them.
func floodRTP(t *testing.T, to netip.AddrPort, n int) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Error(err)
		return
	}
	defer c.Close()
	pkt := make([]byte, 12+160)
	pkt[0], pkt[1] = 0x80, 0
	for j := 12; j < len(pkt); j++ {
		pkt[j] = byte(j * 37) // noise, nothing like the tone
	}
	for i := range n {
		pkt[2], pkt[3] = byte(i>>8), byte(i)
		_, _ = c.WriteToUDPAddrPort(pkt, to)
	}
}
