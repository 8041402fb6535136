// Package ui is ttpwatch's terminal interface: a Bubble Tea program with a
// live alert feed, an ATT&CK matrix, live rule toggling and process
// drill-downs. It sees the rest of the program only through the small
// interfaces of backend.go; main.go wires them.
package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/ttpwatch/ttpwatch/attack"
	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset"
	"github.com/ttpwatch/ttpwatch/themes"
)

// page is one screen of a tab: a view or a drill-down pushed on top of it.
type page interface {
	// update handles a key the root did not take.
	update(m *Model, k tea.KeyPressMsg) tea.Cmd
	// view renders the page in exactly h lines of at most w cells.
	view(m *Model, w, h int) []string
	// keys are the page's bindings, for the help line.
	keys(m *Model) []key.Binding
	// title names the page in the tab bar's breadcrumb.
	title() string
	// typing reports whether a text prompt has the focus: then every key
	// but ctrl+c goes to the page.
	typing() bool
}

// Tabs, in tab-bar order.
const (
	tabFeed = iota
	tabMatrix
	tabRules
	tabProcs
	numTabs
)

var tabNames = [numTabs]string{"Feed", "Matrix", "Rules", "Processes"}

// confirmation is a yes/no question that blocks every other key.
type confirmation struct {
	question string
	yes      func(m *Model)
}

// tickMsg drives polling and redraws.
type tickMsg time.Time

// refresh periods of the slower snapshots.
const (
	rulesEvery = time.Second
	procsEvery = time.Second
)

// Model is the root model: it routes keys to the current page, keeps the
// tab stacks, the status and help lines, and the data all views share.
type Model struct {
	opts Options
	deps Deps
	cat  *attack.Catalog

	width, height int

	themeNames []string
	themeIdx   int
	st         styles

	store *store
	stats Stats

	tab    int
	stacks [numTabs][]page

	help     help.Model
	showHelp bool
	confirm  *confirmation
	flash    string
	flashErr bool
	flashAt  time.Time

	// Snapshots refreshed on a timer and after every change.
	rules    []RuleInfo
	cov      *attack.Coverage
	rulesAt  time.Time
	procs    []*event.Process
	procsAt  time.Time
	termSent map[uint32]bool // pids sent SIGTERM: K offers SIGKILL next
	quitting bool
	// sourceEnded is set when Deps.Batches closed (a replay finished).
	sourceEnded bool
	techCache   map[string]string

	frames frameCounter // see frames.go
}

// New builds the root model. Unset options take their defaults.
func New(opts Options, deps Deps) *Model {
	if opts.MaxAlerts <= 0 {
		opts.MaxAlerts = 10000
	}
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = 5000
	}
	if opts.Tick <= 0 {
		opts.Tick = 50 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.OverridesPath == "" {
		opts.OverridesPath = "ttpwatch-overrides.yaml"
	}
	if deps.Catalog == nil {
		deps.Catalog = attack.Default()
	}
	if deps.Filter == nil {
		deps.Filter = compileFilter
	}
	m := &Model{
		opts:     opts,
		deps:     deps,
		cat:      deps.Catalog,
		width:    80,
		height:   24,
		store:    newStore(opts.MaxAlerts, opts.MaxEvents),
		help:     help.New(),
		termSent: map[uint32]bool{},
	}
	m.frames.start = time.Now()
	m.themeNames = themes.Names()
	m.setTheme(themes.Choose(opts.Theme, opts.NoColor))
	m.stacks[tabFeed] = []page{newFeed()}
	m.stacks[tabMatrix] = []page{newMatrix()}
	m.stacks[tabRules] = []page{newRulesPage()}
	m.stacks[tabProcs] = []page{newProcsPage()}
	m.refreshRules()
	m.refreshProcs()
	return m
}

// setTheme switches to the named theme; an unknown name keeps the current
// one and says why on the status line.
func (m *Model) setTheme(name string) {
	t, err := themes.Load(name)
	if err != nil {
		if m.st.name == "" {
			t, _ = themes.Load(themes.Default)
		} else {
			m.setFlash(err.Error(), true)
			return
		}
	}
	m.st = newStyles(t)
	m.help.Styles = m.st.help
	for i, n := range m.themeNames {
		if n == t.Name {
			m.themeIdx = i
		}
	}
}

// Run opens the interface on the terminal and returns when the user quits
// or ctx is done. NO_COLOR in the environment selects the monochrome theme
// unless Options.Theme names one. It logs the frame counters (FramesLogMsg)
// through log/slog when the interface ends and on SIGUSR1.
func Run(ctx context.Context, opts Options, deps Deps) error {
	if os.Getenv("NO_COLOR") != "" {
		opts.NoColor = true
	}
	popts := []tea.ProgramOption{tea.WithContext(ctx)}
	prof, force, err := ColorProfile(opts.Color)
	if err != nil {
		return err
	}
	if force {
		popts = append(popts, tea.WithColorProfile(prof))
	}
	if prof == colorprofile.ASCII {
		opts.NoColor = true
	}
	popts = append(popts, opts.ProgramOptions...)
	m := New(opts, deps)
	stopReports := m.reportFramesOnSIGUSR1()
	p := tea.NewProgram(m, popts...)
	_, err = p.Run()
	stopReports()
	m.logFrames("exit")
	if err != nil && (ctx.Err() != nil && errors.Is(err, tea.ErrProgramKilled) || errors.Is(err, tea.ErrInterrupted)) {
		// Stopped by the caller or by SIGINT: a normal end.
		return nil
	}
	if err != nil {
		return fmt.Errorf("terminal interface: %w", err)
	}
	return nil
}

// Init starts the ticker and the batch reader.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.tick(), m.waitBatch())
}

// batchMsg carries a batch read from Deps.Batches; sourceEndedMsg says the
// channel closed.
type (
	batchMsg       Batch
	sourceEndedMsg struct{}
)

// waitBatch reads the next batch from Deps.Batches.
func (m *Model) waitBatch() tea.Cmd {
	ch := m.deps.Batches
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		b, ok := <-ch
		if !ok {
			return sourceEndedMsg{}
		}
		return batchMsg(b)
	}
}

func (m *Model) tick() tea.Cmd {
	return tea.Tick(m.opts.Tick, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// Update routes one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case Batch:
		m.ingest(msg)
		return m, nil
	case batchMsg:
		m.ingest(Batch(msg))
		return m, m.waitBatch()
	case sourceEndedMsg:
		m.sourceEnded = true
		return m, nil
	case tickMsg:
		if m.deps.Poll != nil {
			m.ingest(m.deps.Poll())
		}
		now := m.opts.Now()
		if now.Sub(m.rulesAt) >= rulesEvery {
			m.refreshRules()
		}
		if m.tab == tabProcs && now.Sub(m.procsAt) >= procsEvery {
			m.refreshProcs()
		}
		if m.quitting {
			return m, nil
		}
		return m, m.tick()
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

// ingest takes in a batch.
func (m *Model) ingest(b Batch) {
	m.store.add(b)
	if b.Stats.Source != "" || !b.Stats.Start.IsZero() || b.Stats.EventsPerSec != 0 || b.Stats.Drops != nil {
		m.stats = b.Stats
	}
}

// key handles a key press: confirmations first, then a focused prompt,
// then the global keys, then the page.
func (m *Model) key(k tea.KeyPressMsg) tea.Cmd {
	if key.Matches(k, global.ForceQuit) {
		return m.quit()
	}
	if c := m.confirm; c != nil {
		switch {
		case key.Matches(k, keyYes):
			m.confirm = nil
			c.yes(m)
		case key.Matches(k, keyNo):
			m.confirm = nil
			m.setFlash("cancelled", false)
		}
		return nil
	}
	pg := m.page()
	if pg.typing() {
		return pg.update(m, k)
	}
	if m.showHelp {
		if key.Matches(k, global.Help, global.Back, global.Quit) {
			m.showHelp = false
		}
		return nil
	}
	switch {
	case key.Matches(k, global.Quit):
		return m.quit()
	case key.Matches(k, global.Help):
		m.showHelp = true
	case key.Matches(k, global.Tab1):
		m.switchTab(tabFeed)
	case key.Matches(k, global.Tab2):
		m.switchTab(tabMatrix)
	case key.Matches(k, global.Tab3):
		m.switchTab(tabRules)
	case key.Matches(k, global.Tab4):
		m.switchTab(tabProcs)
	case key.Matches(k, global.Next):
		m.switchTab((m.tab + 1) % numTabs)
	case key.Matches(k, global.Prev):
		m.switchTab((m.tab + numTabs - 1) % numTabs)
	case key.Matches(k, global.Theme):
		m.setTheme(m.themeNames[(m.themeIdx+1)%len(m.themeNames)])
		m.setFlash("theme "+m.st.name, false)
	case key.Matches(k, global.Back) && len(m.stacks[m.tab]) > 1:
		m.pop()
	default:
		return pg.update(m, k)
	}
	return nil
}

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	return tea.Quit
}

// page is the page on top of the current tab.
func (m *Model) page() page {
	s := m.stacks[m.tab]
	return s[len(s)-1]
}

// push opens a drill-down on the current tab.
func (m *Model) push(p page) { m.stacks[m.tab] = append(m.stacks[m.tab], p) }

// pop closes the top drill-down.
func (m *Model) pop() {
	if s := m.stacks[m.tab]; len(s) > 1 {
		m.stacks[m.tab] = s[:len(s)-1]
	}
}

func (m *Model) switchTab(t int) {
	m.tab = t
	switch t {
	case tabProcs:
		m.refreshProcs()
	case tabRules, tabMatrix:
		m.refreshRules()
	}
}

// setFlash shows a message on the status line for a few seconds.
func (m *Model) setFlash(s string, isErr bool) {
	m.flash, m.flashErr, m.flashAt = s, isErr, m.opts.Now()
}

// refreshRules takes a new snapshot of the rules and recomputes coverage.
func (m *Model) refreshRules() {
	m.rulesAt = m.opts.Now()
	if m.deps.Rules == nil {
		m.cov = m.cat.Coverage(nil)
		return
	}
	m.rules = m.deps.Rules.Rules()
	refs := make([]attack.RuleRef, len(m.rules))
	for i, r := range m.rules {
		refs[i] = attack.RuleRef{Name: r.Name, Tags: r.Tags, Enabled: r.Enabled, Hits: r.Hits}
	}
	m.cov = m.cat.Coverage(refs)
}

// refreshProcs takes a new snapshot of the process table.
func (m *Model) refreshProcs() {
	m.procsAt = m.opts.Now()
	if m.deps.Procs != nil {
		m.procs = m.deps.Procs.Processes()
	}
}

// View draws the screen: tab bar, page, status line, help line. Each call
// is counted (frames.go).
func (m *Model) View() tea.View {
	start := time.Now()
	content := m.render()
	m.frames.count(content, time.Since(start))
	v := tea.NewView(content)
	v.AltScreen = true
	v.WindowTitle = "ttpwatch"
	return v
}

// render draws the screen as a string of exactly height lines.
func (m *Model) render() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	bodyH := max(h-3, 1)
	var body []string
	switch {
	case m.showHelp:
		body = m.fullHelp(w, bodyH)
	default:
		body = frame(m.page().view(m, w, bodyH), w, bodyH)
	}
	if m.confirm != nil {
		body = m.overlayConfirm(body, w, bodyH)
	}
	lines := make([]string, 0, h)
	lines = append(lines, clip(m.tabBar(w), w))
	lines = append(lines, body...)
	lines = append(lines, clip(m.statusLine(w), w), clip(m.helpLine(w), w))
	return strings.Join(fitH(lines, h), "\n")
}

// tabBar draws the tabs and the breadcrumb of drill-downs.
func (m *Model) tabBar(w int) string {
	var b strings.Builder
	for i, n := range tabNames {
		label := fmt.Sprintf(" %d %s ", i+1, n)
		if w < 60 {
			label = fmt.Sprintf(" %d %s ", i+1, n[:4])
		}
		if i == m.tab {
			b.WriteString(m.st.tabActive.Render(label))
		} else {
			b.WriteString(m.st.tab.Render(label))
		}
	}
	s := m.stacks[m.tab]
	if len(s) > 1 {
		b.WriteString(m.st.muted.Render(" › " + s[len(s)-1].title()))
	}
	left := b.String()
	right := m.st.header.Render("ttpwatch")
	gap := w - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		return clip(left, w)
	}
	return left + strings.Repeat(" ", gap) + right
}

// statusLine shows rates, drops, rules, source and uptime, or a fresh
// message.
func (m *Model) statusLine(w int) string {
	now := m.opts.Now()
	if m.flash != "" && now.Sub(m.flashAt) < 5*time.Second {
		st := m.st.status
		if m.flashErr {
			st = m.st.statusErr
		}
		return st.Render(fit(" "+safe(m.flash), w))
	}
	s := m.stats
	src := s.Source
	if src == "" {
		src = "no source"
	}
	up := "-"
	if !s.Start.IsZero() {
		up = duration(now.Sub(s.Start))
	}
	var drops uint64
	for _, n := range s.Drops {
		drops += n
	}
	if w < 100 && strings.HasPrefix(src, "replay ") {
		src = "replay " + filepath.Base(src[len("replay "):])
	}
	if m.sourceEnded {
		src += " (ended)"
	}
	parts := []string{
		safeShort(src),
		fmt.Sprintf("%s ev/s", rate(s.EventsPerSec)),
		fmt.Sprintf("%s al/s", rate(s.AlertsPerSec)),
		fmt.Sprintf("drops k%d p%d u%d", s.Drops["kernel"], s.Drops["pipeline"], s.Drops["ui"]),
		fmt.Sprintf("rules %d/%d", s.RulesEnabled, s.RulesTotal),
		"up " + up,
	}
	if s.RulesTotal == 0 && len(m.rules) > 0 {
		on := 0
		for _, r := range m.rules {
			if r.Enabled {
				on++
			}
		}
		parts[4] = fmt.Sprintf("rules %d/%d", on, len(m.rules))
	}
	line := " " + strings.Join(parts, " │ ")
	if w < ansiWidth(line) {
		// Narrow: tighter separators and drop-count form.
		parts[3] = fmt.Sprintf("drops %d/%d/%d", s.Drops["kernel"], s.Drops["pipeline"], s.Drops["ui"])
		line = " " + strings.Join(parts, "│")
	}
	st := m.st.status
	if drops > 0 {
		st = m.st.statusWrn
	}
	return st.Render(fit(line, w))
}

// helpLine is the short help of the current page and the global keys.
func (m *Model) helpLine(w int) string {
	m.help.SetWidth(w)
	var b []key.Binding
	switch {
	case m.confirm != nil:
		b = []key.Binding{keyYes, keyNo}
	case m.showHelp:
		b = []key.Binding{global.Back}
	case m.page().typing():
		b = []key.Binding{keySubmit, keyCancel}
	default:
		b = append(b, m.page().keys(m)...)
		if len(m.stacks[m.tab]) > 1 {
			b = append(b, global.Back)
		}
		b = append(b, global.Help, global.Quit)
	}
	return m.help.ShortHelpView(b)
}

// fullHelp lists every key of the page, the navigation and the globals.
func (m *Model) fullHelp(w, h int) []string {
	groups := [][]key.Binding{m.page().keys(m), nav.list(), global.list()}
	m.help.SetWidth(w)
	lines := []string{m.st.header.Render("Keys — " + m.page().title()), ""}
	lines = append(lines, strings.Split(m.help.FullHelpView(groups), "\n")...)
	lines = append(lines, "", m.st.muted.Render("Theme: "+m.st.name+" (T cycles). Press ? or esc to close."))
	return frame(lines, w, h)
}

// overlayConfirm draws the confirmation box over the middle of the body.
func (m *Model) overlayConfirm(body []string, w, h int) []string {
	inner := min(w-4, 70)
	text := wrap(m.confirm.question, inner)
	text = append(text, "", m.st.accent.Render("y")+" yes   "+m.st.accent.Render("n/esc")+" no")
	box := strings.Split(m.st.box.Width(inner+4).Render(strings.Join(text, "\n")), "\n")
	top := max((h-len(box))/2, 0)
	pad := max((w-lipgloss.Width(box[0]))/2, 0)
	for i, l := range box {
		if top+i < len(body) {
			body[top+i] = strings.Repeat(" ", pad) + l
		}
	}
	return body
}

// ansiWidth is the display width of a possibly styled string.
func ansiWidth(s string) int { return lipgloss.Width(s) }

// rate formats a per-second rate compactly: 950, 12.3k, 1.2M.
func rate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.1fM", r/1e6)
	case r >= 1e4:
		return fmt.Sprintf("%.0fk", r/1e3)
	case r >= 1e3:
		return fmt.Sprintf("%.1fk", r/1e3)
	case r >= 10 || r == 0:
		return fmt.Sprintf("%.0f", r)
	}
	return fmt.Sprintf("%.1f", r)
}

// duration formats an uptime as 1d02:03:04 or 02:03:04.
func duration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d / time.Second)
	days, s := s/86400, s%86400
	out := fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
	if days > 0 {
		out = fmt.Sprintf("%dd%s", days, out)
	}
	return out
}

// saveOverrides writes the rule toggles to the overrides file atomically.
func (m *Model) saveOverrides() {
	data, n := OverridesYAML(m.rules, m.opts.Now())
	if n == 0 {
		m.setFlash("nothing to save: every rule is as the rule files load it", false)
		return
	}
	path := m.opts.OverridesPath
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ttpwatch-overrides-*")
	if err == nil {
		_, err = tmp.Write(data)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
		if err != nil {
			os.Remove(tmp.Name())
		}
	}
	if err != nil {
		m.setFlash(fmt.Sprintf("save overrides to %s: %v", path, err), true)
		return
	}
	m.setFlash(fmt.Sprintf("saved %d toggles to %s; load them with -r %s", n, path, path), false)
}

// compileFilter is the default FilterCompiler: the rule engine's own
// compiler, so filters and rules speak the same language.
func compileFilter(text string) (func(*event.Event) bool, error) {
	f, err := ruleset.CompileFilter(text)
	if err != nil {
		return nil, err
	}
	return f.Match, nil
}
