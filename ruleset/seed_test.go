package ruleset

import (
	"strings"
	"testing"

	"github.com/ttpwatch/ttpwatch/event"
)

// execEvent builds the exec event of `comm args...` run by user (uid 0 for
// root, 1000 otherwise) from a bash in directory cwd.
func execEvent(user, comm, cwd string, args ...string) *event.Event {
	uid := uint32(1000)
	if user == "root" {
		uid = 0
	}
	parent := &event.Process{Pid: 100, Comm: "bash", Exe: "/bin/bash", ExePath: "/bin/bash",
		Uid: uid, UserName: user, ContainerID: "host", Cmdline: "bash", Cwd: cwd}
	argLine := strings.Join(args, " ")
	p := &event.Process{Pid: 200, Ppid: 100, Vpid: 200, Comm: comm, Exe: comm, ExePath: "/usr/bin/" + comm,
		Args: args, ArgLine: argLine, Cmdline: strings.TrimSpace(comm + " " + argLine),
		ExeLine: strings.TrimSpace(comm + " " + argLine), Cwd: cwd,
		Uid: uid, Gid: uid, Euid: uid, UserName: user, GroupName: user, ContainerID: "host",
		LoginUID: uid, LoginName: user, Parent: parent, StartTime: 1_700_000_000_000_000_000}
	return &event.Event{Num: 1, Time: 1_700_000_000_000_000_000, Type: event.TypeExecve, Res: 0, Tid: 200, Proc: p,
		Path: "/usr/bin/" + comm}
}

// fired returns the names of the rules an engine over rs reports for ev.
func fired(t *testing.T, rs *Ruleset, ev *event.Event) map[string]bool {
	t.Helper()
	eng, err := NewEngine(rs.Rules, DefaultOptions())
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	got := map[string]bool{}
	eng.Process(ev, func(m Match) { got[m.Rule.Name] = true })
	return got
}

// seedRules loads the embedded default ruleset, where the seed rules ship.
func seedRules(t *testing.T) *Ruleset {
	t.Helper()
	rs, err := LoadDefaults()
	if err != nil {
		t.Fatalf("LoadDefaults: %v", err)
	}
	return rs
}

// TestSeedRule runs each of the nine clauses of the verbatim seed rule (and
// its improved companion) with a non-root user (fires) and root (does not),
// plus near-misses that must not fire.
func TestSeedRule(t *testing.T) {
	rs := seedRules(t)
	const seed, improved = "Disable recovery features", "Inhibit system recovery"
	if rs.Rule(seed) == nil || rs.Rule(improved) == nil {
		t.Fatal("seed rules missing from the defaults")
	}
	clauses := []struct {
		comm string
		args []string
	}{
		{"rm", []string{"-rf", "/var/backups"}},
		{"chattr", []string{"+i", "f"}},
		{"mkfs.ext4", []string{"-E", "nodiscard", "/dev/sdb1"}},
		{"mount", []string{"-o", "remount,ro", "/"}},
		{"systemctl", []string{"disable", "systemd-backlight@.service"}},
		{"systemctl", []string{"disable", "apport.service"}},
		{"systemctl", []string{"disable", "rescue.service"}},
		{"systemctl", []string{"disable", "emergency.service"}},
		{"systemctl", []string{"disable", "recovery-mode.service"}},
	}
	for _, c := range clauses {
		name := c.comm + " " + strings.Join(c.args, " ")
		t.Run(name, func(t *testing.T) {
			got := fired(t, rs, execEvent("alice", c.comm, "/home/alice", c.args...))
			if !got[seed] || !got[improved] {
				t.Errorf("alice: fired %v, want both seed rules", got)
			}
			got = fired(t, rs, execEvent("root", c.comm, "/root", c.args...))
			if got[seed] || got[improved] {
				t.Errorf("root: fired %v, want neither seed rule", got)
			}
		})
	}
	nearMisses := []struct {
		comm string
		args []string
	}{
		{"rm", []string{"-r", "/tmp/x"}},
		{"rm", []string{"-f", "file"}},
		{"chattr", []string{"-i", "f"}},
		{"lsattr", []string{"+i"}},
		{"mkfs.ext4", []string{"/dev/sdb1"}},
		{"mkfs.xfs", []string{"-E", "nodiscard"}},
		{"mount", []string{"-o", "remount,rw", "/"}},
		{"systemctl", []string{"enable", "rescue.service"}},
		{"systemctl", []string{"disable", "nginx.service"}},
		{"systemctl", []string{"status", "apport.service"}},
	}
	for _, c := range nearMisses {
		name := "near miss " + c.comm + " " + strings.Join(c.args, " ")
		t.Run(name, func(t *testing.T) {
			if got := fired(t, rs, execEvent("alice", c.comm, "/home/alice", c.args...)); got[seed] || got[improved] {
				t.Errorf("fired %v, want neither seed rule", got)
			}
		})
	}
	t.Run("not on a non-exec event", func(t *testing.T) {
		ev := execEvent("alice", "chattr", "/home/alice", "+i", "f")
		ev.Type = event.TypeOpenat
		if got := fired(t, rs, ev); got[seed] || got[improved] {
			t.Errorf("fired %v on openat", got)
		}
	})
	// The companion's exceptions silence build noise; the seed still fires.
	// A build tool is known by its executable's path, not its name.
	for _, c := range []struct {
		parent, exePath, cwd string
	}{{"make", "/usr/bin/make", "/home/alice/src"}, {"make", "/usr/local/bin/make", "/home/alice/src"},
		{"bash", "/bin/bash", "/tmp/build-123"}, {"bash", "/bin/bash", "/home/alice/proj/build"},
		{"bash", "/bin/bash", "/home/alice/app/node_modules/x"}} {
		t.Run("exception "+c.exePath+" in "+c.cwd, func(t *testing.T) {
			ev := execEvent("alice", "rm", c.cwd, "-rf", "out")
			ev.Proc.Parent.Comm, ev.Proc.Parent.ExePath = c.parent, c.exePath
			got := fired(t, rs, ev)
			if !got[seed] || got[improved] {
				t.Errorf("fired %v, want only the verbatim seed", got)
			}
		})
	}
	// A parent merely named make (a shell copied or linked as make) is no
	// build tool: both rules fire.
	for _, exePath := range []string{"/bin/bash", "/tmp/make", "/home/alice/bin/make"} {
		t.Run("no exception for make at "+exePath, func(t *testing.T) {
			ev := execEvent("alice", "rm", "/home/alice/src", "-rf", "out")
			ev.Proc.Parent.Comm, ev.Proc.Parent.ExePath = "make", exePath
			got := fired(t, rs, ev)
			if !got[seed] || !got[improved] {
				t.Errorf("fired %v, want both seed rules", got)
			}
		})
	}
}

// TestSeedRuleVerbatim checks the seed rule loads with the exact text of
// DESIGN.md §4.
func TestSeedRuleVerbatim(t *testing.T) {
	rs := seedRules(t)
	r := rs.Rule("Disable recovery features")
	if r.Priority != Critical || !r.Enabled || r.Output != "Disabling recovery features so that the system becomes non-recoverable in case of failure." ||
		strings.Join(r.Tags, ",") != "mitre_impact,inhibit_system_recovery,T1490" ||
		r.Desc != "Detects disabling system recovery features by deleting or disabling services and commands" {
		t.Errorf("seed rule differs: %+v", r)
	}
	if !strings.Contains(r.Condition, `(spawned_process and proc.name = "systemctl" and proc.args contains "disable recovery-mode.service"))`+"\n"+`and user.name != "root"`) {
		t.Errorf("condition text differs:\n%s", r.Condition)
	}
}
