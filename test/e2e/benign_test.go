package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/sensor"
)

// loudPriorities are the Falco priorities at WARNING or above.
var loudPriorities = map[string]bool{
	"Emergency": true, "Alert": true, "Critical": true, "Error": true, "Warning": true,
}

// TestBenignWorkload runs everyday administration on the live sensor with
// the default rules: building this project, installing and removing a small
// Debian package, git init/commit/clone, ssh-keygen, a login with su - and
// sed -i on a file in /tmp. None of it may raise an alert at WARNING or
// above; NOTICE alerts are listed in the log.
//
// The host may be busy with other work, so an alert counts as the
// workload's only if the event that raised it came from a descendant of
// this test. ttpwatch records a capture alongside its
// JSON output, and the capture's process chains tell which is which.
func TestBenignWorkload(t *testing.T) {
	requireSensor(t)
	acct := ensureUser(t)
	work := t.TempDir()
	capture := filepath.Join(t.TempDir(), "benign.jsonl.gz")
	in := startHeadless(t, "record", "-w", capture, "--json")

	for _, s := range benignSteps(work) {
		out, err := s.run()
		switch {
		case err == errSkip:
			t.Logf("step %q skipped: %s", s.name, strings.TrimSpace(out))
		case err != nil:
			t.Errorf("step %q failed: %v\n%s", s.name, err, out)
		default:
			t.Logf("step %q done: %s", s.name, lastLine(out))
		}
	}
	// Sentinel: once its alert is out, every earlier event was evaluated.
	sentinel := filepath.Join(work, "sentinel")
	asUser(t, acct, "chattr +i "+sentinel+" || true")
	sent := in.waitAlert("for the sentinel", companionFor("chattr +i "+sentinel))
	if code := in.stop(); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0\nstderr:\n%s", code, tail(in.stderr.snapshot(), 20))
	}

	times := map[string]bool{}
	all := in.alerts()
	for _, a := range all {
		times[a.field("evt.time")] = true
	}
	times[sent.field("evt.time")] = true
	ours, err := workloadEvents(capture, times, os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// The sentinel ran under this test: if the capture does not say so,
	// the attribution below would drop every alert and prove nothing.
	if !ours[sent.field("evt.time")] {
		t.Fatalf("the sentinel's event is not attributed to this test (pid %d): the capture's process chains are broken", os.Getpid())
	}
	var loud, notice []string
	others := 0
	for _, a := range all {
		at := a.field("evt.time")
		if at == sent.field("evt.time") {
			continue
		}
		if !ours[at] {
			others++
			continue
		}
		line := fmt.Sprintf("%s [%s] %s", a.Rule, a.Priority, a.Output)
		switch {
		case loudPriorities[a.Priority]:
			loud = append(loud, line)
		case a.Priority == "Notice":
			notice = append(notice, line)
		}
	}
	sort.Strings(notice)
	for _, n := range notice {
		t.Logf("NOTICE from the workload: %s", n)
	}
	t.Logf("%d alerts in all: %d from the workload at WARNING or above, %d NOTICE, %d from other activity on the host",
		len(all), len(loud), len(notice), others)
	for _, l := range loud {
		t.Errorf("benign workload raised: %s", l)
	}
}

// errSkip marks a step that could not run here (no network for apt).
var errSkip = fmt.Errorf("skipped")

// step is one action of the benign workload.
type step struct {
	name string
	run  func() (string, error)
}

// command runs a program and returns its combined output.
func command(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// script runs commands in order, stopping at the first failure.
func script(cmds ...func() (string, error)) (string, error) {
	var all strings.Builder
	for _, c := range cmds {
		out, err := c()
		all.WriteString(out)
		if err != nil {
			return all.String(), err
		}
	}
	return all.String(), nil
}

func benignSteps(work string) []step {
	repo, clone := filepath.Join(work, "repo"), filepath.Join(work, "clone")
	git := func(dir string, args ...string) func() (string, error) {
		return func() (string, error) {
			return command(dir, []string{"GIT_CONFIG_GLOBAL=/dev/null"}, "git",
				append([]string{"-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid", "-c", "init.defaultBranch=main"}, args...)...)
		}
	}
	return []step{
		{"go build of this project", func() (string, error) { return buildProject(work) }},
		{"install and remove a Debian package", aptInstallRemove},
		{"git init, commit, clone", func() (string, error) {
			return script(
				func() (string, error) { return "", os.Mkdir(repo, 0o755) },
				git(repo, "init", "-q"),
				func() (string, error) {
					return "", os.WriteFile(filepath.Join(repo, "README"), []byte("hello\n"), 0o644)
				},
				git(repo, "add", "README"),
				git(repo, "commit", "-q", "-m", "first"),
				git(work, "clone", "-q", repo, clone),
			)
		}},
		{"ssh-keygen into a temp dir", func() (string, error) {
			return command(work, nil, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(work, "key"))
		}},
		{"login with su -", func() (string, error) {
			return command(work, nil, "su", "-", testUser, "-c", "true")
		}},
		{"sed -i on a file in /tmp", func() (string, error) {
			f, err := os.CreateTemp("", "ttpw-e2e-edit-*.txt")
			if err != nil {
				return "", err
			}
			defer os.Remove(f.Name())
			f.WriteString("colour = red\n")
			f.Close()
			return command(work, nil, "sed", "-i", "s/red/blue/", f.Name())
		}},
	}
}

// buildProject builds ttpwatch from a snapshot of the checkout's HEAD (git
// archive), so edits in progress in the working tree cannot break the
// step; outside a git checkout it builds the tree as it is.
func buildProject(work string) (string, error) {
	src := filepath.Join(work, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(work, "ttpwatch")
	if _, err := exec.Command("git", "-C", "../..", "rev-parse", "--git-dir").Output(); err != nil {
		return command("../..", nil, "go", "build", "-o", bin, ".")
	}
	out, err := command("../..", nil, "sh", "-c", "git archive --format=tar HEAD | tar -x -C "+shellQuote(src))
	if err != nil {
		return out, fmt.Errorf("snapshot HEAD: %w", err)
	}
	return command(src, nil, "go", "build", "-o", bin, ".")
}

// aptInstallRemove installs and removes cowsay, or, if it is already
// installed, removes and reinstalls it so the host ends as it began. A
// failing install (no network, no cached package) skips the step.
func aptInstallRemove() (string, error) {
	env := []string{"DEBIAN_FRONTEND=noninteractive"}
	apt := func(args ...string) (string, error) {
		return command("/", env, "apt-get", append([]string{"-y", "-q", "-o", "DPkg::Lock::Timeout=120", "--no-install-recommends"}, args...)...)
	}
	if debInstalled("cowsay") {
		if out, err := apt("remove", "cowsay"); err != nil {
			return out, err
		}
		out, err := apt("install", "cowsay")
		if err != nil {
			return out, fmt.Errorf("reinstall cowsay (it was installed before the test): %w", err)
		}
		return out, nil
	}
	out, err := apt("install", "cowsay")
	if err != nil {
		return "apt-get install cowsay failed (no network or package index?): " + lastLine(out), errSkip
	}
	return apt("remove", "cowsay")
}

// debInstalled reads dpkg's status file (no dpkg-query: the test's own
// commands would show among the workload's alerts).
func debInstalled(pkg string) bool {
	data, err := os.ReadFile("/var/lib/dpkg/status")
	if err != nil {
		return false
	}
	for _, stanza := range strings.Split(string(data), "\n\n") {
		if strings.HasPrefix(stanza, "Package: "+pkg+"\n") {
			return strings.Contains(stanza, "\nStatus: install ok installed\n")
		}
	}
	return false
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "(no output)"
	}
	lines := strings.Split(s, "\n")
	return lines[len(lines)-1]
}

// workloadEvents streams a capture and returns which of the event times in
// want belong to an event of a descendant of root. (Not the test user's:
// another run of these tests may be using it at the same time.)
func workloadEvents(capture string, want map[string]bool, root int) (map[string]bool, error) {
	r, err := sensor.OpenReplay(capture, 0)
	if err != nil {
		return nil, fmt.Errorf("open the capture: %w", err)
	}
	ours := map[string]bool{}
	err = r.Run(context.Background(), func(ev *event.Event) {
		at := strconv.FormatInt(ev.Time, 10)
		if !want[at] || ours[at] {
			return
		}
		for p := ev.Proc; p != nil; p = p.Parent {
			if int(p.Pid) == root {
				ours[at] = true
				return
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("read the capture: %w", err)
	}
	return ours, nil
}
