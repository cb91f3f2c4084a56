// Package codec holds the audio codecs of RTP calls, in pure Go: G.711 µ-law
// (PCMU) and A-law (PCMA), and G.722 at 64 kbit/s.
//
// Each codec is described by a [Codec] value ([PCMU], [PCMA], [G722], or
// [Lookup] by the name of an SDP rtpmap) that says how RTP carries it and
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
// G.722 follows ITU-T G.722 in its 64 kbit/s mode: a 24-tap QMF splits 16 kHz
// PCM into two 8 kHz sub-bands, the lower coded by 6-bit and the higher by
// 2-bit ADPCM, each with an adaptive pole-zero predictor and an adaptive
// quantizer scale. Each payload byte carries one sample of each band (the
// higher band in the two most significant bits), that is two PCM samples.
// The recommendation's PCM has 14 bits; as in FFmpeg, 16-bit samples enter
// the QMF whole. The bitstream and the decoded PCM are bit-exact with FFmpeg's
// G.722 encoder and decoder (checked against files FFmpeg made, in testdata),
// whose decoder FFmpeg documents as bit-exact with the ITU-T test sequences.
// The QMF pair delays the signal by 22 samples (1.375 ms) end to end.
//
// Encoders and decoders of G.722 keep state from one call to the next, as a
// call's frames must; those of G.711 have none. None is safe for concurrent
// use: each RTP stream direction owns one.
//
// The codecs neither detect silence nor conceal lost packets: a receiver
// that lost a packet decodes the next one as it comes.
package codec
