// Package compare measures the intercom against baresip doing the same job
// as a door station: one call to the same answering peer, per codec, with
// the CPU per call-minute, resident memory idle and in the call, the setup
// times on the wire and the intercom's button-to-INVITE time. Its one test,
// TestCompare, is the harness (make bench-compare).
package compare
