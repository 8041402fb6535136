// Package e2e drives the real ttpwatch binary on the real eBPF sensor: the
// headless JSON mode, record and replay, the terminal interface in tmux and
// a benign workload that must stay quiet.
//
// The tests need root and a kernel with BTF. Without them they skip, unless
// REQUIRE_BPF=1 (set in CI), where a skip would hide a broken sensor and so
// they fail instead. Run them with:
//
//	sudo go test ./test/e2e/ -v
//
// TTPWATCH_BIN=/path/to/ttpwatch tests that binary instead of building
// this checkout.
//
// They create the unprivileged user ttpw-e2e when it is missing (and leave
// it for the next run) because the seed rule fires only for non-root users.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Paths set up by TestMain.
var (
	// ttpwatchBin is the binary under test, built once from this checkout.
	ttpwatchBin string
	// workRoot holds the binary and every test's scratch directories.
	workRoot string
	// buildErr is why the binary could not be built; tests fail with it.
	buildErr error
)

func TestMain(m *testing.M) {
	// The storm generator is this test binary run again in a helper mode,
	// so no other program has to be built or trusted for the load.
	if rate := os.Getenv(stormEnv); rate != "" {
		os.Exit(runStorm(rate))
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "ttpw-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// The test user must reach its files below workRoot.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: chmod temp dir:", err)
		return 1
	}
	workRoot = dir
	// TTPWATCH_BIN tests a binary built elsewhere (a release, a CI
	// artefact); by default the tests build this checkout.
	// Without root every test skips (or fails): building would be wasted.
	if ttpwatchBin = os.Getenv("TTPWATCH_BIN"); ttpwatchBin == "" && os.Geteuid() == 0 {
		ttpwatchBin = filepath.Join(dir, "ttpwatch")
		build := exec.Command("go", "build", "-o", ttpwatchBin, "../..")
		if out, err := build.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ../..: %w\n%s", err, out)
		}
	}
	return m.Run()
}

// requireSensor skips (or, with REQUIRE_BPF=1, fails) a test that needs
// root and BTF to load the sensor, and fails it if the binary did not build.
func requireSensor(t *testing.T) {
	t.Helper()
	var why string
	switch {
	case os.Geteuid() != 0:
		why = "needs root to load the eBPF sensor (run: sudo go test ./test/e2e/)"
	default:
		if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
			why = "needs a kernel with BTF (/sys/kernel/btf/vmlinux): " + err.Error()
		}
	}
	if why != "" {
		if os.Getenv("REQUIRE_BPF") == "1" {
			t.Fatalf("REQUIRE_BPF=1 but this test cannot run: %s", why)
		}
		t.Skip(why)
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

// requireTool skips (or fails under REQUIRE_BPF=1) when a program the test
// drives is not installed.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("%s is not installed (apt-get install %s)", name, name)
		if os.Getenv("REQUIRE_BPF") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}
