package event

import (
	"strconv"
	"time"
)

// evtArgs lists, per event type, the arguments evt.args renders, in Falco's
// order and with Falco's names; each has an evt.arg.<name> field.
var evtArgs = [NumTypes][]string{
	TypeExecve:       {"res", "filename"},
	TypeExecveat:     {"res", "dirfd", "filename", "flags"},
	TypeClone:        {"res", "flags"},
	TypeProcexit:     {"res"},
	TypeOpen:         {"fd", "name", "flags", "mode"},
	TypeOpenat:       {"fd", "dirfd", "name", "flags", "mode"},
	TypeOpenat2:      {"fd", "dirfd", "name", "flags", "mode"},
	TypeCreat:        {"fd", "name", "mode"},
	TypeUnlink:       {"res", "path"},
	TypeUnlinkat:     {"res", "dirfd", "name", "flags"},
	TypeRmdir:        {"res", "path"},
	TypeRename:       {"res", "oldpath", "newpath"},
	TypeRenameat:     {"res", "oldpath", "newpath"},
	TypeRenameat2:    {"res", "oldpath", "newpath", "flags"},
	TypeMkdir:        {"res", "path", "mode"},
	TypeMkdirat:      {"res", "dirfd", "path", "mode"},
	TypeChmod:        {"res", "filename", "mode"},
	TypeFchmod:       {"res", "fd", "mode"},
	TypeFchmodat:     {"res", "dirfd", "filename", "mode"},
	TypeLink:         {"res", "oldpath", "newpath"},
	TypeLinkat:       {"res", "oldpath", "newpath", "flags"},
	TypeSymlink:      {"res", "target", "linkpath"},
	TypeSymlinkat:    {"res", "target", "linkpath"},
	TypeConnect:      {"res", "fd", "tuple"},
	TypeAccept:       {"fd", "tuple"},
	TypeAccept4:      {"fd", "tuple", "flags"},
	TypeBind:         {"res", "fd", "tuple"},
	TypeListen:       {"res", "fd"},
	TypeSocket:       {"fd", "domain", "type", "proto"},
	TypeSendto:       {"res", "fd", "tuple"},
	TypeSendmsg:      {"res", "fd", "tuple"},
	TypeRecvfrom:     {"res", "fd", "tuple"},
	TypeRecvmsg:      {"res", "fd", "tuple"},
	TypeDup:          {"res", "oldfd"},
	TypeDup2:         {"res", "oldfd", "newfd"},
	TypeDup3:         {"res", "oldfd", "newfd", "flags"},
	TypePtrace:       {"res", "request", "pid"},
	TypeSetuid:       {"res", "uid", "olduid", "oldeuid"},
	TypeSetgid:       {"res", "gid", "oldgid", "oldegid"},
	TypeSetresuid:    {"res", "ruid", "euid", "suid", "olduid", "oldeuid"},
	TypeSetresgid:    {"res", "rgid", "egid", "sgid", "oldgid", "oldegid"},
	TypeInitModule:   {"res"},
	TypeFinitModule:  {"res", "fd", "flags"},
	TypeDeleteModule: {"res", "name", "flags"},
	TypeBpf:          {"res", "cmd"},
	TypeMemfdCreate:  {"fd", "name", "flags"},
	TypeMount:        {"res", "dev", "dir", "type", "flags"},
	TypeUmount2:      {"res", "name", "flags"},
	TypeSetns:        {"res", "fd", "nstype"},
	TypeUnshare:      {"res", "flags"},
	TypeKill:         {"res", "pid", "sig"},
	TypeUserfaultfd:  {"res", "flags"},
}

// argAliases are extra event types for which an evt.arg.<name> field is
// available although evt.args does not list it: pathname is every primary
// path, as rules written against other event versions expect; flags also
// answers for creat (its implied open flags), socket (SOCK_* type flags) and
// setns (nstype).
var argAliases = map[string][]Type{
	"flags": {TypeCreat, TypeSocket, TypeSetns},
	"pathname": {TypeOpen, TypeOpenat, TypeOpenat2, TypeCreat, TypeUnlink,
		TypeUnlinkat, TypeRmdir, TypeMkdir, TypeMkdirat, TypeChmod, TypeFchmodat,
		TypeRename, TypeRenameat, TypeRenameat2, TypeLink, TypeLinkat,
		TypeSymlink, TypeSymlinkat},
}

// Flag tables of evt.arg.flags. The field's value carries a one-hot table
// tag above the Linux bits, so a name resolves to the right bits whatever
// table it comes from and `contains O_TRUNC` never matches a mount flag that
// happens to share the bit.
const (
	flagTagShift = 48
	// flagRdonly is a synthetic bit set for open-family events whose access
	// mode is O_RDONLY (0), so that `contains O_RDONLY` can be a bit test.
	flagRdonly = uint64(1) << 40
	// flagBitsMask keeps the Linux bits of a tagged value.
	flagBitsMask = flagRdonly - 1
)

// flagTables are the tables of evt.arg.flags; the index is the tag bit.
var flagTables = []*FlagTable{OpenFlags, MountFlags, UmountFlags, CloneFlags,
	MemfdFlags, RenameFlags, AtFlags, ModuleFlags, SocketFlags}

func flagTag(t *FlagTable) uint64 {
	for i, ft := range flagTables {
		if ft == t {
			return 1 << (flagTagShift + i)
		}
	}
	panic("event: flag table without tag: " + t.Name())
}

var (
	tagOpen   = flagTag(OpenFlags)
	tagMount  = flagTag(MountFlags)
	tagUmount = flagTag(UmountFlags)
	tagClone  = flagTag(CloneFlags)
	tagMemfd  = flagTag(MemfdFlags)
	tagRename = flagTag(RenameFlags)
	tagAt     = flagTag(AtFlags)
	tagModule = flagTag(ModuleFlags)
	tagSocket = flagTag(SocketFlags)
)

// creatFlags are the flags creat(2) implies.
const creatFlags = 0x1 | 0x40 | 0x200 // O_WRONLY|O_CREAT|O_TRUNC

// openFlags returns the open flags of an open-family event (creat's
// implied ones when the sensor left them zero).
func openFlags(e *Event) uint64 {
	if e.Type == TypeCreat && e.Flags == 0 {
		return creatFlags
	}
	return e.Flags
}

// isOpen reports whether e is an open-family event.
func isOpen(t Type) bool {
	return t == TypeOpen || t == TypeOpenat || t == TypeOpenat2 || t == TypeCreat
}

// taggedFlags returns the evt.arg.flags value of e.
func taggedFlags(e *Event) (uint64, bool) {
	f := e.Flags & flagBitsMask
	switch e.Type {
	case TypeOpen, TypeOpenat, TypeOpenat2, TypeCreat:
		f = openFlags(e) & flagBitsMask
		if f&3 == 0 {
			f |= flagRdonly
		}
		return tagOpen | f, true
	case TypeDup3, TypeUserfaultfd, TypeDeleteModule:
		// O_CLOEXEC, O_NONBLOCK, O_TRUNC: open-table names without an
		// access mode.
		return tagOpen | f, true
	case TypeMount:
		return tagMount | f, true
	case TypeUmount2:
		return tagUmount | f, true
	case TypeClone, TypeUnshare, TypeSetns:
		return tagClone | f, true
	case TypeMemfdCreate:
		return tagMemfd | f, true
	case TypeRenameat2:
		return tagRename | f, true
	case TypeUnlinkat, TypeLinkat, TypeFchmodat, TypeExecveat:
		return tagAt | f, true
	case TypeFinitModule:
		return tagModule | f, true
	case TypeAccept4:
		return tagSocket | f, true
	case TypeSocket:
		return tagSocket | (f|uint64(e.Sock.Type))&(sockNonblock|sockCloexec), true
	}
	return 0, false
}

// flagValue resolves a flag name of any evt.arg.flags table to its tagged
// bits.
func flagValue(name string) (uint64, bool) {
	if name == "O_RDONLY" {
		return tagOpen | flagRdonly, true
	}
	for i, t := range flagTables {
		if v, ok := t.Value(name); ok {
			return uint64(1)<<(flagTagShift+i) | v, true
		}
	}
	return 0, false
}

// formatFlags renders a tagged evt.arg.flags value with its table.
func formatFlags(v uint64) string {
	var buf [128]byte
	return string(appendFlags(buf[:0], v))
}

func appendFlags(b []byte, v uint64) []byte {
	bits := v & flagBitsMask
	for i, t := range flagTables {
		if v&(uint64(1)<<(flagTagShift+i)) != 0 {
			return t.appendFormat(b, bits, t == OpenFlags && v&flagRdonly != 0)
		}
	}
	b = append(b, "0x"...)
	return strconv.AppendUint(b, bits, 16)
}

// argDef defines one evt.arg.<name> field; get is called only for event
// types that have the argument.
type argDef struct {
	name        string
	typ         FieldType
	desc        string
	get         func(e *Event) Value
	flagValue   func(string) (uint64, bool)
	formatFlags func(uint64) string
}

// enumStr renders an enum value by name, its decimal text when unnamed;
// Num carries the number (what evt.rawarg.<name> compares).
func enumStr(name string, n int64) Value {
	if name == "" {
		name = decimal(n)
	}
	return Value{OK: true, Str: name, Num: n}
}

// idArg is a user or group id argument. Falco renders these as names
// (evt.arg.uid = nobody); we have no name for the target id, so the text is
// the decimal id: `evt.arg.uid = 0` works and name comparisons load but do
// not match. Num carries the id too.
func idArg(id int64) Value {
	return Value{OK: true, Str: decimal(id), Num: id}
}

// prevID is an id the sensor read before the call, unavailable when
// unknown (-1, as a capture without it gives).
func prevID(id int64) Value {
	if id < 0 {
		return na
	}
	return idArg(id)
}

// pathOr returns s when set, else unavailable.
func pathOr(s string) Value {
	if s == "" {
		return na
	}
	return str(s)
}

// dirfdOf returns the dirfd of a *at event: the sensor puts it in Fd2 for
// the openat family (whose Fd is the returned descriptor) and in Fd for the
// others.
func dirfdOf(e *Event) Value {
	switch e.Type {
	case TypeOpenat, TypeOpenat2:
		return num(e.Fd2)
	}
	return num(e.Fd)
}

var argDefs = []argDef{
	{name: "res", typ: Number, desc: "Return value of the syscall (negative errno on failure).",
		get: func(e *Event) Value { return num(e.Res) }},
	{name: "fd", typ: Number, desc: "File descriptor argument, or the descriptor the syscall returned.",
		get: func(e *Event) Value { return num(e.Fd) }},
	{name: "oldfd", typ: Number, desc: "Descriptor duplicated by dup, dup2, dup3.",
		get: func(e *Event) Value { return num(e.Fd) }},
	{name: "newfd", typ: Number, desc: "New descriptor of dup2, dup3.",
		get: func(e *Event) Value { return num(e.Fd2) }},
	{name: "dirfd", typ: Number, desc: "Directory descriptor a *at path is relative to (-100 is AT_FDCWD).",
		get: dirfdOf},
	{name: "name", typ: String, desc: "Name argument: path of open/unlinkat/umount2, memfd name, module name.",
		get: func(e *Event) Value { return pathOr(e.Path) }},
	{name: "path", typ: String, desc: "Path argument of unlink, rmdir, mkdir, mkdirat.",
		get: func(e *Event) Value { return pathOr(e.Path) }},
	{name: "pathname", typ: String, desc: "Primary path argument of any file event.",
		get: func(e *Event) Value { return pathOr(e.Path) }},
	{name: "filename", typ: String, desc: "File name argument of execve, execveat, chmod, fchmodat.",
		get: func(e *Event) Value {
			if e.Path == "" && (e.Type == TypeExecve || e.Type == TypeExecveat) && e.Proc != nil && e.Res == 0 {
				return pathOr(e.Proc.ExePath)
			}
			return pathOr(e.Path)
		}},
	{name: "oldpath", typ: String, desc: "Source path of rename and link.",
		get: func(e *Event) Value { return pathOr(e.Path) }},
	{name: "newpath", typ: String, desc: "Destination path of rename and link.",
		get: func(e *Event) Value { return pathOr(e.Path2) }},
	{name: "target", typ: String, desc: "Target (the text the link points to) of symlink.",
		get: func(e *Event) Value { return pathOr(e.Path) }},
	{name: "linkpath", typ: String, desc: "Path of the link symlink creates.",
		get: func(e *Event) Value { return pathOr(e.Path2) }},
	{name: "dev", typ: String, desc: "Source (device) of mount.",
		get: func(e *Event) Value { return pathOr(e.Path2) }},
	{name: "dir", typ: String, desc: "Target directory of mount.",
		get: func(e *Event) Value { return pathOr(e.Path) }},
	{name: "type", typ: String, desc: "Socket type of socket (SOCK_STREAM, …) or filesystem type of mount.",
		get: func(e *Event) Value {
			if e.Type == TypeMount {
				return pathOr(e.FSType)
			}
			t := int64(e.Sock.Type) | int64(e.Flags&(sockNonblock|sockCloexec))
			return enumStr(SocketTypeName(t), t)
		}},
	{name: "domain", typ: String, desc: "Address family of socket (AF_INET, AF_UNIX, AF_PACKET, …).",
		get: func(e *Event) Value {
			n := int64(e.Sock.Family)
			return enumStr(AddressFamilyName(n), n)
		}},
	{name: "proto", typ: Number, desc: "Protocol number of socket (0 = the type's default).",
		get: func(e *Event) Value { return num(int64(e.Sock.Proto)) }},
	{name: "tuple", typ: String, desc: "Socket addresses of the event, as fd.name renders them.",
		get: func(e *Event) Value {
			if s, ok := e.sockName(); ok {
				return str(s)
			}
			return na
		}},
	{name: "uid", typ: String, desc: "User id argument of setuid, as decimal text (Falco prints the user name).",
		get: func(e *Event) Value { return idArg(e.UIDs[0]) }},
	{name: "gid", typ: String, desc: "Group id argument of setgid, as decimal text (Falco prints the group name).",
		get: func(e *Event) Value { return idArg(e.UIDs[0]) }},
	{name: "ruid", typ: String, desc: "Real user id argument of setresuid (-1 = unchanged).",
		get: func(e *Event) Value { return idArg(e.UIDs[0]) }},
	{name: "euid", typ: String, desc: "Effective user id argument of setresuid (-1 = unchanged).",
		get: func(e *Event) Value { return idArg(e.UIDs[1]) }},
	{name: "suid", typ: String, desc: "Saved user id argument of setresuid (-1 = unchanged).",
		get: func(e *Event) Value { return idArg(e.UIDs[2]) }},
	{name: "rgid", typ: String, desc: "Real group id argument of setresgid (-1 = unchanged).",
		get: func(e *Event) Value { return idArg(e.UIDs[0]) }},
	{name: "egid", typ: String, desc: "Effective group id argument of setresgid (-1 = unchanged).",
		get: func(e *Event) Value { return idArg(e.UIDs[1]) }},
	{name: "sgid", typ: String, desc: "Saved group id argument of setresgid (-1 = unchanged).",
		get: func(e *Event) Value { return idArg(e.UIDs[2]) }},
	{name: "olduid", typ: String, desc: "The caller's real user id before setuid/setresuid (not in Falco: user.uid is the id after the call).",
		get: func(e *Event) Value { return prevID(e.PrevIDs[0]) }},
	{name: "oldeuid", typ: String, desc: "The caller's effective user id before setuid/setresuid (not in Falco).",
		get: func(e *Event) Value { return prevID(e.PrevIDs[1]) }},
	{name: "oldgid", typ: String, desc: "The caller's real group id before setgid/setresgid (not in Falco).",
		get: func(e *Event) Value { return prevID(e.PrevIDs[0]) }},
	{name: "oldegid", typ: String, desc: "The caller's effective group id before setgid/setresgid (not in Falco).",
		get: func(e *Event) Value { return prevID(e.PrevIDs[1]) }},
	{name: "pid", typ: Number, desc: "Target pid of kill and ptrace.",
		get: func(e *Event) Value { return num(e.TargetPid) }},
	{name: "sig", typ: String, desc: "Signal sent by kill, by name (SIGKILL).",
		get: func(e *Event) Value { return enumStr(SignalName(e.Signal), e.Signal) }},
	{name: "request", typ: String, desc: "Ptrace request by name (PTRACE_ATTACH, PTRACE_POKETEXT, …).",
		get: func(e *Event) Value { return enumStr(PtraceRequestName(e.Request), e.Request) }},
	{name: "cmd", typ: String, desc: "Command of bpf by name (BPF_PROG_LOAD, …).",
		get: func(e *Event) Value { return enumStr(BPFCmdName(e.Cmd), e.Cmd) }},
	{name: "mode", typ: Flags, desc: "File mode of open, creat, mkdir, chmod; printed in octal, `contains S_ISUID` tests a bit.",
		get:       func(e *Event) Value { return num(int64(e.Mode)) },
		flagValue: modeValue, formatFlags: FormatMode},
	{name: "flags", typ: Flags, desc: "Flags of the syscall by name: O_* (open), MS_* (mount), MNT_* (umount2), CLONE_* (clone, unshare, setns), MFD_*, RENAME_*, AT_*, SOCK_*.",
		get: func(e *Event) Value {
			v, ok := taggedFlags(e)
			if !ok {
				return na
			}
			return num(int64(v))
		},
		flagValue: flagValue, formatFlags: formatFlags},
	{name: "nstype", typ: Flags, desc: "Namespace type argument of setns (CLONE_NEW*, 0 = any).",
		get:       func(e *Event) Value { return num(int64(tagClone | e.Flags&flagBitsMask)) },
		flagValue: flagValue, formatFlags: formatFlags},
}

// rawArgNumbers are the arguments whose evt.arg.<name> is text (a name)
// but whose evt.rawarg.<name> is the number.
var rawArgNumbers = map[string]bool{"uid": true, "gid": true, "ruid": true, "euid": true,
	"suid": true, "rgid": true, "egid": true, "sgid": true, "sig": true, "request": true,
	"cmd": true, "domain": true, "type": true, "flags": true, "nstype": true, "mode": true}

// rawArgField builds evt.rawarg.<name>: the argument as the syscall passed
// it, numbers as numbers (evt.rawarg.sig = 9, evt.rawarg.domain = 38,
// evt.rawarg.flags & O_* bits without a table tag).
func rawArgField(d argDef, arg *Field) *Field {
	f := &Field{Name: "evt.rawarg." + d.name, Type: d.typ, Filled: true,
		Desc: "Raw value of evt.arg." + d.name + ", numbers as numbers.", Get: arg.Get}
	if !rawArgNumbers[d.name] {
		return f
	}
	f.Type = Number
	f.Get = func(e *Event, a Arg) Value {
		if d.name == "type" && e.Type == TypeMount {
			return na
		}
		v := arg.Get(e, a)
		if d.typ == Flags && d.name != "mode" {
			v.Num = int64(uint64(v.Num) & (flagRdonly - 1))
		}
		v.Str = ""
		return v
	}
	return f
}

// argFields are the evt.arg.<name> fields by name, for evt.args.
var argFields = map[string]*Field{}

// argField builds the evt.arg.<name> field of a definition.
func argField(d argDef) *Field {
	var has [NumTypes]bool
	for t, names := range evtArgs {
		for _, n := range names {
			if n == d.name {
				has[t] = true
			}
		}
	}
	for _, t := range argAliases[d.name] {
		has[t] = true
	}
	get := d.get
	return &Field{Name: "evt.arg." + d.name, Type: d.typ, Desc: d.desc, Filled: true,
		FlagValue: d.flagValue, FormatFlags: d.formatFlags,
		Get: func(e *Event, _ Arg) Value {
			if e.Type < NumTypes && has[e.Type] {
				return get(e)
			}
			return na
		}}
}

// resName is evt.res: SUCCESS, or the errno name of a failure.
func resName(res int64) string {
	if res >= 0 {
		return "SUCCESS"
	}
	if s := ErrnoName(res); s != "" {
		return s
	}
	return decimal(res)
}

// args renders evt.args once per event: name=value pairs of the event's
// arguments, space separated. It renders into a stack buffer so the one
// allocation is the final string.
func (e *Event) args() string {
	if e.lazy.have&haveArgs != 0 {
		return e.lazy.args
	}
	var buf [512]byte
	b := buf[:0]
	if e.Type < NumTypes {
		for _, name := range evtArgs[e.Type] {
			f := argFields[name]
			var v Value
			if name != "tuple" {
				if v = f.Get(e, Arg{}); !v.OK {
					continue
				}
			}
			mark := len(b)
			if len(b) > 0 {
				b = append(b, ' ')
			}
			b = append(b, name...)
			b = append(b, '=')
			switch {
			case name == "tuple":
				// Rendered in place rather than through the cached
				// fd.name, which would cost a second allocation.
				n := len(b)
				if e.Sock.Family == AFUnix {
					b = append(b, e.Sock.UnixPath...)
				} else if isInet(&e.Sock) {
					b = appendSockName(b, &e.Sock)
				}
				if len(b) == n {
					b = b[:mark]
				}
			case name == "mode":
				b = appendMode(b, uint64(v.Num))
			case f.Type == Flags:
				b = appendFlags(b, uint64(v.Num))
			case f.Type == Number:
				b = strconv.AppendInt(b, v.Num, 10)
			default:
				b = append(b, v.Str...)
			}
		}
	}
	e.lazy.args = string(b)
	e.lazy.have |= haveArgs
	return e.lazy.args
}

// datetimeLayout is evt.datetime: RFC 3339 in UTC with nanoseconds.
const datetimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func (e *Event) datetime() string {
	if e.lazy.have&haveDatetime == 0 {
		var buf [40]byte
		e.lazy.datetime = string(time.Unix(0, e.Time).UTC().AppendFormat(buf[:0], datetimeLayout))
		e.lazy.have |= haveDatetime
	}
	return e.lazy.datetime
}

// openCheck builds evt.is_open_*: computed from the open flags of
// open-family events and false for every other event, as libsinsp does.
func openCheck(name, desc string, test func(flags uint64, mode uint32, t Type) bool) *Field {
	return &Field{Name: name, Type: Bool, Desc: desc, Filled: true,
		Get: func(e *Event, _ Arg) Value {
			if !isOpen(e.Type) {
				return boolean(false)
			}
			return boolean(test(openFlags(e), e.Mode, e.Type))
		}}
}

func init() {
	register(
		&Field{Name: "evt.type", Type: String, Filled: true,
			Desc: "Event type (Falco name), e.g. execve, openat, connect.",
			Get:  func(e *Event, _ Arg) Value { return str(e.Type.String()) }},
		&Field{Name: "evt.num", Type: Number, Filled: true,
			Desc: "Event number, increasing per source.",
			Get:  func(e *Event, _ Arg) Value { return num(int64(e.Num)) }},
		&Field{Name: "evt.time", Type: Number, Filled: true,
			Desc: "Event timestamp in nanoseconds since the epoch.",
			Get:  func(e *Event, _ Arg) Value { return num(e.Time) }},
		&Field{Name: "evt.rawtime", Type: Number, Filled: true,
			Desc: "Event timestamp in nanoseconds since the epoch (same as evt.time).",
			Get:  func(e *Event, _ Arg) Value { return num(e.Time) }},
		&Field{Name: "evt.datetime", Type: String, Filled: true,
			Desc: "Event timestamp as an RFC 3339 UTC date and time with nanoseconds.",
			Get:  func(e *Event, _ Arg) Value { return str(e.datetime()) }},
		&Field{Name: "evt.dir", Type: String, Filled: true,
			Desc: "Event direction: always \"<\" (exit), every event is reported with its result.",
			Get:  func(*Event, Arg) Value { return str("<") }},
		&Field{Name: "evt.cpu", Type: Number, Filled: true,
			Desc: "CPU the event happened on.",
			Get:  func(e *Event, _ Arg) Value { return num(int64(e.CPU)) }},
		&Field{Name: "evt.res", Type: String, Filled: true,
			Desc: "Result of the syscall: SUCCESS, or the errno name of a failure (ENOENT, EACCES, EINPROGRESS, …).",
			Get: func(e *Event, _ Arg) Value {
				// Num carries the raw result as well, for numeric use.
				return Value{OK: true, Str: resName(e.Res), Num: e.Res}
			}},
		&Field{Name: "evt.rawres", Type: Number, Filled: true,
			Desc: "Result of the syscall as a number (negative errno on failure).",
			Get:  func(e *Event, _ Arg) Value { return num(e.Res) }},
		&Field{Name: "evt.failed", Type: Bool, Filled: true,
			Desc: "True if the syscall failed (negative result).",
			Get:  func(e *Event, _ Arg) Value { return boolean(e.Res < 0) }},
		&Field{Name: "evt.args", Type: String, Filled: true,
			Desc: "All arguments of the event as name=value text.",
			Get:  func(e *Event, _ Arg) Value { return str(e.args()) }},
		unavailable("evt.buffer", String, ArgNone, "Data buffer of read/write events (payloads are not captured)."),
		openCheck("evt.is_open_read", "True for an open-family event opening the file for reading (O_RDONLY or O_RDWR).",
			func(f uint64, _ uint32, _ Type) bool { return f&3 == 0 || f&3 == 2 }),
		openCheck("evt.is_open_write", "True for an open-family event opening the file for writing (O_WRONLY or O_RDWR).",
			func(f uint64, _ uint32, _ Type) bool { return f&3 == 1 || f&3 == 2 }),
		openCheck("evt.is_open_exec", "True for an open-family event creating a file (O_CREAT or O_TMPFILE, or creat) with an execute bit in its mode.",
			func(f uint64, mode uint32, t Type) bool {
				const execBits = 0o111
				created := t == TypeCreat || f&0x40 != 0 || f&oTmpfile == oTmpfile
				return created && mode&execBits != 0
			}),
	)
	for _, d := range argDefs {
		f := argField(d)
		argFields[d.name] = f
		register(f)
		if d.name != "tuple" {
			register(rawArgField(d, f))
		}
	}
}
