package sensor

import (
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"

	"github.com/ttpwatch/ttpwatch/event"
)

func fakeTable(t *testing.T) *ProcTable {
	t.Helper()
	tab, err := NewProcTable(ProcTableConfig{
		ProcRoot:  "testdata/proc",
		Users:     NewUsers("testdata/etc/passwd", "testdata/etc/group"),
		IgnorePid: 300,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tab.Seed(); err != nil {
		t.Fatal(err)
	}
	return tab
}

const bootNs = int64(1700000000) * 1e9

func TestSeedFromFakeProc(t *testing.T) {
	tab := fakeTable(t)
	if got := tab.Len(); got != 5 {
		t.Errorf("Len() = %d, want 5 (6 processes, ttpwatch ignored)", got)
	}
	if tab.Get(300) != nil {
		t.Error("ignored pid 300 was seeded")
	}
	if !tab.Ignored(300) || tab.Ignored(100) {
		t.Error("Ignored() wrong")
	}
	bash := tab.Get(100)
	if bash == nil {
		t.Fatal("pid 100 not seeded")
	}
	want := map[string]any{
		"Pid": bash.Pid == 100, "Ppid": bash.Ppid == 1, "Sid": bash.Sid == 100, "Pgid": bash.Pgid == 100,
		"Tty": bash.Tty == 34816, "Uid": bash.Uid == 1000, "Gid": bash.Gid == 1000, "Euid": bash.Euid == 1000,
		"LoginUID": bash.LoginUID == 1000, "Comm": bash.Comm == "bash", "Exe": bash.Exe == "-bash",
		"ExePath": bash.ExePath == "/usr/bin/bash", "Cwd": bash.Cwd == "/home/alice", "Args": len(bash.Args) == 0,
		"UserName": bash.UserName == "alice", "GroupName": bash.GroupName == "alice", "LoginName": bash.LoginName == "alice",
		"ContainerID": bash.ContainerID == "host", "StartTime": bash.StartTime == bootNs+1200*1e7,
		"Cmdline": bash.Cmdline == "bash", "ExeLine": bash.ExeLine == "-bash", "Alive": bash.Alive(),
		"Parent": bash.Parent == tab.Get(1), "Vpid": bash.Vpid == 100,
	}
	for k, ok := range want {
		if ok != true {
			t.Errorf("pid 100 %s wrong: %+v", k, bash)
		}
	}

	nginx := tab.Get(200)
	if nginx.ContainerID != "3f4e5d6c7b8a" {
		t.Errorf("nginx ContainerID = %q, want 3f4e5d6c7b8a", nginx.ContainerID)
	}
	if nginx.Vpid != 1 {
		t.Errorf("nginx Vpid = %d, want 1 (last NSpid)", nginx.Vpid)
	}
	if nginx.ExePath != "/usr/sbin/nginx" {
		t.Errorf("nginx ExePath = %q, want the path without (deleted)", nginx.ExePath)
	}
	if nginx.Cmdline != "nginx -g daemon off;" || nginx.ArgLine != "-g daemon off;" || nginx.ExeLine != "nginx -g daemon off;" {
		t.Errorf("nginx lines = %q / %q / %q", nginx.Cmdline, nginx.ArgLine, nginx.ExeLine)
	}
	if nginx.Euid != 101 || nginx.Gid != 0 || nginx.CapEffective != 0xa80425fb || nginx.CapPermitted != 0xa80425fb {
		t.Errorf("nginx creds: euid %d gid %d caps %x/%x", nginx.Euid, nginx.Gid, nginx.CapEffective, nginx.CapPermitted)
	}
	if nginx.LoginUID != UnsetLoginUID || nginx.LoginName != "" {
		t.Errorf("nginx login = %d %q, want unset", nginx.LoginUID, nginx.LoginName)
	}
	if nginx.Parent != tab.Get(150) || nginx.Ancestor(2) != tab.Get(1) || nginx.Ancestor(3) != nil {
		t.Error("nginx ancestry not linked 200 -> 150 -> 1")
	}

	if tab.Process(100) != bash || len(tab.Processes()) != 5 || tab.Processes()[0] != tab.Get(1) {
		t.Error("Process/Processes disagree with Get/Snapshot")
	}

	kt := tab.Get(2)
	if kt.Exe != "" || kt.ExePath != "" || kt.Cmdline != "kthreadd" || kt.Parent != nil {
		t.Errorf("kthreadd = exe %q path %q cmdline %q parent %v", kt.Exe, kt.ExePath, kt.Cmdline, kt.Parent)
	}
	if init := tab.Get(1); init.Cmdline != "systemd splash" || init.Exe != "/sbin/init" {
		t.Errorf("init cmdline %q exe %q", init.Cmdline, init.Exe)
	}
}

func task(pid, ppid, uid uint32, comm string, ts int64) *TaskInfo {
	return &TaskInfo{Time: ts, Pid: pid, Tid: pid, Ppid: ppid, Uid: uid, Gid: uid, Euid: uid,
		LoginUID: uid, Sid: ppid, Pgid: pid, Vpid: pid, Comm: comm}
}

func TestForkExecExit(t *testing.T) {
	tab := fakeTable(t)
	bash := tab.Get(100)
	parent := &TaskInfo{Time: 10, Pid: 100, Tid: 100, Ppid: 1, Uid: 1000, Gid: 1000, Euid: 1000,
		LoginUID: 1000, Sid: 100, Pgid: 100, Vpid: 100, Tty: 34816, Comm: "bash"}
	if got := tab.Resolve(parent); got != bash {
		t.Fatal("Resolve of an unchanged seeded process published a new image")
	}

	child := tab.Fork(parent, 500, 500, 20)
	if child.Pid != 500 || child.Ppid != 100 || child.Parent != bash || child.Vpid != 500 {
		t.Fatalf("child = pid %d ppid %d vpid %d parent %p", child.Pid, child.Ppid, child.Vpid, child.Parent)
	}
	if child.Cmdline != bash.Cmdline || child.ExePath != bash.ExePath || child.UserName != "alice" || child.StartTime != 20 {
		t.Errorf("child did not inherit the image: %+v", child)
	}
	if th := tab.Fork(parent, 100, 101, 21); th != bash {
		t.Error("a new thread published a process")
	}
	if c := tab.Children(100); len(c) != 1 || c[0] != child {
		t.Errorf("Children(100) = %v", c)
	}

	cti := task(500, 100, 1000, "cat", 30)
	img := tab.Exec(cti, &ExecInfo{ExePath: "/usr/bin/cat", Argv: []string{"cat", "/etc/shadow", "a b"}, Cwd: "/tmp"})
	if img == child {
		t.Fatal("Exec mutated instead of publishing")
	}
	if child.Comm != "bash" || child.ExePath != "/usr/bin/bash" {
		t.Error("Exec changed the previous image")
	}
	if tab.Get(500) != img || img.Parent != bash || img.StartTime != 20 {
		t.Errorf("exec image: current %v parent %p start %d", tab.Get(500) == img, img.Parent, img.StartTime)
	}
	if img.Cmdline != "cat /etc/shadow a b" || img.ArgLine != "/etc/shadow a b" || img.ExeLine != "cat /etc/shadow a b" || img.Cwd != "/tmp" {
		t.Errorf("exec lines %q / %q / %q cwd %q", img.Cmdline, img.ArgLine, img.ExeLine, img.Cwd)
	}
	if img.ContainerID != "host" || img.UserName != "alice" {
		t.Errorf("exec container %q user %q", img.ContainerID, img.UserName)
	}
	if got := tab.Resolve(cti); got != img {
		t.Error("Resolve after Exec did not return the exec image")
	}

	// setuid: the next record carries new credentials.
	su := *cti
	su.Uid, su.Euid = 0, 0
	root := tab.Resolve(&su)
	if root == img || root.Uid != 0 || root.UserName != "root" || root.Cmdline != img.Cmdline || root.Comm != "cat" {
		t.Errorf("setuid republish: same %v uid %d user %q", root == img, root.Uid, root.UserName)
	}
	if img.Uid != 1000 {
		t.Error("setuid changed the previous image")
	}

	tab.Exit(500, 3, 40)
	if root.Alive() || root.ExitTime.Load() != 40 || root.ExitCode.Load() != 3 {
		t.Errorf("exit state: alive %v time %d code %d", root.Alive(), root.ExitTime.Load(), root.ExitCode.Load())
	}
	if tab.Get(500) != root {
		t.Error("exited entry dropped at once; drill-down needs it")
	}
	if got := tab.Resolve(&su); got != root {
		t.Error("a late record of an exited process built a new entry")
	}
	// Event time passes the TTL: the exited entry goes.
	tab.Exit(1, 0, 40+DefaultExitedTTL)
	if tab.Get(500) != nil {
		t.Error("exited entry kept past its TTL")
	}
}

func TestExitedBoundAndPidReuse(t *testing.T) {
	tab, err := NewProcTable(ProcTableConfig{MaxExited: 2})
	if err != nil {
		t.Fatal(err)
	}
	for pid := uint32(10); pid < 14; pid++ {
		tab.Resolve(task(pid, 1, 0, "x", 1))
		tab.Exit(pid, 0, 2)
	}
	if tab.Get(10) != nil || tab.Get(11) != nil || tab.Get(12) == nil || tab.Get(13) == nil {
		t.Errorf("MaxExited=2 kept %v %v %v %v", tab.Get(10), tab.Get(11), tab.Get(12), tab.Get(13))
	}
	// pid 12 is reused before its exited image expires.
	fresh := tab.Fork(task(1, 0, 0, "init", 3), 12, 12, 3)
	tab.Resolve(task(20, 1, 0, "y", 4))
	tab.Exit(20, 0, 4)
	tab.Resolve(task(21, 1, 0, "z", 5))
	tab.Exit(21, 0, 5)
	if tab.Get(12) != fresh {
		t.Error("expiring the old image of a reused pid removed the new process")
	}
}

func TestResolveUnknownWithoutProc(t *testing.T) {
	tab, err := NewProcTable(ProcTableConfig{})
	if err != nil {
		t.Fatal(err)
	}
	p := tab.Resolve(&TaskInfo{Time: 7, Pid: 77, Ppid: 1, Uid: 5, Comm: "sh"})
	if p.Pid != 77 || p.Comm != "sh" || p.Cmdline != "sh" || p.ContainerID != "host" || p.StartTime != 7 {
		t.Errorf("task-only entry = %+v", p)
	}
}

func TestMaxLiveBound(t *testing.T) {
	tab, err := NewProcTable(ProcTableConfig{MaxLive: 100, MaxExited: 10})
	if err != nil {
		t.Fatal(err)
	}
	for pid := uint32(1); pid <= 1000; pid++ {
		tab.Resolve(task(pid, 0, 0, "p", int64(pid)))
		if n := tab.Len(); n > 110 {
			t.Fatalf("table grew to %d entries past its bound", n)
		}
	}
	if tab.Evicted() == 0 {
		t.Error("no evictions counted")
	}
}

func TestResolveZeroAlloc(t *testing.T) {
	tab := fakeTable(t)
	ti := &TaskInfo{Time: 10, Pid: 100, Tid: 100, Ppid: 1, Uid: 1000, Gid: 1000, Euid: 1000,
		LoginUID: 1000, Sid: 100, Pgid: 100, Vpid: 100, Tty: 34816, Comm: "bash"}
	tab.Resolve(ti)
	if n := testing.AllocsPerRun(1000, func() { tab.Resolve(ti) }); n != 0 {
		t.Errorf("Resolve of a known process allocates %v times", n)
	}
}

func TestConcurrentSnapshot(t *testing.T) {
	tab := fakeTable(t)
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			for _, p := range tab.Snapshot() {
				_ = p.Cmdline
				_ = p.Alive()
			}
			tab.Children(100)
		}
	}()
	parent := task(100, 1, 1000, "bash", 0)
	for i := uint32(0); i < 2000; i++ {
		ts := int64(i) * 1e6
		c := tab.Fork(parent, 1000+i, 1000+i, ts)
		tab.Exec(task(c.Pid, 100, 1000, "true", ts), &ExecInfo{ExePath: "/bin/true", Argv: []string{"true"}})
		tab.Exit(c.Pid, 0, ts)
	}
	close(done)
	wg.Wait()
}

func TestRealProcSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	tab, err := NewProcTable(ProcTableConfig{ProcRoot: "/proc", CgroupRoot: "/sys/fs/cgroup", Users: NewUsers("/etc/passwd", "/etc/group")})
	if err != nil {
		t.Fatal(err)
	}
	if err := tab.Seed(); err != nil {
		t.Fatal(err)
	}
	pid := uint32(os.Getpid())
	p := tab.Get(pid)
	if p == nil {
		t.Fatalf("the test process (pid %d) was not seeded", pid)
	}
	exe, _ := os.Executable()
	wd, _ := os.Getwd()
	if p.ExePath != exe || p.Cwd != wd || p.Uid != uint32(os.Getuid()) || p.Ppid != uint32(os.Getppid()) {
		t.Errorf("self = exe %q cwd %q uid %d ppid %d; want %q %q %d %d", p.ExePath, p.Cwd, p.Uid, p.Ppid, exe, wd, os.Getuid(), os.Getppid())
	}
	if p.Exe != os.Args[0] || p.StartTime <= 0 {
		t.Errorf("self exe %q start %d", p.Exe, p.StartTime)
	}
	if parent := tab.Get(uint32(os.Getppid())); parent == nil || p.Parent != parent {
		t.Error("parent not linked")
	}
	// A process started after the seed resolves from /proc on first sight.
	tab2, _ := NewProcTable(ProcTableConfig{ProcRoot: "/proc"})
	r := tab2.Resolve(&TaskInfo{Pid: pid, Ppid: uint32(os.Getppid()), Uid: uint32(os.Getuid())})
	if r.ExePath != exe || r.Cwd != wd {
		t.Errorf("Resolve from /proc: exe %q cwd %q", r.ExePath, r.Cwd)
	}
}

func TestCgroup2Root(t *testing.T) {
	if got := cgroup2Root("testdata"); got != "" {
		t.Errorf("cgroup2Root(testdata) = %q, want none", got)
	}
	got := cgroup2Root("/sys/fs/cgroup")
	if got == "" {
		t.Skip("no cgroup v2 mount on this host")
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(got, &st); err != nil || st.Type != cgroup2Magic {
		t.Errorf("cgroup2Root = %q, which is not a cgroup2 mount", got)
	}
}

var sinkProc *event.Process

func BenchmarkResolveKnown(b *testing.B) {
	tab, _ := NewProcTable(ProcTableConfig{})
	ti := task(100, 1, 0, "bash", 1)
	tab.Resolve(ti)
	b.ReportAllocs()
	for b.Loop() {
		sinkProc = tab.Resolve(ti)
	}
}

// BenchmarkSeed reads this host's /proc into a table.
func BenchmarkSeed(b *testing.B) {
	users := NewUsers("/etc/passwd", "/etc/group")
	for b.Loop() {
		tab, err := NewProcTable(ProcTableConfig{ProcRoot: "/proc", CgroupRoot: "/sys/fs/cgroup", Users: users})
		if err != nil {
			b.Fatal(err)
		}
		if err := tab.Seed(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(tab.Len()), "procs")
	}
}

// BenchmarkForkExecExit is the table's cost for one short-lived command,
// without an environment and with a 2 KiB one shared by every exec
// (children of one shell): interning costs a hash and a compare, no
// allocation.
func BenchmarkForkExecExit(b *testing.B) {
	var env []byte
	for i := 0; len(env) < 2048; i++ {
		env = append(env, "VAR"+strconv.Itoa(i)+"=/usr/local/bin:/usr/bin:/bin\x00"...)
	}
	for _, bc := range []struct {
		name string
		env  []byte
	}{{"no-env", nil}, {"shared-2KiB-env", env[:len(env)-1]}} {
		b.Run(bc.name, func(b *testing.B) {
			tab, _ := NewProcTable(ProcTableConfig{Users: NewUsers("testdata/etc/passwd", "testdata/etc/group")})
			parent := task(100, 1, 1000, "bash", 0)
			tab.Resolve(parent)
			x := &ExecInfo{ExePath: "/usr/bin/ls", Argv: []string{"ls", "-la", "/tmp"}, Cwd: "/home/alice", Env: bc.env}
			b.ReportAllocs()
			i := uint32(0)
			for b.Loop() {
				i++
				pid := 1000 + i%30000
				ts := int64(i) * 1000
				tab.Fork(parent, pid, pid, ts)
				tab.Exec(task(pid, 100, 1000, "ls", ts), x)
				tab.Exit(pid, 0, ts)
			}
		})
	}
}

func TestSeedBreaksParentLoops(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/stat", []byte("btime 1700000000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// 50 and 100 claim each other as parent, as a pid reused mid-scan can
	// make /proc say.
	for _, pp := range [][2]int{{50, 100}, {100, 50}, {200, 100}} {
		d := dir + "/" + strconv.Itoa(pp[0])
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		stat := strconv.Itoa(pp[0]) + " (sh) S " + strconv.Itoa(pp[1]) + " 1 1 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 100 3133440 389 18446744073709551615 1 2 3 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 1 2 3 4 5 6 7 0\n"
		status := "Name:\tsh\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nNSpid:\t" + strconv.Itoa(pp[0]) + "\n"
		for name, data := range map[string]string{"stat": stat, "status": status, "cmdline": "sh\x00", "cgroup": "0::/\n"} {
			if err := os.WriteFile(d+"/"+name, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	tab, err := NewProcTable(ProcTableConfig{ProcRoot: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := tab.Seed(); err != nil {
		t.Fatal(err)
	}
	if tab.Len() != 3 {
		t.Fatalf("seeded %d processes, want 3", tab.Len())
	}
	for _, p := range tab.Snapshot() {
		n := 0
		for a := p.Parent; a != nil; a = a.Parent {
			if n++; n > 3 {
				t.Fatalf("pid %d: ancestry does not end", p.Pid)
			}
		}
	}
	if tab.Get(200).Parent != tab.Get(100) {
		t.Error("a link outside the loop was cut")
	}
}
