package message

const (
	alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	mark  = "-_.!~*'()"
)

// Character classes of RFC 3261 §25.1, as lookup tables.
var (
	tokenChars   = charClass(alnum + "-.!%*_+`'~")
	wordChars    = charClass(alnum + "-.!%*_+`'~()<>:\\\"/[]?{}") // Call-ID words
	userChars    = charClass(alnum + mark + "&=+$,;?/")           // escapes checked apart
	passChars    = charClass(alnum + mark + "&=+$,")
	paramChars   = charClass(alnum + mark + "[]/:&+$") // uri-parameter names and values
	headerChars  = charClass(alnum + mark + "[]/?:+$") // URI header names and values
	hostChars    = charClass(alnum + "-._")            // "_" is not in the grammar but in the wild
	schemeChars  = charClass(alnum + "+-.")
	uricChars    = charClass(alnum + mark + ";/?:@&=+$,[]")
	telChars     = charClass("0123456789abcdefABCDEF*#+-.()pPwW") // before a tel URI's parameters
	hexDigit     = charClass("0123456789abcdefABCDEF")
	isDigitTable = charClass("0123456789")
	lowerASCII   = func() (t [256]byte) {
		for i := range t {
			t[i] = byte(i)
			if 'A' <= i && i <= 'Z' {
				t[i] += 'a' - 'A'
			}
		}
		return t
	}()
)

// charClass returns a table that is true for the bytes of s.
func charClass(s string) (t [256]bool) {
	for i := 0; i < len(s); i++ {
		t[s[i]] = true
	}
	return t
}

// isWS reports whether c is linear white space after unfolding (SP or HTAB).
func isWS(c byte) bool { return c == ' ' || c == '\t' }

// skipWS returns the index of the first byte at or after i that is not SP or HTAB.
func skipWS(s []byte, i int) int {
	for i < len(s) && isWS(s[i]) {
		i++
	}
	return i
}

// trimWS removes leading and trailing SP and HTAB.
func trimWS(s []byte) []byte {
	i, j := 0, len(s)
	for i < j && isWS(s[i]) {
		i++
	}
	for j > i && isWS(s[j-1]) {
		j--
	}
	return s[i:j]
}

// scanToken returns the end of the token that starts at i (i itself if none).
func scanToken(s []byte, i int) int {
	for i < len(s) && tokenChars[s[i]] {
		i++
	}
	return i
}

// isToken reports whether s is a non-empty token.
func isToken(s []byte) bool {
	return len(s) > 0 && scanToken(s, 0) == len(s)
}

// scanQuoted returns the index just past the closing quote of the
// quoted-string that opens at s[i] == '"', or -1 if it is not terminated.
// A quoted-pair ("\" followed by any octet but CR and LF) is skipped whole.
func scanQuoted(s []byte, i int) int {
	for i++; i < len(s); i++ {
		switch s[i] {
		case '"':
			return i + 1
		case '\\':
			i++
			if i >= len(s) || s[i] == '\r' || s[i] == '\n' {
				return -1
			}
		case '\r', '\n':
			return -1
		}
	}
	return -1
}

// equalFold reports whether a equals the lower-case ASCII string lower,
// ignoring ASCII case in a.
func equalFold[T string | []byte](a T, lower string) bool {
	if len(a) != len(lower) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII[a[i]] != lower[i] {
			return false
		}
	}
	return true
}

// parseUint parses a non-empty run of decimal digits that must not exceed max.
// Leading zeros are allowed (RFC 4475 §3.1.1.1).
func parseUint(s []byte, max uint64) (uint64, bool) {
	if len(s) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range s {
		if !isDigitTable[c] {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
		if n > max {
			return 0, false
		}
	}
	return n, true
}

// allIn reports whether every byte of s is in class, allowing "%" HEX HEX
// escapes when escapes is true.
func allIn(s []byte, class *[256]bool, escapes bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if class[c] {
			continue
		}
		if escapes && c == '%' && i+2 < len(s) && hexDigit[s[i+1]] && hexDigit[s[i+2]] {
			i += 2
			continue
		}
		return false
	}
	return true
}

// equalFoldString reports whether a equals s, ignoring ASCII case.
func equalFoldString(a []byte, s string) bool {
	if len(a) != len(s) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII[a[i]] != lowerASCII[s[i]] {
			return false
		}
	}
	return true
}

// inHeader returns err with its Header set to name when it has none.
func inHeader(err error, name string) error {
	if pe, ok := err.(*ParseError); ok && pe.Header == "" {
		c := *pe
		c.Header = name
		return &c
	}
	return err
}
