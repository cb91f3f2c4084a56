package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// checkConfig runs "intercom check-config FILE"; args are the arguments
// after the command name. It prints "FILE: ok" and returns 0 when the config
// is valid, prints each problem on its own line of stderr and returns 1 when
// it is not, and returns 2 for a usage error.
func checkConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: intercom check-config FILE\n\nCheck a config file and print its problems, one per line.\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	file := fs.Arg(0)
	if _, err := loadConfig(file); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok\n", file)
	return 0
}
