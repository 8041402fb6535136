package attack

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestDefaultCatalogLoads(t *testing.T) {
	c := Default()
	if got := len(c.Tactics()); got != 14 {
		t.Errorf("tactics: got %d, want 14", got)
	}
	if got := len(c.AllTechniques()); got != 367 {
		t.Errorf("techniques: got %d, want 367", got)
	}
	var parents, subs int
	for _, te := range c.AllTechniques() {
		if te.IsSub() {
			subs++
			if !strings.HasPrefix(te.ID, te.Parent.ID+".") || !slices.Contains(te.Parent.Subs, te) {
				t.Errorf("%s: parent %s does not link back", te.ID, te.Parent.ID)
			}
		} else {
			parents++
		}
		if len(te.Tactics) == 0 || te.Name == "" || len(te.Platforms) == 0 {
			t.Errorf("%s: incomplete: %+v", te.ID, te)
		}
	}
	if parents != 158 || subs != 209 {
		t.Errorf("got %d techniques and %d sub-techniques, want 158 and 209 (SOURCE.md)", parents, subs)
	}
	if c.Version() != "18.1" {
		t.Errorf("Version() = %q, want 18.1", c.Version())
	}
	if !strings.Contains(c.Source(), "421deacb77191b38bdd1bf63268954e93da91365") {
		t.Errorf("Source() = %q, want the mitre/cti commit", c.Source())
	}
	if Default() != c {
		t.Error("Default() returned a different catalog on the second call")
	}
}

func TestTacticsMatrixOrder(t *testing.T) {
	want := []string{"TA0043", "TA0042", "TA0001", "TA0002", "TA0003", "TA0004", "TA0005",
		"TA0006", "TA0007", "TA0008", "TA0009", "TA0011", "TA0010", "TA0040"}
	for i, ta := range Default().Tactics() {
		if ta.ID != want[i] || ta.Order != i {
			t.Errorf("tactic %d: got %s order %d, want %s order %d", i, ta.ID, ta.Order, want[i], i)
		}
	}
}

func TestTacticLookup(t *testing.T) {
	c := Default()
	tests := []struct {
		in     string
		wantID string // "" = not found
	}{
		{"TA0003", "TA0003"},
		{"ta0003", "TA0003"},
		{"persistence", "TA0003"},
		{"mitre_persistence", "TA0003"},
		{"Persistence", "TA0003"},
		{"privilege-escalation", "TA0004"},
		{"mitre_privilege_escalation", "TA0004"},
		{"Privilege Escalation", "TA0004"},
		{"MITRE_COMMAND_AND_CONTROL", "TA0011"},
		{"command-and-control", "TA0011"},
		{"mitre_defense_evasion", "TA0005"},
		{"mitre_impact", "TA0040"},
		{"mitre_reconnaissance", "TA0043"},
		{"mitre_remote_service", ""},
		{"TA9999", ""},
		{"", ""},
		{"mitre_", ""},
		{"T1490", ""},
	}
	for _, tt := range tests {
		ta, ok := c.Tactic(tt.in)
		switch {
		case tt.wantID == "" && ok:
			t.Errorf("Tactic(%q) = %s, want not found", tt.in, ta.ID)
		case tt.wantID != "" && (!ok || ta.ID != tt.wantID):
			t.Errorf("Tactic(%q) = %v, %v; want %s", tt.in, ta, ok, tt.wantID)
		}
	}
}

func TestTechniqueLookup(t *testing.T) {
	c := Default()
	tests := []struct {
		in, wantID, wantName, wantParent string
		wantTactics                      []string
	}{
		{"T1490", "T1490", "Inhibit System Recovery", "", []string{"impact"}},
		{"t1490", "T1490", "Inhibit System Recovery", "", []string{"impact"}},
		{"T1059.004", "T1059.004", "Unix Shell", "T1059", []string{"execution"}},
		{"t1059.004", "T1059.004", "Unix Shell", "T1059", []string{"execution"}},
		{"T1053.003", "T1053.003", "Cron", "T1053", []string{"execution", "persistence", "privilege-escalation"}},
		{"T1547.001", "", "", "", nil}, // Registry Run Keys: Windows only
		{"T9999", "", "", "", nil},
		{"", "", "", "", nil},
	}
	for _, tt := range tests {
		te, ok := c.Technique(tt.in)
		if tt.wantID == "" {
			if ok {
				t.Errorf("Technique(%q) = %s, want not found", tt.in, te.ID)
			}
			continue
		}
		if !ok {
			t.Errorf("Technique(%q) not found", tt.in)
			continue
		}
		if te.ID != tt.wantID || te.Name != tt.wantName {
			t.Errorf("Technique(%q) = %s %q, want %s %q", tt.in, te.ID, te.Name, tt.wantID, tt.wantName)
		}
		if (te.Parent == nil) != (tt.wantParent == "") || (te.Parent != nil && te.Parent.ID != tt.wantParent) {
			t.Errorf("Technique(%q).Parent = %v, want %q", tt.in, te.Parent, tt.wantParent)
		}
		if got := shortNames(te.Tactics); !slices.Equal(got, tt.wantTactics) {
			t.Errorf("Technique(%q).Tactics = %v, want %v", tt.in, got, tt.wantTactics)
		}
	}
}

func TestTechniquesOfTactic(t *testing.T) {
	c := Default()
	total := 0
	for _, ta := range c.Tactics() {
		list := c.Techniques(ta)
		total += len(list)
		if !slices.IsSortedFunc(list, func(a, b *Technique) int { return strings.Compare(a.ID, b.ID) }) {
			t.Errorf("%s: techniques not sorted by id", ta.ShortName)
		}
		for i, te := range list {
			if !te.HasTactic(ta) {
				t.Errorf("%s listed under %s, which it does not serve", te.ID, ta.ShortName)
			}
			// A sub-technique comes after its parent, with only siblings between.
			if te.Parent != nil {
				j := slices.Index(list, te.Parent)
				if j < 0 || j > i {
					t.Errorf("%s: sub-technique %s not after its parent", ta.ShortName, te.ID)
				}
			}
		}
	}
	// 455 = the sum of tactic memberships over the 367 entries.
	if total != 455 {
		t.Errorf("sum of techniques over tactics = %d, want 455", total)
	}
	if got := len(c.Techniques(mustTactic(t, c, "reconnaissance"))); got != 0 {
		t.Errorf("reconnaissance has %d Linux techniques, want 0 (PRE platform)", got)
	}
	if got := len(c.Techniques(mustTactic(t, c, "defense-evasion"))); got != 104 {
		t.Errorf("defense-evasion: %d techniques, want 104", got)
	}
}

func TestParseRejectsBadCatalogs(t *testing.T) {
	tests := []struct{ name, json, wantErr string }{
		{"not json", `{`, "parse ATT&CK catalog"},
		{"tactic without shortname", `{"tactics":[{"id":"TA0001","name":"X"}]}`, "required"},
		{"duplicate tactic", `{"tactics":[{"id":"TA0001","shortname":"x","name":"X"},{"id":"TA0002","shortname":"x","name":"Y"}]}`, "twice"},
		{"bad technique id", `{"techniques":[{"id":"X1","name":"x"}]}`, "not of the form"},
		{"duplicate technique", `{"techniques":[{"id":"T1000","name":"x"},{"id":"T1000","name":"x"}]}`, "listed twice"},
		{"unknown tactic", `{"techniques":[{"id":"T1000","name":"x","tactics":["nope"]}]}`, "unknown tactic"},
		{"missing parent", `{"techniques":[{"id":"T1000.001","name":"x","parent":"T1000"}]}`, "not in the catalog"},
		{"mismatched parent", `{"techniques":[{"id":"T1000","name":"x"},{"id":"T2000.001","name":"y","parent":"T1000"}]}`, "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse: err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestEmbeddedDataMatchesShared(t *testing.T) {
	// The embedded copy must stay the file SOURCE.md describes; compare with the
	// shared original when this checkout has it beside it.
	orig, err := os.ReadFile("../../shared/attack/attack-enterprise-linux.json")
	if err != nil {
		t.Skipf("shared original not present (%v); nothing to compare", err)
	}
	if string(orig) != string(catalogJSON) {
		t.Error("attack/data/attack-enterprise-linux.json differs from ../shared/attack; copy it again")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(catalogJSON)
	f.Add([]byte(`{"tactics":[{"id":"TA0001","shortname":"a","name":"A"}],"techniques":[{"id":"T1000","name":"x","tactics":["a"]},{"id":"T1000.001","name":"y","tactics":["a"],"parent":"T1000"}]}`))
	f.Add([]byte(`{"techniques":[{"id":"T1000.001","parent":"T1000"}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		for _, te := range c.AllTechniques() {
			if got, ok := c.Technique(te.ID); !ok || got != te {
				t.Fatalf("technique %s not found by its own id", te.ID)
			}
			for _, ta := range te.Tactics {
				if !slices.Contains(c.Techniques(ta), te) {
					t.Fatalf("%s missing from its tactic %s", te.ID, ta.ShortName)
				}
			}
			if te.Parent != nil && !strings.HasPrefix(te.ID, te.Parent.ID+".") {
				t.Fatalf("%s has parent %s", te.ID, te.Parent.ID)
			}
		}
		for i, ta := range c.Tactics() {
			if ta.Order != i {
				t.Fatalf("tactic %s order %d at index %d", ta.ID, ta.Order, i)
			}
		}
	})
}

func shortNames(ts []*Tactic) []string {
	var out []string
	for _, ta := range ts {
		out = append(out, ta.ShortName)
	}
	return out
}

func mustTactic(t *testing.T, c *Catalog, s string) *Tactic {
	t.Helper()
	ta, ok := c.Tactic(s)
	if !ok {
		t.Fatalf("tactic %q not in catalog", s)
	}
	return ta
}

func mustTechnique(t *testing.T, c *Catalog, id string) *Technique {
	t.Helper()
	te, ok := c.Technique(id)
	if !ok {
		t.Fatalf("technique %q not in catalog", id)
	}
	return te
}
