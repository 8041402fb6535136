// Command storm runs ttpwatch under the event generator (bench/cmd/loadgen)
// and reports what `make bench` shows about a storm:
//
//	storm -mode drops -rate 50000 -duration 60s   drops per stage and peak RSS of ttpwatch --json --stats 1s
//	storm -mode ui -rate 20000 -duration 20s      CPU and frames of the interface in tmux, and how fast a tab switch shows
//
// It needs root (ttpwatch's sensor) and, for -mode ui, tmux. In -mode ui
// ttpwatch logs its frame counters to its --log file on SIGUSR1 (see
// ui.FramesLogMsg): storm sends one when it reads the CPU time at the start
// of the storm and one at its end, presses q, and reads the two lines.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ttpwatch/ttpwatch/bench/internal/results"
	"github.com/ttpwatch/ttpwatch/bench/internal/ttpproc"
)

type config struct {
	mode, ttpwatch, loadgen, mix, resultsPath, workDir string
	rate                                               float64
	duration                                           time.Duration
	width, height                                      int
	marker                                             string
}

func main() {
	var c config
	flag.StringVar(&c.mode, "mode", "drops", "drops (ttpwatch --json) or ui (ttpwatch in tmux)")
	flag.StringVar(&c.ttpwatch, "ttpwatch", "", "path of the ttpwatch binary")
	flag.StringVar(&c.loadgen, "loadgen", "", "path of the loadgen binary (bench/cmd/loadgen)")
	flag.Float64Var(&c.rate, "rate", 50000, "generator operations per second")
	flag.DurationVar(&c.duration, "duration", 60*time.Second, "how long the generator runs")
	flag.StringVar(&c.mix, "mix", "exec=1,open=89,connect=10", "generator mix (see loadgen -help)")
	flag.StringVar(&c.resultsPath, "results", "", "append result rows to this file")
	flag.StringVar(&c.workDir, "workdir", os.TempDir(), "directory for ttpwatch's alert log and stderr")
	flag.IntVar(&c.width, "width", 200, "tmux window width (-mode ui)")
	flag.IntVar(&c.height, "height", 50, "tmux window height (-mode ui)")
	flag.StringVar(&c.marker, "marker", "techniques covered", "text only the Matrix view (key 2) shows (-mode ui)")
	flag.Parse()
	if c.ttpwatch == "" || c.loadgen == "" {
		fmt.Fprintln(os.Stderr, "storm: -ttpwatch and -loadgen are required")
		os.Exit(2)
	}
	var rows []results.Row
	var err error
	switch c.mode {
	case "drops":
		rows, err = drops(c)
	case "ui":
		rows, err = ui(c)
	default:
		fmt.Fprintf(os.Stderr, "storm: unknown -mode %q (want drops or ui)\n", c.mode)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "storm: %v\n", err)
		rows = append(rows, results.Row{Section: sectionOf(c.mode), Metric: c.mode + " under a storm", Measured: "not measured", Note: err.Error()})
	}
	for _, r := range rows {
		fmt.Fprintf(os.Stderr, "%-6s %-40s %14s %10s  %s\n", r.Section, r.Metric, r.Measured, r.Target, r.Note)
	}
	if c.resultsPath != "" {
		if err := results.Append(c.resultsPath, rows...); err != nil {
			fmt.Fprintf(os.Stderr, "storm: %v\n", err)
			os.Exit(1)
		}
	}
	if err != nil {
		os.Exit(1)
	}
}

func sectionOf(mode string) string {
	if mode == "ui" {
		return "ui"
	}
	return "drops"
}

// runLoadgen runs the generator to its end and returns its summary line.
func runLoadgen(c config) (string, error) {
	out, err := exec.Command(c.loadgen, "-rate", strconv.FormatFloat(c.rate, 'f', -1, 64),
		"-duration", c.duration.String(), "-mix", c.mix).CombinedOutput()
	summary := strings.TrimSpace(string(out))
	if err != nil {
		return "", fmt.Errorf("loadgen: %w: %s", err, summary)
	}
	return summary, nil
}

// achieved pulls "achieved N ops/s" out of the loadgen summary.
func achieved(summary string) string {
	_, rest, ok := strings.Cut(summary, "achieved ")
	if !ok {
		return "?"
	}
	num, _, _ := strings.Cut(rest, " ")
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return "?"
	}
	return results.Grouped(v)
}

func drops(c config) ([]results.Row, error) {
	logPath := filepath.Join(c.workDir, "storm-drops-ttpwatch.log")
	log, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", logPath, err)
	}
	defer log.Close()
	p, err := ttpproc.Start(c.ttpwatch, []string{"--json", "--stats", "1s",
		"--alerts-log", filepath.Join(c.workDir, "storm-alerts.jsonl")}, log)
	if err != nil {
		return nil, err
	}
	stopped := false
	defer func() {
		if !stopped {
			p.Stop(30 * time.Second)
		}
	}()
	if _, err := p.WaitReady(60*time.Second, 500*time.Millisecond); err != nil {
		return nil, fmt.Errorf("%w (log: %s)", err, logPath)
	}
	if err := p.WaitStats(1, 10*time.Second); err != nil {
		return nil, fmt.Errorf("%w (log: %s)", err, logPath)
	}
	_, before, _ := p.Stats()
	start := time.Now()
	summary, err := runLoadgen(c)
	if err != nil {
		return nil, err
	}
	elapsed := time.Since(start)
	// let the pipeline drain and print a line covering the end of the load
	if err := p.WaitStatsAfter(time.Now().Add(time.Second), 30*time.Second); err != nil {
		return nil, fmt.Errorf("%w (log: %s)", err, logPath)
	}
	hwm, hwmErr := ttpproc.PeakRSS(p.Pid())
	stopped = true
	if err := p.Stop(30 * time.Second); err != nil {
		return nil, fmt.Errorf("%w (log: %s)", err, logPath)
	}
	_, after, _ := p.Stats() // the final line printed on exit
	how := fmt.Sprintf("loadgen -rate %.0f -duration %v -mix %s (achieved %s ops/s) under ttpwatch --json --stats 1s", c.rate, c.duration, c.mix, achieved(summary))
	var rows []results.Row
	for _, stage := range []string{"kernel", "queue"} {
		d := after.Drops[stage] - before.Drops[stage]
		if _, ok := after.Drops[stage]; !ok {
			return nil, fmt.Errorf("the stats line has no %q drop counter (log: %s)", stage, logPath)
		}
		rows = append(rows, results.Row{Section: "drops", Metric: stage + " drops during the storm",
			Measured: results.Grouped(float64(d)), Target: "0", Note: how})
	}
	rows = append(rows, results.Row{Section: "drops", Metric: "events evaluated per second during the storm",
		Measured: results.Grouped(float64(after.Events-before.Events) / elapsed.Seconds()),
		Note:     fmt.Sprintf("%s events in %.1fs from the stats lines (every traced syscall on the host, generator's side events included)", results.Grouped(float64(after.Events-before.Events)), elapsed.Seconds())})
	if hwmErr != nil {
		rows = append(rows, results.Row{Section: "memory", Metric: "peak RSS of ttpwatch", Measured: "not measured", Note: hwmErr.Error()})
	} else {
		rows = append(rows, results.Row{Section: "memory", Metric: "peak RSS of ttpwatch", Measured: fmt.Sprintf("%.1f MB", float64(hwm)/1e6),
			Target: "≤ 100 MB", Note: "VmHWM of ttpwatch --json at the end of the storm above"})
	}
	return rows, nil
}
