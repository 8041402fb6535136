package ui

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/ttpwatch/ttpwatch/ruleset"
)

// hostilePayloads are the terminal attacks of issue 4 item 7.
var hostilePayloads = map[string]string{
	"osc0 title":      "\x1b]0;pwned\x07",
	"osc2 title st":   "\x1b]2;pwned\x1b\\",
	"osc8 link":       "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
	"osc52 clipboard": "\x1b]52;c;cHduZWQ=\x07",
	"csi clear":       "\x1b[2J\x1b[H",
	"csi cursor":      "\x1b[10;10Hx\x1b[5A",
	"sgr conceal":     "\x1b[8mhidden\x1b[0m",
	"dcs":             "\x1bP1$r0m\x1b\\",
	"apc":             "\x1b_Gf=100;AAAA\x1b\\",
	"carriage return": "safe\rEVIL",
	"backspace":       "ab\b\bXY",
	"c1 csi":          "\u009b2J",
	"bidi override":   "evil\u202egnp.exe",
	"invalid utf8":    "bad\xff\xfe\xc3",
	"very long":       strings.Repeat("A", 100000),
}

// plainStyles draws without any styling, so that every escape byte left in
// the output would have come from host text.
func plainStyles() styles {
	var s styles
	s.name = "plain"
	s.heat = []lipgloss.Style{{}}
	return s
}

func TestHostileTextNeverReachesTerminal(t *testing.T) {
	screens := [][]string{nil, {"enter"}, {"r"}, {"4"}, {"4", "a", "end", "enter"}, {"2", "right", "right", "right", "right", "right", "right", "right", "right", "right", "right", "right", "enter"}}
	for name, payload := range hostilePayloads {
		t.Run(name, func(t *testing.T) {
			f := newFixture()
			p := f.evil
			p.Comm, p.Args, p.Cmdline, p.ExeLine = payload, []string{payload}, "evil "+payload, "/tmp/evil "+payload
			p.UserName, p.ContainerID, p.Cwd, p.ExePath = payload, payload, payload, payload
			a := f.alerts[len(f.alerts)-1]
			a.Output = "12:00:06.000000000: Critical " + payload
			a.OutputFields["proc.cmdline"] = payload
			a.OutputFields[payload] = payload
			a.Tags = append(a.Tags, payload)
			f.events[len(f.events)-1].Path = payload
			for _, keys := range screens {
				m := drive(t, f, testOptions(), 100, 40, keys...)
				m.st = plainStyles()
				m.help.Styles = m.st.help
				checkInert(t, keys, m.render())
				screen(t, m) // and the screen keeps its shape
			}
		})
	}
}

// checkInert fails when out holds anything a terminal would interpret.
func checkInert(t *testing.T, keys []string, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("keys %v: invalid UTF-8 reaches the terminal", keys)
	}
	for i, r := range out {
		bad := r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 || unicode.Is(unicode.Cf, r) ||
			r == '\u2028' || r == '\u2029'
		if bad {
			t.Fatalf("keys %v: raw %U at byte %d: %q", keys, r, i, out[max(i-30, 0):min(i+30, len(out))])
		}
	}
}

func TestDropAlertWithoutEvent(t *testing.T) {
	f := newFixture()
	m := New(testOptions(), f.deps())
	d := &ruleset.Detection{Time: t0, Rule: &ruleset.Rule{Name: "ttpwatch internal: event drops", Priority: ruleset.Critical},
		Priority: ruleset.Critical, Output: "12:00:00.000000000: Critical 12 events dropped", Tags: []string{"internal"}}
	m.Update(Batch{Alerts: []*ruleset.Detection{d}})
	s := screen(t, m)
	if !strings.Contains(s, "ttpwatch internal: event drops") {
		t.Fatalf("internal alert not listed:\n%s", s)
	}
	m.Update(keyMsg("enter"))
	if !strings.Contains(screen(t, m), "no process for this row") {
		t.Fatalf("enter on an alert without process gives no message:\n%s", screen(t, m))
	}
}

func TestRuleTextsKeepLinesButEscape(t *testing.T) {
	f := newFixture()
	r := f.rules.get("Disable recovery features")
	r.Desc = "first line\nsecond \x1b]0;t\x07 line\n"
	r.Exceptions = "- name: a\n  fields: [proc.name]"
	m := drive(t, f, testOptions(), 80, 40, "3", "enter")
	m.st = plainStyles()
	m.help.Styles = m.st.help
	out := m.render()
	checkInert(t, nil, out)
	for _, want := range []string{"\n  first line", "\n  second \\x1b]0;t\\x07 line", "\n  - name: a\n    fields: [proc.name]"} {
		if !strings.Contains(out, want) {
			t.Errorf("rule detail lacks %q:\n%s", want, out)
		}
	}
}
