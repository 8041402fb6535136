package attack

import (
	"encoding/json"
	"slices"
	"testing"
)

// testRules exercise every way a rule lands (or does not) in the matrix.
var testRules = []RuleRef{
	{Name: "Disable recovery features", Tags: []string{"mitre_impact", "inhibit_system_recovery", "T1490"}, Enabled: true, Hits: 3},
	{Name: "Cron job written", Tags: []string{"mitre_persistence", "T1053.003"}, Enabled: true, Hits: 2},
	{Name: "Shell spawned", Tags: []string{"mitre_execution", "T1059.004"}, Enabled: true},
	{Name: "Interpreter spawned", Tags: []string{"T1059"}, Enabled: true, Hits: 5},
	{Name: "Shell spawned (old)", Tags: []string{"T1059.004"}, Enabled: false, Hits: 7},
	{Name: "Discovery commands", Tags: []string{"mitre_discovery"}, Enabled: true, Hits: 1},
	{Name: "Collection off", Tags: []string{"mitre_collection"}, Enabled: false, Hits: 4},
	{Name: "Legacy tags", Tags: []string{"mitre_remote_service", "T1547.001"}, Enabled: true, Hits: 9},
}

func TestCoverage(t *testing.T) {
	c := Default()
	cov := c.Coverage(testRules)

	col := func(short string) *TacticCoverage { return cov.Tactics[mustTactic(t, c, short).Order] }
	cell := func(short, id string) *Cell {
		t.Helper()
		x := cov.Cell(mustTactic(t, c, short), mustTechnique(t, c, id))
		if x == nil {
			t.Fatalf("no cell %s under %s", id, short)
		}
		return x
	}

	if len(cov.Tactics) != 14 {
		t.Fatalf("got %d tactic columns, want 14", len(cov.Tactics))
	}

	// Impact: the seed rule covers T1490.
	t1490 := cell("impact", "T1490")
	checkRules(t, "T1490 rules", t1490.Rules, "Disable recovery features")
	if t1490.Hits != 3 || !t1490.Covered() || t1490.TotalHits() != 3 {
		t.Errorf("T1490: hits %d covered %v total %d, want 3 true 3", t1490.Hits, t1490.Covered(), t1490.TotalHits())
	}
	if got := col("impact"); got.Covered != 1 || got.Hits != 3 {
		t.Errorf("impact: covered %d hits %d, want 1 and 3", got.Covered, got.Hits)
	}

	// Persistence: Cron rolls up into Scheduled Task/Job; Execution and
	// Privilege Escalation are not covered because the rule names Persistence.
	t1053 := cell("persistence", "T1053")
	if t1053.Covered() || !t1053.RolledUp() {
		t.Errorf("T1053@persistence: covered %v rolled up %v, want false true", t1053.Covered(), t1053.RolledUp())
	}
	checkRules(t, "T1053@persistence all rules", t1053.AllRules(), "Cron job written")
	if t1053.TotalHits() != 2 {
		t.Errorf("T1053@persistence total hits %d, want 2", t1053.TotalHits())
	}
	if col("persistence").Covered != 1 {
		t.Errorf("persistence covered %d, want 1", col("persistence").Covered)
	}
	if x := cell("execution", "T1053"); x.RolledUp() {
		t.Error("T1053@execution covered, but the rule names only Persistence")
	}
	if col("privilege-escalation").Covered != 0 || col("privilege-escalation").Hits != 0 {
		t.Errorf("privilege-escalation: %+v, want uncovered", col("privilege-escalation"))
	}

	// Execution: T1059 directly and through T1059.004; the disabled rule does
	// not cover but its hits count.
	t1059 := cell("execution", "T1059")
	checkRules(t, "T1059 rules", t1059.Rules, "Interpreter spawned")
	checkRules(t, "T1059 all rules", t1059.AllRules(), "Interpreter spawned", "Shell spawned")
	sub := cell("execution", "T1059.004")
	if !slices.Contains(t1059.Subs, sub) {
		t.Error("T1059.004 cell is not among T1059's Subs")
	}
	checkRules(t, "T1059.004 rules", sub.Rules, "Shell spawned")
	checkRules(t, "T1059.004 disabled", sub.Disabled, "Shell spawned (old)")
	if sub.Hits != 7 {
		t.Errorf("T1059.004 hits %d, want 7 (0 enabled + 7 disabled)", sub.Hits)
	}
	if t1059.TotalHits() != 12 {
		t.Errorf("T1059 total hits %d, want 12", t1059.TotalHits())
	}
	if got := col("execution"); got.Covered != 1 || got.Hits != 12 {
		t.Errorf("execution: covered %d hits %d, want 1 and 12", got.Covered, got.Hits)
	}
	checkRules(t, "Rules(T1059.004)", cov.Rules(sub.Technique), "Shell spawned")

	// Tactic-only rules are listed apart and cover no technique.
	checkRules(t, "discovery tactic-only", col("discovery").TacticOnly, "Discovery commands")
	if got := col("discovery"); got.Covered != 0 || got.Hits != 1 {
		t.Errorf("discovery: covered %d hits %d, want 0 and 1", got.Covered, got.Hits)
	}
	checkRules(t, "collection tactic-only", col("collection").TacticOnly)
	if col("collection").Hits != 4 {
		t.Errorf("collection hits %d, want 4 from the disabled rule", col("collection").Hits)
	}

	// A sub-technique's parent rolls up, a multi-tactic technique has a cell
	// per tactic.
	if got := len(cov.Cells(mustTechnique(t, c, "T1053.003"))); got != 3 {
		t.Errorf("T1053.003 has %d cells, want 3", got)
	}
	checkRules(t, "Rules(T1053.003)", cov.Rules(mustTechnique(t, c, "T1053.003")), "Cron job written")

	if got := techIDs(cov.CoveredTechniques()); !slices.Equal(got, []string{"T1053.003", "T1059", "T1059.004", "T1490"}) {
		t.Errorf("CoveredTechniques = %v", got)
	}
	wantUnknown := []UnknownTag{{"T1547.001", []string{"Legacy tags"}}, {"mitre_remote_service", []string{"Legacy tags"}}}
	if len(cov.Unknown) != len(wantUnknown) {
		t.Fatalf("Unknown = %+v, want %+v", cov.Unknown, wantUnknown)
	}
	for i, u := range cov.Unknown {
		if u.Tag != wantUnknown[i].Tag || !slices.Equal(u.Rules, wantUnknown[i].Rules) {
			t.Errorf("Unknown[%d] = %+v, want %+v", i, u, wantUnknown[i])
		}
	}
}

// TestCoverageTotals checks the per-tactic totals against the raw data: the
// number of (technique, tactic) memberships of entries without a parent.
func TestCoverageTotals(t *testing.T) {
	var raw struct {
		Techniques []struct {
			Tactics []string `json:"tactics"`
			Parent  *string  `json:"parent"`
		} `json:"techniques"`
	}
	if err := json.Unmarshal(catalogJSON, &raw); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, te := range raw.Techniques {
		if te.Parent == nil {
			for _, s := range te.Tactics {
				want[s]++
			}
		}
	}
	cov := Default().Coverage(nil)
	for _, tc := range cov.Tactics {
		if tc.Total != want[tc.Tactic.ShortName] || len(tc.Techniques) != tc.Total {
			t.Errorf("%s: total %d (%d cells), want %d", tc.Tactic.ShortName, tc.Total, len(tc.Techniques), want[tc.Tactic.ShortName])
		}
		if tc.Covered != 0 || tc.Hits != 0 {
			t.Errorf("%s covered with no rules: %+v", tc.Tactic.ShortName, tc)
		}
		for _, cell := range tc.Techniques {
			if cell.Technique.IsSub() {
				t.Errorf("%s: sub-technique %s at the top level", tc.Tactic.ShortName, cell.Technique.ID)
			}
			if len(cell.Subs) != countSubsUnder(cell.Technique, tc.Tactic) {
				t.Errorf("%s@%s: %d sub cells, want %d", cell.Technique.ID, tc.Tactic.ShortName, len(cell.Subs), countSubsUnder(cell.Technique, tc.Tactic))
			}
		}
	}
	if got := len(cov.CoveredTechniques()); got != 0 {
		t.Errorf("no rules cover %d techniques", got)
	}
}

func countSubsUnder(te *Technique, ta *Tactic) int {
	n := 0
	for _, s := range te.Subs {
		if s.HasTactic(ta) {
			n++
		}
	}
	return n
}

func checkRules(t *testing.T, what string, got []RuleHits, want ...string) {
	t.Helper()
	var names []string
	for _, r := range got {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, want) {
		t.Errorf("%s = %q, want %q", what, names, want)
	}
}
