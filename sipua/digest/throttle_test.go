package digest

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// testThrottle returns a Throttle on a clock the test moves.
func testThrottle(l Limits) (*Throttle, *time.Time) {
	t := NewThrottle(l)
	now := time.Unix(1_000_000, 0)
	t.now = func() time.Time { return now }
	return t, &now
}

func TestThrottleBlocks(t *testing.T) {
	th, now := testThrottle(Limits{MaxFailures: 3, Window: time.Minute, Block: 5 * time.Minute})
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	var firsts, blocks int
	for i := range 3 {
		if _, blocked := th.Blocked(a); blocked {
			t.Fatalf("blocked before failure %d", i+1)
		}
		first, blocked := th.Fail(a)
		if first {
			firsts++
		}
		if blocked {
			blocks++
		}
	}
	if firsts != 1 || blocks != 1 {
		t.Errorf("3 failures: %d first, %d blocks; want 1 and 1", firsts, blocks)
	}
	if d, blocked := th.Blocked(a); !blocked || d != 5*time.Minute {
		t.Errorf("after 3 failures: blocked %v for %v", blocked, d)
	}
	if _, blocked := th.Blocked(b); blocked {
		t.Error("another source is blocked too")
	}
	*now = now.Add(5*time.Minute + time.Second)
	if _, blocked := th.Blocked(a); blocked {
		t.Error("still blocked after the block")
	}
	st := th.Stats()
	if st.Failures != 3 || st.Blocks != 1 || st.Refused != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestThrottleWindow(t *testing.T) {
	th, now := testThrottle(Limits{MaxFailures: 3, Window: time.Minute})
	a := netip.MustParseAddr("192.0.2.1")
	for range 10 { // one failure every 40 s: never 3 within a minute
		th.Fail(a)
		*now = now.Add(40 * time.Second)
		if _, blocked := th.Blocked(a); blocked {
			t.Fatal("slow failures blocked the source")
		}
	}
}

// TestThrottleIPv6Prefix: addresses of one /64 count together.
func TestThrottleIPv6Prefix(t *testing.T) {
	th, _ := testThrottle(Limits{MaxFailures: 2})
	th.Fail(netip.MustParseAddr("2001:db8::1"))
	th.Fail(netip.MustParseAddr("2001:db8::ffff:2"))
	if _, blocked := th.Blocked(netip.MustParseAddr("2001:db8::99")); !blocked {
		t.Error("a /64 that failed twice is not blocked")
	}
	if _, blocked := th.Blocked(netip.MustParseAddr("2001:db8:0:1::1")); blocked {
		t.Error("the next /64 is blocked")
	}
}

// TestThrottleBounded: a flood of failures from many sources keeps the
// table at MaxSources, and the sources beyond it are still limited,
// together.
func TestThrottleBounded(t *testing.T) {
	th, _ := testThrottle(Limits{MaxFailures: 3, MaxSources: 100})
	for i := range 10_000 {
		th.Fail(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
	}
	if n := th.Stats().Sources; n > 101 { // the table and the shared entry
		t.Errorf("%d sources tracked, want at most 101", n)
	}
	if _, blocked := th.Blocked(netip.MustParseAddr("198.51.100.7")); !blocked {
		t.Error("a new source is not limited once the table is full")
	}
}

func TestThrottleOff(t *testing.T) {
	th, _ := testThrottle(Limits{MaxFailures: -1})
	a := netip.MustParseAddr("192.0.2.1")
	for range 100 {
		th.Fail(a)
	}
	if _, blocked := th.Blocked(a); blocked {
		t.Error("blocked with the limit off")
	}
	if st := th.Stats(); st.Failures != 100 || st.Sources != 0 {
		t.Errorf("stats %+v", st)
	}
}

func ExampleThrottle() {
	th := NewThrottle(Limits{MaxFailures: 3})
	src := netip.MustParseAddr("192.0.2.1")
	for i := range 4 {
		if _, blocked := th.Blocked(src); blocked {
			fmt.Println("try", i+1, "refused")
			continue
		}
		// ... the credentials were wrong:
		first, blocked := th.Fail(src)
		fmt.Println("try", i+1, "wrong; first:", first, "blocked:", blocked)
	}
	// Output:
	// try 1 wrong; first: true blocked: false
	// try 2 wrong; first: false blocked: false
	// try 3 wrong; first: false blocked: true
	// try 4 refused
}
