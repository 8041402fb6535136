package sensor

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/ttpwatch/ttpwatch/event"
)

// The overhead benchmark (DESIGN.md §9): a getppid loop, an open+close loop
// and an exec loop, each run in a child process (the sensor ignores its own
// process) with no sensor, with empty programs on the same hooks, and with
// the sensor tracing every event type, in rounds; it reports each loop's
// median ns/op and the ratios to no sensor. Run it with
//
//	sudo go test -run XXX -bench BenchmarkOverhead -benchtime 1x ./sensor
//
// Timings are reported, never asserted.

// overheadLoops are the loops and their iteration counts.
var overheadLoops = []struct {
	name string
	n    int
}{
	{"getppid", 1_000_000},
	{"open+close", 100_000},
	{"exec", 300},
}

// overheadLoop runs the loop named by TTPW_LOOP TTPW_N times in a child and
// prints its ns per iteration.
func overheadLoop() {
	n, _ := strconv.Atoi(os.Getenv("TTPW_N"))
	runtime.LockOSThread()
	path, _ := unix.BytePtrFromString("/etc/hostname")
	start := time.Now()
	switch os.Getenv("TTPW_LOOP") {
	case "getppid":
		for i := 0; i < n; i++ {
			unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
		}
	case "open+close":
		for i := 0; i < n; i++ {
			fd, _, e := unix.Syscall6(unix.SYS_OPENAT, uintptr(0xffffffffffffff9c), uintptr(unsafe.Pointer(path)), unix.O_RDONLY, 0, 0, 0)
			if e != 0 {
				fail("open", e)
			}
			unix.Syscall(unix.SYS_CLOSE, fd, 0, 0)
		}
	case "exec":
		attr := &syscall.ProcAttr{Files: []uintptr{0, 1, 2}}
		for i := 0; i < n; i++ {
			pid, err := syscall.ForkExec("/bin/true", []string{"true"}, attr)
			if err != nil {
				fail("fork/exec", err)
			}
			var ws syscall.WaitStatus
			syscall.Wait4(pid, &ws, 0, nil)
		}
	default:
		fail("loop", fmt.Errorf("unknown loop %q", os.Getenv("TTPW_LOOP")))
	}
	wall := time.Since(start).Nanoseconds()
	// CPU time (user+system, the exec'd children's included) is what the
	// hooks add to; on a busy VM it is steadier than wall time.
	var self, kids unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &self)
	unix.Getrusage(unix.RUSAGE_CHILDREN, &kids)
	cpu := self.Utime.Nano() + self.Stime.Nano() + kids.Utime.Nano() + kids.Stime.Nano()
	fmt.Println(wall/int64(n), cpu/int64(n))
	os.Exit(0)
}

// timeLoop runs one loop in a child and returns its wall and CPU ns per
// iteration.
func timeLoop(b *testing.B, loop string, n int) (wall, cpu float64) {
	cmd, err := actionCmd("loop", os.TempDir(), []string{"TTPW_LOOP=" + loop, "TTPW_N=" + strconv.Itoa(n)})
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("loop %s: %v: %s", loop, err, cmd.Stderr)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		b.Fatalf("loop %s printed %q", loop, out)
	}
	wall, err1 := strconv.ParseFloat(f[0], 64)
	cpu, err2 := strconv.ParseFloat(f[1], 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("loop %s printed %q", loop, out)
	}
	return wall, cpu
}

// attachEmpty attaches the empty programs on every hook of the sensor.
func attachEmpty(b *testing.B) func() {
	spec, err := loadEmptyBPF()
	if err != nil {
		b.Fatal(err)
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		b.Fatal(err)
	}
	var links []link.Link
	for _, h := range lifecycleHooks {
		l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: h.tracepoint, Program: coll.Programs[h.program]})
		if err != nil {
			b.Fatal(err)
		}
		links = append(links, l)
	}
	for _, sys := range syscallOf {
		if sys == "" {
			continue
		}
		for _, dir := range []string{"enter", "exit"} {
			l, err := link.Tracepoint("syscalls", "sys_"+dir+"_"+sys, coll.Programs[programName(dir, sys)], nil)
			if err != nil {
				continue // not in this kernel: the sensor lacks it too
			}
			links = append(links, l)
		}
	}
	return func() {
		for _, l := range links {
			l.Close()
		}
		coll.Close()
	}
}

// startSensor runs the live sensor with every type, draining into nothing.
func startSensor(b *testing.B) func() {
	tab, err := NewProcTable(ProcTableConfig{ProcRoot: "/proc", IgnorePid: uint32(os.Getpid())})
	if err != nil {
		b.Fatal(err)
	}
	if err := tab.Seed(); err != nil {
		b.Fatal(err)
	}
	l, err := NewLive(LiveConfig{Table: tab, Types: allTypes()})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var events uint64
	go func() {
		l.Run(ctx, func(*event.Event) { events++ })
		close(done)
	}()
	return func() {
		cancel()
		<-done
		if d := l.Drops(); d.Kernel != 0 {
			b.Logf("kernel drops during the sensor runs: %d", d.Kernel)
		}
		l.Close()
	}
}

func BenchmarkOverhead(b *testing.B) {
	if os.Geteuid() != 0 {
		if os.Getenv("REQUIRE_BPF") == "1" {
			b.Fatal("REQUIRE_BPF=1 but not root")
		}
		b.Skip("needs root to load eBPF programs (run with sudo)")
	}
	if _, err := exec.LookPath("/bin/true"); err != nil {
		b.Skip("no /bin/true")
	}
	modes := []struct {
		name  string
		setup func(*testing.B) func()
	}{
		{"none", func(*testing.B) func() { return func() {} }},
		{"empty", attachEmpty},
		{"sensor", startSensor},
	}
	const rounds = 3
	wall := map[string][]float64{} // mode/loop -> per round
	cpu := map[string][]float64{}
	for b.Loop() {
		for r := 0; r < rounds; r++ {
			for _, m := range modes {
				stop := m.setup(b)
				for _, l := range overheadLoops {
					k := m.name + "/" + l.name
					w, c := timeLoop(b, l.name, l.n)
					wall[k] = append(wall[k], w)
					cpu[k] = append(cpu[k], c)
				}
				stop()
			}
		}
	}
	med := func(v []float64) float64 {
		v = slices.Clone(v)
		slices.Sort(v)
		return v[len(v)/2]
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%-12s %-5s %12s %12s %12s %9s %9s\n", "loop", "", "none ns/op", "empty ns/op", "sensor ns/op", "empty ×", "sensor ×")
	for _, l := range overheadLoops {
		for _, kind := range []struct {
			name string
			ns   map[string][]float64
		}{{"wall", wall}, {"cpu", cpu}} {
			none, empty, sensor := med(kind.ns["none/"+l.name]), med(kind.ns["empty/"+l.name]), med(kind.ns["sensor/"+l.name])
			fmt.Fprintf(&sb, "%-12s %-5s %12.0f %12.0f %12.0f %9.2f %9.2f\n", l.name, kind.name, none, empty, sensor, empty/none, sensor/none)
			b.ReportMetric(sensor/none, l.name+"-"+kind.name+"-sensor-x")
			b.ReportMetric(empty/none, l.name+"-"+kind.name+"-empty-x")
		}
	}
	fmt.Print(sb.String())
}

// BenchmarkHookCost reports the kernel's own accounting of the sensor's
// programs (bpf_stats: run time / run count) over the open+close and exec
// loops: the per-event cost in the kernel, independent of the VM's noise.
//
//	sudo go test -run XXX -bench BenchmarkHookCost -benchtime 1x ./sensor
func BenchmarkHookCost(b *testing.B) {
	if os.Geteuid() != 0 {
		if os.Getenv("REQUIRE_BPF") == "1" {
			b.Fatal("REQUIRE_BPF=1 but not root")
		}
		b.Skip("needs root to load eBPF programs (run with sudo)")
	}
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		b.Skipf("bpf run-time statistics unavailable: %v", err)
	}
	defer stats.Close()
	tab, _ := NewProcTable(ProcTableConfig{ProcRoot: "/proc", IgnorePid: uint32(os.Getpid())})
	l, err := NewLive(LiveConfig{Table: tab, Types: allTypes()})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx, func(*event.Event) {})
	for b.Loop() {
		timeLoop(b, "open+close", 100_000)
		timeLoop(b, "exec", 300)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%-16s %12s %10s\n", "program", "runs", "ns/run")
	for _, name := range []string{"tw_en_openat", "tw_ex_openat", "tw_en_execve", "tw_ex_execve", "tw_exec", "tw_fork", "tw_exit"} {
		s, err := l.coll.Programs[name].Stats()
		if err != nil || s.RunCount == 0 {
			continue
		}
		ns := float64(s.Runtime.Nanoseconds()) / float64(s.RunCount)
		fmt.Fprintf(&sb, "%-16s %12d %10.0f\n", name, s.RunCount, ns)
		b.ReportMetric(ns, name+"-ns/run")
	}
	fmt.Print(sb.String())
}
