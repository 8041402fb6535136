package ruleset

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func TestFormatOutput(t *testing.T) {
	ev := execEvent("alice", "chattr", "/home/alice", "+i", "f")
	cases := []struct {
		output string
		want   string
		fields []string
	}{
		{"plain text", "plain text", nil},
		{"%proc.name ran", "chattr ran", []string{"proc.name"}},
		{"cmd=%(proc.cmdline)!", "cmd=chattr +i f!", []string{"proc.cmdline"}},
		{"by %user.name.", "by alice.", []string{"user.name"}},
		{"parent=%proc.aname[1] gp=%proc.aname[2]", "parent=bash gp=<NA>", []string{"proc.aname[1]", "proc.aname[2]"}},
		{"100% sure, %user.name %user.name", "100% sure, alice alice", []string{"user.name"}},
		{"pid=%proc.pid%proc.name", "pid=200chattr", []string{"proc.pid", "proc.name"}},
		{"c=%container.info", "c=host", []string{"container.id"}},
		{"%", "%", nil},
	}
	for _, c := range cases {
		t.Run(c.output, func(t *testing.T) {
			rs := mustLoad(t, "- rule: R\n  desc: d\n  condition: evt.type = execve\n  output: '"+c.output+"'\n  priority: INFO\n")
			r := rs.Rule("R")
			if got := r.FormatOutput(ev); got != c.want {
				t.Errorf("FormatOutput = %q, want %q", got, c.want)
			}
			if got := r.OutputFields(); !reflect.DeepEqual(got, c.fields) && len(got)+len(c.fields) > 0 {
				t.Errorf("OutputFields = %v, want %v", got, c.fields)
			}
		})
	}
}

func TestSetOutput(t *testing.T) {
	r := &Rule{Name: "R"}
	if err := r.SetOutput("x %nope.nope"); err == nil || !strings.Contains(err.Error(), `rule "R": output: unknown field "nope.nope"`) {
		t.Errorf("SetOutput error = %v", err)
	}
	if err := r.SetOutput("n=%proc.name"); err != nil {
		t.Fatal(err)
	}
	if got := r.FormatOutput(execEvent("bob", "id", "/")); got != "n=id" || r.Output != "n=%proc.name" {
		t.Errorf("got %q, Output %q", got, r.Output)
	}
}

func TestParseOutputErrors(t *testing.T) {
	for _, c := range []struct{ in, msg string }{
		{"x %usr.name", `unknown field "usr.name"`},
		{"x %(proc.name", "unclosed %("},
		{"x %proc.name[1]", `field "proc.name" takes no argument`},
		{"x %proc.aname[z]", "argument must be a non-negative number"},
	} {
		if _, err := ParseOutput(c.in); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("ParseOutput(%q) = %v, want %q", c.in, err, c.msg)
		}
	}
	if got, err := ParseOutput("%proc.name %fd.name"); err != nil || !reflect.DeepEqual(got, []string{"proc.name", "fd.name"}) {
		t.Errorf("ParseOutput = %v, %v", got, err)
	}
}

// golden compares got with testdata/alert/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "alert", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file\n got  %s\n want %s", name, got, want)
	}
}

// TestAlertJSON checks the alert is Falco's JSON, byte for byte against a
// golden file, and that output_fields are typed.
func TestAlertJSON(t *testing.T) {
	rs, err := LoadPaths(filepath.Join("testdata", "alert", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	extra := mustLoad(t, "- rule: Typed fields\n  desc: d\n  condition: evt.type = execve\n"+
		"  output: pid=%proc.pid memfd=%proc.is_exe_from_memfd pod=%k8s.pod.name gp=%proc.aname[2] res=%evt.res\n"+
		"  priority: notice\n  tags: []\n")
	ev := execEvent("alice", "chattr", "/home/alice", "+i", "f")
	for _, c := range []struct {
		rule, file string
		r          *Rule
	}{
		{"Inhibit system recovery", "inhibit_system_recovery.json", rs.Rule("Inhibit system recovery")},
		{"Disable recovery features", "disable_recovery_features.json", rs.Rule("Disable recovery features")},
		{"Typed fields", "typed_fields.json", extra.Rule("Typed fields")},
	} {
		t.Run(c.rule, func(t *testing.T) {
			a := NewAlert(Match{Rule: c.r, Event: ev}, "host-1")
			b, err := a.JSON()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.file, append(b, '\n'))
			if mb, err := json.Marshal(a); err != nil || !json.Valid(mb) {
				t.Errorf("json.Marshal: %v", err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			keys := []string{"hostname", "output", "output_fields", "priority", "rule", "source", "tags", "time"}
			for _, k := range keys {
				if _, ok := m[k]; !ok {
					t.Errorf("key %q missing", k)
				}
			}
			if len(m) != len(keys) {
				t.Errorf("got %d keys, want %d", len(m), len(keys))
			}
			of := m["output_fields"].(map[string]any)
			if _, ok := of["evt.time"].(float64); !ok {
				t.Errorf("evt.time = %#v, want a number", of["evt.time"])
			}
			if m["time"] != "2023-11-14T22:13:20.000000000Z" {
				t.Errorf("time = %v", m["time"])
			}
		})
	}
	t.Run("typed values", func(t *testing.T) {
		a := NewAlert(Match{Rule: extra.Rule("Typed fields"), Event: ev}, "h")
		want := map[string]any{"proc.pid": int64(200), "proc.is_exe_from_memfd": false, "k8s.pod.name": nil,
			"proc.aname[2]": nil, "evt.res": "SUCCESS", "evt.time": ev.Time}
		if !reflect.DeepEqual(a.OutputFields, want) {
			t.Errorf("OutputFields = %#v\nwant %#v", a.OutputFields, want)
		}
	})
	t.Run("event is cloned", func(t *testing.T) {
		ev2 := execEvent("alice", "chattr", "/home/alice", "+i", "f")
		a := NewAlert(Match{Rule: rs.Rule("Disable recovery features"), Event: ev2}, "h")
		ev2.Type = 0
		if a.Event == ev2 || a.Event.Type == 0 {
			t.Error("alert shares the pipeline's event")
		}
	})
}

func TestDropAlertJSON(t *testing.T) {
	at := time.Date(2026, 11, 28, 1, 2, 3, 4, time.UTC)
	a := NewDropAlert(at, "host-1", Drops{Kernel: 10, Queue: 2, UI: 5, Events: 1000, Interval: time.Second})
	b, err := a.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "drop.json", append(b, '\n'))
}
