package locate

import (
	"bufio"
	"bytes"
	"io"
	"net/netip"
	"os"
	"strings"
)

// maxHostsFile bounds how much of the hosts file is read.
const maxHostsFile = 1 << 20

// readHosts reads a hosts file into a map from lower-case name to
// addresses. A file that cannot be read gives an empty map.
func readHosts(path string) map[string][]netip.Addr {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	data, _ := io.ReadAll(io.LimitReader(f, maxHostsFile))
	return parseHosts(data)
}

// parseHosts parses "address name [alias...]" lines; '#' starts a comment.
func parseHosts(data []byte) map[string][]netip.Addr {
	hosts := make(map[string][]netip.Addr)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, _, _ := bytes.Cut(sc.Bytes(), []byte("#"))
		fields := strings.Fields(string(line))
		if len(fields) < 2 {
			continue
		}
		ip, err := netip.ParseAddr(fields[0])
		if err != nil {
			continue
		}
		ip = ip.WithZone("").Unmap()
		for _, name := range fields[1:] {
			name = strings.ToLower(strings.TrimSuffix(name, "."))
			if name != "" && len(hosts[name]) < MaxTargets {
				hosts[name] = append(hosts[name], ip)
			}
		}
	}
	return hosts
}

// hostAddrs returns the addresses of a name in the hosts file, IPv4 first
// unless IPv6 is preferred, and whether the name is there. "localhost" is
// always there (RFC 6761 §6.3).
func (r *Resolver) hostAddrs(name string) ([]netip.Addr, bool) {
	ips, ok := r.hosts[name]
	if !ok {
		if name != "localhost" {
			return nil, false
		}
		ips = []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()}
	}
	out := make([]netip.Addr, 0, len(ips))
	for _, want6 := range []bool{r.ipv6First, !r.ipv6First} {
		for _, ip := range ips {
			if ip.Is6() == want6 {
				out = append(out, ip)
			}
		}
	}
	return out, true
}
