package jitter

import (
	"sync"
	"time"
)

// Config sets up a Buffer. The zero value of a field selects its default.
type Config struct {
	// FrameTicks is the number of RTP timestamp ticks per frame: 160 for
	// 20 ms at an 8000 Hz RTP clock (G.711, and G.722, whose RTP clock is
	// 8000 Hz too). Default 160. Each packet must carry one frame.
	FrameTicks uint32
	// FrameDuration is the audio in one frame, the interval at which Pop is
	// called. Default 20 ms, at most 1 s.
	FrameDuration time.Duration
	// MinDelay and MaxDelay bound the adaptive target delay. Defaults 20 ms
	// and 300 ms; MinDelay at most 10 s. MaxDelay is raised to MinDelay if below it, then lowered
	// to what Slots can hold (Slots−4 frames), and MinDelay with it.
	MinDelay, MaxDelay time.Duration
	// Slots is the number of packets the buffer can hold, preallocated.
	// Default 64, at least 8, at most 4096.
	Slots int
	// MaxPayload is the largest payload, in bytes, a slot holds; larger
	// packets are dropped. Default 640, at most 65536.
	MaxPayload int
}

// Kind says what to play for a frame.
type Kind uint8

const (
	// Silence: nothing to play, because nothing has been received yet, the
	// talkspurt ended (the sender stopped sending in a pause) or the stream
	// stopped. Play silence or comfort noise.
	Silence Kind = iota
	// Play: decode and play Frame.Payload.
	Play
	// Conceal: a packet is missing, or the buffer inserts a frame to grow
	// its delay; synthesize one frame, with a Concealer or the codec's own
	// packet-loss concealment.
	Conceal
)

// String returns "silence", "play" or "conceal".
func (k Kind) String() string {
	switch k {
	case Silence:
		return "silence"
	case Play:
		return "play"
	case Conceal:
		return "conceal"
	}
	return "kind(?)"
}

// Frame is what Pop returns: what to play for the next frame.
type Frame struct {
	// Kind says what to do.
	Kind Kind
	// Payload is the packet's payload when Kind is Play, else nil. It is
	// owned by the Buffer and valid until the next Pop or Reset (a Push
	// does not touch it).
	Payload []byte
	// Seq and TS are the RTP sequence number and timestamp of the packet
	// played, when Kind is Play.
	Seq uint16
	TS  uint32
}

// Stats are a Buffer's counters since New or Reset, and its current delay.
//
// Every packet pushed is counted in Received and then, once, in exactly one
// of Played, Late, Duplicate and Dropped, or is still held (Buffered):
// Received == Played + Late + Duplicate + Dropped + Buffered.
type Stats struct {
	// Delay is the current playout delay: how long a packet that crossed
	// the network as fast as the fastest recent ones waits in the buffer
	// (slower packets wait less). 0 before the first frame is played.
	Delay time.Duration
	// Target is the delay the buffer aims for, within MinDelay..MaxDelay.
	Target time.Duration
	// Received counts the packets pushed.
	Received uint64
	// Played counts the packets returned by Pop to be played.
	Played uint64
	// Lost counts the packets that were never received by the time the
	// playout passed them (a packet that arrives after that is counted in
	// Late instead, if the buffer still remembers its sequence number).
	Lost uint64
	// Late counts the packets that arrived after their time to play.
	Late uint64
	// Duplicate counts copies of packets already received.
	Duplicate uint64
	// Dropped counts the packets discarded unplayed: to shrink the delay or
	// make up for clock drift, because their payload was larger than
	// MaxPayload, because the sender restarted (the old stream's packets
	// still held), or because they made no sense (a lone jump in sequence
	// number or timestamp).
	Dropped uint64
	// Concealed counts the frames Pop returned as Conceal.
	Concealed uint64
	// Resyncs counts the sender restarts followed.
	Resyncs uint64
	// Buffered is the number of packets held now.
	Buffered int
}

// Buffer is an adaptive jitter buffer for one RTP stream of fixed-duration
// frames. Push and Pop may be called from different goroutines (one
// receiving, one playing); a Buffer is safe for that concurrent use. It
// allocates nothing after New.
type Buffer struct {
	mu sync.Mutex

	// Configuration, in RTP ticks and nanoseconds.
	cfg        Config
	ticks      int64 // per frame
	frameNs    int64
	minNs      int64
	maxNs      int64
	maxPayload int
	nslots     int64
	stopAfter  int // underrun frames concealed before the stream counts as stopped

	slots []slot
	data  []byte // nslots*maxPayload
	out   []byte // the payload of the last frame played
	cand  candidate
	est   estimator
	st    Stats

	// Clock: every time is kept in ns since origin, the first time seen.
	origin    time.Time
	hasOrigin bool
	lastPop   int64 // the time of the last Pop

	// Stream.
	synced    bool
	tsBase    int64 // extended timestamp at the sync: transits are relative to it
	highSeq   int64 // highest extended sequence number received
	highTS    int64 // its extended timestamp
	highArr   int64 // its arrival
	nextSeq   int64 // lowest sequence number not yet played or passed
	passedAny bool  // whether the playout has passed a packet since the sync

	// Playout.
	running     bool  // playing; false while silent (before a start, in a pause, after a stop)
	nextTS      int64 // timestamp of the frame the next Pop plays
	lastTS      int64 // timestamp of the last packet played
	streak      int   // consecutive frames concealed with nothing buffered
	delay       int64 // smoothed playout delay, ns
	sinceShrink int   // frames since the last frame dropped to shrink the delay
	sinceGrow   int   // frames since the last frame inserted to grow it
}

type slot struct {
	seq    int64 // extended sequence number this slot describes
	ts     int64 // extended timestamp
	arr    int64 // arrival, ns since origin
	n      int32 // payload length
	state  uint8
	marker bool
}

// Slot states: what became of packet slot.seq.
const (
	slotEmpty    uint8 = iota
	slotBuffered       // held, to be played
	slotGone           // played or dropped
	slotLate           // arrived after its time to play
	slotLost           // passed by the playout without having arrived
)

// candidate is a packet that does not fit the stream: noise, or the first
// packet of a sender that restarted. A second packet that fits it confirms
// the restart.
type candidate struct {
	valid  bool
	seq    uint16
	ts     uint32
	marker bool
	arr    int64
	n      int
	data   []byte
}

// Limits of sequence number jumps, after RFC 3550 appendix A.1.
const (
	maxDropout  = 3000 // packets lost in a row and still the same stream
	maxMisorder = 100  // packets back and still a late packet, not noise
)

// Adaptation pace, in frames.
const (
	shrinkEvery = 50 // at most one frame dropped per second of 20 ms frames
	growEvery   = 4  // at most one frame inserted per 4 frames
)

// New returns a Buffer for cfg, with every slot allocated.
func New(cfg Config) *Buffer {
	if cfg.FrameTicks == 0 {
		cfg.FrameTicks = 160
	}
	if cfg.FrameDuration <= 0 {
		cfg.FrameDuration = 20 * time.Millisecond
	}
	cfg.FrameDuration = min(cfg.FrameDuration, time.Second)
	if cfg.MinDelay <= 0 {
		cfg.MinDelay = 20 * time.Millisecond
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = 300 * time.Millisecond
	}
	cfg.MinDelay = min(cfg.MinDelay, 10*time.Second)
	if cfg.Slots <= 0 {
		cfg.Slots = 64
	}
	cfg.Slots = min(max(cfg.Slots, 8), 4096)
	if cfg.MaxPayload <= 0 {
		cfg.MaxPayload = 640
	}
	cfg.MaxPayload = min(cfg.MaxPayload, 65536)
	cfg.MaxDelay = min(max(cfg.MaxDelay, cfg.MinDelay), time.Duration(cfg.Slots-4)*cfg.FrameDuration)
	cfg.MinDelay = min(cfg.MinDelay, cfg.MaxDelay)
	b := &Buffer{
		cfg:        cfg,
		ticks:      int64(cfg.FrameTicks),
		frameNs:    int64(cfg.FrameDuration),
		minNs:      int64(cfg.MinDelay),
		maxNs:      int64(cfg.MaxDelay),
		maxPayload: cfg.MaxPayload,
		nslots:     int64(cfg.Slots),
		slots:      make([]slot, cfg.Slots),
		data:       make([]byte, cfg.Slots*cfg.MaxPayload),
		out:        make([]byte, cfg.MaxPayload),
	}
	b.stopAfter = max(3, int((b.maxNs+b.frameNs-1)/b.frameNs))
	b.cand.data = make([]byte, cfg.MaxPayload)
	b.est.init(b.maxNs, b.frameNs)
	return b
}

// Reset empties the buffer and forgets the stream, the network's jitter
// and the counters, as if the Buffer were new; for a new stream (a new
// SSRC, a new call).
func (b *Buffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.slots)
	b.cand.valid = false
	b.est.reset()
	b.st = Stats{}
	b.hasOrigin, b.lastPop = false, 0
	b.synced = false
	b.passedAny = false
	b.running = false
	b.streak, b.delay, b.sinceShrink, b.sinceGrow = 0, 0, 0, 0
}

// Stats returns the counters and the current delay and target.
func (b *Buffer) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.st
	if b.cand.valid {
		s.Buffered++
	}
	s.Delay = time.Duration(b.delay)
	s.Target = time.Duration(b.target(b.lastNow()))
	return s
}

// lastNow is the latest time the buffer knows of, for Stats.
func (b *Buffer) lastNow() int64 { return max(b.highArr, b.lastPop) }

// since converts t to ns since the origin, which the first call sets.
func (b *Buffer) since(t time.Time) int64 {
	if !b.hasOrigin {
		b.origin, b.hasOrigin = t, true
	}
	return int64(t.Sub(b.origin))
}

// target is the delay aimed for at time t, ns.
func (b *Buffer) target(t int64) int64 {
	return min(max(b.est.need(t)+b.frameNs/4, b.minNs), b.maxNs)
}

// tsTime converts a timestamp difference to ns without overflow.
func (b *Buffer) tsTime(d int64) int64 {
	return d/b.ticks*b.frameNs + d%b.ticks*b.frameNs/b.ticks
}

func (b *Buffer) slotOf(seq int64) *slot { return &b.slots[seq%b.nslots] }

func (b *Buffer) payloadOf(seq int64) []byte {
	i := int(seq%b.nslots) * b.maxPayload
	return b.data[i : i+b.maxPayload]
}

// Push stores a received packet: its RTP sequence number, timestamp and
// marker bit, its payload (copied; the caller keeps payload) and its time
// of arrival. It sorts reordered packets, discards duplicates and packets
// too late to play, follows sequence number and timestamp wrap-around, and
// re-syncs when a jump in both shows that the sender restarted (two
// consecutive packets are needed to believe a jump). A payload larger than
// MaxPayload is dropped.
func (b *Buffer) Push(seq uint16, ts uint32, marker bool, payload []byte, arrival time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.st.Received++
	if len(payload) > b.maxPayload {
		b.st.Dropped++
		return
	}
	a := b.since(arrival)
	if !b.synced {
		b.sync(seq, ts, a)
		b.accept(seq, ts, marker, payload, a)
		return
	}
	if b.wild(seq, ts, a) {
		b.candidate(seq, ts, marker, payload, a)
		return
	}
	if b.cand.valid {
		// The stream went on: the lone jump was noise.
		b.cand.valid = false
		b.st.Dropped++
	}
	b.accept(seq, ts, marker, payload, a)
}

// sync starts following a stream at this packet.
func (b *Buffer) sync(seq uint16, ts uint32, a int64) {
	b.synced = true
	// Extended numbers start high enough never to go negative.
	b.highSeq = 1<<32 | int64(seq)
	b.highTS = 1<<40 | int64(ts)
	b.highArr = a
	b.tsBase = b.highTS
	b.nextSeq = b.highSeq
	b.passedAny = false
	b.running = false
	b.streak = 0
	b.est.resetWindow()
}

func (b *Buffer) extSeq(seq uint16) int64 {
	return b.highSeq + int64(int16(seq-uint16(b.highSeq)))
}

func (b *Buffer) extTS(ts uint32) int64 {
	return b.highTS + int64(int32(ts-uint32(b.highTS)))
}

// wild reports whether a packet does not fit the stream: a jump in
// sequence number beyond what loss or reordering explain, a timestamp that
// goes back against the sequence number, or one that runs ahead of the
// time elapsed by more than a few seconds (a pause in sending advances
// both alike).
func (b *Buffer) wild(seq uint16, ts uint32, a int64) bool {
	d := b.extSeq(seq) - b.highSeq
	if d > maxDropout || d < -max(maxMisorder, b.nslots) {
		return true
	}
	dts := b.extTS(ts) - b.highTS
	if dts < (d-maxMisorder)*b.ticks {
		return true
	}
	return b.tsTime(dts)-(a-b.highArr) > 2e9+b.maxNs
}

// candidate handles a packet that does not fit the stream: if it follows
// the previous such packet, the sender restarted and the buffer re-syncs
// to both; else it is kept as the candidate, in place of the previous one.
func (b *Buffer) candidate(seq uint16, ts uint32, marker bool, payload []byte, a int64) {
	c := &b.cand
	if c.valid {
		ds := int64(int16(seq - c.seq))
		dts := int64(int32(ts - c.ts))
		if ds != 0 && ds >= -8 && ds <= 8 && dts-ds*b.ticks >= -8*b.ticks && dts-ds*b.ticks <= 8*b.ticks {
			c.valid = false
			b.flush()
			b.st.Resyncs++
			b.sync(c.seq, c.ts, c.arr)
			b.accept(c.seq, c.ts, c.marker, c.data[:c.n], c.arr)
			b.accept(seq, ts, marker, payload, a)
			return
		}
		b.st.Dropped++
	}
	c.valid = true
	c.seq, c.ts, c.marker, c.arr, c.n = seq, ts, marker, a, len(payload)
	copy(c.data, payload)
}

// flush drops every packet held.
func (b *Buffer) flush() {
	for i := range b.slots {
		if b.slots[i].state == slotBuffered {
			b.st.Dropped++
			b.st.Buffered--
		}
		b.slots[i] = slot{}
	}
}

// accept files a packet of the current stream.
func (b *Buffer) accept(seq uint16, ts uint32, marker bool, payload []byte, a int64) {
	es, et := b.extSeq(seq), b.extTS(ts)
	if es < b.nextSeq {
		if !b.passedAny && b.highSeq-es < b.nslots-1 {
			// Nothing played yet since the sync: an earlier packet
			// arriving after a later one starts the stream earlier.
			b.nextSeq = es
		} else {
			b.old(es, et, a)
			return
		}
	}
	if es >= b.nextSeq+b.nslots {
		// Too far ahead to hold with what is held: a long loss. Pass what
		// is too old to stay in the window.
		b.passTo(es-b.nslots+1, &b.st.Dropped)
	}
	sl := b.slotOf(es)
	if sl.seq == es && (sl.state == slotBuffered || sl.state == slotLate) {
		b.st.Duplicate++
		return
	}
	rel := b.est.observe(a, a-b.tsTime(et-b.tsBase))
	if es > b.highSeq {
		b.highSeq, b.highTS, b.highArr = es, et, a
	}
	if b.running && et < b.nextTS && !b.rescue(et, rel, a) {
		b.st.Late++
		b.est.late(rel, a)
		*sl = slot{seq: es, ts: et, state: slotLate}
		return
	}
	*sl = slot{seq: es, ts: et, arr: a, n: int32(len(payload)), state: slotBuffered, marker: marker}
	copy(b.payloadOf(es), payload)
	b.st.Buffered++
}

// old handles a packet the playout has passed: a duplicate, or late.
func (b *Buffer) old(es, et, a int64) {
	sl := b.slotOf(es)
	if sl.seq == es {
		switch sl.state {
		case slotGone, slotLate:
			b.st.Duplicate++
			return
		case slotLost:
			b.st.Lost--
			sl.state = slotLate
		}
	}
	b.st.Late++
	if b.synced && b.highSeq-es < maxMisorder {
		rel := b.est.observe(a, a-b.tsTime(et-b.tsBase))
		b.est.late(rel, a)
	}
}

// rescue decides, for a packet arriving after its frame was concealed in
// an underrun, whether to wind the playout back to it: the frames
// concealed then count as inserted, and the delay grows by them, if it
// stays within MaxDelay.
func (b *Buffer) rescue(et, rel, a int64) bool {
	back := b.nextTS - et
	if b.streak == 0 || back > int64(b.streak)*b.ticks {
		return false
	}
	grow := b.tsTime(back)
	if b.delay+grow > b.maxNs+b.frameNs/2 {
		return false
	}
	b.nextTS = et
	b.delay += grow
	b.streak = 0
	// The packet was late for the delay then: the target must cover it.
	b.est.late(rel, a)
	return true
}

// passTo moves the playout's sequence number to seq, counting what it
// passes: packets held in *held (Dropped or Late), packets never received
// in Lost.
func (b *Buffer) passTo(seq int64, held *uint64) {
	if seq <= b.nextSeq {
		return
	}
	b.passedAny = true
	// Packets are held, and marks kept, only within nslots of nextSeq.
	end := min(seq, b.nextSeq+b.nslots)
	for ; b.nextSeq < end; b.nextSeq++ {
		s := b.nextSeq
		sl := b.slotOf(s)
		if sl.seq == s {
			switch sl.state {
			case slotBuffered:
				*held++
				b.st.Buffered--
				sl.state = slotGone
				continue
			case slotLate:
				continue
			}
		}
		b.st.Lost++
		*sl = slot{seq: s, state: slotLost}
	}
	if seq > b.nextSeq {
		b.st.Lost += uint64(seq - b.nextSeq)
		b.nextSeq = seq
	}
}

// front returns the held packet with the lowest sequence number, or nil.
func (b *Buffer) front() *slot {
	if b.st.Buffered == 0 {
		return nil
	}
	end := min(b.highSeq, b.nextSeq+b.nslots-1)
	for s := b.nextSeq; s <= end; s++ {
		if sl := b.slotOf(s); sl.seq == s && sl.state == slotBuffered {
			return sl
		}
	}
	return nil
}

// next returns the held packet right after p, if it follows p without a
// gap in sequence number and timestamp.
func (b *Buffer) next(p *slot) *slot {
	q := b.slotOf(p.seq + 1)
	if q.seq == p.seq+1 && q.state == slotBuffered && q.ts-p.ts <= b.ticks {
		return q
	}
	return nil
}

// Pop returns what to play for the next frame. The playback clock calls it
// once per frame, at time now.
func (b *Buffer) Pop(now time.Time) Frame {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.since(now)
	b.lastPop = n
	if !b.synced {
		return Frame{}
	}
	if b.running {
		return b.popRunning(n)
	}
	return b.popSilent(n)
}

// popSilent starts the playout when a packet held is due: when a packet
// that crossed the network as fast as the fastest recent ones would have
// waited the target delay. This is where the delay adapts for free, at the
// start of the stream and of every talkspurt. Packets overdue by more than
// the target and two frames (playing them would more than double the
// delay; two frames leave room for a playback clock that pops in bursts),
// or by so much that the delay would pass MaxDelay, are late: after a
// stall, the playout resumes with the first packet that is not.
func (b *Buffer) popSilent(n int64) Frame {
	t := b.target(n)
	p := b.front()
	if p == nil {
		return Frame{}
	}
	over := func(q *slot) int64 { return n - (b.tsTime(q.ts-b.tsBase) + b.est.minR + t) }
	if over(p) < 0 {
		return Frame{}
	}
	limit := min(t+2*b.frameNs, b.maxNs+b.frameNs-t)
	end := min(b.highSeq, b.nextSeq+b.nslots-1)
	for s := p.seq + 1; over(p) > limit; s++ {
		if s > end {
			b.passTo(p.seq+1, &b.st.Late)
			return Frame{}
		}
		if q := b.slotOf(s); q.seq == s && q.state == slotBuffered {
			p = q
		}
	}
	b.passTo(p.seq, &b.st.Late)
	o := over(p)
	if o < 0 {
		return Frame{}
	}
	b.running = true
	b.nextTS = p.ts
	b.lastTS = p.ts - b.ticks
	b.streak = 0
	b.delay = t + o
	b.sinceShrink, b.sinceGrow = 0, 0
	return b.play(p)
}

// popRunning plays the next frame of a running playout, and adapts the
// delay: it drops a frame now and then when the delay is above the target
// (clock drift, or a target come down), and inserts one when below.
func (b *Buffer) popRunning(n int64) Frame {
	b.sinceShrink++
	b.sinceGrow++
	f := b.frameNs
	inst := n - b.tsTime(b.nextTS-b.tsBase) - b.est.minR
	b.delay += (inst - b.delay) / 8
	if inst > b.maxNs+f/2 {
		// Far too much delay (a burst, a stalled playback clock): skip
		// frames at once.
		for i := int64(0); i < b.nslots && inst > b.maxNs; i++ {
			if p := b.front(); p != nil && p.ts <= b.nextTS {
				b.passTo(p.seq+1, &b.st.Dropped)
			}
			b.nextTS += b.ticks
			inst -= f
		}
		b.delay = min(b.delay, inst)
	}
	t := b.target(n)
	p := b.front()
	if p == nil {
		// Underrun: late or lost, or the stream stopped.
		b.streak++
		if b.streak > b.stopAfter {
			b.running = false
			b.streak = 0
			return Frame{}
		}
		b.nextTS += b.ticks
		b.st.Concealed++
		return Frame{Kind: Conceal}
	}
	if p.ts <= b.nextTS {
		if b.delay > t+3*f/2 && b.sinceShrink >= shrinkEvery {
			if q := b.next(p); q != nil {
				b.passTo(p.seq+1, &b.st.Dropped)
				p = q
				b.nextTS += b.ticks
				b.delay -= f
				b.sinceShrink = 0
			}
		} else if b.delay < t-f/4 && (p.marker || b.sinceGrow >= growEvery) {
			b.delay += f
			b.sinceGrow = 0
			if p.marker {
				// A talkspurt starts: silence before it goes unnoticed.
				return Frame{}
			}
			b.st.Concealed++
			return Frame{Kind: Conceal}
		}
		return b.play(p)
	}
	// The packet held is not due yet.
	if missing := p.seq - b.nextSeq; missing > 0 && b.nextTS-b.lastTS <= missing*b.ticks {
		// The frame belongs to a missing packet.
		b.nextTS += b.ticks
		b.streak = 0
		b.st.Concealed++
		return Frame{Kind: Conceal}
	}
	// A gap in the timestamps: the sender paused. Restart at the next
	// talkspurt with the current target.
	b.running = false
	return b.popSilent(n)
}

// play returns p's payload and moves the playout past it.
func (b *Buffer) play(p *slot) Frame {
	b.passTo(p.seq, &b.st.Dropped)
	k := copy(b.out, b.payloadOf(p.seq)[:p.n])
	p.state = slotGone
	b.st.Buffered--
	b.st.Played++
	b.nextSeq = p.seq + 1
	b.passedAny = true
	b.lastTS = p.ts
	b.nextTS = max(b.nextTS, p.ts) + b.ticks
	b.streak = 0
	return Frame{Kind: Play, Payload: b.out[:k], Seq: uint16(p.seq), TS: uint32(p.ts)}
}
