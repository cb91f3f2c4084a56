// Package transaction implements the SIP transaction layer of RFC 3261 §17:
// the INVITE and non-INVITE client and server state machines with their
// timers, retransmission over unreliable transports, and the matching of
// requests and responses to transactions, including the RFC 2543 rules of
// §17.2.3 for peers whose Via branch lacks the magic cookie. The INVITE
// machines follow RFC 6026: a 2xx ends neither at once, so retransmitted 2xx
// responses still reach the transaction user, which answers them with ACK.
//
// The layer sends through a Transport and is fed what the transport receives
// through HandleRequest and HandleResponse. The messages handed to the
// transaction user alias the transport's buffer: a user that keeps one copies
// it (message.Message.CopyFrom).
package transaction

import (
	"errors"
	"strconv"
	"sync"
	"time"

	"intercom/sipua/message"
	"intercom/sipua/transport"
)

// Addr is where a message goes or came from.
type Addr = transport.Addr

// Transport sends a message in wire form. Send is called with the layer's
// lock held, so it must not block for long nor call back into the layer.
type Transport interface {
	Send(to Addr, wire []byte) error
}

// Timers are the base timer values of RFC 3261 §17.1.1.1; zero fields take
// the defaults T1 = 500 ms, T2 = 4 s, T4 = 5 s.
type Timers struct {
	T1, T2, T4 time.Duration
}

func (t Timers) withDefaults() Timers {
	if t.T1 <= 0 {
		t.T1 = 500 * time.Millisecond
	}
	if t.T2 <= 0 {
		t.T2 = 4 * time.Second
	}
	if t.T4 <= 0 {
		t.T4 = 5 * time.Second
	}
	return t
}

// Errors that end a transaction without a final response.
var (
	// ErrTimeout: no final response came within 64*T1 (Timer B or F), or no
	// ACK came for a final non-2xx response (Timer H).
	ErrTimeout = errors.New("sip transaction timed out")
	// ErrTransport: the transport could not send (the cause is wrapped).
	ErrTransport = errors.New("sip transport failed")
	// ErrOverload: HandleRequest found MaxServers server transactions alive
	// and answered the request statelessly with 503 and Retry-After.
	ErrOverload = errors.New("sip server transactions over their bound")
)

// DefaultMaxServers is the default bound of the server transaction table.
// A transaction lingers up to 64*T1 (32 s) after its final response, so
// under a flood of requests the table holds about 32 s of them; past the
// bound new requests are refused 503 instead of growing it.
const DefaultMaxServers = 4096

// overloadRetryAfter is the Retry-After, in seconds, of the 503 sent past
// the bound: about the time the table needs to drain.
const overloadRetryAfter = "32"

// Core is the transaction user: the UA core above the layer. Its methods are
// called without the layer's lock held, from the goroutine that fed the
// layer or from a timer.
type Core interface {
	// Request is a new request with its server transaction; for an ACK to a
	// 2xx, which has no transaction of its own (§17.2.3), tx is nil.
	Request(tx *Server, req *message.Message, from Addr)
	// StrayResponse is a response that matches no client transaction, such
	// as a 2xx retransmitted after its INVITE transaction ended.
	StrayResponse(resp *message.Message, from Addr)
	// ServerError reports that a server transaction ended without its final
	// response being acknowledged (ErrTimeout) or sent (ErrTransport).
	ServerError(tx *Server, err error)
}

// Layer is the transaction layer. It is safe for concurrent use.
type Layer struct {
	tr     Transport
	core   Core
	timers Timers

	mu         sync.Mutex
	maxServers int
	clients    map[string]*Client
	servers    map[string]*Server
	merged     map[string]*Server // by Call-ID, From tag and CSeq (§8.2.2.2)
}

// NewLayer returns a layer that sends through tr and hands requests to core.
func NewLayer(tr Transport, core Core, timers Timers) *Layer {
	return &Layer{
		tr: tr, core: core, timers: timers.withDefaults(), maxServers: DefaultMaxServers,
		clients: make(map[string]*Client),
		servers: make(map[string]*Server),
		merged:  make(map[string]*Server),
	}
}

// Close ends every transaction at once, stopping its timers, and reports
// nothing to the core: for a user agent that shuts down.
func (l *Layer) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, tx := range l.clients {
		tx.end(nil)
	}
	for _, tx := range l.servers {
		tx.end()
	}
}

// SetMaxServers bounds the number of server transactions alive at once
// (DefaultMaxServers if n <= 0): past it, a new request is answered 503
// Service Unavailable with Retry-After, statelessly, and HandleRequest
// returns ErrOverload. Retransmissions, ACKs and CANCELs of transactions
// alive are still matched.
func (l *Layer) SetMaxServers(n int) {
	if n <= 0 {
		n = DefaultMaxServers
	}
	l.mu.Lock()
	l.maxServers = n
	l.mu.Unlock()
}

// Timers returns the timer bases the layer runs with.
func (l *Layer) Timers() Timers { return l.timers }

// Counts returns the number of client and server transactions alive.
func (l *Layer) Counts() (clients, servers int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients), len(l.servers)
}

// State is a transaction's state (RFC 3261 §17, RFC 6026).
type State int

// Transaction states.
const (
	Calling State = iota
	Trying
	Proceeding
	Accepted
	Completed
	Confirmed
	Terminated
)

var stateNames = [...]string{"Calling", "Trying", "Proceeding", "Accepted", "Completed", "Confirmed", "Terminated"}

func (s State) String() string { return stateNames[s] }

// timer is a restartable timer whose callback runs under the layer's lock.
type timer struct{ t *time.Timer }

func (t *timer) start(l *Layer, d time.Duration, f func() func()) {
	t.stop()
	t.t = time.AfterFunc(d, func() {
		l.mu.Lock()
		after := f()
		l.mu.Unlock()
		if after != nil {
			after()
		}
	})
}

func (t *timer) stop() {
	if t.t != nil {
		t.t.Stop()
		t.t = nil
	}
}

// transactionKey returns the key of an RFC 3261 transaction: the branch, the
// sent-by and the method, with ACK keyed as the INVITE it acknowledges.
func transactionKey(branch []byte, via *message.Via, method message.Method) string {
	if method == message.ACK {
		method = message.INVITE
	}
	return string(branch) + "|" + string(via.Host) + ":" + strconv.Itoa(via.Port) + "|" + string(method)
}
