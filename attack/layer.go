package attack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Navigator layer format written by Layer: ATT&CK Navigator 5.1, layer format 4.5.
const (
	NavigatorVersion = "5.1.0"
	LayerVersion     = "4.5"
	LayerDomain      = "enterprise-attack"
)

// The layer file, in the field order of Navigator's own exports.
type layer struct {
	Name                          string           `json:"name"`
	Versions                      layerVersions    `json:"versions"`
	Domain                        string           `json:"domain"`
	Description                   string           `json:"description"`
	Filters                       layerFilters     `json:"filters"`
	Sorting                       int              `json:"sorting"`
	Layout                        layerLayout      `json:"layout"`
	HideDisabled                  bool             `json:"hideDisabled"`
	Techniques                    []layerTechnique `json:"techniques"`
	Gradient                      layerGradient    `json:"gradient"`
	LegendItems                   []any            `json:"legendItems"`
	Metadata                      []layerMetadata  `json:"metadata"`
	ShowTacticRowBackground       bool             `json:"showTacticRowBackground"`
	SelectTechniquesAcrossTactics bool             `json:"selectTechniquesAcrossTactics"`
	SelectSubtechniquesWithParent bool             `json:"selectSubtechniquesWithParent"`
}

type layerVersions struct {
	Attack    string `json:"attack"`
	Navigator string `json:"navigator"`
	Layer     string `json:"layer"`
}

type layerFilters struct {
	Platforms []string `json:"platforms"`
}

type layerLayout struct {
	Layout   string `json:"layout"`
	ShowID   bool   `json:"showID"`
	ShowName bool   `json:"showName"`
}

type layerTechnique struct {
	TechniqueID       string          `json:"techniqueID"`
	Tactic            string          `json:"tactic"`
	Score             int             `json:"score"`
	Comment           string          `json:"comment"`
	Enabled           bool            `json:"enabled"`
	Metadata          []layerMetadata `json:"metadata"`
	ShowSubtechniques bool            `json:"showSubtechniques"`
}

type layerGradient struct {
	Colors   []string `json:"colors"`
	MinValue int      `json:"minValue"`
	MaxValue int      `json:"maxValue"`
}

type layerMetadata struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Layer renders coverage as an ATT&CK Navigator layer (format 4.5, domain
// enterprise-attack, filtered to the Linux and Containers platforms) named name.
//
// There is one entry per covered (technique, tactic) cell. The score is the
// number of enabled rules covering the cell; a technique's score also counts
// the rules on its sub-techniques (each rule once), and it shows its
// sub-techniques when any is covered. The comment and the metadata list the
// rules and their hits. Techniques nobody covers are left out, so Navigator
// shows them blank.
func (c *Catalog) Layer(cov *Coverage, name string) ([]byte, error) {
	l := layer{
		Name: name,
		Versions: layerVersions{
			Attack:    c.majorVersion(),
			Navigator: NavigatorVersion,
			Layer:     LayerVersion,
		},
		Domain: LayerDomain,
		Description: fmt.Sprintf("ATT&CK v%s techniques covered by enabled ttpwatch rules. "+
			"Score: number of enabled rules covering the technique (with its sub-techniques); "+
			"the comment lists the rules and their hits.", c.version),
		Filters:                       layerFilters{Platforms: []string{"Linux", "Containers"}},
		Layout:                        layerLayout{Layout: "side", ShowID: true, ShowName: true},
		Techniques:                    []layerTechnique{},
		Gradient:                      layerGradient{Colors: []string{"#ffffffff", "#66b1ffff", "#ff6666ff"}, MinValue: 0, MaxValue: 1},
		LegendItems:                   []any{},
		Metadata:                      []layerMetadata{},
		SelectTechniquesAcrossTactics: true,
	}
	add := func(cell *Cell, rules []RuleHits, showSubs bool) {
		names := make([]string, len(rules))
		var hits uint64
		for i, r := range rules {
			names[i] = r.Name
			if r.Hits > 0 {
				names[i] += " (" + strconv.FormatUint(r.Hits, 10) + " hits)"
			}
			hits += r.Hits
		}
		comment := "Rules: " + strings.Join(names, "; ")
		if showSubs {
			comment += " (including sub-techniques)"
		}
		l.Techniques = append(l.Techniques, layerTechnique{
			TechniqueID: cell.Technique.ID,
			Tactic:      cell.Tactic.ShortName,
			Score:       len(rules),
			Comment:     comment,
			Enabled:     true,
			Metadata: []layerMetadata{
				{Name: "rules", Value: strings.Join(names, "; ")},
				{Name: "hits", Value: strconv.FormatUint(hits, 10)},
			},
			ShowSubtechniques: showSubs,
		})
		l.Gradient.MaxValue = max(l.Gradient.MaxValue, len(rules))
	}
	for _, tc := range cov.Tactics {
		for _, cell := range tc.Techniques {
			if !cell.RolledUp() {
				continue
			}
			add(cell, cell.AllRules(), anySubCovered(cell))
			for _, sub := range cell.Subs {
				if sub.Covered() {
					add(sub, sub.Rules, false)
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "ATT&CK" and rule names readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(l); err != nil {
		return nil, fmt.Errorf("encode Navigator layer %q: %w", name, err)
	}
	return buf.Bytes(), nil
}

// anySubCovered reports whether an enabled rule covers a sub-technique of cell.
func anySubCovered(cell *Cell) bool {
	for _, s := range cell.Subs {
		if s.Covered() {
			return true
		}
	}
	return false
}

// majorVersion is the ATT&CK major version Navigator expects ("18" for 18.1).
func (c *Catalog) majorVersion() string {
	major, _, _ := strings.Cut(c.version, ".")
	return major
}
