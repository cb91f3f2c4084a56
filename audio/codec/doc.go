// Package codec holds the audio codecs of RTP calls, in pure Go: G.711 µ-law
// (PCMU) and A-law (PCMA).
//
// Each codec is described by a [Codec] value ([PCMU], [PCMA], or [Lookup] by the name of an SDP rtpmap) that says how RTP carries it and
// makes encoders and decoders. An [Encoder] turns 16-bit linear PCM (8 kHz
// for G.711, 16 kHz for G.722) into a payload and a [Decoder] turns a payload
// back into PCM; both append to a buffer the caller owns, so a call that
// reuses its buffers allocates nothing per frame.
//
// G.711 follows ITU-T G.711 exactly, as the ITU-T software tool library
// (G.191) formulates it: 16-bit samples are cut to the 14-bit (µ-law) or
// 13-bit (A-law) magnitude of the standard, negative samples by one's
// complement, so that the code of -x-1 is the code of x with the sign bit
// cleared. Decoding returns the midpoint of each quantization interval.
//
// G.711's encoders and decoders have no state.
//
// The codecs neither detect silence nor conceal lost packets: a receiver
// that lost a packet decodes the next one as it comes.
package codec
