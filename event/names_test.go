package event

import (
	"strconv"
	"strings"
	"testing"
)

func TestErrnoNames(t *testing.T) {
	cases := []struct {
		n    int64
		name string
	}{
		{1, "EPERM"}, {2, "ENOENT"}, {-2, "ENOENT"}, {13, "EACCES"}, {-115, "EINPROGRESS"},
		{11, "EAGAIN"}, {95, "EOPNOTSUPP"}, {111, "ECONNREFUSED"}, {133, "EHWPOISON"},
		{512, "ERESTARTSYS"}, {524, "ENOTSUPP"},
		{0, ""}, {41, ""}, {58, ""}, {520, ""}, {4096, ""}, {-1 << 62, ""},
	}
	for _, c := range cases {
		if got := ErrnoName(c.n); got != c.name {
			t.Errorf("ErrnoName(%d) = %q, want %q", c.n, got, c.name)
		}
	}
	for name, want := range map[string]int64{"ENOENT": 2, "EINPROGRESS": 115,
		"EWOULDBLOCK": 11, "EAGAIN": 11, "ENOTSUP": 95, "EDEADLOCK": 35, "ENOGRACE": 531} {
		if got, ok := ErrnoValue(name); !ok || got != want {
			t.Errorf("ErrnoValue(%s) = %d, %v, want %d", name, got, ok, want)
		}
	}
	for _, bad := range []string{"", "SUCCESS", "enoent", "E2"} {
		if _, ok := ErrnoValue(bad); ok {
			t.Errorf("ErrnoValue(%q) accepted", bad)
		}
	}
	// Every name maps back to its number.
	for n := int64(1); n <= maxErrno; n++ {
		if s := ErrnoName(n); s != "" {
			if v, ok := ErrnoValue(s); !ok || v != n {
				t.Errorf("ErrnoValue(ErrnoName(%d)=%s) = %d", n, s, v)
			}
		}
	}
}

func TestEnumNames(t *testing.T) {
	checks := []struct {
		got, want string
	}{
		{SignalName(9), "SIGKILL"}, {SignalName(15), "SIGTERM"}, {SignalName(34), "SIGRTMIN"},
		{SignalName(36), "SIGRTMIN+2"}, {SignalName(64), "SIGRTMAX"}, {SignalName(0), ""},
		{SignalName(65), ""},
		{PtraceRequestName(16), "PTRACE_ATTACH"}, {PtraceRequestName(4), "PTRACE_POKETEXT"},
		{PtraceRequestName(0x4206), "PTRACE_SEIZE"}, {PtraceRequestName(10), ""},
		{BPFCmdName(5), "BPF_PROG_LOAD"}, {BPFCmdName(0), "BPF_MAP_CREATE"}, {BPFCmdName(99), ""},
		{AddressFamilyName(17), "AF_PACKET"}, {AddressFamilyName(38), "AF_ALG"},
		{AddressFamilyName(2), "AF_INET"}, {AddressFamilyName(200), ""},
		{SocketTypeName(1), "SOCK_STREAM"}, {SocketTypeName(2 | sockNonblock | sockCloexec), "SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC"},
		{SocketTypeName(9), ""},
		{CapabilityName(0), "CAP_CHOWN"}, {CapabilityName(21), "CAP_SYS_ADMIN"},
		{CapabilityName(40), "CAP_CHECKPOINT_RESTORE"}, {CapabilityName(41), ""}, {CapabilityName(-1), ""},
	}
	for i, c := range checks {
		if c.got != c.want {
			t.Errorf("check %d: got %q, want %q", i, c.got, c.want)
		}
	}
	if v, ok := SignalValue("SIGKILL"); !ok || v != 9 {
		t.Errorf("SignalValue(SIGKILL) = %d, %v", v, ok)
	}
	if v, ok := SignalValue("SIGRTMIN+3"); !ok || v != 37 {
		t.Errorf("SignalValue(SIGRTMIN+3) = %d, %v", v, ok)
	}
	if v, ok := PtraceRequestValue("PTRACE_POKEDATA"); !ok || v != 5 {
		t.Errorf("PtraceRequestValue(PTRACE_POKEDATA) = %d, %v", v, ok)
	}
	if NumCapabilities != 41 {
		t.Errorf("NumCapabilities = %d, want 41 (CAP_CHECKPOINT_RESTORE is 40)", NumCapabilities)
	}
	seen := map[string]bool{}
	for i := range NumCapabilities {
		n := CapabilityName(i)
		if seen[n] || !strings.HasPrefix(n, "CAP_") {
			t.Errorf("capability %d: bad or duplicate name %q", i, n)
		}
		seen[n] = true
		if v, ok := Capabilities.Value(n); !ok || v != 1<<i {
			t.Errorf("Capabilities.Value(%s) = %#x", n, v)
		}
	}
}

func TestFlagTableFormat(t *testing.T) {
	cases := []struct {
		tab  *FlagTable
		bits uint64
		want string
	}{
		{OpenFlags, 0, "O_RDONLY"},
		{OpenFlags, 0x241, "O_WRONLY|O_CREAT|O_TRUNC"},
		{OpenFlags, 0x2 | 0x101000, "O_RDWR|O_SYNC"},
		{OpenFlags, 0x1000, "O_RDONLY|O_DSYNC"},
		{OpenFlags, 0x410002, "O_RDWR|O_TMPFILE"},
		{OpenFlags, 0x10000, "O_RDONLY|O_DIRECTORY"},
		{OpenFlags, 0x3, "0x3"}, // invalid access mode: shown raw
		{MountFlags, 4096 | 16384 | 1, "MS_RDONLY|MS_BIND|MS_REC"},
		{MountFlags, 0, "0"},
		{CloneFlags, 0x7e020000, "CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET"},
		{ModeBits, 0o755, "S_IRWXU|S_IRGRP|S_IXGRP|S_IROTH|S_IXOTH"},
		{ModeBits, 0o4777, "S_IRWXU|S_IRWXG|S_IRWXO|S_ISUID"},
		{Capabilities, 1<<21 | 1<<19, "CAP_SYS_PTRACE|CAP_SYS_ADMIN"},
		{Capabilities, 1 << 50, "0x4000000000000"},
		{MemfdFlags, 1 | 0x40, "MFD_CLOEXEC|0x40"},
	}
	for _, c := range cases {
		if got := c.tab.Format(c.bits); got != c.want {
			t.Errorf("%s.Format(%#x) = %q, want %q", c.tab.Name(), c.bits, got, c.want)
		}
	}
	if got := FormatMode(0o4755); got != "04755" {
		t.Errorf("FormatMode = %q", got)
	}
	if n := OpenFlags.Names(); n[0] != "O_RDONLY" || len(n) < 20 {
		t.Errorf("OpenFlags.Names() = %v", n)
	}
	for _, alias := range []string{"O_NDELAY", "FASYNC", "MS_VERBOSE"} {
		if _, ok := flagValue(alias); !ok {
			t.Errorf("alias %s not accepted by evt.arg.flags", alias)
		}
	}
}

// FuzzFlagFormat checks that rendering any bit set and reading the names
// back gives the same bits, for every table evt.arg.flags uses and for
// capabilities: the text in outputs and the names in conditions agree.
func FuzzFlagFormat(f *testing.F) {
	for _, seed := range []uint64{0, 1, 2, 3, 0x241, 0x410002, 0x101000, 0x7e020000, 1<<41 - 1, 1 << 63} {
		f.Add(seed, uint8(0))
		f.Add(seed, uint8(3))
	}
	tables := append([]*FlagTable{Capabilities, ModeBits}, flagTables...)
	f.Fuzz(func(t *testing.T, bits uint64, which uint8) {
		tab := tables[int(which)%len(tables)]
		text := tab.Format(bits)
		if text == "" {
			t.Fatalf("%s.Format(%#x) is empty", tab.Name(), bits)
		}
		var back uint64
		for _, part := range strings.Split(text, "|") {
			if hex, ok := strings.CutPrefix(part, "0x"); ok {
				raw, err := strconv.ParseUint(hex, 16, 64)
				if err != nil {
					t.Fatalf("%s.Format(%#x) = %q: bad raw part %q", tab.Name(), bits, text, part)
				}
				back |= raw
				continue
			}
			if part == "0" {
				continue
			}
			v, ok := tab.Value(part)
			if !ok {
				t.Fatalf("%s.Format(%#x) = %q: %q does not parse back", tab.Name(), bits, text, part)
			}
			back |= v
		}
		if back != bits {
			t.Fatalf("%s.Format(%#x) = %q reads back as %#x", tab.Name(), bits, text, back)
		}
	})
}

// FuzzFlagValue feeds arbitrary names to the Flags fields' resolvers: known
// names only, never a panic, and the mode field's octal numbers in range.
func FuzzFlagValue(f *testing.F) {
	for _, s := range []string{"O_TRUNC", "O_RDONLY", "MS_BIND", "CAP_SYS_ADMIN", "0755", "04755", "0", "00", "0x1", "S_ISUID", "", "O_"} {
		f.Add(s)
	}
	flags, _ := Lookup("evt.arg.flags")
	mode, _ := Lookup("evt.arg.mode")
	capEff, _ := Lookup("thread.cap_effective")
	f.Fuzz(func(t *testing.T, name string) {
		if v, ok := flags.FlagValue(name); ok {
			if v>>flagTagShift == 0 {
				t.Fatalf("evt.arg.flags name %q resolves without a table tag: %#x", name, v)
			}
			if got := flags.FormatFlags(v); !strings.Contains(got, name) && name != "O_NDELAY" && name != "FASYNC" && name != "MS_VERBOSE" && name != "O_FSYNC" && name != "O_RSYNC" {
				t.Fatalf("evt.arg.flags %q renders as %q", name, got)
			}
		}
		if v, ok := mode.FlagValue(name); ok && v > 0o7777 && strings.HasPrefix(name, "S_") {
			t.Fatalf("mode name %q out of range: %o", name, v)
		}
		if v, ok := capEff.FlagValue(name); ok && v >= 1<<NumCapabilities {
			t.Fatalf("capability %q out of range: %#x", name, v)
		}
	})
}
