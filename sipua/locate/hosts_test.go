package locate

import (
	"net/netip"
	"testing"
)

func TestParseHosts(t *testing.T) {
	hosts := parseHosts([]byte("# comment\n127.0.0.1\tlocalhost\n::1 localhost ip6-localhost # both\n" +
		"192.0.2.1 PBX.Example.org. pbx\nnot-an-ip name\n fe80::1%eth0 link\n::ffff:192.0.2.2 mapped\n"))
	want := map[string][]string{
		"localhost":       {"127.0.0.1", "::1"},
		"ip6-localhost":   {"::1"},
		"pbx.example.org": {"192.0.2.1"},
		"pbx":             {"192.0.2.1"},
		"link":            {"fe80::1"},
		"mapped":          {"192.0.2.2"},
	}
	if len(hosts) != len(want) {
		t.Errorf("got %d names, want %d: %v", len(hosts), len(want), hosts)
	}
	for name, addrs := range want {
		got := hosts[name]
		if len(got) != len(addrs) {
			t.Errorf("%s: %v, want %v", name, got, addrs)
			continue
		}
		for i, a := range addrs {
			if got[i] != netip.MustParseAddr(a) {
				t.Errorf("%s: %v, want %v", name, got, addrs)
			}
		}
	}
}

func FuzzParseHosts(f *testing.F) {
	f.Add([]byte("127.0.0.1 localhost\n::1 localhost # x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for name, addrs := range parseHosts(data) {
			if name == "" || len(addrs) == 0 || len(addrs) > MaxTargets {
				t.Fatalf("%q: %v", name, addrs)
			}
		}
	})
}
