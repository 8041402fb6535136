package sink

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ttpwatch/ttpwatch/ruleset"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestAlertLogAppendsDurably(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "var", "log", "ttpwatch")
	path := filepath.Join(dir, "alerts.jsonl")
	l, err := OpenAlertLog(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := []string{`{"rule":"a"}`, `{"rule":"b","output":"x\ny"}`, `{"rule":"c"}`}
	for _, s := range lines {
		if err := l.WriteAlert([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	// Not closed: what was written must already be in the file, as after a
	// crash.
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(lines, "\n") + "\n"; string(got) != want {
		t.Errorf("alert log = %q, want %q", got, want)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", p, st.Mode().Perm(), want)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopening appends.
	l2, err := OpenAlertLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l2.WriteAlert([]byte(`{"rule":"d"}`)); err != nil {
		t.Fatal(err)
	}
	l2.Close()
	got, _ = os.ReadFile(path)
	if n := strings.Count(string(got), "\n"); n != 4 {
		t.Errorf("after reopen the log has %d lines, want 4:\n%s", n, got)
	}
}

func TestAlertLogUnwritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plainfile")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, cause string
	}{
		{"parent is a file", filepath.Join(file, "alerts.jsonl"), "not a directory"},
		{"path is a directory", dir, "is a directory"},
		{"empty", "", "alert log path is empty"},
	}
	if os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		tests = append(tests, struct{ name, path, cause string }{"permission denied", filepath.Join(ro, "alerts.jsonl"), "permission denied"})
	} else {
		t.Log("running as root: the permission-denied case cannot be provoked, skipping that row")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenAlertLog(tt.path)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.cause) || !strings.Contains(msg, "--alerts-log") {
				t.Errorf("error %q: want the cause %q and the way out (--alerts-log)", msg, tt.cause)
			}
			if tt.path != "" && !strings.HasPrefix(msg, "cannot write alert log "+tt.path+": "+tt.cause) {
				t.Errorf("error %q does not start with the path and cause", msg)
			}
		})
	}
}

// TestAlertLogGolden pins the line a drop alert leaves in the log.
func TestAlertLogGolden(t *testing.T) {
	at := time.Date(2026, 11, 28, 1, 2, 3, 456789000, time.UTC)
	d := ruleset.NewDropAlert(at, "web1", ruleset.Drops{Kernel: 12, Queue: 3, UI: 40, Events: 1000, Interval: 10 * time.Second})
	line, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "alerts.jsonl")
	l, err := OpenAlertLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.WriteAlert(line); err != nil {
		t.Fatal(err)
	}
	l.Close()
	got, _ := os.ReadFile(path)
	golden := filepath.Join("testdata", "drop_alert.jsonl")
	if *update {
		os.WriteFile(golden, got, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("alert log line changed (go test -update if intended)\n got %s\nwant %s", got, want)
	}
}

func TestJSONLinesConcurrent(t *testing.T) {
	var buf bytes.Buffer
	j := NewJSONLines(&buf)
	var wg sync.WaitGroup
	line := []byte(`{"rule":"` + strings.Repeat("x", 500) + `"}`)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if err := j.WriteAlert(line); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	sc := bufio.NewScanner(&buf)
	n := 0
	for sc.Scan() {
		n++
		if !bytes.Equal(sc.Bytes(), line) {
			t.Fatalf("line %d interleaved: %q", n, sc.Text())
		}
	}
	if n != 1600 {
		t.Errorf("%d lines, want 1600", n)
	}
}

func TestJSONLinesFlushesOnClose(t *testing.T) {
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	j := NewJSONLines(bw)
	j.WriteAlert([]byte(`{}`))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "{}\n" {
		t.Errorf("after Close: %q", buf.String())
	}
}

func TestAlertLogRotatesWithoutLosingLines(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "alerts.jsonl")
	l, err := OpenAlertLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if l.lj.MaxSize != RotateMB || l.lj.MaxBackups != RotateKeep {
		t.Errorf("rotation %d MB x %d, want %d x %d", l.lj.MaxSize, l.lj.MaxBackups, RotateMB, RotateKeep)
	}
	l.lj.MaxSize = 1 // megabyte: rotate within the test
	line := []byte(`{"rule":"r","output":"` + strings.Repeat("x", 1000) + `"}`)
	const n = 2500 // about 2.5 MB: two rotations
	for i := 0; i < n; i++ {
		if err := l.WriteAlert(line); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 3 {
		t.Fatalf("%d files after writing 2.5 MB with 1 MB rotation, want 3", len(entries))
	}
	total := 0
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > 1<<20 {
			t.Errorf("%s is %d bytes, over the rotation size", e.Name(), len(data))
		}
		for _, got := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
			if !bytes.Equal(got, line) {
				t.Fatalf("%s holds a cut line (%d bytes)", e.Name(), len(got))
			}
			total++
		}
		if st, _ := os.Stat(filepath.Join(dir, e.Name())); st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", e.Name(), st.Mode().Perm())
		}
	}
	if total != n {
		t.Errorf("%d lines across the rotated files, want %d", total, n)
	}
}
