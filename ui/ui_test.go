package ui

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/goccy/go-yaml"
	"github.com/ttpwatch/ttpwatch/event"
)

// keyMsg turns a key name ("enter", "down", "ctrl+c") or a single
// character into a key press.
func keyMsg(s string) tea.KeyPressMsg {
	special := map[string]rune{
		"enter": tea.KeyEnter, "esc": tea.KeyEscape, "backspace": tea.KeyBackspace, "tab": tea.KeyTab,
		"space": tea.KeySpace, "up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
		"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
	}
	if c, ok := special[s]; ok {
		k := tea.KeyPressMsg{Code: c}
		if c == tea.KeySpace {
			k.Text = " "
		}
		return k
	}
	if s == "ctrl+c" {
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(s)
	return tea.KeyPressMsg{Code: r[0], Text: s}
}

// typeText is a sequence of single-character key presses.
func typeText(s string) []string {
	var out []string
	for _, r := range s {
		if r == ' ' {
			out = append(out, "space")
		} else {
			out = append(out, string(r))
		}
	}
	return out
}

func testOptions() Options {
	return Options{Theme: "monochrome", Now: func() time.Time { return t0 }, Tick: time.Hour}
}

// drive runs the model in a real Bubble Tea program through teatest at
// w x h, feeds the fixture batch, presses keys and returns the final model.
func drive(t *testing.T, f *fixture, opts Options, w, h int, keys ...string) *Model {
	t.Helper()
	m := New(opts, f.deps())
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	tm.Send(f.batch())
	for _, k := range keys {
		tm.Send(keyMsg(k))
	}
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second))
	return fm.(*Model)
}

// screen is the model's screen without styling, checked for shape.
func screen(t *testing.T, m *Model) string {
	t.Helper()
	out := m.render()
	lines := strings.Split(out, "\n")
	if len(lines) != m.height {
		t.Errorf("screen has %d lines, want %d", len(lines), m.height)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > m.width {
			t.Errorf("line %d is %d cells wide, more than %d: %q", i, w, m.width, ansi.Strip(l))
		}
	}
	return ansi.Strip(out)
}

var goldenViews = []struct {
	name string
	keys []string
}{
	{"feed", nil},
	{"feed_raw", []string{"r"}},
	{"feed_paused_scrolled", []string{"space", "down", "down"}},
	{"feed_filtered", append(append([]string{"/"}, typeText("proc.name = chattr")...), "enter")},
	{"drilldown_from_feed", []string{"down", "enter"}},
	{"matrix", []string{"2"}},
	{"matrix_expanded", []string{"2", "X", "u"}},
	{"matrix_toggled", []string{"2", "i"}},
	{"matrix_toggled_expanded", []string{"2", "i", "X", "u"}},
	{"matrix_technique", []string{"2", "right", "right", "right", "right", "right", "right", "right", "right", "right", "right", "right", "enter"}},
	{"rules", []string{"3"}},
	{"rule_detail", []string{"3", "enter"}},
	{"processes", []string{"4"}},
	{"processes_search", append(append([]string{"4", "/"}, typeText("chattr")...), "enter")},
	{"process_detail", []string{"4", "down", "down", "down", "down", "enter"}},
	{"help", []string{"?"}},
	{"kill_confirm", []string{"4", "down", "down", "down", "down", "K"}},
	{"rule_toggled", []string{"3", "space"}},
}

func TestGoldenViews(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, v := range goldenViews {
			t.Run(fmt.Sprintf("%s_%dx%d", v.name, size[0], size[1]), func(t *testing.T) {
				m := drive(t, newFixture(), testOptions(), size[0], size[1], v.keys...)
				golden.RequireEqual(t, screen(t, m))
			})
		}
	}
}

func TestResize(t *testing.T) {
	f := newFixture()
	m := New(testOptions(), f.deps())
	m.Update(f.batch())
	for _, sz := range [][2]int{{80, 24}, {40, 10}, {200, 60}, {81, 25}, {20, 5}} {
		m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		for tab := range numTabs {
			m.switchTab(tab)
			screen(t, m)
		}
	}
}

func TestToggleCallsSetEnabled(t *testing.T) {
	f := newFixture()
	m := drive(t, f, testOptions(), 80, 24, "3", "space", "down", "down", "down", "space")
	want := []string{"SetEnabled(Disable recovery features,false)", "SetEnabled(Clear log activities,true)"}
	if got := f.rules.Calls(); !slices.Equal(got, want) {
		t.Fatalf("calls = %q, want %q", got, want)
	}
	if !strings.Contains(screen(t, m), "[ ] CRIT Disable recovery features") {
		t.Errorf("rules view does not show the rule disabled:\n%s", screen(t, m))
	}
}

func TestBulkTagToggle(t *testing.T) {
	f := newFixture()
	// The prompt is prefilled with the selected rule's first tag.
	drive(t, f, testOptions(), 80, 24, "3", "-", "enter")
	if got := f.rules.Calls(); !slices.Equal(got, []string{"SetTagEnabled(mitre_impact,false)"}) {
		t.Fatalf("calls = %q", got)
	}
}

func TestRulesSearch(t *testing.T) {
	m := drive(t, newFixture(), testOptions(), 80, 24, append(append([]string{"3", "/"}, typeText("shadow")...), "enter")...)
	s := screen(t, m)
	if !strings.Contains(s, "Read sensitive file untrusted") || strings.Contains(s, "Disable recovery features") {
		t.Fatalf("search for shadow shows the wrong rules:\n%s", s)
	}
}

func TestFilterErrorShownInline(t *testing.T) {
	m := drive(t, newFixture(), testOptions(), 80, 24, append([]string{"/"}, typeText("bogus.field = 1")...)...)
	m.Update(keyMsg("enter"))
	s := screen(t, m)
	if !strings.Contains(s, `1:1: unknown field "bogus.field"`) {
		t.Fatalf("filter error not shown:\n%s", s)
	}
	if !m.page().typing() {
		t.Fatal("the prompt closed on an error; it must stay open for editing")
	}
}

func TestRealFilterCompiler(t *testing.T) {
	f := newFixture()
	opts := testOptions()
	m := New(opts, Deps{Rules: f.rules, Procs: f})
	m.Update(f.batch())
	for _, k := range append(append([]string{"/"}, typeText(`proc.name = chattr and (`)...), "enter") {
		m.Update(keyMsg(k))
	}
	s := screen(t, m)
	if !m.page().typing() || !strings.Contains(s, "^") {
		t.Fatalf("syntax error not shown inline with a caret:\n%s", s)
	}
	for _, k := range append([]string{"backspace", "backspace", "backspace", "backspace", "backspace", "backspace"}, "enter") {
		m.Update(keyMsg(k))
	}
	s = screen(t, m)
	if m.page().typing() || !strings.Contains(s, "1 shown, 4 total") || !strings.Contains(s, "filter: proc.name = chattr") {
		t.Fatalf("valid filter not applied:\n%s", s)
	}
}

func TestKillConfirmation(t *testing.T) {
	f := newFixture()
	// 5th row of the tree is chattr (pid 1300).
	m := drive(t, f, testOptions(), 80, 24, "4", "down", "down", "down", "down", "K")
	s := screen(t, m)
	if !strings.Contains(s, "Send SIGTERM to pid 1300 (chattr +i /etc/important.conf)?") {
		t.Fatalf("confirmation does not name pid and command:\n%s", s)
	}
	if len(f.killer.Calls()) != 0 {
		t.Fatal("killed before confirmation")
	}
	m.Update(keyMsg("y"))
	m.Update(keyMsg("K"))
	if !strings.Contains(screen(t, m), "Send SIGKILL to pid 1300") {
		t.Fatalf("second K does not offer SIGKILL:\n%s", screen(t, m))
	}
	m.Update(keyMsg("n"))
	m.Update(keyMsg("K"))
	m.Update(keyMsg("y"))
	want := []string{"1300:terminated", "1300:killed"}
	if got := f.killer.Calls(); !slices.Equal(got, want) {
		t.Fatalf("kills = %q, want %q", got, want)
	}
}

func TestReadOnlyBlocksKill(t *testing.T) {
	f := newFixture()
	opts := testOptions()
	opts.ReadOnly = true
	m := drive(t, f, opts, 80, 24, "4", "down", "down", "down", "down", "K", "y")
	if got := f.killer.Calls(); len(got) != 0 {
		t.Fatalf("read-only mode killed: %q", got)
	}
	s := screen(t, m)
	if !strings.Contains(s, "read-only mode: killing processes is disabled") {
		t.Fatalf("no read-only message:\n%s", s)
	}
	if strings.Contains(s, "K kill") {
		t.Fatal("help line offers K in read-only mode")
	}
}

func TestEscapingHostText(t *testing.T) {
	f := newFixture()
	opts := testOptions()
	opts.Theme = "dark" // styled output: only SGR may appear
	sgr := regexp.MustCompile(`\x1b\[[0-9;:]*m`)
	for _, keys := range [][]string{nil, {"enter"}, {"r"}, {"4"}, {"4", "down", "down", "down", "down", "down", "enter"}} {
		m := drive(t, f, opts, 160, 48, keys...)
		out := m.render()
		rest := sgr.ReplaceAllString(out, "")
		if i := strings.IndexAny(rest, "\x1b\x07\u009b"); i >= 0 {
			t.Fatalf("keys %v: raw control byte in output at %d: %q", keys, i, rest[max(i-20, 0):min(i+20, len(rest))])
		}
		if !strings.Contains(rest, `\x1b]0;pwned\x07`) && !strings.Contains(rest, `\x1b]52;c;cHduZWQ=\x07`) {
			t.Errorf("keys %v: escaped argv not visible:\n%s", keys, rest)
		}
	}
}

func TestOverridesYAML(t *testing.T) {
	rules := []RuleInfo{
		{Name: "Kept", Enabled: true, LoadedEnabled: true},
		{Name: "Switched off", Enabled: false, LoadedEnabled: true},
		{Name: `Quote " and: colon`, Enabled: true, LoadedEnabled: false},
	}
	data, n := OverridesYAML(rules, t0)
	if n != 2 {
		t.Fatalf("n = %d, want 2", n)
	}
	var items []struct {
		Rule    string `yaml:"rule"`
		Enabled bool   `yaml:"enabled"`
	}
	if err := yaml.Unmarshal(data, &items); err != nil {
		t.Fatalf("overrides are not YAML: %v\n%s", err, data)
	}
	if len(items) != 2 || items[0].Rule != "Switched off" || items[0].Enabled ||
		items[1].Rule != `Quote " and: colon` || !items[1].Enabled {
		t.Fatalf("items = %+v\n%s", items, data)
	}
}

func TestSaveOverrides(t *testing.T) {
	f := newFixture()
	opts := testOptions()
	opts.OverridesPath = filepath.Join(t.TempDir(), "over.yaml")
	drive(t, f, opts, 80, 24, "3", "space", "s")
	data, err := os.ReadFile(opts.OverridesPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "- rule: \"Disable recovery features\"\n  enabled: false\n") {
		t.Fatalf("overrides file:\n%s", data)
	}
}

func TestAlertListBounded(t *testing.T) {
	f := newFixture()
	opts := testOptions()
	opts.MaxAlerts = 3
	m := New(opts, f.deps())
	for range 5 {
		m.Update(f.batch())
	}
	if got := m.store.alerts.len(); got != 3 {
		t.Fatalf("kept %d alerts, want 3", got)
	}
	if m.store.alertsTotal != 20 {
		t.Fatalf("alertsTotal = %d, want 20", m.store.alertsTotal)
	}
}

func TestThemesCycle(t *testing.T) {
	m := New(Options{Now: func() time.Time { return t0 }}, newFixture().deps())
	seen := map[string]bool{}
	for range 4 {
		seen[m.st.name] = true
		m.Update(keyMsg("T"))
	}
	if len(seen) != 4 {
		t.Fatalf("T cycled through %v, want 4 themes", seen)
	}
	nc := New(Options{NoColor: true}, Deps{})
	if nc.st.name != "monochrome" {
		t.Fatalf("NO_COLOR theme = %s", nc.st.name)
	}
}

func BenchmarkView(b *testing.B) {
	f := newFixture()
	m := New(testOptions(), f.deps())
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	for range 2500 {
		m.Update(f.batch())
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkIngest is one 50 ms batch of a 20,000 events/s storm: 1,000
// events and 5 alerts.
func BenchmarkIngest(b *testing.B) {
	f := newFixture()
	m := New(testOptions(), f.deps())
	evs := make([]*event.Event, 1000)
	for i := range evs {
		e := *f.events[i%len(f.events)]
		evs[i] = &e
	}
	batch := Batch{Events: evs, Alerts: f.alerts[:4]}
	b.ReportAllocs()
	for b.Loop() {
		m.Update(batch)
	}
}

// runHeadless starts Run on the fixture with no terminal, ticking every
// millisecond, and returns once the ticker has polled the pipeline (Run is
// then fully started); done receives Run's result.
func runHeadless(ctx context.Context) (done <-chan error) {
	f := newFixture()
	polled := make(chan struct{}, 1)
	deps := f.deps()
	deps.Poll = func() Batch {
		select {
		case polled <- struct{}{}:
		default:
		}
		return f.batch()
	}
	opts := testOptions()
	opts.Tick = time.Millisecond
	opts.ProgramOptions = []tea.ProgramOption{tea.WithInput(&bytes.Buffer{}), tea.WithOutput(&bytes.Buffer{}),
		tea.WithWindowSize(80, 24), tea.WithoutSignals()}
	ch := make(chan error, 1)
	go func() { ch <- Run(ctx, opts, deps) }()
	<-polled
	return ch
}

func TestRunStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := runHeadless(ctx)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
}

func TestBatchesChannel(t *testing.T) {
	f := newFixture()
	ch := make(chan Batch, 1)
	deps := f.deps()
	deps.Batches = ch
	m := New(testOptions(), deps)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	ch <- f.batch()
	close(ch)
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("(ended)")) },
		teatest.WithDuration(5*time.Second))
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	s := screen(t, fm)
	if !strings.Contains(s, "4 shown, 4 total") || !strings.Contains(s, "replay fixed.cap (ended)") {
		t.Fatalf("batches from the channel not shown or end not marked:\n%s", s)
	}
}

func TestColorProfile(t *testing.T) {
	tests := []struct {
		in    string
		want  colorprofile.Profile
		force bool
		err   bool
	}{
		{"", colorprofile.Unknown, false, false},
		{"auto", colorprofile.Unknown, false, false},
		{"truecolor", colorprofile.TrueColor, true, false},
		{"256", colorprofile.ANSI256, true, false},
		{"16", colorprofile.ANSI, true, false},
		{"NONE", colorprofile.ASCII, true, false},
		{"rainbow", colorprofile.Unknown, false, true},
	}
	for _, tt := range tests {
		p, force, err := ColorProfile(tt.in)
		if p != tt.want || force != tt.force || (err != nil) != tt.err {
			t.Errorf("ColorProfile(%q) = %v, %v, %v", tt.in, p, force, err)
		}
	}
}
