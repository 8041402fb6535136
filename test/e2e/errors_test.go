package e2e

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestCleanErrors checks that bad input and missing privileges end the
// real binary with exit code 1 and an error that says what to do, never a
// panic.
func TestCleanErrors(t *testing.T) {
	requireSensor(t)
	acct := ensureUser(t)
	truncated := truncatedCapture(t)
	tests := []struct {
		name string
		args []string
		user bool     // run as the unprivileged test user
		want []string // in stderr
	}{
		{
			name: "unwritable alert log",
			args: []string{"--json", "--alerts-log", "/proc/ttpw-e2e-nonexistent/alerts.jsonl"},
			want: []string{"/proc/ttpw-e2e-nonexistent", "--alerts-log"},
		},
		{
			name: "not root",
			args: []string{"--json", "--alerts-log", ""},
			user: true,
			want: []string{"root", "CAP_BPF", "replay"},
		},
		{
			name: "corrupt capture",
			args: []string{"replay", "testdata/corrupt-line4.jsonl", "--json", "--alerts-log", ""},
			want: []string{"corrupt-line4.jsonl:4:"},
		},
		{
			name: "truncated gzip capture",
			args: []string{"replay", truncated, "--json", "--alerts-log", ""},
			want: []string{filepath.Base(truncated) + ":", "truncated"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(ttpwatchBin, tc.args...)
			if tc.user {
				cmd.Dir = acct.home
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: acct.uid, Gid: acct.gid}}
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("ttpwatch %s: %v, want exit code 1\nstderr:\n%s", strings.Join(tc.args, " "), err, stderr.String())
			}
			msg := stderr.String()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("stderr lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, "panic") || strings.Contains(msg, "goroutine ") {
				t.Errorf("ttpwatch panicked:\n%s", msg)
			}
		})
	}
}

// truncatedCapture writes a gzip capture cut off in the middle of its
// compressed stream.
func truncatedCapture(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(`{"format":"ttpwatch-capture","version":1,"host":"e2e","start":1700000000000000000}` + "\n"))
	zw.Write([]byte(`{"proc":{"id":1,"pid":4242,"ppid":1,"comm":"sh","exepath":"/bin/sh","args":["-c","true"],"user":"root","cmdline":"sh -c true"}}` + "\n"))
	for i := range 2000 {
		zw.Write([]byte(`{"evt":{"num":` + strconv.Itoa(i+1) + `,"time":17000000000` + strconv.Itoa(10000000+i) + `,"type":"openat","res":3,"tid":4242,"proc":1,"path":"/etc/hostname"}}` + "\n"))
	}
	zw.Close()
	path := filepath.Join(t.TempDir(), "cut.jsonl.gz")
	if err := os.WriteFile(path, buf.Bytes()[:buf.Len()/2], 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTwoInstances runs two headless ttpwatch side by side: both see the
// same action and both exit 0 on SIGTERM.
func TestTwoInstances(t *testing.T) {
	requireSensor(t)
	acct := ensureUser(t)
	dir := userDir(t, acct)
	a := startHeadless(t, "--json")
	b := startHeadless(t, "--json")
	file := filepath.Join(dir, "both")
	asUser(t, acct, "chattr +i "+file+" || true")
	for i, in := range []*instance{a, b} {
		in.waitAlert("in instance "+strconv.Itoa(i+1), companionFor("chattr +i "+file))
	}
	for i, in := range []*instance{a, b} {
		if code := in.stop(); code != 0 {
			t.Errorf("instance %d: exit code after SIGTERM = %d, want 0\nstderr:\n%s", i+1, code, tail(in.stderr.snapshot(), 20))
		}
	}
}
