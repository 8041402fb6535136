package sensor

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ttpwatch/ttpwatch/event"
)

// The live integration tests re-execute the test binary with
// TTPW_ACTION=name to run one action in a child whose pid they know. An
// action's expected failures (ENOENT, EPERM) are the point and are ignored;
// a setup failure exits 1 so that the test sees it.

const actionEnv = "TTPW_ACTION"

// childActions are the actions a child can run, in its cwd (a temp dir with
// sub/f, sub/g and the target address in TTPW_ADDR where needed).
var childActions = map[string]func(){
	"exit3": func() { os.Exit(3) },
	"loop":  overheadLoop,
	"newlive": func() {
		tab, _ := NewProcTable(ProcTableConfig{})
		l, err := NewLive(LiveConfig{Table: tab})
		if err == nil {
			l.Close()
		}
		fmt.Print(err)
		os.Exit(0)
	},
	"execfail": func() {
		_ = unix.Exec("/nonexistent/ttpwatch-test", []string{"x"}, nil)
	},
	"execveat": func() {
		dfd := must(unix.Open("/usr/bin", unix.O_DIRECTORY|unix.O_RDONLY, 0))
		p, _ := unix.BytePtrFromString("true")
		argv := []*byte{p, nil}
		envp := []*byte{nil}
		_, _, errno := unix.Syscall6(unix.SYS_EXECVEAT, uintptr(dfd), uintptr(unsafe.Pointer(p)),
			uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envp[0])), 0, 0)
		fail("execveat", errno)
	},
	"spawn": func() {
		if err := exec.Command("/bin/true").Run(); err != nil {
			fail("spawn /bin/true", err)
		}
	},
	"files": func() {
		// Raw syscalls: x/sys/unix maps open, mkdir, rename... onto the *at
		// calls, and each must be seen under its own name.
		call(unix.SYS_OPEN, "sub/f", unix.O_RDONLY, 0) // relative to the cwd
		call(unix.SYS_OPEN, "sub/missing", unix.O_RDONLY, 0)
		dfd := must(unix.Open("sub", unix.O_DIRECTORY|unix.O_RDONLY, 0))
		// relative to a dirfd
		call(unix.SYS_OPENAT, dfd, "new", unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, 0o640)
		_, _ = unix.Openat2(dfd, "../sub/f", &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC})
		call(unix.SYS_CREAT, "created", 0o600)
		call(unix.SYS_MKDIR, "d1", 0o750)
		call(unix.SYS_MKDIRAT, dfd, "d2", 0o700)
		call(unix.SYS_RMDIR, "d1")
		call(unix.SYS_UNLINKAT, dfd, "d2", unix.AT_REMOVEDIR)
		call(unix.SYS_CHMOD, "sub/f", 0o604)
		fd := must(unix.Open("sub/g", unix.O_RDONLY, 0))
		call(unix.SYS_FCHMOD, fd, 0o606)
		call(unix.SYS_FCHMODAT, dfd, "g", 0o600)
		call(unix.SYS_LINK, "sub/f", "hard1")
		call(unix.SYS_LINKAT, dfd, "f", dfd, "hard2", 0)
		call(unix.SYS_SYMLINK, "target-of-link", "sym1")
		call(unix.SYS_SYMLINKAT, "target-of-link", dfd, "sym2")
		call(unix.SYS_RENAME, "created", "renamed")
		call(unix.SYS_RENAMEAT, dfd, "new", dfd, "new2")
		call(unix.SYS_RENAMEAT2, dfd, "new2", dfd, "new3", unix.RENAME_NOREPLACE)
		call(unix.SYS_UNLINK, "renamed")
		call(unix.SYS_UNLINKAT, dfd, "new3", 0)
	},
	"tcp": func() {
		addr := os.Getenv("TTPW_ADDR")
		host, port, _ := net.SplitHostPort(addr)
		p, _ := strconv.Atoi(port)
		ip := net.ParseIP(host).To4()
		fd := must(unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0))
		if err := unix.Connect(fd, &unix.SockaddrInet4{Port: p, Addr: [4]byte(ip)}); err != nil {
			fail("connect", err)
		}
		_ = unix.Sendto(fd, []byte("hi"), 0, nil)
		_, _ = unix.SendmsgN(fd, []byte("hello"), nil, nil, 0)
		_ = unix.Close(fd)

		// a listener of our own, accepted with accept and accept4
		ls := must(unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0))
		if err := unix.Bind(ls, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			fail("bind", err)
		}
		if err := unix.Listen(ls, 8); err != nil {
			fail("listen", err)
		}
		sa, _ := unix.Getsockname(ls)
		for i := 0; i < 2; i++ {
			c := must(unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0))
			if err := unix.Connect(c, sa); err != nil {
				fail("connect self", err)
			}
			if i == 0 {
				if r := call(unix.SYS_ACCEPT, ls, 0, 0); r < 0 {
					fail("accept", unix.Errno(-r))
				}
			} else {
				_, _, err := unix.Accept4(ls, unix.SOCK_CLOEXEC)
				fail("accept4", err)
			}
		}
	},
	"udp6": func() {
		a := must(unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM, 0))
		if err := unix.Bind(a, &unix.SockaddrInet6{Addr: [16]byte(net.IPv6loopback)}); err != nil {
			fail("bind6", err)
		}
		sa, _ := unix.Getsockname(a)
		b := must(unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM, 0))
		_ = unix.Sendto(b, []byte("x"), 0, sa)
		buf := make([]byte, 16)
		_, _, err := unix.Recvfrom(a, buf, 0)
		fail("recvfrom", err)
		_, _ = unix.SendmsgN(b, []byte("y"), nil, sa, 0)
		_, _, _, _, err = unix.Recvmsg(a, buf, nil, 0)
		fail("recvmsg", err)
	},
	"unix": func() {
		ls := must(unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0))
		if err := unix.Bind(ls, &unix.SockaddrUnix{Name: "tw.sock"}); err != nil {
			fail("bind unix", err)
		}
		_ = unix.Listen(ls, 1)
		c := must(unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0))
		if err := unix.Connect(c, &unix.SockaddrUnix{Name: "tw.sock"}); err != nil {
			fail("connect unix", err)
		}
	},
	"fds": func() {
		fd := call(unix.SYS_OPEN, "sub/f", unix.O_RDONLY, 0)
		_, _ = unix.Dup(fd)
		call(unix.SYS_DUP2, fd, 100)
		_ = unix.Dup3(fd, 101, unix.O_CLOEXEC)
		// a connected UDP socket (no packet is sent) duplicated: the
		// record carries the socket behind the old descriptor
		s := must(unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0))
		if err := unix.Connect(s, &unix.SockaddrInet4{Port: 9, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			fail("connect udp", err)
		}
		call(unix.SYS_DUP2, s, 102)
	},
	"signals": func() {
		c := exec.Command("/bin/sleep", "30")
		if err := c.Start(); err != nil {
			fail("start sleep", err)
		}
		pid := c.Process.Pid
		_ = os.WriteFile("target.pid", []byte(strconv.Itoa(pid)), 0o644)
		if err := unix.PtraceAttach(pid); err != nil {
			fail("ptrace attach", err)
		}
		_ = unix.Kill(pid, unix.SIGKILL)
		_ = c.Wait()
	},
	"setuid": func() {
		// Drop to nobody on this thread only (raw syscalls, unlike Go's
		// process-wide Setuid), then act as a non-root user.
		runtime.LockOSThread()
		if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, 65534, 65534, 65534); e != 0 {
			fail("setresgid", e)
		}
		if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, 65534, 65534, 65534); e != 0 {
			fail("setresuid", e)
		}
		unix.RawSyscall(unix.SYS_SETUID, 0, 0, 0)     // fails: EPERM
		unix.RawSyscall(unix.SYS_SETGID, 65534, 0, 0) // allowed
		os.Exit(0)                                    // the thread stays dropped
	},
	"kernel": func() {
		call(unix.SYS_BPF, 11 /* BPF_PROG_GET_NEXT_ID */, 0, 0)
		_ = unix.DeleteModule("ttpwatch_no_such_module", 0)
		fd := must(unix.Open("/dev/null", unix.O_RDONLY, 0))
		_ = unix.FinitModule(fd, "", 0)
		_ = unix.InitModule(nil, "")
		_, _ = unix.MemfdCreate("tw-memfd", unix.MFD_CLOEXEC)
		uffd, _, _ := unix.Syscall(unix.SYS_USERFAULTFD, unix.O_CLOEXEC, 0, 0)
		_ = uffd
		ns := must(unix.Open("/proc/self/ns/uts", unix.O_RDONLY, 0))
		runtime.LockOSThread()
		_ = unix.Setns(ns, unix.CLONE_NEWUTS)
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			fail("unshare", err)
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			fail("make / private", err)
		}
		if err := unix.Mount("twsrc", "mnt", "tmpfs", unix.MS_NOSUID, ""); err != nil {
			fail("mount", err)
		}
		if err := unix.Unmount("mnt", unix.MNT_DETACH); err != nil {
			fail("umount", err)
		}
		os.Exit(0)
	},
	"selfns": func() {
		// In a new pid namespace (pid 1 here): run the sensor, open a
		// marker ourselves and have /bin/cat open another; print what the
		// sensor saw of the two.
		tab, _ := NewProcTable(ProcTableConfig{})
		l, err := NewLive(LiveConfig{Table: tab, Types: []event.Type{event.TypeOpenat}})
		if err != nil {
			fail("NewLive", err)
		}
		self, other := make(chan struct{}, 1), make(chan struct{}, 1)
		go l.Run(context.Background(), func(e *event.Event) {
			switch {
			case strings.HasSuffix(e.Path, "/marker-self"):
				select {
				case self <- struct{}{}:
				default:
				}
			case strings.HasSuffix(e.Path, "/marker-other"):
				select {
				case other <- struct{}{}:
				default:
				}
			}
		})
		_ = os.WriteFile("marker-self", nil, 0o644)
		_ = os.WriteFile("marker-other", nil, 0o644)
		if _, err := os.ReadFile("marker-self"); err != nil {
			fail("read marker", err)
		}
		if err := exec.Command("/bin/cat", "marker-other").Run(); err != nil {
			fail("cat", err)
		}
		select {
		case <-other:
		case <-time.After(10 * time.Second):
			fmt.Print("other-not-seen")
			os.Exit(0)
		}
		select {
		case <-self:
			fmt.Print("self-seen")
		default:
			fmt.Print("ok")
		}
		os.Exit(0)
	},
	"overlay": func() {
		// An overlay in a private mount namespace: one binary in the lower
		// layer, one in the upper; both executed through the merged view.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			fail("unshare", err)
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			fail("make / private", err)
		}
		bin, err := os.ReadFile("/bin/true")
		if err != nil {
			fail("read /bin/true", err)
		}
		for _, d := range []string{"lower", "upper", "work", "merged"} {
			if err := os.Mkdir(d, 0o755); err != nil {
				fail("mkdir", err)
			}
		}
		if err := os.WriteFile("lower/lowertrue", bin, 0o755); err != nil {
			fail("write lower", err)
		}
		if err := os.WriteFile("upper/uppertrue", bin, 0o755); err != nil {
			fail("write upper", err)
		}
		if err := unix.Mount("overlay", "merged", "overlay", 0, "lowerdir=lower,upperdir=upper,workdir=work"); err != nil {
			fail("mount overlay", err)
		}
		for _, b := range []string{"merged/lowertrue", "merged/uppertrue"} {
			if err := exec.Command(b).Run(); err != nil {
				fail("run "+b, err)
			}
		}
		os.Exit(0)
	},
	"memfdexec": func() {
		bin, err := os.ReadFile("/bin/true")
		if err != nil {
			fail("read /bin/true", err)
		}
		fd := must(unix.MemfdCreate("tw-fileless", 0))
		if _, err := unix.Write(fd, bin); err != nil {
			fail("write memfd", err)
		}
		err = unix.Exec(fmt.Sprintf("/proc/self/fd/%d", fd), []string{"fileless"}, nil)
		fail("exec memfd", err)
	},
}

// call makes a raw syscall with string and int arguments and returns its
// result or -errno.
func call(nr uintptr, args ...any) int {
	var a [6]uintptr
	var keep [][]byte
	for i, x := range args {
		switch v := x.(type) {
		case string:
			b := append([]byte(v), 0)
			keep = append(keep, b)
			a[i] = uintptr(unsafe.Pointer(&b[0]))
		case int:
			a[i] = uintptr(v)
		}
	}
	r, _, e := unix.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	runtime.KeepAlive(keep)
	if e != 0 {
		return -int(e)
	}
	return int(r)
}

func must(fd int, err error) int {
	if err != nil {
		fail("setup", err)
	}
	return fd
}

func fail(what string, err error) {
	if err == nil {
		return
	}
	if e, ok := err.(syscall.Errno); ok && e == 0 {
		return
	}
	fmt.Fprintf(os.Stderr, "%s: %s: %v\n", os.Getenv(actionEnv), what, err)
	os.Exit(1)
}

// runChildAction runs the action named by TTPW_ACTION and exits; it is
// called from TestMain before any test.
func runChildAction() {
	name := os.Getenv(actionEnv)
	a, ok := childActions[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown action %q\n", name)
		os.Exit(2)
	}
	a()
	// give the kernel's exit of this thread group a moment to follow
	// the actions' syscalls in order; not a correctness matter
	time.Sleep(10 * time.Millisecond)
	os.Exit(0)
}

// actionCmd builds the command that runs action in dir with extra argv.
func actionCmd(action, dir string, env []string, args ...string) (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	c := exec.Command(self, append([]string{"-test.run=^$"}, args...)...)
	c.Dir = dir
	c.Env = append(append(os.Environ(), actionEnv+"="+action), env...)
	var stderr strings.Builder
	c.Stderr = &stderr
	return c, nil
}
