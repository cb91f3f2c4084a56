package media

import (
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/pion/rtcp"
)

// rtcpInterval is the mean interval of our reports (RFC 3550 §6.2: 5 s
// minimum; each is jittered to 0.5-1.5 times it). Tests shorten it.
var rtcpInterval = 5 * time.Second

// reportLoop sends a report every interval until the stream is closed.
func (s *Stream) reportLoop() {
	defer s.wg.Done()
	for {
		t := time.NewTimer(s.rtcpEvery/2 + rand.N(s.rtcpEvery))
		select {
		case <-s.done:
			t.Stop()
			return
		case <-t.C:
		}
		s.mu.Lock()
		report, to := s.reportLocked(false), s.sendRTCPTo
		s.mu.Unlock()
		if report != nil && to.IsValid() {
			_, _ = s.rtcpConn.WriteToUDPAddrPort(report, to)
		}
	}
}

// reportLocked builds a compound RTCP packet: a sender report if we sent
// since the start, else a receiver report, with a reception block for the
// peer; our CNAME; and a BYE when the stream ends. It returns nil before
// the stream is configured. The caller holds s.mu.
func (s *Stream) reportLocked(bye bool) []byte {
	if !s.configured {
		return nil
	}
	var blocks []rtcp.ReceptionReport
	if s.haveSSRC {
		var dlsr uint32
		if !s.lsrAt.IsZero() {
			dlsr = uint32(time.Since(s.lsrAt) * 65536 / time.Second)
		}
		lost := s.rs.lost()
		lost = max(min(lost, 0x7fffff), -0x800000)
		blocks = []rtcp.ReceptionReport{{
			SSRC: s.remoteSSRC, FractionLost: s.rs.fractionLost(), TotalLost: uint32(lost) & 0xffffff,
			LastSequenceNumber: s.rs.extendedMax(), Jitter: s.rs.jitterTicks(), LastSenderReport: s.lsr, Delay: dlsr,
		}}
	}
	var first rtcp.Packet
	if s.stats.PacketsSent > 0 {
		now := time.Now()
		first = &rtcp.SenderReport{SSRC: s.ssrc, NTPTime: ntpTime(now), RTPTime: s.ts,
			PacketCount: uint32(s.stats.PacketsSent), OctetCount: uint32(s.stats.BytesSent), Reports: blocks}
	} else {
		first = &rtcp.ReceiverReport{SSRC: s.ssrc, Reports: blocks}
	}
	pkts := []rtcp.Packet{first, rtcp.NewCNAMESourceDescription(s.ssrc, s.cname)}
	if bye {
		pkts = append(pkts, &rtcp.Goodbye{Sources: []uint32{s.ssrc}})
	}
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		return nil
	}
	if s.srtpOut != nil {
		if b, err = s.srtpOut.EncryptRTCP(nil, b, nil); err != nil {
			return nil
		}
	}
	return b
}

// ntpTime is t as a 64-bit NTP timestamp.
func ntpTime(t time.Time) uint64 {
	const ntpEpochOffset = 2208988800 // seconds from 1900 to 1970
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return secs<<32 | frac
}

// receiveRTCP takes the peer's sender reports (for our round-trip time
// estimate, RFC 3550 §6.4.1) and its reception reports about us.
func (s *Stream) receiveRTCP(b []byte, from netip.AddrPort, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.configured || s.closed {
		return
	}
	if s.latchedRTCP.IsValid() && from != s.latchedRTCP {
		s.stats.Strangers++
		return
	}
	if s.srtpIn != nil {
		var err error
		if b, err = s.srtpIn.DecryptRTCP(nil, b, nil); err != nil {
			s.stats.InvalidRTCP++
			return
		}
	}
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		s.stats.InvalidRTCP++
		return
	}
	if !s.latchedRTCP.IsValid() {
		s.latchedRTCP, s.sendRTCPTo = from, from
	}
	for _, p := range pkts {
		var blocks []rtcp.ReceptionReport
		switch p := p.(type) {
		case *rtcp.SenderReport:
			s.lsr, s.lsrAt = uint32(p.NTPTime>>16), now
			blocks = p.Reports
		case *rtcp.ReceiverReport:
			blocks = p.Reports
		}
		for _, r := range blocks {
			if r.SSRC != s.ssrc {
				continue
			}
			s.stats.RemoteFractionLost = float64(r.FractionLost) / 256
			if r.LastSenderReport != 0 {
				// RTT = arrival - LSR - DLSR, in 1/65536 s (RFC 3550 §6.4.1).
				a := uint32(ntpTime(now) >> 16)
				if rtt := int32(a - r.LastSenderReport - r.Delay); rtt >= 0 {
					s.stats.RTT = time.Duration(rtt) * time.Second / 65536
				}
			}
		}
	}
}
