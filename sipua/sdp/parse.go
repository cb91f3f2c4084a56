package sdp

import (
	"strings"
)

// Parse reads the session description b (RFC 8866 §5).
//
// Lines may end in CRLF or a bare LF; blank lines and white space at the
// end of a line are ignored. The first line must be "v=0"; the o= line is
// required; the other lines may come in any order within their section,
// but only i=, c=, b=, k= and a= lines may follow the first m= line. A
// line of an unknown type is an error (RFC 8866 §5). Numbers (versions,
// times, ports, bandwidths) must be decimal and in range; other values are
// kept as written.
//
// The Description returned owns its strings: b may be reused once Parse
// returns. Every error is a *SyntaxError.
func Parse(b []byte) (*Description, error) {
	if len(b) > MaxSize {
		return nil, &SyntaxError{Msg: "description larger than 64 KiB"}
	}
	s := string(b)
	var n counts
	if err := n.count(s); err != nil {
		return nil, err
	}
	if n.lines == 0 {
		return nil, &SyntaxError{Msg: "empty description"}
	}
	d := &Description{}
	p := parser{d: d}
	if n.media > 0 {
		d.Media = make([]MediaDescription, 0, n.media)
	}
	if n.attrs > 0 {
		p.attrs = make(Attributes, 0, n.attrs)
	}
	if n.formats > 0 {
		p.formats = make([]string, 0, n.formats)
	}
	if n.bandwidths > 0 {
		p.bandwidths = make([]Bandwidth, 0, n.bandwidths)
	}
	d.Times = make([]Timing, 0, max(n.times, 1))
	if err := p.parse(s); err != nil {
		return nil, err
	}
	return d, nil
}

// counts are the numbers of lines of each kind in a description, found
// before parsing so that each list is allocated once, at its final size.
type counts struct {
	lines, media, attrs, formats, bandwidths, times int
}

// count counts the lines of s and enforces MaxLines, MaxMedia and
// MaxFormats.
func (n *counts) count(s string) error {
	for num := 1; s != ""; num++ {
		var line string
		line, s = nextLine(s)
		if line == "" {
			continue
		}
		n.lines++
		if n.lines > MaxLines {
			return &SyntaxError{Line: num, Msg: "more than 1024 lines"}
		}
		switch line[0] {
		case 'a':
			n.attrs++
		case 'b':
			n.bandwidths++
		case 't':
			n.times++
		case 'm':
			n.media++
			if n.media > MaxMedia {
				return &SyntaxError{Line: num, Msg: "more than 16 m= lines"}
			}
			f := countFields(line) - 3
			if f > MaxFormats {
				return &SyntaxError{Line: num, Msg: "m= line with more than 64 formats"}
			}
			if f > 0 {
				n.formats += f
			}
		}
	}
	return nil
}

// parser holds the state of one Parse: the description being filled, the
// section being read and the shared backing arrays of its lists.
type parser struct {
	d          *Description
	m          *MediaDescription // the m= section being read; nil before the first
	attrs      Attributes        // all a= lines, in order
	formats    []string          // all formats, in order
	bandwidths []Bandwidth       // all b= lines, in order
	attrStart  int               // first a= line of the current section in attrs
	bwStart    int               // first b= line of the current section in bandwidths
	seen       uint32            // line types seen in the current section, bit (type - 'a')
	num        int               // number of the current line
}

// parse reads the lines of s into p.d.
func (p *parser) parse(s string) error {
	first := true
	for p.num = 1; s != ""; p.num++ {
		var line string
		line, s = nextLine(s)
		if line == "" {
			continue
		}
		if len(line) < 2 || line[1] != '=' {
			return p.errorf("not a type=value line")
		}
		typ, val := line[0], line[2:]
		if strings.IndexByte(val, '\r') >= 0 || strings.IndexByte(val, 0) >= 0 {
			return p.errorf("CR or NUL inside a line")
		}
		if first {
			if typ != 'v' {
				return p.errorf("first line is not v=")
			}
			first = false
		}
		if typ < 'a' || typ > 'z' || !strings.ContainsRune("vosiuepcbtrzkam", rune(typ)) {
			return p.errorf("unknown line type")
		}
		if p.m != nil && !strings.ContainsRune("icbkam", rune(typ)) {
			return p.errorf(string(typ) + "= line inside a media section")
		}
		bit := uint32(1) << (typ - 'a')
		if p.seen&bit != 0 && strings.ContainsRune("vosiuzk", rune(typ)) {
			return p.errorf("more than one " + string(typ) + "= line")
		}
		if typ == 'c' && p.seen&bit != 0 {
			if p.m == nil {
				return p.errorf("more than one c= line")
			}
			continue // layered multicast: the first c= line is kept
		}
		p.seen |= bit
		if err := p.line(typ, val); err != nil {
			return err
		}
	}
	p.endSection()
	if p.d.Origin == (Origin{}) {
		return &SyntaxError{Msg: "no o= line"}
	}
	if p.d.Name == "" {
		p.d.Name = "-"
	}
	if len(p.d.Times) == 0 {
		p.d.Times = append(p.d.Times, Timing{})
	}
	return nil
}

// line reads one line of type typ and value val.
func (p *parser) line(typ byte, val string) error {
	d := p.d
	switch typ {
	case 'v':
		if val != "0" {
			return p.errorf("version is not 0")
		}
	case 'o':
		var f [6]string
		if fields(val, f[:]) != 6 {
			return p.errorf("o= line without 6 fields")
		}
		v, ok := parseUint(f[2], 1<<64-1)
		if !ok {
			return p.errorf("o= session version is not a 64-bit number")
		}
		d.Origin = Origin{Username: f[0], SessionID: f[1], SessionVersion: v,
			NetType: f[3], AddrType: f[4], Address: f[5]}
	case 's':
		d.Name = val
	case 'i':
		if p.m != nil {
			p.m.Info = val
		} else {
			d.Info = val
		}
	case 'u':
		d.URI = val
	case 'e':
		d.Emails = append(d.Emails, val)
	case 'p':
		d.Phones = append(d.Phones, val)
	case 'c':
		var f [3]string
		if fields(val, f[:]) != 3 {
			return p.errorf("c= line without 3 fields")
		}
		c := Connection{NetType: f[0], AddrType: f[1], Address: f[2]}
		if p.m != nil {
			p.m.Connection = c
		} else {
			d.Connection = c
		}
	case 'b':
		name, value, ok := strings.Cut(val, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return p.errorf("b= line is not type:bandwidth")
		}
		v, ok := parseUint(value, 1<<64-1)
		if !ok {
			return p.errorf("b= bandwidth is not a number")
		}
		p.bandwidths = append(p.bandwidths, Bandwidth{Type: name, Value: v})
	case 't':
		var f [2]string
		if fields(val, f[:]) != 2 {
			return p.errorf("t= line without 2 fields")
		}
		start, ok1 := parseUint(f[0], 1<<64-1)
		stop, ok2 := parseUint(f[1], 1<<64-1)
		if !ok1 || !ok2 {
			return p.errorf("t= time is not a number")
		}
		d.Times = append(d.Times, Timing{Start: start, Stop: stop})
	case 'r':
		if len(d.Times) == 0 {
			return p.errorf("r= line before any t= line")
		}
		t := &d.Times[len(d.Times)-1]
		t.Repeats = append(t.Repeats, val)
	case 'z':
		d.TimeZones = val
	case 'k':
		if p.m != nil {
			p.m.Key = val
		} else {
			d.Key = val
		}
	case 'a':
		name, value, _ := strings.Cut(val, ":")
		if name == "" || strings.ContainsAny(name, " \t") {
			return p.errorf("a= line without an attribute name")
		}
		p.attrs = append(p.attrs, Attribute{Name: name, Value: value})
	case 'm':
		return p.media(val)
	}
	return nil
}

// media starts a new m= section from the value of its m= line.
func (p *parser) media(val string) error {
	p.endSection()
	var f [3]string
	if fields(val, f[:]) < 3 {
		return p.errorf("m= line without media, port and protocol")
	}
	m := MediaDescription{Type: f[0], Proto: f[2]}
	port, count, slash := strings.Cut(f[1], "/")
	v, ok := parseUint(port, 65535)
	if !ok {
		return p.errorf("m= port is not a number up to 65535")
	}
	m.Port = int(v)
	if slash {
		v, ok := parseUint(count, 65535)
		if !ok || v == 0 {
			return p.errorf("m= port count is not a number from 1 to 65535")
		}
		m.PortCount = int(v)
	}
	start := len(p.formats)
	rest := val
	for i := 0; ; i++ {
		var tok string
		tok, rest = nextField(rest)
		if tok == "" {
			break
		}
		if i >= 3 {
			p.formats = append(p.formats, tok)
		}
	}
	m.Formats = sub(p.formats, start)
	p.d.Media = append(p.d.Media, m)
	p.m = &p.d.Media[len(p.d.Media)-1]
	p.seen = 1 << ('m' - 'a')
	return nil
}

// endSection hands the current section its share of the a= and b= lines
// read since it began.
func (p *parser) endSection() {
	attrs, bws := sub(p.attrs, p.attrStart), sub(p.bandwidths, p.bwStart)
	if p.m != nil {
		p.m.Attributes, p.m.Bandwidths = attrs, bws
	} else {
		p.d.Attributes, p.d.Bandwidths = attrs, bws
	}
	p.attrStart, p.bwStart = len(p.attrs), len(p.bandwidths)
}

// errorf returns a *SyntaxError for the current line.
func (p *parser) errorf(msg string) error {
	return &SyntaxError{Line: p.num, Msg: msg}
}

// sub returns s[start:], capped so that appending to it cannot overwrite
// what follows in the backing array, or nil when it is empty.
func sub[T any](s []T, start int) []T {
	if start == len(s) {
		return nil
	}
	return s[start:len(s):len(s)]
}

// nextLine returns the first line of s, without its line end and trailing
// white space, and what follows it.
func nextLine(s string) (line, rest string) {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		line, rest = s[:i], s[i+1:]
	} else {
		line = s
	}
	end := len(line)
	for end > 0 && (line[end-1] == ' ' || line[end-1] == '\t' || line[end-1] == '\r') {
		end--
	}
	return line[:end], rest
}

// nextField returns the first space- or tab-separated field of s and what
// follows it; an empty field when s has none.
func nextField(s string) (field, rest string) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	j := i
	for j < len(s) && s[j] != ' ' && s[j] != '\t' {
		j++
	}
	return s[i:j], s[j:]
}

// fields stores the first len(out) fields of s in out and returns how many
// fields s has in all.
func fields(s string, out []string) int {
	n := 0
	for {
		var f string
		f, s = nextField(s)
		if f == "" {
			return n
		}
		if n < len(out) {
			out[n] = f
		}
		n++
	}
}

// countFields returns the number of fields of s.
func countFields(s string) int {
	return fields(s, nil)
}

// parseUint parses a decimal number of at most max, without sign.
func parseUint(s string, max uint64) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if d > max || v > (max-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}
