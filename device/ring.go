package device

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"intercom/sipua"
)

// Dialer places calls; *sipua.UA is one.
type Dialer interface {
	Dial(ctx context.Context, target string, opts sipua.DialOptions) (*sipua.Call, error)
}

// RingMode is how a button's targets are called.
type RingMode int

// Ring modes.
const (
	// Parallel rings every target at once: the first to answer wins and
	// the others are cancelled.
	Parallel RingMode = iota
	// Sequential rings each target for its ring time, then the next.
	Sequential
)

// ErrNoAnswer is wrapped by Ring's error when no target answered.
var ErrNoAnswer = errors.New("device: no one answered")

// Ring calls targets as mode says, within total (0: no limit of its own),
// each for at most each when sequential (0: until it ends), and returns
// the call that was answered. The other calls are ended before it
// returns, answered late or not. Ending ctx gives up.
func Ring(ctx context.Context, d Dialer, targets []string, mode RingMode, each, total time.Duration) (*sipua.Call, error) {
	if len(targets) == 0 {
		return nil, errors.New("device: no targets to ring")
	}
	if total > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, total)
		defer cancel()
	}
	if mode == Sequential {
		var why []string
		for _, t := range targets {
			c, err := ringOne(ctx, d, t, each)
			if err == nil {
				return c, nil
			}
			why = append(why, err.Error())
			if ctx.Err() != nil {
				break
			}
		}
		return nil, fmt.Errorf("%w: %s", ErrNoAnswer, strings.Join(why, "; "))
	}
	return ringAll(ctx, d, targets)
}

// ringOne rings one target for at most each and waits for the answer.
func ringOne(ctx context.Context, d Dialer, target string, each time.Duration) (*sipua.Call, error) {
	c, err := d.Dial(ctx, target, sipua.DialOptions{RingTimeout: each})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	select {
	case <-c.Answered():
		return c, nil
	case <-c.Done():
		s := c.Summary()
		return nil, fmt.Errorf("%s: %s", target, s.Reason)
	}
}

// ringAll rings every target at once; the first answer wins.
func ringAll(ctx context.Context, d Dialer, targets []string) (*sipua.Call, error) {
	type outcome struct {
		c   *sipua.Call
		err error
	}
	results := make(chan outcome, len(targets))
	var calls []*sipua.Call
	for _, t := range targets {
		c, err := d.Dial(ctx, t, sipua.DialOptions{})
		if err != nil {
			results <- outcome{err: fmt.Errorf("%s: %w", t, err)}
			continue
		}
		calls = append(calls, c)
		go func() {
			select {
			case <-c.Answered():
				results <- outcome{c: c}
			case <-c.Done():
				results <- outcome{err: fmt.Errorf("%s: %s", t, c.Summary().Reason)}
			}
		}()
	}
	var winner *sipua.Call
	var why []string
	for range targets {
		o := <-results
		if o.c != nil {
			winner = o.c
			break
		}
		why = append(why, o.err.Error())
	}
	for _, c := range calls { // cancel the others, or hang up a late answer
		if c != winner {
			c.Hangup()
		}
	}
	for _, c := range calls {
		if c != winner {
			<-c.Done()
		}
	}
	if winner == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoAnswer, strings.Join(why, "; "))
	}
	return winner, nil
}
