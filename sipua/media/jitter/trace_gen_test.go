package jitter

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// The packet traces in testdata, and the network model that makes them.
//
// A trace is CSV, one packet per line in the order sent:
//
//	seq,ts,send_ms,arrival_ms,marker
//
// seq and ts are the RTP sequence number and timestamp, send_ms and
// arrival_ms the sender's and the receiver's clocks in milliseconds (to the
// microsecond), arrival_ms is "lost" for a packet that never arrives, and
// marker is 1 on the first packet of a talkspurt. A packet listed twice
// arrived twice. Lines starting with # are comments.
//
// The model is integer-only (a splitmix64 generator, times in
// microseconds), so a seed gives the same trace on every machine. Each
// packet's one-way delay is base + j + r: j the jitter, within ±J, either
// independent uniform draws or an AR(1) process (j = ρ·j' + a uniform
// innovation, clipped to ±J); r the reordering, with probability p a further
// 20–60 ms that lets the next packets overtake it. Loss is Gilbert–Elliott:
// a good and a bad state, switching with probabilities pGB and pBG per
// packet, losing with lossG and lossB. Probabilities are in parts per
// million.
//
// Regenerate the files (and check them, without -update) with
//
//	go test ./sipua/media/jitter -run TestTraceFiles -update

var update = flag.Bool("update", false, "rewrite the trace files in testdata")

type row struct {
	seq    uint16
	ts     uint32
	send   int64 // µs
	arr    int64 // µs; -1: lost
	marker bool
}

type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// chance is true with probability ppm/10⁶.
func (r *rng) chance(ppm uint64) bool { return r.next()%1_000_000 < ppm }

// in returns a uniform integer in [lo, hi].
func (r *rng) in(lo, hi int64) int64 { return lo + int64(r.next()%uint64(hi-lo+1)) }

// netModel is the seeded network between a sender of 20 ms packets and us.
type netModel struct {
	seed         uint64
	packets      int
	seq0         uint16
	ts0          uint32
	baseUs       int64  // delay floor
	jitterUs     int64  // J: the jitter stays within ±J
	rho          int64  // AR(1) correlation ×256; 0: independent uniform draws
	pGB, pBG     uint64 // Gilbert–Elliott transitions, ppm per packet
	lossG, lossB uint64 // loss in the good and the bad state, ppm
	reorder      uint64 // ppm of packets delayed a further 20–60 ms
}

func (m netModel) String() string {
	return fmt.Sprintf("seed=%d packets=%d seq0=%d ts0=%d base=%dus J=%dus rho=%d/256 "+
		"GE: pGB=%dppm pBG=%dppm lossG=%dppm lossB=%dppm reorder=%dppm",
		m.seed, m.packets, m.seq0, m.ts0, m.baseUs, m.jitterUs, m.rho,
		m.pGB, m.pBG, m.lossG, m.lossB, m.reorder)
}

func (m netModel) rows() []row {
	r := rng{m.seed}
	rows := make([]row, 0, m.packets)
	var j int64
	bad := false
	for k := 0; k < m.packets; k++ {
		if m.rho == 0 {
			j = r.in(-m.jitterUs, m.jitterUs)
		} else {
			j = m.rho*j/256 + r.in(-m.jitterUs/2, m.jitterUs/2)
			j = min(max(j, -m.jitterUs), m.jitterUs)
		}
		if bad {
			bad = !r.chance(m.pBG)
		} else {
			bad = r.chance(m.pGB)
		}
		loss := m.lossG
		if bad {
			loss = m.lossB
		}
		send := int64(k) * 20000
		x := row{seq: m.seq0 + uint16(k), ts: m.ts0 + uint32(k)*160, send: send, marker: k == 0}
		if r.chance(loss) {
			x.arr = -1
		} else {
			x.arr = send + m.baseUs + j
			if r.chance(m.reorder) {
				x.arr += r.in(20000, 60000)
			}
		}
		rows = append(rows, x)
	}
	return rows
}

// pathological is the hand-made trace: 5 s of calm audio across a sequence
// number and timestamp wrap, a 2 s gap (100 packets lost), 5 s in which one
// second of packets arrives four times each (a duplicate storm: copies 3,
// 11 and 29 ms after the original) and one packet arrives 1 s late, then
// the sender restarts with a new sequence number and timestamp and sends
// 5 s more. Expected: 100 lost, 150 duplicates, 1 late, 1 re-sync.
func pathological() []row {
	var rows []row
	// A small fixed wobble, -10..+10 ms.
	wobble := func(k int) int64 { return int64(k*7919%21-10) * 1000 }
	seq, ts := uint16(65400), uint32(4294960000)
	send := int64(0)
	emit := func(k int, lost bool, late int64, marker bool) {
		x := row{seq: seq, ts: ts, send: send, marker: marker}
		if lost {
			x.arr = -1
		} else {
			x.arr = send + 40000 + wobble(k) + late
		}
		rows = append(rows, x)
		seq++
		ts += 160
		send += 20000
	}
	for k := 0; k < 250; k++ {
		emit(k, false, 0, k == 0)
	}
	for k := 0; k < 100; k++ {
		emit(k, true, 0, false)
	}
	for k := 0; k < 250; k++ {
		late := int64(0)
		if k == 150 {
			late = 1_000_000
		}
		emit(k, false, late, false)
		if k >= 50 && k < 100 {
			x := rows[len(rows)-1]
			for _, d := range []int64{3000, 11000, 29000} {
				y := x
				y.arr += d
				rows = append(rows, y)
			}
		}
	}
	seq, ts = 1234, 987654321
	for k := 0; k < 250; k++ {
		emit(k, false, 0, k == 0)
	}
	return rows
}

// talkspurts is a sender with voice activity detection: talkspurts of
// 0.6–3 s, pauses of 0.3–2 s in which it sends nothing (sequence numbers
// go on, timestamps jump), the marker bit on each talkspurt's first packet;
// the network adds ±30 ms of AR(1) jitter and loses 2 % of the packets.
func talkspurts() []row {
	r := rng{7}
	var rows []row
	seq, ts := uint16(20000), uint32(100000)
	t := int64(0)
	var j int64
	for t < 60_000_000 {
		n := int(r.in(30, 150))
		for k := 0; k < n; k++ {
			j = 230*j/256 + r.in(-15000, 15000)
			j = min(max(j, -30000), 30000)
			x := row{seq: seq, ts: ts, send: t, marker: k == 0, arr: t + 50000 + j}
			if r.chance(20000) {
				x.arr = -1
			}
			rows = append(rows, x)
			seq++
			ts += 160
			t += 20000
		}
		pause := r.in(15, 100) * 20000
		t += pause
		ts += uint32(pause / 125) // 8000 Hz
	}
	return rows
}

// traceFiles are the traces in testdata, by file name: made by the model,
// or by a hand-made function.
var traceFiles = []struct {
	name    string
	comment string
	model   netModel
	hand    func() []row
}{
	{name: "light.csv", comment: "light: jitter ±20 ms (AR(1)), no loss, no reordering; seq and ts wrap",
		model: netModel{seed: 1, packets: 3000, seq0: 65000, ts0: 4294900000, baseUs: 40000, jitterUs: 20000, rho: 230}},
	{name: "moderate.csv", comment: "moderate: jitter ±40 ms (AR(1)), about 10 % bursty loss, 1 % reordered",
		model: netModel{seed: 2, packets: 3000, seq0: 1, ts0: 0, baseUs: 60000, jitterUs: 40000, rho: 200,
			pGB: 67500, pBG: 300000, lossG: 10000, lossB: 500000, reorder: 10000}},
	{name: "harsh.csv", comment: "harsh: independent jitter ±60 ms, about 30 % bursty loss, 3 % reordered",
		model: netModel{seed: 3, packets: 3000, seq0: 40000, ts0: 123456789, baseUs: 80000, jitterUs: 60000,
			pGB: 155000, pBG: 250000, lossG: 20000, lossB: 750000, reorder: 30000}},
	{name: "pathological.csv", comment: "pathological: 2 s gap, duplicate storm, a packet 1 s late, sender restart", hand: pathological},
	{name: "talkspurts.csv", comment: "talkspurts: pauses in sending (VAD), marker bits, ±30 ms jitter, 2 % loss", hand: talkspurts},
}

// traceOf makes trace i and its description.
func traceOf(i int) (rows []row, model string) {
	tf := traceFiles[i]
	if tf.hand != nil {
		return tf.hand(), "hand-made, see trace_gen_test.go"
	}
	return tf.model.rows(), tf.model.String()
}

func formatTrace(comment, model string, rows []row) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n# model: %s\n# generated by trace_gen_test.go: go test ./sipua/media/jitter -run TestTraceFiles -update\n", comment, model)
	b.WriteString("seq,ts,send_ms,arrival_ms,marker\n")
	ms := func(us int64) string { return fmt.Sprintf("%d.%03d", us/1000, us%1000) }
	for _, x := range rows {
		arr := "lost"
		if x.arr >= 0 {
			arr = ms(x.arr)
		}
		m := 0
		if x.marker {
			m = 1
		}
		fmt.Fprintf(&b, "%d,%d,%s,%s,%d\n", x.seq, x.ts, ms(x.send), arr, m)
	}
	return b.Bytes()
}

// TestTraceFiles checks that the trace files are what the model makes, and
// rewrites them with -update.
func TestTraceFiles(t *testing.T) {
	for i, tf := range traceFiles {
		rows, model := traceOf(i)
		want := formatTrace(tf.comment, model, rows)
		path := filepath.Join("testdata", tf.name)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to make it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the model makes; run with -update", path)
		}
		// Round trip through the parser.
		rows, err = parseTrace(got)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !bytes.Equal(formatTrace(tf.comment, model, rows), want) {
			t.Errorf("%s: parse and format do not round-trip", path)
		}
	}
}
