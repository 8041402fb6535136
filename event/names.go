package event

import (
	"strconv"
	"sync/atomic"
)

// This file holds the Linux name tables (errno, signals, ptrace requests, bpf
// commands, address families, socket types, flag bits, capabilities) that
// fields render and that conditions may name on their right side. Values are
// the x86-64/generic Linux ones.

// errnoNames maps errno numbers to their names, the full Linux table
// including the kernel-internal codes a syscall can leak (ERESTARTSYS, …).
var errnoNames = map[int64]string{
	1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO",
	7: "E2BIG", 8: "ENOEXEC", 9: "EBADF", 10: "ECHILD", 11: "EAGAIN",
	12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 15: "ENOTBLK", 16: "EBUSY",
	17: "EEXIST", 18: "EXDEV", 19: "ENODEV", 20: "ENOTDIR", 21: "EISDIR",
	22: "EINVAL", 23: "ENFILE", 24: "EMFILE", 25: "ENOTTY", 26: "ETXTBSY",
	27: "EFBIG", 28: "ENOSPC", 29: "ESPIPE", 30: "EROFS", 31: "EMLINK",
	32: "EPIPE", 33: "EDOM", 34: "ERANGE", 35: "EDEADLK", 36: "ENAMETOOLONG",
	37: "ENOLCK", 38: "ENOSYS", 39: "ENOTEMPTY", 40: "ELOOP", 42: "ENOMSG",
	43: "EIDRM", 44: "ECHRNG", 45: "EL2NSYNC", 46: "EL3HLT", 47: "EL3RST",
	48: "ELNRNG", 49: "EUNATCH", 50: "ENOCSI", 51: "EL2HLT", 52: "EBADE",
	53: "EBADR", 54: "EXFULL", 55: "ENOANO", 56: "EBADRQC", 57: "EBADSLT",
	59: "EBFONT", 60: "ENOSTR", 61: "ENODATA", 62: "ETIME", 63: "ENOSR",
	64: "ENONET", 65: "ENOPKG", 66: "EREMOTE", 67: "ENOLINK", 68: "EADV",
	69: "ESRMNT", 70: "ECOMM", 71: "EPROTO", 72: "EMULTIHOP", 73: "EDOTDOT",
	74: "EBADMSG", 75: "EOVERFLOW", 76: "ENOTUNIQ", 77: "EBADFD", 78: "EREMCHG",
	79: "ELIBACC", 80: "ELIBBAD", 81: "ELIBSCN", 82: "ELIBMAX", 83: "ELIBEXEC",
	84: "EILSEQ", 85: "ERESTART", 86: "ESTRPIPE", 87: "EUSERS", 88: "ENOTSOCK",
	89: "EDESTADDRREQ", 90: "EMSGSIZE", 91: "EPROTOTYPE", 92: "ENOPROTOOPT",
	93: "EPROTONOSUPPORT", 94: "ESOCKTNOSUPPORT", 95: "EOPNOTSUPP",
	96: "EPFNOSUPPORT", 97: "EAFNOSUPPORT", 98: "EADDRINUSE",
	99: "EADDRNOTAVAIL", 100: "ENETDOWN", 101: "ENETUNREACH", 102: "ENETRESET",
	103: "ECONNABORTED", 104: "ECONNRESET", 105: "ENOBUFS", 106: "EISCONN",
	107: "ENOTCONN", 108: "ESHUTDOWN", 109: "ETOOMANYREFS", 110: "ETIMEDOUT",
	111: "ECONNREFUSED", 112: "EHOSTDOWN", 113: "EHOSTUNREACH", 114: "EALREADY",
	115: "EINPROGRESS", 116: "ESTALE", 117: "EUCLEAN", 118: "ENOTNAM",
	119: "ENAVAIL", 120: "EISNAM", 121: "EREMOTEIO", 122: "EDQUOT",
	123: "ENOMEDIUM", 124: "EMEDIUMTYPE", 125: "ECANCELED", 126: "ENOKEY",
	127: "EKEYEXPIRED", 128: "EKEYREVOKED", 129: "EKEYREJECTED",
	130: "EOWNERDEAD", 131: "ENOTRECOVERABLE", 132: "ERFKILL", 133: "EHWPOISON",
	512: "ERESTARTSYS", 513: "ERESTARTNOINTR", 514: "ERESTARTNOHAND",
	515: "ENOIOCTLCMD", 516: "ERESTART_RESTARTBLOCK", 517: "EPROBE_DEFER",
	518: "EOPENSTALE", 519: "ENOPARAM", 521: "EBADHANDLE", 522: "ENOTSYNC",
	523: "EBADCOOKIE", 524: "ENOTSUPP", 525: "ETOOSMALL", 526: "ESERVERFAULT",
	527: "EBADTYPE", 528: "EJUKEBOX", 529: "EIOCBQUEUED", 530: "ERECALLCONFLICT",
	531: "ENOGRACE",
}

// errnoAliases are second names glibc gives to some errno values.
var errnoAliases = map[string]int64{"EWOULDBLOCK": 11, "EDEADLOCK": 35, "ENOTSUP": 95}

// maxErrno is the largest value the kernel returns as an error (MAX_ERRNO).
const maxErrno = 4095

// errnoByNum is errnoNames as a slice, so the per-event lookup is an index.
var errnoByNum [maxErrno + 1]string

var errnoByName = map[string]int64{}

func init() {
	for n, s := range errnoNames {
		errnoByNum[n] = s
		errnoByName[s] = n
	}
	for s, n := range errnoAliases {
		errnoByName[s] = n
	}
}

// ErrnoName returns the Linux name of an errno (ENOENT for 2). The sign is
// ignored, so a raw syscall result (-2) works too. It returns "" for values
// that are not errnos.
func ErrnoName(n int64) string {
	if n < 0 {
		n = -n
	}
	if n <= 0 || n > maxErrno {
		return ""
	}
	return errnoByNum[n]
}

// ErrnoValue returns the positive errno number for a name such as ENOENT or
// EINPROGRESS (aliases EWOULDBLOCK, EDEADLOCK and ENOTSUP included). A
// syscall that fails with it returns the negated value.
func ErrnoValue(name string) (int64, bool) {
	n, ok := errnoByName[name]
	return n, ok
}

// enumTable is a small number→name table with its reverse.
type enumTable struct {
	byNum  map[int64]string
	byName map[string]int64
}

func newEnumTable(m map[int64]string) *enumTable {
	t := &enumTable{byNum: m, byName: make(map[string]int64, len(m))}
	for n, s := range m {
		t.byName[s] = n
	}
	return t
}

func (t *enumTable) name(n int64) string { return t.byNum[n] }

func (t *enumTable) value(s string) (int64, bool) {
	n, ok := t.byName[s]
	return n, ok
}

var signals = newEnumTable(map[int64]string{
	1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP",
	6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1",
	11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
	16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP",
	21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ",
	26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR",
	31: "SIGSYS",
})

func init() {
	// Real-time signals: glibc reserves 32 and 33, so SIGRTMIN is 34.
	signals.byNum[34] = "SIGRTMIN"
	signals.byName["SIGRTMIN"] = 34
	for n := int64(35); n < 64; n++ {
		s := "SIGRTMIN+" + strconv.FormatInt(n-34, 10)
		signals.byNum[n] = s
		signals.byName[s] = n
	}
	signals.byNum[64] = "SIGRTMAX"
	signals.byName["SIGRTMAX"] = 64
	for s, n := range map[string]int64{"SIGIOT": 6, "SIGPOLL": 29, "SIGCLD": 17} {
		signals.byName[s] = n
	}
}

// SignalName returns the name of a signal number (SIGKILL for 9), "" if none.
func SignalName(n int64) string { return signals.name(n) }

// SignalValue returns the number of a signal name (SIGKILL → 9).
func SignalValue(name string) (int64, bool) { return signals.value(name) }

var ptraceRequests = newEnumTable(map[int64]string{
	0: "PTRACE_TRACEME", 1: "PTRACE_PEEKTEXT", 2: "PTRACE_PEEKDATA",
	3: "PTRACE_PEEKUSR", 4: "PTRACE_POKETEXT", 5: "PTRACE_POKEDATA",
	6: "PTRACE_POKEUSR", 7: "PTRACE_CONT", 8: "PTRACE_KILL",
	9: "PTRACE_SINGLESTEP", 12: "PTRACE_GETREGS", 13: "PTRACE_SETREGS",
	14: "PTRACE_GETFPREGS", 15: "PTRACE_SETFPREGS", 16: "PTRACE_ATTACH",
	17: "PTRACE_DETACH", 18: "PTRACE_GETFPXREGS", 19: "PTRACE_SETFPXREGS",
	24: "PTRACE_SYSCALL", 25: "PTRACE_GET_THREAD_AREA",
	26: "PTRACE_SET_THREAD_AREA", 30: "PTRACE_ARCH_PRCTL", 31: "PTRACE_SYSEMU",
	32: "PTRACE_SYSEMU_SINGLESTEP", 33: "PTRACE_SINGLEBLOCK",
	0x4200: "PTRACE_SETOPTIONS", 0x4201: "PTRACE_GETEVENTMSG",
	0x4202: "PTRACE_GETSIGINFO", 0x4203: "PTRACE_SETSIGINFO",
	0x4204: "PTRACE_GETREGSET", 0x4205: "PTRACE_SETREGSET",
	0x4206: "PTRACE_SEIZE", 0x4207: "PTRACE_INTERRUPT", 0x4208: "PTRACE_LISTEN",
	0x4209: "PTRACE_PEEKSIGINFO", 0x420a: "PTRACE_GETSIGMASK",
	0x420b: "PTRACE_SETSIGMASK", 0x420c: "PTRACE_SECCOMP_GET_FILTER",
	0x420d: "PTRACE_SECCOMP_GET_METADATA", 0x420e: "PTRACE_GET_SYSCALL_INFO",
	0x420f: "PTRACE_GET_RSEQ_CONFIGURATION",
	0x4210: "PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG",
	0x4211: "PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG",
})

// PtraceRequestName returns the name of a ptrace request (PTRACE_ATTACH for
// 16), "" if unknown.
func PtraceRequestName(n int64) string { return ptraceRequests.name(n) }

// PtraceRequestValue returns the number of a ptrace request name.
func PtraceRequestValue(name string) (int64, bool) { return ptraceRequests.value(name) }

var bpfCmds = newEnumTable(map[int64]string{
	0: "BPF_MAP_CREATE", 1: "BPF_MAP_LOOKUP_ELEM", 2: "BPF_MAP_UPDATE_ELEM",
	3: "BPF_MAP_DELETE_ELEM", 4: "BPF_MAP_GET_NEXT_KEY", 5: "BPF_PROG_LOAD",
	6: "BPF_OBJ_PIN", 7: "BPF_OBJ_GET", 8: "BPF_PROG_ATTACH",
	9: "BPF_PROG_DETACH", 10: "BPF_PROG_TEST_RUN", 11: "BPF_PROG_GET_NEXT_ID",
	12: "BPF_MAP_GET_NEXT_ID", 13: "BPF_PROG_GET_FD_BY_ID",
	14: "BPF_MAP_GET_FD_BY_ID", 15: "BPF_OBJ_GET_INFO_BY_FD",
	16: "BPF_PROG_QUERY", 17: "BPF_RAW_TRACEPOINT_OPEN", 18: "BPF_BTF_LOAD",
	19: "BPF_BTF_GET_FD_BY_ID", 20: "BPF_TASK_FD_QUERY",
	21: "BPF_MAP_LOOKUP_AND_DELETE_ELEM", 22: "BPF_MAP_FREEZE",
	23: "BPF_BTF_GET_NEXT_ID", 24: "BPF_MAP_LOOKUP_BATCH",
	25: "BPF_MAP_LOOKUP_AND_DELETE_BATCH", 26: "BPF_MAP_UPDATE_BATCH",
	27: "BPF_MAP_DELETE_BATCH", 28: "BPF_LINK_CREATE", 29: "BPF_LINK_UPDATE",
	30: "BPF_LINK_GET_FD_BY_ID", 31: "BPF_LINK_GET_NEXT_ID",
	32: "BPF_ENABLE_STATS", 33: "BPF_ITER_CREATE", 34: "BPF_LINK_DETACH",
	35: "BPF_PROG_BIND_MAP", 36: "BPF_TOKEN_CREATE",
})

// BPFCmdName returns the name of a bpf(2) command (BPF_PROG_LOAD for 5).
func BPFCmdName(n int64) string { return bpfCmds.name(n) }

var addressFamilies = newEnumTable(map[int64]string{
	0: "AF_UNSPEC", 1: "AF_UNIX", 2: "AF_INET", 3: "AF_AX25", 4: "AF_IPX",
	5: "AF_APPLETALK", 6: "AF_NETROM", 7: "AF_BRIDGE", 8: "AF_ATMPVC",
	9: "AF_X25", 10: "AF_INET6", 11: "AF_ROSE", 12: "AF_DECnet",
	13: "AF_NETBEUI", 14: "AF_SECURITY", 15: "AF_KEY", 16: "AF_NETLINK",
	17: "AF_PACKET", 18: "AF_ASH", 19: "AF_ECONET", 20: "AF_ATMSVC",
	21: "AF_RDS", 22: "AF_SNA", 23: "AF_IRDA", 24: "AF_PPPOX",
	25: "AF_WANPIPE", 26: "AF_LLC", 27: "AF_IB", 28: "AF_MPLS", 29: "AF_CAN",
	30: "AF_TIPC", 31: "AF_BLUETOOTH", 32: "AF_IUCV", 33: "AF_RXRPC",
	34: "AF_ISDN", 35: "AF_PHONET", 36: "AF_IEEE802154", 37: "AF_CAIF",
	38: "AF_ALG", 39: "AF_NFC", 40: "AF_VSOCK", 41: "AF_KCM", 42: "AF_QIPCRTR",
	43: "AF_SMC", 44: "AF_XDP", 45: "AF_MCTP",
})

// AddressFamilyName returns the name of a socket address family (AF_INET
// for 2), "" if unknown.
func AddressFamilyName(n int64) string { return addressFamilies.name(n) }

// Socket type bits (socket(2) type argument).
const (
	sockTypeMask = 0xf
	sockNonblock = 0x800   // SOCK_NONBLOCK = O_NONBLOCK
	sockCloexec  = 0x80000 // SOCK_CLOEXEC = O_CLOEXEC
)

var sockTypeBase = map[int64]string{
	1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW", 4: "SOCK_RDM",
	5: "SOCK_SEQPACKET", 6: "SOCK_DCCP", 10: "SOCK_PACKET",
}

// sockTypeNames holds every rendering of a socket type with its flags
// ("SOCK_STREAM|SOCK_CLOEXEC"), built once so fields need not allocate.
var sockTypeNames = map[int64]string{}

func init() {
	for n, s := range sockTypeBase {
		sockTypeNames[n] = s
		sockTypeNames[n|sockNonblock] = s + "|SOCK_NONBLOCK"
		sockTypeNames[n|sockCloexec] = s + "|SOCK_CLOEXEC"
		sockTypeNames[n|sockNonblock|sockCloexec] = s + "|SOCK_NONBLOCK|SOCK_CLOEXEC"
	}
}

// SocketTypeName renders a socket(2) type with its flags
// ("SOCK_STREAM|SOCK_CLOEXEC"), "" if the base type is unknown.
func SocketTypeName(n int64) string {
	return sockTypeNames[n&(sockTypeMask|sockNonblock|sockCloexec)]
}

// smallDecimals caches the decimal text of small numbers so enum fields can
// render unknown values without allocating.
var smallDecimals [1024]string

func init() {
	for i := range smallDecimals {
		smallDecimals[i] = strconv.Itoa(i)
	}
}

// decimalEntry is one cached rendering of a larger number.
type decimalEntry struct {
	n int64
	s string
}

// decimalCache remembers recent renderings of numbers outside smallDecimals
// (uids like 65534, unknown errnos), so the steady state allocates nothing.
var decimalCache [1024]atomic.Pointer[decimalEntry]

// decimal renders n in base 10. Numbers in [0, 1024) never allocate; others
// allocate the first time they are seen (and again if evicted).
func decimal(n int64) string {
	if n >= 0 && n < int64(len(smallDecimals)) {
		return smallDecimals[n]
	}
	slot := &decimalCache[uint64(n)%uint64(len(decimalCache))]
	if d := slot.Load(); d != nil && d.n == n {
		return d.s
	}
	d := &decimalEntry{n: n, s: strconv.FormatInt(n, 10)}
	slot.Store(d)
	return d.s
}

// flagBit is one named value of a FlagTable. A plain bit has Mask == Value;
// a field value (O_RDONLY is access mode 0) has a wider Mask.
type flagBit struct {
	name        string
	value, mask uint64
}

// FlagTable names the bits of one Linux flag word (open flags, mount flags,
// capabilities, mode bits). Composite names (O_SYNC, S_IRWXU) are listed
// before their parts so Format prefers them.
type FlagTable struct {
	name string
	bits []flagBit
	// byName holds every name and alias.
	byName map[string]uint64
}

func newFlagTable(name string, bits []flagBit, aliases map[string]uint64) *FlagTable {
	t := &FlagTable{name: name, bits: bits, byName: map[string]uint64{}}
	for i := range t.bits {
		if t.bits[i].mask == 0 {
			t.bits[i].mask = t.bits[i].value
		}
		t.byName[t.bits[i].name] = t.bits[i].value
	}
	for s, v := range aliases {
		t.byName[s] = v
	}
	return t
}

// bitsOf builds plain flagBits from name/value pairs in order.
func bitsOf(pairs ...any) []flagBit {
	out := make([]flagBit, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, flagBit{name: pairs[i].(string), value: uint64(pairs[i+1].(int))})
	}
	return out
}

// Name returns the table's name (e.g. "open", "capabilities").
func (t *FlagTable) Name() string { return t.name }

// Value returns the bits of a flag name (O_TRUNC → 0x200). Access-mode names
// of the open table return the mode value (O_RDONLY → 0).
func (t *FlagTable) Value(name string) (uint64, bool) {
	v, ok := t.byName[name]
	return v, ok
}

// Names returns every primary name of the table in table order.
func (t *FlagTable) Names() []string {
	out := make([]string, len(t.bits))
	for i, b := range t.bits {
		out[i] = b.name
	}
	return out
}

// Format renders bits as names joined by "|" (unknown bits as one hex
// number); "0" when nothing is set and no zero-valued name applies.
func (t *FlagTable) Format(bits uint64) string { return t.format(bits, true) }

// format renders bits; withZero says whether zero-valued field names
// (O_RDONLY) may be printed.
func (t *FlagTable) format(bits uint64, withZero bool) string {
	var buf [128]byte
	return string(t.appendFormat(buf[:0], bits, withZero))
}

// appendFormat appends the rendering of bits to b.
func (t *FlagTable) appendFormat(b []byte, bits uint64, withZero bool) []byte {
	start := len(b)
	rest := bits
	for _, f := range t.bits {
		if bits&f.mask != f.value {
			continue
		}
		if f.value == 0 && !withZero {
			continue
		}
		// Parts of an already printed composite are skipped.
		if f.value != 0 && rest&f.value != f.value {
			continue
		}
		if len(b) > start {
			b = append(b, '|')
		}
		b = append(b, f.name...)
		rest &^= f.mask
	}
	if rest != 0 {
		if len(b) > start {
			b = append(b, '|')
		}
		b = append(b, "0x"...)
		b = strconv.AppendUint(b, rest, 16)
	}
	if len(b) == start {
		b = append(b, '0')
	}
	return b
}

// OpenFlags names open(2) flags. O_RDONLY/O_WRONLY/O_RDWR are the access
// mode (the low two bits), O_RDONLY being 0.
var OpenFlags = newFlagTable("open", append([]flagBit{
	{name: "O_RDONLY", value: 0, mask: 3},
	{name: "O_WRONLY", value: 1, mask: 3},
	{name: "O_RDWR", value: 2, mask: 3},
}, bitsOf(
	"O_TMPFILE", 0x410000, "O_SYNC", 0x101000,
	"O_CREAT", 0x40, "O_EXCL", 0x80, "O_NOCTTY", 0x100, "O_TRUNC", 0x200,
	"O_APPEND", 0x400, "O_NONBLOCK", 0x800, "O_DSYNC", 0x1000, "O_ASYNC", 0x2000,
	"O_DIRECT", 0x4000, "O_LARGEFILE", 0x8000, "O_DIRECTORY", 0x10000,
	"O_NOFOLLOW", 0x20000, "O_NOATIME", 0x40000, "O_CLOEXEC", 0x80000,
	"O_PATH", 0x200000,
)...), map[string]uint64{"O_NDELAY": 0x800, "FASYNC": 0x2000, "O_FSYNC": 0x101000, "O_RSYNC": 0x101000})

// MountFlags names mount(2) flags (MS_*).
var MountFlags = newFlagTable("mount", bitsOf(
	"MS_RDONLY", 1, "MS_NOSUID", 2, "MS_NODEV", 4, "MS_NOEXEC", 8,
	"MS_SYNCHRONOUS", 16, "MS_REMOUNT", 32, "MS_MANDLOCK", 64, "MS_DIRSYNC", 128,
	"MS_NOSYMFOLLOW", 256, "MS_NOATIME", 1024, "MS_NODIRATIME", 2048,
	"MS_BIND", 4096, "MS_MOVE", 8192, "MS_REC", 16384, "MS_SILENT", 32768,
	"MS_POSIXACL", 1<<16, "MS_UNBINDABLE", 1<<17, "MS_PRIVATE", 1<<18,
	"MS_SLAVE", 1<<19, "MS_SHARED", 1<<20, "MS_RELATIME", 1<<21,
	"MS_KERNMOUNT", 1<<22, "MS_I_VERSION", 1<<23, "MS_STRICTATIME", 1<<24,
	"MS_LAZYTIME", 1<<25, "MS_ACTIVE", 1<<30, "MS_NOUSER", 1<<31,
), map[string]uint64{"MS_VERBOSE": 32768})

// UmountFlags names umount2(2) flags.
var UmountFlags = newFlagTable("umount", bitsOf(
	"MNT_FORCE", 1, "MNT_DETACH", 2, "MNT_EXPIRE", 4, "UMOUNT_NOFOLLOW", 8,
), nil)

// CloneFlags names clone/unshare/setns flags (CLONE_*), the CLONE_NEW*
// namespace bits included.
var CloneFlags = newFlagTable("clone", bitsOf(
	"CLONE_NEWTIME", 0x80, "CLONE_VM", 0x100, "CLONE_FS", 0x200,
	"CLONE_FILES", 0x400, "CLONE_SIGHAND", 0x800, "CLONE_PIDFD", 0x1000,
	"CLONE_PTRACE", 0x2000, "CLONE_VFORK", 0x4000, "CLONE_PARENT", 0x8000,
	"CLONE_THREAD", 0x10000, "CLONE_NEWNS", 0x20000, "CLONE_SYSVSEM", 0x40000,
	"CLONE_SETTLS", 0x80000, "CLONE_PARENT_SETTID", 0x100000,
	"CLONE_CHILD_CLEARTID", 0x200000, "CLONE_DETACHED", 0x400000,
	"CLONE_UNTRACED", 0x800000, "CLONE_CHILD_SETTID", 0x1000000,
	"CLONE_NEWCGROUP", 0x2000000, "CLONE_NEWUTS", 0x4000000,
	"CLONE_NEWIPC", 0x8000000, "CLONE_NEWUSER", 0x10000000,
	"CLONE_NEWPID", 0x20000000, "CLONE_NEWNET", 0x40000000, "CLONE_IO", 0x80000000,
), nil)

// MemfdFlags names memfd_create(2) flags (MFD_*).
var MemfdFlags = newFlagTable("memfd", bitsOf(
	"MFD_CLOEXEC", 1, "MFD_ALLOW_SEALING", 2, "MFD_HUGETLB", 4,
	"MFD_NOEXEC_SEAL", 8, "MFD_EXEC", 0x10,
), nil)

// RenameFlags names renameat2(2) flags (RENAME_*).
var RenameFlags = newFlagTable("rename", bitsOf(
	"RENAME_NOREPLACE", 1, "RENAME_EXCHANGE", 2, "RENAME_WHITEOUT", 4,
), nil)

// AtFlags names the AT_* flags of unlinkat, linkat and fchmodat.
var AtFlags = newFlagTable("at", bitsOf(
	"AT_SYMLINK_NOFOLLOW", 0x100, "AT_REMOVEDIR", 0x200,
	"AT_SYMLINK_FOLLOW", 0x400, "AT_NO_AUTOMOUNT", 0x800, "AT_EMPTY_PATH", 0x1000,
), nil)

// ModuleFlags names finit_module(2) flags.
var ModuleFlags = newFlagTable("module", bitsOf(
	"MODULE_INIT_IGNORE_MODVERSIONS", 1, "MODULE_INIT_IGNORE_VERMAGIC", 2,
	"MODULE_INIT_COMPRESSED_FILE", 4,
), nil)

// SocketFlags names the SOCK_* flags of socket(2) and accept4(2).
var SocketFlags = newFlagTable("socket", bitsOf(
	"SOCK_NONBLOCK", sockNonblock, "SOCK_CLOEXEC", sockCloexec,
), nil)

// ModeBits names file mode bits (S_I*). Format renders octal, as Falco
// prints modes ("0755"); Value also accepts an octal literal ("04755").
var ModeBits = newFlagTable("mode", bitsOf(
	"S_IRWXU", 0o700, "S_IRWXG", 0o070, "S_IRWXO", 0o007,
	"S_ISUID", 0o4000, "S_ISGID", 0o2000, "S_ISVTX", 0o1000,
	"S_IRUSR", 0o400, "S_IWUSR", 0o200, "S_IXUSR", 0o100,
	"S_IRGRP", 0o040, "S_IWGRP", 0o020, "S_IXGRP", 0o010,
	"S_IROTH", 0o004, "S_IWOTH", 0o002, "S_IXOTH", 0o001,
), nil)

// FormatMode renders a file mode in octal with a leading 0 ("0755").
func FormatMode(mode uint64) string {
	var buf [24]byte
	return string(appendMode(buf[:0], mode))
}

func appendMode(b []byte, mode uint64) []byte {
	b = append(b, '0')
	if mode == 0 {
		return b
	}
	return strconv.AppendUint(b, mode, 8)
}

// modeValue resolves an S_I* name or an octal literal starting with 0.
func modeValue(name string) (uint64, bool) {
	if v, ok := ModeBits.Value(name); ok {
		return v, true
	}
	if len(name) > 1 && name[0] == '0' {
		v, err := strconv.ParseUint(name, 8, 32)
		return v, err == nil
	}
	return 0, false
}

// capabilityNames are the Linux capabilities by bit number.
var capabilityNames = [...]string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// NumCapabilities is the number of Linux capabilities (CAP_LAST_CAP + 1).
const NumCapabilities = len(capabilityNames)

// CapabilityName returns the name of capability bit n (CAP_SYS_ADMIN for
// 21), "" if out of range.
func CapabilityName(bit int) string {
	if bit < 0 || bit >= NumCapabilities {
		return ""
	}
	return capabilityNames[bit]
}

// Capabilities names capability bits as a mask (CAP_SYS_ADMIN → 1<<21).
var Capabilities = func() *FlagTable {
	bits := make([]flagBit, NumCapabilities)
	for i, s := range capabilityNames {
		bits[i] = flagBit{name: s, value: 1 << i}
	}
	return newFlagTable("capabilities", bits, nil)
}()
