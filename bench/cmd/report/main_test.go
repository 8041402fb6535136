package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ttpwatch/ttpwatch/bench/internal/results"
)

func TestGobenchRowsAndTable(t *testing.T) {
	in := `goos: linux
pkg: github.com/ttpwatch/ttpwatch/ruleset
BenchmarkEngineMix/defaults-157rules         	   27801	     37221 ns/op	         2.759 %matched	     26866 events/s	     37221 ns/event	       1 B/op	       0 allocs/op
BenchmarkEngineMix/falco	1000	2000 ns/op	0 B/op	0 allocs/op
BenchmarkEngineMix/cpu	1000	4851 ns/op	574860 events/cpu-s	0 B/op	0 allocs/op
pkg: github.com/ttpwatch/ttpwatch/sensor
BenchmarkDecodeExec-2   	 5000000	       240.1 ns/op	       0 B/op	       0 allocs/op
pkg: github.com/ttpwatch/ttpwatch/ui
BenchmarkView	 1000	 1234567 ns/op	 524288 B/op	 2048 allocs/op
`
	dir := t.TempDir()
	rowsPath := filepath.Join(dir, "rows.tsv")
	if err := gobenchRows(strings.NewReader(in), rowsPath, "go test -cpu 1 -bench"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(rowsPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := results.Read(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := []results.Row{
		row("engine", "ruleset.EngineMix/defaults-157rules", "26,866 events/s/core · 0 allocs/event", "≥ 1,000,000 events/s/core · 0 allocs",
			"go test -cpu 1 -bench; 37,221 ns/op, 2.759 %matched, 37221 ns/event"),
		row("engine", "ruleset.EngineMix/falco", "500,000 events/s/core · 0 allocs/event", "≥ 1,000,000 events/s/core · 0 allocs",
			"go test -cpu 1 -bench; 2,000 ns/op"),
		row("engine", "ruleset.EngineMix/cpu", "574,860 events/s/core · 0 allocs/event", "≥ 1,000,000 events/s/core · 0 allocs",
			"go test -cpu 1 -bench; 4,851 ns/op, rate from the benchmark's events/cpu-s metric"),
		row("engine", "sensor.DecodeExec", "240 ns/op · 0 B/op · 0 allocs/op", "0 allocs/op", "go test -cpu 1 -bench (GOMAXPROCS 2)"),
		row("engine", "ui.View", "1,234,567 ns/op · 524288 B/op · 2048 allocs/op", "", "go test -cpu 1 -bench"),
	}
	if len(rows) != len(want) {
		t.Fatalf("rows = %+v", rows)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d =\n%+v\nwant\n%+v", i, rows[i], want[i])
		}
	}
	md := filepath.Join(dir, "results.md")
	if err := table(io.Discard, rowsPath, md, "# Benchmarks\n"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(md)
	if !strings.HasPrefix(string(data), "# Benchmarks\n\n| Section |") || !strings.Contains(string(data), "| ui.View |") {
		t.Errorf("results.md =\n%s", data)
	}
}

func TestGobenchNoResults(t *testing.T) {
	rowsPath := filepath.Join(t.TempDir(), "rows.tsv")
	if err := gobenchRows(strings.NewReader("FAIL\tgithub.com/x [build failed]\n"), rowsPath, "go test ./x"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(rowsPath)
	if !strings.Contains(string(data), "none ran") {
		t.Errorf("a run without results must say so, got %q", data)
	}
}

func row(section, metric, measured, target, note string) results.Row {
	return results.Row{Section: section, Metric: metric, Measured: measured, Target: target, Note: note}
}
