package pagetrim

import (
	"bytes"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// smaps is /proc/PID/smaps of a dynamically linked build, cut short: the
// binary (inode 9978081 on fe:00) with code, read-only data, a RELRO
// segment its loader wrote to, and data; a library; the heap; the vDSO.
const smaps = `00400000-008a2000 r-xp 00000000 fe:00 9978081                            /usr/bin/intercom
Size:               4744 kB
Rss:                4168 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me sd 
008a2000-00d67000 r--p 004a2000 fe:00 9978081                            /usr/bin/intercom
Size:               4884 kB
Rss:                3988 kB
Anonymous:             0 kB
VmFlags: rd mr mw me sd 
00d67000-00d69000 r--p 00967000 fe:00 9978081                            /usr/bin/intercom
Rss:                   8 kB
Anonymous:             8 kB
00d69000-00dbc000 rw-p 00969000 fe:00 9978081                            /usr/bin/intercom
Rss:                 244 kB
Anonymous:             0 kB
7f5622700000-7f5622728000 r-xp 00028000 fe:00 1234567                    /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                 640 kB
Anonymous:             0 kB
7f5622800000-7f5622810000 r-xp 00000000 fe:01 9978081                    /mnt/other
Rss:                  64 kB
Anonymous:             0 kB
302b21800000-302b21c00000 rw-p 00000000 00:00 0 
Rss:                 772 kB
Anonymous:           772 kB
7f56228a9000-7f56228ab000 r-xp 00000000 00:00 0                          [vdso]
Rss:                   8 kB
Anonymous:             0 kB
`

func TestCleanMappings(t *testing.T) {
	got, err := cleanMappings(strings.NewReader(smaps), file{major: 0xfe, minor: 0, ino: 9978081})
	if err != nil {
		t.Fatal(err)
	}
	want := []span{{0x400000, 0x8a2000}, {0x8a2000, 0xd67000}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cleanMappings = %#x, want the code and read-only data only, %#x", got, want)
	}
}

// TestRelease releases the test binary's pages and checks that fewer of
// them are resident, and that the program runs on: a collection and a
// deep stack walk the function tables again.
func TestRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("qemu-user, which runs the -short arm64 tests, ignores madvise; the native run checks Release")
	}
	before := residentKiB(t)
	n, err := Release()
	if err != nil {
		t.Fatal(err)
	}
	after := residentKiB(t)
	t.Logf("released %d bytes of mappings: %d KiB resident before, %d KiB after", n, before, after)
	if n == 0 || after >= before {
		t.Errorf("Release released %d bytes; resident %d KiB before, %d KiB after", n, before, after)
	}
	if got := depth(5000); got != 5000 {
		t.Errorf("a deep stack after Release counted %d, want 5000", got)
	}
}

// depth recurses n deep, growing the stack, and returns n.
func depth(n int) int {
	var pad [64]byte
	if n == 0 {
		return int(pad[0])
	}
	return 1 + depth(n-1) + int(pad[n%64])
}

// residentKiB returns how much of the test binary's read-only mappings is
// resident, from smaps.
func residentKiB(t *testing.T) int {
	t.Helper()
	var exe unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &exe); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	f := file{unix.Major(exe.Dev), unix.Minor(exe.Dev), exe.Ino}
	kib, ours := 0, false
	for _, line := range bytes.Split(b, []byte("\n")) {
		if m, ok := parseMapping(line); ok {
			ours = !m.writable && m.file == f
			continue
		}
		if v, ok := bytes.CutPrefix(line, []byte("Rss:")); ok && ours {
			n, err := strconv.Atoi(string(bytes.Fields(v)[0]))
			if err != nil {
				t.Fatalf("smaps: %q: %v", line, err)
			}
			kib += n
		}
	}
	return kib
}

// BenchmarkRelease is what a phase's end costs: reading smaps and
// dropping the mappings, then mapping again what a little work touches.
func BenchmarkRelease(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Release(); err != nil {
			b.Fatal(err)
		}
		_ = depth(100)
	}
}
