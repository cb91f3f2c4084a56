package sdp

import (
	"errors"
	"reflect"
	"testing"
)

// addSeeds adds every body of testdata/ to the fuzz corpus.
func addSeeds(f *testing.F) {
	for _, body := range readTestdata(f) {
		f.Add(body)
	}
	f.Add([]byte("v=0\no=- 1 1 IN IP4 0.0.0.0\nm=audio 1/2 RTP/AVP\nc=IN IP6 ::\nb=AS:1\nk=x\ni=y\n"))
}

// FuzzParse feeds arbitrary bodies to Parse and every helper. Nothing may
// panic, every error must be a *SyntaxError, and what pion's Marshal writes
// of a description that parses must parse again, and after that come back
// equal: the first round may lose what pion reads but does not write back
// (the colon of an a= line with an empty value, which leaves white space at
// the end of the line for the boundary to drop).
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is a %T", err, err)
			}
			return
		}
		for _, m := range d.MediaDescriptions {
			_, _ = connIP(connection(d, m))
			_ = mediaDirection(d, m)
			for _, f := range m.MediaName.Formats {
				if pt, ok := payloadType(f); ok {
					_, _ = codecOf(m, pt)
					_, _ = fmtpOf(m, pt)
				}
			}
			_, _ = ptimeOf(m)
			_, _, _ = rtcpOf(m)
		}
		wire, err := d.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(wire)
		if err != nil {
			t.Fatalf("written description does not parse: %v\n%q\n%q", err, data, wire)
		}
		wire2, _ := back.Marshal()
		again, err := Parse(wire2)
		if err != nil || !reflect.DeepEqual(back, again) {
			t.Fatalf("second round trip changed the description: %v\n%q\n%q\n%q", err, data, wire, wire2)
		}
	})
}

// FuzzSession answers arbitrary offers and accepts arbitrary answers, in
// each SRTP mode. Nothing may panic; an answer must parse, keep the offer's
// m= line count and carry our address; a failed call must leave the session
// as it was; SRTP off never yields keys, SRTP mandatory always does.
func FuzzSession(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for mode := SRTPOff; mode <= SRTPMandatory; mode++ {
			fuzzSession(t, data, mode)
		}
	})
}

// fuzzSession is one run of FuzzSession, with SRTP in mode.
func fuzzSession(t *testing.T, data []byte, mode SRTPMode) {
	s := newSession(t, Config{DTMF: true, SRTP: mode})
	answer, err := s.Answer(data)
	if err != nil {
		if _, ok := s.Negotiated(); ok || s.sent {
			t.Fatalf("failed Answer changed the session: %v", err)
		}
	} else {
		offer, _ := Parse(data)
		d, err := Parse(answer)
		if err != nil {
			t.Fatalf("our answer does not parse: %v\n%s", err, answer)
		}
		if len(d.MediaDescriptions) != len(offer.MediaDescriptions) {
			t.Fatalf("answer has %d m= lines for %d\n%s", len(d.MediaDescriptions), len(offer.MediaDescriptions), answer)
		}
		if ip, ok := connIP(d.ConnectionInformation); !ok || ip != ours4 {
			t.Fatalf("answer's c= %+v", d.ConnectionInformation)
		}
	}
	before, _ := s.Negotiated()
	if _, err := s.Offer(); err != nil {
		t.Fatal(err)
	}
	if err := s.Accept(data); err != nil {
		if after, _ := s.Negotiated(); after != before {
			t.Fatalf("failed Accept changed Negotiated: %v", err)
		}
	}
	if s.Pending() {
		t.Fatal("offer pending after Accept")
	}
	if m, ok := s.Negotiated(); ok && (mode == SRTPOff && m.SRTP != nil || mode == SRTPMandatory && m.SRTP == nil) {
		t.Fatalf("SRTP keys %+v in mode %v", m.SRTP, mode)
	}
}
