// Package ruleset loads Falco-format rule files, compiles their conditions
// onto expr and evaluates events against the enabled rules.
package ruleset

import (
	"strings"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset/condition"
)

// Priority is a rule's urgency. Lower values are more urgent, as in Falco.
type Priority int

// Priorities, most urgent first.
const (
	Emergency Priority = iota
	Alert
	Critical
	Error
	Warning
	Notice
	Informational
	Debug
)

var priorityNames = [...]string{"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}

// String returns the title-case name used in Falco's JSON alerts.
func (p Priority) String() string {
	if p >= 0 && int(p) < len(priorityNames) {
		return priorityNames[p]
	}
	return "Unknown"
}

// ParsePriority parses a priority name, case-insensitively; INFO is accepted
// for Informational.
func ParsePriority(s string) (Priority, bool) {
	if strings.EqualFold(s, "info") {
		return Informational, true
	}
	for i, n := range priorityNames {
		if strings.EqualFold(s, n) {
			return Priority(i), true
		}
	}
	return 0, false
}

// Exception is one entry of a rule's exceptions list.
type Exception struct {
	Name   string
	Fields []string
	Comps  []string
	// Values holds one tuple per allowed combination; each tuple has one
	// entry per field (a single-field exception has one-element tuples whose
	// entry may itself be a list).
	Values [][]string
}

// Rule is one loaded rule after redefinitions, appends and overrides.
type Rule struct {
	Name                string
	Desc                string
	Condition           string // the condition text as written (after appends)
	Output              string
	Priority            Priority
	Tags                []string
	Enabled             bool // as loaded; the engine keeps the live state
	Source              string
	Exceptions          []Exception
	WarnEvttypes        bool
	SkipIfUnknownFilter bool
	// Capture and CaptureDuration (ms) are read for compatibility; this
	// engine does not write captures.
	Capture         bool
	CaptureDuration int

	// Expanded is the condition with lists substituted, macros expanded and
	// exceptions folded in; the compiler's input.
	Expanded condition.Node
	// Program is Expanded compiled once at load; the engine runs it.
	Program *Program

	// output is Output parsed at load (see FormatOutput).
	output outputFormat

	// File, Line and Col locate the rule's definition.
	File string
	Line int
	Col  int
}

// Match is one rule matching one event, as the engine reports it. The event
// is the pipeline's and is reused after the callback returns.
type Match struct {
	Rule  *Rule
	Event *event.Event
}
