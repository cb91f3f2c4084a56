// Package bench compares the firmware's SIP parser (intercom/sipua/message)
// with github.com/emiago/sipgo in one "go test -bench" run.
//
// It is a separate module so that the firmware's go.mod never depends on
// sipgo; intercom is taken from the parent directory through a replace
// directive. The inputs are the messages in ../sipua/message/testdata/sip.
package bench
