package peertest

import "syscall"

// setDeathSignal asks Linux to send SIGTERM to the peer when the test binary
// dies without its cleanups (a panic, a test timeout), so that no peer is
// left holding ports; kamailio's main process then stops its workers.
func setDeathSignal(a *syscall.SysProcAttr) {
	a.Pdeathsig = syscall.SIGTERM
}
