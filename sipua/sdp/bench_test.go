package sdp

import "testing"

// BenchmarkParse parses typical bodies: the door station's own offer (the
// shared INVITE's) and Linphone's audio-and-video offer.
func BenchmarkParse(b *testing.B) {
	for _, name := range []string{"shared-invite_sdp.sdp", "linphone-offer.sdp"} {
		body := testdata(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := Parse(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMarshal writes a parsed description with pion's Marshal, which
// returns a new slice each time.
func BenchmarkMarshal(b *testing.B) {
	d, err := Parse(testdata(b, "shared-invite_sdp.sdp"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnswer answers an Asterisk offer, as for every incoming INVITE
// or re-INVITE of a session.
func BenchmarkAnswer(b *testing.B) {
	offer := testdata(b, "asterisk-offer.sdp")
	s := newSession(b, Config{DTMF: true})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Answer(offer); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOfferAccept makes an offer and accepts Asterisk's answer: a
// re-INVITE of ours.
func BenchmarkOfferAccept(b *testing.B) {
	answer := testdata(b, "asterisk-answer.sdp")
	s := newSession(b, Config{DTMF: true})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Offer(); err != nil {
			b.Fatal(err)
		}
		if err := s.Accept(answer); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnswerSRTP answers an Asterisk RTP/SAVP offer with SRTP
// mandatory: the crypto line is parsed and ours written on top.
func BenchmarkAnswerSRTP(b *testing.B) {
	offer := testdata(b, "asterisk-srtp-offer.sdp")
	s := newSession(b, Config{DTMF: true, SRTP: SRTPMandatory})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Answer(offer); err != nil {
			b.Fatal(err)
		}
	}
}
