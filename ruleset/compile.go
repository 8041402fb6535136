package ruleset

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset/condition"
)

// Program is one compiled condition: an expr program whose functions are
// zero-argument checks over the event being evaluated.
type Program struct {
	// Expr is the expr source the condition compiled to, e.g.
	// `evt_type_in() and proc_name() == "chattr" and proc_args_contains()`.
	// Each function is listed in Checks with the Falco check it performs.
	Expr string
	// Checks names each function of Expr and the condition text it checks,
	// in order of first appearance.
	Checks []Check
	// Types lists the event types the condition can match, like Falco's
	// evttype index; nil means every type.
	Types []event.Type
	// Names lists the proc.name values of which the condition requires one
	// (`proc.name = x`, `proc.name in (…)` on every path to a match); nil
	// when it requires none. The engine uses it to skip rules.
	Names []string
	// Warnings are compile-time remarks that are not errors, such as an
	// evt.type value this sensor never reports.
	Warnings []string

	prog   *vm.Program
	env    *evalEnv
	types  typeSet
	guards []guard
	// path is what the condition requires of the event's path, when
	// hasPath; the engine's path index uses it to skip rules.
	path    pathNeed
	hasPath bool
}

// Check is one function of a Program's Expr.
type Check struct {
	Func string // function name in Expr, without "()"
	Text string // the Falco check, e.g. `proc.name in (sh, bash)`
}

// Compile compiles a condition whose macros are already expanded. The
// program evaluates with Match; it must not be used from two goroutines at
// once. Errors are *condition.Error positioned at the offending node.
func Compile(n condition.Node) (*Program, error) {
	return compileIn(newEvalEnv(), n)
}

// Match evaluates the program on ev. A program from Compile owns its
// evaluation state; one from an Engine (RuleState.Program) shares the
// engine's, so call its Match only on the goroutine that runs Process.
func (p *Program) Match(ev *event.Event) bool {
	p.env.begin(ev)
	return p.env.run(p)
}

// compileIn compiles n with its functions bound to env, so that the programs
// of one engine share field caches.
func compileIn(env *evalEnv, n condition.Node) (*Program, error) {
	c := &compiler{env: env, funcs: map[string]bool{}, named: map[string]string{}}
	var src strings.Builder
	if err := c.node(&src, n, false); err != nil {
		return nil, err
	}
	p := &Program{Expr: src.String(), Checks: c.checks, Warnings: c.warnings, env: env}
	opts := append(c.opts, expr.AsBool())
	prog, err := expr.Compile(p.Expr, opts...)
	if err != nil {
		// The source is ours: failing to compile it is a bug, reported
		// against the whole condition.
		return nil, &condition.Error{Offset: n.Pos(), Msg: fmt.Sprintf("internal error compiling %q: %v", p.Expr, err)}
	}
	p.prog = prog
	p.guards = c.guards(n)
	pos, _ := c.typeSets(n)
	p.types = pos
	if !pos.full() {
		p.Types = pos.list()
	}
	if names, ok := requiredNames(n); ok {
		sort.Strings(names)
		p.Names = names
	}
	p.path, p.hasPath = requiredPath(n)
	return p, nil
}

// compiler turns one condition into expr source and its functions.
type compiler struct {
	env   *evalEnv
	opts  []expr.Option
	funcs map[string]bool
	// named maps a check's text (or a field's, for native ==) to its
	// function, so a check repeated in one condition reads the same.
	named    map[string]string
	checks   []Check
	warnings []string
	// afterNot is set while compiling the operand of `not`, where expr
	// needs parentheses around ==.
	afterNot bool
}

func errAt(n condition.Node, format string, args ...any) error {
	return &condition.Error{Offset: n.Pos(), Msg: fmt.Sprintf(format, args...)}
}

// node writes n's expr source; nested says parentheses are needed around
// and/or.
func (c *compiler) node(b *strings.Builder, n condition.Node, nested bool) error {
	switch n := n.(type) {
	case *condition.And:
		return c.terms(b, n.Terms, " and ", nested)
	case *condition.Or:
		return c.terms(b, n.Terms, " or ", nested)
	case *condition.Not:
		b.WriteString("not ")
		c.afterNot = true
		err := c.node(b, n.X, true)
		c.afterNot = false
		return err
	case *condition.BoolLit:
		b.WriteString(strconv.FormatBool(n.Value))
		return nil
	case *condition.MacroRef:
		return errAt(n, "undefined macro '%s': define it (- macro: %s) before the rules that use it", n.Name, n.Name)
	case *condition.Compare:
		return c.compare(b, n)
	case nil:
		return &condition.Error{Msg: "empty condition"}
	}
	return errAt(n, "unsupported condition node %T", n)
}

func (c *compiler) terms(b *strings.Builder, terms []condition.Node, sep string, nested bool) error {
	if len(terms) == 0 {
		return &condition.Error{Msg: "empty and/or"}
	}
	if nested && len(terms) > 1 {
		b.WriteByte('(')
	}
	for i, t := range terms {
		if i > 0 {
			b.WriteString(sep)
		}
		if err := c.node(b, t, true); err != nil {
			return err
		}
	}
	if nested && len(terms) > 1 {
		b.WriteByte(')')
	}
	return nil
}

// funcName returns a fresh expr identifier derived from base.
func (c *compiler) funcName(base string) string {
	var b strings.Builder
	for i := 0; i < len(base); i++ {
		ch := base[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9':
			b.WriteByte(ch)
		default:
			if s := b.String(); len(s) > 0 && s[len(s)-1] != '_' {
				b.WriteByte('_')
			}
		}
	}
	name := strings.TrimRight(b.String(), "_")
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		name = "f_" + name
	}
	// Avoid expr's keywords and builtins by construction: every name
	// has an underscore or ends in a digit suffix.
	if !strings.Contains(name, "_") {
		name += "_"
	}
	if !c.funcs[name] {
		c.funcs[name] = true
		return name
	}
	for i := 2; ; i++ {
		n := name + "_" + strconv.Itoa(i)
		if !c.funcs[n] {
			c.funcs[n] = true
			return n
		}
	}
}

// predicate registers fn as a zero-argument expr function, writes its call
// and returns its name. Returning a bool as `any` does not allocate.
func (c *compiler) predicate(b *strings.Builder, base, text string, fn func() bool) string {
	name := c.funcName(base)
	c.opts = append(c.opts, expr.Function(name, func(...any) (any, error) {
		return fn(), nil
	}, new(func() bool)))
	c.checks = append(c.checks, Check{Func: name, Text: text})
	b.WriteString(name)
	b.WriteString("()")
	return name
}

var opNames = map[string]string{
	"=": "eq", "==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge",
}

func opName(op string) string {
	if n, ok := opNames[op]; ok {
		return n
	}
	return op
}

// checkText renders one comparison as Falco text for Checks.
func checkText(n *condition.Compare) string { return condition.Format(n) }

// compare compiles one comparison into a predicate call, or into expr's own
// string == when that is allocation-free (a plain string field against a
// non-empty literal that needs no escaping).
func (c *compiler) compare(b *strings.Builder, n *condition.Compare) error {
	if c.nativeEq(b, n) {
		return nil
	}
	p, err := c.pred(n)
	if err != nil {
		return err
	}
	base := fieldBase(&n.Field) + "_" + opName(n.Op)
	if n.RightField != nil {
		base += "_val"
	}
	text := checkText(n)
	if name, ok := c.named[text]; ok {
		b.WriteString(name + "()")
		return nil
	}
	c.named[text] = c.predicate(b, base, text, p.eval)
	return nil
}

// nativeEq writes `field() == "literal"` when n allows it.
func (c *compiler) nativeEq(b *strings.Builder, n *condition.Compare) bool {
	if (n.Op != "=" && n.Op != "==") || n.RightField != nil || n.List || len(n.Values) != 1 ||
		n.Field.Name == "evt.type" || len(n.Field.Transformers) > 0 {
		return false
	}
	lit := n.Values[0].Text
	if lit == "" || strconv.Quote(lit) != `"`+lit+`"` {
		return false
	}
	f, ok := event.Lookup(n.Field.Name)
	if !ok || f.Type != event.String {
		return false
	}
	left, err := c.operand(f, &n.Field)
	if err != nil || left.anyAncestor {
		return false
	}
	s := left.slot
	if s.str == nil {
		s.box, s.str = newStringBox()
	}
	text := fieldText(&n.Field)
	name, ok := c.named[text]
	if !ok {
		name = c.funcName(fieldBase(&n.Field))
		c.named[text] = name
		c.opts = append(c.opts, expr.Function(name, func(...any) (any, error) {
			return s.stringValue()
		}, new(func() string)))
		c.checks = append(c.checks, Check{Func: name, Text: text})
	}
	if c.afterNot {
		fmt.Fprintf(b, "(%s() == %q)", name, lit)
	} else {
		fmt.Fprintf(b, "%s() == %q", name, lit)
	}
	return true
}

// pred returns the cached predicate for a comparison, shared by every
// program of the evaluation environment: the same check written in many
// rules (macros make that common) runs once per event.
func (c *compiler) pred(n *condition.Compare) (*pred, error) {
	key := condition.Format(n)
	if p, ok := c.env.preds[key]; ok {
		return p, nil
	}
	p, err := c.checkFunc(n)
	if err != nil {
		return nil, err
	}
	c.env.preds[key] = p
	return p, nil
}

// checkFunc builds the predicate of one comparison on the current event.
func (c *compiler) checkFunc(n *condition.Compare) (*pred, error) {
	wrap := func(fn func() bool, err error) (*pred, error) {
		if err != nil {
			return nil, err
		}
		return c.env.newPred(pred{fn: fn}), nil
	}
	f, ok := event.Lookup(n.Field.Name)
	if !ok {
		return nil, &condition.Error{Offset: n.Field.At, Msg: fmt.Sprintf("unknown field '%s'%s", n.Field.Name, suggestField(n.Field.Name))}
	}
	if n.Field.Name == "evt.type" && len(n.Field.Transformers) == 0 && n.RightField == nil {
		switch n.Op {
		case "=", "==", "!=", "in", "intersects":
			return wrap(c.evtType(n))
		}
	}
	left, err := c.operand(f, &n.Field)
	if err != nil {
		return nil, err
	}
	if n.Op == "exists" {
		return wrap(left.exists, nil)
	}
	if n.RightField != nil {
		return wrap(c.valCompare(n, left))
	}
	test, err := c.valueTest(n, f, left.typ)
	if err != nil {
		return nil, err
	}
	if len(left.xf) == 0 && !left.anyAncestor {
		p := c.env.newPred(pred{slot: left.slot, test: test})
		if left.typ == event.String && len(n.Values) == 1 && !n.List {
			switch n.Op {
			case "contains":
				p.kind, p.lit = kindContains, n.Values[0].Text
			case "startswith":
				p.kind, p.lit = kindPrefix, n.Values[0].Text
			case "endswith":
				p.kind, p.lit = kindSuffix, n.Values[0].Text
			case "=", "==":
				p.kind, p.lit = kindEqual, n.Values[0].Text
			}
			if p.kind != kindTest && p.kind != kindEqual {
				p.need = bigramMask(p.lit)
			}
		}
		return p, nil
	}
	return wrap(left.matcher(test), nil)
}

// Guards. Before running a program the engine tests its guards: clauses,
// each a few cached predicates of which at least one must hold for the
// condition to hold. A rule whose open_write macro fails on a read, or whose
// `fd.name startswith /etc/cron` fails, then costs a few cached lookups
// instead of a VM run. Guards only ever reject events the condition rejects.

// maxGuards bounds the clauses of one program; maxClause the predicates of
// one clause.
const (
	maxGuards = 8
	maxClause = 8
)

// guard is a clause: satisfied when any of its predicates is true.
type guard []*pred

// clause is a candidate guard with a rough selectivity score: 0 for checks
// that hold for most events of the rule's types (evt.type, evt.dir), 1 for
// weak ones (bool fields, exists, !=, ordering, fd kinds, result codes,
// container.id), 2 for the rest (names, paths, arguments, lists).
type clause struct {
	preds []*pred
	score int
}

// clauseOf returns a clause implied by n (n true ⇒ one of the predicates
// true), or false when none is known.
func (c *compiler) clauseOf(n condition.Node) (clause, bool) {
	switch n := n.(type) {
	case *condition.Compare:
		p, err := c.pred(n)
		if err != nil {
			return clause{}, false
		}
		return clause{preds: []*pred{p}, score: checkScore(n)}, true
	case *condition.And:
		best, found := clause{}, false
		for _, t := range n.Terms {
			if cl, ok := c.clauseOf(t); ok && (!found || cl.score > best.score) {
				best, found = cl, true
			}
		}
		return best, found
	case *condition.Or:
		out := clause{score: 2}
		for _, t := range n.Terms {
			cl, ok := c.clauseOf(t)
			if !ok || len(out.preds)+len(cl.preds) > maxClause {
				return clause{}, false
			}
			out.preds = append(out.preds, cl.preds...)
			out.score = min(out.score, cl.score)
		}
		return out, true
	}
	return clause{}, false
}

// weakFields are fields whose checks most events of a rule's types pass.
var weakFields = map[string]bool{
	"fd.typechar": true, "fd.type": true, "fd.l4proto": true, "fd.sockfamily": true,
	"evt.res": true, "evt.rawres": true, "evt.failed": true, "container.id": true,
	"fd.num": true, "user.uid": true, "proc.tty": true,
}

func checkScore(n *condition.Compare) int {
	switch {
	case n.Field.Name == "evt.type" || n.Field.Name == "evt.dir":
		return 0
	case n.Op == "exists" || n.Op == "!=" || n.Op == "<" || n.Op == "<=" || n.Op == ">" || n.Op == ">=",
		weakFields[n.Field.Name]:
		return 1
	}
	if f, ok := event.Lookup(n.Field.Name); ok && f.Type == event.Bool {
		return 1
	}
	return 2
}

// guards returns the clauses of n's top-level conjuncts (macros flattened)
// that are worth testing, in condition order.
func (c *compiler) guards(n condition.Node) []guard {
	var out []guard
	var walk func(condition.Node)
	walk = func(n condition.Node) {
		if a, ok := n.(*condition.And); ok {
			for _, t := range a.Terms {
				walk(t)
			}
			return
		}
		if cl, ok := c.clauseOf(n); ok && cl.score > 0 && len(out) < maxGuards {
			out = append(out, guard(cl.preds))
		}
	}
	walk(n)
	return out
}

// fieldText renders a field reference without transformers, e.g. proc.aname[2].
func fieldText(r *condition.FieldRef) string {
	if r.HasArg {
		return r.Name + "[" + r.Arg + "]"
	}
	return r.Name
}

// fieldBase is the readable stem of a function name for a field reference.
func fieldBase(r *condition.FieldRef) string {
	s := r.Name
	if r.HasArg {
		s += "_" + r.Arg
	}
	for _, t := range r.Transformers {
		s = t + "_" + s
	}
	return s
}

// suggestField proposes a known field close to a mistyped one.
func suggestField(name string) string {
	all := event.All()
	names := make([]string, len(all))
	for i, f := range all {
		names[i] = f.Name
	}
	if best := condition.Suggest(name, names); best != "" {
		return fmt.Sprintf(" (did you mean '%s'?)", best)
	}
	return " (ttpwatch fields lists them)"
}

// evtType compiles evt.type =/!=/in into a test on the event's type bits.
func (c *compiler) evtType(n *condition.Compare) (func() bool, error) {
	set, err := c.typeValues(n)
	if err != nil {
		return nil, err
	}
	neg := n.Op == "!="
	env := c.env
	return func() bool {
		return set.has(env.ev.Type) != neg
	}, nil
}

// typeValues parses the evt.type names of a comparison. Names this sensor
// never reports are warnings: Falco's rule files name syscalls we do not
// trace, and such a check simply never matches here.
func (c *compiler) typeValues(n *condition.Compare) (typeSet, error) {
	var set typeSet
	if (n.Op == "in" || n.Op == "intersects") && !n.List {
		return set, listError(n)
	}
	for _, v := range n.Values {
		t, ok := event.ParseType(v.Text)
		if !ok {
			c.warn(fmt.Sprintf("evt.type '%s' is not reported by this sensor; that check never matches", v.Text))
			continue
		}
		set.add(t)
	}
	return set, nil
}

func (c *compiler) warn(msg string) {
	for _, w := range c.warnings {
		if w == msg {
			return
		}
	}
	c.warnings = append(c.warnings, msg)
}

func listError(n *condition.Compare) error {
	if len(n.Values) == 1 {
		return errAt(n, "'%s' needs a list such as (a, b); '%s' is not a defined list", n.Op, n.Values[0].Text)
	}
	return errAt(n, "'%s' needs a list such as (a, b)", n.Op)
}

// requiredNames returns the proc.name values of which n requires one.
func requiredNames(n condition.Node) ([]string, bool) {
	switch n := n.(type) {
	case *condition.Compare:
		if n.Field.Name != "proc.name" || n.Field.HasArg || len(n.Field.Transformers) > 0 || n.RightField != nil {
			return nil, false
		}
		switch {
		case (n.Op == "=" || n.Op == "==") && len(n.Values) == 1:
			return []string{n.Values[0].Text}, true
		case n.Op == "in" && n.List:
			out := make([]string, 0, len(n.Values))
			for _, v := range n.Values {
				out = append(out, v.Text)
			}
			return dedupe(out), true
		}
	case *condition.And:
		var acc []string
		found := false
		for _, t := range n.Terms {
			s, ok := requiredNames(t)
			if !ok {
				continue
			}
			if !found {
				acc, found = s, true
				continue
			}
			acc = intersect(acc, s)
		}
		return acc, found
	case *condition.Or:
		var acc []string
		for _, t := range n.Terms {
			s, ok := requiredNames(t)
			if !ok {
				return nil, false
			}
			acc = append(acc, s...)
		}
		return dedupe(acc), true
	case *condition.BoolLit:
		if !n.Value {
			return []string{}, true
		}
	}
	return nil, false
}

func dedupe(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := s[:0:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func intersect(a, b []string) []string {
	in := make(map[string]bool, len(b))
	for _, v := range b {
		in[v] = true
	}
	out := []string{}
	for _, v := range a {
		if in[v] {
			out = append(out, v)
		}
	}
	return out
}

// typeSet is a set of event types.
type typeSet [(int(event.NumTypes) + 63) / 64]uint64

func (s *typeSet) add(t event.Type) { s[t/64] |= 1 << (t % 64) }
func (s *typeSet) has(t event.Type) bool {
	return int(t) < int(event.NumTypes) && s[t/64]&(1<<(t%64)) != 0
}

func allTypes() typeSet {
	var s typeSet
	for t := event.Type(0); t < event.NumTypes; t++ {
		s.add(t)
	}
	return s
}

func (s typeSet) full() bool { return s == allTypes() }

func (s typeSet) and(o typeSet) typeSet {
	for i := range s {
		s[i] &= o[i]
	}
	return s
}

func (s typeSet) or(o typeSet) typeSet {
	for i := range s {
		s[i] |= o[i]
	}
	return s
}

func (s typeSet) not() typeSet {
	all := allTypes()
	for i := range s {
		s[i] = ^s[i] & all[i]
	}
	return s
}

func (s typeSet) list() []event.Type {
	out := []event.Type{}
	for t := event.Type(0); t < event.NumTypes; t++ {
		if s.has(t) {
			out = append(out, t)
		}
	}
	return out
}

// typeSets returns the event types for which n may be true and those for
// which it may be false, so that `not` is exact: not (evt.type = open and
// x) may be true for open events, not (evt.type = open) may not.
func (c *compiler) typeSets(n condition.Node) (pos, neg typeSet) {
	all := allTypes()
	switch n := n.(type) {
	case *condition.And:
		pos, neg = all, typeSet{}
		for _, t := range n.Terms {
			p, q := c.typeSets(t)
			pos, neg = pos.and(p), neg.or(q)
		}
		return pos, neg
	case *condition.Or:
		pos, neg = typeSet{}, all
		for _, t := range n.Terms {
			p, q := c.typeSets(t)
			pos, neg = pos.or(p), neg.and(q)
		}
		return pos, neg
	case *condition.Not:
		p, q := c.typeSets(n.X)
		return q, p
	case *condition.BoolLit:
		if n.Value {
			return all, typeSet{}
		}
		return typeSet{}, all
	case *condition.Compare:
		if n.Field.Name == "evt.type" && len(n.Field.Transformers) == 0 && n.RightField == nil {
			switch n.Op {
			case "=", "==", "in", "intersects":
				set, _ := c.typeValues(n)
				return set, set.not()
			case "!=":
				set, _ := c.typeValues(n)
				return set.not(), set
			}
		}
	}
	return all, all
}
