package ui

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset"
)

// The fixed data set of the golden tests: a small process tree, four
// rules and a handful of alerts and events at a fixed time.

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func at(sec int) int64 { return t0.Add(time.Duration(sec) * time.Second).UnixNano() }

func proc(pid, ppid uint32, parent *event.Process, user string, uid uint32, comm, exe string, args ...string) *event.Process {
	p := &event.Process{
		Pid: pid, Ppid: ppid, Vpid: pid, Sid: ppid, Uid: uid, Gid: uid, UserName: user, GroupName: user,
		LoginName: user, Comm: comm, Exe: exe, ExePath: exe, Args: args, Cwd: "/home/" + user,
		ContainerID: "host", StartTime: at(-int(1000 - pid%1000)), Parent: parent,
	}
	p.Cmdline = strings.TrimSpace(comm + " " + strings.Join(args, " "))
	p.ArgLine = strings.Join(args, " ")
	p.ExeLine = strings.TrimSpace(exe + " " + p.ArgLine)
	return p
}

// fixture is the data set and fakes behind one test model.
type fixture struct {
	procs  []*event.Process
	byPid  map[uint32]*event.Process
	rules  *fakeRules
	killer *fakeKiller
	alerts []*ruleset.Detection
	events []*event.Event
	// chattr and evil are the alerting processes.
	chattr, evil *event.Process
}

func newFixture() *fixture {
	f := &fixture{byPid: map[uint32]*event.Process{}}
	systemd := proc(1, 0, nil, "root", 0, "systemd", "/usr/lib/systemd/systemd", "--system")
	sshd := proc(812, 1, systemd, "root", 0, "sshd", "/usr/sbin/sshd", "-D")
	sess := proc(1200, 812, sshd, "alice", 1000, "sshd", "/usr/sbin/sshd", "-D", "-R")
	bash := proc(1201, 1200, sess, "alice", 1000, "bash", "/usr/bin/bash")
	bash.Tty = 136<<8 | 3 // pts/3
	f.chattr = proc(1300, 1201, bash, "alice", 1000, "chattr", "/usr/bin/chattr", "+i", "/etc/important.conf")
	f.evil = proc(1400, 1201, bash, "alice", 1000, "evil", "/tmp/evil", "\x1b]0;pwned\x07", "\x1b]52;c;cHduZWQ=\x07")
	cron := proc(900, 1, systemd, "root", 0, "cron", "/usr/sbin/cron", "-f")
	sh := proc(2000, 900, cron, "root", 0, "sh", "/bin/sh", "-c", "run-parts /etc/cron.hourly")
	sh.ExitTime.Store(at(-5))
	f.procs = []*event.Process{systemd, sshd, sess, bash, f.chattr, f.evil, cron, sh}
	for _, p := range f.procs {
		f.byPid[p.Pid] = p
	}

	f.rules = &fakeRules{rules: []RuleInfo{
		{Name: "Disable recovery features", Priority: ruleset.Critical,
			Desc:      "Detects disabling system recovery features by deleting or disabling services and commands",
			Tags:      []string{"mitre_impact", "inhibit_system_recovery", "T1490"},
			Condition: "spawned_process and proc.name = \"chattr\" and proc.args contains \"+i\" and user.name != \"root\"",
			Compiled:  "evt.type in [execve, execveat] && proc.name == \"chattr\" && contains(proc.args, \"+i\") && user.name != \"root\"",
			Output:    "Disabling recovery features (%proc.cmdline %user.name %proc.pname %container.id)",
			Enabled:   true, LoadedEnabled: true, File: "rules/impact.yaml", Line: 3},
		{Name: "Terminal shell in container", Priority: ruleset.Notice,
			Desc: "A shell was spawned with a terminal", Tags: []string{"mitre_execution", "T1059.004"},
			Condition: "spawned_process and shell_procs and proc.tty != 0", Enabled: true, LoadedEnabled: true,
			File: "rules/execution.yaml", Line: 10},
		{Name: "Read sensitive file untrusted", Priority: ruleset.Warning,
			Desc: "Reads of /etc/shadow", Tags: []string{"mitre_credential_access", "T1003.008"},
			Condition: "open_read and fd.name = /etc/shadow", Exceptions: "- name: trusted\n  fields: proc.name\n  values: [sshd]",
			Enabled: true, LoadedEnabled: true, File: "rules/credential_access.yaml", Line: 5},
		{Name: "Clear log activities", Priority: ruleset.Warning,
			Desc: "Log files truncated", Tags: []string{"mitre_defense_evasion", "T1070.002"},
			Condition: "open_write and fd.name startswith /var/log", Enabled: false, LoadedEnabled: false,
			File: "rules/defense_evasion.yaml", Line: 8},
	}}
	f.killer = &fakeKiller{}

	rule := func(name string) *ruleset.Rule {
		r := f.rules.get(name)
		return &ruleset.Rule{Name: r.Name, Priority: r.Priority, Tags: r.Tags}
	}
	exec := func(sec int, p *event.Process) *event.Event {
		return &event.Event{Num: uint64(sec + 100), Time: at(sec), Type: event.TypeExecve, Tid: p.Pid, Proc: p}
	}
	mk := func(sec int, name string, e *event.Event, out string) *ruleset.Detection {
		r := rule(name)
		f.rules.hit(name, time.Unix(0, e.Time))
		return &ruleset.Detection{
			Time: time.Unix(0, e.Time).UTC(), Rule: r, Priority: r.Priority, Tags: r.Tags, Event: e,
			Output: time.Unix(0, e.Time).UTC().Format("15:04:05.000000000") + ": " + r.Priority.String() + " " + out,
			OutputFields: map[string]any{"proc.cmdline": e.Proc.Cmdline, "user.name": e.Proc.UserName,
				"proc.pname": "bash", "container.id": "host", "evt.time": e.Time},
		}
	}
	eBash := exec(1, bash)
	eShadow := &event.Event{Num: 103, Time: at(3), Type: event.TypeOpenat, Tid: bash.Pid, Proc: bash, Path: "/etc/shadow", Res: 3}
	eConn := &event.Event{Num: 104, Time: at(4), Type: event.TypeConnect, Tid: bash.Pid, Proc: bash,
		Sock: event.Sock{Family: event.AFInet, Remote: netip.MustParseAddrPort("203.0.113.7:4444")}}
	eChattr := exec(5, f.chattr)
	eEvil := exec(6, f.evil)
	f.events = []*event.Event{eBash, eShadow, eConn, eChattr, eEvil}
	f.alerts = []*ruleset.Detection{
		mk(1, "Terminal shell in container", eBash, "Shell spawned with a terminal (user=alice shell=bash)"),
		mk(3, "Read sensitive file untrusted", eShadow, "Sensitive file opened for reading (file=/etc/shadow user=alice)"),
		mk(5, "Disable recovery features", eChattr, "Disabling recovery features so that the system becomes non-recoverable in case of failure. (chattr +i /etc/important.conf alice bash host)"),
		mk(6, "Disable recovery features", eEvil, "Disabling recovery features (evil "+f.evil.ArgLine+" alice bash host)"),
	}
	return f
}

// deps returns the fakes as Deps.
func (f *fixture) deps() Deps {
	return Deps{Rules: f.rules, Procs: f, Killer: f.killer, Filter: fakeFilter}
}

// batch is the whole data set as one batch.
func (f *fixture) batch() Batch {
	return Batch{Alerts: f.alerts, Events: f.events, Stats: Stats{
		EventsPerSec: 1234, AlertsPerSec: 0.5, Drops: map[string]uint64{"kernel": 0, "pipeline": 0, "ui": 0},
		RulesEnabled: 3, RulesTotal: 4, Source: "replay testdata/fixed.cap", Start: t0.Add(-90 * time.Minute)}}
}

func (f *fixture) Processes() []*event.Process { return f.procs }
func (f *fixture) Process(pid uint32) *event.Process {
	return f.byPid[pid]
}
func (f *fixture) Children(pid uint32) []*event.Process {
	var out []*event.Process
	for _, p := range f.procs {
		if p.Ppid == pid && p.Pid != pid {
			out = append(out, p)
		}
	}
	return out
}

// fakeRules is a RuleController over a slice, recording calls.
type fakeRules struct {
	mu    sync.Mutex
	rules []RuleInfo
	calls []string
}

func (r *fakeRules) get(name string) *RuleInfo {
	for i := range r.rules {
		if r.rules[i].Name == name {
			return &r.rules[i]
		}
	}
	panic("no rule " + name)
}

func (r *fakeRules) hit(name string, t time.Time) {
	ru := r.get(name)
	ru.Hits++
	ru.LastHit = t
}

func (r *fakeRules) Rules() []RuleInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]RuleInfo(nil), r.rules...)
}

func (r *fakeRules) SetEnabled(name string, on bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, fmt.Sprintf("SetEnabled(%s,%t)", name, on))
	for i := range r.rules {
		if r.rules[i].Name == name {
			r.rules[i].Enabled = on
			return nil
		}
	}
	return errors.New("no such rule")
}

func (r *fakeRules) SetTagEnabled(tag string, on bool) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, fmt.Sprintf("SetTagEnabled(%s,%t)", tag, on))
	n := 0
	for i := range r.rules {
		for _, t := range r.rules[i].Tags {
			if t == tag && r.rules[i].Enabled != on {
				r.rules[i].Enabled = on
				n++
			}
		}
	}
	return n, nil
}

func (r *fakeRules) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

// fakeKiller records the signals sent.
type fakeKiller struct {
	mu    sync.Mutex
	calls []string
}

func (k *fakeKiller) Kill(pid uint32, sig syscall.Signal) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls = append(k.calls, fmt.Sprintf("%d:%s", pid, sig))
	return nil
}

func (k *fakeKiller) Calls() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.calls...)
}

// fakeFilter understands `proc.name = NAME` only, like a tiny subset of
// the condition language, and reports anything else as an error with a
// position, as the real compiler does.
func fakeFilter(text string) (func(*event.Event) bool, error) {
	var name string
	if _, err := fmt.Sscanf(text, "proc.name = %s", &name); err != nil {
		return nil, fmt.Errorf("1:1: unknown field %q", strings.Fields(text)[0])
	}
	return func(e *event.Event) bool { return e.Proc != nil && e.Proc.Comm == name }, nil
}

func TestMain(m *testing.M) {
	// Times render in the local zone: fix it for stable golden files.
	time.Local = time.UTC
	m.Run()
}
