// Command report turns measurements into the rows and the table of
// `make bench`:
//
//	report gobench -results rows.tsv -cmd "go test …" < bench.txt   rows from `go test -bench` output
//	report skip -results rows.tsv -section S -metric M -note WHY    a row saying what was skipped and why
//	report table -results rows.tsv -o bench/results.md              the markdown table, printed and written
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/ttpwatch/ttpwatch/bench/internal/gobench"
	"github.com/ttpwatch/ttpwatch/bench/internal/results"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	fs := flag.NewFlagSet("report "+os.Args[1], flag.ExitOnError)
	rowsPath := fs.String("results", "", "the results rows file")
	var err error
	switch os.Args[1] {
	case "gobench":
		cmd := fs.String("cmd", "go test -bench", "the command that produced the input, for the table's note")
		fs.Parse(os.Args[2:])
		err = gobenchRows(os.Stdin, *rowsPath, *cmd)
	case "skip":
		section := fs.String("section", "", "section of the skipped measurement")
		metric := fs.String("metric", "", "what was not measured")
		note := fs.String("note", "", "why")
		fs.Parse(os.Args[2:])
		err = results.Append(*rowsPath, results.Row{Section: *section, Metric: *metric, Measured: "skipped", Note: *note})
	case "table":
		out := fs.String("o", "", "also write the table here, under a header")
		header := fs.String("header", "", "markdown written before the table in -o")
		fs.Parse(os.Args[2:])
		err = table(os.Stdout, *rowsPath, *out, *header)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "report %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: report gobench|skip|table -results FILE [flags]")
	os.Exit(2)
}

// gobenchRows appends a row per benchmark line of r.
func gobenchRows(r io.Reader, rowsPath, cmd string) error {
	res, err := gobench.Parse(r)
	if err != nil {
		return err
	}
	if len(res) == 0 {
		return results.Append(rowsPath, results.Row{Section: "engine", Metric: "go benchmarks", Measured: "none ran",
			Note: cmd + " printed no benchmark result (see its output above)"})
	}
	var rows []results.Row
	for _, b := range res {
		rows = append(rows, benchRow(b, cmd))
	}
	return results.Append(rowsPath, rows...)
}

// benchRow summarises one benchmark: events/s and allocs per event for the
// engine's event mix, ns, bytes and allocations per op for the others.
func benchRow(b gobench.Result, cmd string) results.Row {
	name := path.Base(b.Pkg) + "." + strings.TrimPrefix(b.Name, "Benchmark")
	if b.Pkg == "" {
		name = strings.TrimPrefix(b.Name, "Benchmark")
	}
	row := results.Row{Section: "engine", Metric: name}
	allocs, hasAllocs := b.Get("allocs/op")
	evs, evUnit := eventRate(b)
	var extra []string
	for _, m := range b.Metrics {
		switch m.Unit {
		case "ns/op", "B/op", "allocs/op", evUnit:
		default:
			extra = append(extra, fmt.Sprintf("%g %s", m.Value, m.Unit))
		}
	}
	if evUnit != "" || strings.HasPrefix(b.Name, "BenchmarkEngineMix") {
		row.Measured = results.Grouped(evs) + " events/s/core"
		if ns, ok := b.Get("ns/op"); ok {
			extra = append([]string{fmt.Sprintf("%s ns/op", trimFloat(ns))}, extra...)
		}
		if evUnit != "" && evUnit != "events/s" {
			extra = append(extra, "rate from the benchmark's "+evUnit+" metric")
		}
		if hasAllocs {
			row.Measured += fmt.Sprintf(" · %g allocs/event", allocs)
		}
		if strings.HasPrefix(b.Name, "BenchmarkEngineMix") {
			row.Target = "≥ 1,000,000 events/s/core · 0 allocs"
		}
	} else {
		ns, _ := b.Get("ns/op")
		row.Measured = fmt.Sprintf("%s ns/op", trimFloat(ns))
		if bytes, ok := b.Get("B/op"); ok {
			row.Measured += fmt.Sprintf(" · %g B/op", bytes)
		}
		if hasAllocs {
			row.Measured += fmt.Sprintf(" · %g allocs/op", allocs)
		}
		if strings.HasPrefix(b.Name, "BenchmarkDecode") {
			row.Target = "0 allocs/op"
		}
	}
	row.Note = cmd
	if b.Procs > 1 {
		row.Note += fmt.Sprintf(" (GOMAXPROCS %d)", b.Procs)
	}
	if len(extra) > 0 {
		row.Note += "; " + strings.Join(extra, ", ")
	}
	return row
}

// eventRate finds the benchmark's events-per-second metric ("events/s",
// "events/cpu-s", …) and returns it with its unit. An engine benchmark
// without one evaluates one event per op (BenchmarkEngineMix's contract),
// so its rate is derived from ns/op and the unit is "".
func eventRate(b gobench.Result) (float64, string) {
	for _, m := range b.Metrics {
		if strings.HasPrefix(m.Unit, "events/") {
			return m.Value, m.Unit
		}
	}
	if ns, ok := b.Get("ns/op"); ok && ns > 0 {
		return 1e9 / ns, ""
	}
	return 0, ""
}

// trimFloat prints v with at most one decimal, none for large values.
func trimFloat(v float64) string {
	if v >= 100 {
		return results.Grouped(v)
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0")
}

// table prints the markdown table of the rows file to w and writes it,
// after header, to out.
func table(w io.Writer, rowsPath, out, header string) error {
	f, err := os.Open(rowsPath)
	if err != nil {
		return fmt.Errorf("open results: %w", err)
	}
	defer f.Close()
	rows, err := results.Read(f)
	if err != nil {
		return err
	}
	var b strings.Builder
	if err := results.Markdown(&b, rows); err != nil {
		return err
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if out == "" {
		return nil
	}
	text := b.String()
	if header != "" {
		text = strings.TrimRight(header, "\n") + "\n\n" + text
	}
	if err := os.WriteFile(out, []byte(text), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}
