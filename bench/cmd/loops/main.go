// Command loops times a syscall workload and prints its cost per operation,
// in wall-clock and in CPU time ("812.3 ns/op 790.1 cpu-ns/op"): the
// workloads whose slowdown under the sensor `make bench` reports.
//
//	loops getppid N     N getppid(2) calls
//	loops openclose N   N openat(2)+close(2) pairs on /etc/hostname
//	loops exec N        N fork+exec of /bin/true, each waited for
//
// An optional third argument pins the loop to that CPU: on a VM the same
// loop can run at very different speeds on different vCPUs (a busy
// neighbour on the host core behind one of them), which would otherwise
// decide a comparison more than the sensor does.
//
// The syscalls go through unix.RawSyscall so Go's runtime adds no
// bookkeeping around them; the thread is locked so the loop stays on one
// kernel task.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// workloads maps a name to a function running it n times.
var workloads = map[string]func(n int) error{
	"getppid":   getppid,
	"openclose": openClose,
	"exec":      execTrue,
	"spin":      spin,
}

// spin is a reference: user-space arithmetic that no sensor touches. Its
// speed follows the vCPU's (a busy host core, a frequency change), not the
// sensor's.
func spin(n int) error {
	x := uint64(88172645463325252)
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	if x == 0 { // never true (xorshift keeps a non-zero state): uses x
		return fmt.Errorf("spin: xorshift state reached zero")
	}
	return nil
}

func main() {
	if len(os.Args) < 3 || len(os.Args) > 4 || workloads[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: loops getppid|openclose|exec N [CPU]")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil || n <= 0 {
		fmt.Fprintf(os.Stderr, "loops: N must be a positive integer, got %q\n", os.Args[2])
		os.Exit(2)
	}
	runtime.LockOSThread()
	if len(os.Args) == 4 {
		if err := pin(os.Args[3]); err != nil {
			fmt.Fprintf(os.Stderr, "loops: %v\n", err)
			os.Exit(2)
		}
	}
	cpu0, err := cpuTime()
	if err != nil {
		fmt.Fprintf(os.Stderr, "loops: %v\n", err)
		os.Exit(1)
	}
	start := time.Now()
	if err := workloads[os.Args[1]](n); err != nil {
		fmt.Fprintf(os.Stderr, "loops %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	elapsed := time.Since(start)
	cpu1, err := cpuTime()
	if err != nil {
		fmt.Fprintf(os.Stderr, "loops: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%.1f ns/op %.1f cpu-ns/op\n", float64(elapsed.Nanoseconds())/float64(n), float64(cpu1-cpu0)/float64(n))
}

// pin binds the calling thread (locked to this goroutine) to one CPU.
func pin(arg string) error {
	cpu, err := strconv.Atoi(arg)
	if err != nil || cpu < 0 {
		return fmt.Errorf("CPU must be a CPU number, got %q", arg)
	}
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("pin to CPU %d: %w", cpu, err)
	}
	return nil
}

// cpuTime is the CPU time of this thread plus that of the waited-for
// children, in ns. On a shared VM the wall time also counts waiting for a
// CPU; the CPU time is only the work: the syscalls, the BPF programs the
// hooks run in this task's context and, for exec, the children's own exec,
// loader and exit (where sched_process_exec and _exit fire).
func cpuTime() (int64, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, fmt.Errorf("thread CPU clock: %w", err)
	}
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_CHILDREN, &ru); err != nil {
		return 0, fmt.Errorf("children's CPU time: %w", err)
	}
	return ts.Nano() + ru.Utime.Nano() + ru.Stime.Nano(), nil
}

func getppid(n int) error {
	for range n {
		unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
	}
	return nil
}

// openClose opens a small file that exists on every Debian host; the
// sensor's open hooks read the path, so a real path is the honest case.
func openClose(n int) error {
	path, err := unix.BytePtrFromString("/etc/hostname")
	if err != nil {
		return err
	}
	p := uintptr(unsafe.Pointer(path))
	dirfd := unix.AT_FDCWD // a variable: the negative constant does not convert to uintptr
	for range n {
		fd, _, errno := unix.RawSyscall6(unix.SYS_OPENAT, uintptr(dirfd), p, unix.O_RDONLY|unix.O_CLOEXEC, 0, 0, 0)
		if errno != 0 {
			return fmt.Errorf("openat /etc/hostname: %w", errno)
		}
		unix.RawSyscall(unix.SYS_CLOSE, fd, 0, 0)
	}
	runtime.KeepAlive(path)
	return nil
}

// execTrue uses syscall.ForkExec (clone+execve, no pipes or goroutines)
// and wait4, the least a Go program can do to run a program.
func execTrue(n int) error {
	attr := &syscall.ProcAttr{Env: []string{}, Files: []uintptr{0, 1, 2}}
	argv := []string{"/bin/true"}
	for range n {
		pid, err := syscall.ForkExec("/bin/true", argv, attr)
		if err != nil {
			return fmt.Errorf("fork+exec /bin/true: %w", err)
		}
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
			return fmt.Errorf("wait for /bin/true: %w", err)
		}
		if !ws.Exited() || ws.ExitStatus() != 0 {
			return fmt.Errorf("/bin/true ended with status %v", ws)
		}
	}
	return nil
}
