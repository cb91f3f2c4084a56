package sdp

import (
	"strings"

	psdp "github.com/pion/sdp/v3"
)

// Limits on what Parse reads. A description over any of them is refused
// with a *SyntaxError before it is parsed, so a hostile peer cannot make a
// parse costly.
const (
	// MaxSize is the largest description Parse reads, in bytes.
	MaxSize = 64 << 10
	// MaxLines is the largest number of non-blank lines in a description.
	MaxLines = 1024
	// MaxMedia is the largest number of m= sections in a description.
	MaxMedia = 16
	// MaxFormats is the largest number of formats on one m= line.
	MaxFormats = 64
)

// Parse reads the session description b (RFC 8866, RFC 4566) with
// pion/sdp's SessionDescription.Unmarshal, behind a boundary of its own.
//
// The boundary enforces MaxSize, MaxLines, MaxMedia and MaxFormats, refuses
// a CR or NUL inside a line, and hands pion the lines with LF ends, without
// blank lines and without white space at their ends: CRLF and bare LF line
// ends, blank lines, trailing white space and a missing final line end are
// all accepted. pion then requires the lines in the order of RFC 8866 §5
// (v o s [i u e p c b] t [r] [z k a], then m= sections), the mandatory
// v=, o=, s= and t= lines, and the media types and transport protocols
// IANA registers; it refuses a line of an unknown type.
//
// Every error is a *SyntaxError that names the offending line, counted from
// 1 in b with blank lines, and says whether the line is malformed, out of
// place or of an unknown type; its text never quotes b. The description
// returned owns its strings: b may be reused once Parse returns.
func Parse(b []byte) (*psdp.SessionDescription, error) {
	if len(b) > MaxSize {
		return nil, &SyntaxError{Msg: "description larger than 64 KiB"}
	}
	text, missing, err := normalize(b)
	if err != nil {
		return nil, err
	}
	d := new(psdp.SessionDescription)
	if err := d.UnmarshalString(text); err != nil {
		return nil, locate(b, text, missing)
	}
	if missing != 0 {
		return nil, &SyntaxError{Msg: "no " + string(missing) + "= line"}
	}
	return d, nil
}

// normalize checks the lines of b against the limits and returns them as
// pion is to read them: each without trailing white space and ending in LF,
// blank ones left out. It also returns the first of the mandatory line types
// v, o, s and t that b lacks, or 0.
func normalize(b []byte) (text string, missing byte, err error) {
	var sb strings.Builder
	sb.Grow(len(b) + 1)
	var lines, media int
	var seen [4]bool // v, o, s, t
	for num, rest := 1, b; len(rest) > 0; num++ {
		var line []byte
		line, rest = nextLine(rest)
		if len(line) == 0 {
			continue
		}
		if lines++; lines > MaxLines {
			return "", 0, &SyntaxError{Line: num, Msg: "more than 1024 lines"}
		}
		for _, c := range line {
			if c == '\r' || c == 0 {
				return "", 0, &SyntaxError{Line: num, Msg: "CR or NUL inside a line"}
			}
		}
		switch line[0] {
		case 'v':
			seen[0] = true
		case 'o':
			seen[1] = true
		case 's':
			seen[2] = true
		case 't':
			seen[3] = true
		case 'm':
			if media++; media > MaxMedia {
				return "", 0, &SyntaxError{Line: num, Msg: "more than 16 m= lines"}
			}
			if countFields(line)-3 > MaxFormats {
				return "", 0, &SyntaxError{Line: num, Msg: "m= line with more than 64 formats"}
			}
		}
		sb.Write(line)
		sb.WriteByte('\n')
	}
	if lines == 0 {
		return "", 0, &SyntaxError{Msg: "empty description"}
	}
	for i, typ := range "vost" {
		if !seen[i] {
			missing = byte(typ)
			break
		}
	}
	return sb.String(), missing, nil
}

// locate finds the line of b whose text made pion refuse text, the
// normalized b, and returns a *SyntaxError for it. It parses ever shorter
// prefixes of text (the first failing line is where a prefix starts to
// fail, since pion reads line by line and accepts any prefix that ends at a
// line end), then the prefix with that line replaced by a well-formed line
// of the same type, to tell a malformed line from a misplaced one. When the
// line is misplaced because a mandatory line is missing, the error says
// which. It runs only on the error path.
func locate(b []byte, text string, missing byte) *SyntaxError {
	var ends []int // ends[i] is the length of the prefix of text holding lines 0..i
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			ends = append(ends, i+1)
		}
	}
	prefix := func(n int) string { // the first n lines
		if n == 0 {
			return ""
		}
		return text[:ends[n-1]]
	}
	// prefix(lo) parses and prefix(hi) does not.
	lo, hi := 0, len(ends)
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if parses(prefix(mid)) {
			lo = mid
		} else {
			hi = mid
		}
	}
	line := prefix(hi)[len(prefix(hi-1)) : len(prefix(hi))-1]
	e := &SyntaxError{Line: lineNumber(b, hi)}
	typ := line[0]
	switch {
	case len(line) < 2 || line[1] != '=':
		e.Msg = "not a type=value line"
	case !strings.ContainsRune("vosiuepcbtrzkam", rune(typ)):
		e.Msg = "unknown line type"
	case hi == 1 && typ != 'v':
		e.Msg = "first line is not v="
	case parses(prefix(hi-1) + wellFormed[typ] + "\n"):
		e.Msg = "malformed " + string(typ) + "= line"
	case missing != 0:
		return &SyntaxError{Msg: "no " + string(missing) + "= line"}
	default:
		e.Msg = string(typ) + "= line out of place or repeated"
	}
	return e
}

// wellFormed is a well-formed line of each type, for locate.
var wellFormed = map[byte]string{
	'v': "v=0", 'o': "o=- 0 0 IN IP4 0.0.0.0", 's': "s=-", 'i': "i=-", 'u': "u=-",
	'e': "e=-", 'p': "p=-", 'c': "c=IN IP4 0.0.0.0", 'b': "b=AS:0", 't': "t=0 0",
	'r': "r=0 0", 'z': "z=0 0", 'k': "k=clear:-", 'a': "a=-", 'm': "m=audio 0 RTP/AVP 0",
}

// parses reports whether pion reads text without error.
func parses(text string) bool {
	var d psdp.SessionDescription
	return d.UnmarshalString(text) == nil
}

// lineNumber returns the number, counted from 1 with blank lines, of the
// n-th non-blank line of b.
func lineNumber(b []byte, n int) int {
	num := 0
	for rest := b; len(rest) > 0 && n > 0; {
		var line []byte
		line, rest = nextLine(rest)
		num++
		if len(line) > 0 {
			n--
		}
	}
	return num
}

// nextLine returns the first line of b, without its line end and trailing
// white space, and what follows it.
func nextLine(b []byte) (line, rest []byte) {
	line = b
	for i, c := range b {
		if c == '\n' {
			line, rest = b[:i], b[i+1:]
			break
		}
	}
	end := len(line)
	for end > 0 && (line[end-1] == ' ' || line[end-1] == '\t' || line[end-1] == '\r') {
		end--
	}
	return line[:end], rest
}

// countFields returns the number of space- or tab-separated fields of b.
func countFields(b []byte) int {
	n := 0
	in := false
	for _, c := range b {
		sep := c == ' ' || c == '\t'
		if !sep && !in {
			n++
		}
		in = !sep
	}
	return n
}
