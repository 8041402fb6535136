// Package gobench parses the output of `go test -bench` into results, so
// that `make bench` can summarise the engine, decode and ui benchmarks in
// its table.
package gobench

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Result is one benchmark line.
type Result struct {
	// Pkg is the import path from the preceding "pkg:" line, "" if none.
	Pkg string
	// Name is the benchmark name without the -GOMAXPROCS suffix, e.g.
	// "BenchmarkEngineMix/defaults".
	Name string
	// Procs is the GOMAXPROCS suffix (1 when absent).
	Procs int
	// N is the iteration count.
	N int64
	// Metrics are the value/unit pairs in the order printed: "ns/op",
	// "B/op", "allocs/op" and any custom b.ReportMetric unit.
	Metrics []Metric
}

// Metric is one value/unit pair of a benchmark line.
type Metric struct {
	Value float64
	Unit  string
}

// Get returns the value of unit and whether the line has it.
func (r Result) Get(unit string) (float64, bool) {
	for _, m := range r.Metrics {
		if m.Unit == unit {
			return m.Value, true
		}
	}
	return 0, false
}

// Parse reads `go test -bench` output (any other lines are ignored) and
// returns the benchmark lines in order. A line that starts like a result
// ("BenchmarkX-2<tab>N ...") but does not parse is an error naming it, so
// that a format change is noticed instead of silently dropping numbers.
func Parse(r io.Reader) ([]Result, error) {
	var out []Result
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if p, ok := strings.CutPrefix(text, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if !strings.HasPrefix(text, "Benchmark") {
			continue
		}
		f := strings.Fields(text)
		// "BenchmarkX-2" alone on a line is the name printed before a
		// sub-benchmark's output or a failure; results have a count next.
		if len(f) < 2 {
			continue
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue // a log line such as "BenchmarkX: foo"
		}
		res, err := parseLine(f)
		if err != nil {
			return nil, fmt.Errorf("benchmark output line %d %q: %w", line, text, err)
		}
		res.Pkg = pkg
		out = append(out, res)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read benchmark output: %w", err)
	}
	return out, nil
}

func parseLine(f []string) (Result, error) {
	res := Result{Name: f[0], Procs: 1}
	if i := strings.LastIndexByte(f[0], '-'); i > 0 {
		if p, err := strconv.Atoi(f[0][i+1:]); err == nil && p > 0 {
			res.Name, res.Procs = f[0][:i], p
		}
	}
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || n <= 0 {
		return Result{}, fmt.Errorf("bad iteration count %q", f[1])
	}
	res.N = n
	rest := f[2:]
	if len(rest)%2 != 0 {
		return Result{}, fmt.Errorf("value without a unit")
	}
	for i := 0; i < len(rest); i += 2 {
		v, err := strconv.ParseFloat(rest[i], 64)
		if err != nil {
			return Result{}, fmt.Errorf("bad value %q for %s", rest[i], rest[i+1])
		}
		res.Metrics = append(res.Metrics, Metric{Value: v, Unit: rest[i+1]})
	}
	return res, nil
}
