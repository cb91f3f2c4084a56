package sdp

import "strconv"

// AppendTo appends the description to b, one line per field with CRLF line
// ends, in the order of RFC 8866 §5: v o s i u e p c b t r z k a, then each
// m= section with its i c b k a lines. It writes "v=0" always, "s=-" for an
// empty Name and "t=0 0" when Times is empty, and omits the other empty
// fields. It does not check the values: a Description made by Parse is
// written so that Parse reads it back equal, but one built by hand must hold
// no line breaks.
func (d *Description) AppendTo(b []byte) []byte {
	b = append(b, "v=0\r\n"...)
	o := &d.Origin
	b = append(b, "o="...)
	b = append(b, o.Username...)
	b = append(b, ' ')
	b = append(b, o.SessionID...)
	b = append(b, ' ')
	b = strconv.AppendUint(b, o.SessionVersion, 10)
	b = append(b, ' ')
	b = append(b, o.NetType...)
	b = append(b, ' ')
	b = append(b, o.AddrType...)
	b = append(b, ' ')
	b = append(b, o.Address...)
	b = append(b, "\r\n"...)
	name := d.Name
	if name == "" {
		name = "-"
	}
	b = appendLine(b, 's', name)
	b = appendOptional(b, 'i', d.Info)
	b = appendOptional(b, 'u', d.URI)
	for _, e := range d.Emails {
		b = appendLine(b, 'e', e)
	}
	for _, p := range d.Phones {
		b = appendLine(b, 'p', p)
	}
	b = appendConnection(b, d.Connection)
	b = appendBandwidths(b, d.Bandwidths)
	if len(d.Times) == 0 {
		b = append(b, "t=0 0\r\n"...)
	}
	for i := range d.Times {
		t := &d.Times[i]
		b = append(b, "t="...)
		b = strconv.AppendUint(b, t.Start, 10)
		b = append(b, ' ')
		b = strconv.AppendUint(b, t.Stop, 10)
		b = append(b, "\r\n"...)
		for _, r := range t.Repeats {
			b = appendLine(b, 'r', r)
		}
	}
	b = appendOptional(b, 'z', d.TimeZones)
	b = appendOptional(b, 'k', d.Key)
	b = appendAttributes(b, d.Attributes)
	for i := range d.Media {
		b = d.Media[i].AppendTo(b)
	}
	return b
}

// Marshal returns the description as AppendTo writes it.
func (d *Description) Marshal() []byte {
	return d.AppendTo(make([]byte, 0, 512))
}

// String returns the description as AppendTo writes it.
func (d *Description) String() string {
	return string(d.Marshal())
}

// AppendTo appends the m= section to b, as Description.AppendTo does.
func (m *MediaDescription) AppendTo(b []byte) []byte {
	b = append(b, "m="...)
	b = append(b, m.Type...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(m.Port), 10)
	if m.PortCount > 0 {
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(m.PortCount), 10)
	}
	b = append(b, ' ')
	b = append(b, m.Proto...)
	for _, f := range m.Formats {
		b = append(b, ' ')
		b = append(b, f...)
	}
	b = append(b, "\r\n"...)
	b = appendOptional(b, 'i', m.Info)
	b = appendConnection(b, m.Connection)
	b = appendBandwidths(b, m.Bandwidths)
	b = appendOptional(b, 'k', m.Key)
	return appendAttributes(b, m.Attributes)
}

// appendLine appends the line "typ=value".
func appendLine(b []byte, typ byte, value string) []byte {
	b = append(b, typ, '=')
	b = append(b, value...)
	return append(b, "\r\n"...)
}

// appendOptional appends the line "typ=value" unless value is empty.
func appendOptional(b []byte, typ byte, value string) []byte {
	if value == "" {
		return b
	}
	return appendLine(b, typ, value)
}

// appendConnection appends the c= line of c, unless c is zero.
func appendConnection(b []byte, c Connection) []byte {
	if c.IsZero() {
		return b
	}
	b = append(b, "c="...)
	b = append(b, c.NetType...)
	b = append(b, ' ')
	b = append(b, c.AddrType...)
	b = append(b, ' ')
	b = append(b, c.Address...)
	return append(b, "\r\n"...)
}

// appendBandwidths appends a b= line for each of bws.
func appendBandwidths(b []byte, bws []Bandwidth) []byte {
	for _, bw := range bws {
		b = append(b, "b="...)
		b = append(b, bw.Type...)
		b = append(b, ':')
		b = strconv.AppendUint(b, bw.Value, 10)
		b = append(b, "\r\n"...)
	}
	return b
}

// appendAttributes appends an a= line for each of attrs.
func appendAttributes(b []byte, attrs Attributes) []byte {
	for _, a := range attrs {
		b = append(b, "a="...)
		b = append(b, a.Name...)
		if a.Value != "" {
			b = append(b, ':')
			b = append(b, a.Value...)
		}
		b = append(b, "\r\n"...)
	}
	return b
}
