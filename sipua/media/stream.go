package media

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"

	"intercom/audio/codec"
	"intercom/sipua/media/jitter"
)

// FrameDuration is the length of the audio frames the application writes
// and reads: 20 ms, the ptime every SIP phone supports.
const FrameDuration = 20 * time.Millisecond

// Keys are the SRTP master keys and salts of both directions (RFC 3711),
// as SDES (RFC 4568) exchanged them.
type Keys struct {
	// Profile is "AES_CM_128_HMAC_SHA1_80" or "AES_CM_128_HMAC_SHA1_32".
	Profile string
	// LocalKey and LocalSalt protect what we send; RemoteKey and
	// RemoteSalt what we receive.
	LocalKey, LocalSalt, RemoteKey, RemoteSalt []byte
}

// Config is what offer and answer agreed on for the stream.
type Config struct {
	// Codec is the audio codec, sent with PayloadType.
	Codec       codec.Codec
	PayloadType uint8
	// DTMFPayloadType is the payload type of telephone-event, -1 if none.
	DTMFPayloadType int
	// Remote and RemoteRTCP are where the peer asked for RTP and RTCP.
	Remote, RemoteRTCP netip.AddrPort
	// Send and Receive are the directions agreed on (hold is one-way).
	Send, Receive bool
	// SRTP, when not nil, protects the stream.
	SRTP *Keys
}

// Stream is one call's audio stream: RTP and RTCP on a pair of UDP ports.
// The application writes one frame of PCM every 20 ms (WriteFrame, clocked
// by its capture device) and reads one every 20 ms (ReadFrame, clocked by
// its playback device). Its methods are safe for concurrent use.
type Stream struct {
	rtp       *rawUDP // RTP, without waking the runtime
	rtcpConn  *net.UDPConn
	log       *slog.Logger
	onDTMF    func(key byte)
	cname     string
	rtcpEvery time.Duration
	wg        sync.WaitGroup
	done      chan struct{}

	// rxMu serialises taking packets from the RTP socket: by the
	// receiver goroutine, or by ReadFrame once DrainOnRead was called.
	// It is taken before mu.
	rxMu        sync.Mutex
	drainOnRead atomic.Bool

	mu         sync.Mutex
	cfg        Config
	configured bool
	closed     bool
	ticks      uint32 // RTP ticks per frame
	samples    int    // PCM samples per frame
	enc        codec.Encoder
	dec        codec.Decoder
	jb         *jitter.Buffer
	plc        *jitter.Concealer
	srtpOut    *srtp.Context
	srtpIn     *srtp.Context

	// Sending.
	ssrc        uint32
	seq         uint16
	ts          uint32
	marker      bool
	sendTo      netip.AddrPort // RTP: the latched source, else the SDP address
	sendRTCPTo  netip.AddrPort
	hdr         rtp.Header
	payload     []byte
	packet      []byte
	protected   []byte
	dtmfQueue   []byte
	dtmfEvent   int // the event being sent, -1 none
	dtmfTS      uint32
	dtmfElapsed uint32
	dtmfPauseN  int // frames of audio still owed before the next key

	// Receiving.
	rxPT        uint8          // the payload type being decoded
	latched     netip.AddrPort // the source RTP is taken from, once known
	latchedRTCP netip.AddrPort
	remoteSSRC  uint32
	haveSSRC    bool
	rs          recvStats
	dtmfRx      dtmfReceiver
	rxPacket    rtp.Packet
	plain       []byte

	// RTCP.
	lsr   uint32    // the middle of the NTP time of the peer's last SR
	lsrAt time.Time // when it came

	stats Stats
}

// Stats are a stream's statistics.
type Stats struct {
	// Codec is the codec in use.
	Codec string
	// Packets and bytes (payload) sent and received.
	PacketsSent, BytesSent, PacketsReceived, BytesReceived uint64
	// Lost is the number of packets the peer sent that never came (RFC
	// 3550 cumulative loss); FractionLost the share lost since the start.
	Lost         int64
	FractionLost float64
	// Jitter is the interarrival jitter of RFC 3550.
	Jitter time.Duration
	// RTT is the round-trip time from the peer's last report, 0 until
	// one came.
	RTT time.Duration
	// RemoteFractionLost is the share of our packets the peer reported
	// lost in its last report.
	RemoteFractionLost float64
	// JitterDelay is the jitter buffer's delay; Late and Concealed its
	// frames that came too late and that it had to make up.
	JitterDelay     time.Duration
	Late, Concealed uint64
	// Invalid counts packets dropped as malformed, unauthenticated or of
	// an unknown payload type; Strangers those from other sources than
	// the one the stream latched onto.
	Invalid, Strangers uint64
	// InvalidRTCP counts RTCP packets dropped as malformed or
	// unauthenticated (baresip sends a short one at the start of SRTP).
	InvalidRTCP uint64
	// Replayed counts SRTP packets dropped because their index was seen
	// before (RFC 3711 replay protection).
	Replayed uint64
	// DTMFSent and DTMFReceived count keys.
	DTMFSent, DTMFReceived uint64
}

// Listen opens the stream's RTP socket on ip:port and its RTCP socket on
// the next port. Nothing is sent or taken until Configure. onDTMF, if not
// nil, is told of each key the peer presses (RFC 4733), once.
func Listen(ip netip.Addr, port int, log *slog.Logger, onDTMF func(key byte)) (*Stream, error) {
	if log == nil {
		log = slog.Default()
	}
	rtp, err := listenRawUDP(ip, port)
	if err != nil {
		return nil, fmt.Errorf("rtp: %w", err)
	}
	rtcpConn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port+1))))
	if err != nil {
		rtp.close()
		return nil, fmt.Errorf("rtcp: %w", err)
	}
	s := &Stream{rtp: rtp, rtcpConn: rtcpConn, log: log, onDTMF: onDTMF, done: make(chan struct{}),
		ssrc: rand.Uint32(), seq: uint16(rand.Uint32()), ts: rand.Uint32(), marker: true, dtmfEvent: -1,
		rtcpEvery: rtcpInterval, cname: fmt.Sprintf("intercom-%08x@%s", rand.Uint32(), ip),
		payload: make([]byte, 0, 512), packet: make([]byte, 1500), protected: make([]byte, 0, 1500),
		plain: make([]byte, 0, 1500), dtmfQueue: make([]byte, 0, 32)}
	s.wg.Add(3)
	go s.receiveLoop()
	go s.readLoop(func(b []byte) (int, netip.AddrPort, error) {
		n, from, err := rtcpConn.ReadFromUDPAddrPort(b)
		return n, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), err
	}, s.receiveRTCP)
	go s.reportLoop()
	return s, nil
}

// Port returns the local RTP port.
func (s *Stream) Port() int { return int(s.rtp.localAddr().Port()) }

// DrainOnRead makes ReadFrame take the packets waiting on the RTP socket,
// where a goroutine woken by each packet took them. An application that
// calls ReadFrame every frame thus wakes once a frame instead of twice;
// the packets keep the kernel's arrival times. DTMF keys are then reported
// from ReadFrame's goroutine, within a frame of their arrival. Where the
// socket cannot leave the poller (other systems than Linux), nothing
// changes.
func (s *Stream) DrainOnRead() {
	s.rxMu.Lock()
	defer s.rxMu.Unlock()
	if s.rtp.stopWaiting() {
		s.drainOnRead.Store(true)
	}
}

// receiveLoop takes RTP packets as they come, until the stream closes or
// DrainOnRead hands the job to ReadFrame.
func (s *Stream) receiveLoop() {
	defer s.wg.Done()
	for s.rtp.wait() == nil {
		s.drain()
	}
}

// maxDrain bounds the packets one drain takes, so that a flood cannot
// hold up the frame: 256 a frame is 12,800 a second, far above any call.
const maxDrain = 256

// drain takes the packets waiting on the RTP socket, each with its
// arrival time, and reports new DTMF keys.
func (s *Stream) drain() {
	s.rxMu.Lock()
	defer s.rxMu.Unlock()
	now := time.Now()
	for range maxDrain {
		b, from, at, err := s.rtp.readNext()
		if err != nil {
			return
		}
		arrived := now
		// The kernel stamps the wall clock; the jitter buffer wants the
		// monotonic one. A packet's age survives a clock step unless the
		// step falls between its arrival and now.
		if age := now.Sub(at); !at.IsZero() && age > 0 && age < time.Second {
			arrived = now.Add(-age)
		}
		s.receiveRTP(b, from, arrived)
	}
}

// Configure applies what offer and answer agreed on; it is called again
// after each re-negotiation (hold, resume, a new address or codec).
func (s *Stream) Configure(cfg Config) error {
	if cfg.Codec.NewEncoder == nil {
		return errors.New("media: no codec")
	}
	var out, in *srtp.Context
	if k := cfg.SRTP; k != nil {
		profile, err := srtpProfile(k.Profile)
		if err != nil {
			return err
		}
		if out, err = srtp.CreateContext(k.LocalKey, k.LocalSalt, profile); err != nil {
			return fmt.Errorf("media: srtp: %w", err)
		}
		if in, err = srtp.CreateContext(k.RemoteKey, k.RemoteSalt, profile, srtp.SRTPReplayProtection(128)); err != nil {
			return fmt.Errorf("media: srtp: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	codecChanged := !s.configured || s.cfg.Codec.Name != cfg.Codec.Name || s.cfg.PayloadType != cfg.PayloadType
	keysChanged := !s.configured || !sameKeys(s.cfg.SRTP, cfg.SRTP)
	remoteChanged := !s.configured || s.cfg.Remote != cfg.Remote
	s.cfg = cfg
	s.configured = true
	s.stats.Codec = cfg.Codec.Name
	if codecChanged {
		s.enc, s.dec, s.rxPT = cfg.Codec.NewEncoder(), cfg.Codec.NewDecoder(), cfg.PayloadType
		s.ticks = cfg.Codec.FrameTicks(FrameDuration)
		s.samples = cfg.Codec.FrameSamples(FrameDuration)
		s.jb = jitter.New(jitter.Config{FrameTicks: s.ticks, FrameDuration: FrameDuration})
		s.plc = jitter.NewConcealer(cfg.Codec.SampleRate, s.samples)
		s.haveSSRC = false
		s.marker = true
	}
	if keysChanged {
		s.srtpOut, s.srtpIn = out, in
	}
	if remoteChanged { // a new address: latch again
		s.latched, s.latchedRTCP = netip.AddrPort{}, netip.AddrPort{}
		s.sendTo, s.sendRTCPTo = cfg.Remote, cfg.RemoteRTCP
	}
	return nil
}

func sameKeys(a, b *Keys) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Profile == b.Profile && string(a.LocalKey) == string(b.LocalKey) && string(a.RemoteKey) == string(b.RemoteKey) &&
		string(a.LocalSalt) == string(b.LocalSalt) && string(a.RemoteSalt) == string(b.RemoteSalt)
}

func srtpProfile(name string) (srtp.ProtectionProfile, error) {
	switch name {
	case "AES_CM_128_HMAC_SHA1_80":
		return srtp.ProtectionProfileAes128CmHmacSha1_80, nil
	case "AES_CM_128_HMAC_SHA1_32":
		return srtp.ProtectionProfileAes128CmHmacSha1_32, nil
	}
	return 0, fmt.Errorf("media: SRTP profile %q not supported", name)
}

// FrameSamples returns the samples of one frame at the codec's rate (160
// at 8 kHz, 320 at 16 kHz), 0 before Configure.
func (s *Stream) FrameSamples() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.samples
}

// WriteFrame encodes and sends one frame of PCM (FrameSamples samples at
// the codec's rate), or a DTMF event packet in its place while a key is
// being sent. It sends nothing while the stream may not send (hold).
func (s *Stream) WriteFrame(pcm []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.configured || s.closed || !s.cfg.Send || !s.sendTo.IsValid() {
		return nil
	}
	defer func() { s.ts += s.ticks }()
	if s.sendDTMF() {
		return nil
	}
	s.payload = s.enc.Encode(s.payload[:0], pcm)
	marker := s.marker
	s.marker = false
	return s.send(s.cfg.PayloadType, marker, s.ts, s.payload)
}

// SendDTMF queues keys (0-9, *, #, A-D) to send as RFC 4733 events, each
// held 100 ms, in place of audio frames. It fails when the peer did not
// agree to telephone-event.
func (s *Stream) SendDTMF(keys string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.configured || s.cfg.DTMFPayloadType < 0 {
		return errors.New("media: the peer takes no telephone-event")
	}
	for i := range len(keys) {
		if eventCode(keys[i]) < 0 {
			return fmt.Errorf("media: %q is not a DTMF key", keys[i])
		}
	}
	if len(s.dtmfQueue)+len(keys) > cap(s.dtmfQueue) {
		return errors.New("media: too many DTMF keys queued")
	}
	s.dtmfQueue = append(s.dtmfQueue, keys...)
	return nil
}

// sendDTMF sends this frame's telephone-event packet, if a key is being
// sent, and reports whether it did. The caller holds s.mu.
func (s *Stream) sendDTMF() bool {
	if s.dtmfEvent < 0 {
		if s.dtmfPauseN > 0 {
			s.dtmfPauseN--
			return false
		}
		if len(s.dtmfQueue) == 0 {
			return false
		}
		s.dtmfEvent = eventCode(s.dtmfQueue[0])
		s.dtmfQueue = append(s.dtmfQueue[:0], s.dtmfQueue[1:]...)
		s.dtmfTS, s.dtmfElapsed = s.ts, 0
		s.stats.DTMFSent++
	}
	pt := uint8(s.cfg.DTMFPayloadType)
	s.dtmfElapsed += s.ticks
	toneTicks := uint32(dtmfTone/FrameDuration) * s.ticks
	if s.dtmfElapsed < toneTicks {
		s.payload = appendEvent(s.payload[:0], s.dtmfEvent, false, 10, uint16(s.dtmfElapsed))
		_ = s.send(pt, s.dtmfElapsed == s.ticks, s.dtmfTS, s.payload)
		return true
	}
	s.payload = appendEvent(s.payload[:0], s.dtmfEvent, true, 10, uint16(s.dtmfElapsed))
	for range dtmfEnds {
		_ = s.send(pt, false, s.dtmfTS, s.payload)
	}
	s.dtmfEvent = -1
	s.dtmfPauseN = int(dtmfPause / FrameDuration)
	s.marker = true // audio resumes: a new talkspurt
	return true
}

// send builds, protects and sends one RTP packet. The caller holds s.mu.
func (s *Stream) send(pt uint8, marker bool, ts uint32, payload []byte) error {
	s.seq++
	s.hdr = rtp.Header{Version: 2, Marker: marker, PayloadType: pt, SequenceNumber: s.seq, Timestamp: ts, SSRC: s.ssrc}
	n, err := s.hdr.MarshalTo(s.packet)
	if err != nil {
		return err
	}
	wire := append(s.packet[:n], payload...)
	if s.srtpOut != nil {
		if s.protected, err = s.srtpOut.EncryptRTP(s.protected[:0], wire, &s.hdr); err != nil {
			return fmt.Errorf("media: srtp: %w", err)
		}
		wire = s.protected
	}
	if err := s.rtp.writeTo(wire, s.sendTo); err != nil {
		return err
	}
	s.stats.PacketsSent++
	s.stats.BytesSent += uint64(len(payload))
	return nil
}

// ReadFrame returns the next frame to play, appended to pcm[:0]: decoded
// from the jitter buffer, made up by concealment when a packet is
// missing, or silence. It allocates nothing when pcm has the capacity of
// a frame.
func (s *Stream) ReadFrame(pcm []int16) []int16 {
	if s.drainOnRead.Load() {
		s.drain()
	}
	return s.readFrameAt(pcm, time.Now())
}

// readFrameAt is ReadFrame at a given time.
func (s *Stream) readFrameAt(pcm []int16, now time.Time) []int16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	pcm = pcm[:0]
	if !s.configured {
		return pcm
	}
	f := s.jb.Pop(now)
	switch f.Kind {
	case jitter.Play:
		pcm = s.dec.Decode(pcm, f.Payload)
		pcm = fitFrame(pcm, s.samples)
		s.plc.Good(pcm)
	case jitter.Conceal:
		pcm = fitFrame(pcm, s.samples)
		s.plc.Conceal(pcm)
	default:
		pcm = fitFrame(pcm, s.samples)
		clear(pcm)
		s.plc.Good(pcm) // a concealment fades out; its history stays true
	}
	return pcm
}

// fitFrame makes pcm exactly n samples long, padding with silence.
func fitFrame(pcm []int16, n int) []int16 {
	if len(pcm) >= n {
		return pcm[:n]
	}
	l := len(pcm)
	pcm = append(pcm, make([]int16, n-l)...)
	clear(pcm[l:])
	return pcm
}

// readLoop reads datagrams from conn until the stream is closed and hands
// each to handle with its source and arrival time.
func (s *Stream) readLoop(read func([]byte) (int, netip.AddrPort, error), handle func(b []byte, from netip.AddrPort, now time.Time)) {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, from, err := read(buf)
		if err != nil {
			select {
			case <-s.done:
				return
			default:
				continue
			}
		}
		handle(buf[:n], from, time.Now())
	}
}

// receiveRTP takes one RTP packet and reports a new DTMF key.
func (s *Stream) receiveRTP(b []byte, from netip.AddrPort, now time.Time) {
	if key := s.receive(b, from, now); key != 0 && s.onDTMF != nil {
		s.onDTMF(key)
	}
}

// receive checks one RTP packet and files it: audio into the jitter
// buffer, telephone-events to the DTMF receiver. It returns the key of a
// new DTMF event, or 0.
func (s *Stream) receive(b []byte, from netip.AddrPort, now time.Time) byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.configured || s.closed {
		return 0
	}
	if len(b) < 12 || b[0]>>6 != 2 {
		s.stats.Invalid++
		return 0
	}
	if s.latched.IsValid() && from != s.latched {
		s.stats.Strangers++ // nobody injects audio into the call
		return 0
	}
	if s.srtpIn != nil {
		var err error
		if s.plain, err = s.srtpIn.DecryptRTP(s.plain[:0], b, &s.rxPacket.Header); err != nil {
			if strings.HasSuffix(err.Error(), "duplicated packet") {
				s.stats.Replayed++ // such as a DTMF end packet sent again with its number
			} else {
				s.stats.Invalid++
			}
			return 0
		}
		b = s.plain
	}
	p := &s.rxPacket
	if err := p.Unmarshal(b); err != nil {
		s.stats.Invalid++
		return 0
	}
	pt := p.PayloadType
	isDTMF := s.cfg.DTMFPayloadType >= 0 && int(pt) == s.cfg.DTMFPayloadType
	if pt != s.rxPT && !isDTMF && !s.switchDecoder(pt) {
		if pt != 13 { // comfort noise is fine, and ignored
			s.stats.Invalid++
		}
		return 0
	}
	if !s.latched.IsValid() { // symmetric RTP: answer where the peer sends from
		s.latched, s.sendTo = from, from
		if from != s.cfg.Remote {
			s.log.Info("rtp latched", "from", from.String(), "sdp", s.cfg.Remote.String())
		}
	}
	if !s.haveSSRC || p.SSRC != s.remoteSSRC {
		s.haveSSRC, s.remoteSSRC = true, p.SSRC
		s.rs.reset(s.cfg.Codec.ClockRate)
		s.jb.Reset()
		s.dtmfRx = dtmfReceiver{}
	}
	if !s.rs.update(p.SequenceNumber, p.Timestamp, now) {
		return 0
	}
	s.stats.PacketsReceived++
	s.stats.BytesReceived += uint64(len(p.Payload))
	if !s.cfg.Receive {
		return 0
	}
	if isDTMF {
		key := s.dtmfRx.receive(p.Timestamp, p.Payload)
		if key != 0 {
			s.stats.DTMFReceived++
		}
		return key
	}
	s.jb.Push(p.SequenceNumber, p.Timestamp, p.Marker, p.Payload, now)
	return 0
}

// switchDecoder follows a peer that changes between PCMU and PCMA
// mid-call, which an answer listing both allows (RFC 3264 §6.1): both have
// the same rate and frame, so only the decoder changes. It reports
// whether pt can be decoded now. The caller holds s.mu.
func (s *Stream) switchDecoder(pt uint8) bool {
	var c codec.Codec
	switch pt {
	case codec.PCMU.PayloadType:
		c = codec.PCMU
	case codec.PCMA.PayloadType:
		c = codec.PCMA
	default:
		return false
	}
	if s.cfg.Codec.SampleRate != c.SampleRate {
		return false
	}
	s.dec, s.rxPT = c.NewDecoder(), pt
	s.jb.Reset()
	return true
}

// Stats returns the stream's statistics.
func (s *Stream) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Lost = s.rs.lost()
	if e := s.rs.expected(); e > 0 && st.Lost > 0 {
		st.FractionLost = float64(st.Lost) / float64(e)
	}
	st.Jitter = s.rs.jitterDuration()
	if s.jb != nil {
		j := s.jb.Stats()
		st.JitterDelay, st.Late, st.Concealed = j.Delay, j.Late, j.Concealed
	}
	return st
}

// Close sends an RTCP BYE, closes the sockets and waits for the readers.
func (s *Stream) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	bye := s.reportLocked(true)
	to := s.sendRTCPTo
	s.mu.Unlock()
	if bye != nil && to.IsValid() {
		_, _ = s.rtcpConn.WriteToUDPAddrPort(bye, to)
	}
	close(s.done)
	s.rxMu.Lock()
	s.rtp.close()
	s.rxMu.Unlock()
	s.rtcpConn.Close()
	s.wg.Wait()
	return nil
}
