package ruleset

import (
	"slices"
	"testing"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset/condition"
)

func TestRequiredPath(t *testing.T) {
	for _, tc := range []struct {
		cond string
		ok   bool
		want pathNeed
	}{
		{"fd.name = /etc/shadow", true, pathNeed{exact: []string{"/etc/shadow"}}},
		{"evt.type = openat and fd.name in (/a, /b) and proc.name = x", true, pathNeed{exact: []string{"/a", "/b"}}},
		{"fd.name startswith /etc/cron or fd.name = /etc/anacrontab", true,
			pathNeed{exact: []string{"/etc/anacrontab"}, prefix: []string{"/etc/cron"}}},
		{`fd.name glob "/proc/[0-9]*/mem"`, true, pathNeed{prefix: []string{"/proc/"}}},
		{`fd.name glob "/etc/hosts"`, true, pathNeed{exact: []string{"/etc/hosts"}}},
		{`fd.name glob "*.so"`, false, pathNeed{}},
		{"fd.name pmatch (/etc/, /)", true, pathNeed{exact: []string{"/etc", "/"}, prefix: []string{"/etc/", "/"}}},
		{"fd.directory in (/bin, /usr/bin)", true, pathNeed{dir: []string{"/bin", "/usr/bin"}}},
		{"fd.filename = authorized_keys", true, pathNeed{file: []string{"authorized_keys"}}},
		// A conjunction keeps its smallest derivable constraint.
		{"fd.name startswith /home/ and fd.filename = .bashrc", true, pathNeed{file: []string{".bashrc"}}},
		{"fd.name contains /.ssh/", false, pathNeed{}},
		{"fd.name endswith .so", false, pathNeed{}},
		{"not fd.name = /etc/shadow", false, pathNeed{}},
		{"fd.name = /etc/shadow or proc.name = cat", false, pathNeed{}},
		{"fd.name != /etc/shadow", false, pathNeed{}},
		{"fd.name = val(proc.exepath)", false, pathNeed{}},
		{"proc.name = cat", false, pathNeed{}},
	} {
		n, err := condition.Parse(tc.cond, 0)
		if err != nil {
			t.Fatalf("%s: %v", tc.cond, err)
		}
		got, ok := requiredPath(n)
		if ok != tc.ok {
			t.Errorf("%s: derivable %v, want %v", tc.cond, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if !slices.Equal(got.exact, tc.want.exact) || !slices.Equal(got.prefix, tc.want.prefix) ||
			!slices.Equal(got.dir, tc.want.dir) || !slices.Equal(got.file, tc.want.file) {
			t.Errorf("%s: need %+v, want %+v", tc.cond, got, tc.want)
		}
	}
}

// pathCandidates returns the indexed rules of ev's bucket (the always
// list, then ev's proc.name list) whose path
// constraint ev satisfies, read as Process reads them: the others are
// never evaluated on ev.
func pathCandidates(e *Engine, ev *event.Event) (indexed, admitted []string) {
	b := &e.idx.Load().byType[ev.Type]
	if b.paths == nil {
		return nil, nil
	}
	e.env.begin(ev)
	bits := make([]uint64, b.paths.words)
	pending := b.paths.begin(&e.paths, bits)
	list := slices.Clone(b.always)
	if v := e.nameSlot.get(); v.OK {
		list = append(list, b.byName[v.Str]...)
	}
	for i := range list {
		en := &list[i]
		if en.pathBit < 0 {
			continue
		}
		indexed = append(indexed, en.r.rule.Name)
		if b.paths.admits(&e.paths, bits, en, &pending) {
			admitted = append(admitted, en.r.rule.Name)
		}
	}
	return indexed, admitted
}

func TestEnginePathIndex(t *testing.T) {
	rules := testRules(t,
		[3]string{"cron", "evt.type = openat and (fd.name startswith /etc/cron or fd.name = /etc/anacrontab)", "error"},
		[3]string{"keys", "evt.type = openat and fd.filename in (authorized_keys, authorized_keys2)", "error"},
		[3]string{"bin", "evt.type = openat and fd.directory = /usr/bin", "error"},
		[3]string{"mem", `evt.type = openat and fd.name glob "/proc/[0-9]*/mem"`, "error"},
		[3]string{"short", "evt.type = openat and fd.name startswith /e", "error"},
		[3]string{"ssh", "evt.type = openat and fd.name contains /.ssh/", "error"},
		[3]string{"vi shadow", "evt.type = openat and proc.name = vi and fd.name = /etc/shadow", "error"},
		[3]string{"cat shadow", "evt.type = openat and proc.name = cat and fd.name = /etc/shadow", "error"},
	)
	e, err := NewEngine(rules, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	p := &event.Process{Pid: 10, Comm: "vi"}
	for _, tc := range []struct {
		path     string
		admitted []string
		fired    []string
	}{
		{"/etc/crontab", []string{"cron", "short"}, []string{"cron", "short"}},
		{"/etc/shadow", []string{"short", "vi shadow"}, []string{"short", "vi shadow"}},
		{"/etc/anacrontab", []string{"cron", "short"}, []string{"cron", "short"}},
		{"/etc/cro", []string{"short"}, []string{"short"}},
		{"/home/al/.ssh/authorized_keys", []string{"keys"}, []string{"keys", "ssh"}},
		{"/usr/bin/ls", []string{"bin"}, []string{"bin"}},
		{"/usr/bin2/ls", nil, nil},
		{"/proc/42/mem", []string{"mem"}, []string{"mem"}},
		{"/proc/self/mem", []string{"mem"}, nil}, // the prefix holds, the glob does not
		{"/tmp/x", nil, nil},
		{"", nil, nil},
	} {
		ev := &event.Event{Type: event.TypeOpenat, Path: tc.path, Fd: 3, Res: 3, Proc: p, Tid: p.Pid}
		indexed, admitted := pathCandidates(e, ev)
		if want := []string{"cron", "keys", "bin", "mem", "short", "vi shadow"}; !slices.Equal(indexed, want) {
			t.Fatalf("indexed rules %q, want %q", indexed, want)
		}
		if !slices.Equal(admitted, tc.admitted) {
			t.Errorf("%q: candidates %q, want %q", tc.path, admitted, tc.admitted)
		}
		if got := process(e, ev); !slices.Equal(got, tc.fired) {
			t.Errorf("%q: fired %q, want %q", tc.path, got, tc.fired)
		}
	}
}

// TestEnginePathIndexAgrees checks, over paths aimed at the default rules'
// path constraints (and near misses), read and written by every process of
// the mix, that the engine reports exactly the rules whose programs, run
// alone without guards, match.
func TestEnginePathIndexAgrees(t *testing.T) {
	defaults, err := LoadDefaults()
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"/etc/shadow", "/etc/shadow-", "/etc/shadowx", "/etc/passwd", "/etc/cron.d/job", "/etc/cro",
		"/etc/anacrontab", "/var/spool/cron/crontabs/root", "/home/al/.ssh/id_rsa", "/home/al/.ssh/authorized_keys",
		"/etc/ssh/ssh_host_rsa_key", "/root/.bashrc", "/etc/profile", "/etc/profile.d/x.sh", "/usr/bin/ls",
		"/usr/sbin/sshd", "/usr/bin", "/bin/sh", "/proc/12/mem", "/proc/self/mem", "/dev/snd/pcmC0D0c",
		"/dev/video0", "/var/mail/root", "/dev/input/event3", "/tmp/krb5cc_1000", "/etc/pam.d/sshd",
		"/etc/pam.conf", "/var/log/syslog", "/var/log/journal/x", "/etc/ld.so.preload", "/etc/sudoers",
		"/etc/sudoers.d/x", "/boot/vmlinuz", "/var/www/html/s.php", "/sys/firmware/efi/efivars/x",
		"/etc/systemd/system/x.service", "/etc/systemd/system/x.timer", "/etc/udev/rules.d/1.rules",
		"/home/al/.mozilla/firefox/p/logins.json", "/home/al/.config/google-chrome/Default/Cookies",
		"/sys/fs/cgroup/x/release_agent", "/tmp/.hidden", "/etc/rc.local", "/etc/rc3.d/S01x", "/", "", "x",
		"/var/run/secrets/kubernetes.io/serviceaccount/token", "/run/secrets/kubernetes.io/serviceaccount/ca.crt",
		"/run/secrets/kubernetes.io/serviceaccoun"}
	var procs []*event.Process
	for _, ev := range eventMix(512) {
		if !slices.Contains(procs, ev.Proc) {
			procs = append(procs, ev.Proc)
		}
	}
	var evs []*event.Event
	for _, path := range paths {
		for _, flags := range []uint64{0, 0x1 | 0x40 | 0x200, 0x2} { // read; write|creat|trunc; rdwr
			for _, p := range procs {
				for _, typ := range []event.Type{event.TypeOpenat, event.TypeOpen} {
					evs = append(evs, &event.Event{Type: typ, Path: path, Flags: flags, Fd: 4, Res: 4, Proc: p, Tid: p.Pid})
				}
			}
		}
	}
	e, err := NewEngine(defaults.Rules, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	bare := map[string]*Program{}
	for _, r := range defaults.Rules {
		p, err := Compile(r.Expanded)
		if err != nil {
			t.Fatal(err)
		}
		p.guards = nil
		bare[r.Name] = p
	}
	total := 0
	for _, ev := range evs {
		got := map[string]bool{}
		e.Process(ev, func(m Match) { got[m.Rule.Name] = true })
		for _, r := range defaults.Rules {
			want := r.Enabled && bare[r.Name].Match(ev)
			if got[r.Name] != want {
				t.Errorf("%s %q flags %#x by %s: %s: engine %v, program alone %v", ev.Type, ev.Path, ev.Flags, ev.Proc.Comm, r.Name, got[r.Name], want)
			}
			if want {
				total++
			}
		}
	}
	if total == 0 {
		t.Error("no rule matched; the comparison shows nothing")
	}
	t.Logf("%d events, %d matches", len(evs), total)
}
