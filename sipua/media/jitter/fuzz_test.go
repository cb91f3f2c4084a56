package jitter

import (
	"testing"
	"time"
)

// FuzzBuffer drives a Buffer with a sequence of pushes and pops read from
// the input: it must never panic, and its counters must always add up.
//
// Each operation is a byte and its arguments: a push (7 bytes: sequence
// number and timestamp steps, marker, payload size, arrival step), a pop
// (1 byte: time step), or a jump (a restart-like leap in sequence number
// and timestamp, time going back, a Reset).
func FuzzBuffer(f *testing.F) {
	f.Add([]byte{0, 1, 1, 0, 10, 20, 1, 20, 1, 1, 0, 10, 20, 1, 20, 1, 1, 0, 10, 20, 1, 20})
	f.Add([]byte{0, 1, 1, 1, 10, 20, 0, 1, 200, 9, 0, 99, 5, 1, 3, 0, 2, 1, 200, 1, 7, 0, 1, 30})
	f.Add([]byte{2, 0, 0, 255, 255, 1, 200, 3, 0, 0, 1, 1, 0, 16, 1, 4, 5, 6, 7, 8, 9, 1, 255, 1, 255})
	f.Add([]byte{4, 0, 1, 1, 0, 4, 20, 0, 3, 1, 0, 4, 20, 1, 20, 1, 20, 1, 20, 1, 20, 3, 2, 1, 20})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		cfgs := []Config{
			{},
			{Slots: 8, MaxPayload: 16, MaxDelay: 100 * time.Millisecond},
			{FrameTicks: 80, FrameDuration: 10 * time.Millisecond, MinDelay: 0, MaxDelay: time.Second, Slots: 4096},
			{FrameTicks: 1, FrameDuration: time.Hour, MinDelay: time.Hour, Slots: 9, MaxPayload: 1},
			{Slots: 16, MinDelay: 60 * time.Millisecond, MaxDelay: 60 * time.Millisecond},
		}
		cfg := cfgs[int(in[0])%len(cfgs)]
		in = in[1:]
		b := New(cfg)
		max := b.cfg
		var seq uint16
		var ts uint32
		now := epoch
		arr := epoch
		payload := make([]byte, 300)
		pops := uint64(0)
		arg := func() int {
			if len(in) == 0 {
				return 0
			}
			v := in[0]
			in = in[1:]
			return int(v)
		}
		for len(in) > 0 {
			switch arg() % 4 {
			case 0: // push
				seq += uint16(int8(arg()))
				ts += uint32(int8(arg())) * 40
				marker := arg()&1 == 1
				size := arg()
				arr = arr.Add(time.Duration(int8(arg())) * time.Millisecond)
				b.Push(seq, ts, marker, payload[:size], arr)
			case 1: // pop
				now = now.Add(time.Duration(arg()) * time.Millisecond)
				fr := b.Pop(now)
				pops++
				switch fr.Kind {
				case Play:
					if fr.Payload == nil || len(fr.Payload) > max.MaxPayload {
						t.Fatalf("play frame with payload of %d bytes", len(fr.Payload))
					}
				case Conceal, Silence:
					if fr.Payload != nil {
						t.Fatalf("%v frame with a payload", fr.Kind)
					}
				default:
					t.Fatalf("kind %v", fr.Kind)
				}
			case 2: // jump
				seq += uint16(arg()) << 8
				ts += uint32(arg()) << 24
				arr = arr.Add(-time.Duration(arg()) * 10 * time.Millisecond)
			case 3:
				if arg() == 0 {
					b.Reset()
					pops = 0
				}
			}
			s := b.Stats()
			if s.Buffered < 0 || s.Buffered > max.Slots+1 ||
				s.Received != s.Played+s.Late+s.Duplicate+s.Dropped+uint64(s.Buffered) {
				t.Fatalf("counters do not add up: %+v", s)
			}
			if s.Played+s.Concealed > pops {
				t.Fatalf("%d frames played and %d concealed in %d pops", s.Played, s.Concealed, pops)
			}
			if s.Target < max.MinDelay || s.Target > max.MaxDelay {
				t.Fatalf("target %v outside %v..%v", s.Target, max.MinDelay, max.MaxDelay)
			}
		}
	})
}
