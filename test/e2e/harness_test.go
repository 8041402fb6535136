package e2e

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testUser is the unprivileged account that performs the actions rules
// watch for; the seed rule ignores root.
const testUser = "ttpw-e2e"

// Poll settings: generous deadlines so a loaded CI machine does not fail a
// functional test, a short period so a passing test stays quick.
const (
	pollEvery    = 50 * time.Millisecond
	pollDeadline = 10 * time.Second
	// startDeadline bounds the sensor's start (BTF load, /proc seed).
	startDeadline = 90 * time.Second
)

// Rule names of the seed rule and its companion with an actionable output.
const (
	seedRule      = "Disable recovery features"
	companionRule = "Inhibit system recovery"
)

// account is the test user's ids.
type account struct {
	uid, gid uint32
	home     string
}

var (
	userOnce sync.Once
	userAcct account
	userErr  error
)

// ensureUser creates the test user when missing and returns its ids.
func ensureUser(t *testing.T) account {
	t.Helper()
	userOnce.Do(func() {
		u, err := user.Lookup(testUser)
		if err != nil {
			out, cerr := exec.Command("useradd", "-m", "-s", "/bin/sh", testUser).CombinedOutput()
			if cerr != nil {
				userErr = fmt.Errorf("useradd -m %s: %w: %s", testUser, cerr, out)
				return
			}
			if u, err = user.Lookup(testUser); err != nil {
				userErr = fmt.Errorf("look up %s after useradd: %w", testUser, err)
				return
			}
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		userAcct = account{uint32(uid), uint32(gid), u.HomeDir}
	})
	if userErr != nil {
		t.Fatal(userErr)
	}
	return userAcct
}

// marker returns a unique token that names this test's files and command
// lines, so its alerts can be told apart from whatever else the host runs.
func marker(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "e2e" + hex.EncodeToString(b)
}

// userDir creates a scratch directory owned by the test user and removes
// it (after clearing immutable flags the test may have set) at the end.
func userDir(t *testing.T, acct account) string {
	t.Helper()
	dir := filepath.Join(workRoot, marker(t))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, int(acct.uid), int(acct.gid)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// chattr -R -i undoes any +i that succeeded (e.g. as root).
		exec.Command("chattr", "-R", "-i", dir).Run()
		os.RemoveAll(dir)
	})
	return dir
}

// asUser runs script with /bin/sh as the test user (no login session, no
// PAM) and returns its combined output. A failing script is not an error:
// chattr +i fails without CAP_LINUX_IMMUTABLE, but its exec is what rules
// see.
func asUser(t *testing.T, acct account, script string) string {
	t.Helper()
	return asUserIn(t, acct, acct.home, script)
}

// asUserIn is asUser in directory dir; args become $1, $2… of the script
// (they pass bytes a shell could not quote).
func asUserIn(t *testing.T, acct account, dir, script string, args ...string) string {
	t.Helper()
	cmd := exec.Command("/bin/sh", append([]string{"-c", script, "sh"}, args...)...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME=" + acct.home, "USER=" + testUser, "LANG=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: acct.uid, Gid: acct.gid}}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run %q as %s: %v", script, testUser, err)
	}
	return string(out)
}

// shellQuote quotes s for /bin/sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// alert is one Falco JSON alert line.
type alert struct {
	Rule         string                     `json:"rule"`
	Priority     string                     `json:"priority"`
	Output       string                     `json:"output"`
	OutputFields map[string]json.RawMessage `json:"output_fields"`
	Tags         []string                   `json:"tags"`
	Time         string                     `json:"time"`
	raw          string
}

// field returns an output field as text (JSON strings unquoted, numbers as
// written, so nanosecond times keep every digit).
func (a alert) field(name string) string {
	v, ok := a.OutputFields[name]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// key identifies an alert for comparisons between runs.
func (a alert) key() string { return a.Rule + "\x00" + a.Output }

func (a alert) String() string { return fmt.Sprintf("[%s] %s: %s", a.Priority, a.Rule, a.Output) }

// parseAlert decodes one JSON line.
func parseAlert(line string) (alert, error) {
	var a alert
	if err := json.Unmarshal([]byte(line), &a); err != nil {
		return a, fmt.Errorf("alert line %q: %w", line, err)
	}
	a.raw = line
	return a, nil
}

// readAlertLog parses every line of an alert log.
func readAlertLog(t *testing.T, path string) []alert {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read alert log: %v", err)
	}
	// A line still being written (no newline yet) is read next time.
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[:i]
	} else {
		data = nil
	}
	var out []alert
	for _, l := range strings.Split(string(data), "\n") {
		if l == "" {
			continue
		}
		a, err := parseAlert(l)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// lineBuffer collects a stream's lines as they arrive.
type lineBuffer struct {
	mu    sync.Mutex
	lines []string
	done  chan struct{}
}

func newLineBuffer(r io.Reader) *lineBuffer {
	b := &lineBuffer{done: make(chan struct{})}
	go func() {
		defer close(b.done)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			b.mu.Lock()
			b.lines = append(b.lines, sc.Text())
			b.mu.Unlock()
		}
	}()
	return b
}

func (b *lineBuffer) snapshot() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.lines...)
}

// instance is a running headless ttpwatch.
type instance struct {
	t         *testing.T
	cmd       *exec.Cmd
	stdout    *lineBuffer
	stderr    *lineBuffer
	alertsLog string
	exited    chan struct{}
	waitErr   error
}

// startHeadless starts ttpwatch with args (plus --alerts-log into a temp
// file) and waits until its sensor is attached. The process is killed at
// the end of the test if still running.
func startHeadless(t *testing.T, args ...string) *instance {
	t.Helper()
	in := &instance{t: t, alertsLog: filepath.Join(t.TempDir(), "alerts.jsonl")}
	in.cmd = exec.Command(ttpwatchBin, append(args, "--alerts-log", in.alertsLog)...)
	out, err := in.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errp, err := in.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := in.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", ttpwatchBin, err)
	}
	in.stdout, in.stderr = newLineBuffer(out), newLineBuffer(errp)
	in.exited = make(chan struct{})
	go func() {
		// Wait closes the pipes only after the readers hit EOF.
		<-in.stdout.done
		<-in.stderr.done
		in.waitErr = in.cmd.Wait()
		close(in.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-in.exited:
		default:
			in.cmd.Process.Kill()
			<-in.exited
		}
	})
	deadline := time.Now().Add(startDeadline)
	for {
		for _, l := range in.stderr.snapshot() {
			if strings.Contains(l, `msg="ttpwatch running"`) {
				return in
			}
		}
		select {
		case <-in.exited:
			t.Fatalf("ttpwatch %s exited before it was running: %v\nstderr:\n%s", strings.Join(args, " "), in.waitErr, strings.Join(in.stderr.snapshot(), "\n"))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("ttpwatch %s not running after %v\nstderr:\n%s", strings.Join(args, " "), startDeadline, strings.Join(in.stderr.snapshot(), "\n"))
		}
		time.Sleep(pollEvery)
	}
}

// alerts parses the alerts printed on stdout so far.
func (in *instance) alerts() []alert {
	in.t.Helper()
	var out []alert
	for _, l := range in.stdout.snapshot() {
		a, err := parseAlert(l)
		if err != nil {
			in.t.Fatalf("stdout is not JSON lines: %v", err)
		}
		out = append(out, a)
	}
	return out
}

// waitAlert polls stdout until an alert satisfies match, or fails.
func (in *instance) waitAlert(what string, match func(alert) bool) alert {
	in.t.Helper()
	deadline := time.Now().Add(pollDeadline)
	for {
		for _, a := range in.alerts() {
			if match(a) {
				return a
			}
		}
		if time.Now().After(deadline) {
			in.t.Fatalf("no alert %s within %v", what, pollDeadline)
		}
		time.Sleep(pollEvery)
	}
}

// stop sends SIGTERM and waits for the exit; it returns the exit code.
func (in *instance) stop() int {
	in.t.Helper()
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		in.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-in.exited:
	case <-time.After(30 * time.Second):
		in.t.Fatalf("ttpwatch did not exit within 30s of SIGTERM\nstderr:\n%s", strings.Join(in.stderr.snapshot(), "\n"))
	}
	return in.cmd.ProcessState.ExitCode()
}

// companionFor finds the companion rule's alert for a command line
// containing needle.
func companionFor(needle string) func(alert) bool {
	return func(a alert) bool {
		return a.Rule == companionRule && strings.Contains(a.field("proc.cmdline"), needle)
	}
}

// sameEvent reports whether an alert of rule came from the event at evtTime
// (the seed rule's output names no process, so the companion's event time
// identifies it).
func sameEvent(rule, evtTime string) func(alert) bool {
	return func(a alert) bool { return a.Rule == rule && a.field("evt.time") == evtTime }
}

// find returns the alerts that satisfy match.
func find(as []alert, match func(alert) bool) []alert {
	var out []alert
	for _, a := range as {
		if match(a) {
			out = append(out, a)
		}
	}
	return out
}

// poll calls cond every pollEvery until it is true or d has passed.
func poll(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollEvery)
	}
}

// tail returns the last n lines of lines, for failure messages.
func tail(lines []string, n int) string {
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}
