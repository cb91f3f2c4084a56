// Package peertest starts real third-party SIP peers on 127.0.0.1 for
// interop tests: baresip (a user agent driven over its ctrl_tcp interface)
// and kamailio (a registrar and record-routing proxy with digest auth).
//
// Every peer belongs to the test that started it: it runs in the test's
// temporary directory, listens on 127.0.0.1 only, asks no DNS server outside,
// and is killed by t.Cleanup. Its output is kept and logged when the test
// fails. Every wait is bounded in time.
//
// A call from a to b through kamailio:
//
//	k := peertest.StartKamailio(t, peertest.KamailioConfig{Users: map[string]string{"a": "pa", "b": "pb"}})
//	a := peertest.StartBaresip(t, peertest.BaresipConfig{User: "a", Password: "pa", Domain: k.Domain(), Registrar: k.URI()})
//	b := peertest.StartBaresip(t, peertest.BaresipConfig{User: "b", Password: "pb", Domain: k.Domain(), Registrar: k.URI(), AutoAnswer: true})
//	a.WaitEvent(t, "REGISTER_OK", 5*time.Second)
//	b.WaitEvent(t, "REGISTER_OK", 5*time.Second)
//	if err := a.Dial(k.UserURI("b")); err != nil { ... }
//	b.WaitEvent(t, "CALL_ESTABLISHED", 5*time.Second)
//
// A missing program skips the test, or fails it when the environment variable
// CI is "true" (see NeedTool). The Debian packages are baresip-core (baresip
// and all the modules used here) and kamailio.
//
// The package is for tests only; it is a normal package so that tests of
// other packages can import it.
package peertest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// NeedTool returns the path of the program name. When it is missing, the test
// is skipped, or fails when the environment variable CI is "true" so that no
// skipped test hides a missing install in CI.
//
// Besides $PATH it looks in /usr/sbin and /usr/local/sbin, where Debian puts
// kamailio and which an ordinary user's $PATH often lacks.
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	path, err := lookTool(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("peertest: %s is not installed: %v", name, err)
		}
		t.Skipf("peertest: %s is not installed (%v); skipping", name, err)
	}
	return path
}

func lookTool(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err == nil || strings.ContainsRune(name, '/') {
		return path, err
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin"} {
		if p, err2 := exec.LookPath(filepath.Join(dir, name)); err2 == nil {
			return p, nil
		}
	}
	return "", err
}

// portsMu guards handedOut, the ports this process has already handed out,
// so that two peers of one test binary never get the same port even before
// the first one binds it.
var (
	portsMu   sync.Mutex
	handedOut = map[int]bool{}
)

// FreePort returns a port on 127.0.0.1 that was free a moment ago for network
// ("udp" or "tcp"). Another process may still take it before the caller binds
// it; within this process FreePort and FreePorts never return a port twice.
func FreePort(t testing.TB, network string) int {
	t.Helper()
	return FreePorts(t, 1, network)
}

// FreePorts returns the first of n consecutive ports on 127.0.0.1 that were
// all free a moment ago on every one of networks ("udp", "tcp"). Baresip
// needs FreePorts(t, 2, "udp", "tcp"): sip_listen 127.0.0.1:P binds UDP and
// TCP on P and TLS on P+1.
func FreePorts(t testing.TB, n int, networks ...string) int {
	t.Helper()
	if n < 1 || n > 16 || len(networks) == 0 {
		t.Fatalf("peertest: FreePorts(%d, %q): want 1..16 ports on at least one network", n, networks)
	}
	for _, nw := range networks {
		if nw != "udp" && nw != "tcp" {
			t.Fatalf("peertest: FreePorts: network %q, want udp or tcp", nw)
		}
	}
	portsMu.Lock()
	defer portsMu.Unlock()
	var lastErr error
	for range 100 {
		// The kernel picks a random free port; the others must follow it.
		base, err := listenPort(networks[0], 0)
		if err != nil {
			lastErr = err
			continue
		}
		if base.port+n-1 > 65535 {
			base.close()
			continue
		}
		held := []listener{base}
		ok := true
		for i := range n {
			if handedOut[base.port+i] {
				ok = false
				break
			}
			for j, nw := range networks {
				if i == 0 && j == 0 {
					continue
				}
				l, err := listenPort(nw, base.port+i)
				if err != nil {
					lastErr, ok = err, false
					break
				}
				held = append(held, l)
			}
			if !ok {
				break
			}
		}
		for _, l := range held {
			l.close()
		}
		if ok {
			for i := range n {
				handedOut[base.port+i] = true
			}
			return base.port
		}
	}
	t.Fatalf("peertest: no %d free consecutive ports on %v after 100 tries: %v", n, networks, lastErr)
	return 0
}

// listener is a bound port and how to release it.
type listener struct {
	port  int
	close func() error
}

// listenPort binds port (0: any) on 127.0.0.1 for network, "udp" or "tcp".
func listenPort(network string, port int) (listener, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if network == "udp" {
		c, err := net.ListenPacket("udp4", addr)
		if err != nil {
			return listener{}, err
		}
		return listener{c.LocalAddr().(*net.UDPAddr).Port, c.Close}, nil
	}
	l, err := net.Listen("tcp4", addr)
	if err != nil {
		return listener{}, err
	}
	return listener{l.Addr().(*net.TCPAddr).Port, l.Close}, nil
}

// outputLimit bounds what is kept of a peer's output: its last bytes.
const outputLimit = 1 << 20

// Buffer keeps the last 1 MiB written to it; it is safe for concurrent
// use, so a process's stdout and stderr, or a logger, can write to it while
// a test reads it.
type Buffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	dropped int64
}

// Write appends p, dropping the oldest bytes past the limit.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - outputLimit; over > 0 {
		b.buf.Next(over)
		b.dropped += int64(over)
	}
	return len(p), nil
}

// String returns what is kept, saying how much was dropped.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dropped > 0 {
		return fmt.Sprintf("[... %d bytes dropped ...]\n%s", b.dropped, b.buf.String())
	}
	return b.buf.String()
}

// process is a started peer: its output, its end, and a bounded stop.
type process struct {
	name   string
	cmd    *exec.Cmd
	out    Buffer
	done   chan struct{} // closed when Wait returned
	err    error         // Wait's result, valid once done is closed
	stopMu sync.Mutex
	// graceful is the signal that asks the peer to stop; nil kills at once.
	graceful os.Signal
}

// Bounds of a stop: grace after the graceful signal, then after SIGKILL.
const (
	stopGrace = 3 * time.Second
	killGrace = 3 * time.Second
)

// startProcess starts cmd in its own process group with its output kept, and
// registers its stop and, when the test failed, the dump of its output with
// t.Cleanup.
func startProcess(t testing.TB, name string, cmd *exec.Cmd, graceful os.Signal) (*process, error) {
	t.Helper()
	p := &process{name: name, cmd: cmd, done: make(chan struct{}), graceful: graceful}
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	cmd.Stdin = nil
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if err := p.stop(); err != nil {
			t.Errorf("peertest: %v", err)
		}
		if t.Failed() {
			t.Logf("peertest: output of %s (%s):\n%s", name, strings.Join(cmd.Args, " "), p.out.String())
		}
	})
	return p, nil
}

// exited reports whether the process has ended, and how.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// stop ends the process and its group: the graceful signal first (when there
// is one), SIGKILL after stopGrace; it waits at most stopGrace+killGrace.
// Stopping a stopped process does nothing.
func (p *process) stop() error {
	p.stopMu.Lock()
	defer p.stopMu.Unlock()
	if ok, _ := p.exited(); ok {
		killGroup(p.cmd) // children a dead leader may have left
		return nil
	}
	if p.graceful != nil {
		signalGroup(p.cmd, p.graceful)
		select {
		case <-p.done:
			killGroup(p.cmd)
			return nil
		case <-time.After(stopGrace):
		}
	}
	killGroup(p.cmd)
	select {
	case <-p.done:
		return nil
	case <-time.After(killGrace):
		return fmt.Errorf("%s (pid %d) did not end %v after SIGKILL", p.name, p.cmd.Process.Pid, killGrace)
	}
}

// portTaken reports whether p (which may be nil) ended because a port it
// wanted to bind was in use.
func (p *process) portTaken() bool {
	if p == nil {
		return false
	}
	ok, _ := p.exited()
	return ok && strings.Contains(p.out.String(), "Address already in use")
}

// errExited describes a peer that ended before it was ready.
func (p *process) errExited() error {
	_, err := p.exited()
	if err == nil {
		err = errors.New("exit status 0")
	}
	return fmt.Errorf("%s exited early: %w", p.name, err)
}
