package attacks

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// urgent are the priorities a benign workload must never raise.
var urgent = map[string]bool{"Emergency": true, "Alert": true, "Critical": true, "Error": true, "Warning": true}

// TestBenignWorkload runs everyday administration — building this project,
// git init/commit/clone, ssh-keygen into a temporary directory, a login
// with su -, editing a file in /tmp with vim, installing and removing a
// small Debian package — and requires that none of it raises an alert at
// WARNING or above. NOTICE alerts are listed in the log.
//
// The workload runs in a cgroup named like a container's scope so that its
// alerts can be told apart from whatever else runs on the host: only alerts
// carrying that container id count.
func TestBenignWorkload(t *testing.T) {
	l := getLab(t)
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cg, err := newContainerCgroup()
	if err != nil {
		t.Skipf("cannot make a cgroup to attribute the workload: %v", err)
	}
	defer func() { _ = os.Remove(cg) }()
	id := strings.TrimPrefix(filepath.Base(cg), "docker-")[:12]
	work, err := os.MkdirTemp("", "ttpwatch-benign-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(work)

	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("benign workload needs go")
	}
	goEnv, err := exec.Command(goBin, "env", "GOCACHE", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	cacheDirs := strings.Fields(string(goEnv))
	if len(cacheDirs) != 2 {
		t.Fatalf("go env GOCACHE GOMODCACHE: %q", goEnv)
	}
	steps := []string{
		"echo $$ > " + filepath.Join(cg, "cgroup.procs"),
		"export HOME=" + work + " GOCACHE=" + cacheDirs[0] + " GOMODCACHE=" + cacheDirs[1] + " GOTOOLCHAIN=local",
		// Build the project.
		"cd " + root + " && " + goBin + " build -o " + filepath.Join(work, "ttpwatch") + " . ; cd " + work,
		// Git on a local repository.
		"git init -q repo && cd repo && echo hi > a && git add a && " +
			"git -c user.email=ci@example.org -c user.name=ci commit -qm init && cd .. && git clone -q repo repo2",
		// A key pair into a temporary directory.
		"ssh-keygen -q -t ed25519 -N '' -f " + filepath.Join(work, "id_ed25519"),
		// A login shell through su -.
		"su - nobody -s /bin/sh -c true",
		// Editing a file in /tmp.
		"vim -es -c 'normal ihello' -c wq " + filepath.Join(work, "notes.txt") + " < /dev/null",
	}
	if _, err := exec.LookPath("apt-get"); err == nil && os.Getenv("TTPWATCH_BENIGN_APT") != "0" {
		steps = append(steps,
			"DEBIAN_FRONTEND=noninteractive apt-get install -y -q sl > /dev/null 2>&1 && "+
				"DEBIAN_FRONTEND=noninteractive apt-get remove -y -q sl > /dev/null 2>&1; true")
	}
	// A control at the end: a NOTICE-level rule that must be attributed to
	// the workload's container id, proving that attribution and delivery
	// work (an empty result must not come from a blind sensor).
	steps = append(steps, l.implant+" -c 'id > /dev/null'")
	for _, prog := range []string{"git", "ssh-keygen", "su", "vim"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skipf("benign workload needs %s", prog)
		}
	}
	start := time.Now().Add(-time.Second).UnixNano()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := l.detach(ctx, "", strings.Join(steps, "\n")); err != nil {
		t.Fatalf("workload: %v", err)
	}
	for _, f := range []string{"repo2/a", "id_ed25519", "notes.txt"} {
		if _, err := os.Stat(filepath.Join(work, f)); err != nil {
			t.Errorf("workload step did not run: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(work, "ttpwatch")); err != nil {
		t.Logf("building the project failed (the workload ran the compiler anyway): %v", err)
	}
	control := l.w.await("User and identity discovery from a suspicious lineage", start, func(a *alert) bool {
		return a.Fields["container.id"] == id
	})
	if control == nil {
		t.Fatalf("control alert from the workload's cgroup missing; cannot attribute alerts")
	}

	l.w.mu.Lock()
	defer l.w.mu.Unlock()
	for _, a := range l.w.alerts {
		if a == control || a.evtTime() < start || a.Fields["container.id"] != id || strings.Contains(a.Output, l.implant) {
			continue // not the workload's, or the control's own alerts
		}
		if urgent[priorityOf(a)] {
			t.Errorf("benign workload raised %s", a.line)
		} else {
			t.Logf("notice: %s: %q", a.Rule, a.Output)
		}
	}
}

// priorityOf returns the alert's priority as Falco's JSON spells it.
func priorityOf(a *alert) string {
	var p struct {
		Priority string `json:"priority"`
	}
	_ = jsonUnmarshal(a.line, &p)
	return p.Priority
}
