package pagetrim

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Release drops the process's mappings of its executable's unchanged
// read-only pages (code, read-only data, function tables) and returns how
// many bytes those mappings span.
func Release() (int, error) {
	var exe unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &exe); err != nil {
		return 0, fmt.Errorf("pagetrim: %w", err)
	}
	smaps, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, fmt.Errorf("pagetrim: %w", err)
	}
	// Read as a stream: the whole text is some 100 KiB the heap would
	// keep until the scavenger gives it back.
	spans, err := cleanMappings(smaps, file{unix.Major(exe.Dev), unix.Minor(exe.Dev), exe.Ino})
	smaps.Close()
	if err != nil {
		return 0, fmt.Errorf("pagetrim: %w", err)
	}
	var released int
	for _, r := range spans {
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, r.start, r.end-r.start, unix.MADV_DONTNEED); errno != 0 {
			return released, fmt.Errorf("pagetrim: madvise %#x-%#x: %w", r.start, r.end, errno)
		}
		released += int(r.end - r.start)
	}
	return released, nil
}

// file names a file by its device and inode, as /proc/PID/maps does.
type file struct {
	major, minor uint32
	ino          uint64
}

// span is an address range [start, end).
type span struct{ start, end uintptr }

// mapping is one mapping's line in /proc/PID/maps or smaps:
//
//	00400000-008a2000 r-xp 00000000 fe:00 9978081   /usr/bin/intercom
type mapping struct {
	span
	writable bool
	file     file
}

// cleanMappings returns the ranges of smaps (the text of /proc/PID/smaps)
// that map f without write permission and hold no anonymous page.
func cleanMappings(smaps io.Reader, f file) ([]span, error) {
	var spans []span
	var cur mapping
	candidate := false
	sc := bufio.NewScanner(smaps)
	for sc.Scan() {
		line := sc.Bytes()
		if m, ok := parseMapping(line); ok {
			cur, candidate = m, !m.writable && m.file == f
			continue
		}
		if v, ok := bytes.CutPrefix(line, []byte("Anonymous:")); ok && candidate {
			if kb := bytes.Fields(v); len(kb) > 0 && string(kb[0]) == "0" {
				spans = append(spans, cur.span)
			}
			candidate = false
		}
	}
	return spans, sc.Err()
}

// parseMapping parses a mapping's line; it reports false for smaps' other
// lines ("Rss: 4 kB").
func parseMapping(line []byte) (mapping, bool) {
	if len(line) == 0 || !isHexDigit(line[0]) { // "Rss:", "VmFlags:"
		return mapping{}, false
	}
	fs := bytes.Fields(line)
	if len(fs) < 5 || len(fs[1]) != 4 {
		return mapping{}, false
	}
	lo, hi, ok := bytes.Cut(fs[0], []byte("-"))
	if !ok {
		return mapping{}, false
	}
	start, err1 := strconv.ParseUint(string(lo), 16, 64)
	end, err2 := strconv.ParseUint(string(hi), 16, 64)
	maj, min, ok := bytes.Cut(fs[3], []byte(":"))
	major, err3 := strconv.ParseUint(string(maj), 16, 32)
	minor, err4 := strconv.ParseUint(string(min), 16, 32)
	ino, err5 := strconv.ParseUint(string(fs[4]), 10, 64)
	if !ok || end <= start || errors.Join(err1, err2, err3, err4, err5) != nil {
		return mapping{}, false
	}
	return mapping{
		span:     span{uintptr(start), uintptr(end)},
		writable: fs[1][1] == 'w',
		file:     file{uint32(major), uint32(minor), ino},
	}, true
}

// isHexDigit reports whether c is a lower-case hexadecimal digit, as the
// addresses in smaps are.
func isHexDigit(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }
