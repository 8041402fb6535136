package ruleset

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/expr-lang/expr/vm"
	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset/condition"
)

// Matching says whether an event reports every matching rule or only the
// first (Falco's rule_matching: all | first).
type Matching int

// Matching modes.
const (
	// MatchAll reports every enabled rule that matches, in load order.
	MatchAll Matching = iota
	// MatchFirst stops at the first matching rule in load order.
	MatchFirst
)

// Options configure an Engine.
type Options struct {
	// MinPriority starts rules less urgent than it disabled. Debug keeps
	// every rule; beware that the zero value, Emergency, keeps only
	// Emergency rules: start from DefaultOptions.
	MinPriority Priority
	// Matching is MatchAll (default) or MatchFirst.
	Matching Matching
}

// DefaultOptions keeps every priority and reports every matching rule.
func DefaultOptions() Options { return Options{MinPriority: Debug, Matching: MatchAll} }

// RuleState is a snapshot of one rule in an engine.
type RuleState struct {
	Rule    *Rule
	Enabled bool
	// Hits counts the events the rule matched since the engine started.
	Hits uint64
	// LastHit is the time (unix ns, the event's time) of the last match, 0
	// if none.
	LastHit int64
	Program *Program
}

// engineRule is a rule compiled into an engine, with its live state.
type engineRule struct {
	rule    *Rule
	order   int // load order; the index lists rules in this order
	prog    *Program
	enabled atomic.Bool
	hits    atomic.Uint64
	lastHit atomic.Int64
}

// bucket holds the rules that can match one event type: those that require
// a proc.name (looked up by the event's name) and the others, of which those
// that require something of the path are also in the path index.
type bucket struct {
	always []entry
	byName map[string][]entry
	// paths indexes the entries (of always and byName) that have a
	// pathBit; nil when none has.
	paths *pathIndex
}

// entry is one rule in a bucket, with what Process needs inline so that
// skipping a rule touches as little memory as possible.
type entry struct {
	order  int
	r      *engineRule
	guards []guard
	prog   *vm.Program
	// lead is the entry's first guard when it is a single predicate, and
	// skip the index of the next entry of the list with another lead:
	// rules from one file often share a macro (open_write), and when it
	// fails the whole run is skipped at once.
	lead *pred
	skip int
	// pathBit is the entry's bit in its bucket's path index, -1 when the
	// rule is not indexed by path.
	pathBit int32
	pathSrc uint8 // lazily read sources of its constraint (pathSrcDir, pathSrcFile)
}

// linkRuns sets lead and skip along a list.
func linkRuns(list []entry) {
	for i := range list {
		if g := list[i].guards; len(g) > 0 && len(g[0]) == 1 {
			list[i].lead = g[0][0]
		}
	}
	for i := len(list) - 1; i >= 0; i-- {
		list[i].skip = i + 1
		if i+1 < len(list) && list[i].lead != nil && list[i+1].lead == list[i].lead {
			list[i].skip = list[i+1].skip
		}
	}
}

// index is an immutable view of the enabled rules by event type; toggling a
// rule publishes a new one.
type index struct {
	byType [event.NumTypes]bucket
	needed []event.Type
}

// Engine evaluates events against compiled rules. Process runs on one
// goroutine (the pipeline's); the enabling methods, Rules and NeededTypes
// are safe to call from any goroutine meanwhile.
type Engine struct {
	opts     Options
	env      *evalEnv
	rules    []*engineRule
	byName   map[string]*engineRule
	nameSlot *slot // proc.name, for the equality index
	paths    pathSlots
	// pathBits is Process's scratch for the path index's matches.
	pathBits []uint64

	idx     atomic.Pointer[index]
	version atomic.Uint64
	errors  atomic.Uint64

	mu       sync.Mutex // serialises writers: toggles and OnChange
	onChange []func()
}

// NewEngine compiles the rules (their Expanded conditions; a rule without
// one has its Condition parsed, which must then use no macros or lists).
// Rules whose source is not syscall are skipped. A rule starts enabled when
// rule.Enabled is set and its priority is at least opts.MinPriority. The
// error names the first rule that does not compile and wraps the
// *condition.Error.
func NewEngine(rules []*Rule, opts Options) (*Engine, error) {
	e := &Engine{opts: opts, env: newEvalEnv(), byName: map[string]*engineRule{}}
	nameField, ok := event.Lookup("proc.name")
	if !ok {
		return nil, fmt.Errorf("engine: the field registry has no proc.name")
	}
	e.nameSlot = e.env.slot(nameField, event.Arg{})
	if e.paths, ok = newPathSlots(e.env); !ok {
		return nil, fmt.Errorf("engine: the field registry lacks fd.name, fd.directory or fd.filename")
	}
	for _, r := range rules {
		if r.Source != "" && r.Source != "syscall" {
			continue
		}
		n := r.Expanded
		if n == nil {
			var err error
			if n, err = condition.Parse(r.Condition, 0); err != nil {
				return nil, fmt.Errorf("rule %q: %w", r.Name, err)
			}
		}
		p, err := compileIn(e.env, n)
		if err != nil {
			return nil, fmt.Errorf("rule %q: %w", r.Name, err)
		}
		er := &engineRule{rule: r, order: len(e.rules), prog: p}
		er.enabled.Store(r.Enabled && r.Priority <= opts.MinPriority)
		e.rules = append(e.rules, er)
		// A redefinition has replaced earlier ones in the loader; if names
		// still repeat, toggling by name reaches the last.
		e.byName[r.Name] = er
	}
	e.orderGuards()
	e.publish()
	return e, nil
}

// orderGuards moves, in each program, the most specific guards right after
// the first one: a check shared by many rules (fd.typechar = f from a
// macro) usually holds, while one few rules share (fd.name startswith
// /etc/cron) usually fails, and the sooner a rule fails the less it costs.
// The first guard stays, as it links runs of rules (see linkRuns). Order
// never changes a result: every guard must hold.
func (e *Engine) orderGuards() {
	share := map[*pred]int{}
	for _, r := range e.rules {
		for _, g := range r.prog.guards {
			for _, p := range g {
				share[p]++
			}
		}
	}
	cost := func(g guard) (multi bool, shared int) {
		for _, p := range g {
			shared = max(shared, share[p])
		}
		return len(g) > 1, shared
	}
	for _, r := range e.rules {
		gs := r.prog.guards
		if len(gs) < 3 {
			continue
		}
		rest := gs[1:]
		sort.SliceStable(rest, func(i, j int) bool {
			mi, si := cost(rest[i])
			mj, sj := cost(rest[j])
			if mi != mj {
				return !mi
			}
			return si < sj
		})
	}
}

// publish rebuilds the index from the rules' enabled flags. Callers hold
// e.mu, or are NewEngine.
func (e *Engine) publish() {
	ix := &index{}
	var needed typeSet
	for _, r := range e.rules {
		if !r.enabled.Load() {
			continue
		}
		needed = needed.or(r.prog.types)
		for t := event.Type(0); t < event.NumTypes; t++ {
			if !r.prog.types.has(t) {
				continue
			}
			b := &ix.byType[t]
			en := entry{order: r.order, r: r, guards: r.prog.guards, prog: r.prog.prog, pathBit: -1}
			if r.prog.hasPath {
				if b.paths == nil {
					b.paths = &pathIndex{}
				}
				en.pathBit = int32(b.paths.nbits)
				en.pathSrc = r.prog.path.sources()
				b.paths.nbits++
				b.paths.add(en.pathBit, r.prog.path)
			}
			if r.prog.Names == nil {
				b.always = append(b.always, en)
				continue
			}
			if b.byName == nil {
				b.byName = map[string][]entry{}
			}
			for _, name := range r.prog.Names {
				b.byName[name] = append(b.byName[name], en)
			}
		}
	}
	for t := range ix.byType {
		linkRuns(ix.byType[t].always)
	}
	ix.needed = needed.list()
	e.idx.Store(ix)
	e.version.Add(1)
}

// Process evaluates ev against the enabled rules that can match its type
// (and its proc.name or its path, for rules that require one; see
// engine_path.go), in load order, and calls
// emit for each match (only the first with MatchFirst). ev and the Match
// are valid only during emit (which must not be nil). It allocates
// nothing, and must not be called from two goroutines at once.
func (e *Engine) Process(ev *event.Event, emit func(Match)) {
	if ev.Type >= event.NumTypes {
		return
	}
	// A field accessor that panics on some odd event must not take the
	// pipeline down: the event's remaining rules are skipped and counted
	// (Errors). A panic in emit is the caller's and is not recovered.
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(emitPanic); ok {
				panic(r.(emitPanic).v)
			}
			e.errors.Add(1)
		}
	}()
	ix := e.idx.Load()
	b := &ix.byType[ev.Type]
	if len(b.always) == 0 && b.byName == nil {
		return
	}
	e.env.begin(ev)
	var keyed []entry
	if b.byName != nil {
		if v := e.nameSlot.get(); v.OK {
			keyed = b.byName[v.Str]
		}
	}
	var pathBits []uint64
	var pending uint8
	if b.paths != nil {
		if cap(e.pathBits) < b.paths.words {
			e.pathBits = make([]uint64, b.paths.words)
		}
		pathBits = e.pathBits[:b.paths.words]
		pending = b.paths.begin(&e.paths, pathBits)
	}
	always := b.always
	// Merge the two lists, both in load order.
	ai, ki := 0, 0
	for ai < len(always) || ki < len(keyed) {
		var en *entry
		if ki == len(keyed) || (ai < len(always) && always[ai].order < keyed[ki].order) {
			en = &always[ai]
			if en.lead != nil && !en.lead.eval() {
				ai = en.skip
				continue
			}
			ai++
			if en.pathBit >= 0 && !b.paths.admits(&e.paths, pathBits, en, &pending) {
				continue // its path constraint fails
			}
		} else {
			en = &keyed[ki]
			ki++
			if en.pathBit >= 0 && !b.paths.admits(&e.paths, pathBits, en, &pending) {
				continue
			}
		}
		guards := en.guards
		if en.lead != nil {
			guards = guards[1:] // the lead held
		}
		if !e.env.eval(guards, en.prog) {
			continue
		}
		r := en.r
		if !r.enabled.Load() {
			continue
		}
		r.hits.Add(1)
		r.lastHit.Store(ev.Time)
		e.emit(emit, Match{Rule: r.rule, Event: ev})
		if e.opts.Matching == MatchFirst {
			return
		}
	}
}

// emitPanic carries a panic raised by the caller's emit through Process's
// recover, which re-raises it.
type emitPanic struct{ v any }

func (e *Engine) emit(emit func(Match), m Match) {
	defer func() {
		if r := recover(); r != nil {
			panic(emitPanic{r})
		}
	}()
	emit(m)
}

// Errors returns how many evaluations a panic in a field accessor cut short
// (a bug to report): in a guard it skips the event's remaining rules, inside
// a program that rule only.
func (e *Engine) Errors() uint64 { return e.errors.Load() + e.env.failures.Load() }

// SetEnabled enables or disables the named rule.
func (e *Engine) SetEnabled(name string, on bool) error {
	e.mu.Lock()
	r, ok := e.byName[name]
	if !ok {
		e.mu.Unlock()
		return fmt.Errorf("no rule named %q (rules list shows them)", name)
	}
	changed := r.enabled.Load() != on
	if changed {
		r.enabled.Store(on)
		e.publish()
	}
	e.mu.Unlock()
	if changed {
		e.notify()
	}
	return nil
}

// EnableMatching enables or disables every rule a pattern selects: a name
// glob where '*' matches any run of characters, or tag:NAME. It returns how
// many rules changed state; a malformed pattern changes none.
func (e *Engine) EnableMatching(pattern string, on bool) int {
	rules := make([]*Rule, len(e.rules))
	for i, r := range e.rules {
		rules[i] = r.rule
	}
	sel, err := MatchRules(pattern, rules)
	if err != nil {
		return 0
	}
	picked := make(map[*Rule]bool, len(sel))
	for _, r := range sel {
		picked[r] = true
	}
	e.mu.Lock()
	n := 0
	for _, r := range e.rules {
		if picked[r.rule] && r.enabled.Load() != on {
			r.enabled.Store(on)
			n++
		}
	}
	if n > 0 {
		e.publish()
	}
	e.mu.Unlock()
	if n > 0 {
		e.notify()
	}
	return n
}

// Enabled reports whether the named rule is enabled (false for an unknown
// name).
func (e *Engine) Enabled(name string) bool {
	r, ok := e.byName[name]
	return ok && r.enabled.Load()
}

// Rules returns a snapshot of every rule in load order.
func (e *Engine) Rules() []RuleState {
	out := make([]RuleState, len(e.rules))
	for i, r := range e.rules {
		out[i] = RuleState{Rule: r.rule, Enabled: r.enabled.Load(), Hits: r.hits.Load(),
			LastHit: r.lastHit.Load(), Program: r.prog}
	}
	return out
}

// NeededTypes returns the event types the enabled rules can match, sorted;
// a rule that admits any type needs them all. The sensor attaches only the
// hooks these need.
func (e *Engine) NeededTypes() []event.Type {
	n := e.idx.Load().needed
	out := make([]event.Type, len(n))
	copy(out, n)
	return out
}

// Version changes whenever the enabled set changes.
func (e *Engine) Version() uint64 { return e.version.Load() }

// OnChange registers f to run (on the goroutine that toggled a rule, after
// the change is visible to Process) whenever the enabled set changes.
func (e *Engine) OnChange(f func()) {
	e.mu.Lock()
	e.onChange = append(e.onChange, f)
	e.mu.Unlock()
}

func (e *Engine) notify() {
	e.mu.Lock()
	fs := append([]func(){}, e.onChange...)
	e.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// Filter is a compiled condition for matching single events, as the ui's
// filter bar uses it. Not safe for concurrent use.
type Filter struct {
	// Text is the filter as the user wrote it.
	Text    string
	Program *Program
}

// CompileFilter compiles a filter written in the rule condition language
// (no macros or lists). Errors are *condition.Error with byte offsets into
// text.
func CompileFilter(text string) (*Filter, error) {
	n, err := condition.Parse(text, 0)
	if err != nil {
		return nil, err
	}
	p, err := Compile(n)
	if err != nil {
		return nil, err
	}
	return &Filter{Text: text, Program: p}, nil
}

// Match reports whether ev passes the filter.
func (f *Filter) Match(ev *event.Event) bool { return f.Program.Match(ev) }
