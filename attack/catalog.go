// Package attack is the MITRE ATT&CK® Enterprise catalog (Linux and Containers
// platforms) embedded in ttpwatch, and the mapping from rule tags to its tactics
// and techniques: coverage of a ruleset and ATT&CK Navigator layers.
//
// The data in data/ is © 2025 The MITRE Corporation, reproduced under MITRE's
// licence; see data/SOURCE.md and the NOTICE file at the repository root.
package attack

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

//go:embed data/attack-enterprise-linux.json
var catalogJSON []byte

// Tactic is an ATT&CK tactic, a column of the matrix.
type Tactic struct {
	// ID is the ATT&CK id, e.g. "TA0003".
	ID string
	// ShortName is the kill-chain phase name used by STIX and Navigator, e.g.
	// "privilege-escalation".
	ShortName string
	// Name is the display name, e.g. "Privilege Escalation".
	Name string
	// Order is the column index in the Enterprise matrix, from 0.
	Order int
}

// Technique is an ATT&CK technique or sub-technique.
type Technique struct {
	// ID is the ATT&CK id, e.g. "T1059" or "T1059.004".
	ID string
	// Name is the display name, e.g. "Unix Shell".
	Name string
	// Tactics are the tactics the technique serves, in matrix order.
	Tactics []*Tactic
	// Parent is the technique a sub-technique belongs to; nil for a technique.
	Parent *Technique
	// Subs are the sub-techniques of a technique, sorted by id.
	Subs []*Technique
	// Platforms are the ATT&CK platforms the technique applies to, as in the data.
	Platforms []string
}

// IsSub reports whether t is a sub-technique.
func (t *Technique) IsSub() bool { return t.Parent != nil }

// HasTactic reports whether t serves the tactic ta.
func (t *Technique) HasTactic(ta *Tactic) bool { return slices.Contains(t.Tactics, ta) }

// Catalog is a parsed ATT&CK catalog. It is immutable and safe for concurrent use.
type Catalog struct {
	version    string
	source     string
	tactics    []*Tactic
	tacticKey  map[string]*Tactic // normalised id, short name, name and tag -> tactic
	techniques []*Technique       // sorted by id
	byID       map[string]*Technique
	perTactic  map[*Tactic][]*Technique
}

// catalogFile is the layout of attack-enterprise-linux.json.
type catalogFile struct {
	Version string `json:"version"`
	Tactics []struct {
		ID        string `json:"id"`
		ShortName string `json:"shortname"`
		Name      string `json:"name"`
	} `json:"tactics"`
	Techniques []struct {
		ID        string   `json:"id"`
		Name      string   `json:"name"`
		Tactics   []string `json:"tactics"`
		Platforms []string `json:"platforms"`
		Parent    *string  `json:"parent"`
	} `json:"techniques"`
}

var (
	defaultOnce    sync.Once
	defaultCatalog *Catalog
)

// Default returns the embedded catalog, parsed on first use. The embedded data
// is checked by the package tests, so a parse failure is a build defect and
// panics.
func Default() *Catalog {
	defaultOnce.Do(func() {
		c, err := Parse(catalogJSON)
		if err != nil {
			panic(fmt.Sprintf("attack: embedded catalog: %v", err))
		}
		defaultCatalog = c
	})
	return defaultCatalog
}

var versionRE = regexp.MustCompile(`v(\d+(?:\.\d+)*)`)

// Parse builds a catalog from JSON in the layout of the embedded
// data/attack-enterprise-linux.json.
func Parse(data []byte) (*Catalog, error) {
	var f catalogFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse ATT&CK catalog: %w", err)
	}
	c := &Catalog{
		source:    f.Version,
		version:   f.Version,
		tacticKey: make(map[string]*Tactic),
		byID:      make(map[string]*Technique, len(f.Techniques)),
		perTactic: make(map[*Tactic][]*Technique),
	}
	if m := versionRE.FindStringSubmatch(f.Version); m != nil {
		c.version = m[1]
	}
	byShort := make(map[string]*Tactic)
	for i, t := range f.Tactics {
		if t.ID == "" || t.ShortName == "" || t.Name == "" {
			return nil, fmt.Errorf("parse ATT&CK catalog: tactic %d: id, shortname and name are required", i)
		}
		ta := &Tactic{ID: t.ID, ShortName: t.ShortName, Name: t.Name, Order: i}
		if _, dup := byShort[t.ShortName]; dup {
			return nil, fmt.Errorf("parse ATT&CK catalog: tactic %q listed twice", t.ShortName)
		}
		byShort[t.ShortName] = ta
		c.tactics = append(c.tactics, ta)
		for _, k := range []string{t.ID, t.ShortName, t.Name} {
			c.tacticKey[tacticKey(k)] = ta
		}
	}
	for _, t := range f.Techniques {
		if !techniqueRE.MatchString(t.ID) {
			return nil, fmt.Errorf("parse ATT&CK catalog: technique id %q is not of the form T1234 or T1234.001", t.ID)
		}
		if _, dup := c.byID[t.ID]; dup {
			return nil, fmt.Errorf("parse ATT&CK catalog: technique %s listed twice", t.ID)
		}
		te := &Technique{ID: t.ID, Name: t.Name, Platforms: t.Platforms}
		for _, s := range t.Tactics {
			ta, ok := byShort[s]
			if !ok {
				return nil, fmt.Errorf("parse ATT&CK catalog: technique %s: unknown tactic %q", t.ID, s)
			}
			te.Tactics = append(te.Tactics, ta)
		}
		slices.SortFunc(te.Tactics, func(a, b *Tactic) int { return a.Order - b.Order })
		te.Tactics = slices.Compact(te.Tactics)
		c.byID[t.ID] = te
		c.techniques = append(c.techniques, te)
	}
	for _, t := range f.Techniques {
		if t.Parent == nil {
			continue
		}
		te, p := c.byID[t.ID], c.byID[*t.Parent]
		if p == nil {
			return nil, fmt.Errorf("parse ATT&CK catalog: technique %s: parent %s not in the catalog", t.ID, *t.Parent)
		}
		if !strings.HasPrefix(t.ID, p.ID+".") {
			return nil, fmt.Errorf("parse ATT&CK catalog: technique %s: parent %s does not match its id", t.ID, p.ID)
		}
		te.Parent = p
		p.Subs = append(p.Subs, te)
	}
	byID := func(a, b *Technique) int { return strings.Compare(a.ID, b.ID) }
	// Ids are fixed-width, so string order puts each technique right before its
	// sub-techniques.
	slices.SortFunc(c.techniques, byID)
	for _, te := range c.techniques {
		slices.SortFunc(te.Subs, byID)
		for _, ta := range te.Tactics {
			c.perTactic[ta] = append(c.perTactic[ta], te)
		}
	}
	return c, nil
}

// tacticKey normalises the ways a tactic is named ("TA0003", "persistence",
// "mitre_privilege_escalation", "Privilege Escalation", "privilege-escalation")
// to one lookup key.
func tacticKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "mitre_")
	return strings.Map(func(r rune) rune {
		if r == '_' || r == ' ' {
			return '-'
		}
		return r
	}, s)
}

// Version returns the ATT&CK version of the catalog, e.g. "18.1".
func (c *Catalog) Version() string { return c.version }

// Source returns the full provenance line of the data (version, repository, commit).
func (c *Catalog) Source() string { return c.source }

// Tactics returns every tactic in matrix order. The slice must not be modified.
func (c *Catalog) Tactics() []*Tactic { return c.tactics }

// Tactic finds a tactic by id ("TA0003"), short name ("persistence",
// "privilege-escalation"), rule tag ("mitre_privilege_escalation") or display
// name ("Privilege Escalation"), ignoring case.
func (c *Catalog) Tactic(idOrShortOrTag string) (*Tactic, bool) {
	ta, ok := c.tacticKey[tacticKey(idOrShortOrTag)]
	return ta, ok
}

// Technique finds a technique or sub-technique by id, ignoring case
// ("T1059.004", "t1059.004").
func (c *Catalog) Technique(id string) (*Technique, bool) {
	te, ok := c.byID[strings.ToUpper(strings.TrimSpace(id))]
	return te, ok
}

// Techniques returns the techniques and sub-techniques of a tactic sorted by id,
// so each technique comes right before its sub-techniques. The slice must not be
// modified.
func (c *Catalog) Techniques(tactic *Tactic) []*Technique { return c.perTactic[tactic] }

// AllTechniques returns every technique and sub-technique sorted by id. The
// slice must not be modified.
func (c *Catalog) AllTechniques() []*Technique { return c.techniques }
