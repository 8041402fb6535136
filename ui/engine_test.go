package ui

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/ttpwatch/ttpwatch/ruleset"
)

// TestEngineRules drives the adapter over the real engine with the real
// seed rule: toggling by name and by tag reaches the engine.
func TestEngineRules(t *testing.T) {
	const seed = `
- macro: spawned_process
  condition: evt.type in (execve, execveat)
- rule: Disable recovery features
  desc: Detects disabling system recovery features
  condition: spawned_process and proc.name = "chattr" and proc.args contains "+i" and user.name != "root"
  exceptions:
    - name: trusted
      fields: [proc.pname]
      values: [[make]]
  output: "Disabling recovery features (%proc.cmdline)"
  priority: CRITICAL
  tags: [mitre_impact, inhibit_system_recovery, T1490]
`
	rs, err := ruleset.Load(ruleset.Source{Name: "seed.yaml", Data: []byte(seed)})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := ruleset.NewEngine(rs.Rules, ruleset.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	rc := EngineRules(eng)
	rules := rc.Rules()
	if len(rules) != 1 {
		t.Fatalf("%d rules, want 1", len(rules))
	}
	r := rules[0]
	if !r.Enabled || !r.LoadedEnabled || r.Compiled == "" || !strings.Contains(r.Exceptions, "- name: trusted") ||
		r.File != "seed.yaml" || r.Line == 0 {
		t.Fatalf("rule info = %+v", r)
	}
	if err := rc.SetEnabled(r.Name, false); err != nil || eng.Enabled(r.Name) {
		t.Fatalf("SetEnabled(false): err %v, engine enabled %v", err, eng.Enabled(r.Name))
	}
	if rc.Rules()[0].LoadedEnabled != true || rc.Rules()[0].Enabled {
		t.Fatal("live and loaded state mixed up")
	}
	n, err := rc.SetTagEnabled("T1490", true)
	if err != nil || n != 1 || !eng.Enabled(r.Name) {
		t.Fatalf("SetTagEnabled(T1490) = %d, %v; enabled %v", n, err, eng.Enabled(r.Name))
	}
	if err := rc.SetEnabled("no such rule", true); err == nil {
		t.Fatal("unknown rule accepted")
	}
}

func TestSystemKiller(t *testing.T) {
	for _, pid := range []uint32{0, 1, uint32(os.Getpid())} {
		if err := (SystemKiller{}).Kill(pid, syscall.SIGTERM); err == nil {
			t.Errorf("Kill(%d) accepted", pid)
		}
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := (SystemKiller{}).Kill(uint32(cmd.Process.Pid), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
		t.Fatalf("sleep ended with %v, want SIGTERM", err)
	}
}

// TestOverridesLoadBack saves a toggle and loads it after the rules, as
// `-r overrides.yaml` does: the rule comes back disabled.
func TestOverridesLoadBack(t *testing.T) {
	const rules = `
- rule: Disable recovery features
  desc: d
  condition: evt.type = execve and proc.name = chattr
  output: "x %proc.cmdline"
  priority: CRITICAL
  tags: [T1490]
`
	data, n := OverridesYAML([]RuleInfo{{Name: "Disable recovery features", Enabled: false, LoadedEnabled: true}}, t0)
	if n != 1 {
		t.Fatal(n)
	}
	rs, err := ruleset.Load(ruleset.Source{Name: "rules.yaml", Data: []byte(rules)}, ruleset.Source{Name: "overrides.yaml", Data: data})
	if err != nil {
		t.Fatalf("the rule loader refuses the overrides file: %v\n%s", err, data)
	}
	if len(rs.Rules) != 1 || rs.Rules[0].Enabled {
		t.Fatalf("after overrides: %d rules, enabled %v", len(rs.Rules), rs.Rules[0].Enabled)
	}
}
