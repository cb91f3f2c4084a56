package jitter

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// parseTrace reads a trace file (see trace_gen_test.go for the format).
func parseTrace(data []byte) ([]row, error) {
	var rows []row
	sc := bufio.NewScanner(bytes.NewReader(data))
	header := false
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		if !header {
			header = true
			if strings.HasPrefix(s, "seq,") {
				continue
			}
		}
		f := strings.Split(s, ",")
		if len(f) != 4 && len(f) != 5 {
			return nil, fmt.Errorf("line %d: %d fields, want 4 or 5", line, len(f))
		}
		seq, err1 := strconv.ParseUint(f[0], 10, 16)
		ts, err2 := strconv.ParseUint(f[1], 10, 32)
		send, err3 := parseMs(f[2])
		var arr int64 = -1
		var err4 error
		if f[3] != "lost" {
			arr, err4 = parseMs(f[3])
		}
		marker := len(f) == 5 && f[4] == "1"
		for _, err := range []error{err1, err2, err3, err4} {
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", line, err)
			}
		}
		rows = append(rows, row{seq: uint16(seq), ts: uint32(ts), send: send, arr: arr, marker: marker})
	}
	return rows, sc.Err()
}

// parseMs reads milliseconds with up to three decimals, to µs.
func parseMs(s string) (int64, error) {
	ip, fp, _ := strings.Cut(s, ".")
	i, err := strconv.ParseInt(ip, 10, 64)
	if err != nil || len(fp) > 3 {
		return 0, fmt.Errorf("bad time %q", s)
	}
	f := int64(0)
	if fp != "" {
		fp += strings.Repeat("0", 3-len(fp))
		if f, err = strconv.ParseInt(fp, 10, 64); err != nil {
			return 0, fmt.Errorf("bad time %q", s)
		}
	}
	return i*1000 + f, nil
}

func at(us int64) time.Time { return epoch.Add(time.Duration(us) * time.Microsecond) }

// payloadFor makes a packet's payload: its timestamp and sequence number,
// then filler up to 160 bytes (a 20 ms G.711 frame).
func payloadFor(dst []byte, seq uint16, ts uint32) []byte {
	p := dst[:160]
	binary.BigEndian.PutUint32(p, ts)
	binary.BigEndian.PutUint16(p[4:], seq)
	for i := 6; i < len(p); i++ {
		p[i] = byte(seq) ^ byte(i)
	}
	return p
}

// replayed is what a replay observed.
type replayed struct {
	kinds      []Kind  // per Pop, from the first Play on
	popAt      []int64 // µs
	stats      Stats
	minDelay   time.Duration // Stats.Delay while playing
	maxDelay   time.Duration
	maxWait    time.Duration // longest wait of a packet played
	meanTarget time.Duration
	maxTarget  time.Duration
	played     map[[2]uint32]bool // (seq, ts)
}

// replay pushes a trace's packets at their arrival times and pops a frame
// every 20 ms, checking each frame played against its packet.
func replay(t *testing.T, rows []row, cfg Config) replayed {
	t.Helper()
	type ev struct {
		arr int64
		i   int
	}
	var evs []ev
	first := map[[2]uint32]int64{} // (seq, ts) -> first arrival
	var last int64
	for i, x := range rows {
		if x.arr < 0 {
			continue
		}
		evs = append(evs, ev{x.arr, i})
		k := [2]uint32{uint32(x.seq), x.ts}
		if a, ok := first[k]; !ok || x.arr < a {
			first[k] = x.arr
		}
		last = max(last, x.arr)
	}
	slices.SortStableFunc(evs, func(a, b ev) int { return int(a.arr - b.arr) })
	b := New(cfg)
	var r replayed
	buf := make([]byte, 160)
	played := map[[2]uint32]bool{}
	r.played = played
	e := 0
	var sumTarget time.Duration
	nTarget := 0
	started := false
	for pop := evs[0].arr/20000*20000 + 7300; pop < last+2_000_000; pop += 20000 {
		for ; e < len(evs) && evs[e].arr <= pop; e++ {
			x := rows[evs[e].i]
			b.Push(x.seq, x.ts, x.marker, payloadFor(buf, x.seq, x.ts), at(x.arr))
		}
		f := b.Pop(at(pop))
		if f.Kind == Play {
			started = true
			k := [2]uint32{uint32(f.Seq), f.TS}
			if played[k] {
				t.Fatalf("at %d µs: packet seq %d ts %d played twice", pop, f.Seq, f.TS)
			}
			played[k] = true
			if !bytes.Equal(f.Payload, payloadFor(buf, f.Seq, f.TS)) {
				t.Fatalf("at %d µs: payload of seq %d is not its own", pop, f.Seq)
			}
			w := time.Duration(pop-first[k]) * time.Microsecond
			r.maxWait = max(r.maxWait, w)
		}
		if !started {
			continue
		}
		r.kinds = append(r.kinds, f.Kind)
		r.popAt = append(r.popAt, pop)
		if b.running {
			s := b.Stats()
			if r.minDelay == 0 && r.maxDelay == 0 {
				r.minDelay = s.Delay
			}
			r.minDelay = min(r.minDelay, s.Delay)
			r.maxDelay = max(r.maxDelay, s.Delay)
			r.maxTarget = max(r.maxTarget, s.Target)
			sumTarget += s.Target
			nTarget++
		}
		checkStats(t, b)
	}
	r.stats = b.Stats()
	if nTarget > 0 {
		r.meanTarget = sumTarget / time.Duration(nTarget)
	}
	// Drop the tail after the last frame played.
	for len(r.kinds) > 0 && r.kinds[len(r.kinds)-1] != Play {
		r.kinds = r.kinds[:len(r.kinds)-1]
		r.popAt = r.popAt[:len(r.popAt)-1]
	}
	return r
}

// expected are the counters a trace fixes.
type expected struct {
	lost, dup int
	segments  int // streams (a restart starts one)
}

// expect counts, per stream, the packets lost between the first and last
// packet played, and the copies.
func expect(rows []row, played map[[2]uint32]bool) expected {
	var x expected
	seen := map[[2]uint32]bool{}
	start := 0
	for i := 1; i <= len(rows); i++ {
		if i < len(rows) && (rows[i].seq == rows[i-1].seq || rows[i].seq == rows[i-1].seq+1) {
			continue
		}
		// rows[start:i] is one stream, in sequence order.
		x.segments++
		seg := rows[start:i]
		lo, hi := -1, -1
		for j, r := range seg {
			if r.arr >= 0 && played[[2]uint32{uint32(r.seq), r.ts}] {
				if lo < 0 {
					lo = j
				}
				hi = j
			}
		}
		for j := lo + 1; lo >= 0 && j < hi; j++ {
			if seg[j].arr < 0 {
				x.lost++
			}
		}
		for _, r := range seg {
			if r.arr < 0 {
				continue
			}
			k := [2]uint32{uint32(r.seq), r.ts}
			if seen[k] {
				x.dup++
			}
			seen[k] = true
		}
		start = i
	}
	return x
}

// silenceAllowed returns the spans, in µs, in which Silence may interrupt
// the playout: pauses in sending, sender restarts, and runs of at least 10
// packets lost; each from the send time of the packet before to the send
// time after plus slack for the network and the buffer.
func silenceAllowed(rows []row, slack int64) [][2]int64 {
	var spans [][2]int64
	run := 0
	for i := 1; i < len(rows); i++ {
		p, x := rows[i-1], rows[i]
		if x.seq != p.seq+1 && x.seq != p.seq || x.ts-p.ts > 160 {
			spans = append(spans, [2]int64{p.send, x.send + slack})
		}
		if x.arr < 0 {
			run++
			continue
		}
		if run >= 10 {
			spans = append(spans, [2]int64{rows[i-run-1].send, x.send + slack})
		}
		run = 0
	}
	return spans
}

func TestTraces(t *testing.T) {
	tests := []struct {
		file           string
		late           int     // exact, or -1
		maxLateShare   float64 // of the packets received
		resyncs        int
		maxDropped     int
		minTarget      time.Duration // the mean target must be within these
		maxTarget      time.Duration
		maxSilenceWins int // 1 s windows not fully played or concealed, outside the allowed spans
	}{
		{file: "light.csv", late: -1, maxLateShare: 0.005, maxDropped: 10, minTarget: 20 * time.Millisecond, maxTarget: 80 * time.Millisecond},
		{file: "moderate.csv", late: -1, maxLateShare: 0.01, maxDropped: 15, minTarget: 40 * time.Millisecond, maxTarget: 200 * time.Millisecond},
		{file: "harsh.csv", late: -1, maxLateShare: 0.02, maxDropped: 15, minTarget: 100 * time.Millisecond, maxTarget: 300 * time.Millisecond},
		{file: "pathological.csv", late: 1, resyncs: 1, maxDropped: 6, minTarget: 20 * time.Millisecond, maxTarget: 100 * time.Millisecond},
		{file: "talkspurts.csv", late: -1, maxLateShare: 0.01, maxDropped: 5, minTarget: 20 * time.Millisecond, maxTarget: 150 * time.Millisecond},
	}
	cfg := Config{}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".csv"), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			rows, err := parseTrace(data)
			if err != nil {
				t.Fatal(err)
			}
			r := replay(t, rows, cfg)
			s := r.stats
			const maxDelay = 300 * time.Millisecond
			const frame = 20 * time.Millisecond

			// Plays steadily: in every second, 50 frames played or
			// concealed, but where the trace has a pause or a long loss.
			spans := silenceAllowed(rows, int64(maxDelay/time.Microsecond)+200_000)
			bad, excused := 0, 0
			for w := 0; w+50 <= len(r.kinds); w += 50 {
				n := 0
				for _, k := range r.kinds[w : w+50] {
					if k != Silence {
						n++
					}
				}
				if n == 50 {
					continue
				}
				from, to := r.popAt[w], r.popAt[w+49]
				ok := false
				for _, sp := range spans {
					if sp[0] < to && from < sp[1]+400_000 {
						ok = true
					}
				}
				if ok {
					excused++
				} else {
					bad++
					t.Logf("second at %.1f s: %d of 50 frames played or concealed", float64(from)/1e6, n)
				}
			}
			if bad > tt.maxSilenceWins {
				t.Errorf("%d seconds not played steadily", bad)
			}

			// The delay stays within bounds.
			if r.maxDelay > maxDelay+frame || r.maxWait > maxDelay+frame {
				t.Errorf("delay up to %v, a packet waited %v: above MaxDelay %v", r.maxDelay, r.maxWait, maxDelay)
			}
			if r.minDelay < 0 {
				t.Errorf("delay down to %v", r.minDelay)
			}
			if r.meanTarget < tt.minTarget || r.meanTarget > tt.maxTarget {
				t.Errorf("mean target %v, want %v..%v", r.meanTarget, tt.minTarget, tt.maxTarget)
			}

			// The counters the trace fixes.
			x := expect(rows, r.played)
			received := 0
			for _, r := range rows {
				if r.arr >= 0 {
					received++
				}
			}
			if s.Received != uint64(received) {
				t.Errorf("received %d, want %d", s.Received, received)
			}
			if s.Lost != uint64(x.lost) {
				t.Errorf("lost %d, want %d", s.Lost, x.lost)
			}
			if s.Duplicate != uint64(x.dup) {
				t.Errorf("duplicates %d, want %d", s.Duplicate, x.dup)
			}
			if tt.late >= 0 && s.Late != uint64(tt.late) {
				t.Errorf("late %d, want %d", s.Late, tt.late)
			}
			if tt.late < 0 && float64(s.Late) > tt.maxLateShare*float64(received) {
				t.Errorf("late %d of %d, more than %.1f %%", s.Late, received, 100*tt.maxLateShare)
			}
			if s.Resyncs != uint64(tt.resyncs) {
				t.Errorf("re-syncs %d, want %d", s.Resyncs, tt.resyncs)
			}
			if s.Dropped > uint64(tt.maxDropped) {
				t.Errorf("dropped %d, want at most %d", s.Dropped, tt.maxDropped)
			}
			if s.Buffered != 0 {
				t.Errorf("%d packets still held at the end", s.Buffered)
			}
			t.Logf("%d s played steadily, %d s not (%d excused by a pause or a long loss); delay %v..%v, longest wait %v, target mean %v max %v; %+v",
				len(r.kinds)/50-bad-excused, bad+excused, excused, r.minDelay, r.maxDelay, r.maxWait, r.meanTarget, r.maxTarget, s)
		})
	}
}
