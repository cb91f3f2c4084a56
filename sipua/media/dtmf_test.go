package media

import (
	"testing"
	"time"
)

func event(key byte, end bool, duration uint16) []byte {
	return appendEvent(nil, eventCode(key), end, 10, duration)
}

// TestDTMFReceiver: each key is reported once, whatever the repeats, the
// three end packets, a late packet or a key held past the 16-bit duration.
func TestDTMFReceiver(t *testing.T) {
	type pkt struct {
		ts      uint32
		payload []byte
	}
	var held []pkt
	for d := uint16(160); d < 65000; d += 16000 { // a key held 8 s and more
		held = append(held, pkt{1000, event('5', false, d)})
	}
	held = append(held, pkt{1000, event('5', false, 0xffff)},
		pkt{1000 + 0xffff, event('5', false, 160)}, // the continuation segment
		pkt{1000 + 0xffff, event('5', true, 2000)}, pkt{1000 + 0xffff, event('5', true, 2000)})
	for _, tc := range []struct {
		name string
		pkts []pkt
		want string
	}{
		{"one key", []pkt{{100, event('1', false, 160)}, {100, event('1', false, 320)}, {100, event('1', true, 800)},
			{100, event('1', true, 800)}, {100, event('1', true, 800)}}, "1"},
		{"two keys", []pkt{{100, event('1', true, 800)}, {2000, event('#', false, 160)}, {2000, event('#', true, 800)}}, "1#"},
		{"same key twice", []pkt{{100, event('7', true, 800)}, {2000, event('7', false, 160)}}, "77"},
		{"late packet of the first key", []pkt{{100, event('1', false, 160)}, {2000, event('2', false, 160)}, {100, event('1', true, 800)}}, "12"},
		{"held past the duration field", held, "5"},
		{"star and letters", []pkt{{1, event('*', false, 1)}, {2, event('a', false, 1)}, {3, event('D', false, 1)}}, "*AD"},
		{"garbage", []pkt{{1, []byte{200, 0, 0, 1}}, {2, []byte{1, 2}}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r dtmfReceiver
			got := ""
			for _, p := range tc.pkts {
				if k := r.receive(p.ts, p.payload); k != 0 {
					got += string(k)
				}
			}
			if got != tc.want {
				t.Errorf("keys %q, want %q", got, tc.want)
			}
		})
	}
}

// TestRecvStats: sequence wrap-around, loss and a restart of the source.
func TestRecvStats(t *testing.T) {
	var r recvStats
	r.reset(8000)
	now := time.Unix(1000, 0)
	seq, ts := uint16(65530), uint32(0)
	for i := range 20 {
		if i == 7 || i == 8 {
			seq, ts = seq+1, ts+160 // lost
			continue
		}
		r.update(seq, ts, now.Add(time.Duration(i)*20*time.Millisecond))
		seq, ts = seq+1, ts+160
	}
	if r.expected() != 20 || r.lost() != 2 || r.extendedMax() != 1<<16+65530+19-65536 {
		t.Errorf("expected %d, lost %d, max %d", r.expected(), r.lost(), r.extendedMax())
	}
	if f := r.fractionLost(); f != 2*256/20 {
		t.Errorf("fraction lost %d/256", f)
	}
	if r.jitter != 0 {
		t.Errorf("jitter %v for evenly spaced packets", r.jitter)
	}
	// A jump is believed only when the next packet follows it.
	if r.update(30000, 0, now) {
		t.Error("a jump of 30000 was taken at once")
	}
	if !r.update(30001, 160, now) || r.expected() != 1 {
		t.Errorf("restart: expected %d, want a new count", r.expected())
	}
}
