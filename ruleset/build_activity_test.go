package ruleset_test

import "testing"

// TestBuildActivityByPath pins what the build_activity macro trusts: a build
// tool is known by its executable's path (the process's or an ancestor's),
// never by its name alone, so a renamed shell or a script called make
// exempts nothing.
func TestBuildActivityByPath(t *testing.T) {
	// in wraps p as the parent of a shell running touch, the usual shape
	// of a recipe.
	in := func(p *procSpec) *procSpec {
		return &procSpec{Name: "touch", Args: "-d 2001-01-01 x", Parent: &procSpec{Name: "sh", Args: "-c touch", Parent: p}}
	}
	tool := func(name, exepath string) *procSpec {
		return &procSpec{Name: name, ExePath: exepath, Parent: &procSpec{Name: "bash"}}
	}
	cases := []macroCase{
		// Real toolchains, as their resolved paths look on common distributions.
		{"make in /usr/bin", in(tool("make", "/usr/bin/make")), true},
		{"make in /usr/local/bin", in(tool("make", "/usr/local/bin/make")), true},
		{"the process itself is make", tool("make", "/usr/bin/make"), true},
		{"Debian's cc", in(tool("cc", "/usr/bin/x86_64-linux-gnu-gcc-13")), true},
		{"gcc's cc1", in(tool("cc1", "/usr/libexec/gcc/x86_64-linux-gnu/13/cc1")), true},
		{"gcc's collect2 (older layout)", in(tool("collect2", "/usr/lib/gcc/x86_64-linux-gnu/12/collect2")), true},
		{"Debian's clang", in(tool("clang", "/usr/lib/llvm-18/bin/clang")), true},
		{"official Go", in(tool("go", "/usr/local/go/bin/go")), true},
		{"Go's cgo tool", in(tool("cgo", "/usr/local/go/pkg/tool/linux_amd64/cgo")), true},
		{"Debian's Go", in(tool("go", "/usr/lib/go-1.22/bin/go")), true},
		{"rust image's cargo", in(tool("cargo", "/usr/local/rustup/toolchains/1.80.0-x86_64-unknown-linux-gnu/bin/cargo")), true},
		{"OpenJDK's javac", in(tool("javac", "/usr/lib/jvm/java-17-openjdk-amd64/bin/javac")), true},
		{"make many levels up", &procSpec{Name: "touch", Parent: &procSpec{Name: "sh", Parent: &procSpec{Name: "make",
			Parent: &procSpec{Name: "sh", Parent: &procSpec{Name: "make", ExePath: "/usr/bin/make", Parent: &procSpec{Name: "bash"}}}, ExePath: "/usr/bin/bash"}}}, true},

		// Names without the files.
		{"a copy of sh saved as /tmp/make", in(tool("make", "/tmp/make")), false},
		{"the process itself is /tmp/make", tool("make", "/tmp/make"), false},
		{"a script named make (runs as its interpreter)", in(tool("make", "/usr/bin/bash")), false},
		{"make in a home directory", in(tool("make", "/home/alice/bin/make")), false},
		{"a system tree rebuilt under /tmp", in(tool("make", "/tmp/usr/bin/make")), false},
		{"gcc's tree rebuilt under /tmp", in(tool("cc1", "/tmp/x/usr/lib/gcc/cc1")), false},
		{"a sibling of gcc's tree", in(tool("cc1", "/usr/lib/gccx/cc1")), false},
		{"another JDK tool named javac", in(tool("javac", "/usr/lib/jvm/java-17-openjdk-amd64/bin/jshell")), false},
		{"rustup proxy in a home directory", in(tool("cargo", "/home/alice/.cargo/bin/cargo")), false},
		{"no build tool at all", in(tool("bash", "/usr/bin/bash")), false},
	}
	runMacroCases(t, "build_activity", cases)
}
