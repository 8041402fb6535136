package ui

import (
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/ttpwatch/ttpwatch/attack"
	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset"
)

// Batch is what the pipeline hands the ui about every 50 ms (through
// Deps.Poll or Deps.Batches): the alerts and events since the last batch,
// oldest first, and the current counters. Never one message per event.
type Batch struct {
	// Alerts are the alerts evaluated since the last batch, oldest first.
	// Their events must be clones the ui may keep.
	Alerts []*ruleset.Detection
	// Events are the sensor events since the last batch (after the
	// pipeline's own drop-oldest ring), oldest first, cloned.
	Events []*event.Event
	// Stats are the counters at the time of the batch.
	Stats Stats
}

// Stats are the pipeline counters shown on the status line.
type Stats struct {
	EventsPerSec float64
	AlertsPerSec float64
	// Drops counts lost events per stage: "kernel", "pipeline", "ui".
	Drops        map[string]uint64
	RulesEnabled int
	RulesTotal   int
	// Source is "live" or "replay FILE".
	Source string
	// Start is when the source started; the status line shows the uptime.
	Start time.Time
}

// RuleInfo is one loaded rule as the Rules view shows it.
type RuleInfo struct {
	Name     string
	Desc     string
	Priority ruleset.Priority
	Tags     []string
	// Condition is the condition as written; Exceptions the exceptions in
	// rule-file form; Compiled the compiled (expr) form.
	Condition  string
	Exceptions string
	Compiled   string
	Output     string
	// Enabled is the live state; LoadedEnabled the state the rule files
	// gave it. Saving overrides writes the rules where they differ.
	Enabled       bool
	LoadedEnabled bool
	Hits          uint64
	LastHit       time.Time
	// File and Line locate the rule's definition.
	File string
	Line int
}

// RuleController lists the engine's rules and switches them live; the engine
// and the kernel hooks follow at once.
type RuleController interface {
	// Rules returns every loaded rule in load order.
	Rules() []RuleInfo
	// SetEnabled switches one rule on or off.
	SetEnabled(name string, on bool) error
	// SetTagEnabled switches every rule carrying tag and returns how many
	// rules changed state.
	SetTagEnabled(tag string, on bool) (int, error)
}

// ProcessSource is a read-only view of the process table.
type ProcessSource interface {
	// Processes returns a snapshot of the table, recently exited processes
	// included.
	Processes() []*event.Process
	// Process returns the entry of pid, or nil.
	Process(pid uint32) *event.Process
	// Children returns the known children of pid.
	Children(pid uint32) []*event.Process
}

// Killer signals processes on behalf of the user.
type Killer interface {
	Kill(pid uint32, sig syscall.Signal) error
}

// FilterCompiler compiles a filter written in the rule condition language
// (ruleset.CompileFilter); the error is shown inline under the prompt.
type FilterCompiler func(text string) (func(*event.Event) bool, error)

// Deps are the ui's ties to the rest of the program. Every field may be nil:
// the matching feature is then disabled (Filter and Catalog have defaults).
type Deps struct {
	// Poll returns the batch accumulated since the last call; the ui calls
	// it every Options.Tick (Queue.Poll fits). Use Poll or Batches.
	Poll func() Batch
	// Batches is the other way to feed the ui: it takes each batch as it
	// arrives. Closing the channel says the source ended (end of a replay);
	// the ui stays open for browsing.
	Batches <-chan Batch
	// RawEvents, when set, is told when the feed enters and leaves raw mode,
	// so the pipeline copies every event only while someone looks at them.
	RawEvents func(on bool)
	Rules     RuleController
	Procs     ProcessSource
	Killer    Killer
	// Filter defaults to ruleset.CompileFilter.
	Filter  FilterCompiler
	Catalog *attack.Catalog // nil means attack.Default()
}

// Options configure the ui.
type Options struct {
	// Theme is a theme name (see themes.Names) or a .yaml file; empty means
	// the default, or monochrome under NO_COLOR.
	Theme string
	// NoColor is set when NO_COLOR is in the environment.
	NoColor bool
	// ReadOnly disables killing processes.
	ReadOnly bool
	// OverridesPath is where `s` in the Rules view saves the toggles;
	// default "ttpwatch-overrides.yaml".
	OverridesPath string
	// MaxAlerts bounds the alert list (default 10,000); MaxEvents the raw
	// event list (default 5,000).
	MaxAlerts int
	MaxEvents int
	// Tick is the poll and redraw period (default 50 ms).
	Tick time.Duration
	// Now is the clock (default time.Now); tests fix it.
	Now func() time.Time
	// Color forces a colour profile (--color): auto (default), truecolor,
	// 256, 16 or none. See ColorProfile.
	Color string
	// ProgramOptions are passed to tea.NewProgram by Run, after the ones
	// Run derives from the other options.
	ProgramOptions []tea.ProgramOption
}
