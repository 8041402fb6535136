// Command overhead measures what the sensor costs the workloads it watches,
// as ratios measured in one run (DESIGN.md §9):
//
//	overhead -loops ./loops -ttpwatch ./ttpwatch -empty sensor/emptybpf_bpfel.o -results rows.tsv
//
// Each round times every loop workload (bench/cmd/loops) under three
// setups in turn: no sensor, the empty programs of bpf/empty.bpf.c on the
// sensor's hooks for the default rules, and ttpwatch --json with the
// default rules. With -redis, each round also runs redis-benchmark against
// a private redis-server with and without ttpwatch. Rounds interleave the
// setups so that drift on a noisy VM spreads over all of them; the table
// gets the medians and their ratios to no sensor.
//
// It needs root (BPF); the results rows it appends are read by
// `bench/run.sh` through bench/cmd/report.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cilium/ebpf"

	"github.com/ttpwatch/ttpwatch/bench/internal/results"
	"github.com/ttpwatch/ttpwatch/bench/internal/ttpproc"
)

// setup is what runs beside the workload.
type setup int

const (
	none setup = iota
	empty
	sensor
	numSetups
)

var setupNames = [numSetups]string{"none", "empty programs", "sensor"}

// workload is one loop with its iteration count and the target
// for the sensor / none ratio.
type workload struct {
	name, label string
	n           int
	target      float64
}

type config struct {
	loops, ttpwatch, emptyObj, resultsPath, workDir string
	rounds                                          int
	workloads                                       []workload
	redisServer, redisBench                         string
	redisPort                                       int
	redisN                                          int
	cpu                                             int
	samples                                         int
	redisSamples                                    int
}

func main() {
	var c config
	var getppidN, openN, execN int
	flag.StringVar(&c.loops, "loops", "", "path of the loops binary (bench/cmd/loops)")
	flag.StringVar(&c.ttpwatch, "ttpwatch", "", "path of the ttpwatch binary")
	flag.StringVar(&c.emptyObj, "empty", "sensor/emptybpf_bpfel.o", "the empty-program BPF object; \"\" skips that setup")
	flag.StringVar(&c.resultsPath, "results", "", "append result rows to this file (stdout shows them too)")
	flag.StringVar(&c.workDir, "workdir", os.TempDir(), "directory for ttpwatch's alert log and stderr")
	flag.IntVar(&c.cpu, "cpu", 0, "pin the loops to this CPU (-1: let the scheduler place them)")
	flag.IntVar(&c.samples, "samples", 5, "runs of each loop per setup and round")
	flag.IntVar(&c.rounds, "rounds", 5, "interleaved rounds (medians are taken over them)")
	flag.IntVar(&getppidN, "getppid", 1_000_000, "getppid calls per run")
	flag.IntVar(&openN, "openclose", 200_000, "open+close pairs per run")
	flag.IntVar(&execN, "exec", 1000, "fork+execs per run")
	flag.StringVar(&c.redisServer, "redis-server", "", "redis-server binary; \"\" skips the redis benchmark")
	flag.StringVar(&c.redisBench, "redis-benchmark", "redis-benchmark", "redis-benchmark binary")
	flag.IntVar(&c.redisPort, "redis-port", 16379, "loopback port for the private redis-server")
	flag.IntVar(&c.redisSamples, "redis-samples", 3, "redis-benchmark runs per setup and round")
	flag.IntVar(&c.redisN, "redis-n", 100_000, "requests per redis-benchmark test")
	flag.Parse()
	if c.loops == "" || c.ttpwatch == "" {
		fmt.Fprintln(os.Stderr, "overhead: -loops and -ttpwatch are required")
		os.Exit(2)
	}
	c.workloads = []workload{
		{"getppid", "getppid loop", getppidN, 1.35},
		{"openclose", "open+close loop", openN, 1.30},
		{"exec", "fork+exec loop", execN, 1.10},
	}
	rows, err := run(c)
	if err != nil {
		fmt.Fprintf(os.Stderr, "overhead: %v\n", err)
		rows = append(rows, results.Row{Section: "overhead", Metric: "sensor overhead", Measured: "not measured", Note: err.Error()})
	}
	if c.resultsPath != "" {
		if err := results.Append(c.resultsPath, rows...); err != nil {
			fmt.Fprintf(os.Stderr, "overhead: %v\n", err)
			os.Exit(1)
		}
	}
	if err != nil {
		os.Exit(1)
	}
}

func run(c config) ([]results.Row, error) {
	var spec *ebpf.CollectionSpec
	var syscalls []string
	var rows []results.Row
	emptyNote := "not measured: no empty-program object given (-empty)"
	if c.emptyObj != "" {
		var err error
		if spec, err = ebpf.LoadCollectionSpec(c.emptyObj); err != nil {
			spec, emptyNote = nil, fmt.Sprintf("not measured: read the empty-program object: %v", err)
		} else if syscalls, err = defaultSyscalls(spec); err != nil {
			return nil, err
		} else {
			emptyNote = fmt.Sprintf("empty programs (%s) on the 3 sched hooks + enter/exit of %d syscalls (%s)",
				c.emptyObj, len(syscalls), strings.Join(syscalls, " "))
		}
	}
	var rd *redis
	if c.redisServer != "" {
		var err error
		if rd, err = startRedis(c.redisServer, c.redisPort, c.workDir); err != nil {
			rows = append(rows, results.Row{Section: "redis", Metric: "redis-benchmark", Measured: "not measured", Note: err.Error()})
		} else {
			defer rd.stop()
		}
	}
	// hooks of other processes (another ttpwatch, a test) skew every
	// setup; they are looked for before each one, since they come and go
	foreign := map[int]int{}

	// ns[workload][setup][round] are the wall times per op of the runs of
	// that round, cpu the CPU times; rps[test][setup] the redis
	// throughputs (none and sensor only).
	ns := make([][numSetups][][]float64, len(c.workloads))
	cpu := make([][numSetups][][]float64, len(c.workloads))
	for i := range c.workloads {
		for s := range numSetups {
			ns[i][s] = make([][]float64, c.rounds)
			cpu[i][s] = make([][]float64, c.rounds)
		}
	}
	rps := map[string]*[numSetups][]float64{}
	var redisTests []string
	var problems []string
	var hookCount [numSetups]int
	for round := 1; round <= c.rounds; round++ {
		for _, s := range roundOrder(round) {
			if s == empty && spec == nil {
				continue
			}
			for pid, n := range ttpproc.ForeignHooks(os.Getpid()) {
				foreign[pid] = max(foreign[pid], n)
			}
			// a failing setup costs its own measurements, not the run's:
			// the problem goes in the table and the rounds go on
			stop, hooks, err := begin(c, s, spec, syscalls, round)
			if err != nil {
				problems = append(problems, fmt.Sprintf("round %d, %s: %v", round, setupNames[s], err))
				continue
			}
			hookCount[s] = hooks
			for k := 0; k < c.samples; k++ {
				for i, w := range c.workloads {
					v, vcpu, err := runLoop(c.loops, w.name, w.n, c.cpu)
					if err != nil {
						problems = append(problems, fmt.Sprintf("round %d, %s: %v", round, setupNames[s], err))
						continue
					}
					ns[i][s][round-1] = append(ns[i][s][round-1], v)
					cpu[i][s][round-1] = append(cpu[i][s][round-1], vcpu)
					fmt.Fprintf(os.Stderr, "round %d %-14s %-15s %10.1f ns/op %10.1f cpu-ns/op\n", round, setupNames[s], w.label, v, vcpu)
				}
			}
			for k := 0; rd != nil && s != empty && k < c.redisSamples; k++ {
				got, err := rd.bench(c.redisBench, c.redisN)
				if err != nil {
					problems = append(problems, fmt.Sprintf("round %d, %s: %v", round, setupNames[s], err))
				}
				for _, t := range got {
					if rps[t.name] == nil {
						rps[t.name] = &[numSetups][]float64{}
						redisTests = append(redisTests, t.name)
					}
					rps[t.name][s] = append(rps[t.name][s], t.rps)
					fmt.Fprintf(os.Stderr, "round %d %-14s redis %-9s %10.0f req/s\n", round, setupNames[s], t.name, t.rps)
				}
			}
			if err := stop(); err != nil {
				problems = append(problems, fmt.Sprintf("round %d, %s: %v", round, setupNames[s], err))
			}
		}
	}

	for i, w := range c.workloads {
		var med, medCPU [numSetups]float64
		var runs [numSetups]int
		for s := range numSetups {
			all, allCPU := slices.Concat(ns[i][s]...), slices.Concat(cpu[i][s]...)
			med[s], medCPU[s], runs[s] = results.Median(all), results.Median(allCPU), len(all)
		}
		pinned := ""
		if c.cpu >= 0 {
			pinned = fmt.Sprintf(", loop pinned to CPU %d", c.cpu)
		}
		// wall time is what the issue asks; CPU time is the same work
		// without the waits for a CPU that a shared VM adds to all setups
		measured := func(s setup) string {
			return ratio(fastest(ns[i][s]), fastest(ns[i][none])) + " wall · " +
				ratio(fastest(cpu[i][s]), fastest(cpu[i][none])) + " CPU"
		}
		perOp := func(s setup) string {
			return fmt.Sprintf("%s %s ns/op fastest, %s median (CPU %s, %s)", setupNames[s],
				results.Grouped(fastest(ns[i][s])), results.Grouped(med[s]), results.Grouped(fastest(cpu[i][s])), results.Grouped(medCPU[s]))
		}
		how := fmt.Sprintf("ratio of the fastest of %d/%d/%d runs (none/empty/sensor: %d rounds, setups in alternating order, %d runs of %d ops each per round)%s: %s",
			runs[none], runs[empty], runs[sensor], c.rounds, c.samples, w.n, pinned, perOp(none))
		if spec != nil {
			rows = append(rows, results.Row{Section: "overhead", Metric: w.label + ": empty programs / none",
				Measured: measured(empty), Note: how + ", " + perOp(empty)})
		}
		rows = append(rows, results.Row{Section: "overhead", Metric: w.label + ": sensor / none",
			Measured: measured(sensor), Target: fmt.Sprintf("≤ %.2f×", w.target),
			Note: fmt.Sprintf("%s, %s; hooks attached: empty %d, sensor %d", how, perOp(sensor), hookCount[empty], hookCount[sensor])})
	}
	rows = append(rows, results.Row{Section: "overhead", Metric: "empty-program setup", Measured: "-", Note: emptyNote})
	for _, t := range redisTests {
		if len(rps[t][none]) == 0 || len(rps[t][sensor]) == 0 {
			rows = append(rows, results.Row{Section: "redis", Metric: "redis-benchmark " + t + " throughput kept",
				Measured: "not measured", Note: "a setup has no successful run (see the problems below)"})
			continue
		}
		// the best run of each setup, as for the loops (see fastest)
		without, with := slices.Max(rps[t][none]), slices.Max(rps[t][sensor])
		rows = append(rows, results.Row{Section: "redis", Metric: "redis-benchmark " + t + " throughput kept",
			Measured: fmt.Sprintf("%.1f%%", 100*with/without), Target: "≥ 92%",
			Note: fmt.Sprintf("best of %d/%d runs (%d rounds × %d): %s req/s without, %s with the sensor (medians %s and %s; -n %d -P 1)",
				len(rps[t][none]), len(rps[t][sensor]), c.rounds, c.redisSamples, results.Grouped(without), results.Grouped(with),
				results.Grouped(results.Median(rps[t][none])), results.Grouped(results.Median(rps[t][sensor])), c.redisN)})
	}
	for _, p := range problems {
		rows = append(rows, results.Row{Section: "overhead", Metric: "problem", Measured: "-", Note: p})
	}
	if len(foreign) > 0 {
		var pids []int
		most := 0
		for pid, n := range foreign {
			pids = append(pids, pid)
			most = max(most, n)
		}
		slices.Sort(pids)
		rows = append(rows, results.Row{Section: "overhead", Metric: "warning", Measured: "-",
			Note: fmt.Sprintf("%d other processes held BPF hooks (up to %d each) during the run, so every setup paid for them: pids %s",
				len(pids), most, strings.Trim(fmt.Sprint(pids), "[]"))})
	}
	for _, r := range rows {
		fmt.Fprintf(os.Stderr, "%-9s %-45s %10s %8s  %s\n", r.Section, r.Metric, r.Measured, r.Target, r.Note)
	}
	return rows, nil
}

// begin starts setup s and returns how to stop it and how many hooks the
// setup attached (0 for none).
func begin(c config, s setup, spec *ebpf.CollectionSpec, syscalls []string, round int) (func() error, int, error) {
	switch s {
	case empty:
		h, err := attachEmpty(spec, syscalls)
		if err != nil {
			return nil, 0, err
		}
		n, _ := ttpproc.CountHooks(os.Getpid())
		return func() error { h.Close(); return nil }, n, nil
	case sensor:
		logPath := filepath.Join(c.workDir, fmt.Sprintf("overhead-ttpwatch-%d.log", round))
		log, err := os.Create(logPath)
		if err != nil {
			return nil, 0, fmt.Errorf("create %s: %w", logPath, err)
		}
		alerts := filepath.Join(c.workDir, "overhead-alerts.jsonl")
		p, err := ttpproc.Start(c.ttpwatch, []string{"--json", "--alerts-log", alerts}, log)
		if err != nil {
			log.Close()
			return nil, 0, err
		}
		hooks, err := p.WaitReady(60*time.Second, 500*time.Millisecond)
		if err != nil {
			p.Stop(30 * time.Second)
			log.Close()
			return nil, 0, fmt.Errorf("%w (log: %s)", err, logPath)
		}
		return func() error {
			defer log.Close()
			if err := p.Stop(30 * time.Second); err != nil {
				return fmt.Errorf("stop ttpwatch: %w (log: %s)", err, logPath)
			}
			return nil
		}, hooks, nil
	}
	return func() error { return nil }, 0, nil
}

// roundOrder alternates the order of the setups from round to round, so
// that a drift of the VM's speed during a round favours none of them.
func roundOrder(round int) []setup {
	if round%2 == 1 {
		return []setup{none, empty, sensor}
	}
	return []setup{sensor, empty, none}
}

// fastest is the least of every run's time per op, lmbench's statistic
// for syscall costs. On these VMs the same loop runs in one of two regimes
// that switch every few seconds (an open+close pair takes ~780 ns in one and
// ~1,300 ns in the other, while a user-space loop keeps its speed), so a
// median says which regime a setup happened to meet more often. Slowdowns
// from outside only add time, and the sensor's cost is in every run: the
// fastest runs of two setups, each taken from many short runs spread over
// the whole measurement, compare the same regime. 0 when there is no run.
func fastest(runs [][]float64) float64 {
	best := 0.0
	for _, round := range runs {
		for _, v := range round {
			if v > 0 && (best == 0 || v < best) {
				best = v
			}
		}
	}
	return best
}

// runLoop runs the loops binary once, pinned to cpu unless it is negative,
// and returns its wall and CPU ns/op.
func runLoop(bin, name string, n, cpu int) (wall, cpuNs float64, err error) {
	args := []string{name, strconv.Itoa(n)}
	if cpu >= 0 {
		args = append(args, strconv.Itoa(cpu))
	}
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return 0, 0, fmt.Errorf("loops %s %d: %w: %s", name, n, err, strings.TrimSpace(string(ee.Stderr)))
		}
		return 0, 0, fmt.Errorf("loops %s %d: %w", name, n, err)
	}
	return parseNsOp(string(out))
}

// parseNsOp reads the loops output "123.4 ns/op 120.1 cpu-ns/op".
func parseNsOp(out string) (wall, cpu float64, err error) {
	f := strings.Fields(out)
	if len(f) != 4 || f[1] != "ns/op" || f[3] != "cpu-ns/op" {
		return 0, 0, fmt.Errorf("unexpected loops output %q", out)
	}
	wall, err1 := strconv.ParseFloat(f[0], 64)
	cpu, err2 := strconv.ParseFloat(f[2], 64)
	if err1 != nil || err2 != nil || wall <= 0 || cpu < 0 {
		return 0, 0, fmt.Errorf("unexpected loops output %q", out)
	}
	return wall, cpu, nil
}

// ratio formats x/base as "1.23×".
func ratio(x, base float64) string {
	if !(base > 0) || !(x > 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", x/base)
}
