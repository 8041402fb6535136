package main

import (
	"os"
	"slices"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ttpwatch/ttpwatch/bench/internal/ttpproc"
	"github.com/ttpwatch/ttpwatch/event"
)

func TestParseNsOp(t *testing.T) {
	if w, c, err := parseNsOp("493.5 ns/op 196.4 cpu-ns/op\n"); err != nil || w != 493.5 || c != 196.4 {
		t.Errorf("parseNsOp = %v, %v, %v", w, c, err)
	}
	for _, bad := range []string{"", "493.5 ns/op", "x ns/op 1 cpu-ns/op", "0 ns/op 1 cpu-ns/op", "1 ns/op 2 cpu-ns/op extra", "5 ms/op 1 cpu-ns/op", "5 ns/op 1 ns/op"} {
		if _, _, err := parseNsOp(bad); err == nil {
			t.Errorf("parseNsOp(%q) accepted it", bad)
		}
	}
}

func TestParseRedis(t *testing.T) {
	out := "SET: rps=0.0 (overall: nan) avg_msec=nan (overall: nan)\r" +
		"SET: 33445.52 requests per second, p50=0.735 msec                    \n" +
		"GET: rps=41000.0 (overall: 41000.0) avg_msec=0.6\r" +
		"GET: 45248.87 requests per second, p50=0.559 msec                    \n\n"
	got := parseRedis(out)
	want := []redisResult{{"SET", 33445.52}, {"GET", 45248.87}}
	if !slices.Equal(got, want) {
		t.Errorf("parseRedis = %+v, want %+v", got, want)
	}
	if got := parseRedis("ERROR: connection refused\n"); len(got) != 0 {
		t.Errorf("parseRedis of an error = %+v", got)
	}
}

func TestRatio(t *testing.T) {
	tests := []struct {
		x, base float64
		want    string
	}{{121, 100, "1.21×"}, {50, 100, "0.50×"}, {1, 0, "n/a"}, {0, 5, "n/a"}}
	for _, tt := range tests {
		if got := ratio(tt.x, tt.base); got != tt.want {
			t.Errorf("ratio(%v, %v) = %q, want %q", tt.x, tt.base, got, tt.want)
		}
	}
}

const emptyObj = "../../../sensor/emptybpf_bpfel.o"

// TestDefaultSyscalls checks the hook set against the committed empty
// object: every default-rule syscall has both programs, umount2 maps to
// the kernel's "umount" tracepoint, and the lifecycle programs exist.
func TestDefaultSyscalls(t *testing.T) {
	spec, err := ebpf.LoadCollectionSpec(emptyObj)
	if err != nil {
		t.Fatal(err)
	}
	sys, err := defaultSyscalls(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"execve", "openat", "connect"} {
		if !slices.Contains(sys, want) {
			t.Errorf("default syscalls %v lack %s", sys, want)
		}
	}
	for _, lc := range lifecycle {
		if spec.Programs[lc.program] == nil {
			t.Errorf("empty object has no %s program for %s", lc.program, lc.tracepoint)
		}
	}
	if got := tracepointOf(event.TypeUmount2); got != "umount" || spec.Programs["tw_en_umount"] == nil {
		t.Errorf("umount2 maps to %q; the object must have tw_en_umount", got)
	}
}

// TestAttachEmpty attaches the empty programs and checks this process then
// holds a link per hook; it needs root.
func TestAttachEmpty(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("REQUIRE_BPF") == "1" {
			t.Fatal("REQUIRE_BPF=1 but not root: cannot load BPF programs")
		}
		t.Skip("needs root to load BPF programs (REQUIRE_BPF=1 makes this a failure)")
	}
	spec, err := ebpf.LoadCollectionSpec(emptyObj)
	if err != nil {
		t.Fatal(err)
	}
	before, err := ttpproc.CountHooks(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	h, err := attachEmpty(spec, []string{"openat", "connect"})
	if err != nil {
		t.Fatal(err)
	}
	during, _ := ttpproc.CountHooks(os.Getpid())
	h.Close()
	after, _ := ttpproc.CountHooks(os.Getpid())
	if want := before + len(lifecycle) + 4; during != want {
		t.Errorf("hooks while attached = %d, want %d (3 lifecycle + enter/exit of openat and connect)", during, want)
	}
	if after != before {
		t.Errorf("hooks after Close = %d, want %d", after, before)
	}
}

func TestFastest(t *testing.T) {
	if got := fastest([][]float64{{130, 120}, nil, {125, 0, 119.5}}); got != 119.5 {
		t.Errorf("fastest = %v, want 119.5", got)
	}
	if got := fastest([][]float64{nil, {}}); got != 0 {
		t.Errorf("fastest of no runs = %v, want 0", got)
	}
}

func TestRoundOrder(t *testing.T) {
	a, b := roundOrder(1), roundOrder(2)
	if len(a) != int(numSetups) || a[0] != none || b[0] != sensor || !slices.Equal(a, []setup{b[2], b[1], b[0]}) {
		t.Errorf("round orders %v, %v: want every setup, reversed every other round", a, b)
	}
}
