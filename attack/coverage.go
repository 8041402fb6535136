package attack

import (
	"slices"
	"strings"
)

// RuleRef is what coverage needs to know about one loaded rule.
type RuleRef struct {
	// Name is the rule name.
	Name string
	// Tags are the rule's tags, mapped with MapTags.
	Tags []string
	// Enabled says whether the rule is evaluated; only enabled rules cover.
	Enabled bool
	// Hits is how many times the rule fired.
	Hits uint64
}

// RuleHits is a rule placed in a matrix cell, with its hit count.
type RuleHits struct {
	Name string
	Hits uint64
}

// Cell is the coverage of one technique under one tactic.
type Cell struct {
	Tactic    *Tactic
	Technique *Technique
	// Rules are the enabled rules placed on this cell, sorted by name.
	Rules []RuleHits
	// Disabled are the disabled rules that would be placed on this cell,
	// sorted by name; they do not count as coverage.
	Disabled []RuleHits
	// Hits is the sum of the hits of Rules and Disabled: alerts that fired
	// before a rule was switched off still happened.
	Hits uint64
	// Subs are the cells of the technique's sub-techniques under the same
	// tactic, sorted by id; empty for a sub-technique.
	Subs []*Cell
}

// Covered reports whether an enabled rule covers the cell itself.
func (c *Cell) Covered() bool { return len(c.Rules) > 0 }

// RolledUp reports whether the cell or any of its sub-technique cells is
// covered: how a collapsed matrix shows a technique.
func (c *Cell) RolledUp() bool {
	if c.Covered() {
		return true
	}
	for _, s := range c.Subs {
		if s.Covered() {
			return true
		}
	}
	return false
}

// AllRules returns the enabled rules on the cell and on its sub-technique
// cells, each rule once, sorted by name.
func (c *Cell) AllRules() []RuleHits {
	return mergeRules(c.Rules, c.Subs, func(s *Cell) []RuleHits { return s.Rules })
}

// TotalHits is the hits of the cell rolled up with its sub-techniques, enabled
// and disabled rules alike, each rule counted once even when it is placed on
// both a technique and its sub-technique.
func (c *Cell) TotalHits() uint64 {
	all := mergeRules(append(slices.Clip(c.Rules), c.Disabled...), c.Subs,
		func(s *Cell) []RuleHits { return append(slices.Clip(s.Rules), s.Disabled...) })
	var n uint64
	for _, r := range all {
		n += r.Hits
	}
	return n
}

// mergeRules returns own plus the rules pick finds in subs, each name once,
// sorted by name.
func mergeRules(own []RuleHits, subs []*Cell, pick func(*Cell) []RuleHits) []RuleHits {
	out := slices.Clone(own)
	for _, s := range subs {
		out = addRule(out, pick(s)...)
	}
	slices.SortFunc(out, func(a, b RuleHits) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// addRule appends the rules whose names are not in list yet.
func addRule(list []RuleHits, rules ...RuleHits) []RuleHits {
	for _, r := range rules {
		if !slices.ContainsFunc(list, func(o RuleHits) bool { return o.Name == r.Name }) {
			list = append(list, r)
		}
	}
	return list
}

// TacticCoverage is one column of the matrix.
type TacticCoverage struct {
	Tactic *Tactic
	// Techniques are the cells of every technique (not sub-technique) of the
	// tactic, sorted by id, covered or not; sub-techniques are in Cell.Subs.
	Techniques []*Cell
	// Covered counts the techniques of Techniques that are covered directly or
	// through a sub-technique (Cell.RolledUp).
	Covered int
	// Total is len(Techniques).
	Total int
	// TacticOnly are the enabled rules tagged with this tactic that name no
	// technique under it, sorted by name.
	TacticOnly []RuleHits
	// Hits is the sum of the hits of the rules in this column (placed here, or
	// naming the tactic without a technique under it), enabled or not, each
	// rule counted once.
	Hits uint64
}

// UnknownTag is an ATT&CK-looking tag that is not in the catalog and the rules
// that carry it.
type UnknownTag struct {
	Tag   string
	Rules []string
}

// Coverage is how a set of rules covers the ATT&CK matrix.
type Coverage struct {
	// Tactics are the matrix columns in matrix order.
	Tactics []*TacticCoverage
	// Unknown are the tags of any rule, enabled or not, that look like ATT&CK
	// references but are not in the catalog, sorted by tag.
	Unknown []UnknownTag

	cells map[Placement]*Cell
}

// Cell returns the cell of technique under tactic, or nil if the technique
// does not serve that tactic.
func (cov *Coverage) Cell(tactic *Tactic, technique *Technique) *Cell {
	return cov.cells[Placement{Technique: technique, Tactic: tactic}]
}

// Cells returns the cells of a technique, one per tactic it serves, in matrix order.
func (cov *Coverage) Cells(technique *Technique) []*Cell {
	var out []*Cell
	for _, ta := range technique.Tactics {
		if c := cov.Cell(ta, technique); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// Rules returns the enabled rules covering a technique under any tactic, each
// once, sorted by name.
func (cov *Coverage) Rules(technique *Technique) []RuleHits {
	var out []RuleHits
	for _, c := range cov.Cells(technique) {
		out = addRule(out, c.Rules...)
	}
	slices.SortFunc(out, func(a, b RuleHits) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// CoveredTechniques returns the techniques and sub-techniques that at least
// one enabled rule covers, sorted by id.
func (cov *Coverage) CoveredTechniques() []*Technique {
	var out []*Technique
	for p, c := range cov.cells {
		if c.Covered() && !slices.Contains(out, p.Technique) {
			out = append(out, p.Technique)
		}
	}
	slices.SortFunc(out, func(a, b *Technique) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Coverage computes how rules cover the matrix. Each rule is placed with
// MapTags(rule.Tags).Placements; enabled rules cover their cells, disabled
// ones are listed apart and only add their hits.
func (c *Catalog) Coverage(rules []RuleRef) *Coverage {
	cov := &Coverage{cells: make(map[Placement]*Cell)}
	for _, ta := range c.tactics {
		tc := &TacticCoverage{Tactic: ta}
		for _, te := range c.perTactic[ta] {
			cell := &Cell{Tactic: ta, Technique: te}
			cov.cells[Placement{Technique: te, Tactic: ta}] = cell
			if te.Parent == nil {
				tc.Techniques = append(tc.Techniques, cell)
			}
		}
		for _, te := range c.perTactic[ta] {
			if te.Parent != nil {
				parent := cov.cells[Placement{Technique: te.Parent, Tactic: ta}]
				parent.Subs = append(parent.Subs, cov.cells[Placement{Technique: te, Tactic: ta}])
			}
		}
		tc.Total = len(tc.Techniques)
		cov.Tactics = append(cov.Tactics, tc)
	}

	unknown := map[string][]string{}
	columnRules := make([][]RuleHits, len(c.tactics))
	for _, r := range rules {
		m := c.MapTags(r.Tags)
		for _, u := range m.Unknown {
			unknown[u] = append(unknown[u], r.Name)
		}
		rh := RuleHits{Name: r.Name, Hits: r.Hits}
		for _, p := range m.Placements {
			cell := cov.cells[p]
			if r.Enabled {
				cell.Rules = append(cell.Rules, rh)
			} else {
				cell.Disabled = append(cell.Disabled, rh)
			}
			cell.Hits += r.Hits
		}
		// A rule belongs to the columns it is placed in, and to the tactics it
		// names without placing a technique there.
		for _, ta := range m.Tactics {
			placed := slices.ContainsFunc(m.Placements, func(p Placement) bool { return p.Tactic == ta })
			tacticOnly := !placed && slices.Contains(m.Named, ta)
			if tacticOnly && r.Enabled {
				cov.Tactics[ta.Order].TacticOnly = append(cov.Tactics[ta.Order].TacticOnly, rh)
			}
			if placed || tacticOnly {
				columnRules[ta.Order] = addRule(columnRules[ta.Order], rh)
			}
		}
	}

	byName := func(a, b RuleHits) int { return strings.Compare(a.Name, b.Name) }
	for _, cell := range cov.cells {
		slices.SortFunc(cell.Rules, byName)
		slices.SortFunc(cell.Disabled, byName)
	}
	for i, tc := range cov.Tactics {
		slices.SortFunc(tc.TacticOnly, byName)
		for _, cell := range tc.Techniques {
			if cell.RolledUp() {
				tc.Covered++
			}
		}
		for _, r := range columnRules[i] {
			tc.Hits += r.Hits
		}
	}
	for tag, names := range unknown {
		cov.Unknown = append(cov.Unknown, UnknownTag{Tag: tag, Rules: names})
	}
	slices.SortFunc(cov.Unknown, func(a, b UnknownTag) int { return strings.Compare(a.Tag, b.Tag) })
	return cov
}
