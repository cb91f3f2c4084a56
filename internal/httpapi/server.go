package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Limits and timeouts of the server.
const (
	// MaxBodyBytes is the largest request body accepted; larger ones get 413.
	MaxBodyBytes = 4 << 10
	// MaxSubscribers is the number of concurrent event streams; more get 503.
	MaxSubscribers = 16
	// HeartbeatInterval is how often an idle event stream gets a comment.
	HeartbeatInterval = 15 * time.Second
	// ShutdownTimeout bounds the graceful shutdown in Serve.
	ShutdownTimeout = 5 * time.Second
)

// timeouts are the http.Server's; tests shorten them.
type timeouts struct {
	readHeader, read, write, idle time.Duration
	streamWrite                   time.Duration // per write on an event stream
}

var defaultTimeouts = timeouts{
	readHeader:  5 * time.Second,
	read:        10 * time.Second,
	write:       30 * time.Second,
	idle:        60 * time.Second,
	streamWrite: 10 * time.Second,
}

// Config configures a [Server].
type Config struct {
	// Listen is the TCP address to listen on, such as "127.0.0.1:8080".
	Listen string
	// Token is the bearer token clients must send (Authorization: Bearer
	// TOKEN). It may be empty only when Listen is a loopback address; when
	// set it is required on every request, loopback or not.
	Token string
	// Station is what the API drives. Required.
	Station Station
	// Logger receives request errors; nil discards them.
	Logger *slog.Logger
}

// Server is the HTTP API. Create it with [New]; use [Server.Serve] to run it
// or [Server.Handler] to mount it elsewhere.
type Server struct {
	cfg       Config
	log       *slog.Logger
	tokenHash [sha256.Size]byte
	handler   http.Handler
	sse       chan struct{} // semaphore of event streams
	heartbeat time.Duration
	timeouts  timeouts
	stop      chan struct{} // closed when Serve shuts down; ends event streams
	stopOnce  sync.Once
	ready     chan struct{} // closed once Serve has bound its listener

	mu      sync.Mutex
	addr    net.Addr
	serving bool
}

// New validates cfg and returns a Server. A Listen address that is not
// loopback needs a Token.
func New(cfg Config) (*Server, error) {
	if cfg.Station == nil {
		return nil, errors.New("httpapi: no station")
	}
	if cfg.Listen == "" {
		return nil, errors.New("httpapi: no listen address")
	}
	if _, _, err := net.SplitHostPort(cfg.Listen); err != nil {
		return nil, fmt.Errorf("httpapi: listen address %q: %w", cfg.Listen, err)
	}
	if cfg.Token == "" && !IsLoopback(cfg.Listen) {
		return nil, fmt.Errorf("httpapi: listen address %q is not loopback: a token is required", cfg.Listen)
	}
	if strings.ContainsAny(cfg.Token, " \t\r\n") {
		return nil, errors.New("httpapi: token must not contain white space")
	}
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		sse:       make(chan struct{}, MaxSubscribers),
		heartbeat: HeartbeatInterval,
		timeouts:  defaultTimeouts,
		stop:      make(chan struct{}),
		ready:     make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.tokenHash = sha256.Sum256([]byte(cfg.Token))
	s.handler = s.limit(s.auth(s.routes()))
	return s, nil
}

// IsLoopback reports whether the listen address addr ("host:port") accepts
// connections only from the local machine: localhost, 127.0.0.0/8 or ::1.
// An empty host (all interfaces) is not loopback.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i]
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Handler returns the API's handler, with authentication and body limits.
func (s *Server) Handler() http.Handler { return s.handler }

// Addr returns the address Serve listens on, nil before it has bound.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Serve listens on Config.Listen and serves until ctx ends, then shuts down
// gracefully: event streams end, in-flight requests get up to
// ShutdownTimeout to finish, then connections are closed. It returns nil
// after a shutdown caused by ctx, or the error that stopped it. A Server
// serves once.
func (s *Server) Serve(ctx context.Context) error {
	s.mu.Lock()
	if s.serving {
		s.mu.Unlock()
		return errors.New("httpapi: Serve called twice")
	}
	s.serving = true
	s.mu.Unlock()

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("httpapi: %w", err)
	}
	s.mu.Lock()
	s.addr = ln.Addr()
	s.mu.Unlock()
	close(s.ready)

	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.timeouts.readHeader,
		ReadTimeout:       s.timeouts.read,
		WriteTimeout:      s.timeouts.write, // event streams lift it
		IdleTimeout:       s.timeouts.idle,
		MaxHeaderBytes:    8 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		s.stopStreams()
		return fmt.Errorf("httpapi: %w", err)
	case <-ctx.Done():
	}
	s.stopStreams()
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		s.log.Warn("http shutdown timed out, closing connections", "err", err)
		srv.Close()
	}
	<-errc // http.ErrServerClosed
	return nil
}

func (s *Server) stopStreams() { s.stopOnce.Do(func() { close(s.stop) }) }

// limit caps request bodies.
func (s *Server) limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// auth requires the bearer token when one is configured.
func (s *Server) auth(next http.Handler) http.Handler {
	if s.cfg.Token == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.tokenOK(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="intercom"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// tokenOK checks an Authorization header value in constant time (hashing
// first so that the length does not leak either).
func (s *Server) tokenOK(h string) bool {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(sum[:], s.tokenHash[:]) == 1
}
