package ruleset

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset/condition"
)

// resolve runs once every file is read: lists, then macros, then rules, so
// that lists need no order and redefinitions in later files take effect.
func (l *loader) resolve() *Ruleset {
	rs := &Ruleset{RequiredEngineVersion: l.engineVersion, RequiredPluginVersions: l.pluginVersions}
	for _, d := range l.listOrder {
		l.expandList(d, nil)
		rs.Lists = append(rs.Lists, &List{Name: d.name, Items: d.items, Expanded: d.expanded,
			File: l.file(d.at), Line: int(d.at.line), Col: int(d.at.col)})
	}
	for _, m := range l.macroOrder {
		l.ensureMacro(m, nil)
		rs.Macros = append(rs.Macros, &Macro{Name: m.name, Condition: trimText(joinTexts(m.cond)).s,
			Expanded: m.expanded, File: l.file(m.at), Line: int(m.at.line), Col: int(m.at.col)})
	}
	for _, d := range l.ruleOrder {
		if l.resolveRule(d) {
			rs.Rules = append(rs.Rules, d.r)
		}
	}
	rs.Warnings = l.warns
	l.sortDiags(l.errs)
	l.sortDiags(rs.Warnings)
	return rs
}

// sortDiags orders diagnostics by file load order, then position.
func (l *loader) sortDiags(ds []Diagnostic) {
	order := map[string]int{}
	for i := len(l.files) - 1; i >= 0; i-- {
		order[l.files[i]] = i
	}
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.File != b.File {
			return order[a.File] < order[b.File]
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// expandList replaces items naming other lists by their items.
func (l *loader) expandList(d *listDef, stack []string) bool {
	switch d.state {
	case 2:
		return d.expanded != nil || len(d.items) == 0
	case 1:
		return false
	}
	d.state = 1
	stack = append(stack, d.name)
	out := make([]string, 0, len(d.items))
	ok := true
	for i, it := range d.items {
		ref := l.lists[it]
		if ref == nil {
			out = append(out, it)
			continue
		}
		if slicesContains(stack, it) {
			l.errAt(d.locs[i], "list", d.name, "list loop: %s -> %s", strings.Join(stack, " -> "), it)
			ok = false
			continue
		}
		ref.used = true
		if !l.expandList(ref, stack) {
			ok = false
			continue
		}
		out = append(out, ref.expanded...)
	}
	d.state = 2
	if ok {
		d.expanded = out
	} else {
		d.failed = true
	}
	return ok
}

func slicesContains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// isListDelim reports the bytes that bound a list name in a condition, as
// in Falco: blanks, parentheses, commas and '='.
func isListDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '(', ')', ',', '=':
		return true
	}
	return false
}

// substitute replaces list names by their items, as text, the way Falco
// does (but never inside quoted strings). Substituted bytes map to the
// position of the list name.
func (l *loader) substitute(t *text) *text {
	if len(l.lists) == 0 {
		return t
	}
	s := t.s
	out := &text{end: t.end}
	var b strings.Builder
	emit := func(str string, at func(int) loc) {
		for k := 0; k < len(str); k++ {
			out.locs = append(out.locs, at(k))
		}
		b.WriteString(str)
	}
	copyRange := func(i, j int) {
		emit(s[i:j], func(k int) loc { return t.locAt(i + k) })
	}
	changed := false
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '"' || c == '\'' {
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j < len(s) {
				j++
			} else {
				j = len(s)
			}
			copyRange(i, j)
			i = j
			continue
		}
		if isListDelim(c) {
			copyRange(i, i+1)
			i++
			continue
		}
		j := i
		for j < len(s) && !isListDelim(s[j]) && s[j] != '"' && s[j] != '\'' {
			j++
		}
		word := s[i:j]
		d := l.lists[word]
		if d == nil || j < len(s) && !isListDelim(s[j]) {
			copyRange(i, j)
			i = j
			continue
		}
		changed = true
		d.used = true
		if d.failed {
			// Its error is reported; the condition cannot be built.
			l.substFailed = true
		}
		at := t.locAt(i)
		items := make([]string, len(d.expanded))
		for k, v := range d.expanded {
			items[k] = quoteListItem(v)
		}
		sub := strings.Join(items, ", ")
		if sub == "" {
			// An empty list must not leave a dangling comma: "(a, empty)".
			cur := b.String()
			k := len(cur)
			for k > 0 && (cur[k-1] == ' ' || cur[k-1] == '\t' || cur[k-1] == '\n') {
				k--
			}
			if k > 0 && cur[k-1] == ',' {
				b.Reset()
				b.WriteString(cur[:k-1])
				out.locs = out.locs[:k-1]
			} else {
				m := j
				for m < len(s) && (s[m] == ' ' || s[m] == '\t' || s[m] == '\n') {
					m++
				}
				if m < len(s) && s[m] == ',' {
					j = m + 1
				}
			}
		}
		emit(sub, func(int) loc { return at })
		i = j
	}
	if !changed {
		return t
	}
	out.s = b.String()
	return out
}

// quoteListItem quotes a list item that would not read back as one bare
// value; items already quoted are kept as written (Falco's behaviour).
func quoteListItem(s string) string {
	if s == "" {
		return `""`
	}
	if s[0] == '"' || s[0] == '\'' {
		return s
	}
	bare := true
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r', '(', ')', ',', '=', '"', '\'':
			bare = false
		}
	}
	if bare {
		return s
	}
	return strconv.Quote(s)
}

// register allocates a Pos range for a text about to be parsed.
func (l *loader) register(t *text) condition.Pos {
	base := l.nextBase
	l.spans = append(l.spans, span{base: base, t: t, macro: l.curMacro})
	l.nextBase += condition.Pos(len(t.s)) + 1
	return base
}

// posLoc maps a Pos back to its file position.
func (l *loader) posLoc(p condition.Pos) (loc, *span) {
	i := sort.Search(len(l.spans), func(i int) bool { return l.spans[i].base > p }) - 1
	if i < 0 {
		return loc{}, nil
	}
	sp := &l.spans[i]
	return sp.t.locAt(int(p - sp.base)), sp
}

// parse parses a condition text, reporting errors against the item.
func (l *loader) parse(t *text, kind, name string, fallback loc) (condition.Node, bool) {
	base := l.register(t)
	n, err := safeParse(t.s, base)
	if err != nil {
		l.condErr(err, kind, name, fallback)
		return nil, false
	}
	return n, true
}

// safeParse guards against a parser panic: rules are user input.
func safeParse(src string, base condition.Pos) (n condition.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			n, err = nil, &condition.Error{Offset: base, Msg: fmt.Sprintf("internal parser error: %v", r)}
		}
	}()
	return condition.Parse(src, base)
}

// condErr reports a parse or compile error at the position it names.
func (l *loader) condErr(err error, kind, name string, fallback loc) {
	var ce *condition.Error
	if !errors.As(err, &ce) {
		l.errAt(fallback, kind, name, "%s", err.Error())
		return
	}
	at, sp := l.posLoc(ce.Offset)
	if sp == nil {
		l.errAt(fallback, kind, name, "%s", ce.Msg)
		return
	}
	msg := ce.Msg
	if tok := tokenAt(sp.t.s, int(ce.Offset-sp.base)); tok != "" && !strings.Contains(msg, strings.Trim(tok, `"'(),`)) {
		msg += fmt.Sprintf(" (near %q)", tok)
	}
	l.errAt(at, kind, name, "%s%s", msg, inMacro(sp, kind, name))
}

// inMacro names the macro an error lies in when it is not the item being
// reported, since the position then points into the macro.
func inMacro(sp *span, kind, name string) string {
	if sp == nil || sp.macro == "" || kind == "macro" && sp.macro == name {
		return ""
	}
	return fmt.Sprintf(" (in macro %q)", sp.macro)
}

// tokenAt returns the word at off, capped, for error messages.
func tokenAt(s string, off int) string {
	if off < 0 || off >= len(s) {
		return ""
	}
	j := off
	for j < len(s) && j-off < 40 && !isFoldSpace(s[j]) {
		j++
		if j > off && (s[j-1] == '(' || s[j-1] == ')' || s[j-1] == ',') {
			break
		}
	}
	return s[off:j]
}

// ensureMacro parses and expands a macro once.
func (l *loader) ensureMacro(m *macroDef, stack []string) {
	if m.state != 0 {
		return
	}
	m.state = 1
	defer func() { m.state = 2 }()
	t := joinTexts(m.cond)
	if strings.TrimSpace(t.s) == "" {
		l.errAt(m.at, "macro", m.name, "empty condition")
		m.failed = true
		return
	}
	l.substFailed = false
	m.substed = l.substitute(t)
	if l.substFailed {
		m.failed = true
		return
	}
	l.curMacro = m.name
	n, ok := l.parse(m.substed, "macro", m.name, m.at)
	l.curMacro = ""
	if !ok {
		m.failed = true
		return
	}
	m.parsed = n
	x, ok := l.expand(n, &expCtx{kind: "macro", name: m.name, idx: m.ctxIdx, stack: append(stack, m.name)})
	if !ok {
		m.failed = true
		return
	}
	m.expanded = x
}

// expCtx is the item whose condition is being expanded.
type expCtx struct {
	kind, name string
	idx        int
	stack      []string // macros being expanded, outermost first
}

// expand replaces macro references by the macros' expanded trees. Nodes
// without references are shared, not copied.
func (l *loader) expand(n condition.Node, c *expCtx) (condition.Node, bool) {
	switch x := n.(type) {
	case *condition.And:
		terms, ok := l.expandTerms(x.Terms, c)
		if !ok {
			return nil, false
		}
		if terms == nil {
			return x, true
		}
		return &condition.And{At: x.At, Terms: terms}, true
	case *condition.Or:
		terms, ok := l.expandTerms(x.Terms, c)
		if !ok {
			return nil, false
		}
		if terms == nil {
			return x, true
		}
		return &condition.Or{At: x.At, Terms: terms}, true
	case *condition.Not:
		y, ok := l.expand(x.X, c)
		if !ok {
			return nil, false
		}
		if y == x.X {
			return x, true
		}
		return &condition.Not{At: x.At, X: y}, true
	case *condition.MacroRef:
		return l.expandRef(x, c)
	}
	return n, true
}

// expandTerms expands each term; nil terms and true mean nothing changed.
func (l *loader) expandTerms(ts []condition.Node, c *expCtx) ([]condition.Node, bool) {
	var out []condition.Node
	ok := true
	for i, t := range ts {
		y, good := l.expand(t, c)
		if !good {
			ok = false
			continue
		}
		if y != t && out == nil {
			out = make([]condition.Node, len(ts))
			copy(out, ts[:i])
		}
		if out != nil {
			out[i] = y
		}
	}
	return out, ok
}

func (l *loader) expandRef(x *condition.MacroRef, c *expCtx) (condition.Node, bool) {
	at, _ := l.posLoc(x.At)
	m := l.macros[x.Name]
	if m == nil {
		l.errAt(at, c.kind, c.name, "undefined macro %q: define it before use (or check the name)", x.Name)
		return nil, false
	}
	if slicesContains(c.stack, x.Name) {
		l.errAt(at, c.kind, c.name, "macro loop: %s -> %s", strings.Join(c.stack, " -> "), x.Name)
		return nil, false
	}
	if m.idx > c.idx {
		l.errAt(at, c.kind, c.name, "macro %q is used before its definition at %s:%d: move the definition up", x.Name, l.file(m.at), m.at.line)
		return nil, false
	}
	l.ensureMacro(m, c.stack)
	if m.failed || m.expanded == nil {
		return nil, false
	}
	return m.expanded, true
}

// validComps are the operators an exception may use.
var validComps = map[string]bool{
	"=": true, "==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true,
	"contains": true, "icontains": true, "bcontains": true, "startswith": true,
	"bstartswith": true, "endswith": true, "glob": true, "iglob": true, "regex": true,
	"pmatch": true, "in": true, "intersects": true,
}

func isListComp(c string) bool { return c == "in" || c == "intersects" || c == "pmatch" }

// resolveRule builds, checks and compiles one rule; false drops it.
func (l *loader) resolveRule(d *ruleDef) bool {
	r := d.r
	errsBefore := len(l.errs)
	cond := trimText(joinTexts(d.cond))
	r.Condition = cond.s
	if strings.TrimSpace(cond.s) == "" {
		l.errAt(d.condAt, "rule", r.Name, "empty condition")
		return false
	}
	l.substFailed = false
	substed := l.substitute(cond)
	if l.substFailed {
		return false
	}
	n, ok := l.parse(substed, "rule", r.Name, d.condAt)
	if !ok {
		return false
	}
	n, ok = l.expand(n, &expCtx{kind: "rule", name: r.Name, idx: d.ctxIdx})
	if !ok {
		return false
	}
	var excNodes []condition.Node
	r.Exceptions = r.Exceptions[:0]
	for _, x := range d.exceptions {
		en, disp, ok := l.exceptionNode(r.Name, x)
		if !ok {
			continue
		}
		r.Exceptions = append(r.Exceptions, disp)
		// One flat or: (cond) and not (t1 or t2 or …), as Falco writes it.
		if or, isOr := en.(*condition.Or); isOr {
			excNodes = append(excNodes, or.Terms...)
		} else if en != nil {
			excNodes = append(excNodes, en)
		}
	}
	if len(l.errs) > errsBefore {
		return false
	}
	if len(excNodes) > 0 {
		n = &condition.And{At: n.Pos(), Terms: []condition.Node{n, &condition.Not{At: n.Pos(), X: orOf(excNodes)}}}
	}
	r.Expanded = n
	out := trimText(joinTexts(d.output))
	r.Output = out.s
	if unknown := l.checkFields(n, r); unknown {
		return false
	}
	if len(l.errs) > errsBefore {
		return false
	}
	if !l.parseOutput(r, out) {
		return false
	}
	prog, err := safeCompile(n)
	if err != nil {
		l.condErr(err, "rule", r.Name, d.condAt)
		return false
	}
	r.Program = prog
	for _, w := range prog.Warnings {
		l.warnAt(d.condAt, "rule", r.Name, "%s", w)
	}
	if r.WarnEvttypes && prog.Types == nil {
		l.warnAt(d.condAt, "rule", r.Name, "condition admits every event type, so the rule is evaluated for every event: add an evt.type check (or warn_evttypes: false)")
	}
	return true
}

// safeCompile guards against a compiler panic.
func safeCompile(n condition.Node) (p *Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, &condition.Error{Offset: n.Pos(), Msg: fmt.Sprintf("internal compiler error: %v", r)}
		}
	}()
	return Compile(n)
}

func orOf(ns []condition.Node) condition.Node {
	if len(ns) == 1 {
		return ns[0]
	}
	return &condition.Or{At: ns[0].Pos(), Terms: ns}
}

func andOf(ns []condition.Node) condition.Node {
	if len(ns) == 1 {
		return ns[0]
	}
	return &condition.And{At: ns[0].Pos(), Terms: ns}
}

// checkFields reports unknown fields and bad field arguments. With
// skip-if-unknown-filter an unknown field drops the rule with a warning; it
// returns true when the rule must be dropped for that reason.
func (l *loader) checkFields(n condition.Node, r *Rule) bool {
	skip := false
	var walk func(condition.Node)
	check := func(f *condition.FieldRef) {
		msg, unknown := fieldProblem(f)
		if msg == "" {
			return
		}
		at, sp := l.posLoc(f.At)
		msg += inMacro(sp, "rule", r.Name)
		if unknown && r.SkipIfUnknownFilter {
			if !skip {
				l.warnAt(at, "rule", r.Name, "%s; rule skipped (skip-if-unknown-filter)", msg)
			}
			skip = true
			return
		}
		l.errAt(at, "rule", r.Name, "%s", msg)
	}
	walk = func(n condition.Node) {
		switch x := n.(type) {
		case *condition.And:
			for _, t := range x.Terms {
				walk(t)
			}
		case *condition.Or:
			for _, t := range x.Terms {
				walk(t)
			}
		case *condition.Not:
			walk(x.X)
		case *condition.Compare:
			check(&x.Field)
			if x.RightField != nil {
				check(x.RightField)
			}
		}
	}
	walk(n)
	return skip
}

// fieldProblem describes what is wrong with a field reference ("" if
// nothing); unknown is set when the field does not exist at all.
func fieldProblem(f *condition.FieldRef) (msg string, unknown bool) {
	fd, ok := event.Lookup(f.Name)
	if !ok {
		return fmt.Sprintf("unknown field %q: `ttpwatch fields` lists the known ones", f.Name), true
	}
	switch fd.Arg {
	case event.ArgNone:
		if f.HasArg {
			return fmt.Sprintf("field %q takes no argument, found [%s]", f.Name, f.Arg), false
		}
	case event.ArgIndexRequired, event.ArgKeyRequired:
		if !f.HasArg {
			return fmt.Sprintf("field %q needs an argument in brackets, e.g. %s[...]", f.Name, f.Name), false
		}
	}
	if f.HasArg && (fd.Arg == event.ArgIndexOptional || fd.Arg == event.ArgIndexRequired) {
		if n, err := strconv.Atoi(f.Arg); err != nil || n < 0 {
			return fmt.Sprintf("field %q argument must be a non-negative number, found [%s]", f.Name, f.Arg), false
		}
	}
	return "", false
}

// fieldArg converts a field reference's argument to the registry's form.
func fieldArg(f *condition.FieldRef) event.Arg {
	if !f.HasArg {
		return event.Arg{}
	}
	a := event.Arg{Set: true, Key: f.Arg}
	if n, err := strconv.Atoi(f.Arg); err == nil {
		a.Index = n
	}
	return a
}

// exceptionNode builds the tree `(f1 c1 v1 and f2 c2 v2) or …` of one
// exception (nil when it has no values) and its display form.
func (l *loader) exceptionNode(rule string, x *excDef) (condition.Node, Exception, bool) {
	disp := Exception{Name: x.name}
	bad := func(at loc, format string, args ...any) (condition.Node, Exception, bool) {
		l.errAt(at, "rule", rule, "exception %q: "+format, append([]any{x.name}, args...)...)
		return nil, disp, false
	}
	var refs []condition.FieldRef
	for _, ft := range x.fields {
		disp.Fields = append(disp.Fields, ft.s)
		t := joinTexts([]*text{ft, fixedText("exists", ft.end)})
		base := l.register(t)
		n, err := safeParse(t.s, base)
		c, ok := n.(*condition.Compare)
		if err != nil || !ok || c.Op != "exists" {
			return bad(ft.locAt(0), "invalid field %q", ft.s)
		}
		refs = append(refs, c.Field)
	}
	comps := x.comps
	if x.fieldsList {
		if len(comps) == 0 {
			comps = make([]string, len(refs))
			for i := range comps {
				comps[i] = "="
			}
		} else if len(comps) != len(refs) {
			return bad(x.compLocs[0], "fields and comps must have the same length (%d fields, %d comps)", len(refs), len(comps))
		}
	} else {
		if len(comps) == 0 {
			comps = []string{"in"}
		} else if len(comps) > 1 {
			return bad(x.compLocs[1], "a single field takes a single comp, found %d", len(comps))
		}
	}
	for i, c := range comps {
		if !validComps[c] {
			at := x.at
			if i < len(x.compLocs) {
				at = x.compLocs[i]
			}
			return bad(at, "unknown comparison operator %q", c)
		}
	}
	disp.Comps = comps
	if len(x.values) == 0 {
		return nil, disp, true
	}
	var tuples []condition.Node
	if x.fieldsList {
		for _, v := range x.values {
			if !v.isList {
				return bad(v.at, "each values entry must be a list with one value per field (%d)", len(refs))
			}
			if len(v.list) != len(refs) {
				return bad(v.at, "values entry has %d values, want %d (one per field)", len(v.list), len(refs))
			}
			var terms []condition.Node
			var row []string
			for i, e := range v.list {
				cmp := &condition.Compare{At: l.register(fixedText(" ", e.at)), Field: refs[i], Op: comps[i]}
				if isListComp(comps[i]) {
					cmp.List = true
					cmp.Values = l.listValues(e)
				} else {
					if e.isList {
						return bad(e.at, "value for %s is a list but %q compares with one value", x.fields[i].s, comps[i])
					}
					cmp.Values = []condition.Value{l.value(e.t)}
				}
				row = append(row, displayValue(e))
				terms = append(terms, cmp)
			}
			disp.Values = append(disp.Values, row)
			tuples = append(tuples, andOf(terms))
		}
		return orOf(tuples), disp, true
	}
	// A single field: the values are the items (Falco), or lists of items.
	var items []condition.Value
	for _, v := range x.values {
		if v.isList {
			for _, e := range v.list {
				if e.isList {
					return bad(e.at, "values of a single-field exception must be values, not nested lists")
				}
			}
		}
		items = append(items, l.listValues(v)...)
		disp.Values = append(disp.Values, []string{displayValue(v)})
	}
	at := l.register(fixedText(" ", x.at))
	if isListComp(comps[0]) {
		return &condition.Compare{At: at, Field: refs[0], Op: comps[0], List: true, Values: items}, disp, true
	}
	for _, it := range items {
		tuples = append(tuples, &condition.Compare{At: it.At, Field: refs[0], Op: comps[0], Values: []condition.Value{it}})
	}
	return orOf(tuples), disp, true
}

// value makes a quoted literal located at its YAML scalar.
func (l *loader) value(t *text) condition.Value {
	return condition.Value{At: l.register(t), Text: t.s, Quoted: true}
}

// listValues returns the items of a value used with a list operator: a list
// as is, a scalar naming a list as that list's items, a scalar as itself.
func (l *loader) listValues(v rawVal) []condition.Value {
	if v.isList {
		var out []condition.Value
		for _, e := range v.list {
			if !e.isList {
				out = append(out, l.listValues(e)...)
			}
		}
		return out
	}
	if d := l.lists[v.t.s]; d != nil {
		d.used = true
		at := l.register(v.t)
		out := make([]condition.Value, len(d.expanded))
		for i, s := range d.expanded {
			out[i] = condition.Value{At: at, Text: unquoteItem(s), Quoted: true}
		}
		return out
	}
	return []condition.Value{l.value(v.t)}
}

func displayValue(v rawVal) string {
	if !v.isList {
		return v.t.s
	}
	parts := make([]string, len(v.list))
	for i, e := range v.list {
		parts[i] = displayValue(e)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// unquoteItem strips the quotes of a list item written quoted ('"a b"'),
// which Falco keeps as text for substitution.
func unquoteItem(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// trimText drops the trailing blanks and newline a YAML block scalar (`>`)
// leaves, which would otherwise end every alert's output.
func trimText(t *text) *text {
	n := len(strings.TrimRight(t.s, " \t\r\n"))
	if n == len(t.s) {
		return t
	}
	return &text{s: t.s[:n], locs: t.locs[:n], end: t.end}
}
