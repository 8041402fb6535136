package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ttpwatch/ttpwatch/bench/internal/results"
	"github.com/ttpwatch/ttpwatch/bench/internal/ttpproc"
)

// statusDrops finds the drop counters of the status line, "drops k0 p0 u12".
var statusDrops = regexp.MustCompile(`drops (k[0-9.kM]+ p[0-9.kM]+ u[0-9.kM]+)`)

// tmux drives one detached session on a private server (-L), so that the
// benchmark neither joins nor disturbs anyone else's tmux.
type tmux struct{ socket, session string }

func (t tmux) run(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", t.socket}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("tmux %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

func (t tmux) capture() (string, error) { return t.run("capture-pane", "-p", "-t", t.session) }

// waitScreen polls the pane until want(screen) holds and returns how long
// that took from since.
func (t tmux) waitScreen(since time.Time, timeout time.Duration, want func(string) bool) (time.Duration, error) {
	for time.Since(since) < timeout {
		s, err := t.capture()
		if err != nil {
			return 0, err
		}
		if want(s) {
			return time.Since(since), nil
		}
		time.Sleep(2 * time.Millisecond)
	}
	return 0, fmt.Errorf("screen did not change within %v", timeout)
}

func ui(c config) ([]results.Row, error) {
	if _, err := exec.LookPath("tmux"); err != nil {
		return nil, fmt.Errorf("tmux is not installed (apt-get install -y tmux)")
	}
	name := fmt.Sprintf("ttpbench-%d", os.Getpid())
	t := tmux{socket: name, session: name}
	errLog := filepath.Join(c.workDir, "storm-ui-ttpwatch.log")
	// --log appends: a previous run's frame lines must not be read as this one's
	if err := os.Remove(errLog); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	// exec: the pane's process is ttpwatch itself, whose CPU is measured
	cmdline := fmt.Sprintf("exec %s --alerts-log %s --log %s", shellQuote(c.ttpwatch),
		shellQuote(filepath.Join(c.workDir, "storm-ui-alerts.jsonl")), shellQuote(errLog))
	if _, err := t.run("-f", "/dev/null", "new-session", "-d", "-s", t.session,
		"-x", strconv.Itoa(c.width), "-y", strconv.Itoa(c.height), cmdline); err != nil {
		return nil, err
	}
	sockPath, _ := t.run("display-message", "-p", "#{socket_path}")
	defer func() {
		t.run("kill-server")
		if p := strings.TrimSpace(sockPath); p != "" {
			os.Remove(p) // tmux leaves the socket of a killed server behind
		}
	}()
	out, err := t.run("display-message", "-p", "-t", t.session, "#{pane_pid}")
	if err != nil {
		return nil, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		return nil, fmt.Errorf("tmux pane pid %q: %w", out, err)
	}
	if _, err := ttpproc.WaitReady(pid, 60*time.Second, 500*time.Millisecond, nil); err != nil {
		return nil, fmt.Errorf("%w (log: %s)", err, errLog)
	}
	// the first frame: the tab bar names the Feed
	if _, err := t.waitScreen(time.Now(), 10*time.Second, func(s string) bool { return strings.Contains(s, "Feed") }); err != nil {
		return nil, fmt.Errorf("ttpwatch drew no tab bar in tmux: %w (log: %s)", err, errLog)
	}
	// the same key presses before the storm, for comparison
	idle, idleErr := switchTabs(t, c.marker, 2)
	cpu0, err := ttpproc.CPUTime(pid)
	if err != nil {
		return nil, err
	}
	// SIGUSR1: ttpwatch logs its frame counters (the same window as the CPU)
	sigErr := syscall.Kill(pid, syscall.SIGUSR1)
	t0 := time.Now()
	type lg struct {
		summary string
		err     error
	}
	done := make(chan lg, 1)
	go func() {
		s, err := runLoadgen(c)
		done <- lg{s, err}
	}()
	time.Sleep(c.duration / 3)
	const midStorm = 3 // tab switches (2 then 1) during the storm
	lat, keyErr := switchTabs(t, c.marker, midStorm)
	r := <-done
	t1 := time.Now()
	cpu1, cpuErr := ttpproc.CPUTime(pid)
	if sigErr == nil {
		sigErr = syscall.Kill(pid, syscall.SIGUSR1)
	}
	screen, _ := t.capture()
	uiDrops := statusDrops.FindStringSubmatch(screen)
	quitErr := quit(t, pid, 30*time.Second)
	if r.err != nil {
		return nil, r.err
	}
	how := fmt.Sprintf("ttpwatch (ui) in tmux %dx%d, loadgen -rate %.0f -duration %v (achieved %s ops/s)", c.width, c.height, c.rate, c.duration, achieved(r.summary))
	var rows []results.Row
	if cpuErr != nil {
		rows = append(rows, results.Row{Section: "ui", Metric: "ttpwatch CPU under the storm", Measured: "not measured", Note: cpuErr.Error()})
	} else {
		pct := 100 * (cpu1 - cpu0).Seconds() / t1.Sub(t0).Seconds()
		rows = append(rows, results.Row{Section: "ui", Metric: "ttpwatch CPU under the storm (sensor + engine + ui)",
			Measured: fmt.Sprintf("%.0f%% of a core", pct), Note: how + "; utime+stime from /proc/PID/stat"})
	}
	rows = append(rows, framesFromLog(errLog, sigErr, fmt.Sprintf(", %d tab switches", 2*midStorm))...)
	if quitErr != nil {
		rows = append(rows, results.Row{Section: "ui", Metric: "ttpwatch quits on q after the storm", Measured: "no", Note: quitErr.Error()})
	}
	if uiDrops != nil {
		rows = append(rows, results.Row{Section: "ui", Metric: "drops on the status line after the storm",
			Measured: uiDrops[1], Note: "k kernel, p pipeline queue, u ui rings (alerts and raw events the ui skipped; the alert log has them all)"})
	}
	rows = append(rows, latencyRow("tab switch (2, 1) shown on screen, mid-storm", lat, keyErr))
	rows = append(rows, latencyRow("tab switch (2, 1) shown on screen, idle", idle, idleErr))
	return rows, nil
}

// framesFromLog reads the frame counters ttpwatch logged on the two
// SIGUSR1 at the start and end of the storm.
func framesFromLog(logPath string, sigErr error, keys string) []results.Row {
	notMeasured := func(why string) []results.Row {
		return []results.Row{{Section: "ui", Metric: "ui frames/s under the storm", Measured: "not measured", Note: why}}
	}
	if sigErr != nil {
		return notMeasured("SIGUSR1 to ttpwatch: " + sigErr.Error())
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		return notMeasured(err.Error())
	}
	reports, err := parseFrameReports(string(data))
	if err != nil {
		return notMeasured(err.Error())
	}
	start, end, err := stormFrames(reports)
	if err != nil {
		return notMeasured(fmt.Sprintf("%v (log: %s)", err, logPath))
	}
	return frameRows(start, end, keys)
}

// quit presses q and waits until ttpwatch has exited (detached its hooks
// and written its last log lines).
func quit(t tmux, pid int, timeout time.Duration) error {
	if _, err := t.run("send-keys", "-t", t.session, "q"); err != nil {
		return err
	}
	proc := "/proc/" + strconv.Itoa(pid)
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(proc); errors.Is(err, fs.ErrNotExist) {
			return nil
		}
	}
	return fmt.Errorf("ttpwatch (pid %d) still running %v after q", pid, timeout)
}

// shellQuote quotes s for sh, which tmux runs the command with.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// switchTabs presses 2 (Matrix, which shows marker) and 1 (Feed, which does
// not) n times each and returns the milliseconds until each showed.
func switchTabs(t tmux, marker string, n int) ([]float64, error) {
	var lat []float64
	for range n {
		for _, k := range []struct {
			key   string
			shown bool
		}{{"2", true}, {"1", false}} {
			if _, err := t.run("send-keys", "-t", t.session, k.key); err != nil {
				return lat, err
			}
			d, err := t.waitScreen(time.Now(), 5*time.Second, func(s string) bool { return strings.Contains(s, marker) == k.shown })
			if err != nil {
				return lat, fmt.Errorf("after key %s: %w", k.key, err)
			}
			lat = append(lat, float64(d)/float64(time.Millisecond))
			time.Sleep(300 * time.Millisecond)
		}
	}
	return lat, nil
}

// latencyRow summarises key-to-screen latencies.
func latencyRow(metric string, lat []float64, err error) results.Row {
	if len(lat) == 0 {
		note := "no key press measured"
		if err != nil {
			note = err.Error()
		}
		return results.Row{Section: "ui", Metric: metric, Measured: "not shown", Target: "≤ 200 ms", Note: note}
	}
	maxLat := 0.0
	for _, l := range lat {
		maxLat = max(maxLat, l)
	}
	note := fmt.Sprintf("%d key presses; tmux send-keys until capture-pane shows the view, polled every ~15 ms", len(lat))
	if err != nil {
		note += "; then: " + err.Error()
	}
	return results.Row{Section: "ui", Metric: metric, Measured: fmt.Sprintf("median %.0f ms, max %.0f ms", results.Median(lat), maxLat),
		Target: "≤ 200 ms", Note: note}
}
