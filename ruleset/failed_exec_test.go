package ruleset_test

import (
	"path/filepath"
	"testing"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset"
)

// wantsFailedExecs lists the default rules meant to fire on a failed exec
// (an attempt: evt.rawres < 0 and the attempted evt.arg.filename). None
// does today.
var wantsFailedExecs = map[string]bool{}

// TestSpawnedProcessOnlySuccessfulExecs pins the spawned_process macro: an
// execve or execveat that succeeded, never a failed one. The sensor reports
// a failed exec on its exit with the caller's identity (the new image never
// ran), so its proc.name, proc.cmdline and proc.exepath are the caller's.
func TestSpawnedProcessOnlySuccessfulExecs(t *testing.T) {
	src := "- rule: probe spawned\n  desc: test probe\n  condition: spawned_process\n  output: probe\n  priority: INFO\n"
	rs, err := ruleset.Load(append(ruleset.DefaultSources(), ruleset.Source{Name: "probe.yaml", Data: []byte(src)})...)
	if err != nil {
		t.Fatal(err)
	}
	var probe []*ruleset.Rule
	for _, r := range rs.Rules {
		if r.Name == "probe spawned" {
			probe = append(probe, r)
		}
	}
	eng, err := ruleset.NewEngine(probe, ruleset.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	b := &builder{nextPid: 70000}
	for _, c := range []struct {
		typ  string
		res  int64
		want bool
	}{
		{"execve", 0, true}, {"execveat", 0, true},
		{"execve", -2, false}, {"execve", -13, false}, {"execve", -8, false}, {"execveat", -2, false},
		{"execveat", -9, false}, {"clone", 0, false}, {"openat", 3, false},
	} {
		res := c.res
		ev, err := b.event(&eventSpec{Type: c.typ, Res: &res, Proc: &procSpec{Name: "bash", Parent: &procSpec{Name: "sshd"}}})
		if err != nil {
			t.Fatal(err)
		}
		got := false
		eng.Process(ev, func(ruleset.Match) { got = true })
		if got != c.want {
			t.Errorf("%s res=%d: spawned_process = %v, want %v", c.typ, c.res, got, c.want)
		}
	}
}

// TestRulesQuietOnFailedExecs turns every exec in the rules' fires fixtures
// into the same exec failing (ENOENT, as when env or execvp searches PATH,
// and EACCES) and requires that the rule stays quiet: a failed exec carries
// the caller's fields, and alerting on it repeats the alert of the caller's
// own exec once per directory searched.
func TestRulesQuietOnFailedExecs(t *testing.T) {
	rs := loadDefaults(t)
	eng, err := ruleset.NewEngine(rs.Rules, ruleset.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	b := &builder{nextPid: 80000}
	checked := 0
	for _, path := range files {
		f, err := readFixture(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, spec := range f.Fires {
			if spec.Type != "" && spec.Type != "execve" && spec.Type != "execveat" {
				continue
			}
			for _, errno := range []int64{-2, -13} {
				s := spec
				res := errno
				s.Res = &res
				ev, err := b.event(&s)
				if err != nil {
					t.Fatalf("%s fires[%d]: %v", path, i, err)
				}
				if ev.Type != event.TypeExecve && ev.Type != event.TypeExecveat {
					t.Fatalf("%s fires[%d]: built %s", path, i, ev.Type)
				}
				fired := false
				eng.Process(ev, func(m ruleset.Match) { fired = fired || m.Rule.Name == f.Rule })
				if fired != wantsFailedExecs[f.Rule] {
					t.Errorf("%s fires[%d] (%s) as a failed exec (res=%d): rule %q fired = %v, want %v",
						path, i, spec.Note, errno, f.Rule, fired, wantsFailedExecs[f.Rule])
				}
				checked++
			}
		}
	}
	if checked < 200 {
		t.Errorf("only %d failed-exec twins checked; the fixtures hold more exec cases", checked)
	}
	t.Logf("%d failed-exec twins of fires fixtures checked", checked)
}
