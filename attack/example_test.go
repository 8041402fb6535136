package attack_test

import (
	"fmt"

	"github.com/ttpwatch/ttpwatch/attack"
)

func ExampleCatalog_MapTags() {
	c := attack.Default()
	m := c.MapTags([]string{"mitre_impact", "inhibit_system_recovery", "T1490", "T1547.001"})
	for _, te := range m.Techniques {
		fmt.Println(te.ID, te.Name)
	}
	for _, ta := range m.Tactics {
		fmt.Println(ta.ID, ta.Name)
	}
	fmt.Println("unknown:", m.Unknown)
	// Output:
	// T1490 Inhibit System Recovery
	// TA0040 Impact
	// unknown: [T1547.001]
}

func ExampleCatalog_Coverage() {
	c := attack.Default()
	cov := c.Coverage([]attack.RuleRef{
		{Name: "Disable recovery features", Tags: []string{"mitre_impact", "T1490"}, Enabled: true, Hits: 2},
		{Name: "Shell spawned", Tags: []string{"T1059.004"}, Enabled: true},
	})
	for _, tc := range cov.Tactics {
		if tc.Covered > 0 {
			fmt.Printf("%s: %d/%d techniques, %d hits\n", tc.Tactic.Name, tc.Covered, tc.Total, tc.Hits)
		}
	}
	// Output:
	// Execution: 1/12 techniques, 0 hits
	// Impact: 1/15 techniques, 2 hits
}
