package event

import "net/netip"

// Hand-built processes and events shared by the field tests and benchmarks:
// a non-root user in an ssh session running chattr from bash.

const (
	t0       = int64(1_700_000_000_000_000_000) // 2023-11-14T22:13:20Z
	msec     = int64(1_000_000)
	ttyPts0  = 34816 // major 136, minor 0
	userUID  = 1000
	userName = "alice"
)

func procChain() (initP, sshd, bash, chattr *Process) {
	initP = &Process{Pid: 1, Vpid: 1, Sid: 1, Pgid: 1, Comm: "systemd",
		Exe: "/sbin/init", ExePath: "/usr/lib/systemd/systemd", Cmdline: "systemd",
		ContainerID: "host", UserName: "root", GroupName: "root",
		LoginUID: unsetLoginUID, StartTime: t0 - 3600_000*msec}
	sshd = &Process{Pid: 812, Ppid: 1, Vpid: 812, Sid: 812, Pgid: 812, Comm: "sshd",
		Exe: "sshd: alice [priv]", ExePath: "/usr/sbin/sshd", Cmdline: "sshd: alice [priv]",
		ContainerID: "host", UserName: "root", GroupName: "root",
		LoginUID: userUID, LoginName: userName, Parent: initP, StartTime: t0 - 60_000*msec}
	bash = &Process{Pid: 900, Ppid: 812, Vpid: 900, Sid: 900, Pgid: 900, Tty: ttyPts0,
		Uid: userUID, Gid: userUID, Euid: userUID, LoginUID: userUID,
		Comm: "bash", Exe: "-bash", ExePath: "/usr/bin/bash", Cwd: "/home/alice",
		Cmdline: "bash", ExeLine: "-bash",
		UserName: userName, GroupName: userName, LoginName: userName,
		ContainerID: "host", Parent: sshd, StartTime: t0 - 30_000*msec}
	chattr = &Process{Pid: 1234, Ppid: 900, Vpid: 1234, Sid: 900, Pgid: 1234, Tty: ttyPts0,
		Uid: userUID, Gid: userUID, Euid: userUID, LoginUID: userUID,
		Comm: "chattr", Exe: "chattr", ExePath: "/usr/bin/chattr", Cwd: "/home/alice",
		Args: []string{"+i", "secret file.txt"}, ArgLine: "+i secret file.txt",
		Cmdline: "chattr +i secret file.txt", ExeLine: "chattr +i secret file.txt",
		CapEffective: 0, CapPermitted: 0,
		UserName: userName, GroupName: userName, LoginName: userName,
		CgroupID: 4242, ContainerID: "host", Parent: bash, StartTime: t0,
		ExeIno: 131077, ExeMtime: t0 - 90_000_000*msec,
		ExeUpperLayer: false}
	return
}

// containerProc is a root process inside a container with full capabilities.
func containerProc() *Process {
	_, _, bash, _ := procChain()
	shim := &Process{Pid: 3000, Ppid: 1, Vpid: 3000, Sid: 3000, Pgid: 3000, Comm: "containerd-shim",
		ExePath: "/usr/bin/containerd-shim-runc-v2", ContainerID: "host", Parent: bash.Parent.Parent,
		LoginUID: unsetLoginUID}
	return &Process{Pid: 3100, Ppid: 3000, Vpid: 1, Sid: 3100, Pgid: 3100,
		Comm: "nc", Exe: "nc", ExePath: "/usr/bin/nc", Cwd: "/",
		Args: []string{"10.0.0.5", "4444"}, ArgLine: "10.0.0.5 4444",
		Cmdline: "nc 10.0.0.5 4444", ExeLine: "nc 10.0.0.5 4444",
		CapEffective: 1<<41 - 1, CapPermitted: 1<<41 - 1,
		LoginUID: unsetLoginUID, UserName: "root", GroupName: "root",
		ContainerID: "3ad7b26ded6d", ExeUpperLayer: true, Parent: shim, StartTime: t0 - 2*msec}
}

func execEvent() *Event {
	_, _, _, chattr := procChain()
	return &Event{Num: 42, Time: t0 + 5*msec, Type: TypeExecve, Res: 0, Tid: 1234, CPU: 3, Proc: chattr}
}

func openEvent() *Event {
	_, _, bash, _ := procChain()
	return &Event{Num: 43, Time: t0 + 6*msec, Type: TypeOpenat, Res: 3, Tid: 900, Proc: bash,
		Fd: 3, Fd2: -100, Path: "/tmp/stage/run.sh", PathRaw: "run.sh",
		Flags: 0x1 | 0x40 | 0x200 | 0x80000, Mode: 0o755}
}

func failedOpenEvent() *Event {
	_, _, bash, _ := procChain()
	return &Event{Num: 44, Time: t0 + 7*msec, Type: TypeOpenat, Res: -2, Tid: 900, Proc: bash,
		Fd: -1, Fd2: -100, Path: "/etc/shadow", PathRaw: "/etc/shadow"}
}

func connect4Event() *Event {
	return &Event{Num: 45, Time: t0 + 8*msec, Type: TypeConnect, Res: -115, Tid: 3100,
		Proc: containerProc(), Fd: 3,
		Sock: Sock{Family: AFInet, Type: 1, Role: RoleClient,
			Local:  netip.MustParseAddrPort("172.17.0.2:51234"),
			Remote: netip.MustParseAddrPort("10.0.0.5:4444")}}
}

func connect6Event() *Event {
	e := connect4Event()
	e.Res = 0
	e.Sock = Sock{Family: AFInet6, Type: 1, Role: RoleClient,
		Local:  netip.MustParseAddrPort("[fd00::2]:40000"),
		Remote: netip.MustParseAddrPort("[2001:db8::5]:4444")}
	return e
}

func unixConnectEvent() *Event {
	e := connect4Event()
	e.Res = 0
	e.Sock = Sock{Family: AFUnix, Type: 1, Role: RoleClient, UnixPath: "/run/docker.sock"}
	return e
}

func acceptEvent() *Event {
	e := connect4Event()
	e.Type = TypeAccept4
	e.Res = 7
	e.Fd = 7
	e.Flags = sockCloexec
	e.Sock = Sock{Family: AFInet, Type: 1, Role: RoleServer,
		Local:  netip.MustParseAddrPort("10.0.0.9:22"),
		Remote: netip.MustParseAddrPort("[::ffff:203.0.113.7]:60000")}
	return e
}
