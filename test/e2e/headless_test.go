package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHeadless runs `ttpwatch --json` on the live sensor: the seed rule and
// its companion fire for a non-root chattr +i with the user and parent in
// the output, root doing the same stays quiet, SIGTERM ends it with exit 0
// after every printed alert reached the alert log, and none of its BPF
// programs, maps or links outlive it.
func TestHeadless(t *testing.T) {
	requireSensor(t)
	acct := ensureUser(t)
	dir := userDir(t, acct)
	in := startHeadless(t, "--json")
	pid := in.cmd.Process.Pid

	held, err := heldBPF(pid)
	if err != nil {
		t.Fatal(err)
	}
	if len(held.progs) == 0 || len(held.links) == 0 || len(held.maps) == 0 {
		t.Fatalf("running ttpwatch holds %d programs, %d links, %d maps: the fd scan sees no sensor", len(held.progs), len(held.links), len(held.maps))
	}
	kernel, err := kernelBPF()
	if err != nil {
		t.Fatal(err)
	}
	if left := remaining(held, kernel); len(left) != len(held.progs)+len(held.maps)+len(held.links) {
		t.Fatalf("the kernel lists %d of the %d objects ttpwatch holds: the kernel scan is broken", len(left), len(held.progs)+len(held.maps)+len(held.links))
	}

	t.Run("seed rule fires for a non-root user", func(t *testing.T) {
		file := filepath.Join(dir, "locked")
		asUser(t, acct, "touch "+file+" && chattr +i "+file+" || true")
		comp := in.waitAlert("for the test user's chattr", companionFor("chattr +i "+file))
		for field, want := range map[string]string{
			"user.name":    testUser,
			"proc.cmdline": "chattr +i " + file,
			"proc.pname":   "sh",
		} {
			if got := comp.field(field); got != want {
				t.Errorf("%s alert: %s = %q, want %q\n%s", companionRule, field, got, want, comp.raw)
			}
		}
		if comp.Priority != "Critical" || !contains(comp.Tags, "T1490") {
			t.Errorf("%s alert: priority %q tags %v, want Critical with T1490", companionRule, comp.Priority, comp.Tags)
		}
		if !strings.Contains(comp.Output, "user="+testUser) || !strings.Contains(comp.Output, "parent=sh") {
			t.Errorf("%s output lacks the user or the parent: %s", companionRule, comp.Output)
		}
		seed := in.waitAlert("of the seed rule for the same exec", sameEvent(seedRule, comp.field("evt.time")))
		if !contains(seed.Tags, "T1490") {
			t.Errorf("seed alert tags %v lack T1490", seed.Tags)
		}
	})

	t.Run("root running chattr gives no alert", func(t *testing.T) {
		file := filepath.Join(dir, "rootlocked")
		if err := os.WriteFile(file, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		// The window brackets the exec of root's chattr; the sensor's
		// clock and ours agree to well under the margin.
		const margin = int64(50 * time.Millisecond)
		from := time.Now().UnixNano() - margin
		if out, err := exec.Command("chattr", "+i", file).CombinedOutput(); err != nil {
			t.Fatalf("chattr +i as root: %v: %s", err, out)
		}
		to := time.Now().UnixNano() + margin
		exec.Command("chattr", "-i", file).Run()
		// A later action of the test user is a sentinel: once its alert
		// is out, any alert for root's earlier exec would be too.
		sentinel := filepath.Join(dir, "sentinel")
		asUser(t, acct, "chattr +i "+sentinel+" || true")
		in.waitAlert("for the sentinel chattr", companionFor("chattr +i "+sentinel))

		all := in.alerts()
		if got := find(all, companionFor(file)); len(got) > 0 {
			t.Errorf("root's chattr +i raised %s: %v", companionRule, got)
		}
		// The seed rule's output names no process: a seed alert for an
		// event in the window that no companion alert shares is root's.
		for _, a := range all {
			if a.Rule != seedRule {
				continue
			}
			at, err := strconv.ParseInt(a.field("evt.time"), 10, 64)
			if err != nil || at < from || at > to {
				continue
			}
			if len(find(all, sameEvent(companionRule, a.field("evt.time")))) == 0 {
				t.Errorf("seed rule fired at %d, inside root's chattr window, with no non-root companion: %s", at, a.raw)
			}
		}
	})

	t.Run("SIGTERM exits 0 with every alert logged", func(t *testing.T) {
		printedBefore := len(in.stdout.snapshot())
		if code := in.stop(); code != 0 {
			t.Fatalf("exit code after SIGTERM = %d, want 0\nstderr:\n%s", code, tail(in.stderr.snapshot(), 20))
		}
		printed := in.stdout.snapshot()
		if len(printed) < printedBefore || printedBefore == 0 {
			t.Fatalf("stdout had %d alert lines before SIGTERM and %d after", printedBefore, len(printed))
		}
		logged := map[string]int{}
		for _, a := range readAlertLog(t, in.alertsLog) {
			logged[a.raw]++
		}
		missing := 0
		for _, l := range printed {
			if logged[l] == 0 {
				if missing < 5 {
					t.Errorf("printed but not in the alert log: %s", l)
				}
				missing++
				continue
			}
			logged[l]--
		}
		if missing > 0 {
			t.Errorf("%d of %d printed alerts are missing from the alert log", missing, len(printed))
		}
		t.Logf("%d alerts printed, all in the alert log", len(printed))
	})

	t.Run("no BPF object outlives ttpwatch", func(t *testing.T) {
		var left []string
		// The kernel frees programs after an RCU grace period: poll.
		ok := poll(pollDeadline, func() bool {
			k, err := kernelBPF()
			if err != nil {
				t.Fatal(err)
			}
			left = remaining(held, k)
			return len(left) == 0
		})
		if !ok {
			t.Fatalf("after exit the kernel still has %d of ttpwatch's objects: %s", len(left), strings.Join(left, ", "))
		}
	})
}

// TestDisabledRuleDetachesHooks starts ttpwatch with the only rule on
// userfaultfd disabled: its hooks are not attached while the exec hooks
// are. (TestTerminal toggles the same rule live.)
func TestDisabledRuleDetachesHooks(t *testing.T) {
	requireSensor(t)
	in := startHeadless(t, "--json", "--disable", userfaultfdRule)
	held, err := heldBPF(in.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	names, err := programNames(held.linked)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range userfaultfdHooks {
		if hasPrefix(names, h) {
			t.Errorf("hook %s attached although %q, the only rule that needs it, is disabled", h, userfaultfdRule)
		}
	}
	if !hasPrefix(names, "tw_en_execve") {
		t.Errorf("exec hook not attached; attached programs: %v", keys(names))
	}
	if code := in.stop(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
}

// TestReplayMatchesLive records a live session in which the test user
// triggers several rules, then replays the capture: the replay prints the
// same alerts (rule and output) as the live run did.
func TestReplayMatchesLive(t *testing.T) {
	requireSensor(t)
	acct := ensureUser(t)
	dir := userDir(t, acct)
	capture := filepath.Join(t.TempDir(), "cap.jsonl.gz")
	in := startHeadless(t, "record", "-w", capture, "--json")

	hidden := "/tmp/." + filepath.Base(dir)
	t.Cleanup(func() { os.Remove(hidden) })
	last := filepath.Join(dir, "last")
	asUser(t, acct, strings.Join([]string{
		"chattr +i " + dir + "/one || true",
		"touch " + dir + "/.bash_history && rm -f " + dir + "/.bash_history",
		"touch " + hidden,
		"bash -c " + shellQuote("exec -a '[kw"+filepath.Base(dir)+"]' /bin/true"),
		"chattr +i " + last + " || true",
	}, "; "))
	in.waitAlert("for the last action", companionFor("chattr +i "+last))
	if code := in.stop(); code != 0 {
		t.Fatalf("record: exit code after SIGTERM = %d, want 0\nstderr:\n%s", code, tail(in.stderr.snapshot(), 20))
	}
	live := in.alerts()
	for _, want := range []struct{ rule, needle string }{
		{companionRule, "chattr +i " + dir + "/one"},
		{"Shell history cleared", "rm -f " + dir + "/.bash_history"},
		{"Hidden file created in a scratch directory", hidden},
		{"Process masquerading as a kernel thread", "[kw" + filepath.Base(dir) + "]"},
		{companionRule, "chattr +i " + last},
	} {
		if len(find(live, func(a alert) bool { return a.Rule == want.rule && strings.Contains(a.Output, want.needle) })) == 0 {
			t.Errorf("live run printed no %q alert for %s", want.rule, want.needle)
		}
	}
	if t.Failed() {
		for _, a := range live {
			t.Log(a.raw)
		}
	}

	out, err := exec.Command(ttpwatchBin, "replay", capture, "--json", "--speed", "max", "--alerts-log", "").Output()
	if err != nil {
		t.Fatalf("ttpwatch replay: %v", err)
	}
	var replayed []alert
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if l == "" {
			continue
		}
		a, err := parseAlert(l)
		if err != nil {
			t.Fatal(err)
		}
		replayed = append(replayed, a)
	}
	if diff := alertDiff(live, replayed); diff != "" {
		t.Errorf("replay differs from the live run (%d live, %d replayed alerts):\n%s", len(live), len(replayed), diff)
	}
	t.Logf("%d alerts live, %d replayed", len(live), len(replayed))
}

// alertDiff compares two runs' alerts as multisets of rule and output.
func alertDiff(a, b []alert) string {
	count := map[string]int{}
	for _, x := range a {
		count[x.key()]++
	}
	for _, x := range b {
		count[x.key()]--
	}
	var lines []string
	for k, n := range count {
		if n == 0 {
			continue
		}
		side := "only live"
		if n < 0 {
			side, n = "only replay", -n
		}
		lines = append(lines, fmt.Sprintf("%s x%d: %s", side, n, strings.ReplaceAll(k, "\x00", ": ")))
	}
	sort.Strings(lines)
	if len(lines) > 20 {
		lines = append(lines[:20], fmt.Sprintf("... and %d more", len(lines)-20))
	}
	return strings.Join(lines, "\n")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
