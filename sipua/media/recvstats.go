package media

import "time"

// recvStats keeps what RFC 3550 (appendix A.1, A.3, A.8) asks a receiver
// to know of one source: the extended highest sequence number, the
// packets expected and received, and the interarrival jitter.
type recvStats struct {
	started   bool
	baseSeq   uint32
	maxSeq    uint16
	cycles    uint32
	badSeq    uint32
	received  uint64
	transit   int64   // of the last packet, in RTP ticks
	jitter    float64 // in RTP ticks
	clockRate int

	// What the last report said, for the fraction lost since.
	expectedPrior uint64
	receivedPrior uint64
}

// maxDropout and maxMisorder are the limits of RFC 3550 A.1.
const (
	maxDropout  = 3000
	maxMisorder = 100
)

// reset starts the statistics of a new source.
func (r *recvStats) reset(clockRate int) { *r = recvStats{clockRate: clockRate} }

// update counts a packet with sequence number seq and RTP timestamp ts
// that arrived at arrival (RFC 3550 A.1 update_seq and A.8). It reports
// false for a packet that is not in sequence: a big jump the source must
// confirm with the next packet.
func (r *recvStats) update(seq uint16, ts uint32, arrival time.Time) bool {
	if !r.started {
		r.started = true
		r.baseSeq, r.maxSeq, r.badSeq = uint32(seq), seq, 1<<17
		r.received = 1
		r.transit = r.ticks(arrival) - int64(ts)
		return true
	}
	delta := seq - r.maxSeq
	switch {
	case delta < maxDropout:
		if seq < r.maxSeq {
			r.cycles += 1 << 16 // wrapped
		}
		r.maxSeq = seq
	case delta <= 1<<16-maxMisorder:
		if uint32(seq) == r.badSeq { // two in sequence after a jump: the source restarted
			r.reset(r.clockRate)
			return r.update(seq, ts, arrival)
		}
		r.badSeq = uint32(seq+1) & 0xffff
		return false
	}
	r.received++
	transit := r.ticks(arrival) - int64(ts)
	d := transit - r.transit
	r.transit = transit
	if d < 0 {
		d = -d
	}
	r.jitter += (float64(d) - r.jitter) / 16
	return true
}

// ticks is a wall-clock time in RTP ticks.
func (r *recvStats) ticks(t time.Time) int64 {
	return t.UnixNano() * int64(r.clockRate) / int64(time.Second)
}

// extendedMax is the extended highest sequence number received.
func (r *recvStats) extendedMax() uint32 { return r.cycles + uint32(r.maxSeq) }

// expected is the number of packets expected so far.
func (r *recvStats) expected() uint64 {
	if !r.started {
		return 0
	}
	return uint64(r.extendedMax()) - uint64(r.baseSeq) + 1
}

// lost is the cumulative number of packets lost (negative with
// duplicates).
func (r *recvStats) lost() int64 { return int64(r.expected()) - int64(r.received) }

// fractionLost returns the fraction lost since the last call, in 1/256
// (RFC 3550 A.3), and starts a new interval.
func (r *recvStats) fractionLost() uint8 {
	expected, received := r.expected(), r.received
	expInt, recInt := expected-r.expectedPrior, received-r.receivedPrior
	r.expectedPrior, r.receivedPrior = expected, received
	if expInt == 0 || recInt >= expInt {
		return 0
	}
	return uint8((expInt - recInt) * 256 / expInt)
}

// jitterTicks is the interarrival jitter in RTP ticks.
func (r *recvStats) jitterTicks() uint32 { return uint32(r.jitter) }

// jitterDuration is the interarrival jitter as a duration.
func (r *recvStats) jitterDuration() time.Duration {
	if r.clockRate == 0 {
		return 0
	}
	return time.Duration(r.jitter * float64(time.Second) / float64(r.clockRate))
}
