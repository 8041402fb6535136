package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The only default rule on userfaultfd, and its hooks' program name
// prefixes (the kernel cuts names at 15 bytes unless it has the BTF name).
const userfaultfdRule = "Userfaultfd used by an unprivileged process"

var userfaultfdHooks = []string{"tw_en_userfault", "tw_ex_userfault"}

// Functional deadlines the issue sets for the interface.
const (
	// alertOnScreen: an alert is on screen this soon after the action.
	alertOnScreen = 2 * time.Second
	// keyAnswer: under an event storm a key press shows this soon.
	keyAnswer = 200 * time.Millisecond
)

// TestTerminal drives the interface of the real binary in tmux on the live
// sensor: an alert reaches the feed, the drill-down shows the shell that
// ran the command, the matrix counts T1490 under Impact, toggling the seed
// rule off in Rules silences it (and detaches hooks no enabled rule needs),
// hostile argv is shown escaped without reaching the terminal, and under an
// event storm keys still answer and no alert is lost.
func TestTerminal(t *testing.T) {
	requireSensor(t)
	acct := ensureUser(t)
	dir := userDir(t, acct)
	mark := filepath.Base(dir)
	alerts := filepath.Join(dir, "..", mark+"-alerts.jsonl")
	logFile := filepath.Join(dir, "..", mark+"-ttpwatch.log")
	// The pane's shell writes ttpwatch's exit status to a file: tmux is
	// slow to mark a pane dead on a loaded host.
	statusFile := filepath.Join(dir, "..", mark+"-status")
	tm := newTmux(t, 120, 40, fmt.Sprintf(`%s --alerts-log %s --log %s --read-only; echo $? > %s`, ttpwatchBin, alerts, logFile, statusFile))
	scr, _, _ := tm.waitScreen(startDeadline, func(s string) bool {
		return has("1 Feed", "2 Matrix", " live ")(s) || strings.Contains(s, "Pane is dead")
	})
	if !has("1 Feed", "2 Matrix", " live ")(scr) {
		t.Fatalf("ttpwatch did not show the live feed:\n%s", scr)
	}
	pid, err := childPid(tm.format("#{pane_pid}"))
	if err != nil {
		t.Fatal(err)
	}
	// Only this run's alerts: the host may be busy with others, even
	// with another run of these tests. Every command line below holds
	// the mark.
	filter := `user.name = "` + testUser + `" and proc.cmdline contains "` + mark + `"`
	tm.keys("/")
	tm.typeText(filter)
	tm.keys("Enter")
	tm.mustScreen("the filter applied", pollDeadline, has("filter: "+filter))

	// run makes the test user run chattr +i on name in dir.
	run := func(t *testing.T, name string, args ...string) {
		asUserIn(t, acct, dir, `chattr +i "$@" `+name+` || true`, args...)
	}
	// logged waits for the companion alert of chattr on name in the alert
	// log and returns it with the seed alerts of the same event.
	logged := func(t *testing.T, name string) (alert, []alert) {
		t.Helper()
		var comp alert
		var seeds []alert
		if !poll(pollDeadline, func() bool {
			as := readAlertLog(t, alerts)
			got := find(as, companionFor(name))
			if len(got) == 0 {
				return false
			}
			comp = got[0]
			seeds = find(as, sameEvent(seedRule, comp.field("evt.time")))
			return true
		}) {
			var recent []string
			for _, a := range readAlertLog(t, alerts) {
				if a.field("user.name") == testUser {
					recent = append(recent, a.raw)
				}
			}
			t.Fatalf("no %s alert for %s in the alert log within %v; the test user's alerts:\n%s", companionRule, name, pollDeadline, tail(recent, 10))
		}
		return comp, seeds
	}

	t.Run("alert on screen and drill-down", func(t *testing.T) {
		tm := tm.with(t)
		name := mark + "-a"
		start := time.Now()
		run(t, name)
		row := regexp.MustCompile(`(?m)^.*` + regexp.QuoteMeta(seedRule) + `.*chattr \+i ` + regexp.QuoteMeta(name) + `.*$`)
		scr, ok, _ := tm.waitScreen(alertOnScreen-time.Since(start), func(s string) bool { return row.MatchString(s) })
		if !ok {
			t.Fatalf("no %q row for chattr +i %s on screen %v after the action:\n%s", seedRule, name, alertOnScreen, scr)
		}
		t.Logf("alert row on screen %v after the action", time.Since(start).Round(time.Millisecond))
		tm.keys("Enter")
		scr = tm.mustScreen("the drill-down with the ancestry", pollDeadline, has("Ancestry", "cmdline", "chattr +i "+name))
		lines := strings.Split(scr, "\n")
		shell, cmd := -1, -1
		for i, l := range lines {
			switch {
			case strings.Contains(l, "─") && strings.Contains(l, " sh -c chattr +i") && strings.Contains(l, name):
				shell = i
			case strings.Contains(l, "─") && strings.Contains(l, " chattr +i "+name):
				cmd = i
			}
		}
		if shell < 0 || cmd != shell+1 {
			t.Errorf("ancestry does not show the shell (sh -c …) as the parent of chattr (shell line %d, chattr line %d):\n%s", shell, cmd, scr)
		}
		if !strings.Contains(scr, testUser) {
			t.Errorf("drill-down does not name the user %s:\n%s", testUser, scr)
		}
		tm.keys("Escape")
		tm.mustScreen("the feed again", pollDeadline, has("Alerts", "FOLLOW"))
	})

	t.Run("matrix counts T1490 under Impact", func(t *testing.T) {
		tm := tm.with(t)
		tm.keys("2")
		tm.mustScreen("the matrix", pollDeadline, has("ATT&CK", "tactics"))
		var scr string
		n, ok := 0, false
		for range 14 {
			scr = tm.screen()
			if n, ok = matrixCount(scr, "Impact", "T1490"); ok {
				break
			}
			tm.keys("l")
			time.Sleep(pollEvery)
		}
		if !ok {
			t.Fatalf("no T1490 cell with a count under Impact:\n%s", scr)
		}
		if n < 2 {
			t.Errorf("T1490 shows %d hits, want at least the 2 alerts of the test's chattr", n)
		}
	})

	t.Run("toggling the seed rule off and on", func(t *testing.T) {
		tm := tm.with(t)
		tm.keys("3", "/", "C-u")
		tm.typeText(seedRule)
		tm.keys("Enter")
		scr := tm.mustScreen("the seed rule in Rules", pollDeadline, has("search: "+seedRule))
		on, hits, ok := ruleRow(scr, seedRule)
		if !ok || !on {
			t.Fatalf("seed rule row missing or not enabled (found %v, on %v):\n%s", ok, on, scr)
		}
		tm.keys("Space")
		scr = tm.mustScreen("the seed rule disabled", pollDeadline, func(s string) bool {
			on, _, ok := ruleRow(s, seedRule)
			return ok && !on
		})
		_, hitsOff, _ := ruleRow(scr, seedRule)

		off := mark + "-off"
		run(t, off)
		comp, seeds := logged(t, off)
		if len(seeds) != 0 {
			t.Errorf("disabled seed rule still fired for %s: %s", comp.field("proc.cmdline"), seeds[0].raw)
		}
		scr = tm.screen()
		if _, h, _ := ruleRow(scr, seedRule); h != hitsOff {
			t.Errorf("hits of the disabled seed rule went from %d to %d:\n%s", hitsOff, h, scr)
		}

		tm.keys("Space")
		tm.mustScreen("the seed rule enabled", pollDeadline, func(s string) bool {
			on, _, ok := ruleRow(s, seedRule)
			return ok && on
		})
		again := mark + "-on"
		run(t, again)
		comp, seeds = logged(t, again)
		if len(seeds) != 1 {
			t.Errorf("re-enabled seed rule fired %d times for %s, want 1", len(seeds), comp.field("proc.cmdline"))
		}
		tm.mustScreen("the hit counted", pollDeadline, func(s string) bool {
			_, h, ok := ruleRow(s, seedRule)
			return ok && h > hitsOff
		})
		t.Logf("seed rule hits: %d before, %d while off, then more once on", hits, hitsOff)
	})

	t.Run("toggling the only userfaultfd rule detaches its hooks", func(t *testing.T) {
		tm := tm.with(t)
		rule, hooks := userfaultfdRule, userfaultfdHooks
		attached := func() (map[string]bool, error) {
			held, err := heldBPF(pid)
			if err != nil {
				return nil, err
			}
			return programNames(held.linked)
		}
		want := func(on bool) {
			t.Helper()
			var names map[string]bool
			if !poll(pollDeadline, func() bool {
				var err error
				if names, err = attached(); err != nil {
					t.Fatal(err)
				}
				for _, h := range hooks {
					if hasPrefix(names, h) != on {
						return false
					}
				}
				return true
			}) {
				t.Fatalf("hooks %v attached = %v wanted, attached programs: %v", hooks, on, keys(names))
			}
		}
		want(true)
		tm.keys("/", "C-u")
		tm.typeText(rule)
		tm.keys("Enter")
		tm.mustScreen("the userfaultfd rule", pollDeadline, has("search: "+rule))
		tm.keys("Space")
		want(false)
		tm.keys("Space")
		want(true)
		// Wait for esc to land: an esc followed at once by a key reads
		// as alt+key.
		tm.keys("Escape")
		tm.mustScreen("the search cleared", pollDeadline, func(s string) bool { return !strings.Contains(s, "search: ") })
	})

	t.Run("hostile argv is escaped", func(t *testing.T) {
		tm := tm.with(t)
		tm.keys("1")
		tm.mustScreen("the feed", pollDeadline, has("Alerts", "FOLLOW"))
		// Canary: the same sequences printed raw in another window do set
		// the title and a buffer, so their absence below means something.
		tm.run("new-window", "-d", "-n", "canary", `printf '\033]0;canary\007\033]52;c;Y2FuYXJ5\007'; sleep 60`)
		if !poll(pollDeadline, func() bool {
			return strings.TrimSpace(tm.run("display-message", "-p", "-t", "canary", "#{pane_title}")) == "canary" && tm.run("list-buffers") != ""
		}) {
			t.Fatalf("tmux ignores OSC 0/52 even from a raw printf (title %q, buffers %q): this test cannot see a leak",
				tm.run("display-message", "-p", "-t", "canary", "#{pane_title}"), tm.run("list-buffers"))
		}
		tm.run("kill-window", "-t", "canary")
		tm.run("delete-buffer")

		title := tm.format("#{pane_title}")
		name := mark + "-osc"
		run(t, name, "\x1b]0;pwned\x07", "\x1b]52;c;cHduZWQ=\x07")
		logged(t, name)
		scr := tm.mustScreen("the escaped argv", pollDeadline, has(`\x1b]0;pwned\x07`, `\x1b]52;c;cHduZWQ=\x07`, name))
		if got := tm.format("#{pane_title}"); got != title {
			t.Errorf("pane title changed from %q to %q: an OSC 0 from argv reached the terminal", title, got)
		}
		if bufs := tm.run("list-buffers"); bufs != "" {
			t.Errorf("tmux buffers were set (OSC 52 from argv reached the terminal): %s", bufs)
		}
		if strings.Contains(scr, "pwned\n") || strings.Contains(scr, "\x1b") {
			t.Errorf("raw escape bytes on screen:\n%q", scr)
		}
	})

	t.Run("storm: keys answer and no alert is lost", func(t *testing.T) {
		tm := tm.with(t)
		startStorm(t, 20000)
		rate := regexp.MustCompile(`([0-9.]+)(k?) ev/s`)
		scr, ok, _ := tm.waitScreen(pollDeadline, func(s string) bool {
			m := rate.FindStringSubmatch(s)
			if m == nil {
				return false
			}
			v, _ := strconv.ParseFloat(m[1], 64)
			if m[2] == "k" {
				v *= 1000
			}
			return v >= 15000
		})
		if !ok {
			t.Fatalf("the status line never showed the storm (>= 15k ev/s):\n%s", scr)
		}
		drops := regexp.MustCompile(`drops k(\S+) p(\S+) u(\S+)`)
		before := drops.FindStringSubmatch(scr)
		peak := rate.FindString(scr)

		const n = 20
		asUserIn(t, acct, dir, `i=0; while [ $i -lt `+strconv.Itoa(n)+` ]; do i=$((i+1)); chattr +i `+mark+`-s$i || true; done`)
		// Switch views for a few seconds of storm.
		for i := range 10 {
			k, view := "2", has("ATT&CK", "tactics")
			if i%2 == 1 {
				k, view = "1", has("Alerts", "FOLLOW")
			}
			tm.keys(k)
			scr, ok, took := tm.waitScreen(keyAnswer, view)
			if !ok {
				t.Errorf("key %s not on screen %v after the press under the storm:\n%s", k, keyAnswer, scr)
			} else {
				t.Logf("key %s shown after %v", k, took.Round(time.Millisecond))
			}
			if m := rate.FindString(scr); m != "" {
				peak += ", " + m
			}
			time.Sleep(250 * time.Millisecond) // spread the presses over the storm
		}
		var missing []int
		poll(pollDeadline, func() bool {
			as := readAlertLog(t, alerts)
			missing = missing[:0]
			for i := 1; i <= n; i++ {
				name := fmt.Sprintf("%s-s%d", mark, i)
				comp := find(as, func(a alert) bool { return a.Rule == companionRule && a.field("proc.cmdline") == "chattr +i "+name })
				if len(comp) != 1 || len(find(as, sameEvent(seedRule, comp[0].field("evt.time")))) != 1 {
					missing = append(missing, i)
				}
			}
			return len(missing) == 0
		})
		if len(missing) > 0 {
			t.Errorf("%d of %d chattr runs during the storm lack their two alerts in the alert log: %v", len(missing), n, missing)
		}
		// The ui may drop frames and events for display; the kernel ring
		// and the pipeline (what feeds the engine) must not.
		after := drops.FindStringSubmatch(tm.screen())
		if before == nil || after == nil {
			t.Fatalf("no drop counters on the status line:\n%s", tm.screen())
		}
		t.Logf("rates seen: %s; drops kernel %s→%s, pipeline %s→%s, ui %s→%s", peak, before[1], after[1], before[2], after[2], before[3], after[3])
		if before[1] != after[1] || before[2] != after[2] {
			t.Errorf("events lost before the engine during the storm: kernel drops %s→%s, pipeline drops %s→%s (rates seen: %s; on a shared host other load adds to the storm)",
				before[1], after[1], before[2], after[2], peak)
		}
	})

	t.Run("q quits with exit 0", func(t *testing.T) {
		tm := tm.with(t)
		tm.keys("q")
		var status []byte
		if !poll(pollDeadline, func() bool {
			status, _ = os.ReadFile(statusFile)
			return len(status) > 0
		}) {
			scr := tm.screen()
			state, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			stack, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stack", pid))
			logText, _ := os.ReadFile(logFile)
			t.Fatalf("ttpwatch has not exited %v after q; screen:\n%s\n/proc status:\n%.300s\nkernel stack:\n%s\nttpwatch log:\n%s",
				pollDeadline, scr, state, stack, logText)
		}
		if st := strings.TrimSpace(string(status)); st != "0" {
			t.Errorf("ttpwatch exit status after q = %s, want 0:\n%s", st, tm.screen())
		}
	})
}

// ruleRow finds a rule's row in the Rules view: enabled mark and hits.
func ruleRow(scr, rule string) (on bool, hits int, ok bool) {
	re := regexp.MustCompile(`\[(x| )\]\s+\S+\s+` + regexp.QuoteMeta(rule) + `\s+\S+\s+(\d+)\b`)
	m := re.FindStringSubmatch(scr)
	if m == nil {
		return false, 0, false
	}
	hits, _ = strconv.Atoi(m[2])
	return m[1] == "x", hits, true
}

// matrixCount finds technique id in the column of tactic on a matrix
// screen and returns the hit count at the end of its cell.
func matrixCount(scr, tactic, id string) (int, bool) {
	col := -1
	count := regexp.MustCompile(`\s(\d+)\s*$`)
	for _, line := range strings.Split(scr, "\n") {
		cells := strings.Split(line, "│")
		if col < 0 {
			for i, c := range cells {
				if strings.TrimSpace(c) == tactic {
					col = i
				}
			}
			continue
		}
		if col < len(cells) && strings.Contains(cells[col], id) {
			m := count.FindStringSubmatch(cells[col])
			if m == nil {
				return 0, false
			}
			n, _ := strconv.Atoi(m[1])
			return n, true
		}
	}
	return 0, false
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func hasPrefix(m map[string]bool, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// childPid returns the only child of the process pid: the pane's shell
// runs ttpwatch as its child.
func childPid(pid string) (int, error) {
	data, err := os.ReadFile("/proc/" + pid + "/task/" + pid + "/children")
	if err != nil {
		return 0, fmt.Errorf("children of the pane's shell: %w", err)
	}
	f := strings.Fields(string(data))
	if len(f) != 1 {
		return 0, fmt.Errorf("the pane's shell %s has children %v, want ttpwatch alone", pid, f)
	}
	return strconv.Atoi(f[0])
}
