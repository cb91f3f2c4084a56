package media

import (
	"encoding/binary"
	"time"
)

// The DTMF events of RFC 4733 §3.2: 0-9, *, #, A-D.
const dtmfKeys = "0123456789*#ABCD"

// DTMF timing of the events we send: a key is held 100 ms, then at least
// 60 ms of audio follow before the next one.
const (
	dtmfTone  = 100 * time.Millisecond
	dtmfPause = 60 * time.Millisecond
	dtmfEnds  = 3 // end packets, sent three times (RFC 4733 §2.5.1.4)
)

// eventCode returns the RFC 4733 event code of a key, or -1.
func eventCode(key byte) int {
	for i := range len(dtmfKeys) {
		if dtmfKeys[i] == key || (key >= 'a' && key <= 'd' && dtmfKeys[i] == key-'a'+'A') {
			return i
		}
	}
	return -1
}

// appendEvent appends a telephone-event payload (RFC 4733 §2.3).
func appendEvent(b []byte, event int, end bool, volume uint8, duration uint16) []byte {
	flags := volume & 0x3f
	if end {
		flags |= 0x80
	}
	b = append(b, byte(event), flags)
	return binary.BigEndian.AppendUint16(b, duration)
}

// dtmfReceiver turns received telephone-event packets into key presses,
// each reported once: the start of an event (a new timestamp) is the
// press; repeats, the three end packets and the continuation segments of
// a key held longer than the 16-bit duration field allows are not.
type dtmfReceiver struct {
	seen     bool
	ts       uint32 // the timestamp of the event being received
	event    byte
	ended    bool
	duration uint16
}

// receive reads one event payload with its RTP timestamp and returns the
// key pressed, or 0.
func (d *dtmfReceiver) receive(ts uint32, payload []byte) byte {
	if len(payload) < 4 || payload[0] >= byte(len(dtmfKeys)) {
		return 0
	}
	event, end, duration := payload[0], payload[1]&0x80 != 0, binary.BigEndian.Uint16(payload[2:])
	if d.seen && ts == d.ts {
		d.ended = d.ended || end
		d.duration = max(d.duration, duration)
		return 0 // a repeat or an end packet of the event we have
	}
	if d.seen && int32(ts-d.ts) < 0 {
		return 0 // a late packet of an event already reported
	}
	// A segment that continues a long key press starts where the last
	// one's full duration ended (RFC 4733 §2.5.1.3).
	continued := d.seen && !d.ended && event == d.event && ts == d.ts+uint32(d.duration)
	d.seen, d.ts, d.event, d.ended, d.duration = true, ts, event, end, duration
	if continued {
		return 0
	}
	return dtmfKeys[event]
}
