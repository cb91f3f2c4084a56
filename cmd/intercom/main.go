// Command intercom is the door-station firmware: it turns an arm64 board with
// a doorbell button, a door relay and a sound card into a SIP door station.
//
// Usage:
//
//	intercom <command> [arguments]
//
// Run "intercom help" for the list of commands.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
)

// version and commit are stamped by the Makefile through -ldflags -X.
var (
	version = "dev"
	commit  = "unknown"
)

const usage = `intercom: SIP door-station firmware.

Usage:
  intercom <command> [arguments]

Commands:
  demo                         see it work: a simulated station calls a phone
                               on this machine, which opens the door
  run --config FILE            run the station until SIGTERM or SIGINT
  call --config FILE [--hangup-after DURATION] URI
                               place one call, print a JSON summary
  check-config FILE            check a config file
  devices                      list the audio backends and ALSA sound cards
  aec --far FAR.wav --mic MIC.wav --out OUT.wav
                               run the echo canceller on recordings
  version                      print the firmware version, commit and platform
  help                         print this help

run and call also take --log-format text|json and --log-level LEVEL.
See README.md.
`

func main() {
	// One processor: a door station's work is a 20 ms frame at a time,
	// and with more, every wake-up hands goroutines between threads. On
	// the build machine this took a call's context switches from 15 to 9
	// a frame. GOMAXPROCS in the environment still rules; the systemd
	// unit sets it, so that start-up runs on one processor too.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the process exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "intercom %s (commit %s, %s, %s/%s)\n",
			version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return 0
	case "run":
		return runStation(args[1:], stderr)
	case "call":
		return placeCall(args[1:], stdout, stderr)
	case "demo":
		return runDemo(args[1:], stdout, stderr)
	case "aec":
		return echoCancel(args[1:], stdout, stderr)
	case "devices":
		return listDevices(args[1:], stdout, stderr)
	case "check-config":
		return checkConfig(args[1:], stdout, stderr)
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "intercom: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
