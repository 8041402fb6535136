package event

import (
	"net/netip"
	"strconv"
)

// FieldType is the type of a field's values, which decides the operators a
// condition may apply to it and how values on the right side are parsed.
type FieldType uint8

// Field types.
const (
	// String fields compare as text (paths, names, command lines).
	String FieldType = iota + 1
	// Number fields are signed integers (pids, uids, ports, results).
	Number
	// Bool fields are true/false; conditions compare them to true/false.
	Bool
	// IP fields hold one address; `in`/`=` accept addresses and CIDRs.
	IP
	// Net fields hold an address that is compared by CIDR membership
	// (fd.net, fd.snet, fd.cnet, fd.rnet, fd.lnet).
	Net
	// Flags fields are bitmasks whose bits have names (open flags, mount
	// flags, capabilities); `contains NAME` tests a bit, `=` the whole mask
	// or a name. Names resolve through Field.FlagValue and render through
	// Field.FormatFlags; Value.Str is not set.
	//
	// evt.arg.flags holds flags of several syscalls whose names share bit
	// values (O_CREAT and MS_MANDLOCK are both 0x40). Its Value.Num is the
	// Linux bits plus a one-hot table tag above bit 48, and its FlagValue
	// resolves a name from any table (O_*, MS_*, MNT_*, CLONE_*, MFD_*,
	// RENAME_*, AT_*, MODULE_INIT_*, SOCK_*) to the bit plus that table's
	// tag, so `contains O_TRUNC` is a plain subset test that never matches a
	// mount. O_RDONLY (access mode 0) is a synthetic bit (1<<40) set on
	// open-family events opened read-only. Numbers written in a condition
	// carry no tag: `contains 512` works, `= 512` never matches.
	// evt.arg.mode is a plain mode word: S_I* names or an octal literal
	// ("0755"), rendered in octal.
	Flags
)

func (t FieldType) String() string {
	switch t {
	case String:
		return "string"
	case Number:
		return "number"
	case Bool:
		return "bool"
	case IP:
		return "ip"
	case Net:
		return "net"
	case Flags:
		return "flags"
	}
	return "invalid"
}

// ArgKind says whether and how a field takes a bracketed argument.
type ArgKind uint8

// Argument kinds.
const (
	ArgNone          ArgKind = iota // no argument allowed
	ArgIndexOptional                // proc.aname[2]; bare form means "any"
	ArgIndexRequired                // evt.arg[0]
	ArgKeyRequired                  // proc.env[HOME], container.mount.dest[/etc]
	ArgKeyOptional                  // evt.arg[name] style, bare form allowed
)

// Arg is a parsed bracketed argument.
type Arg struct {
	Set   bool   // an argument was given
	Index int    // numeric argument
	Key   string // text argument
}

// Value is one extracted field value. OK is false when the field is not
// available for this event (wrong event type, not filled on this host, no
// such ancestor); comparisons against an unavailable field are false, as in
// Falco.
type Value struct {
	OK  bool
	Str string     // String fields, and the text form of Flags names
	Num int64      // Number, Bool (0/1) and Flags (the bitmask)
	IP  netip.Addr // IP and Net fields
}

// Field describes one field of the registry.
type Field struct {
	Name string
	Type FieldType
	Desc string
	Arg  ArgKind
	// Ancestor is set for fields whose bare form (no argument) means "any
	// ancestor" and whose index is a depth (proc.aname, proc.aexe,
	// proc.aexepath, proc.acmdline, proc.apid): Get with Arg.Index = 1 is the parent, 0 the
	// process itself (as Falco's proc.aname[0]). Get with no argument reads
	// the parent (what an output prints); a condition on the bare form
	// iterates depths 1, 2, … until the value is unavailable, which it is
	// beyond MaxAncestorDepth.
	Ancestor bool
	// Filled reports whether the sensor fills this field on this host; a
	// field that is never filled (k8s.*, container.image.*) still parses and
	// evaluates as unavailable.
	Filled bool
	// Get extracts the value from an event. It must not allocate: values
	// that need building (command lines) are built once per process by the
	// process table, or are substrings of stored strings. The exceptions
	// are fd.name/evt.arg.tuple of IP sockets, evt.args and evt.datetime,
	// built on first use and cached in the event (one allocation per event,
	// only when asked for); so Get may write to e, and one event must not be
	// read by two goroutines at once.
	Get func(e *Event, a Arg) Value
	// FlagValue maps a flag or capability name (O_TRUNC, CAP_SYS_ADMIN,
	// MS_BIND) to its bit(s), for Flags fields.
	FlagValue func(name string) (uint64, bool)
	// FormatFlags renders a Flags value as names joined by "|", for output.
	FormatFlags func(bits uint64) string
}

// Format renders v as Falco prints it in outputs: "<NA>" when unavailable.
func (f *Field) Format(v Value) string {
	if !v.OK {
		return "<NA>"
	}
	switch f.Type {
	case String:
		return v.Str
	case Bool:
		if v.Num != 0 {
			return "true"
		}
		return "false"
	case IP, Net:
		return v.IP.String()
	case Flags:
		if f.FormatFlags != nil {
			return f.FormatFlags(uint64(v.Num))
		}
	}
	return strconv.FormatInt(v.Num, 10)
}
