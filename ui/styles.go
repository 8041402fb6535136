package ui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
	"github.com/ttpwatch/ttpwatch/ruleset"
	"github.com/ttpwatch/ttpwatch/themes"
)

// styles are a theme turned into lipgloss styles.
type styles struct {
	name      string
	text      lipgloss.Style
	muted     lipgloss.Style
	dim       lipgloss.Style // covered-but-silent matrix cells
	header    lipgloss.Style
	accent    lipgloss.Style
	selected  lipgloss.Style
	tab       lipgloss.Style
	tabActive lipgloss.Style
	status    lipgloss.Style
	statusErr lipgloss.Style // status line carrying an error
	statusWrn lipgloss.Style // status line while drops are counted
	errText   lipgloss.Style
	ok        lipgloss.Style
	warn      lipgloss.Style
	box       lipgloss.Style
	prio      [ruleset.Debug + 1]lipgloss.Style
	heat      []lipgloss.Style
	help      help.Styles
}

// colour turns a theme colour into a lipgloss colour; empty means none.
func colour(s string) color.Color {
	if s == "" {
		return lipgloss.NoColor{}
	}
	return lipgloss.Color(s)
}

// newStyles builds the styles of a theme.
func newStyles(t *themes.Theme) styles {
	fg := func(c string) lipgloss.Style { return lipgloss.NewStyle().Foreground(colour(c)) }
	s := styles{
		name:      t.Name,
		text:      fg(t.Text),
		muted:     fg(t.Muted),
		dim:       fg(t.Muted).Faint(true),
		header:    fg(t.Accent).Bold(true),
		accent:    fg(t.Accent),
		selected:  lipgloss.NewStyle().Foreground(colour(t.SelectedFg)).Background(colour(t.SelectedBg)).Bold(t.Bold),
		tab:       fg(t.TabFg),
		tabActive: lipgloss.NewStyle().Foreground(colour(t.TabActiveFg)).Background(colour(t.TabActiveBg)).Bold(true),
		status:    lipgloss.NewStyle().Foreground(colour(t.StatusFg)).Background(colour(t.StatusBg)),
		statusErr: lipgloss.NewStyle().Foreground(colour(t.StatusBg)).Background(colour(t.Error)).Bold(true),
		statusWrn: lipgloss.NewStyle().Foreground(colour(t.StatusBg)).Background(colour(t.Warn)),
		errText:   fg(t.Error).Bold(true),
		ok:        fg(t.OK),
		warn:      fg(t.Warn),
		box:       lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(colour(t.Border)).Padding(0, 1),
	}
	p := t.Priority
	for i, c := range []string{p.Emergency, p.Alert, p.Critical, p.Error, p.Warning, p.Notice, p.Informational, p.Debug} {
		s.prio[i] = fg(c).Bold(i <= int(ruleset.Critical))
	}
	for _, c := range t.Heat {
		s.heat = append(s.heat, fg(c).Bold(true))
	}
	if t.Monochrome {
		// Without colour, selection and urgency are carried by attributes.
		s.selected = lipgloss.NewStyle().Reverse(true)
		s.tabActive = lipgloss.NewStyle().Reverse(true).Bold(true)
		s.status = lipgloss.NewStyle().Reverse(true)
		s.statusErr = lipgloss.NewStyle().Reverse(true).Bold(true)
		s.statusWrn = lipgloss.NewStyle().Reverse(true).Underline(true)
		s.dim = lipgloss.NewStyle().Faint(true)
		s.muted = lipgloss.NewStyle().Faint(true)
		s.header = lipgloss.NewStyle().Bold(true).Underline(true)
		s.heat = []lipgloss.Style{
			lipgloss.NewStyle(),
			lipgloss.NewStyle().Bold(true),
			lipgloss.NewStyle().Bold(true).Underline(true),
			lipgloss.NewStyle().Reverse(true),
		}
	}
	if len(s.heat) == 0 {
		s.heat = []lipgloss.Style{lipgloss.NewStyle().Bold(true)}
	}
	s.help = help.Styles{
		ShortKey: s.accent, ShortDesc: s.muted, ShortSeparator: s.muted,
		FullKey: s.accent, FullDesc: s.text, FullSeparator: s.muted, Ellipsis: s.muted,
	}
	return s
}

// priority returns the style of a priority.
func (s *styles) priority(p ruleset.Priority) lipgloss.Style {
	if p < 0 || int(p) >= len(s.prio) {
		return s.text
	}
	return s.prio[p]
}

// heatOf returns the heat style for a hit count: 1, 2-9, 10-99, 100-999,
// 1000+ climb the theme's scale.
func (s *styles) heatOf(hits uint64) lipgloss.Style {
	level := 0
	if hits > 1 {
		for n := hits; n > 0; n /= 10 {
			level++
		}
	}
	if level >= len(s.heat) {
		level = len(s.heat) - 1
	}
	return s.heat[level]
}

// priorityAbbrev is the 4-letter form of a priority for narrow columns.
func priorityAbbrev(p ruleset.Priority) string {
	names := [...]string{"EMER", "ALRT", "CRIT", "ERR ", "WARN", "NOTI", "INFO", "DEBG"}
	if p < 0 || int(p) >= len(names) {
		return "????"
	}
	return names[p]
}
