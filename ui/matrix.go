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
	mode          cellMode
	ids           bool // the last view drew IDs: what the toggle flips from
	rowsH         int
}

// cellMode is what a matrix cell names its technique by.
type cellMode int

// Cell modes. The default, cellAuto, draws technique names when every
// tactic fits with them, and IDs when only IDs let every tactic fit: at
// 160 columns (a common SSH window) names show 8 of the 12 tactics and
// page, while IDs show the whole matrix at once, which is the point of an
// ATT&CK matrix (seeing where activity falls across tactics, as Navigator
// does); the names are one enter away and `i` forces them back with
// paging. When not even IDs fit (80 columns) the matrix pages anyway, so
// auto keeps names, which say more per cell; `i` still forces IDs, which
// page over fewer screens. A choice made with `i` sticks across resizes.
const (
	cellAuto cellMode = iota
	cellNames
	cellIDs
)

// Minimum column widths: with names ("▸T1059 Command a… 1") and with IDs
// ("▸T1059     3": room for a 5-digit count; " T1059.004 3" under an
// expanded parent). 12 tactics need
// 12*19-1 = 227 columns with names and 12*13-1 = 155 with IDs.
const (
	namesMinW = 18
	idsMinW   = 12
)

// allFit reports whether ncols columns of at least minW cells and their
// separators fit in w cells.
func allFit(w, ncols, minW int) bool { return ncols*(minW+1)-1 <= w }

// useIDs reports whether cells show IDs at width w for ncols tactics.
func (p *matrixPage) useIDs(w, ncols int) bool {
	switch p.mode {
	case cellNames:
		return false
	case cellIDs:
		return true
	}
	return !allFit(w, ncols, namesMinW) && allFit(w, ncols, idsMinW)
}

// modeLabel names the cell mode for the header line.
func (p *matrixPage) modeLabel() string {
	switch {
	case !p.ids:
		return "names"
	case p.mode == cellAuto:
		return "IDs (auto)"
	}
	return "IDs"
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
	i := keyIDs
	if p.ids {
		i.SetHelp("i", "show names")
	} else {
		i.SetHelp("i", "show IDs")
	}
	return []key.Binding{keyEnter, keyLeft, keyRight, keyExpand, keyExpandAll, u, i}
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

// matrixLayout returns how many columns of at least minW cells fit in w
// and their width.
func matrixLayout(w, ncols, minW int) (int, int) {
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
	case key.Matches(k, keyIDs):
		if p.ids {
			p.mode = cellNames
		} else {
			p.mode = cellIDs
		}
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
	p.ids = p.useIDs(w, len(cols))
	minW := namesMinW
	if p.ids {
		minW = idsMinW
	}
	fitN, cw := matrixLayout(w, len(cols), minW)
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
	nav := fmt.Sprintf("%s · tactics %d-%d of %d", p.modeLabel(), p.hoff+1, p.hoff+fitN, len(cols))
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
		counts = append(counts, st.muted.Render(fit(tacticCount(tc, cw), cw)))
	}
	sep := st.muted.Render("│")
	lines = append(lines, strings.Join(names, sep), strings.Join(counts, sep))
	lines = append(lines, st.muted.Render(strings.Repeat("─", w)))
	// With IDs, a column gives its sub-techniques their full IDs when
	// every one of them fits with its count, else the ".004" of names.
	fullSubs := make([]bool, fitN)
	if p.ids {
		for i := range fullSubs {
			fullSubs[i] = subIDsFit(rows[p.hoff+i], cw)
		}
	}
	for r := p.voff; r < p.voff+p.rowsH; r++ {
		var cells []string
		for i := p.hoff; i < p.hoff+fitN; i++ {
			if r >= len(rows[i]) {
				cells = append(cells, strings.Repeat(" ", cw))
				continue
			}
			cells = append(cells, p.cellText(m, rows[i][r], cw, i == p.col && r == p.row, fullSubs[i-p.hoff]))
		}
		lines = append(lines, strings.Join(cells, sep))
	}
	return lines
}

// tacticCount is a tactic's coverage and hits in at most w cells when it
// can: "1/12 covered 3 hits", shortened for narrow (ID) columns.
func tacticCount(tc *attack.TacticCoverage, w int) string {
	count := fmt.Sprintf("%d/%d covered", tc.Covered, tc.Total)
	if tc.Hits == 0 {
		return count
	}
	forms := []string{
		fmt.Sprintf("%s %d hits", count, tc.Hits),
		fmt.Sprintf("%d/%d cov. %d hits", tc.Covered, tc.Total, tc.Hits),
		fmt.Sprintf("%d/%d, %d hits", tc.Covered, tc.Total, tc.Hits),
	}
	for _, f := range forms {
		if len(f) <= w {
			return f
		}
	}
	return fmt.Sprintf("%d/%d, %d", tc.Covered, tc.Total, tc.Hits)
}

// subIDsFit reports whether every sub-technique row of a column fits in
// cw cells with its full ID and count: " T1059.004 12".
func subIDsFit(rows []matrixRow, cw int) bool {
	for _, r := range rows {
		if !r.sub {
			continue
		}
		n := 1 + len(r.cell.Technique.ID)
		if r.cell.Hits > 0 {
			n += 1 + len(fmt.Sprint(r.cell.Hits))
		}
		if n > cw {
			return false
		}
	}
	return true
}

// cellText draws one technique in width cw: id, name (or, in ID mode, the
// id alone), hits; coloured by heat, dim when covered but silent, faint
// when uncovered. fullSub gives a sub-technique its full ID in ID mode.
func (p *matrixPage) cellText(m *Model, r matrixRow, cw int, sel, fullSub bool) string {
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
	if r.sub && !(p.ids && fullSub) {
		id = "  " + te.ID[strings.IndexByte(te.ID, '.'):]
	}
	count := ""
	if hits > 0 {
		count = fmt.Sprint(hits)
	}
	label := marker + id + " " + te.Name
	if p.ids {
		label = marker + id
	}
	left := fit(label, cw-len(count)-1)
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

// tacticShort are abbreviations for tactic names that do not fit a
// column of names; tacticTiny are shorter ones for columns of IDs.
var (
	tacticShort = map[string]string{
		"Privilege Escalation": "Priv. Escalation",
		"Command and Control":  "Command & Control",
		"Resource Development": "Resource Dev.",
	}
	tacticTiny = map[string]string{
		"Reconnaissance":       "Recon.",
		"Resource Development": "Resource Dev",
		"Initial Access":       "Init. Access",
		"Privilege Escalation": "Priv. Esc.",
		"Defense Evasion":      "Def. Evasion",
		"Credential Access":    "Cred. Access",
		"Lateral Movement":     "Lateral Mvmt",
		"Command and Control":  "Cmd & Ctrl",
		"Exfiltration":         "Exfil.",
	}
)

// tacticLabel is the tactic's name, abbreviated as little as the column
// width w needs; the shortest form when none fits.
func tacticLabel(name string, w int) string {
	label := name
	for _, abbr := range []map[string]string{tacticShort, tacticTiny} {
		if len(label) <= w {
			return label
		}
		if s, ok := abbr[name]; ok {
			label = s
		}
	}
	return label
}
