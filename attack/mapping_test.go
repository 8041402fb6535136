package attack

import (
	"fmt"
	"slices"
	"testing"
)

func TestMapTags(t *testing.T) {
	c := Default()
	tests := []struct {
		name           string
		tags           []string
		wantTactics    []string // ids, matrix order
		wantNamed      []string
		wantTechniques []string
		wantPlacements []string // "technique@tactic-shortname", tactic order then id
		wantUnknown    []string
	}{
		{
			name:           "seed rule",
			tags:           []string{"mitre_impact", "inhibit_system_recovery", "T1490"},
			wantTactics:    []string{"TA0040"},
			wantNamed:      []string{"TA0040"},
			wantTechniques: []string{"T1490"},
			wantPlacements: []string{"T1490@impact"},
		},
		{
			name:           "technique implies its tactic",
			tags:           []string{"T1059.004"},
			wantTactics:    []string{"TA0002"},
			wantTechniques: []string{"T1059.004"},
			wantPlacements: []string{"T1059.004@execution"},
		},
		{
			name:           "lower-case technique id",
			tags:           []string{"t1059.004", "container"},
			wantTactics:    []string{"TA0002"},
			wantTechniques: []string{"T1059.004"},
			wantPlacements: []string{"T1059.004@execution"},
		},
		{
			name:        "tactic only",
			tags:        []string{"mitre_privilege_escalation", "host"},
			wantTactics: []string{"TA0004"},
			wantNamed:   []string{"TA0004"},
		},
		{
			name:        "multi-word tactics with underscores",
			tags:        []string{"mitre_command_and_control", "mitre_defense_evasion", "mitre_credential_access", "mitre_lateral_movement", "mitre_initial_access", "mitre_resource_development"},
			wantTactics: []string{"TA0042", "TA0001", "TA0005", "TA0006", "TA0008", "TA0011"},
			wantNamed:   []string{"TA0042", "TA0001", "TA0005", "TA0006", "TA0008", "TA0011"},
		},
		{
			name:        "tactic id and duplicates",
			tags:        []string{"TA0003", "mitre_persistence", "ta0003"},
			wantTactics: []string{"TA0003"},
			wantNamed:   []string{"TA0003"},
		},
		{
			name:           "multi-tactic technique, no tactic named: every tactic",
			tags:           []string{"T1053.003"},
			wantTactics:    []string{"TA0002", "TA0003", "TA0004"},
			wantTechniques: []string{"T1053.003"},
			wantPlacements: []string{"T1053.003@execution", "T1053.003@persistence", "T1053.003@privilege-escalation"},
		},
		{
			name:           "multi-tactic technique narrowed by the named tactic",
			tags:           []string{"mitre_persistence", "T1053.003"},
			wantTactics:    []string{"TA0002", "TA0003", "TA0004"},
			wantNamed:      []string{"TA0003"},
			wantTechniques: []string{"T1053.003"},
			wantPlacements: []string{"T1053.003@persistence"},
		},
		{
			name:           "named tactic the technique does not serve does not narrow it",
			tags:           []string{"mitre_execution", "T1490"},
			wantTactics:    []string{"TA0002", "TA0040"},
			wantNamed:      []string{"TA0002"},
			wantTechniques: []string{"T1490"},
			wantPlacements: []string{"T1490@impact"},
		},
		{
			name:           "technique and sub-technique, sorted",
			tags:           []string{"T1059.004", "T1059"},
			wantTactics:    []string{"TA0002"},
			wantTechniques: []string{"T1059", "T1059.004"},
			wantPlacements: []string{"T1059@execution", "T1059.004@execution"},
		},
		{
			name:        "unknown: legacy Falco tag, Windows-only technique, unknown tactic id",
			tags:        []string{"mitre_remote_service", "T1547.001", "TA0099", "T1547.001", "T9999"},
			wantUnknown: []string{"mitre_remote_service", "T1547.001", "TA0099", "T9999"},
		},
		{
			name: "not ATT&CK references are ignored",
			tags: []string{"process", "T1", "T12345", "T1059.4", "TA03", "mitre", "mitre_", ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := c.MapTags(tt.tags)
			check(t, "Tactics", ids(m.Tactics), tt.wantTactics)
			check(t, "Named", ids(m.Named), tt.wantNamed)
			check(t, "Techniques", techIDs(m.Techniques), tt.wantTechniques)
			var pl []string
			for _, p := range m.Placements {
				pl = append(pl, fmt.Sprintf("%s@%s", p.Technique.ID, p.Tactic.ShortName))
			}
			check(t, "Placements", pl, tt.wantPlacements)
			check(t, "Unknown", m.Unknown, tt.wantUnknown)
		})
	}
}

func TestClassifyTag(t *testing.T) {
	tests := []struct {
		tag  string
		want TagKind
	}{
		{"T1490", TagTechnique},
		{"t1059.004", TagTechnique},
		{"TA0003", TagTactic},
		{"mitre_persistence", TagTactic},
		{"MITRE_anything", TagTactic},
		{"mitre_", TagOther},
		{"container", TagOther},
		{"T1059.04", TagOther},
	}
	for _, tt := range tests {
		if got := ClassifyTag(tt.tag); got != tt.want {
			t.Errorf("ClassifyTag(%q) = %d, want %d", tt.tag, got, tt.want)
		}
	}
}

func check(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func ids(ts []*Tactic) []string {
	var out []string
	for _, ta := range ts {
		out = append(out, ta.ID)
	}
	return out
}

func techIDs(ts []*Technique) []string {
	var out []string
	for _, te := range ts {
		out = append(out, te.ID)
	}
	return out
}
