package ui

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestMatrixIDToggle checks the default cell mode at each size and that i
// flips it: auto IDs when only IDs fit every tactic, names otherwise.
func TestMatrixIDToggle(t *testing.T) {
	cases := []struct {
		w, h int
		keys []string
		want []string // on screen
		not  []string // not on screen
	}{
		// 160 columns: names would page, IDs show all 12 tactics.
		{160, 48, []string{"2"}, []string{"IDs (auto) · tactics 1-12 of 12", "Impact", "Cmd & Ctrl", "i show names"}, []string{"▶", "Command a"}},
		{160, 48, []string{"2", "i"}, []string{"names · tactics 1-8 of 12 ▶", "T1059 Command a", "i show IDs"}, []string{"Impact"}},
		{160, 48, []string{"2", "i", "i"}, []string{"IDs · tactics 1-12 of 12"}, []string{"(auto)", "Command a"}},
		// 80 columns: neither fits, names page; IDs page over fewer screens.
		{80, 24, []string{"2"}, []string{"names · tactics 1-4 of 12 ▶", "T1059 Command a"}, []string{"IDs ·"}},
		{80, 24, []string{"2", "i"}, []string{"IDs · tactics 1-6 of 12 ▶", "▸T1059"}, []string{"Command a"}},
		// Paging still follows the selection with IDs.
		{80, 24, []string{"2", "i", "l", "l", "l", "l", "l", "l", "l", "l", "l", "l", "l"}, []string{"◀ IDs · tactics 7-12 of 12", "Impact"}, []string{"▶"}},
		// 240 columns: names fit every tactic and stay the default.
		{240, 48, []string{"2"}, []string{"names · tactics 1-12 of 12", "T1059 Command", "Command and Control"}, []string{"IDs ·"}},
		{240, 48, []string{"2", "i"}, []string{"IDs · tactics 1-12 of 12"}, []string{"T1059 Command"}},
	}
	for _, c := range cases {
		s := screen(t, drive(t, newFixture(), testOptions(), c.w, c.h, c.keys...))
		for _, w := range c.want {
			if !strings.Contains(s, w) {
				t.Errorf("%dx%d %v: no %q on screen:\n%s", c.w, c.h, c.keys, w, s)
			}
		}
		for _, n := range c.not {
			if strings.Contains(s, n) {
				t.Errorf("%dx%d %v: %q on screen:\n%s", c.w, c.h, c.keys, n, s)
			}
		}
	}
}

// TestMatrixIDsDetailHasName: enter on a cell of IDs opens the technique
// with its full name.
func TestMatrixIDsDetailHasName(t *testing.T) {
	keys := []string{"2"}
	for range 11 {
		keys = append(keys, "l")
	}
	s := screen(t, drive(t, newFixture(), testOptions(), 160, 48, append(keys, "enter")...))
	if !strings.Contains(s, "T1490 Inhibit System Recovery") {
		t.Fatalf("technique page without the name:\n%s", s)
	}
}

// TestMatrixHelpHasIDKey: the full help of the matrix lists i.
func TestMatrixHelpHasIDKey(t *testing.T) {
	for _, c := range []struct {
		keys []string
		want string
	}{
		{[]string{"2", "?"}, "show IDs"},
		{[]string{"2", "i", "?"}, "show names"},
	} {
		s := screen(t, drive(t, newFixture(), testOptions(), 80, 24, c.keys...))
		if !regexp.MustCompile(`\bi\s+` + c.want).MatchString(s) {
			t.Errorf("%v: help does not list i %s:\n%s", c.keys, c.want, s)
		}
	}
}

// TestMatrixCountLikeE2E reads T1490's count under Impact the way the
// tmux test (test/e2e matrixCount) does, at its size and with IDs.
func TestMatrixCountLikeE2E(t *testing.T) {
	for _, sz := range [][2]int{{120, 40}, {160, 48}, {80, 24}} {
		keys := []string{"2"}
		var s string
		n, ok := 0, false
		for range 14 {
			s = screen(t, drive(t, newFixture(), testOptions(), sz[0], sz[1], keys...))
			if n, ok = e2eMatrixCount(s, "Impact", "T1490"); ok {
				break
			}
			keys = append(keys, "l")
		}
		if !ok || n < 1 {
			t.Errorf("%dx%d: no T1490 count under Impact (%d, %v):\n%s", sz[0], sz[1], n, ok, s)
		}
	}
}

// e2eMatrixCount is matrixCount of test/e2e/ui_test.go.
func e2eMatrixCount(scr, tactic, id string) (int, bool) {
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
