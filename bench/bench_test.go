package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"intercom/sipua/message"

	"github.com/emiago/sipgo/sip"
)

// testdataDir holds the input messages, relative to this package.
const testdataDir = "../sipua/message/testdata/sip"

type input struct {
	name string // file name without .sip
	data []byte
}

// loadInputs reads every *.sip message in testdataDir, sorted by name.
func loadInputs(tb testing.TB) []input {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(testdataDir, "*.sip"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(paths) == 0 {
		tb.Fatalf("no *.sip messages in %s", testdataDir)
	}
	ins := make([]input, 0, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		ins = append(ins, input{name: strings.TrimSuffix(filepath.Base(p), ".sip"), data: data})
	}
	return ins
}

// summary is what both parsers must agree on. The has* fields tell an absent
// field or parameter from an empty one.
type summary struct {
	request    bool
	method     string // request only
	status     int    // response only
	hasCallID  bool
	callID     string
	hasCSeq    bool
	seq        uint32
	cseqMethod string
	hasVia     bool
	hasBranch  bool
	branch     string
	hasFrom    bool
	hasFromTag bool
	fromTag    string
}

func (s summary) String() string {
	return fmt.Sprintf("request=%t method=%q status=%d Call-ID=%t:%q CSeq=%t:%d %q Via=%t branch=%t:%q From=%t tag=%t:%q",
		s.request, s.method, s.status, s.hasCallID, s.callID, s.hasCSeq, s.seq, s.cseqMethod,
		s.hasVia, s.hasBranch, s.branch, s.hasFrom, s.hasFromTag, s.fromTag)
}

// intercomSummary reads the summary fields of m. errs collects the errors of
// the typed accessors, which the comparison ignores but a failure reports.
func intercomSummary(m *message.Message) (s summary, errs []string) {
	s.request = m.IsRequest()
	if s.request {
		s.method = string(m.Method())
	} else {
		s.status = m.StatusCode()
	}
	if _, ok := m.Header("Call-ID"); ok {
		s.hasCallID = true
		s.callID = string(m.CallID())
	}
	if cs, err := m.CSeq(); err == nil {
		s.hasCSeq, s.seq, s.cseqMethod = true, cs.Seq, string(cs.Method)
	} else {
		errs = append(errs, "CSeq: "+err.Error())
	}
	if v, err := m.Via(); err == nil {
		s.hasVia = true
		b, ok := v.Params.Get("branch")
		s.hasBranch, s.branch = ok, string(b)
	} else {
		errs = append(errs, "Via: "+err.Error())
	}
	if f, err := m.From(); err == nil {
		s.hasFrom = true
		t, ok := f.Params.Get("tag")
		s.hasFromTag, s.fromTag = ok, string(t)
	} else {
		errs = append(errs, "From: "+err.Error())
	}
	return s, errs
}

// sipgoSummary reads the summary fields of msg; sipgo's accessors return nil
// for a header field that is absent or fails to parse.
func sipgoSummary(msg sip.Message) summary {
	var s summary
	switch r := msg.(type) {
	case *sip.Request:
		s.request, s.method = true, string(r.Method)
	case *sip.Response:
		s.status = r.StatusCode
	}
	if c := msg.CallID(); c != nil {
		s.hasCallID, s.callID = true, c.Value()
	}
	if cs := msg.CSeq(); cs != nil {
		s.hasCSeq, s.seq, s.cseqMethod = true, cs.SeqNo, string(cs.MethodName)
	}
	if v := msg.Via(); v != nil {
		s.hasVia = true
		s.branch, s.hasBranch = v.Params.Get("branch")
	}
	if f := msg.From(); f != nil {
		s.hasFrom = true
		s.fromTag, s.hasFromTag = f.Params.Get("tag")
	}
	return s
}

// compare parses data with both parsers and returns an error unless both
// succeed and agree on the summary.
func compare(data []byte) (summary, error) {
	var m message.Message
	if err := m.Unmarshal(bytes.Clone(data)); err != nil {
		return summary{}, fmt.Errorf("intercom: (*message.Message).Unmarshal: %v", err)
	}
	ours, errs := intercomSummary(&m)
	msg, err := sip.NewParser().ParseSIP(data)
	if err != nil {
		return summary{}, fmt.Errorf("sipgo: (*sip.Parser).ParseSIP: %v", err)
	}
	theirs := sipgoSummary(msg)
	if ours != theirs {
		return ours, fmt.Errorf("parsers disagree:\nintercom: %v (accessor errors: %q)\nsipgo:    %v", ours, errs, theirs)
	}
	return ours, nil
}

func TestSameValues(t *testing.T) {
	for _, in := range loadInputs(t) {
		t.Run(in.name, func(t *testing.T) {
			s, err := compare(in.data)
			if err != nil {
				t.Fatal(err)
			}
			// Every test message carries all of these; a summary that
			// lacks one would make the comparison above too weak.
			if !s.hasCallID || !s.hasCSeq || !s.hasBranch || !s.hasFromTag {
				t.Fatalf("message lacks a field the comparison relies on: %v", s)
			}
			t.Logf("%v", s)
		})
	}
}

// Package-level sinks keep the benchmarked results alive.
var (
	sinkMessage  *message.Message
	sinkSIP      sip.Message
	sinkErr      error
	sinkBytes    []byte
	sinkBranch   []byte
	sinkCallID   []byte
	sinkTag      []byte
	sinkCSeq     message.CSeq
	sinkSBranch  string
	sinkSCallID  string
	sinkSTag     string
	sinkSSeq     uint32
	sinkSMethod  sip.RequestMethod
	sinkSBufSize int
)

func BenchmarkParse(b *testing.B) {
	for _, in := range loadInputs(b) {
		b.Run(in.name, func(b *testing.B) {
			if _, err := compare(in.data); err != nil {
				b.Fatal(err)
			}
			b.Run("intercom", func(b *testing.B) {
				data := bytes.Clone(in.data)
				var m message.Message
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				b.ResetTimer()
				for range b.N {
					if err := m.Unmarshal(data); err != nil {
						b.Fatal(err)
					}
				}
				sinkMessage = &m
			})
			b.Run("intercom-new", func(b *testing.B) {
				data := bytes.Clone(in.data)
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				b.ResetTimer()
				for range b.N {
					m, err := message.Parse(data)
					if err != nil {
						b.Fatal(err)
					}
					sinkMessage = m
				}
			})
			b.Run("intercom-validate", func(b *testing.B) {
				data := bytes.Clone(in.data)
				var m message.Message
				if err := m.Unmarshal(data); err != nil {
					b.Fatalf("(*message.Message).Unmarshal: %v", err)
				}
				if err := m.Validate(); err != nil {
					b.Fatalf("(*message.Message).Validate after a successful Unmarshal: %v", err)
				}
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				b.ResetTimer()
				for range b.N {
					if err := m.Unmarshal(data); err != nil {
						b.Fatal(err)
					}
					sinkErr = m.Validate()
				}
				if sinkErr != nil {
					b.Fatal(sinkErr)
				}
				sinkMessage = &m
			})
			b.Run("sipgo", func(b *testing.B) {
				data := in.data
				p := sip.NewParser()
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				b.ResetTimer()
				for range b.N {
					msg, err := p.ParseSIP(data)
					if err != nil {
						b.Fatal(err)
					}
					sinkSIP = msg
				}
			})
		})
	}
}

func BenchmarkParseRead(b *testing.B) {
	for _, in := range loadInputs(b) {
		b.Run(in.name, func(b *testing.B) {
			// Both implementations must read the same values; the timed
			// loops below read them the same way.
			if _, err := compare(in.data); err != nil {
				b.Fatal(err)
			}
			b.Run("intercom", func(b *testing.B) {
				data := bytes.Clone(in.data)
				var m message.Message
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				b.ResetTimer()
				for range b.N {
					if err := m.Unmarshal(data); err != nil {
						b.Fatal(err)
					}
					v, _ := m.Via()
					sinkBranch = v.Branch()
					sinkCSeq, _ = m.CSeq()
					sinkCallID = m.CallID()
					f, _ := m.From()
					sinkTag = f.Tag()
				}
			})
			b.Run("sipgo", func(b *testing.B) {
				data := in.data
				p := sip.NewParser()
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				b.ResetTimer()
				for range b.N {
					msg, err := p.ParseSIP(data)
					if err != nil {
						b.Fatal(err)
					}
					if v := msg.Via(); v != nil {
						sinkSBranch, _ = v.Params.Get("branch")
					}
					if cs := msg.CSeq(); cs != nil {
						sinkSSeq, sinkSMethod = cs.SeqNo, cs.MethodName
					}
					if c := msg.CallID(); c != nil {
						sinkSCallID = c.Value()
					}
					if f := msg.From(); f != nil {
						sinkSTag, _ = f.Params.Get("tag")
					}
				}
			})
		})
	}
}

func BenchmarkSerialize(b *testing.B) {
	for _, in := range loadInputs(b) {
		b.Run(in.name, func(b *testing.B) {
			b.Run("intercom", func(b *testing.B) {
				data := bytes.Clone(in.data)
				var m message.Message
				if err := m.Unmarshal(data); err != nil {
					b.Fatal(err)
				}
				buf := m.AppendTo(nil)
				checkReparse(b, in.data, buf)
				b.ReportAllocs()
				b.SetBytes(int64(len(in.data)))
				b.ResetTimer()
				for range b.N {
					buf = m.AppendTo(buf[:0])
				}
				sinkBytes = buf
			})
			b.Run("sipgo", func(b *testing.B) {
				msg, err := sip.NewParser().ParseSIP(in.data)
				if err != nil {
					b.Fatal(err)
				}
				var buf bytes.Buffer
				msg.StringWrite(&buf)
				checkReparse(b, in.data, buf.Bytes())
				b.ReportAllocs()
				b.SetBytes(int64(len(in.data)))
				b.ResetTimer()
				for range b.N {
					buf.Reset()
					msg.StringWrite(&buf)
				}
				sinkSBufSize = buf.Len()
			})
		})
	}
}

// checkReparse fails b unless out, a serialized message, parses with both
// parsers to the same summary as the original.
func checkReparse(b *testing.B, orig, out []byte) {
	b.Helper()
	want, err := compare(orig)
	if err != nil {
		b.Fatal(err)
	}
	got, err := compare(out)
	if err != nil {
		b.Fatalf("serialized message: %v\n%s", err, out)
	}
	if got != want {
		b.Fatalf("serialized message reads differently:\nbefore: %v\nafter:  %v\n%s", want, got, out)
	}
}
