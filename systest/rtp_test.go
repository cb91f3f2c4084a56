package systest

import (
	"context"
	"math"
	"net"
	"sync"
	"time"

	"github.com/pion/rtp"

	"intercom/audio/codec"
)

// The phone's media: what the test sends the board and hears back. It
// stands behind the sipp that answers (its SDP names this socket), replies
// to where the board's RTP comes from, as phones behind NAT do, and sends
// G.711 µ-law frames every 20 ms: silence, 1 kHz tone bursts and RFC 4733
// keys.
type phoneMedia struct {
	conn *net.UDPConn

	mu       sync.Mutex
	remote   *net.UDPAddr
	heard    []heardFrame
	bursts   []time.Time // when each burst's first frame left
	commands chan []frame
}

// heardFrame is one frame received from the board: its arrival time, its
// level and whether a 1 kHz tone dominates it.
type heardFrame struct {
	at    time.Time
	rms   float64 // dBFS
	tone1 bool
}

// frame is one RTP packet to send: audio samples, or a telephone-event.
type frame struct {
	pcm   []int16
	event []byte // the RFC 4733 payload, with its marker and timestamp rules
	start bool   // the first packet of an event
	burst bool   // the first frame of a tone burst
}

const (
	frameSamples = 160 // 20 ms at 8 kHz
	burstFrames  = 10  // 200 ms
	eventPT      = 101
)

func newPhoneMedia() (*phoneMedia, error) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	return &phoneMedia{conn: conn, commands: make(chan []frame, 8)}, nil
}

// port is where the board must send its RTP (as 10.0.2.2:port).
func (p *phoneMedia) port() int { return p.conn.LocalAddr().(*net.UDPAddr).Port }

// run receives and sends until ctx ends; it sends nothing until the
// board's first packet says where to.
func (p *phoneMedia) run(ctx context.Context) {
	go func() { <-ctx.Done(); p.conn.Close() }()
	started := make(chan struct{})
	go p.receive(started)
	select {
	case <-started:
	case <-ctx.Done():
		return
	}
	p.send(ctx)
}

func (p *phoneMedia) receive(started chan<- struct{}) {
	buf := make([]byte, 1500)
	pcm := make([]int16, 0, frameSamples)
	ulaw := codec.PCMU.NewDecoder()
	var pkt rtp.Packet
	for {
		n, from, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		at := time.Now()
		if pkt.Unmarshal(buf[:n]) != nil || pkt.PayloadType != 0 || len(pkt.Payload) != frameSamples {
			continue
		}
		pcm = ulaw.Decode(pcm[:0], pkt.Payload)
		rms, tone := analyse(pcm)
		p.mu.Lock()
		if p.remote == nil {
			p.remote = from
			close(started)
		}
		p.heard = append(p.heard, heardFrame{at: at, rms: rms, tone1: tone})
		p.mu.Unlock()
	}
}

// analyse returns a frame's level in dBFS and whether 1 kHz carries most of
// its power (Goertzel).
func analyse(pcm []int16) (float64, bool) {
	var sum, s1, s2 float64
	coeff := 2 * math.Cos(2*math.Pi*1000/8000)
	for _, v := range pcm {
		x := float64(v) / 32768
		sum += x * x
		s0 := x + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2 // |X(1 kHz)|^2
	n := float64(len(pcm))
	rms := 10 * math.Log10(sum/n+1e-12)
	// A pure tone's bin holds n/2 times its mean power.
	return rms, sum > 0 && power/(sum*n/2) > 0.5
}

// send paces the frames at 20 ms: a queued command's frames, else silence.
func (p *phoneMedia) send(ctx context.Context) {
	p.mu.Lock()
	remote := p.remote
	p.mu.Unlock()
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 0x1c0ffee, SequenceNumber: 1000}}
	silence := frame{pcm: make([]int16, frameSamples)}
	var queue []frame
	clock, eventStart := uint32(160000), uint32(0)
	payload := make([]byte, 0, frameSamples)
	ulaw := codec.PCMU.NewEncoder()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if len(queue) == 0 {
			select {
			case queue = <-p.commands:
			default:
			}
		}
		f := silence
		if len(queue) > 0 {
			f, queue = queue[0], queue[1:]
		}
		pkt.Marker = f.start
		if f.event != nil {
			if f.start {
				eventStart = clock
			}
			pkt.PayloadType, pkt.Timestamp, pkt.Payload = eventPT, eventStart, f.event
		} else {
			pkt.PayloadType, pkt.Timestamp, pkt.Payload = 0, clock, ulaw.Encode(payload[:0], f.pcm)
		}
		b, err := pkt.Marshal()
		if err != nil {
			return
		}
		if f.burst {
			p.mu.Lock()
			p.bursts = append(p.bursts, time.Now())
			p.mu.Unlock()
		}
		if _, err := p.conn.WriteToUDP(b, remote); err != nil {
			return
		}
		pkt.SequenceNumber++
		clock += frameSamples
	}
}

// burst queues a 200 ms 1 kHz tone at -12 dBFS.
func (p *phoneMedia) burst() {
	fs := make([]frame, burstFrames)
	for i := range fs {
		pcm := make([]int16, frameSamples)
		for j := range pcm {
			n := float64(i*frameSamples + j)
			pcm[j] = int16(0.25 * 32767 * math.Sin(2*math.Pi*1000*n/8000))
		}
		fs[i] = frame{pcm: pcm, burst: i == 0}
	}
	p.commands <- fs
}

// keys queues the digits as RFC 4733 events: 100 ms each (five updates),
// three end packets, then 100 ms of silence.
func (p *phoneMedia) keys(digits string) {
	var fs []frame
	for _, d := range digits {
		code := byte(0)
		switch {
		case d >= '0' && d <= '9':
			code = byte(d - '0')
		case d == '*':
			code = 10
		case d == '#':
			code = 11
		}
		for i := 1; i <= 5; i++ {
			dur := uint16(i * frameSamples)
			fs = append(fs, frame{event: []byte{code, 10, byte(dur >> 8), byte(dur)}, start: i == 1})
		}
		for range 3 {
			dur := uint16(5 * frameSamples)
			fs = append(fs, frame{event: []byte{code, 0x80 | 10, byte(dur >> 8), byte(dur)}})
		}
		for range 5 {
			fs = append(fs, frame{pcm: make([]int16, frameSamples)})
		}
	}
	p.commands <- fs
}

// roundTrips returns, for each burst sent, how long until the board sent
// it back: the first frame after it that carries the tone.
func (p *phoneMedia) roundTrips() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	var rtts []time.Duration
	for _, sent := range p.bursts {
		for _, h := range p.heard {
			if h.at.After(sent) && h.tone1 && h.rms > -30 {
				rtts = append(rtts, h.at.Sub(sent))
				break
			}
		}
	}
	return rtts
}

// received returns how many frames came from the board, and how many of
// them carried the tone.
func (p *phoneMedia) received() (frames, tone int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range p.heard {
		if h.tone1 && h.rms > -30 {
			tone++
		}
	}
	return len(p.heard), tone
}
