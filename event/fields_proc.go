package event

// MaxAncestorDepth bounds ancestor walks: proc.aname[N] and friends are
// unavailable beyond it, so a condition looping over "any ancestor" (the bare
// form, depths 1, 2, … until the value is unavailable) always ends.
const MaxAncestorDepth = 64

// procField builds a field read from the event's process; unavailable when
// the event has no process.
func procField(name string, typ FieldType, desc string, get func(p *Process) Value) *Field {
	return &Field{Name: name, Type: typ, Desc: desc, Filled: true,
		Get: func(e *Event, _ Arg) Value {
			if p := procOf(e); p != nil {
				return get(p)
			}
			return na
		}}
}

// procStr is procField for a plain string of the process, one call shallower
// since these are the most read fields.
func procStr(name, desc string, get func(p *Process) string) *Field {
	return &Field{Name: name, Type: String, Desc: desc, Filled: true,
		Get: func(e *Event, _ Arg) Value {
			if p := e.Proc; p != nil {
				return Value{OK: true, Str: get(p)}
			}
			return na
		}}
}

// procNum is procField for a number of the process.
func procNum(name, desc string, get func(p *Process) int64) *Field {
	return &Field{Name: name, Type: Number, Desc: desc, Filled: true,
		Get: func(e *Event, _ Arg) Value {
			if p := e.Proc; p != nil {
				return Value{OK: true, Num: get(p)}
			}
			return na
		}}
}

// parentField builds a field read from the parent process; unavailable when
// the parent is unknown.
func parentField(name, desc string, get func(p *Process) string) *Field {
	return procField(name, String, desc, func(p *Process) Value {
		if p.Parent == nil {
			return na
		}
		return str(get(p.Parent))
	})
}

// ancestorOf returns the process at the depth the argument names: 0 is the
// process itself, 1 its parent; the bare form is the parent (a condition
// wanting "any ancestor" iterates depths itself, see Field.Ancestor).
func ancestorOf(e *Event, a Arg) *Process {
	p := procOf(e)
	if p == nil {
		return nil
	}
	n := 1
	if a.Set {
		n = a.Index
	}
	if n < 0 || n > MaxAncestorDepth {
		return nil
	}
	return p.Ancestor(n)
}

// ancestorField builds an Ancestor field (proc.aname and friends).
func ancestorField(name string, typ FieldType, desc string, get func(p *Process) Value) *Field {
	return &Field{Name: name, Type: typ, Desc: desc, Filled: true,
		Arg: ArgIndexOptional, Ancestor: true,
		Get: func(e *Event, a Arg) Value {
			if p := ancestorOf(e, a); p != nil {
				return get(p)
			}
			return na
		}}
}

// sessionLeader returns the process whose pid is p's session id, or else the
// eldest ancestor in the same session, as libsinsp does for proc.sname.
func sessionLeader(p *Process) *Process {
	leader := p
	for q, depth := p, 0; q != nil && depth <= MaxAncestorDepth; q, depth = q.Parent, depth+1 {
		if q.Sid != p.Sid {
			break
		}
		leader = q
		if q.Pid == p.Sid {
			break
		}
	}
	return leader
}

func unavailable(name string, typ FieldType, arg ArgKind, desc string) *Field {
	return &Field{Name: name, Type: typ, Desc: desc, Arg: arg, Filled: false,
		Get: func(*Event, Arg) Value { return na }}
}

func init() {
	register(
		procStr("proc.name", "Name of the executable generating the event (the task comm, at most 15 bytes).",
			func(p *Process) string { return p.Comm }),
		procStr("proc.exe", "First command-line argument (argv[0]) as the process was started.",
			func(p *Process) string { return p.Exe }),
		procStr("proc.exepath", "Full path of the process executable.",
			func(p *Process) string { return p.ExePath }),
		procStr("proc.cmdline", "Process name and arguments, space separated (e.g. \"bash -c id\").",
			func(p *Process) string { return p.Cmdline }),
		procStr("proc.args", "Arguments passed on the command line when starting the process, space separated.",
			func(p *Process) string { return p.ArgLine }),
		procStr("proc.exeline", "Full command line with argv[0] as given: exe followed by the arguments.",
			func(p *Process) string { return p.ExeLine }),
		procStr("proc.cwd", "Current working directory of the process at its last exec.",
			func(p *Process) string { return p.Cwd }),
		procNum("proc.pid", "Process id (thread group id) on the host.",
			func(p *Process) int64 { return int64(p.Pid) }),
		procNum("proc.ppid", "Parent process id on the host.",
			func(p *Process) int64 { return int64(p.Ppid) }),
		procNum("proc.vpid", "Process id as seen from its own pid namespace.",
			func(p *Process) int64 { return int64(p.Vpid) }),
		procNum("proc.sid", "Session id of the process.",
			func(p *Process) int64 { return int64(p.Sid) }),
		procNum("proc.tty", "Controlling terminal device number, 0 when the process has none.",
			func(p *Process) int64 { return int64(p.Tty) }),
		procField("proc.sname", String, "Name of the session leader: the process whose pid is proc.sid, else the eldest ancestor in the same session.",
			func(p *Process) Value { return str(sessionLeader(p).Comm) }),
		procField("proc.is_vpgid_leader", Bool, "True if the process is the leader of its process group (pid equals pgid).",
			func(p *Process) Value {
				return boolean(p.Pgid != 0 && (p.Pgid == p.Pid || p.Pgid == p.Vpid))
			}),
		procField("proc.is_exe_from_memfd", Bool, "True if the executable is a memfd (fileless execution).",
			func(p *Process) Value { return boolean(p.ExeFromMemfd) }),
		procField("proc.is_exe_upper_layer", Bool, "True if the executable lives on an overlayfs upper layer (written in the container after it started).",
			func(p *Process) Value { return boolean(p.ExeUpperLayer) }),
		&Field{Name: "proc.duration", Type: Number, Filled: true,
			Desc: "Nanoseconds since the process started, at the time of the event.",
			Get: func(e *Event, _ Arg) Value {
				if p := procOf(e); p != nil && p.StartTime > 0 {
					return num(e.Time - p.StartTime)
				}
				return na
			}},

		parentField("proc.pname", "Name (comm) of the parent process.",
			func(p *Process) string { return p.Comm }),
		parentField("proc.pcmdline", "Command line of the parent process.",
			func(p *Process) string { return p.Cmdline }),
		parentField("proc.pexe", "argv[0] of the parent process.",
			func(p *Process) string { return p.Exe }),
		parentField("proc.pexepath", "Full executable path of the parent process.",
			func(p *Process) string { return p.ExePath }),

		ancestorField("proc.aname", String, "Name of an ancestor: proc.aname[N] is N levels up ([0] the process itself, [1] the parent); bare, any ancestor matches.",
			func(p *Process) Value { return str(p.Comm) }),
		ancestorField("proc.aexe", String, "argv[0] of an ancestor: proc.aexe[N] is N levels up ([1] the parent); bare, any ancestor matches.",
			func(p *Process) Value { return str(p.Exe) }),
		ancestorField("proc.aexepath", String, "Executable path of an ancestor: proc.aexepath[N] is N levels up ([1] the parent); bare, any ancestor matches.",
			func(p *Process) Value { return str(p.ExePath) }),
		ancestorField("proc.acmdline", String, "Command line of an ancestor, as proc.cmdline (name and arguments): proc.acmdline[N] is N levels up ([0] the process itself, [1] the parent, as proc.aname and every ancestor field); bare, any ancestor matches.",
			func(p *Process) Value { return str(p.Cmdline) }),
		ancestorField("proc.apid", Number, "Pid of an ancestor: proc.apid[N] is N levels up ([1] the parent); bare, any ancestor matches.",
			func(p *Process) Value { return num(int64(p.Pid)) }),

		&Field{Name: "proc.penv", Type: String, Arg: ArgKeyOptional, Filled: true,
			Desc: "Environment of the parent process at its exec, as proc.env (not in Falco): a variable the process has with the same value as its parent was inherited, not set for it.",
			Get: func(e *Event, a Arg) Value {
				p := procOf(e)
				if p == nil {
					return na
				}
				return envValue(p.Parent, a)
			}},
		&Field{Name: "proc.env", Type: String, Arg: ArgKeyOptional, Filled: true,
			Desc: "Environment of the process at its exec, KEY=VALUE entries joined by spaces; proc.env[NAME] is the value of one variable (unavailable when absent). At most 4 KiB is captured per exec; unavailable when not captured.",
			Get:  func(e *Event, a Arg) Value { return envValue(procOf(e), a) }},
		procField("proc.exe_ino", Number, "Inode number of the executable file, when the process started.",
			func(p *Process) Value { return knownNum(int64(p.ExeIno)) }),
		unavailable("proc.exe_ino.ctime", Number, ArgNone, "Last status change time (ns) of the executable's inode (not captured: the kernel's in-memory ctime disagreed with stat(2); see proc.exe_ino.mtime)."),
		procField("proc.exe_ino.mtime", Number, "Last modification time (unix ns) of the executable's inode, when the process started.",
			func(p *Process) Value { return knownNum(p.ExeMtime) }),
		unavailable("proc.exe_ino.ctime_duration_proc_start", Number, ArgNone, "Nanoseconds between the executable inode's ctime and the process start (not captured, as proc.exe_ino.ctime; proc.exe_ino.mtime_duration_proc_start is)."),
		procField("proc.exe_ino.mtime_duration_proc_start", Number, "Nanoseconds from the executable's last modification to the process start (not in Falco): small for a binary written just before it ran; package managers keep a file's packaged mtime, so an installed binary's is large.",
			func(p *Process) Value {
				if p.ExeMtime <= 0 || p.StartTime <= 0 {
					return na
				}
				return num(p.StartTime - p.ExeMtime)
			}),

		&Field{Name: "thread.tid", Type: Number, Filled: true,
			Desc: "Id of the thread that generated the event.",
			Get:  func(e *Event, _ Arg) Value { return num(int64(e.Tid)) }},
		capField("thread.cap_effective", "Effective capabilities of the thread (CAP_* names); `contains CAP_SYS_ADMIN` tests one.",
			func(p *Process) uint64 { return p.CapEffective }),
		capField("thread.cap_permitted", "Permitted capabilities of the thread (CAP_* names); `contains CAP_SYS_ADMIN` tests one.",
			func(p *Process) uint64 { return p.CapPermitted }),
	)
}

// capField builds a capability-set Flags field.
func capField(name, desc string, get func(p *Process) uint64) *Field {
	f := procField(name, Flags, desc, func(p *Process) Value { return num(int64(get(p))) })
	f.FlagValue = Capabilities.Value
	f.FormatFlags = Capabilities.Format
	return f
}

// envValue is proc.env of p: the whole environment, or one variable with
// a key; unavailable when p or its environment is unknown or the variable
// is absent.
func envValue(p *Process, a Arg) Value {
	if p == nil || p.Env == nil {
		return na
	}
	if !a.Set {
		return str(p.EnvLine)
	}
	if v, ok := p.EnvVar(a.Key); ok {
		return str(v)
	}
	return na
}
