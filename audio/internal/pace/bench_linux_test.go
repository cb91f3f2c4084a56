package pace

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkWakeUp is what one wake-up of a paced device costs the
// process, sleeping on a runtime timer or on the pollable clock: context
// switches (all threads) and CPU time (user and system) per sleep, as
// custom metrics. ns/op is the sleep itself, 2 ms.
func BenchmarkWakeUp(b *testing.B) {
	c, err := newClock()
	if err != nil {
		b.Fatal(err)
	}
	defer c.close()
	for _, bc := range []struct {
		name  string
		sleep func(time.Duration)
	}{{"runtime-timer", time.Sleep}, {"timerfd", c.sleep}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			sw0, cpu0 := contextSwitches(b), cpuTime()
			for b.Loop() {
				bc.sleep(2 * time.Millisecond)
			}
			n := float64(b.N)
			b.ReportMetric(float64(contextSwitches(b)-sw0)/n, "ctxsw/op")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/n, "cpu-µs/op")
		})
	}
}

func contextSwitches(b *testing.B) int {
	tasks, err := filepath.Glob("/proc/self/task/*/status")
	if err != nil {
		b.Fatal(err)
	}
	total := 0
	for _, task := range tasks {
		s, err := os.ReadFile(task)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(s), "\n") {
			if k, v, _ := strings.Cut(l, ":"); strings.HasSuffix(k, "ctxt_switches") {
				n, _ := strconv.Atoi(strings.TrimSpace(v))
				total += n
			}
		}
	}
	return total
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
