package systest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"intercom/internal/peertest"
)

// The emulated board: QEMU's arm64 "virt" machine with a Cortex-A53, booted
// from Debian's kernel into a busybox initramfs that runs the firmware.
var machine = []string{"-M", "virt", "-cpu", "cortex-a53", "-smp", "1", "-m", "512M",
	"-nodefaults", "-display", "none"}

// The PL061 GPIO lines the board's config uses: QEMU drives line 3 high for
// 100 ms on system_powerdown (the doorbell), line 4 is free (the relay).
// The board package's kernel test drives line 5.
const (
	doorbellLine = 3
	relayLine    = 4
	spareLine    = 5
)

// kernelTests are the packages whose tests named *Kernel* need a real
// kernel's drivers; they run on the board before the firmware starts.
var kernelTests = []string{"intercom/audio/alsa", "intercom/board"}

// boardParts returns the folder of the kernel, modules and busybox, which
// board-parts.sh fetches once into the cache ($INTERCOM_BOARD_CACHE, or
// intercom/board in the user's cache folder) and keys by package version.
func boardParts(t *testing.T) string {
	t.Helper()
	peertest.NeedTool(t, "apt-get")
	peertest.NeedTool(t, "dpkg-deb")
	cache := os.Getenv("INTERCOM_BOARD_CACHE")
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			t.Fatalf("no cache folder for the board's parts: %v; set INTERCOM_BOARD_CACHE", err)
		}
		cache = filepath.Join(dir, "intercom", "board")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var stderr peertest.Buffer
	cmd := exec.CommandContext(ctx, "sh", "board-parts.sh", cache)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("board-parts.sh: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// firmware returns the static linux/arm64 firmware: the one in
// $INTERCOM_FIRMWARE (make test-board sets it to make arm64's), or else one
// built as make arm64 builds it: static, cgo-free, stripped.
func firmware(t *testing.T, dir string) string {
	t.Helper()
	if fw := os.Getenv("INTERCOM_FIRMWARE"); fw != "" {
		if _, err := os.Stat(fw); err != nil {
			t.Fatalf("INTERCOM_FIRMWARE: %v", err)
		}
		return fw
	}
	out := filepath.Join(dir, "intercom")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, "intercom/cmd/intercom")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the arm64 firmware: %v\n%s", err, msg)
	}
	return out
}

// boardDTB writes the machine's own device tree without its gpio-keys node
// (which would claim line 3 for a power key) and with the PL061 lines
// named, as a board's device tree names its header.
func boardDTB(t *testing.T, dir string) string {
	t.Helper()
	qemu := peertest.NeedTool(t, "qemu-system-aarch64")
	fdtput := peertest.NeedTool(t, "fdtput")
	dtb := filepath.Join(dir, "board.dtb")
	args := append([]string{}, machine...)
	args[1] += ",dumpdtb=" + dtb
	args = append(args, netArgs(0)...)
	if out, err := exec.Command(qemu, args...).CombinedOutput(); err != nil {
		t.Fatalf("dumping the virt machine's device tree: %v\n%s", err, out)
	}
	names := make([]string, 8)
	names[doorbellLine], names[relayLine], names[spareLine] = "DOORBELL", "RELAY", "SPARE"
	for _, args := range [][]string{
		{"-r", dtb, "/gpio-keys"},
		append([]string{"-t", "s", dtb, "/pl061@9030000", "gpio-line-names"}, names...),
	} {
		if out, err := exec.Command(fdtput, args...).CombinedOutput(); err != nil {
			t.Fatalf("fdtput %q: %v\n%s", args, err, out)
		}
	}
	return dtb
}

// netArgs is the board's network: user-mode, where the host's 127.0.0.1 is
// 10.0.2.2 and, when sipPort is not 0, the host's UDP port sipPort on
// 127.0.0.1 reaches the board's SIP port 5060.
func netArgs(sipPort int) []string {
	nd := "user,id=n0"
	if sipPort != 0 {
		nd += fmt.Sprintf(",hostfwd=udp:127.0.0.1:%d-10.0.2.15:5060", sipPort)
	}
	return []string{"-netdev", nd, "-device", "virtio-net-device,netdev=n0"}
}

// initScript is the board's /init: it loads the modules, brings the network
// up, runs the firmware and powers off when the firmware ends.
const initScript = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /lib/modules/list); do
	args=""
	[ "$m" = snd-aloop ] && args="pcm_substreams=1"
	insmod /lib/modules/$m.ko $args || echo "board: insmod $m failed"
done
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
echo "board: up in $(cut -d' ' -f1 /proc/uptime) s"
for test in /tests/*.test; do
	echo "board: running $test"
	"$test" -test.v -test.count=1 -test.run Kernel
	echo "board: $test exited with $?"
done
/bin/intercom run --config /etc/intercom.toml --log-format json
echo "board: intercom exited with $?"
poweroff -f
`

// buildKernelTests compiles the kernelTests for linux/arm64, as the files of
// the board's /tests.
func buildKernelTests(t *testing.T, dir string) []cpioFile {
	t.Helper()
	var files []cpioFile
	for _, pkg := range kernelTests {
		name := filepath.Base(pkg) + ".test"
		out := filepath.Join(dir, name)
		cmd := exec.Command("go", "test", "-c", "-o", out, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building %s's tests for arm64: %v\n%s", pkg, err, msg)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, cpioFile{name: "tests/" + name, mode: 0o100755, data: b})
	}
	return files
}

// initramfs writes the board's root file system: busybox, the modules,
// the firmware and its config, and the kernel tests, as a newc cpio
// archive.
func initramfs(t *testing.T, dir, parts, firmware, config string, tests []cpioFile) string {
	t.Helper()
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	mods := strings.Fields(string(read(filepath.Join(parts, "modules"))))
	files := []cpioFile{
		{name: "bin", mode: 0o40755}, {name: "dev", mode: 0o40755}, {name: "etc", mode: 0o40755},
		{name: "lib", mode: 0o40755}, {name: "lib/modules", mode: 0o40755}, {name: "proc", mode: 0o40755},
		{name: "sys", mode: 0o40755}, {name: "tmp", mode: 0o41777}, {name: "tests", mode: 0o40755},
		{name: "init", mode: 0o100755, data: []byte(initScript)},
		{name: "bin/busybox", mode: 0o100755, data: read(filepath.Join(parts, "busybox"))},
		{name: "bin/intercom", mode: 0o100755, data: read(firmware)},
		{name: "etc/intercom.toml", mode: 0o100644, data: []byte(config)},
		{name: "lib/modules/list", mode: 0o100644, data: []byte(strings.Join(mods, "\n") + "\n")},
	}
	for _, m := range mods {
		files = append(files, cpioFile{name: "lib/modules/" + m + ".ko", mode: 0o100644,
			data: read(filepath.Join(parts, m+".ko"))})
	}
	files = append(files, tests...)
	path := filepath.Join(dir, "initramfs.cpio")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if err := writeCPIO(w, files); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// cpioFile is one entry of a newc archive: a folder (mode 040xxx) or a
// regular file (mode 0100xxx) with its data.
type cpioFile struct {
	name string
	mode uint32
	data []byte
}

// writeCPIO writes files as the "newc" cpio archive the kernel unpacks
// into its initial root file system.
func writeCPIO(w io.Writer, files []cpioFile) error {
	pad := func(n int) error {
		_, err := w.Write(make([]byte, (4-n%4)%4))
		return err
	}
	entry := func(ino int, f cpioFile) error {
		nlink := 1
		if f.mode&0o40000 != 0 {
			nlink = 2
		}
		hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			ino, f.mode, 0, 0, nlink, 0, len(f.data), 0, 0, 0, 0, len(f.name)+1, 0)
		if _, err := io.WriteString(w, hdr+f.name+"\x00"); err != nil {
			return err
		}
		if err := pad(len(hdr) + len(f.name) + 1); err != nil {
			return err
		}
		if _, err := w.Write(f.data); err != nil {
			return err
		}
		return pad(len(f.data))
	}
	for i, f := range files {
		if err := entry(i+1, f); err != nil {
			return err
		}
	}
	return entry(0, cpioFile{name: "TRAILER!!!"})
}

// board is a running emulated board.
type board struct {
	cmd     *exec.Cmd
	qmp     *qmpClient
	console *console
	trace   string // QEMU's trace of the PL061's lines
	started time.Time
	exited  chan struct{} // closed when QEMU has exited
}

// bootBoard starts QEMU on the kernel, device tree and initramfs; the
// board's SIP port is reachable on the host's 127.0.0.1:sipPort.
// t.Cleanup kills QEMU by its process id.
func bootBoard(t *testing.T, dir, parts, dtb, initrd string, sipPort int) *board {
	t.Helper()
	qemu := peertest.NeedTool(t, "qemu-system-aarch64")
	sock := filepath.Join(dir, "qmp.sock")
	b := &board{console: newConsole(), trace: filepath.Join(dir, "pl061.trace"), exited: make(chan struct{})}
	events := filepath.Join(dir, "trace-events")
	if err := os.WriteFile(events, []byte("pl061_set_output\npl061_input_change\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{}, machine...)
	args = append(args, netArgs(sipPort)...)
	args = append(args,
		"-kernel", filepath.Join(parts, "vmlinuz"), "-initrd", initrd, "-dtb", dtb,
		"-append", "console=ttyAMA0 quiet panic=-1",
		"-serial", "stdio", "-no-reboot",
		"-qmp", "unix:"+sock+",server=on,wait=off",
		// Every change of a PL061 line, with the host's time of day.
		"-trace", "events="+events+",file="+b.trace, "-msg", "timestamp=on")
	b.cmd = exec.Command(qemu, args...)
	out, err := b.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr peertest.Buffer
	b.cmd.Stderr = &stderr
	b.started = time.Now()
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		b.console.read(out)
		_ = b.cmd.Wait()
		close(b.exited)
	}()
	t.Cleanup(func() {
		_ = b.cmd.Process.Kill()
		select {
		case <-b.exited:
		case <-time.After(10 * time.Second):
			t.Errorf("qemu (pid %d) did not exit after SIGKILL", b.cmd.Process.Pid)
		}
		if t.Failed() {
			t.Logf("board console:\n%s\nqemu stderr:\n%s", b.console.text(), stderr.String())
		}
	})
	if b.qmp, err = dialQMP(sock, 10*time.Second); err != nil {
		t.Fatalf("qmp: %v\nqemu stderr: %s", err, stderr.String())
	}
	t.Cleanup(func() { b.qmp.close() })
	return b
}

// qmpClient speaks QEMU's machine protocol: JSON commands on a socket.
type qmpClient struct {
	conn net.Conn
	dec  *json.Decoder
}

// dialQMP connects to QEMU's QMP socket, retrying until QEMU has made it,
// and leaves the greeting's capabilities negotiation done.
func dialQMP(path string, within time.Duration) (*qmpClient, error) {
	deadline := time.Now().Add(within)
	for {
		conn, err := net.Dial("unix", path)
		if err == nil {
			q := &qmpClient{conn: conn, dec: json.NewDecoder(conn)}
			var greeting map[string]any
			if err := q.dec.Decode(&greeting); err != nil {
				conn.Close()
				return nil, fmt.Errorf("greeting: %w", err)
			}
			return q, q.execute("qmp_capabilities")
		}
		if time.Now().After(deadline) {
			return nil, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// execute runs a QMP command and waits for its return, skipping the
// asynchronous events QEMU sends in between.
func (q *qmpClient) execute(command string) error {
	_ = q.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintf(q.conn, `{"execute":%q}`+"\n", command); err != nil {
		return err
	}
	for range 100 {
		var reply struct {
			Return json.RawMessage `json:"return"`
			Error  *struct {
				Desc string `json:"desc"`
			} `json:"error"`
		}
		if err := q.dec.Decode(&reply); err != nil {
			return fmt.Errorf("%s: %w", command, err)
		}
		if reply.Error != nil {
			return fmt.Errorf("%s: %s", command, reply.Error.Desc)
		}
		if reply.Return != nil {
			return nil
		}
	}
	return fmt.Errorf("%s: no return among 100 messages", command)
}

func (q *qmpClient) close() { q.conn.Close() }

// console collects the board's serial console: kernel messages, the init
// script's lines and the firmware's JSON log.
type console struct {
	mu      sync.Mutex
	lines   []consoleLine
	changed chan struct{} // closed and replaced at every new line
}

// consoleLine is a line of the console and the host's time it arrived.
type consoleLine struct {
	at   time.Time
	text string
	log  map[string]any // the decoded JSON log record, or nil
}

func newConsole() *console { return &console{changed: make(chan struct{})} }

func (c *console) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		l := consoleLine{at: time.Now(), text: strings.TrimRight(sc.Text(), "\r")}
		if i := strings.IndexByte(l.text, '{'); i >= 0 {
			var rec map[string]any
			if json.Unmarshal([]byte(l.text[i:]), &rec) == nil {
				l.log = rec
			}
		}
		c.mu.Lock()
		c.lines = append(c.lines, l)
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
	}
}

// waitEvent waits for the firmware's log record of the event named, with
// the attributes given (key, value pairs), after the n-th line; it returns
// the record, its arrival time and the index after it.
func (c *console) waitEvent(t *testing.T, from int, within time.Duration, event string, attrs ...string) (map[string]any, time.Time, int) {
	t.Helper()
	deadline := time.After(within)
	for {
		c.mu.Lock()
		lines, changed := c.lines, c.changed
		c.mu.Unlock()
	next:
		for i := from; i < len(lines); i++ {
			rec := lines[i].log
			if rec == nil || rec["event"] != event {
				continue
			}
			for j := 0; j+1 < len(attrs); j += 2 {
				if fmt.Sprint(rec[attrs[j]]) != attrs[j+1] {
					continue next
				}
			}
			return rec, lines[i].at, i + 1
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("the board logged no %s event %v within %v", event, attrs, within)
		}
	}
}

// events returns the names of the firmware's events, in order.
func (c *console) events() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var names []string
	for _, l := range c.lines {
		if e, ok := l.log["event"].(string); ok {
			names = append(names, e)
		}
	}
	return names
}

func (c *console) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var sb strings.Builder
	for _, l := range c.lines {
		sb.WriteString(l.text)
		sb.WriteByte('\n')
	}
	return sb.String()
}

// lineChange is a change of a PL061 line seen by QEMU, at the host's time.
type lineChange struct {
	at    time.Time
	line  int
	level int
	input bool // an input driven from outside (the doorbell), not an output
}

// traceLine matches QEMU's log trace lines for the PL061, such as
// "1234@1795494525.568224:pl061_set_output /machine/... setting output 4 to 1"
// and "...:pl061_input_change /machine/... input 3 changed to 1".
var traceLine = regexp.MustCompile(`^\d+@(\d+)\.(\d{6}):pl061_(set_output|input_change) \S+ (?:setting output|input) (\d+) (?:to|changed to) (\d+)`)

// lineChanges reads QEMU's trace of the PL061.
func lineChanges(path string) ([]lineChange, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []lineChange
	for _, l := range strings.Split(string(b), "\n") {
		m := traceLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		sec, _ := strconv.ParseInt(m[1], 10, 64)
		usec, _ := strconv.ParseInt(m[2], 10, 64)
		line, _ := strconv.Atoi(m[4])
		level, _ := strconv.Atoi(m[5])
		out = append(out, lineChange{at: time.Unix(sec, usec*1000), line: line, level: level, input: m[3] == "input_change"})
	}
	return out, nil
}
