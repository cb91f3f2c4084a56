package jitter

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// pkt is a packet of a scenario: sent as frame k (seq = seq0+k, ts =
// ts0+160k unless ts is set), arriving at ms.
type pkt struct {
	k      int
	ms     float64
	ts     int64 // if not 0: the timestamp offset from ts0 instead of 160k
	marker bool
	size   int // payload bytes; 0: 10, -1: none
}

// run pushes the packets and pops a frame every 20 ms from 5 ms on, for
// pops frames; it returns the kinds as a string (S, P, C), the frames
// played as offsets from seq0, and the buffer.
func run(t *testing.T, cfg Config, seq0 uint16, ts0 uint32, pkts []pkt, pops int) (string, []int, *Buffer) {
	t.Helper()
	b := New(cfg)
	var kinds strings.Builder
	var played []int
	i := 0
	payload := make([]byte, 1000)
	for n := 0; n < pops; n++ {
		now := 5 + 20*float64(n)
		for ; i < len(pkts) && pkts[i].ms <= now; i++ {
			p := pkts[i]
			ts := ts0 + uint32(160*p.k)
			if p.ts != 0 {
				ts = ts0 + uint32(p.ts)
			}
			size := p.size
			if size == 0 {
				size = 10
			}
			pl := payload[:max(size, 0)]
			if len(pl) > 0 {
				pl[0] = byte(p.k)
			}
			b.Push(seq0+uint16(p.k), ts, p.marker, pl, ms(p.ms))
		}
		f := b.Pop(ms(now))
		kinds.WriteString(map[Kind]string{Silence: "S", Play: "P", Conceal: "C"}[f.Kind])
		if f.Kind == Play {
			played = append(played, int(f.Seq-seq0))
			if len(f.Payload) > 0 && f.Payload[0] != byte(f.Seq-seq0) {
				t.Fatalf("frame %d: payload of packet %d is not its own", n, f.Seq-seq0)
			}
		}
		checkStats(t, b)
	}
	return kinds.String(), played, b
}

// epoch is the time the tests start at.
var epoch = time.Unix(1_700_000_000, 0)

// checkStats checks the counters' invariant.
func checkStats(t *testing.T, b *Buffer) {
	t.Helper()
	s := b.Stats()
	if s.Buffered < 0 || s.Received != s.Played+s.Late+s.Duplicate+s.Dropped+uint64(s.Buffered) {
		t.Fatalf("counters do not add up: %+v", s)
	}
}

func ms(v float64) time.Time { return epoch.Add(time.Duration(v * float64(time.Millisecond))) }

// stream makes packets 0..n-1 sent every 20 ms, arriving after delay ms.
func stream(n int, delay float64) []pkt {
	p := make([]pkt, n)
	for k := range p {
		p[k] = pkt{k: k, ms: 20*float64(k) + delay, marker: k == 0}
	}
	return p
}

// without returns p without the packets of frames ks.
func without(p []pkt, ks ...int) []pkt {
	var q []pkt
	for _, x := range p {
		skip := false
		for _, k := range ks {
			skip = skip || x.k == k
		}
		if !skip {
			q = append(q, x)
		}
	}
	return q
}

func seqs(from, to int) []int {
	var s []int
	for k := from; k <= to; k++ {
		s = append(s, k)
	}
	return s
}

func TestBuffer(t *testing.T) {
	tests := []struct {
		name   string
		seq0   uint16
		ts0    uint32
		pkts   []pkt
		pops   int
		kinds  string // expected, or "" not to check
		played []int  // expected, or nil not to check
		stats  Stats  // counters checked (Received, Played, Lost, Late, Duplicate, Dropped, Concealed, Resyncs)
	}{
		{
			name: "in order", pkts: stream(10, 1), pops: 12,
			kinds: "SPPPPPPPPPPC", played: seqs(0, 9),
			stats: Stats{Received: 10, Played: 10, Concealed: 1},
		},
		{
			name: "reordered start", pkts: []pkt{{k: 1, ms: 1}, {k: 0, ms: 2}, {k: 2, ms: 41}, {k: 3, ms: 61}}, pops: 6,
			kinds: "SPPPPC", played: seqs(0, 3),
			stats: Stats{Received: 4, Played: 4, Concealed: 1},
		},
		{
			name: "reordered", pkts: append(stream(3, 1), pkt{k: 4, ms: 62}, pkt{k: 3, ms: 70}, pkt{k: 5, ms: 101}), pops: 8,
			kinds: "SPPPPPPC", played: seqs(0, 5),
			stats: Stats{Received: 6, Played: 6, Concealed: 1},
		},
		{
			name: "duplicates", pkts: append(stream(4, 1), pkt{k: 2, ms: 42}, pkt{k: 0, ms: 70}), pops: 6,
			kinds: "SPPPPC", played: seqs(0, 3),
			stats: Stats{Received: 6, Played: 4, Duplicate: 2, Concealed: 1},
		},
		{
			name: "loss", pkts: without(stream(8, 1), 3), pops: 10,
			kinds: "SPPPCPPPPC", played: []int{0, 1, 2, 4, 5, 6, 7},
			stats: Stats{Received: 7, Played: 7, Lost: 1, Concealed: 2},
		},
		{
			name: "late", pkts: append(without(stream(8, 1), 3), pkt{k: 3, ms: 90}), pops: 10,
			kinds: "SPPPCPPCPP", played: []int{0, 1, 2, 4, 5, 6, 7},
			stats: Stats{Received: 8, Played: 7, Late: 1, Concealed: 2},
		},
		{
			name: "wrap", seq0: 65533, ts0: 4294967000, pkts: stream(8, 1), pops: 10,
			kinds: "SPPPPPPPPC", played: seqs(0, 7),
			stats: Stats{Received: 8, Played: 8, Concealed: 1},
		},
		{
			name: "oversize", pkts: []pkt{{k: 0, ms: 1}, {k: 1, ms: 21, size: 641}, {k: 2, ms: 41}}, pops: 5,
			kinds: "SPCPC", played: []int{0, 2},
			stats: Stats{Received: 3, Played: 2, Lost: 1, Dropped: 1, Concealed: 2},
		},
		{
			name: "empty payload", pkts: []pkt{{k: 0, ms: 1, size: -1}}, pops: 1,
			kinds: "S", stats: Stats{Received: 1},
		},
		{
			name: "lone jump is noise",
			pkts: append(stream(6, 1)[:3], pkt{k: 20000, ms: 45}, pkt{k: 3, ms: 61}, pkt{k: 4, ms: 81}, pkt{k: 5, ms: 101}),
			pops: 8, kinds: "SPPPPPPC", played: seqs(0, 5),
			stats: Stats{Received: 7, Played: 6, Dropped: 1, Concealed: 1},
		},
		{
			name: "restart",
			pkts: append(stream(4, 1), pkt{k: 30000, ts: 900000, ms: 81, marker: true}, pkt{k: 30001, ts: 900160, ms: 101},
				pkt{k: 30002, ts: 900320, ms: 121}, pkt{k: 30003, ts: 900480, ms: 141}),
			pops: 10, kinds: "SPPPPPPPPC", played: []int{0, 1, 2, 3, 30000, 30001, 30002, 30003},
			stats: Stats{Received: 8, Played: 8, Resyncs: 1, Concealed: 1},
		},
		{
			name: "restart by timestamp only",
			pkts: append(stream(4, 1), pkt{k: 4, ts: 1 << 30, ms: 81}, pkt{k: 5, ts: 1<<30 + 160, ms: 101}),
			pops: 8, kinds: "SPPPPPPC", played: []int{0, 1, 2, 3, 4, 5},
			stats: Stats{Received: 6, Played: 6, Resyncs: 1, Concealed: 1},
		},
		{
			// A pause in sending: sequence numbers go on, the timestamp
			// jumps by 200 ms, the marker bit starts the talkspurt.
			name: "talkspurts",
			pkts: append(stream(3, 1), pkt{k: 3, ts: 160 * 13, ms: 261, marker: true}, pkt{k: 4, ts: 160 * 14, ms: 281}),
			pops: 17, kinds: "SPPPCCCCCCCCCSPPC", played: seqs(0, 4),
			stats: Stats{Received: 5, Played: 5, Concealed: 10},
		},
		{
			// Packet 3 comes 50 ms late into an underrun: it is played,
			// and the delay grows by what was concealed.
			name: "rescued",
			pkts: append(without(stream(8, 1), 3, 4, 5, 6, 7), pkt{k: 3, ms: 111}, pkt{k: 4, ms: 112}, pkt{k: 5, ms: 113},
				pkt{k: 6, ms: 121}, pkt{k: 7, ms: 141}),
			pops: 12, kinds: "SPPPCCPPPPPC", played: seqs(0, 7),
			stats: Stats{Received: 8, Played: 8, Concealed: 3},
		},
		{
			name: "stream stops", pkts: stream(3, 1), pops: 40,
			kinds: "SPPP" + strings.Repeat("C", 15) + strings.Repeat("S", 21), played: seqs(0, 2),
			stats: Stats{Received: 3, Played: 3, Concealed: 15},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kinds, played, b := run(t, Config{}, tt.seq0, tt.ts0, tt.pkts, tt.pops)
			s := b.Stats()
			t.Logf("%s %v %+v", kinds, played, s)
			if tt.kinds != "" && kinds != tt.kinds {
				t.Errorf("frames %s, want %s", kinds, tt.kinds)
			}
			if tt.played != nil && fmt.Sprint(played) != fmt.Sprint(tt.played) {
				t.Errorf("played %v, want %v", played, tt.played)
			}
			w := tt.stats
			if s.Received != w.Received || s.Played != w.Played || s.Lost != w.Lost || s.Late != w.Late ||
				s.Duplicate != w.Duplicate || s.Dropped != w.Dropped || s.Concealed != w.Concealed || s.Resyncs != w.Resyncs {
				t.Errorf("stats %+v, want %+v", s, w)
			}
		})
	}
}

// TestPayloadOwned checks that a frame's payload survives later pushes
// that reuse its slot.
func TestPayloadOwned(t *testing.T) {
	b := New(Config{Slots: 8})
	p := make([]byte, 4)
	for k := 0; k < 3; k++ {
		p[0] = byte(k)
		b.Push(uint16(k), uint32(160*k), false, p, ms(float64(20*k)))
	}
	var f Frame
	for n := 0; f.Kind != Play; n++ {
		f = b.Pop(ms(float64(5 + 20*n)))
	}
	if f.Seq != 0 || f.Payload[0] != 0 {
		t.Fatalf("first frame %+v", f)
	}
	for k := 3; k < 12; k++ { // slot 0 is reused by packet 8
		p[0] = byte(k)
		b.Push(uint16(k), uint32(160*k), false, p, ms(60))
	}
	if f.Payload[0] != 0 {
		t.Fatalf("payload of packet 0 overwritten by a push: %v", f.Payload)
	}
}

// TestReset checks that Reset forgets the stream and the counters.
func TestReset(t *testing.T) {
	_, _, b := run(t, Config{}, 100, 1000, stream(20, 1), 15)
	b.Reset()
	if s := b.Stats(); s != (Stats{Target: 20 * time.Millisecond}) {
		t.Fatalf("after Reset: %+v", s)
	}
	if f := b.Pop(ms(1000)); f.Kind != Silence {
		t.Fatalf("after Reset: %+v", f)
	}
	// A new stream, unrelated to the old one, starts at once.
	b.Push(5, 7, true, []byte{1}, ms(2000))
	b.Push(6, 167, false, []byte{2}, ms(2020))
	if f := b.Pop(ms(2025)); f.Kind != Play || f.Seq != 5 {
		t.Fatalf("new stream after Reset: %+v %+v", f, b.Stats())
	}
}

// TestConfig checks the defaults and the limits of a Config.
func TestConfig(t *testing.T) {
	for _, tt := range []struct {
		in, want Config
	}{
		{Config{}, Config{FrameTicks: 160, FrameDuration: 20 * time.Millisecond, MinDelay: 20 * time.Millisecond,
			MaxDelay: 300 * time.Millisecond, Slots: 64, MaxPayload: 640}},
		{Config{FrameTicks: 320, FrameDuration: 10 * time.Millisecond, MinDelay: time.Second, MaxDelay: time.Millisecond,
			Slots: 3, MaxPayload: 1 << 20},
			Config{FrameTicks: 320, FrameDuration: 10 * time.Millisecond, MinDelay: 40 * time.Millisecond,
				MaxDelay: 40 * time.Millisecond, Slots: 8, MaxPayload: 65536}},
		{Config{Slots: 10}, Config{FrameTicks: 160, FrameDuration: 20 * time.Millisecond, MinDelay: 20 * time.Millisecond,
			MaxDelay: 120 * time.Millisecond, Slots: 10, MaxPayload: 640}},
	} {
		if got := New(tt.in).cfg; got != tt.want {
			t.Errorf("New(%+v): %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

// TestOddTimes feeds arrival and playout times that jump around.
func TestOddTimes(t *testing.T) {
	b := New(Config{})
	b.Pop(ms(0)) // before any packet
	p := []byte{1, 2, 3}
	times := []float64{0, 20, 10, -5000, 1e9, 1e9 + 20, 40, 1e12, 60, 80}
	for k, at := range times {
		b.Push(uint16(k), uint32(160*k), false, p, ms(at))
		for _, now := range []float64{at, at - 1e6, at + 1e6, 0} {
			f := b.Pop(ms(now))
			if f.Kind == Play && len(f.Payload) != 3 {
				t.Fatalf("frame %+v", f)
			}
			checkStats(t, b)
		}
	}
	b.Pop(epoch.Add(1<<62 - 1))
	b.Push(99, 0, false, p, epoch.Add(-1<<62))
	checkStats(t, b)
}

// TestStall freezes the network for a second, then delivers what it held
// in one burst: the packets too late for MaxDelay are discarded as late,
// and the playout resumes at once with the rest, within MaxDelay.
func TestStall(t *testing.T) {
	b := New(Config{})
	p := make([]byte, 160)
	arrival := func(k int) float64 {
		if s := float64(20 * k); s > 5000 && s < 6000 {
			return 6040
		}
		return float64(20*k) + 40
	}
	k := 0
	resumed := -1.0
	for i := 0; i < 1000; i++ {
		now := float64(20*i) + 7
		for arrival(k) <= now {
			b.Push(uint16(k), uint32(160*k), false, p, ms(arrival(k)))
			k++
		}
		f := b.Pop(ms(now))
		if s := b.Stats(); s.Delay > 320*time.Millisecond {
			t.Fatalf("at %.0f ms: delay %v", now, s.Delay)
		}
		if now > 6040 && resumed < 0 && f.Kind == Play {
			resumed = now
		}
		checkStats(t, b)
	}
	s := b.Stats()
	t.Logf("resumed at %.0f ms; %+v", resumed, s)
	if resumed < 0 || resumed > 6100 {
		t.Errorf("resumed at %.0f ms, want right after the burst at 6040 ms", resumed)
	}
	// Of the 50 packets held up, those older than MaxDelay are late.
	if s.Late < 30 || s.Late > 50 || s.Lost != 0 || s.Played+s.Late+s.Dropped+uint64(s.Buffered) != uint64(k) {
		t.Errorf("%+v", s)
	}
}

// TestConcurrent pushes from one goroutine and pops from another, as the
// receive and playback loops do, reading each payload played while the
// pushes go on (run with -race; what plays depends on the scheduling).
func TestConcurrent(t *testing.T) {
	b := New(Config{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		p := make([]byte, 160)
		for k := 0; k < 2000; k++ {
			b.Push(uint16(k), uint32(160*k), k == 0, p, ms(float64(20*k)))
		}
	}()
	sum := 0
	for i := 0; i < 2000; i++ {
		if f := b.Pop(ms(float64(20*i + 30))); f.Kind == Play {
			for _, c := range f.Payload {
				sum += int(c)
			}
		}
	}
	<-done
	checkStats(t, b)
	t.Logf("%d payload bytes read while pushing", sum)
}
