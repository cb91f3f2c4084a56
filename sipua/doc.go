// Package sipua is the door station's SIP user agent, built on the message,
// transport, transaction, digest and locate packages beneath it. It registers
// the station's account (Registration), and will place and answer calls.
package sipua
