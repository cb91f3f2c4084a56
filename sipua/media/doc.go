// Package media carries a call's audio over RTP (RFC 3550): the codec's
// frames packetized and sent every 20 ms, packets received into an
// adaptive jitter buffer and decoded or concealed, RTCP sender and
// receiver reports with loss, jitter and round-trip time, DTMF as RFC
// 4733 telephone-events both ways, SRTP (RFC 3711) keyed by SDES, and
// symmetric RTP that latches onto the peer's source so that calls work
// behind NAT and nobody else can inject audio.
//
// The application drives a Stream with two clocks: its capture device
// writes a frame every 20 ms (WriteFrame), its playback device reads one
// (ReadFrame). Once a call runs, neither path allocates.
package media
