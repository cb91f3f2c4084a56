package message

import (
	"os"
	"path/filepath"
	"testing"
)

func readSIP(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "sip", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestAllocations holds the parser to its allocation budget: none with a
// reused Message, one for a new Message, none to read the fields a
// transaction layer needs, none to serialize into a buffer with room.
func TestAllocations(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "sip", "*.sip"))
	if len(files) == 0 {
		t.Fatal("no test messages")
	}
	for _, f := range files {
		data := readSIP(t, filepath.Base(f))
		t.Run(filepath.Base(f), func(t *testing.T) {
			var m Message
			if n := testing.AllocsPerRun(100, func() {
				if err := m.Unmarshal(data); err != nil {
					t.Fatal(err)
				}
			}); n != 0 {
				t.Errorf("Unmarshal into a reused Message: %v allocations, want 0", n)
			}
			if n := testing.AllocsPerRun(100, func() {
				if _, err := Parse(data); err != nil {
					t.Fatal(err)
				}
			}); n > 1 {
				t.Errorf("Parse: %v allocations, want at most 1", n)
			}
			if n := testing.AllocsPerRun(100, func() {
				_ = m.Unmarshal(data)
				v, err := m.Via()
				if err != nil || len(v.Branch()) == 0 {
					t.Fatalf("Via %q: %v", v.Branch(), err)
				}
				if _, err := m.CSeq(); err != nil {
					t.Fatal(err)
				}
				if len(m.CallID()) == 0 {
					t.Fatal("no Call-ID")
				}
				from, err := m.From()
				if err != nil || len(from.Tag()) == 0 {
					t.Fatalf("From tag %q: %v", from.Tag(), err)
				}
			}); n != 0 {
				t.Errorf("parse and read Via branch, CSeq, Call-ID, From tag: %v allocations, want 0", n)
			}
			if n := testing.AllocsPerRun(100, func() {
				_ = m.Unmarshal(data)
				if err := m.Validate(); err != nil {
					t.Fatal(err)
				}
			}); n != 0 {
				t.Errorf("Unmarshal and Validate: %v allocations, want 0", n)
			}
			buf := make([]byte, 0, 4096)
			if n := testing.AllocsPerRun(100, func() {
				buf = m.AppendTo(buf[:0])
			}); n != 0 {
				t.Errorf("AppendTo: %v allocations, want 0", n)
			}
		})
	}
}
