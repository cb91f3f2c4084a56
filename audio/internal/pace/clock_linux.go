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
	f     *os.File
	rc    syscall.RawConn
	spec  unix.ItimerSpec
	armed bool                  // the timer was set for this sleep
	err   unix.Errno            // why it could not be
	n     uint64                // expirations read
	wait  func(fd uintptr) bool // the method value, made once: a sleep allocates nothing
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
	c.wait = c.armOrRead
	return c, nil
}

// sleep blocks for d, parked in the network poller: two system calls, one
// to set the timer and one to read it. Should that fail (a descriptor the
// poller refused), it sleeps on a runtime timer.
func (c *clock) sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	c.spec = unix.ItimerSpec{Value: unix.NsecToTimespec(d.Nanoseconds())}
	c.armed, c.err = false, 0
	if err := c.rc.Read(c.wait); err != nil || c.err != 0 {
		time.Sleep(d)
	}
}

// armOrRead is the poller's read callback. Its first call sets the timer
// and parks the caller: the poller was made ready to read before it, so the
// expiry wakes the caller however soon it comes, and no read that must
// fail is made. Later calls read the timer; false (not yet expired) parks
// the caller again.
func (c *clock) armOrRead(fd uintptr) bool {
	if !c.armed {
		c.armed = true
		_, _, c.err = unix.RawSyscall6(unix.SYS_TIMERFD_SETTIME, fd, 0, uintptr(unsafe.Pointer(&c.spec)), 0, 0, 0)
		return c.err != 0
	}
	_, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&c.n)), unsafe.Sizeof(c.n))
	return e != unix.EAGAIN
}

func (c *clock) close() error { return c.f.Close() }
