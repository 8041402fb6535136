package ruleset_test

import (
	"testing"

	"github.com/ttpwatch/ttpwatch/ruleset"
)

// macroProbe returns an engine holding one rule over the default macros
// that fires exactly when macro holds for an exec.
func macroProbe(t *testing.T, macro string) *ruleset.Engine {
	t.Helper()
	name := "probe " + macro
	src := "- rule: " + name + "\n  desc: test probe\n  condition: spawned_process and " + macro +
		"\n  output: probe\n  priority: INFO\n"
	rs, err := ruleset.Load(append(ruleset.DefaultSources(), ruleset.Source{Name: "probe.yaml", Data: []byte(src)})...)
	if err != nil {
		t.Fatal(err)
	}
	var probe []*ruleset.Rule
	for _, r := range rs.Rules {
		if r.Name == name {
			probe = append(probe, r)
		}
	}
	if len(probe) != 1 {
		t.Fatalf("probe rule for %s not loaded", macro)
	}
	eng, err := ruleset.NewEngine(probe, ruleset.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

type macroCase struct {
	note string
	proc *procSpec
	want bool
}

// runMacroCases checks macro against each case's exec event.
func runMacroCases(t *testing.T, macro string, cases []macroCase) {
	t.Helper()
	eng := macroProbe(t, macro)
	b := &builder{nextPid: 60000}
	for _, c := range cases {
		ev, err := b.event(&eventSpec{Proc: c.proc})
		if err != nil {
			t.Fatalf("%s: %v", c.note, err)
		}
		got := false
		eng.Process(ev, func(ruleset.Match) { got = true })
		if got != c.want {
			var chain []string
			for p := ev.Proc; p != nil; p = p.Parent {
				chain = append(chain, p.Comm+"="+p.ExePath+" "+p.ArgLine)
			}
			t.Errorf("%s: %s = %v, want %v (process and ancestors: %q)", c.note, macro, got, c.want, chain)
		}
	}
}

// script is a process running a script: comm is the script's name, the
// executable its interpreter, and the kernel puts the script's path first
// in the arguments.
func script(name, interp, args string, parent *procSpec) *procSpec {
	return &procSpec{Name: name, Exe: &interp, ExePath: interp, Args: args, Parent: parent}
}

// TestPackageMgmtActivityByPath pins what package_mgmt_activity trusts: a
// package manager is known by its executable's path (the process's or an
// ancestor's), or, for an installer that is a script, by a root-owned
// interpreter running a root-owned script; never by a name.
func TestPackageMgmtActivityByPath(t *testing.T) {
	sh := func(p *procSpec) *procSpec {
		return &procSpec{Name: "sh", ExePath: "/usr/bin/dash", Args: "/var/lib/dpkg/info/x.postinst configure", Parent: p}
	}
	under := func(p *procSpec) *procSpec {
		return &procSpec{Name: "cp", Args: "a b", Parent: sh(p)}
	}
	tool := func(name, exepath string) *procSpec {
		return &procSpec{Name: name, ExePath: exepath, Parent: &procSpec{Name: "bash"}}
	}
	systemd := &procSpec{Name: "systemd", ExePath: "/usr/lib/systemd/systemd"}
	daily := script("apt.systemd.dai", "/usr/bin/dash", "/usr/lib/apt/apt.systemd.daily install", systemd)
	cases := []macroCase{
		// Debian's real programs.
		{"maintainer script under dpkg under apt-get", under(&procSpec{Name: "dpkg", ExePath: "/usr/bin/dpkg",
			Parent: tool("apt-get", "/usr/bin/apt-get")}), true},
		{"dpkg itself", tool("dpkg", "/usr/bin/dpkg"), true},
		{"apt itself", tool("apt", "/usr/bin/apt"), true},
		{"aptitude (the alternative resolved)", tool("aptitude", "/usr/bin/aptitude-curses"), true},
		{"apt's http method", tool("http", "/usr/lib/apt/methods/http"), true},
		{"dpkg-preconfigure (perl) under apt", script("dpkg-preconfigu", "/usr/bin/perl", "-w /usr/sbin/dpkg-preconfigure --apt",
			tool("apt-get", "/usr/bin/apt-get")), true},
		{"update-alternatives", tool("update-alternat", "/usr/bin/update-alternatives"), true},
		{"systemd-tmpfiles at boot", &procSpec{Name: "systemd-tmpfile", ExePath: "/usr/bin/systemd-tmpfiles", Parent: systemd}, true},
		{"unattended-upgrade itself", script("unattended-upgr", "/usr/bin/python3.11", "/usr/bin/unattended-upgrade", daily), true},
		{"unattended-upgrade with options", script("unattended-upgr", "/usr/bin/python3.11", "/usr/bin/unattended-upgrade -d", daily), true},
		{"a postinst under dpkg under unattended-upgrade", under(&procSpec{Name: "dpkg", ExePath: "/usr/bin/dpkg",
			Parent: script("unattended-upgr", "/usr/bin/python3.11", "/usr/bin/unattended-upgrade", daily)}), true},
		{"apt-get under apt's daily job", &procSpec{Name: "apt-get", ExePath: "/usr/bin/apt-get", Args: "update", Parent: daily}, true},
		{"Debian's pip", script("pip", "/usr/bin/python3.11", "/usr/bin/pip install x", &procSpec{Name: "bash"}), true},
		{"the python image's pip3.13", script("pip3.13", "/usr/local/bin/python3.13", "/usr/local/bin/pip3.13 install x", &procSpec{Name: "bash"}), true},
		{"Fedora's dnf 4 (python3 -s)", script("dnf", "/usr/bin/python3.12", "-s /usr/bin/dnf install x", &procSpec{Name: "bash"}), true},
		{"npm through env (comm node)", script("node", "/usr/bin/node", "/usr/bin/npm install", &procSpec{Name: "bash"}), true},
		{"Fedora's dnf5", tool("dnf", "/usr/bin/dnf5"), true},
		{"rpm scriptlet", under(tool("rpm", "/usr/bin/rpm")), true},
		{"Alpine's apk", under(tool("apk", "/sbin/apk")), true},
		{"snapd re-executed from the snapd snap", under(tool("snapd", "/snap/snapd/21759/usr/lib/snapd/snapd")), true},

		// Names without the files.
		{"a copy of sh saved as /tmp/dpkg", under(tool("dpkg", "/tmp/dpkg")), false},
		{"the process itself is /tmp/dpkg", tool("dpkg", "/tmp/dpkg"), false},
		{"a symlink named dpkg to a shell", under(tool("dpkg", "/usr/bin/dash")), false},
		{"apt-get in a home directory", under(tool("apt-get", "/home/alice/bin/apt-get")), false},
		{"a system tree rebuilt under /tmp", under(tool("dpkg", "/tmp/usr/bin/dpkg")), false},
		{"apt's tree rebuilt under /tmp", tool("http", "/tmp/usr/lib/apt/methods/http"), false},
		{"a sibling of apt's tree", tool("http", "/usr/lib/aptx/http"), false},
		{"a fake apt-get above a fake dpkg", under(&procSpec{Name: "dpkg", ExePath: "/var/tmp/dpkg",
			Parent: tool("apt-get", "/var/tmp/apt-get")}), false},
		{"a script named unattended-upgrade elsewhere", script("unattended-upgr", "/usr/bin/python3.11", "/tmp/unattended-upgrade", daily), false},
		{"python running code before the real script's path", script("python3", "/usr/bin/python3.11", `-c "import os" /usr/bin/unattended-upgrade`, daily), false},
		{"the real script's path run by a copied interpreter", script("unattended-upgr", "/tmp/python3", "/usr/bin/unattended-upgrade", daily), false},
		{"the real script's path given to a debugger", script("gdb", "/usr/bin/gdb", "/usr/bin/pip -ex shell", &procSpec{Name: "bash"}), false},
		{"a longer path sharing the script's prefix", script("pip", "/usr/bin/python3.11", "/usr/bin/pipx install x", &procSpec{Name: "bash"}), false},
		{"pip run as its interpreter's child, not itself", under(script("pip", "/usr/bin/python3.11", "/usr/bin/pip install x", &procSpec{Name: "bash"})), false},
		{"pip in a virtualenv (user-writable)", script("pip", "/usr/bin/python3.11", "/home/alice/venv/bin/pip install x", &procSpec{Name: "bash"}), false},
		{"no package manager at all", under(tool("bash", "/usr/bin/bash")), false},
	}
	runMacroCases(t, "package_mgmt_activity", cases)
}

// TestContainerRuntimeActivityByPath pins what container_runtime_activity
// trusts: a runtime binary acting itself (by path), runc's or crun's sealed
// copy of itself under the runtime that made it (runc init), and on the
// host a runtime's or its network helper's direct child. The processes of a
// container, all of which have the shim as an ancestor, are not the runtime.
func TestContainerRuntimeActivityByPath(t *testing.T) {
	const ctr = "3f2a9c1b7d4e"
	systemd := func() *procSpec { return &procSpec{Name: "systemd", ExePath: "/usr/lib/systemd/systemd"} }
	tool := func(name, exepath string) *procSpec {
		return &procSpec{Name: name, ExePath: exepath, Parent: systemd()}
	}
	child := func(p *procSpec) *procSpec {
		return &procSpec{Name: "iptables", ExePath: "/usr/sbin/xtables-nft-multi", Args: "-F", Parent: p}
	}
	grandchild := func(p *procSpec) *procSpec {
		return child(&procSpec{Name: "sh", ExePath: "/usr/bin/dash", Parent: p})
	}
	// The shim as docker runs it: containerd-shim-runc-v2 re-parented to
	// systemd, containerd and dockerd beside it.
	shim := func() *procSpec {
		return tool("containerd-shim", "/usr/bin/containerd-shim-runc-v2")
	}
	// runc create, run by the shim.
	runc := func(exepath string) *procSpec {
		return &procSpec{Name: "runc", ExePath: exepath, Args: "--root /run/containerd/runc/moby create --bundle /run/x", Parent: shim()}
	}
	// A process of the container: the shim is its parent (the container's
	// init, or a docker exec) or an ancestor.
	inCtr := func(name, exepath string, parent *procSpec) *procSpec {
		return &procSpec{Name: name, ExePath: exepath, Container: ctr, Parent: parent}
	}
	const runcMemfd = "/memfd:runc_cloned:/proc/self/exe (deleted)"
	const crunMemfd = "/memfd:crun_cloned:/proc/self/exe (deleted)"
	conmon := func() *procSpec {
		return &procSpec{Name: "conmon", ExePath: "/usr/bin/conmon", Parent: tool("podman", "/usr/bin/podman")}
	}
	crunCopy := func(parent *procSpec) *procSpec {
		return &procSpec{Name: "crun", ExePath: crunMemfd, Memfd: true, Parent: parent}
	}
	cases := []macroCase{
		// The runtime itself.
		{"dockerd itself", tool("dockerd", "/usr/bin/dockerd"), true},
		{"the process itself is containerd", tool("containerd", "/usr/bin/containerd"), true},
		{"the shim itself", shim(), true},
		{"runc create under the shim", runc("/usr/bin/runc"), true},
		{"Debian's runc (/usr/sbin)", runc("/usr/sbin/runc"), true},
		{"runc init from runc's memfd copy, runc create above", &procSpec{Name: "runc:[2:INIT]", ExePath: runcMemfd,
			Memfd: true, Container: ctr, Parent: runc("/usr/bin/runc")}, true},
		{"runc init re-executing its memfd copy on the host, runc create above", &procSpec{Name: "7", ExePath: runcMemfd,
			Memfd: true, Parent: runc("/usr/sbin/runc")}, true},
		{"runc's memfd copy under the shim, on the host", &procSpec{Name: "7", ExePath: runcMemfd, Memfd: true, Parent: shim()}, true},
		{"runc >= 1.2's sealed overlayfs copy (/runc), runc create above", &procSpec{Name: "runc:[2:INIT]", ExePath: "/runc",
			Container: ctr, Parent: runc("/usr/bin/runc")}, true},
		{"runc init without a copy (runc's own path) in the container", &procSpec{Name: "runc:[2:INIT]", ExePath: "/usr/local/sbin/runc",
			Container: ctr, Parent: tool("containerd-shim", "/usr/local/bin/containerd-shim-runc-v2")}, true},
		{"crun re-executed from its memfd under conmon", crunCopy(conmon()), true},
		{"crun's container init, forked from its memfd copy", &procSpec{Name: "crun", ExePath: crunMemfd, Memfd: true,
			Container: ctr, Parent: crunCopy(conmon())}, true},
		{"crun without a copy, in the container it sets up", &procSpec{Name: "crun", ExePath: "/usr/bin/crun", Container: ctr, Parent: conmon()}, true},
		{"docker-in-docker: dockerd from the image, in its container", inCtr("dockerd", "/usr/local/bin/dockerd",
			inCtr("docker-init", "/sbin/docker-init", shim())), true},

		// The runtime's direct children on the host.
		{"docker-ce's dockerd running iptables", child(tool("dockerd", "/usr/bin/dockerd")), true},
		{"Debian's docker.io dockerd running iptables", child(tool("dockerd", "/usr/sbin/dockerd")), true},
		{"kubelet running iptables", child(tool("kubelet", "/usr/bin/kubelet")), true},
		{"podman's netavark running iptables", child(&procSpec{Name: "netavark", ExePath: "/usr/libexec/podman/netavark",
			Parent: tool("podman", "/usr/bin/podman")}), true},
		{"a CNI plugin of containerd's running iptables", child(&procSpec{Name: "bridge", ExePath: "/opt/cni/bin/bridge",
			Parent: tool("containerd", "/usr/bin/containerd")}), true},

		// The containers' processes: the shim is their parent or ancestor.
		{"the container's init, started by runc under the shim", inCtr("mount", "/usr/bin/mount", shim()), false},
		{"a docker exec shell's child", inCtr("mount", "/usr/bin/mount", inCtr("bash", "/usr/bin/bash", shim())), false},
		{"a workload deep in the container", inCtr("iptables", "/usr/sbin/xtables-nft-multi",
			inCtr("sh", "/usr/bin/dash", inCtr("node", "/usr/local/bin/node", inCtr("tini", "/usr/bin/tini", shim())))), false},
		{"a container process under crun's init", inCtr("sh", "/usr/bin/dash",
			&procSpec{Name: "crun", ExePath: crunMemfd, Memfd: true, Container: ctr, Parent: crunCopy(conmon())}), false},
		{"a memfd named like runc's, run by docker exec under the shim", &procSpec{Name: "7", ExePath: runcMemfd, Memfd: true,
			Container: ctr, Parent: shim()}, false},
		{"a memfd named like runc's, under a container shell", &procSpec{Name: "7", ExePath: runcMemfd, Memfd: true,
			Container: ctr, Parent: inCtr("sh", "/usr/bin/dash", shim())}, false},
		{"a memfd named like crun's under another one, in a container", &procSpec{Name: "x", ExePath: crunMemfd, Memfd: true,
			Container: ctr, Parent: &procSpec{Name: "y", ExePath: crunMemfd, Memfd: true, Parent: inCtr("sh", "/usr/bin/dash", shim())}}, false},
		{"/runc written into the container, run under the shim", &procSpec{Name: "runc", ExePath: "/runc", Upper: true,
			Container: ctr, Parent: shim()}, false},
		{"/runc from the image, under a container shell", &procSpec{Name: "runc", ExePath: "/runc",
			Container: ctr, Parent: inCtr("sh", "/usr/bin/dash", shim())}, false},
		{"a shell saved as /usr/bin/runc in the container", &procSpec{Name: "runc", ExePath: "/usr/bin/runc", Upper: true,
			Container: ctr, Parent: inCtr("sh", "/usr/bin/dash", shim())}, false},

		// Grandchildren on the host, names without the files.
		{"dockerd's grandchild through a shell", grandchild(tool("dockerd", "/usr/bin/dockerd")), false},
		{"a copy of sh saved as /tmp/dockerd", child(tool("dockerd", "/tmp/dockerd")), false},
		{"a symlink named containerd-shim to a shell", child(tool("containerd-shim", "/usr/bin/bash")), false},
		{"runc in a home directory", child(tool("runc", "/home/alice/runc")), false},
		{"a shim-like name in /tmp", &procSpec{Name: "7", ExePath: runcMemfd, Memfd: true,
			Parent: tool("containerd-shim", "/tmp/containerd-shim-runc-v2")}, false},
		{"a memfd named like runc's under bash", &procSpec{Name: "7", ExePath: runcMemfd, Memfd: true, Parent: &procSpec{Name: "bash"}}, false},
		{"/runc under bash", &procSpec{Name: "runc", ExePath: "/runc", Parent: &procSpec{Name: "bash"}}, false},
		{"a system tree rebuilt under /tmp", child(tool("dockerd", "/tmp/usr/bin/dockerd")), false},
		{"a netavark in /tmp", child(&procSpec{Name: "netavark", ExePath: "/tmp/netavark", Parent: &procSpec{Name: "bash"}}), false},
		{"a CNI-like directory elsewhere", child(&procSpec{Name: "bridge", ExePath: "/opt/cni/binx/bridge", Parent: &procSpec{Name: "bash"}}), false},
		{"no runtime at all", grandchild(tool("bash", "/usr/bin/bash")), false},
	}
	runMacroCases(t, "container_runtime_activity", cases)
}

// TestGoBuildProduct pins go_build_product: a program under /tmp/go-build*
// counts as the Go toolchain's only with a real go command above it.
func TestGoBuildProduct(t *testing.T) {
	bin := func(exepath string, parent *procSpec) *procSpec {
		return &procSpec{Name: "pkg.test", ExePath: exepath, Parent: parent}
	}
	goCmd := func(exepath string) *procSpec {
		return &procSpec{Name: "go", ExePath: exepath, Parent: &procSpec{Name: "bash"}}
	}
	cases := []macroCase{
		{"official toolchain", bin("/tmp/go-build1/b001/pkg.test", goCmd("/usr/local/go/bin/go")), true},
		{"Debian's golang", bin("/tmp/go-build1/b001/pkg.test", goCmd("/usr/lib/go-1.22/bin/go")), true},
		{"Fedora's golang", bin("/tmp/go-build1/b001/pkg.test", goCmd("/usr/lib/golang/bin/go")), true},
		{"a test binary's child", bin("/tmp/go-build1/b001/pkg.test", bin("/tmp/go-build1/b001/pkg.test", goCmd("/usr/local/go/bin/go"))), true},

		{"no go above", bin("/tmp/go-build1/b001/pkg.test", &procSpec{Name: "bash"}), false},
		{"a go in /tmp", bin("/tmp/go-build1/b001/pkg.test", goCmd("/tmp/go")), false},
		{"a go in a home directory", bin("/tmp/go-build1/b001/pkg.test", goCmd("/home/alice/sdk/go1.26/bin/go")), false},
		{"a script named go", bin("/tmp/go-build1/b001/pkg.test", goCmd("/usr/bin/bash")), false},
		{"outside go's work directories", bin("/tmp/x/pkg.test", goCmd("/usr/local/go/bin/go")), false},
	}
	runMacroCases(t, "go_build_product", cases)
}
