// Package jitter is the adaptive jitter buffer of a call's receive path,
// with packet-loss concealment and clock-drift handling.
//
// The RTP layer pushes every packet received (Buffer.Push: sequence number,
// timestamp, marker bit, payload, arrival time); the playback side pops one
// frame each frame period (Buffer.Pop) and plays what it says: decode the
// payload (Play), synthesize a lost frame (Conceal), or play silence
// (Silence). A Concealer does the synthesis, after ITU-T G.711 Appendix I.
//
//	f := jb.Pop(now)
//	switch f.Kind {
//	case jitter.Play:
//		pcm = dec.Decode(pcm[:0], f.Payload) // an audio/codec Decoder
//		plc.Good(pcm)
//	case jitter.Conceal:
//		plc.Conceal(pcm)
//	case jitter.Silence:
//		clear(pcm)
//		plc.Good(pcm) // fades out a concealment, keeps the history true
//	}
//
// The RTP layer calls Reset when the sender's SSRC changes; a sender that
// restarts with the same SSRC is followed by itself.
//
// # Delay
//
// The playout delay is the time a packet that crossed the network as fast
// as the fastest of the last two seconds waits in the buffer; slower
// packets wait less, and a packet slower by more than the delay is late.
// The buffer aims for a target delay: the 98th percentile of how much later
// than the fastest the packets arrive (a histogram that forgets with a time
// constant of 1000 packets), raised at once to cover any packet that came
// too late and held there for 5 s before sinking by 10 ms a second, plus a
// quarter frame, within MinDelay..MaxDelay.
//
// The delay follows the target freely where nobody hears it: at the start
// of the stream and of every talkspurt (after a pause in sending, which a
// gap in the timestamps or the marker bit shows) the first packet is
// scheduled to wait exactly the target. Within a talkspurt the buffer drops
// one frame when the delay is more than 1.5 frames above the target, at
// most once a second, and inserts one concealed frame when it is more than
// a quarter frame below, at most every 4 frames. When the buffer runs dry
// it conceals; a packet that then arrives during the concealment is not
// discarded but played, the concealed frames counting as inserted (the
// delay grows by them), as long as the delay stays within MaxDelay. A delay
// above MaxDelay (a burst after a stall) is cut at once.
//
// The buffer cannot tell, when it runs dry, a burst of loss from the end
// of a talkspurt: it conceals for up to MaxDelay, then counts the stream as
// paused or stopped and returns Silence until packets come again. (A
// Concealer is silent after 60 ms anyway.)
//
// # Clock drift
//
// The sender's clock and the playback clock differ by up to some 100 ppm:
// the delay creeps by 0.1 ms a second, a frame every 200 s. The same
// control absorbs it, in pauses when there are pauses, else by dropping or
// inserting one frame each time the delay has moved by a frame: about one
// frame per 200 s per 100 ppm, spread out, and never more.
//
// # Bad input
//
// Duplicates and late packets are counted and discarded. Sequence numbers
// and timestamps wrap around. A jump in sequence number beyond 3000 or 100
// back, or a timestamp that goes back against the sequence number or runs
// ahead of the time elapsed by more than MaxDelay+2 s, does not fit the
// stream: one such packet is dropped as noise, two consecutive ones mean
// the sender restarted and the buffer re-syncs to them. A payload larger
// than MaxPayload is dropped. Every loop is bounded by the slot count.
//
// # Traces
//
// The tests replay packet traces from testdata (CSV: seq, ts, send time,
// arrival time or "lost", optional marker), made by a seeded network model
// in trace_gen_test.go. Regenerate them with
//
//	go test ./sipua/media/jitter -run TestTraceFiles -update
package jitter
