package gobench

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseFixture(t *testing.T) {
	f, err := os.Open("testdata/bench.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []Result{
		{Pkg: "github.com/ttpwatch/ttpwatch/ruleset", Name: "BenchmarkEngineMix", Procs: 1, N: 1500000,
			Metrics: []Metric{{812.5, "ns/op"}, {1230769, "events/s"}, {0, "B/op"}, {0, "allocs/op"}}},
		{Pkg: "github.com/ttpwatch/ttpwatch/ruleset", Name: "BenchmarkEngineMix/exec-only", Procs: 2, N: 30,
			Metrics: []Metric{{41234567, "ns/op"}}},
		{Pkg: "github.com/ttpwatch/ttpwatch/sensor", Name: "BenchmarkDecodeExec", Procs: 1, N: 5000000,
			Metrics: []Metric{{240.1, "ns/op"}, {0, "B/op"}, {0, "allocs/op"}}},
		{Pkg: "github.com/ttpwatch/ttpwatch/sensor", Name: "BenchmarkDecode-name-with-dash", Procs: 1, N: 7,
			Metrics: []Metric{{1e+06, "ns/op"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse:\n got %+v\nwant %+v", got, want)
	}
	if v, ok := got[0].Get("events/s"); !ok || v != 1230769 {
		t.Errorf("Get(events/s) = %v, %v", v, ok)
	}
	if _, ok := got[1].Get("allocs/op"); ok {
		t.Error("Get found a unit the line does not have")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"odd fields", "BenchmarkX-2\t100\t5 ns/op\t7\n", "value without a unit"},
		{"bad value", "BenchmarkX-2\t100\tfast ns/op\n", `bad value "fast"`},
		{"zero count", "BenchmarkX-2\t0\t5 ns/op\n", "bad iteration count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader("goos: linux\n" + tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "line 2") {
				t.Fatalf("err = %v, want one containing %q at line 2", err, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	seed, err := os.ReadFile("testdata/bench.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(seed))
	f.Add("BenchmarkX-2\t100\t5 ns/op\n")
	f.Add("BenchmarkX-\t1\t1 x\n")
	f.Fuzz(func(t *testing.T, in string) {
		res, err := Parse(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, r := range res {
			if r.N <= 0 || r.Procs <= 0 || !strings.HasPrefix(r.Name, "Benchmark") {
				t.Fatalf("accepted an impossible result %+v", r)
			}
		}
	})
}
