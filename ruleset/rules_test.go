package ruleset_test

// The rule-test harness of the default ruleset. Every rule has a fixture file
// testdata/rules/<slug>.yaml with events that must fire it and near-misses
// that must not. Fixtures are written in a compact spec (see eventSpec and
// procSpec) that this file turns into event.Event values with a full process
// chain, then runs through the real loader and engine over the whole default
// ruleset.

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/ttpwatch/ttpwatch/attack"
	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset"
	"github.com/ttpwatch/ttpwatch/sensor"
)

const fixtureDir = "testdata/rules"

// fixture is one rule's test file.
type fixture struct {
	// Rule is the exact name of the rule under test.
	Rule string `yaml:"rule"`
	// Fires are events that must make the rule fire.
	Fires []eventSpec `yaml:"fires"`
	// Quiet are near-misses: events close to Fires that must not fire it.
	Quiet []eventSpec `yaml:"quiet"`
}

// eventSpec describes one event. Unset fields take defaults that make a
// plausible successful syscall: type execve, result 0 (the descriptor for
// open, socket, memfd_create and accept), exe path as the exec's path.
type eventSpec struct {
	// Note says what the case shows; it is printed when the case fails.
	Note string `yaml:"note"`
	// Type is the Falco evt.type name (execve when empty).
	Type string `yaml:"type"`
	Res  *int64 `yaml:"res"`
	// Fd is the event's descriptor (oldfd for dup*); Fd2 is dup's newfd.
	Fd    *int64 `yaml:"fd"`
	Fd2   *int64 `yaml:"fd2"`
	Path  string `yaml:"path"`
	Path2 string `yaml:"path2"`
	// FSType is the filesystem type of mount.
	FSType string `yaml:"fstype"`
	// Flags are flag names (O_WRONLY, MS_BIND, CLONE_NEWUSER, ...) or numbers.
	Flags []string `yaml:"flags"`
	// Mode is an octal file mode ("4755").
	Mode string    `yaml:"mode"`
	Sock *sockSpec `yaml:"sock"`
	// TargetPid is the pid argument of kill and ptrace.
	TargetPid int64 `yaml:"target_pid"`
	// Signal (SIGKILL), Request (PTRACE_ATTACH) and Cmd (BPF_PROG_LOAD) by name.
	Signal  string `yaml:"signal"`
	Request string `yaml:"request"`
	Cmd     string `yaml:"cmd"`
	// UIDs are the id arguments of setuid/setresuid and friends.
	UIDs []int64 `yaml:"uids"`
	// PrevIDs are the caller's ids before setuid & co (uid, euid or gid, egid).
	PrevIDs []int64   `yaml:"prev_ids"`
	Proc    *procSpec `yaml:"proc"`
}

// sockSpec describes the socket of a network event. Addresses are ip:port.
type sockSpec struct {
	Family string `yaml:"family"` // inet (default), inet6, unix, packet, or a number
	Type   string `yaml:"type"`   // stream (default), dgram, raw
	Proto  uint16 `yaml:"proto"`
	Role   string `yaml:"role"` // client (default for connect/sendto), server
	Local  string `yaml:"local"`
	Remote string `yaml:"remote"`
	Unix   string `yaml:"unix"`
}

// procSpec describes a process and, through Parent, its ancestry.
type procSpec struct {
	Name string `yaml:"name"` // comm
	// Exe is argv[0]; the name when unset. Set it to "" explicitly for an
	// empty argv.
	Exe *string `yaml:"exe"`
	// ExePath defaults to /usr/bin/<name>.
	ExePath string `yaml:"exepath"`
	// Args is the argument line, split like a shell would (quotes group).
	Args string `yaml:"args"`
	Cwd  string `yaml:"cwd"`
	// User defaults to the child's user, root at the top; UID to the user's
	// usual id. LoginUID defaults to the uid; -1 means unset.
	User      string  `yaml:"user"`
	UID       *uint32 `yaml:"uid"`
	LoginUID  *int64  `yaml:"loginuid"`
	Tty       uint32  `yaml:"tty"`
	Container string  `yaml:"container"` // "host" when unset (or the child's)
	Memfd     bool    `yaml:"memfd"`
	Upper     bool    `yaml:"upper_layer"`
	// Env is the environment, KEY=VALUE strings; unknown when unset.
	Env []string `yaml:"env"`
	// Written is how long before the process started its executable was
	// last modified (a Go duration, "30s"); unknown when unset.
	Written string    `yaml:"written"`
	Parent  *procSpec `yaml:"parent"`
}

// knownUIDs are the ids fixtures' user names resolve to.
var knownUIDs = map[string]uint32{
	"root": 0, "daemon": 1, "bin": 2, "www-data": 33, "nobody": 65534, "postgres": 112,
	"mysql": 113, "redis": 114, "alice": 1000, "bob": 1001,
}

func userName(uid uint32) string {
	for n, id := range knownUIDs {
		if id == uid {
			return n
		}
	}
	return ""
}

// splitArgs splits an argument line at spaces outside quotes, removing the
// quotes, as a shell would for simple cases.
func splitArgs(s string) []string {
	var out []string
	var cur strings.Builder
	inArg := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inArg = r, true
		case r == ' ' || r == '\t':
			if inArg {
				out = append(out, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(r)
			inArg = true
		}
	}
	if inArg {
		out = append(out, cur.String())
	}
	return out
}

// builder turns specs into events with unique pids and event numbers.
type builder struct {
	nextPid uint32
	nextNum uint64
}

const baseTime = int64(1_700_000_000_000_000_000)

// process builds the process of spec s (and its ancestors). inheritUser and
// inheritContainer are the child's, used when s leaves them unset.
func (b *builder) process(s *procSpec, inheritUser, inheritContainer string) (*event.Process, error) {
	if s.Name == "" {
		return nil, fmt.Errorf("process without a name")
	}
	user := s.User
	if user == "" {
		user = inheritUser
	}
	if user == "" {
		user = "root"
	}
	container := s.Container
	if container == "" {
		container = inheritContainer
	}
	if container == "" {
		container = "host"
	}
	var parent *event.Process
	if s.Parent != nil {
		var err error
		if parent, err = b.process(s.Parent, user, container); err != nil {
			return nil, err
		}
	}
	uid, ok := knownUIDs[user]
	if s.UID != nil {
		uid = *s.UID
	} else if !ok {
		uid = 1000
	}
	loginUID := uint32(uid)
	if s.LoginUID != nil {
		if *s.LoginUID < 0 {
			loginUID = 4294967295
		} else {
			loginUID = uint32(*s.LoginUID)
		}
	}
	exe := s.Name
	if s.Exe != nil {
		exe = *s.Exe
	}
	exePath := s.ExePath
	if exePath == "" {
		exePath = "/usr/bin/" + s.Name
	}
	cwd := s.Cwd
	if cwd == "" {
		cwd = "/"
	}
	b.nextPid += 7
	p := &event.Process{
		Pid: b.nextPid, Vpid: b.nextPid, Sid: b.nextPid, Pgid: b.nextPid, Tty: s.Tty,
		Uid: uid, Gid: uid, Euid: uid, LoginUID: loginUID,
		Comm: s.Name, Exe: exe, ExePath: exePath, Args: splitArgs(s.Args), Cwd: cwd,
		ExeFromMemfd: s.Memfd, ExeUpperLayer: s.Upper,
		UserName: user, GroupName: user, LoginName: userName(loginUID),
		ContainerID: container, StartTime: baseTime, Parent: parent,
	}
	if parent != nil {
		p.Ppid = parent.Pid
	}
	if s.Env != nil {
		p.Env, p.EnvLine = event.JoinEnv(s.Env)
	}
	if s.Written != "" {
		v, err := time.ParseDuration(s.Written)
		if err != nil {
			panic(fmt.Sprintf("fixture %s: bad duration %q", s.Name, s.Written))
		}
		p.ExeIno, p.ExeMtime = uint64(b.nextPid), baseTime-v.Nanoseconds()
	}
	p.ArgLine = strings.Join(p.Args, " ")
	p.Cmdline, p.ExeLine = p.Comm, p.Exe
	if p.ArgLine != "" {
		p.Cmdline += " " + p.ArgLine
		p.ExeLine += " " + p.ArgLine
	}
	return p, nil
}

// flagBits resolves flag names through the registry's evt.arg.flags table,
// keeping only the Linux bits (the registry tags values with their table).
func flagBits(names []string) (uint64, error) {
	f, ok := event.Lookup("evt.arg.flags")
	if !ok || f.FlagValue == nil {
		return 0, fmt.Errorf("evt.arg.flags is not a flags field")
	}
	const linuxBits = uint64(1)<<40 - 1
	var bits uint64
	for _, n := range names {
		if v, err := strconv.ParseUint(n, 0, 64); err == nil {
			bits |= v
			continue
		}
		if n == "O_RDONLY" {
			continue
		}
		v, ok := f.FlagValue(n)
		if !ok {
			return 0, fmt.Errorf("unknown flag %q", n)
		}
		bits |= v & linuxBits
	}
	return bits, nil
}

// bpfCmds are the bpf(2) commands fixtures use, by name.
var bpfCmds = map[string]int64{"BPF_MAP_CREATE": 0, "BPF_MAP_LOOKUP_ELEM": 1, "BPF_PROG_LOAD": 5, "BPF_OBJ_GET": 7}

var sockFamilies = map[string]uint16{"": event.AFInet, "inet": event.AFInet, "inet6": event.AFInet6,
	"unix": event.AFUnix, "packet": 17, "netlink": 16}

var sockTypes = map[string]uint16{"": 1, "stream": 1, "dgram": 2, "raw": 3}

func addrPort(s string) (netip.AddrPort, error) {
	if s == "" {
		return netip.AddrPort{}, nil
	}
	return netip.ParseAddrPort(s)
}

// event builds the event of spec s.
func (b *builder) event(s *eventSpec) (*event.Event, error) {
	typeName := s.Type
	if typeName == "" {
		typeName = "execve"
	}
	typ, ok := event.ParseType(typeName)
	if !ok {
		return nil, fmt.Errorf("unknown event type %q", typeName)
	}
	if s.Proc == nil {
		return nil, fmt.Errorf("event without a proc")
	}
	proc, err := b.process(s.Proc, "", "")
	if err != nil {
		return nil, err
	}
	b.nextNum++
	ev := &event.Event{Num: b.nextNum, Time: baseTime + int64(b.nextNum), Type: typ, Tid: proc.Pid,
		Proc: proc, Path: s.Path, Path2: s.Path2, FSType: s.FSType, TargetPid: s.TargetPid}

	returnsFd := false
	switch typ {
	case event.TypeOpen, event.TypeOpenat, event.TypeOpenat2, event.TypeCreat, event.TypeSocket,
		event.TypeMemfdCreate, event.TypeAccept, event.TypeAccept4, event.TypeUserfaultfd, event.TypeBpf:
		returnsFd = true
	case event.TypeExecve, event.TypeExecveat:
		if ev.Path == "" {
			ev.Path = proc.ExePath
		}
	}
	ev.Fd = 3
	if s.Fd != nil {
		ev.Fd = *s.Fd
	}
	if s.Fd2 != nil {
		ev.Fd2 = *s.Fd2
	}
	switch {
	case s.Res != nil:
		ev.Res = *s.Res
	case typ == event.TypeDup2 || typ == event.TypeDup3:
		ev.Res = ev.Fd2
	case returnsFd:
		ev.Res = ev.Fd
	}
	if ev.Flags, err = flagBits(s.Flags); err != nil {
		return nil, err
	}
	if s.Mode != "" {
		m, err := strconv.ParseUint(s.Mode, 8, 32)
		if err != nil {
			return nil, fmt.Errorf("mode %q: %w", s.Mode, err)
		}
		ev.Mode = uint32(m)
	}
	if s.Signal != "" {
		if ev.Signal, ok = event.SignalValue(s.Signal); !ok {
			return nil, fmt.Errorf("unknown signal %q", s.Signal)
		}
	}
	if s.Request != "" {
		if ev.Request, ok = event.PtraceRequestValue(s.Request); !ok {
			return nil, fmt.Errorf("unknown ptrace request %q", s.Request)
		}
	}
	if s.Cmd != "" {
		if ev.Cmd, ok = bpfCmds[s.Cmd]; !ok {
			return nil, fmt.Errorf("unknown bpf cmd %q", s.Cmd)
		}
	}
	ev.UIDs = [3]int64{-1, -1, -1}
	copy(ev.UIDs[:], s.UIDs)
	copy(ev.PrevIDs[:], s.PrevIDs)
	if s.Sock != nil {
		if err := fillSock(ev, s.Sock); err != nil {
			return nil, err
		}
	}
	return ev, nil
}

func fillSock(ev *event.Event, s *sockSpec) error {
	fam, ok := sockFamilies[s.Family]
	if !ok {
		n, err := strconv.ParseUint(s.Family, 0, 16)
		if err != nil {
			return fmt.Errorf("unknown socket family %q", s.Family)
		}
		fam = uint16(n)
	}
	typ, ok := sockTypes[s.Type]
	if !ok {
		return fmt.Errorf("unknown socket type %q", s.Type)
	}
	local, err := addrPort(s.Local)
	if err != nil {
		return fmt.Errorf("local address: %w", err)
	}
	remote, err := addrPort(s.Remote)
	if err != nil {
		return fmt.Errorf("remote address: %w", err)
	}
	role := event.RoleClient
	switch s.Role {
	case "", "client":
		if ev.Type == event.TypeAccept || ev.Type == event.TypeAccept4 || ev.Type == event.TypeBind || ev.Type == event.TypeListen {
			role = event.RoleServer
		}
	case "server":
		role = event.RoleServer
	default:
		return fmt.Errorf("unknown socket role %q", s.Role)
	}
	if role == event.RoleClient && !local.IsValid() && remote.IsValid() {
		local = netip.AddrPortFrom(netip.MustParseAddr("10.0.0.5"), 43210)
		if remote.Addr().Is6() {
			local = netip.AddrPortFrom(netip.MustParseAddr("fd00::5"), 43210)
		}
	}
	ev.Sock = event.Sock{Family: fam, Type: typ, Proto: s.Proto, Role: role, Local: local, Remote: remote, UnixPath: s.Unix}
	return nil
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slug is the fixture file name of a rule: lower case, runs of other
// characters as one dash.
func slug(rule string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(rule), "-"), "-")
}

// loadDefaults loads the embedded default ruleset and fails on any warning:
// the shipped rules must be clean.
func loadDefaults(t *testing.T) *ruleset.Ruleset {
	t.Helper()
	rs, err := ruleset.LoadDefaults()
	if err != nil {
		t.Fatalf("load default rules: %v", err)
	}
	for _, w := range rs.Warnings {
		t.Errorf("default rules warning: %s", w)
	}
	return rs
}

func readFixture(path string) (*fixture, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f fixture
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return &f, nil
}

// TestRuleFixtures runs every rule's fixture: each fires event must make the
// rule fire and each quiet event must not, both as built and after a round
// trip through the capture format and the replay source (the events are
// then replayed records, as a recorded attack would be). A rule without a fixture file, a
// fixture without both kinds of cases, and a fixture naming no rule all fail.
func TestRuleFixtures(t *testing.T) {
	rs := loadDefaults(t)
	eng, err := ruleset.NewEngine(rs.Rules, ruleset.DefaultOptions())
	if err != nil {
		t.Fatalf("engine over default rules: %v", err)
	}
	byName := map[string]bool{}
	for _, r := range rs.Rules {
		byName[r.Name] = true
	}
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, path := range files {
		f, err := readFixture(path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if !byName[f.Rule] {
			t.Errorf("%s: rule %q is not in the default ruleset", path, f.Rule)
			continue
		}
		if want := filepath.Join(fixtureDir, slug(f.Rule)+".yaml"); path != want {
			t.Errorf("%s: fixture for %q must be named %s", path, f.Rule, want)
		}
		seen[f.Rule] = path
	}
	b := &builder{nextPid: 1000}
	for _, r := range rs.Rules {
		t.Run(slug(r.Name), func(t *testing.T) {
			path, ok := seen[r.Name]
			if !ok {
				t.Fatalf("rule %q has no fixture %s", r.Name, filepath.Join(fixtureDir, slug(r.Name)+".yaml"))
			}
			f, err := readFixture(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Fires) == 0 || len(f.Quiet) == 0 {
				t.Fatalf("%s: need at least one fires and one quiet case (have %d, %d)", path, len(f.Fires), len(f.Quiet))
			}
			// Build every case once; the same events then run directly and
			// as a replayed capture.
			type fixtureCase struct {
				kind string
				i    int
				spec *eventSpec
				want bool
				ev   *event.Event
			}
			var fcs []fixtureCase
			add := func(kind string, specs []eventSpec, want bool) {
				for i := range specs {
					ev, err := b.event(&specs[i])
					if err != nil {
						t.Errorf("%s %s[%d]: %v", path, kind, i, err)
						continue
					}
					fcs = append(fcs, fixtureCase{kind, i, &specs[i], want, ev})
				}
			}
			add("fires", f.Fires, true)
			add("quiet", f.Quiet, false)
			check := func(how string, fc fixtureCase, ev *event.Event) {
				got := map[string]bool{}
				eng.Process(ev, func(m ruleset.Match) { got[m.Rule.Name] = true })
				if got[r.Name] != fc.want {
					t.Errorf("%s %s[%d] (%s, %s): rule fired = %v, want %v\n  event: %s %s cmdline=%q path=%q\n  fired: %v",
						path, fc.kind, fc.i, how, fc.spec.Note, got[r.Name], fc.want, ev.Type, ev.Proc.Comm, ev.Proc.Cmdline, ev.Path, sortedKeys(got))
				}
			}
			for _, fc := range fcs {
				check("direct", fc, fc.ev)
			}
			// The capture round trip: record the events, replay them through
			// the sensor's replay source, expect the same verdicts.
			capture := filepath.Join(t.TempDir(), "fixture.jsonl")
			out, err := os.Create(capture)
			if err != nil {
				t.Fatal(err)
			}
			rec := sensor.NewRecorder(out, false)
			for _, fc := range fcs {
				if err := rec.Write(fc.ev); err != nil {
					t.Fatalf("record %s: %v", path, err)
				}
			}
			if err := rec.Close(); err != nil {
				t.Fatalf("record %s: %v", path, err)
			}
			if err := out.Close(); err != nil {
				t.Fatal(err)
			}
			rp, err := sensor.OpenReplay(capture, 0)
			if err != nil {
				t.Fatalf("replay %s: %v", path, err)
			}
			n := 0
			err = rp.Run(context.Background(), func(ev *event.Event) {
				if n < len(fcs) {
					check("replayed", fcs[n], ev)
				}
				n++
			})
			if err != nil {
				t.Fatalf("replay %s: %v", path, err)
			}
			if n != len(fcs) {
				t.Errorf("replay %s: %d events, recorded %d", path, n, len(fcs))
			}
		})
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var techniqueTag = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)

// TestRulesetCoverage counts rules, distinct ATT&CK techniques and tactics of
// the default ruleset against the catalog, and checks each rule's tags: at
// least one mitre_<tactic> tag, at least one technique id, every technique
// in the catalog and serving one of the rule's tactics.
func TestRulesetCoverage(t *testing.T) {
	rs := loadDefaults(t)
	cat := attack.Default()
	techniques := map[string]bool{}
	tactics := map[string]bool{}
	for _, r := range rs.Rules {
		var ruleTactics []*attack.Tactic
		var ruleTechs []*attack.Technique
		for _, tag := range r.Tags {
			switch {
			case strings.HasPrefix(tag, "mitre_"):
				ta, ok := cat.Tactic(tag)
				if !ok {
					t.Errorf("rule %q: tag %q names no ATT&CK tactic", r.Name, tag)
					continue
				}
				ruleTactics = append(ruleTactics, ta)
				tactics[ta.ID] = true
			case techniqueTag.MatchString(tag):
				te, ok := cat.Technique(tag)
				if !ok {
					t.Errorf("rule %q: technique %s is not in the Linux ATT&CK catalog", r.Name, tag)
					continue
				}
				ruleTechs = append(ruleTechs, te)
				techniques[te.ID] = true
			}
		}
		if len(ruleTactics) == 0 || len(ruleTechs) == 0 {
			t.Errorf("rule %q: needs a mitre_<tactic> tag and a technique id (tags %v)", r.Name, r.Tags)
		}
		for _, te := range ruleTechs {
			served := false
			for _, ta := range ruleTactics {
				served = served || te.HasTactic(ta)
			}
			if !served {
				t.Errorf("rule %q: technique %s serves none of the rule's tactics", r.Name, te.ID)
			}
		}
		if strings.TrimSpace(r.Desc) == "" || strings.TrimSpace(r.Output) == "" {
			t.Errorf("rule %q: needs a desc and an output", r.Name)
		}
	}
	t.Logf("default ruleset: %d rules, %d distinct techniques, %d tactics", len(rs.Rules), len(techniques), len(tactics))
	if len(rs.Rules) < 60 {
		t.Errorf("%d rules, want at least 60", len(rs.Rules))
	}
	if len(techniques) < 45 {
		t.Errorf("%d distinct techniques, want at least 45", len(techniques))
	}
	if len(tactics) < 10 {
		t.Errorf("%d tactics, want at least 10", len(tactics))
	}
}

// TestSlug pins the fixture naming scheme.
func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Shell spawned by a web server":        "shell-spawned-by-a-web-server",
		"SSH authorized_keys modified":         "ssh-authorized-keys-modified",
		"Redirection to /dev/tcp or /dev/udp!": "redirection-to-dev-tcp-or-dev-udp",
		"Disable recovery features":            "disable-recovery-features",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSplitArgs pins the fixture argument splitter.
func TestSplitArgs(t *testing.T) {
	for in, want := range map[string][]string{
		`-c "curl x | sh"`: {"-c", "curl x | sh"},
		`a  b`:             {"a", "b"},
		`-e 'print 1' ''`:  {"-e", "print 1", ""},
		``:                 nil,
	} {
		got := splitArgs(in)
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") || len(got) != len(want) {
			t.Errorf("splitArgs(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRulesNameTheirEventTypes keeps every default rule indexable: a rule
// whose condition admits every event type would be evaluated for all events
// (Falco warns about such rules too).
func TestRulesNameTheirEventTypes(t *testing.T) {
	rs := loadDefaults(t)
	eng, err := ruleset.NewEngine(rs.Rules, ruleset.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range eng.Rules() {
		if n := len(st.Program.Types); n == 0 || n >= int(event.NumTypes)-1 {
			t.Errorf("rule %q: condition admits %d event types; name the evt.type it needs", st.Rule.Name, n)
		}
	}
}
