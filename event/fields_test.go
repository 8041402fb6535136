package event

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// parseRef splits "proc.aname[2]" into the field and its argument.
func parseRef(t testing.TB, ref string) (*Field, Arg) {
	t.Helper()
	name, arg := ref, Arg{}
	if i := strings.IndexByte(ref, '['); i >= 0 && strings.HasSuffix(ref, "]") {
		name = ref[:i]
		inner := ref[i+1 : len(ref)-1]
		arg.Set = true
		if n, err := strconv.Atoi(inner); err == nil {
			arg.Index = n
		} else {
			arg.Key = inner
		}
	}
	f, ok := Lookup(name)
	if !ok {
		t.Fatalf("field %q is not registered", name)
	}
	return f, arg
}

// fieldCase is one event and the rendering (Field.Format) of fields on it.
type fieldCase struct {
	name  string
	event func() *Event
	want  map[string]string
}

// allNA lists fields that must be unavailable on an event.
func allNA(m map[string]string, refs ...string) map[string]string {
	for _, r := range refs {
		m[r] = "<NA>"
	}
	return m
}

var sockFieldsNA = []string{"fd.cip", "fd.sip", "fd.lip", "fd.rip", "fd.ip", "fd.net",
	"fd.cnet", "fd.snet", "fd.lnet", "fd.rnet", "fd.cport", "fd.sport", "fd.lport",
	"fd.rport", "fd.port", "fd.l4proto", "fd.sockfamily", "fd.connected", "evt.arg.tuple"}

var unfilledNA = []string{"proc.exe_ino.ctime", "proc.exe_ino.ctime_duration_proc_start", "container.image", "container.image.repository",
	"container.image.tag", "container.image.id", "container.privileged", "container.mounts",
	"container.mount[/]", "container.mount.dest[/etc]", "container.mount.source[/host]",
	"container.start_ts", "k8s.ns.name", "k8s.pod.name", "k8s.pod.uid", "k8s.pod.label[app]",
	"evt.buffer", "fd.cip.name", "fd.sip.name", "fd.lip.name", "fd.rip.name"}

var fieldCases = []fieldCase{
	{name: "exec by non-root user", event: execEvent, want: allNA(map[string]string{
		"proc.name": "chattr", "proc.exe": "chattr", "proc.exepath": "/usr/bin/chattr",
		"proc.cmdline": "chattr +i secret file.txt", "proc.args": "+i secret file.txt",
		"proc.exeline": "chattr +i secret file.txt", "proc.cwd": "/home/alice",
		"proc.pid": "1234", "proc.ppid": "900", "proc.vpid": "1234", "proc.sid": "900",
		"proc.tty": "34816", "proc.sname": "bash", "proc.is_vpgid_leader": "true",
		"proc.is_exe_from_memfd": "false", "proc.is_exe_upper_layer": "false",
		"proc.duration": "5000000",
		"proc.exe_ino":  "131077", "proc.exe_ino.mtime": strconv.FormatInt(t0-90_000_000*msec, 10),
		"proc.exe_ino.mtime_duration_proc_start": "90000000000000",
		"proc.pname":                             "bash", "proc.pcmdline": "bash", "proc.pexe": "-bash",
		"proc.pexepath": "/usr/bin/bash",
		"proc.aname":    "bash", // bare form reads the parent; conditions iterate
		"proc.aname[0]": "chattr", "proc.aname[1]": "bash", "proc.aname[2]": "sshd",
		"proc.aname[3]": "systemd", "proc.aname[4]": "<NA>", "proc.aname[-1]": "<NA>",
		"proc.aexe[2]": "sshd: alice [priv]", "proc.aexe": "-bash",
		"proc.aexepath": "/usr/bin/bash", "proc.aexepath[3]": "/usr/lib/systemd/systemd",
		"proc.apid[2]": "812", "proc.apid": "900", "proc.apid[99]": "<NA>",
		"proc.acmdline":    "bash", // bare form reads the parent, as proc.aname
		"proc.acmdline[0]": "chattr +i secret file.txt", "proc.acmdline[1]": "bash",
		"proc.acmdline[2]": "sshd: alice [priv]", "proc.acmdline[3]": "systemd",
		"proc.acmdline[4]": "<NA>", "proc.acmdline[-1]": "<NA>", "proc.acmdline[99]": "<NA>",
		"thread.tid": "1234", "thread.cap_effective": "0", "thread.cap_permitted": "0",
		"user.uid": "1000", "user.name": "alice", "user.loginuid": "1000",
		"user.loginname": "alice", "group.gid": "1000", "group.name": "alice",
		"container.id": "host", "container.name": "host",
		"evt.type": "execve", "evt.num": "42", "evt.time": "1700000000005000000",
		"evt.rawtime": "1700000000005000000", "evt.datetime": "2023-11-14T22:13:20.005000000Z",
		"evt.dir": "<", "evt.cpu": "3", "evt.res": "SUCCESS", "evt.rawres": "0",
		"evt.failed": "false", "evt.args": "res=0 filename=/usr/bin/chattr",
		"evt.is_open_read": "false", "evt.is_open_write": "false", "evt.is_open_exec": "false",
		"evt.arg.filename": "/usr/bin/chattr", "evt.arg.res": "0",
		"evt.rawarg.filename": "/usr/bin/chattr", "evt.rawarg.res": "0", "evt.rawarg.uid": "<NA>",
		"fd.name_changed": "false",
		// environment not captured (older capture, /proc unreadable)
		"proc.env": "<NA>", "proc.env[HOME]": "<NA>", "proc.penv": "<NA>", "proc.penv[HOME]": "<NA>",
	}, append(append([]string{"fd.num", "fd.name", "fd.nameraw", "fd.directory", "fd.filename",
		"fd.type", "fd.typechar", "evt.arg.name", "evt.arg.path", "evt.arg.flags",
		"evt.arg.mode", "evt.arg.fd", "evt.arg.uid", "evt.arg.pathname"}, sockFieldsNA...), unfilledNA...)...)},

	{name: "process with an environment", event: func() *Event {
		e := execEvent()
		e.Proc.Env, e.Proc.EnvLine = JoinEnv([]string{"HOME=/home/alice", "LD_PRELOAD=/tmp/x.so",
			"EMPTY=", "A=1=2", "HOME=/second", "NOEQUALS", "PS1=$ x "})
		return e
	}, want: map[string]string{
		"proc.env":             "HOME=/home/alice LD_PRELOAD=/tmp/x.so EMPTY= A=1=2 HOME=/second NOEQUALS PS1=$ x ",
		"proc.env[HOME]":       "/home/alice", // the first definition, as getenv
		"proc.env[LD_PRELOAD]": "/tmp/x.so",
		"proc.env[EMPTY]":      "",
		"proc.env[A]":          "1=2",
		"proc.env[PS1]":        "$ x ",
		"proc.env[NOEQUALS]":   "<NA>",
		"proc.env[LD_PRELOA]":  "<NA>",
		"proc.env[MISSING]":    "<NA>",
		"proc.env[]":           "<NA>",
	}},

	{name: "process whose parent has an environment", event: func() *Event {
		e := execEvent() // a fresh process chain: editing the parent is safe
		e.Proc.Parent.Env, e.Proc.Parent.EnvLine = JoinEnv([]string{"HOME=/home/alice", "LD_PRELOAD=/tmp/x.so"})
		return e
	}, want: map[string]string{
		"proc.penv": "HOME=/home/alice LD_PRELOAD=/tmp/x.so", "proc.penv[LD_PRELOAD]": "/tmp/x.so",
		"proc.penv[MISSING]": "<NA>", "proc.env": "<NA>",
	}},

	{name: "process with an empty environment", event: func() *Event {
		e := execEvent()
		e.Proc.Env, e.Proc.EnvLine = JoinEnv([]string{})
		return e
	}, want: map[string]string{"proc.env": "", "proc.env[HOME]": "<NA>"}},

	{name: "root in a container with every capability", event: func() *Event {
		e := execEvent()
		e.Proc = containerProc()
		return e
	}, want: map[string]string{
		"proc.name": "nc", "proc.pname": "containerd-shim", "proc.vpid": "1",
		"proc.sname": "nc", "proc.is_exe_upper_layer": "true", "user.loginuid": "-1",
		"user.uid": "0", "user.name": "root", "user.loginname": "<NA>",
		"container.id": "3ad7b26ded6d", "container.name": "3ad7b26ded6d",
		"proc.aname[2]": "systemd", "proc.aname[3]": "<NA>",
		"proc.acmdline[0]": "nc 10.0.0.5 4444", "proc.acmdline[1]": "", // the shim's is empty
		"proc.acmdline[3]":     "<NA>",
		"proc.duration":        "7000000",
		"thread.cap_effective": strings.Join(capabilityNames[:], "|"),
	}},

	{name: "setuid-root binary run by a user", event: func() *Event {
		e := execEvent()
		e.Proc.Comm, e.Proc.Euid, e.Proc.UserName = "sudo", 0, "root"
		return e
	}, want: map[string]string{
		"user.uid": "0", "user.name": "root", "user.loginuid": "1000", "user.loginname": "alice",
	}},

	{name: "process without parent or start time", event: func() *Event {
		e := execEvent()
		e.Proc = &Process{Pid: 7, Comm: "orphan", LoginUID: unsetLoginUID}
		return e
	}, want: map[string]string{
		"proc.pname": "<NA>", "proc.pcmdline": "<NA>", "proc.pexe": "<NA>",
		"proc.pexepath": "<NA>", "proc.aname": "<NA>", "proc.aname[0]": "orphan",
		"proc.duration": "<NA>", "user.name": "<NA>", "group.name": "<NA>",
		"container.id": "<NA>", "proc.sname": "orphan", "proc.is_vpgid_leader": "false",
		"proc.acmdline": "<NA>", "proc.acmdline[1]": "<NA>",
	}},

	{name: "event without process", event: func() *Event {
		return &Event{Type: TypeKill, Res: 0, TargetPid: 1, Signal: 9}
	}, want: map[string]string{
		"proc.name": "<NA>", "proc.aname[0]": "<NA>", "user.uid": "<NA>",
		"proc.acmdline": "<NA>", "proc.acmdline[0]": "<NA>",
		"proc.duration": "<NA>", "container.id": "<NA>", "thread.cap_effective": "<NA>",
		"evt.arg.pid": "1", "evt.arg.sig": "SIGKILL", "evt.args": "res=0 pid=1 sig=SIGKILL",
	}},

	{name: "openat O_WRONLY|O_CREAT|O_TRUNC", event: openEvent, want: allNA(map[string]string{
		"fd.num": "3", "fd.name": "/tmp/stage/run.sh", "fd.nameraw": "run.sh",
		"fd.directory": "/tmp/stage", "fd.filename": "run.sh", "fd.type": "file",
		"fd.typechar": "f", "fd.name_changed": "false",
		"evt.arg.flags": "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC", "evt.arg.mode": "0755",
		"evt.arg.name": "/tmp/stage/run.sh", "evt.arg.pathname": "/tmp/stage/run.sh",
		"evt.arg.fd": "3", "evt.arg.dirfd": "-100", "evt.arg.path": "<NA>",
		"evt.rawarg.flags": "524865", "evt.rawarg.mode": "493", "evt.rawarg.fd": "3",
		"evt.rawarg.dirfd": "-100", "evt.rawarg.name": "/tmp/stage/run.sh",
		"evt.rawarg.pathname": "/tmp/stage/run.sh", "evt.rawarg.res": "<NA>",
		"evt.is_open_read": "false", "evt.is_open_write": "true", "evt.is_open_exec": "true",
		"evt.res": "SUCCESS", "evt.rawres": "3", "evt.type": "openat",
		"evt.args":  "fd=3 dirfd=-100 name=/tmp/stage/run.sh flags=O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC mode=0755",
		"proc.name": "bash", "proc.sname": "bash", "proc.pname": "sshd",
	}, sockFieldsNA...)},

	{name: "openat failing with ENOENT", event: failedOpenEvent, want: map[string]string{
		"evt.res": "ENOENT", "evt.rawres": "-2", "evt.failed": "true",
		"evt.arg.flags": "O_RDONLY", "evt.arg.mode": "0", "fd.num": "-1",
		"evt.rawarg.flags": "0",
		"fd.name":          "/etc/shadow", "fd.directory": "/etc", "fd.filename": "shadow",
		"evt.is_open_read": "true", "evt.is_open_write": "false", "evt.is_open_exec": "false",
	}},

	{name: "open O_RDWR|O_TMPFILE with exec mode", event: func() *Event {
		e := openEvent()
		e.Type = TypeOpen
		e.Path = "/dev/shm"
		e.Flags = 0x2 | 0x410000
		e.Mode = 0o700
		return e
	}, want: map[string]string{
		"evt.arg.flags": "O_RDWR|O_TMPFILE", "fd.type": "file", "evt.arg.dirfd": "<NA>",
		"evt.is_open_read": "true", "evt.is_open_write": "true", "evt.is_open_exec": "true",
		"evt.args": "fd=3 name=/dev/shm flags=O_RDWR|O_TMPFILE mode=0700",
	}},

	{name: "open O_DIRECTORY", event: func() *Event {
		e := openEvent()
		e.Path, e.Flags, e.Mode = "/etc", 0x10000|0x80000, 0
		return e
	}, want: map[string]string{
		"fd.type": "directory", "fd.typechar": "d", "fd.directory": "/etc",
		"fd.filename": "<NA>", "evt.arg.flags": "O_RDONLY|O_DIRECTORY|O_CLOEXEC",
	}},

	{name: "creat implies O_WRONLY|O_CREAT|O_TRUNC", event: func() *Event {
		e := openEvent()
		e.Type, e.Flags, e.Mode = TypeCreat, 0, 0o644
		return e
	}, want: map[string]string{
		"evt.arg.flags": "O_WRONLY|O_CREAT|O_TRUNC", "evt.is_open_write": "true",
		"evt.is_open_exec": "false", "evt.arg.mode": "0644",
	}},

	{name: "connect to 10.0.0.5:4444 over IPv4", event: connect4Event, want: allNA(map[string]string{
		"fd.name": "172.17.0.2:51234->10.0.0.5:4444", "fd.type": "ipv4", "fd.typechar": "4",
		"fd.sockfamily": "ip", "fd.l4proto": "tcp", "fd.connected": "false", "fd.num": "3",
		"fd.cip": "172.17.0.2", "fd.sip": "10.0.0.5", "fd.lip": "172.17.0.2", "fd.rip": "10.0.0.5",
		"fd.ip": "10.0.0.5", "fd.net": "10.0.0.5", "fd.cnet": "172.17.0.2", "fd.snet": "10.0.0.5",
		"fd.lnet": "172.17.0.2", "fd.rnet": "10.0.0.5", "fd.cport": "51234", "fd.sport": "4444",
		"fd.lport": "51234", "fd.rport": "4444", "fd.port": "4444",
		"evt.res": "EINPROGRESS", "evt.rawres": "-115", "evt.failed": "true",
		"evt.arg.tuple": "172.17.0.2:51234->10.0.0.5:4444", "evt.arg.fd": "3",
		"evt.args":         "res=-115 fd=3 tuple=172.17.0.2:51234->10.0.0.5:4444",
		"evt.is_open_read": "false", "fd.name_changed": "false",
	}, "fd.directory", "fd.filename", "fd.nameraw", "evt.arg.flags", "evt.arg.name")},

	{name: "connect over IPv6", event: connect6Event, want: map[string]string{
		"fd.name": "fd00::2:40000->2001:db8::5:4444", "fd.type": "ipv6", "fd.typechar": "6",
		"fd.sockfamily": "ip", "fd.connected": "true", "fd.sip": "2001:db8::5",
		"fd.cip": "fd00::2", "fd.sport": "4444", "fd.cport": "40000", "evt.res": "SUCCESS",
	}},

	{name: "unix connect", event: unixConnectEvent, want: map[string]string{
		"fd.name": "/run/docker.sock", "fd.type": "unix", "fd.typechar": "u",
		"fd.sockfamily": "unix", "fd.l4proto": "<NA>", "fd.cip": "<NA>", "fd.sport": "<NA>",
		"fd.connected": "true", "evt.arg.tuple": "/run/docker.sock",
	}},

	{name: "accept4 of a v4-mapped peer", event: acceptEvent, want: map[string]string{
		"fd.name": "203.0.113.7:60000->10.0.0.9:22", "fd.cip": "203.0.113.7",
		"fd.sip": "10.0.0.9", "fd.ip": "203.0.113.7", "fd.port": "22", "fd.sport": "22",
		"fd.cport": "60000", "fd.lport": "22", "fd.rport": "60000", "fd.connected": "true",
		"evt.arg.flags": "SOCK_CLOEXEC", "fd.num": "7", "fd.type": "ipv4",
		"evt.args": "fd=7 tuple=203.0.113.7:60000->10.0.0.9:22 flags=SOCK_CLOEXEC",
	}},

	{name: "listen without peer", event: func() *Event {
		e := acceptEvent()
		e.Type, e.Res, e.Fd, e.Flags = TypeListen, 0, 4, 0
		e.Sock.Remote = netip.AddrPort{}
		e.Sock.Local = netip.MustParseAddrPort("0.0.0.0:8080")
		return e
	}, want: map[string]string{
		"fd.name": "0.0.0.0:8080", "fd.sip": "0.0.0.0", "fd.sport": "8080", "fd.cip": "<NA>",
		"fd.ip": "0.0.0.0", "fd.port": "8080", "fd.connected": "false", "evt.arg.flags": "<NA>",
		"evt.args": "res=0 fd=4",
	}},

	{name: "udp sendto with unknown local end", event: func() *Event {
		e := connect4Event()
		e.Type, e.Res = TypeSendto, 64
		e.Sock.Type, e.Sock.Local = 2, netip.AddrPort{}
		return e
	}, want: map[string]string{
		"fd.name": "0.0.0.0:0->10.0.0.5:4444", "fd.l4proto": "udp", "fd.connected": "false",
		"fd.name_changed": "true", "fd.cip": "<NA>", "fd.cport": "<NA>",
	}},

	{name: "tcp recvfrom on a connected socket", event: func() *Event {
		e := acceptEvent()
		e.Type, e.Res, e.Flags = TypeRecvfrom, 100, 0
		return e
	}, want: map[string]string{
		"fd.connected": "true", "fd.name_changed": "false", "fd.l4proto": "tcp",
		"fd.name": "203.0.113.7:60000->10.0.0.9:22", "evt.arg.flags": "<NA>",
	}},

	{name: "raw icmp socket", event: func() *Event {
		e := connect4Event()
		e.Type, e.Res, e.Fd = TypeSocket, 5, 5
		e.Sock = Sock{Family: AFInet, Type: 3, Proto: 1}
		return e
	}, want: map[string]string{
		"fd.l4proto": "icmp", "fd.name": "<NA>", "evt.arg.domain": "AF_INET",
		"evt.arg.type": "SOCK_RAW", "evt.arg.proto": "1", "fd.connected": "false",
	}},

	{name: "packet socket", event: func() *Event {
		e := connect4Event()
		e.Type, e.Res, e.Fd = TypeSocket, 5, 5
		e.Sock, e.Flags = Sock{Family: 17, Type: 3, Proto: 768}, sockCloexec
		return e
	}, want: map[string]string{
		"evt.arg.domain": "AF_PACKET", "evt.arg.type": "SOCK_RAW|SOCK_CLOEXEC",
		"evt.arg.proto": "768", "evt.arg.flags": "SOCK_CLOEXEC", "fd.type": "<NA>",
		"evt.rawarg.domain": "17", "evt.rawarg.type": "524291", "evt.rawarg.proto": "768",
		"fd.sockfamily": "<NA>", "fd.l4proto": "<NA>", "fd.num": "5",
		"evt.args": "fd=5 domain=AF_PACKET type=SOCK_RAW|SOCK_CLOEXEC proto=768",
	}},

	{name: "bind mount of the host root", event: func() *Event {
		return &Event{Type: TypeMount, Res: 0, Proc: containerProc(), Path: "/mnt/host",
			Path2: "/", FSType: "none", Flags: 4096 | 16384}
	}, want: map[string]string{
		"evt.arg.flags": "MS_BIND|MS_REC", "evt.arg.dev": "/", "evt.arg.dir": "/mnt/host",
		"evt.arg.type": "none", "fd.name": "<NA>", "fd.num": "<NA>",
		"evt.rawarg.type": "<NA>", "evt.rawarg.flags": "20480", "evt.rawarg.dev": "/",
		"evt.rawarg.dir": "/mnt/host",
		"evt.args":       "res=0 dev=/ dir=/mnt/host type=none flags=MS_BIND|MS_REC",
	}},

	{name: "umount2 lazy", event: func() *Event {
		return &Event{Type: TypeUmount2, Res: -1, Path: "/proc", Flags: 2}
	}, want: map[string]string{
		"evt.arg.flags": "MNT_DETACH", "evt.arg.name": "/proc", "evt.res": "EPERM",
	}},

	{name: "unshare user and mount namespaces", event: func() *Event {
		return &Event{Type: TypeUnshare, Res: 0, Flags: 0x10000000 | 0x20000}
	}, want: map[string]string{
		"evt.arg.flags": "CLONE_NEWNS|CLONE_NEWUSER", "evt.args": "res=0 flags=CLONE_NEWNS|CLONE_NEWUSER",
	}},

	{name: "setns into a net namespace", event: func() *Event {
		return &Event{Type: TypeSetns, Res: 0, Fd: 5, Flags: 0x40000000}
	}, want: map[string]string{
		"evt.arg.nstype": "CLONE_NEWNET", "evt.arg.flags": "CLONE_NEWNET", "fd.num": "5",
		"evt.rawarg.nstype": "1073741824", "evt.rawarg.fd": "5",
		"evt.arg.fd": "5", "fd.name": "<NA>",
	}},

	{name: "memfd_create", event: func() *Event {
		return &Event{Type: TypeMemfdCreate, Res: 4, Fd: 4, Path: "payload", Flags: 1}
	}, want: map[string]string{
		"evt.arg.name": "payload", "evt.arg.flags": "MFD_CLOEXEC", "fd.type": "memfd",
		"fd.typechar": "m", "fd.name": "payload", "fd.filename": "<NA>", "fd.num": "4",
	}},

	{name: "renameat2 with RENAME_NOREPLACE", event: func() *Event {
		return &Event{Type: TypeRenameat2, Res: 0, Path: "/root/.bash_history",
			Path2: "/tmp/h", Flags: 1}
	}, want: map[string]string{
		"fd.name_changed": "true", "evt.arg.oldpath": "/root/.bash_history",
		"evt.arg.newpath": "/tmp/h", "evt.arg.flags": "RENAME_NOREPLACE",
		"evt.rawarg.oldpath": "/root/.bash_history", "evt.rawarg.newpath": "/tmp/h",
		"fd.name": "/root/.bash_history", "fd.num": "<NA>", "evt.arg.name": "<NA>",
		"evt.arg.pathname": "/root/.bash_history",
	}},

	{name: "chmod setuid", event: func() *Event {
		return &Event{Type: TypeChmod, Res: 0, Path: "/tmp/sh", Mode: 0o4755}
	}, want: map[string]string{
		"evt.arg.mode": "04755", "evt.arg.filename": "/tmp/sh", "fd.name": "/tmp/sh",
		"evt.args": "res=0 filename=/tmp/sh mode=04755",
	}},

	{name: "fchmodat and linkat with AT flags", event: func() *Event {
		return &Event{Type: TypeLinkat, Res: 0, Path: "/etc/passwd", Path2: "/tmp/p", Flags: 0x400}
	}, want: map[string]string{
		"evt.arg.flags": "AT_SYMLINK_FOLLOW", "evt.arg.oldpath": "/etc/passwd",
		"evt.arg.newpath": "/tmp/p",
	}},

	{name: "unlinkat AT_REMOVEDIR", event: func() *Event {
		return &Event{Type: TypeUnlinkat, Res: 0, Fd: -100, Path: "/var/log/audit", Flags: 0x200}
	}, want: map[string]string{
		"fd.type": "directory", "fd.directory": "/var/log/audit", "evt.arg.dirfd": "-100",
		"evt.arg.name": "/var/log/audit", "evt.arg.flags": "AT_REMOVEDIR", "fd.num": "<NA>",
	}},

	{name: "mkdir and rmdir", event: func() *Event {
		return &Event{Type: TypeMkdir, Res: 0, Path: "/tmp/.hidden", Mode: 0o700}
	}, want: map[string]string{
		"fd.type": "directory", "fd.typechar": "d", "evt.arg.path": "/tmp/.hidden",
		"evt.arg.mode": "0700", "fd.directory": "/tmp/.hidden", "fd.filename": "<NA>",
		"evt.rawarg.path": "/tmp/.hidden",
	}},

	{name: "unlink", event: func() *Event {
		return &Event{Type: TypeUnlink, Res: 0, Path: "/var/log/wtmp"}
	}, want: map[string]string{
		"evt.arg.path": "/var/log/wtmp", "fd.filename": "wtmp", "evt.arg.flags": "<NA>",
	}},

	{name: "symlink", event: func() *Event {
		return &Event{Type: TypeSymlink, Res: 0, Path: "/dev/null", Path2: "/root/.bash_history"}
	}, want: map[string]string{
		"evt.arg.target": "/dev/null", "evt.arg.linkpath": "/root/.bash_history",
		"evt.rawarg.target": "/dev/null", "evt.rawarg.linkpath": "/root/.bash_history",
	}},

	{name: "kill with unnamed signal 0", event: func() *Event {
		return &Event{Type: TypeKill, Res: -3, TargetPid: 4000, Signal: 0}
	}, want: map[string]string{
		"evt.arg.sig": "0", "evt.arg.pid": "4000", "evt.res": "ESRCH",
		"evt.rawarg.sig": "0", "evt.rawarg.pid": "4000",
	}},

	{name: "ptrace attach", event: func() *Event {
		return &Event{Type: TypePtrace, Res: 0, TargetPid: 812, Request: 16}
	}, want: map[string]string{
		"evt.arg.request": "PTRACE_ATTACH", "evt.arg.pid": "812",
		"evt.rawarg.request": "16",
	}},

	{name: "bpf prog load", event: func() *Event {
		return &Event{Type: TypeBpf, Res: 6, Fd: 6, Cmd: 5}
	}, want: map[string]string{
		"evt.arg.cmd": "BPF_PROG_LOAD", "fd.type": "bpf", "fd.typechar": "b", "fd.num": "6",
		"evt.rawarg.cmd": "5",
	}},

	{name: "setuid to root", event: func() *Event {
		return &Event{Type: TypeSetuid, Res: 0, UIDs: [3]int64{0, -1, -1}, PrevIDs: [2]int64{1000, 1000}}
	}, want: map[string]string{
		"evt.arg.uid": "0", "evt.arg.gid": "<NA>", "evt.args": "res=0 uid=0 olduid=1000 oldeuid=1000",
		"evt.rawarg.uid": "0", "evt.arg.olduid": "1000", "evt.arg.oldeuid": "1000", "evt.arg.oldgid": "<NA>",
		"evt.rawarg.olduid": "1000", "evt.rawarg.oldeuid": "1000",
	}},

	{name: "setuid from a capture without the previous ids", event: func() *Event {
		return &Event{Type: TypeSetuid, Res: 0, UIDs: [3]int64{0, -1, -1}, PrevIDs: [2]int64{-1, -1}}
	}, want: map[string]string{"evt.arg.olduid": "<NA>", "evt.arg.oldeuid": "<NA>", "evt.args": "res=0 uid=0"}},

	{name: "setgid", event: func() *Event {
		return &Event{Type: TypeSetgid, Res: 0, UIDs: [3]int64{27, -1, -1}, PrevIDs: [2]int64{1000, 0}}
	}, want: map[string]string{"evt.arg.gid": "27", "evt.arg.uid": "<NA>", "evt.rawarg.gid": "27",
		"evt.arg.oldgid": "1000", "evt.arg.oldegid": "0", "evt.arg.olduid": "<NA>",
		"evt.rawarg.oldgid": "1000", "evt.rawarg.oldegid": "0"}},

	{name: "setresuid", event: func() *Event {
		return &Event{Type: TypeSetresuid, Res: 0, UIDs: [3]int64{-1, 0, 1000}}
	}, want: map[string]string{
		"evt.arg.ruid": "-1", "evt.arg.euid": "0", "evt.arg.suid": "1000", "evt.arg.uid": "<NA>",
		"evt.rawarg.ruid": "-1", "evt.rawarg.euid": "0", "evt.rawarg.suid": "1000",
	}},

	{name: "setresgid", event: func() *Event {
		return &Event{Type: TypeSetresgid, Res: 0, UIDs: [3]int64{1, 2, 3}}
	}, want: map[string]string{"evt.arg.rgid": "1", "evt.arg.egid": "2", "evt.arg.sgid": "3",
		"evt.rawarg.rgid": "1", "evt.rawarg.egid": "2", "evt.rawarg.sgid": "3"}},

	{name: "dup2 of a socket onto stdin", event: func() *Event {
		return &Event{Type: TypeDup2, Res: 0, Fd: 3, Fd2: 0}
	}, want: map[string]string{
		"evt.arg.oldfd": "3", "evt.arg.newfd": "0", "fd.num": "3", "fd.type": "<NA>",
		"evt.rawarg.oldfd": "3", "evt.rawarg.newfd": "0",
	}},

	{name: "dup3 O_CLOEXEC", event: func() *Event {
		return &Event{Type: TypeDup3, Res: 1, Fd: 3, Fd2: 1, Flags: 0x80000}
	}, want: map[string]string{"evt.arg.flags": "O_CLOEXEC"}},

	{name: "finit_module", event: func() *Event {
		return &Event{Type: TypeFinitModule, Res: 0, Fd: 3, Path: "/tmp/rk.ko", Flags: 2}
	}, want: map[string]string{
		"evt.arg.flags": "MODULE_INIT_IGNORE_VERMAGIC", "fd.name": "/tmp/rk.ko", "fd.num": "3",
	}},

	{name: "delete_module", event: func() *Event {
		return &Event{Type: TypeDeleteModule, Res: 0, Path: "rk", Flags: 0x800}
	}, want: map[string]string{"evt.arg.name": "rk", "evt.arg.flags": "O_NONBLOCK", "fd.name": "<NA>"}},

	{name: "userfaultfd", event: func() *Event {
		return &Event{Type: TypeUserfaultfd, Res: 5, Fd: 5, Flags: 0x80000 | 0x800}
	}, want: map[string]string{
		"fd.type": "userfaultfd", "fd.typechar": "u", "evt.arg.flags": "O_NONBLOCK|O_CLOEXEC",
	}},

	{name: "failed execve with an unknown errno", event: func() *Event {
		e := execEvent()
		e.Res, e.Path = -600, "/tmp/x"
		return e
	}, want: map[string]string{
		"evt.res": "-600", "evt.arg.filename": "/tmp/x", "evt.failed": "true",
	}},
}

func TestFieldValues(t *testing.T) {
	for _, c := range fieldCases {
		t.Run(c.name, func(t *testing.T) {
			e := c.event()
			for ref, want := range c.want {
				f, arg := parseRef(t, ref)
				if got := f.Format(f.Get(e, arg)); got != want {
					t.Errorf("%s = %q, want %q", ref, got, want)
				}
			}
		})
	}
}

// TestEveryFieldTested makes sure the table above exercises every field.
func TestEveryFieldTested(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range fieldCases {
		for ref := range c.want {
			f, _ := parseRef(t, ref)
			seen[f.Name] = true
		}
	}
	for _, f := range All() {
		if !seen[f.Name] {
			t.Errorf("field %s has no table test", f.Name)
		}
	}
}

func TestUnfilledFieldsUnavailable(t *testing.T) {
	events := []*Event{execEvent(), openEvent(), connect4Event(), {Type: TypeMount, Proc: containerProc()}}
	for _, f := range All() {
		if f.Filled {
			continue
		}
		for _, e := range events {
			if v := f.Get(e, Arg{Set: true, Key: "x"}); v.OK {
				t.Errorf("unfilled field %s is available on %s: %+v", f.Name, e.Type, v)
			}
		}
	}
}

func TestFieldsWellFormed(t *testing.T) {
	for _, f := range All() {
		if f.Desc == "" || strings.Contains(f.Desc, "\n") {
			t.Errorf("%s: description must be one non-empty line, got %q", f.Name, f.Desc)
		}
		if f.Type.String() == "invalid" {
			t.Errorf("%s: invalid type %d", f.Name, f.Type)
		}
		if f.Get == nil {
			t.Errorf("%s: no accessor", f.Name)
		}
		if (f.Type == Flags) != (f.FlagValue != nil && f.FormatFlags != nil) {
			t.Errorf("%s: Flags fields need FlagValue and FormatFlags, and only they", f.Name)
		}
		if f.Ancestor && f.Arg != ArgIndexOptional {
			t.Errorf("%s: ancestor fields take an optional index", f.Name)
		}
		if !strings.Contains(f.Name, ".") {
			t.Errorf("%s: field names contain a dot", f.Name)
		}
	}
	for _, name := range []string{"proc.aname", "proc.aexe", "proc.aexepath", "proc.acmdline", "proc.apid"} {
		if f, ok := Lookup(name); !ok || !f.Ancestor {
			t.Errorf("%s must be an ancestor field", name)
		}
	}
}

// designFields is the list of DESIGN.md §8: conditions of Falco's official
// rule files, their outputs, and the basics.
const designFields = `
fd.name proc.name proc.cmdline container.image.repository proc.aname proc.pname
evt.type proc.args fd.directory fd.typechar proc.pcmdline user.name evt.arg.path
container.mount.dest proc.pexe evt.rawres proc.exe thread.cap_permitted evt.arg.name
evt.arg.oldpath evt.arg.uid evt.res fd.net fd.num k8s.ns.name fd.ip fd.l4proto
fd.sport evt.arg.newpath evt.arg.request container.id evt.arg.mode evt.arg.flags
evt.is_open_read fd.connected fd.filename fd.name_changed fd.sip.name fd.snet user.uid
container.privileged evt.is_open_write evt.num proc.tty proc.vpid thread.cap_effective
evt.arg.cmd evt.arg.target fd.nameraw fd.sip fd.type proc.cwd proc.env user.loginuid
evt.arg.domain evt.arg.filename evt.buffer evt.is_open_exec fd.cip fd.cip.name fd.cnet
fd.port fd.rnet fd.sockfamily k8s.pod.name proc.aexe proc.duration proc.exepath
proc.is_exe_from_memfd proc.is_exe_upper_layer proc.is_vpgid_leader evt.dir
user.loginname group.gid group.name proc.pexepath proc.sname
proc.aexepath fd.lport fd.rport fd.lip fd.rip fd.rip.name fd.lip.name evt.args
evt.arg.linkpath evt.arg.fd evt.time container.start_ts container.mounts
proc.exe_ino.ctime proc.exe_ino.mtime proc.exe_ino.ctime_duration_proc_start
evt.time evt.datetime proc.pid proc.ppid proc.sid proc.exeline user.name group.name container.name
thread.tid proc.apid fd.cport fd.ip fd.lip fd.rip evt.arg.pathname evt.arg.gid evt.arg.euid
evt.arg.ruid evt.arg.suid evt.arg.pid evt.arg.sig evt.arg.type evt.arg.proto evt.arg.newfd
evt.arg.dirfd evt.arg.res
`

func TestDesignFieldsRegistered(t *testing.T) {
	for _, name := range strings.Fields(designFields) {
		if _, ok := Lookup(name); !ok {
			t.Errorf("DESIGN.md §8 field %s is not registered", name)
		}
	}
}

func TestFilledMatchesSensor(t *testing.T) {
	unfilled := []string{"k8s.ns.name", "k8s.pod.name", "container.image.repository",
		"container.privileged", "container.mount.dest", "container.mounts",
		"container.start_ts", "evt.buffer", "fd.sip.name", "fd.cip.name",
		"fd.rip.name", "fd.lip.name", "proc.exe_ino.ctime", "proc.exe_ino.ctime_duration_proc_start"}
	for _, name := range unfilled {
		if f, _ := Lookup(name); f.Filled {
			t.Errorf("%s must not be marked filled", name)
		}
	}
	for _, name := range []string{"proc.name", "proc.env", "fd.name", "evt.res", "container.id", "container.name",
		"user.loginuid", "thread.cap_effective", "evt.arg.flags", "fd.sip"} {
		if f, _ := Lookup(name); !f.Filled {
			t.Errorf("%s must be marked filled", name)
		}
	}
}

// contains is how the compiler evaluates `field contains NAME` on Flags.
func contains(t *testing.T, f *Field, v Value, name string) bool {
	t.Helper()
	bits, ok := f.FlagValue(name)
	if !ok {
		t.Fatalf("%s: FlagValue(%q) unknown", f.Name, name)
	}
	return v.OK && uint64(v.Num)&bits == bits
}

func TestFlagContains(t *testing.T) {
	flags, _ := Lookup("evt.arg.flags")
	mode, _ := Lookup("evt.arg.mode")
	capEff, _ := Lookup("thread.cap_effective")
	mountWithBit40 := &Event{Type: TypeMount, Flags: 0x40 | 0x200 | 4096}
	cases := []struct {
		f    *Field
		e    *Event
		name string
		want bool
	}{
		{flags, openEvent(), "O_TRUNC", true},
		{flags, openEvent(), "O_WRONLY", true},
		{flags, openEvent(), "O_RDONLY", false},
		{flags, openEvent(), "O_RDWR", false},
		{flags, openEvent(), "O_APPEND", false},
		{flags, failedOpenEvent(), "O_RDONLY", true},
		{flags, failedOpenEvent(), "O_WRONLY", false},
		{flags, &Event{Type: TypeDup3, Flags: 0x80000}, "O_RDONLY", false},
		{flags, &Event{Type: TypeDup3, Flags: 0x80000}, "O_CLOEXEC", true},
		// Same bits, other table: an open flag never matches a mount.
		{flags, mountWithBit40, "O_CREAT", false},
		{flags, mountWithBit40, "O_TRUNC", false},
		{flags, mountWithBit40, "MS_BIND", true},
		{flags, mountWithBit40, "MS_MANDLOCK", true},
		{flags, mountWithBit40, "MS_REC", false},
		{flags, &Event{Type: TypeUnshare, Flags: 0x10000000}, "CLONE_NEWUSER", true},
		{flags, &Event{Type: TypeUnshare, Flags: 0x10000000}, "CLONE_NEWNS", false},
		{flags, &Event{Type: TypeMemfdCreate, Flags: 3}, "MFD_ALLOW_SEALING", true},
		{flags, &Event{Type: TypeRenameat2, Flags: 2}, "RENAME_EXCHANGE", true},
		{flags, &Event{Type: TypeExecve}, "O_RDONLY", false},
		{mode, &Event{Type: TypeChmod, Mode: 0o4755}, "S_ISUID", true},
		{mode, &Event{Type: TypeChmod, Mode: 0o4755}, "S_ISGID", false},
		{mode, &Event{Type: TypeChmod, Mode: 0o755}, "S_IXOTH", true},
		{mode, &Event{Type: TypeChmod, Mode: 0o755}, "S_IRWXU", true},
		{mode, &Event{Type: TypeChmod, Mode: 0o644}, "S_IRWXU", false},
		{mode, &Event{Type: TypeChmod, Mode: 0o755}, "0755", true},
		{capEff, &Event{Proc: containerProc()}, "CAP_SYS_ADMIN", true},
		{capEff, &Event{Proc: containerProc()}, "CAP_CHECKPOINT_RESTORE", true},
		{capEff, execEvent(), "CAP_SYS_ADMIN", false},
		{capEff, &Event{Proc: &Process{CapEffective: 1 << 21}}, "CAP_SYS_ADMIN", true},
		{capEff, &Event{Proc: &Process{CapEffective: 1 << 21}}, "CAP_SYS_PTRACE", false},
	}
	for _, c := range cases {
		if got := contains(t, c.f, c.f.Get(c.e, Arg{}), c.name); got != c.want {
			t.Errorf("%s on %s (flags %#x mode %#o) contains %s = %v, want %v",
				c.f.Name, c.e.Type, c.e.Flags, c.e.Mode, c.name, got, c.want)
		}
	}
	for _, bad := range []string{"O_BOGUS", "", "o_trunc", "CAP_SYS_ADMIN"} {
		if _, ok := flags.FlagValue(bad); ok {
			t.Errorf("evt.arg.flags accepted %q", bad)
		}
	}
	for _, bad := range []string{"0999", "S_IFOO", "755"} {
		if _, ok := mode.FlagValue(bad); ok {
			t.Errorf("evt.arg.mode accepted %q", bad)
		}
	}
}

// TestFlagEquality checks `=` against a name: the whole value must be that
// one flag, as Falco's rendered-text equality means.
func TestFlagEquality(t *testing.T) {
	flags, _ := Lookup("evt.arg.flags")
	eq := func(e *Event, name string) bool {
		bits, _ := flags.FlagValue(name)
		v := flags.Get(e, Arg{})
		return v.OK && uint64(v.Num) == bits
	}
	if !eq(&Event{Type: TypeOpenat}, "O_RDONLY") {
		t.Error("openat with flags 0 must equal O_RDONLY")
	}
	if eq(&Event{Type: TypeOpenat, Flags: 0x80000}, "O_RDONLY") {
		t.Error("O_RDONLY|O_CLOEXEC must not equal O_RDONLY")
	}
	if !eq(&Event{Type: TypeUnshare, Flags: 0x10000000}, "CLONE_NEWUSER") {
		t.Error("unshare(CLONE_NEWUSER) must equal CLONE_NEWUSER")
	}
}

func TestFlagNamesUniqueAcrossTables(t *testing.T) {
	seen := map[string]string{}
	for _, tab := range flagTables {
		for name := range tab.byName {
			if other, dup := seen[name]; dup {
				t.Errorf("flag %s is in both %s and %s tables", name, other, tab.Name())
			}
			seen[name] = tab.Name()
		}
	}
}

func TestFormatFlagsUnknownBits(t *testing.T) {
	flags, _ := Lookup("evt.arg.flags")
	v := flags.Get(&Event{Type: TypeMemfdCreate, Flags: 1 | 0x100}, Arg{})
	if got := flags.Format(v); got != "MFD_CLOEXEC|0x100" {
		t.Errorf("format = %q", got)
	}
	if got := flags.FormatFlags(0x100); got != "0x100" {
		t.Errorf("untagged format = %q", got)
	}
	v = flags.Get(&Event{Type: TypeUnshare}, Arg{})
	if got := flags.Format(v); got != "0" {
		t.Errorf("empty unshare flags = %q", got)
	}
}

func TestLazyTextResetAndClone(t *testing.T) {
	f, _ := Lookup("fd.name")
	e := connect4Event()
	first := f.Get(e, Arg{}).Str
	c := e.Clone()
	e.Reset()
	if e.lazy.have != 0 || e.lazy.sockName != "" {
		t.Fatal("Reset must clear the lazy texts")
	}
	*e = *connect6Event()
	if got := f.Get(e, Arg{}).Str; got == first || got != "fd00::2:40000->2001:db8::5:4444" {
		t.Errorf("reused event kept a stale fd.name: %q", got)
	}
	if got := f.Get(c, Arg{}).Str; got != first {
		t.Errorf("clone lost its fd.name: %q, want %q", got, first)
	}
}

func TestJoinEnv(t *testing.T) {
	if env, line := JoinEnv(nil); env != nil || line != "" {
		t.Errorf("JoinEnv(nil) = %q, %q; want nil, \"\"", env, line)
	}
	if env, line := JoinEnv([]string{}); env == nil || len(env) != 0 || line != "" {
		t.Errorf("JoinEnv([]) = %#v, %q; want an empty non-nil slice", env, line)
	}
	in := []string{"A=1", "", "B=x y", "C="}
	env, line := JoinEnv(in)
	if line != "A=1  B=x y C=" {
		t.Errorf("line = %q", line)
	}
	for i := range in {
		if env[i] != in[i] {
			t.Errorf("env[%d] = %q, want %q", i, env[i], in[i])
		}
	}
	p := &Process{Env: env, EnvLine: line}
	if v, ok := p.EnvVar("B"); !ok || v != "x y" {
		t.Errorf("EnvVar(B) = %q, %v", v, ok)
	}
	if _, ok := p.EnvVar(""); ok {
		t.Error("EnvVar(\"\") found a variable")
	}
}
