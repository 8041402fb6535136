package sensor

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/ttpwatch/ttpwatch/event"
)

func TestMain(m *testing.M) {
	if os.Getenv(actionEnv) != "" {
		runChildAction()
	}
	os.Exit(m.Run())
}

// requireBPF skips a test that needs root and BTF, or fails it when
// REQUIRE_BPF=1 says the environment must provide them.
func requireBPF(t *testing.T) {
	t.Helper()
	reason := ""
	switch {
	case os.Geteuid() != 0:
		reason = "needs root to load eBPF programs (run with sudo)"
	default:
		if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
			reason = "needs a kernel with BTF (/sys/kernel/btf/vmlinux)"
		}
	}
	if reason == "" {
		return
	}
	if os.Getenv("REQUIRE_BPF") == "1" {
		t.Fatalf("REQUIRE_BPF=1 but this test %s", reason)
	}
	t.Skip(reason)
}

func allTypes() []event.Type {
	var ts []event.Type
	for t := event.Type(1); t < event.NumTypes; t++ {
		ts = append(ts, t)
	}
	return ts
}

// collector keeps deep copies of the events of this test's descendants.
type collector struct {
	self uint32
	mu   sync.Mutex
	kids map[uint32]bool
	evs  []*event.Event
}

func (c *collector) add(e *event.Event) {
	p := e.Proc
	if p == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p.Ppid == c.self {
		c.kids[p.Pid] = true
	} else if !c.kids[p.Ppid] && !c.kids[p.Pid] {
		return
	}
	if e.Type == event.TypeClone {
		c.kids[uint32(e.Res)] = true
	}
	c.evs = append(c.evs, deepCopy(e))
}

// deepCopy copies e with its strings: the live source reuses their bytes.
func deepCopy(e *event.Event) *event.Event {
	c := *e
	c.Path = strings.Clone(e.Path)
	c.Path2 = strings.Clone(e.Path2)
	c.PathRaw = strings.Clone(e.PathRaw)
	c.FSType = strings.Clone(e.FSType)
	c.Sock.UnixPath = strings.Clone(e.Sock.UnixPath)
	return &c
}

// waitFor returns the first event of pid and type that satisfies match,
// failing the test when none arrives.
func (c *collector) waitFor(t *testing.T, pid int, typ event.Type, what string, match func(*event.Event) bool) *event.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		var seen []string
		for _, e := range c.evs {
			if int(e.Proc.Pid) != pid || e.Type != typ {
				continue
			}
			if match == nil || match(e) {
				c.mu.Unlock()
				return e
			}
			seen = append(seen, describe(e))
		}
		c.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %s event of pid %d with %s; saw %d of that type:\n%s", typ, pid, what, len(seen), strings.Join(seen, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitForAny is waitFor for an event of any collected process.
func (c *collector) waitForAny(t *testing.T, typ event.Type, what string, match func(*event.Event) bool) *event.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		for _, e := range c.evs {
			if e.Type == typ && match(e) {
				c.mu.Unlock()
				return e
			}
		}
		c.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %s event with %s", typ, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func describe(e *event.Event) string {
	return strconv.Quote(e.Type.String()) + " res=" + strconv.FormatInt(e.Res, 10) + " path=" + strconv.Quote(e.Path) +
		" path2=" + strconv.Quote(e.Path2) + " raw=" + strconv.Quote(e.PathRaw) + " flags=" + strconv.FormatUint(e.Flags, 8) +
		" mode=" + strconv.FormatUint(uint64(e.Mode), 8) + " fd=" + strconv.FormatInt(e.Fd, 10) +
		" sock=" + e.Sock.Local.String() + "->" + e.Sock.Remote.String() + " unix=" + strconv.Quote(e.Sock.UnixPath)
}

// startLive loads the sensor with every type and collects in the background.
func startLive(t *testing.T) (*Live, *collector, *ProcTable) {
	t.Helper()
	requireBPF(t)
	tab, err := NewProcTable(ProcTableConfig{ProcRoot: "/proc", Users: NewUsers("/etc/passwd", "/etc/group"), IgnorePid: uint32(os.Getpid())})
	if err != nil {
		t.Fatal(err)
	}
	if err := tab.Seed(); err != nil {
		t.Fatal(err)
	}
	l, err := NewLive(LiveConfig{Table: tab, Types: allTypes()})
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{self: uint32(os.Getpid()), kids: map[uint32]bool{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx, c.add) }()
	t.Cleanup(func() {
		cancel()
		l.Close()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return l, c, tab
}

// run runs a child action to completion and returns its pid.
func run(t *testing.T, action, dir string, env []string, args ...string) int {
	t.Helper()
	cmd, err := actionCmd(action, dir, env, args...)
	if err != nil {
		t.Fatal(err)
	}
	err = cmd.Run()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && action == "exit3") {
		t.Fatalf("action %s: %v: %s", action, err, cmd.Stderr)
	}
	return cmd.Process.Pid
}

func testDir(t *testing.T) string {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"sub/f", "sub/g"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "mnt"), 0o755); err != nil {
		t.Fatal(err)
	}
	// the kernel's dentry walk sees through symlinks in the temp dir path
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	return real
}

func TestLiveEvents(t *testing.T) {
	l, c, _ := startLive(t)
	self := os.Getpid()
	selfExe, _ := os.Executable()
	selfExe, _ = filepath.EvalSymlinks(selfExe)

	t.Run("execve argv cwd exit", func(t *testing.T) {
		dir := testDir(t)
		long := strings.Repeat("L", 5000)
		pid := run(t, "exit3", dir, nil, "arg with spaces", long)
		e := c.waitFor(t, pid, event.TypeExecve, "the child's exec", nil)
		p := e.Proc
		if int(p.Ppid) != self || p.Uid != 0 || p.UserName != "root" {
			t.Errorf("ppid/uid/user = %d/%d/%q, want %d/0/root", p.Ppid, p.Uid, p.UserName, self)
		}
		if p.ExePath != selfExe {
			t.Errorf("exepath = %q, want %q", p.ExePath, selfExe)
		}
		if p.Cwd != dir {
			t.Errorf("cwd = %q, want %q", p.Cwd, dir)
		}
		if len(p.Args) < 2 || p.Args[0] != "-test.run=^$" || p.Args[1] != "arg with spaces" {
			t.Errorf("args = %.80q", p.Args)
		}
		if !p.ArgsTruncated {
			t.Errorf("argv of 5000+ bytes not flagged truncated")
		}
		if !strings.Contains(p.Cmdline, " arg with spaces L") {
			t.Errorf("cmdline = %.80q", p.Cmdline)
		}
		if d := time.Since(time.Unix(0, e.Time)); d < 0 || d > time.Minute {
			t.Errorf("event time %v is %v from now", time.Unix(0, e.Time), d)
		}
		// what the child inherits from the test process
		sid, _ := unix.Getsid(0)
		st, _ := os.ReadFile("/proc/self/stat")
		stat := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+2:]))
		tty, _ := strconv.ParseUint(stat[4], 10, 32)
		login, _ := os.ReadFile("/proc/self/loginuid")
		loginUID, _ := strconv.ParseUint(strings.TrimSpace(string(login)), 10, 32)
		status, _ := os.ReadFile("/proc/self/status")
		var capEff uint64
		for line := range strings.Lines(string(status)) {
			if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
				capEff, _ = strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			}
		}
		if p.Sid != uint32(sid) || p.Tty != uint32(tty) || p.LoginUID != uint32(loginUID) || p.CapEffective != capEff || p.Vpid != uint32(pid) {
			t.Errorf("sid/tty/loginuid/capeff/vpid = %d/%#x/%d/%#x/%d, want %d/%#x/%d/%#x/%d",
				p.Sid, p.Tty, p.LoginUID, p.CapEffective, p.Vpid, sid, tty, loginUID, capEff, pid)
		}
		if p.CgroupID == 0 || p.Comm != "sensor.test" {
			t.Errorf("cgroup id %d comm %q", p.CgroupID, p.Comm)
		}
		// the executable's inode as stat(2) sees it
		var exe unix.Stat_t
		if err := unix.Stat(selfExe, &exe); err != nil {
			t.Fatal(err)
		}
		if p.ExeIno != exe.Ino || p.ExeMtime != exe.Mtim.Nano() {
			t.Errorf("exe inode %d mtime %d, want %d %d", p.ExeIno, p.ExeMtime, exe.Ino, exe.Mtim.Nano())
		}
		x := c.waitFor(t, pid, event.TypeProcexit, "exit status 3", nil)
		if x.Res>>8 != 3 {
			t.Errorf("procexit res = %#x, want status of exit(3)", x.Res)
		}
	})

	t.Run("execve env", func(t *testing.T) {
		// known variables first: the sensor keeps the first 4 KiB of the
		// environment, and a variable cut by that cap is dropped
		big := "TTPW_BIG=" + strings.Repeat("B", 5000)
		cmd, err := actionCmd("exit3", testDir(t), []string{big})
		if err != nil {
			t.Fatal(err)
		}
		cmd.Env = append([]string{"TTPW_MARK=value with spaces", "LD_PRELOAD=/tmp/ttpwatch-test-missing.so", "TTPW_EMPTY="}, cmd.Env...)
		var ee *exec.ExitError
		if err := cmd.Run(); err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		pid := cmd.Process.Pid
		e := c.waitFor(t, pid, event.TypeExecve, "the child's exec", nil)
		p := e.Proc
		for name, want := range map[string]string{"TTPW_MARK": "value with spaces",
			"LD_PRELOAD": "/tmp/ttpwatch-test-missing.so", "TTPW_EMPTY": ""} {
			if got, ok := p.EnvVar(name); !ok || got != want {
				t.Errorf("env %s = %q (%v), want %q; env %.200q", name, got, ok, want, p.Env)
			}
		}
		if len(p.Env) == 0 || p.Env[0] != "TTPW_MARK=value with spaces" ||
			!strings.HasPrefix(p.EnvLine, "TTPW_MARK=value with spaces LD_PRELOAD=/tmp/ttpwatch-test-missing.so TTPW_EMPTY= ") {
			t.Errorf("env line = %.200q", p.EnvLine)
		}
		if _, ok := p.EnvVar("TTPW_BIG"); ok {
			t.Error("a variable cut by the 4 KiB cap was kept")
		}
		if len(p.EnvLine) > 4096 {
			t.Errorf("env of %d bytes kept, cap 4096", len(p.EnvLine))
		}
		f, _ := event.Lookup("proc.env")
		if v := f.Get(e, event.Arg{Set: true, Key: "LD_PRELOAD"}); !v.OK || v.Str != "/tmp/ttpwatch-test-missing.so" {
			t.Errorf("proc.env[LD_PRELOAD] = %+v", v)
		}
	})

	t.Run("execve failure", func(t *testing.T) {
		pid := run(t, "execfail", testDir(t), nil)
		e := c.waitFor(t, pid, event.TypeExecve, "-ENOENT", func(e *event.Event) bool { return e.Res != 0 })
		if e.Res != -int64(unix.ENOENT) || e.Path != "/nonexistent/ttpwatch-test" {
			t.Errorf("got %s", describe(e))
		}
	})

	t.Run("execveat clone", func(t *testing.T) {
		pid := run(t, "execveat", testDir(t), nil)
		want, _ := filepath.EvalSymlinks("/usr/bin/true")
		e := c.waitFor(t, pid, event.TypeExecveat, "exe /usr/bin/true", nil)
		if e.Proc.ExePath != want || e.Res != 0 {
			t.Errorf("execveat exepath = %q res %d, want %q", e.Proc.ExePath, e.Res, want)
		}
		pid = run(t, "spawn", testDir(t), nil)
		// Go's os/exec may fork a probe child first: find the clone whose
		// child execs /bin/true.
		trueExe, _ := filepath.EvalSymlinks("/bin/true")
		deadline := time.Now().Add(10 * time.Second)
		for {
			var found bool
			c.mu.Lock()
			for _, cl := range c.evs {
				if cl.Type != event.TypeClone || int(cl.Proc.Pid) != pid {
					continue
				}
				for _, ex := range c.evs {
					if ex.Type == event.TypeExecve && int64(ex.Proc.Pid) == cl.Res && ex.Proc.ExePath == trueExe {
						found = int(ex.Proc.Ppid) == pid && ex.Proc.Parent != nil && int(ex.Proc.Parent.Pid) == pid
					}
				}
			}
			c.mu.Unlock()
			if found {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no clone of pid %d followed by the exec of %s with that parent", pid, trueExe)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("files", func(t *testing.T) {
		dir := testDir(t)
		pid := run(t, "files", dir, nil)
		sub := dir + "/sub"
		path := func(p string) func(*event.Event) bool {
			return func(e *event.Event) bool { return e.Path == p }
		}
		e := c.waitFor(t, pid, event.TypeOpen, "sub/f", path(sub+"/f"))
		if e.PathRaw != "sub/f" || e.Flags != unix.O_RDONLY || e.Res < 0 || e.Fd != e.Res {
			t.Errorf("open: %s", describe(e))
		}
		e = c.waitFor(t, pid, event.TypeOpen, "missing", path(sub+"/missing"))
		if e.Res != -int64(unix.ENOENT) {
			t.Errorf("open of a missing file: res %d, want -ENOENT", e.Res)
		}
		e = c.waitFor(t, pid, event.TypeOpenat, "dirfd-relative", path(sub+"/new"))
		if e.Flags&(unix.O_CREAT|unix.O_WRONLY|unix.O_TRUNC) != unix.O_CREAT|unix.O_WRONLY|unix.O_TRUNC || e.Mode != 0o640 || e.Res < 0 {
			t.Errorf("openat: %s", describe(e))
		}
		e = c.waitFor(t, pid, event.TypeOpenat2, "../sub/f cleaned", path(sub+"/f"))
		if e.Flags != unix.O_RDONLY|unix.O_CLOEXEC || e.PathRaw != "../sub/f" {
			t.Errorf("openat2: %s", describe(e))
		}
		e = c.waitFor(t, pid, event.TypeCreat, "created", path(dir+"/created"))
		if e.Mode != 0o600 || e.Flags&unix.O_CREAT == 0 {
			t.Errorf("creat: %s", describe(e))
		}
		if e = c.waitFor(t, pid, event.TypeMkdir, "d1", path(dir+"/d1")); e.Mode != 0o750 || e.Res != 0 {
			t.Errorf("mkdir: %s", describe(e))
		}
		if e = c.waitFor(t, pid, event.TypeMkdirat, "d2", path(sub+"/d2")); e.Mode != 0o700 {
			t.Errorf("mkdirat: %s", describe(e))
		}
		c.waitFor(t, pid, event.TypeRmdir, "d1", path(dir+"/d1"))
		if e = c.waitFor(t, pid, event.TypeUnlinkat, "d2", path(sub+"/d2")); e.Flags != unix.AT_REMOVEDIR {
			t.Errorf("unlinkat: %s", describe(e))
		}
		if e = c.waitFor(t, pid, event.TypeChmod, "sub/f", path(sub+"/f")); e.Mode != 0o604 {
			t.Errorf("chmod: %s", describe(e))
		}
		if e = c.waitFor(t, pid, event.TypeFchmod, "sub/g by fd", path(sub+"/g")); e.Mode != 0o606 || e.Fd < 0 {
			t.Errorf("fchmod: %s", describe(e))
		}
		if e = c.waitFor(t, pid, event.TypeFchmodat, "g", path(sub+"/g")); e.Mode != 0o600 {
			t.Errorf("fchmodat: %s", describe(e))
		}
		if e = c.waitFor(t, pid, event.TypeLink, "hard1", path(sub+"/f")); e.Path2 != dir+"/hard1" || e.Res != 0 {
			t.Errorf("link: %s", describe(e))
		}
		if e = c.waitFor(t, pid, event.TypeLinkat, "hard2", path(sub+"/f")); e.Path2 != sub+"/hard2" {
			t.Errorf("linkat: %s", describe(e))
		}
		if e = c.waitFor(t, pid, event.TypeSymlink, "sym1", path("target-of-link")); e.Path2 != dir+"/sym1" {
			t.Errorf("symlink: %s", describe(e))
		}
		if e = c.waitFor(t, pid, event.TypeSymlinkat, "sym2", path("target-of-link")); e.Path2 != sub+"/sym2" {
			t.Errorf("symlinkat: %s", describe(e))
		}
		if e = c.waitFor(t, pid, event.TypeRename, "created", path(dir+"/created")); e.Path2 != dir+"/renamed" {
			t.Errorf("rename: %s", describe(e))
		}
		if e = c.waitFor(t, pid, event.TypeRenameat, "new", path(sub+"/new")); e.Path2 != sub+"/new2" {
			t.Errorf("renameat: %s", describe(e))
		}
		if e = c.waitFor(t, pid, event.TypeRenameat2, "new2", path(sub+"/new2")); e.Path2 != sub+"/new3" || e.Flags != unix.RENAME_NOREPLACE {
			t.Errorf("renameat2: %s", describe(e))
		}
		c.waitFor(t, pid, event.TypeUnlink, "renamed", path(dir+"/renamed"))
		if e = c.waitFor(t, pid, event.TypeUnlinkat, "new3", path(sub+"/new3")); e.Flags != 0 || e.Res != 0 {
			t.Errorf("unlinkat: %s", describe(e))
		}
	})

	t.Run("tcp", func(t *testing.T) {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() { buf := make([]byte, 64); c.Read(buf); c.Read(buf); c.Close() }()
			}
		}()
		srv := netip.MustParseAddrPort(ln.Addr().String())
		pid := run(t, "tcp", testDir(t), []string{"TTPW_ADDR=" + srv.String()})
		e := c.waitFor(t, pid, event.TypeSocket, "AF_INET stream", func(e *event.Event) bool { return e.Sock.Family == unix.AF_INET })
		if e.Sock.Type != unix.SOCK_STREAM || e.Flags != unix.SOCK_CLOEXEC || e.Res < 0 {
			t.Errorf("socket: family %d type %d flags %#x res %d", e.Sock.Family, e.Sock.Type, e.Flags, e.Res)
		}
		e = c.waitFor(t, pid, event.TypeConnect, "the test's listener", func(e *event.Event) bool { return e.Sock.Remote == srv })
		if e.Res != 0 || e.Sock.Role != event.RoleClient || e.Sock.Local.Addr() != srv.Addr() || e.Sock.Local.Port() == 0 {
			t.Errorf("connect: %s role %d", describe(e), e.Sock.Role)
		}
		c.waitFor(t, pid, event.TypeSendto, "to the listener", func(e *event.Event) bool { return e.Sock.Remote == srv && e.Res == 2 })
		c.waitFor(t, pid, event.TypeSendmsg, "to the listener", func(e *event.Event) bool { return e.Sock.Remote == srv && e.Res == 5 })
		b := c.waitFor(t, pid, event.TypeBind, "127.0.0.1:0", nil)
		if b.Sock.Local.Addr() != netip.MustParseAddr("127.0.0.1") || b.Res != 0 {
			t.Errorf("bind: %s", describe(b))
		}
		li := c.waitFor(t, pid, event.TypeListen, "bound port", func(e *event.Event) bool { return e.Sock.Local.Port() != 0 })
		for _, typ := range []event.Type{event.TypeAccept, event.TypeAccept4} {
			a := c.waitFor(t, pid, typ, "a peer", func(e *event.Event) bool { return e.Res >= 0 })
			if a.Sock.Local != li.Sock.Local || a.Sock.Remote.Addr() != srv.Addr() || a.Sock.Remote.Port() == 0 || a.Fd != a.Res {
				t.Errorf("%s: %s, want local %s", typ, describe(a), li.Sock.Local)
			}
		}
	})

	t.Run("udp6 recv", func(t *testing.T) {
		pid := run(t, "udp6", testDir(t), nil)
		b := c.waitFor(t, pid, event.TypeBind, "::1", nil)
		if b.Sock.Family != unix.AF_INET6 || b.Sock.Local.Addr() != netip.IPv6Loopback() {
			t.Errorf("bind6: %s", describe(b))
		}
		to := c.waitFor(t, pid, event.TypeSendto, "::1", func(e *event.Event) bool { return e.Sock.Remote.Addr() == netip.IPv6Loopback() })
		r := c.waitFor(t, pid, event.TypeRecvfrom, "a sender", func(e *event.Event) bool { return e.Res == 1 })
		if r.Sock.Remote.Addr() != netip.IPv6Loopback() || r.Sock.Remote.Port() == 0 || r.Sock.Local.Port() != to.Sock.Remote.Port() {
			t.Errorf("recvfrom: %s, sent to %s", describe(r), to.Sock.Remote)
		}
		c.waitFor(t, pid, event.TypeSendmsg, "::1", func(e *event.Event) bool { return e.Sock.Remote == to.Sock.Remote })
		m := c.waitFor(t, pid, event.TypeRecvmsg, "a sender", func(e *event.Event) bool { return e.Res == 1 })
		if m.Sock.Remote.Addr() != netip.IPv6Loopback() {
			t.Errorf("recvmsg: %s", describe(m))
		}
	})

	t.Run("unix socket", func(t *testing.T) {
		pid := run(t, "unix", testDir(t), nil)
		for _, typ := range []event.Type{event.TypeBind, event.TypeConnect} {
			e := c.waitFor(t, pid, typ, "tw.sock", nil)
			if e.Sock.Family != unix.AF_UNIX || e.Sock.UnixPath != "tw.sock" || e.Res != 0 {
				t.Errorf("%s: family %d %s", typ, e.Sock.Family, describe(e))
			}
		}
	})

	t.Run("dup", func(t *testing.T) {
		pid := run(t, "fds", testDir(t), nil)
		// (the child's Go runtime dups descriptors of its own at start)
		o := c.waitFor(t, pid, event.TypeOpen, "sub/f", nil)
		if e := c.waitFor(t, pid, event.TypeDup, "the file", func(e *event.Event) bool { return e.Fd == o.Res }); e.Res < 0 || e.Fd2 != e.Res {
			t.Errorf("dup: %s", describe(e))
		}
		if e := c.waitFor(t, pid, event.TypeDup2, "100", func(e *event.Event) bool { return e.Fd2 == 100 }); e.Fd != o.Res || e.Res != 100 || e.Sock.Family != 0 {
			t.Errorf("dup2 of a file: %s (socket family %d)", describe(e), e.Sock.Family)
		}
		if e := c.waitFor(t, pid, event.TypeDup2, "102", func(e *event.Event) bool { return e.Fd2 == 102 }); e.Sock.Family != unix.AF_INET ||
			e.Sock.Remote.String() != "127.0.0.1:9" || e.Sock.Proto != unix.IPPROTO_UDP {
			t.Errorf("dup2 of a UDP socket: %s (socket %+v)", describe(e), e.Sock)
		}
		if e := c.waitFor(t, pid, event.TypeDup3, "101", func(e *event.Event) bool { return e.Fd2 == 101 }); e.Fd != o.Res || e.Flags != unix.O_CLOEXEC {
			t.Errorf("dup3: %s", describe(e))
		}
	})

	t.Run("ptrace kill", func(t *testing.T) {
		dir := testDir(t)
		pid := run(t, "signals", dir, nil)
		b, err := os.ReadFile(dir + "/target.pid")
		if err != nil {
			t.Fatal(err)
		}
		target, _ := strconv.Atoi(string(b))
		e := c.waitFor(t, pid, event.TypePtrace, "PTRACE_ATTACH", nil)
		if e.Request != unix.PTRACE_ATTACH || e.TargetPid != int64(target) || e.Res != 0 {
			t.Errorf("ptrace: request %d target %d res %d, want %d %d 0", e.Request, e.TargetPid, e.Res, unix.PTRACE_ATTACH, target)
		}
		k := c.waitFor(t, pid, event.TypeKill, "SIGKILL", func(e *event.Event) bool { return e.TargetPid == int64(target) })
		if k.Signal != int64(unix.SIGKILL) || k.Res != 0 {
			t.Errorf("kill: signal %d res %d", k.Signal, k.Res)
		}
	})

	t.Run("setuid as nobody", func(t *testing.T) {
		pid := run(t, "setuid", testDir(t), nil)
		e := c.waitFor(t, pid, event.TypeSetresuid, "65534", nil)
		// root before the call, nobody after
		if e.UIDs != [3]int64{65534, 65534, 65534} || e.Res != 0 || e.PrevIDs != [2]int64{0, 0} || e.Proc.Uid != 65534 {
			t.Errorf("setresuid: uids %v res %d previous ids %v uid after %d", e.UIDs, e.Res, e.PrevIDs, e.Proc.Uid)
		}
		e = c.waitFor(t, pid, event.TypeSetuid, "0 refused", nil)
		if e.UIDs[0] != 0 || e.Res != -int64(unix.EPERM) || e.Proc.Uid != 65534 || e.Proc.UserName != "nobody" || e.PrevIDs != [2]int64{65534, 65534} {
			t.Errorf("setuid(0) as nobody: res %d uid %d user %q previous ids %v", e.Res, e.Proc.Uid, e.Proc.UserName, e.PrevIDs)
		}
		c.waitFor(t, pid, event.TypeSetresgid, "65534", func(e *event.Event) bool { return e.UIDs[0] == 65534 })
		if e := c.waitFor(t, pid, event.TypeSetgid, "65534", nil); e.Res != 0 || e.Proc.Gid != 65534 {
			t.Errorf("setgid: res %d gid %d", e.Res, e.Proc.Gid)
		}
	})

	t.Run("kernel and namespaces", func(t *testing.T) {
		dir := testDir(t)
		pid := run(t, "kernel", dir, nil)
		// (the child's Go runtime makes bpf calls of its own)
		if e := c.waitFor(t, pid, event.TypeBpf, "BPF_PROG_GET_NEXT_ID", func(e *event.Event) bool { return e.Cmd == 11 }); e.Res != -int64(unix.EFAULT) {
			t.Errorf("bpf: %s", describe(e))
		}
		if e := c.waitFor(t, pid, event.TypeMemfdCreate, "tw-memfd", nil); e.Path != "tw-memfd" || e.Flags != unix.MFD_CLOEXEC || e.Res < 0 {
			t.Errorf("memfd_create: %s", describe(e))
		}
		if e := c.waitFor(t, pid, event.TypeUserfaultfd, "O_CLOEXEC", nil); e.Flags != unix.O_CLOEXEC {
			t.Errorf("userfaultfd: %s", describe(e))
		}
		if e := c.waitFor(t, pid, event.TypeSetns, "uts", nil); e.Flags != unix.CLONE_NEWUTS || e.Res != 0 {
			t.Errorf("setns: %s", describe(e))
		}
		if e := c.waitFor(t, pid, event.TypeUnshare, "CLONE_NEWNS", nil); e.Flags != unix.CLONE_NEWNS || e.Res != 0 {
			t.Errorf("unshare: %s", describe(e))
		}
		e := c.waitFor(t, pid, event.TypeMount, "tmpfs on mnt", func(e *event.Event) bool { return e.FSType == "tmpfs" })
		if e.Path != dir+"/mnt" || e.Path2 != "twsrc" || e.Flags != unix.MS_NOSUID || e.Res != 0 {
			t.Errorf("mount: %s fstype %q", describe(e), e.FSType)
		}
		if e := c.waitFor(t, pid, event.TypeUmount2, "mnt", nil); e.Path != dir+"/mnt" || e.Flags != unix.MNT_DETACH {
			t.Errorf("umount2: %s", describe(e))
		}
		missing := l.Unavailable()
		for _, m := range []struct {
			typ  event.Type
			hook string
			res  int64
		}{
			{event.TypeDeleteModule, "delete_module", -int64(unix.ENOENT)},
			{event.TypeFinitModule, "finit_module", 0},
			{event.TypeInitModule, "init_module", 0},
		} {
			if slices.Contains(missing, hookName("enter", m.hook)) {
				t.Logf("%s: this kernel has no module support (no tracepoint); not testable here", m.typ)
				continue
			}
			e := c.waitFor(t, pid, m.typ, "a refused module call", nil)
			if e.Res >= 0 || (m.res != 0 && e.Res != m.res) {
				t.Errorf("%s: %s", m.typ, describe(e))
			}
			if m.typ == event.TypeDeleteModule && e.Path != "ttpwatch_no_such_module" {
				t.Errorf("delete_module name %q", e.Path)
			}
			if m.typ == event.TypeFinitModule && e.Path != "/dev/null" {
				t.Errorf("finit_module file %q", e.Path)
			}
		}
	})

	t.Run("fileless exec", func(t *testing.T) {
		pid := run(t, "memfdexec", testDir(t), nil)
		e := c.waitFor(t, pid, event.TypeExecve, "the memfd", func(e *event.Event) bool { return e.Proc.Comm != "sensor.test" })
		if !e.Proc.ExeFromMemfd || !strings.HasPrefix(e.Proc.ExePath, "/memfd:tw-fileless") {
			t.Errorf("memfd exec: exepath %q memfd %v", e.Proc.ExePath, e.Proc.ExeFromMemfd)
		}
	})

	t.Run("overlay upper layer", func(t *testing.T) {
		dir := testDir(t)
		run(t, "overlay", dir, nil)
		for _, tc := range []struct {
			exe   string
			upper bool
		}{{dir + "/merged/lowertrue", false}, {dir + "/merged/uppertrue", true}} {
			e := c.waitForAny(t, event.TypeExecve, tc.exe, func(e *event.Event) bool { return e.Proc.ExePath == tc.exe })
			if e.Proc.ExeUpperLayer != tc.upper || e.Proc.ExeFromMemfd {
				t.Errorf("%s: upper layer %v, want %v", tc.exe, e.Proc.ExeUpperLayer, tc.upper)
			}
		}
	})

	t.Run("no drops", func(t *testing.T) {
		if d := l.Drops(); d.Kernel != 0 || d.Malformed != 0 {
			t.Errorf("drops: %+v", d)
		}
	})
}

// TestLiveSetTypes checks that hooks follow the wanted types, live.
func TestLiveSetTypes(t *testing.T) {
	l, c, _ := startLive(t)
	has := func(hook string) bool { return slices.Contains(l.Attached(), hook) }
	all := len(l.Attached())
	if !has("syscalls/sys_enter_openat") || !has("raw_tracepoint/sched_process_exec") {
		t.Fatalf("attached with every type: %v", l.Attached())
	}
	if err := l.SetTypes([]event.Type{event.TypeKill}); err != nil {
		t.Fatal(err)
	}
	got := l.Attached()
	want := []string{"raw_tracepoint/sched_process_exec", "raw_tracepoint/sched_process_exit", "raw_tracepoint/sched_process_fork",
		"syscalls/sys_enter_kill", "syscalls/sys_exit_kill"}
	if !slices.Equal(got, want) {
		t.Fatalf("attached with kill only: %v, want %v", got, want)
	}
	dir := testDir(t)
	pid := run(t, "signals", dir, nil)
	c.waitFor(t, pid, event.TypeKill, "SIGKILL", nil)
	c.mu.Lock()
	for _, e := range c.evs {
		if e.Type == event.TypeOpenat || e.Type == event.TypePtrace {
			t.Errorf("%s event while its hooks are detached", e.Type)
		}
	}
	c.mu.Unlock()

	if err := l.SetTypes(allTypes()); err != nil {
		t.Fatal(err)
	}
	if n := len(l.Attached()); n != all {
		t.Fatalf("re-attached %d hooks, want %d", n, all)
	}
	pid = run(t, "signals", dir, nil)
	c.waitFor(t, pid, event.TypePtrace, "PTRACE_ATTACH after re-attach", nil)
}

// TestLiveCloseReleasesPrograms checks that no program of ours stays in the
// kernel after Close.
func TestLiveCloseReleasesPrograms(t *testing.T) {
	requireBPF(t)
	tab, _ := NewProcTable(ProcTableConfig{})
	l, err := NewLive(LiveConfig{Table: tab, Types: allTypes()})
	if err != nil {
		t.Fatal(err)
	}
	ids := l.ProgramIDs()
	if len(ids) < 100 {
		t.Fatalf("only %d program ids known", len(ids))
	}
	if !slices.ContainsFunc(ids, loaded) {
		t.Fatal("none of the loaded programs is in the kernel's list")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// The kernel frees programs after an RCU grace period.
	deadline := time.Now().Add(10 * time.Second)
	for slices.ContainsFunc(ids, loaded) {
		if time.Now().After(deadline) {
			t.Fatalf("programs still loaded after Close: %v", slices.DeleteFunc(ids, func(id ebpf.ProgramID) bool { return !loaded(id) }))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := l.SetTypes(allTypes()); err == nil {
		t.Error("SetTypes after Close succeeded")
	}
}

// loaded reports whether the kernel's program list holds id.
func loaded(id ebpf.ProgramID) bool {
	cur := ebpf.ProgramID(0)
	for {
		next, err := ebpf.ProgramGetNextID(cur)
		if err != nil {
			return false
		}
		if next == id {
			return true
		}
		cur = next
	}
}

// TestLiveNeedsRootMessage runs NewLive as nobody and checks the advice.
func TestLiveNeedsRootMessage(t *testing.T) {
	requireBPF(t) // root is needed to become nobody
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// a copy nobody can execute (the build dir is private)
	dir, err := os.MkdirTemp("", "ttpwatch-nobody")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/sensor.test", bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(dir+"/sensor.test", "-test.run=^$")
	cmd.Env = append(os.Environ(), actionEnv+"=newlive")
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v: %s", err, out)
	}
	if string(out) != errNeedRoot {
		t.Errorf("NewLive as nobody: %q, want %q", out, errNeedRoot)
	}
}

// TestLiveCountsKernelDrops fills the ring buffer without reading it and
// checks that the kernel counted what it could not deliver.
func TestLiveCountsKernelDrops(t *testing.T) {
	requireBPF(t)
	tab, _ := NewProcTable(ProcTableConfig{})
	if _, err := NewLive(LiveConfig{Table: tab, RingSize: 3 << 20}); err == nil {
		t.Error("a ring size that is not a power of two was accepted")
	}
	l, err := NewLive(LiveConfig{Table: tab, Types: []event.Type{event.TypeOpenat}, RingSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if d := l.Drops(); d.Kernel != 0 {
		t.Fatalf("drops before any event: %+v", d)
	}
	// 100,000 openat records of ~400 bytes overflow a 4 MiB ring
	cmd, err := actionCmd("loop", os.TempDir(), []string{"TTPW_LOOP=open+close", "TTPW_N=100000"})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := cmd.Output(); err != nil {
		t.Fatalf("loop: %v: %s %s", err, out, cmd.Stderr)
	}
	if d := l.Drops(); d.Kernel < 10000 {
		t.Errorf("kernel drops after overflowing the ring: %d, want at least 10000", d.Kernel)
	}
}

// TestLiveIgnoresItselfInPidNamespace runs the sensor in a child pid
// namespace, where its pid is not the kernel's: it must still ignore its own
// syscalls and see another process's.
func TestLiveIgnoresItselfInPidNamespace(t *testing.T) {
	requireBPF(t)
	cmd, err := actionCmd("selfns", testDir(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v: %s", err, cmd.Stderr)
	}
	if string(out) != "ok" {
		t.Errorf("sensor in a pid namespace: %s", out)
	}
}
