package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// OverridesYAML renders the rules whose live state differs from the state
// the rule files gave them as a Falco rules file of `- rule: NAME` /
// `enabled: BOOL` items, to be loaded after the other files with -r. It
// returns the file and the number of rules in it.
func OverridesYAML(rules []RuleInfo, now time.Time) ([]byte, int) {
	var b strings.Builder
	fmt.Fprintf(&b, "# ttpwatch rule toggles saved %s.\n", now.UTC().Format(time.RFC3339))
	b.WriteString("# Load after the other rule files: ttpwatch -r RULES -r THIS_FILE\n")
	n := 0
	for _, r := range rules {
		if r.Enabled == r.LoadedEnabled {
			continue
		}
		n++
		// A double-quoted YAML scalar takes Go's escapes, so any rule name
		// round-trips.
		fmt.Fprintf(&b, "\n- rule: %s\n  enabled: %t\n", strconv.Quote(r.Name), r.Enabled)
	}
	return []byte(b.String()), n
}
