package pace

import (
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// clock is a timerfd that the network poller waits on. A goroutine that
// sleeps on a runtime timer costs about four context switches a wake-up
// (the runtime's monitor thread is woken at the timer's deadline too); one
// parked on a pollable descriptor costs one. With a frame every 20 ms that
// is most of what an idle call costs.
type clock struct {
	f    *os.File
	rc   syscall.RawConn
	spec unix.ItimerSpec
	n    uint64                // expirations read
	read func(fd uintptr) bool // the method values, made once: a wait allocates nothing
	arm  func(fd uintptr)
}

func newClock() (*clock, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	c := &clock{f: os.NewFile(uintptr(fd), "timerfd")}
	if c.rc, err = c.f.SyscallConn(); err != nil {
		c.f.Close()
		return nil, err
	}
	c.read, c.arm = c.readExpirations, c.set
	return c, nil
}

// sleep blocks for d, parked in the network poller. Should the wait fail
// (a descriptor the poller refused), it sleeps on a runtime timer.
func (c *clock) sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	c.spec = unix.ItimerSpec{Value: unix.NsecToTimespec(d.Nanoseconds())}
	if err := c.rc.Control(c.arm); err != nil || c.rc.Read(c.read) != nil {
		time.Sleep(d)
	}
}

func (c *clock) set(fd uintptr) {
	_, _, _ = unix.RawSyscall6(unix.SYS_TIMERFD_SETTIME, fd, 0, uintptr(unsafe.Pointer(&c.spec)), 0, 0, 0)
}

// readExpirations reads the timer; false (not yet expired) parks the caller
// in the poller.
func (c *clock) readExpirations(fd uintptr) bool {
	_, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&c.n)), unsafe.Sizeof(c.n))
	return e != unix.EAGAIN
}

func (c *clock) close() error { return c.f.Close() }
