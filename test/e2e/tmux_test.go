package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tmuxServer is a private tmux server (its own socket) running one session
// whose first pane holds the program under test.
type tmuxServer struct {
	t      *testing.T
	socket string
}

// tmuxConfig keeps dead panes (so a crash leaves its message readable) and
// lets programs set tmux buffers with OSC 52, so the test can see whether
// ttpwatch leaked a clipboard write.
const tmuxConfig = "set -g remain-on-exit on\nset -s set-clipboard on\nset -g history-limit 100\n"

// newTmux starts a detached session of w x h cells running command (a shell
// command line) and kills the whole server at the end of the test.
func newTmux(t *testing.T, w, h int, command string) *tmuxServer {
	t.Helper()
	requireTool(t, "tmux")
	conf := filepath.Join(t.TempDir(), "tmux.conf")
	if err := os.WriteFile(conf, []byte(tmuxConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &tmuxServer{t: t, socket: "ttpw-" + marker(t)}
	if out, err := exec.Command("tmux", "-L", s.socket, "-f", conf, "new-session", "-d", "-s", "main",
		"-x", strconv.Itoa(w), "-y", strconv.Itoa(h), command).CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	return s
}

// with returns the server bound to t, for use in a subtest (a failure
// must end the subtest, not its parent).
func (s *tmuxServer) with(t *testing.T) *tmuxServer { return &tmuxServer{t: t, socket: s.socket} }

// run runs a tmux command on this server and returns its output.
func (s *tmuxServer) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screen is the visible text of the main pane.
func (s *tmuxServer) screen() string { return s.run("capture-pane", "-p", "-t", "main") }

// keys sends key names (tmux send-keys syntax: Enter, Space, Escape, 2).
func (s *tmuxServer) keys(keys ...string) {
	s.run(append([]string{"send-keys", "-t", "main"}, keys...)...)
}

// typeText sends text literally, as typed characters.
func (s *tmuxServer) typeText(text string) { s.run("send-keys", "-t", "main", "-l", text) }

// format expands a tmux format for the main pane, e.g. #{pane_title}.
func (s *tmuxServer) format(f string) string {
	return strings.TrimRight(s.run("display-message", "-p", "-t", "main", f), "\n")
}

// waitScreen polls the screen every 10 ms until cond holds or d passes;
// it returns the last screen, whether cond held and how long it took.
func (s *tmuxServer) waitScreen(d time.Duration, cond func(string) bool) (string, bool, time.Duration) {
	s.t.Helper()
	start := time.Now()
	for {
		scr := s.screen()
		if cond(scr) {
			return scr, true, time.Since(start)
		}
		if time.Since(start) > d {
			return scr, false, time.Since(start)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mustScreen is waitScreen that fails the test with the screen.
func (s *tmuxServer) mustScreen(what string, d time.Duration, cond func(string) bool) string {
	s.t.Helper()
	scr, ok, _ := s.waitScreen(d, cond)
	if !ok {
		s.t.Fatalf("screen does not show %s within %v:\n%s", what, d, scr)
	}
	return scr
}

// has returns a screen condition: every part appears.
func has(parts ...string) func(string) bool {
	return func(scr string) bool {
		for _, p := range parts {
			if !strings.Contains(scr, p) {
				return false
			}
		}
		return true
	}
}
