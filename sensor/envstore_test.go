package sensor

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/ttpwatch/ttpwatch/event"
)

func TestEnvBlock(t *testing.T) {
	for _, c := range []struct {
		in    string
		trunc bool
		want  string
	}{
		{"A=1\x00B=2\x00", false, "A=1\x00B=2"},
		{"A=1\x00B=2\x00", true, "A=1\x00B=2"},
		{"A=1\x00B=partial", true, "A=1"},
		{"onlypartial", true, ""},
		{"", false, ""},
		{"A=1\x00\x00B=2\x00", false, "A=1\x00\x00B=2"},
	} {
		got := envBlock([]byte(c.in), c.trunc)
		if got == nil || string(got) != c.want {
			t.Errorf("envBlock(%q, %v) = %q, want %q", c.in, c.trunc, got, c.want)
		}
	}
}

func TestSeedEnvFromProc(t *testing.T) {
	tab := fakeTable(t)
	bash := tab.Get(100)
	if v, ok := bash.EnvVar("HISTFILE"); !ok || v != "/dev/null" || bash.EnvLine != "HOME=/home/alice PATH=/usr/bin:/bin HISTFILE=/dev/null" {
		t.Errorf("seeded env %q line %q", bash.Env, bash.EnvLine)
	}
	if p := tab.Get(1); p.Env != nil {
		t.Errorf("pid 1 without a readable environ has env %q, want unknown", p.Env)
	}
	if n, d := tab.EnvBytes(); n <= 0 || d != 1 {
		t.Errorf("EnvBytes = %d, %d distinct; want one counted", n, d)
	}
}

// TestEnvSharedAndFreed: children of one shell share one copy of their
// environment, a fork inherits its parent's, and the count goes back to
// zero when the images leave the table.
func TestEnvSharedAndFreed(t *testing.T) {
	tab, err := NewProcTable(ProcTableConfig{MaxExited: 8, ExitedTTL: 1e9})
	if err != nil {
		t.Fatal(err)
	}
	env := []byte("HOME=/root\x00LD_PRELOAD=/tmp/x.so")
	sh := tab.Exec(task(10, 1, 0, "sh", 1), &ExecInfo{ExePath: "/bin/sh", Env: env})
	if v, _ := sh.EnvVar("LD_PRELOAD"); v != "/tmp/x.so" || sh.EnvLine != "HOME=/root LD_PRELOAD=/tmp/x.so" {
		t.Fatalf("exec env %q", sh.Env)
	}
	one, _ := tab.EnvBytes()
	var kids []*event.Process
	for i := uint32(0); i < 50; i++ {
		c := tab.Fork(task(10, 1, 0, "sh", 2), 100+i, 100+i, 2)
		if unsafe.StringData(c.EnvLine) != unsafe.StringData(sh.EnvLine) {
			t.Fatal("a forked child does not share its parent's environment")
		}
		// the record's bytes are reused: the table must copy or share
		x := &ExecInfo{ExePath: "/bin/true", Env: append([]byte(nil), env...)}
		p := tab.Exec(task(100+i, 10, 0, "true", 3), x)
		clear(x.Env)
		if unsafe.StringData(p.EnvLine) != unsafe.StringData(sh.EnvLine) {
			t.Fatal("an identical environment was not shared")
		}
		kids = append(kids, p)
	}
	if n, d := tab.EnvBytes(); n != one || d != 1 {
		t.Errorf("EnvBytes = %d, %d distinct after 50 identical execs; want %d, 1", n, d, one)
	}
	empty := tab.Exec(task(11, 1, 0, "env", 4), &ExecInfo{ExePath: "/usr/bin/env", Env: []byte{}})
	if empty.Env == nil || len(empty.Env) != 0 {
		t.Errorf("empty environment %#v, want empty and known", empty.Env)
	}
	unknown := tab.Exec(task(12, 1, 0, "x", 4), &ExecInfo{ExePath: "/x"})
	if unknown.Env != nil {
		t.Errorf("no environment in the record gave %#v", unknown.Env)
	}
	for _, p := range kids {
		tab.Exit(p.Pid, 0, 5)
	}
	tab.Exit(10, 0, 5)
	tab.Exit(11, 0, 5)
	tab.Exit(12, 0, 5)
	tab.Exec(task(13, 1, 0, "late", 10e9), &ExecInfo{ExePath: "/late"}) // expires the exited
	if n, d := tab.EnvBytes(); n != 0 || d != 0 {
		t.Errorf("EnvBytes = %d, %d distinct after every holder expired; want 0", n, d)
	}
}

// TestEnvBudget: an exec storm with unique environments stays within the
// budget; images past it get no environment (proc.env unavailable), and the
// budget is reusable once images expire.
func TestEnvBudget(t *testing.T) {
	const budget = 256 << 10
	tab, err := NewProcTable(ProcTableConfig{MaxEnvBytes: budget, MaxExited: 64, ExitedTTL: 1e9})
	if err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("x", 2000)
	withEnv, without := 0, 0
	for i := 0; i < 20000; i++ {
		pid := uint32(1000 + i)
		env := []byte("UNIQUE=" + strconv.Itoa(i) + "\x00PAD=" + pad)
		p := tab.Exec(task(pid, 1, 0, "x", int64(i)*1e6), &ExecInfo{ExePath: "/x", Env: env})
		if p.Env != nil {
			withEnv++
		} else {
			without++
		}
		if n, _ := tab.EnvBytes(); n > budget {
			t.Fatalf("EnvBytes %d over the budget %d", n, budget)
		}
		if i%2 == 0 {
			tab.Exit(pid, 0, int64(i)*1e6)
		}
	}
	if without == 0 {
		t.Error("no image went without an environment: the budget is not enforced")
	}
	// the exited half expires and frees its share of the budget
	if withEnv <= budget/2100 {
		t.Errorf("%d images got an environment; freed budget was not reused", withEnv)
	}
	// images read from /proc or replayed are counted too
	p := &event.Process{Pid: 99999, Comm: "replayed"}
	p.Env, p.EnvLine = event.JoinEnv([]string{"UNIQUE=replayed", "PAD=" + pad})
	tab.Publish(p)
	if n, _ := tab.EnvBytes(); n > budget {
		t.Fatalf("EnvBytes %d over the budget %d after Publish", n, budget)
	}
}

func TestCapEnv(t *testing.T) {
	big := strings.Repeat("v", 3000)
	got := capEnv([]string{"A=" + big, "B=" + big, "C=1"})
	if len(got) != 1 {
		t.Errorf("capEnv kept %d variables, want 1", len(got))
	}
	if got := capEnv([]string{"A=1", "B=2"}); len(got) != 2 {
		t.Errorf("capEnv dropped small variables: %q", got)
	}
}

// TestEnvPastTheCapFromProc: a variable pushed past the exec record's 4 KiB
// copy by padding is read back from /proc/PID/environ, but only when the
// record's copy is a prefix of what /proc shows.
func TestEnvPastTheCapFromProc(t *testing.T) {
	root := t.TempDir()
	full := "A=1\x00PAD=" + strings.Repeat("x", 5000) + "\x00LD_PRELOAD=/tmp/x.so\x00"
	if err := os.MkdirAll(filepath.Join(root, "100"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(root, "100", "environ"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(full)
	stat, err := os.ReadFile("testdata/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "stat"), stat, 0o644); err != nil {
		t.Fatal(err)
	}
	tab, err := NewProcTable(ProcTableConfig{ProcRoot: root})
	if err != nil {
		t.Fatal(err)
	}
	// what the exec record holds: the first envCap bytes, the cut variable dropped
	cut := envBlock([]byte(full[:envCap]), true)
	p := tab.Exec(task(100, 1, 0, "victim", 1), &ExecInfo{ExePath: "/usr/bin/victim", Env: cut, EnvTruncated: true})
	if v, ok := p.EnvVar("LD_PRELOAD"); !ok || v != "/tmp/x.so" || len(p.Env) != 3 {
		t.Errorf("env past the cap: LD_PRELOAD %q %v, %d vars; want it read from /proc", v, ok, len(p.Env))
	}

	// /proc no longer matches the record (a rewritten area, a reused pid):
	// the record's copy stands
	write("B=2\x00LD_PRELOAD=/tmp/y.so\x00")
	p = tab.Exec(task(100, 1, 0, "victim", 2), &ExecInfo{ExePath: "/usr/bin/victim", Env: cut, EnvTruncated: true})
	if _, ok := p.EnvVar("LD_PRELOAD"); ok || p.EnvLine != "A=1" {
		t.Errorf("env from a /proc that does not match the record: %q", p.EnvLine)
	}
	// a record that was not cut is never completed from /proc
	write(full)
	p = tab.Exec(task(100, 1, 0, "victim", 3), &ExecInfo{ExePath: "/usr/bin/victim", Env: []byte("A=1")})
	if p.EnvLine != "A=1" {
		t.Errorf("uncut env %q, want the record's", p.EnvLine)
	}
}
