package attacks

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	osuser "os/user"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The lab: one ttpwatch --json process watching the host for the whole
// package, a loopback HTTP server to talk to, and scratch directories that
// are removed at the end.

// alertDeadline bounds the wait for an expected alert; the sensor delivers
// within milliseconds, the margin is for loaded CI machines.
const alertDeadline = 10 * time.Second

// alert is the part of a Falco JSON alert the tests read.
type alert struct {
	Rule   string         `json:"rule"`
	Output string         `json:"output"`
	Tags   []string       `json:"tags"`
	Fields map[string]any `json:"output_fields"`
	line   string
}

// evtTime returns the alert's event time (unix ns), 0 when missing.
func (a *alert) evtTime() int64 {
	if v, ok := a.Fields["evt.time"].(float64); ok {
		return int64(v)
	}
	return 0
}

func (a *alert) hasTag(tag string) bool {
	for _, t := range a.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// watcher runs ttpwatch --json and collects its alerts.
type watcher struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	alerts []*alert
	stderr strings.Builder
	exited chan struct{}
}

func (w *watcher) collect(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		a := &alert{line: sc.Text()}
		if json.Unmarshal(sc.Bytes(), a) != nil || a.Rule == "" {
			continue
		}
		w.mu.Lock()
		w.alerts = append(w.alerts, a)
		w.mu.Unlock()
	}
}

// find returns the first alert of rule at or after since (unix ns) for
// which match is true.
func (w *watcher) find(rule string, since int64, match func(*alert) bool) *alert {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, a := range w.alerts {
		if a.Rule == rule && a.evtTime() >= since && (match == nil || match(a)) {
			return a
		}
	}
	return nil
}

// await polls for an alert until the deadline.
func (w *watcher) await(rule string, since int64, match func(*alert) bool) *alert {
	end := time.Now().Add(alertDeadline)
	for time.Now().Before(end) {
		if a := w.find(rule, since, match); a != nil {
			return a
		}
		select {
		case <-w.exited:
			return w.find(rule, since, match)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// rulesSeen lists the rules that fired since t, for failure messages.
func (w *watcher) rulesSeen(since int64) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, a := range w.alerts {
		if a.evtTime() >= since && !seen[a.Rule] {
			seen[a.Rule] = true
			out = append(out, a.Rule)
		}
	}
	return out
}

// lab is the shared environment of the package's tests.
type lab struct {
	dir     string // private root (not a scratch directory), 0755
	tmp     string // under /tmp, world-writable
	shm     string // under /dev/shm, world-writable
	implant string // a copy of /bin/sh in /dev/shm: a "dropped" parent
	port    int    // loopback HTTP server
	w       *watcher
	srv     *http.Server
	seq     int
}

var (
	labOnce sync.Once
	theLab  *lab
	labErr  error
	// labSkip is set when the lab cannot run for a reason that is a skip
	// unless REQUIRE_BPF=1 (not root, sensor unavailable).
	labSkip bool
)

// getLab returns the shared lab, skipping (or failing with REQUIRE_BPF=1)
// when the host cannot run it.
func getLab(t *testing.T) *lab {
	t.Helper()
	labOnce.Do(func() { theLab, labErr = newLab() })
	if labErr != nil {
		if labSkip && os.Getenv("REQUIRE_BPF") != "1" {
			t.Skipf("live attack tests skipped: %v (set REQUIRE_BPF=1 to make this a failure)", labErr)
		}
		t.Fatalf("live attack lab: %v", labErr)
	}
	return theLab
}

func TestMain(m *testing.M) {
	code := m.Run()
	if theLab != nil {
		theLab.close()
	}
	os.Exit(code)
}

func newLab() (*lab, error) {
	if os.Geteuid() != 0 {
		labSkip = true
		return nil, fmt.Errorf("needs root (eBPF sensor)")
	}
	l := &lab{}
	var err error
	if l.dir, err = os.MkdirTemp("/var/lib", "ttpwatch-attacks-"); err != nil {
		return nil, fmt.Errorf("lab dir: %w", err)
	}
	if err := os.Chmod(l.dir, 0o755); err != nil {
		return nil, err
	}
	for _, p := range []*string{&l.tmp, &l.shm} {
		base := "/tmp"
		if p == &l.shm {
			base = "/dev/shm"
		}
		if *p, err = os.MkdirTemp(base, "ttpwatch-attacks-"); err != nil {
			l.close()
			return nil, fmt.Errorf("scratch dir: %w", err)
		}
		if err := os.Chmod(*p, 0o1777); err != nil {
			l.close()
			return nil, err
		}
	}
	l.implant = filepath.Join(l.shm, "implant")
	if err := copyFile("/bin/sh", l.implant); err != nil {
		l.close()
		return nil, err
	}
	if err := l.startHTTP(); err != nil {
		l.close()
		return nil, err
	}
	if err := l.startWatcher(); err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

func (l *lab) close() {
	if l.w != nil && l.w.cmd.Process != nil {
		_ = l.w.cmd.Process.Signal(os.Interrupt)
		select {
		case <-l.w.exited:
		case <-time.After(5 * time.Second):
			_ = l.w.cmd.Process.Kill()
			<-l.w.exited
		}
	}
	if l.srv != nil {
		_ = l.srv.Close()
	}
	for _, d := range []string{l.dir, l.tmp, l.shm} {
		if d != "" {
			_ = os.RemoveAll(d)
		}
	}
}

// startHTTP serves "true" for GET and accepts uploads, on loopback only.
func (l *lab) startHTTP() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("loopback listener: %w", err)
	}
	l.port = ln.Addr().(*net.TCPAddr).Port
	l.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "true\n")
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = l.srv.Serve(ln) }()
	return nil
}

// repoRoot finds the module root from the package directory.
func repoRoot() (string, error) {
	dir, err := filepath.Abs("../..")
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return "", fmt.Errorf("module root not found at %s: %w", dir, err)
	}
	return dir, nil
}

// startWatcher builds (or takes $TTPWATCH_BIN) and starts ttpwatch --json,
// waiting until it reports that it is running.
func (l *lab) startWatcher() error {
	bin := os.Getenv("TTPWATCH_BIN")
	if bin == "" {
		root, err := repoRoot()
		if err != nil {
			return err
		}
		bin = filepath.Join(l.dir, "ttpwatch")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("go build ttpwatch: %v\n%s", err, out)
		}
	}
	w := &watcher{exited: make(chan struct{})}
	w.cmd = exec.Command(bin, "--json", "--alerts-log", "")
	stdout, err := w.cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := w.cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := w.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	l.w = w
	ready := make(chan struct{})
	go w.collect(stdout)
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			w.mu.Lock()
			w.stderr.WriteString(sc.Text() + "\n")
			w.mu.Unlock()
			if strings.Contains(sc.Text(), "ttpwatch running") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	go func() { _ = w.cmd.Wait(); close(w.exited) }()
	select {
	case <-ready:
		return nil
	case <-w.exited:
		w.mu.Lock()
		defer w.mu.Unlock()
		labSkip = true
		return fmt.Errorf("ttpwatch exited before running: %s", w.stderr.String())
	case <-time.After(60 * time.Second):
		return fmt.Errorf("ttpwatch did not report running within a minute")
	}
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		return fmt.Errorf("copy to %s: %w", dst, err)
	}
	return os.Chmod(dst, 0o755)
}

// expand substitutes the lab's placeholders in s.
func (l *lab) expand(s, bin string) string {
	return strings.NewReplacer(
		"{bin}", bin, "{dir}", l.dir, "{tmp}", l.tmp, "{shm}", l.shm,
		"{implant}", l.implant, "{port}", fmt.Sprint(l.port),
		"{url}", fmt.Sprintf("http://127.0.0.1:%d", l.port),
	).Replace(s)
}

// detach runs script with /bin/sh as user ("" = root) outside the test's
// process tree, and waits until it has finished. The test runs under
// `go test`, and rules rightly treat everything below the go tool as build
// activity; a double fork with the exec after the reparenting gives the
// action a parent chain that starts at init, as an intruder's would.
func (l *lab) detach(ctx context.Context, user, script string) error {
	l.seq++
	base := filepath.Join(l.dir, fmt.Sprintf("case-%d", l.seq))
	done := base + ".done"
	body := script + "\n"
	runner := body
	if user != "" {
		if err := os.WriteFile(base+".user.sh", []byte(body), 0o644); err != nil {
			return err
		}
		u, err := osuser.Lookup(user)
		if err != nil {
			return fmt.Errorf("user %s: %w", user, err)
		}
		runner = fmt.Sprintf("setpriv --reuid=%s --regid=%s --clear-groups -- /bin/sh %s\n", u.Uid, u.Gid, base+".user.sh")
	}
	runner += ": > " + done + "\n"
	if err := os.WriteFile(base+".sh", []byte(runner), 0o644); err != nil {
		return err
	}
	outer := exec.CommandContext(ctx, "/bin/sh", "-c",
		`( while kill -0 $$ 2>/dev/null; do sleep 0.05; done; exec /bin/sh "$1" ) </dev/null >/dev/null 2>&1 & exit 0`,
		"sh", base+".sh")
	outer.Dir = l.tmp
	outer.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + l.tmp, "LANG=C"}
	if err := outer.Run(); err != nil {
		return fmt.Errorf("launch: %w", err)
	}
	for {
		if _, err := os.Stat(done); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("action did not finish: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// standIns creates the case's stand-in directory: fakes are copies of
// /bin/true, shells copies of /bin/sh, under the names the rules look for.
func (l *lab) standIns(t *testing.T, c *attackCase) (string, error) {
	t.Helper()
	bin, err := os.MkdirTemp(l.dir, "bin-")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(bin, 0o755); err != nil {
		return "", err
	}
	for _, n := range c.fakes {
		if err := copyFile("/bin/true", filepath.Join(bin, n)); err != nil {
			return "", err
		}
	}
	for _, n := range c.shells {
		if err := copyFile("/bin/sh", filepath.Join(bin, n)); err != nil {
			return "", err
		}
	}
	return bin, nil
}

// listenLoopback listens on a fixed loopback port and accepts (and closes)
// connections until closed.
func listenLoopback(port string) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	return ln, nil
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slug names a subtest after its rule.
func slug(rule string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(rule), "-"), "-")
}

// jsonUnmarshal decodes a JSON line into v.
func jsonUnmarshal(line string, v any) error { return json.Unmarshal([]byte(line), v) }
