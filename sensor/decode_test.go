package sensor

import (
	"bufio"
	"encoding/binary"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/ttpwatch/ttpwatch/event"
)

// sysRecord builds a syscall record as bpf/sensor.bpf.c lays it out.
type sysRecord struct {
	typ     event.Type
	pid     uint32
	ret     int64
	args    [6]uint64
	fields  [nFields][]byte // raw field bytes (strings with their NUL)
	flags   uint16
	sa      []byte
	family  uint16
	laddr   []byte
	raddr   []byte
	lport   uint16
	rport   uint16
	comm    string
	bootTs  uint64
	trimEnd int // bytes cut from the end, for malformed records
}

func (r sysRecord) bytes() []byte {
	if r.sa != nil {
		r.fields[fSockaddr] = r.sa
		r.flags |= flSockaddr
	}
	n := sysData
	for _, f := range r.fields {
		n += len(f)
	}
	b := make([]byte, n)
	le := binary.LittleEndian
	le.PutUint64(b[0:], r.bootTs)
	le.PutUint16(b[32:], recSyscall)
	le.PutUint16(b[34:], uint16(r.typ))
	le.PutUint32(b[36:], r.pid)
	le.PutUint32(b[40:], r.pid)
	le.PutUint32(b[44:], 1)
	copy(b[88:104], r.comm)
	le.PutUint64(b[sysRet:], uint64(r.ret))
	for i, a := range r.args {
		le.PutUint64(b[sysArgs+8*i:], a)
	}
	le.PutUint16(b[skFamily:], r.family)
	le.PutUint16(b[skLport:], r.lport)
	le.PutUint16(b[skRport:], r.rport)
	copy(b[skLaddr:skLaddr+16], r.laddr)
	copy(b[skRaddr:skRaddr+16], r.raddr)
	le.PutUint16(b[sysFlags:], r.flags)
	off := sysData
	for i, f := range r.fields {
		le.PutUint16(b[sysLen+2*i:], uint16(len(f)))
		copy(b[off:], f)
		off += len(f)
	}
	return b[:len(b)-r.trimEnd]
}

// walkOf encodes a directory as the kernel's leaf-first walk.
func walkOf(comps ...string) []byte {
	var b []byte
	for i := len(comps) - 1; i >= 0; i-- {
		b = append(b, comps[i]...)
		b = append(b, 0)
	}
	return b
}

func z(s string) []byte { return append([]byte(s), 0) }

func sockaddrIn(ip string, port uint16) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint16(b, event.AFInet)
	binary.BigEndian.PutUint16(b[2:], port)
	a := netip.MustParseAddr(ip).As4()
	copy(b[4:], a[:])
	return b
}

func openatRecord() []byte {
	return sysRecord{
		typ: event.TypeOpenat, pid: 42, ret: 3, comm: "cat",
		args:   [6]uint64{uint64(0xffffffffffffff9c), 0, 0o2000000, 0},
		fields: [nFields][]byte{fP1: z("../etc/./passwd"), fD1: walkOf("home", "user")},
		flags:  flD1,
	}.bytes()
}

func connectRecord() []byte {
	return sysRecord{
		typ: event.TypeConnect, pid: 42, ret: 0, comm: "curl",
		args: [6]uint64{5, 0, 16}, family: event.AFInet,
		laddr: []byte{10, 0, 0, 2}, lport: 40000, raddr: []byte{1, 2, 3, 4}, rport: 443,
		sa: sockaddrIn("1.2.3.4", 443),
	}.bytes()
}

func TestDecodeSyscall(t *testing.T) {
	tests := []struct {
		name  string
		raw   []byte
		check func(t *testing.T, e *event.Event)
	}{
		{"openat relative to cwd, cleaned", openatRecord(), func(t *testing.T, e *event.Event) {
			if e.Path != "/home/etc/passwd" || e.PathRaw != "../etc/./passwd" || e.Flags != 0o2000000 || e.Fd != 3 || e.Res != 3 {
				t.Errorf("path %q raw %q flags %o fd %d", e.Path, e.PathRaw, e.Flags, e.Fd)
			}
		}},
		{"absolute path ignores the walk", sysRecord{typ: event.TypeOpen, ret: -2, args: [6]uint64{0, 0o101, 0o644},
			fields: [nFields][]byte{fP1: z("/tmp//x/")}}.bytes(), func(t *testing.T, e *event.Event) {
			if e.Path != "/tmp/x" || e.Res != -2 || e.Flags != 0o101 || e.Mode != 0o644 {
				t.Errorf("path %q res %d flags %o mode %o", e.Path, e.Res, e.Flags, e.Mode)
			}
		}},
		{"relative to the root", sysRecord{typ: event.TypeMkdirat, args: [6]uint64{3, 0, 0o700},
			fields: [nFields][]byte{fP1: z("d"), fD1: nil}, flags: flD1}.bytes(), func(t *testing.T, e *event.Event) {
			if e.Path != "/d" || e.Mode != 0o700 {
				t.Errorf("path %q mode %o", e.Path, e.Mode)
			}
		}},
		{"dotdot above the root stays at the root", sysRecord{typ: event.TypeUnlink,
			fields: [nFields][]byte{fP1: z("../../x"), fD1: walkOf("a")}, flags: flD1}.bytes(), func(t *testing.T, e *event.Event) {
			if e.Path != "/x" {
				t.Errorf("path %q", e.Path)
			}
		}},
		{"no walk keeps a relative path", sysRecord{typ: event.TypeUnlink,
			fields: [nFields][]byte{fP1: z("rel")}}.bytes(), func(t *testing.T, e *event.Event) {
			if e.Path != "rel" {
				t.Errorf("path %q", e.Path)
			}
		}},
		{"renameat two dirfds", sysRecord{typ: event.TypeRenameat2, args: [6]uint64{3, 0, 4, 0, 1},
			fields: [nFields][]byte{fP1: z("a"), fD1: walkOf("x"), fP2: z("b"), fD2: walkOf("y", "z")}, flags: flD1 | flD2}.bytes(),
			func(t *testing.T, e *event.Event) {
				if e.Path != "/x/a" || e.Path2 != "/y/z/b" || e.Flags != 1 {
					t.Errorf("paths %q %q flags %d", e.Path, e.Path2, e.Flags)
				}
			}},
		{"symlink target kept as written", sysRecord{typ: event.TypeSymlinkat,
			fields: [nFields][]byte{fP1: z("../t"), fP2: z("l"), fD2: walkOf("d")}, flags: flD2}.bytes(),
			func(t *testing.T, e *event.Event) {
				if e.Path != "../t" || e.Path2 != "/d/l" {
					t.Errorf("paths %q %q", e.Path, e.Path2)
				}
			}},
		{"connect", connectRecord(), func(t *testing.T, e *event.Event) {
			s := e.Sock
			if s.Family != event.AFInet || s.Remote != netip.MustParseAddrPort("1.2.3.4:443") ||
				s.Local != netip.MustParseAddrPort("10.0.0.2:40000") || s.Role != event.RoleClient || e.Fd != 5 {
				t.Errorf("sock %+v fd %d", s, e.Fd)
			}
		}},
		{"bind unix abstract", sysRecord{typ: event.TypeBind, args: [6]uint64{3},
			sa: append([]byte{1, 0, 0}, "abs"...)}.bytes(), func(t *testing.T, e *event.Event) {
			if e.Sock.Family != event.AFUnix || e.Sock.UnixPath != "@abs" {
				t.Errorf("sock %+v", e.Sock)
			}
		}},
		{"accept reads the socket", sysRecord{typ: event.TypeAccept4, ret: 7, args: [6]uint64{3, 0, 0, 0o2000000},
			family: event.AFInet6, laddr: netip.IPv6Loopback().AsSlice(), lport: 80,
			raddr: netip.IPv6Loopback().AsSlice(), rport: 5555}.bytes(), func(t *testing.T, e *event.Event) {
			if e.Fd != 7 || e.Flags != 0o2000000 || e.Sock.Local.Port() != 80 || e.Sock.Remote.Port() != 5555 || e.Sock.Role != event.RoleServer {
				t.Errorf("fd %d sock %+v", e.Fd, e.Sock)
			}
		}},
		{"mount", sysRecord{typ: event.TypeMount, args: [6]uint64{0, 0, 0, 2},
			fields: [nFields][]byte{fP1: z("/mnt"), fP2: z("/dev/sda1"), fS3: z("ext4")}}.bytes(), func(t *testing.T, e *event.Event) {
			if e.Path != "/mnt" || e.Path2 != "/dev/sda1" || e.FSType != "ext4" || e.Flags != 2 {
				t.Errorf("mount %q %q %q %d", e.Path, e.Path2, e.FSType, e.Flags)
			}
		}},
		{"setresuid keeps -1", sysRecord{typ: event.TypeSetresuid, args: [6]uint64{0xffffffff, 0, 0xffffffff}}.bytes(), func(t *testing.T, e *event.Event) {
			if e.UIDs != [3]int64{-1, 0, -1} {
				t.Errorf("uids %v", e.UIDs)
			}
		}},
		{"kill", sysRecord{typ: event.TypeKill, args: [6]uint64{0xffffffff, 9}}.bytes(), func(t *testing.T, e *event.Event) {
			if e.TargetPid != -1 || e.Signal != 9 {
				t.Errorf("kill %d %d", e.TargetPid, e.Signal)
			}
		}},
	}
	d := newDecoder(1000)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev event.Event
			kind, err := d.decode(tt.raw, &ev)
			if err != nil || kind != recSyscall {
				t.Fatalf("decode: kind %d err %v", kind, err)
			}
			tt.check(t, &ev)
		})
	}
}

func TestDecodeHeaderAndExec(t *testing.T) {
	hdr := func(kind uint16, typ event.Type, n int) []byte {
		b := make([]byte, n)
		le := binary.LittleEndian
		le.PutUint64(b[0:], 5e9)
		le.PutUint16(b[32:], kind)
		le.PutUint16(b[34:], uint16(typ))
		for i, v := range []uint32{100, 101, 1, 1000, 1001, 0, 1000, 100, 100, 7, 0x8801, 3} {
			le.PutUint32(b[36+4*i:], v)
		}
		copy(b[88:], "bash\x00junk")
		return b
	}
	d := newDecoder(1e9)
	var ev event.Event

	// exec: argv, filename, exe walk, cwd walk, env (cut by the cap)
	argv := []byte("sh\x00-c\x00echo hi there\x00")
	fn := z("./sh")
	exe := walkOf("memfd:x (deleted)")
	cwd := walkOf("home", "u")
	env := []byte("HOME=/root\x00LD_PRELOAD=/tmp/x.so\x00PAR")
	raw := hdr(recExec, event.TypeExecveat, execData)
	le := binary.LittleEndian
	for i, f := range [][]byte{argv, fn, exe, cwd, env} {
		le.PutUint16(raw[execLen+2*i:], uint16(len(f)))
		raw = append(raw, f...)
	}
	le.PutUint16(raw[execFlags:], flArgvTrunc|flUpper|flEnvTrunc)
	kind, err := d.decode(raw, &ev)
	if err != nil || kind != recExec {
		t.Fatalf("exec: kind %d err %v", kind, err)
	}
	ti, x := d.ti, d.x
	if ti.Time != 6e9 || ti.Pid != 100 || ti.Tid != 101 || ti.Ppid != 1 || ti.Uid != 1000 || ti.Gid != 1001 ||
		ti.LoginUID != 1000 || ti.Sid != 100 || ti.Vpid != 7 || ti.Tty != 0x8801 || ti.Comm != "bash" || ev.CPU != 3 {
		t.Errorf("header: %+v cpu %d", ti, ev.CPU)
	}
	if len(x.Argv) != 3 || x.Argv[2] != "echo hi there" || x.ExePath != "/memfd:x (deleted)" || !x.FromMemfd ||
		x.Cwd != "/home/u" || !x.ArgsTruncated || !x.UpperLayer || ev.Type != event.TypeExecveat {
		t.Errorf("exec: %+v", x)
	}
	if string(x.Env) != "HOME=/root\x00LD_PRELOAD=/tmp/x.so" || !x.EnvTruncated {
		t.Errorf("exec env %q truncated %v, want the partial last variable dropped", x.Env, x.EnvTruncated)
	}

	fork := hdr(recFork, event.TypeClone, forkSize)
	le.PutUint32(fork[forkChild:], 200)
	le.PutUint32(fork[forkChild+4:], 200)
	if kind, err := d.decode(fork, &ev); err != nil || kind != recFork || d.childPid != 200 || ev.Res != 200 {
		t.Errorf("fork: kind %d err %v child %d", kind, err, d.childPid)
	}
	exit := hdr(recExit, event.TypeProcexit, exitSize)
	le.PutUint32(exit[exitOff:], 0x0300)
	if kind, err := d.decode(exit, &ev); err != nil || kind != recExit || exitCode(ev.Res) != 3 {
		t.Errorf("exit: kind %d err %v res %#x", kind, err, ev.Res)
	}
	if exitCode(9) != 137 {
		t.Errorf("killed by SIGKILL: code %d, want 137", exitCode(9))
	}
}

func TestDecodeMalformed(t *testing.T) {
	d := newDecoder(0)
	var ev event.Event
	short := openatRecord()
	for _, raw := range [][]byte{
		nil,
		short[:hdrSize-1],
		short[:sysData-1],
		sysRecord{typ: event.TypeOpenat, fields: [nFields][]byte{fP1: z("/x")}, trimEnd: 1}.bytes(),
		sysRecord{typ: event.NumTypes}.bytes(),
		sysRecord{typ: 0}.bytes(),
	} {
		if _, err := d.decode(raw, &ev); err == nil {
			t.Errorf("record of %d bytes decoded without error", len(raw))
		}
	}
}

// TestSyscallTableMatchesBPF checks that hooks.go and bpf/syscalls.h agree
// on which tracepoint produces which event type.
func TestSyscallTableMatchesBPF(t *testing.T) {
	f, err := os.Open("../bpf/syscalls.h")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	re := regexp.MustCompile(`^SYSCALL\((\w+),\s*(\d+),`)
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := re.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		if syscallOf[n] != m[1] {
			t.Errorf("syscalls.h: %s is type %d (%s); hooks.go says %q", m[1], n, event.Type(n), syscallOf[n])
		}
		seen[m[1]] = true
	}
	for typ, sys := range syscallOf {
		if sys != "" && !seen[sys] {
			t.Errorf("hooks.go: %s -> %s has no program in syscalls.h", event.Type(typ), sys)
		}
	}
	if len(seen) != 50 {
		t.Errorf("syscalls.h has %d syscalls, want 50 (every DESIGN.md §2 type but clone/procexit)", len(seen))
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(openatRecord())
	f.Add(connectRecord())
	f.Add(sysRecord{typ: event.TypeBind, sa: append([]byte{1, 0, 0}, "abs"...)}.bytes())
	f.Add(sysRecord{typ: event.TypeRenameat, fields: [nFields][]byte{fP1: z("a"), fD1: walkOf("x"), fP2: z("../../b"), fD2: walkOf("y")}, flags: flD1 | flD2}.bytes())
	d := newDecoder(0)
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ev event.Event
		d.decode(raw, &ev) // must not panic, whatever the bytes
	})
}

func BenchmarkDecodeOpenat(b *testing.B) {
	benchDecode(b, openatRecord())
}

func BenchmarkDecodeConnect(b *testing.B) {
	benchDecode(b, connectRecord())
}

func benchDecode(b *testing.B, raw []byte) {
	d := newDecoder(0)
	var ev event.Event
	d.decode(raw, &ev) // intern the comm
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := d.decode(raw, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDecodeAllocsNothing(t *testing.T) {
	d := newDecoder(0)
	var ev event.Event
	for _, raw := range [][]byte{openatRecord(), connectRecord()} {
		d.decode(raw, &ev)
		if n := testing.AllocsPerRun(100, func() { d.decode(raw, &ev) }); n != 0 {
			t.Errorf("%s: %v allocations per decode", ev.Type, n)
		}
	}
}
