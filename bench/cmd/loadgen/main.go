// Command loadgen produces kernel events at a fixed rate for the drop,
// memory and ui benchmarks of `make bench`:
//
//	loadgen -rate 50000 -duration 60s -mix exec=1,open=89,connect=10
//
// Each operation is one traced syscall of its kind: open is openat+close of
// /etc/hostname, connect re-connects one UDP socket to 127.0.0.1 (no packet
// is sent), exec is fork+exec of /bin/true (which brings its own fork,
// loader opens and exit events on top). Every kind runs on its own locked
// thread, paced against the clock; a kind that cannot keep up is reported
// with the rate it achieved, never silently.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	rate := flag.Float64("rate", 50000, "operations per second, all kinds together")
	duration := flag.Duration("duration", 60*time.Second, "how long to run")
	mix := flag.String("mix", "exec=1,open=89,connect=10", "share of each kind (exec, open, connect) in the rate")
	flag.Parse()
	shares, err := parseMix(*mix)
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadgen: -mix: %v\n", err)
		os.Exit(2)
	}
	if *rate <= 0 || *duration <= 0 {
		fmt.Fprintln(os.Stderr, "loadgen: -rate and -duration must be positive")
		os.Exit(2)
	}
	stop := make(chan struct{})
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sig:
		case <-time.After(*duration):
		}
		close(stop)
	}()
	type result struct {
		kind string
		n    int64
		err  error
	}
	var wg sync.WaitGroup
	results := make(chan result, len(shares))
	start := time.Now()
	for _, s := range shares {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := pace(*rate*s.share, stop, ops[s.kind])
			results <- result{s.kind, n, err}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	close(results)
	var parts []string
	var total int64
	failed := false
	byKind := map[string]result{}
	for r := range results {
		byKind[r.kind] = r
	}
	for _, s := range shares {
		r := byKind[s.kind]
		total += r.n
		parts = append(parts, fmt.Sprintf("%s %.1f/s", s.kind, float64(r.n)/elapsed))
		if r.err != nil {
			fmt.Fprintf(os.Stderr, "loadgen: %s: %v\n", s.kind, r.err)
			failed = true
		}
	}
	// one line, parsed by the benchmark driver
	fmt.Printf("loadgen: target %.0f ops/s, achieved %.1f ops/s (%s) over %.1fs\n",
		*rate, float64(total)/elapsed, strings.Join(parts, " "), elapsed)
	if failed {
		os.Exit(1)
	}
}

type share struct {
	kind  string
	share float64
}

// parseMix reads "kind=weight,…" into shares of 1, sorted by kind.
func parseMix(s string) ([]share, error) {
	var out []share
	sum := 0.0
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("%q is not kind=weight", part)
		}
		if ops[k] == nil {
			return nil, fmt.Errorf("unknown kind %q (want exec, open or connect)", k)
		}
		if seen[k] {
			return nil, fmt.Errorf("kind %q given twice", k)
		}
		seen[k] = true
		w, err := strconv.ParseFloat(v, 64)
		if err != nil || w < 0 {
			return nil, fmt.Errorf("weight of %s must be a non-negative number, got %q", k, v)
		}
		if w > 0 {
			out = append(out, share{k, w})
			sum += w
		}
	}
	if sum == 0 {
		return nil, errors.New("all weights are zero")
	}
	for i := range out {
		out[i].share /= sum
	}
	sort.Slice(out, func(i, j int) bool { return out[i].kind < out[j].kind })
	return out, nil
}

// An op is set up once per worker and returns the function doing one
// operation and a cleanup.
type op func() (do func() error, done func(), err error)

var ops = map[string]op{"exec": execOp, "open": openOp, "connect": connectOp}

// batch is how many operations run between clock checks: reading the clock
// per operation would cost more than a getppid.
const batch = 32

// pace runs do at rate per second until stop closes, sleeping when ahead
// of schedule and never trying to catch up more than a second's backlog
// (a stall would otherwise become a burst).
func pace(rate float64, stop <-chan struct{}, mk op) (int64, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	do, done, err := mk()
	if err != nil {
		return 0, err
	}
	defer done()
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	var n int64
	for {
		select {
		case <-stop:
			return n, nil
		default:
		}
		// at low rates a batch would be a burst: run at most what is due
		due := int64(time.Since(start)/interval) + 1
		todo := min(max(due-n, 1), batch)
		for range todo {
			if err := do(); err != nil {
				return n, err
			}
		}
		n += todo
		ahead := time.Until(start.Add(time.Duration(n) * interval))
		switch {
		case ahead > 0:
			t := time.NewTimer(ahead)
			select {
			case <-stop:
				t.Stop()
				return n, nil
			case <-t.C:
			}
		case ahead < -time.Second:
			start = start.Add(-ahead - time.Second)
		}
	}
}

func openOp() (func() error, func(), error) {
	path, err := unix.BytePtrFromString("/etc/hostname")
	if err != nil {
		return nil, nil, err
	}
	p := uintptr(unsafe.Pointer(path))
	dirfd := unix.AT_FDCWD // a variable: the negative constant does not convert to uintptr
	do := func() error {
		fd, _, errno := unix.RawSyscall6(unix.SYS_OPENAT, uintptr(dirfd), p, unix.O_RDONLY|unix.O_CLOEXEC, 0, 0, 0)
		if errno != 0 {
			return fmt.Errorf("openat /etc/hostname: %w", errno)
		}
		unix.RawSyscall(unix.SYS_CLOSE, fd, 0, 0)
		return nil
	}
	return do, func() { runtime.KeepAlive(path) }, nil
}

// connectOp connects a UDP socket again and again: each connect is a traced
// connect event with an address, and UDP sends nothing on connect.
func connectOp() (func() error, func(), error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socket: %w", err)
	}
	sa := unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: [4]byte{127, 0, 0, 1}}
	port := uint16(20000)
	do := func() error {
		port = 20000 + (port+1)%1000
		sa.Port = port<<8 | port>>8 // network byte order
		_, _, errno := unix.RawSyscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&sa)), unix.SizeofSockaddrInet4)
		if errno != 0 {
			return fmt.Errorf("connect udp 127.0.0.1:%d: %w", port, errno)
		}
		return nil
	}
	return do, func() { unix.Close(fd) }, nil
}

func execOp() (func() error, func(), error) {
	attr := &syscall.ProcAttr{Env: []string{}, Files: []uintptr{0, 1, 2}}
	argv := []string{"/bin/true"}
	do := func() error {
		pid, err := syscall.ForkExec("/bin/true", argv, attr)
		if err != nil {
			return fmt.Errorf("fork+exec /bin/true: %w", err)
		}
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
			return fmt.Errorf("wait for /bin/true: %w", err)
		}
		return nil
	}
	return do, func() {}, nil
}
