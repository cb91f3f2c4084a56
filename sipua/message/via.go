package message

import (
	"bytes"
	"strconv"
)

// MagicCookie starts the branch of every RFC 3261 Via (§8.1.1.7). A branch
// without it comes from an RFC 2543 element, whose transactions are matched
// by the rules of §17.1.3 and §17.2.3.
const MagicCookie = "z9hG4bK"

// Via is one Via header field value (RFC 3261 §20.42): the transport, the
// sent-by host and port, and the parameters.
type Via struct {
	// Transport is the transport as received (UDP, TCP, TLS, SCTP, WS, ...).
	Transport []byte
	// Host is the sent-by host; an IPv6 reference keeps its brackets.
	Host []byte
	// Port is 0 when the sent-by names none.
	Port int
	// Params are the via-params (branch, received, rport, maddr, ttl, ...).
	Params Params

	branch       []byte // the branch ParseVia found in Params
	branchParsed bool
}

// Branch returns the branch parameter, or nil.
func (v *Via) Branch() []byte {
	if v.branchParsed {
		return v.branch
	}
	b, _ := v.Params.Get("branch")
	return b
}

// RFC3261Branch reports whether the branch starts with the magic cookie and
// has something after it, so that it identifies the transaction by itself.
// A bare cookie (RFC 4475 §3.2.1) is treated as an RFC 2543 branch.
func (v *Via) RFC3261Branch() bool {
	b := v.Branch()
	return len(b) > len(MagicCookie) && string(b[:len(MagicCookie)]) == MagicCookie
}

// Received returns the received parameter (RFC 3261 §18.2.1), or nil.
func (v *Via) Received() []byte {
	r, _ := v.Params.Get("received")
	return r
}

// RPort returns the rport parameter (RFC 3581): whether it is present, and
// its port, 0 when it has no value (as in a request that asks for it).
func (v *Via) RPort() (port int, present bool) {
	r, ok := v.Params.Get("rport")
	if !ok {
		return 0, false
	}
	n, valid := parseUint(r, 65535)
	if !valid {
		return 0, true
	}
	return int(n), true
}

// ParseVia parses one via-parm: sent-protocol LWS sent-by *(SEMI via-params).
// White space is allowed around '/', ':' and ';' (RFC 4475 §3.1.1.1).
func ParseVia(s []byte) (Via, error) {
	var v Via
	i := skipWS(s, 0)
	for part := 0; part < 3; part++ {
		j := scanToken(s, i)
		if j == i {
			return v, badRequest("Via", "malformed sent-protocol")
		}
		switch part {
		case 0:
			if !equalFold(s[i:j], "sip") {
				return v, badRequest("Via", "protocol is not SIP")
			}
		case 2:
			v.Transport = s[i:j]
		}
		i = skipWS(s, j)
		if part < 2 {
			if i == len(s) || s[i] != '/' {
				return v, badRequest("Via", "malformed sent-protocol")
			}
			i = skipWS(s, i+1)
		}
	}
	if i == len(s) || !isWS(s[i-1]) {
		return v, badRequest("Via", "missing sent-by")
	}
	j, err := scanHost(s, i)
	if err != nil {
		return v, inHeader(err, "Via")
	}
	v.Host = s[i:j]
	i = skipWS(s, j)
	if i < len(s) && s[i] == ':' {
		i = skipWS(s, i+1)
		j = i
		for j < len(s) && isDigitTable[s[j]] {
			j++
		}
		port, ok := parseUint(s[i:j], 65535)
		if !ok || port == 0 {
			return v, badRequest("Via", "invalid sent-by port")
		}
		v.Port = int(port)
		i = skipWS(s, j)
	}
	if i < len(s) {
		if s[i] != ';' {
			return v, badRequest("Via", "unexpected text after sent-by")
		}
		v.Params = Params(s[i:])
		if v.branch, err = checkParams(v.Params, false, "branch"); err != nil {
			return v, inHeader(err, "Via")
		}
	}
	v.branchParsed = true
	return v, nil
}

// AppendTo appends the Via value ("SIP/2.0/UDP host:port;params") to dst.
func (v *Via) AppendTo(dst []byte) []byte {
	dst = append(dst, "SIP/2.0/"...)
	dst = append(dst, v.Transport...)
	dst = append(dst, ' ')
	dst = append(dst, v.Host...)
	if v.Port != 0 {
		dst = append(dst, ':')
		dst = strconv.AppendInt(dst, int64(v.Port), 10)
	}
	return append(dst, bytes.TrimLeft(v.Params, " \t")...)
}
