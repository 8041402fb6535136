package attack

import (
	"regexp"
	"slices"
	"strings"
)

var (
	techniqueRE = regexp.MustCompile(`^[Tt][0-9]{4}(\.[0-9]{3})?$`)
	tacticIDRE  = regexp.MustCompile(`^[Tt][Aa][0-9]{4}$`)
)

// Mapping is what a rule's tags say about ATT&CK.
type Mapping struct {
	// Tactics are the tactics named by mitre_<tactic> or TA#### tags plus the
	// tactics of the named techniques, in matrix order, without duplicates.
	Tactics []*Tactic
	// Named are the tactics the tags name themselves (mitre_<tactic>, TA####),
	// in matrix order, a subset of Tactics.
	Named []*Tactic
	// Techniques are the named techniques and sub-techniques, sorted by id,
	// without duplicates.
	Techniques []*Technique
	// Placements are the (technique, tactic) cells of the matrix the rule
	// covers; see MapTags.
	Placements []Placement
	// Unknown are the tags that look like ATT&CK references but are not in the
	// catalog: mitre_ tags that name no tactic (Falco's legacy
	// mitre_remote_service), and technique or tactic ids that are not in the
	// Linux/Containers catalog (e.g. Windows-only techniques). Tag order, no
	// duplicates.
	Unknown []string
}

// Placement is one cell of the ATT&CK matrix: a technique under one of its tactics.
type Placement struct {
	Technique *Technique
	Tactic    *Tactic
}

// TagKind says what an ATT&CK-looking tag names.
type TagKind int

// The kinds of tag ClassifyTag recognises.
const (
	// TagOther is a tag that is not an ATT&CK reference ("container", "host").
	TagOther TagKind = iota
	// TagTactic is a mitre_<tactic> tag or a TA#### tactic id.
	TagTactic
	// TagTechnique is a T#### or T####.### technique id.
	TagTechnique
)

// ClassifyTag says whether tag has the shape of an ATT&CK reference, whether
// or not the catalog holds it.
func ClassifyTag(tag string) TagKind {
	switch {
	case tacticIDRE.MatchString(tag):
		return TagTactic
	case techniqueRE.MatchString(tag):
		return TagTechnique
	case len(tag) > len("mitre_") && strings.EqualFold(tag[:len("mitre_")], "mitre_"):
		return TagTactic
	}
	return TagOther
}

// MapTags maps a rule's tags to the catalog. It recognises mitre_<tactic> tags
// (mitre_privilege_escalation, mitre_command_and_control: underscores stand for
// the hyphens of the short name), tactic ids (TA0003) and technique ids (T1490,
// T1059.004, in any case). A technique implies its tactics. Tags that are not
// ATT&CK references are ignored; ATT&CK references missing from the catalog go
// to Unknown.
//
// Placements put each technique under the tactics the rule names, if it names
// any the technique serves, and otherwise under all its tactics: a rule tagged
// [mitre_persistence, T1053.003] covers Cron under Persistence only, one tagged
// [T1053.003] covers it under Execution, Persistence and Privilege Escalation.
func (c *Catalog) MapTags(tags []string) Mapping {
	var m Mapping
	var named []*Tactic
	for _, tag := range tags {
		tag = strings.TrimSpace(tag)
		switch ClassifyTag(tag) {
		case TagTactic:
			if ta, ok := c.Tactic(tag); ok {
				if !slices.Contains(named, ta) {
					named = append(named, ta)
				}
				continue
			}
		case TagTechnique:
			if te, ok := c.Technique(tag); ok {
				if !slices.Contains(m.Techniques, te) {
					m.Techniques = append(m.Techniques, te)
				}
				continue
			}
		default:
			continue
		}
		if !slices.Contains(m.Unknown, tag) {
			m.Unknown = append(m.Unknown, tag)
		}
	}
	slices.SortFunc(m.Techniques, func(a, b *Technique) int { return strings.Compare(a.ID, b.ID) })

	slices.SortFunc(named, func(a, b *Tactic) int { return a.Order - b.Order })
	m.Named = named
	m.Tactics = append(m.Tactics, named...)
	for _, te := range m.Techniques {
		var under []*Tactic
		for _, ta := range te.Tactics {
			if slices.Contains(named, ta) {
				under = append(under, ta)
			}
		}
		if len(under) == 0 {
			under = te.Tactics
		}
		for _, ta := range under {
			m.Placements = append(m.Placements, Placement{Technique: te, Tactic: ta})
		}
		for _, ta := range te.Tactics {
			if !slices.Contains(m.Tactics, ta) {
				m.Tactics = append(m.Tactics, ta)
			}
		}
	}
	slices.SortFunc(m.Tactics, func(a, b *Tactic) int { return a.Order - b.Order })
	slices.SortFunc(m.Placements, func(a, b Placement) int {
		if a.Tactic != b.Tactic {
			return a.Tactic.Order - b.Tactic.Order
		}
		return strings.Compare(a.Technique.ID, b.Technique.ID)
	})
	return m
}
