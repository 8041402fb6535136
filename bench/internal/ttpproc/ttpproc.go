// Package ttpproc runs the ttpwatch binary under measurement and reads what
// the benchmarks need from it and from /proc: when its hooks are attached,
// its stats lines, its peak RSS and its CPU time.
package ttpproc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is a running ttpwatch started by Start.
type Proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // Wait's result, set before done closes

	mu    sync.Mutex
	first Stats // the first stats line, the zero Stats until one arrives
	last  Stats
	lines int       // stats lines seen
	at    time.Time // when the last one arrived
	// running is set by the log line ttpwatch prints once its signal
	// handler is installed and its pipeline starts.
	running bool
}

// Start runs bin with args, stdout discarded and stderr copied to log (if
// not nil) while its stats lines are parsed.
func Start(bin string, args []string, log io.Writer) (*Proc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stdout = nil // /dev/null: --json alerts are not what is measured
	p := &Proc{cmd: cmd, done: make(chan struct{})}
	lw := &lineWriter{log: log, line: p.line}
	cmd.Stderr = lw
	// a child that inherited stderr must not keep Wait from returning
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		p.err = cmd.Wait()
		lw.flush()
		close(p.done)
	}()
	return p, nil
}

// RunningMark is in the log line ttpwatch prints when it is up: after its
// hooks are attached and its SIGINT/SIGTERM handler installed.
const RunningMark = `msg="ttpwatch running"`

// line takes one line of stderr.
func (p *Proc) line(text string) {
	if strings.Contains(text, RunningMark) {
		p.mu.Lock()
		p.running = true
		p.mu.Unlock()
		return
	}
	s, ok := ParseStats(text)
	if !ok {
		return
	}
	p.mu.Lock()
	if p.lines == 0 {
		p.first = s
	}
	p.last = s
	p.lines++
	p.at = time.Now()
	p.mu.Unlock()
}

// lineWriter splits what is written into lines, copying them to log.
type lineWriter struct {
	log  io.Writer
	line func(string)
	buf  []byte
}

func (w *lineWriter) Write(b []byte) (int, error) {
	if w.log != nil {
		w.log.Write(b) //nolint:errcheck // the log is a convenience
	}
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 1<<20 { // a line that never ends is not a stats line
		w.buf = w.buf[:0]
	}
	return len(b), nil
}

func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.line(string(w.buf))
		w.buf = nil
	}
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended, and how.
func (p *Proc) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Stats returns the first and the latest parsed stats line and how many
// were seen.
func (p *Proc) Stats() (first, last Stats, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.first, p.last, p.lines
}

// WaitStats waits until at least n stats lines have arrived.
func (p *Proc) WaitStats(n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if _, _, got := p.Stats(); got >= n {
			return nil
		}
		if ended, err := p.Exited(); ended {
			return fmt.Errorf("ttpwatch exited before printing stats: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no stats line from ttpwatch within %v (is --stats supported?)", timeout)
}

// WaitStatsAfter waits for a stats line that arrives after t.
func (p *Proc) WaitStatsAfter(t time.Time, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		at := p.at
		p.mu.Unlock()
		if at.After(t) {
			return nil
		}
		if ended, err := p.Exited(); ended {
			return fmt.Errorf("ttpwatch exited before printing stats: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no stats line from ttpwatch within %v", timeout)
}

// WaitReady waits until the process holds BPF links (its hooks are
// attached) and their number has not changed for settle, and until it has
// logged that it is running (a SIGTERM before that would kill it rather
// than stop it cleanly), or until it exits. It returns the hooks seen.
func (p *Proc) WaitReady(timeout, settle time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	alive := func() error {
		if ended, err := p.Exited(); ended {
			return fmt.Errorf("ttpwatch exited during startup (%v); see its log", err)
		}
		return nil
	}
	n, err := WaitReady(p.Pid(), timeout, settle, alive)
	if err != nil {
		return n, err
	}
	for time.Now().Before(deadline) {
		p.mu.Lock()
		running := p.running
		p.mu.Unlock()
		if running {
			return n, nil
		}
		if err := alive(); err != nil {
			return n, err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return n, fmt.Errorf("ttpwatch attached its hooks but did not log %s within %v", RunningMark, timeout)
}

// Stop sends SIGTERM (ttpwatch flushes, detaches and exits 0), then SIGKILL
// after grace. It returns the exit error, nil for a clean exit.
func (p *Proc) Stop(grace time.Duration) error {
	if ended, err := p.Exited(); ended {
		return fmt.Errorf("ttpwatch had already exited: %v", err)
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("ttpwatch did not exit within %v of SIGTERM; killed", grace)
	}
}

// WaitReady polls the file descriptors of pid until it holds at least one
// BPF link or perf event (an attached hook) and their count has been steady
// for settle. alive, if not nil, is asked each round whether to go on.
// It returns the number of hooks seen.
func WaitReady(pid int, timeout, settle time.Duration, alive func() error) (int, error) {
	deadline := time.Now().Add(timeout)
	last, since := -1, time.Now()
	for time.Now().Before(deadline) {
		if alive != nil {
			if err := alive(); err != nil {
				return 0, err
			}
		}
		n, err := CountHooks(pid)
		if err != nil {
			return 0, err
		}
		if n != last {
			last, since = n, time.Now()
		} else if n > 0 && time.Since(since) >= settle {
			return n, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return last, fmt.Errorf("ttpwatch (pid %d) attached no steady set of hooks within %v (saw %d)", pid, timeout, last)
}

// CountHooks counts the hooks pid has attached: its BPF links, or, on a
// kernel where cilium/ebpf falls back to perf event attachment, its perf
// events. (A tracepoint link also holds a perf event: counting both would
// count it twice.)
func CountHooks(pid int) (int, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", dir, err)
	}
	links, perfs := 0, 0
	for _, e := range ents {
		target, err := os.Readlink(dir + "/" + e.Name())
		if err != nil {
			continue // closed meanwhile
		}
		switch target {
		case "anon_inode:bpf_link":
			links++
		case "anon_inode:[perf_event]":
			perfs++
		}
	}
	if links > 0 {
		return links, nil
	}
	return perfs, nil
}

// PeakRSS returns VmHWM of pid in bytes.
func PeakRSS(pid int) (uint64, error) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	return parseHWM(string(data))
}

func parseHWM(status string) (uint64, error) {
	for line := range strings.Lines(status) {
		rest, ok := strings.CutPrefix(line, "VmHWM:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("unexpected VmHWM line %q", strings.TrimSpace(line))
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected VmHWM line %q: %w", strings.TrimSpace(line), err)
		}
		return kb * 1024, nil
	}
	return 0, errors.New("no VmHWM line in /proc status")
}

// ClockTicks is USER_HZ, the unit of /proc/PID/stat times (100 on every
// Linux architecture Go supports).
const ClockTicks = 100

// CPUTime returns utime+stime of pid (all its threads).
func CPUTime(pid int) (time.Duration, error) {
	path := fmt.Sprintf("/proc/%d/stat", pid)
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	return parseCPU(string(data))
}

// parseCPU reads fields 14 and 15 (utime, stime) of a /proc/PID/stat line;
// the fields are counted after the command name's closing parenthesis,
// since the name itself may hold spaces and parentheses.
func parseCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat: no ')'")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("malformed /proc stat: %d fields after the name", len(f))
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("malformed /proc stat times: %w", err)
	}
	return time.Duration(ut+st) * time.Second / ClockTicks, nil
}

// ForeignHooks maps each process other than exclude that holds BPF links or
// perf events to how many: hooks that would skew an overhead measurement.
func ForeignHooks(exclude ...int) map[int]int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	out := map[int]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || slices.Contains(exclude, pid) {
			continue
		}
		if n, err := CountHooks(pid); err == nil && n > 0 {
			out[pid] = n
		}
	}
	return out
}
