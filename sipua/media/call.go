package media

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"

	"intercom/audio/codec"
	"intercom/sipua/sdp"
)

// CallConfig says how a call's media is set up.
type CallConfig struct {
	// Addr is the local address for RTP, given in our session
	// descriptions.
	Addr netip.Addr
	// Port returns the next even port to try for RTP (RTCP takes the one
	// after); a port in use is skipped, at most 16 times.
	Port func() int
	// SDP holds the codecs, DTMF and SRTP choices; its Addr and Port are
	// filled in.
	SDP sdp.Config
	// Logger receives the log; nil means slog.Default().
	Logger *slog.Logger
	// OnDTMF, if set, is told of each key the peer presses by RFC 4733.
	OnDTMF func(key byte)
}

// Call is the media of one call: its session description, negotiated by
// offer and answer, and its audio stream, configured from what was
// agreed. It is what the SIP user agent's Config.NewMedia returns.
type Call struct {
	mu     sync.Mutex // serializes offer/answer with Hold
	sdp    *sdp.Session
	stream *Stream
}

// NewCall opens the call's RTP and RTCP sockets and prepares its session
// description.
func NewCall(cfg CallConfig) (*Call, error) {
	var stream *Stream
	var err error
	for range 16 {
		port := cfg.Port()
		if stream, err = Listen(cfg.Addr, port, cfg.Logger, cfg.OnDTMF); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("media: no free RTP port: %w", err)
	}
	sc := cfg.SDP
	sc.Addr, sc.Port = cfg.Addr, stream.Port()
	s, err := sdp.NewSession(sc)
	if err != nil {
		stream.Close()
		return nil, err
	}
	return &Call{sdp: s, stream: stream}, nil
}

// Stream returns the call's audio stream.
func (c *Call) Stream() *Stream { return c.stream }

// SDP returns the call's session description state.
func (c *Call) SDP() *sdp.Session { return c.sdp }

// Offer returns our offer.
func (c *Call) Offer() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sdp.Offer()
}

// Answer answers the peer's offer and configures the stream with the
// result.
func (c *Call) Answer(offer []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	answer, err := c.sdp.Answer(offer)
	if err != nil {
		return nil, err
	}
	return answer, c.apply()
}

// Accept takes the peer's answer and configures the stream with the
// result.
func (c *Call) Accept(answer []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.sdp.Accept(answer); err != nil {
		return err
	}
	return c.apply()
}

// CancelOffer withdraws an offer the peer refused.
func (c *Call) CancelOffer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sdp.CancelOffer()
}

// Hold sets whether our next offer puts the call on hold.
func (c *Call) Hold(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sdp.Hold(on)
}

// Close ends the stream (RTCP BYE) and frees its ports.
func (c *Call) Close() error { return c.stream.Close() }

// apply configures the stream from the negotiated media. The caller holds
// c.mu.
func (c *Call) apply() error {
	m, ok := c.sdp.Negotiated()
	if !ok {
		return errors.New("media: nothing negotiated")
	}
	cd, ok := codec.Lookup(m.Codec.Name)
	if !ok {
		return fmt.Errorf("media: codec %s not supported", m.Codec.Name)
	}
	cfg := Config{Codec: cd, PayloadType: uint8(m.Codec.PayloadType), DTMFPayloadType: m.DTMFPayloadType,
		Remote: m.Remote, RemoteRTCP: m.RemoteRTCP, Send: m.Direction.Sends(), Receive: m.Direction.Receives()}
	if k := m.SRTP; k != nil {
		cfg.SRTP = &Keys{Profile: k.Profile, LocalKey: k.LocalKey, LocalSalt: k.LocalSalt, RemoteKey: k.RemoteKey, RemoteSalt: k.RemoteSalt}
	}
	return c.stream.Configure(cfg)
}
