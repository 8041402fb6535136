package ruleset

import (
	"fmt"
	"strings"
)

// Diagnostic is one error or warning found while loading rules, located in
// the rules file and attributed to the item it concerns.
type Diagnostic struct {
	File string
	Line int // 1-based; 0 when the position is unknown
	Col  int // 1-based byte column; 0 when unknown
	// Kind is "rule", "macro" or "list", or "" for file-level problems
	// (malformed YAML, an item that is not a mapping).
	Kind string
	Name string
	Msg  string
}

// String formats the diagnostic as `file:line:col: rule "X": message`, the
// form editors and `rules validate` users expect.
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", d.Line, d.Col)
	}
	b.WriteString(": ")
	if d.Kind != "" {
		fmt.Fprintf(&b, "%s %q: ", d.Kind, d.Name)
	}
	b.WriteString(d.Msg)
	return b.String()
}

// LoadError collects every error of a load, in file order, so that
// `rules validate` can print them all at once.
type LoadError struct {
	Diagnostics []Diagnostic
}

// Error returns the diagnostics, one per line.
func (e *LoadError) Error() string {
	lines := make([]string, len(e.Diagnostics))
	for i, d := range e.Diagnostics {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}
