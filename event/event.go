// Package event defines the Event that flows from the sensor (or a replayed
// capture) through the rule engine to the ui and sinks, and the field
// registry: the one vocabulary of field names shared by sensor, ruleset and ui.
//
// Events are reused by the pipeline: a consumer that keeps an event beyond the
// call that delivered it must Clone it.
package event

import (
	"net/netip"
	"strings"
	"sync/atomic"
)

// Type is the Falco evt.type of an event.
type Type uint8

// Event types, by Falco evt.type name. Every event is reported on the exit
// side (evt.dir = "<") with the syscall's return value in Res.
const (
	TypeUnknown Type = iota
	TypeExecve
	TypeExecveat
	TypeClone // sched_process_fork: clone, fork, vfork and clone3 alike
	TypeProcexit
	TypeOpen
	TypeOpenat
	TypeOpenat2
	TypeCreat
	TypeUnlink
	TypeUnlinkat
	TypeRmdir
	TypeRename
	TypeRenameat
	TypeRenameat2
	TypeMkdir
	TypeMkdirat
	TypeChmod
	TypeFchmod
	TypeFchmodat
	TypeLink
	TypeLinkat
	TypeSymlink
	TypeSymlinkat
	TypeConnect
	TypeAccept
	TypeAccept4
	TypeBind
	TypeListen
	TypeSocket
	TypeSendto
	TypeSendmsg
	TypeRecvfrom
	TypeRecvmsg
	TypeDup
	TypeDup2
	TypeDup3
	TypePtrace
	TypeSetuid
	TypeSetgid
	TypeSetresuid
	TypeSetresgid
	TypeInitModule
	TypeFinitModule
	TypeDeleteModule
	TypeBpf
	TypeMemfdCreate
	TypeMount
	TypeUmount2
	TypeSetns
	TypeUnshare
	TypeKill
	TypeUserfaultfd
	// NumTypes is the number of event types, TypeUnknown included.
	NumTypes
)

var typeNames = [NumTypes]string{
	TypeUnknown: "unknown", TypeExecve: "execve", TypeExecveat: "execveat",
	TypeClone: "clone", TypeProcexit: "procexit", TypeOpen: "open",
	TypeOpenat: "openat", TypeOpenat2: "openat2", TypeCreat: "creat",
	TypeUnlink: "unlink", TypeUnlinkat: "unlinkat", TypeRmdir: "rmdir",
	TypeRename: "rename", TypeRenameat: "renameat", TypeRenameat2: "renameat2",
	TypeMkdir: "mkdir", TypeMkdirat: "mkdirat", TypeChmod: "chmod",
	TypeFchmod: "fchmod", TypeFchmodat: "fchmodat", TypeLink: "link",
	TypeLinkat: "linkat", TypeSymlink: "symlink", TypeSymlinkat: "symlinkat",
	TypeConnect: "connect", TypeAccept: "accept", TypeAccept4: "accept4",
	TypeBind: "bind", TypeListen: "listen", TypeSocket: "socket",
	TypeSendto: "sendto", TypeSendmsg: "sendmsg", TypeRecvfrom: "recvfrom",
	TypeRecvmsg: "recvmsg", TypeDup: "dup", TypeDup2: "dup2", TypeDup3: "dup3",
	TypePtrace: "ptrace", TypeSetuid: "setuid", TypeSetgid: "setgid",
	TypeSetresuid: "setresuid", TypeSetresgid: "setresgid",
	TypeInitModule: "init_module", TypeFinitModule: "finit_module",
	TypeDeleteModule: "delete_module", TypeBpf: "bpf",
	TypeMemfdCreate: "memfd_create", TypeMount: "mount", TypeUmount2: "umount2",
	TypeSetns: "setns", TypeUnshare: "unshare", TypeKill: "kill",
	TypeUserfaultfd: "userfaultfd",
}

// typeAliases are Falco evt.type names that this sensor reports under another
// type (fork and clone3 arrive as clone; umount as umount2).
var typeAliases = map[string]Type{
	"fork": TypeClone, "vfork": TypeClone, "clone3": TypeClone, "umount": TypeUmount2,
}

// String returns the Falco evt.type name.
func (t Type) String() string {
	if t < NumTypes {
		return typeNames[t]
	}
	return "unknown"
}

// ParseType maps a Falco evt.type name to a Type. Names Falco knows but this
// sensor does not produce return false.
func ParseType(name string) (Type, bool) {
	for t := Type(1); t < NumTypes; t++ {
		if typeNames[t] == name {
			return t, true
		}
	}
	t, ok := typeAliases[name]
	return t, ok
}

// Process is one process image (thread group after its last exec) as the
// process table knows it. The table owns it; events point to it. It is
// immutable once published, except ExitTime and ExitCode: an exec publishes a
// new Process for the same pid rather than changing this one, so an event
// always describes the image that produced it.
type Process struct {
	Pid      uint32 // thread-group id on the host
	Ppid     uint32 // parent's pid
	Vpid     uint32 // pid inside its pid namespace (= Pid on the host)
	Sid      uint32 // session id
	Pgid     uint32 // process group id
	Tty      uint32 // controlling tty device number, 0 if none
	Uid      uint32
	Gid      uint32
	Euid     uint32
	LoginUID uint32 // audit loginuid; 4294967295 when unset

	Comm    string   // task comm (proc.name), at most 15 bytes
	Exe     string   // argv[0] as the process was started (proc.exe)
	ExePath string   // full path of the executable (proc.exepath)
	Args    []string // argv[1:]
	Cwd     string   // working directory at exec
	// ArgsTruncated is set when argv exceeded the sensor's capture cap.
	ArgsTruncated bool
	// ExeFromMemfd is set when the executable is a memfd (fileless exec).
	ExeFromMemfd bool
	// ExeUpperLayer is set when the executable lives on an overlayfs upper layer
	// (written in the container after it started).
	ExeUpperLayer bool
	// ExeIno and ExeMtime are the executable's inode number and
	// modification time (unix ns) when the image started; 0 when unknown.
	// A binary run moments after it was written is how a dropped payload
	// starts.
	ExeIno   uint64
	ExeMtime int64

	// Env is the environment the image was started with, as KEY=VALUE
	// strings in the order exec received them (proc.env). nil when unknown:
	// not captured (an older capture, /proc unreadable, the table's
	// environment budget spent); empty, not nil, for an empty environment.
	// The sensor reads at most 4 KiB of it per exec, dropping a variable
	// cut by that cap. A fork's child shares its parent's; identical
	// environments share one copy (see JoinEnv).
	Env []string
	// EnvLine is Env joined by spaces (the bare proc.env); Env's strings are
	// substrings of it. Build both with JoinEnv.
	EnvLine string

	CapEffective uint64 // capability bitmask (thread.cap_effective)
	CapPermitted uint64 // capability bitmask (thread.cap_permitted)

	// UserName is the resolved name of Euid ("" if unknown): user.name and
	// user.uid are the effective user, as in Falco.
	UserName  string
	GroupName string // resolved name of Gid
	LoginName string // resolved name of LoginUID

	CgroupID    uint64
	ContainerID string // "host" for processes outside containers

	StartTime int64 // unix ns
	// ExitTime is the exit time in unix ns, 0 while alive. It is the one
	// field written after publication, hence atomic.
	ExitTime atomic.Int64
	ExitCode atomic.Int32

	// Parent is the parent process entry, nil for pid 1, kthreadd and
	// processes whose parent was never seen.
	Parent *Process

	// Cmdline is Comm (or the basename of Exe) followed by Args, space
	// separated, as Falco's proc.cmdline. The table fills it once per exec.
	Cmdline string
	// ArgLine is Args joined by spaces (proc.args), filled once per exec.
	ArgLine string
	// ExeLine is Exe followed by Args (proc.exeline), filled once per exec.
	ExeLine string
}

// JoinEnv returns vars joined by spaces and a copy of vars whose strings are
// substrings of that line: one allocation for the text, one for the slice.
// A nil vars gives nil, "" (unknown); an empty one an empty, non-nil slice.
func JoinEnv(vars []string) ([]string, string) {
	if vars == nil {
		return nil, ""
	}
	line := strings.Join(vars, " ")
	out := make([]string, len(vars))
	off := 0
	for i, v := range vars {
		out[i] = line[off : off+len(v)]
		off += len(v) + 1
	}
	return out, line
}

// EnvVar returns the value of the environment variable name of p and
// whether p has it; false too when p's environment is unknown. The first
// definition wins, as getenv(3) does.
func (p *Process) EnvVar(name string) (string, bool) {
	for _, kv := range p.Env {
		if len(kv) > len(name) && kv[len(name)] == '=' && kv[:len(name)] == name {
			return kv[len(name)+1:], true
		}
	}
	return "", false
}

// Alive reports whether the process has not exited.
func (p *Process) Alive() bool { return p.ExitTime.Load() == 0 }

// Ancestor returns the n-th ancestor (1 = parent) or nil.
func (p *Process) Ancestor(n int) *Process {
	for ; p != nil && n > 0; n-- {
		p = p.Parent
	}
	return p
}

// SockRole tells which end of a connection the traced process is.
type SockRole uint8

// Socket roles.
const (
	RoleNone   SockRole = iota
	RoleClient          // connect, sendto: local end is the client
	RoleServer          // accept, bind, listen: local end is the server
)

// Socket families (AF_*), as Linux numbers them.
const (
	AFUnix  = 1
	AFInet  = 2
	AFInet6 = 10
)

// Sock is the socket part of a network event. Addresses are the addresses the
// syscall saw: for connect/sendto the remote is the peer argument; for accept
// the remote is the accepted peer.
type Sock struct {
	Family   uint16 // AF_UNIX, AF_INET, AF_INET6, 0 when unknown
	Type     uint16 // SOCK_STREAM=1, SOCK_DGRAM=2, SOCK_RAW=3 (socket(2) type)
	Proto    uint16 // IPPROTO_* from socket(2), 0 = default for the type
	Role     SockRole
	Local    netip.AddrPort
	Remote   netip.AddrPort
	UnixPath string // sun_path for AF_UNIX
}

// Event is one decoded kernel event. Fields not meaningful for a type are
// zero. Paths are absolute: relative arguments were resolved against the dirfd
// or the cwd by the sensor.
type Event struct {
	Num  uint64 // evt.num, monotonically increasing per source
	Time int64  // unix ns
	Type Type
	Res  int64  // syscall return value (negative errno on failure)
	Tid  uint32 // thread id
	CPU  uint16

	// Proc is the process that produced the event; never nil once enriched.
	Proc *Process

	// Fd is the file descriptor the event is about: the returned fd for
	// open/socket/accept/dup/memfd_create, the argument fd for
	// connect/bind/listen/send/recv/fchmod/finit_module, oldfd for dup*.
	Fd int64
	// Fd2 is the second descriptor: newfd for dup2/dup3.
	Fd2 int64

	// Path is the primary path: the file opened/created/removed, the old path
	// of rename/link, the target of symlink, the mount target, the directory
	// of mkdir/rmdir, the memfd name, the module name of delete_module, the
	// file behind finit_module's fd.
	Path string
	// Path2 is the secondary path: the new path of rename/link, the link path
	// of symlink, the mount source.
	Path2 string
	// PathRaw is Path as passed to the syscall, before resolution (fd.nameraw).
	PathRaw string
	// FSType is the mount filesystem type.
	FSType string

	// Flags holds the syscall's flags: open flags (O_*), mount flags,
	// unshare/setns/clone namespace flags, memfd flags, finit_module flags,
	// renameat2 flags, socket type flags, accept4 flags, dup3 flags.
	Flags uint64
	// Mode is the file mode for open/creat/mkdir/chmod.
	Mode uint32

	// Sock is filled for socket events.
	Sock Sock

	// TargetPid is the pid argument of kill and ptrace.
	TargetPid int64
	// Signal is kill's signal; Request is ptrace's request; Cmd is bpf's cmd.
	Signal  int64
	Request int64
	Cmd     int64
	// UIDs holds the new ids of setuid/setgid (index 0) and
	// setresuid/setresgid (real, effective, saved). -1 means unchanged.
	UIDs [3]int64
	// PrevIDs are the caller's ids before setuid/setresuid (uid, euid) or
	// setgid/setresgid (gid, egid); the process's credentials are those
	// after the call. -1 when unknown.
	PrevIDs [2]int64

	// lazy caches the few field values that must be built (socket fd.name,
	// evt.args, evt.datetime) so they cost one allocation per event and only
	// when a rule or output asks for them. Reset clears it with the rest.
	lazy lazyText
}

// lazyText holds the built-once texts of an event and which are set.
type lazyText struct {
	have     uint8
	sockName string
	args     string
	datetime string
}

// Bits of lazyText.have.
const (
	haveSockName uint8 = 1 << iota
	haveArgs
	haveDatetime
)

// Reset clears e for reuse without releasing its buffers.
func (e *Event) Reset() {
	*e = Event{}
}

// OwnStrings replaces the event's argument strings with private copies.
// Sources decode strings over buffers they reuse for the next record, so an
// event kept beyond the call that delivered it must own its strings.
func (e *Event) OwnStrings() {
	e.Path = strings.Clone(e.Path)
	e.Path2 = strings.Clone(e.Path2)
	e.PathRaw = strings.Clone(e.PathRaw)
	e.FSType = strings.Clone(e.FSType)
	e.Sock.UnixPath = strings.Clone(e.Sock.UnixPath)
}

// Clone returns a copy of e that stays valid after the source and the
// pipeline reuse e: its strings are its own. The process entry is shared: the
// process table owns it and never mutates it after publication except for
// ExitTime/ExitCode.
func (e *Event) Clone() *Event {
	c := *e
	c.OwnStrings()
	return &c
}
