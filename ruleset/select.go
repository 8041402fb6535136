package ruleset

import (
	"fmt"
	"strings"
)

// Selection decides which rules are enabled: each rule starts from its
// `enabled` key, then --enable/--disable steps apply in the order given
// (later steps win), then rules less urgent than the minimum priority are
// disabled. A pattern is a rule name glob (`*` matches any run of
// characters, case-insensitive) or `tag:NAME` (also globbing).
type Selection struct {
	steps  []selStep
	min    Priority
	hasMin bool
}

type selStep struct {
	enable  bool
	pattern string // lower case, without the tag: prefix
	tag     bool
	raw     string
}

// Enable adds an enable step.
func (s *Selection) Enable(pattern string) error { return s.add(true, pattern) }

// Disable adds a disable step.
func (s *Selection) Disable(pattern string) error { return s.add(false, pattern) }

func (s *Selection) add(enable bool, pattern string) error {
	st, err := parsePattern(pattern)
	if err != nil {
		return err
	}
	st.enable = enable
	s.steps = append(s.steps, st)
	return nil
}

func parsePattern(pattern string) (selStep, error) {
	p := strings.TrimSpace(pattern)
	st := selStep{raw: pattern}
	if rest, ok := strings.CutPrefix(p, "tag:"); ok {
		st.tag = true
		p = strings.TrimSpace(rest)
		if p == "" {
			return st, fmt.Errorf("rule selection %q: empty tag: write tag:NAME, e.g. tag:mitre_impact", pattern)
		}
	}
	if p == "" {
		return st, fmt.Errorf("rule selection %q: empty pattern: give a rule name, a glob like \"Disable*\" or tag:NAME", pattern)
	}
	st.pattern = strings.ToLower(p)
	return st, nil
}

// SetMinPriority disables rules less urgent than p.
func (s *Selection) SetMinPriority(p Priority) { s.min, s.hasMin = p, true }

// Empty reports whether the selection changes nothing.
func (s *Selection) Empty() bool { return len(s.steps) == 0 && !s.hasMin }

// Enabled reports whether r is enabled under the selection.
func (s *Selection) Enabled(r *Rule) bool {
	on := r.Enabled
	for _, st := range s.steps {
		if st.matches(r) {
			on = st.enable
		}
	}
	if s.hasMin && r.Priority > s.min {
		on = false
	}
	return on
}

// Apply returns the enabled state of each rule, index for index.
func (s *Selection) Apply(rules []*Rule) []bool {
	out := make([]bool, len(rules))
	for i, r := range rules {
		out[i] = s.Enabled(r)
	}
	return out
}

// Unmatched returns the patterns that match none of the rules, so the CLI
// can warn about a typo.
func (s *Selection) Unmatched(rules []*Rule) []string {
	var out []string
	for _, st := range s.steps {
		hit := false
		for _, r := range rules {
			if st.matches(r) {
				hit = true
				break
			}
		}
		if !hit {
			out = append(out, st.raw)
		}
	}
	return out
}

// MatchRules returns the rules a pattern selects (for live toggling).
func MatchRules(pattern string, rules []*Rule) ([]*Rule, error) {
	st, err := parsePattern(pattern)
	if err != nil {
		return nil, err
	}
	var out []*Rule
	for _, r := range rules {
		if st.matches(r) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (st selStep) matches(r *Rule) bool {
	if !st.tag {
		return globMatch(st.pattern, strings.ToLower(r.Name))
	}
	for _, t := range r.Tags {
		if globMatch(st.pattern, strings.ToLower(t)) {
			return true
		}
	}
	return false
}

// globMatch matches s against a pattern where '*' matches any run of bytes.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last)
}

// FlagValue adapts a Selection to a command-line flag (pflag.Value and
// flag.Value) that adds enable (or disable) steps, so --enable and --disable
// keep their relative order on the command line when both use the same
// Selection.
func (s *Selection) FlagValue(enable bool) *SelectionFlag {
	return &SelectionFlag{sel: s, enable: enable}
}

// SelectionFlag is a flag value feeding a Selection.
type SelectionFlag struct {
	sel    *Selection
	enable bool
}

// String returns the patterns given so far.
func (f *SelectionFlag) String() string {
	if f == nil || f.sel == nil {
		return ""
	}
	var ps []string
	for _, st := range f.sel.steps {
		if st.enable == f.enable {
			ps = append(ps, st.raw)
		}
	}
	return strings.Join(ps, ",")
}

// Set adds one pattern.
func (f *SelectionFlag) Set(v string) error { return f.sel.add(f.enable, v) }

// Type names the value for help output.
func (f *SelectionFlag) Type() string { return "pattern" }
