package ui

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/ttpwatch/ttpwatch/attack"
)

// matrixPage is the ATT&CK matrix: tactics as columns in matrix order,
// techniques beneath with their hits; sub-techniques roll up into their
// parent until expanded.
type matrixPage struct {
	col, row      int // selection: visible column, row in it
	hoff, voff    int // first visible column and row
	expanded      map[string]bool
	expandAll     bool
	showUncovered bool
	rowsH         int
}

func newMatrix() *matrixPage { return &matrixPage{expanded: map[string]bool{}} }

func (p *matrixPage) title() string { return "Matrix" }
func (p *matrixPage) typing() bool  { return false }

func (p *matrixPage) keys(m *Model) []key.Binding {
	u := keyUncovered
	if p.showUncovered {
		u.SetHelp("u", "hide uncovered")
	} else {
		u.SetHelp("u", "show uncovered")
	}
	return []key.Binding{keyEnter, keyLeft, keyRight, keyExpand, keyExpandAll, u}
}

// matrixRow is one line of a column: a technique cell or a sub-technique
// cell under an expanded parent.
type matrixRow struct {
	cell *attack.Cell
	sub  bool
}

// columns returns the tactics that have techniques, with their rows.
func (p *matrixPage) columns(m *Model) ([]*attack.TacticCoverage, [][]matrixRow) {
	var cols []*attack.TacticCoverage
	var rows [][]matrixRow
	if m.cov == nil {
		return nil, nil
	}
	show := func(c *attack.Cell, rolled bool) bool {
		if p.showUncovered {
			return true
		}
		if rolled {
			return c.RolledUp() || c.TotalHits() > 0
		}
		return c.Covered() || c.Hits > 0
	}
	for _, tc := range m.cov.Tactics {
		if tc.Total == 0 {
			continue
		}
		cells := append([]*attack.Cell(nil), tc.Techniques...)
		// Busy techniques first, then covered ones, then by name: what
		// fires is what the user came to see.
		sort.SliceStable(cells, func(i, j int) bool {
			hi, hj := cells[i].TotalHits(), cells[j].TotalHits()
			if (hi > 0) != (hj > 0) {
				return hi > 0
			}
			ci, cj := cells[i].RolledUp(), cells[j].RolledUp()
			if ci != cj {
				return ci
			}
			return cells[i].Technique.Name < cells[j].Technique.Name
		})
		var col []matrixRow
		for _, c := range cells {
			if !show(c, true) {
				continue
			}
			col = append(col, matrixRow{cell: c})
			if p.expandAll || p.expanded[c.Technique.ID] {
				for _, s := range c.Subs {
					if show(s, false) {
						col = append(col, matrixRow{cell: s, sub: true})
					}
				}
			}
		}
		cols = append(cols, tc)
		rows = append(rows, col)
	}
	return cols, rows
}

// layout returns how many columns fit and their width.
func matrixLayout(w, ncols int) (int, int) {
	const minW = 18
	fitN := max(1, (w+1)/(minW+1))
	fitN = max(min(fitN, ncols), 1)
	return fitN, (w - (fitN - 1)) / fitN
}

func (p *matrixPage) selectedCell(m *Model) *attack.Cell {
	_, rows := p.columns(m)
	if p.col < len(rows) && p.row < len(rows[p.col]) {
		return rows[p.col][p.row].cell
	}
	return nil
}

func (p *matrixPage) update(m *Model, k tea.KeyPressMsg) tea.Cmd {
	cols, rows := p.columns(m)
	if len(cols) == 0 {
		return nil
	}
	p.col = min(p.col, len(cols)-1)
	n := len(rows[p.col])
	c := cursor{pos: p.row, off: p.voff}
	if c.move(k, n, p.rowsH) {
		p.row, p.voff = c.pos, c.off
		return nil
	}
	switch {
	case key.Matches(k, keyLeft):
		p.col = max(p.col-1, 0)
		p.row = min(p.row, max(len(rows[p.col])-1, 0))
	case key.Matches(k, keyRight):
		p.col = min(p.col+1, len(cols)-1)
		p.row = min(p.row, max(len(rows[p.col])-1, 0))
	case key.Matches(k, keyExpand):
		if cell := p.selectedCell(m); cell != nil {
			te := cell.Technique
			if te.Parent != nil {
				te = te.Parent
			}
			p.expanded[te.ID] = !p.expanded[te.ID]
			if te != cell.Technique {
				// Collapsing from a sub-technique: land on its parent.
				for i, r := range rows[p.col] {
					if r.cell.Technique == te {
						p.row = i
					}
				}
			}
		}
	case key.Matches(k, keyExpandAll):
		p.expandAll = !p.expandAll
		if !p.expandAll {
			p.expanded = map[string]bool{}
		}
	case key.Matches(k, keyUncovered):
		p.showUncovered = !p.showUncovered
		p.row, p.voff = 0, 0
	case key.Matches(k, keyEnter):
		if cell := p.selectedCell(m); cell != nil {
			m.push(newTechniquePage(cell.Technique))
		}
	}
	return nil
}

func (p *matrixPage) view(m *Model, w, h int) []string {
	st := &m.st
	cols, rows := p.columns(m)
	if len(cols) == 0 {
		return []string{st.muted.Render("No ATT&CK data.")}
	}
	p.col = max(min(p.col, len(cols)-1), 0)
	p.row = max(min(p.row, len(rows[p.col])-1), 0)
	fitN, cw := matrixLayout(w, len(cols))
	if p.col < p.hoff {
		p.hoff = p.col
	}
	if p.col >= p.hoff+fitN {
		p.hoff = p.col - fitN + 1
	}
	p.hoff = max(min(p.hoff, len(cols)-fitN), 0)
	p.rowsH = max(h-4, 1)
	c := cursor{pos: p.row, off: p.voff}
	c.clamp(len(rows[p.col]), p.rowsH)
	p.voff = c.off

	covered, total := 0, 0
	var hits uint64
	for _, tc := range cols {
		covered += tc.Covered
		total += tc.Total
		hits += tc.Hits
	}
	info := st.header.Render("ATT&CK") + fmt.Sprintf(" %d/%d techniques covered, %d hits", covered, total, hits)
	nav := fmt.Sprintf("tactics %d-%d of %d", p.hoff+1, p.hoff+fitN, len(cols))
	if p.hoff > 0 {
		nav = "◀ " + nav
	}
	if p.hoff+fitN < len(cols) {
		nav += " ▶"
	}
	lines := []string{joinEnds(info, st.muted.Render(nav), w)}

	var names, counts []string
	for i := p.hoff; i < p.hoff+fitN; i++ {
		tc := cols[i]
		name := fit(tacticLabel(tc.Tactic.Name, cw), cw)
		if i == p.col {
			name = st.header.Underline(true).Render(name)
		} else {
			name = st.header.Render(name)
		}
		names = append(names, name)
		count := fmt.Sprintf("%d/%d covered", tc.Covered, tc.Total)
		if tc.Hits > 0 {
			count += fmt.Sprintf(" %d hits", tc.Hits)
		}
		counts = append(counts, st.muted.Render(fit(count, cw)))
	}
	sep := st.muted.Render("│")
	lines = append(lines, strings.Join(names, sep), strings.Join(counts, sep))
	lines = append(lines, st.muted.Render(strings.Repeat("─", w)))
	for r := p.voff; r < p.voff+p.rowsH; r++ {
		var cells []string
		for i := p.hoff; i < p.hoff+fitN; i++ {
			if r >= len(rows[i]) {
				cells = append(cells, strings.Repeat(" ", cw))
				continue
			}
			cells = append(cells, p.cellText(m, rows[i][r], cw, i == p.col && r == p.row))
		}
		lines = append(lines, strings.Join(cells, sep))
	}
	return lines
}

// cellText draws one technique in width cw: id, name, hits; coloured by
// heat, dim when covered but silent, faint when uncovered.
func (p *matrixPage) cellText(m *Model, r matrixRow, cw int, sel bool) string {
	st := &m.st
	te := r.cell.Technique
	hits := r.cell.Hits
	covered := r.cell.Covered()
	marker := " "
	if r.sub {
		marker = " "
	} else {
		hits = r.cell.TotalHits()
		covered = r.cell.RolledUp()
		if len(r.cell.Subs) > 0 {
			marker = "▸"
			if p.expandAll || p.expanded[te.ID] {
				marker = "▾"
			}
		}
	}
	id := te.ID
	if r.sub {
		id = "  " + te.ID[strings.IndexByte(te.ID, '.'):]
	}
	count := ""
	if hits > 0 {
		count = fmt.Sprint(hits)
	}
	left := fit(marker+id+" "+te.Name, cw-len(count)-1)
	text := left + " " + count
	switch {
	case sel:
		return st.selected.Render(fit(text, cw))
	case hits > 0:
		return st.heatOf(hits).Render(text)
	case covered:
		return st.dim.Render(text)
	}
	return st.muted.Faint(true).Render(text)
}

// joinEnds puts left and right on one line of width w.
func joinEnds(left, right string, w int) string {
	gap := w - ansiWidth(left) - ansiWidth(right)
	if gap < 1 {
		return clip(left, w)
	}
	return left + strings.Repeat(" ", gap) + right
}

// newTechniquePage lists a technique's rules and alerts.
func newTechniquePage(te *attack.Technique) *docPage {
	d := &docPage{name: te.ID}
	d.build = func(m *Model, w int) []docLine {
		st := &m.st
		var out []docLine
		add := func(s string, open func(*Model)) { out = append(out, docLine{text: s, open: open}) }
		add(st.header.Render(te.ID+" "+te.Name), nil)
		add(st.muted.Render("tactics ")+tacticNames(te.Tactics), nil)
		if te.Parent != nil {
			add(st.muted.Render("sub-technique of ")+te.Parent.ID+" "+te.Parent.Name, nil)
		}
		ids := map[string]bool{te.ID: true}
		for _, s := range te.Subs {
			ids[s.ID] = true
		}
		// Rules placed on the technique or its sub-techniques, any tactic.
		type ruleRow struct {
			name    string
			enabled bool
			hits    uint64
		}
		seen := map[string]bool{}
		var rules []ruleRow
		for _, tc := range m.cov.Tactics {
			for _, cell := range tc.Techniques {
				for _, c := range append([]*attack.Cell{cell}, cell.Subs...) {
					if !ids[c.Technique.ID] {
						continue
					}
					for _, rh := range c.Rules {
						if !seen[rh.Name] {
							seen[rh.Name] = true
							rules = append(rules, ruleRow{rh.Name, true, rh.Hits})
						}
					}
					for _, rh := range c.Disabled {
						if !seen[rh.Name] {
							seen[rh.Name] = true
							rules = append(rules, ruleRow{rh.Name, false, rh.Hits})
						}
					}
				}
			}
		}
		sort.Slice(rules, func(i, j int) bool { return rules[i].name < rules[j].name })
		add("", nil)
		add(st.header.Render(fmt.Sprintf("Rules (%d)", len(rules))), nil)
		if len(rules) == 0 {
			add(st.muted.Render("  no rule covers this technique"), nil)
		}
		for _, r := range rules {
			mark := "[x]"
			if !r.enabled {
				mark = "[ ]"
			}
			name := r.name
			add(fmt.Sprintf("  %s %s  %d hits", mark, safeShort(name), r.hits), func(m *Model) { m.push(newRulePage(name)) })
		}
		// Alerts, newest first.
		var alerts []docLine
		al := m.store.alerts
		for seq := al.next; seq > al.oldest() && len(alerts) < 200; seq-- {
			rec, _ := al.get(seq - 1)
			v := rec.display(m.cat)
			match := false
			for _, t := range v.techs {
				if ids[t.ID] {
					match = true
				}
			}
			if !match {
				continue
			}
			var open func(*Model)
			if e := rec.a.Event; e != nil && e.Proc != nil {
				proc := e.Proc
				open = func(m *Model) { m.push(newProcPage(proc)) }
			}
			alerts = append(alerts, docLine{text: fmt.Sprintf("  %s %s %s  %s", v.time.Format("15:04:05"),
				st.priority(v.prio).Render(priorityAbbrev(v.prio)), v.rule, v.cmdline), open: open})
		}
		add("", nil)
		add(st.header.Render(fmt.Sprintf("Alerts (%d shown)", len(alerts))), nil)
		if len(alerts) == 0 {
			add(st.muted.Render("  no alerts"), nil)
		}
		return append(out, alerts...)
	}
	return d
}

// tacticShort are abbreviations for tactic names that do not fit a column.
var tacticShort = map[string]string{
	"Privilege Escalation": "Priv. Escalation",
	"Command and Control":  "Command & Control",
	"Resource Development": "Resource Dev.",
}

// tacticLabel is the tactic's name, abbreviated when the column is narrow.
func tacticLabel(name string, w int) string {
	if len(name) > w {
		if s, ok := tacticShort[name]; ok {
			return s
		}
	}
	return name
}
