package sensor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"unsafe"

	"github.com/ttpwatch/ttpwatch/event"
)

// Record kinds (hdr.kind in bpf/sensor.bpf.c).
const (
	recSyscall = 1
	recExec    = 2
	recFork    = 3
	recExit    = 4
)

// Record flags (FL_* in bpf/sensor.bpf.c).
const (
	flD1        = 1
	flD2        = 2
	flTrunc     = 4
	flArgvTrunc = 8
	flUpper     = 16
	flSockaddr  = 32
	flEnvTrunc  = 64
)

// String fields of a syscall record, in data order (F_* in sensor.bpf.c).
const (
	fP1 = iota
	fD1
	fP2
	fD2
	fS3
	fSockaddr
	fUnix
	nFields
)

// Offsets into the records, taken from the bpf2go types generated from the
// C structs so that they cannot drift apart.
var (
	hdrSize = int(unsafe.Sizeof(sensorBPFHdr{}))

	sysRet     = int(unsafe.Offsetof(sensorBPFSysrec{}.Ret))
	sysArgs    = int(unsafe.Offsetof(sensorBPFSysrec{}.Args))
	sysSk      = int(unsafe.Offsetof(sensorBPFSysrec{}.Sk))
	sysLen     = int(unsafe.Offsetof(sensorBPFSysrec{}.Len))
	sysFlags   = int(unsafe.Offsetof(sensorBPFSysrec{}.Flags))
	sysData    = int(unsafe.Offsetof(sensorBPFSysrec{}.Data))
	execLen    = int(unsafe.Offsetof(sensorBPFExecrec{}.Len))
	execFlags  = int(unsafe.Offsetof(sensorBPFExecrec{}.Flags))
	execData   = int(unsafe.Offsetof(sensorBPFExecrec{}.Data))
	execMtime  = int(unsafe.Offsetof(sensorBPFExecrec{}.ExeMtime))
	execIno    = int(unsafe.Offsetof(sensorBPFExecrec{}.ExeIno))
	forkChild  = hdrSize // child_pid, then child_tid
	exitOff    = hdrSize
	forkSize   = hdrSize + 8
	exitSize   = hdrSize + 8
	skFamily   = sysSk
	skType     = sysSk + 2
	skProto    = sysSk + 4
	skLport    = sysSk + 6
	skRport    = sysSk + 8
	skLaddr    = sysSk + 16
	skRaddr    = sysSk + 32
	maxCommLen = 16
)

// errMalformed is returned for a record that does not parse: it is counted,
// never fatal.
var errMalformed = errors.New("malformed sensor record")

// slabSize bounds what one record's strings can take: a record is at most
// ~17 KiB and each byte yields at most two string bytes (raw and resolved).
const slabSize = 64 << 10

// decoder turns ring buffer records into events. It reuses its buffers, so
// the strings it puts in an event (Path, Path2, PathRaw, FSType, Sock.UnixPath)
// stay valid only until the next record is decoded: a consumer that keeps an
// event must Clone it, and Clone must copy those strings. Process images
// (exec) get their own copies. Not safe for concurrent use.
type decoder struct {
	bootOffset int64 // unix ns minus CLOCK_BOOTTIME ns
	slab       []byte
	path       []byte
	comms      map[[16]byte]string
	ti         TaskInfo
	x          ExecInfo
	childPid   uint32
	childTid   uint32
}

func newDecoder(bootOffset int64) *decoder {
	return &decoder{
		bootOffset: bootOffset,
		slab:       make([]byte, 0, slabSize),
		path:       make([]byte, 0, 8192),
		comms:      make(map[[16]byte]string, 256),
	}
}

func u16(b []byte, off int) uint16 { return binary.LittleEndian.Uint16(b[off:]) }
func u32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
func u64(b []byte, off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }

// str returns b as a string backed by the slab (valid until the next
// record), or a copy when the slab is full.
func (d *decoder) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(d.slab)+len(b) > cap(d.slab) {
		return string(b)
	}
	start := len(d.slab)
	d.slab = append(d.slab, b...)
	s := d.slab[start:]
	return unsafe.String(&s[0], len(s))
}

// comm interns task names: there are few distinct ones and the process
// table keeps them, so they must not point into a reused buffer.
func (d *decoder) comm(b []byte) string {
	var k [16]byte
	copy(k[:], b)
	if s, ok := d.comms[k]; ok {
		return s
	}
	if len(d.comms) >= 4096 {
		clear(d.comms)
	}
	s := string(cstr(b))
	d.comms[k] = s
	return s
}

// cstr cuts b at its first NUL.
func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// decodeHeader fills d.ti and the common event fields.
func (d *decoder) decodeHeader(raw []byte, ev *event.Event) {
	ti := &d.ti
	ti.Time = int64(u64(raw, 0)) + d.bootOffset
	ti.CgroupID = u64(raw, 8)
	ti.CapEff = u64(raw, 16)
	ti.CapPrm = u64(raw, 24)
	ti.Pid = u32(raw, 36)
	ti.Tid = u32(raw, 40)
	ti.Ppid = u32(raw, 44)
	ti.Uid = u32(raw, 48)
	ti.Gid = u32(raw, 52)
	ti.Euid = u32(raw, 56)
	ti.LoginUID = u32(raw, 60)
	ti.Sid = u32(raw, 64)
	ti.Pgid = u32(raw, 68)
	ti.Vpid = u32(raw, 72)
	ti.Tty = u32(raw, 76)
	ti.Comm = d.comm(raw[88 : 88+maxCommLen])
	ev.Time = ti.Time
	ev.Type = event.Type(u16(raw, 34))
	ev.Tid = ti.Tid
	ev.CPU = uint16(u32(raw, 80))
}

// decode parses one record into ev (reset first) and d.ti, and returns its
// kind. For an exec, d.x holds the new image; for a fork, d.childPid/Tid.
func (d *decoder) decode(raw []byte, ev *event.Event) (int, error) {
	d.slab = d.slab[:0]
	ev.Reset()
	if len(raw) < hdrSize {
		return 0, errMalformed
	}
	kind := int(u16(raw, 32))
	if t := u16(raw, 34); t == 0 || t >= uint16(event.NumTypes) {
		return 0, errMalformed
	}
	d.decodeHeader(raw, ev)
	switch kind {
	case recSyscall:
		if len(raw) < sysData {
			return 0, errMalformed
		}
		return kind, d.decodeSyscall(raw, ev)
	case recExec:
		if len(raw) < execData {
			return 0, errMalformed
		}
		return kind, d.decodeExec(raw)
	case recFork:
		if len(raw) < forkSize {
			return 0, errMalformed
		}
		d.childPid = u32(raw, forkChild)
		d.childTid = u32(raw, forkChild+4)
		ev.Res = int64(d.childPid)
		return kind, nil
	case recExit:
		if len(raw) < exitSize {
			return 0, errMalformed
		}
		ev.Res = int64(int32(u32(raw, exitOff)))
		return kind, nil
	}
	return 0, errMalformed
}

// fields splits the string area of a record by the lengths at lenOff.
func fields(raw []byte, lenOff, dataOff, n int, out [][]byte) bool {
	off := dataOff
	for i := 0; i < n; i++ {
		l := int(u16(raw, lenOff+2*i))
		if off+l > len(raw) {
			return false
		}
		out[i] = raw[off : off+l]
		off += l
	}
	return true
}

func (d *decoder) decodeSyscall(raw []byte, ev *event.Event) error {
	var f [nFields][]byte
	if !fields(raw, sysLen, sysData, nFields, f[:]) {
		return errMalformed
	}
	flags := u16(raw, sysFlags)
	var a [6]uint64
	for i := range a {
		a[i] = u64(raw, sysArgs+8*i)
	}
	ev.Res = int64(u64(raw, sysRet))
	fd := func(i int) int64 { return int64(int32(a[i])) }

	// path1 is the first path made absolute; raw1 as passed.
	path1 := func() {
		ev.PathRaw = d.str(cstr(f[fP1]))
		ev.Path = d.resolve(f[fD1], f[fP1], flags&flD1 != 0)
	}
	path2 := func() string { return d.resolve(f[fD2], f[fP2], flags&flD2 != 0) }

	switch ev.Type {
	case event.TypeExecve:
		path1()
	case event.TypeExecveat:
		path1()
		ev.Fd = fd(0)
		ev.Flags = a[4]
	case event.TypeOpen:
		path1()
		ev.Flags, ev.Mode, ev.Fd = a[1], uint32(a[2]), ev.Res
	case event.TypeOpenat, event.TypeOpenat2:
		path1()
		ev.Flags, ev.Mode, ev.Fd = a[2], uint32(a[3]), ev.Res
	case event.TypeCreat:
		path1()
		// creat is open(O_CREAT|O_WRONLY|O_TRUNC)
		ev.Flags, ev.Mode, ev.Fd = 0o1101, uint32(a[1]), ev.Res
	case event.TypeUnlink, event.TypeRmdir:
		path1()
	case event.TypeUnlinkat:
		path1()
		ev.Flags = a[2]
	case event.TypeMkdir, event.TypeChmod:
		path1()
		ev.Mode = uint32(a[1])
	case event.TypeMkdirat, event.TypeFchmodat:
		path1()
		ev.Mode = uint32(a[2])
	case event.TypeFchmod:
		ev.Fd, ev.Mode = fd(0), uint32(a[1])
		ev.Path = d.resolve(f[fD1], nil, flags&flD1 != 0)
	case event.TypeRename, event.TypeLink:
		path1()
		ev.Path2 = path2()
	case event.TypeRenameat:
		path1()
		ev.Path2 = path2()
	case event.TypeRenameat2, event.TypeLinkat:
		path1()
		ev.Path2 = path2()
		ev.Flags = a[4]
	case event.TypeSymlink, event.TypeSymlinkat:
		// Path is the link's target, kept as written; Path2 the new link.
		ev.Path = d.str(cstr(f[fP1]))
		ev.PathRaw = ev.Path
		ev.Path2 = path2()
	case event.TypeConnect, event.TypeSendto, event.TypeSendmsg:
		ev.Fd = fd(0)
		d.sock(raw, f[fUnix], f[fSockaddr], flags, ev, event.RoleClient, true)
	case event.TypeRecvfrom, event.TypeRecvmsg:
		ev.Fd = fd(0)
		d.sock(raw, f[fUnix], f[fSockaddr], flags, ev, event.RoleNone, true)
	case event.TypeBind:
		ev.Fd = fd(0)
		d.sock(raw, f[fUnix], f[fSockaddr], flags, ev, event.RoleServer, false)
	case event.TypeListen:
		ev.Fd = fd(0)
		d.sock(raw, f[fUnix], f[fSockaddr], flags, ev, event.RoleServer, false)
	case event.TypeAccept, event.TypeAccept4:
		ev.Fd = ev.Res
		if ev.Type == event.TypeAccept4 {
			ev.Flags = a[3]
		}
		d.sock(raw, f[fUnix], f[fSockaddr], flags, ev, event.RoleServer, false)
	case event.TypeSocket:
		ev.Fd = ev.Res
		ev.Sock.Family = uint16(a[0])
		ev.Sock.Type = uint16(a[1] & 0xf)
		ev.Sock.Proto = uint16(a[2])
		ev.Flags = a[1] &^ 0xf // SOCK_NONBLOCK, SOCK_CLOEXEC
	case event.TypeDup:
		ev.Fd, ev.Fd2 = fd(0), ev.Res
		d.sock(raw, f[fUnix], nil, 0, ev, event.RoleNone, false)
	case event.TypeDup2:
		ev.Fd, ev.Fd2 = fd(0), fd(1)
		d.sock(raw, f[fUnix], nil, 0, ev, event.RoleNone, false)
	case event.TypeDup3:
		ev.Fd, ev.Fd2, ev.Flags = fd(0), fd(1), a[2]
		d.sock(raw, f[fUnix], nil, 0, ev, event.RoleNone, false)
	case event.TypePtrace:
		ev.Request, ev.TargetPid = int64(a[0]), int64(int32(a[1]))
	case event.TypeSetuid, event.TypeSetgid:
		ev.UIDs = [3]int64{int64(int32(a[0])), -1, -1}
		ev.PrevIDs = [2]int64{int64(uint32(a[4])), int64(uint32(a[5]))}
	case event.TypeSetresuid, event.TypeSetresgid:
		ev.UIDs = [3]int64{int64(int32(a[0])), int64(int32(a[1])), int64(int32(a[2]))}
		ev.PrevIDs = [2]int64{int64(uint32(a[4])), int64(uint32(a[5]))}
	case event.TypeInitModule:
		// init_module loads from memory: no name until the module runs.
	case event.TypeFinitModule:
		ev.Fd, ev.Flags = fd(0), a[2]
		ev.Path = d.resolve(f[fD1], nil, flags&flD1 != 0)
	case event.TypeDeleteModule:
		ev.Path = d.str(cstr(f[fP1]))
		ev.Flags = a[1]
	case event.TypeBpf:
		ev.Cmd = int64(a[0])
	case event.TypeMemfdCreate:
		ev.Path = d.str(cstr(f[fP1]))
		ev.Flags, ev.Fd = a[1], ev.Res
	case event.TypeMount:
		path1()
		ev.Path2 = d.str(cstr(f[fP2]))
		ev.FSType = d.str(cstr(f[fS3]))
		ev.Flags = a[3]
	case event.TypeUmount2:
		path1()
		ev.Flags = a[1]
	case event.TypeSetns:
		ev.Fd, ev.Flags = fd(0), a[1]
	case event.TypeUnshare, event.TypeUserfaultfd:
		ev.Flags = a[0]
		if ev.Type == event.TypeUserfaultfd {
			ev.Fd = ev.Res
		}
	case event.TypeKill:
		ev.TargetPid, ev.Signal = int64(int32(a[0])), int64(int32(a[1]))
	default:
		return errMalformed
	}
	return nil
}

// sock fills ev.Sock from the socket read at exit and, when the record
// carries one, the user sockaddr (the peer for connect/send/recv when
// userIsRemote, the local address for bind).
func (d *decoder) sock(raw, unixName, sockaddr []byte, flags uint16, ev *event.Event, role event.SockRole, userIsRemote bool) {
	s := &ev.Sock
	s.Role = role
	s.Family = u16(raw, skFamily)
	s.Type = u16(raw, skType)
	s.Proto = u16(raw, skProto)
	switch s.Family {
	case event.AFInet:
		s.Local = netip.AddrPortFrom(netip.AddrFrom4([4]byte(raw[skLaddr:skLaddr+4])), u16(raw, skLport))
		s.Remote = netip.AddrPortFrom(netip.AddrFrom4([4]byte(raw[skRaddr:skRaddr+4])), u16(raw, skRport))
	case event.AFInet6:
		s.Local = netip.AddrPortFrom(netip.AddrFrom16([16]byte(raw[skLaddr:skLaddr+16])), u16(raw, skLport))
		s.Remote = netip.AddrPortFrom(netip.AddrFrom16([16]byte(raw[skRaddr:skRaddr+16])), u16(raw, skRport))
	case event.AFUnix:
		s.UnixPath = d.unixPath(unixName)
	}
	if flags&flSockaddr == 0 {
		return
	}
	fam, ap, path, ok := parseSockaddr(sockaddr)
	if !ok {
		return
	}
	if s.Family == 0 {
		s.Family = fam
	}
	switch {
	case fam == event.AFUnix:
		if len(path) > 0 {
			s.UnixPath = d.unixPath(path)
		}
	case userIsRemote:
		s.Remote = ap
	default:
		s.Local = ap
	}
}

// unixPath renders a sun_path: abstract names (leading NUL) get Falco's "@".
func (d *decoder) unixPath(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	if p[0] == 0 {
		start := len(d.slab)
		if start+1+len(p) > cap(d.slab) {
			return "@" + string(cstr(p[1:]))
		}
		d.slab = append(d.slab, '@')
		d.slab = append(d.slab, cstr(p[1:])...)
		s := d.slab[start:]
		return unsafe.String(&s[0], len(s))
	}
	return d.str(cstr(p))
}

// parseSockaddr reads a struct sockaddr as the kernel stores it (family in
// host order, port in network order).
func parseSockaddr(b []byte) (family uint16, ap netip.AddrPort, unixPath []byte, ok bool) {
	if len(b) < 2 {
		return 0, ap, nil, false
	}
	family = binary.LittleEndian.Uint16(b)
	switch family {
	case event.AFInet:
		if len(b) < 8 {
			return 0, ap, nil, false
		}
		return family, netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), binary.BigEndian.Uint16(b[2:])), nil, true
	case event.AFInet6:
		if len(b) < 24 {
			return 0, ap, nil, false
		}
		return family, netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[8:24])), binary.BigEndian.Uint16(b[2:])), nil, true
	case event.AFUnix:
		return family, ap, b[2:], true
	}
	return family, ap, nil, true
}

// resolve makes rel absolute against the directory walk dir (components
// leaf first, NUL terminated), cleaning "." and ".." lexically as Falco
// does. Without a walk (dirfd not a directory, no path) rel is returned
// cleaned if absolute, or as is.
func (d *decoder) resolve(dir, rel []byte, walked bool) string {
	rel = cstr(rel)
	p := d.path[:0]
	switch {
	case len(rel) > 0 && rel[0] == '/':
		p = appendClean(p, rel)
	case walked:
		p = appendWalk(p, dir)
		if len(rel) > 0 {
			p = appendClean(p, rel)
		}
	default:
		return d.str(rel)
	}
	if len(p) == 0 {
		p = append(p, '/')
	}
	d.path = p
	return d.str(p)
}

// appendWalk appends the directory of a leaf-first component walk as
// "/c1/c2..." (nothing for the root).
func appendWalk(p, walk []byte) []byte {
	end := len(walk)
	for end > 0 {
		// components end with NUL: walk[end-1] is the NUL of the last one
		i := bytes.LastIndexByte(walk[:end-1], 0)
		comp := walk[i+1 : end-1]
		end = i + 1
		if len(comp) == 0 || (len(comp) == 1 && comp[0] == '/') {
			continue
		}
		p = appendComponent(p, comp)
	}
	return p
}

// appendClean appends the components of path to p (an absolute path
// without trailing slash, "" for the root), resolving "." and "..".
func appendClean(p, path []byte) []byte {
	for len(path) > 0 {
		i := bytes.IndexByte(path, '/')
		var comp []byte
		if i < 0 {
			comp, path = path, nil
		} else {
			comp, path = path[:i], path[i+1:]
		}
		p = appendComponent(p, comp)
	}
	return p
}

func appendComponent(p, comp []byte) []byte {
	switch {
	case len(comp) == 0 || (len(comp) == 1 && comp[0] == '.'):
		return p
	case len(comp) == 2 && comp[0] == '.' && comp[1] == '.':
		if i := bytes.LastIndexByte(p, '/'); i >= 0 {
			return p[:i]
		}
		return p
	}
	p = append(p, '/')
	return append(p, comp...)
}

// execFields is the number of string fields of an exec record: argv,
// filename, exe walk, cwd walk, environment.
const execFields = 5

// decodeExec fills d.x. Its strings are copies: the process table keeps them.
// The environment is not copied: x.Env points into raw (valid until the next
// record) and the table interns it, so children of one shell share one copy.
func (d *decoder) decodeExec(raw []byte) error {
	var f [execFields][]byte
	if !fields(raw, execLen, execData, execFields, f[:]) {
		return errMalformed
	}
	flags := u16(raw, execFlags)
	x := &d.x
	*x = ExecInfo{ArgsTruncated: flags&flArgvTrunc != 0, UpperLayer: flags&flUpper != 0,
		EnvTruncated: flags&flEnvTrunc != 0}
	x.Env = envBlock(f[4], x.EnvTruncated)
	x.ExeMtime = int64(u64(raw, execMtime))
	x.ExeIno = u64(raw, execIno)
	argv := f[0]
	if len(argv) > 0 && argv[len(argv)-1] == 0 {
		argv = argv[:len(argv)-1]
	}
	if len(argv) > 0 {
		n := bytes.Count(argv, []byte{0}) + 1
		x.Argv = make([]string, 0, n)
		all := string(argv) // one allocation for every argument
		for s := range strings.SplitSeq(all, "\x00") {
			x.Argv = append(x.Argv, s)
		}
	}
	p := appendWalk(d.path[:0], f[2])
	if len(p) == 0 {
		p = append(p, '/')
	}
	x.ExePath = string(p)
	x.FromMemfd = strings.HasPrefix(x.ExePath, "/memfd:")
	p = appendWalk(p[:0], f[3])
	if len(p) == 0 {
		p = append(p, '/')
	}
	x.Cwd = string(p)
	d.path = p
	return nil
}

// envBlock trims an environment block as read from mm->env_start: the final
// NUL goes and, when the read was cut at the cap, so does the partial last
// variable (a cut value must not pass for the real one). The result is never
// nil: an exec always has an environment, possibly empty.
func envBlock(b []byte, truncated bool) []byte {
	if truncated {
		if i := bytes.LastIndexByte(b, 0); i >= 0 {
			b = b[:i+1]
		} else {
			b = b[:0]
		}
	}
	if len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	if b == nil {
		b = []byte{}
	}
	return b
}
