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
