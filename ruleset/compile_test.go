package ruleset

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset/condition"
)

// Fixtures: alice runs chattr from bash in an ssh session; bash opens files;
// nc in a container (root, full capabilities) connects out.

const testT0 = int64(1_700_000_000_000_000_000)

func testProcs() (sshd, bash, chattr, nc *event.Process) {
	initP := &event.Process{Pid: 1, Comm: "systemd", Exe: "/sbin/init", ExePath: "/usr/lib/systemd/systemd",
		Cmdline: "systemd", ContainerID: "host", UserName: "root", LoginUID: 4294967295}
	sshd = &event.Process{Pid: 812, Ppid: 1, Comm: "sshd", Exe: "sshd: alice [priv]", ExePath: "/usr/sbin/sshd",
		Cmdline: "sshd: alice [priv]", ContainerID: "host", UserName: "root", LoginUID: 1000, Parent: initP}
	bash = &event.Process{Pid: 900, Ppid: 812, Comm: "bash", Exe: "-bash", ExePath: "/usr/bin/bash",
		Cwd: "/home/alice", Cmdline: "bash", Uid: 1000, Gid: 1000, Euid: 1000, LoginUID: 1000, Tty: 34816,
		UserName: "alice", GroupName: "alice", ContainerID: "host", Parent: sshd}
	chattr = &event.Process{Pid: 1234, Ppid: 900, Comm: "chattr", Exe: "chattr", ExePath: "/usr/bin/chattr",
		Cwd: "/home/alice", Args: []string{"+i", "secret file.txt"}, ArgLine: "+i secret file.txt",
		Cmdline: "chattr +i secret file.txt", Uid: 1000, Gid: 1000, Euid: 1000, LoginUID: 1000, Tty: 34816,
		UserName: "alice", GroupName: "alice", ContainerID: "host", Parent: bash, StartTime: testT0}
	shim := &event.Process{Pid: 3000, Ppid: 1, Comm: "containerd-shim", ExePath: "/usr/bin/containerd-shim-runc-v2",
		ContainerID: "host", Parent: initP}
	nc = &event.Process{Pid: 3100, Ppid: 3000, Vpid: 1, Comm: "nc", Exe: "nc", ExePath: "/usr/bin/nc",
		Args: []string{"10.0.0.5", "4444"}, ArgLine: "10.0.0.5 4444", Cmdline: "nc 10.0.0.5 4444",
		CapEffective: 1<<41 - 1, CapPermitted: 1<<41 - 1, UserName: "root", LoginUID: 4294967295,
		ContainerID: "3ad7b26ded6d", Parent: shim}
	return
}

func testEvents() map[string]*event.Event {
	_, bash, chattr, nc := testProcs()
	return map[string]*event.Event{
		"exec": {Num: 42, Time: testT0 + 5, Type: event.TypeExecve, Tid: 1234, Proc: chattr},
		"open": {Num: 43, Time: testT0 + 6, Type: event.TypeOpenat, Res: 3, Tid: 900, Proc: bash, Fd: 3,
			Path: "/tmp/stage/Run.sh", PathRaw: "Run.sh", Flags: 0x1 | 0x40 | 0x200 | 0x80000, Mode: 0o755},
		"openro": {Num: 44, Time: testT0 + 7, Type: event.TypeOpenat, Res: -2, Tid: 900, Proc: bash, Fd: -1,
			Path: "/etc/shadow", PathRaw: "/etc/shadow"},
		"connect": {Num: 45, Time: testT0 + 8, Type: event.TypeConnect, Res: -115, Tid: 3100, Proc: nc, Fd: 3,
			Sock: event.Sock{Family: event.AFInet, Type: 1, Role: event.RoleClient,
				Local:  netip.MustParseAddrPort("172.17.0.2:51234"),
				Remote: netip.MustParseAddrPort("10.0.0.5:4444")}},
		"connect6": {Num: 46, Time: testT0 + 9, Type: event.TypeConnect, Res: 0, Tid: 3100, Proc: nc, Fd: 4,
			Sock: event.Sock{Family: event.AFInet6, Type: 1, Role: event.RoleClient,
				Local:  netip.MustParseAddrPort("[::1]:40000"),
				Remote: netip.MustParseAddrPort("[2001:db8::7]:443")}},
		"noproc": {Num: 47, Time: testT0 + 10, Type: event.TypeOpenat, Res: 3, Path: "/etc/hosts"},
		"encoded": {Num: 48, Time: testT0 + 11, Type: event.TypeExecve, Proc: &event.Process{Pid: 4000, Comm: "sh",
			ExePath: "/bin/sh", ArgLine: "aGVsbG8gd29ybGQ=", Cmdline: "sh aGVsbG8gd29ybGQ=", Parent: bash}},
	}
}

func TestCompileSemantics(t *testing.T) {
	evs := testEvents()
	tests := []struct {
		cond string
		ev   string
		want bool
	}{
		// = == != on strings, native and predicate forms.
		{"proc.name = chattr", "exec", true},
		{"proc.name == chattr", "exec", true},
		{"proc.name = bash", "exec", false},
		{"proc.name != bash", "exec", true},
		{"proc.name != chattr", "exec", false},
		{`proc.name = ""`, "exec", false},
		{`proc.cmdline = "chattr +i secret file.txt"`, "exec", true},
		{`proc.args = 'a\tb'`, "exec", false},
		// Unavailable fields: every comparison false, != and in included;
		// not inverts; exists is false.
		{"proc.name = chattr", "noproc", false},
		{"proc.name != chattr", "noproc", false},
		{"proc.name in (chattr, bash)", "noproc", false},
		{`proc.name = ""`, "noproc", false},
		{"not proc.name = chattr", "noproc", true},
		{"proc.name exists", "noproc", false},
		{"proc.name exists", "exec", true},
		{"fd.sip exists", "exec", false},
		{"fd.sip exists", "connect", true},
		{"proc.env[HOME] = /root", "exec", false},
		{"proc.env[HOME] != /root", "exec", false},
		{"proc.env exists", "exec", false},
		{"container.mount.dest[/etc] exists", "exec", false},
		{"k8s.ns.name != kube-system", "exec", false},
		// Ordering on numbers and strings.
		{"proc.pid < 2000", "exec", true},
		{"proc.pid <= 1234", "exec", true},
		{"proc.pid > 1234", "exec", false},
		{"proc.pid >= 1234", "exec", true},
		{"proc.pid = 0x4d2", "exec", true},
		{"proc.pid != 1234", "exec", false},
		{"proc.pid in (1, 1234)", "exec", true},
		{"proc.pid intersects (1, 2)", "exec", false},
		{"user.uid = 0", "exec", false},
		{"user.uid != 0", "exec", true},
		{"user.uid = 1000 and user.name = alice", "exec", true},
		// String operators.
		{"proc.cmdline contains secret", "exec", true},
		{"proc.cmdline contains SECRET", "exec", false},
		{"proc.cmdline icontains SECRET", "exec", true},
		{"proc.cmdline icontains Secret", "exec", true},
		{"proc.cmdline icontains nothere", "exec", false},
		{"proc.cmdline startswith chattr", "exec", true},
		{"proc.cmdline startswith hattr", "exec", false},
		{"proc.cmdline endswith .txt", "exec", true},
		{"proc.cmdline endswith .TXT", "exec", false},
		{"proc.cmdline bcontains 736563726574", "exec", true}, // "secret"
		{"proc.cmdline bcontains 736563726574ff", "exec", false},
		{"proc.cmdline bstartswith 636861", "exec", true}, // "cha"
		{"proc.cmdline bstartswith 686174", "exec", false},
		{"fd.name glob /tmp/*", "open", true},
		{"fd.name glob /tmp/*.sh", "open", true},
		{"fd.name glob /tmp/?tage/*", "open", true},
		{"fd.name glob '/tmp/[rs]tage/*'", "open", true},
		{"fd.name glob '/tmp/[!s]tage/*'", "open", false},
		{"fd.name glob /tmp/*.SH", "open", false},
		{"fd.name iglob /TMP/*.SH", "open", true},
		{"fd.name glob /etc/*", "open", false},
		{`proc.cmdline regex "chattr \\+i .*"`, "exec", true},
		{`proc.cmdline regex "\\+i"`, "exec", false}, // anchored at both ends, as libsinsp
		{`proc.cmdline regex ".*\\+i.*"`, "exec", true},
		{"fd.name pmatch (/tmp, /var)", "open", true},
		{"fd.name pmatch (/tmp/stage/Run.sh)", "open", true},
		{"fd.name pmatch (/tmp/stag)", "open", false},
		{"fd.name pmatch (/etc/)", "openro", true},
		{"fd.name pmatch (/)", "openro", true},
		{"fd.name pmatch ()", "openro", false},
		{"proc.name in (sh, bash, chattr)", "exec", true},
		{"proc.name in (sh, bash)", "exec", false},
		{"proc.name in (a1, a2, a3, a4, a5, a6, a7, a8, a9, chattr)", "exec", true},
		{"proc.name in (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10)", "exec", false},
		{"proc.name in ()", "exec", false},
		{"proc.name intersects (chattr)", "exec", true},
		// Transformers.
		{"tolower(proc.cmdline) contains secret", "exec", true},
		{"toupper(proc.name) = CHATTR", "exec", true},
		{"toupper(proc.name) = chattr", "exec", false},
		{"basename(fd.name) = Run.sh", "open", true},
		{"tolower(basename(fd.name)) = run.sh", "open", true},
		{"len(proc.name) = 6", "exec", true},
		{"len(proc.args) > 100", "exec", false},
		{"b64(proc.name) = x", "exec", false}, // not base64: unavailable
		{"b64(proc.name) != x", "exec", false},
		{"b64(proc.args) = 'hello world'", "encoded", true},
		{"b64(proc.args) contains world", "encoded", true},
		{"toupper(b64(proc.args)) = 'HELLO WORLD'", "encoded", true},
		{"len(b64(proc.args)) = 11", "encoded", true},
		{"basename(proc.exepath) = val(proc.name)", "exec", true},
		// Ancestors: indexed and bare (any ancestor).
		{"proc.pname = bash", "exec", true},
		{"proc.aname[1] = bash", "exec", true},
		{"proc.aname[2] = sshd", "exec", true},
		{"proc.aname[2] = bash", "exec", false},
		{"proc.aname[9] exists", "exec", false},
		{"proc.aname = sshd", "exec", true},
		{"proc.aname = systemd", "exec", true},
		{"proc.aname = chattr", "exec", false},
		{"proc.aname in (sshd, nope)", "exec", true},
		{"proc.aname startswith ssh", "exec", true},
		{"proc.aname exists", "exec", true},
		{"toupper(proc.aname) = SSHD", "exec", true},
		{"proc.aname = val(proc.name)", "exec", false},
		{"proc.acmdline[0] = 'chattr +i secret file.txt'", "exec", true},
		{"proc.acmdline[1] = bash", "exec", true},
		{"proc.acmdline[2] = 'sshd: alice [priv]'", "exec", true},
		{"proc.acmdline[2] = sshd", "exec", false},
		{"proc.acmdline[9] exists", "exec", false},
		{"proc.acmdline = 'sshd: alice [priv]'", "exec", true},
		{"proc.acmdline = systemd", "exec", true},
		{"proc.acmdline startswith 'sshd: '", "exec", true},
		{"proc.acmdline contains secret", "exec", false}, // the process itself is no ancestor
		{"proc.acmdline in (nope, 'sshd: alice [priv]')", "exec", true},
		{"proc.acmdline exists", "exec", true},
		{"proc.acmdline exists", "connect", true},
		{"proc.acmdline = val(proc.cmdline)", "exec", false},
		{"proc.acmdline[1] = val(proc.pcmdline)", "exec", true},
		{"proc.aexepath[2] = /usr/sbin/sshd and proc.acmdline[2] startswith 'sshd: '", "exec", true},
		// val(): another field of the same event.
		{"proc.name = val(proc.pname)", "exec", false},
		{"proc.name != val(proc.pname)", "exec", true},
		{"proc.pid > val(proc.ppid)", "exec", true},
		{"proc.cwd = val(proc.aname[1])", "exec", false},
		{"proc.name = val(proc.env[X])", "exec", false},
		{"proc.name != val(proc.env[X])", "exec", false},
		{"proc.cmdline startswith val(proc.name)", "exec", true},
		// CIDR and addresses.
		{"fd.net = 10.0.0.0/8", "connect", true},
		{"fd.net = 192.168.0.0/16", "connect", false},
		{"fd.net != 192.168.0.0/16", "connect", true},
		{"fd.net in (192.168.0.0/16, 10.0.0.0/24)", "connect", true},
		{"fd.snet = 10.0.0.5", "connect", true},
		{"fd.cnet = 172.16.0.0/12", "connect", true},
		{"fd.rnet = 10.0.0.0/31", "connect", false},
		{"fd.lnet = 172.17.0.0/16", "connect", true},
		{"fd.sip = 10.0.0.5", "connect", true},
		{"fd.sip = 10.0.0.6", "connect", false},
		{"fd.sip = 10.0.0.0/8", "connect", true},
		{"fd.sip in (1.1.1.1, 10.0.0.5)", "connect", true},
		{"fd.rip = ::ffff:10.0.0.5", "connect", true},
		{"fd.net = 2001:db8::/32", "connect6", true},
		{"fd.net = 10.0.0.0/8", "connect6", false},
		{"fd.sip = 2001:db8::7", "connect6", true},
		{"fd.net = 10.0.0.0/8", "exec", false},
		{"fd.net != 10.0.0.0/8", "exec", false},
		{"fd.sport = 4444", "connect", true},
		{"fd.sport in (80, 443, 4444)", "connect", true},
		{"fd.sport < 1024", "connect", false},
		// Errno names.
		{"evt.res = EINPROGRESS", "connect", true},
		{"evt.res startswith E", "connect", true},
		{"evt.res = SUCCESS", "connect", false},
		{"evt.res = SUCCESS", "connect6", true},
		{"evt.res startswith E", "connect6", false},
		{"evt.rawres = EINPROGRESS", "connect", true},
		{"evt.rawres = -115", "connect", true},
		{"evt.rawres < 0", "connect", true},
		{"evt.rawres in (ENOENT, EINPROGRESS)", "connect", true},
		{"evt.rawres startswith E", "connect", true},
		{"evt.rawres = ENOENT", "openro", true},
		// Flags and capabilities.
		{"evt.arg.flags contains O_TRUNC", "open", true},
		{"evt.arg.flags contains O_CREAT", "open", true},
		{"evt.arg.flags contains O_APPEND", "open", false},
		{"evt.arg.flags contains O_WRONLY", "open", true},
		{"evt.arg.flags contains O_RDONLY", "open", false},
		{"evt.arg.flags contains O_RDONLY", "openro", true},
		{"evt.arg.flags contains 'O_TRUNC|O_CREAT'", "open", true},
		{"evt.arg.flags = O_RDONLY", "openro", true},
		{"evt.arg.flags = O_RDONLY", "open", false},
		{"evt.arg.flags != O_RDONLY", "open", true},
		{"evt.arg.flags in (O_RDONLY, O_WRONLY)", "openro", true},
		// Numbers compare with the Linux bits (O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC).
		{"evt.arg.flags = 524865", "open", true},
		{"evt.arg.flags = 577", "open", false},
		{"evt.arg.flags != 524865", "open", false},
		{"evt.arg.flags in (1, 524865)", "open", true},
		{"evt.arg.flags intersects (O_APPEND, O_TRUNC)", "open", true},
		{"evt.arg.flags intersects (O_APPEND)", "open", false},
		{"evt.arg.flags intersects (O_APPEND, O_EXCL)", "open", false},
		{"thread.cap_effective contains CAP_SYS_ADMIN", "connect", true},
		{"thread.cap_effective contains CAP_SYS_ADMIN", "exec", false},
		{"thread.cap_permitted contains CAP_NET_RAW", "connect", true},
		{"thread.cap_effective = 0", "exec", true},
		{"thread.cap_effective != 0", "connect", true},
		{"thread.cap_effective = CAP_SYS_ADMIN", "connect", false},
		{"thread.cap_effective intersects (CAP_SYS_ADMIN, CAP_BPF)", "connect", true},
		{"thread.cap_effective exists", "noproc", false},
		// Bools.
		{"evt.is_open_write = true", "open", true},
		{"evt.is_open_read = true", "open", false},
		{"evt.is_open_read = true", "openro", true},
		{"evt.is_open_write = false", "openro", true},
		// evt.type index values.
		{"evt.type = execve", "exec", true},
		{"evt.type = openat", "exec", false},
		{"evt.type != openat", "exec", true},
		{"evt.type in (open, openat)", "open", true},
		{"evt.type in (open, openat)", "exec", false},
		{"evt.type = sendfile", "exec", false},
		{"evt.type startswith exec", "exec", true},
		// Boolean structure.
		{"proc.name = chattr and proc.pname = bash", "exec", true},
		{"proc.name = chattr and proc.pname = sh", "exec", false},
		{"proc.name = x or proc.pname = bash", "exec", true},
		{"not (proc.name = x or proc.pname = sh)", "exec", true},
		{"not not proc.name = chattr", "exec", true},
	}
	for _, tt := range tests {
		n, err := condition.Parse(tt.cond, 0)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.cond, err)
			continue
		}
		p, err := Compile(n)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.cond, err)
			continue
		}
		if got := p.Match(evs[tt.ev]); got != tt.want {
			t.Errorf("%q on %s = %v, want %v (expr: %s)", tt.cond, tt.ev, got, tt.want, p.Expr)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		cond string
		at   condition.Pos // offset of the error
		msg  string
	}{
		{"proc.nmae = x", 0, "unknown field 'proc.nmae' (did you mean 'proc.name'?)"},
		{"proc.name = x and zzz.yyy exists", 18, "unknown field 'zzz.yyy'"},
		{"spawned_process and proc.name = x", 0, "undefined macro 'spawned_process'"},
		{"proc.name[1] = x", 0, "takes no argument"},
		{"proc.aname[x] = bash", 0, "needs a numeric argument"},
		{"proc.pid = abc", 11, "is not a number"},
		{"fd.sport in (80, http)", 17, "is not a number"},
		{"fd.sport contains 8", 0, "operator 'contains' is not valid for number field 'fd.sport'"},
		{"fd.net = 10.0.0.0/33", 9, "bad CIDR"},
		{"fd.sip = notanip", 9, "bad IP address"},
		{"fd.sip startswith 10", 0, "not valid for ip field"},
		{`proc.name regex "a("`, 16, "bad regular expression"},
		{"proc.name glob 'a[b'", 15, "bad glob pattern"},
		{"proc.name bcontains zz", 20, "takes hex bytes"},
		{"evt.arg.flags contains O_NOPE", 23, "unknown flag name 'O_NOPE'"},
		{"thread.cap_effective contains CAP_NOPE", 30, "unknown flag name 'CAP_NOPE'"},
		{"evt.is_open_read = maybe", 19, "compare it with true or false"},
		{"proc.name in shell_binaries", 0, "'shell_binaries' is not a defined list"},
		{"proc.name = val(proc.pid)", 0, "cannot compare string field"},
		{"proc.name = val(nope.nope)", 12, "unknown field 'nope.nope'"},
		{"proc.name glob val(proc.pname)", 0, "cannot compare with a field"},
		{"tolower(proc.pid) = 1", 0, "applies to string fields"},
		{"proc.pid = val(proc.aname)", 11, "needs an ancestor index"},
		{"container.mount.dest = x", 0, "needs an argument"},
	}
	for _, tt := range tests {
		n, err := condition.Parse(tt.cond, 500)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.cond, err)
			continue
		}
		_, err = Compile(n)
		var ce *condition.Error
		if !errors.As(err, &ce) {
			t.Errorf("Compile(%q) = %v, want *condition.Error", tt.cond, err)
			continue
		}
		if !strings.Contains(ce.Msg, tt.msg) || ce.Offset != 500+tt.at {
			t.Errorf("Compile(%q) = %q at %d, want %q at %d", tt.cond, ce.Msg, ce.Offset-500, tt.msg, tt.at)
		}
	}
}

func TestCompileTypesAndNames(t *testing.T) {
	T := func(names ...string) []event.Type {
		var out []event.Type
		for _, n := range names {
			ty, ok := event.ParseType(n)
			if !ok {
				t.Fatalf("bad type %s", n)
			}
			out = append(out, ty)
		}
		slices.Sort(out)
		return out
	}
	all := []event.Type(nil)
	allBut := func(names ...string) []event.Type {
		var out []event.Type
		ex := T(names...)
		for ty := event.Type(0); ty < event.NumTypes; ty++ {
			if !slices.Contains(ex, ty) {
				out = append(out, ty)
			}
		}
		return out
	}
	tests := []struct {
		cond  string
		types []event.Type
		names []string
	}{
		{"proc.name = x", all, []string{"x"}},
		{"evt.type = execve", T("execve"), nil},
		{"evt.type in (open, openat) and proc.name in (cat, less)", T("open", "openat"), []string{"cat", "less"}},
		{"evt.type = execve or evt.type = connect", T("execve", "connect"), nil},
		{"evt.type = execve or proc.name = x", all, nil},
		{"(evt.type = execve or evt.type = execveat) and proc.name = x", T("execve", "execveat"), []string{"x"}},
		{"evt.type != execve", allBut("execve"), nil},
		{"not evt.type = execve", allBut("execve"), nil},
		{"not (evt.type = execve and proc.name = x)", all, nil},
		{"not (evt.type = execve or evt.type = open)", allBut("execve", "open"), nil},
		{"evt.type = execve and evt.type = open", []event.Type{}, nil},
		{"evt.type = sendfile", []event.Type{}, nil},
		{"proc.name = a or proc.name in (b, a)", all, []string{"a", "b"}},
		{"proc.name = a and proc.name in (a, b)", all, []string{"a"}},
		{"proc.name = a or proc.pname = b", all, nil},
		{"not proc.name = a", all, nil},
		{"tolower(proc.name) = a", all, nil},
	}
	for _, tt := range tests {
		n, err := condition.Parse(tt.cond, 0)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Compile(n)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tt.cond, err)
		}
		if !slices.Equal(p.Types, tt.types) || (p.Types == nil) != (tt.types == nil) {
			t.Errorf("%q: Types = %v, want %v", tt.cond, p.Types, tt.types)
		}
		if !slices.Equal(p.Names, tt.names) || (p.Names == nil) != (tt.names == nil) {
			t.Errorf("%q: Names = %v, want %v", tt.cond, p.Names, tt.names)
		}
	}
}

func TestCompileExprText(t *testing.T) {
	n, _ := condition.Parse("evt.type in (execve, execveat) and proc.name = chattr and proc.args contains +i and not user.uid = 0", 0)
	p, err := Compile(n)
	if err != nil {
		t.Fatal(err)
	}
	want := `evt_type_in() and proc_name() == "chattr" and proc_args_contains() and not user_uid_eq()`
	if p.Expr != want {
		t.Errorf("Expr = %s, want %s", p.Expr, want)
	}
	if len(p.Checks) != 4 || p.Checks[2].Func != "proc_args_contains" || p.Checks[2].Text != "proc.args contains +i" {
		t.Errorf("Checks = %+v", p.Checks)
	}
	n, _ = condition.Parse("evt.type = sendfile", 0)
	if p, _ = Compile(n); len(p.Warnings) != 1 {
		t.Errorf("Warnings = %v", p.Warnings)
	}
}

// TestCompileAllocs checks that evaluation allocates nothing, across every
// kind of check including transformers after their buffers warmed up.
func TestCompileAllocs(t *testing.T) {
	evs := testEvents()
	conds := []string{
		"proc.name = chattr and proc.aname = sshd and proc.cmdline icontains SECRET",
		"fd.name glob '/tmp/*.sh' and evt.arg.flags contains O_TRUNC and fd.name pmatch (/tmp)",
		"fd.net in (10.0.0.0/8) and evt.res = EINPROGRESS and thread.cap_effective contains CAP_SYS_ADMIN",
		"toupper(proc.name) = CHATTR and len(proc.args) > 3 and proc.name = val(proc.pname)",
		`proc.cmdline regex ".*secret.*" and proc.name in (a1, a2, a3, a4, a5, a6, a7, a8, a9, chattr)`,
		"evt.rawres startswith E",
	}
	for _, c := range conds {
		n, err := condition.Parse(c, 0)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Compile(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			p.Match(ev)
		}
		allocs := testing.AllocsPerRun(100, func() {
			for _, ev := range evs {
				p.Match(ev)
			}
		})
		if allocs != 0 {
			t.Errorf("%q: %v allocations per run", c, allocs)
		}
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"proc.name = chattr and proc.aname[2] in (a, 'b c')",
		"fd.net = 10.0.0.0/8 or fd.sip = ::1",
		"evt.arg.flags contains O_TRUNC and not evt.type in (open, openat)",
		`proc.cmdline regex "a.*" and tolower(proc.name) glob '*sh'`,
		"proc.name = val(proc.pname) and len(proc.args) > 2",
		"evt.rawres = ENOENT and thread.cap_effective contains CAP_SYS_ADMIN",
	} {
		f.Add(s)
	}
	evs := testEvents()
	f.Fuzz(func(t *testing.T, src string) {
		n, err := condition.Parse(src, 0)
		if err != nil {
			return
		}
		p, err := Compile(n)
		if err != nil {
			var ce *condition.Error
			if !errors.As(err, &ce) {
				t.Fatalf("Compile(%q) error %T: %v", src, err, err)
			}
			return
		}
		for _, ev := range evs {
			p.Match(ev)
		}
	})
}

// TestFormatRoundTripRulesets prints every expanded condition of the default
// and Falco-style rulesets with condition.Format and checks that the text
// parses back to the same tree and compiles to the same expr program.
func TestFormatRoundTripRulesets(t *testing.T) {
	defaults, err := LoadDefaults()
	if err != nil {
		t.Fatal(err)
	}
	falco, err := LoadPaths("testdata/engine/falco_style.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rules := append(append([]*Rule{}, defaults.Rules...), falco.Rules...)
	if len(rules) < 100 {
		t.Fatalf("only %d rules loaded", len(rules))
	}
	for _, r := range rules {
		text := condition.Format(r.Expanded)
		n, err := condition.Parse(text, 0)
		if err != nil {
			t.Errorf("%s: Format output does not parse: %v\n%s", r.Name, err, text)
			continue
		}
		if !condition.Equal(n, r.Expanded) {
			t.Errorf("%s: Format output parses to another tree:\n%s", r.Name, text)
		}
		p1, err1 := Compile(r.Expanded)
		p2, err2 := Compile(n)
		if err1 != nil || err2 != nil || p1.Expr != p2.Expr {
			t.Errorf("%s: compiled forms differ: %v %v", r.Name, err1, err2)
		}
	}
}
