package ruleset_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset"
	"github.com/ttpwatch/ttpwatch/sensor"
)

// demoCapture is the recorded demo intrusion (sensor/testdata/capture/README.md).
var demoCapture = filepath.Join("..", "sensor", "testdata", "capture", "demo.jsonl.gz")

func demoEvents(t *testing.T) []*event.Event {
	t.Helper()
	f, err := os.Open(demoCapture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, evs, err := sensor.ReadCapture(f, "demo.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestDemoCaptureOneLinerAlertsOnce replays the demo intrusion through the
// default rules: its python and perl socket one-liners must each raise the
// one-liner rule once. The python one is started through a pyenv shim: env
// searches PATH for bash and fails ten times before the exec that works, and
// every failed execve still carries the one-liner's command line; alerting
// on those gave eleven alerts for one action.
func TestDemoCaptureOneLinerAlertsOnce(t *testing.T) {
	const rule = "Interpreter one-liner opening a socket or a PTY"
	eng, err := ruleset.NewEngine(loadDefaults(t).Rules, ruleset.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	perPid := map[uint32]int{}
	var python, perl, all []string
	for _, ev := range demoEvents(t) {
		eng.Process(ev, func(m ruleset.Match) {
			if m.Rule.Name != rule {
				return
			}
			perPid[ev.Proc.Pid]++
			desc := fmt.Sprintf("%s res=%d pid=%d %s", ev.Type, ev.Res, ev.Proc.Pid, ev.Proc.Cmdline)
			all = append(all, desc)
			switch {
			case strings.Contains(ev.Proc.Cmdline, "import socket,pty"):
				python = append(python, desc)
			case strings.Contains(ev.Proc.Cmdline, "use Socket"):
				perl = append(perl, desc)
			}
		})
	}
	if len(python) != 1 || len(perl) != 1 || len(all) != 2 {
		t.Errorf("demo capture: %d alerts of %q (python one-liner %d, perl one-liner %d), want one each:\n  %s",
			len(all), rule, len(python), len(perl), strings.Join(all, "\n  "))
	}
	for pid, n := range perPid {
		if n > 1 {
			t.Errorf("process %d raised %q %d times", pid, rule, n)
		}
	}
}

// demoRules are the rules the demo intrusion's steps raise
// (sensor/testdata/capture/README.md lists the steps).
var demoRules = []string{
	"Tool downloaded into a scratch directory",
	"File in a scratch directory made executable",
	"Base64 payload decoded into a shell",
	"Shell redirection to /dev/tcp or /dev/udp",
	"Interpreter one-liner opening a socket or a PTY",
	"Shadow password file read",
	"Shell history cleared",
	"Shell history logging disabled",
	"Log file truncated",
	"Log file deleted",
	"Disable recovery features",
	"Inhibit system recovery",
	"OpenSSL client used as a command channel",
}

// minDemoRules is the number of distinct rules pipeline's
// TestDemoCaptureDefaultRules requires of the demo capture.
const minDemoRules = 5

// TestDemoCaptureFailedExecsAlertOnce replays the demo intrusion: every step
// is started through setpriv, and env or a pyenv shim, which search PATH and
// fail once per directory (ENOENT, EACCES) before the exec that works; each
// failed exec carries the caller's name and command line. No failed exec may
// raise an alert, no rule may alert more than once for one PATH search (the
// failed attempts of a pid and the exec that ends them), and the intrusion
// must still raise every rule its steps stand for.
func TestDemoCaptureFailedExecsAlertOnce(t *testing.T) {
	eng, err := ruleset.NewEngine(loadDefaults(t).Rules, ruleset.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	type searchRule struct {
		search int
		rule   string
	}
	isExec := func(ev *event.Event) bool {
		return ev.Type == event.TypeExecve || ev.Type == event.TypeExecveat
	}
	// A search is a run of execs of one pid that starts with a failure:
	// it ends with the pid's next successful exec.
	search := map[uint32]int{} // pid -> open search id
	nextSearch := 0
	failed := 0
	perSearch := map[searchRule][]string{}
	rules := map[string]int{}
	for _, ev := range demoEvents(t) {
		id, inSearch := search[ev.Proc.Pid]
		if isExec(ev) && ev.Res != 0 {
			failed++
			if !inSearch {
				nextSearch++
				id, inSearch = nextSearch, true
				search[ev.Proc.Pid] = id
			}
		}
		eng.Process(ev, func(m ruleset.Match) {
			rules[m.Rule.Name]++
			desc := fmt.Sprintf("%s res=%d pid=%d %s", ev.Type, ev.Res, ev.Proc.Pid, ev.Proc.Cmdline)
			if isExec(ev) && ev.Res != 0 {
				t.Errorf("failed exec raised %q: %s", m.Rule.Name, desc)
			}
			if isExec(ev) && inSearch {
				k := searchRule{id, m.Rule.Name}
				perSearch[k] = append(perSearch[k], desc)
			}
		})
		if isExec(ev) && ev.Res == 0 {
			delete(search, ev.Proc.Pid)
		}
	}
	if failed < 50 || nextSearch < 10 {
		t.Fatalf("demo capture: %d failed execs in %d PATH searches; the capture should hold the demo's ~130 failed execs", failed, nextSearch)
	}
	for k, alerts := range perSearch {
		if len(alerts) > 1 {
			t.Errorf("%q alerted %d times for one PATH search:\n  %s", k.rule, len(alerts), strings.Join(alerts, "\n  "))
		}
	}
	for _, r := range demoRules {
		if rules[r] == 0 {
			t.Errorf("demo capture: no alert of %q", r)
		}
	}
	if len(rules) < minDemoRules || len(rules) < len(demoRules) {
		t.Errorf("demo capture: alerts from %d distinct rules, want at least %d (pipeline's demo test needs %d): %v",
			len(rules), len(demoRules), minDemoRules, rules)
	}
	t.Logf("demo capture: %d failed execs in %d PATH searches, alerts from %d rules", failed, nextSearch, len(rules))
}
