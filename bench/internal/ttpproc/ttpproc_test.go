package ttpproc

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseStats(t *testing.T) {
	tests := []struct {
		line string
		want Stats
		ok   bool
	}{
		{
			"ttpwatch stats: 300 events (150.0/s openat=100.0 execve=50.0), 4 alerts (2.0/s), drops kernel=1 queue=2 ui_alerts=3 ui_events=9",
			Stats{Events: 300, Alerts: 4, Drops: map[string]uint64{"kernel": 1, "queue": 2, "ui_alerts": 3, "ui_events": 9}}, true,
		},
		{
			"ttpwatch stats: 0 events (0.0/s), 0 alerts (0.0/s), drops kernel=0 queue=0 ui_alerts=0 ui_events=0, 2 alert write errors (last: disk full)",
			Stats{Drops: map[string]uint64{"kernel": 0, "queue": 0, "ui_alerts": 0, "ui_events": 0}}, true,
		},
		{"ttpwatch: load rules: bad", Stats{}, false},
		{"ttpwatch stats: many events (1/s), drops kernel=0", Stats{}, false},
		{"ttpwatch stats: 5 events (1/s), 0 alerts (0.0/s)", Stats{}, false},
		{"ttpwatch stats: 5 events (1/s), 0 alerts (0.0/s), drops kernel=x", Stats{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseStats(tt.line)
		if ok != tt.ok || (ok && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("ParseStats(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
	s, _ := ParseStats(tests[0].line)
	if got := s.DropTotal("kernel", "queue"); got != 3 {
		t.Errorf("DropTotal(kernel, queue) = %d, want 3", got)
	}
}

func FuzzParseStats(f *testing.F) {
	f.Add("ttpwatch stats: 300 events (150.0/s openat=100.0), 4 alerts (2.0/s), drops kernel=1 queue=2")
	f.Add("ttpwatch stats: 1 events (), drops ,")
	f.Fuzz(func(t *testing.T, line string) {
		s, ok := ParseStats(line)
		if ok && (s.Drops == nil || !strings.HasPrefix(line, "ttpwatch stats: ")) {
			t.Fatalf("accepted %q as %+v", line, s)
		}
	})
}

func TestParseCPU(t *testing.T) {
	// a command name with spaces and a parenthesis, as a process can choose
	stat := "4242 (tt p) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 3 0 100 0 0"
	got, err := parseCPU(stat)
	if err != nil {
		t.Fatal(err)
	}
	if want := 3250 * time.Millisecond; got != want {
		t.Errorf("parseCPU = %v, want %v (utime 250 + stime 75 ticks)", got, want)
	}
	for _, bad := range []string{"4242 S 1", "4242 (x) S 1 2", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 u s"} {
		if _, err := parseCPU(bad); err == nil {
			t.Errorf("parseCPU(%q) accepted a malformed line", bad)
		}
	}
}

func TestParseHWM(t *testing.T) {
	got, err := parseHWM("Name:\tttpwatch\nVmPeak:\t 900 kB\nVmHWM:\t   51200 kB\nVmRSS:\t 40000 kB\n")
	if err != nil || got != 51200*1024 {
		t.Errorf("parseHWM = %d, %v; want %d", got, err, 51200*1024)
	}
	for _, bad := range []string{"Name: x\n", "VmHWM: 12 MB\n", "VmHWM: x kB\n"} {
		if _, err := parseHWM(bad); err == nil {
			t.Errorf("parseHWM(%q) accepted it", bad)
		}
	}
}

// TestSelfReadings reads this test's own /proc entries: the live format.
func TestSelfReadings(t *testing.T) {
	pid := os.Getpid()
	rss, err := PeakRSS(pid)
	if err != nil || rss < 1<<20 {
		t.Errorf("PeakRSS(self) = %d, %v; want at least 1 MiB", rss, err)
	}
	before, err := CPUTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	// burn CPU until the tick counter moves; it must, or CPUTime is broken
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		x := 0
		for i := range 10_000_000 {
			x += i
		}
		_ = x
		if after, _ := CPUTime(pid); after > before {
			return
		}
	}
	t.Error("CPUTime(self) did not grow after seconds of busy work")
}

func TestStartParsesStatsAndStops(t *testing.T) {
	// a stand-in for ttpwatch: prints two stats lines, then waits for TERM
	script := `echo 'time=x level=INFO msg="ttpwatch running" source=live' >&2
echo "ttpwatch stats: 10 events (1.0/s), 0 alerts (0.0/s), drops kernel=0 queue=0" >&2
echo "noise" >&2
echo "ttpwatch stats: 25 events (1.5/s), 1 alerts (0.1/s), drops kernel=2 queue=3" >&2
trap 'exit 0' TERM
while :; do sleep 0.05; done`
	var log strings.Builder
	p, err := Start("/bin/sh", []string{"-c", script}, &logWriter{b: &log})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WaitStats(2, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	running := p.running
	p.mu.Unlock()
	if !running {
		t.Error("the running log line was not noticed")
	}
	first, last, n := p.Stats()
	if n != 2 || first.Events != 10 || last.Events != 25 || last.DropTotal("kernel", "queue") != 5 {
		t.Errorf("Stats = %+v, %+v, %d", first, last, n)
	}
	if err := p.WaitStatsAfter(time.Now(), 300*time.Millisecond); err == nil {
		t.Error("WaitStatsAfter(now) returned though no line came after now")
	}
	if err := p.Stop(5 * time.Second); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if !strings.Contains(log.String(), "noise") {
		t.Errorf("stderr was not copied to the log: %q", log.String())
	}
}

func TestWaitReadyFailsWithoutHooks(t *testing.T) {
	p, err := Start("/bin/sh", []string{"-c", "sleep 5"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(time.Second)
	if _, err := p.WaitReady(300*time.Millisecond, 100*time.Millisecond); err == nil {
		t.Error("WaitReady succeeded for a process without BPF links")
	}
}

// logWriter serialises writes: Start copies stderr from a goroutine.
type logWriter struct{ b *strings.Builder }

func (w *logWriter) Write(p []byte) (int, error) { return w.b.Write(p) }
