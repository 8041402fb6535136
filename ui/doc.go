package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// docLine is one line of a document page; lines with an open action can be
// selected and opened with enter.
type docLine struct {
	text string
	open func(m *Model)
}

// docPage is a scrollable document rebuilt on every draw (so it stays
// live), with a cursor over its lines: rule details, technique details and
// the process drill-down are docPages.
type docPage struct {
	name  string
	build func(m *Model, w int) []docLine
	extra func(m *Model, k tea.KeyPressMsg) bool // page-specific keys
	more  func(m *Model) []key.Binding
	cur   cursor
	n, h  int
	lines []docLine
}

func (d *docPage) title() string { return d.name }
func (d *docPage) typing() bool  { return false }

func (d *docPage) keys(m *Model) []key.Binding {
	var b []key.Binding
	if d.cur.pos < len(d.lines) && d.lines[d.cur.pos].open != nil {
		b = append(b, keyEnter)
	}
	if d.more != nil {
		b = append(b, d.more(m)...)
	}
	return append(b, nav.Up, nav.Down)
}

func (d *docPage) update(m *Model, k tea.KeyPressMsg) tea.Cmd {
	if d.extra != nil && d.extra(m, k) {
		return nil
	}
	if d.cur.move(k, d.n, d.h) {
		return nil
	}
	if key.Matches(k, keyEnter) && d.cur.pos < len(d.lines) {
		if open := d.lines[d.cur.pos].open; open != nil {
			open(m)
		}
	}
	return nil
}

func (d *docPage) view(m *Model, w, h int) []string {
	d.lines = d.build(m, w)
	d.n, d.h = len(d.lines), h
	d.cur.clamp(d.n, h)
	out := make([]string, 0, h)
	for i := d.cur.off; i < d.n && i < d.cur.off+h; i++ {
		l := d.lines[i].text
		if i == d.cur.pos {
			l = m.st.selected.Render(fit(stripStyle(l), w))
		}
		out = append(out, l)
	}
	return out
}
