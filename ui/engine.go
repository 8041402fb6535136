package ui

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/ttpwatch/ttpwatch/ruleset"
)

// RuleEngine is the part of *ruleset.Engine the Rules view drives.
type RuleEngine interface {
	Rules() []ruleset.RuleState
	SetEnabled(name string, on bool) error
	EnableMatching(pattern string, on bool) int
}

// EngineRules adapts a rule engine (*ruleset.Engine) to RuleController.
func EngineRules(e RuleEngine) RuleController { return engineRules{e} }

type engineRules struct{ e RuleEngine }

func (r engineRules) Rules() []RuleInfo {
	states := r.e.Rules()
	out := make([]RuleInfo, len(states))
	for i, s := range states {
		ru := s.Rule
		info := RuleInfo{
			Name: ru.Name, Desc: ru.Desc, Priority: ru.Priority, Tags: ru.Tags,
			Condition: strings.TrimSpace(ru.Condition), Exceptions: exceptionsText(ru.Exceptions),
			Output: ru.Output, Enabled: s.Enabled, LoadedEnabled: ru.Enabled, Hits: s.Hits,
			File: ru.File, Line: ru.Line,
		}
		if s.LastHit != 0 {
			info.LastHit = time.Unix(0, s.LastHit)
		}
		if p := s.Program; p != nil {
			var b strings.Builder
			b.WriteString(p.Expr)
			for _, c := range p.Checks {
				fmt.Fprintf(&b, "\n  %s: %s", c.Func, c.Text)
			}
			info.Compiled = b.String()
		}
		out[i] = info
	}
	return out
}

func (r engineRules) SetEnabled(name string, on bool) error { return r.e.SetEnabled(name, on) }

func (r engineRules) SetTagEnabled(tag string, on bool) (int, error) {
	if strings.ContainsAny(tag, " \t") {
		return 0, fmt.Errorf("a tag has no spaces: %q", tag)
	}
	return r.e.EnableMatching("tag:"+tag, on), nil
}

// exceptionsText renders exceptions in rule-file form.
func exceptionsText(excs []ruleset.Exception) string {
	var b strings.Builder
	for _, x := range excs {
		fmt.Fprintf(&b, "- name: %s\n", x.Name)
		if len(x.Fields) > 0 {
			fmt.Fprintf(&b, "  fields: [%s]\n", strings.Join(x.Fields, ", "))
		}
		if len(x.Comps) > 0 {
			fmt.Fprintf(&b, "  comps: [%s]\n", strings.Join(x.Comps, ", "))
		}
		if len(x.Values) > 0 {
			b.WriteString("  values:\n")
			for _, v := range x.Values {
				fmt.Fprintf(&b, "    - [%s]\n", strings.Join(v, ", "))
			}
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// SystemKiller signals processes with kill(2). It refuses pid 0 and 1 and
// the monitor's own pid: the user means a suspect process, never init or
// ttpwatch itself.
type SystemKiller struct{}

// Kill sends sig to pid.
func (SystemKiller) Kill(pid uint32, sig syscall.Signal) error {
	if pid <= 1 || int(pid) == os.Getpid() {
		return fmt.Errorf("refusing to signal pid %d", pid)
	}
	if err := syscall.Kill(int(pid), sig); err != nil {
		return fmt.Errorf("signal %d with %s: %w", pid, sig, err)
	}
	return nil
}
