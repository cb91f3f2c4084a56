package transaction

import (
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"intercom/sipua/message"
)

// floodRequest is request number i of a flood: its own branch and Call-ID.
func floodRequest(method string, i int, toTag string) *message.Message {
	to := "<sip:door@192.0.2.50>"
	if toTag != "" {
		to += ";tag=" + toTag
	}
	m, err := message.Parse(fmt.Appendf(nil, "%s sip:door@192.0.2.50 SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP 192.0.2.20:5062;branch=z9hG4bKflood%d\r\nMax-Forwards: 70\r\nTo: %s\r\n"+
		"From: <sip:x@192.0.2.20>;tag=f%d\r\nCall-ID: flood-%d\r\nCSeq: 1 %s\r\nContent-Length: 0\r\n\r\n",
		method, i, to, i, i, method))
	if err != nil {
		panic(err)
	}
	return m
}

// TestServerTableBound floods the layer with INVITEs, each answered 486 by
// the core as a busy station does: past MaxServers the layer answers 503
// with Retry-After itself, keeps no state for the request and leaves the
// core out; retransmissions and ACKs of the transactions alive still
// match; once Timer H and I have ended them, requests are taken again.
func TestServerTableBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const bound = 50
		rec := newRecorder()
		l := NewLayer(rec, rec, Timers{})
		l.SetMaxServers(bound)
		for i := range 3 * bound {
			req := floodRequest("INVITE", i, "")
			err := l.HandleRequest(req, udpPeer)
			if i < bound {
				if err != nil {
					t.Fatalf("INVITE %d: %v", i, err)
				}
				if err := rec.core().tx.Respond(response(req, 486, "busy")); err != nil {
					t.Fatalf("respond %d: %v", i, err)
				}
				continue
			}
			if !errors.Is(err, ErrOverload) {
				t.Fatalf("INVITE %d past the bound: err %v, want ErrOverload", i, err)
			}
			last := rec.core().last
			if last.StatusCode() != 503 {
				t.Fatalf("INVITE %d past the bound answered %d, want 503", i, last.StatusCode())
			}
			if v, ok, err := last.RetryAfter(); !ok || err != nil || v == 0 {
				t.Fatalf("503 without a Retry-After: %d %v %v", v, ok, err)
			}
		}
		if _, servers := l.Counts(); servers != bound {
			t.Fatalf("%d server transactions, want the bound %d", servers, bound)
		}
		if n := len(rec.core().requests); n != bound {
			t.Fatalf("the core saw %d requests, want %d", n, bound)
		}
		// A retransmission of a transaction alive is absorbed (its 486
		// again), not refused.
		before := rec.core().nsent
		if err := l.HandleRequest(floodRequest("INVITE", 0, ""), udpPeer); err != nil {
			t.Fatalf("retransmission at the bound: %v", err)
		}
		c := rec.core()
		if c.nsent != before+1 || c.last.StatusCode() != 486 {
			t.Fatalf("retransmission at the bound answered %d, want the 486 again", c.last.StatusCode())
		}
		// The ACK still matches (Completed -> Confirmed).
		if err := l.HandleRequest(floodRequest("ACK", 0, "busy"), udpPeer); err != nil {
			t.Fatalf("ACK at the bound: %v", err)
		}
		time.Sleep(64*500*time.Millisecond + time.Second) // Timer H and I end them all
		synctest.Wait()
		if _, servers := l.Counts(); servers != 0 {
			t.Fatalf("%d server transactions after Timer H, want 0", servers)
		}
		if err := l.HandleRequest(request("OPTIONS", "z9hG4bKafter", ""), udpPeer); err != nil {
			t.Fatalf("request after the flood: %v", err)
		}
		l.Close()
	})
}

// TestStrayCancelStateless: a CANCEL that matches no INVITE transaction is
// answered 481 without a transaction and without the core; one that
// matches goes to the core in a transaction of its own.
func TestStrayCancelStateless(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		l := NewLayer(rec, rec, Timers{})
		defer l.Close()
		for i := range 100 {
			if err := l.HandleRequest(floodRequest("CANCEL", i, ""), udpPeer); err != nil {
				t.Fatalf("CANCEL %d: %v", i, err)
			}
			if code := rec.core().last.StatusCode(); code != 481 {
				t.Fatalf("stray CANCEL answered %d, want 481", code)
			}
		}
		if _, servers := l.Counts(); servers != 0 || len(rec.core().requests) != 0 {
			t.Fatalf("stray CANCELs left %d transactions and reached the core %d times", servers, len(rec.core().requests))
		}
		if err := l.HandleRequest(floodRequest("INVITE", 7, ""), udpPeer); err != nil {
			t.Fatal(err)
		}
		if err := l.HandleRequest(floodRequest("CANCEL", 7, ""), udpPeer); err != nil {
			t.Fatal(err)
		}
		if _, servers := l.Counts(); servers != 2 || len(rec.core().requests) != 2 {
			t.Fatalf("INVITE and its CANCEL: %d transactions, %d requests to the core; want 2 and 2", servers, len(rec.core().requests))
		}
	})
}
