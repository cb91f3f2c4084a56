package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"intercom/audio/tone"
	"intercom/sipua/digest"
	"intercom/sipua/message"
)

// Config is the firmware's configuration file (TOML), as loadConfig reads it:
// defaults filled in, every value checked. The TOML keys are the snake_case
// names in the toml tags; DESIGN.md lists the ones other programs rely on.
//
// Relative file names (sip.password_file, sip.ca_file, sip.tls_cert,
// sip.tls_key, wav: devices) are taken relative to the directory of the
// config file, and stored resolved.
type Config struct {
	SIP     SIP      `toml:"sip"`
	Audio   Audio    `toml:"audio"`
	Board   Board    `toml:"board"`
	Buttons []Button `toml:"button"`
	Door    Door     `toml:"door"`
	LED     LED      `toml:"led"`
	MQTT    MQTT     `toml:"mqtt"`
	Answer  Answer   `toml:"answer"`
	HTTP    HTTP     `toml:"http"`
}

// SIP is the [sip] table: the station's SIP account, sockets and timers.
type SIP struct {
	// Listen is the local SIP address, "ip:port" or ":port"; default
	// "0.0.0.0:5060".
	Listen string `toml:"listen"`
	// Transport is "udp" (default), "tcp" or "tls". With "tls" the station
	// connects to its peers over TLS; it also accepts TLS connections on
	// Listen only when TLSCert and TLSKey are set, since a listener needs a
	// certificate and a station behind its registrar does without one.
	Transport string `toml:"transport"`
	// User is our user part; required.
	User string `toml:"user"`
	// AuthUser is the digest user name when it differs from User.
	AuthUser string `toml:"auth_user"`
	// Domain is the registrar and domain; empty means direct IP calls only.
	Domain string `toml:"domain"`
	// Password is the digest password, as written, or read from
	// PasswordFile (without its trailing newline), or from the environment
	// variable PasswordEnv names. Setting more than one is an error.
	Password     string `toml:"password"`
	PasswordFile string `toml:"password_file"`
	PasswordEnv  string `toml:"password_env"`
	// OutboundProxy is a SIP URI every request is sent to; optional.
	OutboundProxy string `toml:"outbound_proxy"`
	// RegisterExpires is the registration lifetime asked for; default 600s.
	RegisterExpires Duration `toml:"register_expires"`
	// Keepalive is the interval of keep-alives to the registrar; default
	// 25s, "0s" turns them off.
	Keepalive Duration `toml:"keepalive"`
	// CAFile is a PEM file of the CAs that TLS peers' certificates are
	// checked against; empty means the system's.
	CAFile string `toml:"ca_file"`
	// TLSCert and TLSKey are PEM files of the certificate and key of the TLS
	// listener; set both or neither, and only with transport "tls".
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
	// DNSServer is the DNS server to ask instead of those of
	// /etc/resolv.conf: "ip:port", or an IP for port 53 (a name would need
	// a DNS server to resolve it).
	DNSServer string `toml:"dns_server"`
	// SessionExpires is the session timer interval (RFC 4028); default
	// 1800s, at least 90s.
	SessionExpires Duration `toml:"session_expires"`
	// MaxCallDuration ends a call that lasts longer; default 0s, unlimited.
	MaxCallDuration Duration `toml:"max_call_duration"`
	// RingTimeout bounds the ringing of a call placed from the command
	// line; default 60s.
	RingTimeout Duration `toml:"ring_timeout"`
	// RTPPorts is the range of local RTP ports, "A-B"; see RTPPortRange.
	RTPPorts string `toml:"rtp_ports"`
	// SRTP is "off" (default: plain RTP), "optional" (offer SDES keys,
	// take plain RTP from peers without them) or "mandatory" (RTP/SAVP
	// only; a plain offer is refused with 488).
	SRTP string `toml:"srtp"`

	rootCAs *x509.CertPool   // from CAFile
	cert    *tls.Certificate // from TLSCert and TLSKey
}

// RTPPortRange returns the first and last port of RTPPorts; lo is even and
// hi > lo in a validated config.
func (s *SIP) RTPPortRange() (lo, hi int) {
	lo, hi, _ = parsePortRange(s.RTPPorts)
	return lo, hi
}

// RootCAs returns the CAs of CAFile, or nil for the system's.
func (s *SIP) RootCAs() *x509.CertPool { return s.rootCAs }

// Certificate returns the TLS listener's certificate, or nil when TLSCert
// and TLSKey are not set and there is no TLS listener.
func (s *SIP) Certificate() *tls.Certificate { return s.cert }

// Audio is the [audio] table.
type Audio struct {
	// Source is the capture device: "alsa:DEVICE", "wav:FILE" or "null";
	// default the USB sound card "alsa:hw:CARD=Device,DEV=0".
	Source string `toml:"source"`
	// Sink is the playback device: "alsa:DEVICE", "oto", "wav:FILE" or
	// "null"; default as Source.
	Sink string `toml:"sink"`
	// Codecs are offered in this order, each "G722", "PCMU" or "PCMA";
	// default PCMU, PCMA.
	Codecs []string `toml:"codecs"`
	// EchoCancel turns the echo canceller on.
	EchoCancel bool `toml:"echo_cancel"`
	// Country chooses the ringback and busy tones, by ISO code ("us",
	// "gb", "de", "fr", ...); default "eu" (425 Hz).
	Country string `toml:"country"`
}

// Board is the [board] table.
type Board struct {
	// Kind is "auto" (default), "rpi3", "rpi4", "rpi5", "rpizero2w",
	// "generic" or "sim".
	Kind string `toml:"kind"`
}

// Button is one [[button]] table: a doorbell button and whom it calls.
type Button struct {
	// Name is unique among the buttons; the HTTP API names buttons by it.
	Name string `toml:"name"`
	// Pin is the GPIO pin, as the board names it ("GPIO17").
	Pin string `toml:"pin"`
	// ActiveHigh means the line is high while the button is pressed (a
	// button to 3V3, an optocoupler's output); the default is a button to
	// ground with the pin's pull-up, low while pressed.
	ActiveHigh bool `toml:"active_high"`
	// Targets are the SIP URIs called; at least one.
	Targets []string `toml:"targets"`
	// Ring is "parallel" (default: all targets at once) or "sequential".
	Ring string `toml:"ring"`
	// RingTimeout bounds the ringing of each call; default 30s.
	RingTimeout Duration `toml:"ring_timeout"`
	// Codes open the door only in calls to this button's targets (the
	// flat's own codes), beside door.codes.
	Codes []string `toml:"codes"`
	// Fallback are SIP URIs rung, all at once, when no target answered.
	Fallback []string `toml:"fallback"`
}

// Door is the [door] table: the relay that opens the door.
type Door struct {
	// RelayPin is the GPIO pin of the relay; empty means no relay.
	RelayPin string `toml:"relay_pin"`
	// Pulse is how long the relay is held; default 3s.
	Pulse Duration `toml:"pulse"`
	// Codes are the DTMF codes that open the door, of 0-9, * and #.
	Codes []string `toml:"codes"`
	// HangupAfter, if set, ends the call this long after a code opened
	// the door.
	HangupAfter Duration `toml:"hangup_after"`
	// ContactPin is the door contact's input (a normally closed switch:
	// open circuit = door open); empty means none. HeldOpen is how long
	// the door may stay open before door_held_open; default 2m.
	ContactPin string   `toml:"contact_pin"`
	HeldOpen   Duration `toml:"held_open"`
	// TamperPin is the housing's tamper switch (normally closed); empty
	// means none.
	TamperPin string `toml:"tamper_pin"`
}

// MQTT is the [mqtt] table: events published and commands taken over
// MQTT, with Home Assistant discovery.
type MQTT struct {
	// Broker is "mqtt://host:1883" or "mqtts://host:8883"; empty = off.
	// A user and password in the URL ("mqtt://user:pass@host") are moved
	// to Username and Password by validation, so that the URL, which is
	// logged, carries no secret.
	Broker   string `toml:"broker"`
	Username string `toml:"username"`
	Password string `toml:"password"`
	// ClientID defaults to "intercom-<hostname>"; Topic, the base topic,
	// to "intercom/<client_id>".
	ClientID string `toml:"client_id"`
	Topic    string `toml:"topic"`
	// Discovery announces the station to Home Assistant (default true).
	Discovery bool `toml:"discovery"`
}

// LED is the [led] table: the status LED.
type LED struct {
	// Pin is the LED's output; empty means no LED.
	Pin string `toml:"pin"`
	// ActiveLow lights the LED with a low level.
	ActiveLow bool `toml:"active_low"`
}

// Answer is the [answer] table: which incoming calls are taken.
type Answer struct {
	// Auto answers allowed calls without a button press.
	Auto bool `toml:"auto"`
	// Delay is how long an allowed call rings before it is answered.
	Delay Duration `toml:"delay"`
	// Allow lists the callers allowed: SIP URIs, with "*" matching any
	// run of characters in the user part, or IP addresses and CIDR
	// prefixes of the sender. See Allows.
	Allow []string `toml:"allow"`
	// Code is the response to calls not allowed, 400-699; default 403.
	Code int `toml:"code"`
	// Users, when set, are the callers who may call the station at all,
	// user name to password: every incoming INVITE is challenged with
	// Digest, and one that cannot answer is refused 401 before allow is
	// looked at (a door station's microphone must not be a bug for
	// strangers).
	Users map[string]string `toml:"users"`
	// DigestAlgorithms are the algorithms callers are challenged with, in
	// order of preference: "SHA-256", "MD5", "SHA-512-256"; default
	// SHA-256 and MD5. ["MD5"] for phones that give up on a SHA-256
	// challenge (baresip 1.0 and other libre 1.x phones).
	DigestAlgorithms []string `toml:"digest_algorithms"`

	algorithms []digest.Algorithm // DigestAlgorithms, parsed
	uris       []message.URI      // the SIP URI patterns of Allow
	nets       []netip.Prefix     // the IP patterns of Allow
}

// Algorithms returns the parsed DigestAlgorithms; nil means the default.
func (a *Answer) Algorithms() []digest.Algorithm { return a.algorithms }

// Allows reports whether a call from the URI from (the From header's),
// received from the address src, matches a pattern of Allow. A SIP URI
// pattern matches the host case-insensitively, the port if it names one, and
// the user part with "*" as a wildcard; a pattern without a user part
// matches any user. An empty Allow allows nothing.
func (a *Answer) Allows(from *message.URI, src netip.Addr) bool {
	src = src.Unmap()
	for _, p := range a.nets {
		if p.Contains(src) {
			return true
		}
	}
	if from == nil {
		return false
	}
	for i := range a.uris {
		p := &a.uris[i]
		if bytes.EqualFold(p.Host, from.Host) && (p.Port == 0 || p.Port == from.Port) &&
			(len(p.User) == 0 || matchGlob(p.User, from.User)) {
			return true
		}
	}
	return false
}

// HTTP is the [http] table: the JSON API.
type HTTP struct {
	// Listen is the API's address, "ip:port"; empty (default) means off.
	Listen string `toml:"listen"`
	// Token is the bearer token clients must send; required unless Listen
	// is on a loopback address.
	Token string `toml:"token"`
}

// Duration is a time.Duration written in the config as a string that
// time.ParseDuration accepts, such as "30s" or "1m30s".
type Duration struct {
	time.Duration `toml:"-"`

	// bad holds text that is not a duration. UnmarshalText keeps it here
	// rather than failing because go-toml reports the error of a text
	// unmarshaler given a number or a boolean without its line; validation
	// reports it with the line.
	bad string
}

// UnmarshalText parses a duration. It never fails: a Duration that did not
// parse is reported by parseConfig.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		*d = Duration{bad: string(text)}
		return nil
	}
	*d = Duration{Duration: v}
	return nil
}

// Choices of the enumerated keys.
var (
	transports = []string{"udp", "tcp", "tls"}
	srtpModes  = []string{"off", "optional", "mandatory"}
	codecNames = []string{"G722", "PCMU", "PCMA"}
	boardKinds = []string{"auto", "rpi3", "rpi4", "rpi5", "rpizero2w", "generic", "sim"}
	ringModes  = []string{"parallel", "sequential"}
)

// maxFileSize bounds the files a config names (passwords, PEM files).
const maxFileSize = 1 << 20

// usbSoundCard is the default microphone and speaker: the card id most
// USB audio adapters report, so a Pi with one plugged in works out of the
// box. Without it the calls fall back to the null device, with a warning.
const usbSoundCard = "alsa:hw:CARD=Device,DEV=0"

// defaultConfig returns the values of absent keys; those of [[button]]
// tables are filled in by validation.
func defaultConfig() Config {
	return Config{
		SIP: SIP{
			Listen:          "0.0.0.0:5060",
			Transport:       "udp",
			SRTP:            "off",
			RTPPorts:        "30000-30099",
			RegisterExpires: Duration{Duration: 600 * time.Second},
			Keepalive:       Duration{Duration: 25 * time.Second},
			SessionExpires:  Duration{Duration: 1800 * time.Second},
			RingTimeout:     Duration{Duration: 60 * time.Second},
		},
		Audio:  Audio{Source: usbSoundCard, Sink: usbSoundCard, Codecs: []string{"PCMU", "PCMA"}, Country: "eu"},
		Board:  Board{Kind: "auto"},
		Door:   Door{Pulse: Duration{Duration: 3 * time.Second}, HeldOpen: Duration{Duration: 2 * time.Minute}},
		Answer: Answer{Code: 403},
		MQTT:   MQTT{Discovery: true},
	}
}

// loadConfig reads and checks the config file at path.
func loadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseConfig(path, data)
}

// parseConfig decodes and checks a config file's contents. name is the file
// name used in error messages and the directory relative file names are
// resolved against. The error names the file, the line and the key of each
// problem, one per line ("intercom.toml:3: sip.transport: ...").
func parseConfig(name string, data []byte) (*Config, error) {
	cfg := defaultConfig()
	err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(&cfg)
	v := &validator{file: name, dir: filepath.Dir(name)}
	var missing *toml.StrictMissingError
	var decode *toml.DecodeError
	switch {
	case err == nil:
	case errors.As(err, &missing):
		// The rest of the document decoded: report the unknown keys with
		// what validation finds.
		for i := range missing.Errors {
			v.add(decodeError(name, &missing.Errors[i]))
		}
	case errors.As(err, &decode):
		return nil, decodeError(name, decode)
	default:
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	v.keys = indexKeys(data)
	v.config(&cfg)
	if err := v.err(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// A configError is one problem in a config file.
type configError struct {
	file string
	line int    // 0 when no line is at fault (a table is missing)
	msg  string // "key: what is wrong", or "unknown key ..."
}

// Error returns "file:line: msg", or "file: msg" without a line.
func (e *configError) Error() string {
	if e.line == 0 {
		return e.file + ": " + e.msg
	}
	return e.file + ":" + strconv.Itoa(e.line) + ": " + e.msg
}

// decodeError turns a go-toml error into a configError, with messages that
// speak of keys rather than Go types.
func decodeError(file string, e *toml.DecodeError) *configError {
	line, _ := e.Position()
	key := strings.Join(e.Key(), ".")
	msg := strings.TrimPrefix(e.Error(), "toml: ")
	// go-toml's message for a value of the wrong type names Go types.
	rest, prefixed := strings.CutPrefix(msg, "cannot decode TOML ")
	kind, _, into := strings.Cut(rest, " into ")
	mismatch := prefixed && into
	switch {
	case msg == "unknown field":
		msg = fmt.Sprintf("unknown key %q", key)
	case msg == "missing table":
		msg = fmt.Sprintf("unknown table %q", key)
	case mismatch:
		msg = fmt.Sprintf("%s: want %s, not %s", key, describeKey(e.Key()), withArticle(kind))
	default:
		// Name the key unless the message does ("key port is already
		// defined").
		if k := e.Key(); len(k) > 0 && !strings.Contains(" "+msg+" ", " "+k[len(k)-1]+" ") {
			msg = key + ": " + msg
		}
	}
	return &configError{file: file, line: line, msg: msg}
}

// describeKey says what Config holds at the TOML key, "a string" for
// example.
func describeKey(key []string) string {
	t := reflect.TypeFor[Config]()
	for _, part := range key {
		for t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return "something else"
		}
		f, ok := fieldByTag(t, part)
		if !ok {
			return "something else"
		}
		t = f.Type
	}
	return describeType(t)
}

// fieldByTag returns the field of the struct type t whose toml tag is name.
func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); strings.Split(f.Tag.Get("toml"), ",")[0] == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// describeType names the TOML value that decodes into the type t.
func describeType(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[Duration]():
		return `a duration string such as "30s"`
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "a boolean"
	case t.Kind() == reflect.Int:
		return "an integer"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		return "an array of tables"
	case t.Kind() == reflect.Slice:
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(describeType(t.Elem()), "a "), "an ") + "s"
	case t.Kind() == reflect.Struct:
		return "a table"
	}
	return t.String()
}

// withArticle puts "a" or "an" before a noun.
func withArticle(noun string) string {
	if noun != "" && strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

// kindName names a kind of TOML value, with its article.
func kindName(k unstable.Kind) string {
	switch k {
	case unstable.Bool:
		return "a boolean"
	case unstable.Table, unstable.InlineTable, unstable.ArrayTable:
		return "a table"
	case unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime, unstable.DateTime:
		return "a date or time"
	}
	return withArticle(strings.ToLower(k.String()))
}

// keyIndex tells where the keys of a TOML document are, so that errors in
// values that decoded fine can name their line. Paths are dotted keys with
// the index of each array element or array table: "button[1].targets[0]".
type keyIndex struct {
	data []byte
	at   map[string]keyPos
}

// keyPos is where a key (or an array element) is and what its value is.
type keyPos struct {
	offset int
	kind   unstable.Kind // Table for tables, also implicit ones
}

// indexKeys indexes the keys of a document that go-toml decoded.
func indexKeys(data []byte) keyIndex {
	ix := keyIndex{data: data, at: map[string]keyPos{}}
	arrays := map[string]int{} // array tables seen so far, by path
	table := ""
	var p unstable.Parser
	p.Reset(data)
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = ix.key("", e.Key(), arrays, e.Kind == unstable.ArrayTable)
		case unstable.KeyValue:
			ix.keyValue(table, e, arrays)
		}
	}
	return ix
}

// key indexes the parts of a dotted key under base and returns its path.
// Parts naming array tables stand for their last element; with newArray the
// last part adds an element.
func (ix *keyIndex) key(base string, it unstable.Iterator, arrays map[string]int, newArray bool) string {
	path := base
	for it.Next() {
		part := it.Node()
		off := int(part.Raw.Offset)
		if path != "" {
			path += "."
		}
		path += string(part.Data)
		if it.IsLast() && newArray {
			ix.add(path, off, unstable.ArrayTable)
			count := arrays[path]
			arrays[path] = count + 1
			path += "[" + strconv.Itoa(count) + "]"
		} else if count := arrays[path]; count > 0 {
			path += "[" + strconv.Itoa(count-1) + "]"
		}
		ix.add(path, off, unstable.Table)
	}
	return path
}

// keyValue indexes a key-value under the table at path table.
func (ix *keyIndex) keyValue(table string, kv *unstable.Node, arrays map[string]int) {
	path := ix.key(table, kv.Key(), arrays, false)
	value := kv.Value()
	ix.at[path] = keyPos{ix.at[path].offset, value.Kind}
	ix.value(path, value, arrays)
}

// value indexes the elements of an array and the keys of an inline table.
func (ix *keyIndex) value(path string, v *unstable.Node, arrays map[string]int) {
	switch v.Kind {
	case unstable.Array:
		i := 0
		for it := v.Children(); it.Next(); {
			n := it.Node()
			if n.Kind == unstable.Comment {
				continue
			}
			off := ix.at[path].offset
			if n.Raw.Length > 0 {
				off = int(n.Raw.Offset)
			}
			elem := path + "[" + strconv.Itoa(i) + "]"
			ix.add(elem, off, n.Kind)
			ix.value(elem, n, arrays)
			i++
		}
	case unstable.InlineTable:
		for it := v.Children(); it.Next(); {
			if kv := it.Node(); kv.Kind == unstable.KeyValue {
				ix.keyValue(path, kv, arrays)
			}
		}
	}
}

// add records the first place a path appears.
func (ix *keyIndex) add(path string, offset int, kind unstable.Kind) {
	if _, ok := ix.at[path]; !ok {
		ix.at[path] = keyPos{offset, kind}
	}
}

// has reports whether the document sets the key at path.
func (ix *keyIndex) has(path string) bool {
	_, ok := ix.at[path]
	return ok
}

// line returns the line of path or, when the document lacks it, of the
// nearest table that holds it; 0 when there is none.
func (ix *keyIndex) line(path string) int {
	for path != "" {
		if pos, ok := ix.at[path]; ok {
			return 1 + bytes.Count(ix.data[:pos.offset], []byte("\n"))
		}
		path = path[:max(strings.LastIndexAny(path, ".["), 0)]
	}
	return 0
}

// validator checks a decoded Config and collects what is wrong.
type validator struct {
	file string // config file name, for messages
	dir  string // its directory, for relative file names
	keys keyIndex
	errs []*configError
}

// add records an error.
func (v *validator) add(e *configError) { v.errs = append(v.errs, e) }

// errorf records an error in the value at path ("sip.listen",
// "button[1].targets[0]"); the message names the key without indexes.
func (v *validator) errorf(path, format string, args ...any) {
	v.add(&configError{file: v.file, line: v.keys.line(path), msg: keyName(path) + ": " + fmt.Sprintf(format, args...)})
}

// keyName returns the dotted key of a path, without its array indexes.
func keyName(path string) string {
	var b strings.Builder
	for {
		before, after, ok := strings.Cut(path, "[")
		b.WriteString(before)
		if !ok {
			return b.String()
		}
		_, path, _ = strings.Cut(after, "]")
	}
}

// err returns the errors found, in the order of their lines, or nil.
func (v *validator) err() error {
	if len(v.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(v.errs, func(a, b *configError) int { return a.line - b.line })
	errs := make([]error, len(v.errs))
	for i, e := range v.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// config checks every table and fills in the defaults of [[button]] tables.
func (v *validator) config(c *Config) {
	v.sip(&c.SIP)
	v.audio(&c.Audio)
	v.oneOf("board.kind", c.Board.Kind, boardKinds)
	v.buttons(c.Buttons)
	v.door(&c.Door)
	v.answer(&c.Answer)
	v.mqtt(&c.MQTT)
	if strings.ContainsAny(c.HTTP.Token, " \t\r\n") {
		// The token is not quoted: the message may end up in a log.
		v.errorf("http.token", "must not contain white space")
	}
	if c.HTTP.Listen != "" {
		host, ok := v.hostPort("http.listen", c.HTTP.Listen)
		if ok && c.HTTP.Token == "" && !host.IsLoopback() {
			v.errorf("http.listen", "%q is not a loopback address, so http.token must be set", c.HTTP.Listen)
		}
	}
}

// sip checks the [sip] table and reads the files it names.
func (v *validator) sip(s *SIP) {
	v.hostPort("sip.listen", s.Listen)
	v.oneOf("sip.transport", s.Transport, transports)
	v.oneOf("sip.srtp", s.SRTP, srtpModes)
	if s.User == "" {
		v.errorf("sip.user", "must be set")
	} else if u, err := message.ParseURI([]byte("sip:" + s.User + "@invalid")); err != nil || string(u.User) != s.User {
		v.errorf("sip.user", "%q is not a SIP user part", s.User)
	}
	if s.Domain != "" {
		if u, err := message.ParseURI([]byte("sip:" + s.Domain)); err != nil || u.User != nil || u.Params != nil || u.Headers != nil {
			v.errorf("sip.domain", "%q is not a host name or IP address, with an optional port", s.Domain)
		}
	}
	if s.PasswordFile != "" {
		if s.Password != "" {
			v.errorf("sip.password_file", "set sip.password or sip.password_file, not both")
		} else if b, ok := v.readFile("sip.password_file", &s.PasswordFile); ok {
			s.Password = strings.TrimRight(string(b), "\r\n")
			if s.Password == "" {
				v.errorf("sip.password_file", "%s is empty", s.PasswordFile)
			}
		}
	}
	if s.PasswordEnv != "" {
		if s.Password != "" {
			v.errorf("sip.password_env", "set one of sip.password, sip.password_file and sip.password_env")
		} else if s.Password = os.Getenv(s.PasswordEnv); s.Password == "" {
			v.errorf("sip.password_env", "the environment variable %s is empty or not set", s.PasswordEnv)
		}
	}
	if s.OutboundProxy != "" {
		v.sipURI("sip.outbound_proxy", s.OutboundProxy)
	}
	v.duration("sip.register_expires", s.RegisterExpires, time.Second)
	v.duration("sip.keepalive", s.Keepalive, 0)
	v.duration("sip.session_expires", s.SessionExpires, 90*time.Second)
	v.duration("sip.max_call_duration", s.MaxCallDuration, 0)
	v.duration("sip.ring_timeout", s.RingTimeout, time.Second)
	if s.CAFile != "" {
		if b, ok := v.readFile("sip.ca_file", &s.CAFile); ok {
			s.rootCAs = x509.NewCertPool()
			if !s.rootCAs.AppendCertsFromPEM(b) {
				v.errorf("sip.ca_file", "%s holds no PEM certificate", s.CAFile)
			}
		}
	}
	switch {
	case s.TLSCert == "" && s.TLSKey == "":
	case s.Transport != "tls":
		v.errorf(firstSet("sip.tls_cert", s.TLSCert, "sip.tls_key"), `only a TLS listener uses it, and sip.transport is %q`, s.Transport)
	case s.TLSCert == "" || s.TLSKey == "":
		v.errorf(firstSet("sip.tls_cert", s.TLSCert, "sip.tls_key"), "set both sip.tls_cert and sip.tls_key, or neither")
	default:
		certPEM, ok1 := v.readFile("sip.tls_cert", &s.TLSCert)
		keyPEM, ok2 := v.readFile("sip.tls_key", &s.TLSKey)
		if ok1 && ok2 {
			cert, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				v.errorf("sip.tls_cert", "%s and %s: %v", s.TLSCert, s.TLSKey, err)
			} else {
				s.cert = &cert
			}
		}
	}
	if s.DNSServer != "" {
		if _, err := netip.ParseAddrPort(s.DNSServer); err != nil {
			if _, err := netip.ParseAddr(s.DNSServer); err != nil {
				v.errorf("sip.dns_server", `%q is not "ip:port" or an IP address`, s.DNSServer)
			}
		}
	}
	if _, _, err := parsePortRange(s.RTPPorts); err != nil {
		v.errorf("sip.rtp_ports", "%q: %v", s.RTPPorts, err)
	}
}

// firstSet returns key if value is set, else other: the key an error about
// a pair of keys points at.
func firstSet(key, value, other string) string {
	if value != "" {
		return key
	}
	return other
}

// audio checks the [audio] table.
func (v *validator) audio(a *Audio) {
	v.device("audio.source", &a.Source, false)
	v.device("audio.sink", &a.Sink, true)
	if len(a.Codecs) == 0 {
		v.errorf("audio.codecs", "name at least one codec of %s", strings.Join(codecNames, ", "))
	}
	for i, c := range a.Codecs {
		path := fmt.Sprintf("audio.codecs[%d]", i)
		v.oneOf(path, c, codecNames)
		if slices.Index(a.Codecs, c) < i {
			v.errorf(path, "%q is listed twice", c)
		}
	}
	if _, err := tone.RingbackCadence(a.Country); err != nil {
		v.errorf("audio.country", "%q has no tones; known: %s", a.Country, strings.Join(tone.Countries(), ", "))
	}
}

// device checks an audio device name and resolves the file of a wav: one.
func (v *validator) device(path string, dev *string, sink bool) {
	kind, arg, _ := strings.Cut(*dev, ":")
	switch {
	case *dev == "null", *dev == "oto" && sink:
	case kind == "alsa" && arg != "":
	case kind == "wav" && arg != "":
		file := v.resolve(arg)
		*dev = "wav:" + file
		if _, err := os.Stat(file); err != nil && !sink {
			v.errorf(path, "%v", err)
		}
	case sink:
		v.errorf(path, `%q is not one of alsa:DEVICE, oto, wav:FILE, null`, *dev)
	default:
		v.errorf(path, `%q is not one of alsa:DEVICE, wav:FILE, null`, *dev)
	}
}

// buttons checks the [[button]] tables and fills in their defaults.
func (v *validator) buttons(buttons []Button) {
	names := map[string]int{} // index by name
	for i := range buttons {
		b, path := &buttons[i], fmt.Sprintf("button[%d]", i)
		if !v.keys.has(path + ".ring") {
			b.Ring = "parallel"
		}
		if !v.keys.has(path + ".ring_timeout") {
			b.RingTimeout = Duration{Duration: 30 * time.Second}
		}
		if b.Name == "" {
			v.errorf(path+".name", "must be set")
		} else if j, dup := names[b.Name]; dup {
			v.errorf(path+".name", "%q is already the name of the button at line %d", b.Name, v.keys.line(fmt.Sprintf("button[%d].name", j)))
		} else {
			names[b.Name] = i
		}
		if b.Pin == "" {
			v.errorf(path+".pin", "must be set")
		}
		if len(b.Targets) == 0 {
			v.errorf(path+".targets", "name at least one SIP URI to call")
		}
		for j, t := range b.Targets {
			v.sipURI(fmt.Sprintf("%s.targets[%d]", path, j), t)
		}
		v.oneOf(path+".ring", b.Ring, ringModes)
		v.duration(path+".ring_timeout", b.RingTimeout, time.Second)
		v.codes(path+".codes", b.Codes)
		for j, f := range b.Fallback {
			v.sipURI(fmt.Sprintf("%s.fallback[%d]", path, j), f)
		}
	}
}

// codes checks DTMF door codes.
func (v *validator) codes(path string, codes []string) {
	for i, code := range codes {
		if code == "" || strings.Trim(code, "0123456789*#") != "" {
			v.errorf(fmt.Sprintf("%s[%d]", path, i), "%q is not a code of 0-9, * and #", code)
		}
	}
}

// door checks the [door] table.
func (v *validator) door(d *Door) {
	v.duration("door.pulse", d.Pulse, time.Millisecond)
	v.duration("door.hangup_after", d.HangupAfter, 0)
	v.duration("door.held_open", d.HeldOpen, time.Second)
	v.codes("door.codes", d.Codes)
	if len(d.Codes) > 0 && d.RelayPin == "" {
		v.errorf("door.codes", "set door.relay_pin too, or the codes open nothing")
	}
}

// answer checks the [answer] table and parses its patterns.
func (v *validator) answer(a *Answer) {
	v.duration("answer.delay", a.Delay, 0)
	for user, password := range a.Users {
		if user == "" || password == "" {
			v.errorf("answer.users", "user %q needs a name and a password", user)
		}
	}
	for i, name := range a.DigestAlgorithms {
		alg, err := digest.ParseAlgorithm(name)
		if err != nil || strings.HasSuffix(strings.ToLower(name), "-sess") {
			v.errorf(fmt.Sprintf("answer.digest_algorithms[%d]", i), "%q: want SHA-256, MD5 or SHA-512-256", name)
			continue
		}
		a.algorithms = append(a.algorithms, alg)
	}
	for i, pat := range a.Allow {
		path := fmt.Sprintf("answer.allow[%d]", i)
		lower := strings.ToLower(pat)
		if strings.HasPrefix(lower, "sip:") || strings.HasPrefix(lower, "sips:") {
			if u, ok := v.sipURI(path, pat); ok {
				a.uris = append(a.uris, u)
			}
		} else if p, err := netip.ParsePrefix(pat); err == nil {
			a.nets = append(a.nets, p.Masked())
		} else if ip, err := netip.ParseAddr(pat); err == nil {
			ip = ip.WithZone("").Unmap()
			a.nets = append(a.nets, netip.PrefixFrom(ip, ip.BitLen()))
		} else {
			v.errorf(path, "%q is not a SIP URI, an IP address or a CIDR prefix", pat)
		}
	}
	if a.Auto && len(a.Allow) == 0 {
		v.errorf("answer.auto", "answers nothing while answer.allow is empty")
	}
	if a.Code < 400 || a.Code > 699 {
		v.errorf("answer.code", "%d is not a 4xx, 5xx or 6xx response code", a.Code)
	}
}

// mqttSchemes are the broker URL schemes the MQTT bridge takes.
var mqttSchemes = []string{"mqtt", "mqtts", "tcp", "ssl", "tls"}

// mqtt checks the [mqtt] table. A user and password written in the broker
// URL move to mqtt.username and mqtt.password: the bridge and its MQTT
// library log the URL (as it connects and when it cannot), and would log
// the password with it. Messages show the URL without its password.
func (v *validator) mqtt(m *MQTT) {
	if m.Broker == "" {
		return
	}
	u, err := url.Parse(m.Broker)
	if err != nil {
		// url.Parse's error quotes the whole URL, password and all.
		v.errorf("mqtt.broker", "not a URL such as mqtt://host:1883")
		return
	}
	shown := u.Redacted()
	if !slices.Contains(mqttSchemes, u.Scheme) {
		v.errorf("mqtt.broker", "%q: the scheme must be mqtt or mqtts", shown)
	}
	if u.Hostname() == "" {
		v.errorf("mqtt.broker", "%q has no host", shown)
	}
	if u.User == nil {
		return
	}
	if m.Username != "" || m.Password != "" {
		v.errorf("mqtt.broker", "%q: give the user and password in the URL or in mqtt.username and mqtt.password, not both", shown)
		return
	}
	m.Username = u.User.Username()
	m.Password, _ = u.User.Password()
	u.User = nil
	m.Broker = u.String()
}

// oneOf checks that s is one of choices.
func (v *validator) oneOf(path, s string, choices []string) {
	if !slices.Contains(choices, s) {
		v.errorf(path, "%q is not one of %s", s, strings.Join(choices, ", "))
	}
}

// duration checks that a duration is a string that parsed, not below min.
func (v *validator) duration(path string, d Duration, min time.Duration) {
	switch pos, ok := v.keys.at[path]; {
	case ok && pos.kind != unstable.String:
		v.errorf(path, `want a duration string such as "30s", not %s`, kindName(pos.kind))
	case d.bad != "":
		v.errorf(path, `%q is not a duration such as "30s" or "1m30s"`, d.bad)
	case d.Duration < min && min == 0:
		v.errorf(path, "%s is negative", d)
	case d.Duration < min:
		v.errorf(path, "%s is less than %s", d, min)
	}
}

// hostPort checks an "ip:port" or ":port" address and returns its IP, which
// is the zero Addr for ":port", and whether it is valid.
func (v *validator) hostPort(path, s string) (netip.Addr, bool) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		v.errorf(path, `%q is not "ip:port" or ":port"`, s)
		return netip.Addr{}, false
	}
	var ip netip.Addr
	if host != "" {
		if ip, err = netip.ParseAddr(host); err != nil {
			v.errorf(path, "%q: the host must be an IP address", s)
			return ip, false
		}
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		v.errorf(path, "%q: the port must be a number from 0 to 65535", s)
		return ip, false
	}
	return ip, true
}

// sipURI checks that s is a SIP or SIPS URI.
func (v *validator) sipURI(path, s string) (message.URI, bool) {
	u, err := message.ParseURI([]byte(s))
	if err == nil && !u.IsSIP() {
		err = errors.New("not a sip: or sips: URI")
	}
	if err != nil {
		var pe *message.ParseError
		if errors.As(err, &pe) {
			err = errors.New(pe.Msg)
		}
		v.errorf(path, "%q is not a SIP URI: %v", s, err)
		return message.URI{}, false
	}
	return u, true
}

// resolve returns a file name relative to the config file's directory.
func (v *validator) resolve(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(v.dir, name)
}

// readFile resolves the file name at *name and reads the regular file, of
// at most maxFileSize bytes.
func (v *validator) readFile(path string, name *string) ([]byte, bool) {
	*name = v.resolve(*name)
	b, err := readSmallFile(*name)
	if err != nil {
		v.errorf(path, "%v", err)
		return nil, false
	}
	return b, true
}

// readSmallFile reads a regular file of at most maxFileSize bytes; it never
// blocks on a FIFO or reads a device without end.
func readSmallFile(name string) ([]byte, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err == nil && len(b) > maxFileSize {
		err = fmt.Errorf("%s is larger than %d bytes", name, maxFileSize)
	}
	return b, err
}

// parsePortRange parses "A-B": 1024 <= A < B <= 65535 with A even, since
// RTP takes an even port and RTCP the next one.
func parsePortRange(s string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(s, "-")
	lo, hi = atoi(a), atoi(b)
	switch {
	case !ok || lo < 0 || hi < 0:
		return 0, 0, errors.New(`want "A-B", such as "30000-30099"`)
	case lo < 1024 || hi > 65535:
		return 0, 0, errors.New("the ports must be from 1024 to 65535")
	case lo%2 != 0:
		return 0, 0, errors.New("the first port must be even")
	case hi <= lo:
		return 0, 0, errors.New("the range must hold at least 2 ports")
	}
	return lo, hi, nil
}

// atoi parses 1 to 5 decimal digits, or returns -1.
func atoi(s string) int {
	if len(s) == 0 || len(s) > 5 || strings.Trim(s, "0123456789") != "" {
		return -1
	}
	n, _ := strconv.Atoi(s)
	return n
}

// matchGlob reports whether s matches pattern, in which each "*" stands for
// any run of bytes.
func matchGlob(pattern, s []byte) bool {
	parts := bytes.Split(pattern, []byte("*"))
	if len(parts) == 1 {
		return bytes.Equal(pattern, s)
	}
	first, last := parts[0], parts[len(parts)-1]
	if len(s) < len(first)+len(last) || !bytes.HasPrefix(s, first) || !bytes.HasSuffix(s, last) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	for _, part := range parts[1 : len(parts)-1] {
		i := bytes.Index(s, part)
		if i < 0 {
			return false
		}
		s = s[i+len(part):]
	}
	return true
}
