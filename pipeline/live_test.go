package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ttpwatch/ttpwatch/ruleset"
	"github.com/ttpwatch/ttpwatch/sensor"
	"github.com/ttpwatch/ttpwatch/sink"
)

// requireLive skips a test that needs root, BTF and the tools it runs, or
// fails it when REQUIRE_BPF=1 says the environment must provide them.
func requireLive(t *testing.T, tools ...string) {
	t.Helper()
	reason := ""
	if os.Geteuid() != 0 {
		reason = "needs root to load eBPF programs (run with sudo)"
	} else if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		reason = "needs a kernel with BTF (/sys/kernel/btf/vmlinux)"
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil && reason == "" {
			reason = "needs " + tool + " in PATH"
		}
	}
	if reason == "" {
		return
	}
	if os.Getenv("REQUIRE_BPF") == "1" {
		t.Fatalf("REQUIRE_BPF=1 but this test %s", reason)
	}
	t.Skip(reason)
}

// lockedBuffer is a bytes.Buffer the test reads while the pipeline writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// TestLiveChattrRecordReplay runs the live sensor with the default rules
// while root and then nobody make a file immutable: only nobody's chattr
// alerts, naming the user, the command and its parent. The recorded capture,
// replayed through a fresh engine, gives exactly the live run's alerts.
func TestLiveChattrRecordReplay(t *testing.T) {
	requireLive(t, "chattr", "setpriv", "bash")
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	rootFile := filepath.Join(dir, "root-immutable")
	userFile := filepath.Join(dir, "nobody-immutable")
	for _, f := range []string{rootFile, userFile} {
		if err := os.WriteFile(f, nil, 0o666); err != nil {
			t.Fatal(err)
		}
	}

	rs, err := ruleset.LoadDefaults()
	if err != nil {
		t.Fatal(err)
	}
	newEngine := func() *ruleset.Engine {
		eng, err := ruleset.NewEngine(rs.Rules, ruleset.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		return eng
	}
	table, err := sensor.NewProcTable(sensor.ProcTableConfig{ProcRoot: "/proc", CgroupRoot: "/sys/fs/cgroup",
		Users: sensor.NewUsers("/etc/passwd", "/etc/group"), IgnorePid: uint32(os.Getpid())})
	if err != nil {
		t.Fatal(err)
	}
	if err := table.Seed(); err != nil {
		t.Fatal(err)
	}
	eng := newEngine()
	live, err := sensor.NewLive(sensor.LiveConfig{Table: table, Types: eng.NeededTypes()})
	if err != nil {
		t.Fatalf("start the live sensor: %v", err)
	}
	defer live.Close()
	capture := filepath.Join(dir, "session.jsonl.gz")
	rec, err := sensor.CreateRecorder(capture)
	if err != nil {
		t.Fatal(err)
	}
	var liveOut lockedBuffer
	p := New(live, eng, Options{QueueLen: 1 << 14, Recorder: rec, Outputs: []sink.Sink{sink.NewJSONLines(&liveOut)},
		KernelDrops: func() uint64 { return live.Drops().Kernel }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	// Root first: its events are evaluated before nobody's, so once
	// nobody's alert is out, root's chattr has been judged too.
	run := func(args ...string) {
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		t.Logf("%s: %v %s", strings.Join(args, " "), err, out)
	}
	run("bash", "-c", "chattr +i "+rootFile+"; chattr -i "+rootFile+"; true")
	run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "bash", "-c", "chattr +i "+userFile+"; true")

	var found map[string]any
	deadline := time.Now().Add(30 * time.Second) // a guard against hanging, not a timing assertion
	for found == nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		for _, l := range readLines(t, liveOut.Bytes()) {
			if cmd, _ := l.OutputFields["proc.cmdline"].(string); strings.Contains(cmd, "chattr +i "+userFile) {
				found = l.OutputFields
			}
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("live pipeline: %v", err)
	}
	if found == nil {
		t.Fatalf("no alert for nobody's chattr +i; alerts:\n%s", liveOut.Bytes())
	}
	if found["user.name"] != "nobody" || found["proc.pname"] != "bash" {
		t.Errorf("alert fields %v: want user.name=nobody proc.pname=bash", found)
	}
	if bytes.Contains(liveOut.Bytes(), []byte(rootFile)) {
		t.Errorf("root's chattr alerted:\n%s", liveOut.Bytes())
	}
	if s := p.Stats(); s.KernelDrops+s.QueueDrops > 0 {
		t.Logf("drops during the live run: kernel %d queue %d (the replay must still agree)", s.KernelDrops, s.QueueDrops)
	}

	src, err := sensor.OpenReplay(capture, 0)
	if err != nil {
		t.Fatal(err)
	}
	var replayOut bytes.Buffer
	rp := New(src, newEngine(), Options{Outputs: []sink.Sink{sink.NewJSONLines(&replayOut)}})
	if err := rp.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Drop alerts depend on the live run's counters, not on the events.
	keep := func(b []byte) []string {
		var out []string
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var l logLine
			if json.Unmarshal([]byte(line), &l) == nil && l.Rule != ruleset.DropRuleName {
				out = append(out, line)
			}
		}
		return out
	}
	lv, rv := keep(liveOut.Bytes()), keep(replayOut.Bytes())
	if strings.Join(lv, "\n") != strings.Join(rv, "\n") {
		t.Errorf("replay alerts differ from the live run\nlive (%d):\n%s\nreplay (%d):\n%s", len(lv), strings.Join(lv, "\n"), len(rv), strings.Join(rv, "\n"))
	}
}
