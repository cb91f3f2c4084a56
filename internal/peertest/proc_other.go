//go:build !unix

package peertest

import (
	"os"
	"os/exec"
)

// setProcAttr does nothing where there are no process groups.
func setProcAttr(*exec.Cmd) {}

// signalGroup sends sig to the peer alone.
func signalGroup(cmd *exec.Cmd, sig os.Signal) { _ = cmd.Process.Signal(sig) }

// killGroup kills the peer alone.
func killGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
