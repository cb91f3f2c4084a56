//go:build oto

package oto

import (
	"errors"
	"io"
	"sync"
	"time"
)

// errStalled is what a write returns when the queue has had no room for
// stallTimeout: nothing is taking samples out, the output stream is stuck.
var errStalled = errors.New("playback stalled: the output stream takes no samples")

// queue is the small ring of samples between WriteFrame and oto: WriteFrame
// blocks while it is full, and oto's mixer reads it as little-endian bytes
// through Read. It never allocates once made.
type queue struct {
	mu     sync.Mutex
	buf    []int16 // the ring; len(buf) is its capacity
	head   int     // index of the oldest queued sample
	n      int     // samples queued
	closed bool

	space chan struct{} // a token when Read made room, or on close
	data  chan struct{} // a token when write queued samples, or on close

	wmu        sync.Mutex  // one write at a time; guards writeTimer
	writeTimer *time.Timer // stall timer of write
	rmu        sync.Mutex  // one Read at a time; guards readTimer
	readTimer  *time.Timer // bounds Read's wait for samples
	readWait   time.Duration
}

// newQueue returns a queue of capacity samples whose Read waits at most
// readWait for samples before it returns none.
func newQueue(capacity int, readWait time.Duration) *queue {
	q := &queue{
		buf:        make([]int16, capacity),
		space:      make(chan struct{}, 1),
		data:       make(chan struct{}, 1),
		writeTimer: time.NewTimer(time.Hour),
		readTimer:  time.NewTimer(time.Hour),
		readWait:   readWait,
	}
	q.writeTimer.Stop()
	q.readTimer.Stop()
	return q
}

// notify leaves a token in c unless one is there already.
func notify(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// write queues all of pcm, waiting for room while the queue is full. When no
// room comes for stallTimeout it calls stalled, which returns the error to
// give up with, or nil to wait on. It returns ErrClosed once the queue is
// closed, even part way through pcm.
func (q *queue) write(pcm []int16, stallTimeout time.Duration, stalled func() error) error {
	q.wmu.Lock()
	defer q.wmu.Unlock()
	for len(pcm) > 0 {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return ErrClosed
		}
		if free := len(q.buf) - q.n; free > 0 {
			k := min(free, len(pcm))
			tail := (q.head + q.n) % len(q.buf)
			c := copy(q.buf[tail:], pcm[:k])
			copy(q.buf, pcm[c:k])
			q.n += k
			q.mu.Unlock()
			pcm = pcm[k:]
			notify(q.data)
			continue
		}
		q.mu.Unlock()

		q.writeTimer.Reset(stallTimeout)
		select {
		case <-q.space:
			q.writeTimer.Stop()
		case <-q.writeTimer.C:
			if err := stalled(); err != nil {
				return err
			}
		}
	}
	return nil
}

// Read implements io.Reader for oto's mixer: it hands out queued samples as
// 16-bit little-endian bytes, waiting at most readWait for some to arrive so
// that one idle sink does not hold up oto's mixing loop for long. Once the
// queue is closed it hands out what is left, then io.EOF.
func (q *queue) Read(b []byte) (int, error) {
	q.rmu.Lock()
	defer q.rmu.Unlock()

	q.mu.Lock()
	if q.n == 0 && !q.closed {
		q.mu.Unlock()
		q.readTimer.Reset(q.readWait)
		select {
		case <-q.data:
		case <-q.readTimer.C:
		}
		q.readTimer.Stop()
		q.mu.Lock()
	}
	k := min(q.n, len(b)/2)
	if k == 0 {
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return 0, io.EOF
		}
		return 0, nil
	}
	for i := range k {
		v := q.buf[(q.head+i)%len(q.buf)]
		b[2*i] = byte(v)
		b[2*i+1] = byte(uint16(v) >> 8)
	}
	q.head = (q.head + k) % len(q.buf)
	q.n -= k
	q.mu.Unlock()
	notify(q.space)
	return 2 * k, nil
}

// close makes writes fail with ErrClosed, wakes a blocked one, and lets Read
// hand out the rest and then io.EOF. It reports whether the queue was open.
func (q *queue) close() bool {
	q.mu.Lock()
	was := !q.closed
	q.closed = true
	q.mu.Unlock()
	notify(q.space)
	notify(q.data)
	return was
}
